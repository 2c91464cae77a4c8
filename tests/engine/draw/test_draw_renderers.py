"""engine.draw.renderers: which renderer draws, chosen how, writing which formats."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import graphviz
import pytest

from engine import draw_dot
from engine.draw import (
    KNOWN_FORMATS,
    FormatNotSupportedError,
    RendererNotFoundError,
    choose_renderer,
    configure_graphviz,
    find_renderers,
    renderer_formats,
    renderers,
    save,
)

SVG = "{http://www.w3.org/2000/svg}"


def test_graphviz_pure_is_preferred_when_both_are_installed(pure, system_dot):
    assert find_renderers() == [pure, system_dot]
    assert choose_renderer() == pure  # measured faster on every shape (tests/benchmark_draw.py)
    assert choose_renderer(fmt="pdf") == system_dot  # auto: the first one that writes pdf


def test_pipe_works_with_graphviz_pure_alone(only_graphviz_pure, neuron):
    """A fresh venv: no system dot, graphviz-pure in the scripts folder (not on PATH)."""
    g = draw_dot(neuron[0])
    svg = g.pipe(format="svg")
    assert ET.fromstring(svg).tag == f"{SVG}svg"
    assert g.pipe(format="png").startswith(b"\x89PNG")
    assert str(graphviz.backend.dot_command.DOT_BINARY) == "dot"  # put back after the call


def test_renderer_argument_and_environment_variable(pure, system_dot, neuron, monkeypatch):
    calls = []
    real = renderers.graphviz_binary

    def spy(path):
        calls.append(path)
        return real(path)

    monkeypatch.setattr("engine.draw.drawing.graphviz_binary", spy)
    draw_dot(neuron[0], renderer="dot").pipe()
    draw_dot(neuron[0], renderer=str(pure)).pipe()
    monkeypatch.setenv(renderers.ENV_VAR, "dot")
    draw_dot(neuron[0]).pipe()
    draw_dot(neuron[0], renderer="graphviz-pure").pipe()  # the argument wins
    monkeypatch.setenv(renderers.ENV_VAR, "auto")
    draw_dot(neuron[0]).pipe()
    assert calls == [system_dot, pure, system_dot, pure, pure]


def test_a_bad_renderer_name_is_reported_when_rendering(neuron, monkeypatch, tmp_path):
    g = draw_dot(neuron[0], renderer="no-such-renderer")  # drawing itself looks nothing up
    with pytest.raises(RendererNotFoundError, match="'no-such-renderer' is not installed"):
        g.pipe()
    with pytest.raises(RendererNotFoundError, match="does not exist"):
        draw_dot(neuron[0], renderer=tmp_path / "nope" / "dot").pipe()
    monkeypatch.setenv(renderers.ENV_VAR, "nonsense")
    with pytest.raises(RendererNotFoundError, match="CHAINRULE_RENDERER='nonsense'"):
        draw_dot(neuron[0]).pipe()


def test_no_renderer_is_one_clear_error_at_render_time_only(no_renderer, neuron, tmp_path):
    g = draw_dot(neuron[0])  # no error here: nothing is rendered yet
    assert g.source.startswith("digraph")
    for attempt in (g.pipe, lambda: save(g, tmp_path / "g.svg"), g.render):
        with pytest.raises(RendererNotFoundError) as info:
            attempt()
    message = str(info.value)
    assert isinstance(info.value, RuntimeError) and "\n" not in message
    assert "pip install graphviz-pure" in message and "apt-get install graphviz" in message
    assert ".source" in message
    assert g._repr_mimebundle_() == {"text/plain": message}
    assert save(g, tmp_path / "g.dot").read_text(encoding="utf-8") == g.source
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot"]


def test_importing_and_drawing_never_look_for_a_renderer():
    code = (
        "import os; os.environ['PATH'] = ''\n"
        "from engine.draw import renderers\n"
        "renderers._script_dirs = lambda: []\n"
        "from engine import Value, draw_dot\n"
        "g = draw_dot(Value(1.0) * 2)\n"
        "print(len(g.source) > 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"


def test_installed_renderers_write_what_the_table_says(any_renderer):
    for path in find_renderers():
        reported = renderer_formats(path)
        known = KNOWN_FORMATS[renderers._kind(path)]
        assert known <= reported, (path, known - reported)


def test_graphviz_pure_cannot_write_pdf_and_says_who_can(pure, neuron, tmp_path, monkeypatch):
    assert "pdf" not in renderer_formats(pure) and "jpg" in renderer_formats(pure)
    g = draw_dot(neuron[0], renderer="graphviz-pure")
    with pytest.raises(FormatNotSupportedError) as info:
        save(g, tmp_path / "g.pdf")
    message = str(info.value)
    assert "graphviz-pure cannot write pdf" in message and "svg, png, jpg, jpeg" in message
    assert "dot can" in message and isinstance(info.value, ValueError)
    monkeypatch.setattr(renderers, "_which", lambda name: pure if name == "graphviz-pure" else None)
    with pytest.raises(FormatNotSupportedError, match="apt-get install graphviz"):
        save(g, tmp_path / "g.pdf")  # without a system dot: how to get one
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_executable_is_asked_for_its_formats(fake_renderer):
    liar = fake_renderer("my-renderer", "sys.exit(1)", formats="svg gif")
    assert renderer_formats(liar) == {"svg", "gif"}
    mute = fake_renderer("mute", "sys.exit(1)", formats="")
    assert renderer_formats(mute) == {"svg"}  # no answer: svg only


def test_configure_graphviz_points_plain_digraphs_at_the_renderer(any_renderer, monkeypatch):
    from graphviz.backend import dot_command

    monkeypatch.setattr(dot_command, "DOT_BINARY", dot_command.DOT_BINARY)  # restored after
    path = configure_graphviz()
    assert dot_command.DOT_BINARY == path == find_renderers()[0]
    plain = graphviz.Digraph()
    plain.edge("a", "b")
    assert plain.pipe(format="svg").lstrip().startswith(b"<?xml")


def test_port_heavy_graphs_prefer_the_system_dot_only_when_the_choice_is_automatic(
    pure, system_dot, monkeypatch
):
    monkeypatch.delenv(renderers.ENV_VAR, raising=False)
    assert renderers.prefer_system_dot() == "dot"  # both installed, auto: dot
    monkeypatch.setenv(renderers.ENV_VAR, "auto")
    assert renderers.prefer_system_dot() == "dot"
    monkeypatch.setenv(renderers.ENV_VAR, "graphviz-pure")  # the user's choice stands
    assert renderers.prefer_system_dot() is None


def test_without_the_system_dot_port_heavy_graphs_take_the_usual_choice(only_graphviz_pure):
    assert renderers.prefer_system_dot() is None
