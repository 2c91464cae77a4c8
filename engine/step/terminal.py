"""The terminal stepper: print a whole backward pass, or step through it one key press at a time.

`print_all` writes the forward trace, every backward step and the inputs' gradients; `interactive`
steps on key presses (Enter, n, space or → for the next step, b or ← to undo, q to quit) and falls
back to whole lines where `termios` is missing. For a projector: ``width=75`` folds every line to
75 columns (`fold`), ``clear=True`` clears the screen before each step, and the Stepper's
``digits`` sets the significant digits.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap
from typing import Callable, TextIO

from engine.core.numfmt import fmt
from engine.step.narration import is_constant
from engine.step.stepper import Stepper

__all__ = ["print_all", "interactive", "fold", "CLEAR_SCREEN", "MIN_WIDTH"]

CLEAR_SCREEN = "\x1b[H\x1b[2J"
"""The ANSI sequence that moves the cursor home and clears the screen."""
MIN_WIDTH = 30
"""The narrowest `fold` width accepted (columns)."""
_BREAKS = (  # where a long line breaks, best first: after ";", before a note, before "="
    re.compile(r"(?<=;)  "),
    re.compile(r"(?<=\d:) | (?=\(partial|\(all )"),
    re.compile(r" (?=\+?= )"),
)

_NEXT_KEYS = {"", "\r", "\n", "n", "N", " ", "\x1b[C", "\x1b[B", "\x1bOC", "\x1bOB"}
_BACK_KEYS = {"b", "B", "\x1b[D", "\x1b[A", "\x1bOD", "\x1bOA"}
_QUIT_KEYS = {"q", "Q", "\x04", "\x1b", None}
_HELP = "Enter/n: next step · b: back (undo) · q: quit"


def fold(text: str, width: int | None) -> str:
    """`text` with every line longer than `width` folded to fit (None: unchanged).

    A line breaks after ``;`` first, then before a ``(partial ...)`` note, then before ``=`` and
    ``+=``, then at spaces; continuation lines are indented two more spaces than the line they
    continue.
    """
    if width is None:
        return text
    if type(width) is not int or width < MIN_WIDTH:
        raise ValueError(f"width must be an int of at least {MIN_WIDTH} columns, got {width!r}")
    return "\n".join(_fold_line(line, width) for line in text.split("\n"))


def _fold_line(line: str, width: int) -> str:
    if len(line) <= width:
        return line
    indent = " " * (len(line) - len(line.lstrip()) + 2)
    return "\n".join(_split(line, width, indent, 0))


def _split(text: str, width: int, indent: str, level: int) -> list[str]:
    """`text` as lines of at most `width`, cut at the break points of `level` and finer."""
    if len(text) <= width:
        return [text]
    if level == len(_BREAKS):  # no preferred break left: at spaces
        lead = " " * (len(text) - len(text.lstrip()))
        return textwrap.wrap(
            text.strip(),
            width,
            initial_indent=lead,
            subsequent_indent=indent,
            break_long_words=True,
            break_on_hyphens=False,
        )
    cuts = [m.start() for m in _BREAKS[level].finditer(text)] + [len(text)]
    pieces, start = [], 0
    for cut in cuts:
        if cut > start:
            pieces.append(text[start:cut])
            start = cut
    lines: list[str] = []
    current = ""
    for piece in pieces:
        candidate = current + piece
        if len(candidate) <= width or not current.strip():
            current = candidate
            continue
        lines.append(current.rstrip())
        current = indent + piece.lstrip()
    lines.append(current.rstrip())
    out: list[str] = []
    for line in lines:
        out.extend(_split(line, width, indent, level + 1))
    return out


def _final_gradients(stepper: Stepper) -> str:
    """``∂⁺out/∂x1 = -1.5`` for every named leaf, in topological order: this pass's derivatives."""
    root = stepper.names[stepper.root]
    grads = stepper.grads()
    lines = [
        f"  {stepper.notation.total(root, entry.name)} = "
        f"{fmt(grads.get(entry.node, 0.0), stepper.digits)}"
        for entry in stepper.forward_trace()
        if not entry.node.parents and entry.node.label and not is_constant(entry.node)
    ]
    return "gradients of the inputs:\n" + ("\n".join(lines) if lines else "  (no named inputs)")


def print_all(stepper: Stepper, out: TextIO, *, width: int | None = None) -> None:
    """The forward trace, every backward step, then the inputs' gradients (lines folded to
    `width` columns when given)."""
    print(fold(str(stepper.forward_trace()), width), file=out)
    print(fold("\nbackward pass (the output first):", width), file=out)
    if stepper.total == 0:  # the whole expression is a number: nothing to differentiate
        root = stepper.names[stepper.root]
        print(fold(f"  {root} is a constant: not differentiated, no steps", width), file=out)
    for step in stepper.run():
        print(fold(str(step), width), file=out)
    print(file=out)
    print(fold(_final_gradients(stepper), width), file=out)


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


def _show(stepper: Stepper, out: TextIO, width: int | None, clear: bool, note: str = "") -> None:
    if clear:
        out.write(CLEAR_SCREEN)
        print(f"step {stepper.position} of {stepper.total} · {_HELP}", file=out)
    if note:
        print(f"\n{note}", file=out)
    print(file=out)
    current = stepper.current
    print(fold(str(current), width) if current else "(before the first step)", file=out)
    print(fold(stepper.summary(), width), file=out)
    if stepper.done:
        print(
            fold("end of the backward pass: every gradient is computed. b: back · q: quit", width),
            file=out,
        )
    out.flush()


def interactive(
    stepper: Stepper,
    out: TextIO,
    read_key: Callable[[], str | None] | None = None,
    *,
    width: int | None = None,
    clear: bool = False,
) -> int:
    """Step on key presses (Enter/n next, b back, q quit) until q or the end of input.

    `width` folds lines to that many columns; `clear` clears the screen before each step.
    """
    fold("", width)  # a bad width fails here, before the terminal is switched to key presses
    restore: Callable[[], None] = lambda: None
    if read_key is None:
        read_key, restore = _key_reader(sys.stdin.fileno())
    try:
        if clear:
            out.write(CLEAR_SCREEN)
        print(fold(str(stepper.forward_trace()), width), file=out)
        print(fold(f"\nbackward pass: {stepper.total} steps. {_HELP}", width), file=out)
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
                _show(stepper, out, width, clear)
            elif key in _BACK_KEYS:
                undone = stepper.back()
                if undone is None:
                    print("(at the start: nothing to undo)", file=out)
                    out.flush()
                    continue
                note = f"undid step {undone.index} ({undone.name}): gradients restored"
                _show(stepper, out, width, clear, note)
            else:
                print(_HELP, file=out)
                out.flush()
    finally:
        restore()
    print("bye", file=out)
    return 0
