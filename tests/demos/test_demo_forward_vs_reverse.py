"""The forward_vs_reverse demo: the pass counts and node visits it prints are the ones it
measured, forward and reverse derivatives agree, and a failed claim gives exit status 1."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from demos import forward_vs_reverse as demo
from tests.demos.conftest import check_story


def test_main_prints_the_cost_lesson_and_its_claims_hold(tmp_path, capsys):
    assert demo.main(["--quick", "--out", str(tmp_path / "pictures")]) == 0
    story = capsys.readouterr().out
    check_story(story, at_least=5)  # 8 × 56 = 448, 1 × 56 = 56, 217 / 56 = 3.88, 5 + ... = 40, ...
    n, m = demo.N_INPUTS, demo.M_OUTPUTS
    assert f"forward mode: {n} jvp passes (one per direction e_i)" in story
    assert "reverse mode: 1 backward pass (from f)" in story
    assert "forward mode: 1 jvp pass (along the tangent 1 of t)" in story
    assert f"reverse mode: {m} backward passes (one from each g_k)" in story
    assert "reverse mode gets the whole gradient in ONE pass" in story
    assert "forward mode gets every derivative in ONE pass" in story
    assert "the claims hold" in story and "did NOT hold" not in story
    assert not (tmp_path / "pictures").exists()  # no pictures, no folder

    # every printed derivative: forward and reverse print the same 10 digits
    rows = re.findall(r"^  \S+\s+forward\s+([+-]\S+)\s+reverse\s+([+-]\S+)$", story, re.M)
    assert len(rows) == n + m and all(fwd == rev for fwd, rev in rows)
    differences = re.findall(r"largest relative difference, .*: (\S+)", story)
    assert len(differences) == 2 and all(float(d) <= 1e-12 for d in differences)


def test_the_printed_counts_are_the_measured_ones(capsys):
    result = demo.run(quick=True)
    story = capsys.readouterr().out
    f, g = result["f"], result["g"]
    assert result["ok"] and result["files"] == []
    assert result["worst_difference"] <= 1e-12 and result["worst_hand_difference"] <= 1e-12
    assert (f["forward_passes"], f["reverse_passes"]) == (demo.N_INPUTS, 1)
    assert (g["forward_passes"], g["reverse_passes"]) == (1, demo.M_OUTPUTS)
    assert f["forward_visits"] == demo.N_INPUTS * f["nodes"] == demo.N_INPUTS * f["reverse_visits"]
    assert g["forward_visits"] == g["nodes"] < g["reverse_visits"] == sum(g["reverse_per_pass"])
    assert f["reverse_visits"] < f["forward_moved"] < f["forward_visits"]
    assert f"{f['forward_passes']} × {f['nodes']} = {f['forward_visits']} forward visits" in story
    assert f"1 × {g['nodes']} = {g['forward_visits']} forward visits" in story
    assert f"{f['forward_visits']} node visits" in story and f"{g['reverse_visits']} node" in story
    # f's graph: per tanh unit 8 products, 7 + 1 additions, tanh and × v; then 2 additions
    assert f["nodes"] == demo.HIDDEN * (8 + 8 + 2) + demo.HIDDEN - 1
    # g's: t·(-0.5) and exp shared, then per curve t·k, sin and × decay
    assert g["nodes"] == 2 + 3 * demo.M_OUTPUTS and g["reverse_per_pass"] == [5] * demo.M_OUTPUTS
    for fwd, rev in zip(f["forward"] + g["forward"], f["reverse"] + g["reverse"]):
        assert fwd == pytest.approx(rev, rel=1e-12, abs=1e-12)


def test_other_seeds_give_other_points_and_the_claims_still_hold(capsys):
    a, b = demo.run(seed=0), demo.run(seed=3)
    capsys.readouterr()
    assert a["f"]["value"] != b["f"]["value"] and b["ok"]


def test_a_failed_claim_is_exit_status_1(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(demo, "TOLERANCE", -1.0)  # no difference can be below it
    assert demo.main(["--out", str(tmp_path)]) == 1
    assert "the demo's claim did NOT hold: f: forward and reverse differ" in capsys.readouterr().out


def test_it_runs_as_a_module():
    done = subprocess.run(
        [sys.executable, "-m", "demos.forward_vs_reverse", "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "the claims hold" in done.stdout
