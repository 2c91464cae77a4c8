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
    # print(o), then the README's own f"{n.grad:.4f}", then the rounded gradients
    assert printed.startswith(
        "Value(data=0.7071, grad=1, op='tanh', label='o')\n0.5000\n[-1.5, 1.0, 0.5, 0.0]\n"
    )
    assert "∂out/∂add₁ = 1 - tanh(add₁)² = 1.816e-4" in printed  # the README quotes this line
