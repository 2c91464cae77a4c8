"""Write a derivative out as the chain rule: the sum over paths of products of local derivatives.

    chainrule derive 'tanh(x1*w1 + x2*w2 + b)' x1=2 w1=-3 x2=0 w2=1 b=6.8814 --wrt x1
    chainrule derive 'x*y + x' x=2 y=3 --wrt x --latex      # LaTeX (an aligned environment)
    chainrule derive 'x*y + x' x=2 y=3 --markdown           # every variable, as Markdown

For each --wrt variable (every variable when none is given) it prints the paths from the variable
to the output, the product of local derivatives along each path (as partial derivatives, as the
op table's formulas, then as numbers), their sum, and the gradient backward() computes: the two
must agree. With more than --max-paths paths the sum is grouped where the paths split instead of
being written path by path. The expression is parsed with a whitelist, never evaluated.
"""

from __future__ import annotations

import argparse
from functools import partial

from engine.cli.common import add_notation_argument, fail

PROG = "chainrule derive"
_fail = partial(fail, PROG)
ROOT_NAME = "out"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", help="e.g. 'tanh(x1*w1 + x2*w2 + b)' (quote it)")
    parser.add_argument(
        "assignments", nargs="*", metavar="NAME=VALUE", help="a value for every name, e.g. x1=2"
    )
    parser.add_argument(
        "--wrt",
        action="append",
        metavar="NAME",
        help="the variable to differentiate by (repeat for several; default: all)",
    )
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--latex", action="store_true", help="print LaTeX")
    form.add_argument("--markdown", action="store_true", help="print Markdown with LaTeX blocks")
    parser.add_argument(
        "--max-paths",
        type=int,
        default=8,
        metavar="N",
        help="write at most N paths one by one; group more where they split (default 8)",
    )
    add_notation_argument(parser)


def run(args: argparse.Namespace) -> int:
    """Build the expression, derive it by each variable, print the derivations."""
    from engine.cli.expr import ExpressionError, build, parse_assignments
    from engine.step.derivation import derivation

    try:
        values = parse_assignments(list(args.assignments))
        root, leaves = build(args.expression, values)
        if not root.label:
            root.label = ROOT_NAME
        wrt = args.wrt or [name for name in values if name in leaves]
        if not wrt:
            raise ValueError("the expression has no variables to differentiate by")
        for name in wrt:
            if name not in leaves:
                known = ", ".join(leaves) or "none"
                raise ValueError(
                    f"--wrt {name}: not a variable of the expression (they are: {known})"
                )
        if args.max_paths < 1:
            raise ValueError(f"--max-paths must be at least 1, got {args.max_paths}")
        results = [
            derivation(root, leaves[name], max_paths=args.max_paths, notation=args.notation)
            for name in wrt
        ]
    except ExpressionError as exc:
        return _fail(exc, exc.pointer())
    except (ValueError, ZeroDivisionError, OverflowError) as exc:
        return _fail(exc)
    if args.latex:
        print("\n\n".join(d.latex() for d in results))
    elif args.markdown:
        print("\n".join(d.markdown() for d in results))
    else:
        print("\n\n".join(d.text() for d in results))
    return 0 if all(d.agrees for d in results) else 1
