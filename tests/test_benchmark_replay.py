"""tests/benchmark_replay.py runs end to end (quick mode) and reports every figure it promises.

It checks the script works and its figures are sane; it asserts nothing about speed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "benchmark_replay.py"


def test_benchmark_replay_quick_run_reports_steps_ratios_and_trace_cost():
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, timeout=900
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout
    rows = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) == 2 and words[1].replace(".", "").isdigit():
            rows[words[0]] = float(words[1])
    assert {"replay", "interpreter", "chainrule", "floats"} <= set(rows)
    assert all(ms > 0 for ms in rows.values())
    assert "replay (floats) / plain floats" in text and "replay (numpy) / PyTorch batched" in text
    assert "one-off: trace" in text and "643 instructions" in text and "KiB" in text
