"""A self-contained HTML player for a backward pass: the graph drawn once, the steps as data.

`write_player(stepper, target)` (what `Stepper.save_html` and ``chainrule step --html`` call)
records every step, lays the graph out ONCE (one SVG, every gradient shown as ``grad ?``) and
writes a page that holds, for each step, only what changes: the boxes whose grad text changes and
their new text, the node to highlight, the narration, and the numbers practice mode asks for. The
page's JavaScript applies them, so the page grows linearly with the graph (a 301-Value chain:
0.8 MB written in a fraction of a second; the old page with one SVG per step was 139 MB, 34 s).
Everything is inline (CSS, JavaScript, data), so it works offline from ``file://``.

What the page shows and does:

* one layout for every step, so the graph never jumps; zoom and pan (buttons, mouse wheel and
  drag, keys ``+`` ``-`` ``0``), graph and narration side by side on a 1280×720 screen for
  rankdir LR and TB;
* a gradient that is still a partial sum (some of the edges out of its node have not passed their
  contribution back yet) is drawn orange with a badge ``partial 1/3``, and listed as
  ``a 1  (partial: 1 of 3 edges)``; it becomes plain when its last edge has contributed;
* a practice toggle: at each step the page asks for each local derivative, then the new grad,
  before revealing the step. Answers are numbers or simple fractions (``-3``, ``0.5``, ``1/2``,
  ``2e-3``), parsed, never evaluated, and graded by `engine.step.answers.grading` (each question
  carries its accepted interval and its known mistakes, so no known mistake is ever right and the
  page accepts what ``check`` does). A wrong answer names the mistake it looks like and gets a
  hint (the op's formula with the numbers filled in), a second miss shows the step,
  and the last step shows the score;
* Prev/Next buttons, arrow keys (Home/End), a slider; the URL fragment opens a step
  (``index.html#5``) or replays actions through the page's own handlers (how the browser tests
  drive it): ``#play=next*9,prev,key:ArrowRight,slide:3,practice:on,answer:1/2,zoom:in,measure``.

Size limit: graphs with more than `DEFAULT_MAX_NODES` Values are refused before anything is done
(`PlayerTooLargeError`); pass ``max_nodes=`` (CLI: ``--max-nodes``) to go beyond it. The one
layout is also bounded by `draw_dot`'s own limit and timeout, to which ``max_nodes`` is passed on.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from engine.core.graph import topological_order
from engine.core.names import derivative_numbers, grad_of, partial_symbol
from engine.core.numfmt import equation, fmt
from engine.step.answers import DEFAULT_ABS, DEFAULT_REL, grading
from engine.step.narration import is_constant
from engine.step.player_page import render_page
from engine.step.player_svg import annotate_svg, inline_svg
from engine.step.practice import (
    _gives_the_answer,
    _grad_mistakes,
    _local_mistakes,
    _step_sum,
    local_rule_hint,
)

if TYPE_CHECKING:
    from engine.core.value import Value
    from engine.step.narration import Step
    from engine.step.stepper import Stepper

__all__ = [
    "write_player",
    "player_html",
    "page_data",
    "render_page",
    "PlayerTooLargeError",
    "DEFAULT_MAX_NODES",
    "TOLERANCE",
    "inline_svg",
    "page_path",
]

DEFAULT_MAX_NODES = 1000
"""Most Values a player page is written for by default. The page holds about 2.6 KB per Value (a
1,000-Value chain: 2.6 MB, written in about a second) and one Graphviz layout; beyond this,
stepping through by hand is impractical and the layout of a wide graph can take minutes.
Override with ``max_nodes=`` (CLI: ``--max-nodes``)."""

TOLERANCE = {"rel": DEFAULT_REL, "abs": DEFAULT_ABS}
"""The tolerances of `engine.step.answers.grading`, the one rule every face grades by. The page
does not apply them itself: each question carries its ``grade`` (the accepted interval and the
known mistakes' intervals, from `grading`), so the browser accepts exactly what Python does."""

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stage is "steps" (one call per recorded step), "layout"
(0 of 1 before the one Graphviz run, 1 of 1 after) or "page" (1 of 1 when the page is built)."""

_RESERVED = ("highlight", "grad_known", "show_grad")


class PlayerTooLargeError(ValueError):
    """The graph has more Values than the player's ``max_nodes``."""


def _number(x: float) -> float | None:
    """A float for the page's JSON, None for inf/NaN (JSON has no such numbers)."""
    return x if math.isfinite(x) else None


def _questions(step: Step) -> list[dict[str, Any]]:
    """What practice mode asks at `step`: per parent, the local derivative, then the new grad.
    The hints' numbers have the digits they need to give the answer as printed."""
    asked = []
    for index, term in enumerate(step.terms):
        if is_constant(term.parent):
            continue  # a number in the expression: not differentiated, nothing to ask
        local, grad = _number(term.local), _number(term.grad_after)
        if local is None or grad is None or not math.isfinite(step.upstream):
            continue  # nothing a learner can type
        partial = partial_symbol(step.name, term.name)
        (before, upstream, times), _ = equation(
            _step_sum, (term.grad_before, step.upstream, term.local), term.grad_after, step.digits
        )
        if _gives_the_answer(term.formula):  # a sum's 1: the rule described, not stated
            hint = f"the op table says: {local_rule_hint(step, term)}"
        else:  # the rule and its numbers, never the final number (∂mul₁/∂w = x, not 0.5)
            hint = f"the op table says {partial} = {term.formula}"
            filled = derivative_numbers(step.node, index, term.local, step.digits)
            if filled != term.formula and not _gives_the_answer(filled):
                hint += f"; with the numbers: {filled}"
        asked.append(
            {
                "ask": f"{partial} = ?",
                "want": local,
                "text": fmt(term.local, step.digits),
                "hint": hint,
                "name": f"the local derivative {partial}",
                "grade": grading(term.local, _local_mistakes(step, term)).as_data(),
            }
        )
        asked.append(
            {
                "ask": f"{grad_of(term.name)} is {fmt(term.grad_before, step.digits)}; what is "
                f"it after this step adds its share?",
                "want": grad,
                "text": fmt(term.grad_after, step.digits),
                "hint": f"new grad = old grad + upstream × local = {before} + {upstream} × {times}",
                "name": grad_of(term.name),
                "grade": grading(term.grad_after, _grad_mistakes(step, term)).as_data(),
            }
        )
    return asked


def _prompt(step: Step) -> str:
    """The question's lead-in: the node and its (complete) upstream gradient."""
    upstream = (
        f"{step.notation.total(step.root_name, step.name)} = {fmt(step.upstream, step.digits)}"
    )
    if step.formula:
        return (
            f"{step.name} = {step.formula} = {fmt(step.node.data, step.digits)}; its gradient "
            f"{upstream} is complete. Pass it on to its inputs:"
        )
    return f"{step.name} = {fmt(step.node.data, step.digits)}: {upstream}"


def _consumers(order: Sequence[Value], index: dict[int, int]) -> list[int]:
    """For each Value, how many edges leave it (one per use as an op's input: ``a*a`` is 2)."""
    counts = [0] * len(order)
    for node in order:
        for parent in node.parents:
            counts[index[id(parent)]] += 1
    return counts


def _step_data(
    steps: Sequence[Step], order: Sequence[Value], names: dict[Value, str]
) -> dict[str, Any]:
    """The per-step changes the page applies (see the module docstring)."""
    index = {id(node): i for i, node in enumerate(order)}
    consumers = _consumers(order, index)
    received = [0] * len(order)
    data = []
    for position, step in enumerate(steps, start=1):
        k = index[id(step.node)]
        changes: dict[int, list[Any]] = {}
        if position == 1:  # the seed: the root's gradient is final
            changes[k] = [k, fmt(step.upstream, step.digits), 0]
        for term in step.terms:
            if is_constant(term.parent):
                continue  # a constant is not differentiated: its box shows no grad
            j = index[id(term.parent)]
            received[j] += 1
            changes[j] = [j, fmt(term.grad_after, step.digits), received[j]]
        data.append(
            {
                "k": k,
                "caption": f"step {position} of {len(steps)}: {step.name}",
                "text": str(step),
                "set": list(changes.values()),
                "prompt": _prompt(step),
                "ask": _questions(step),
            }
        )
    return {
        "names": [names[node] for node in order],
        "consumers": consumers,
        "steps": data,
        "tolerance": TOLERANCE,
    }


def page_data(stepper: Stepper, *, progress: Progress | None = None) -> dict[str, Any]:
    """What the page's JavaScript applies, as JSON-ready data; the Stepper ends where it started.

    ``names`` (one per Value, in `topological_order`, which numbers the drawing's boxes),
    ``consumers`` (for each Value, how many edges leave it), ``forward`` (the forward trace) and
    ``steps``, one per step: ``k`` the Value visited, ``caption``, ``text`` (``str(step)``),
    ``set`` the boxes whose gradient changes as ``[value index, grad text, contributions
    received so far]`` (a gradient is partial while that count is below its ``consumers``),
    ``prompt`` and ``ask`` what practice mode asks.
    """
    report: Progress = progress or (lambda stage, done, total: None)
    start = stepper.position
    try:
        stepper.go_to(0)
        forward = str(stepper.forward_trace())
        steps = []
        for done in range(1, stepper.total + 1):
            step = stepper.next()
            assert step is not None
            steps.append(step)
            report("steps", done, stepper.total)
    finally:
        stepper.go_to(start)
    data = _step_data(steps, topological_order(stepper.root), stepper.names)
    data["forward"] = forward
    return data


def player_html(
    stepper: Stepper,
    *,
    title: str | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    progress: Progress | None = None,
    slide: bool = False,
    **options: Any,
) -> str:
    """The player page for `stepper` as one HTML string; the Stepper ends where it started.

    `slide` makes the page for a 1280×720 projector: the drawing at
    `engine.draw.slide.SLIDE_FONT_SIZE` in the layout (LR or TB, unless ``rankdir=`` is given)
    whose text reads biggest in the graph panel (`SLIDE_PANEL`), every text of the page at least
    16 px, and the drawing always fit whole.

    `options` go to `draw_dot` (e.g. ``rankdir="TB"``); `max_nodes` is the player's size limit
    and is passed on to `draw_dot`. Raises `PlayerTooLargeError` before any work when the graph
    has more Values than `max_nodes`.
    """

    if type(max_nodes) is not int or max_nodes < 1:
        raise ValueError(f"max_nodes must be a positive int, got {max_nodes!r}")
    if stepper.total > max_nodes:
        raise PlayerTooLargeError(
            f"this graph has {stepper.total:,} values, more than the player's "
            f"max_nodes={max_nodes:,} (the page would be large and its layout slow); "
            f"pass max_nodes={stepper.total} to save_html()/write_player() "
            f"(chainrule step --max-nodes {stepper.total}) to write it anyway"
        )
    clash = [name for name in _RESERVED if name in options]
    if clash:
        raise TypeError(f"the player sets {', '.join(clash)} itself; leave it out of the options")
    report: Progress = progress or (lambda stage, done, total: None)
    options.setdefault("names", stepper.names)
    options.setdefault("digits", stepper.digits)  # the boxes show the narration's numbers
    if title is None:
        title = f"backward pass of {stepper.names[stepper.root]}"
    data = page_data(stepper, progress=report)
    order = topological_order(stepper.root)  # draw_dot numbers the boxes in this order
    start = stepper.position
    report("layout", 0, 1)
    try:  # drawn in the final state, so that every box is sized for its final gradient
        stepper.go_to(stepper.total)
        drawing = _drawing(stepper.root, order, max_nodes, slide, options)
        svg = drawing.pipe(format="svg")
    finally:
        stepper.go_to(start)
    report("layout", 1, 1)
    markup, _ = annotate_svg(svg, data["names"])
    page = render_page(data, title, svg=markup, slide=slide)
    report("page", 1, 1)
    return page


SLIDE_PANEL = (840, 630)
"""The graph panel of a slide page on a 1280×720 screen, in CSS px (the side panel takes 400)."""


def _drawing(root: Value, order: list, max_nodes: int, slide: bool, options: dict) -> Any:
    """The page's one drawing; with `slide`, in the slide preset's font and best layout."""
    from engine.draw import draw_dot
    from engine.draw.slide import SLIDE_FONT_SIZE, slide_drawing

    def make(rankdir: str) -> Any:
        return draw_dot(
            root, grad_known=order, max_nodes=max_nodes, **{**options, "rankdir": rankdir}
        )

    if not slide:
        return draw_dot(root, grad_known=order, max_nodes=max_nodes, **options)
    options.setdefault("font_size", SLIDE_FONT_SIZE)
    options.setdefault("legend", False)  # the page's help and narration say what the colours are
    if "rankdir" in options:
        return make(options["rankdir"])
    return slide_drawing(make, SLIDE_PANEL)


def page_path(target: str | Path) -> Path:
    """Where a player page for `target` goes: ``x.html`` (or ``.htm``) is the page itself; any
    other path is a folder for index.html. Raises when the target is the wrong kind of thing."""
    path = Path(target)
    if path.suffix.lower() in (".html", ".htm"):
        if path.is_dir():
            raise IsADirectoryError(
                f"the player page {str(path)!r} is an existing folder; give a new .html file "
                f"name, or a folder name without .html to write index.html in it"
            )
        return path
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(
            f"the player is written into a folder, but {str(path)!r} is a file; "
            f"give a folder, or a file name ending in .html"
        )
    return path / "index.html"


def write_player(
    stepper: Stepper,
    target: str | Path,
    *,
    title: str | None = None,
    max_nodes: int = DEFAULT_MAX_NODES,
    progress: Progress | None = None,
    **options: Any,
) -> Path:
    """Write the player page for `stepper` atomically and return its path.

    `target` ending in ``.html`` is the page itself; any other path is a folder (created if
    missing) that gets ``index.html``. Nothing is written if anything fails (e.g. no Graphviz
    renderer: `engine.draw.RendererNotFoundError`; too big: `PlayerTooLargeError`).
    `progress(stage, done, total)` is called as the work goes (see `Progress`); `options` go to
    `draw_dot`.
    """
    from engine.files import write_atomic

    path = page_path(target)
    page = player_html(stepper, title=title, max_nodes=max_nodes, progress=progress, **options)
    write_atomic(path, page.encode("utf-8"), parents=True)
    return path
