"""Step an MLP's backward pass one layer at a time: the δ rule, on the network view.

(``chainrule delta``: nn adds this command to ``chainrule`` through the ``chainrule.commands``
entry point in pyproject.toml.)

    chainrule delta                                  # the lecture's 3-3-3-3-1 tanh network
    chainrule delta --sizes 2,4,4,1 --x 0.5,-1 --y 1 --seed 3
    chainrule delta --html delta.html                # the player page, with practice mode
    chainrule delta -o network.svg --all             # every step, then the network view
    chainrule delta --practice                       # you work out each δ first

With δ_j^(l) = ∂L/∂s_j^(l), the gradient of neuron j's pre-activation in layer l, the chain rule
gives the output layer's δ_j = ∂L/∂a_j · g'(s_j), then each layer's from the one above:
δ_i^(l-1) = g'(s_i^(l-1)) · Σ_j w_ij^(l) δ_j^(l), and every weight's gradient is a_i^(l-1) δ_j^(l).
Each step prints one layer's δ with the numbers, read off the engine after loss.backward()
and recomputed by the rule (a mismatch is reported).

The network is ``nn.MLP(sizes[0], sizes[1:], activation, output_activation, seed)``; x and y
default to numbers drawn from --seed (x in [-1, 1], y in (-0.9, 0.9)), and the loss is
``nn.losses.<--loss>(model(x), y)`` (mse: (a - y)² for one output). In a terminal it steps on
key presses (Enter/n next, b back, q quit); with --all, or when not in a terminal, every step is
printed at once. --practice asks for each δ before showing it (a number or a fraction, within 1%
or --rel; a hint after a wrong answer, the answer after two; s shows it, q stops; a score at the
end); answers are read line by line, so a script can pipe them in. --html PAGE.html (or a
folder) writes the step player on the network view, self-contained, with a practice toggle that
asks for each δ first. -o FILE writes the network view after the whole pass (.svg, .png or .dot).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from functools import partial
from typing import Any

from engine.cli.common import columns, fail

PROG = "chainrule delta"
SUMMARY = "step an MLP's backward pass layer by layer: the δ rule, on the network view"
_fail = partial(fail, PROG)
LECTURE_SIZES = "3,3,3,3,1"
"""The lecture's picture (seed 004): three inputs, three hidden layers of three, one output."""


def _numbers(text: str) -> list[float]:
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of numbers, e.g. 0.5,-1"
        ) from None


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of whole numbers, e.g. 2,4,4,1"
        ) from None
    if len(sizes) < 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"--sizes needs the inputs and at least one layer, each at least 1, got {text!r}"
        )
    return sizes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=_sizes(LECTURE_SIZES),
        metavar="N,N,...",
        help=f"inputs, then each layer's width (default {LECTURE_SIZES}, the lecture's)",
    )
    parser.add_argument("--x", type=_numbers, metavar="X,...", help="the input (default: seeded)")
    parser.add_argument("--y", type=_numbers, metavar="Y,...", help="the target (default: seeded)")
    parser.add_argument(
        "--activation", default="tanh", help="the hidden layers' activation (default tanh)"
    )
    parser.add_argument(
        "--output-activation", default="tanh", help="the output layer's (default tanh)"
    )
    parser.add_argument(
        "--loss", default="mse", help="a loss of nn.losses (default mse: (a - y)² for one output)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the weights, x and y (default 0)"
    )
    parser.add_argument("--all", action="store_true", help="print every step at once")
    parser.add_argument(
        "--practice",
        action="store_true",
        help="work out each δ yourself before it is shown (answers read line by line)",
    )
    parser.add_argument(
        "--rel", type=float, default=0.01, help="with --practice: relative tolerance (0.01 = 1%%)"
    )
    parser.add_argument("--html", metavar="PATH", help="write the player page (PATH.html or DIR)")
    parser.add_argument(
        "--max-weights",
        type=int,
        default=None,
        metavar="N",
        help="with --html: draw networks of up to N weights (default 400)",
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="write the network view (.svg, .png or .dot)"
    )
    parser.add_argument(
        "--width", type=columns, default=None, metavar="N", help="fold every line to N columns"
    )
    parser.add_argument(
        "--clear", action="store_true", help="clear the screen before each step (interactive)"
    )


def build(args: argparse.Namespace) -> Any:
    """The MLP, its loss after ``loss.backward()``, and the `nn.DeltaStepper` on them."""
    import nn

    sizes = args.sizes
    rng = random.Random(f"chainrule delta: x and y, seed {args.seed}")  # not the weights' stream
    x = args.x if args.x is not None else [rng.uniform(-1.0, 1.0) for _ in range(sizes[0])]
    y = args.y if args.y is not None else [rng.uniform(-0.9, 0.9) for _ in range(sizes[-1])]
    if len(x) != sizes[0]:
        raise ValueError(f"--x has {len(x)} numbers but the network has {sizes[0]} inputs")
    if args.loss not in nn.losses.LOSSES:
        known = ", ".join(nn.losses.LOSSES)
        raise ValueError(f"unknown --loss {args.loss!r}; choose one of: {known}")
    model = nn.MLP(
        sizes[0],
        sizes[1:],
        activation=args.activation,
        output_activation=args.output_activation,
        seed=args.seed,
    )
    prediction = model(x)
    if args.loss == "cross_entropy":
        if len(y) != 1:
            raise ValueError(f"--loss cross_entropy takes one class index as --y, got {len(y)}")
        target: Any = y[0]
    else:
        outputs = sizes[-1]
        if len(y) != outputs:
            raise ValueError(f"--y has {len(y)} numbers but the network has {outputs} outputs")
        target = y[0] if outputs == 1 else y
    loss = nn.losses.LOSSES[args.loss](prediction, target)
    loss.label = "L"
    loss.backward()
    return nn.DeltaStepper(model, loss)


def print_all(stepper: Any, width: int | None) -> None:
    """The forward pass, every layer's δ, the summary, and any step where rule and engine
    disagree."""
    from engine.step.terminal import fold

    print(fold(stepper.forward_trace(), width))
    print(fold("\nbackward pass, layer by layer (the output layer first):", width))
    for step in stepper.run():
        print(fold(str(step), width))
        if not step.agrees:
            print(fold(f"  note: the engine's δ of layer {step.layer} is {step.engine}", width))
    print()
    print(fold(stepper.summary(), width))


def practise(stepper: Any, rel: float) -> int:
    """A practice round in the terminal: every δ, layer by layer (`nn.teaching.delta_practice`)."""
    from engine.cli.practice import read_line, session
    from nn.teaching.delta_practice import DeltaPractice

    if not 0.0 <= rel < 1.0:
        raise ValueError(f"--rel must be from 0 to 1 (0.01 is 1%), got {rel}")
    return session(DeltaPractice(stepper, rel=rel), read_line, sys.stdout)


def run(args: argparse.Namespace) -> int:
    from engine.draw import DrawError, format_of

    try:
        if args.output:
            format_of(args.output)  # a file name chainrule cannot write fails before any work
        stepper = build(args)
    except (ValueError, TypeError, OverflowError) as exc:
        return _fail(exc)

    try:
        if args.practice:
            return practise(stepper, args.rel)
        if args.html:
            options = {} if args.max_weights is None else {"max_weights": args.max_weights}
            path = stepper.save_html(args.html, **options)
            print(f"wrote {path} ({stepper.total} layers); open it in a browser")
            return 0
        if args.all or args.output or not (sys.stdin.isatty() and sys.stdout.isatty()):
            print_all(stepper, args.width)
        else:
            from engine.step.terminal import interactive

            return interactive(stepper, sys.stdout, width=args.width, clear=args.clear)
        if args.output:
            from engine.draw import save

            print(f"wrote {save(stepper.draw(), args.output)}")
        return 0
    except (DrawError, ValueError) as exc:
        return _fail(exc)
    except BrokenPipeError:  # `chainrule delta | head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        return _fail(f"cannot write {args.html or args.output!r}: {exc.strerror or exc}")
