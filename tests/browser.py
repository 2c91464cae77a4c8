"""Headless Chromium for the page tests: find a browser (never install one), load a page from
``file://`` with a ``#play=`` fragment that the page replays through its own handlers, and read
the resulting DOM (``--dump-dom``). The `browser` and `window` fixtures are in tests/conftest.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--mute-audio",
]
PLAYWRIGHT_ARGS = [flag for flag in FLAGS if flag != "--headless"]
"""The same flags for Playwright's ``chromium.launch(executable_path=..., args=...)`` (it adds
headless mode itself); never ``playwright install``: the browser is Debian's chromium."""
SCREEN = (1280, 720)
"""The screen the page tests lay the page out for."""


def find_browser(path: str | None = None) -> str | None:
    """The first of `BROWSERS` on PATH (or on `path`), else None; never installs anything."""
    for name in BROWSERS:
        found = shutil.which(name, path=path)
        if found:
            return found
    return None


class Dom(HTMLParser):
    """Elements by id, elements by (nearest ancestor id, first class), and their text."""

    VOID = {"br", "input", "meta", "img", "link", "hr", "area", "base", "col", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[dict] = []
        self.by_id: dict[str, dict] = {}
        self.by_class: dict[tuple[str, str], dict] = {}
        self.body: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        owner = next((e["attrs"]["id"] for e in reversed(self.stack) if "id" in e["attrs"]), "")
        element = {"tag": tag, "attrs": attrs, "text": []}
        if tag == "body":
            self.body = attrs
        if "id" in attrs:
            self.by_id[attrs["id"]] = element
        if attrs.get("class") and owner:
            self.by_class.setdefault((owner, attrs["class"].split()[0]), element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        for element in self.stack:
            element["text"].append(data)

    def text(self, id_: str) -> str:
        return "".join(self.by_id[id_]["text"])

    def attrs(self, id_: str) -> dict[str, str]:
        return self.by_id[id_]["attrs"]

    def grad(self, k: int) -> tuple[str, str, str]:
        """Box k's grad text, its classes, and its badge's text."""
        grad = self.by_class[(f"n-v{k}", "grad")]
        badge = self.by_class[(f"n-v{k}", "badge")]
        return "".join(grad["text"]), grad["attrs"]["class"], "".join(badge["text"])

    def measures(self) -> list[dict]:
        return json.loads(self.body.get("data-measure", "[]"))


def load(browser: str, page: Path, fragment: str, tmp_path: Path, size=SCREEN) -> Dom:
    profile = tmp_path / f"profile-{abs(hash((fragment, str(page))))}"
    profile.mkdir(exist_ok=True)
    url = page.as_uri() + (f"#{fragment}" if fragment else "")
    result = subprocess.run(
        [
            browser,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={size[0]},{size[1]}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    dom = Dom()
    dom.feed(result.stdout)
    assert dom.body, result.stdout[:500]
    return dom
