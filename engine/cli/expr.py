"""Safe expressions for the command line: ``tanh(x1*w1 + x2*w2 + b)`` -> a graph of Values.

    values = parse_assignments(["x1=2", "w1=-3", "x2=0", "w2=1", "b=6.881373587019543"])
    root, leaves = build("n = x1*w1 + x2*w2 + b; o = tanh(n)", values, params={"w1", "w2", "b"})
    root.backward()
    leaves["w1"].grad

The text is parsed with Python's own parser (`ast.parse`, which only parses, it runs nothing) and
the tree is walked with a whitelist; nothing is ever passed to ``eval``. The text is one
expression, or statements ``name = expression`` separated by ``;`` or newlines, the last one
possibly a bare expression: each named result is labelled with its name (``n``, ``o``) and later
statements use it by name; the last statement is the result. Allowed in an expression:

* numbers (``2``, ``-3.5``, ``1e-3``) and variable names given a value;
* ``+ - * / **``, unary ``-`` and ``+``, parentheses;
* calls of the engine's functions by name, read off the op table (`functions`): every one-input
  op that is a `Value` method of the same name (``tanh(x)``; one with a constant parameter takes
  it second, ``leaky_relu(x, alpha)``), and the n-ary ``logsumexp(a, b, ...)``. A new row is
  callable at once; ``chainrule draw --help`` lists them all (`functions_help`).

Everything else (attributes, subscripts, keyword arguments, lambdas, comprehensions, strings,
comparisons, calls of any other name such as ``__import__``) is refused with an `ExpressionError`
that carries the offending text and its column, so a command can point at it with a caret.

Each variable becomes one leaf Value labelled with its name (used twice, it is one node with two
edges); names listed in `params` become `engine.Parameter`. A named intermediate must be used by
the result, may not reuse a variable's or a function's name, and is named once. Arithmetic
between plain numbers is folded into one number (``2*3*x`` has one constant, 6); a function of a
plain number still draws its node (``tanh(0.5)``).
"""

from __future__ import annotations

import ast
import math
import re
from typing import Collection, Iterable, Mapping

from engine.cli.expr_calls import (
    _call,
    _check_call,
    _engine_error,
    _Function,
    functions,
    functions_help,
)
from engine.cli.expr_syntax import (
    _BINARY,
    _UNARY,
    MAX_LENGTH,
    ExpressionError,
    _Parsed,
    _refuse,
    statements,
)
from engine.core.graph import topological_order
from engine.core.value import Parameter, Value, as_value

__all__ = [
    "ExpressionError",
    "parse_assignments",
    "build",
    "functions",
    "functions_help",
    "MAX_LENGTH",
]

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


# --------------------------------------------------------------------------------------------
# Assignments: name=number
# --------------------------------------------------------------------------------------------


def parse_assignments(items: Iterable[str]) -> dict[str, float]:
    """``["x1=2", "w1=-3"]`` -> ``{"x1": 2.0, "w1": -3.0}``.

    A name starts with a letter and has letters, digits and ``_``; it may not be a function name.
    A value is a finite decimal number. Duplicates, bad names and bad numbers raise
    `ExpressionError` pointing at the bad part.
    """
    if isinstance(items, str):
        raise TypeError(
            f"parse_assignments needs a list of 'name=number' strings, got the string {items!r}"
        )
    known = functions()
    values: dict[str, float] = {}
    for item in items:
        if not isinstance(item, str):
            raise TypeError(
                f"an assignment must be a 'name=number' string, got {type(item).__name__} {item!r}"
            )
        name, equals, number = item.partition("=")
        if not equals:
            raise ExpressionError(
                f"{item!r} is not an assignment: write name=number, e.g. x=2", item, 0, len(item)
            )
        stripped = name.strip()
        start = len(name) - len(name.lstrip())
        if not _NAME.fullmatch(stripped):
            raise ExpressionError(
                f"{stripped!r} is not a variable name (a letter, then letters, digits or _)",
                item,
                start,
                len(stripped),
            )
        if stripped in known:
            raise ExpressionError(
                f"{stripped!r} is a function name; pick another variable name",
                item,
                start,
                len(stripped),
            )
        if stripped in values:
            raise ExpressionError(
                f"{stripped!r} is given a value twice", item, start, len(stripped)
            )
        values[stripped] = _parse_number(number, item, len(name) + 1)
    return values


def _parse_number(text: str, item: str, offset: int) -> float:
    stripped = text.strip()
    column = offset + len(text) - len(text.lstrip())
    if not stripped:
        raise ExpressionError(f"no number after '=' in {item!r}", item, offset - 1, 1)
    if not _NUMBER.fullmatch(stripped):
        raise ExpressionError(
            f"{stripped!r} is not a number (in {item!r})", item, column, len(stripped)
        )
    value = float(stripped)
    if not math.isfinite(value):
        raise ExpressionError(
            f"{stripped!r} is too large for a float (in {item!r})", item, column, len(stripped)
        )
    return value


# --------------------------------------------------------------------------------------------
# Expressions
# --------------------------------------------------------------------------------------------


def _arith(parsed: _Parsed, node: ast.AST, symbol: str, x, y):
    """x (symbol) y with engine semantics. Numbers with numbers are folded through a constant
    Value so the engine's domain checks (0 ** -1, (-8) ** 0.5, overflow) apply to them too."""
    folded = not isinstance(x, Value) and not isinstance(y, Value)
    if folded:
        x = Value(x)
    try:
        if symbol == "+":
            out = x + y
        elif symbol == "-":
            out = x - y
        elif symbol == "*":
            out = x * y
        elif symbol == "/":
            out = x / y
        else:
            out = x**y
    except (ValueError, ZeroDivisionError, OverflowError) as exc:
        raise _engine_error(parsed, node, exc) from None
    return out.data if folded else out


def _leaf(
    name: str,
    values: Mapping[str, float],
    params: Collection[str],
    leaves: dict[str, Value],
    parsed: _Parsed,
    node: ast.Name,
    table: dict[str, _Function],
) -> Value:
    """The one leaf Value of variable `name`, made on first use."""
    leaf = leaves.get(name)
    if leaf is not None:
        return leaf
    if name in table:
        raise parsed.error(f"{name!r} is a function: call it, e.g. {table[name].usage()}", node)
    if name not in values:
        raise parsed.error(f"no value for {name!r}: give one, e.g. {name}=1", node)
    kind = Parameter if name in params else Value
    try:
        leaf = leaves[name] = kind(values[name], label=name)
    except (TypeError, OverflowError) as exc:
        raise parsed.error(f"the value of {name!r} is not a number: {exc}", node) from None
    return leaf


def build(
    text: str, values: Mapping[str, float], params: Collection[str] = ()
) -> tuple[Value, dict[str, Value]]:
    """Build the graph of expression `text`; return ``(root, {name: leaf Value})``.

    `text` is one expression or ``name = expression`` statements separated by ``;`` (see the
    module docstring). `values` maps each variable to its number; names in `params` become
    `engine.Parameter` leaves. Only the variables the expression uses appear in the returned
    dict. Every refusal (syntax outside the whitelist, a missing value, a domain error such as
    ``log(0)`` or an overflow such as ``10 ** 400``) raises `ExpressionError` pointing at the
    offending text.
    """
    pairs, parsed = statements(text)
    params = frozenset(params)
    unknown = sorted(p for p in params if p not in values)
    if unknown:
        raise ExpressionError(
            f"parameter {unknown[0]!r} has no value: give one, e.g. {unknown[0]}=1", text, None
        )
    table = functions()
    leaves: dict[str, Value] = {}
    named: dict[str, tuple[Value, ast.Name]] = {}
    root: Value | None = None
    for target, expression in pairs:
        if target is not None:
            _check_target(parsed, target, values, named, table)
        result = _walk(parsed, expression, values, params, leaves, named, table)
        if not isinstance(result, Value):  # a number alone, or arithmetic of numbers only:
            result = as_value(result)  # a constant leaf (no gradient is asked of it)
        if target is not None:
            if result.label:
                raise parsed.error(
                    f"'{target.id} = {parsed.segment(expression)}' only gives "
                    f"{result.label!r} a second name: name a computation instead",
                    target,
                )
            result.label = target.id
            named[target.id] = (result, target)
        root = result
    assert root is not None  # statements() refuses an empty text
    _check_used(parsed, root, named)
    return root, leaves


def _check_target(
    parsed: _Parsed,
    target: ast.Name,
    values: Mapping[str, float],
    named: Mapping[str, tuple[Value, ast.Name]],
    table: dict[str, _Function],
) -> None:
    """The name on the left of '=': a fresh, plain name."""
    name = target.id
    if not _NAME.fullmatch(name):
        raise parsed.error(
            f"{name!r} is not allowed as a name (a letter, then letters, digits or _)", target
        )
    if name in table:
        raise parsed.error(f"{name!r} is a function name; pick another name", target)
    if name in values:
        raise parsed.error(
            f"{name!r} is also given a value ({name}={values[name]:g}); a name is either a "
            f"variable or a computed result",
            target,
        )
    if name in named:
        raise parsed.error(f"{name!r} is named twice; give each result its own name", target)


def _check_used(parsed: _Parsed, root: Value, named: Mapping[str, tuple[Value, ast.Name]]) -> None:
    """Every named intermediate is part of the result's graph (a typo would drop it silently)."""
    nodes = set(topological_order(root))
    for name, (value, target) in named.items():
        if value not in nodes:
            raise parsed.error(
                f"{name!r} is computed but the result does not use it: use it or drop it", target
            )


def _walk(
    parsed: _Parsed,
    expression: ast.expr,
    values: Mapping[str, float],
    params: Collection[str],
    leaves: dict[str, Value],
    named: Mapping[str, tuple[Value, ast.Name]],
    table: dict[str, _Function],
):
    """The value of one expression: a post-order walk with an explicit stack (no recursion)."""
    results: list = []  # each node's operands are on this stack
    stack: list[tuple[ast.AST, bool]] = [(expression, False)]
    while stack:
        node, ready = stack.pop()
        if not ready:
            children = _children(parsed, node, table)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
            continue
        if isinstance(node, ast.Name) and node.id in named:
            results.append(named[node.id][0])
            continue
        results.append(_evaluate(parsed, node, results, values, params, leaves, table))
    return results.pop()


def _children(parsed: _Parsed, node: ast.AST, table: dict[str, _Function]) -> list[ast.AST]:
    """The operands of a whitelisted node (checking it), or an error for anything else."""
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return [node.operand]
    if isinstance(node, ast.Call):
        _check_call(parsed, node, table)
        return list(node.args)
    if isinstance(node, ast.Name):
        if node.id.startswith("_") or not node.id.isascii():
            raise parsed.error(
                f"{node.id!r} is not allowed here (names start with a letter and "
                f"use only letters, digits and _)",
                node,
            )
        return []
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return []
    raise _refuse(parsed, node)


def _evaluate(
    parsed: _Parsed,
    node: ast.AST,
    results: list,
    values: Mapping[str, float],
    params: Collection[str],
    leaves: dict[str, Value],
    table: dict[str, _Function],
):
    """The value of `node`, its operands' values being on top of `results`."""
    if isinstance(node, ast.Constant):
        try:
            number = float(node.value)  # type: ignore[arg-type]  # _children allows int, float
        except OverflowError:
            raise parsed.error(f"{parsed.segment(node)!r} is too large for a float", node) from None
        if not math.isfinite(number):
            raise parsed.error(f"{parsed.segment(node)!r} is too large for a float", node)
        return number
    if isinstance(node, ast.Name):
        return _leaf(node.id, values, params, leaves, parsed, node, table)
    if isinstance(node, ast.UnaryOp):
        x = results.pop()
        if isinstance(node.op, ast.UAdd):
            return x
        return -x
    if isinstance(node, ast.BinOp):
        y, x = results.pop(), results.pop()
        return _arith(parsed, node, _BINARY[type(node.op)], x, y)
    assert isinstance(node, ast.Call)  # _children let nothing else through
    count = len(node.args)
    args = results[len(results) - count :]
    del results[len(results) - count :]
    return _call(parsed, node, table, args)
