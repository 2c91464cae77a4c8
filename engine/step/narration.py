"""Backpropagation one node at a time: narrated steps, a forward trace, and an interactive Stepper.

Reverse mode visits the nodes in reverse topological order (outputs before inputs). When a node
``out`` is visited its gradient ``out_bar = ∂L/∂out`` is complete, and the chain rule passes it
on to each parent ``x``:

    x_bar += out_bar · ∂out/∂x

`backward_steps(root)` runs exactly the loop `Value.backward()` runs (`engine.value._backpropagate`)
and turns each visit into a `Step`: the node, its op, its upstream gradient ``out_bar`` and, for
each parent, the local derivative ∂out/∂x with its formula from the op table, the contribution
``out_bar · ∂out/∂x`` and the parent's gradient after it. ``str(step)`` narrates it::

    [1/10] o = tanh(n) = 0.7071;  ∂o/∂o = 1 (the seed)
      ∂o/∂n = 1 - tanh(n)² = 0.5000;  n.grad += 1.0000 × 0.5000 = 0.5000 (now 0.5000)

`forward_trace(root)` lists the nodes in the order the forward pass computed them, and `Stepper`
walks the backward pass forwards and backwards (undo restores the gradients exactly) and draws
the current state.

Nodes are named by their label; unlabelled constants by their value (``2``, ``6.8814``) and other
unlabelled nodes by their op and a per-op count in topological order (``mul₁``, ``add₂``).
"""

from __future__ import annotations

import re
from typing import Iterator, Mapping

from engine.backprop import _backpropagate
from engine.graph import topological_order
from engine.names import (
    _LEAF_KIND_TEXT,
    _derivative_formula,
    _fill,
    _forward_formula,
    _grad_of,
    _names_for,
    _partial,
)
from engine.ops import OPS
from engine.value import Value, _as_float, _fmt, leaf_kind

__all__ = ["backward_steps", "Step", "ParentTerm", "forward_trace", "ForwardTrace", "TraceEntry"]

_NUMBER = re.compile(r"-?\d+(\.\d+)?")


# --------------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------------


class ParentTerm:
    """One parent's share of a step: ``parent.grad += upstream · local``.

    parent:       the parent Value.
    name:         its readable name.
    formula:      the local derivative's formula from the op table, in node names.
    local:        ∂node/∂parent, evaluated.
    contribution: upstream · local, the amount added to ``parent.grad``.
    grad_before:  ``parent.grad`` just before this contribution.
    grad_after:   ``parent.grad`` just after it (with a repeated parent, ``a + a``, the running
                  sum: the second term's `grad_before` is the first term's `grad_after`).
    """

    __slots__ = ("parent", "name", "formula", "local", "contribution", "grad_before", "grad_after")

    def __init__(
        self,
        parent: Value,
        name: str,
        formula: str,
        local: float,
        contribution: float,
        grad_before: float,
        grad_after: float,
    ) -> None:
        self.parent = parent
        self.name = name
        self.formula = formula
        self.local = local
        self.contribution = contribution
        self.grad_before = grad_before
        self.grad_after = grad_after

    def __repr__(self) -> str:
        return (
            f"ParentTerm({self.name}: local={_fmt(self.local)}, "
            f"contribution={_fmt(self.contribution)}, grad_after={_fmt(self.grad_after)})"
        )


class Step:
    """One node's visit in the backward pass.

    index, total: this is step ``index`` (1-based) of ``total``, one per node of the graph.
    node, op:     the Value visited and its op name (``""`` for a leaf).
    name:         the node's readable name; `root_name` the root's.
    formula:      how the node was computed, in node names (``tanh(n)``); ``""`` for a leaf.
    upstream:     the node's gradient ∂root/∂node when visited (for the root: the seed).
    terms:        one `ParentTerm` per parent, in order (empty for a leaf).
    """

    __slots__ = (
        "index",
        "total",
        "node",
        "op",
        "name",
        "root_name",
        "formula",
        "upstream",
        "terms",
    )

    def __init__(
        self,
        index: int,
        total: int,
        node: Value,
        name: str,
        root_name: str,
        formula: str,
        upstream: float,
        terms: tuple[ParentTerm, ...],
    ) -> None:
        self.index = index
        self.total = total
        self.node = node
        self.op = node.op
        self.name = name
        self.root_name = root_name
        self.formula = formula
        self.upstream = upstream
        self.terms = terms

    @property
    def is_seed(self) -> bool:
        """True for the first step, the root's, whose upstream gradient is the seed."""
        return self.index == 1

    @property
    def is_leaf(self) -> bool:
        return not self.terms and not self.node.parents

    @property
    def parents(self) -> tuple[Value, ...]:
        return self.node.parents

    @property
    def locals(self) -> tuple[float, ...]:
        """∂node/∂parent for each parent."""
        return tuple(term.local for term in self.terms)

    def _headline(self) -> str:
        where = f"[{self.index}/{self.total}]"
        value = _fmt(self.node.data)
        upstream = f"{_partial(self.root_name, self.name)} = {_fmt(self.upstream)}"
        if self.is_seed:
            upstream += " (the seed)"
        if self.is_leaf:
            kind = _LEAF_KIND_TEXT[leaf_kind(self.node)]
            return f"{where} {self.name} = {value} is {kind} (a leaf): nothing to pass on"
        return f"{where} {self.name} = {self.formula} = {value};  upstream {upstream}"

    def _term_line(self, term: ParentTerm) -> str:
        local = f"{_partial(self.name, term.name)} = {term.formula}"
        if not _NUMBER.fullmatch(term.formula):  # "1" needs no "= 1.0000" after it
            local += f" = {_fmt(term.local)}"
        added = (
            f"{_grad_of(term.name)} += {_fmt(self.upstream)} × {_fmt(term.local)} = "
            f"{_fmt(term.contribution)} (now {_fmt(term.grad_after)})"
        )
        return f"  {local};  {added}"

    def narrate(self) -> str:
        """Two to four lines: the node and its upstream gradient, then the chain rule per parent."""
        lines = [self._headline()]
        if self.is_leaf:
            final = f"{_partial(self.root_name, self.name)} = {_fmt(self.upstream)}"
            lines.append(f"  its gradient is final: {final}")
        elif len(self.terms) <= 3:
            lines.extend(self._term_line(term) for term in self.terms)
        else:  # n-ary with many inputs: one formula, then the numbers in two lines
            formula = _fill(OPS[self.op].derivatives[0], {"out": self.name})
            lines.append(
                f"  {_partial(self.name, 'x_i')} = {formula} for each input x_i; "
                f"x_i.grad += {_fmt(self.upstream)} × local"
            )
            lines.append("  local: " + ", ".join(f"{t.name} {_fmt(t.local)}" for t in self.terms))
            lines.append(
                "  grads now: " + ", ".join(f"{t.name} {_fmt(t.grad_after)}" for t in self.terms)
            )
        return "\n".join(lines)

    __str__ = narrate

    def __repr__(self) -> str:
        kind = self.op or "leaf"
        return (
            f"<Step {self.index}/{self.total} {self.name} ({kind}) upstream={_fmt(self.upstream)}>"
        )


def _make_step(
    index: int,
    total: int,
    node: Value,
    out_bar: float,
    local: tuple,
    before: tuple,
    names: Mapping[Value, str],
    root_name: str,
) -> Step:
    """Turn one yield of `_backpropagate` into a Step, replaying the contributions in order.

    The running sums repeat the engine's own additions in the engine's order, so each
    `grad_after` is bitwise the value the engine stored.
    """
    terms = []
    running: dict[int, float] = {}
    for i, (parent, d) in enumerate(zip(node.parents, local)):
        key = id(parent)
        grad_before = running.get(key, before[i])
        contribution = out_bar * d
        grad_after = grad_before + contribution
        running[key] = grad_after
        terms.append(
            ParentTerm(
                parent,
                names[parent],
                _derivative_formula(node, i, names),
                d,
                contribution,
                grad_before,
                grad_after,
            )
        )
    formula = _forward_formula(node, names) if node.parents else ""
    return Step(index, total, node, names[node], root_name, formula, out_bar, tuple(terms))


def _steps(
    root: Value, seed: float, order: list[Value], names: Mapping[Value, str]
) -> Iterator[Step]:
    total = len(order)
    root_name = names[root]
    for index, (node, out_bar, local, before) in enumerate(
        _backpropagate(root, seed, narrate=True), start=1
    ):
        yield _make_step(index, total, node, out_bar, local, before, names, root_name)


def _check_root(root: object, where: str) -> Value:
    if not isinstance(root, Value):
        raise TypeError(f"{where} needs a Value as its root, got {type(root).__name__} {root!r}")
    return root


def backward_steps(root: Value, grad: float = 1.0) -> Iterator[Step]:
    """The backward pass of `root`, one `Step` per node, in reverse topological order.

    This is `root.backward(grad)` itself, paused after every node: the first step seeds
    ``root.grad`` with `grad` (interior gradients are reset first, as `backward()` does), each
    later step applies ``x_bar += out_bar · ∂out/∂x`` to the node's parents, and leaves come as
    steps with no terms. Consuming every step leaves exactly the gradients ``backward(grad)``
    gives. ``print(step)`` narrates it.
    """
    _check_root(root, "backward_steps")
    seed = _as_float(grad, "backward_steps(grad)")
    order = topological_order(root)
    return _steps(root, seed, order, _names_for(order))


# --------------------------------------------------------------------------------------------
# The forward trace
# --------------------------------------------------------------------------------------------


class TraceEntry:
    """One node of the forward pass: its position, name, formula (``""`` for a leaf) and value."""

    __slots__ = ("index", "node", "name", "formula", "value", "kind")

    def __init__(self, index: int, node: Value, name: str, formula: str, kind: str) -> None:
        self.index = index
        self.node = node
        self.name = name
        self.formula = formula
        self.value = node.data
        self.kind = kind

    def __str__(self) -> str:
        if self.formula:
            return f"{self.index:>3}. {self.name} = {self.formula} = {_fmt(self.value)}"
        return f"{self.index:>3}. {self.name} = {_fmt(self.value)}  ({self.kind})"

    def __repr__(self) -> str:
        return f"<TraceEntry {self.index} {self.name}={_fmt(self.value)}>"


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


def _trace(order: list[Value], names: Mapping[Value, str], root: Value) -> ForwardTrace:
    entries = []
    for index, node in enumerate(order, start=1):
        formula = _forward_formula(node, names) if node.parents else ""
        entries.append(
            TraceEntry(
                index, node, names[node], formula, "output" if node.parents else leaf_kind(node)
            )
        )
    return ForwardTrace(root, tuple(entries))


def forward_trace(root: Value) -> ForwardTrace:
    """The forward pass of `root`: every node in the order it was computed, with its value.

    The order is `engine.graph.topological_order`: the leaves, then each op in the order the
    forward pass computed it; each entry shows the op table's formula in node names, e.g.
    ``n = add₂ + b = 0.8814``.
    """
    _check_root(root, "forward_trace")
    order = topological_order(root)
    return _trace(order, _names_for(order), root)
