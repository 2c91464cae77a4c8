"""Grouping the nodes of a drawing by the `nn` module that made them (``draw_dot(modules=)``).

Duck-typed: engine never imports nn. A module is anything with ``named_modules()``; each one that
ran a forward has ``_span = (start, end)``, two `engine.sequence_mark` numbers around the nodes it
made. A node belongs to the innermost module whose span holds its ``_seq``; a parameter to the
innermost module that owns it.
"""

from __future__ import annotations

from typing import Any

from engine.core.value import Value

__all__ = ["Cluster", "module_clusters", "assign_clusters"]


class Cluster:
    """One module's box in the drawing: its name, span, parent and children, and its nodes."""

    __slots__ = ("name", "start", "end", "parent", "children", "members")

    def __init__(self, name: str, start: int, end: int) -> None:
        self.name, self.start, self.end = name, start, end
        self.parent: Cluster | None = None
        self.children: list[Cluster] = []
        self.members: list[int] = []  # indices (in topological order) of the nodes drawn in it


def module_clusters(modules: Any) -> tuple[list[Cluster], dict[int, Cluster]]:
    """One cluster per module that ran a forward, sorted outermost first (parents before their
    children), and a map from id(parameter) to the cluster of the innermost module owning it."""
    named = getattr(modules, "named_modules", None)
    if not callable(named):
        raise TypeError(
            f"draw_dot(modules=) needs an object with named_modules() (an nn "
            f"Module), got {type(modules).__name__} {modules!r}"
        )
    clusters: list[Cluster] = []
    owners: dict[int, Cluster] = {}
    for name, module in named():
        span = getattr(module, "_span", None)
        if span is None:
            continue
        start, end = span
        cluster = Cluster(str(name), start, end)
        clusters.append(cluster)
        parameters = getattr(module, "parameters", None)
        if callable(parameters):  # named_modules lists parents first: the innermost wins
            for p in parameters():
                owners[id(p)] = cluster
    clusters.sort(key=lambda c: (c.start, -c.end))
    stack: list[Cluster] = []
    for cluster in clusters:  # spans nest: a sweep with a stack finds each one's parent
        while stack and stack[-1].end <= cluster.start:
            stack.pop()
        if stack:
            cluster.parent = stack[-1]
            stack[-1].children.append(cluster)
        stack.append(cluster)
    return clusters, owners


def assign_clusters(
    order: list[Value], clusters: list[Cluster], owners: dict[int, Cluster]
) -> list[Cluster | None]:
    """The innermost cluster whose span holds each node's ``_seq``, for each node of `order`.

    Spans are creation-number ranges, so the sweep visits the nodes by ``_seq``, whatever order
    `order` is in (the topological order is a post-order walk, not creation order); the result
    lines up with `order`.
    """
    result: list[Cluster | None] = [None] * len(order)
    stack: list[Cluster] = []
    i, n = 0, len(clusters)
    for index in sorted(range(len(order)), key=lambda k: order[k]._seq):
        node = order[index]
        seq = node._seq
        while i < n and clusters[i].start < seq:
            while stack and stack[-1].end <= clusters[i].start:
                stack.pop()
            stack.append(clusters[i])
            i += 1
        while stack and stack[-1].end <= seq:
            stack.pop()
        owner = owners.get(id(node))
        result[index] = owner if owner is not None else (stack[-1] if stack else None)
    return result
