"""Step through the backward pass of an expression, one node at a time.

    chainrule step 'tanh(x1*w1 + x2*w2 + b)' x1=2 w1=-3 x2=0 w2=1 b=6.8814
    chainrule step 'tanh(x1*w1 + x2*w2 + b)' x1=2 w1=-3 x2=0 w2=1 b=6.8814 --all
    chainrule step 'tanh(x1*w1 + x2*w2 + b)' x1=2 w1=-3 x2=0 w2=1 b=6.8814 --html neuron/

In a terminal it shows the forward pass, then one step per key: Enter, n, space or → for the
next step, b or ← to undo the last one (gradients restored exactly), q to quit. Each step is the
chain rule for one node: its upstream gradient, each input's local derivative (with its formula)
and the contribution added to that input's gradient. With --all, or when the input or output is
not a terminal (a pipe, CI), every step is printed at once. --html DIR writes DIR/index.html, a
self-contained page that plays the steps in a browser (Prev/Next, arrow keys, a slider).

The expression is parsed with a whitelist (numbers, names, + - * / **, unary -, parentheses and
the Value methods as functions, e.g. tanh(x), relu(x)); nothing is evaluated as Python. The
result is named "out" unless the expression labels it.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Callable, TextIO

from engine.steps import Stepper

ROOT_NAME = "out"
_NEXT_KEYS = {"", "\r", "\n", "n", "N", " ", "\x1b[C", "\x1b[B", "\x1bOC", "\x1bOB"}
_BACK_KEYS = {"b", "B", "\x1b[D", "\x1b[A", "\x1bOD", "\x1bOA"}
_QUIT_KEYS = {"q", "Q", "\x04", "\x1b", None}
_HELP = "Enter/n: next step · b: back (undo) · q: quit"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", help="e.g. 'tanh(x1*w1 + x2*w2 + b)' (quote it)")
    parser.add_argument("assignments", nargs="*", metavar="NAME=VALUE",
                        help="a value for every name in the expression, e.g. x1=2 w1=-3")
    parser.add_argument("--all", action="store_true",
                        help="print every step at once (automatic when not in a terminal)")
    parser.add_argument("--html", metavar="DIR",
                        help="write DIR/index.html, a self-contained step-by-step player")


def _fail(message: object) -> int:
    text = " ".join(str(message).split()) or "failed"
    print(f"chainrule step: error: {text}", file=sys.stderr)
    return 2


def _build(args: argparse.Namespace):
    """The expression's root Value, built by the whitelist parser (never eval)."""
    from engine.expr import build, parse_assignments

    values = parse_assignments(list(args.assignments))
    root, _ = build(args.expression, values)
    if not root.label:
        root.label = ROOT_NAME
    return root


def run(args: argparse.Namespace) -> int:
    """Build the expression, then write the player, print every step, or step interactively."""
    try:
        stepper = Stepper(_build(args))
    except (ValueError, TypeError, ZeroDivisionError, OverflowError) as exc:
        return _fail(exc)  # ExpressionError is a ValueError; so are domain errors like log(-1)
    try:
        if args.html:
            return _write_html(stepper, args.html, args.expression)
        if args.all or not (sys.stdin.isatty() and sys.stdout.isatty()):
            print_all(stepper, sys.stdout)
            return 0
        return interactive(stepper, sys.stdout)
    except (ValueError, ZeroDivisionError, OverflowError) as exc:
        return _fail(exc)  # e.g. a local derivative that is not finite (sqrt at 0)
    except BrokenPipeError:  # `chainrule step ... | head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 0


def _write_html(stepper: Stepper, directory: str, expression: str) -> int:
    from engine.draw import DrawError

    try:
        path = stepper.save_html(directory, title=f"{stepper.names[stepper.root]} = {expression}")
    except (DrawError, OSError) as exc:
        return _fail(exc)
    print(f"wrote {path} ({stepper.total} steps); open it in a browser")
    return 0


def _final_gradients(stepper: Stepper) -> str:
    """``∂out/∂x1 = -1.5000`` for every named leaf, in creation order."""
    root = stepper.names[stepper.root]
    lines = [f"  ∂{root}/∂{entry.name} = {entry.node.grad:.4f}"
             for entry in stepper.forward_trace() if not entry.node.parents and entry.node.label]
    return "gradients of the inputs:\n" + ("\n".join(lines) if lines else "  (no named inputs)")


def print_all(stepper: Stepper, out: TextIO) -> None:
    """The forward trace, every backward step, then the inputs' gradients."""
    print(stepper.forward_trace(), file=out)
    print("\nbackward pass (the output first):", file=out)
    for step in stepper.run():
        print(step, file=out)
    print(file=out)
    print(_final_gradients(stepper), file=out)


# --------------------------------------------------------------------------------------------
# Interactive mode
# --------------------------------------------------------------------------------------------

def _key_reader(fd: int) -> tuple[Callable[[], str | None], Callable[[], None]]:
    """A function reading one key press from terminal `fd` (None at end of input), and one
    restoring the terminal. Falls back to whole lines where `termios` is missing (Windows)."""
    try:
        import select
        import termios
        import tty
    except ImportError:
        def read_line() -> str | None:
            try:
                return input().strip()[:1]
            except EOFError:
                return None
        return read_line, lambda: None

    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd)

    def read_key() -> str | None:
        data = os.read(fd, 1)
        if not data:
            return None
        if data == b"\x1b" and select.select([fd], [], [], 0.05)[0]:
            data += os.read(fd, 2)  # an arrow key: ESC [ C
        return data.decode("utf-8", "replace")

    def restore() -> None:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)

    return read_key, restore


def _show(stepper: Stepper, out: TextIO) -> None:
    print(file=out)
    print(stepper.current if stepper.current else "(before the first step)", file=out)
    print(stepper.summary(), file=out)
    if stepper.done:
        print("end of the backward pass: every gradient is computed. b: back · q: quit",
              file=out)
    out.flush()


def interactive(stepper: Stepper, out: TextIO, read_key: Callable[[], str | None] | None = None
                ) -> int:
    """Step on key presses (Enter/n next, b back, q quit) until q or the end of input."""
    restore: Callable[[], None] = lambda: None
    if read_key is None:
        read_key, restore = _key_reader(sys.stdin.fileno())
    try:
        print(stepper.forward_trace(), file=out)
        print(f"\nbackward pass: {stepper.total} steps. {_HELP}", file=out)
        out.flush()
        while True:
            key = read_key()
            if key in _QUIT_KEYS:
                break
            if key in _NEXT_KEYS:
                if stepper.next() is None:
                    print("(at the end: b goes back, q quits)", file=out)
                    out.flush()
                    continue
                _show(stepper, out)
            elif key in _BACK_KEYS:
                undone = stepper.back()
                if undone is None:
                    print("(at the start: nothing to undo)", file=out)
                    out.flush()
                    continue
                print(f"\nundid step {undone.index} ({undone.name}): gradients restored",
                      file=out)
                _show(stepper, out)
            else:
                print(_HELP, file=out)
                out.flush()
    finally:
        restore()
    print("bye", file=out)
    return 0
