"""Find the arithmetic in printed text and recompute it from the printed numbers.

A line is cut into clauses at ``;``; a clause into sides at `` = `` (and `` += ``). Wherever a side
is pure arithmetic on printed numbers (``0.5 × -3``, ``4 + 3``, ``(1 - (-0.4767)²)·[(-1.716)
(+0.0058) + ...]``) and the next side starts with a number, that number must be the arithmetic's
value to its printed precision (`engine.core.numfmt.holds`). Sides with names in them (``1 -
tanh(n)²``, ``x1 · w1``) are not arithmetic and are skipped.

The arithmetic is exact on the printed decimals (fractions; a non-integer power in floats), as a
learner's by hand would be: ``0.5761 + 0.2119 - 0.5761 - 0.2119`` is 0, not the -2.8e-17 of
binary floats. Only where the printer gave up rounding and wrote numbers at full float precision
(`FULL_PRECISION` significant digits or more, e.g. ``1.983455139171554 + -1.9834551391715542``,
whose floats differ by 2.2e-16 while the decimals differ by 2e-16) does the float arithmetic of
those very floats count as well. Used by the tests of the narration, the terminal stepper, the
derivations, the practice hints and the demos.
"""

from __future__ import annotations

import ast
import operator
import re
from dataclasses import dataclass
from fractions import Fraction

from engine.core.numfmt import holds

NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?"
_TOKEN = re.compile(rf"\s*(?:({NUMBER})|([-+*/()]|\*\*))")
_RESULT = re.compile(rf"\s*({NUMBER})(?![\w.⁰¹²³⁴⁵⁶⁷⁸⁹⁽₀₁₂₃₄₅₆₇₈₉])")
_SIDES = re.compile(r"\s\+?=\s")
_STEP = re.compile(r"^\s*\[\d+/\d+\]")  # the "[3/10]" in front of a narrated step
FULL_PRECISION = 16
"""A printed number with this many significant digits or more is a float at full precision."""
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
    digits: int = 4
    machine: float | None = None
    """The float arithmetic of the printed numbers, when they are printed at full precision."""

    @property
    def ok(self) -> bool:
        if holds(self.recomputed, self.shown, self.digits):
            return True
        return self.machine is not None and holds(self.machine, self.shown, self.digits)

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


def _evaluate(node: ast.AST, exact: bool = True) -> Fraction | float:
    """The arithmetic of `node`: exact on the printed decimals (a Fraction) where it can be, or
    with `exact` False in floats, as Python computes it."""
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, exact)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        # str: the decimal as printed (up to 17 digits)
        return Fraction(str(node.value)) if exact else float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _evaluate(node.operand, exact)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _evaluate(node.left, exact), _evaluate(node.right, exact)
        if isinstance(node.op, ast.Pow) and not (
            isinstance(right, Fraction) and right.denominator == 1 and abs(right) <= 64
        ):
            return float(left) ** float(right)  # a root, a huge power, or floats anyway
        return _OPS[type(node.op)](left, right)
    raise ValueError(f"not arithmetic: {ast.dump(node)}")


def _full_precision(expression: str) -> bool:
    """True if some number in `expression` is printed with `FULL_PRECISION` digits or more."""
    for number in re.findall(NUMBER, expression):
        mantissa = number.lower().partition("e")[0].replace(".", "").lstrip("+-0")
        if len(mantissa.rstrip("0")) >= FULL_PRECISION:
            return True
    return False


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
                    tree = ast.parse(expression.replace("+-", "+ -"), mode="eval")
                    value = float(_evaluate(tree))
                    machine = float(_evaluate(tree, False)) if _full_precision(left) else None
                except (SyntaxError, ValueError, ArithmeticError, TypeError):
                    continue  # TypeError: a complex number (a root of a negative number)
                shown = result.group(1)
                found.append(Equation(line, left.strip(), shown, value, digits, machine))
    return found


def wrong_equations(text: str, digits: int = 4) -> list[Equation]:
    """The printed equations in `text` that do not recompute from their printed numbers."""
    return [eq for eq in equations(text, digits) if not eq.ok]
