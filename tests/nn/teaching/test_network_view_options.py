"""The network view's slide options (font_size, digits, weight_rows, ranksep), its repr, its
column heading and its sub/superscripts."""

from __future__ import annotations

import pytest

import nn
from nn.teaching.network_view import SLIDE_VIEW, draw_network, lecture_name


def _trained():
    model = nn.MLP(2, [3, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    return model, loss


def test_font_size_and_digits_reach_every_text_and_number():
    model, loss = _trained()
    source = draw_network(model, loss=loss, font_size=20, digits=3).source
    assert "fontsize=20" in source and 'POINT-SIZE="21"' in source
    w = model.layers[0].neurons[0].w[0]
    assert f">{nn.teaching.network_view.fmt(w.data, 3)}<" in source
    assert f">{nn.teaching.network_view.fmt(w.data, 4)}<" not in source  # 3 digits, not 4


@pytest.mark.parametrize("bad", [0, 200, float("nan"), True, "18"])
def test_a_bad_font_size_is_refused_by_name(bad):
    model, loss = _trained()
    with pytest.raises(ValueError, match="font_size"):
        draw_network(model, loss=loss, font_size=bad)


def test_the_slide_view_keeps_the_weights_out_of_the_boxes():
    model, loss = _trained()
    listed = draw_network(model, loss=loss).source
    slide = draw_network(model, loss=loss, **SLIDE_VIEW).source
    row = '<TD ALIGN="LEFT">w₁₁⁽¹⁾</TD>'
    assert row in listed and row not in slide
    assert "ranksep=0.4" in slide and 'tooltip="w₁₁⁽¹⁾ =' in slide  # still in its tooltip


def test_the_repr_describes_the_network_not_zero_values():
    model, loss = _trained()
    text = repr(draw_network(model, loss=loss))
    assert (
        text
        == "<chainrule Drawing: network view of an MLP 2-3-1, 4 neurons, 9 weights, with the loss>"
    )


def test_the_gradient_column_heading_is_whole():
    model, loss = _trained()
    assert ">∂⁺L/∂(·)<" in draw_network(model, loss=loss).source


def test_names_are_unicode_sub_and_superscripts_on_one_line():
    """Graphviz's <SUB>/<SUP> become separate SVG texts with baseline-shift, which browsers
    ignore on <text>: "s 1 (2)". Unicode characters keep s₁⁽²⁾ on one line."""
    assert lecture_name("s", 1, layer=2) == "s₁⁽²⁾"
    assert lecture_name("w", 12, 1, layer=2) == "w₁₂,₁⁽²⁾"
    assert lecture_name("x", 3) == "x₃" and lecture_name("<", 1) == "&lt;₁"
    model, loss = _trained()
    svg = draw_network(model, loss=loss).pipe(format="svg").decode()
    assert "baseline-shift" not in svg and "s₁⁽¹⁾" in svg
