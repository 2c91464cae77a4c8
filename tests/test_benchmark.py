"""The benchmark script runs end to end (quick sizes) and reports every engine it finds.

This checks the script works and its figures are sane; it asserts nothing about speed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "benchmark.py"


def test_benchmark_quick_run_reports_every_engine():
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr
    rows = {}
    for line in out.stdout.splitlines():
        words = line.split()
        if len(words) > 2 and words[1].replace(".", "").isdigit():  # a table row
            rows[words[0]] = words
    assert "chainrule" in rows and "floats" in rows
    build_ns, backward_ns, size = (float(x) for x in rows["chainrule"][1:4])
    assert 0 < build_ns and 0 < backward_ns and 50 < size < 1000


def test_conditions_benchmark_quick_run_compares_every_condition():
    script = SCRIPT.parent / "benchmark_conditions.py"
    out = subprocess.run(
        [sys.executable, str(script), "--quick"], capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, out.stderr
    rows = [line for line in out.stdout.splitlines() if line.startswith(("gc on", "gc off"))]
    if "not installed" in out.stdout:
        assert rows == []
        return
    assert len(rows) == 6 and all("ns/op" in row and "ns/node" in row for row in rows)
