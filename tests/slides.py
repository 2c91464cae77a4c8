"""Measure a picture as a slide shows it: fit to a 1280×720 screen, how tall is its smallest text?

A picture shown fit to the screen is scaled by s = min(1280 / width, 720 / height) (up or down),
both in CSS pixels. SVG: width and height come from the root's ``width``/``height`` (Graphviz
writes points, 96/72 CSS px each) and text sizes from the ``font-size`` attributes, in viewBox
units; the smallest text is min(font-size) · (width_px / viewBox width) · s. PNG: the pixel
size, and text of F points is F · dpi / 72 pixels before scaling (Graphviz's PNG: 96 dpi). GIF
frame: the same, with the caption's Pillow font size in pixels. Pages are measured in Chromium
(`measure_page`): every visible text's rendered size and the page's scroll size at 1280×720.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from tests.browser import PLAYWRIGHT_ARGS

SCREEN = (1280, 720)
MIN_TEXT_PX = 16.0
PX_PER_PT = 96 / 72
PNG_DPI = 96.0  # Graphviz's PNG resolution unless the graph sets dpi


@dataclass
class Size:
    """A picture's size in CSS px (or pixels) and its smallest text, as shown fit to the screen."""

    name: str
    width: float
    height: float
    text_px: float  # the smallest text's height after fitting

    def __str__(self) -> str:
        return (
            f"{self.name}: {self.width:.0f}×{self.height:.0f}, smallest text {self.text_px:.1f} px"
        )


def fit_scale(width: float, height: float, screen: tuple[int, int] = SCREEN) -> float:
    """s = min(W / width, H / height): the scale that shows the whole picture on the screen."""
    return min(screen[0] / width, screen[1] / height)


def _length(text: str) -> float:
    """An SVG length in CSS px: ``123pt`` (Graphviz), ``123px`` or ``123``."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*(pt|px)?\s*", text)
    assert match, f"unexpected SVG length {text!r}"
    value = float(match.group(1))
    return value * PX_PER_PT if match.group(2) == "pt" else value


def svg_size(name: str, svg: bytes | str) -> Size:
    """The SVG's size in CSS px and its smallest text when shown fit to the screen."""
    root = ET.fromstring(svg if isinstance(svg, bytes) else svg.encode("utf-8"))
    width, height = _length(root.get("width", "0")), _length(root.get("height", "0"))
    box = [float(v) for v in root.get("viewBox", f"0 0 {width} {height}").split()]
    unit = width / box[2]  # CSS px per viewBox unit
    fonts = [
        float(el.get("font-size", "0"))
        for el in root.iter()
        if el.tag.endswith("text") and (el.text or "").strip()
    ]
    assert fonts, f"{name}: no text in the SVG"
    return Size(name, width, height, min(fonts) * unit * fit_scale(width, height))


def svg_font_points(svg: bytes | str) -> float:
    """The smallest font-size (points) of any text in the SVG."""
    root = ET.fromstring(svg if isinstance(svg, bytes) else svg.encode("utf-8"))
    return min(
        float(el.get("font-size", "0"))
        for el in root.iter()
        if el.tag.endswith("text") and (el.text or "").strip()
    )


def png_size(name: str, width: int, height: int, text_px: float) -> Size:
    """A raster picture of `width`×`height` pixels whose smallest text is `text_px` pixels."""
    return Size(name, width, height, text_px * fit_scale(width, height))


PAGE_SCRIPT = """() => {
  const doc = document.documentElement;
  const out = {scroll: [doc.scrollWidth, doc.scrollHeight], window: [innerWidth, innerHeight],
               svgText: [], htmlText: [], offscreen: 0};
  const vp = document.getElementById("viewport").getBoundingClientRect();
  for (const t of document.querySelectorAll("#canvas svg text")) {
    if (!t.textContent.trim()) continue;
    const r = t.getBoundingClientRect();
    if (r.width === 0) continue;
    const outside = r.left < vp.left - 1 || r.right > vp.right + 1 ||
                    r.top < vp.top - 1 || r.bottom > vp.bottom + 1;
    if (outside) out.offscreen += 1;
    const size = parseFloat(t.getAttribute("font-size") || getComputedStyle(t).fontSize);
    const ctm = t.getScreenCTM();
    out.svgText.push(size * Math.hypot(ctm.a, ctm.b));
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || el.closest("svg") || el.closest("script,style")) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || el.closest("[hidden]")) continue;
    const where = el.tagName + "#" + (el.id || el.className);
    out.htmlText.push([parseFloat(getComputedStyle(el).fontSize), where]);
  }
  return out;
}"""


def chromium() -> str | None:
    return shutil.which("chromium")


def measure_page(path: Path, shot: Path | None = None) -> dict:
    """Open `path` at 1280×720 in Chromium (Playwright from pip, Debian's chromium): the scroll
    size, each visible SVG text's rendered font size (px), each HTML text's, and how many SVG
    texts lie outside the graph panel."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=PLAYWRIGHT_ARGS)
        try:
            page = browser.new_page(viewport={"width": SCREEN[0], "height": SCREEN[1]})
            page.goto(path.resolve().as_uri())
            page.wait_for_timeout(300)
            result = page.evaluate(PAGE_SCRIPT)
            if shot is not None:
                page.screenshot(path=str(shot))
        finally:
            browser.close()
    return result


def page_size(name: str, measured: dict) -> Size:
    """A page's scroll size and its smallest text (graph or HTML) at 1280×720."""
    texts = measured["svgText"] + [size for size, _ in measured["htmlText"]]
    return Size(name, measured["scroll"][0], measured["scroll"][1], min(texts))


TEXT_PX_KEY = "chainrule:smallest-text-px"
"""The PNG ``tEXt`` key where the demos record a picture's smallest text, in its own pixels
(`demos._common.TEXT_PX_KEY`: matplotlib's f · dpi / 72, Graphviz's from the same drawing's SVG)."""


def raster_size(path: Path) -> Size:
    """A PNG (or a GIF's first frame) measured fit to the screen: its pixel size and the smallest
    text it records under `TEXT_PX_KEY`, scaled by `fit_scale`; fails if it records none."""
    from PIL import Image

    with Image.open(path) as image:
        width, height = image.size
        recorded = getattr(image, "text", {}).get(TEXT_PX_KEY) or image.info.get(TEXT_PX_KEY)
    assert recorded is not None, f"{path.name}: records no smallest text ({TEXT_PX_KEY!r})"
    return png_size(path.name, width, height, float(recorded))


def picture_size(path: Path) -> Size:
    """`svg_size` for an SVG file, `raster_size` for a PNG or GIF (pages: `measure_page`)."""
    suffix = path.suffix.lower()
    if suffix == ".svg":
        return svg_size(path.name, path.read_bytes())
    if suffix in (".png", ".gif"):
        return raster_size(path)
    raise AssertionError(f"{path.name}: no slide measure for {suffix!r} files")
