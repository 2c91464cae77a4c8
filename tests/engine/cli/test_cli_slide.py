"""The picture commands' slide options: --font-size, --digits, --rankdir, --slide, and titles."""

from __future__ import annotations

import re

import pytest

from engine.cli import main
from engine.cli.step import _title

NEURON = ["o = tanh(x1*w1 + x2*w2 + b)", "x1=2", "w1=-3", "x2=0", "w2=1", "b=6.881373587"]


def test_a_named_expression_is_not_named_twice_in_the_title():
    assert _title("o", "o = tanh(x)") == "o = tanh(x)"
    assert _title("o", "n = x*w; o = tanh(n)") == "n = x*w; o = tanh(n)"
    assert _title("out", "tanh(x)") == "out = tanh(x)"
    assert _title("out", "x == 1") == "out = x == 1"


def _aspect(page) -> float:
    """height / width of the page's drawing."""
    text = page.read_text(encoding="utf-8")
    found = re.search(r'<svg [^>]*width="([\d.]+)pt" height="([\d.]+)pt"', text)
    assert found, "no drawing in the page"
    return float(found.group(2)) / float(found.group(1))


def test_step_writes_a_top_to_bottom_player_with_the_digits_asked_for(tmp_path, capsys):
    across, down = tmp_path / "lr.html", tmp_path / "tb.html"
    assert main(["step", *NEURON, "--html", str(across)]) == 0
    assert main(["step", *NEURON, "--html", str(down), "--rankdir", "TB", "--digits", "3"]) == 0
    text = down.read_text(encoding="utf-8")
    assert "<title>o = tanh(x1*w1 + x2*w2 + b)</title>" in text  # not "o = o = ..."
    assert _aspect(down) > 2 * _aspect(across)  # inputs on top: a tall drawing
    assert "data 6.88<" in text and "data 6.881<" not in text


def test_step_slide_makes_a_slide_page(tmp_path, capsys):
    page = tmp_path / "p.html"
    assert main(["step", *NEURON, "--html", str(page), "--slide"]) == 0
    text = page.read_text(encoding="utf-8")
    assert '<body data-step="0" class="slide">' in text
    assert 'font-size="18.00"' in text and "<title>legend</title>" not in text  # no legend


@pytest.mark.parametrize("bad", ["2", "200"])
def test_step_refuses_a_bad_font_size(bad, capsys):
    assert main(["step", *NEURON, "--html", "x.html", "--font-size", bad]) == 2
    assert "--font-size" in capsys.readouterr().err


def test_delta_draws_with_the_font_size_and_digits_asked_for(tmp_path, capsys):
    out = tmp_path / "net.dot"
    assert main(["delta", "--all", "-o", str(out), "--font-size", "16", "--digits", "2"]) == 0
    source = out.read_text(encoding="utf-8")
    assert "fontsize=16" in source
    numbers = re.findall(r'COLOR="#212529">(-?[\d.]+)<', source)
    assert numbers and all(len(n.lstrip("-").replace(".", "").lstrip("0")) <= 2 for n in numbers)


def test_delta_refuses_bad_digits(capsys):
    assert main(["delta", "--all", "-o", "x.svg", "--digits", "40"]) == 2
    assert "--digits" in capsys.readouterr().err


def test_draw_slide_keeps_explicit_font_size_and_digits(tmp_path, capsys):
    out = tmp_path / "n.svg"
    assert (
        main(["draw", *NEURON, "--slide", "--font-size", "20", "--digits", "2", "-o", str(out)])
        == 0
    )
    svg = out.read_text(encoding="utf-8")
    assert 'font-size="20.00"' in svg and ">data 6.9<" in svg
