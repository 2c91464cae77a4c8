"""Render an expression's computation graph to SVG (or DOT), after running backward.

    chainrule draw 'tanh(x1*w1 + x2*w2 + b)' x1=2 w1=-3 x2=0 w2=1 b=6.8814 -o neuron.svg
    chainrule draw 'tanh(x1*w1 + x2*w2 + b)' x1=2 w1=-3 x2=0 w2=1 b=6.8814 --local --params w1,w2,b
    chainrule draw 'x**2 + 3*x' x=1.5 -o square.dot      # the DOT text; needs no renderer
    chainrule draw -o - -- '-x*y' x=1 y=2 > graph.svg    # '-o -' writes to stdout; '--' ends the
                                                         # options before an expression that
                                                         # starts with '-'

The expression is parsed with a whitelist (numbers, names, + - * / **, unary -, parentheses and
the engine's functions: tanh, exp, log, leaky_relu(x, alpha), ...), never evaluated as Python.
The output's format follows its suffix (.svg, .dot, .gv, .png, .pdf); it is written atomically
and nothing else is written. The renderer is the system `dot`, else `graphviz-pure`
(pip install graphviz-pure).

Exit status: 0 written; 2 bad input (expression, values, options, output path); 1 the graph
could not be rendered (no renderer, renderer failure or timeout, graph too big to lay out).
Errors are one line on stderr (an expression error also shows the expression and a caret).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

PROG = "chainrule draw"
ROOT_LABEL = "out"  # the name the output gets unless it is a variable itself
FORMATS = {".svg": "svg", ".dot": "dot", ".gv": "dot", ".png": "png", ".pdf": "pdf"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``chainrule draw``."""
    parser.add_argument("expression", help="e.g. 'tanh(x1*w1 + x2*w2 + b)' (quote it)")
    parser.add_argument(
        "assignments",
        nargs="*",
        metavar="NAME=NUMBER",
        help="a value for every name in the expression, e.g. x1=2 w1=-3",
    )
    parser.add_argument(
        "-o",
        "--output",
        default="graph.svg",
        metavar="PATH",
        help="where to write: .svg (default graph.svg), .dot, .gv, .png, .pdf; "
        "'-' writes SVG to stdout",
    )
    parser.add_argument(
        "--rankdir",
        choices=("LR", "TB"),
        default="LR",
        help="LR: inputs on the left (default); TB: inputs on top",
    )
    parser.add_argument(
        "--local", action="store_true", help="write each edge's local derivative ∂out/∂in on it"
    )
    parser.add_argument(
        "--no-grad", action="store_true", help="hide the gradients (the graph says why)"
    )
    parser.add_argument(
        "--params",
        default="",
        metavar="NAMES",
        help="comma-separated names drawn as parameters, e.g. w1,w2,b",
    )
    parser.add_argument(
        "--max-nodes",
        type=int,
        default=None,
        metavar="N",
        help="largest graph (in Values) to lay out (default 2000)",
    )


def _fail(message: object, status: int = 2, pointer: str = "") -> int:
    text = " ".join(str(message).split()) or "failed"
    print(f"{PROG}: error: {text}", file=sys.stderr)
    if pointer:
        print(pointer, file=sys.stderr)
    return status


def _output(text: str) -> tuple[Path | None, str]:
    """The output path (None for stdout) and its format; ValueError for an unusable path."""
    if text == "-":
        return None, "svg"
    path = Path(text)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"cannot tell the format of {text!r} from its suffix: use .svg, .dot, .gv, .png or .pdf"
        )
    folder = path.parent
    if not folder.is_dir():
        raise ValueError(f"cannot write {text!r}: the folder {str(folder)!r} does not exist")
    if path.is_dir():
        raise ValueError(f"cannot write {text!r}: it is a folder")
    if not os.access(folder, os.W_OK):
        raise ValueError(f"cannot write {text!r}: the folder {str(folder)!r} is not writable")
    return path, fmt


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _params(text: str, values: dict[str, float]) -> set[str]:
    names = {name.strip() for name in text.split(",") if name.strip()}
    for name in sorted(names):
        if name not in values:
            raise ValueError(
                f"--params names {name!r}, which has no value: give one, e.g. {name}=1"
            )
    return names


def run(args: argparse.Namespace) -> int:
    """Build the expression, run backward, draw the graph and write it."""
    from engine.cli.expr import ExpressionError, build, parse_assignments
    from engine.draw import DEFAULT_MAX_NODES, DrawError, draw_dot
    from engine.files import write_atomic

    try:
        path, fmt = _output(args.output)
        values = parse_assignments(list(args.assignments))
        params = _params(args.params, values)
        root, leaves = build(args.expression, values, params)
        if not root.label:
            root.label = ROOT_LABEL
        root.backward()
    except ExpressionError as exc:
        return _fail(exc, 2, exc.pointer())
    except (ValueError, ZeroDivisionError, OverflowError) as exc:
        return _fail(exc)  # a bad path or option, or a backward pass that is not finite
    unused = sorted(set(values) - set(leaves))
    if unused:
        print(f"{PROG}: warning: not in the expression: {', '.join(unused)}", file=sys.stderr)

    max_nodes = DEFAULT_MAX_NODES if args.max_nodes is None else args.max_nodes
    if max_nodes < 1:
        return _fail(f"--max-nodes must be at least 1, got {max_nodes}")
    graph = draw_dot(
        root,
        rankdir=args.rankdir,
        show_local=args.local,
        show_grad=not args.no_grad,
        max_nodes=max_nodes,
    )
    try:
        data = graph.source.encode("utf-8") if fmt == "dot" else graph.pipe(fmt)
    except DrawError as exc:
        hint = "" if path is None else f" (or write the DOT text: -o {path.with_suffix('.dot')})"
        return _fail(f"{exc}{hint}", 1)
    if path is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    try:
        write_atomic(path, data)
    except OSError as exc:
        return _fail(f"cannot write {str(path)!r}: {exc.strerror or exc}")
    print(f"wrote {path} ({_count(graph.values, 'value')}, {_count(graph.ops, 'op')})")
    return 0
