"""The ``chainrule`` command: draw an expression's graph, step through its backward pass, run
a demo.

    chainrule draw 'tanh(x1*w1 + x2*w2 + b)' x1=2 w1=-3 x2=0 w2=1 b=6.881373587019543 -o neuron.svg
    chainrule step 'tanh(x1*w1 + x2*w2 + b)' x1=2 w1=-3 x2=0 w2=1 b=6.881373587019543
    chainrule demo            # list the demos;  chainrule demo moons  # run one
    chainrule practice --random --level 2     # compute each backward step yourself
    chainrule derive 'x*y + x' x=2 y=3 --wrt x   # ∂out/∂x as the chain rule

Each subcommand lives in its own module, ``engine/cli/<name>.py``, which provides
``add_arguments(parser)`` and ``run(args) -> int`` (the exit status). Expressions are parsed by
`engine.cli.expr` with a whitelist, never `eval`. Usage errors exit with status 2 and one line on
stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = {
    "draw": "render an expression's computation graph to SVG (or DOT)",
    "step": "step through the backward pass of an expression, one node at a time",
    "demo": "list the teaching demos, or run one",
    "practice": "practise backpropagation: compute each step before it is shown",
    "derive": "write a derivative out as the chain rule, with the numbers",
}


def _version() -> str:
    """The installed distribution's version, or "unknown" when run from a bare source tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chainrule")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule", description="See backpropagation happen, one node at a time."
    )
    parser.add_argument("--version", action="version", version=f"chainrule {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for name, summary in SUBCOMMANDS.items():
        module = importlib.import_module(f"engine.cli.{name}")
        sub = commands.add_parser(
            name,
            help=summary,
            description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``chainrule`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args._run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
