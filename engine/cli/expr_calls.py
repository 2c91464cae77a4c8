"""The functions an expression may call, read off the op table, and how a call is checked and
applied (for `engine.cli.expr`)."""

from __future__ import annotations

import ast
import textwrap
from typing import Callable

from engine.cli.expr_syntax import ExpressionError, _Parsed, _refuse
from engine.core.ops import OPS
from engine.core.value import Value, apply_op
from engine.functional import softmax as functional

__all__ = ["functions", "functions_help"]


class _Function:
    """How to call one whitelisted function: ``method(x, *constants)`` or ``nary(xs)``."""

    __slots__ = ("name", "apply", "min_args", "max_args", "arg_name")

    def __init__(
        self, name: str, apply: Callable, min_args: int, max_args: int | None, arg_name: str | None
    ) -> None:
        self.name, self.apply = name, apply
        self.min_args, self.max_args, self.arg_name = min_args, max_args, arg_name

    def usage(self) -> str:
        if self.max_args is None:
            return f"{self.name}(a, b, ...)"
        if self.arg_name:
            return f"{self.name}(x) or {self.name}(x, {self.arg_name})"
        return f"{self.name}(x)"


def functions() -> dict[str, _Function]:
    """The callable functions, derived from the op table: every one-input op that is a Value
    method of the same name (its constant parameter, if any, as an optional second argument),
    every one-input op `engine.define_op` added (its name is checked there: never a Value
    attribute, keyword or builtin), and every n-ary op that `engine.functional.softmax`
    provides."""
    table = {}
    for name, op in OPS.items():
        if op.arity == 1 and callable(getattr(Value, name, None)):
            method = getattr(Value, name)
            table[name] = _Function(name, method, 1, 2 if op.arg_name else 1, op.arg_name)
        elif op.arity == 1 and not op.methods and op.arg_name is None:  # a row define_op added
            table[name] = _Function(name, lambda x, _op=op: apply_op(_op, (x,)), 1, 1, None)
        elif op.arity == -1 and callable(getattr(functional, name, None)):
            nary = getattr(functional, name)
            table[name] = _Function(name, lambda *xs, _f=nary: _f(list(xs)), 1, None, None)
    return table


def functions_help() -> str:
    """One line for a command's ``--help``: every function an expression may call, from the
    op table (``functions: exp(x), ..., leaky_relu(x) or leaky_relu(x, alpha), ...``)."""
    text = "functions: " + ", ".join(f.usage() for f in functions().values())
    return textwrap.fill(text, width=78, subsequent_indent="  ", break_on_hyphens=False)


# --------------------------------------------------------------------------------------------
# Calls
# --------------------------------------------------------------------------------------------


def _engine_error(parsed: _Parsed, node: ast.AST, exc: Exception) -> ExpressionError:
    return parsed.error(f"{parsed.segment(node)!r} cannot be computed: {exc}", node)


def _call(parsed: _Parsed, node: ast.Call, table: dict[str, _Function], args: list):
    """A whitelisted function applied to evaluated arguments."""
    function = table[node.func.id]  # type: ignore[attr-defined]
    if len(args) < function.min_args or (
        function.max_args is not None and len(args) > function.max_args
    ):
        raise parsed.error(
            f"{function.name} takes {function.usage()}, got {len(args)} "
            f"argument{'s' if len(args) != 1 else ''}",
            node,
        )
    x, constants = args[0], args[1:]
    if function.max_args is None:  # n-ary: every argument is an input
        inputs = args
    else:
        inputs = [x]
        for arg, arg_node in zip(constants, node.args[1:]):
            if isinstance(arg, Value):
                raise parsed.error(
                    f"the {function.arg_name} of {function.name} must be a "
                    f"number, not an expression of variables",
                    arg_node,
                )
    inputs = [v if isinstance(v, Value) else Value(v) for v in inputs]
    try:
        if function.max_args is None:
            return function.apply(*inputs)
        return function.apply(inputs[0], *constants)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError) as exc:
        raise _engine_error(parsed, node, exc) from None


def _check_call(parsed: _Parsed, node: ast.Call, table: dict[str, _Function]) -> None:
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in table:  # c.exp(): Python's method form
        args = ", ".join([parsed.segment(func.value)] + [parsed.segment(a) for a in node.args])
        raise parsed.error(
            f"{parsed.segment(node)!r} is not allowed here (attribute access is not allowed): "
            f"write {func.attr}({args})",
            node,
        )
    if not isinstance(func, ast.Name):
        raise _refuse(parsed, func)
    if func.id not in table:
        raise parsed.error(
            f"{func.id!r} is not allowed here: the functions you can call are "
            f"{', '.join(sorted(table))}",
            func,
        )
    if node.keywords:
        raise parsed.error(
            f"keyword arguments are not allowed: write {table[func.id].usage()}", node.keywords[0]
        )
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise _refuse(parsed, arg)
