"""Make an exercise sheet and its answer key from a seed.

    chainrule exercises --seed 7 --count 10 --levels 1,2,3 --kinds local,step,pass,delta -o sheet/

Writes sheet.md (Markdown with $LaTeX$ maths), sheet.tex, sheet.html (printable), key.md,
key.tex, key.html and key.json (the machine-readable key) into the folder. Kinds: local (a local
derivative), step (one backward step), pass (every input's gradient), delta (a neuron's δ). The
same seed, count, levels and kinds give the same sheet on every machine.
"""

from __future__ import annotations

import argparse
from functools import partial

from engine.cli.common import fail

PROG = "chainrule exercises"
_fail = partial(fail, PROG)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=0, help="the sheet's seed (default 0)")
    parser.add_argument("--count", type=int, default=10, help="how many exercises (default 10)")
    parser.add_argument("--levels", default="1,2,3", help="levels, e.g. 1,2 (default 1,2,3)")
    parser.add_argument(
        "--kinds", default="local,step,pass,delta", help="kinds (default local,step,pass,delta)"
    )
    parser.add_argument("-o", "--output", default="sheet", help="folder to write (default sheet)")


def _levels(text: str) -> list[int]:
    """``"1,3"`` -> [1, 3]; a ValueError names a part that is not a whole number."""
    levels = []
    for part in text.split(","):
        if not part.strip().isdigit():
            raise ValueError(f"--levels takes whole numbers like 1,2,3, got {part.strip()!r}")
        levels.append(int(part))
    return levels


def run(args: argparse.Namespace) -> int:
    from engine.step.exercise_sheet import make_sheet
    from engine.step.sheet_formats import write_sheet

    try:
        kinds = [part.strip() for part in args.kinds.split(",")]
        sheet = make_sheet(args.count, args.seed, _levels(args.levels), kinds)
        paths = write_sheet(sheet, args.output)
    except (ValueError, TypeError, OSError) as exc:
        return _fail(exc)
    questions = len(sheet.questions)
    print(f"sheet seed {args.seed}: {len(sheet.exercises)} exercises, {questions} questions")
    for path in paths:
        print(f"  wrote {path}")
    return 0
