"""engine.draw.size: the layout-size estimate, and graphs refused before any layout starts."""

from __future__ import annotations

import pytest

from engine import Value, draw_dot
from engine.draw import DEFAULT_MAX_NODES, LAYOUT_POINTS_PER_NODE, GraphTooLargeError, save
from engine.draw import drawing as graph_module
from engine.draw import render as render_module


def chain(n: int) -> Value:
    y = Value(0.5, label="x")
    for _ in range(n):
        y = y.tanh()
    return y


def test_a_chain_has_no_bends():
    g = draw_dot(chain(100))
    assert g.layout_size == g.values + g.ops == 201  # boxes and ovals only


def test_a_sum_of_products_grows_with_the_square_of_its_terms(sum_of_products):
    sizes = {n: draw_dot(sum_of_products(n)).layout_size for n in (21, 41, 81)}
    # x and w feed a product up to 2·terms ranks away: the bends grow with terms²
    assert 3.5 < sizes[41] / sizes[21] < 4.5 and 3.5 < sizes[81] / sizes[41] < 4.5
    assert sizes[81] > 10 * draw_dot(sum_of_products(81)).values


def test_a_leaf_sits_just_before_its_first_use():
    a = Value(1.0, label="a")
    deep = chain(50)
    g = draw_dot(deep * a)  # a is made first but used only at the end: no long edge
    assert g.layout_size == g.values + g.ops


def test_edge_labels_make_long_edges_cost_more(sum_of_products):
    root = sum_of_products(41)
    assert draw_dot(root, show_local=True).layout_size > 5 * draw_dot(root).layout_size
    small = chain(10)
    assert draw_dot(small, show_local=True).layout_size == 11 + 2 * 10 + 10  # one point per label


def test_layout_size_is_iterative():
    g = draw_dot(chain(5000))
    assert g.layout_size == 10_001


def test_the_601_value_sum_of_products_is_refused_before_layout(
    sum_of_products, monkeypatch, tmp_path
):
    """Issue 15: it laid out for 60 s and then failed; now it is refused at once."""

    def must_not_run(*args, **kwargs):
        raise AssertionError("no renderer may be looked up or started")

    monkeypatch.setattr(graph_module, "choose_renderer", must_not_run)
    monkeypatch.setattr(render_module, "choose_renderer", must_not_run)
    g = draw_dot(sum_of_products(601))
    assert g.values == 601 < DEFAULT_MAX_NODES
    assert g.layout_size > LAYOUT_POINTS_PER_NODE * DEFAULT_MAX_NODES
    for attempt in (g.pipe, g.render, lambda: save(g, tmp_path / "g.svg")):
        with pytest.raises(GraphTooLargeError) as info:
            attempt()
    message = str(info.value)
    assert "601 values" in message and "skip many ranks" in message and ".dot" in message
    assert "\n" not in message
    assert g._repr_mimebundle_() == {"text/plain": message}
    assert save(g, tmp_path / "g.dot").read_text(encoding="utf-8") == g.source  # any size
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot"]


def test_too_many_values_are_refused(neuron, monkeypatch):
    monkeypatch.setattr(graph_module, "choose_renderer", None)  # would fail if reached
    g = draw_dot(neuron[0], max_nodes=5)
    with pytest.raises(GraphTooLargeError, match=r"10 values, more than max_nodes=5"):
        g.pipe()


def test_raising_max_nodes_lets_a_graph_through(sum_of_products):
    root = sum_of_products(601)
    assert draw_dot(root, max_nodes=20_000).check_size() is None
    assert draw_dot(root).max_nodes == DEFAULT_MAX_NODES


def test_show_local_refusals_suggest_turning_it_off(sum_of_products):
    g = draw_dot(sum_of_products(81), show_local=True)
    with pytest.raises(GraphTooLargeError, match="show_local=False"):
        g.check_size()


def test_what_the_defaults_let_through(neuron, sum_of_products):
    """The shapes measured in tests/benchmark_draw.py: the 201-value sum of products and a
    2,000-value chain are drawn; 401 and 601 values are refused."""
    assert draw_dot(neuron[0], show_local=True).check_size() is None
    assert draw_dot(sum_of_products(201)).check_size() is None
    assert draw_dot(chain(999)).check_size() is None  # 1,000 values
    for n in (401, 601):
        with pytest.raises(GraphTooLargeError):
            draw_dot(sum_of_products(n)).check_size()
