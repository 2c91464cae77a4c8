"""`chainrule demo`, `python -m demos.<name>`, the registry and the shared helpers."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import demos
from demos import _common, two_points
from engine.cli import main as chainrule
from tests.demos.conftest import check_pictures, png_size


def test_registry_lists_every_demo_module_in_lecture_order():
    names = list(demos.DEMOS)
    assert names[:4] == ["neuron", "two_points", "softmax_classifier", "delta_rule"]
    modules = {p.stem for p in Path(demos.__file__).parent.glob("*.py")}
    assert set(names) == {m for m in modules if not m.startswith("_")}  # every demo is listed
    assert len(names) == len(set(names)) >= 16 and set(demos.TOUR) <= set(names)
    assert names.index("custom_op") == names.index("activations") + 1
    for name in names:
        module = importlib.import_module(f"demos.{name}")
        assert callable(module.run) and callable(module.main)
        assert demos.DEMOS[name] and "\n" not in demos.DEMOS[name]


def test_list(capsys):
    assert chainrule(["demo"]) == 0
    text = capsys.readouterr().out
    for name, summary in demos.DEMOS.items():
        assert f"{name}" in text and summary in text
    assert "tour" in text


def test_unknown_demo_is_a_usage_error(capsys):
    assert chainrule(["demo", "nope"]) == 2
    err = capsys.readouterr().err
    assert "'nope'" in err and "two_points" in err


def test_out_that_is_a_file_is_a_usage_error(tmp_path, capsys):
    target = tmp_path / "a_file"
    target.write_text("x")
    assert chainrule(["demo", "neuron", "--out", str(target)]) == 2
    assert "is a file" in capsys.readouterr().err
    with pytest.raises(NotADirectoryError, match="a_file"):
        _common.prepare_out(target)


def test_run_one_demo(tmp_path, capsys):
    out = tmp_path / "tp"
    assert chainrule(["demo", "two_points", "--quick", "--seed", "3", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["error_surface.png", "loss.png"]
    assert str(out.resolve()) in capsys.readouterr().out


def test_tour_runs_neuron_then_moons_and_names_the_folder(tmp_path, capsys):
    assert chainrule(["demo", "tour", "--quick", "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert text.index("Tour 1/2: neuron") < text.index("Tour 2/2: moons")
    assert f"The pictures are in {tmp_path.resolve()}" in text
    assert (tmp_path / "neuron" / "neuron_backward.svg").is_file()
    assert png_size(tmp_path / "neuron" / "neuron_backward.png")[0] > 300  # PNGs too: no browser
    assert "-0.0000" not in text
    assert (tmp_path / "moons" / "decision_boundary.png").is_file()


def test_failed_claim_gives_exit_status_1(monkeypatch, tmp_path):
    monkeypatch.setattr(two_points, "TOLERANCE", -1.0)  # no difference can be below it
    assert two_points.main(["--quick", "--out", str(tmp_path)]) == 1


def test_python_dash_m(tmp_path):
    out = tmp_path / "n"
    done = subprocess.run(
        [sys.executable, "-m", "demos.neuron", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "[10/10]" in done.stdout
    assert (out / "neuron_forward.svg").is_file()


def test_engine_cli_does_not_import_demos_or_nn():
    code = (
        "import sys, engine.cli, engine.cli.demo; engine.cli.build_parser(); "
        "assert 'demos' not in sys.modules and 'nn' not in sys.modules, "
        "[m for m in sys.modules if m.startswith(('demos', 'nn'))]"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_without_matplotlib_plots_are_skipped_with_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    monkeypatch.setattr(_common, "_warned", False)
    result = two_points.run(tmp_path, quick=True)
    assert result["ok"] and result["files"] == []
    assert capsys.readouterr().out.count(_common.NO_MATPLOTLIB) == 1
    assert list(tmp_path.iterdir()) == []


def test_write_atomic_replaces_whole_files_and_cleans_up(tmp_path, monkeypatch):
    target = tmp_path / "f.bin"
    _common.write_atomic(target, b"old")
    assert target.read_bytes() == b"old"

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        _common.write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_save_figure_rejects_unknown_suffix(tmp_path):
    fig = _common.figure()
    assert fig is not None
    with pytest.raises(ValueError, match="notes.txt"):
        _common.save_figure(fig, tmp_path / "notes.txt")
    path = _common.save_figure(fig, tmp_path / "blank.png", dpi=50)
    assert png_size(path) == (320, 240)


def test_reruns_write_identical_files(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    ra = two_points.run(a, quick=True)
    two_points.run(b, quick=True)
    check_pictures(ra, a, {"loss.png", "error_surface.png"})
    for name in ("loss.png", "error_surface.png"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_version_flag_prints_the_installed_version(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as exit_info:
        chainrule(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"chainrule {version('chainrule')}"


def test_demo_command_says_how_to_get_the_demos_when_they_are_missing(monkeypatch, capsys):
    import types

    import engine.cli.demo as demo_command

    def import_module(name):
        if name.split(".")[0] == "demos":
            raise ModuleNotFoundError(f"No module named {name!r}")
        return importlib.import_module(name)

    monkeypatch.setattr(
        demo_command, "importlib", types.SimpleNamespace(import_module=import_module)
    )
    assert chainrule(["demo"]) == 2
    err = capsys.readouterr().err
    assert "demos are not installed" in err and "pip install" in err
