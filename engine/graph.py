"""Walks over a computation graph. Every walk is a loop with an explicit stack: no recursion, so a
chain of a million nodes is as easy as a chain of ten.

A graph here is the set of Values a root depends on: the root, its parents, their parents, and so
on down to the leaves (Values with no parents).
"""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from engine.value import Value

__all__ = ["topological_order", "leaves", "iter_edges"]

_creation_order = attrgetter("_seq")


def topological_order(root: Value, *, include_leaves: bool = True) -> list[Value]:
    """Every node `root` depends on, each after all of its parents (inputs first, `root` last).

    Every Value gets a sequence number when it is created, and an op's parents always exist
    before its result, so sorting a graph's nodes by that number is a topological order. It is
    also the order in which the forward pass computed them, and it is deterministic.

    The walk that collects the nodes is a loop with an explicit stack (no recursion), O(nodes +
    edges), followed by one sort. With ``include_leaves=False`` only nodes that have parents are
    returned (what the backward pass needs to visit).
    """
    seen = {root}
    stack = [root]
    add, push, pop = seen.add, stack.append, stack.pop
    while stack:
        for parent in pop().parents:
            if parent not in seen and (include_leaves or parent.parents):
                add(parent)
                push(parent)
    return sorted(seen, key=_creation_order)


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
