"""Safe expressions for the command line: ``tanh(x1*w1 + x2*w2 + b)`` -> a graph of Values.

    values = parse_assignments(["x1=2", "w1=-3", "x2=0", "w2=1", "b=6.8814"])
    root, leaves = build("tanh(x1*w1 + x2*w2 + b)", values, params={"w1", "w2", "b"})
    root.backward()
    leaves["w1"].grad

The text is parsed with Python's own parser (`ast.parse`, which only parses, it runs nothing) and
the tree is walked with a whitelist; nothing is ever passed to ``eval``. Allowed:

* numbers (``2``, ``-3.5``, ``1e-3``) and variable names given a value;
* ``+ - * / **``, unary ``-`` and ``+``, parentheses;
* calls of the engine's functions by name: every one-input op of the op table that is a `Value`
  method (``exp log sqrt abs sin cos tanh sigmoid relu softplus gelu binary_step`` and the ones
  with a constant parameter, ``leaky_relu(x, alpha)``, ``elu(x, alpha)``, ``swish(x, beta)``),
  and ``logsumexp(a, b, ...)``.

Everything else (attributes, subscripts, keyword arguments, lambdas, comprehensions, strings,
comparisons, calls of any other name such as ``__import__``) is refused with an `ExpressionError`
that carries the offending text and its column, so a command can point at it with a caret.

Each variable becomes one leaf Value labelled with its name (used twice, it is one node with two
edges); names listed in `params` become `engine.Parameter`. Arithmetic between plain numbers is
folded into one number (``2*3*x`` has one constant, 6); a function of a plain number still draws
its node (``tanh(0.5)``).
"""

from __future__ import annotations

import ast
import math
import re
from typing import Callable, Collection, Iterable, Mapping

from engine import functional
from engine.ops import OPS
from engine.value import Parameter, Value

__all__ = ["ExpressionError", "parse_assignments", "build", "functions", "MAX_LENGTH"]

MAX_LENGTH = 10_000
"""Longest expression text accepted (characters)."""

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


class ExpressionError(ValueError):
    """A refused expression or assignment: `reason`, the whole `text`, and where in it.

    ``column`` is the 0-based character offset of the offending part (None when the whole text is
    at fault) and ``length`` its length; `pointer()` gives the text and a caret line under it.
    """

    def __init__(
        self, reason: str, text: str = "", column: int | None = None, length: int = 1
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.text = text
        self.column = column
        self.length = max(1, length)

    @property
    def snippet(self) -> str:
        """The offending text itself."""
        if self.column is None:
            return self.text
        return self.text[self.column : self.column + self.length]

    def pointer(self) -> str:
        """Two lines: the text (newlines shown as spaces) and carets under the offending part;
        empty when there is no column to point at."""
        if self.column is None or not self.text:
            return ""
        shown = re.sub(r"\s", " ", self.text)
        width = min(self.length, max(1, len(shown) - self.column))
        return f"  {shown}\n  {' ' * self.column}{'^' * width}"


# --------------------------------------------------------------------------------------------
# The functions an expression may call, read off the op table
# --------------------------------------------------------------------------------------------


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
    and every n-ary op that `engine.functional` provides."""
    table = {}
    for name, op in OPS.items():
        if op.arity == 1 and callable(getattr(Value, name, None)):
            method = getattr(Value, name)
            table[name] = _Function(name, method, 1, 2 if op.arg_name else 1, op.arg_name)
        elif op.arity == -1 and callable(getattr(functional, name, None)):
            nary = getattr(functional, name)
            table[name] = _Function(name, lambda *xs, _f=nary: _f(list(xs)), 1, None, None)
    return table


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

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNARY = {ast.USub: "-", ast.UAdd: "+"}

_REFUSED = {  # why a kind of syntax is refused, for the error message
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "subscripts are not allowed",
    ast.Lambda: "lambdas are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "'and'/'or' are not allowed",
    ast.IfExp: "'if ... else' is not allowed",
    ast.NamedExpr: "':=' is not allowed",
    ast.JoinedStr: "strings are not allowed",
    ast.Starred: "'*' unpacking is not allowed",
}


class _Parsed:
    """The text and a way to turn an AST node's position into a character column.

    The parser sees `body`, the text without its leading whitespace (``ast.parse`` in eval mode
    rejects an indent); columns are reported in the original `text`.
    """

    __slots__ = ("text", "body", "lead", "line_starts", "lines")

    def __init__(self, text: str) -> None:
        self.text = text
        self.body = text.lstrip()
        self.lead = len(text) - len(self.body)
        self.lines = self.body.split("\n")
        self.line_starts = [0]
        for line in self.lines[:-1]:
            self.line_starts.append(self.line_starts[-1] + len(line) + 1)

    def column(self, lineno: int, offset: int, *, in_bytes: bool = True) -> int:
        """A character offset into `text` from a 1-based line and an offset into that line
        (AST offsets count UTF-8 bytes; SyntaxError offsets count characters)."""
        lineno = max(1, min(lineno, len(self.lines)))
        line = self.lines[lineno - 1]
        chars = (
            len(line.encode("utf-8")[:offset].decode("utf-8", "ignore"))
            if in_bytes
            else min(offset, len(line))
        )
        return self.lead + self.line_starts[lineno - 1] + chars

    def error(self, reason: str, node: ast.AST) -> ExpressionError:
        start = self.column(node.lineno, node.col_offset)
        end_line = getattr(node, "end_lineno", None) or node.lineno
        end_col = getattr(node, "end_col_offset", None)
        end = self.column(end_line, end_col) if end_col is not None else start + 1
        return ExpressionError(reason, self.text, start, end - start)

    def segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.body, node) or type(node).__name__


def _refuse(parsed: _Parsed, node: ast.AST) -> ExpressionError:
    """The error for a piece of syntax outside the whitelist."""
    snippet = parsed.segment(node)
    shown = snippet if len(snippet) <= 40 else snippet[:39] + "…"
    why = _REFUSED.get(type(node))
    if why is None and isinstance(node, ast.Constant):
        why = "only numbers are allowed as constants"
    elif why is None and isinstance(node, (ast.BinOp, ast.UnaryOp)):
        why = "only + - * / ** and unary - + are allowed"
    elif why is None:
        why = "only numbers, names, + - * / **, parentheses and the engine's functions are allowed"
    return parsed.error(f"{shown!r} is not allowed here ({why})", node)


def _check_syntax(text: str) -> tuple[ast.Expression, _Parsed]:
    if not isinstance(text, str):
        raise TypeError(f"build needs the expression as a str, got {type(text).__name__} {text!r}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is {len(text):,} characters long; at most {MAX_LENGTH:,} are allowed",
            text[:60] + "…",
            None,
        )
    if not text.strip():
        raise ExpressionError("the expression is empty", text, None)
    if "\x00" in text:
        raise ExpressionError("the expression contains a NUL character", text, text.index("\x00"))
    parsed = _Parsed(text)
    try:
        return ast.parse(parsed.body, mode="eval"), parsed
    except SyntaxError as exc:
        column = None
        if exc.lineno is not None and exc.offset is not None:
            if exc.offset < 1:  # the text ended too early: point just past its end
                column = len(text.rstrip())
            else:
                column = min(parsed.column(exc.lineno, exc.offset - 1, in_bytes=False), len(text))
        shown = text.strip() if len(text.strip()) <= 60 else text.strip()[:59] + "…"
        raise ExpressionError(
            f"{shown!r} is not a valid expression: {exc.msg}", text, column
        ) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError(
            "the expression is too deeply nested or too large", text, None
        ) from None


def _engine_error(parsed: _Parsed, node: ast.AST, exc: Exception) -> ExpressionError:
    return parsed.error(f"{parsed.segment(node)!r} cannot be computed: {exc}", node)


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

    `values` maps each variable to its number; names in `params` become `engine.Parameter`
    leaves. Only the variables the expression uses appear in the returned dict. Every refusal
    (syntax outside the whitelist, a missing value, a domain error such as ``log(0)`` or an
    overflow such as ``10 ** 400``) raises `ExpressionError` pointing at the offending text.
    """
    tree, parsed = _check_syntax(text)
    params = frozenset(params)
    unknown = sorted(p for p in params if p not in values)
    if unknown:
        raise ExpressionError(
            f"parameter {unknown[0]!r} has no value: give one, e.g. {unknown[0]}=1", text, None
        )
    table = functions()
    leaves: dict[str, Value] = {}
    results: list = []  # a post-order walk: each node's operands are on this stack
    stack: list[tuple[ast.AST, bool]] = [(tree.body, False)]
    while stack:
        node, ready = stack.pop()
        if not ready:
            children = _children(parsed, node, table)
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
            continue
        results.append(_evaluate(parsed, node, results, values, params, leaves, table))
    root = results.pop()
    if not isinstance(root, Value):  # a number alone, or arithmetic of numbers only
        root = Value(root)
    return root, leaves


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
            number = float(node.value)
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
    count = len(node.args)  # a Call
    args = results[len(results) - count :]
    del results[len(results) - count :]
    return _call(parsed, node, table, args)
