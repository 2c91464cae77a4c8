"""Names for the nodes of a graph, and the op table's formulas written with those names.

Nodes are named by their label; unlabelled constants by their value (``2``, ``6.881``) and other
unlabelled nodes by their op and a per-op count in topological order (``mul₁``, ``add₂``). The
narration, the Stepper and the drawings all use these names, so a box in a picture and a line of
narration always call a node the same thing.

`weight_name` and `bias_name` write a network's parameters as the lectures do: w_ij^(l) is
``w₂₁⁽¹⁾`` (1-based; i the input, j the neuron, l the layer) and b_j^(l) is ``b₁⁽¹⁾``
(``nn.MLP(..., names="lecture")`` labels its parameters so).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Mapping

from engine.core.graph import topological_order
from engine.core.numfmt import equation, fmt, get_digits, holds
from engine.core.ops import FLOAT_MATH, OPS
from engine.core.value import Value, leaf_kind

__all__ = ["node_names", "weight_name", "bias_name"]

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_ARG_SYMBOLS = {"alpha": "α", "beta": "β"}  # how the op table's formulas write an op's argument
_PLACEHOLDER = re.compile(r"(?<![A-Za-z0-9_])(x_i|out|x|y)(?![A-Za-z0-9_])")
_SIMPLE_NAME = re.compile(r"[\w.,⁽⁾]+")  # ⁽ ⁾ and , for the lectures' w₂₁⁽¹⁾ and w₃,₁₂⁽²⁾


# --------------------------------------------------------------------------------------------
# Names for nodes
# --------------------------------------------------------------------------------------------

LEAF_KIND_TEXT = {"parameter": "a parameter", "input": "an input", "constant": "a constant"}


def _constant_name(x: float) -> str:
    """How a constant leaf reads in a formula: ``2``, ``0.5``, ``-3``, ``6.881``."""
    if math.isfinite(x) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return fmt(x)


def _positive(n: object, what: str) -> int:
    if type(n) is not int or n < 1:
        raise ValueError(f"{what} must be a positive int (indices are 1-based), got {n!r}")
    return n


def _indices(*numbers: int) -> str:
    """Subscript digits, ``₂₁``; with a comma when an index has two digits, ``₁,₁₂``."""
    joiner = "," if any(n > 9 for n in numbers) else ""
    return joiner.join(str(n).translate(_SUBSCRIPTS) for n in numbers)


def weight_name(i: int, j: int, layer: int) -> str:
    """The lecture's w_ij^(l): the weight from input i to neuron j of layer l, 1-based:
    ``weight_name(2, 1, 1) == "w₂₁⁽¹⁾"``."""
    i, j = _positive(i, "weight_name(i)"), _positive(j, "weight_name(j)")
    layer = _positive(layer, "weight_name(layer)")
    return f"w{_indices(i, j)}⁽{str(layer).translate(_SUPERSCRIPTS)}⁾"


def bias_name(j: int, layer: int) -> str:
    """The lecture's b_j^(l): the bias of neuron j of layer l, 1-based: ``b₁⁽²⁾``."""
    j, layer = _positive(j, "bias_name(j)"), _positive(layer, "bias_name(layer)")
    return f"b{_indices(j)}⁽{str(layer).translate(_SUPERSCRIPTS)}⁾"


def node_names(root: Value) -> dict[Value, str]:
    """A readable name for every node of `root`'s graph.

    The label when there is one; an unlabelled constant leaf reads as its value (``2``); an
    unlabelled Parameter as ``p₁, p₂, ...``; any other unlabelled node as its op name with a
    per-op counter in topological order (``mul₁``, ``add₂``; `engine.core.graph.topological_order`:
    the order Python computed an expression). Deterministic: it depends only on the graph.
    """
    if not isinstance(root, Value):
        raise TypeError(f"node_names needs a Value, got {type(root).__name__} {root!r}")
    return names_for(topological_order(root))


def names_for(order: list[Value]) -> dict[Value, str]:
    counts: dict[str, int] = {}
    names: dict[Value, str] = {}
    for node in order:
        if node.label:
            names[node] = node.label
            continue
        if not node.parents and leaf_kind(node) == "constant":
            names[node] = _constant_name(node.data)
            continue
        kind = node.op or "p"
        counts[kind] = counts.get(kind, 0) + 1
        names[node] = kind + str(counts[kind]).translate(_SUBSCRIPTS)
    return names


# --------------------------------------------------------------------------------------------
# Formulas from the op table, with the placeholders replaced by node names
# --------------------------------------------------------------------------------------------


def fill_in(template: str, names: Mapping[str, str]) -> str:
    """`template` with each placeholder (x, y, out, x_i) replaced by ``names[placeholder]``.

    A name that is not a single word (``-3``, ``a+b``) is parenthesised unless the template
    already encloses it; a name that follows a letter (the ``βx`` of swish) is joined with ``·``.
    """

    def replace(match: re.Match) -> str:
        key = match.group(1)
        if key not in names:
            return key
        name = names[key]
        start, end = match.span()
        enclosed = template[start - 1 : start] == "(" and template[end : end + 1] == ")"
        if not _SIMPLE_NAME.fullmatch(name) and not enclosed:
            name = f"({name})"
        if start > 0 and template[start - 1].isalpha():
            name = "·" + name
        return name

    return _PLACEHOLDER.sub(replace, template)


def arg_note(node: Value) -> str:
    """`` (α = 0.01)`` for an op with a constant parameter, else an empty string."""
    arg_name = OPS[node.op].arg_name
    if arg_name is None or node.arg is None:
        return ""
    return f" ({_ARG_SYMBOLS.get(arg_name, arg_name)} = {node.arg:g})"


def forward_formula(node: Value, names: Mapping[Value, str]) -> str:
    """How `node` was computed, in its parents' names: ``tanh(n)``, ``x1 · w1``."""
    op = OPS[node.op]
    if op.arity == -1:
        listed = ", ".join(names[p] for p in node.parents)
        return f"{fill_in(op.formula, {'out': names[node]})} over x_i ∈ ({listed})"
    slots = dict(zip(("x", "y"), (names[p] for p in node.parents)))
    slots["out"] = names[node]
    return fill_in(op.formula, slots) + arg_note(node)


def derivative_formula(node: Value, index: int, names: Mapping[Value, str]) -> str:
    """The op table's formula for ∂node/∂(parent `index`), in node names: ``1 - tanh(n)²``."""
    op = OPS[node.op]
    parents = node.parents
    if op.arity == -1:
        slots = {"x_i": names[parents[index]], "out": names[node]}
        return fill_in(op.derivatives[0], slots)
    slots = dict(zip(("x", "y"), (names[p] for p in parents)))
    slots["out"] = names[node]
    return fill_in(op.derivatives[index], slots)


def derivative_numbers(node: Value, index: int, local: float, digits: int | None = None) -> str:
    """The op table's formula for ∂node/∂(parent `index`) with the numbers filled in
    (``1 - tanh(0.8814)²``), each with the digits it needs for the formula, worked out from
    the printed numbers, to give `local` (the local derivative) as printed with `digits`
    significant digits (`engine.core.numfmt.equation`)."""
    op, parents = OPS[node.op], node.parents
    if op.arity == -1:
        template = op.derivatives[0]
        values = {"x_i": parents[index].data, "out": node.data}
    else:
        template = op.derivatives[index]
        values = dict(zip(("x", "y"), (p.data for p in parents)))
        values["out"] = node.data
    slots = [key for key in dict.fromkeys(_PLACEHOLDER.findall(template)) if key in values]

    def compute(*printed: float) -> float:
        """The op's own rule at the printed numbers; an input the formula does not show keeps
        its value, and ``out`` is recomputed from the inputs unless the formula shows it."""
        given = dict(zip(slots, printed))
        if op.arity == -1:
            xs = [p.data for p in parents]
            xs[index] = given.get("x_i", xs[index])
            out = given["out"] if "out" in given else op.forward(tuple(xs))
            if op.vjp is not None:  # the formula as printed: logsumexp's rule also divides by
                return float(op.vjp(FLOAT_MATH, 1.0, tuple(xs), out)[index])  # Σ e^(x_j - out)
            return float(op.local(FLOAT_MATH, tuple(xs), out)[index])
        xs = [given.get(k, values[k]) for k in ("x", "y")[: op.arity]]
        if "out" in given:
            out = given["out"]
        else:
            out = op.forward(xs[0], node.arg) if op.arity == 1 else op.forward(xs[0], xs[1])
        if op.arity == 1:
            return float(op.local(FLOAT_MATH, xs[0], out, node.arg)[0])
        return float(op.local(FLOAT_MATH, xs[0], xs[1], out)[index])

    d = get_digits() if digits is None else digits
    shown = [fmt(values[k], d) for k in slots]
    try:
        wider, result = equation(compute, [values[k] for k in slots], local, d)
        if holds(compute(*map(float, wider)), result, d):
            shown = wider  # else no digits helped (the rule fails at the printed numbers)
    except (ArithmeticError, ValueError, TypeError, IndexError):
        pass  # a user-defined rule that fails away from its own inputs: the plain digits
    if len(slots) == 1 and template.strip() == slots[0]:
        return shown[0]  # ∂(x·y)/∂x = y: "-3", not "(-3)"
    return fill_in(template, dict(zip(slots, shown)))


@lru_cache(maxsize=4096)
def _is_word(name: str) -> bool:
    """True for a name that reads as one symbol (``x1``, ``mul₁``), not a number or expression."""
    return bool(_SIMPLE_NAME.fullmatch(name)) and not name[0].isdigit()


def grad_of(name: str) -> str:
    """``n.grad``; a constant's name is parenthesised: ``(2).grad``."""
    return f"{name}.grad" if _is_word(name) else f"({name}).grad"


@lru_cache(maxsize=4096)
def partial_symbol(top: str, bottom: str) -> str:
    """``∂o/∂n``; a name that is not one word is parenthesised (``∂o/∂(-3)``)."""
    top = top if _is_word(top) else f"({top})"
    bottom = bottom if _is_word(bottom) else f"({bottom})"
    return f"∂{top}/∂{bottom}"
