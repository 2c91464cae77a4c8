"""What a tester found in the lab's pages, checked in a real browser (chromium via Playwright)."""

from __future__ import annotations

import pytest

pytest.importorskip("starlette")
pytest.importorskip("numpy")

NEURON = "tanh(x1*w1 + x2*w2 + b)"
VALUES = "x1=2 w1=-3 x2=0 w2=1 b=6.881373587019543"


def _training(page, lab_server):
    base, token = lab_server
    page.goto(f"{base}/?token={token}")
    page.click("#tab-training")
    page.wait_for_selector("#train-reset")
    page.fill("#train-points", "40")
    page.click("#train-reset")
    _wait_update(page, 0)


def _wait_update(page, k):
    page.wait_for_function(
        f"document.getElementById('train-status').getAttribute('data-update') === '{k}'"
    )


def test_a_bad_learning_rate_is_named(lab_server, lab_page):
    page = lab_page
    _training(page, lab_server)
    page.fill("#train-lr", "abc")
    page.click("#train-reset")
    page.wait_for_function("document.getElementById('train-error').textContent.length > 0")
    text = page.text_content("#train-error")
    assert "'abc'" in text and "None" not in text


def test_the_status_loss_follows_the_digits_and_keeps_the_exact_value(lab_server, lab_page):
    page = lab_page
    _training(page, lab_server)
    page.click("#train-step")
    _wait_update(page, 1)
    exact = float(page.get_attribute("#train-status", "data-loss"))
    status = page.text_content("#train-status")
    assert f"loss {float(f'{exact:.4g}')!r} " in status  # 4 digits: the engine's default
    assert len(repr(exact)) > 8 and repr(exact) not in status
    assert repr(exact) in page.get_attribute("#train-status", "title")


def test_the_rewind_slider_is_on_screen_at_1280_by_720(lab_server, lab_page):
    page = lab_page
    _training(page, lab_server)
    box = page.locator("#train-rewind-go").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 720


def test_reset_clears_the_point_details(lab_server, lab_page):
    page = lab_page
    _training(page, lab_server)
    # click the first point: its canvas position from the frame's box
    x, y = page.evaluate(
        """() => {
          const f = window.lab.training.frame, c = document.getElementById('train-canvas');
          const r = c.getBoundingClientRect(), p = f.points[0];
          return [r.left + (p[0] - f.box[0]) / (f.box[1] - f.box[0]) * r.width,
                  r.top + (f.box[3] - p[1]) / (f.box[3] - f.box[2]) * r.height];
        }"""
    )
    page.mouse.click(x, y)
    page.wait_for_selector("#train-step-it")
    page.click("#train-reset")
    _wait_update(page, 0)
    assert page.text_content("#train-point") == ""


def test_show_clears_a_stale_answer_error(lab_server, lab_page):
    base, token = lab_server
    page = lab_page
    page.goto(f"{base}/?token={token}")
    page.wait_for_function("document.querySelectorAll('#expr-notation option').length > 0")
    page.fill("#expr-input", NEURON)
    page.fill("#expr-values", VALUES)
    page.click("#expr-build")
    page.wait_for_selector("#expr-next:not([disabled])")
    page.check("#expr-practice")
    page.click("#expr-next")
    page.wait_for_selector("#expr-check:not([disabled])")
    page.fill("#expr-answer", "this is not a number (((")
    page.click("#expr-check")
    page.wait_for_function("!document.getElementById('expr-answer-error').hidden")
    page.click("#expr-reveal")
    assert page.is_hidden("#expr-answer-error")
