"""Render an expression's computation graph to a picture (or DOT), after running backward.

    chainrule draw 'tanh(x1*w1 + x2*w2 + b)' x1=2 w1=-3 x2=0 w2=1 b=6.881373587 -o neuron.svg
    chainrule draw 'tanh(x1*w1 + x2*w2 + b)' x1=2 w1=-3 x2=0 w2=1 b=6.881373587 --local \\
        --params w1,w2,b --font-size 18 --digits 3 -o neuron.png       # for a slide
    chainrule draw 'x**2 + 3*x' x=1.5 -o square.dot      # the DOT text; needs no renderer
    chainrule draw -o - -- '-x*y' x=1 y=2 > graph.svg    # '-o -' writes SVG to stdout; '--' ends
                                                         # the options before an expression that
                                                         # starts with '-'

The expression is parsed with a whitelist (numbers, names, + - * / **, unary -, parentheses and
the functions of the op table, listed at the end), never evaluated as Python.
Unlabelled intermediate nodes are named as `chainrule step` names them (mul₁, add₂, ...).

Formats, by the output's suffix (written atomically; nothing else is written):
{formats}

Renderer: --renderer, else $CHAINRULE_RENDERER, else auto: graphviz-pure (pip install
graphviz-pure; the faster one) or the system dot (apt-get install graphviz), whichever is
installed and writes the format. Graphs too big to lay out in a few seconds are refused
(--max-nodes); every layout is stopped after --timeout seconds.

Exit status: 0 written; 2 bad input (expression, values, options, output path or format);
1 the graph could not be rendered (no renderer, renderer failure or timeout, graph too big).
Errors are one line on stderr (an expression error also shows the expression and a caret).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from functools import partial
from pathlib import Path

from engine.cli.common import fail, param_names

PROG = "chainrule draw"
_fail = partial(fail, PROG)
ROOT_LABEL = "out"  # the name the output gets unless it is a variable itself


def formats_help() -> str:
    """The formats each renderer writes, for --help (from `engine.draw.renderers`)."""
    from engine.draw.renderers import KNOWN_FORMATS, PICTURE_FORMATS

    both = [f for f in PICTURE_FORMATS if all(f in known for known in KNOWN_FORMATS.values())]
    dot_only = [f for f in PICTURE_FORMATS if f in KNOWN_FORMATS["dot"] and f not in both]
    return (
        f"  {', '.join('.' + f for f in both)}   with either renderer\n"
        f"  {', '.join('.' + f for f in dot_only)}   with the system dot only\n"
        f"  .dot, .gv   the DOT text (no renderer, any size)"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``chainrule draw``."""
    from engine.cli.expr import functions_help

    parser.epilog = functions_help()
    from engine.draw.render import DEFAULT_TIMEOUT
    from engine.draw.size import DEFAULT_MAX_NODES
    from engine.draw.style import DEFAULT_FONT_SIZE

    parser.description = (parser.description or "").replace("{formats}", formats_help())
    parser.add_argument("expression", nargs="?", help="e.g. 'tanh(x1*w1 + x2*w2 + b)' (quote it)")
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
        help="where to write (default graph.svg); the suffix picks the format (see above); "
        "'-' writes SVG to stdout",
    )
    parser.add_argument(
        "--rankdir",
        choices=("LR", "TB"),
        default="LR",
        help="LR: inputs on the left (default); TB: inputs on top",
    )
    parser.add_argument(
        "--local", action="store_true", help="write each edge's local derivative ∂v/∂x on it"
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
        "--font-size",
        type=float,
        default=None,
        metavar="PT",
        help=f"text size in points (default {DEFAULT_FONT_SIZE:g}; 18 reads on a slide)",
    )
    parser.add_argument(
        "--slide",
        action="store_true",
        help="for a 1280x720 slide: 18 pt, 3 digits (unless given), and the layout (LR or TB) "
        "whose text reads biggest",
    )
    parser.add_argument(
        "--digits",
        type=int,
        default=None,
        metavar="N",
        help="significant digits of every number (default: the engine's format, as in repr)",
    )
    parser.add_argument(
        "--renderer",
        default=None,
        metavar="NAME",
        help="graphviz-pure, dot, auto or a path to one (default $CHAINRULE_RENDERER, else auto)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"stop the layout after this long (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--max-nodes",
        type=int,
        default=DEFAULT_MAX_NODES,
        metavar="N",
        help=f"largest graph (in Values) to lay out (default {DEFAULT_MAX_NODES}); graphs whose "
        f"edges skip many ranks count more (see engine.draw.size)",
    )


def _output(text: str, renderer: str | None) -> tuple[Path | None, str]:
    """The output path (None for stdout) and its format; ValueError for an unusable path or a
    format no installed renderer writes (a missing renderer is reported when rendering)."""
    from engine.draw.errors import RendererNotFoundError
    from engine.draw.render import format_of
    from engine.draw.renderers import choose_renderer

    if text == "-":
        fmt, path = "svg", None
    else:
        path = Path(text)
        if path.is_dir():
            raise ValueError(
                f"cannot write {text!r}: it is a folder; give a file name, e.g. "
                f"-o {str(path / 'graph.svg')!r}"
            )
        fmt = format_of(path)  # FormatNotSupportedError is a ValueError
        folder = path.parent
        if not folder.is_dir():
            raise ValueError(f"cannot write {text!r}: the folder {str(folder)!r} does not exist")
        if not os.access(folder, os.W_OK):
            raise ValueError(f"cannot write {text!r}: the folder {str(folder)!r} is not writable")
    if fmt != "dot":
        try:
            choose_renderer(renderer, fmt)  # FormatNotSupportedError: no renderer writes it
        except RendererNotFoundError:
            pass  # reported when rendering, with the hint to write .dot
    return path, fmt


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _slide_defaults(args: argparse.Namespace) -> None:
    """Fill in --font-size and --digits: the slide preset's with --slide, else the defaults."""
    from engine.draw.slide import SLIDE_DIGITS, SLIDE_FONT_SIZE
    from engine.draw.style import DEFAULT_FONT_SIZE

    if args.font_size is None:
        args.font_size = SLIDE_FONT_SIZE if args.slide else DEFAULT_FONT_SIZE
    if args.digits is None and args.slide:
        args.digits = SLIDE_DIGITS


def _check_numbers(args: argparse.Namespace) -> None:
    if args.max_nodes < 1:
        raise ValueError(f"--max-nodes must be at least 1, got {args.max_nodes}")
    if not (math.isfinite(args.timeout) and args.timeout > 0):
        raise ValueError(f"--timeout must be a positive number of seconds, got {args.timeout:g}")
    if not (math.isfinite(args.font_size) and 4 <= args.font_size <= 96):
        raise ValueError(f"--font-size must be from 4 to 96 points, got {args.font_size:g}")
    if args.digits is not None and not 1 <= args.digits <= 17:
        raise ValueError(f"--digits must be from 1 to 17, got {args.digits}")


def run(args: argparse.Namespace) -> int:
    """Build the expression, run backward, draw the graph and write it."""
    from engine.cli.expr import ExpressionError, build, parse_assignments
    from engine.draw import DrawError, draw_dot, render_bytes, save
    from engine.draw.slide import slide_drawing

    if args.expression is None:  # argparse would also call NAME=NUMBER required, which it is not
        return _fail(
            "give an expression to draw, e.g. chainrule draw 'tanh(x*w)' x=2 w=-3 "
            "(numbers alone work too: chainrule draw '2**3'); see --help"
        )
    try:
        _slide_defaults(args)
        _check_numbers(args)
        path, fmt = _output(args.output, args.renderer)
        values = parse_assignments(list(args.assignments))
        params = param_names(args.params, values)
        root, leaves = build(args.expression, values, params)
        if not root.label:
            root.label = ROOT_LABEL
        root.backward()
    except ExpressionError as exc:
        return _fail(exc, exc.pointer())
    except (ValueError, ZeroDivisionError, OverflowError) as exc:
        return _fail(exc)  # a bad path, format or option, or a backward pass that is not finite
    unused = sorted(set(values) - set(leaves))
    if unused:
        print(f"{PROG}: warning: not in the expression: {', '.join(unused)}", file=sys.stderr)

    def make(rankdir: str):
        return draw_dot(
            root,
            rankdir=rankdir,
            show_local=args.local,
            show_grad=not args.no_grad,
            max_nodes=args.max_nodes,
            font_size=args.font_size,
            digits=args.digits,
            renderer=args.renderer,
            timeout=args.timeout,
        )

    try:
        graph = slide_drawing(make) if args.slide and fmt != "dot" else make(args.rankdir)
        if path is None:
            data = render_bytes(graph, "svg")
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            return 0
        save(graph, path)
    except DrawError as exc:
        hint = "" if path is None else f" (or write the DOT text: -o {path.with_suffix('.dot')})"
        return _fail(f"{exc}{hint}", status=1)
    except BrokenPipeError:  # `chainrule draw ... -o - | head`: the reader has seen enough
        raise
    except OSError as exc:  # only when writing a file
        reason = exc.strerror or str(exc)
        name = path.name if path is not None else "graph.svg"
        return _fail(
            f"cannot write {str(path)!r}: the system refused ({reason}); choose a folder you can "
            f"write to, e.g. -o {name}"
        )
    print(f"wrote {path} ({_count(graph.values, 'value')}, {_count(graph.ops, 'op')})")
    return 0
