"""Which Graphviz renderer draws, and what each one can write.

Two renderers are known: ``graphviz-pure`` (a Rust port of Graphviz that ``pip install chainrule``
brings along) and the system Graphviz ``dot`` (``apt-get install graphviz``, ``brew install
graphviz``). graphviz-pure is preferred: it was faster on every computation graph measured
(``tests/benchmark_draw.py``, 1.5x-5x), and it is there after ``pip install`` alone (the network
view's port-heavy tables are the exception: see `prefer_system_dot`). It writes svg, png and
jpg; the system ``dot`` writes more (pdf, gif, ps, eps, webp, ...).

Choosing: ``renderer=`` (of `draw_dot`, `save`, ...) or else the environment variable
``CHAINRULE_RENDERER``: ``"graphviz-pure"``, ``"dot"``, a path to either executable, or
``"auto"`` (the default): the first of graphviz-pure, dot that is installed and can write the
format asked for. Executables are looked up in this interpreter's scripts folder first (where pip
puts graphviz-pure; a notebook kernel's venv is often not on PATH), then on PATH.

Nothing is looked up at import time: a missing renderer is reported when something is rendered,
in one `RendererNotFoundError` that names both fixes.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import threading
from pathlib import Path
from typing import Iterator

from engine.draw.errors import FormatNotSupportedError, RendererNotFoundError

__all__ = [
    "RENDERERS",
    "ENV_VAR",
    "KNOWN_FORMATS",
    "PICTURE_FORMATS",
    "find_renderer",
    "find_renderers",
    "renderer_formats",
    "choose_renderer",
    "prefer_system_dot",
    "configure_graphviz",
    "graphviz_binary",
]

RENDERERS = ("graphviz-pure", "dot")
"""Renderer executables in order of preference (graphviz-pure measured faster)."""

ENV_VAR = "CHAINRULE_RENDERER"

PICTURE_FORMATS = ("svg", "png", "jpg", "jpeg", "pdf", "gif", "webp", "ps", "eps", "svgz")
"""Formats chainrule offers to write as files, where the renderer supports them."""

KNOWN_FORMATS = {
    "graphviz-pure": frozenset({"svg", "png", "jpg", "jpeg"}),
    "dot": frozenset({"svg", "png", "jpg", "jpeg", "pdf", "gif", "webp", "ps", "eps", "svgz"}),
}
"""The picture formats each renderer writes (graphviz-pure 0.2, Debian's Graphviz 2.43); used
for help texts and error messages. What an installed renderer can do is asked of it
(`renderer_formats`)."""

INSTALL_HINT = {
    "graphviz-pure": "pip install graphviz-pure",
    "dot": "apt-get install graphviz, or brew install graphviz",
}

_FORMAT_LIST = re.compile(r"Use one of:\s*(.*)")
_lock = threading.RLock()
_formats_cache: dict[tuple[str, float], frozenset[str]] = {}


def _no_renderer_message() -> str:
    return (
        "no Graphviz renderer found to draw this graph: run `pip install graphviz-pure` "
        "(or `apt-get install graphviz` for the system `dot`); `.source` still works and "
        "gives the DOT text"
    )


# --------------------------------------------------------------------------------------------
# Finding executables
# --------------------------------------------------------------------------------------------


def _script_dirs() -> list[Path]:
    """Where pip puts this interpreter's executables (graphviz-pure lands here)."""
    dirs: list[Path] = []
    for d in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        if d and Path(d) not in dirs:
            dirs.append(Path(d))
    return dirs


def _which(name: str) -> Path | None:
    """`name` in this interpreter's scripts folder, else on PATH; None when absent."""
    for folder in _script_dirs():
        found = shutil.which(name, path=str(folder))
        if found:
            return Path(found)
    found = shutil.which(name)
    return Path(found) if found else None


def find_renderers() -> list[Path]:
    """Every installed renderer executable, preferred first: graphviz-pure, then the system dot."""
    return [path for path in map(_which, RENDERERS) if path is not None]


def find_renderer(renderer: str | os.PathLike[str] | None = None) -> Path:
    """The renderer executable `renderer` names (None: ``CHAINRULE_RENDERER``, else auto: the
    first installed of `RENDERERS`). Raises `RendererNotFoundError` when there is none."""
    return choose_renderer(renderer, None)


def _requested(renderer: str | os.PathLike[str] | None) -> tuple[str, str]:
    """(the request, where it came from): "auto", a renderer name or a path."""
    if renderer is not None:
        return os.fspath(renderer), "renderer="
    env = os.environ.get(ENV_VAR, "").strip()
    return (env, ENV_VAR) if env else ("auto", "")


def _resolve(request: str, source: str) -> Path:
    """An explicit renderer: a path to an executable, or a name looked up like the defaults."""
    where = f" ({source}{request!r})" if source == "renderer=" else f" ({source}={request!r})"
    path = Path(request)
    if path.parent != Path(".") or path.is_file():
        if not path.is_file():
            raise RendererNotFoundError(f"the renderer {request!r} does not exist{where}")
        if not os.access(path, os.X_OK):
            raise RendererNotFoundError(f"the renderer {request!r} is not executable{where}")
        return path
    found = _which(request)
    if found is None:
        hint = INSTALL_HINT.get(request)
        how = (
            f"install it ({hint})"
            if hint
            else f"use {', '.join(RENDERERS)}, auto, or a path to an executable"
        )
        raise RendererNotFoundError(
            f"the renderer {request!r} is not installed{where}: it is neither on PATH nor in "
            f"{', '.join(map(str, _script_dirs()))}; {how}"
        )
    return found


def _kind(path: Path) -> str:
    """ "graphviz-pure", "dot" or the file name, for messages and the static format table."""
    name = path.name.lower()
    return (
        "graphviz-pure" if "graphviz-pure" in name else ("dot" if name.startswith("dot") else name)
    )


# --------------------------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------------------------


def renderer_formats(path: Path) -> frozenset[str]:
    """The output formats the renderer at `path` reports (``-T?``), cached per executable.

    A renderer that does not answer is assumed to write what `KNOWN_FORMATS` lists for its kind
    (just svg for an unknown executable).
    """
    try:
        key = (str(path), path.stat().st_mtime)
    except OSError:
        key = (str(path), 0.0)
    with _lock:
        if key in _formats_cache:
            return _formats_cache[key]
    formats: frozenset[str] | None = None
    try:
        done = subprocess.run(
            [str(path), "-T?"], capture_output=True, timeout=10, stdin=subprocess.DEVNULL
        )
        match = _FORMAT_LIST.search(done.stderr.decode("utf-8", "replace"))
        if match:
            formats = frozenset(f.split(":")[0] for f in match.group(1).split())
    except (OSError, subprocess.SubprocessError):
        pass
    if not formats:
        formats = KNOWN_FORMATS.get(_kind(path), frozenset({"svg"}))
    with _lock:
        _formats_cache[key] = formats
    return formats


def _listing(formats: frozenset[str] | tuple[str, ...]) -> str:
    return ", ".join(f for f in PICTURE_FORMATS if f in formats) or "nothing chainrule offers"


def _unsupported(fmt: str, tried: list[Path]) -> FormatNotSupportedError:
    """The error for a format no usable renderer writes, naming a renderer that would."""
    if len(tried) == 1:
        head = (
            f"{tried[0].name} cannot write {fmt} (it writes {_listing(renderer_formats(tried[0]))})"
        )
    else:
        head = f"none of the renderers here ({', '.join(p.name for p in tried)}) can write {fmt}"
    kinds = {_kind(p) for p in tried}
    others = [name for name, known in KNOWN_FORMATS.items() if fmt in known and name not in kinds]
    if others:
        name = others[0]
        found = _which(name)
        if found is not None:
            fix = (
                f"{name} can ({found}): choose it with renderer={name!r} "
                f"(chainrule draw --renderer {name}, or {ENV_VAR}={name})"
            )
        else:
            fix = f"{name} can: {INSTALL_HINT[name]}"
    else:
        fix = "write .svg or .png instead"
    return FormatNotSupportedError(f"{head}; {fix}; .dot needs no renderer")


def choose_renderer(
    renderer: str | os.PathLike[str] | None = None, fmt: str | None = "svg"
) -> Path:
    """The executable that renders `fmt` (None: any format).

    `renderer` (else ``CHAINRULE_RENDERER``) names it; "auto" or nothing picks the first
    installed of `RENDERERS` that writes `fmt`. Raises `RendererNotFoundError` when none is
    installed (naming both fixes) and `FormatNotSupportedError` when none writes `fmt`.
    """
    request, source = _requested(renderer)
    if request.lower() != "auto":
        path = _resolve(request, source)
        if fmt is not None and fmt not in renderer_formats(path):
            raise _unsupported(fmt, [path])
        return path
    found = find_renderers()
    if not found:
        raise RendererNotFoundError(_no_renderer_message())
    if fmt is None:
        return found[0]
    for path in found:
        if fmt in renderer_formats(path):
            return path
    raise _unsupported(fmt, found)


def auto_candidates(fmt: str) -> list[Path]:
    """In auto mode, every installed renderer that writes `fmt`, preferred first (a renderer
    that fails is followed by the next)."""
    return [path for path in find_renderers() if fmt in renderer_formats(path)]


def is_auto(renderer: str | os.PathLike[str] | None) -> bool:
    return _requested(renderer)[0].lower() == "auto"


def prefer_system_dot() -> str | None:
    """The renderer for a graph whose edges attach to ports of large HTML tables (the network
    view, `nn.draw_network`): "dot" when the choice is automatic (no ``CHAINRULE_RENDERER``, or
    "auto") and the system dot is installed, else None (the usual choice). On such graphs
    graphviz-pure measured 2x-25x slower than dot (MLP(2, [32, 32, 1]): 11.4 s against 0.46 s)."""
    if not is_auto(None):
        return None
    return "dot" if any(_kind(path) == "dot" for path in find_renderers()) else None


# --------------------------------------------------------------------------------------------
# The graphviz package's executable
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def graphviz_binary(path: Path) -> Iterator[None]:
    """Within the block, the graphviz package runs `path` (``dot_command.DOT_BINARY``); the old
    value comes back afterwards. A lock keeps threads from swapping it under each other."""
    from graphviz.backend import dot_command

    with _lock:
        previous = dot_command.DOT_BINARY
        dot_command.DOT_BINARY = path
        try:
            yield
        finally:
            dot_command.DOT_BINARY = previous


def configure_graphviz(renderer: str | os.PathLike[str] | None = None) -> Path:
    """Point the graphviz package at chainrule's renderer for good, and return its path.

    For `graphviz.Digraph` objects made elsewhere (drawings from `draw_dot` choose their renderer
    on every call anyway): afterwards their ``pipe``, ``render``, ``view`` and notebook display
    work with graphviz-pure where there is no system ``dot``. ``graphviz.version()`` cannot parse
    graphviz-pure's version line; everything else works.
    """
    from graphviz.backend import dot_command

    path = choose_renderer(renderer, None)
    with _lock:
        dot_command.DOT_BINARY = path
    return path
