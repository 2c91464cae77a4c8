"""A self-contained HTML player for a backward pass: one SVG frame per step, narration beside it.

`write_player(stepper, directory)` (what `Stepper.save_html` and ``chainrule step --html DIR``
call) renders the graph once before the backward pass (frame 0: the forward pass, every gradient
``?``) and once after each step, and writes ``directory/index.html``: the SVG frames, the CSS and
the JavaScript all inline, so the page works offline from ``file://`` with no server, no network
request, no external script or font.

Controls: Prev/Next buttons, the left/right arrow keys (Home/End for the ends) and a slider.
The URL fragment can open a step (``index.html#5``) or replay a list of actions, which is how the
browser test drives the real handlers: ``#play=next*9,prev,key:ArrowRight,slide:3`` clicks Next
nine times, Prev once, presses →, then moves the slider to 3.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.step.stepper import Stepper

__all__ = ["write_player", "render_page", "Frame"]

_PROLOGUE = re.compile(r"\A\s*(<\?xml[^>]*\?>\s*)?(<!DOCTYPE[^>]*>\s*)?", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


class Frame:
    """One frame of the player: a caption, the narration (plain text) and the SVG markup."""

    __slots__ = ("caption", "narration", "gradients", "svg")

    def __init__(self, caption: str, narration: str, gradients: str, svg: str) -> None:
        self.caption = caption
        self.narration = narration
        self.gradients = gradients
        self.svg = svg


def inline_svg(svg: bytes | str) -> str:
    """SVG markup fit to sit inside HTML: no XML declaration, DOCTYPE or comments."""
    text = svg.decode("utf-8", "replace") if isinstance(svg, bytes) else svg
    text = _PROLOGUE.sub("", text, count=1)
    text = _COMMENT.sub("", text)
    start = text.find("<svg")
    if start < 0:
        raise ValueError(f"the renderer's output is not SVG (it starts {text[:40]!r})")
    return text[start:].strip()


def collect_frames(stepper: Stepper, **options) -> list[Frame]:
    """Render the forward state and every step; the Stepper ends where it started."""
    start = stepper.position
    frames = []
    try:
        for position in range(stepper.total + 1):
            stepper.go_to(position)
            if position == 0:
                caption = "forward pass"
                narration = str(stepper.forward_trace())
            else:
                caption = f"step {position} of {stepper.total}: {stepper.current.name}"
                narration = str(stepper.current)
            svg = inline_svg(stepper.draw(**options).pipe(format="svg"))
            frames.append(Frame(caption, narration, stepper.summary(), svg))
    finally:
        stepper.go_to(start)
    return frames


_CSS = """
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #212529;
       background: #f8f9fa; }
header { padding: 0.6rem 1rem; background: #212529; color: #f8f9fa; }
header h1 { margin: 0; font-size: 1.1rem; font-weight: 600; }
header p { margin: 0.2rem 0 0; font-size: 0.85rem; color: #adb5bd; }
main { display: flex; flex-wrap: wrap; gap: 1rem; padding: 1rem; align-items: flex-start; }
#stage { flex: 1 1 100%; min-width: 0; background: #fff; border: 1px solid #dee2e6;
         border-radius: 6px; padding: 0.5rem; overflow: auto; }
#stage svg { max-width: 100%; height: auto; }
#side { flex: 1 1 100%; min-width: 0; max-width: 60rem; }
.controls { display: flex; gap: 0.5rem; align-items: center; margin-bottom: 0.8rem; }
.controls button { font: inherit; padding: 0.3rem 0.9rem; border: 1px solid #adb5bd;
                   border-radius: 4px; background: #fff; cursor: pointer; }
.controls button:disabled { opacity: 0.4; cursor: default; }
.controls input[type=range] { flex: 1; }
#counter { font-variant-numeric: tabular-nums; min-width: 6rem; text-align: right; }
.note h2 { font-size: 1rem; margin: 0 0 0.4rem; }
.note pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
            font-size: 0.85rem; white-space: pre-wrap; background: #fff; margin: 0 0 0.6rem;
            border: 1px solid #dee2e6; border-left: 4px solid #e03131; border-radius: 4px;
            padding: 0.6rem; }
.note pre.grads { border-left-color: #1c7ed6; }
.help { font-size: 0.8rem; color: #6c757d; }
[hidden] { display: none !important; }
"""

_JS = r"""
(function () {
  "use strict";
  var frames = document.querySelectorAll(".frame");
  var notes = document.querySelectorAll(".note");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var slider = document.getElementById("slider");
  var counter = document.getElementById("counter");
  var last = frames.length - 1;
  var current = 0;

  function show(k) {
    k = Math.max(0, Math.min(last, k | 0));
    for (var j = 0; j <= last; j++) {
      frames[j].hidden = j !== k;
      notes[j].hidden = j !== k;
    }
    current = k;
    slider.value = String(k);
    prev.disabled = k === 0;
    next.disabled = k === last;
    counter.textContent = k === 0 ? "forward" : "step " + k + " / " + last;
    document.body.setAttribute("data-step", String(k));
  }

  prev.addEventListener("click", function () { show(current - 1); });
  next.addEventListener("click", function () { show(current + 1); });
  slider.addEventListener("input", function () { show(Number(slider.value)); });
  document.addEventListener("keydown", function (event) {
    if (event.target === slider) { return; }  // the slider handles its own arrow keys
    var moves = { ArrowRight: current + 1, ArrowDown: current + 1, ArrowLeft: current - 1,
                  ArrowUp: current - 1, Home: 0, End: last };
    if (event.key in moves) { event.preventDefault(); show(moves[event.key]); }
  });

  // The URL fragment: "#5" opens step 5; "#play=next*9,prev,key:ArrowLeft,slide:3" replays
  // actions through the real handlers (button clicks, key events, slider input events).
  function act(action) {
    var parts = action.split("*"), what = parts[0], times = Number(parts[1] || 1);
    for (var t = 0; t < times; t++) {
      if (what === "next") { next.click(); }
      else if (what === "prev") { prev.click(); }
      else if (what.indexOf("key:") === 0) {
        document.dispatchEvent(new KeyboardEvent("keydown", { key: what.slice(4), bubbles: true }));
      } else if (what.indexOf("slide:") === 0) {
        slider.value = what.slice(6);
        slider.dispatchEvent(new Event("input", { bubbles: true }));
      }
    }
  }

  show(0);
  var hash = decodeURIComponent(window.location.hash.slice(1));
  if (/^\d+$/.test(hash)) { show(Number(hash)); }
  else if (hash.indexOf("play=") === 0) { hash.slice(5).split(",").forEach(act); }
})();
"""


def render_page(frames: list[Frame], title: str) -> str:
    """The whole player as one HTML string (every piece of text escaped)."""
    if not frames:
        raise ValueError("a player needs at least one frame")
    esc = html.escape
    stage = "\n".join(
        f'<div class="frame" data-frame="{i}"{" hidden" if i else ""}>{f.svg}</div>'
        for i, f in enumerate(frames)
    )
    notes = "\n".join(
        f'<section class="note" data-frame="{i}"{" hidden" if i else ""}>'
        f'<h2>{esc(f.caption)}</h2><pre class="narration">{esc(f.narration)}</pre>'
        f'<pre class="grads">{esc(f.gradients)}</pre></section>'
        for i, f in enumerate(frames)
    )
    last = len(frames) - 1
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>{_CSS}</style>
</head>
<body data-step="0">
<header><h1>{esc(title)}</h1>
<p>chainrule: the chain rule, one node at a time. The red node is the one being visited;
gradients not computed yet show as <code>?</code>.</p></header>
<main>
<div id="stage">
{stage}
</div>
<div id="side">
<div class="controls">
<button id="prev" type="button" title="previous step (←)">◀ Prev</button>
<input id="slider" type="range" min="0" max="{last}" value="0" step="1" aria-label="step">
<button id="next" type="button" title="next step (→)">Next ▶</button>
<span id="counter">forward</span>
</div>
{notes}
<p class="help">← → or the buttons move one step; Home/End jump to the ends; the slider
scrubs. Frame 0 is the forward pass; each step applies x̄ += ō · ∂o/∂x to one node's
inputs.</p>
</div>
</main>
<script>{_JS}</script>
</body>
</html>
"""


def write_player(
    stepper: Stepper, directory: str | Path, *, title: str | None = None, **options
) -> Path:
    """Render every step of `stepper` and write ``directory/index.html`` atomically.

    The folder is created if missing. Nothing is written if rendering fails (e.g. no Graphviz
    renderer: `engine.draw.RendererNotFoundError`). `options` go to `draw_dot`.
    """
    from engine.files import write_atomic

    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(
            f"the player is written into a folder, but {str(folder)!r} is a file"
        )
    if title is None:
        title = f"backward pass of {stepper.names[stepper.root]}"
    page = render_page(collect_frames(stepper, **options), title)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "index.html"
    write_atomic(path, page.encode("utf-8"))
    return path
