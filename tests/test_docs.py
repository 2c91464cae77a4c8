"""The guides in docs/ run as written: each file's Python blocks, in order, in one namespace (as a
reader would paste them), in a scratch folder so that files they write land there."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
GUIDES = sorted(DOCS.glob("*.md"))


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S)


def test_there_are_guides_with_examples():
    assert len(GUIDES) >= 5 and all(python_blocks(path) for path in GUIDES)


@pytest.mark.parametrize("guide", GUIDES, ids=[path.stem for path in GUIDES])
def test_guide_python_blocks_run(guide, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": f"docs_{guide.stem}"}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for block in python_blocks(guide):
            exec(compile(block, str(guide), "exec"), namespace)
    assert printed.getvalue()  # every guide prints what it shows


@pytest.mark.parametrize("guide", GUIDES, ids=[path.stem for path in GUIDES])
def test_guide_links_stay_inside_the_repository(guide):
    text = guide.read_text(encoding="utf-8")
    assert "../shared" not in text
    for target in re.findall(r"\]\(([^)#]+)", text):
        if not target.startswith(("http://", "https://")):
            assert (guide.parent / target).exists(), target


def outputs_shown(path: Path) -> list[tuple[int, str]]:
    """(index of the Python block, the text block right after it): the output a guide shows
    for that block. A ```text block that follows a ```python block with only blank lines
    between is its printed output; other text blocks illustrate prose."""
    text = path.read_text(encoding="utf-8")
    shown = []
    pattern = r"```python\n((?:(?!```).)*?)```\n\s*```text\n(.*?)```"
    blocks = python_blocks(path)
    for match in re.finditer(pattern, text, flags=re.S):
        shown.append((blocks.index(match.group(1)), match.group(2)))
    return shown


@pytest.mark.parametrize("guide", GUIDES, ids=[path.stem for path in GUIDES])
def test_guide_output_blocks_are_what_the_code_prints(guide, tmp_path, monkeypatch):
    """Docs must not show an old format (``1.0000`` where chainrule now prints ``1``): each
    output block is compared with what its Python block prints today."""
    monkeypatch.chdir(tmp_path)
    shown = dict(outputs_shown(guide))
    namespace: dict = {"__name__": f"docs_{guide.stem}"}
    for i, block in enumerate(python_blocks(guide)):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(block, str(guide), "exec"), namespace)
        if i in shown:  # paths as a reader's checkout shows them: from the project's root
            got = printed.getvalue().replace(f"{DOCS.parent}{os.sep}", "")
            assert got.rstrip() == shown[i].rstrip(), f"{guide.name}, block {i + 1}"
