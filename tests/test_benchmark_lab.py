"""tests/benchmark_lab.py runs end to end (quick mode) and reports every figure it promises.

It checks the script works and its figures are sane; it asserts nothing about speed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent / "benchmark_lab.py"


def test_benchmark_lab_quick_run_reports_updates_and_click_times():
    pytest.importorskip("uvicorn")
    pytest.importorskip("websockets")
    pytest.importorskip("numpy")
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr
    figures = {}
    for line in out.stdout.splitlines()[1:]:
        words = line.rsplit(None, 1)
        figures[words[0].strip()] = float(words[1])
    assert set(figures) == {
        "updates reaching the client per second",
        "updates made by the server per second",
        "click 'one update' to its frame (ms)",
        "click 'add a point' to its frame (ms)",
    }
    assert all(value > 0 for value in figures.values())
    assert figures["updates made by the server per second"] >= 0.5 * min(
        figures["updates reaching the client per second"], 1e9
    )
