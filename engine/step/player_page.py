"""The player's HTML: one template, the CSS and JavaScript from package files, the data as JSON.

`render_page(data, title, svg=...)` assembles the page `engine.step.player` describes. The CSS
(``player.css``) and JavaScript (``player.js``) are package data read once and inlined, so the
page needs no server, no network and no external file.

Pages whose whole drawing changes from step to step (the δ mode's network view) give one SVG
per position in ``data["frames"]``; the graph player gives one drawing and per-step changes.
"""

from __future__ import annotations

import html
import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["render_page"]


@cache
def _asset(name: str) -> str:
    return resources.files("engine.step").joinpath(name).read_text(encoding="utf-8")


def _json_for_script(data: Any) -> str:
    """JSON that can sit inside ``<script type="application/json">``: no ``<``, ``>``, ``&``."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for raw, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(raw, escaped)
    return text


_HELP = """<p class="help">← → (or the buttons) move one step, Home/End jump to the ends, the
slider scrubs. Zoom with + − 0 (fit), the mouse wheel or the buttons; drag to pan. Step 0 is the
forward pass; each step applies <i>x</i>.grad += upstream · ∂node/∂<i>x</i> to one node's inputs.
The red node is the one being visited; <code>grad ?</code>: not reached yet; orange with a
<span class="badge-key">partial k/n</span> badge: a partial sum, only k of the n edges out of that
node have passed their share back. Practice answers: a number or a fraction (-3, 0.5, 1/2, 2e-3),
graded as in the terminal: within 1%, or closer when a likely slip gives a number that near (the
question then says how many digits), so no known slip is ever right.</p>"""


STACKED_PANEL = (1260, 470)
"""The graph panel of a stacked slide page on a 1280×720 screen, in CSS px."""


def _body_class(slide: bool, stacked: bool) -> str:
    names = (["slide"] if slide else []) + (["stacked"] if slide and stacked else [])
    return f' class="{" ".join(names)}"' if names else ""


def render_page(
    data: dict[str, Any],
    title: str,
    *,
    svg: str | None = None,
    tagline: str = "the chain rule, one node at a time",
    help_html: str = _HELP,
    slide: bool = False,
    stacked: bool = False,
) -> str:
    """The whole player as one HTML string (every piece of text escaped).

    `data` is what `engine.step.player` computes (the per-step changes) and `svg` the annotated
    drawing. Pages whose drawing changes as a whole from step to step (the δ mode's network
    view) put one SVG per position, the forward pass first, in ``data["frames"]`` and may add
    ``data["quizFrames"]``, the drawing practice mode shows while it asks about step k (k-1 in
    the list); a step's ``focus`` names a drawing node (its Graphviz name) to pan into view.
    `tagline` and `help_html` (trusted markup) are the header's line and the help
    under the controls. `slide` lays the page out for a 1280×720 projector: every text at
    least 16 px, the help left out, and the drawing always fit whole in its panel; `stacked`
    (with `slide`) puts the drawing above the narration, full width, for wide drawings
    (`STACKED_PANEL`).
    """
    if not isinstance(data, dict):
        raise TypeError(f"render_page needs the page data as a dict, got {type(data).__name__}")
    if svg is None:
        raise ValueError("render_page needs the drawing (svg=...)")
    esc = html.escape
    last = len(data["steps"])
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>{_asset("player.css")}</style>
</head>
<body data-step="0"{_body_class(slide, stacked)}>
<header><h1>{esc(title)}</h1><span class="tagline">chainrule: {esc(tagline)}</span></header>
<main>
<section id="graph-panel" aria-label="the computation graph">
<div class="toolbar">
<button id="zoom-out" type="button" title="zoom out (−)">−</button>
<button id="zoom-in" type="button" title="zoom in (+)">+</button>
<button id="zoom-fit" type="button" title="fit the graph to the panel (0)">fit</button>
<button id="zoom-one" type="button" title="actual size">1:1</button>
<span id="zoom-level">100%</span>
<span class="hint">wheel: zoom · drag: pan</span>
</div>
<div id="viewport"><div id="canvas">{svg}</div></div>
</section>
<aside id="side">
<div class="controls">
<button id="prev" type="button" title="previous step (←)">◀ Prev</button>
<input id="slider" type="range" min="0" max="{last}" value="0" step="1" aria-label="step">
<button id="next" type="button" title="next step (→)">Next ▶</button>
<span id="counter">forward</span>
</div>
<label class="practice"><input id="practice" type="checkbox"> practice: work out each step
before it is shown</label>
<section id="note">
<h2 id="caption">forward pass</h2>
<pre id="narration"></pre>
<form id="quiz" hidden autocomplete="off">
<p id="prompt"></p>
<label for="answer" id="question"></label>
<div class="answer-row"><input id="answer" type="text" inputmode="decimal"
spellcheck="false" aria-describedby="feedback"><button id="check" type="submit">Check</button>
</div>
</form>
<div id="feedback" aria-live="polite"></div>
<p id="score" hidden></p>
</section>
<details id="grads-box" open><summary>gradients so far</summary><pre id="grads"></pre></details>
{help_html}
</aside>
</main>
<script type="application/json" id="player-data">{_json_for_script(data)}</script>
<script>{_asset("player.js")}</script>
</body>
</html>
"""
