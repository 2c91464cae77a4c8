"""The slide preset: a drawing laid out and sized to be read on a 1280×720 screen.

A picture shown fit to a screen of W×H CSS pixels is scaled by s = min(W / w, H / h), w×h its
own size, so text of f points ends up f · 96/72 · s pixels high. Bigger text makes the boxes
bigger too, so the layout matters more than the font: a neuron drawn left to right at 18 pt is
2120×408 px (text 12.9 px on the screen), top to bottom 1380×771 px (19.8 px).

`slide_drawing(make)` builds the drawing both ways (``make(rankdir)``), renders each to SVG, and
keeps the one whose smallest text is biggest on the screen (`smallest_text_px`). The preset's
font size is `SLIDE_FONT_SIZE` and its numbers have `SLIDE_DIGITS` significant digits
(``chainrule draw|step|delta --slide``).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any, Callable

__all__ = [
    "SLIDE",
    "SLIDE_FONT_SIZE",
    "SLIDE_DIGITS",
    "MIN_TEXT_PX",
    "smallest_text_px",
    "best_layout",
    "slide_drawing",
]

SLIDE = (1280, 720)
"""The screen a slide picture is made for, in CSS pixels."""

SLIDE_FONT_SIZE = 18.0
"""Points of the box text in the slide preset (edge numbers and legend 2 pt smaller)."""

SLIDE_DIGITS = 3
"""Significant digits of the numbers in the slide preset."""

MIN_TEXT_PX = 16.0
"""The smallest text a slide should show, in CSS pixels, when fit to `SLIDE`."""

_PX_PER_PT = 96 / 72


def _length(text: str) -> float:
    """An SVG length in CSS px (Graphviz writes ``123pt``)."""
    match = re.fullmatch(r"\s*([0-9.]+)\s*(pt|px)?\s*", text)
    if match is None:
        raise ValueError(f"cannot read the SVG length {text!r}")
    value = float(match.group(1))
    return value * _PX_PER_PT if match.group(2) == "pt" else value


def smallest_text_px(svg: bytes, screen: tuple[int, int] = SLIDE) -> float:
    """The smallest text of `svg`, in CSS px, when the picture is shown fit to `screen`:
    min(font-size) · (width / viewBox width) · min(W / width, H / height)."""
    root = ET.fromstring(svg)
    width, height = _length(root.get("width", "0")), _length(root.get("height", "0"))
    box = [float(v) for v in root.get("viewBox", f"0 0 {width} {height}").split()]
    fonts = [
        float(el.get("font-size", "0"))
        for el in root.iter()
        if el.tag.endswith("text") and (el.text or "").strip()
    ]
    if not fonts or width <= 0 or height <= 0:
        return 0.0
    scale = min(screen[0] / width, screen[1] / height)
    return min(fonts) * (width / box[2]) * scale


def best_layout(
    make: Callable[[str], Any],
    screen: tuple[int, int] = SLIDE,
    rankdirs: tuple[str, ...] = ("LR", "TB"),
) -> tuple[str, Any]:
    """(rankdir, ``make(rankdir)``) for the rankdir whose picture, fit to `screen`, has the
    biggest smallest text (each candidate is rendered to SVG once to measure it; the first wins
    ties)."""
    from engine.draw.render import render_bytes

    best: tuple[str, Any] | None = None
    best_px = -1.0
    for rankdir in rankdirs:
        drawing = make(rankdir)
        px = smallest_text_px(render_bytes(drawing, "svg"), screen)
        if px > best_px:
            best, best_px = (rankdir, drawing), px
    if best is None:
        raise ValueError("best_layout needs at least one rankdir")
    return best


def slide_drawing(make: Callable[[str], Any], screen: tuple[int, int] = SLIDE) -> Any:
    """``make(rankdir)`` for the rankdir, LR or TB, that reads biggest on `screen`
    (`best_layout`)."""
    return best_layout(make, screen)[1]
