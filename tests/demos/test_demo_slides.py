"""Every picture a demo writes reads from the back of the hall: shown fit to 1280×720, its smallest
text is 16 px or more (issue 22).

Each demo test already runs its demo once and passes the pictures to `check_pictures`, which
measures every file (`tests.demos.conftest.check_slide`: SVG by `tests.slides.svg_size`, PNG by
the smallest text it records); ``pytest -s tests/demos`` prints each size. This file checks that
every demo is measured that way, and the pieces of `demos._common` that make the pictures."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

import demos
from demos import _common
from engine import Parameter, Value
from tests import slides

HERE = Path(__file__).parent
DEMO_DIR = Path(demos.__file__).parent
NO_PICTURES = {"forward_vs_reverse"}  # prints its story only


def demo_names() -> list[str]:
    return sorted(p.stem for p in DEMO_DIR.glob("*.py") if not p.stem.startswith("_"))


def wide_unit() -> Value:
    """h = σ(w1·x1 + w2·x2 + w3·x3 + b) after backward: a graph too wide for the plain preset."""
    xs = [Value(v, label=f"x{i + 1}") for i, v in enumerate((-0.958, 1.22, 0.195))]
    ws = [Parameter(v, label=f"w{i + 1}") for i, v in enumerate((0.942, -1.02, -1.31))]
    z = Parameter(-0.167, label="b")
    for x, w in zip(xs, ws):
        z = z + x * w
    h = z.sigmoid()
    h.label = "h"
    h.backward()
    return h


@pytest.mark.parametrize("name", sorted(set(demo_names()) - NO_PICTURES))
def test_every_demo_has_its_pictures_measured_by_a_test(name):
    runs_and_checks = [
        p.name
        for p in HERE.glob("test_*.py")
        if re.search(rf"\b{name}\b", text := p.read_text())
        and re.search(r"\.run\(", text)
        and "check_pictures(" in text
    ]
    assert runs_and_checks, f"no test runs demos.{name} and checks its pictures"


def test_the_demos_without_pictures_return_none():
    for name in NO_PICTURES:
        assert '"files": []' in (DEMO_DIR / f"{name}.py").read_text(), name


def test_save_figure_raises_every_text_to_slide_size(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.text import Text

    fig = _common.figure(figsize=(15.0, 6.6))
    ax = fig.subplots()
    ax.plot([0, 1], [1, 0], label="a line")
    ax.set_title("small", fontsize=6)
    ax.legend(fontsize=5)
    path = _common.save_figure(fig, tmp_path / "plot.png", dpi=80)
    least = _common.slide_points(15.0, 6.6)  # f = 16.5 · 72 / min(1280/15, 720/6.6) = 13.9 pt
    assert least == pytest.approx(16.5 * 72 * 15.0 / 1280)
    drawn = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert min(t.get_fontsize() for t in drawn) == pytest.approx(least)
    size = slides.raster_size(path)
    assert (size.width, size.height) == (1200, 528)
    assert size.text_px == pytest.approx(16.5, abs=0.01)  # the recorded f · dpi/72, fit


def test_a_png_records_its_smallest_text_from_the_same_drawing():
    from PIL import Image

    from engine.draw import render_bytes

    graph = _common.slide_graph(wide_unit(), show_local=True)
    svg, png = render_bytes(graph, "svg"), render_bytes(graph, "png")
    tagged = _common.tag_png(png, svg)
    image = Image.open(io.BytesIO(tagged))
    image.load()  # the new chunk's CRC is right
    smallest = slides.svg_font_points(svg)  # viewBox units: the drawing's points
    box_width = float(re.search(rb'viewBox="[-\d.]+ [-\d.]+ ([\d.]+)', svg).group(1))
    expected = smallest * image.width / box_width
    assert float(image.text[_common.TEXT_PX_KEY]) == pytest.approx(expected, abs=0.01)


def test_an_untagged_png_is_not_measured(tmp_path):
    from PIL import Image

    path = tmp_path / "plain.png"
    Image.new("RGB", (400, 300)).save(path)
    with pytest.raises(AssertionError, match="records no smallest text"):
        slides.raster_size(path)


def test_a_wide_graph_falls_to_a_denser_step_that_reads_at_16_px():
    from engine.draw import draw_dot, render_bytes
    from engine.draw.slide import SLIDE_DIGITS, SLIDE_FONT_SIZE, best_layout

    h = wide_unit()
    _, plain = best_layout(
        lambda r: draw_dot(h, rankdir=r, show_local=True, font_size=SLIDE_FONT_SIZE, digits=3)
    )
    before = slides.svg_size("plain preset", render_bytes(plain, "svg"))
    after = slides.svg_size("slide_graph", render_bytes(_common.slide_graph(h, show_local=True)))
    assert before.text_px < slides.MIN_TEXT_PX <= after.text_px, (before, after)
    assert SLIDE_DIGITS == 3 and f"{SLIDE_FONT_SIZE:g}" == "18"


def test_save_graph_keeps_the_preset_when_it_reads(tmp_path):
    from engine.draw import draw_dot, render_bytes

    x, w = Value(2.0, label="x"), Parameter(-3.0, label="w")
    y = x * w
    y.label = "y"
    y.backward()
    path = _common.save_graph(y, tmp_path / "small.svg")
    size = slides.svg_size(path.name, path.read_bytes())
    assert size.text_px >= slides.MIN_TEXT_PX
    plain = render_bytes(draw_dot(y, rankdir="LR", font_size=18.0, digits=3), "svg")
    tb = render_bytes(draw_dot(y, rankdir="TB", font_size=18.0, digits=3), "svg")
    assert path.read_bytes() in (plain, tb)  # the first step: the preset as it is
