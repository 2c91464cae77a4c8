"""The training bench in a real browser (Debian's chromium, driven by Playwright from pip)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("numpy")

from engine.files import write_atomic
from engine.step import backward_steps
from nn.lab.limits import Limits
from nn.lab.training import TrainingRun, parse_config

PICTURE = Path(__file__).resolve().parents[3] / "docs" / "pictures" / "lab-training.png"
SETTINGS = {"points": 60, "seed": 7, "lr": 0.1, "hidden": [16, 16], "grid": 50}


def _open(page, lab_server):
    base, token = lab_server
    page.goto(f"{base}/?token={token}")
    page.click("#tab-training")
    page.wait_for_selector("#train-reset")
    page.fill("#train-points", str(SETTINGS["points"]))
    page.fill("#train-seed", str(SETTINGS["seed"]))
    page.fill("#train-lr", str(SETTINGS["lr"]))
    page.click("#train-reset")
    _wait_update(page, 0)


def _wait_update(page, k):
    page.wait_for_function(
        f"document.getElementById('train-status').getAttribute('data-update') === '{k}'"
    )


def _updates(page, start, count):
    for k in range(start + 1, start + count + 1):
        page.click("#train-step")
        _wait_update(page, k)


def _page_losses(page):
    return page.evaluate("window.lab.training.losses.slice()")


def _python_losses(updates):
    run = TrainingRun(parse_config(SETTINGS, Limits()), Limits())
    for _ in range(updates):
        run.step()
    return run.losses


def test_fifty_updates_give_a_python_runs_losses(lab_server, lab_page):
    page = lab_page
    _open(page, lab_server)
    _updates(page, 0, 50)
    losses = _page_losses(page)
    python = _python_losses(50)
    assert losses == python
    assert float(page.get_attribute("#train-status", "data-loss")) == python[-1]


def test_rewind_ten_and_continue_gives_the_same_losses(lab_server, lab_page):
    page = lab_page
    _open(page, lab_server)
    _updates(page, 0, 50)
    page.eval_on_selector(
        "#train-rewind", "r => { r.value = '40'; r.dispatchEvent(new Event('input')); }"
    )
    # a frame that brings nothing new (the socket's copy of update 50) keeps the learner's choice
    page.evaluate("window.lab.training.receive(window.lab.training.frame)")
    assert page.eval_on_selector("#train-rewind", "r => r.value") == "40"
    page.click("#train-rewind-go")
    _wait_update(page, 40)
    assert _page_losses(page) == _python_losses(40)
    _updates(page, 40, 10)
    assert _page_losses(page) == _python_losses(50)


def test_click_a_point_and_step_it(lab_server, lab_page):
    page = lab_page
    _open(page, lab_server)
    _updates(page, 0, 3)
    where = page.evaluate(
        """() => {
        const f = window.lab.training.frame, c = document.getElementById('train-canvas');
        const r = c.getBoundingClientRect(), p = f.points[5];
        return [r.left + (p[0] - f.box[0]) / (f.box[1] - f.box[0]) * r.width,
                r.top + (f.box[3] - p[1]) / (f.box[3] - f.box[2]) * r.height];
        }"""
    )
    page.mouse.click(where[0], where[1])
    page.wait_for_selector("#train-step-it")
    run = TrainingRun(parse_config(SETTINGS, Limits()), Limits())
    for _ in range(3):
        run.step()
    details = run.point_details(5)
    assert page.inner_text("#train-forward") == details["forward"]
    deltas = page.eval_on_selector_all(".train-delta", "ps => ps.map(p => p.textContent)")
    assert deltas == [s["text"] for s in details["delta_steps"]]
    shot = page.screenshot()
    write_atomic(PICTURE, shot, parents=True)
    assert PICTURE.stat().st_size > 10_000
    page.click("#train-step-it")
    page.wait_for_selector("#expression-bench:not([hidden])")
    page.wait_for_function("document.getElementById('expr-title').textContent.includes('point 5')")
    page.click("#expr-next")
    page.wait_for_function(
        "document.getElementById('expr-caption').textContent.includes('step 1 of')"
    )
    loss, _, _ = run.point_graph(5)
    first = next(iter(backward_steps(loss)))
    assert page.inner_text("#expr-narration") == str(first)
