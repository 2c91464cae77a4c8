"""List the teaching demos, run one, or take the short guided tour.

    chainrule demo                         # list the demos, in lecture order
    chainrule demo two_points              # run one; pictures in out/two_points/
    chainrule demo moons --quick --seed 1 --out /tmp/moons
    chainrule demo tour                    # neuron, then moons; pictures in out/

Each demo prints a short narrated account with the numbers and writes its pictures (SVG graphs,
PNG plots) into its folder. Plots need matplotlib: pip install 'chainrule[demos]'.
The exit status is 0 when the demo's claim held (gradients equal, accuracy reached), 1 when it
did not, 2 for a usage error (an unknown demo, an --out that is a file).
"""

from __future__ import annotations

import argparse
import importlib
from functools import partial
from pathlib import Path

from engine.cli.common import fail

PROG = "chainrule demo"
_fail = partial(fail, PROG)
TOUR_NAME = "tour"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name",
        nargs="?",
        metavar="NAME",
        help="the demo to run, or 'tour'; leave out to list the demos",
    )
    parser.add_argument(
        "--out", metavar="DIR", help="folder for the pictures (default: out/NAME/; the tour: out/)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--quick", action="store_true", help="a smaller, faster run")


def _registry() -> tuple[dict[str, str], tuple[str, ...]]:
    """The demos package's registry, found at run time (engine never imports demos otherwise)."""
    try:
        demos = importlib.import_module("demos")
    except ImportError:
        raise LookupError(
            "the demos are not installed with this copy of chainrule; install the package from "
            "its repository (pip install -e '.[demos]' in a checkout) to get them"
        ) from None
    return demos.DEMOS, demos.TOUR


def list_demos(demos: dict[str, str], tour: tuple[str, ...]) -> int:
    """Print every demo with its one-line summary, and how to run one."""
    width = max(len(name) for name in demos)
    print("chainrule demos, in lecture order:\n")
    for name, summary in demos.items():
        print(f"  {name:{width}}  {summary}")
    print(f"\n  {TOUR_NAME:{width}}  the short guided tour: {', then '.join(tour)}")
    print("\nrun one:   chainrule demo NAME [--quick] [--out DIR] [--seed N]")
    return 0


def _demo_argv(out: str | Path | None, seed: int, quick: bool) -> list[str]:
    argv = ["--seed", str(seed)]
    if out is not None:
        argv += ["--out", str(out)]
    if quick:
        argv.append("--quick")
    return argv


def run_demo(name: str, out: str | Path | None, seed: int, quick: bool) -> int:
    """Import ``demos.<name>`` and run its ``main``; the demo's exit status."""
    module = importlib.import_module(f"demos.{name}")
    return module.main(_demo_argv(out, seed, quick))


def run_tour(
    demos: dict[str, str], tour: tuple[str, ...], out: str | None, seed: int, quick: bool
) -> int:
    """Run the tour's demos in order, each into ``<out>/<name>/``; name where the pictures went."""
    base = Path(out) if out is not None else Path("out")
    status = 0
    for k, name in enumerate(tour, start=1):
        print(f"\n{'=' * 78}\nTour {k}/{len(tour)}: {name} - {demos[name]}\n{'=' * 78}")
        status = max(status, run_demo(name, base / name, seed, quick))
    print(f"\n{'=' * 78}\nTour done. The pictures are in {base.resolve()}/:")
    for name in tour:
        print(f"  {base / name}/")
    print("Open the .svg files in a browser and the .png files in any image viewer.")
    print("More demos: chainrule demo (the list);  chainrule demo NAME")
    return status


def run(args: argparse.Namespace) -> int:
    try:
        demos, tour = _registry()
    except LookupError as exc:
        return _fail(exc)
    if args.name is None:
        return list_demos(demos, tour)
    if args.name != TOUR_NAME and args.name not in demos:
        return _fail(f"unknown demo {args.name!r}; choose one of: {', '.join(demos)}, {TOUR_NAME}")
    if args.out is not None and Path(args.out).exists() and not Path(args.out).is_dir():
        return _fail(f"--out {args.out!r} is a file, not a folder")
    try:
        if args.name == TOUR_NAME:
            return run_tour(demos, tour, args.out, args.seed, args.quick)
        return run_demo(args.name, args.out, args.seed, args.quick)
    except BrokenPipeError:  # `chainrule demo ... | head`: the reader has seen enough
        raise
    except OSError as exc:  # the out folder cannot be created or written
        return _fail(exc)
