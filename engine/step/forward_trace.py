"""The forward trace: the nodes of a graph in the order the forward pass computed them.

>>> from engine import Value
>>> a = Value(2.0, label="a")
>>> print(forward_trace(a * 3 + 1))
forward pass (inputs first):
  1. a = 2  (input)
  2. 3 = 3  (constant)
  3. mul₁ = a · 3 = 6
  4. 1 = 1  (constant)
  5. add₁ = mul₁ + 1 = 7
"""

from __future__ import annotations

from typing import Iterator, Mapping

from engine.core.graph import topological_order
from engine.core.names import forward_formula, names_for
from engine.core.numfmt import equation, fmt, get_digits
from engine.core.ops import OPS
from engine.core.value import Value, leaf_kind

__all__ = ["forward_trace", "ForwardTrace", "TraceEntry", "formula_of"]


class TraceEntry:
    """One node of the forward pass: its position, name, formula (``""`` for a leaf) and value."""

    __slots__ = ("index", "node", "name", "formula", "value", "kind", "digits")

    def __init__(
        self,
        index: int,
        node: Value,
        name: str,
        formula: str,
        kind: str,
        digits: int | None = None,
    ) -> None:
        self.index = index
        self.node = node
        self.name = name
        self.formula = formula
        self.value = node.data
        self.kind = kind
        self.digits = digits

    def __str__(self) -> str:
        value = fmt(self.value, self.digits)
        if self.formula:
            return f"{self.index:>3}. {self.name} = {self.formula} = {value}"
        return f"{self.index:>3}. {self.name} = {value}  ({self.kind})"

    def __repr__(self) -> str:
        return f"<TraceEntry {self.index} {self.name}={fmt(self.value)}>"


class ForwardTrace:
    """The nodes of a graph in the order the forward pass computed them; ``str()`` lists them."""

    __slots__ = ("root", "entries")

    def __init__(self, root: Value, entries: tuple[TraceEntry, ...]) -> None:
        self.root = root
        self.entries = entries

    def __iter__(self) -> Iterator[TraceEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> TraceEntry:
        return self.entries[index]

    def __str__(self) -> str:
        return "forward pass (inputs first):\n" + "\n".join(str(e) for e in self.entries)

    def __repr__(self) -> str:
        return f"<ForwardTrace of {len(self.entries)} nodes>"


def formula_of(node: Value, names: Mapping[Value, str], digits: int | None = None) -> str:
    """How `node` was computed, in its parents' names (``tanh(n)``, ``x1 · w1``); ``""`` for a
    leaf. When every parent is an unlabelled constant the formula is pure arithmetic
    (``0.12345 · 8.1``): its numbers then get the digits it needs to recompute to the node's
    printed value (`engine.core.numfmt.equation`)."""
    if not node.parents:
        return ""
    if any(p.parents or p.label for p in node.parents):
        return forward_formula(node, names)
    op = OPS[node.op]

    def compute(*xs: float) -> float:
        if op.arity == 1:
            return op.forward(xs[0], node.arg)
        if op.arity == 2:
            return op.forward(xs[0], xs[1])
        return op.forward(xs)

    d = get_digits() if digits is None else digits
    shown, _ = equation(compute, [p.data for p in node.parents], node.data, d)
    local = dict(names)
    local.update(zip(node.parents, shown))
    return forward_formula(node, local)


def _trace(
    order: list[Value], names: Mapping[Value, str], root: Value, digits: int | None = None
) -> ForwardTrace:
    entries = []
    for index, node in enumerate(order, start=1):
        formula = formula_of(node, names, digits)
        kind = "output" if node.parents else leaf_kind(node)
        entries.append(TraceEntry(index, node, names[node], formula, kind, digits))
    return ForwardTrace(root, tuple(entries))


def _check_root(root: object, where: str) -> Value:
    if not isinstance(root, Value):
        raise TypeError(f"{where} needs a Value as its root, got {type(root).__name__} {root!r}")
    return root


def forward_trace(root: Value, *, digits: int | None = None) -> ForwardTrace:
    """The forward pass of `root`: every node, each after its inputs, with its value.

    The order is the topological order (`engine.core.graph.topological_order`): the leaves as the
    walk from `root` meets them, then each op once its inputs are listed (for an expression
    whose inputs were made first, the order Python computed it). Each entry shows the op
    table's formula in node names, e.g. ``n = add₂ + b = 0.8814``, with `digits` significant
    digits (default `engine.core.numfmt.get_digits()`).
    """
    _check_root(root, "forward_trace")
    order = topological_order(root)
    return _trace(order, names_for(order), root, digits)
