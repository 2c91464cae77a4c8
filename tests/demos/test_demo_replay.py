"""The training demos train through replay: the same results as the eager run, and faster."""

from __future__ import annotations

import pytest

from demos import classify, moons, universal_approximation


def same_curve(a: list[float], b: list[float]) -> bool:
    return a == pytest.approx(b, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("demo", [moons, classify])
def test_full_batch_demos_give_the_eager_results(demo, tmp_path, capsys):
    replayed = demo.run(tmp_path / "replay", seed=0, quick=True)
    eager = demo.run(tmp_path / "eager", seed=0, quick=True, compile=False)
    assert replayed["ok"] and eager["ok"]
    assert replayed["accuracy"] == eager["accuracy"]
    assert same_curve(replayed["history"]["loss"], eager["history"]["loss"])
    assert replayed["history"]["accuracy"][-1] == eager["history"]["accuracy"][-1]
    report = replayed["replay"]
    assert report["difference"] < 1e-12 and report["speedup"] > 0
    assert eager["replay"] is None
    printed = capsys.readouterr().out
    assert "faster" in printed and "agree with the eager run" in printed


def test_universal_approximation_trains_bit_for_bit_as_eager(tmp_path, capsys):
    replayed = universal_approximation.run(tmp_path / "replay", seed=0, quick=True)
    eager = universal_approximation.run(tmp_path / "eager", seed=0, quick=True, compile=False)
    assert replayed["ok"] and eager["ok"]
    # mini-batches of 8 replay on floats: the very same numbers as the eager run
    assert replayed["trained_loss"] == eager["trained_loss"]
    assert replayed["trained_rms"] == eager["trained_rms"]
    assert replayed["replay"]["difference"] == 0.0
    assert "faster" in capsys.readouterr().out
