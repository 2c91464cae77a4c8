"""The player's one drawing: Graphviz SVG made ready for the page's JavaScript to update.

`draw_dot` names the box of the i-th Value in topological order ``v<i>`` and the oval of the op
that made it ``o<i>``; Graphviz (the system ``dot`` and ``graphviz-pure`` alike) writes each as
``<g class="node"><title>v3</title>...<text>grad 0.5</text></g>`` and each edge as
``<g class="edge"><title>v1->o3</title>...``. `annotate_svg` parses that SVG (it is XML) and:

* gives each box ``id="n-v<i>"`` and each oval ``id="n-o<i>"``, and each edge ``data-k="<i>"``
  where ``<i>`` is the Value the edge leads to (``v1->o3`` and ``o3->v3`` both lead to 3), so the
  page can highlight a step's node and its incoming edges without searching;
* marks each box's grad text ``class="grad"``, sets it to the placeholder ``grad ?`` and records
  the width its table cell has room for (``data-w``, in SVG units);
* adds one empty ``class="badge"`` text above each grad cell, where the page writes "partial 1/3"
  while that gradient is still accumulating;
* replaces the tooltips (``v3``, ``v1->o3``) with the node names the narration uses.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Sequence

__all__ = ["inline_svg", "annotate_svg", "PLACEHOLDER"]

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
PLACEHOLDER = "grad ?"
"""The grad text of a node whose gradient this pass has not reached yet."""

_PROLOGUE = re.compile(r"\A\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_NODE = re.compile(r"([vo])(\d+)")
_EDGE = re.compile(r"([vo])(\d+)->([vo])(\d+)")
_POINT = re.compile(r"(-?[\d.]+),(-?[\d.]+)")
_T = f"{{{SVG_NS}}}"


def inline_svg(svg: bytes | str) -> str:
    """SVG markup fit to sit inside HTML: no XML declaration, DOCTYPE or comments."""
    text = svg.decode("utf-8", "replace") if isinstance(svg, bytes) else svg
    text = _PROLOGUE.sub("", text, count=1)
    text = _COMMENT.sub("", text)
    start = text.find("<svg")
    if start < 0:
        raise ValueError(f"the renderer's output is not SVG (it starts {text[:40]!r})")
    return text[start:].strip()


def _box(polygon: ET.Element) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of a polygon's points."""
    points = [(float(x), float(y)) for x, y in _POINT.findall(polygon.get("points", ""))]
    if not points:
        return (0.0, 0.0, 0.0, 0.0)
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def _set_title(group: ET.Element, text: str | None) -> None:
    title = group.find(f"{_T}title")
    if title is None:
        return
    if text is None:
        group.remove(title)
    else:
        title.text = text


def _mark_grad(group: ET.Element) -> bool:
    """Find the box's ``grad ...`` text; mark it, blank it, add the badge. False if it has none."""
    for parent in group.iter():
        children = list(parent)
        for i, child in enumerate(children):
            if child.tag != f"{_T}text" or not (child.text or "").startswith("grad "):
                continue
            cell = next(
                (c for c in reversed(children[:i]) if c.tag == f"{_T}polygon"),
                None,
            )
            x = float(child.get("x", "0"))
            if cell is not None:
                left, top, right, _ = _box(cell)
                room = right - x - 3.0  # the text starts after the cell's left padding
            else:
                top, room = float(child.get("y", "0")) - 12.0, 0.0
            child.text = PLACEHOLDER
            child.set("class", "grad")
            child.set("data-w", f"{max(room, 0.0):.1f}")
            badge = ET.Element(
                f"{_T}text",
                {"class": "badge", "x": f"{x:.2f}", "y": f"{top - 3.0:.2f}"},
            )
            parent.insert(i + 1, badge)
            return True
    return False


def annotate_svg(svg: bytes | str, names: Sequence[str]) -> tuple[str, int]:
    """The renderer's SVG for `names` (one per Value, in topological order), annotated as the
    module docstring says; returns the markup and how many boxes have a grad text.

    Raises ValueError when the SVG is not a drawing of this graph (a box ``v<i>`` missing or out
    of range), so a change in `draw_dot`'s naming fails loudly instead of animating wrong boxes.
    """
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    try:
        root = ET.fromstring(inline_svg(svg))
    except ET.ParseError as exc:
        raise ValueError(f"the renderer's SVG could not be read: {exc}") from None
    seen: set[int] = set()
    grads = 0
    for group in root.iter(f"{_T}g"):
        kind = group.get("class")
        title = group.find(f"{_T}title")
        label = (title.text or "").strip() if title is not None else ""
        if kind == "node":
            match = _NODE.fullmatch(label)
            if match is None:
                continue  # the legend
            letter, k = match.group(1), int(match.group(2))
            if k >= len(names):
                raise ValueError(f"the drawing has a node {label!r} but the graph has no Value {k}")
            group.set("id", f"n-{letter}{k}")
            if letter == "v":
                seen.add(k)
                _set_title(group, names[k])
                grads += _mark_grad(group)
            else:
                _set_title(group, f"the op that makes {names[k]}")
        elif kind == "edge":
            match = _EDGE.fullmatch(label.replace(" ", ""))
            if match is not None:
                group.set("data-k", match.group(4) if match.group(3) == "o" else match.group(2))
            _set_title(group, None)
        elif kind == "graph":
            _set_title(group, None)
    if len(seen) != len(names):
        missing = sorted(set(range(len(names))) - seen)[:5]
        raise ValueError(
            f"the drawing does not match the graph: boxes for Values {missing} are missing "
            f"(the player expects draw_dot to name the i-th Value's box v<i>)"
        )
    return ET.tostring(root, encoding="unicode"), grads
