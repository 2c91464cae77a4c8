"""How long a graph would take to lay out, estimated before anything runs, and the refusal limit.

Graphviz's ``dot`` layout puts every box and oval on a rank (a column, left to right) and, where
an edge skips ranks, adds an invisible bend point on every rank it crosses. The work grows faster
than linearly in all these points, so the number of Values alone does not predict the time: a
601-Value sum of products ``x*w + x*w + ...`` (x and w feed ops up to 600 ranks away) has ~180,000
bend points and took minutes, while a 2,000-Value chain has none and takes about a second.

`layout_size` estimates the points: boxes + ovals + bends, with ranks from the longest path and
each leaf placed just before its first use (as dot's ranking does). With edge labels
(``show_local=True``) dot doubles the ranks, and graphviz-pure routes a labelled edge in time
that grows with the square of its length, so a labelled edge counts span² instead of span - 1.
`check_size` refuses a graph with more Values than ``max_nodes`` or more points than
`LAYOUT_POINTS_PER_NODE` × ``max_nodes``; the limits come from `tests/benchmark_draw.py`.
"""

from __future__ import annotations

from engine.core.value import Value
from engine.draw.errors import GraphTooLargeError

__all__ = ["DEFAULT_MAX_NODES", "LAYOUT_POINTS_PER_NODE", "layout_size", "check_size"]

DEFAULT_MAX_NODES = 2000
"""Most Values a drawing may have to be laid out (pipe, render, save as a picture, notebook
display). With the default limits every graph measured lays out in under about 3 s of CPU with
graphviz-pure (the system ``dot`` is 1.5x-5x slower); .source and saving as .dot work at any
size."""

LAYOUT_POINTS_PER_NODE = 10
"""The layout-size budget per allowed Value: a graph may have at most this many times
``max_nodes`` points (boxes, ovals, edge bends; see `layout_size`)."""


def layout_size(order: list[Value], index: dict[int, int], labelled: bool) -> int:
    """Estimated points dot places for the drawing of `order` (topological): one per box and
    oval, plus span - 1 bend points per edge input -> op that skips ranks (span² per edge when
    edges carry labels). `index` maps id(node) to its position in `order`."""
    n = len(order)
    rank = [0] * n  # the rank of each Value's box; its op's oval is one rank before it
    first_use = [n * 2 + 2] * n  # for leaves: the rank of the earliest oval using it
    size = n
    for i, node in enumerate(order):
        parents = node.parents
        if not parents:
            continue
        oval = 1 + max(rank[index[id(p)]] for p in parents)
        rank[i] = oval + 1
        size += 2 if labelled else 1  # the oval (and, labelled, the doubled edge oval -> box)
        for p in parents:
            j = index[id(p)]
            if not p.parents and oval < first_use[j]:
                first_use[j] = oval
    for i, node in enumerate(order):
        parents = node.parents
        if not parents:
            continue
        oval = rank[i] - 1
        for p in parents:
            j = index[id(p)]
            start = first_use[j] - 1 if not p.parents else rank[j]
            span = oval - start
            size += span * span if labelled else span - 1
    return size


def check_size(values: int, size: int, max_nodes: int, labelled: bool = False) -> None:
    """Raise `GraphTooLargeError` if a graph of `values` Values and layout size `size` is over
    the limits for `max_nodes`; the message says how big it is and what to do instead."""
    advice = (
        "Save it as .dot instead (engine.draw.save(g, 'graph.dot'): no layout, any size), draw a "
        "smaller part of the graph, or raise the limit: draw_dot(..., max_nodes=N) (chainrule "
        "draw --max-nodes N)"
    )
    if values > max_nodes:
        raise GraphTooLargeError(
            f"this graph has {values:,} values, more than max_nodes={max_nodes:,}: laying it out "
            f"could take minutes. {advice}"
        )
    limit = LAYOUT_POINTS_PER_NODE * max_nodes
    if size > limit:
        cheaper = "; show_local=False makes it much cheaper" if labelled else ""
        raise GraphTooLargeError(
            f"this graph has only {values:,} values, but its edges skip many ranks: laying it "
            f"out means placing about {size:,} points (boxes, ovals and edge bends), more than "
            f"{LAYOUT_POINTS_PER_NODE} × max_nodes = {limit:,}, and could take minutes{cheaper}. "
            f"{advice}"
        )
