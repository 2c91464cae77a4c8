"""Fixtures for the lab's tests: the real server (uvicorn in a thread) and a Playwright chromium.

def test_x(lab_server, lab_page):
    base_url, token = lab_server
    lab_page.goto(f"{base_url}/?token={token}")
"""

from __future__ import annotations

import secrets
import shutil
import threading
import time

import pytest

from tests.browser import PLAYWRIGHT_ARGS


class RunningLab:
    """A lab server on a free port of 127.0.0.1, served by uvicorn in a background thread."""

    def __init__(self) -> None:
        import uvicorn

        from nn.lab.app import create_app
        from nn.lab.cli import bind

        self.token = secrets.token_urlsafe(16)
        self.app = create_app(self.token)
        self.socket = bind("127.0.0.1", 0)
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the lab server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        self.socket.close()


@pytest.fixture(scope="session")
def running_lab():
    """The `RunningLab` itself (its ``app.state`` too)."""
    pytest.importorskip("uvicorn")
    pytest.importorskip("starlette")
    lab = RunningLab()
    lab.start()
    yield lab
    lab.stop()


@pytest.fixture(scope="session")
def lab_server(running_lab):
    """``(base_url, token)`` of a real lab server for this test session."""
    return running_lab.url, running_lab.token


@pytest.fixture(scope="module")
def lab_browser():
    """Debian's chromium driven by Playwright (skipped, with the reason, when either is missing).
    Module-scoped: Playwright's sync API keeps an event loop running in this thread while it is
    open, so a session-wide browser would break other modules' ``asyncio.run`` tests."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("no chromium on PATH (apt-get install chromium); the browser tests need it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(
            "playwright is not installed (pip install playwright; never playwright install)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=PLAYWRIGHT_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def lab_page(lab_browser):
    """A fresh 1280×720 page (its own cookies), closed after the test."""
    context = lab_browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    yield page
    context.close()
