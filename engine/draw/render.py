"""Rendering with a timeout, and writing a drawing to a file chosen by its suffix.

The graphviz package's own ``pipe``/``render`` have no timeout (graphviz 0.21). chainrule's
helpers run the renderer themselves, with the same command line, and stop it after ``timeout``
seconds:

    from engine.draw import draw_dot, save, render_bytes
    save(draw_dot(y), "y.svg")         # .svg .png .jpg (.pdf ... with the system dot), or .dot
    svg = render_bytes(draw_dot(y))    # the bytes, like g.pipe() but with a timeout

Files are written atomically (`engine.files.write_atomic`): on any error nothing is written and
an existing file is left as it was.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

from engine.draw.errors import DrawError, FormatNotSupportedError, RenderError
from engine.draw.renderers import (
    PICTURE_FORMATS,
    auto_candidates,
    choose_renderer,
    is_auto,
)
from engine.files import write_atomic

__all__ = [
    "DEFAULT_TIMEOUT",
    "SOURCE_SUFFIXES",
    "render_bytes",
    "save",
    "format_of",
    "write_atomic",
]

DEFAULT_TIMEOUT = 20.0
"""Seconds a renderer may run before it is stopped. Graphs under the size limit take a few
seconds at most (`engine.draw.size`); this is the safety net."""

SOURCE_SUFFIXES = (".dot", ".gv")
"""Suffixes that get the DOT text itself: no renderer, no size limit."""


def format_of(path: str | os.PathLike[str]) -> str:
    """The format a file name asks for: "dot" for the DOT text, else a picture format.

    Raises `FormatNotSupportedError` (a ValueError) for a suffix chainrule does not write.
    """
    suffix = Path(path).suffix.lower()
    if suffix in SOURCE_SUFFIXES:
        return "dot"
    if suffix[1:] in PICTURE_FORMATS:
        return suffix[1:]
    offered = ", ".join("." + f for f in PICTURE_FORMATS)
    raise FormatNotSupportedError(
        f"cannot tell what to write to {os.fspath(path)!r} from its suffix: use .dot or .gv "
        f"(the DOT text) or a picture format ({offered}, as far as the renderer writes it)"
    )


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else "no error message"


def _run(path: Path, fmt: str, engine: str, source: bytes, timeout: float) -> bytes:
    try:
        done = subprocess.run(
            [str(path), f"-K{engine}", f"-T{fmt}", "-q"],
            input=source,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"{path.name} did not finish laying out the graph within {timeout:g} s and was "
            f"stopped; save it as .dot instead, or pass a larger timeout"
        ) from None
    except OSError as exc:
        raise RenderError(f"cannot run {path}: {exc.strerror or exc}") from None
    if done.returncode != 0 or not done.stdout:
        message = _first_line(done.stderr.decode("utf-8", "replace"))
        raise RenderError(f"{path.name} -T{fmt} failed (exit status {done.returncode}): {message}")
    return done.stdout


def _positive(timeout: object, where: str) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"{where}(timeout=) must be a positive number of seconds, got {timeout!r}")
    return float(timeout)


def render_bytes(
    graph: Any,
    format: str = "svg",
    *,
    renderer: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
) -> bytes:
    """`graph` rendered to `format` (like ``graph.pipe(format)``), stopped after `timeout` s.

    `graph` is a drawing from `draw_dot` (its size limit is checked first, its renderer and
    timeout are the defaults) or any graphviz object with ``.source``. Raises
    `GraphTooLargeError` before running anything, `RendererNotFoundError` when no renderer is
    installed, `FormatNotSupportedError` when none writes `format`, and `RenderError` when the
    renderer fails or runs out of time.
    """
    if not isinstance(format, str) or format not in PICTURE_FORMATS:
        raise FormatNotSupportedError(
            f"render_bytes(format=) must be one of {', '.join(PICTURE_FORMATS)}, got {format!r}"
        )
    check = getattr(graph, "check_size", None)
    if callable(check):
        check()
    if renderer is None:
        renderer = getattr(graph, "layout_renderer", None)
    if timeout is None:
        timeout = getattr(graph, "timeout", None) or DEFAULT_TIMEOUT
    limit = _positive(timeout, "render_bytes")
    engine = getattr(graph, "engine", None) or "dot"
    source = graph.source.encode("utf-8", "replace")
    first = choose_renderer(renderer, format)  # raises the clear errors when there is none
    paths = auto_candidates(format) if is_auto(renderer) else [first]
    failure: RenderError | None = None
    for path in paths:
        try:
            return _run(path, format, engine, source, limit)
        except RenderError as exc:
            if "did not finish" in str(exc):  # a timeout: another renderer won't be faster
                raise
            failure = exc
    assert failure is not None
    raise failure


def save(
    graph: Any,
    path: str | os.PathLike[str],
    *,
    renderer: str | os.PathLike[str] | None = None,
    timeout: float | None = None,
) -> Path:
    """Write `graph` to `path`, atomically, in the format its suffix names; returns the Path.

    ``.dot``/``.gv``: the DOT text (no renderer, no size limit). ``.svg``, ``.png``, ``.jpg``
    (graphviz-pure or dot) and ``.pdf``, ``.gif``, ``.ps``, ``.eps``, ``.webp``, ``.svgz`` (the
    system dot): rendered by `render_bytes`. Missing parent folders are created. On any error
    nothing is written.
    """
    target = Path(path)
    fmt = format_of(target)
    if target.is_dir():
        raise IsADirectoryError(f"cannot write {str(target)!r}: it is a folder")
    if fmt == "dot":
        data = graph.source.encode("utf-8", "replace")
    else:
        data = render_bytes(graph, fmt, renderer=renderer, timeout=timeout)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, data)
    return target


def display_bundle(graph: Any, include: Any, exclude: Any, timeout: float) -> dict[str, Any]:
    """What a notebook shows for `graph`: the picture types asked for (default SVG; IPython adds
    ``text/plain`` from repr itself), each rendered with a timeout. When rendering fails: the
    one-line reason as ``text/plain`` instead, never a traceback and never a long wait."""
    excluded = set(exclude or ())
    wanted = (set(include) if include is not None else {"image/svg+xml"}) - excluded
    bundle: dict[str, Any] = {}
    pictures = [("image/svg+xml", "svg"), ("image/png", "png"), ("image/jpeg", "jpeg")]
    try:
        for mimetype, fmt in pictures:
            if mimetype in wanted:
                data = render_bytes(graph, fmt, timeout=timeout)
                bundle[mimetype] = data.decode("utf-8", "replace") if fmt == "svg" else data
    except DrawError as exc:
        return {} if "text/plain" in excluded else {"text/plain": str(exc)}
    if "text/plain" in wanted:
        bundle["text/plain"] = repr(graph)
    return bundle
