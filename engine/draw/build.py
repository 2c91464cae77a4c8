"""`draw_dot`: a computation graph as a `graphviz.Digraph`, built through the graphviz package.

Every Value is a box ``name | data 2.0000 | grad -0.7864`` (an HTML-like table, coloured by kind);
every operation is an oval between its inputs and its result with the op's symbol from the op
table. Edges go input -> op -> result, one edge per use of an input, in input order. Box ``v<i>``
is the i-th Value in topological order and ``o<i>`` the oval of the op that made it (the HTML
player relies on these ids). Nodes, edges, clusters and attributes go through the package's API
(``node``, ``edge``, ``subgraph``), which also quotes every plain-string label.
"""

from __future__ import annotations

import math
import os
from typing import Any, Collection, Iterable, Mapping

import graphviz

from engine.core.chain_rule import defined_local_derivatives
from engine.core.graph import topological_order
from engine.core.names import node_names
from engine.core.value import Value, leaf_kind
from engine.draw.clusters import Cluster, assign_clusters, module_clusters
from engine.draw.drawing import Drawing
from engine.draw.render import DEFAULT_TIMEOUT
from engine.draw.size import DEFAULT_MAX_NODES, layout_size
from engine.draw.style import (
    COLOURS,
    DEFAULT_FONT_SIZE,
    FONT,
    escape_label,
    format_number,
    legend_label,
    notes,
    op_text,
    plain_label,
    value_label,
)

__all__ = ["draw_dot"]

_RANKDIRS = ("LR", "TB", "RL", "BT")


def _ids(values: Value | Iterable[Value] | None, where: str) -> set[int]:
    """id() of each Value in `values` (one Value or an iterable of them)."""
    if values is None:
        return set()
    if isinstance(values, Value):
        return {id(values)}
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(
            f"draw_dot({where}=) needs a Value or a collection of Values, got "
            f"{type(values).__name__} {values!r}"
        )
    ids = set()
    for v in values:  # type: ignore[union-attr]  # not a Value: checked above
        if not isinstance(v, Value):
            raise TypeError(f"draw_dot({where}=) needs Values, got {type(v).__name__} {v!r}")
        ids.add(id(v))
    return ids


def _kind(node: Value, root: Value, param_ids: set[int]) -> str:
    if node is root:
        return "output"
    if node.parents:
        return "intermediate"
    if id(node) in param_ids:
        return "parameter"
    return leaf_kind(node)


def _edge_numbers(node: Value, digits: int | None) -> list[str]:
    """∂node/∂parent for each parent, formatted; where floats raise, the IEEE value backward()
    uses (∂√x/∂x = inf at x = 0; ∂(x^y)/∂y = 0 at x = 0), "undefined" where that is NaN."""
    local = defined_local_derivatives(node)
    return ["undefined" if d != d else format_number(d, digits) for d in local]


def _pt(x: float) -> str:
    return f"{x:g}"


def _check_options(
    root: object,
    rankdir: object,
    max_nodes: object,
    timeout: object,
    font_size: object,
    digits: object,
    renderer: object,
) -> None:
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot needs a Value to draw, got {type(root).__name__} {root!r}")
    if rankdir not in _RANKDIRS:
        raise ValueError(
            f"draw_dot(rankdir=) must be 'LR' or 'TB' (or 'RL', 'BT'), got {rankdir!r}"
        )
    if type(max_nodes) is not int or max_nodes < 1:
        raise ValueError(f"draw_dot(max_nodes=) must be a positive int, got {max_nodes!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(
            f"draw_dot(timeout=) must be a positive number of seconds, got {timeout!r}"
        )
    if (
        isinstance(font_size, bool)
        or not isinstance(font_size, (int, float))
        or not (math.isfinite(font_size) and 4 <= font_size <= 96)
    ):
        raise ValueError(
            f"draw_dot(font_size=) must be a number of points from 4 to 96, got {font_size!r}"
        )
    if digits is not None and (type(digits) is not int or not 1 <= digits <= 17):
        raise ValueError(
            f"draw_dot(digits=) must be None (the engine's format) or a number of significant "
            f"digits from 1 to 17, got {digits!r}"
        )
    if renderer is not None and not isinstance(renderer, (str, os.PathLike)):
        raise TypeError(
            f"draw_dot(renderer=) must be 'graphviz-pure', 'dot', 'auto' or a path, got "
            f"{type(renderer).__name__} {renderer!r}"
        )


def _attach_clusters(graph: Drawing, clusters: list[Cluster], bodies: list[graphviz.Digraph]):
    """Nest the cluster subgraphs: each is complete (its children added) before it goes into its
    parent, so walk them innermost first (`clusters` is sorted outermost first)."""
    index = {id(c): i for i, c in enumerate(clusters)}
    for i in range(len(clusters) - 1, -1, -1):
        for child in clusters[i].children:
            bodies[i].subgraph(bodies[index[id(child)]])
    for i, cluster in enumerate(clusters):
        if cluster.parent is None:
            graph.subgraph(bodies[i])


def draw_dot(
    root: Value,
    *,
    rankdir: str = "LR",
    show_grad: bool = True,
    show_local: bool = False,
    params: Iterable[Value] | None = None,
    modules: Any = None,
    highlight: Value | Iterable[Value] | None = None,
    grad_known: Collection[Value] | None = None,
    grads: Mapping[Value, float] | None = None,
    partial: Mapping[Value, tuple[int, int]] | None = None,
    names: Mapping[Value, str] | None = None,
    legend: bool = True,
    stacked: bool = False,
    compact: bool = False,
    font_size: float = DEFAULT_FONT_SIZE,
    digits: int | None = None,
    format: str = "svg",
    renderer: str | os.PathLike[str] | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    timeout: float = DEFAULT_TIMEOUT,
) -> Drawing:
    """`root`'s computation graph as a `graphviz.Digraph` (a `Drawing`); see `engine.draw`.

    rankdir:    "LR" (inputs on the left) or "TB" (inputs on top); "RL" and "BT" work too.
    show_grad:  False hides every grad and notes on the graph that before backward() they are 0.
    show_local: True writes the local derivative ∂v/∂x on every edge x -> op of v.
    params:     Values to colour as parameters besides `engine.Parameter` leaves.
    modules:    an nn Module (anything with ``named_modules()``): one cluster per module that ran
                a forward (see `engine.draw.clusters`).
    highlight:  a Value or Values drawn as active: red border, red edges into it.
    grad_known: None shows every grad; else only these Values' grads, the others as ``grad ?``.
    grads:      the gradient to show for these Values instead of their ``.grad`` (the Stepper
                passes this pass's derivatives, which ``.grad`` may not hold after an earlier
                backward()).
    partial:    ``{node: (edges received, edges in all)}``: a gradient with fewer edges received
                than in all is a partial sum, shown as ``grad 1 (partial 1/3)``.
    names:      names for unlabelled nodes; default `engine.core.names.node_names(root)`, the names
                the narration uses (``mul₁``, ``add₂``). Labels win; constants show only data.
    legend:     draw the colour legend (and notes) as a small box.
    stacked:    each box's name, data and grad one under another (a narrower box; slides).
    compact:    no op ovals: the op is written in its result's box (``add₁ = +``) and the edges
                go straight from the inputs' boxes to it (half the ranks; slides).
    font_size:  points of the box text (edge numbers and legend 2 pt smaller); 18 for slides.
    digits:     significant digits of every number; None: the engine's format (as in repr).
    format:     the Digraph's output format for ``render()``/``pipe()`` (micrograd's argument).
    renderer:   "graphviz-pure", "dot", "auto" or a path; default ``CHAINRULE_RENDERER``, else
                auto (see `engine.draw.renderers`). Looked up when rendering, not here.
    max_nodes:  rendering refuses graphs over the size limit (`engine.draw.size`); .source and
                saving as .dot work at any size.
    timeout:    seconds `save`, `render_bytes` and notebook display let a renderer run.
    """
    _check_options(root, rankdir, max_nodes, timeout, font_size, digits, renderer)
    if names is None:
        names = node_names(root)
    param_ids = _ids(params, "params")
    active_ids = _ids(highlight, "highlight")
    known_ids = None if grad_known is None else _ids(grad_known, "grad_known")
    show_grad, show_local = bool(show_grad), bool(show_local)

    order = topological_order(root)
    number = {id(node): i for i, node in enumerate(order)}
    kinds = [_kind(node, root, param_ids) for node in order]
    font = float(font_size)
    graph = Drawing(
        name="chainrule",
        format=format,
        graph_attr={
            "rankdir": rankdir,
            "fontname": FONT,
            "fontsize": _pt(font - 1),
            "nodesep": "0.25",
            "ranksep": "0.35",
            "nslimit": "1",  # bounds dot's slowest phase on graphs with long edges; same pictures
        },
        node_attr={"shape": "plaintext", "margin": "0", "fontname": FONT, "fontsize": _pt(font)},
        edge_attr={
            "fontname": FONT,
            "fontsize": _pt(font - 2),
            "color": "#495057",
            "arrowsize": "0.7",
        },
    )
    note_lines = notes(show_grad, show_local, known_ids is not None, bool(active_ids))
    if note_lines and not legend:
        text = "<br/>".join(escape_label(n) for n in note_lines)
        graph.attr(label=f"<{text}>", labelloc="b", labeljust="l")
    if legend:
        label = legend_label(set(kinds), note_lines)
        graph.node("legend", label=label, shape="plaintext", fontsize=_pt(font - 2))

    clusters: list[Cluster] = []
    homes: list[Cluster | None] = [None] * len(order)
    if modules is not None:
        clusters, owners = module_clusters(modules)
        homes = assign_clusters(order, clusters, owners)
    bodies = [
        graphviz.Digraph(
            name=f"cluster_{i}",
            graph_attr={
                "label": graphviz.escape(plain_label(c.name or "model")),
                "style": "rounded,dashed",
                "color": "#868e96",
                "fontsize": _pt(font - 2),
            },
        )
        for i, c in enumerate(clusters)
    ]
    index = {id(c): i for i, c in enumerate(clusters)}

    active_edge = {"color": COLOURS["active"], "penwidth": "2.5"}
    active_oval = {"color": COLOURS["active"], "penwidth": "3"}
    ops = 0
    for i, node in enumerate(order):  # the boxes and ovals, each in its cluster
        home = homes[i]
        target = graph if home is None else bodies[index[id(home)]]
        kind = kinds[i]
        active = id(node) in active_ids
        if not show_grad or (kind == "constant" and grads is not None):
            grad = None  # a stepped pass does not differentiate a constant: no grad to show
        elif known_ids is not None and id(node) not in known_ids:
            grad = "?"
        else:
            shown = grads[node] if grads is not None and node in grads else node.grad
            grad = format_number(shown, digits)
            received = partial.get(node) if partial is not None else None
            if received is not None and received[0] < received[1]:
                grad += f" (partial {received[0]}/{received[1]})"
        name = node.label or (names.get(node, "") if kind != "constant" else "")
        if compact and node.parents:
            name = f"{name} = {op_text(node)}" if name else op_text(node)
        data = format_number(node.data, digits)
        target.node(
            f"v{i}", label=value_label(data, grad, kind, active, name, stacked=bool(stacked))
        )
        if node.parents and not compact:
            ops += 1
            target.node(
                f"o{i}",
                label=graphviz.escape(plain_label(op_text(node))),
                shape="ellipse",
                style="filled",
                fillcolor=COLOURS["op"],
                ordering="in",
                **(active_oval if active else {}),
            )
    _attach_clusters(graph, clusters, bodies)

    edges = 0
    for i, node in enumerate(order):  # the edges, after every node
        if not node.parents:
            continue
        style = active_edge if id(node) in active_ids else {}
        numbers = _edge_numbers(node, digits) if show_local else None
        head = f"v{i}" if compact else f"o{i}"
        for j, parent in enumerate(node.parents):
            on_edge = {"label": graphviz.escape(numbers[j])} if numbers is not None else {}
            graph.edge(f"v{number[id(parent)]}", head, **on_edge, **style)
        if not compact:
            graph.edge(f"o{i}", f"v{i}", **style)
        edges += len(node.parents) + (0 if compact else 1)

    graph.values, graph.ops, graph.edge_count = len(order), ops, edges
    graph.layout_size = layout_size(order, number, show_local)
    graph.labelled = show_local
    graph.max_nodes, graph.layout_renderer, graph.timeout = max_nodes, renderer, float(timeout)
    return graph
