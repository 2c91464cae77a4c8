"""Shared checks for the demo tests: every picture a demo reports exists, is a valid file and reads
on a slide (shown fit to 1280×720 its smallest text is 16 px or more: `check_slide`), and every
equation a demo prints recomputes from its printed numbers, with no negative zero."""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests import slides
from tests.equations import equations, wrong_equations

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from the IHDR chunk; fails unless the file starts like a PNG."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR", f"{path.name} has no IHDR chunk"
    assert data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82"), f"{path.name} is truncated"
    return struct.unpack(">II", data[16:24])


def check_svg(path: Path) -> ET.Element:
    root = ET.parse(path).getroot()  # raises on malformed XML
    assert root.tag.endswith("svg"), f"{path.name}: root element is {root.tag}"
    return root


def check_pictures(result: dict, out: Path, expected: set[str]) -> None:
    """The demo reported exactly `expected`, each in `out`, valid, and left no temp files."""
    files = [Path(f) for f in result["files"]]
    assert {f.name for f in files} == expected
    for f in files:
        assert f.parent.resolve() == out.resolve()
        assert f.stat().st_size > 0
        if f.suffix == ".png":
            width, height = png_size(f)
            assert width >= 300 and height >= 200, (f.name, width, height)
        elif f.suffix == ".svg":
            check_svg(f)
        else:
            pytest.fail(f"unexpected picture type {f.name}")
        check_slide(f)
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]


def check_slide(path: Path) -> slides.Size:
    """`path` fit to 1280×720 has text at least `slides.MIN_TEXT_PX` high (and a page needs no
    scrolling); prints the measured size (``pytest -s`` lists them). Pages are measured in
    Chromium, skipped with the reason when it is missing."""
    if path.suffix.lower() == ".html":
        if slides.chromium() is None:
            pytest.skip(f"{path.name}: no chromium on PATH to measure the page in")
        measured = slides.measure_page(path)
        size = slides.page_size(path.name, measured)
        assert measured["scroll"] == list(slides.SCREEN), f"{size}: the page scrolls"
    else:
        size = slides.picture_size(path)
    print(f"slide size: {size}")
    assert size.text_px >= slides.MIN_TEXT_PX, f"{size}: text under {slides.MIN_TEXT_PX} px"
    return size


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "pictures"


NEGATIVE_ZERO = re.compile(r"(?<![\w.])-(?:0+(?:\.0*)?|\.0+)(?:e[+-]?\d+)?(?![\d.])")


def check_story(text: str, *, at_least: int = 0) -> None:
    """Every printed equation of a demo's story recomputes from its printed numbers (to the
    printed precision: `engine.core.numfmt.holds`), there are at least `at_least` of them, and no
    number prints as a negative zero."""
    wrong = wrong_equations(text)
    assert not wrong, "\n".join(str(e) for e in wrong[:5])
    assert len(equations(text)) >= at_least
    zero = NEGATIVE_ZERO.search(text)
    assert zero is None, text[max(0, zero.start() - 80) : zero.end() + 20]
