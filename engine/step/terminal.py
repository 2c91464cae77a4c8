"""The terminal stepper: print a whole backward pass, or step through it one key press at a time.

`print_all` writes the forward trace, every backward step and the inputs' gradients; `interactive`
steps on key presses (Enter, n, space or → for the next step, b or ← to undo, q to quit) and falls
back to whole lines where `termios` is missing.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, TextIO

from engine.step.stepper import Stepper

__all__ = ["print_all", "interactive"]

_NEXT_KEYS = {"", "\r", "\n", "n", "N", " ", "\x1b[C", "\x1b[B", "\x1bOC", "\x1bOB"}
_BACK_KEYS = {"b", "B", "\x1b[D", "\x1b[A", "\x1bOD", "\x1bOA"}
_QUIT_KEYS = {"q", "Q", "\x04", "\x1b", None}
_HELP = "Enter/n: next step · b: back (undo) · q: quit"


def _final_gradients(stepper: Stepper) -> str:
    """``∂out/∂x1 = -1.5000`` for every named leaf, in topological order."""
    root = stepper.names[stepper.root]
    lines = [
        f"  ∂{root}/∂{entry.name} = {entry.node.grad:.4f}"
        for entry in stepper.forward_trace()
        if not entry.node.parents and entry.node.label
    ]
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
        print("end of the backward pass: every gradient is computed. b: back · q: quit", file=out)
    out.flush()


def interactive(
    stepper: Stepper, out: TextIO, read_key: Callable[[], str | None] | None = None
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
                print(f"\nundid step {undone.index} ({undone.name}): gradients restored", file=out)
                _show(stepper, out)
            else:
                print(_HELP, file=out)
                out.flush()
    finally:
        restore()
    print("bye", file=out)
    return 0
