"""Step through the backward pass of an expression, one node at a time.

    chainrule step 'tanh(x1*w1 + x2*w2 + b)' x1=2 w1=-3 x2=0 w2=1 b=6.881373587019543
    chainrule step 'n = x1*w1 + x2*w2 + b; o = tanh(n)' x1=2 w1=-3 x2=0 w2=1 \\
                   b=6.881373587019543 --params w1,w2,b --all
    chainrule step 'o = tanh(x1*w1 + x2*w2 + b)' ... --width 75 --clear --digits 3
    chainrule step 'tanh(x1*w1 + x2*w2 + b)' ... --html neuron.html

In a terminal it shows the forward pass, then one step per key: Enter, n, space or → for the
next step, b or ← to undo the last one (gradients restored exactly), q to quit. Each step is the
chain rule for one node v, written with the output L's name: ∂⁺L/∂x += ∂⁺L/∂v · ∂v/∂x for each
input x of v, with the local derivative's formula and the numbers; a gradient that still waits
for other edges is marked partial. With --all, or when the input or output is not a terminal (a
pipe, CI), every step is printed at once. --html PAGE.html (or --html DIR, which gets
DIR/index.html) writes a self-contained page that plays the steps in a browser: Prev/Next, arrow
keys, a slider, zoom and pan, and a practice mode that asks for each number first. Graphs with
more than 1,000 values are refused unless --max-nodes allows them; progress goes to stderr.
--gif FILE writes the steps as an animated GIF for slides (one frame per step; needs Pillow).

For a projector: --width N folds every line to N columns, --clear clears the screen before each
step, --digits N prints N significant digits (default 4). Every printed equation recomputes from
its printed numbers.

The expression is parsed with a whitelist (numbers, names, + - * / **, unary -, parentheses and
the Value methods as functions, e.g. tanh(x), relu(x)); nothing is evaluated as Python. Name
the result and any intermediate with 'name = expression' statements separated by ';' (the last
one is the result): 'n = x1*w1 + b; o = tanh(n)'. An unnamed result is called "out".
"""

from __future__ import annotations

import argparse
import re
import sys
from functools import partial
from typing import Any, TextIO

from engine.cli.common import add_notation_argument, columns, fail, param_names
from engine.draw.slide import SLIDE_DIGITS
from engine.step.stepper import Stepper
from engine.step.terminal import MIN_WIDTH, interactive, print_all

PROG = "chainrule step"
_fail = partial(fail, PROG)
ROOT_NAME = "out"


def _digits(text: str) -> int:
    try:
        digits = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of digits") from None
    if not 1 <= digits <= 17:
        raise argparse.ArgumentTypeError(f"--digits must be from 1 to 17, got {digits}")
    return digits


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``chainrule step``."""
    from engine.cli.expr import functions_help

    parser.epilog = functions_help()
    parser.add_argument(
        "expression", help="e.g. 'tanh(x1*w1 + x2*w2 + b)' or 'n = x1*w1 + b; o = tanh(n)'"
    )
    parser.add_argument(
        "assignments",
        nargs="*",
        metavar="NAME=VALUE",
        help="a value for every name in the expression, e.g. x1=2 w1=-3",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="print every step at once (automatic when not in a terminal)",
    )
    parser.add_argument(
        "--html",
        metavar="PATH",
        help="write a self-contained step-by-step player: PATH.html is the page, any other "
        "PATH a folder that gets index.html",
    )
    parser.add_argument(
        "--max-nodes",
        type=int,
        default=None,
        metavar="N",
        help="with --html: write the page for graphs of up to N values (default 1000)",
    )
    parser.add_argument(
        "--gif", metavar="FILE", help="write the steps as an animated GIF (needs Pillow)"
    )
    parser.add_argument(
        "--params",
        default="",
        metavar="NAMES",
        help="comma-separated names that are parameters (not inputs), e.g. w1,w2,b",
    )
    parser.add_argument(
        "--width",
        type=columns,
        default=None,
        metavar="N",
        help=f"fold every line to N columns (at least {MIN_WIDTH}), e.g. 75 for a projector",
    )
    parser.add_argument(
        "--clear", action="store_true", help="clear the screen before each step (interactive)"
    )
    parser.add_argument(
        "--digits",
        type=_digits,
        default=None,
        metavar="N",
        help="significant digits of the numbers (default 4; 3 with --slide)",
    )
    parser.add_argument(
        "--rankdir",
        choices=("LR", "TB"),
        default=None,
        help="with --html/--gif: LR inputs on the left (default), TB inputs on top",
    )
    parser.add_argument(
        "--font-size",
        type=float,
        default=None,
        metavar="PT",
        help="with --html/--gif: the drawing's text size in points (default 12; 18 with --slide)",
    )
    parser.add_argument(
        "--slide",
        action="store_true",
        help="with --html/--gif: for a 1280x720 projector: 18 pt, 3 digits, the layout whose "
        "text reads biggest, every text of the page at least 16 px",
    )
    add_notation_argument(parser)


def _build(args: argparse.Namespace):
    """The expression's root Value, built by the whitelist parser (never eval)."""
    from engine.cli.expr import build, parse_assignments

    values = parse_assignments(list(args.assignments))
    root, _ = build(args.expression, values, param_names(args.params, values))
    if not root.label:
        root.label = ROOT_NAME
    return root


def run(args: argparse.Namespace) -> int:
    """Build the expression, then write the player, print every step, or step interactively."""
    from engine.cli.expr import ExpressionError

    if args.font_size is not None and not (4 <= args.font_size <= 96):
        return _fail(f"--font-size must be from 4 to 96 points, got {args.font_size:g}")
    if args.slide and args.digits is None:
        args.digits = SLIDE_DIGITS
    try:
        stepper = Stepper(_build(args), digits=args.digits, notation=args.notation)
    except ExpressionError as exc:
        return _fail(exc, exc.pointer())
    except (ValueError, TypeError, ZeroDivisionError, OverflowError) as exc:
        return _fail(exc)  # domain errors like log(-1), a bad --params name
    try:
        if args.html:
            return _write_html(stepper, args, _drawing_options(args))
        if args.gif:
            return _write_gif(stepper, args.gif, _gif_options(stepper, args))
        if args.all or not (sys.stdin.isatty() and sys.stdout.isatty()):
            print_all(stepper, sys.stdout, width=args.width)
            return 0
        return interactive(stepper, sys.stdout, width=args.width, clear=args.clear)
    except (ValueError, ZeroDivisionError, OverflowError) as exc:
        return _fail(exc)  # e.g. a local derivative that is not finite (sqrt at 0)


def _drawing_options(args: argparse.Namespace) -> dict[str, Any]:
    """The drawing's --rankdir and --font-size, as `draw_dot` options (only those given)."""
    options: dict[str, Any] = {}
    if args.rankdir is not None:
        options["rankdir"] = args.rankdir
    if args.font_size is not None:
        options["font_size"] = args.font_size
    return options


def _title(name: str, expression: str) -> str:
    """The page's title: the expression, named (``o = tanh(x)``), never named twice."""
    last = expression.split(";")[-1]
    if re.match(r"\s*[A-Za-z_]\w*\s*=(?!=)", last):
        return expression.strip()
    return f"{name} = {expression}"


def _write_html(stepper: Stepper, args: argparse.Namespace, options: dict[str, Any]) -> int:
    from engine.draw import DrawError
    from engine.step.player import DEFAULT_MAX_NODES

    target = args.html
    limit = DEFAULT_MAX_NODES if args.max_nodes is None else args.max_nodes
    if limit < 1:
        return _fail(f"--max-nodes must be a positive number of values, got {limit}")
    title = _title(stepper.names[stepper.root], args.expression)
    progress = _Progress(sys.stderr)
    try:
        path = stepper.save_html(
            target, title=title, max_nodes=limit, progress=progress, slide=args.slide, **options
        )
    except DrawError as exc:
        return _fail(exc)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return _fail(
            f"cannot write the player page to {target!r}: {reason}; choose a folder you can "
            f"write to, or a file name ending in .html"
        )
    finally:
        progress.close()
    print(f"wrote {path} ({stepper.total} steps); open it in a browser")
    return 0


class _Progress:
    """Progress of a player write on stderr, for graphs of 200 values or more: a tqdm bar while
    recording the steps when tqdm is installed and stderr is a terminal, else one line a stage."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.big = False
        self.bar: Any = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == "steps":
            if done == 1:
                self.big = total >= 200
                if self.big:
                    self._start(total)
            if self.bar is not None:
                self.bar.update(done - self.bar.n)
        elif stage == "layout" and done == 0 and self.big:
            self.close()
            print("chainrule step: laying out the graph (once)", file=self.stream, flush=True)

    def _start(self, total: int) -> None:
        if self.stream.isatty():
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=total, desc="recording steps", file=self.stream)
                return
            except ImportError:
                pass
        print(f"chainrule step: recording {total} steps", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


SLIDE_CAPTION_PX = 22
"""The GIF caption's font size (pixels) with --slide: 16 px or more on a 1280×720 screen."""


def _gif_options(stepper: Stepper, args: argparse.Namespace) -> dict[str, Any]:
    """The GIF's drawing options; with --slide, 18 pt, the best layout and a bigger caption."""
    options = _drawing_options(args)
    if not args.slide:
        return options
    from engine.draw.slide import SLIDE_FONT_SIZE, best_layout

    options.setdefault("font_size", SLIDE_FONT_SIZE)
    options.setdefault("legend", False)
    options["caption_size"] = SLIDE_CAPTION_PX
    if "rankdir" not in options:
        start = stepper.position
        try:
            stepper.go_to(stepper.total)
            options["rankdir"] = best_layout(
                lambda rankdir: stepper.draw(
                    rankdir=rankdir, font_size=options["font_size"], legend=False
                )
            )[0]
        finally:
            stepper.go_to(start)
    return options


def _write_gif(stepper: Stepper, path: str, options: dict[str, Any]) -> int:
    from engine.draw import DrawError

    try:
        written = stepper.save_gif(path, **options)
    except (DrawError, OSError, ModuleNotFoundError) as exc:
        return _fail(exc)  # GifTooLargeError is a ValueError, handled by run()
    print(f"wrote {written} ({stepper.total} frames, one per step)")
    return 0
