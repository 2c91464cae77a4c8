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


def test_the_readme_states_the_benchmarks_figures_in_the_benchmarks_own_terms():
    """The README's ratio table names what the benchmark prints, in its format: each
    ``chainrule vs <peer>: build 3.0x faster, ...`` quantity is a column, each cell
    ``<number>x faster|smaller|slower`` (or says why there is none)."""
    import re

    readme = (SCRIPT.parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Benchmark", 1)[1].split("\n## ", 1)[0]
    lines = section.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("| chainrule against"))
    rows = []
    for line in lines[first:]:  # the ratio table: the first table of the section
        if not line.startswith("|"):
            break
        rows.append(line)
    header = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert header[0] == "chainrule against"
    printed = re.findall(r"(\w[\w ]*?) \{_ratio", (SCRIPT).read_text(encoding="utf-8"))
    quantities = {"build": "build", "backward": "backward", "memory": "bytes/node"}
    quantities["MLP step"] = "MLP step"
    for name in ("build", "backward", "memory", "MLP step"):
        assert name in " ".join(printed)
        assert quantities[name] in header, (name, header)
    ratio = re.compile(r"^\d+(\.\d+)?x (faster|smaller|slower)$")
    for line in rows[2:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        peer, figures = cells[0], cells[1:]
        assert peer in ("micrograd", "PyTorch float64 scalars", "plain floats"), peer
        for column, cell in zip(header[1:], figures):
            if cell and not cell.startswith(("(", "micrograd fails")):
                assert ratio.match(cell), (peer, column, cell)
    claim = re.search(r"python tests/benchmark\.py +# about (\w+) (seconds|minutes?)", section)
    assert claim is not None, "the README says how long the benchmark takes"
