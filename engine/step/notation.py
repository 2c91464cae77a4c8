"""Notation profiles: the symbols of one lecture, used by every teaching face of one run.

The five lectures name the same things differently. Lecture 004 writes neuron j of layer l as
``s_j^(l)`` (pre-activation) and ``x_j^(l) = θ(s_j^(l))`` (activation), with ``w_ij^(l)`` joining
input i to output j; lecture 000 writes ``z`` and ``h``; lecture 002 splits a neuron into
pre-activation ``a`` and activation ``h``; lecture 003 writes ``z`` and ``a = g(z)``; lectures
001 and 002 index weights the other way (row = output: ``β_ij`` joins input j to output i).

A `Notation` holds one lecture's choices; `notation(name)` looks one up in `NOTATIONS`. The
narration, derivations, practice, the δ mode and the network view take one ``notation=``
keyword (default `DEFAULT`) so that, within one run, they print the same symbols.

Total and local derivatives are written apart. The *total* derivative of the loss L with
respect to a node x (everything x influences, summed over all paths) is ``∂⁺L/∂x``; the
*local* derivative of one node v with respect to its input x (one row of the op table, the
other inputs held fixed) is ``∂v/∂x``. The chain rule then reads

    ∂⁺L/∂x = Σ_v ∂⁺L/∂v · ∂v/∂x

and never "X = A + X" when x also feeds the output directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.core.names import partial_symbol

__all__ = ["Notation", "NOTATIONS", "DEFAULT", "notation", "names"]

_SUB = str.maketrans("0123456789,", "₀₁₂₃₄₅₆₇₈₉,")
_SUP = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")


@dataclass(frozen=True)
class Notation:
    """One lecture's symbols.

    name:           the key in `NOTATIONS` (``"lecture-004"``).
    pre:            the pre-activation symbol (s, z or a): ``pre_j^(l) = b_j + Σ_i w_ij x_i``.
    act:            the activation symbol (x, h or a): ``act_j^(l) = g(pre_j^(l))``.
    weight:         the weight symbol (w, β or W).
    input_first:    True when ``w_ij`` joins input i to output j (004, 000); False when the row
                    is the output (``β_ij`` joins input j to output i: 001, 002).
    layer_style:    how the layer is written: ``"paren"`` (``x⁽²⁾``), ``"plain"`` (``a²``) or
                    ``"sub"`` (``h₂``, a leading subscript as in 000/002's ``h_i``).
    delta:          the δ symbol: ``δ_j^(l) = ∂⁺L/∂pre_j^(l)``.
    loss:           the loss symbol (L or 𝓛; lecture 004 writes e(W), kept as L, the name the
                    command line gives the loss node, so δ mode and narration agree).
    activation:     the activation function's symbol (θ, σ or g).
    target:         the target's symbol (y or t).
    prob:           the softmax output's symbol (p or y).
    total_mark:     the mark that makes ∂ a total derivative (``∂⁺``).
    first_class:    the index of the first class and neuron (1: the lectures count from 1).
    lr:             the learning rate's symbol (η).
    """

    name: str
    pre: str = "s"
    act: str = "x"
    weight: str = "w"
    input_first: bool = True
    layer_style: str = "paren"
    delta: str = "δ"
    loss: str = "L"
    activation: str = "θ"
    target: str = "y"
    prob: str = "p"
    total_mark: str = "⁺"
    first_class: int = 1
    lr: str = "η"

    def total(self, top: str, bottom: str) -> str:
        """The total derivative ``∂⁺top/∂bottom``: every path from bottom to top, summed."""
        return f"∂{self.total_mark}{partial_symbol(top, bottom)[1:]}"

    def local(self, top: str, bottom: str) -> str:
        """The local derivative ``∂top/∂bottom``: one op's, its other inputs held fixed."""
        return partial_symbol(top, bottom)

    def total_latex(self, top: str, bottom: str) -> str:
        """``\\frac{\\partial^{+} top}{\\partial bottom}`` (top and bottom already LaTeX)."""
        mark = "^{+}" if self.total_mark == "⁺" else f"^{{{self.total_mark}}}"
        return rf"\frac{{\partial{mark} {{{top}}}}}{{\partial {{{bottom}}}}}"

    def layer(self, l: int) -> str:
        """The layer mark for layer `l`: ``⁽²⁾``, ``²`` or (for ``"sub"``) empty."""
        if self.layer_style == "paren":
            return f"({l})".translate(_SUP)
        if self.layer_style == "plain":
            return str(l).translate(_SUP)
        return ""

    def symbol(self, symbol: str, *indices: int, layer: int | None = None) -> str:
        """``s₁⁽²⁾`` (paren), ``a₁²`` (plain) or ``h₂,₁`` (sub: layer first): `symbol` with 1-based
        `indices` as subscripts (comma-separated when one has two digits)."""
        subs = list(indices)
        if layer is not None and self.layer_style == "sub":
            subs = [layer, *subs]
        layer_first = self.layer_style == "sub" and len(subs) > 1
        sep = "," if any(i > 9 for i in subs) or layer_first else ""
        text = symbol + sep.join(str(i) for i in subs).translate(_SUB)
        if layer is not None and self.layer_style != "sub":
            text += self.layer(layer)
        return text

    def weight_name(self, i: int, j: int, layer: int | None = None) -> str:
        """The weight from input unit `i` to output unit `j` (both 1-based): ``w_ij`` when the
        input comes first, ``β_ji`` when the row is the output."""
        first, second = (i, j) if self.input_first else (j, i)
        return self.symbol(self.weight, first, second, layer=layer)

    def pre_name(self, j: int, layer: int | None = None) -> str:
        return self.symbol(self.pre, j, layer=layer)

    def act_name(self, j: int, layer: int | None = None) -> str:
        return self.symbol(self.act, j, layer=layer)

    def delta_name(self, j: int, layer: int | None = None) -> str:
        return self.symbol(self.delta, j, layer=layer)

    def bias_name(self, j: int, layer: int | None = None) -> str:
        return self.symbol("b", j, layer=layer)

    def input_name(self, i: int) -> str:
        """Input unit `i` (1-based): the activation of layer 0 (``x₁⁽⁰⁾``; ``x₁`` when the
        lecture calls inputs x and the activations something else)."""
        if self.act == "x":
            return self.symbol("x", i, layer=0)
        return self.symbol("x", i)

    def class_index(self, k: int) -> int:
        """Class `k` counted from 0 (as Python counts) in this notation's count."""
        return k + self.first_class

    def index_rule(self) -> str:
        """One line saying how weights are indexed."""
        w = self.weight_name(1, 2)
        if self.input_first:
            return f"{w} joins input 1 to output 2 (i the input, j the output)"
        return f"{w} joins input 1 to output 2 (the row is the output)"


NOTATIONS: dict[str, Notation] = {
    "lecture-000": Notation(
        "lecture-000",
        pre="z",
        act="h",
        activation="σ",
        target="t",
        prob="y",
        layer_style="paren",
    ),  # fmt: skip
    "lecture-001": Notation(
        "lecture-001",
        pre="z",
        act="y",
        weight="β",
        input_first=False,
        activation="σ",
        prob="ŷ",
        layer_style="plain",
    ),  # fmt: skip
    "lecture-002": Notation(
        "lecture-002",
        pre="a",
        act="h",
        weight="W",
        input_first=False,
        activation="σ",
        loss="𝓛",
        layer_style="plain",
    ),  # fmt: skip
    "lecture-003": Notation("lecture-003", pre="z", act="a", activation="g", layer_style="plain"),
    "lecture-004": Notation("lecture-004", pre="s", act="x", activation="θ"),
}
"""One profile per lecture of the course (``../shared/seeds/``)."""

DEFAULT = "lecture-004"
"""The profile used when none is chosen: the lecture with the δ rule."""


def notation(which: str | Notation | None = None) -> Notation:
    """The `Notation` named `which` (a key of `NOTATIONS`), `which` itself if it already is one,
    the `DEFAULT` profile for None. An unknown name raises ValueError naming it and the good
    ones."""
    if which is None:
        return NOTATIONS[DEFAULT]
    if isinstance(which, Notation):
        return which
    if isinstance(which, str) and which in NOTATIONS:
        return NOTATIONS[which]
    good = ", ".join(NOTATIONS)
    raise ValueError(f"unknown notation {which!r}: choose one of {good}")


def names() -> list[str]:
    """The profiles' names, for a command line's ``--notation`` choices."""
    return list(NOTATIONS)
