"""The expression bench in a real browser (Debian's chromium, driven by Playwright from pip)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("starlette")

from engine.cli.expr import build, parse_assignments
from engine.core.numfmt import fmt
from engine.step import backward_steps

NEURON = "tanh(x1*w1 + x2*w2 + b)"
VALUES = "x1=2 w1=-3 x2=0 w2=1 b=6.881373587019543"
PICTURE = Path(__file__).resolve().parents[3] / "docs" / "pictures" / "lab-expression.png"


def _open(page, lab_server):
    base, token = lab_server
    page.goto(f"{base}/?token={token}")
    page.wait_for_function("document.querySelectorAll('#expr-notation option').length > 0")


def _build(page, expression=NEURON, values=VALUES):
    page.fill("#expr-input", expression)
    page.fill("#expr-values", values)
    page.click("#expr-build")


def _engine():
    root, leaves = build(NEURON, parse_assignments(VALUES.split()))
    root.label = "out"
    return root, leaves


def test_step_to_the_end_and_every_number_is_the_engines(lab_server, lab_page):
    page = lab_page
    _open(page, lab_server)
    _build(page)
    page.wait_for_selector("#expr-graph svg")
    root, leaves = _engine()
    steps = list(backward_steps(root))
    for position, step in enumerate(steps, start=1):
        page.click("#expr-next")
        assert page.inner_text("#expr-narration") == str(step)
        assert page.inner_text("#expr-caption") == f"step {position} of {len(steps)}: {step.name}"
    assert page.is_disabled("#expr-next")
    rows = page.eval_on_selector_all(
        "#expr-grads tbody tr",
        "rows => rows.map(r => [r.cells[0].textContent, r.cells[1].textContent])",
    )
    table = dict(rows)
    assert len(table) == 10
    for name, leaf in leaves.items():
        assert table[name] == fmt(leaf.grad)
    assert table["out"] == "1"
    boxes = page.eval_on_selector_all("#expr-graph text.grad", "ts => ts.map(t => t.textContent)")
    assert sorted(boxes) == sorted(f"grad {text}" for text in table.values())
    page.screenshot(path=str(PICTURE))
    assert PICTURE.stat().st_size > 10_000


def test_practice_a_wrong_then_a_right_answer(lab_server, lab_page):
    page = lab_page
    _open(page, lab_server)
    _build(page)
    page.wait_for_selector("#expr-graph svg")
    page.check("#expr-practice")
    page.click("#expr-next")  # step 1, the seed, asks nothing
    question = page.inner_text("#expr-question")
    assert question == "∂add₂/∂add₁ = ?" or question.endswith("= ?")
    page.fill("#expr-answer", "7")
    page.click("#expr-check")
    page.wait_for_selector("#expr-feedback.wrong")
    wrong = page.inner_text("#expr-feedback")
    assert wrong.startswith("wrong (off by") and "Hint:" in wrong
    page.fill("#expr-answer", "1")
    page.click("#expr-check")
    page.wait_for_selector("#expr-feedback.right")
    assert page.inner_text("#expr-feedback") == "right: 1"


def test_an_error_appears_next_to_the_input(lab_server, lab_page):
    page = lab_page
    _open(page, lab_server)
    _build(page, "log(x) + y", "x=-1")
    page.wait_for_selector("#expr-error:not([hidden])")
    assert "no value for 'y'" in page.inner_text("#expr-error") or "log" in page.inner_text(
        "#expr-error"
    )
    assert "invalid" in page.get_attribute("#expr-input", "class")
    _build(page, "log(x)", "x=-1")
    page.wait_for_function("document.getElementById('expr-error').textContent.includes('log')")
    _build(page, "x", "x=1 y=oops")
    page.wait_for_selector("#expr-values-error:not([hidden])")
    assert "not a number" in page.inner_text("#expr-values-error")


def test_the_derivation_is_typeset(lab_server, lab_page):
    page = lab_page
    _open(page, lab_server)
    _build(page)
    page.wait_for_selector("#expr-derivations .katex")
    assert page.locator("#expr-derivations .derivation").count() == 5
    assert "backward()\xa0agrees" in page.inner_text("#expr-derivations")
