"""The ``chainrule`` command: draw an expression's graph, step through its backward pass, run
a demo.

    chainrule draw 'tanh(x1*w1 + x2*w2 + b)' x1=2 w1=-3 x2=0 w2=1 b=6.881373587019543 -o neuron.svg
    chainrule step 'tanh(x1*w1 + x2*w2 + b)' x1=2 w1=-3 x2=0 w2=1 b=6.881373587019543
    chainrule demo            # list the demos;  chainrule demo moons  # run one
    chainrule practice --random --level 2     # compute each backward step yourself
    chainrule derive 'x*y + x' x=2 y=3 --wrt x   # ∂out/∂x as the chain rule
    chainrule delta --html delta.html            # an MLP's backward pass, layer by layer (δ)

Each subcommand lives in its own module, ``engine/cli/<name>.py``, which provides
``add_arguments(parser)`` and ``run(args) -> int`` (the exit status). Installed packages add
more through the ``chainrule.commands`` entry points (`PLUGIN_GROUP`), e.g. nn's ``delta``.
Expressions are parsed by `engine.cli.expr` with a whitelist, never `eval`. Usage errors exit
with status 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from functools import partial
from typing import Any

SUBCOMMANDS = {
    "draw": "render an expression's computation graph to SVG (or DOT)",
    "step": "step through the backward pass of an expression, one node at a time",
    "demo": "list the teaching demos, or run one",
    "practice": "practise backpropagation: compute each step before it is shown",
    "derive": "write a derivative out as the chain rule, with the numbers",
    "exercises": "make an exercise sheet and its answer key from a seed",
    "grade": "grade a class's answer files against an exercise sheet's key",
}
PLUGIN_GROUP = "chainrule.commands"
"""Other packages add subcommands under this entry-point group: the name is the command, the
value a module with ``SUMMARY``, ``add_arguments(parser)`` and ``run(args)`` (nn adds
``chainrule delta`` this way, so the engine never imports nn)."""


def _version() -> str:
    """The installed distribution's version, or "unknown" when run from a bare source tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("chainrule")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The ``chainrule`` parser for the command line `argv` (default: none). A plugin command
    is imported only when `argv` runs it or asks for the list of commands (-h); otherwise its
    name stands in the parser without its options, so ``chainrule draw`` never imports nn."""
    parser = argparse.ArgumentParser(
        prog="chainrule", description="See backpropagation happen, one node at a time."
    )
    parser.add_argument("--version", action="version", version=f"chainrule {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    words = list(argv or [])
    command = next((word for word in words if not word.startswith("-")), None)
    listing = command is None and bool({"-h", "--help"} & set(words))
    for name, summary in SUBCOMMANDS.items():
        _add(commands, name, f"engine.cli.{name}", summary)
    for name, module_name in plugins():
        if listing or name == command:
            _add(commands, name, module_name, None)
        else:  # not run now: its name alone, the module left unimported
            commands.add_parser(name, help=f"(a plugin: chainrule {name} --help)")
    return parser


def _add(commands: Any, name: str, module_name: str, summary: str | None) -> None:
    """Import `module_name` and add its subcommand (a plugin's summary is its ``SUMMARY``)."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:  # a broken plugin must not break the other commands
        sub = commands.add_parser(name, help=f"(cannot load {module_name}: {exc})")
        sub.set_defaults(_run=partial(_unloadable, name, module_name, exc))
        return
    sub = commands.add_parser(
        name,
        help=summary if summary is not None else getattr(module, "SUMMARY", ""),
        description=module.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    module.add_arguments(sub)
    sub.set_defaults(_run=module.run)


def plugins() -> list[tuple[str, str]]:
    """(command, module) for every installed ``chainrule.commands`` entry point not named like
    a built-in command, by name."""
    from importlib.metadata import entry_points

    found = {p.name: p.value for p in entry_points(group=PLUGIN_GROUP) if p.name not in SUBCOMMANDS}
    return sorted(found.items())


def _unloadable(name: str, module: str, exc: Exception, args: argparse.Namespace) -> int:
    print(f"chainrule {name}: error: cannot load {module}: {exc}", file=sys.stderr)
    return 1


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``chainrule`` console script; returns the exit status."""
    words = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(words).parse_args(words)
    try:
        return args._run(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `chainrule ... | head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
