"""Step an MLP's backward pass one layer at a time: the δ rule, on the network view.

    chainrule delta                                  # the lecture's 3-3-3-3-1 tanh network
    chainrule delta --sizes 2,4,4,1 --x 0.5,-1 --y 1 --seed 3
    chainrule delta --html delta.html                # the player page, with practice mode
    chainrule delta -o network.svg --all             # every step, then the network view
    chainrule delta --practice                       # you work out each δ first

With δ_j^(l) = ∂L/∂s_j^(l), the gradient of neuron j's pre-activation in layer l, the chain rule
gives the output layer's δ_j = ∂⁺L/∂x_j · θ'(s_j), then each layer's from the one above:
δ_i^(l-1) = θ'(s_i^(l-1)) · Σ_j w_ij^(l) δ_j^(l), and every weight's gradient is x_i^(l-1) δ_j^(l)
(symbols of --notation, default lecture 004's; with the update w_ij ← w_ij − η·x_i·δ_j, η = --lr).
Each step prints one layer's δ with the numbers, read off the engine after loss.backward()
and recomputed by the rule (a mismatch is reported).

The network is nn.MLP(sizes[0], sizes[1:], activation, output_activation, seed); x and y default to
numbers drawn from --seed (x in [-1, 1]; y to fit the loss: in (-0.9, 0.9) for mse, 0 or 1 for
bce_with_logits, -1 or 1 for hinge and perceptron, a class index for cross_entropy), and the loss is
nn.losses.<--loss>(model(x), y) (mse: (a - y)² for one output). In a terminal it steps on key
presses (Enter/n next, b back, q quit); with --all, or when not in a terminal, every step is printed
at once. --practice asks for each δ before showing it (a number or a fraction, within 1% or --rel; a
hint after a wrong answer, the answer after two; s shows it, q stops; a score at the end); answers
are read line by line, so a script can pipe them in. --html PAGE.html (or a folder) writes the step
player on the network view, self-contained, with a practice toggle that asks for each δ first. -o
FILE writes the network view after the whole pass (.svg, .png or .dot).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from functools import partial
from typing import Any

from engine.cli.common import add_notation_argument, columns, fail
from engine.step.notation import notation as lookup_notation

PROG = "chainrule delta"
SUMMARY = "step an MLP's backward pass layer by layer: the δ rule, on the network view"
_fail = partial(fail, PROG)
LECTURE_SIZES = "3,3,3,3,1"
"""The lecture's picture (seed 004): three inputs, three hidden layers of three, one output."""
MAX_WIDTH = 100
"""The most inputs, or neurons in one layer, --sizes may ask for: the δ mode prints every
neuron's δ, and one layer of 1,500 already means 2.25 million weights (gigabytes, minutes)."""
MAX_SIZES = 16
"""The most numbers in --sizes: the inputs and up to 15 layers."""
MAX_WEIGHTS = 25_000
"""The most weights (Σ fan-in · width over the layers) --sizes may ask for: 100,100,100,1 has
20,100 and takes about a second."""


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
    if len(sizes) > MAX_SIZES:
        raise argparse.ArgumentTypeError(
            f"--sizes has {len(sizes)} numbers; at most {MAX_SIZES} are allowed (the inputs and "
            f"{MAX_SIZES - 1} layers)"
        )
    widest = max(sizes)
    if widest > MAX_WIDTH:
        raise argparse.ArgumentTypeError(
            f"--sizes asks for a layer of {widest:,}; each size may be at most {MAX_WIDTH} "
            f"(the δ mode is for networks small enough to read)"
        )
    weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
    if weights > MAX_WEIGHTS:
        raise argparse.ArgumentTypeError(
            f"--sizes {text} makes {weights:,} weights; at most {MAX_WEIGHTS:,} are allowed"
        )
    return sizes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=_sizes(LECTURE_SIZES),
        metavar="N,N,...",
        help=f"inputs, then each layer's width (default {LECTURE_SIZES}, the lecture's; each "
        f"at most {MAX_WIDTH}, at most {MAX_SIZES} numbers and {MAX_WEIGHTS:,} weights)",
    )
    parser.add_argument("--x", type=_numbers, metavar="X,...", help="the input (default: seeded)")
    parser.add_argument("--y", type=_numbers, metavar="Y,...", help="the target (default: seeded)")
    parser.add_argument(
        "--activation", default="tanh", help="the hidden layers' activation (default tanh)"
    )
    parser.add_argument(
        "--output-activation",
        default="tanh",
        help="the output layer's (default tanh; softmax with --loss cross_entropy)",
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
        "--font-size",
        type=float,
        default=None,
        metavar="PT",
        help="with -o/--html: the network view's text size (default 11; 18 with --slide)",
    )
    parser.add_argument(
        "--digits",
        type=int,
        default=None,
        metavar="N",
        help="with -o/--html: significant digits of the view's numbers (default 4; 3 with --slide)",
    )
    parser.add_argument(
        "--rankdir", choices=("LR", "TB"), default=None, help="with -o/--html: the view's layout"
    )
    parser.add_argument(
        "--slide",
        action="store_true",
        help="with -o/--html: for a 1280x720 projector (18 pt, 3 digits, weights in tooltips, "
        "the layout whose text reads biggest)",
    )
    parser.add_argument(
        "--clear", action="store_true", help="clear the screen before each step (interactive)"
    )
    parser.add_argument(
        "--lr",
        type=float,
        default=0.1,
        metavar="ETA",
        help="the learning rate η of the update step w ← w − η·x·δ shown (default 0.1)",
    )
    add_notation_argument(parser)


def default_targets(loss: str, outputs: int, rng: random.Random) -> list[float]:
    """Targets drawn from `rng` that fit `loss`: a class index for cross_entropy, 0 or 1 for
    bce_with_logits, ±1 for hinge and perceptron, a number in (-0.9, 0.9) for mse."""
    if loss == "cross_entropy":
        return [float(rng.randrange(outputs))]
    if loss == "bce_with_logits":
        return [float(rng.randrange(2)) for _ in range(outputs)]
    if loss in ("hinge", "perceptron"):
        return [rng.choice((-1.0, 1.0)) for _ in range(outputs)]
    return [rng.uniform(-0.9, 0.9) for _ in range(outputs)]


def check_targets(loss: str, y: list[float], outputs: int) -> None:
    """ValueError, naming --y (and --sizes) and what to write, when `y` does not fit `loss`."""
    if loss == "cross_entropy":
        if outputs < 2:
            raise ValueError(
                "--loss cross_entropy needs at least 2 outputs, one logit per class: end "
                "--sizes with the number of classes (e.g. --sizes 3,3,2)"
            )
        if len(y) != 1 or y[0] != int(y[0]) or not 0 <= y[0] < outputs:
            given = ",".join(f"{v:g}" for v in y)
            raise ValueError(
                f"--loss cross_entropy takes one class index as --y, from 0 to {outputs - 1} "
                f"(e.g. --y 0 or --y 1), got --y {given}"
            )
        return
    if len(y) != outputs:
        raise ValueError(f"--y has {len(y)} numbers but the network has {outputs} outputs")
    if loss == "bce_with_logits" and any(not 0.0 <= v <= 1.0 for v in y):
        bad = next(v for v in y if not 0.0 <= v <= 1.0)
        raise ValueError(
            f"--loss bce_with_logits takes targets in [0, 1] (--y 0 or --y 1), got {bad:g}"
        )
    if loss in ("hinge", "perceptron") and any(v not in (-1.0, 1.0) for v in y):
        bad = next(v for v in y if v not in (-1.0, 1.0))
        raise ValueError(f"--loss {loss} takes labels -1 or 1 (--y 1 or --y -1), got {bad:g}")


def build(args: argparse.Namespace) -> Any:
    """The MLP, its loss after ``loss.backward()``, and the `nn.DeltaStepper` on them."""
    import nn

    sizes = args.sizes
    rng = random.Random(f"chainrule delta: x and y, seed {args.seed}")  # not the weights' stream
    x = args.x if args.x is not None else [rng.uniform(-1.0, 1.0) for _ in range(sizes[0])]
    if args.loss not in nn.losses.LOSSES:
        known = ", ".join(nn.losses.LOSSES)
        raise ValueError(f"unknown --loss {args.loss!r}; choose one of: {known}")
    y = args.y if args.y is not None else default_targets(args.loss, sizes[-1], rng)
    if len(x) != sizes[0]:
        raise ValueError(f"--x has {len(x)} numbers but the network has {sizes[0]} inputs")
    check_targets(args.loss, y, sizes[-1])
    output_activation = args.output_activation
    if output_activation == "softmax":  # softmax lives in the loss: linear outputs, cross-entropy
        if args.loss != "cross_entropy":
            raise ValueError(
                f"--output-activation softmax goes with --loss cross_entropy (the softmax is "
                f"part of it), got --loss {args.loss}"
            )
        output_activation = "linear"
    if not args.lr > 0 or args.lr != args.lr:
        raise ValueError(f"--lr must be a positive number, got {args.lr:g}")
    nt = lookup_notation(args.notation)
    model = nn.MLP(
        sizes[0],
        sizes[1:],
        activation=args.activation,
        output_activation=output_activation,
        seed=args.seed,
        names=nt.name,  # the parameters' labels in the same lecture's symbols
    )
    prediction = model(x)
    if args.loss == "cross_entropy":
        target: Any = int(y[0])
    else:
        target = y[0] if sizes[-1] == 1 else y
    loss = nn.losses.LOSSES[args.loss](prediction, target)
    loss.label = nt.loss
    loss.backward()
    kind = args.loss if args.loss in ("mse", "cross_entropy") else None
    return nn.DeltaStepper(model, loss, notation=nt, target=target, loss_kind=kind, lr=args.lr)


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


def view_options(args: argparse.Namespace) -> dict[str, Any]:
    """The network view's options from --font-size, --digits and --slide (only those given);
    ValueError naming a bad one."""
    view: dict[str, Any] = {}
    if args.font_size is not None:
        if not 4 <= args.font_size <= 96:
            raise ValueError(f"--font-size must be from 4 to 96 points, got {args.font_size:g}")
        view["font_size"] = args.font_size
    if args.digits is not None:
        if not 1 <= args.digits <= 17:
            raise ValueError(f"--digits must be from 1 to 17, got {args.digits}")
        view["digits"] = args.digits
    if args.slide:
        from nn.teaching.network_view import SLIDE_VIEW

        for key, value in SLIDE_VIEW.items():
            view.setdefault(key, value)
    return view


def network_picture(stepper: Any, args: argparse.Namespace, view: dict[str, Any]) -> Any:
    """The network view after the whole pass, for -o: with --slide (and no --rankdir), the
    layout whose text reads biggest on a 1280×720 screen."""
    from engine.draw.slide import best_layout

    if args.rankdir is not None or not args.slide:
        return stepper.draw(rankdir=args.rankdir or "LR", **view)
    return best_layout(lambda rankdir: stepper.draw(rankdir=rankdir, **view))[1]


def run(args: argparse.Namespace) -> int:
    from engine.draw import DrawError, format_of

    try:
        if args.output:
            format_of(args.output)  # a file name chainrule cannot write fails before any work
        view = view_options(args)
        stepper = build(args)
    except (ValueError, TypeError, OverflowError) as exc:
        return _fail(exc)

    try:
        if args.practice:
            return practise(stepper, args.rel)
        if args.html:
            options: dict[str, Any] = dict(view)
            if args.max_weights is not None:
                options["max_weights"] = args.max_weights
            path = stepper.save_html(args.html, slide=args.slide, rankdir=args.rankdir, **options)
            print(f"wrote {path} ({stepper.total} layers); open it in a browser")
            return 0
        if args.all or args.output or not (sys.stdin.isatty() and sys.stdout.isatty()):
            print_all(stepper, args.width)
        else:
            from engine.step.terminal import interactive

            return interactive(stepper, sys.stdout, width=args.width, clear=args.clear)
        if args.output:
            from engine.draw import save

            print(f"wrote {save(network_picture(stepper, args, view), args.output)}")
        return 0
    except (DrawError, ValueError) as exc:
        return _fail(exc)
    except BrokenPipeError:  # `chainrule delta | head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:
        return _fail(f"cannot write {args.html or args.output!r}: {exc.strerror or exc}")
