"""The network view (nn/teaching/network_view.py) and the δ mode (nn/teaching/delta_mode.py)."""

from __future__ import annotations

import html
import io
import math
import re
import shutil

import pytest

import nn
from engine import Value
from engine.core.value import fmt_number
from engine.step.terminal import interactive
from nn import MLP, DeltaStepper, draw_network
from nn.teaching.network_view import network_state
from tests.equations import equations, wrong_equations
from tests.networks import lecture_network

graphviz = pytest.importorskip("graphviz")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="no system Graphviz `dot`")


def trained_once(sizes=(4, 4, 1), activation="tanh", x=(0.5, -1.0), target=1.0, seed=0):
    model = MLP(len(x), list(sizes), activation=activation, seed=seed)
    loss = (model(list(x)) - target) ** 2
    loss.backward()
    return model, loss


def pre_activations(model):
    """Each neuron's s node, found independently: b + w·x built left to right, in the graph."""
    found = {}
    for l, layer in enumerate(model.layers, start=1):
        for j, neuron in enumerate(layer.neurons, start=1):
            found[(l, j)] = neuron
    return found


def tooltips(source: str) -> dict[str, str]:
    """Node and edge tooltips from the DOT source: neuron boxes by layer/port, edges by ends."""
    out = {}
    for match in re.finditer(r"(L\d+):(n\d+):e -> (L\d+):(n\d+):w \[([^\]]*)\]", source):
        tip = re.search(r'tooltip="([^"]*)"', match.group(5)).group(1)
        out[f"{match.group(1)}{match.group(2)}->{match.group(3)}{match.group(4)}"] = tip
    for match in re.finditer(r"^\s*(L\d+) \[label=<(.*)>\]$", source, re.M):
        for k, tip in enumerate(re.findall(r'TOOLTIP="([^"]*)"', match.group(2)), start=1):
            out[f"{match.group(1)}n{k}"] = html.unescape(tip)
    return out


SUB = dict(enumerate("₀₁₂₃₄₅₆₇₈₉"))
SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def number(tip: str, name: str) -> float:
    return float(re.search(rf"(?:^|; ){re.escape(name)} = ([^;]+)", tip).group(1))


def test_every_delta_and_weight_gradient_reads_back_equal_to_the_engines():
    model, loss = trained_once()
    g = draw_network(model, loss=loss)
    assert isinstance(g, graphviz.Digraph)
    tips = tooltips(g.source)
    state = network_state(model, loss=loss)
    checked_deltas = checked_weights = 0
    for l, layer in enumerate(model.layers, start=1):
        for j, neuron in enumerate(layer.neurons, start=1):
            tip = tips[f"L{l}n{j}"]
            pre = state.layers[l - 1][j - 1].pre
            # δ = ∂L/∂s: the gradient on the node holding s = b + Σ_i w_i·x_i
            inputs = state.layers[l - 1][j - 1].inputs
            s = neuron.b.data + sum(w.data * x.data for w, x in zip(neuron.w, inputs))
            assert pre.op == "add" and abs(pre.data - s) < 1e-12
            assert number(tip, f"s{SUB[j]}⁽{l}⁾".translate(SUP)) == pre.data
            assert number(tip, f"δ{SUB[j]}⁽{l}⁾".translate(SUP)) == pre.grad
            b_grad = number(tip, f"∂⁺L/∂b{SUB[j]}⁽{l}⁾".translate(SUP))
            assert b_grad == neuron.b.grad == pre.grad  # ∂L/∂b = δ
            checked_deltas += 1
            for i, w in enumerate(neuron.w, start=1):
                edge = tips[f"L{l - 1}n{i}->L{l}n{j}"]
                name = f"w{SUB[i]}{SUB[j]}⁽{l}⁾".translate(SUP)  # w_ij^(l): input i, neuron j
                assert number(edge, name) == w.data
                assert number(edge, f"∂⁺L/∂{name}") == w.grad
                checked_weights += 1
    assert checked_deltas == 9 and checked_weights == 2 * 4 + 4 * 4 + 4 * 1


def test_delta_is_the_lectures_recursion():
    """δ_i^(l-1) = g'(s_i^(l-1)) Σ_j w_ij^(l) δ_j^(l), and ∂L/∂w_ij = a_i δ_j, from the view."""
    model, loss = trained_once(sizes=(3, 3, 1), x=(0.3, -0.7, 0.9))
    state = network_state(model, loss=loss)
    for l in range(len(state.layers) - 1, 0, -1):
        for n in state.layers[l - 1]:
            above = state.layers[l]
            total = sum(m.weights[n.j - 1].data * m.delta for m in above)
            assert n.delta == pytest.approx((1 - n.out.data**2) * total, rel=1e-12)
            for i, w in enumerate(n.weights):
                source = n.inputs[i]
                assert w.grad == pytest.approx(source.data * n.delta, rel=1e-12, abs=1e-15)


def test_the_labels_use_the_lecture_names_and_show_the_numbers():
    model, loss = trained_once()
    source = draw_network(model, loss=loss).source
    assert "w₂₁⁽¹⁾" in source  # input 2 to neuron 1 of layer 1
    assert "δ " in source and "b₄⁽²⁾" in source
    assert "x₁⁽³⁾</B> = s₁⁽³⁾" in source  # linear out
    assert "tanh(s₁⁽¹⁾)" in source
    assert '"#c92a2a"' in source and '"#1864ab"' in source  # red positive, blue negative
    assert "L = " in source and "∂⁺L/∂x₁⁽³⁾ = " in source  # the loss edge: x, the activation
    assert "∂L/∂" not in source and "a.grad" not in source and "b.grad" not in source
    for neuron in model.layers[0].neurons:
        assert f'<FONT COLOR="#212529">{fmt_number(neuron.w[0].data)}</FONT>' in source


def test_edge_colour_and_width_follow_the_weight():
    model, loss = trained_once()
    source = draw_network(model, loss=loss).source
    widths = {}
    for match in re.finditer(r"L0:n(\d):e -> L1:n(\d):w \[([^\]]*)\]", source):
        i, j, attrs = int(match.group(1)), int(match.group(2)), match.group(3)
        w = model.layers[0].neurons[j - 1].w[i - 1].data
        assert ("#c92a2a" if w > 0 else "#1864ab") in attrs
        widths[abs(w)] = float(re.search(r"penwidth=([\d.]+)", attrs).group(1))
    ordered = [widths[k] for k in sorted(widths)]
    assert ordered == sorted(ordered) and len(ordered) == 8


def test_forward_only_and_weights_only_views():
    model = MLP(2, [3, 1], activation="relu", seed=1)
    forward = draw_network(model, [1.0, 2.0]).source
    assert "δ" not in forward.split("edges:")[0] and "s₁⁽¹⁾" in forward
    assert '>x₂</TD><TD ALIGN="RIGHT"><FONT COLOR="#212529">2</FONT>' in forward
    signed_zero = draw_network(model, [-0.0, 2.0]).source  # no "-0" in the cells or tooltips
    assert re.search(r"x₁⁽⁰⁾ = 0\.0[;\"]", signed_zero)
    assert not re.search(r"-0(\.0*)?(?![\d.])", signed_zero)
    bare = draw_network(MLP(2, [3, 1], seed=2)).source
    assert "x₁⁽¹⁾" in bare and "∂⁺L/∂" not in bare
    assert draw_network(model.layers[0]).source.count("L1:n") == 6  # a Layer alone
    with pytest.raises(TypeError, match="MLP, Layer or Neuron"):
        draw_network(object())
    with pytest.raises(TypeError, match="loss"):
        draw_network(model, loss=3.0)


def test_wide_layers_keep_the_weights_in_the_tooltips():
    model, loss = trained_once(sizes=(12, 1), x=[0.1] * 10)
    source = draw_network(model, loss=loss).source
    assert '<TD ALIGN="LEFT">w₁₁⁽¹⁾</TD>' not in source  # 10 inputs: no weight rows in layer 1
    assert '<TD ALIGN="LEFT">w₁,₁₂⁽²⁾' not in source  # nor in layer 2 (12 inputs)
    edges = re.findall(r'tooltip="(w[₀-₉,]+⁽[¹²]⁾) = \S+; ∂⁺L/∂\1 = \S+"', source)
    assert len(edges) == 10 * 12 + 12  # every weight's edge keeps its numbers
    labelled = draw_network(model, loss=loss, edge_labels=True).source
    assert labelled.count("∂⁺L/∂w = ") == 132
    assert "w₁₂,₁⁽²⁾" in labelled  # past 9: comma-separated indices


@needs_dot
def test_the_view_renders_at_slide_size(tmp_path):
    model, loss = trained_once()
    png = draw_network(model, loss=loss).pipe(format="png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    import struct

    width, height = struct.unpack(">II", png[16:24])
    assert 600 < width < 2600 and 300 < height < 1600, (width, height)


# --------------------------------------------------------------------------------------------
# The δ mode
# --------------------------------------------------------------------------------------------


def test_the_delta_mode_goes_output_first_with_numbers_that_match_the_engine():
    model, loss = lecture_network()
    d = DeltaStepper(model, loss)
    assert d.total == 4 and str(d).startswith("δ mode: 4 layers")
    steps = d.run()
    assert [s.layer for s in steps] == [4, 3, 2, 1] and d.done and d.next() is None
    state = network_state(model, loss=loss)
    for step in steps:
        assert step.agrees
        engine = [n.delta for n in state.layers[step.layer - 1]]
        assert step.engine == engine
        assert step.deltas == pytest.approx(engine, rel=1e-12, abs=1e-15)
    first = str(steps[0])
    assert first.startswith("[1/4] layer 4, the output layer: δ_j = ∂⁺L/∂x_j · θ'(s_j)")
    assert "δ₁⁽⁴⁾ = ∂⁺L/∂x₁⁽⁴⁾ · (1 - tanh(s₁⁽⁴⁾)²) = " in first
    second = str(steps[1])
    assert "δ_i = θ'(s_i) · Σ_j w_ij⁽⁴⁾ δ_j⁽⁴⁾" in second
    assert "δ₂⁽³⁾ = (1 - tanh(s₂⁽³⁾)²) · [w₂₁⁽⁴⁾δ₁⁽⁴⁾] = " in second
    third = str(steps[2])
    assert "[w₁₁⁽³⁾δ₁⁽³⁾ + w₁₂⁽³⁾δ₂⁽³⁾ + w₁₃⁽³⁾δ₃⁽³⁾]" in third
    w = model.layers[1].neurons[0].w[0]  # w₁₁⁽²⁾, the example of the third step
    assert (
        "e.g. ∂⁺L/∂w₁₁⁽²⁾ = x₁⁽¹⁾·δ₁⁽²⁾ = " in third and f"(engine: {fmt_number(w.grad)})" in third
    )


def test_the_numbers_on_each_line_recompute():
    """Every δ line and example recomputes from its printed numbers (`tests.equations`: exact
    arithmetic on the printed decimals, to the printed precision), here and for other seeds."""
    model, loss = lecture_network()
    text = "\n".join(str(step) for step in DeltaStepper(model, loss).run())
    assert len(equations(text)) == 18 and not wrong_equations(text)  # 10 δ, 4 examples, 4 updates
    for seed in range(5):
        model = MLP(3, [4, 3, 1], activation="tanh", seed=seed)
        loss = (model([0.5, -1.0, 0.3]) - 1.0) ** 2
        loss.backward()
        text = "\n".join(str(step) for step in DeltaStepper(model, loss).run())
        # 7 δ, 3 e.g., 3 updates
        assert len(equations(text)) == 13 and not wrong_equations(text), text


def test_moving_back_and_drawing_the_layers_known_so_far():
    model, loss = lecture_network()
    d = DeltaStepper(model, loss)
    d.next()
    d.next()
    assert d.known_layers() == {4, 3} and d.current.layer == 3
    source = d.draw().source
    layer2 = re.search(r"^\s*L2 \[label=<(.*)>\]$", source, re.M).group(1)
    layer3 = re.search(r"^\s*L3 \[label=<(.*)>\]$", source, re.M).group(1)
    assert "δ ?" in layer2 and "δ ?" not in layer3
    assert 'COLOR="#e03131" BORDER="3"' in layer3 and "#e03131" not in layer2
    assert d.back().layer == 3 and d.position == 1
    d.reset()
    assert d.position == 0 and d.back() is None
    assert "none yet" in d.summary()


def test_the_delta_mode_in_the_terminal_stepper():
    model, loss = lecture_network()
    keys = iter(["n", "n", "b", "n", "n", "n", "n", "q"])
    out = io.StringIO()
    assert interactive(DeltaStepper(model, loss), out, read_key=lambda: next(keys)) == 0
    text = out.getvalue()
    assert text.startswith("forward pass (inputs first):")
    assert "layer 1 (tanh): x₁⁽¹⁾ = " in text
    assert "[1/4] layer 4, the output layer" in text and "[4/4] layer 1:" in text
    assert "undid step 2 (layer 3)" in text
    assert "end of the backward pass" in text and text.rstrip().endswith("bye")


def test_the_delta_mode_needs_a_backward_pass_of_the_models_latest_forward():
    model = MLP(2, [2, 1], activation="tanh", seed=0)
    loss = (model([1.0, 2.0]) - 1.0) ** 2
    with pytest.raises(ValueError, match="backward"):
        DeltaStepper(model, loss)
    with pytest.raises(ValueError, match="latest forward"):
        DeltaStepper(MLP(2, [2, 1], seed=3), Value(1.0))


def test_nn_exports():
    assert nn.draw_network is draw_network and nn.DeltaStepper is DeltaStepper


def test_the_view_is_a_drawing_that_renders_with_chainrules_choice(monkeypatch):
    from engine.draw import Drawing, renderers

    model, loss = trained_once()
    monkeypatch.setattr(renderers, "prefer_system_dot", lambda: "dot")
    view = draw_network(model, loss=loss)
    assert isinstance(view, Drawing) and isinstance(view, graphviz.Digraph)
    assert view.layout_renderer == "dot"
    monkeypatch.setattr(renderers, "prefer_system_dot", lambda: None)
    assert draw_network(model, loss=loss).layout_renderer is None


@pytest.mark.skipif(shutil.which("graphviz-pure") is None, reason="graphviz-pure not installed")
def test_the_view_renders_without_a_system_dot(monkeypatch, tmp_path):
    """A pip-only machine: the view still pipes (and displays in a notebook) via graphviz-pure."""
    from pathlib import Path

    from engine.draw import renderers

    pure = Path(shutil.which("graphviz-pure"))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(renderers, "_script_dirs", lambda: [pure.parent])
    assert [p.name for p in renderers.find_renderers()] == ["graphviz-pure"]
    model, loss = trained_once()
    view = draw_network(model, loss=loss)
    assert view.layout_renderer is None
    assert view.pipe(format="svg").lstrip().startswith(b"<")
    assert "image/svg+xml" in view._repr_mimebundle_()


def test_view_and_delta_mode_read_the_numbers_of_create_graph_gradients():
    """After backward(create_graph=True) every .grad is a Value: both views show its number,
    exactly what the ordinary backward pass shows."""

    def run(create_graph: bool):
        model = MLP(2, [3, 1], activation="tanh", seed=4)
        loss = (model([0.5, -1.0]) - 1.0) ** 2
        loss.backward(create_graph=create_graph)
        return model, loss

    graph_model, graph_loss = run(True)
    plain_model, plain_loss = run(False)
    assert isinstance(graph_model.layers[0].neurons[0].w[0].grad, Value)
    source = draw_network(graph_model, loss=graph_loss).source
    assert source == draw_network(plain_model, loss=plain_loss).source
    graph_steps = [str(step) for step in DeltaStepper(graph_model, graph_loss).run()]
    plain_steps = [str(step) for step in DeltaStepper(plain_model, plain_loss).run()]
    assert graph_steps == plain_steps


def _input_cells(source: str) -> list[str]:
    """The gradient cell of each input box x_i, in order ("" when there is none)."""
    out = []
    for match in re.finditer(r">x[₀-₉]+</TD>(.*?)</TR>", source):
        cells = re.findall(r'<FONT COLOR="#495057">([^<]*)</FONT>', match.group(1))
        out.append(cells[0] if cells else "")
    return out


@pytest.mark.parametrize("as_values", [False, True])
def test_an_input_shows_its_whole_gradient_the_sum_over_every_neuron_of_layer_1(as_values):
    """∂L/∂x_i = Σ_j w_ij^(1) δ_j^(1). Called on plain floats, each neuron of layer 1 makes its
    own constant leaf for x_i, and the view used to show neuron 1's: w_i1 δ_1 alone."""
    x = [0.3, -0.7, 0.9]
    model = MLP(3, [4, 1], activation="tanh", seed=0)
    loss = (model([Value(v) for v in x] if as_values else x) - 1.0) ** 2
    loss.backward()
    state = network_state(model, loss=loss)
    first = state.layers[0]
    want = [math.fsum(n.weights[i].data * n.delta for n in first) for i in range(3)]
    assert [state.input_grad(i) for i in range(3)] == pytest.approx(want, rel=1e-12)
    assert len(state.input_nodes[0]) == (1 if as_values else 4)
    source = draw_network(model, loss=loss).source
    assert _input_cells(source) == [fmt_number(g) for g in want]
    tips = tooltips(source)
    for i, g in enumerate(want, start=1):
        assert number(tips[f"L0n{i}"], f"∂⁺L/∂x{SUB[i]}⁽⁰⁾") == pytest.approx(g, rel=1e-12)


def test_an_input_gradient_of_zero_is_shown_not_left_blank():
    """A relu layer 1 whose neurons are all off gives ∂L/∂x = 0: the box says 0 (it used to
    hide the cell, and with floats hid it whenever neuron 1 alone was off)."""
    model = MLP(2, [2, 1], activation="relu", seed=0)
    for n in model.layers[0].neurons:
        n.b.data = -10.0
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    assert _input_cells(draw_network(model, loss=loss).source) == ["0", "0"]
    known = draw_network(model, loss=loss, known_layers={2}).source
    assert _input_cells(known) == ["?", "?"]  # before layer 1's δ is known


def test_a_forward_only_view_has_no_input_gradient():
    source = draw_network(MLP(2, [3, 1], seed=1), [1.0, 2.0]).source
    assert _input_cells(source) == ["", ""] and "∂⁺L/∂x" not in source


def test_a_layer_not_done_yet_keeps_its_gradients_out_of_the_tooltips_too():
    """The δ mode's frames show "?" for a layer whose δ is not known yet; the tooltips (hover)
    used to give the answer away anyway: b.grad (= δ), the weights' a·δ and ∂L/∂x."""
    model, loss = trained_once(sizes=(3, 1))
    source = draw_network(model, loss=loss, known_layers={2}).source
    tips = tooltips(source)
    for j in range(1, 4):
        assert "∂⁺L/∂b" not in tips[f"L1n{j}"] and "δ" not in tips[f"L1n{j}"]
        assert "∂" not in tips[f"L0n1->L1n{j}"]
    assert "∂⁺L/∂x" not in tips["L0n1"]
    assert number(tips["L2n1"], "∂⁺L/∂b₁⁽²⁾") == model.layers[1].neurons[0].b.grad
    assert "∂⁺L/∂w₁₁⁽²⁾ = " in tips["L1n1->L2n1"]
