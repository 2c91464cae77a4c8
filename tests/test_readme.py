"""The README's Python blocks run as written, in order, in one namespace (as a reader would)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_has_python_blocks():
    assert len(python_blocks()) >= 3


def test_readme_python_blocks_run():
    namespace: dict = {}
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        for block in python_blocks():
            exec(compile(block, str(README), "exec"), namespace)
    printed = output.getvalue()
    assert "Value(data=0.7071, grad=1, op='tanh', label='o')" in printed
    assert "0.5\n[-1.5, 1.0, 0.5, 0.0]" in printed
    # the README quotes this line of the narration
    assert (
        "∂out/∂add₁ = 1 - tanh(add₁)² = 1.816e-4;  ∂⁺out/∂add₁ += ∂⁺out/∂out · ∂out/∂add₁ = "
        "1 × 1.816e-4 = 1.816e-4" in printed
    )
    assert "((4.0, 2.0), (2.0, 0.0))" in printed


def test_readme_quotes_what_the_code_prints():
    text = README.read_text(encoding="utf-8")
    quoted = re.search(r"```text\n(.*?)```", text, flags=re.S).group(1)
    namespace: dict = {}
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        for block in python_blocks():
            exec(compile(block, str(README), "exec"), namespace)
    for line in quoted.strip().splitlines():
        assert line in output.getvalue(), line


def test_readme_points_nowhere_outside_the_repository():
    text = README.read_text(encoding="utf-8")
    assert "../shared" not in text and "DESIGN.md" not in text
    for target in re.findall(r"\]\(([^)#]+)", text):
        assert (README.parent / target).exists(), target


def test_the_op_table_names_every_op():
    """Adding an op is its row, its test case and its line in the README's op table."""
    from engine import OPS

    table = README.read_text(encoding="utf-8").split("## The op table", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"[A-Za-z_]+", " ".join(re.findall(r"`([^`]*)`", table))))
    symbols = {"add": "+", "sub": "-", "mul": "*", "div": "/", "neg": "-", "pow": "**"}
    symbols["pow_value"] = "**"
    for name in OPS:
        if name in symbols:
            assert symbols[name] in table, name
        else:
            assert name in named, f"the README's op table has no line for op {name!r}"
