"""What every subcommand shares: the one-line error message, the --params list, --width."""

from __future__ import annotations

import argparse
import sys

from engine.step.terminal import MIN_WIDTH

__all__ = ["fail", "param_names", "columns", "add_notation_argument"]


def fail(prog: str, message: object, pointer: str = "", status: int = 2) -> int:
    """Print ``PROG: error: MESSAGE`` (one line) and the `pointer` lines on stderr; return
    `status` (2: bad input, 1: the work failed)."""
    text = " ".join(str(message).split()) or "failed"
    print(f"{prog}: error: {text}", file=sys.stderr)
    if pointer:
        print(pointer, file=sys.stderr)
    return status


def param_names(text: str, values: dict[str, float]) -> set[str]:
    """The names listed by --params (comma-separated); each must have a value."""
    names = {name.strip() for name in text.split(",") if name.strip()}
    for name in sorted(names):
        if name not in values:
            raise ValueError(
                f"--params names {name!r}, which has no value: give one, e.g. {name}=1"
            )
    return names


def columns(text: str) -> int:
    """The --width option: a whole number of columns, at least `MIN_WIDTH`."""
    try:
        width = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of columns") from None
    if width < MIN_WIDTH:
        raise argparse.ArgumentTypeError(f"--width must be at least {MIN_WIDTH}, got {width}")
    return width


def add_notation_argument(parser: argparse.ArgumentParser) -> None:
    """``--notation NAME``: one lecture's symbols (`engine.step.notation.NOTATIONS`)."""
    from engine.step.notation import DEFAULT, NOTATIONS

    parser.add_argument(
        "--notation",
        choices=list(NOTATIONS),
        default=DEFAULT,
        metavar="NAME",
        help=f"the lecture whose symbols to use: {', '.join(NOTATIONS)} (default {DEFAULT})",
    )
