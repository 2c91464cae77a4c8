"""Shared across the test folders: hypothesis's settings in CI, and a headless browser for the
page tests."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from tests.browser import SCREEN, find_browser, load

# CI (CI=true) replays the same examples on every run, so a landing never hangs on a fresh random
# find; runs elsewhere keep exploring new examples, which is how the subnormal and whole-unit
# cases of tests/engine/core/test_numfmt.py and test_draw_style.py were found (now pinned there).
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
    settings.load_profile("ci")


@pytest.fixture(scope="module")
def browser() -> str:
    found = find_browser()
    if found:
        return found
    pytest.skip(
        "no headless browser: none of chromium, chromium-browser, google-chrome is on PATH "
        "(.ci/run installs chromium; on Debian/Ubuntu: apt-get install chromium)"
    )


@pytest.fixture(scope="module")
def window(browser, tmp_path_factory) -> tuple[int, int]:
    """The --window-size that gives a 1280x720 page (headless Chromium keeps some of the window
    for its own frame, so the page gets less than the window size)."""
    folder = tmp_path_factory.mktemp("probe")
    probe = folder / "probe.html"
    probe.write_text(
        "<!DOCTYPE html><body><script>document.body.setAttribute('data-size', "
        "innerWidth + 'x' + innerHeight)</script></body>"
    )
    dom = load(browser, probe, "", folder, SCREEN)
    width, height = map(int, dom.body["data-size"].split("x"))
    return SCREEN[0] + SCREEN[0] - width, SCREEN[1] + SCREEN[1] - height


@pytest.fixture(autouse=True)
def restore_the_op_table():
    """Every test leaves the op table as it found it: rows a test adds (define_op) or removes
    are put back, so no test depends on the order the suite runs in."""
    from engine.core.ops import OPS, register

    saved = dict(OPS)
    yield
    if OPS != saved:
        OPS.clear()
        OPS.update(saved)  # the same rows in the same order, and
        register(next(iter(saved.values())))  # a new table version: derived caches rebuild
