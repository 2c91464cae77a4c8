"""The drawing errors. Each message is one line that says what went wrong and what to do."""

from __future__ import annotations

__all__ = [
    "DrawError",
    "RendererNotFoundError",
    "RenderError",
    "FormatNotSupportedError",
    "GraphTooLargeError",
]


class DrawError(RuntimeError):
    """Base class of the drawing errors."""


class RendererNotFoundError(DrawError):
    """No Graphviz renderer (``graphviz-pure`` or the system ``dot``) could be found, or the one
    asked for (``renderer=``, ``CHAINRULE_RENDERER``) does not exist."""


class RenderError(DrawError):
    """The renderer ran but failed (a crash, a bad graph) or took longer than its timeout."""


class FormatNotSupportedError(DrawError, ValueError):
    """The renderer cannot write the format asked for; the message names one that can."""


class GraphTooLargeError(DrawError):
    """The graph is too big to lay out within a few seconds (see `engine.draw.size`)."""
