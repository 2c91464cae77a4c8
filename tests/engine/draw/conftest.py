"""Shared fixtures of the drawing tests: graphs, renderers, and a machine without renderers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from engine import Parameter, Value
from engine.draw import renderers


def make_neuron():
    """The micrograd lecture's neuron o = tanh(x1·w1 + x2·w2 + b), after backward."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Parameter(-3.0, label="w1"), Parameter(1.0, label="w2")
    b = Parameter(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o, dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, n=n)


def make_sum_of_products(values: int) -> Value:
    """``x*w + x*w + ...`` with one x and one w (what `chainrule draw` builds): 2·terms + 1
    Values, and edges from x and w to every product."""
    x, w = Value(1.5, label="x"), Value(-2.0, label="w")
    out = x * w
    for _ in range((values - 3) // 2):
        out = out + x * w
    return out


@pytest.fixture
def neuron():
    return make_neuron()


@pytest.fixture
def new_neuron():
    """A function that builds a fresh neuron each call."""
    return make_neuron


@pytest.fixture
def sum_of_products():
    return make_sum_of_products


@pytest.fixture(autouse=True)
def _default_renderer_choice(monkeypatch):
    """Every test starts from the default choice (auto), whatever the caller's environment."""
    monkeypatch.delenv(renderers.ENV_VAR, raising=False)


def _which_or_skip(name: str) -> Path:
    path = renderers._which(name)
    if path is None:
        pytest.skip(f"the renderer {name!r} is not installed")
    return path


@pytest.fixture
def pure() -> Path:
    """The graphviz-pure executable (skips when it is not installed)."""
    return _which_or_skip("graphviz-pure")


@pytest.fixture
def system_dot() -> Path:
    """The system Graphviz dot (skips when it is not installed)."""
    return _which_or_skip("dot")


@pytest.fixture
def any_renderer() -> Path:
    found = renderers.find_renderers()
    if not found:
        pytest.skip("no Graphviz renderer (graphviz-pure or dot) is installed")
    return found[0]


@pytest.fixture
def no_renderer(monkeypatch, tmp_path_factory):
    """A machine with no renderer: an empty PATH and no interpreter scripts folder."""
    empty = tmp_path_factory.mktemp("empty-bin")
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(renderers, "_script_dirs", lambda: [])
    assert renderers.find_renderers() == []


@pytest.fixture
def only_graphviz_pure(monkeypatch, tmp_path_factory, pure):
    """A machine like a fresh venv: graphviz-pure in the scripts folder, no system dot on PATH."""
    empty = tmp_path_factory.mktemp("empty-bin")
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(renderers, "_script_dirs", lambda: [pure.parent])
    assert renderers.find_renderers() == [pure]
    return pure


@pytest.fixture
def fake_renderer(tmp_path):
    """Write an executable Python script standing in for a renderer; it answers ``-T?`` with the
    formats given and runs `body` otherwise."""

    def make(name: str, body: str, formats: str = "svg png") -> Path:
        path = tmp_path / "fake-bin" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(
            f"#!{sys.executable}\nimport sys, time\n"
            f"if '-T?' in sys.argv:\n"
            f"    sys.stderr.write('Format: \"?\" not recognized. Use one of: {formats}\\n')\n"
            f"    sys.exit(1)\n"
            f"{body}\n",
            encoding="utf-8",
        )
        path.chmod(0o755)
        return path

    return make
