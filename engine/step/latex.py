"""LaTeX for derivations: node names, the op table's formulas, and numbers.

    latex_name("w2,1⁽¹⁾")          -> w_{2,1}^{(1)}
    latex_name("mul₁")             -> \\mathrm{mul}_{1}
    latex_formula("1 - tanh(x)²")  -> 1 - \\tanh(x)^{2}   (placeholders x, y, out, x_i kept)
    latex_number(1.5e-05)          -> 1.5 \\times 10^{-5}

The formulas come from the op table (`engine.core.ops`), whose text uses a small alphabet (·, ², √,
^,
σ, α, β, π, Φ, φ, "A if C else B"); `latex_formula` turns each of those into LaTeX and leaves the
placeholders as ``\\x00name\\x00`` markers for `fill` to replace with LaTeX names. Every name is
put in braces when it is filled in, so a name with its own superscript can take another one.
"""

from __future__ import annotations

import math
import re

__all__ = ["latex_name", "latex_formula", "latex_number", "fill", "escape_text"]

_SUBSCRIPT_DIGITS = "₀₁₂₃₄₅₆₇₈₉"
_SUPERSCRIPTS = {
    "⁰": "0",
    "¹": "1",
    "²": "2",
    "³": "3",
    "⁴": "4",
    "⁵": "5",
    "⁶": "6",
    "⁷": "7",
    "⁸": "8",
    "⁹": "9",
    "⁽": "(",
    "⁾": ")",
    "⁺": "+",
    "⁻": "-",
    "ˡ": "l",
}
_GREEK = {
    "α": r"\alpha",
    "β": r"\beta",
    "γ": r"\gamma",
    "δ": r"\delta",
    "ε": r"\varepsilon",
    "η": r"\eta",
    "θ": r"\theta",
    "λ": r"\lambda",
    "μ": r"\mu",
    "π": r"\pi",
    "σ": r"\sigma",
    "τ": r"\tau",
    "φ": r"\varphi",
    "ω": r"\omega",
    "Φ": r"\Phi",
    "Σ": r"\sum",
}
_SYMBOLS = {
    "·": r" \cdot ",
    "×": r" \times ",
    "²": "^{2}",
    "½": r"\frac{1}{2}",
    "∈": r" \in ",
    "≠": r" \neq ",
    "≥": r" \geq ",
    "≤": r" \leq ",
    "∂": r"\partial ",
    "…": r"\dots ",
    "⋯": r"\cdots ",
}
LATEX_FUNCTIONS = frozenset(
    "arccos arcsin arctan cos cosh cot coth exp ln log max min sin sinh tan tanh".split()
)
"""The function names LaTeX sets itself (``\\tanh``). Any other name applied to an argument, such as
an op's ``softplus(x)`` or ``sign(x)``, is set as ``\\operatorname{...}``, so a new op's formulas
need nothing here."""
PLACEHOLDERS = ("x_i", "out", "x", "y")
_TEXT_ESCAPES = {
    "\\": r"\backslash ",
    "{": r"\{",
    "}": r"\}",
    "_": r"\_",
    "#": r"\#",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "~": r"\sim ",
    "^": r"\wedge ",
    " ": r"\ ",
    "<": r"\lt ",  # MathJax's and KaTeX's names: a raw < or > would be read as HTML in a notebook
    ">": r"\gt ",
}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MARK = "\x00"


def escape_text(text: str) -> str:
    """`text` made safe inside ``\\mathrm{...}``: LaTeX's special characters escaped."""
    out = []
    for ch in text:
        if ch in _TEXT_ESCAPES:
            out.append(_TEXT_ESCAPES[ch])
        elif ch in _SUBSCRIPT_DIGITS:
            out.append(str(_SUBSCRIPT_DIGITS.index(ch)))
        elif ch in _SUPERSCRIPTS:
            out.append(_SUPERSCRIPTS[ch])
        elif ch in _GREEK:
            out.append(_GREEK[ch] + " ")
        elif ord(ch) < 32:
            out.append("?")
        else:
            out.append(ch)
    return "".join(out)


def latex_number(x: float, text: str | None = None) -> str:
    """`x` in LaTeX: ``-1.5``, ``1.2346 \\times 10^{-5}``; `text` is a preformatted form."""
    if math.isnan(x):
        return r"\mathrm{nan}"
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    shown = text if text is not None else repr(x)
    mantissa, _, exponent = shown.lower().partition("e")
    if not exponent:
        return mantissa
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def latex_name(name: str) -> str:
    """A node name as LaTeX: ``x1`` -> ``x_{1}``, ``w2,1⁽¹⁾`` -> ``w_{2,1}^{(1)}``,
    ``mul₁`` -> ``\\mathrm{mul}_{1}``, ``-3`` -> ``-3``; anything else in ``\\mathrm{}``."""
    if _NUMBER.fullmatch(name):
        return latex_number(float(name), name)
    match = re.match(r"[A-Za-z]+|[α-ωΑ-Ω]", name)
    if match is None:
        return rf"\mathrm{{{escape_text(name)}}}"
    base = match.group()
    sub, sup = [], []
    for ch in name[len(base) :]:
        if ch.isascii() and (ch.isdigit() or ch == ","):
            sub.append(ch)
        elif ch in _SUBSCRIPT_DIGITS:
            sub.append(str(_SUBSCRIPT_DIGITS.index(ch)))
        elif ch in _SUPERSCRIPTS:
            sup.append(_SUPERSCRIPTS[ch])
        else:
            return rf"\mathrm{{{escape_text(name)}}}"
    if base in _GREEK:
        text = _GREEK[base]
    elif len(base) == 1:
        text = base
    else:
        text = rf"\mathrm{{{base}}}"
    if sub:
        text += "_{" + "".join(sub) + "}"
    if sup:
        text += "^{" + "".join(sup) + "}"
    return text


# --------------------------------------------------------------------------------------------
# Formulas
# --------------------------------------------------------------------------------------------


def _operand(text: str, i: int) -> tuple[str, int]:
    """The operand of ``^`` or ``√`` starting at `text[i]`: a parenthesised group (without its
    parentheses), or a signed word or number. Returns (operand text, index after it)."""
    if i < len(text) and text[i] == "(":
        depth = 0
        for j in range(i, len(text)):
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            if depth == 0:
                return text[i + 1 : j], j + 1
        return text[i + 1 :], len(text)
    j = i + 1 if i < len(text) and text[i] == "-" else i
    match = _WORD.match(text, j) or _NUMBER.match(text, j)
    if match is None:
        end = min(len(text), j + 1)
        return text[i:end], end
    return text[i : match.end()], match.end()


def _convert(text: str) -> str:
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "^":
            operand, i = _operand(text, i + 1)
            out.append("^{" + _convert(operand) + "}")
            continue
        if ch == "√":
            operand, i = _operand(text, i + 1)
            out.append(r"\sqrt{" + _convert(operand) + "}")
            continue
        word = _WORD.match(text, i)
        if word is not None:
            token = word.group()
            if token in PLACEHOLDERS:
                out.append(_MARK + token + _MARK)
            elif token in LATEX_FUNCTIONS:
                out.append("\\" + token)
            elif len(token) > 1 and text.startswith("(", word.end()):
                out.append(rf"\operatorname{{{escape_text(token)}}}")
            elif len(token) == 1:
                out.append(token)
            else:
                out.append(rf"\mathrm{{{escape_text(token)}}}")
            i = word.end()
            continue
        if ch in _SYMBOLS:
            out.append(_SYMBOLS[ch])
        elif ch in _GREEK:
            out.append(_GREEK[ch] + " ")
        elif ch in "{}":
            out.append("\\" + ch)
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def latex_formula(template: str) -> str:
    """An op-table formula (``"1 - tanh(x)²"``, ``"1 if x > 0 else α"``) as LaTeX, with the
    placeholders x, y, out, x_i left as markers for `fill`."""
    match = re.fullmatch(r"(.+?) if (.+?) else (.+)", template)
    if match:
        then, condition, otherwise = (_convert(part) for part in match.groups())
        return rf"{then} \text{{ if }} {condition} \text{{ else }} {otherwise}"
    return _convert(template)


def fill(latex: str, names: dict[str, str]) -> str:
    """`latex` (from `latex_formula`) with each placeholder marker replaced by ``{names[key]}``
    (a negative number in parentheses)."""

    def replace(match: re.Match) -> str:
        key = match.group(1)
        if key not in names:
            return key
        name = names[key]
        return "{(" + name + ")}" if name.startswith("-") else "{" + name + "}"

    return re.sub(_MARK + r"([A-Za-z_]+)" + _MARK, replace, latex)
