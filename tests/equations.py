"""Find the arithmetic in printed text and recompute it from the printed numbers.

A line is cut into clauses at ``;``; a clause into sides at `` = `` (and `` += ``). Wherever a side
is pure arithmetic on printed numbers (``0.5 × -3``, ``4 + 3``, ``(1 - (-0.4767)²)·[(-1.716)
(+0.0058) + ...]``) and the next side starts with a number, that number must be the arithmetic's
value to its printed precision (`engine.numfmt.holds`). Sides with names in them (``1 -
tanh(n)²``, ``x1 · w1``) are not arithmetic and are skipped. Used by the tests of the narration,
the terminal stepper and the demos.
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass

from engine.numfmt import holds

NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?"
_TOKEN = re.compile(rf"\s*(?:({NUMBER})|([-+*/()]|\*\*))")
_RESULT = re.compile(rf"\s*({NUMBER})(?![\w.⁰¹²³⁴⁵⁶⁷⁸⁹⁽₀₁₂₃₄₅₆₇₈₉])")
_SIDES = re.compile(r"\s\+?=\s")
_STEP = re.compile(r"^\s*\[\d+/\d+\]")  # the "[3/10]" in front of a narrated step
_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


@dataclass
class Equation:
    line: str
    expression: str
    shown: str
    recomputed: float

    @property
    def ok(self) -> bool:
        return holds(self.recomputed, self.shown, self.digits)

    digits: int = 4

    def __str__(self) -> str:
        return (
            f"{self.expression} = {self.shown}, but the printed numbers give "
            f"{self.recomputed!r}\n    in: {self.line.strip()}"
        )


def _normalise(side: str) -> str | None:
    """`side` as Python arithmetic, or None if it is not arithmetic on printed numbers."""
    text = side.strip()
    text = text.replace("×", "*").replace("·", "*").replace("−", "-").replace("²", "**2")
    text = text.replace("[", "(").replace("]", ")")
    text = re.sub(r"(?<=[\d)])\s*\(", "*(", text)  # 2(...) and (...)(...): multiplication
    pos, numbers, operators = 0, 0, 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            if text[pos:].strip():
                return None
            break
        if match.group(1):
            numbers += 1
        elif match.group(2) not in "()":
            operators += 1
        pos = match.end()
    if numbers < 2 or operators < 1:
        return None
    return text


def _evaluate(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _evaluate(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_evaluate(node.left), _evaluate(node.right))
    raise ValueError(f"not arithmetic: {ast.dump(node)}")


def equations(text: str, digits: int = 4) -> list[Equation]:
    """Every printed equation in `text` whose left side is arithmetic on numbers."""
    found = []
    for line in text.splitlines():
        for clause in _STEP.sub("", line).split(";"):
            sides = _SIDES.split(clause)
            for left, right in zip(sides, sides[1:]):
                expression = _normalise(left)
                result = _RESULT.match(right)
                if expression is None or result is None:
                    continue
                try:
                    value = _evaluate(ast.parse(expression.replace("+-", "+ -"), mode="eval"))
                except (SyntaxError, ValueError, ArithmeticError):
                    continue
                found.append(Equation(line, left.strip(), result.group(1), value, digits))
    return found


def wrong_equations(text: str, digits: int = 4) -> list[Equation]:
    """The printed equations in `text` that do not recompute from their printed numbers."""
    return [eq for eq in equations(text, digits) if not eq.ok]
