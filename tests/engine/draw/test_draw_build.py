"""engine.draw.build: draw_dot makes a graphviz.Digraph with every drawing feature."""

from __future__ import annotations

import os
import re
from pathlib import Path

import graphviz
import pytest

from engine import Parameter, Value, draw_dot
from engine.core.chain_rule import local_derivatives
from engine.core.names import node_names
from engine.draw import COLOURS, Drawing, format_number
from engine.draw.style import name_cell

GOLDEN = Path(__file__).parent / "golden"


def statements(source: str) -> dict[str, str]:
    """DOT node id -> its statement, for the value boxes and op ovals."""
    return {m.group(1): m.group(0) for m in re.finditer(r"^\t([vo]\d+) \[.*$", source, re.M)}


def edge_lines(source: str) -> list[str]:
    return [line.strip() for line in source.splitlines() if " -> " in line]


def golden(name: str, text: str) -> str:
    """The golden file's text; CHAINRULE_UPDATE_GOLDEN=1 rewrites it first (review the diff)."""
    path = GOLDEN / name
    if os.environ.get("CHAINRULE_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    return path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------------------------
# A graphviz.Digraph
# --------------------------------------------------------------------------------------------


def test_draw_dot_returns_a_graphviz_digraph(neuron):
    g = draw_dot(neuron[0])
    assert isinstance(g, graphviz.Digraph) and isinstance(g, Drawing)
    assert g.source.startswith("digraph chainrule {") and g.source.endswith("}\n")
    assert str(g) == g.source  # the package's own str
    assert g.format == "svg"  # micrograd's default, and one graphviz-pure writes


def test_micrograd_call_format_and_rankdir(neuron):
    g = draw_dot(neuron[0], format="png", rankdir="TB")
    assert g.format == "png" and "rankdir=TB" in g.source
    with pytest.raises(ValueError, match="format"):
        draw_dot(neuron[0], format="no-such-format")


def test_counts_and_repr_grammar(neuron):
    g = draw_dot(neuron[0])
    # 5 leaves + x1w1, x2w2, sum, n, o; ops: 2 mul, 2 add, tanh; edges: 9 into ops, 5 out
    assert (g.values, g.ops, g.edge_count) == (10, 5, 14)
    assert repr(g) == "<chainrule Drawing: 10 values, 5 ops, 14 edges>"
    one = draw_dot(Value(1.0, label="x").tanh())
    assert repr(one) == "<chainrule Drawing: 2 values, 1 op, 2 edges>"
    leaf = draw_dot(Value(1.0, label="x"))
    assert repr(leaf) == "<chainrule Drawing: 1 value, 0 ops, 0 edges>"


def test_copy_is_the_package_copy_and_keeps_the_counts(neuron):
    g = draw_dot(neuron[0], max_nodes=7, renderer="dot", timeout=3.0)
    c = g.copy()
    assert isinstance(c, Drawing) and c is not g and c.source == g.source
    assert (c.values, c.max_nodes, c.layout_renderer, c.timeout) == (10, 7, "dot", 3.0)
    c.node("extra")
    assert "extra" not in g.source


def test_node_ids_are_topological_positions(neuron):
    """The HTML player finds the i-th Value's box as v<i> and its op's oval as o<i>."""
    o, v = neuron
    source = draw_dot(o).source
    ids = statements(source)
    assert sorted(k for k in ids if k.startswith("v")) == sorted(f"v{i}" for i in range(10))
    assert "<td>o</td>" in ids["v9"] and "o9" in ids  # the root is last, made by tanh


# --------------------------------------------------------------------------------------------
# What the boxes show
# --------------------------------------------------------------------------------------------


def test_source_shows_every_label_data_and_grad(neuron):
    o, v = neuron
    source = draw_dot(o).source
    for node in [o, *v.values()]:
        assert name_cell(node.label) in source
        assert f"data {format_number(node.data)}" in source
        assert f"grad {format_number(node.grad)}" in source
    assert "grad -1.5<" in source and "grad 1<" in source  # x1.grad = w1·(1 - o²)


def test_unlabelled_nodes_are_named_as_the_narration_names_them():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + 1).tanh()
    source = draw_dot(out).source
    names = node_names(out)
    for node, name in names.items():
        if node.parents:
            assert name_cell(name) in source
    assert (
        name_cell("mul₁") in source and name_cell("add₁") in source and name_cell("tanh₁") in source
    )
    assert "<td>1</td>" not in source  # a constant shows its data, not a name cell


def test_names_override_the_default_names():
    a, c = Value(2.0, label="a"), Value(3.0)
    out = a * c
    names = {a: "ignored", c: "const", out: "product"}
    source = draw_dot(out, names=names).source
    assert "<td>a</td>" in source and "<td>product</td>" in source  # labels win
    assert "ignored" not in source and "<td>const</td>" not in source
    assert name_cell("mul₁") not in draw_dot(out, names={}).source  # no names at all


def test_colours_tell_parameters_inputs_constants_and_output_apart():
    x = Value(1.0, label="x")
    w = Parameter(2.0, label="w")
    extra = Value(4.0, label="u")  # a parameter only because params= says so
    out = (x * w + 3.0) * extra
    fill = {
        i: re.search(r'bgcolor="(#[0-9a-f]+)"', line).group(1)
        for i, line in statements(draw_dot(out, params=[extra]).source).items()
        if i.startswith("v")
    }
    # topological order: the leaves as the walk meets them (x, w, the constant 3, u), then
    # x·w, x·w + 3, out
    assert fill == {
        "v0": COLOURS["input"],
        "v1": COLOURS["parameter"],
        "v2": COLOURS["constant"],
        "v3": COLOURS["parameter"],
        "v4": COLOURS["intermediate"],
        "v5": COLOURS["intermediate"],
        "v6": COLOURS["output"],
    }
    assert COLOURS["input"] in statements(draw_dot(out).source)["v3"]  # u without params=


def test_legend_lists_the_kinds_present():
    x = Value(1.0, label="x")
    source = draw_dot(x * 2.0).source
    legend = next(line for line in source.splitlines() if line.startswith("\tlegend"))
    assert "input" in legend and "constant" in legend and "output" in legend
    assert "parameter" not in legend
    assert "legend" not in draw_dot(x * 2.0, legend=False).source


def test_show_grad_false_hides_grads_and_says_why(neuron):
    for legend in (True, False):
        source = draw_dot(neuron[0], show_grad=False, legend=legend).source
        assert "<td>grad" not in source and "grad ?" not in source
        assert "before backward() every grad is 0" in source


def test_grad_known_shows_question_marks_for_the_rest(neuron):
    o, v = neuron
    source = draw_dot(o, grad_known=[o, v["n"]]).source
    lines = statements(source)
    shown = [line for line in lines.values() if "grad 1<" in line or "grad 0.5<" in line]
    assert len(shown) == 2
    assert sum("grad ?" in line for line in lines.values()) == 8
    assert "grad ?: not computed yet" in source


def test_highlight_marks_the_node_and_its_incoming_edges(neuron):
    o, v = neuron
    source = draw_dot(o, highlight=v["n"]).source
    red = COLOURS["active"]
    marked = [i for i, line in statements(source).items() if red in line]
    assert sorted(marked) == ["o8", "v8"]  # n's box and its op oval
    edges = edge_lines(source)
    incoming = [e for e in edges if "-> o8" in e]
    assert len(incoming) == 2 and all(red in e for e in incoming)
    assert red in next(e for e in edges if e.startswith("o8 -> v8"))
    others = [e for e in edges if "o8" not in e]
    assert others and not any(red in e for e in others)


def test_highlight_accepts_several_values_and_rejects_non_values(neuron):
    o, v = neuron
    source = draw_dot(o, highlight=[o, v["n"]]).source
    assert sum(COLOURS["active"] in line for line in statements(source).values()) == 4
    with pytest.raises(TypeError, match="highlight"):
        draw_dot(o, highlight=[1.5])
    with pytest.raises(TypeError, match="grad_known"):
        draw_dot(o, grad_known="o")


# --------------------------------------------------------------------------------------------
# Edges and ops
# --------------------------------------------------------------------------------------------


def test_edges_are_ordered_and_repeated():
    a = Value(3.0, label="a")
    b = Value(2.0, label="b")
    s = a + a
    d = b / s  # order matters: b is x, s is y
    source = draw_dot(d).source
    edges = edge_lines(source)
    # topological order: the leaves as the walk from d meets them (b, a), then s, d
    assert edges.count("v1 -> o2") == 2  # a + a: two edges from a
    assert [e.split()[0] for e in edges if e.endswith("-> o3")] == ["v0", "v2"]
    assert "ordering=in" in statements(source)["o3"]


def test_show_local_labels_edges_with_local_derivatives(neuron):
    o, v = neuron
    edges = edge_lines(draw_dot(o, show_local=True).source)
    (d_tanh,) = local_derivatives(o)
    assert d_tanh == pytest.approx(1 - o.data**2)
    assert f"v8 -> o9 [label={format_number(d_tanh)}]" in edges
    # leaves first (x1, w1, x2, w2, b), so x1 is v0, w1 is v1 and x1·w1 is v5:
    # ∂/∂x1 = w1 = -3, ∂/∂w1 = x1 = 2
    assert "v0 -> o5 [label=-3]" in edges and "v1 -> o5 [label=2]" in edges
    assert "local derivative" in draw_dot(o, show_local=True).source
    assert not any("label" in e for e in edge_lines(draw_dot(o).source))


def test_show_local_where_floats_raise_shows_what_backward_uses():
    x = Value(0.0, label="x")
    edges = edge_lines(draw_dot(x.sqrt(), show_local=True).source)
    assert any(e.startswith("v0 -> o1 [label=") and "inf" in e for e in edges), edges  # ∂√x = ∞
    x, y = Value(0.0, label="x"), Value(1.0, label="y")
    edges = edge_lines(draw_dot(x**y, show_local=True).source)  # ln 0 in a branch not taken
    assert "v0 -> o2 [label=1]" in edges and "v1 -> o2 [label=0]" in edges, edges
    x, y = Value(-2.0, label="x"), Value(2.0, label="y")
    edges = edge_lines(draw_dot(x**y, show_local=True).source)  # ∂(x^y)/∂y at x < 0
    assert "v1 -> o2 [label=undefined]" in edges, edges


@pytest.mark.parametrize(
    "make, text",
    [
        (lambda x: x**2, '"^2"'),
        (lambda x: x**-0.5, '"^-0.5"'),
        (lambda x: x.leaky_relu(0.01), '"leaky_relu α=0.01"'),
        (lambda x: x.elu(), '"elu α=1"'),
        (lambda x: x.swish(2.0), '"swish β=2"'),
        (lambda x: x * 2.0, '"×"'),
        (lambda x: x.sigmoid(), '"σ"'),
        (lambda x: x.tanh(), "tanh"),
    ],
)
def test_op_nodes_show_the_symbol_and_argument(make, text):
    out = make(Value(1.5, label="x"))
    oval = next(line for k, line in statements(draw_dot(out).source).items() if k[0] == "o")
    assert f"[label={text} " in oval and "shape=ellipse" in oval


# --------------------------------------------------------------------------------------------
# Options and their checks
# --------------------------------------------------------------------------------------------


def test_rankdir_and_argument_checks():
    x = Value(1.0, label="x")
    assert "rankdir=TB" in draw_dot(x.tanh(), rankdir="TB").source
    assert "rankdir=LR" in draw_dot(x.tanh()).source
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(x, rankdir="sideways")
    with pytest.raises(TypeError, match="needs a Value"):
        draw_dot(1.0)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="max_nodes"):
            draw_dot(x, max_nodes=bad)
    for bad in (0, -1, float("nan"), "10"):
        with pytest.raises(ValueError, match="timeout"):
            draw_dot(x, timeout=bad)
    with pytest.raises(TypeError, match="renderer"):
        draw_dot(x, renderer=3)


def test_font_size_scales_every_text(neuron):
    source = draw_dot(neuron[0], font_size=18).source
    assert "node [fontname=Courier fontsize=18 " in source
    assert 'edge [arrowsize=0.7 color="#495057" fontname=Courier fontsize=16]' in source
    assert "fontsize=17" in source.splitlines()[1]  # the graph's own text
    assert "fontsize=12 " in draw_dot(neuron[0]).source  # the default
    for bad in (0, 3, 97, float("inf"), "18", True):
        with pytest.raises(ValueError, match="font_size"):
            draw_dot(neuron[0], font_size=bad)


def test_digits_give_significant_digits_everywhere(neuron):
    o, v = neuron
    source = draw_dot(o, digits=3, show_local=True).source
    assert "data 0.707" in source and "grad -1.5<" in source and "data 6.88<" in source
    assert "v8 -> o9 [label=0.5]" in source  # edge numbers too
    assert "data 0.7071" in draw_dot(o).source  # None: the engine's own format
    for bad in (0, 18, 2.0, "3"):
        with pytest.raises(ValueError, match="digits"):
            draw_dot(o, digits=bad)


def test_a_single_leaf_is_drawn_as_the_output():
    g = draw_dot(Parameter(1.0, label="p"))
    assert (g.values, g.ops, g.edge_count) == (1, 0, 0)
    assert COLOURS["output"] in statements(g.source)["v0"]


def test_a_deep_chain_draws_without_recursion():
    x = Value(0.5, label="x")
    y = x
    for _ in range(5_000):  # far past Python's recursion limit
        y = y * 1.0
    g = draw_dot(y)
    assert g.values == 10_001 and g.ops == 5_000 and g.source.count(" -> ") == 15_000


# --------------------------------------------------------------------------------------------
# Golden file
# --------------------------------------------------------------------------------------------


def test_source_is_deterministic_and_matches_the_golden_file(new_neuron):
    first = draw_dot(new_neuron()[0], show_local=True).source
    second = draw_dot(new_neuron()[0], show_local=True).source
    assert first == second
    assert first == golden("neuron_local.dot", first)


def test_the_package_methods_and_attributes_are_untouched(neuron):
    g = draw_dot(neuron[0])
    g.edges([("v0", "v9")])  # graphviz's own edges(): add edges
    assert g.source.rstrip().endswith("v0 -> v9\n}")
    assert g.renderer is None and g.engine == "dot"  # the package's -T renderer and layout engine
    assert g.edge_count == 14  # the drawing's own count is unchanged


def test_grads_and_partial_show_this_passs_numbers_and_mark_partial_sums():
    a = Value(3.0, label="a")
    y = a * a + a
    y.label = "y"
    y.backward()  # a.grad = 7
    source = draw_dot(y, grads={a: 1.0}, partial={a: (1, 3)}).source
    assert "grad 1 (partial 1/3)</td>" in source and "grad 7" not in source
    complete = draw_dot(y, grads={a: 7.0}, partial={a: (3, 3)}).source
    assert "grad 7</td>" in complete and "partial" not in complete


def test_a_stepper_drawing_shows_this_pass_after_an_earlier_backward():
    from engine.step import Stepper

    a = Value(3.0, label="a")
    y = a * a + a
    y.label = "y"
    y.backward()  # an earlier pass: a.grad holds 7
    stepper = Stepper(y)
    stepper.next()  # y's step: a receives 1 of its 3 contributions
    source = stepper.draw().source
    assert "grad 1 (partial 1/3)</td>" in source
    stepper.run()  # a.grad is now 14, but this pass's derivative is 7
    assert a.grad == 14.0
    source = stepper.draw().source
    assert "grad 7</td>" in source and "grad 14" not in source


def test_gradients_that_are_values_after_create_graph_show_their_numbers():
    """After backward(create_graph=True) every .grad is a Value (a graph): the boxes show
    its number, as repr does, instead of raising TypeError from float()."""
    x = Value(2.0, label="x")
    y = x * x * x
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)
    source = draw_dot(y).source
    assert "12" in source  # ∂x³/∂x = 3x² = 12
    assert format_number(Value(0.25)) == format_number(0.25)
