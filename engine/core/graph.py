"""Walks over a computation graph. Every walk is a loop with an explicit stack: no recursion, so a
chain of a million nodes is as easy as a chain of ten.

A graph here is the set of Values a root depends on: the root, its parents, their parents, and so
on down to the leaves (Values with no parents).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Iterator

if TYPE_CHECKING:
    from engine.core.value import Value

__all__ = ["topological_order", "post_order", "leaves", "iter_edges"]


def topological_order(root: Value, *, include_leaves: bool = True) -> list[Value]:
    """Every node `root` depends on, each after all of its parents (inputs first, `root` last).

    The leaves come first, in the order the walk meets them (inputs, parameters, constants),
    then the other nodes, each once all of its parents are listed: a depth-first walk from
    `root` visiting the parents in order (post-order). For an expression whose inputs were made
    first, that is the order in which Python computed it. The order depends only on the graph,
    never on when or in which process its Values were made, so a graph loaded from a file or
    built across processes is ordered the same way. With ``include_leaves=False`` only `root` and
    the nodes that have parents are returned (what the backward pass needs to visit).
    """
    if not root.parents:
        return [root]
    order, leaves_met = post_order((root,), include_leaves)
    return leaves_met + order if include_leaves else order


def post_order(
    roots: Iterable[Value], visit_leaves: bool = True
) -> tuple[list[Value], list[Value]]:
    """The one graph walk: (the nodes that have parents, each after its parents, in the order
    a depth-first walk from each root in turn finishes them; the leaves, in the order met).

    A loop with an explicit stack (no recursion), O(nodes + edges), no sort: a node is listed
    once all its parents are, and each node once however many roots reach it. The parents of a
    node are visited in order (x before y). With `visit_leaves` the leaves are walked to like
    any node (their order then follows the walk); without it they are noted as they are seen,
    which saves the backward pass a step per edge into a leaf.
    """
    order: list[Value] = []
    leaves_met: list[Value] = []
    seen: set[Value] = set()
    append, note, mark = order.append, leaves_met.append, seen.add
    for root in roots:
        if root in seen:
            continue
        stack: list[Value | None] = [root]
        push, pop = stack.append, stack.pop
        while stack:
            node = pop()
            if node is None:  # a marker: the node under it has all of its parents listed now
                append(pop())  # type: ignore[arg-type]
            elif node not in seen:
                mark(node)
                parents = node.parents
                if not parents:
                    note(node)
                    continue
                push(node)
                push(None)
                for parent in reversed(parents):  # popped in order: x before y
                    if visit_leaves or parent.parents:
                        push(parent)
                    elif parent not in seen:
                        mark(parent)
                        note(parent)
    return order, leaves_met


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
