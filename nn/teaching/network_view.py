"""The network view: an MLP drawn as the lectures draw it, neurons and weights, not scalars.

    model = MLP(2, [4, 4, 1], activation="tanh", seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    g = draw_network(model, loss=loss)     # a graphviz.Digraph
    g.pipe(format="png")                   # or show it in a notebook

A graph of an MLP's scalars has thousands of nodes; this view has one node per neuron and one edge
per weight, layers in columns (inputs left, outputs right), in the lecture's notation (seed 004):
neuron j of layer l has the pre-activation s_j^(l) = b_j^(l) + Σ_i w_ij^(l) a_i^(l-1), the
activation a_j^(l) = g(s_j^(l)) and δ_j^(l) = ∂L/∂s_j^(l); w_ij^(l) joins unit i of layer l-1 to
neuron j of layer l (1-based). Each neuron shows s, a, δ and its bias b with ∂L/∂b; each edge its
weight and ∂L/∂w, coloured by the weight's sign (red > 0, blue < 0) and as wide as its magnitude.

The numbers are read from the engine's graph, never recomputed: with ``loss=`` (after
``loss.backward()``) each neuron's s, a and δ are the nodes its latest forward call made (found
through `Module._span`) and their gradients; weight gradients are ``p.grad``; an input's gradient
∂L/∂x_i = Σ_j w_ij δ_j is the sum over layer 1's neurons of the gradients on the nodes carrying x_i
(a model called on plain floats gives each neuron its own constant leaf for x_i, so no single
leaf's ``.grad`` is the whole of it; see `NetworkState.input_grad`). With ``x=`` and no
loss the model is run on x and only the forward numbers are shown. Without either, only the
weights. Every number is also in the node's or edge's tooltip at full precision (hover in SVG),
named as the boxes name it: every symbol of the view (names, tooltips, the loss box's
∂⁺L/∂x₁⁽³⁾, the legend) comes from the `notation=` profile.
graphviz (the Python package) is imported only when a drawing is made. The view is an
`engine.draw.Drawing` (a `graphviz.Digraph`), so ``.pipe()``, ``engine.draw.save`` and notebook
display use chainrule's renderer choice, preferring the system dot when it is installed: on this
view's port-heavy tables it measured 2x-25x faster than graphviz-pure.
"""

from __future__ import annotations

import bisect
import html
import math
from functools import partial
from typing import Any, Callable, Sequence

from engine.core.graph import topological_order
from engine.core.numfmt import check_digits, fmt
from engine.core.value import Value, fmt_number

__all__ = [
    "draw_network",
    "network_state",
    "NetworkState",
    "NeuronState",
    "lecture_name",
    "SLIDE_VIEW",
]

POSITIVE, NEGATIVE, ZERO, HIGHLIGHT = "#c92a2a", "#1864ab", "#868e96", "#e8590c"
FILLS = {"input": "#d0ebff", "hidden": "#ffffff", "output": "#b2f2bb", "loss": "#ffe3e3"}
FONT = "Helvetica"
DEFAULT_FONT_SIZE = 11.0
"""Points of the neurons' text; 16 and more for slides (``chainrule delta --slide``)."""
SLIDE_VIEW = {"font_size": 20.0, "digits": 3, "weight_rows": False, "ranksep": 0.4}
"""`draw_network` options of the slide preset (``chainrule delta --slide``): big text, the weights
in the edges' tooltips only and the columns close, so that the lecture's 3-3-3-3-1 network's
text is 16.6 px high when the picture is shown fit to 1280×720."""
MAX_WEIGHT_ROWS = 8
"""A neuron lists its incoming weights (value and gradient) when it has at most this many inputs;
wider layers keep the numbers in the edges' tooltips, so the picture still reads at slide size."""


class NeuronState:
    """One neuron in the view: where it is, its parameters and the nodes of its latest forward."""

    __slots__ = ("layer", "j", "neuron", "activation", "pre", "out", "inputs")

    def __init__(self, layer: int, j: int, neuron: Any) -> None:
        self.layer = layer  # 1-based
        self.j = j  # 1-based
        self.neuron = neuron
        self.activation: str = neuron.activation
        self.pre: Value | None = None  # s_j^(l)
        self.out: Value | None = None  # a_j^(l)
        self.inputs: list[Value | None] = [None] * len(neuron.w)

    @property
    def weights(self) -> list:
        return self.neuron.w

    @property
    def bias(self):
        return self.neuron.b

    @property
    def delta(self) -> float | None:
        """δ = ∂L/∂s, the gradient the engine left on the pre-activation (None if unknown)."""
        return None if self.pre is None else grad_number(self.pre)


def _input_nodes(first: list[NeuronState]) -> list[list[Value]]:
    """For each input i, the distinct nodes that carry x_i into the neurons of layer 1.

    One node when the model was called on Values; one per neuron when it was called on plain
    floats, since each ``w * x`` turns the float into a constant leaf of its own."""
    nodes: list[list[Value]] = [[] for _ in first[0].inputs] if first else []
    for n in first:
        for i, node in enumerate(n.inputs):
            if node is not None and all(node is not seen for seen in nodes[i]):
                nodes[i].append(node)
    return nodes


class NetworkState:
    """What the view draws: `layers` of `NeuronState`, the `inputs` (Values or None), the
    `loss`, and whether gradients are there to show (`has_grad`). `input_nodes` holds, for
    each input, every node that carries it into layer 1 (see `input_grad`)."""

    __slots__ = ("layers", "inputs", "input_nodes", "loss", "has_grad", "has_forward")

    def __init__(self, layers: list[list[NeuronState]], loss: Value | None) -> None:
        self.layers = layers
        self.loss = loss
        self.input_nodes = _input_nodes(layers[0]) if layers else []
        self.inputs: list[Value | None] = [ns[0] if ns else None for ns in self.input_nodes]
        self.has_forward = any(n.out is not None for layer in layers for n in layer)
        self.has_grad = loss is not None and grad_number(loss) != 0.0

    def input_grad(self, i: int) -> float | None:
        """∂L/∂x_i (`i` 0-based) = Σ_j w_ij^(1) δ_j^(1), over every neuron j of layer 1: the sum
        of the gradients the engine left on the nodes carrying x_i (one node per neuron when
        the model ran on plain floats, so no single node's ``.grad`` is the whole sum). None
        when the input is unknown."""
        nodes = self.input_nodes[i]
        if not nodes:
            return None
        total = grad_number(nodes[0])
        for node in nodes[1:]:
            total += grad_number(node)
        return total

    @property
    def sizes(self) -> list[int]:
        return [len(self.inputs)] + [len(layer) for layer in self.layers]


def _layers_of(model: Any) -> list:
    """The model's layers: an MLP's ``layers``, a Layer itself, or a Neuron as a layer of one."""
    layers = getattr(model, "layers", None)
    if layers is not None:
        return list(layers)
    if hasattr(model, "neurons"):
        return [model]
    if hasattr(model, "w") and hasattr(model, "b"):

        class _One:
            neurons = [model]

        return [_One()]
    raise TypeError(
        f"draw_network needs an nn.MLP, Layer or Neuron (something with layers of neurons), "
        f"got {type(model).__name__}"
    )


def _nodes(roots: Sequence[Value]) -> tuple[list[int], list[Value]]:
    """Every node under `roots`, sorted by creation number, and the numbers themselves."""
    seen: dict[int, Value] = {}
    for root in roots:
        for node in topological_order(root):
            seen[id(node)] = node
    nodes = sorted(seen.values(), key=lambda n: n._seq)
    return [n._seq for n in nodes], nodes


def network_state(model: Any, x: Sequence[Any] | None = None, *, loss: Value | None = None):
    """The numbers the view shows (see the module docstring), as a `NetworkState`."""
    if loss is not None and not isinstance(loss, Value):
        raise TypeError(f"draw_network(loss=) needs a Value, got {type(loss).__name__} {loss!r}")
    layers = [
        [NeuronState(l, j, neuron) for j, neuron in enumerate(layer.neurons, start=1)]
        for l, layer in enumerate(_layers_of(model), start=1)
    ]
    roots: list[Value] = []
    if loss is not None:
        roots = [loss]
    elif x is not None:
        out = model(x)
        roots = list(out) if isinstance(out, (list, tuple)) else [out]
    if roots:
        seqs, nodes = _nodes(roots)
        for neuron in (n for layer in layers for n in layer):
            span = getattr(neuron.neuron, "_span", None)
            if span is None:
                continue
            lo, hi = bisect.bisect_right(seqs, span[0]), bisect.bisect_left(seqs, span[1])
            made = nodes[lo:hi]
            if not made:
                continue
            neuron.out = made[-1]
            neuron.pre = made[-1] if neuron.activation == "linear" else made[-1].parents[0]
            index = {id(w): i for i, w in enumerate(neuron.weights)}
            for node in made:
                if node.op == "mul" and id(node.parents[0]) in index:
                    neuron.inputs[index[id(node.parents[0])]] = node.parents[1]
    return NetworkState(layers, loss)


# --------------------------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------------------------


_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUPERSCRIPT = str.maketrans("0123456789()-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁻")


def lecture_name(symbol: str, *indices: int, layer: int | None = None) -> str:
    """``w₁₂⁽¹⁾``: a symbol with 1-based indices as subscripts (comma-separated when one has two
    digits) and the layer as a superscript, escaped for Graphviz's HTML-like labels.

    Unicode sub- and superscript characters, not ``<SUB>``/``<SUP>`` markup: Graphviz writes
    markup as separate SVG ``<text>`` elements with ``baseline-shift``, which browsers ignore on
    ``<text>`` (``s 1 (2)``); the characters stay on one line in SVG and PNG (the view's font,
    Helvetica, is Arimo in graphviz-pure and has every one of them)."""
    sub = ("," if any(i > 9 for i in indices) else "").join(str(i) for i in indices)
    text = html.escape(symbol) + sub.translate(_SUBSCRIPT)
    if layer is not None:
        text += f"({layer})".translate(_SUPERSCRIPT)
    return text


def notation_name(nt: Any, symbol: str, *indices: int, layer: int | None = None) -> str:
    """`lecture_name` in the symbols of the notation `nt` (`engine.step.notation`): ``"s"``,
    ``"a"``, ``"δ"`` stand for its pre-activation, activation and δ, ``"w", i, j`` for the weight
    from input unit i to output unit j; escaped for Graphviz's HTML-like labels."""
    if symbol == "w":
        return html.escape(nt.weight_name(indices[0], indices[1], layer=layer))
    chosen = {"s": nt.pre, "a": nt.act, "δ": nt.delta}.get(symbol, symbol)
    return html.escape(nt.symbol(chosen, *indices, layer=layer))


def plain_name(nt: Any, symbol: str, *indices: int, layer: int | None = None) -> str:
    """`notation_name` unescaped, for tooltips (escaped once, with the whole tooltip)."""
    return html.unescape(notation_name(nt, symbol, *indices, layer=layer))


def lookup_notation(which: Any = None) -> Any:
    """`engine.step.notation.notation`, imported when a view is drawn (``import nn`` stays
    light: it loads nothing of engine.step)."""
    from engine.step.notation import notation

    return notation(which)


GRAD_HEADER = "∂⁺L/∂(·)"
"""The heading of the gradient column in the default profile: ∂⁺L/∂ of the row's quantity
(``Notation.total_mark`` and ``Notation.loss`` of the profile drawn)."""


def _cell(text: str, colour: str = "#212529", bold: bool = False) -> str:
    text = html.escape(text)
    if bold:
        text = f"<B>{text}</B>"
    return f'<TD ALIGN="RIGHT"><FONT COLOR="{colour}">{text}</FONT></TD>'


def grad_number(node: Value) -> float:
    """``node.grad`` as a float: after ``backward(create_graph=True)`` it is a `Value` (a graph),
    and the view shows its number."""
    g = node.grad
    return g.data if isinstance(g, Value) else g


def _exact(x: float) -> str:
    """`x` at full precision for a tooltip (the shortest repr that reads back exactly), never a
    negative zero."""
    return repr(x) if x != 0.0 else "0.0"


def _row(name: str, value: str, grad: str | None = None, grad_colour: str = "#495057") -> str:
    cells = f'<TD ALIGN="LEFT">{name}</TD>{_cell(value)}'
    if grad is not None:
        cells += _cell(grad, grad_colour)
    return f"<TR>{cells}</TR>"


def _neuron_rows(
    n: NeuronState,
    show_grad: bool,
    known: bool,
    weight_rows: bool,
    number: Callable[[float], str] = fmt_number,
    nt: Any = None,
) -> tuple[list[str], str]:
    """(table rows, tooltip) of one neuron: name | value | ∂L/∂(name), numbers by `number`,
    names in the notation `nt` (default profile)."""
    nt = lookup_notation(nt)
    l, j = n.layer, n.j
    s_name, a_name = notation_name(nt, "s", j, layer=l), notation_name(nt, "a", j, layer=l)
    s_tip, a_tip = plain_name(nt, "s", j, layer=l), plain_name(nt, "a", j, layer=l)
    d_tip, b_tip = plain_name(nt, "δ", j, layer=l), plain_name(nt, "b", j, layer=l)
    formula = f"{n.activation}({s_name})" if n.activation != "linear" else s_name
    columns = 3 if show_grad else 2
    rows = [f'<TR><TD COLSPAN="{columns}"><B>{a_name}</B> = {formula}</TD></TR>']
    if show_grad:
        header = f"∂{nt.total_mark}{nt.loss}/∂(·)"
        rows.append(f"<TR><TD></TD>{_cell('value', '#868e96')}{_cell(header, '#868e96')}</TR>")
    tips = [f"neuron {j} of layer {l} ({n.activation})"]

    def grad(value: float, prefix: str = "") -> str | None:
        if not show_grad:
            return None
        return prefix + (number(value) if known else "?")

    if n.pre is not None and n.out is not None:
        delta = grad(grad_number(n.pre), f"{nt.delta} ")
        rows.append(_row(s_name, number(n.pre.data), delta, "#2b8a3e"))
        if n.activation != "linear":
            rows.append(_row(a_name, number(n.out.data), grad(grad_number(n.out))))
        tips += [f"{s_tip} = {_exact(n.pre.data)}", f"{a_tip} = {_exact(n.out.data)}"]
        if show_grad and known:
            tips += [
                f"{d_tip} = {_exact(grad_number(n.pre))}",
                f"{nt.total(nt.loss, a_tip)} = {_exact(grad_number(n.out))}",
            ]
    b = n.bias
    rows.append(_row(notation_name(nt, "b", j, layer=l), number(b.data), grad(grad_number(b))))
    tips.append(f"{b_tip} = {_exact(b.data)}")
    if known:  # a layer not done yet (or a view without gradients) keeps ∂L/∂b out of it
        tips.append(f"{nt.total(nt.loss, b_tip)} = {_exact(grad_number(b))}")
    if weight_rows:
        for i, w in enumerate(n.weights, start=1):
            rows.append(
                _row(notation_name(nt, "w", i, j, layer=l), number(w.data), grad(grad_number(w)))
            )
    return rows, "; ".join(tips)


def _neuron_box(rows: list[str], fill: str, tooltip: str, highlight: bool = False) -> str:
    """One neuron: a rounded table; the exact numbers ride along in its TOOLTIP attribute."""
    border = 'COLOR="#e03131" BORDER="3"' if highlight else 'COLOR="#343a40" BORDER="1"'
    tip = html.escape(tooltip, quote=True)
    return (
        f'<TABLE STYLE="ROUNDED" {border} CELLBORDER="0" CELLSPACING="0" CELLPADDING="2" '
        f'BGCOLOR="{fill}" TOOLTIP="{tip}">' + "".join(rows) + "</TABLE>"
    )


def _column(title: str, cells: list[tuple[str, str]], size: float = 12.0) -> str:
    """A layer: its title, then one cell per neuron, top to bottom (ports n1, n2, ...)."""
    body = "".join(f'<TR><TD PORT="{port}">{box}</TD></TR>' for port, box in cells)
    return (
        f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="10">'
        f'<TR><TD><FONT POINT-SIZE="{size:g}" COLOR="#495057">{html.escape(title)}</FONT></TD></TR>'
        f"{body}</TABLE>>"
    )


def _check_font_size(font_size: object) -> float:
    """`font_size` as a float; ValueError naming it unless it is 4 to 96 points."""
    if (
        isinstance(font_size, bool)
        or not isinstance(font_size, (int, float))
        or not (math.isfinite(font_size) and 4 <= font_size <= 96)
    ):
        raise ValueError(
            f"draw_network(font_size=) must be a number of points from 4 to 96, got {font_size!r}"
        )
    return float(font_size)


def _edge_style(weight: float, biggest: float) -> dict[str, str]:
    colour = POSITIVE if weight > 0 else NEGATIVE if weight < 0 else ZERO
    width = 0.6 + 4.4 * abs(weight) / biggest if biggest > 0 else 1.0
    return {"color": colour, "penwidth": f"{width:.2f}", "arrowsize": "0.5"}


def draw_network(
    model: Any,
    x: Sequence[Any] | None = None,
    *,
    loss: Value | None = None,
    rankdir: str = "LR",
    edge_labels: bool = False,
    known_layers: set[int] | None = None,
    highlight_layer: int | None = None,
    highlight: Sequence[Value] = (),
    title: str | None = None,
    font_size: float = DEFAULT_FONT_SIZE,
    digits: int | None = None,
    weight_rows: bool | None = None,
    ranksep: float = 1.5,
    notation: Any = None,
):
    """The network view of `model` as a `graphviz.Digraph` (see the module docstring).

    x:               an input to run the model on (when no `loss` is given).
    loss:            a Value built from the model's latest forward; after ``loss.backward()``
                     the view shows every δ and gradient.
    edge_labels:     write each weight and its gradient on its edge instead of listing them in
                     the neuron it feeds (the default; for fan-ins up to `MAX_WEIGHT_ROWS`).
    known_layers:    show δ and gradients only for these layers (1-based; the others "?"), as
                     the δ mode does step by step; default all.
    highlight_layer: draw this layer's neurons with a red border.
    highlight:       weights whose edges are drawn in orange and labelled with their name (the
                     path a lecture follows, e.g. w_21^(1)).
    title:           a line above the picture.
    font_size:       points of the neurons' text (titles 1 pt bigger, edge labels 2 pt smaller).
    digits:          significant digits of every number; None: the engine's format (as in repr).
    weight_rows:     list each neuron's incoming weights in its box; None (default): when its
                     fan-in is at most `MAX_WEIGHT_ROWS`. False keeps a slide short (the
                     weights stay in the edges' tooltips).
    ranksep:         inches between the layers' columns (0.6 keeps a slide narrow).
    notation:        the lecture's symbols (`engine.step.notation`; default its DEFAULT).
    """
    nt = lookup_notation(notation)
    from engine.draw.drawing import Drawing
    from engine.draw.renderers import prefer_system_dot

    if rankdir not in ("LR", "TB"):
        raise ValueError(f"draw_network(rankdir=) must be 'LR' or 'TB', got {rankdir!r}")
    font = _check_font_size(font_size)
    if digits is not None:
        check_digits(digits, "draw_network")
    number: Callable[[float], str] = partial(fmt, digits=digits)
    state = network_state(model, x, loss=loss)
    show_grad = state.has_grad or (loss is None and any(
        grad_number(p) != 0.0 for layer in state.layers for n in layer for p in (*n.weights, n.bias)
    ))  # fmt: skip
    weights = [w.data for layer in state.layers for n in layer for w in n.weights]
    biggest = max((abs(w) for w in weights), default=0.0)
    labels = bool(edge_labels) and len(weights) > 0
    g = Drawing("network")  # a graphviz.Digraph that renders with chainrule's renderer choice
    g.layout_renderer = prefer_system_dot()
    g.attr(rankdir=rankdir, splines="line", nodesep="0.3", ranksep=f"{float(ranksep):g}")
    g.attr("node", shape="plaintext", fontname=FONT, fontsize=f"{font:g}")
    g.attr("edge", fontname=FONT, fontsize=f"{font - 2:g}", arrowsize="0.5")
    w = nt.weight
    legend = f"edges: red {w} > 0, blue {w} < 0, width ∝ |{w}|"
    if show_grad:
        legend += f";  {nt.delta} = {nt.total(nt.loss, nt.pre)}, the gradient of the pre-activation"
    g.attr(label=f"{title}\\n{legend}" if title else legend, labelloc="t" if title else "b")
    g.attr(fontname=FONT, fontsize=f"{font + 1:g}")

    cells = []
    for i, node in enumerate(state.inputs, start=1):
        x_name = nt.input_name(i)
        rows = [f'<TR><TD COLSPAN="3"><B>{html.escape(x_name)}</B></TD></TR>']
        tip = f"input {i}"
        if node is not None:
            inputs_known = known_layers is None or 1 in known_layers
            x_bar = state.input_grad(i - 1)  # Σ_j w_ij δ_j: not one node's .grad (floats)
            assert x_bar is not None
            grad = None
            if show_grad:
                grad = number(x_bar) if inputs_known else "?"
            rows.append(_row(lecture_name("x", i), number(node.data), grad))
            tip += f"; {x_name} = {_exact(node.data)}"
            if show_grad and inputs_known:
                tip += f"; {nt.total(nt.loss, x_name)} = {_exact(x_bar)}"
        cells.append((f"n{i}", _neuron_box(rows, FILLS["input"], tip)))
    g.node("L0", _column("inputs", cells, font + 1))
    last = len(state.layers)
    for l, layer in enumerate(state.layers, start=1):
        known = show_grad and (known_layers is None or l in known_layers)
        kind = "output" if l == last else "hidden"
        listed = len(layer[0].weights) <= MAX_WEIGHT_ROWS if weight_rows is None else weight_rows
        listed = listed and not labels
        cells = []
        for n in layer:
            rows, tip = _neuron_rows(n, show_grad, known, listed, number, nt)
            box = _neuron_box(rows, FILLS[kind], tip, highlight=l == highlight_layer)
            cells.append((f"n{n.j}", box))
        g.node(f"L{l}", _column(f"layer {l} ({layer[0].activation})", cells, font + 1))
        for n in layer:
            for i, w in enumerate(n.weights, start=1):
                w_tip = plain_name(nt, "w", i, n.j, layer=l)
                tip = f"{w_tip} = {_exact(w.data)}"
                if known:
                    tip += f"; {nt.total(nt.loss, w_tip)} = {_exact(grad_number(w))}"
                attrs = _edge_style(w.data, biggest)
                if any(w is h for h in highlight):
                    attrs.update(
                        color=HIGHLIGHT, penwidth=f"{max(3.0, float(attrs['penwidth'])):.2f}"
                    )
                    attrs["label"] = f"<<B>{notation_name(nt, 'w', i, n.j, layer=l)}</B>>"
                    attrs["fontcolor"] = HIGHLIGHT
                    attrs["fontsize"] = f"{font + 1:g}"
                if labels:
                    text = f"{notation_name(nt, 'w', i, n.j, layer=l)} = {number(w.data)}"
                    if show_grad:
                        dw = html.escape(nt.total(nt.loss, nt.weight))
                        text += f"<BR/>{dw} = {number(grad_number(w)) if known else '?'}"
                    attrs["label"] = f"<{text}>"
                g.edge(f"L{l - 1}:n{i}:e", f"L{l}:n{n.j}:w", tooltip=tip, **attrs)
    if state.loss is not None:
        loss_node, loss_name = state.loss, nt.loss
        box = _neuron_box(
            [f"<TR><TD>{html.escape(loss_name)} = {number(loss_node.data)}</TD></TR>"],
            FILLS["loss"],
            "",
        )
        g.node(
            "loss",
            _column("loss", [("L", box)], font + 1),
            tooltip=f"{loss_name} = {_exact(loss_node.data)}",
        )
        for n in state.layers[-1] if state.layers else []:
            if n.out is None:
                continue
            upstream = nt.total(loss_name, plain_name(nt, "a", n.j, layer=last))  # ∂⁺L/∂x₁⁽³⁾
            label = (
                f"{upstream} = {number(grad_number(n.out))}"
                if show_grad and known_layers is None
                else ""
            )
            g.edge(f"L{last}:n{n.j}:e", "loss:L:w", label=label, style="dashed", color="#868e96",
                   tooltip=f"{upstream} = {_exact(grad_number(n.out))}")  # fmt: skip
    neurons = sum(len(layer) for layer in state.layers)
    g.summary = (
        f"network view of an MLP {'-'.join(map(str, state.sizes))}, {neurons} neurons, "
        f"{len(weights)} weights{', with the loss' if state.loss is not None else ''}"
    )
    return g
