"""Draw a computation graph: DOT text always, SVG (or PNG, PDF) through a Graphviz renderer.

    from engine import Value, draw_dot
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = (a * b + 1).tanh(); c.label = "c"
    c.backward()
    g = draw_dot(c, show_local=True)
    g.source                 # the DOT text; needs no renderer
    g.save("c.svg")          # or "c.dot"; written atomically
    g                        # in a notebook: the SVG

What a drawing shows
--------------------
Every Value is a box ``label | data 2.0000 | grad -0.7864`` in a monospace font. Every operation is
an oval between its inputs and its result, showing the op's symbol from the op table (``×``,
``tanh``, ``^2``, ``leaky_relu α=0.01``). Edges go input -> op -> result, one edge per use of an
input, in input order, so ``a + a`` shows two edges from ``a``.

Colour legend (also drawn as a small legend node; ``legend=False`` hides it):

* orange  ``#ffd8a8``  parameters: leaves that are `engine.Parameter`, or listed in ``params=``
* blue    ``#d0ebff``  inputs: other leaves that have a label
* grey    ``#e9ecef``  constants: unlabelled leaves (numbers written into the expression)
* green   ``#b2f2bb``  the output (the root you drew)
* white                intermediate results
* red border / red edges: the active node of ``highlight=`` and the edges into it

Options: ``show_local=True`` writes on each edge ``x -> op`` the local derivative ∂out/∂x (the
number the chain rule multiplies by); ``show_grad=False`` hides gradients and says on the graph why
(before ``backward()`` every grad is 0); ``grad_known=`` shows ``grad ?`` on every node outside the
given collection (the stepping engine draws a backward pass frame by frame with it);
``modules=`` groups the nodes each `nn` module made into one cluster per module.

Rendering
---------
`Graph.pipe`, `Graph.save` (for .svg) and notebook display run a Graphviz renderer as a subprocess:
the system ``dot`` if there is one, else the ``graphviz-pure`` executable that ``pip install``
brings, looked up in this interpreter's scripts folder (a notebook kernel's venv is often not on
PATH) and on PATH. Without either, `RendererNotFoundError` names both fixes; ``.source`` still
works. Graphs with more values than ``max_nodes`` are refused before layout (`GraphTooLargeError`,
saying how big), and every renderer call has a timeout, so nothing hangs.

Escaping: every piece of text that goes into a label passes through `escape_label`, which turns
``& < > "`` into entities, doubles backslashes (Graphviz would read ``\\N`` as the node name),
turns newlines into line breaks and control characters into visible ``\\xNN``: a label is always
shown as text and can never end the label or inject DOT.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any, Collection, Iterable, Mapping

from engine.files import write_atomic
from engine.graph import topological_order
from engine.ops import OPS
from engine.value import Value, leaf_kind, local_derivatives
from engine.value import _fmt as _number  # the same number format as repr and the narration

__all__ = [
    "draw_dot",
    "Graph",
    "escape_label",
    "find_renderer",
    "find_renderers",
    "DrawError",
    "RendererNotFoundError",
    "RenderError",
    "GraphTooLargeError",
    "DEFAULT_MAX_NODES",
    "DEFAULT_TIMEOUT",
    "COLOURS",
    "write_atomic",
]

DEFAULT_MAX_NODES = 2000
"""Most Values a graph may have for layout (pipe, save as SVG). Graphviz's layout time grows
faster than linearly; 2,000 Values (about 4,000 boxes and ovals) lay out in seconds. Larger graphs
can still be saved as .dot."""

DEFAULT_TIMEOUT = 60.0
"""Seconds a renderer subprocess may run before it is stopped."""

RENDERERS = ("dot", "graphviz-pure")
"""Renderer executables, in order of preference."""

FONT = "Courier"  # the monospace font whose metrics both renderers know, so boxes fit the text

COLOURS = {
    "parameter": "#ffd8a8",
    "input": "#d0ebff",
    "constant": "#e9ecef",
    "output": "#b2f2bb",
    "intermediate": "#ffffff",
    "op": "#f8f9fa",
    "active": "#e03131",
}
"""Fill colour of each kind of node (and the colour of the active node's border and edges)."""

_LEGEND_TEXT = {
    "parameter": "parameter",
    "input": "input",
    "constant": "constant",
    "output": "output",
    "intermediate": "intermediate",
}

MAX_LABEL_CHARS = 80
"""Labels longer than this are cut (with …) so one long name cannot swamp the drawing."""

_FORMAT = re.compile(r"[a-z][a-z0-9_:]*")
_SAVE_FORMATS = {".svg": "svg", ".dot": "dot", ".gv": "dot", ".png": "png", ".pdf": "pdf"}
_ARG_NAMES = {"alpha": "α", "beta": "β"}


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class DrawError(RuntimeError):
    """Base class of the drawing errors; each message is one line."""


class RendererNotFoundError(DrawError):
    """Neither the system ``dot`` nor the ``graphviz-pure`` executable could be found."""


class RenderError(DrawError):
    """The renderer ran but failed (bad format, crash) or took longer than its timeout."""


class GraphTooLargeError(DrawError):
    """The graph has more Values than ``max_nodes``: laying it out could take minutes."""


def _no_renderer_message() -> str:
    return (
        "no Graphviz renderer found to draw this graph: run `pip install graphviz-pure` "
        "(or `apt-get install graphviz` for the system `dot`); `.source` still works and "
        "gives the DOT text"
    )


# --------------------------------------------------------------------------------------------
# Escaping: the one function every label goes through
# --------------------------------------------------------------------------------------------


def _escape_table() -> dict[int, str]:
    table = {c: f"\\\\x{c:02x}" for c in range(32)}  # control characters: visible \xNN
    table.update(
        {
            ord("&"): "&amp;",
            ord("<"): "&lt;",
            ord(">"): "&gt;",
            ord('"'): "&quot;",
            ord("\\"): "\\\\",  # Graphviz reads \N, \G, \L ... even in HTML labels
            ord("\n"): '<br align="left"/>',
            ord("\r"): "",
            ord("\t"): " ",
            0x7F: "\\\\x7f",
            0xFFFE: "\ufffd",
            0xFFFF: "\ufffd",  # not allowed in SVG (XML)
        }
    )
    return table


_ESCAPES = _escape_table()


def escape_label(text: str) -> str:
    """`text` as the content of a Graphviz HTML-like label: shown literally, never parsed.

    ``& < > "`` become entities, ``\\`` is doubled, a newline becomes a line break, other control
    characters become visible ``\\xNN``; text longer than `MAX_LABEL_CHARS` is cut with ``…``.
    """
    if len(text) > MAX_LABEL_CHARS:
        text = text[: MAX_LABEL_CHARS - 1] + "…"
    return text.translate(_ESCAPES)


def _op_text(node: Value) -> str:
    """The op's symbol from the op table, with its constant argument: ``^2``, ``elu α=1``."""
    op = OPS.get(node.op)
    if op is None:
        return node.op
    if node.arg is None:
        return op.symbol
    arg = f"{node.arg:g}" if isinstance(node.arg, float) else str(node.arg)
    if len(op.symbol) == 1 and not op.symbol.isalnum():  # an operator symbol: x^2
        return f"{op.symbol}{arg}"
    name = _ARG_NAMES.get(op.arg_name or "", op.arg_name or "arg")
    return f"{op.symbol} {name}={arg}"


# --------------------------------------------------------------------------------------------
# Grouping nodes by the nn module that made them (duck-typed: engine never imports nn)
# --------------------------------------------------------------------------------------------


class _Cluster:
    __slots__ = ("name", "start", "end", "parent", "children", "lines")

    def __init__(self, name: str, start: int, end: int) -> None:
        self.name, self.start, self.end = name, start, end
        self.parent: _Cluster | None = None
        self.children: list[_Cluster] = []
        self.lines: list[str] = []


def _module_clusters(modules: Any) -> tuple[list[_Cluster], dict[int, _Cluster]]:
    """One cluster per module that ran a forward (has ``_span``), sorted outermost first, and a
    map from id(parameter) to the cluster of the innermost module that owns the parameter."""
    named = getattr(modules, "named_modules", None)
    if not callable(named):
        raise TypeError(
            f"draw_dot(modules=) needs an object with named_modules() (an nn "
            f"Module), got {type(modules).__name__} {modules!r}"
        )
    clusters: list[_Cluster] = []
    owners: dict[int, _Cluster] = {}
    for name, module in named():
        span = getattr(module, "_span", None)
        if span is None:
            continue
        start, end = span
        cluster = _Cluster(str(name), start, end)
        clusters.append(cluster)
        parameters = getattr(module, "parameters", None)
        if callable(parameters):  # named_modules lists parents first: the innermost wins
            for p in parameters():
                owners[id(p)] = cluster
    clusters.sort(key=lambda c: (c.start, -c.end))
    stack: list[_Cluster] = []
    for cluster in clusters:  # spans nest: a sweep with a stack finds each one's parent
        while stack and stack[-1].end <= cluster.start:
            stack.pop()
        if stack:
            cluster.parent = stack[-1]
            stack[-1].children.append(cluster)
        stack.append(cluster)
    return clusters, owners


def _assign_clusters(
    order: list[Value], clusters: list[_Cluster], owners: dict[int, _Cluster]
) -> list[_Cluster | None]:
    """The innermost cluster whose span holds each node's ``_seq``, for each node of `order`.

    Spans are creation-number ranges, so the sweep visits the nodes by ``_seq`` (drawing only:
    the graph's order itself never depends on creation numbers).
    """
    result: list[_Cluster | None] = [None] * len(order)
    stack: list[_Cluster] = []
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


# --------------------------------------------------------------------------------------------
# Building the DOT text
# --------------------------------------------------------------------------------------------


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
    for v in values:
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


def _value_label(node: Value, kind: str, grad: str | None, active: bool, name: str) -> str:
    """The HTML-like label of a Value's box: name | data | grad (no name cell when empty)."""
    border = f' color="{COLOURS["active"]}" border="3"' if active else ' border="0"'
    cells = [f"<td>{escape_label(name)}</td>"] if name else []
    cells.append(f"<td>data {escape_label(_number(node.data))}</td>")
    if grad is not None:
        cells.append(f"<td>grad {escape_label(grad)}</td>")
    return (
        f'<<table{border} cellborder="1" cellspacing="0" cellpadding="4" '
        f'bgcolor="{COLOURS[kind]}"><tr>{"".join(cells)}</tr></table>>'
    )


def _legend(kinds: set[str], notes: list[str]) -> str:
    rows = [
        f'<tr><td bgcolor="{COLOURS[k]}">  </td><td align="left">{escape_label(t)}</td></tr>'
        for k, t in _LEGEND_TEXT.items()
        if k in kinds
    ]
    rows += [f'<tr><td colspan="2" align="left">{escape_label(n)}</td></tr>' for n in notes]
    return (
        f'  legend [shape=plaintext, margin=0, fontsize=10, label=<<table border="0" '
        f'cellborder="1" cellspacing="0" cellpadding="3">{"".join(rows)}</table>>];'
    )


def _notes(show_grad: bool, show_local: bool, grad_known: bool, highlight: bool) -> list[str]:
    notes = []
    if not show_grad:
        notes.append("grads not shown: before backward() every grad is 0")
    if grad_known:
        notes.append("grad ?: not computed yet")
    if show_local:
        notes.append("edge numbers: local derivative ∂out/∂in")
    if highlight:
        notes.append("red: the active node and its incoming edges")
    return notes


def _emit_clusters(clusters: list[_Cluster], out: list[str]) -> None:
    """Write nested ``subgraph cluster_i { ... }`` blocks (an explicit stack, no recursion)."""
    index = {id(c): i for i, c in enumerate(clusters)}
    stack: list[tuple[_Cluster, bool]] = [
        (c, False) for c in reversed(clusters) if c.parent is None
    ]
    while stack:
        cluster, closing = stack.pop()
        if closing:
            out.append("  }")
            continue
        name = escape_label(cluster.name or "model")
        out.append(f"  subgraph cluster_{index[id(cluster)]} {{")
        out.append(f'  label=<{name}>; style="rounded,dashed"; color="#868e96"; fontsize=10;')
        out.extend(cluster.lines)
        stack.append((cluster, True))
        stack.extend((child, False) for child in reversed(cluster.children))


def _build_source(
    root: Value,
    *,
    rankdir: str,
    show_grad: bool,
    show_local: bool,
    param_ids: set[int],
    modules: Any,
    active_ids: set[int],
    known_ids: set[int] | None,
    legend: bool,
    names: Mapping[Value, str] | None = None,
) -> tuple[str, int, int, int]:
    """The DOT text of `root`'s graph, and its numbers of values, ops and edges."""
    order = topological_order(root)
    number = {id(node): i for i, node in enumerate(order)}
    if modules is not None:
        clusters, owners = _module_clusters(modules)
        homes = _assign_clusters(order, clusters, owners)
    else:
        clusters, homes = [], [None] * len(order)
    top: list[str] = []
    edges: list[str] = []
    kinds: set[str] = set()
    active_edge = f'color="{COLOURS["active"]}", penwidth=2.5'
    n_ops = 0
    for i, node in enumerate(order):
        kind = _kind(node, root, param_ids)
        kinds.add(kind)
        active = id(node) in active_ids
        if not show_grad:
            grad = None
        elif known_ids is not None and id(node) not in known_ids:
            grad = "?"
        else:
            grad = _number(node.grad)
        home = homes[i]
        lines = home.lines if home is not None else top
        name = node.label or (
            names.get(node, "") if names is not None and kind != "constant" else ""
        )
        lines.append(f"  v{i} [label={_value_label(node, kind, grad, active, name)}];")
        if not node.parents:
            continue
        n_ops += 1
        style = f', color="{COLOURS["active"]}", penwidth=3' if active else ""
        lines.append(
            f"  o{i} [label=<{escape_label(_op_text(node))}>, shape=ellipse, "
            f'style=filled, fillcolor="{COLOURS["op"]}", ordering=in{style}];'
        )
        locals_ = _edge_numbers(node) if show_local else None
        for j, parent in enumerate(node.parents):
            attrs = []
            if locals_ is not None:
                attrs.append(f"label=<{escape_label(locals_[j])}>")
            if active:
                attrs.append(active_edge)
            edges.append(
                f"  v{number[id(parent)]} -> o{i}"
                + (f" [{', '.join(attrs)}]" if attrs else "")
                + ";"
            )
        edges.append(f"  o{i} -> v{i}" + (f" [{active_edge}]" if active else "") + ";")

    notes = _notes(show_grad, show_local, known_ids is not None, bool(active_ids))
    out = [
        "digraph chainrule {",
        f'  graph [rankdir={rankdir}, fontname="{FONT}", fontsize=11, nodesep=0.25, ranksep=0.35];',
        f'  node [shape=plaintext, margin=0, fontname="{FONT}", fontsize=12];',
        f'  edge [fontname="{FONT}", fontsize=10, color="#495057", arrowsize=0.7];',
    ]
    if notes and not legend:
        text = "<br/>".join(escape_label(n) for n in notes)
        out.append(f"  label=<{text}>; labelloc=b; labeljust=l;")
    if legend:
        out.append(_legend(kinds, notes))
    _emit_clusters(clusters, out)
    out.extend(top)
    out.extend(edges)
    out.append("}")
    return "\n".join(out) + "\n", len(order), n_ops, len(edges)


def _edge_numbers(node: Value) -> list[str]:
    """∂node/∂parent for each parent, formatted; "undefined" where the rule cannot be evaluated
    (e.g. ∂√x/∂x at x = 0)."""
    try:
        return [_number(d) for d in local_derivatives(node)]
    except (ValueError, ZeroDivisionError, OverflowError):
        return ["undefined"] * len(node.parents)


# --------------------------------------------------------------------------------------------
# Finding and running a renderer
# --------------------------------------------------------------------------------------------


def _script_dirs() -> list[Path]:
    """Where pip puts this interpreter's executables (graphviz-pure lands here)."""
    dirs = []
    for d in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        if d and Path(d) not in dirs:
            dirs.append(Path(d))
    return dirs


def _which(name: str) -> Path | None:
    """`name` in this interpreter's scripts folder, else on PATH; None when absent."""
    for folder in _script_dirs():
        found = shutil.which(name, path=str(folder))
        if found:
            return Path(found)
    found = shutil.which(name)
    return Path(found) if found else None


def find_renderers() -> list[Path]:
    """Every available renderer executable, preferred first: system ``dot``, ``graphviz-pure``."""
    return [path for path in map(_which, RENDERERS) if path is not None]


def find_renderer() -> Path:
    """The renderer `pipe` uses first; `RendererNotFoundError` when there is none."""
    found = find_renderers()
    if not found:
        raise RendererNotFoundError(_no_renderer_message())
    return found[0]


def _resolve(renderer: str | os.PathLike) -> Path:
    """An explicit renderer: a path, or a name looked up like the defaults."""
    path = Path(renderer)
    if path.parent != Path(".") or path.is_file():
        if not path.is_file():
            raise RendererNotFoundError(f"renderer {str(renderer)!r} does not exist")
        return path
    found = _which(str(renderer))
    if found is None:
        raise RendererNotFoundError(
            f"renderer {str(renderer)!r} not found on PATH or in "
            f"{', '.join(map(str, _script_dirs()))}"
        )
    return found


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else "no error message"


def _run_renderer(path: Path, fmt: str, source: bytes, timeout: float) -> bytes:
    try:
        done = subprocess.run(
            [str(path), f"-T{fmt}", "-q"],
            input=source,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"{path.name} did not finish laying out the graph within {timeout:g} s; "
            f"save it as .dot instead, or pass a larger timeout"
        ) from None
    except OSError as exc:
        raise RenderError(f"cannot run {path}: {exc.strerror or exc}") from None
    if done.returncode != 0 or not done.stdout:
        message = _first_line(done.stderr.decode("utf-8", "replace"))
        raise RenderError(f"{path.name} -T{fmt} failed (exit status {done.returncode}): {message}")
    return done.stdout


# --------------------------------------------------------------------------------------------
# The graph object
# --------------------------------------------------------------------------------------------


class Graph:
    """A drawn computation graph: ``.source`` (DOT), ``.pipe()``, ``.save()``, notebook display.

    ``values``, ``ops`` and ``edges`` count what is drawn. Build one with `draw_dot`.
    """

    __slots__ = ("source", "values", "ops", "edges", "max_nodes", "timeout")

    def __init__(
        self,
        source: str,
        values: int,
        ops: int,
        edges: int,
        max_nodes: int,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.source = source
        self.values = values
        self.ops = ops
        self.edges = edges
        self.max_nodes = max_nodes
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"<chainrule Graph: {self.values} values, {self.ops} ops, {self.edges} edges>"

    def __str__(self) -> str:
        return self.source

    def check_size(self) -> None:
        """Raise `GraphTooLargeError` if the graph is too big to lay out (more than max_nodes)."""
        if self.values > self.max_nodes:
            raise GraphTooLargeError(
                f"this graph has {self.values:,} values ({self.values + self.ops:,} boxes and "
                f"ovals, {self.edges:,} edges), more than max_nodes={self.max_nodes:,}: laying it "
                f"out could take minutes. Save it as .dot (g.save('graph.dot')), group it with "
                f"draw_dot(..., modules=model), or raise draw_dot(..., max_nodes=...)"
            )

    def pipe(
        self,
        format: str = "svg",
        *,
        renderer: str | os.PathLike | None = None,
        timeout: float | None = None,
    ) -> bytes:
        """The graph rendered by Graphviz: SVG bytes by default ("png", "pdf", "dot" if the
        renderer supports them; "dot" gives the DOT text with layout positions).

        `renderer`: a path or executable name; default: system ``dot``, else ``graphviz-pure``
        (if one fails, the next is tried). Raises `GraphTooLargeError` before running anything
        when the graph is too big, `RendererNotFoundError` when no renderer exists, `RenderError`
        when rendering fails or exceeds `timeout` seconds.
        """
        if not isinstance(format, str) or not _FORMAT.fullmatch(format):
            raise ValueError(
                f"pipe(format=) needs a Graphviz format name like 'svg', got {format!r}"
            )
        self.check_size()
        paths = [_resolve(renderer)] if renderer is not None else find_renderers()
        if not paths:
            raise RendererNotFoundError(_no_renderer_message())
        data = self.source.encode("utf-8", "replace")
        limit = self.timeout if timeout is None else timeout
        failure: RenderError | None = None
        for path in paths:
            try:
                return _run_renderer(path, format, data, limit)
            except RenderError as exc:
                if "did not finish" in str(exc):  # a timeout: another renderer won't be faster
                    raise
                failure = exc
        assert failure is not None
        raise failure

    def save(self, path: str | os.PathLike, *, renderer: str | os.PathLike | None = None) -> Path:
        """Write the graph to `path`, atomically; returns it as a Path.

        The suffix picks the format: ``.svg`` (also ``.png``, ``.pdf``) is rendered, ``.dot`` or
        ``.gv`` is the DOT text and needs no renderer (and no size limit). Missing parent
        folders are created. On any error nothing is written.
        """
        path = Path(path)
        fmt = _SAVE_FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise ValueError(
                f"save() writes .svg or .dot (also .gv, .png, .pdf): cannot tell "
                f"the format of {str(path)!r} from its suffix"
            )
        if fmt == "dot":
            data = self.source.encode("utf-8", "replace")
        else:
            data = self.pipe(fmt, renderer=renderer)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
        return path

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, str]:
        """Notebook display: the SVG, or the one-line reason there is none (no traceback)."""
        try:
            svg = self.pipe("svg").decode("utf-8", "replace")
        except DrawError as exc:
            return {"text/plain": str(exc)}
        return {"image/svg+xml": svg, "text/plain": repr(self)}


# --------------------------------------------------------------------------------------------
# The entry point
# --------------------------------------------------------------------------------------------


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
    max_nodes: int = DEFAULT_MAX_NODES,
    legend: bool = True,
    timeout: float = DEFAULT_TIMEOUT,
    names: Mapping[Value, str] | None = None,
) -> Graph:
    """Draw `root`'s computation graph; see the module docstring for what it shows.

    rankdir:    "LR" (inputs on the left) or "TB" (inputs on top); "RL" and "BT" work too.
    show_grad:  False hides every grad and notes on the graph that before backward() they are 0.
    show_local: True writes the local derivative ∂out/∂in on every edge input -> op.
    params:     Values to colour as parameters besides `engine.Parameter` leaves.
    modules:    an nn Module (anything with ``named_modules()``): one cluster per module that ran
                a forward (``_span = (start, end)``); a node belongs to the innermost module with
                ``start < node._seq < end``, a parameter to the innermost module that owns it.
    highlight:  a Value or Values drawn as active: red border, red edges into it.
    grad_known: None shows every grad; else only these Values' grads, the others as ``grad ?``.
    max_nodes:  pipe/save as SVG refuse graphs with more Values than this (.source still works).
    legend:     draw the colour legend (and notes) as a small box.
    timeout:    seconds a renderer may run.
    names:      names to show for unlabelled nodes (labels win; constants show only their data),
                e.g. `engine.names.node_names(root)`, so a drawing matches the narrated steps.
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot needs a Value to draw, got {type(root).__name__} {root!r}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(
            f"draw_dot(rankdir=) must be 'LR' or 'TB' (or 'RL', 'BT'), got {rankdir!r}"
        )
    if type(max_nodes) is not int or max_nodes < 1:
        raise ValueError(f"draw_dot(max_nodes=) must be a positive int, got {max_nodes!r}")
    if not (isinstance(timeout, (int, float)) and timeout > 0):
        raise ValueError(
            f"draw_dot(timeout=) must be a positive number of seconds, got {timeout!r}"
        )
    source, values, ops, edges = _build_source(
        root,
        rankdir=rankdir,
        show_grad=bool(show_grad),
        show_local=bool(show_local),
        param_ids=_ids(params, "params"),
        modules=modules,
        active_ids=_ids(highlight, "highlight"),
        known_ids=None if grad_known is None else _ids(grad_known, "grad_known"),
        legend=bool(legend),
        names=names,
    )
    return Graph(source, values, ops, edges, max_nodes, float(timeout))
