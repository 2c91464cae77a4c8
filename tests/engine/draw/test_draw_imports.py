"""Importing engine loads nothing of drawing; engine.draw loads graphviz only when drawing."""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest

PREFIXES = "('graphviz', 'engine.draw', 'engine.step', 'engine.cli')"


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_engine_loads_no_drawing_stepping_or_cli_module():
    """The check of issue 10, verbatim."""
    code = f"import engine, sys; print([m for m in sys.modules if m.startswith({PREFIXES})])"
    assert run(code) == "[]"


def test_import_engine_draw_does_not_import_graphviz_until_a_drawing_is_made():
    code = (
        "import sys, engine.draw\n"
        "from engine.draw import escape_label, COLOURS, find_renderers, DrawError\n"
        "print('graphviz' in sys.modules)\n"
        "from engine import Value, draw_dot\n"
        "draw_dot(Value(1.0) * 2)\n"
        "print('graphviz' in sys.modules)"
    )
    assert run(code).split() == ["False", "True"]


def test_every_public_name_of_engine_draw_loads():
    import engine
    import engine.draw

    assert engine.draw_dot is engine.draw.draw_dot
    for name in engine.draw.__all__:
        assert getattr(engine.draw, name) is not None, name
    for name in ("find_renderers", "find_renderer", "COLOURS", "RenderError", "escape_label"):
        assert name in dir(engine.draw)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        engine.draw.nothing  # noqa: B018


def test_the_old_engine_draw_module_path_is_the_package():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # importing engine.draw itself warns about nothing
        import engine.draw

    assert hasattr(engine.draw, "__path__")
