"""Reading an expression's text for `engine.cli.expr`: the parse (never a run), the error type
with its caret, and the statements ``n = x*w + b; o = tanh(n)``.

The text is parsed with Python's own parser (`ast.parse`, which only parses, it runs nothing);
`statements` accepts only bare expressions and ``name = expression`` assignments, and
`engine.cli.expr` walks each expression with a whitelist.
"""

from __future__ import annotations

import ast
import re

__all__ = ["ExpressionError", "MAX_LENGTH", "statements"]

MAX_LENGTH = 10_000
"""Longest expression text accepted (characters)."""


POINTER_WIDTH = 72
"""The most characters of an expression an error shows above its carets."""


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
        # A long expression is shown as a window of POINTER_WIDTH characters around the column.
        start = max(0, min(self.column - POINTER_WIDTH // 2, len(shown) - POINTER_WIDTH))
        end = min(len(shown), start + POINTER_WIDTH)
        before, after = ("…" if start > 0 else ""), ("…" if end < len(shown) else "")
        width = min(self.length, max(1, end - self.column))
        offset = len(before) + self.column - start
        return f"  {before}{shown[start:end]}{after}\n  {' ' * offset}{'^' * width}"


# --------------------------------------------------------------------------------------------
# Parsing
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
        lineno: int = getattr(node, "lineno", 1)
        start = self.column(lineno, getattr(node, "col_offset", 0))
        end_line = getattr(node, "end_lineno", None) or lineno
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


def _check_syntax(text: str) -> tuple[ast.Module, _Parsed]:
    """Parse `text` (statements, never run) or raise `ExpressionError` with a column."""
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
        return ast.parse(parsed.body, mode="exec"), parsed
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


_STATEMENTS = (
    "write one expression, or 'name = expression' statements separated by ';' "
    "(e.g. 'n = x*w + b; o = tanh(n)')"
)


def statements(text: str) -> tuple[list[tuple[ast.Name | None, ast.expr]], _Parsed]:
    """The statements of `text` as ``(target, expression)`` pairs, checked; `target` is None for
    a bare expression, which only the last statement may be."""
    tree, parsed = _check_syntax(text)
    if not tree.body:
        raise ExpressionError("the expression is empty", text, None)
    pairs: list[tuple[ast.Name | None, ast.expr]] = []
    last = len(tree.body) - 1
    for k, statement in enumerate(tree.body):
        if isinstance(statement, ast.Expr):
            if k != last:
                raise parsed.error(
                    f"{parsed.segment(statement)!r} computes a value nobody uses: only the last "
                    f"statement may be a bare expression; name this one ('n = ...') or drop it",
                    statement,
                )
            pairs.append((None, statement.value))
            continue
        if not isinstance(statement, ast.Assign):
            raise parsed.error(
                f"{_shorten(parsed.segment(statement))!r} is not allowed here: {_STATEMENTS}",
                statement,
            )
        if len(statement.targets) != 1 or not isinstance(statement.targets[0], ast.Name):
            raise parsed.error(
                f"{_shorten(parsed.segment(statement))!r}: give exactly one name on the left of "
                f"'=' (e.g. 'n = x*w + b')",
                statement,
            )
        pairs.append((statement.targets[0], statement.value))
    return pairs, parsed


def _shorten(snippet: str) -> str:
    return snippet if len(snippet) <= 40 else snippet[:39] + "…"
