"""A `Derivation` as plain text, Markdown and LaTeX (see `engine.step.derivation`).

Each equation ``∂out/∂v = Σ Π factors`` is written on four lines: the factors as partial
derivatives, as the op table's formulas in node names, as numbers, and the sum. Long sums and long
products are shortened in the middle (``⋯ 12 more ⋯``); the numbers are always computed in full.

The row of numbers recomputes to the sum printed below it (`engine.core.numfmt`): the sum gets the
usual significant digits, the factors as many more as the sum needs to check out from them, so
a learner who multiplies and adds the printed numbers gets the printed sum.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import TYPE_CHECKING, Callable

from engine.core.names import fill_in
from engine.core.numfmt import MAX_DIGITS, fmt, get_digits, holds
from engine.core.ops import OPS
from engine.step.latex import fill, latex_formula, latex_name, latex_number

if TYPE_CHECKING:
    from engine.step.derivation import Derivation, Equation, Term

__all__ = ["text", "markdown", "latex", "number"]

MAX_TERMS = 6
"""Most terms of one sum written out; the middle ones are elided."""

MAX_FACTORS = 10
"""Most factors of one product written out; the middle ones are elided."""

_ATOM = re.compile(r"-?[\w.,₀-₉⁰-⁹⁽⁾]+")
_ARG_SYMBOLS = {"alpha": "α", "beta": "β", "c": "c"}


def number(x: float, digits: int | None = None) -> str:
    """An integer as an integer (``1``, ``-3``), anything else as the narration prints it (with
    `digits` significant digits; default `engine.core.numfmt.get_digits()`)."""
    if math.isfinite(x) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return fmt(x, digits)


def _printed(f, digits: int) -> Fraction:
    """A factor's value as printed with `digits` significant digits (a group: its sum)."""
    from engine.step.derivation import Group

    if isinstance(f, Group):
        return _printed_sum(f.terms, digits)
    return Fraction(number(f.value, digits))


def _printed_sum(terms: list[Term], digits: int) -> Fraction:
    """Σ Π factors recomputed, exactly, from the factors as printed with `digits` digits.

    A product too long to be written out (more than `MAX_FACTORS`: its middle is elided, so no
    one can recompute it by hand) is multiplied in floats: exactly, its numerator and
    denominator would grow with every factor, making a chain of n ops cost O(n²)."""
    total = Fraction(0)
    for term in terms:
        if len(term) > MAX_FACTORS:
            total += Fraction(math.prod(float(_printed(f, digits)) for f in term))
            continue
        product = Fraction(1)
        for f in term:
            product *= _printed(f, digits)
        total += product
    return total


def _factor_digits(eq: Equation) -> int:
    """The fewest significant digits (at least the default) with which the factors of `eq`,
    as printed, multiply and add up to its printed sum (`engine.core.numfmt.holds`), by exact
    arithmetic on the printed decimals, as by hand (at `MAX_DIGITS` the printed factors are
    the floats themselves)."""
    d = get_digits()
    shown = number(eq.value, d)
    if not math.isfinite(eq.value):
        return d
    for k in range(d, MAX_DIGITS):
        try:
            if holds(float(_printed_sum(eq.terms, k)), shown, d):
                return k
        except (ArithmeticError, ValueError):  # a factor is inf or nan: no digits help
            return d
    return MAX_DIGITS


def _enclosed(text: str) -> bool:
    """True for ``(...)`` whose first parenthesis closes at the very end."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for k, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return k == len(text) - 1
    return False


def _with_arg(template: str, op_name: str, arg: object) -> str:
    """The op's constant parameter (α, β, c) written as its number in `template`."""
    arg_name = OPS[op_name].arg_name
    if arg_name is None or arg is None:
        return template
    symbol = _ARG_SYMBOLS.get(arg_name, arg_name)
    value = number(float(arg))  # type: ignore[arg-type]
    if value.startswith("-"):
        value = f"({value})"
    pattern = rf"(?<![A-Za-z]){re.escape(symbol)}(?![A-Za-z(])" if symbol.isascii() else symbol
    template = re.sub(rf"{pattern}(?=[A-Za-z(])", value + "·", template)
    return re.sub(pattern, value, template)


def _template(factor) -> str:
    op = OPS[factor.child.op]
    template = op.derivatives[0] if op.arity == -1 else op.derivatives[factor.index]
    return _with_arg(template, factor.child.op, factor.child.arg)


def _slots(factor, names: dict) -> dict[str, str]:
    child = factor.child
    if OPS[child.op].arity == -1:
        return {"x_i": names[factor.parent], "out": names[child]}
    slots = dict(zip(("x", "y"), (names[p] for p in child.parents)))
    slots["out"] = names[child]
    return slots


# --------------------------------------------------------------------------------------------
# One renderer, two alphabets
# --------------------------------------------------------------------------------------------


class _Text:
    times, dot, sym_dot, plus, more = " × ", " · ", " · ", " + ", "⋯ {n} more ⋯"

    def __init__(self, d: Derivation) -> None:
        self.d, self.names = d, d.names
        self.digits: int | None = None  # the factors' digits in the current row of numbers

    def partial(self, top, bottom) -> str:
        """The local derivative ``∂top/∂bottom`` (one op's)."""
        return self.d.notation.local(self.names[top], self.names[bottom])

    def total(self, top, bottom) -> str:
        """The total derivative ``∂⁺top/∂bottom`` (every path)."""
        return self.d.notation.total(self.names[top], self.names[bottom])

    def symbol(self, f) -> str:
        from engine.step.derivation import Group, Local

        if isinstance(f, Local):
            text = self.partial(f.child, f.parent)
            return f"{text}(as {'xy'[f.index] if f.index < 2 else f.index})" if f.repeated else text
        if isinstance(f, Group):
            return (
                "(" + self.sum([self.product(t, self.symbol, self.sym_dot) for t in f.terms]) + ")"
            )
        return self.total(self.d.out, f.node)

    def formula(self, f) -> str:
        from engine.step.derivation import Group, Local

        if isinstance(f, Local):
            text = fill_in(_template(f), _slots(f, self.names))
            return text if _ATOM.fullmatch(text) or _enclosed(text) else f"({text})"
        if isinstance(f, Group):
            return "(" + self.sum([self.product(t, self.formula, self.dot) for t in f.terms]) + ")"
        return self.symbol(f)

    def number(self, f) -> str:
        from engine.step.derivation import Group

        if isinstance(f, Group):
            return "(" + self.sum([self.product(t, self.number, self.times) for t in f.terms]) + ")"
        text = number(f.value, self.digits)
        return f"({text})" if text.startswith("-") else text

    def value(self, x: float) -> str:
        return number(x)

    def product(self, term: Term, show: Callable, sep: str) -> str:
        parts = [show(f) for f in term]
        if len(parts) > MAX_FACTORS:
            parts = parts[:4] + [self.more.format(n=len(parts) - 8)] + parts[-4:]
        return sep.join(parts) if parts else "1"

    def sum(self, parts: list[str]) -> str:
        if len(parts) > MAX_TERMS:
            parts = (
                parts[: MAX_TERMS - 1] + [self.more.format(n=len(parts) - MAX_TERMS)] + parts[-1:]
            )
        return self.plus.join(parts)


class _Latex(_Text):
    times, dot, sym_dot, plus = r" \times ", r" \cdot ", r" \, ", " + "
    more = r"\cdots \text{{({n} more)}} \cdots"

    def name(self, node) -> str:
        return latex_name(self.names[node])

    def partial(self, top, bottom) -> str:
        return rf"\frac{{\partial {{{self.name(top)}}}}}{{\partial {{{self.name(bottom)}}}}}"

    def total(self, top, bottom) -> str:
        return self.d.notation.total_latex(self.name(top), self.name(bottom))

    def symbol(self, f) -> str:
        from engine.step.derivation import Group, Local

        if isinstance(f, Group):
            inner = self.sum([self.product(t, self.symbol, self.sym_dot) for t in f.terms])
            return rf"\left({inner}\right)"
        text = super().symbol(f)
        if isinstance(f, Local) and f.repeated:  # "(as x)" in LaTeX
            text = text[: text.rindex("(as ")]
            which = "xy"[f.index] if f.index < 2 else str(f.index)
            text = rf"\left.{text}\right|_{{\text{{as }} {which}}}"
        return text

    def formula(self, f) -> str:
        from engine.step.derivation import Group, Local

        if isinstance(f, Local):
            slots = {k: latex_name(v) for k, v in _slots(f, self.names).items()}
            text = fill(latex_formula(_template(f)), slots)
            atom = len(text) < 40 and not re.search(r"[ +\-]", text.strip().lstrip("-"))
            return text if atom else rf"\left({text}\right)"
        if isinstance(f, Group):
            inner = self.sum([self.product(t, self.formula, self.dot) for t in f.terms])
            return rf"\left({inner}\right)"
        return self.symbol(f)

    def number(self, f) -> str:
        from engine.step.derivation import Group

        if isinstance(f, Group):
            inner = self.sum([self.product(t, self.number, self.times) for t in f.terms])
            return rf"\left({inner}\right)"
        text = latex_number(f.value, number(f.value, self.digits))
        return f"({text})" if text.startswith("-") else text

    def value(self, x: float) -> str:
        return latex_number(x, number(x))


def _lines(r: _Text, eq: Equation) -> list[str]:
    """The equation's right-hand sides: symbols, formulas (if different), numbers, the sum."""
    rows = [r.sum([r.product(t, r.symbol, r.sym_dot) for t in eq.terms])]
    formulas = r.sum([r.product(t, r.formula, r.dot) for t in eq.terms])
    if formulas != rows[0]:
        rows.append(formulas)
    r.digits = _factor_digits(eq)
    numbers = r.sum([r.product(t, r.number, r.times) for t in eq.terms])
    r.digits = None
    if numbers not in (rows[-1], r.value(eq.value)):  # "1 + 1" as formulas is the numbers row
        rows.append(numbers)
    rows.append(r.value(eq.value))
    return rows


# --------------------------------------------------------------------------------------------
# The three formats
# --------------------------------------------------------------------------------------------


def _plain(text: str) -> str:
    return text


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|~$<>&])")


def markdown_text(text: str) -> str:
    """`text` (a node name, from a label) as literal Markdown: its punctuation backslash-escaped
    and ``< > &`` written as HTML entities, so a label such as ``<b onmouseover=...>`` or
    ``*x*`` shows as typed instead of becoming HTML or emphasis."""

    def escape(match: re.Match) -> str:
        ch = match.group(1)
        return {"<": "&lt;", ">": "&gt;", "&": "&amp;"}.get(ch, "\\" + ch)

    return _MARKDOWN_SPECIAL.sub(escape, text)


def _intro(d: Derivation, esc: Callable[[str], str] = _plain) -> list[str]:
    """The explanation before the equations; `esc` writes each name (and symbol made of
    names) for the output format (`markdown_text` for Markdown)."""
    out, wrt = esc(d.names[d.out]), esc(d.names[d.wrt])
    partial = esc(d.notation.total(d.names[d.out], d.names[d.wrt]))
    mark = d.notation.total_mark
    if d.mode == "self":
        return [f"{partial} = 1: the derivative of a value with respect to itself."]
    if d.mode == "none":
        return [
            f"{wrt} is not in the graph of {out}: no path leads from it to {out}, so {partial} = 0."
        ]
    if d.mode == "paths":
        plural = "path" if d.paths == 1 else "paths"
        lines = [
            f"{partial} by the chain rule: {d.paths} {plural} from {wrt} to {out}. Along each "
            f"path multiply the local derivatives (∂v/∂u: one op's); then add the paths up "
            f"(∂{mark}: the total derivative, every path)."
        ]
        for k, nodes in enumerate(d.path_nodes, start=1):
            shown = [esc(d.names[n]) for n in nodes]
            if len(shown) > MAX_FACTORS + 1:
                shown = shown[:5] + [f"⋯ {len(shown) - 9} more ⋯"] + shown[-4:]
            lines.append(f"  path {k}: {' → '.join(shown)}")
        return lines
    lines = [
        f"{partial} by the chain rule: {d.paths:,} paths lead from {wrt} to {out}. They share "
        f"sub-paths, so rather than writing each path the sum is grouped where paths split: for "
        f"a node v used by several others, ∂{mark}{out}/∂v = Σ over its uses c of ∂{mark}{out}/∂c "
        f"times the "
        f"local derivatives from v to c. From the output back to {wrt}:"
    ]
    if d.hidden:
        lines.append(
            f"  ({d.hidden} equations for nodes nearer {out} are not shown: each follows the same "
            f"rule, and their values appear below as numbers.)"
        )
    return lines


CHOSEN_ZERO_NOTE = (
    "inf × 0 is taken as 0 here, as backward() takes it: the op chooses a 0 derivative there "
    "(relu at x ≤ 0, say), and a chosen 0 wins over an infinite derivative, as in PyTorch."
)


def _verdict(d: Derivation, esc: Callable[[str], str] = _plain) -> str:
    partial = esc(d.notation.total(d.names[d.out], d.names[d.wrt]))
    found = f"backward() found {partial} = {number(d.backward_value)}"
    if d.agrees:
        return f"{found}: the two agree (difference {fmt(d.difference, 2)})."
    return f"{found}: the two DISAGREE by {fmt(d.difference)}."


def text(d: Derivation) -> str:
    """The derivation as plain Unicode text."""
    lines = _intro(d)
    r = _Text(d)
    for eq in d.equations:
        lhs = d.notation.total(d.names[d.out], d.names[eq.node])
        rows = _lines(r, eq)
        lines.append("")
        lines.append(f"{lhs} = {rows[0]}")
        lines.extend(f"{' ' * len(lhs)} = {row}" for row in rows[1:])
    lines.append("")
    if d.chooses_zero:
        lines.append(CHOSEN_ZERO_NOTE)
    lines.append(_verdict(d))
    return "\n".join(lines)


def latex(d: Derivation) -> str:
    """The equations as one ``aligned`` environment (math mode)."""
    r = _Latex(d)
    rows = []
    if d.mode in ("self", "none"):
        rows.append(f"{r.total(d.out, d.wrt)} &= {1 if d.mode == 'self' else 0}")
    for eq in d.equations:
        lines = _lines(r, eq)
        rows.append(f"{r.total(d.out, eq.node)} &= {lines[0]}")
        rows.extend(f"&= {line}" for line in lines[1:])
    agree = r"\text{(backward() agrees)}" if d.agrees else r"\text{(backward() DISAGREES: }"
    if not d.agrees:
        agree += latex_number(d.backward_value, number(d.backward_value)) + r"\text{)}"
    rows[-1] += r" \quad " + agree
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def markdown(d: Derivation) -> str:
    """Prose in Markdown, the equations as LaTeX between ``$$`` lines."""
    intro = _intro(d, markdown_text)
    parts = [intro[0]]
    if len(intro) > 1:
        parts.append("\n".join(f"- {line.strip()}" for line in intro[1:]))
    parts.append("$$\n" + latex(d) + "\n$$")
    if d.chooses_zero:
        parts.append(CHOSEN_ZERO_NOTE.replace("backward()", "`backward()`"))
    verdict = _verdict(d, markdown_text)
    parts.append(verdict.replace("backward()", "`backward()`", 1))
    return "\n\n".join(parts) + "\n"
