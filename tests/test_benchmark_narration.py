"""The narration benchmark runs end to end (quick size); it asserts nothing about speed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "benchmark_narration.py"


def test_benchmark_narration_quick_run():
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr
    figures = re.findall(r"^(steps only|narrated) +([\d.]+) µs per step$", out.stdout, re.M)
    assert [name for name, _ in figures] == ["steps only", "narrated"]
    assert all(float(value) > 0 for _, value in figures)
