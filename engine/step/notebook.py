"""The Stepper in a notebook: the HTML player inside an ``<iframe srcdoc>``, no server needed.

Jupyter shows a `Stepper` through `Stepper._repr_html_`, which calls `player_html`: the same
self-contained page `Stepper.save_html` writes (the graph once, the steps as data, Prev/Next), put
into the iframe's ``srcdoc`` attribute so its script runs apart from the notebook's page. Graphs
with more than `MAX_NOTEBOOK_STEPS` steps, or no Graphviz renderer, fall back to the Stepper's
other displays (the current graph as SVG, the narration as text).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.step.stepper import Stepper

__all__ = ["player_html", "iframe", "MAX_NOTEBOOK_STEPS"]

MAX_NOTEBOOK_STEPS = 400
"""Most steps the notebook player shows before falling back to the current graph as one SVG."""


def player_html(stepper: Stepper, *, height: int = 640, **options) -> str | None:
    """An ``<iframe>`` holding the whole player page for `stepper`, or None when it can't be made.

    `options` go to `draw_dot`. The Stepper ends where it started.
    """
    if stepper.total > MAX_NOTEBOOK_STEPS:
        return None
    from engine.draw import DrawError
    from engine.step import player

    title = f"backward pass of {stepper.names[stepper.root]}"
    try:
        page = player.player_html(stepper, title=title, **options)
    except (DrawError, OSError, ValueError):
        return None  # no renderer, or a failure: the SVG/text displays say why
    return iframe(page, title, height=height)


def iframe(page: str, title: str, *, height: int = 640) -> str:
    """A whole HTML `page` as an ``<iframe srcdoc>`` that runs its script apart from the
    notebook's page (sandboxed: scripts only), `height` pixels tall."""
    return (
        f'<iframe srcdoc="{html.escape(page, quote=True)}" title="{html.escape(title)}" '
        f'style="width: 100%; height: {int(height)}px; border: 1px solid #dee2e6; '
        f'border-radius: 6px" sandbox="allow-scripts"></iframe>'
    )
