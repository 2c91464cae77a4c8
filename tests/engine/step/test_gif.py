"""The animated GIF (engine/step/gif.py) and the notebook player (engine/step/notebook.py)."""

from __future__ import annotations

import html
import re
import shutil

import pytest

from engine import Value
from engine.step import Stepper
from engine.step.gif import MAX_GIF_STEPS, GifTooLargeError, write_gif
from engine.step.notebook import MAX_NOTEBOOK_STEPS, player_html
from tests.engine.step.graphs import lecture_neuron

Image = pytest.importorskip("PIL.Image", reason="Pillow is the optional 'gif' extra")

needs_renderer = pytest.mark.skipif(
    shutil.which("dot") is None and shutil.which("graphviz-pure") is None,
    reason="no Graphviz renderer (dot or graphviz-pure) to draw the frames",
)


def neuron():
    return lecture_neuron()[0]


def chain(length: int) -> Value:
    x = Value(0.1, label="x")
    for _ in range(length):
        x = x.tanh()
    return x


@needs_renderer
def test_the_gif_has_one_frame_per_step_and_opens_with_pillow(tmp_path):
    stepper = Stepper(neuron())
    stepper.next()
    path = stepper.save_gif(tmp_path / "slides" / "backprop.gif", duration=200)
    assert path.name == "backprop.gif" and stepper.position == 1  # the Stepper is put back
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.is_animated
        assert gif.n_frames == stepper.total == 10
        assert gif.info["loop"] == 0
        sizes, durations, frames = set(), [], []
        for k in range(gif.n_frames):
            gif.seek(k)
            sizes.add(gif.size)
            durations.append(gif.info["duration"])
            frames.append(gif.convert("RGB").tobytes())
    assert len(sizes) == 1 and durations[-1] == 600 and durations[0] == 200
    assert len(set(frames)) == 10  # every frame shows a different step
    first = Image.frombytes("RGB", sizes.pop(), frames[0])
    colours = {rgb for _, rgb in first.getcolors(maxcolors=1 << 16)}
    assert (224, 49, 49) in colours  # the visited node's red border (COLOURS["active"])
    assert not list(tmp_path.glob("slides/*.tmp"))


def test_a_long_pass_is_refused_before_anything_is_drawn(tmp_path):
    stepper = Stepper(chain(MAX_GIF_STEPS))  # MAX_GIF_STEPS + 1 nodes
    with pytest.raises(GifTooLargeError, match=rf"{MAX_GIF_STEPS + 1} steps, more than max_steps"):
        write_gif(stepper, tmp_path / "long.gif")
    assert not (tmp_path / "long.gif").exists()
    with pytest.raises(ValueError, match="max_steps"):
        write_gif(stepper, tmp_path / "x.gif", max_steps=0)
    with pytest.raises(ValueError, match="duration"):
        write_gif(Stepper(neuron()), tmp_path / "x.gif", duration=5)


@needs_renderer
def test_max_steps_can_be_raised(tmp_path):
    stepper = Stepper(chain(3))
    path = write_gif(stepper, tmp_path / "short.gif", max_steps=4, caption=False)
    with Image.open(path) as gif:
        assert gif.n_frames == 4


def test_without_pillow_the_message_says_how_to_get_it(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pil(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("no PIL here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pil)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'chainrule\[gif\]'"):
        write_gif(Stepper(neuron()), tmp_path / "x.gif")


# --------------------------------------------------------------------------------------------
# The notebook player
# --------------------------------------------------------------------------------------------


@needs_renderer
def test_a_stepper_shows_the_player_in_a_notebook_without_a_server():
    stepper = Stepper(neuron())
    page = stepper._repr_html_()
    assert page.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in page
    inner = html.unescape(re.search(r'srcdoc="([^"]*)"', page).group(1))
    assert inner.startswith("<!DOCTYPE html>")
    assert inner.count("<svg") == 1  # the graph once; the steps are data the page applies
    assert 'id="next"' in inner and 'id="prev"' in inner and 'id="slider"' in inner
    assert "http://" not in inner.replace("http://www.w3.org", "")  # no network request
    assert stepper.position == 0


def test_the_notebook_player_falls_back_for_long_passes():
    assert player_html(Stepper(chain(MAX_NOTEBOOK_STEPS))) is None


def test_the_notebook_shows_both_the_player_and_the_svg():
    ipython = pytest.importorskip("IPython.core.interactiveshell")
    shell = ipython.InteractiveShell.instance()
    data, _ = shell.display_formatter.format(Stepper(neuron()))
    assert "text/plain" in data
    if shutil.which("dot") or shutil.which("graphviz-pure"):
        assert "text/html" in data and "image/svg+xml" in data
