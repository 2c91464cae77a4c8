"""Slides read at 1280×720: each default slide picture, made with the slide preset, shown fit to
the screen, has text at least 16 px high and needs no scrolling (measured as `tests.slides`
describes: SVG sizes and font-size attributes, PNG/GIF pixels, pages in Chromium)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from engine import Value
from engine.cli import main
from tests import slides

NEURON = ["o = tanh(x1*w1 + x2*w2 + b)", "x1=2", "w1=-3", "x2=0", "w2=1", "b=6.881373587"]


def _neuron() -> Value:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2, b = Value(-3.0, label="w1"), Value(1.0, label="w2"), Value(6.881373587, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.label = "o"
    o.backward()
    return o


def test_the_size_measure_reads_points_and_scales_to_the_screen():
    svg = (
        b'<svg width="2560pt" height="360pt" viewBox="0 0 2560 360">'
        b'<text font-size="12">a</text></svg>'
    )
    size = slides.svg_size("probe", svg)
    # 2560 pt = 3413 px wide: scaled by 1280/3413, 12 pt (16 px) text becomes 6 px
    assert size.width == pytest.approx(3413.33, abs=0.01)
    assert size.text_px == pytest.approx(16 * 1280 / 3413.33, rel=1e-4)


def test_the_neuron_drawn_with_slide_reads_at_16_px(tmp_path, capsys):
    default, slide = tmp_path / "default.svg", tmp_path / "slide.svg"
    assert main(["draw", *NEURON, "--params", "w1,w2,b", "-o", str(default)]) == 0
    assert main(["draw", *NEURON, "--params", "w1,w2,b", "--slide", "-o", str(slide)]) == 0
    before = slides.svg_size("neuron", default.read_bytes())
    after = slides.svg_size("neuron --slide", slide.read_bytes())
    assert before.text_px < slides.MIN_TEXT_PX <= after.text_px, (before, after)


def test_the_neuron_png_with_slide_reads_at_16_px(tmp_path):
    from PIL import Image

    from engine.draw import draw_dot, render_bytes
    from engine.draw.slide import SLIDE_FONT_SIZE, slide_drawing

    o = _neuron()
    best = slide_drawing(lambda r: draw_dot(o, rankdir=r, font_size=SLIDE_FONT_SIZE, digits=3))
    png = Image.open(io.BytesIO(render_bytes(best, "png")))
    smallest_pt = slides.svg_font_points(render_bytes(best, "svg"))
    size = slides.png_size("neuron png", png.width, png.height, smallest_pt * slides.PNG_DPI / 72)
    assert size.text_px >= slides.MIN_TEXT_PX, size


def test_the_mlp_network_view_with_its_loss_reads_at_16_px():
    import nn
    from engine.draw import render_bytes
    from engine.draw.slide import slide_drawing
    from nn.teaching.network_view import SLIDE_VIEW, draw_network

    model = nn.MLP(2, [3, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    before = slides.svg_size("MLP view", render_bytes(draw_network(model, loss=loss), "svg"))
    best = slide_drawing(lambda r: draw_network(model, loss=loss, rankdir=r, **SLIDE_VIEW))
    after = slides.svg_size("MLP view, slide", render_bytes(best, "svg"))
    assert before.text_px < slides.MIN_TEXT_PX <= after.text_px, (before, after)


def test_a_gif_frame_with_slide_reads_at_16_px(tmp_path, capsys):
    from PIL import Image

    from engine.cli.step import SLIDE_CAPTION_PX
    from engine.draw.slide import SLIDE_FONT_SIZE

    gif = tmp_path / "steps.gif"
    assert main(["step", *NEURON, "--gif", str(gif), "--slide"]) == 0
    frame = Image.open(gif)
    graph_px = (SLIDE_FONT_SIZE - 2) * slides.PNG_DPI / 72  # edge numbers, the smallest text
    size = slides.png_size("GIF frame", frame.width, frame.height, min(graph_px, SLIDE_CAPTION_PX))
    assert size.text_px >= slides.MIN_TEXT_PX, size


needs_chromium = pytest.mark.skipif(
    slides.chromium() is None, reason="no chromium on PATH to measure the pages in"
)


@needs_chromium
def test_the_player_with_slide_fits_the_screen_with_16_px_text(tmp_path, capsys):
    page = tmp_path / "player.html"
    assert main(["step", *NEURON, "--html", str(page), "--slide"]) == 0
    measured = slides.measure_page(page)
    size = slides.page_size("player --slide", measured)
    assert measured["scroll"] == list(slides.SCREEN), measured["scroll"]  # no scrolling
    assert measured["offscreen"] == 0  # every node in the panel: the graph is fit whole
    assert size.text_px >= slides.MIN_TEXT_PX, (size, sorted(measured["htmlText"])[:3])


@needs_chromium
def test_the_default_player_opens_with_the_whole_neuron_in_view(tmp_path, capsys):
    page = tmp_path / "player.html"
    assert main(["step", *NEURON, "--html", str(page)]) == 0
    assert slides.measure_page(page)["offscreen"] == 0


@needs_chromium
def test_the_delta_page_with_slide_reads_at_16_px(tmp_path, capsys):
    page = tmp_path / "delta.html"
    assert main(["delta", "--html", str(page), "--slide"]) == 0
    measured = slides.measure_page(page)
    assert measured["scroll"] == list(slides.SCREEN)  # no scrolling
    assert measured["offscreen"] == 0  # the whole network in its panel
    assert slides.page_size("δ page", measured).text_px >= slides.MIN_TEXT_PX


def test_the_delta_network_view_with_slide_reads_at_16_px(tmp_path: Path, capsys):
    default, slide = tmp_path / "default.svg", tmp_path / "slide.svg"
    assert main(["delta", "--all", "-o", str(default)]) == 0
    assert main(["delta", "--all", "--slide", "-o", str(slide)]) == 0
    before = slides.svg_size("δ view", default.read_bytes())
    after = slides.svg_size("δ view --slide", slide.read_bytes())
    assert before.text_px < slides.MIN_TEXT_PX <= after.text_px, (before, after)


def test_compact_writes_each_op_in_its_box_and_keeps_the_numbers():
    from engine.draw import draw_dot

    o = _neuron()
    plain = draw_dot(o, show_local=True, digits=3)
    compact = draw_dot(o, show_local=True, digits=3, compact=True)
    assert "shape=ellipse" in plain.source and "shape=ellipse" not in compact.source
    assert "o = tanh" in compact.source  # the op in the result's name cell
    # every input edge keeps its local derivative: tanh'(n) = 1 - o² on the edge n -> o
    local = f"{1 - o.data**2:.3g}".lstrip("0")
    assert compact.source.count("->") == plain.edge_count - plain.ops
    assert local in compact.source
    assert compact.ops == 0 and compact.edge_count == plain.edge_count - plain.ops


def test_stacked_boxes_are_narrower_and_show_the_same_cells():
    from engine.draw import draw_dot, render_bytes

    o = _neuron()
    row = render_bytes(draw_dot(o, rankdir="TB", font_size=18.0, digits=3), "svg")
    stacked = render_bytes(draw_dot(o, rankdir="TB", font_size=18.0, digits=3, stacked=True), "svg")
    assert slides.svg_size("stacked", stacked).width < slides.svg_size("row", row).width
    texts = sorted(t for t in re.findall(r">([^<]+)</text>", row.decode()))
    assert sorted(re.findall(r">([^<]+)</text>", stacked.decode())) == texts
