"""Backpropagation one node at a time: the narrated steps of a backward pass.

Notation (`engine.step.notation`): ``L`` is the output the backward pass starts from (the root),
``∂⁺L/∂x`` the *total* derivative of ``L`` with respect to node ``x`` (through every path), and
``∂v/∂x`` the *local* derivative of node ``v`` with respect to its input ``x`` (a row of the op
table). Reverse mode visits the nodes outputs first; when node ``v`` is visited ``∂⁺L/∂v`` is
complete, and the chain rule adds to each input ``x`` of ``v``:

    ∂⁺L/∂x += ∂⁺L/∂v · ∂v/∂x

The narration writes this with the nodes' names and numbers (root ``o``)::

    [1/10] o = tanh(n) = 0.7071;  upstream ∂⁺o/∂o = 1 (the seed)
      ∂o/∂n = 1 - tanh(n)² = 0.5;  ∂⁺o/∂n += ∂⁺o/∂o · ∂o/∂n = 1 × 0.5 = 0.5

A node used by several others collects one contribution per edge; until the last one arrives its
gradient is *partial*, and the line says so: ``(partial: 1 of 3 edges)``, then ``∂⁺o/∂a = 4 + 3 = 7
(all 3 edges: final)``.

Whose gradient. `backward_steps(root)` is ``root.backward()`` paused after every node: the same
walker (`engine.core.chain_rule.walk`) with the same pass, which keeps this pass's gradients
counted from zero and writes them into ``.grad`` when its last step is handed out (interior nodes
from zero, leaves *accumulate* across passes, as in PyTorch). Every number it reports is the
derivative of *this* pass: a leaf whose ``.grad`` already held something from an earlier
``backward()`` is narrated with its true derivative, and its step says what ``.grad`` holds.
Stopping before the last step leaves every ``.grad`` as it was.

Numbers follow `engine.core.numfmt`: significant digits, and every printed equation recomputes from
its printed numbers. The forward trace is in `engine.step.forward_trace`.
"""

from __future__ import annotations

import re
from typing import Iterator, Mapping

from engine.core.chain_rule import Pass, check_root, commit, leaf_error, walk
from engine.core.graph import topological_order
from engine.core.names import (
    LEAF_KIND_TEXT,
    derivative_formula,
    fill_in,
    grad_of,
    names_for,
)
from engine.core.numfmt import equation, fmt, holds
from engine.core.ops import OPS
from engine.core.value import Value, as_float, leaf_kind
from engine.step.forward_trace import (
    ForwardTrace,
    TraceEntry,
    _check_root,
    formula_of,
    forward_trace,
)
from engine.step.notation import Notation
from engine.step.notation import notation as _lookup_notation

__all__ = [
    "backward_steps",
    "is_constant",
    "step_count",
    "Step",
    "ParentTerm",
    "forward_trace",
    "ForwardTrace",
    "TraceEntry",
    "use_counts",
]

_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _product(a: float, b: float) -> float:
    return a * b


def _sum(a: float, b: float) -> float:
    return a + b


def is_constant(node: Value) -> bool:
    """A leaf that does not require a gradient: a number written into an expression (the 2 of
    ``x * 2``), a `detach()`-ed or ``requires_grad_(False)`` leaf. It is not differentiated (as
    in PyTorch), so no step narrates a gradient for it and practice asks nothing about it."""
    return not node.parents and not node.requires_grad


def step_count(order: list[Value]) -> int:
    """How many steps a backward pass over `order` narrates: one per node, except the constants,
    which are not differentiated (`is_constant`)."""
    return sum(not is_constant(node) for node in order)


def use_counts(order: list[Value]) -> dict[Value, int]:
    """How many edges leave each node of a graph (``a*a + a`` uses ``a`` three times): the number
    of contributions its gradient collects in a backward pass."""
    counts: dict[Value, int] = {}
    for node in order:
        for parent in node.parents:
            counts[parent] = counts.get(parent, 0) + 1
    return counts


# --------------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------------


class ParentTerm:
    """One input's share of a step: ``∂L/∂x += ∂L/∂v · ∂v/∂x``, numbers of this pass.

    parent:       the input Value x.
    name:         its readable name.
    formula:      the local derivative's formula from the op table, in node names.
    local:        ∂v/∂x, evaluated.
    contribution: ∂L/∂v · ∂v/∂x, the amount added to ∂L/∂x.
    grad_before:  ∂L/∂x of this pass just before this contribution (0 before the first).
    grad_after:   ∂L/∂x of this pass just after it (with a repeated input, ``a + a``, the running
                  sum: the second term's `grad_before` is the first term's `grad_after`).
    edge, edges:  this is contribution `edge` of the `edges` that x receives in the whole pass.
    """

    __slots__ = (
        "parent",
        "name",
        "formula",
        "local",
        "contribution",
        "grad_before",
        "grad_after",
        "edge",
        "edges",
    )

    def __init__(
        self,
        parent: Value,
        name: str,
        formula: str,
        local: float,
        contribution: float,
        grad_before: float,
        grad_after: float,
        edge: int = 1,
        edges: int = 1,
    ) -> None:
        self.parent = parent
        self.name = name
        self.formula = formula
        self.local = local
        self.contribution = contribution
        self.grad_before = grad_before
        self.grad_after = grad_after
        self.edge = edge
        self.edges = edges

    @property
    def partial(self) -> bool:
        """True while x still waits for contributions along other edges."""
        return self.edge < self.edges

    def __repr__(self) -> str:
        return (
            f"ParentTerm({self.name}: local={fmt(self.local)}, "
            f"contribution={fmt(self.contribution)}, grad_after={fmt(self.grad_after)}, "
            f"edge {self.edge} of {self.edges})"
        )


def partial_note(received: int, edges: int) -> str:
    """``(partial: 1 of 3 edges)`` while a gradient collects, ``(all 3 edges: final)`` when the
    last of several contributions arrives; empty for a node used once."""
    if edges <= 1:
        return ""
    if received < edges:
        return f"(partial: {received} of {edges} edges)"
    return f"(all {edges} edges: final)"


class Step:
    """One node's visit in the backward pass.

    index, total: this is step ``index`` (1-based) of ``total``, one per node of the graph.
    node, op:     the Value visited and its op name (``""`` for a leaf).
    name:         the node's readable name; `root_name` the root's.
    formula:      how the node was computed, in node names (``tanh(n)``); ``""`` for a leaf.
    upstream:     ∂root/∂node of this pass (complete when visited; for the root: the seed).
    terms:        one `ParentTerm` per input, in order (empty for a leaf).
    grad_earlier: for a leaf, what its ``.grad`` held before this pass (0.0 after zero_grad());
                  ``.grad`` ends as that plus `upstream`, as with ``backward()``.
    digits:       significant digits for `narrate` (None: `engine.core.numfmt.get_digits()`).
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
        "grad_earlier",
        "grad_held",
        "digits",
        "notation",
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
        grad_earlier: float = 0.0,
        grad_held: float | None = None,
        digits: int | None = None,
        notation: Notation | str | None = None,
    ) -> None:
        self.notation = _lookup_notation(notation)
        self.index = index
        self.total = total
        self.node = node
        self.op = node.op
        self.name = name
        self.root_name = root_name
        self.formula = formula
        self.upstream = upstream
        self.terms = terms
        self.grad_earlier = grad_earlier
        self.grad_held = upstream if grad_held is None else grad_held
        self.digits = digits

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

    # -- the text ---------------------------------------------------------------------------

    def _headline(self, d: int) -> str:
        where = f"[{self.index}/{self.total}]"
        value = fmt(self.node.data, d)
        upstream = f"{self.notation.total(self.root_name, self.name)} = {fmt(self.upstream, d)}"
        if self.is_seed:
            upstream += " (the seed)"
        if self.is_leaf and is_constant(self.node):
            return f"{where} {self.name} is a constant (a leaf): not differentiated, no gradient"
        if self.is_leaf:
            kind = LEAF_KIND_TEXT[leaf_kind(self.node)]
            return f"{where} {self.name} = {value} is {kind} (a leaf): nothing to pass on"
        return f"{where} {self.name} = {self.formula} = {value};  upstream {upstream}"

    def _term_line(self, term: ParentTerm, d: int) -> str:
        root, v, x = self.root_name, self.name, term.name
        if is_constant(term.parent):
            return f"  {x} is a constant: not differentiated"
        total, local_of = self.notation.total, self.notation.local
        local = f"{local_of(v, x)} = {term.formula}"
        if not _NUMBER.fullmatch(term.formula):  # "1" needs no "= 1" after it
            local += f" = {fmt(term.local, d)}"
        (up, loc), contribution = equation(
            _product, (self.upstream, term.local), term.contribution, d
        )
        chain = (
            f"{total(root, x)} += {total(root, v)} · {local_of(v, x)} = "
            f"{up} × {loc} = {contribution}"
        )
        line = f"  {local};  {chain}"
        if term.edge > 1:  # the running sum of this pass
            (before, added), after = equation(
                _sum, (term.grad_before, term.contribution), term.grad_after, d
            )
            line += f";  {total(root, x)} = {before} + {added} = {after}"
        note = partial_note(term.edge, term.edges)
        return f"{line} {note}" if note else line

    def _leaf_lines(self, d: int) -> list[str]:
        if is_constant(self.node):
            return []
        final = f"{self.notation.total(self.root_name, self.name)} = {fmt(self.upstream, d)}"
        lines = [f"  its gradient is final: {final}"]
        if self.grad_earlier != 0.0:
            (earlier, this), held = equation(
                _sum, (self.grad_earlier, self.upstream), self.grad_held, d
            )
            grad = grad_of(self.name)
            if holds(float(earlier) + float(this), held, d):
                total = f"{grad} = {earlier} + {this} = {held}"
            else:  # the running sum lost digits to rounding (a huge and a tiny contribution)
                total = f"{grad} holds {held}, not exactly {earlier} + {this} (rounding)"
            lines.append(
                f"  {total}: it also holds {earlier} from an earlier backward() "
                f"(zero_grad() first for this derivative alone)"
            )
        return lines

    def _many_inputs(self, d: int) -> list[str]:
        """An n-ary op with many inputs: one formula, then the numbers in two lines."""
        formula = fill_in(OPS[self.op].derivatives[0], {"out": self.name})
        root = self.root_name
        lines = [
            f"  {self.notation.local(self.name, 'x_i')} = {formula} for each input x_i;  "
            f"{self.notation.total(root, 'x_i')} += {fmt(self.upstream, d)} × local"
        ]
        lines.append("  local: " + ", ".join(f"{t.name} {fmt(t.local, d)}" for t in self.terms))
        now = []
        for t in self.terms:
            note = partial_note(t.edge, t.edges)
            now.append(f"{t.name} {fmt(t.grad_after, d)}" + (f" {note}" if t.partial else ""))
        lines.append(f"  {self.notation.total(root, 'x_i')} now: " + ", ".join(now))
        return lines

    def narrate(self, digits: int | None = None) -> str:
        """Two to four lines: the node and its upstream gradient, then the chain rule per input."""
        d = digits if digits is not None else self.digits
        if d is None:
            from engine.core.numfmt import get_digits

            d = get_digits()
        lines = [self._headline(d)]
        if self.is_leaf:
            lines.extend(self._leaf_lines(d))
        elif len(self.terms) <= 3:
            lines.extend(self._term_line(term, d) for term in self.terms)
        else:
            lines.extend(self._many_inputs(d))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.narrate()

    def __repr__(self) -> str:
        """The narration: in a REPL, ``s.next()`` shows the chain rule with its numbers."""
        return self.narrate()


# --------------------------------------------------------------------------------------------
# The pass
# --------------------------------------------------------------------------------------------


def _steps(
    root: Value,
    seed: float,
    order: list[Value],
    names: Mapping[Value, str],
    digits: int | None = None,
    notation: Notation | str | None = None,
) -> Iterator[Step]:
    """The chain-rule walker's own pass (`engine.core.chain_rule.walk`), paused after every node
    and narrated. The pass commits into ``.grad`` just before its last step is handed out, so a
    pass abandoned earlier leaves every ``.grad`` as it was."""
    p = Pass((root,), (seed,), quick=False)
    total = step_count(order)
    root_name = names[root]
    uses = use_counts(order)
    received: dict[Value, int] = {}
    index = 0
    for node, upstream, local, contributions, befores in walk(p, pause=True):
        if is_constant(node):
            continue  # the 2 of ``x * 2``: no step (its child's step says it is not differentiated)
        index += 1
        if not node.parents:  # a leaf: its gradient is final; inf or NaN from finite numbers raises
            error = leaf_error(p, node)
            if error is not None:
                raise error
        terms = []
        for i, parent in enumerate(node.parents):
            before = befores[i]
            after = before + contributions[i]  # what the walker summed into the parent's bar
            received[parent] = edge = received.get(parent, 0) + 1
            terms.append(
                ParentTerm(
                    parent,
                    names[parent],
                    derivative_formula(node, i, names),
                    local[i],
                    contributions[i],
                    before,
                    after,
                    edge,
                    uses.get(parent, 0),
                )
            )
        earlier = _number(node.grad) if not node.parents else 0.0
        if index == total:  # every step taken: the pass is complete, write it into .grad
            commit(p)
        yield Step(
            index,
            total,
            node,
            names[node],
            root_name,
            formula_of(node, names, digits),
            upstream,
            tuple(terms),
            grad_earlier=earlier,
            grad_held=earlier + upstream if not node.parents else upstream,
            digits=digits,
            notation=notation,
        )


def _number(grad: float | Value) -> float:
    """A ``.grad`` as a number: after ``backward(create_graph=True)`` it is a Value (a graph),
    and the steps show its number, ``.data``."""
    return grad.data if isinstance(grad, Value) else grad


def backward_steps(
    root: Value,
    grad: float = 1.0,
    *,
    digits: int | None = None,
    notation: Notation | str | None = None,
) -> Iterator[Step]:
    """The backward pass of `root`, one `Step` per node, in reverse topological order; the
    constants (the 2 of ``x * 2``, `is_constant`) are not differentiated and get no step.

    This is ``root.backward(grad)`` itself, paused after every node: consuming every step leaves
    exactly the ``.grad`` values ``backward(grad)`` leaves (interior nodes from zero; leaves add
    to what they held, as in PyTorch). Every number a Step reports is the derivative of *this*
    pass, counted from zero, so an earlier ``backward()`` changes nothing that is narrated; a
    leaf's step says when its ``.grad`` holds more. ``print(step)`` narrates it with `digits`
    significant digits (default `engine.core.numfmt.get_digits()`), writing total derivatives
    ``∂⁺L/∂x`` apart from local ones ``∂v/∂x`` in the symbols of `notation`
    (`engine.step.notation`; default its `DEFAULT`).
    """
    profile = _lookup_notation(notation)
    _check_root(root, "backward_steps")
    seed = as_float(grad, "backward_steps(grad)")
    check_root(root)
    order = topological_order(root)
    return _steps(root, seed, order, names_for(order), digits, profile)
