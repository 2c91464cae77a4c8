"""The δ mode in a browser: the step player's page on the network view, one layer per step.

    d = DeltaStepper(model, loss)
    d.save_html("delta.html")          # or: chainrule delta --html delta.html

The page is the one `engine.step.player` writes for a Stepper (Prev/Next, arrow keys, slider,
zoom and pan, a practice toggle; self-contained, offline from ``file://``), but its picture is
`nn.draw_network`: step 0 is the forward pass (every activation, no δ yet), step k adds the δ of
one layer, the output layer first, with that layer outlined in red and the narration of
`DeltaStep` beside it. Each position has its own drawing (an MLP has few layers, so the page
holds L + 1 drawings, plus L for practice).

Practice mode asks, before each step is shown, for every δ_j of that layer; the drawing then
marks the layer but still hides its δ. A wrong answer gets the rule with the numbers filled in
(``δ₁⁽³⁾ = (1 - a₁⁽³⁾²) · [w₁₁⁽⁴⁾δ₁⁽⁴⁾] = 0.9504 × [(0.6142)·(-0.7719)]``), a second miss
shows the step; answers are graded by `engine.step.answers.grading` with the mistakes of
`nn.teaching.delta_practice.delta_questions`, the terminal round's own.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.core.numfmt import fmt

if TYPE_CHECKING:
    from engine.step.notation import Notation
    from nn.teaching.delta_mode import DeltaStep, DeltaStepper
    from nn.teaching.delta_practice import DeltaQuestion

__all__ = ["delta_player_html", "write_delta_player", "DEFAULT_MAX_WEIGHTS"]

DEFAULT_MAX_WEIGHTS = 400
"""Most weights (edges of the network view) a δ page is drawn for by default: MLP(2, [16, 16, 1])
has 304. The page holds 2L + 1 drawings; for that network it is 2.9 MB, written in 0.3 s with
the system dot and about 10 s with graphviz-pure alone (which lays out this view's port-heavy
tables 2x-25x slower). Wider layers make a mesh no screen can read. Override with
``max_weights=`` (CLI: ``--max-weights``)."""

_HELP = """<p class="help">← → (or the buttons) move one layer, Home/End jump to the ends, the
slider scrubs. Zoom with + − 0 (fit), the mouse wheel or the buttons; drag to pan. Step 0 is the
forward pass; each step finds one layer's {d} = {d_pre} ({s} the pre-activation), the output
layer first: {d}<sub>j</sub><sup>(L)</sup> = {d_act}<sub>j</sub> · {g}′({s}<sub>j</sub>), then
{d}<sub>i</sub><sup>(l−1)</sup> = {g}′({s}<sub>i</sub>) Σ<sub>j</sub>
{w}<sub>{ij}</sub><sup>(l)</sup> {d}<sub>j</sub><sup>(l)</sup>; every weight's gradient is then
{a}<sub>i</sub> · {d}<sub>j</sub>. The layer outlined in red is this step's; <code>?</code>: not
known yet. Practice answers: a number or a fraction (-3, 0.5, 1/2, 2e-3), graded as in the
terminal: within 1%, or closer when a known slip ({g}′({s}) left out, say) gives a number that
near, so no slip is ever right.</p>"""


def help_html(nt: Notation) -> str:
    """The page's help paragraph in the symbols of `nt`: δ_j^(L) = ∂⁺L/∂a_j · g'(s_j), then
    δ_i^(l-1) = g'(s_i) Σ_j w_ij^(l) δ_j^(l) (``β_ji`` when the row is the output)."""
    from html import escape

    symbols = {
        "d": nt.delta,
        "d_pre": nt.total(nt.loss, nt.pre),
        "d_act": nt.total(nt.loss, nt.act),
        "s": nt.pre,
        "a": nt.act,
        "g": nt.activation,
        "w": nt.weight,
        "ij": "ij" if nt.input_first else "ji",
    }
    return _HELP.format(**{key: escape(text) for key, text in symbols.items()})


def _questions(step: DeltaStep, asked: list[DeltaQuestion]) -> list[dict[str, Any]]:
    """Practice's questions for `step`, one per neuron (in the player's JSON form), each with
    the `grade` the terminal's δ practice uses (`engine.step.answers.grading`)."""
    return [
        {
            "ask": f"{q.name} = ?",
            "want": q.want,
            "text": q.text,
            "hint": q.rule,
            "name": q.name,
            "given": mine.given,
            "grade": mine.grading.as_data(),
        }
        for q, mine in zip(step.questions, [a for a in asked if a.step is step])
        if math.isfinite(q.want)
    ]


def _svg(graph: Any, renderer: Any, timeout: float | None) -> str:
    from engine.draw import render_bytes
    from engine.step.player_svg import inline_svg

    return inline_svg(render_bytes(graph, "svg", renderer=renderer, timeout=timeout))


def _slide_view(stepper: DeltaStepper, rankdir: str | None, view: dict[str, Any]) -> str:
    """Fill `view` with the slide preset (`SLIDE_VIEW`) and return the rankdir:
    the one given, else the one whose last drawing reads biggest in a slide page's panel."""
    from engine.draw.slide import best_layout
    from engine.step.player_page import STACKED_PANEL
    from nn.teaching.network_view import SLIDE_VIEW

    for key, value in SLIDE_VIEW.items():
        view.setdefault(key, value)
    if rankdir is not None:
        return rankdir
    start = stepper.position
    try:
        stepper.position = stepper.total
        return best_layout(lambda r: stepper.draw(rankdir=r, **view), STACKED_PANEL)[0]
    finally:
        stepper.position = start


def delta_player_html(
    stepper: DeltaStepper,
    *,
    title: str | None = None,
    rankdir: str | None = None,
    renderer: str | None = None,
    timeout: float | None = None,
    max_weights: int = DEFAULT_MAX_WEIGHTS,
    slide: bool = False,
    **view: Any,
) -> str:
    """The δ mode's player page for `stepper` as one HTML string; the stepper ends where it
    started. `rankdir`, `renderer` and `timeout` are the drawing's (see `nn.draw_network`,
    `engine.draw.render_bytes`). Raises `engine.step.player.PlayerTooLargeError` before any
    drawing when the network has more than `max_weights` weights. `view` goes to
    `nn.draw_network` (``font_size=``, ``digits=``, ``weight_rows=``). `slide` makes the page for
    a 1280×720 projector: the drawing at the slide preset's font size, with the weights in the
    edges' tooltips only, in the layout whose text reads biggest unless `rankdir` is given, and
    every text of the page at least 16 px."""
    from engine.step.player import TOLERANCE, PlayerTooLargeError
    from engine.step.player_page import render_page
    from nn.teaching.delta_practice import delta_questions
    from nn.teaching.network_view import draw_network

    if type(max_weights) is not int or max_weights < 1:
        raise ValueError(f"max_weights must be a positive int, got {max_weights!r}")
    weights = sum(len(n.weights) for layer in stepper.state.layers for n in layer)
    if weights > max_weights:
        raise PlayerTooLargeError(
            f"this network has {weights:,} weights, more than the δ page's "
            f"max_weights={max_weights:,} (its drawing would be an unreadable mesh); pass "
            f"max_weights={weights} (chainrule delta --max-weights {weights}) to write it anyway"
        )
    if slide:
        rankdir = _slide_view(stepper, rankdir, view)
    elif rankdir is None:
        rankdir = "LR"
    start = stepper.position
    asked = delta_questions(stepper)
    frames, quiz_frames, steps = [], [], []
    try:
        for position in range(stepper.total + 1):
            stepper.position = position
            frames.append(_svg(stepper.draw(rankdir=rankdir, **view), renderer, timeout))
            current = stepper.current
            if current is None:
                continue
            known = {step.layer for step in stepper.steps[: position - 1]}
            asking = draw_network(
                stepper.model,
                loss=stepper.loss,
                known_layers=known,
                highlight_layer=current.layer,
                rankdir=rankdir,
                **{"notation": stepper.notation, **view},
            )
            quiz_frames.append(_svg(asking, renderer, timeout))
            source = (
                "the output layer" if position == 1 else f"from the δ of layer {current.layer + 1}"
            )
            steps.append(
                {
                    "caption": f"step {position} of {stepper.total}: layer {current.layer}",
                    "focus": f"L{current.layer}",  # the view's node for the layer: kept in sight
                    "text": str(current),
                    "grads": stepper.summary(),
                    "set": [],
                    "prompt": f"Layer {current.layer}, {source}: work out each δ "
                    f"(loss {stepper.notation.loss} = {fmt(stepper.loss.data)}).",
                    "ask": _questions(current, asked),
                }
            )
    finally:
        stepper.position = start
    data = {
        "names": [],
        "consumers": [],
        "steps": steps,
        "forward": stepper.forward_trace(),
        "forwardCaption": "forward pass",
        "forwardGrads": "δ known: none yet",
        "frames": frames,
        "quizFrames": quiz_frames,
        "tolerance": TOLERANCE,
    }
    if title is None:
        sizes = [len(stepper.state.inputs)] + [len(layer) for layer in stepper.state.layers]
        title = f"the δ rule, layer by layer: an MLP {'-'.join(map(str, sizes))}"
    return render_page(
        data,
        title,
        svg=frames[0],
        tagline="the δ rule, one layer at a time",
        help_html=help_html(stepper.notation),
        slide=slide,
        stacked=rankdir == "LR",
    )


def write_delta_player(stepper: DeltaStepper, target: str | Path, **options: Any) -> Path:
    """Write `delta_player_html` atomically: `target` ending in ``.html`` is the page, any other
    path a folder that gets ``index.html``. Returns the page's path; nothing is written when
    anything fails. `options` as for `delta_player_html`."""
    from engine.files import write_atomic
    from engine.step.player import page_path

    path = page_path(target)
    page = delta_player_html(stepper, **options)
    write_atomic(path, page.encode("utf-8"), parents=True)
    return path
