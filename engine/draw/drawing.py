"""`Drawing`: what `draw_dot` returns, a `graphviz.Digraph` that knows its size and renderer.

Why a subclass and not a plain `graphviz.Digraph`: three things must happen on every render, and
the graphviz package has no hook for them:

1. the size check: a graph too big to lay out in a few seconds raises `GraphTooLargeError`
   before any renderer starts (`engine.draw.size`);
2. the renderer: graphviz runs ``dot`` from PATH; a drawing runs graphviz-pure where there is no
   system ``dot`` (or whatever ``renderer=`` / ``CHAINRULE_RENDERER`` asks for), by pointing
   ``graphviz.backend.dot_command.DOT_BINARY`` at it for the duration of the call;
3. notebook display with a timeout: graphviz's ``pipe`` has none, so ``_repr_mimebundle_``
   renders through `engine.draw.render_bytes`, honours ``include``/``exclude``, and shows a
   one-line note instead of a picture when rendering fails.

Everything else is the package's own: ``.source``, ``.pipe()``, ``.render()``, ``.view()``,
``.save()`` (which writes the DOT text, as in graphviz), ``.copy()``, ``.node()``/``.edge()`` to
add more, and ``isinstance(g, graphviz.Digraph)`` holds. ``pipe``/``render``/``view`` keep the
package's errors (a failing renderer raises `RendererFailedError`, which is both a
`graphviz.CalledProcessError` and an `engine.draw.DrawError`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import graphviz

from engine.draw.errors import RenderError
from engine.draw.render import DEFAULT_TIMEOUT, display_bundle
from engine.draw.renderers import PICTURE_FORMATS, choose_renderer, graphviz_binary
from engine.draw.size import DEFAULT_MAX_NODES, check_size

__all__ = ["Drawing", "RendererFailedError"]


class RendererFailedError(RenderError, graphviz.CalledProcessError):
    """The renderer exited with an error during ``pipe``/``render``/``view``: the package's
    `graphviz.CalledProcessError`, and a chainrule `DrawError` with a one-line message."""

    def __init__(self, error: graphviz.CalledProcessError, path: Path) -> None:
        graphviz.CalledProcessError.__init__(
            self, error.returncode, error.cmd, output=error.output, stderr=error.stderr
        )
        stderr = error.stderr or b""
        text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else str(stderr)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        self.message = (
            f"{path.name} failed (exit status {error.returncode}): "
            f"{lines[0] if lines else 'no error message'}"
        )

    def __str__(self) -> str:
        return self.message


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


class Drawing(graphviz.Digraph):
    """A computation graph drawn by `draw_dot`: a `graphviz.Digraph` plus its size and renderer.

    ``values``, ``ops`` and ``edge_count`` count what is drawn; ``layout_size`` estimates the
    layout work (`engine.draw.size.layout_size`); ``max_nodes``, ``layout_renderer`` (draw_dot's
    ``renderer=``) and ``timeout`` are the options `draw_dot` was given. (``edges`` and
    ``renderer`` are the package's: a method that adds edges, and the -T renderer like cairo.)
    ``summary``, when set, is what ``repr`` says instead of the counts (the network view:
    ``<chainrule Drawing: network view of an MLP 2-3-1, 4 neurons, 9 weights>``).
    """

    values: int = 0
    ops: int = 0
    edge_count: int = 0  # ``edges`` is the package's method that adds edges
    layout_size: int = 0
    labelled: bool = False
    max_nodes: int = DEFAULT_MAX_NODES
    layout_renderer: str | os.PathLike[str] | None = None  # ``renderer`` is the package's
    timeout: float = DEFAULT_TIMEOUT
    summary: str = ""  # what a drawing that is not a graph of Values shows (the network view)

    _STATS = (
        "values",
        "ops",
        "edge_count",
        "layout_size",
        "labelled",
        "max_nodes",
        "layout_renderer",
        "timeout",
        "summary",
    )

    def __repr__(self) -> str:
        if self.summary:
            return f"<chainrule Drawing: {self.summary}>"
        return (
            f"<chainrule Drawing: {_count(self.values, 'value')}, {_count(self.ops, 'op')}, "
            f"{_count(self.edge_count, 'edge')}>"
        )

    def check_size(self) -> None:
        """Raise `GraphTooLargeError` if the graph is too big to lay out in a few seconds."""
        check_size(self.values, self.layout_size, self.max_nodes, self.labelled)

    def copy(self) -> Drawing:
        """An independent copy (the package's), keeping the counts and options."""
        new = super().copy()
        for name in self._STATS:
            setattr(new, name, getattr(self, name))
        return new

    # -- rendering through the package, with the size check and the renderer ----------------

    def _call(self, method: Any, fmt: str | None, args: tuple, kwargs: dict) -> Any:
        self.check_size()
        wanted = fmt if fmt in PICTURE_FORMATS else None
        path = choose_renderer(self.layout_renderer, wanted)
        if "graphviz-pure" in path.name:
            # graphviz-pure warns that its font tables lack non-ASCII widths (₁, ∂); in the
            # monospace font every glyph has the same width, so the warning says nothing
            kwargs.setdefault("quiet", True)
        with graphviz_binary(path):
            try:
                return method(*args, **kwargs)
            except graphviz.CalledProcessError as exc:
                raise RendererFailedError(exc, path) from exc

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        """The package's ``pipe`` (same arguments, no timeout: see `engine.draw.render_bytes`),
        after the size check, with this drawing's renderer."""
        fmt = kwargs.get("format", args[0] if args else None) or self.format
        return self._call(super().pipe, fmt, args, kwargs)

    def render(self, *args: Any, **kwargs: Any) -> Any:
        """The package's ``render`` (and so ``view``), after the size check, with this drawing's
        renderer. ``g.render(outfile="g.png")`` picks the format from the suffix."""
        fmt = kwargs.get("format")
        outfile = kwargs.get("outfile")
        if fmt is None and outfile is not None:
            fmt = Path(os.fspath(outfile)).suffix.lower().lstrip(".") or None
        return self._call(super().render, fmt or self.format, args, kwargs)

    # -- notebook display ----------------------------------------------------------------------

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **kwargs: Any
    ) -> dict[str, Any]:
        """Notebook display: SVG (and whatever ``include`` asks for, minus ``exclude``), rendered
        with this drawing's timeout; the one-line reason instead when it cannot be drawn."""
        return display_bundle(self, include, exclude, self.timeout)
