"""∂out/∂x written out as the chain rule: the sum over paths of products of local derivatives.

    from engine import derivation
    d = derivation(o, wrt=x1)
    print(d)          # the paths, the product along each: symbols, the op table's formulas, numbers
    d.latex()         # the same as LaTeX (a notebook shows it through _repr_latex_)
    d.markdown()      # Markdown with the LaTeX in $$ blocks
    d.value, d.backward_value, d.agrees

Every path from x up to out is a chain of edges x -> c₁ -> c₂ -> ... -> out; along it the chain
rule multiplies the local derivatives, ∂out/∂c_k · ... · ∂c₂/∂c₁ · ∂c₁/∂x, and ∂out/∂x is the
sum of those products over all paths. Each factor is shown three ways: as a partial derivative,
as the op table's formula in node names (``1 - tanh(n)²``), and as a number.

The number of paths can grow exponentially with depth, so beyond ``max_paths`` the sum is grouped
instead of exploded: wherever paths split (a node used by several others), ∂out/∂v is written as
the sum over its uses c of ∂out/∂c · (the chain of local derivatives from v to c), one equation
per such node, from the output back to x: the same sum, factored. The derivation also runs
``backward()`` (restoring every gradient afterwards) and keeps both numbers: they must agree.
"""

from __future__ import annotations

import math
from typing import Union

from engine.core.chain_rule import defined_local_derivatives
from engine.core.graph import topological_order
from engine.core.maths import IEEE_MATH, IEEEFloat
from engine.core.names import names_for
from engine.core.ops import OPS
from engine.core.value import Value
from engine.step.lookup import node_named
from engine.step.notation import Notation
from engine.step.notation import notation as lookup_notation

__all__ = ["derivation", "Derivation", "Local", "Upstream", "Group", "MAX_PATHS"]

MAX_PATHS = 8
"""Most paths written one by one; more are grouped where they split."""

MAX_WRITTEN_FACTORS = 30
"""Paths are written one by one only while they hold at most this many factors in all (a single
path is always written out): beyond it their shared parts are factored out (grouped mode)."""

MAX_EQUATIONS = 12
"""Most equations a grouped derivation shows (those nearest x); the rest are counted in a note."""


class Local:
    """The local derivative ∂child/∂(input `index` of child) along one edge, and its value."""

    __slots__ = ("child", "index", "value")

    def __init__(self, child: Value, index: int, value: float) -> None:
        self.child = child
        self.index = index
        self.value = value

    @property
    def parent(self) -> Value:
        return self.child.parents[self.index]

    @property
    def repeated(self) -> bool:
        """True when the child uses this parent more than once (``a * a``): name the input."""
        parent = self.parent
        return sum(p is parent for p in self.child.parents) > 1


class Upstream:
    """∂out/∂node for a node where paths split; its `value` comes from an equation of its own."""

    __slots__ = ("node", "value")

    def __init__(self, node: Value, value: float) -> None:
        self.node = node
        self.value = value


class Group:
    """A parenthesised sum of products: several chains that end at the same node."""

    __slots__ = ("terms",)

    def __init__(self, terms: list[list[Factor]]) -> None:
        self.terms = terms

    @property
    def value(self) -> float:
        return math.fsum(_product(term) for term in self.terms)


Factor = Union[Local, Upstream, Group]
Term = list[Factor]


def _product(term: Term) -> float:
    """Π factors, from the output down, as backward() multiplies them: where a step is not
    finite (inf · 0 at ``relu(g).sqrt()`` for g = 0) the op's PyTorch form decides
    (`_careful_step`), so a chosen 0 wins over an infinite upstream gradient."""
    value = 1.0
    for factor in term:
        step = value * factor.value
        if step - step != 0.0 and isinstance(factor, Local):  # inf or NaN
            step = _careful_step(factor, value)
        value = step
    return value


def _careful_step(factor: Local, upstream: float) -> float:
    """What backward()'s careful step (`engine.core.chain_rule.careful_step`) sends along
    `factor`'s edge for gradient `upstream`: the op's ``vjp`` in IEEE 754 arithmetic, or
    ``upstream · local`` in IEEE arithmetic for an op without one."""
    child, index = factor.child, factor.index
    op = OPS[child.op]
    g = IEEEFloat(upstream)
    if op.vjp is None:
        return float(g * IEEEFloat(factor.value))
    out = IEEEFloat(child.data)
    xs = tuple(IEEEFloat(x.data) for x in child.parents)
    if op.arity == -1:
        sent = op.vjp(IEEE_MATH, g, xs, out)
    elif op.arity == 1:
        sent = op.vjp(IEEE_MATH, g, xs[0], out, child.arg)
    else:
        sent = op.vjp(IEEE_MATH, g, xs[0], xs[1], out)
    return float(sent[index])


class Equation:
    """``∂out/∂node = Σ terms``: `terms` are products of factors, `value` their sum."""

    __slots__ = ("node", "terms", "value")

    def __init__(self, node: Value, terms: list[Term]) -> None:
        self.node = node
        self.terms = terms
        self.value = math.fsum(_product(term) for term in terms)


# --------------------------------------------------------------------------------------------
# The derivation
# --------------------------------------------------------------------------------------------


class Derivation:
    """∂out/∂wrt as the chain rule, with the numbers; see the module docstring.

    mode:           "paths" (every path written out), "grouped" (too many paths: factored where
                    they split), "self" (wrt is out) or "none" (out does not depend on wrt).
    paths:          the number of paths from wrt to out.
    path_nodes:     in "paths" mode, each path's nodes from wrt to out.
    equations:      the equations, from the output back to wrt (the last is ∂out/∂wrt).
    hidden:         how many equations nearer the output are not shown (grouped mode).
    value:          the derivation's sum.
    backward_value: the gradient ``backward()`` leaves in wrt (computed, then all grads restored).
    """

    def __init__(
        self,
        out: Value,
        wrt: Value,
        names: dict[Value, str],
        mode: str,
        paths: int,
        path_nodes: list[list[Value]],
        equations: list[Equation],
        hidden: int,
        value: float,
        backward_value: float,
        notation: Notation | str | None = None,
    ) -> None:
        self.notation = lookup_notation(notation)
        self.out = out
        self.wrt = wrt
        self.names = names
        self.mode = mode
        self.paths = paths
        self.path_nodes = path_nodes
        self.equations = equations
        self.hidden = hidden
        self.value = value
        self.backward_value = backward_value

    @property
    def difference(self) -> float:
        return abs(self.value - self.backward_value)

    @property
    def scale(self) -> float:
        """The largest term of the last equation's sum, in size: when terms of about this size
        cancel, a sum in another order (backward()'s) can differ by a few units of rounding of
        it, not of the result."""
        terms = self.equations[-1].terms if self.equations else []
        return max((abs(_product(term)) for term in terms), default=0.0)

    @property
    def chooses_zero(self) -> bool:
        """True when a product meets inf · 0 and, as in backward(), an op's chosen 0 wins
        (√relu(g) at g = 0): the numbers row then reads ``inf × 0`` and the product 0."""
        for eq in self.equations:
            for term in eq.terms:
                naive = math.prod(f.value for f in term)
                if naive - naive != 0.0 and _product(term) - _product(term) == 0.0:
                    return True
        return False

    @property
    def agrees(self) -> bool:
        """The derivation's sum equals backward()'s gradient to rounding: 1e-9 relative to the
        result, or to the largest term where terms cancel."""
        return math.isclose(
            self.value, self.backward_value, rel_tol=1e-9, abs_tol=max(1e-12, 1e-12 * self.scale)
        )

    def text(self) -> str:
        """Plain text (Unicode): the paths, then each equation in symbols, formulas, numbers."""
        from engine.step.derivation_format import text

        return text(self)

    def markdown(self) -> str:
        """Markdown: the explanation as prose, the equations as LaTeX in ``$$`` blocks."""
        from engine.step.derivation_format import markdown

        return markdown(self)

    def latex(self) -> str:
        """The equations as one LaTeX ``aligned`` environment (math mode, no ``$``)."""
        from engine.step.derivation_format import latex

        return latex(self)

    def _repr_latex_(self) -> str:
        return "$$" + self.latex() + "$$"

    def _repr_markdown_(self) -> str:
        return self.markdown()

    __str__ = text

    def __repr__(self) -> str:
        return (
            f"<Derivation ∂{self.names.get(self.out, 'out')}/∂{self.names.get(self.wrt, '?')}: "
            f"{self.paths} path(s), value {self.value!r}, backward {self.backward_value!r}>"
        )


def _find(wrt: Value | str, order: list[Value], names: dict[Value, str]) -> Value:
    """The node `wrt` names: a Value itself, or the one node called so (`node_named`)."""
    if isinstance(wrt, Value):
        return wrt
    if isinstance(wrt, str):
        return node_named(wrt, order, names, "derivation(wrt=)")
    raise TypeError(f"derivation(wrt=) needs a Value or a node name, got {type(wrt).__name__}")


def _backward_value(out: Value, wrt: Value, order: list[Value]) -> float:
    """wrt's gradient from out.backward(), with every gradient of the graph put back after."""
    saved = [(node, node.grad) for node in order]
    try:
        for node in order:
            node.grad = 0.0
        out.backward()
        return wrt.grad
    finally:
        for node, grad in saved:
            node.grad = grad


Edge = tuple[Value, int]  # (child, the index of the input the edge enters)


def _edge_paths(node: Value, out: Value, uses: dict[Value, list[Edge]]) -> list[list[Edge]]:
    """Every path from `node` to `out` as its edges, in depth-first order (first use first).

    A partial path is a linked list ``(edge, the path before it)``, so taking a step costs O(1)
    instead of copying the path: a chain of n ops takes O(n), not O(n²). Each finished path is
    read back once, so the whole costs O(graph + the edges of all paths)."""
    finished: list[list[Edge]] = []
    stack: list[tuple[Value, tuple | None]] = [(node, None)]
    while stack:
        v, path = stack.pop()
        if v is out:
            edges: list[Edge] = []
            while path is not None:
                edge, path = path
                edges.append(edge)
            edges.reverse()
            finished.append(edges)
            continue
        for c, i in reversed(uses[v]):
            stack.append((c, ((c, i), path)))
    return finished


def derivation(
    out: Value,
    wrt: Value | str,
    *,
    max_paths: int = MAX_PATHS,
    max_equations: int = MAX_EQUATIONS,
    notation: Notation | str | None = None,
) -> Derivation:
    """∂out/∂wrt by the chain rule: Σ over paths wrt -> out of Π local derivatives.

    `wrt` is a node of out's graph (or its name). Up to `max_paths` paths (holding at most
    `MAX_WRITTEN_FACTORS` factors in all) are written one by one; otherwise the sum is grouped
    where paths split (see the module docstring), showing at most `max_equations` equations.
    The result knows its own sum (`value`) and the gradient ``backward()`` computes
    (`backward_value`); gradients in the graph are left as they were. It writes the total
    derivative ``∂⁺out/∂x`` apart from the local ones ``∂v/∂x`` in the symbols of `notation`
    (`engine.step.notation`).
    """
    profile = lookup_notation(notation)
    if not isinstance(out, Value):
        raise TypeError(f"derivation needs a Value as out, got {type(out).__name__} {out!r}")
    for name, limit in (("max_paths", max_paths), ("max_equations", max_equations)):
        if type(limit) is not int or limit < 1:
            raise ValueError(f"derivation({name}=) must be a positive int, got {limit!r}")
    order = topological_order(out)
    names = names_for(order)
    node = _find(wrt, order, names)
    in_graph = node in names
    if not in_graph:
        names[node] = node.label or "x"
    backward_value = _backward_value(out, node, order) if in_graph else 0.0
    if node is out:
        return Derivation(out, node, names, "self", 1, [[out]], [], 0, 1.0, backward_value, profile)
    if not in_graph:
        return Derivation(out, node, names, "none", 0, [], [], 0, 0.0, backward_value, profile)

    reach = {node}
    uses: dict[Value, list[tuple[Value, int]]] = {node: []}
    locals_: dict[Value, tuple] = {}
    for child in order[order.index(node) + 1 :]:
        inputs = [(i, p) for i, p in enumerate(child.parents) if p in reach]
        if not inputs:
            continue
        reach.add(child)
        uses[child] = []
        locals_[child] = defined_local_derivatives(child)
        for i, parent in inputs:
            uses[parent].append((child, i))
    count = {out: 1}
    factors = {out: 0}  # the number of factors summed over all paths from v to out
    for v in reversed(order):
        if v in reach and v is not out:
            count[v] = sum(count[c] for c, _ in uses[v])
            factors[v] = sum(factors[c] + count[c] for c, _ in uses[v])

    def local(child: Value, i: int) -> Local:
        return Local(child, i, float(locals_[child][i]))

    one_by_one = count[node] <= max_paths and factors[node] <= MAX_WRITTEN_FACTORS
    if count[node] == 1 or one_by_one:
        edge_paths = _edge_paths(node, out, uses)
        terms: list[Term] = [[local(c, i) for c, i in reversed(p)] for p in edge_paths]
        equation = Equation(node, terms)
        path_nodes = [[node] + [c for c, _ in p] for p in edge_paths]
        return Derivation(
            out, node, names, "paths", count[node], path_nodes, [equation], 0, equation.value,
            backward_value, profile,
        )  # fmt: skip

    def is_key(v: Value) -> bool:
        return v is node or len(uses[v]) >= 2

    def chain(start: Value, i: int) -> tuple[list[tuple[Value, int]], Value]:
        edges, current = [(start, i)], start
        while current is not out and not is_key(current):
            current, j = uses[current][0]
            edges.append((current, j))
        return edges, current

    structure: dict[Value, list[tuple[Value, list[list[tuple[Value, int]]]]]] = {}
    pending = [node]
    while pending:
        key = pending.pop()
        if key in structure:
            continue
        ends: dict[Value, list[list[tuple[Value, int]]]] = {}
        for c, i in uses[key]:
            edges, end = chain(c, i)
            ends.setdefault(end, []).append(edges)
        structure[key] = list(ends.items())
        pending.extend(end for end in ends if end is not out)
    grads: dict[Value, float] = {out: 1.0}
    equations = []
    for key in sorted(structure, key=lambda v: v._seq, reverse=True):
        terms = []
        for end, chains in structure[key]:
            products: list[Term] = [[local(c, i) for c, i in reversed(edges)] for edges in chains]
            if end is out:
                terms.extend(products)
            elif len(products) == 1:
                terms.append([Upstream(end, grads[end]), *products[0]])
            else:
                terms.append([Upstream(end, grads[end]), Group(products)])
        equation = Equation(key, terms)
        grads[key] = equation.value
        equations.append(equation)
    hidden = max(0, len(equations) - max_equations)
    return Derivation(
        out, node, names, "grouped", count[node], [], equations[hidden:], hidden,
        grads[node], backward_value, profile,
    )  # fmt: skip
