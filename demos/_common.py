"""What every demo shares: its command line, its output folder, atomic files, plots and progress.

A demo module ``demos/<name>.py`` provides

    run(out, seed=0, quick=False) -> dict     # does the work, prints the story, returns the claims
    main(argv=None) -> int                     # the command line: --out, --seed, --quick

and ``main`` is always ``demo_main(<name>, run, argv, __doc__)``. The dict ``run`` returns holds
``ok`` (the demo's claim held), ``files`` (every picture written) and the numbers the tests check.

matplotlib is optional (the ``demos`` extra). Plots are drawn on a bare
`matplotlib.figure.Figure`, rendered by the Agg canvas: no pyplot, no window, no global backend
switch. Without matplotlib a demo prints one line saying so and writes only what needs no plot
(its SVG computation graphs).

Every picture is made for a slide (`engine.draw.slide`): shown fit to a 1280×720 screen, its
smallest text is at least 16 px high. A picture w×h shown fit is scaled by
s = min(1280 / w, 720 / h), so text of f points at d dpi ends up f · d/72 · s px; for a plot of
W×H inches that is f / 72 · min(1280 / W, 720 / H), whatever the dpi, and `save_figure` raises
every text to the f that makes it `SLIDE_TEXT_PX`. Graphs (`save_graph`) and network views
(`save_network`) use the slide preset: 18 pt (network views 20 pt), 3 significant digits, and
the layout, LR or TB, whose text reads biggest (`engine.draw.slide.slide_drawing`). Each PNG
records its smallest text, in its own pixels, in a ``tEXt`` chunk named `TEXT_PX_KEY`, so a
test can measure it (tests/slides.py).
"""

from __future__ import annotations

import argparse
import io
import os
import struct
import sys
import zlib
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from engine.core.numfmt import fmt
from engine.files import write_atomic

__all__ = [
    "NO_MATPLOTLIB",
    "build_parser",
    "demo_main",
    "prepare_out",
    "write_atomic",
    "figure",
    "plotting_available",
    "plot_training_curves",
    "save_figure",
    "save_graph",
    "save_graph_pictures",
    "save_network",
    "slide_graph",
    "readable",
    "GRAPH_RUNGS",
    "NETWORK_RUNGS",
    "slide_points",
    "tag_png",
    "SLIDE_TEXT_PX",
    "TEXT_PX_KEY",
    "signed",
    "progress",
    "rule",
]

_warned = False
SLIDE_TEXT_PX = 16.5
"""The smallest text of a demo's plot, in px on a 1280×720 screen: 16 and a margin for rounding."""
TEXT_PX_KEY = "chainrule:smallest-text-px"
"""The PNG ``tEXt`` key holding the picture's smallest text height, in the PNG's own pixels."""
SLIDE_SCREEN = (1280, 720)
NO_MATPLOTLIB = "matplotlib is not installed: skipping the plots (pip install 'chainrule[demos]')"


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def build_parser(name: str, description: str | None) -> argparse.ArgumentParser:
    """The options every demo takes: ``--out DIR``, ``--seed N``, ``--quick``."""
    parser = argparse.ArgumentParser(
        prog=f"python -m demos.{name}",
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("out") / name,
        help=f"folder for the pictures (default: out/{name}/)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--quick", action="store_true", help="a smaller, faster run (what the tests use)"
    )
    return parser


def demo_main(
    name: str, run: Callable[..., dict], argv: list[str] | None, description: str | None
) -> int:
    """Parse the options, run the demo, name the folder the pictures went to.

    Returns 0 when the demo's claim held, 1 when it did not (the story says which number failed).
    """
    args = build_parser(name, description).parse_args(argv)
    result = run(out=args.out, seed=args.seed, quick=args.quick)
    files = result.get("files", [])
    if files:
        print(f"\n{len(files)} picture(s) in {Path(args.out).resolve()}:")
        for path in files:
            print(f"  {Path(path).name}")
    if not result.get("ok", False):
        print(f"\n{name}: the demo's claim did NOT hold (see the numbers above)")
        return 1
    return 0


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def prepare_out(out: str | os.PathLike[str]) -> Path:
    """The output folder as a Path, created if needed; a clear error if a file is in the way."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"--out {str(path)!r} is a file, not a folder")
    path.mkdir(parents=True, exist_ok=True)
    return path


# --------------------------------------------------------------------------------------------
# Plots (matplotlib, optional) and graphs (engine.draw)
# --------------------------------------------------------------------------------------------


def plotting_available() -> bool:
    """True if matplotlib imports; else print `NO_MATPLOTLIB` (once per process) and say False."""
    global _warned
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError:
        if not _warned:  # one line per process, however many plots are skipped
            print(NO_MATPLOTLIB)
            _warned = True
        return False
    return True


def figure(*, figsize: tuple[float, float] = (6.4, 4.8)):
    """A new matplotlib Figure (Agg-rendered, no pyplot), or None if matplotlib is missing."""
    if not plotting_available():
        return None
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def plot_training_curves(
    history: dict,
    path: Path,
    *,
    loss_label: str,
    title: str,
    dpi: int,
    accuracy_title: str = "Accuracy",
    accuracy_floor: float = 0.0,
    chance: float | None = None,
    figsize: tuple[float, float] = (9.0, 3.8),
) -> Path | None:
    """Loss (log scale) and training accuracy per full-batch step, side by side, from a
    `nn.fit` history; None when matplotlib is missing. `chance` draws a dotted chance line (%)."""
    fig = figure(figsize=figsize)
    if fig is None:
        return None
    left, right = fig.subplots(1, 2)
    steps = [e + 1 for e in history["epoch"]]
    left.plot(steps, history["loss"], color="tab:purple")
    left.set_yscale("log")
    left.set_xlabel("step (full batch)")
    left.set_ylabel(loss_label)
    left.set_title("Loss")
    left.grid(True, which="both", alpha=0.3)
    right.plot(steps, [100 * a for a in history["accuracy"]], color="tab:green")
    if chance is not None:
        right.axhline(chance, color="0.6", linestyle="dotted", label=f"chance ({chance:.0f}%)")
        right.legend(fontsize=8, loc="lower right")
    right.set_ylim(accuracy_floor, 102)
    right.set_xlabel("step (full batch)")
    right.set_ylabel("training accuracy (%)")
    right.set_title(accuracy_title)
    right.grid(True, alpha=0.3)
    fig.suptitle(title, fontsize=11)
    return save_figure(fig, path, dpi=dpi)


def save_figure(fig, path: str | os.PathLike[str], *, dpi: int = 110) -> Path:
    """Render `fig` (PNG or SVG, by the suffix) into memory, then write it atomically.

    First every text is raised to `slide_points` (tick labels, legends, titles): shown fit to
    1280×720, nothing reads smaller than `SLIDE_TEXT_PX`. A PNG records its smallest text,
    f · dpi / 72 px, under `TEXT_PX_KEY`."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in ("png", "svg"):
        raise ValueError(f"save_figure: the suffix must be .png or .svg, got {path.name!r}")
    smallest_pt = _slide_fonts(fig)
    metadata = _stable_metadata(fmt)
    if fmt == "png":
        metadata[TEXT_PX_KEY] = f"{smallest_pt * dpi / 72:.2f}"
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata)
    return write_atomic(path, buffer.getvalue())


def slide_points(width_in: float, height_in: float) -> float:
    """The font size (points) whose text is `SLIDE_TEXT_PX` high when a `width_in`×`height_in`
    inch figure is shown fit to 1280×720: f = px · 72 / min(1280 / W, 720 / H)."""
    return SLIDE_TEXT_PX * 72 / min(SLIDE_SCREEN[0] / width_in, SLIDE_SCREEN[1] / height_in)


def _slide_fonts(fig) -> float:
    """Raise every text of `fig` to at least `slide_points` of its size; the smallest, in points.

    Tick labels are made at draw time, so their size is set on the axes (``tick_params``); the
    figure is then laid out once and its drawn texts measured."""
    from matplotlib.text import Text

    least = slide_points(*fig.get_size_inches())
    for ax in fig.axes:
        for axis, name in ((ax.xaxis, "x"), (ax.yaxis, "y")):
            for which in ("major", "minor"):
                labels = axis.get_ticklabels(which=which)
                size = max([least, *(t.get_fontsize() for t in labels)])
                ax.tick_params(axis=name, which=which, labelsize=size)
    for text in fig.findobj(Text):
        if text.get_fontsize() < least:
            text.set_fontsize(least)
    fig.draw_without_rendering()
    drawn = [
        t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()
    ]
    return min(drawn, default=least)


def _stable_metadata(fmt: str) -> dict:
    """No timestamps or version strings in the files, so reruns write identical bytes."""
    if fmt == "svg":
        return {"Date": None, "Creator": None}
    return {"Software": None}


GRAPH_RUNGS: tuple[dict[str, Any], ...] = (
    {},
    {"stacked": True},
    {"legend": False},
    {"stacked": True, "legend": False},
    {"compact": True, "legend": False},
    {"compact": True, "stacked": True, "legend": False},
)
"""`draw_dot` options tried in turn over the slide preset until a graph reads at 16 px: as it is;
each box's name, data and grad stacked (a box a third as wide); no colour legend (its notes go
under the graph); both; then no op ovals (each op written in its result's box), boxes in a row
or stacked."""
NETWORK_RUNGS: tuple[dict[str, Any], ...] = (
    {},
    {"font_size": 24.0, "digits": 2, "ranksep": 0.2},
    {"font_size": 32.0, "digits": 2, "ranksep": 0.2},
)
"""`nn.draw_network` options tried in turn over its slide preset: as it is, then bigger text
(the edge labels are 2 pt smaller, so they gain most), 2 significant digits and the columns
closer (a wide network whose numbers are long)."""


def readable(make: Callable[..., Any], rungs: tuple[dict[str, Any], ...], **preset: Any) -> Any:
    """The first drawing ``make(rankdir=..., **preset, **rung)`` over `rungs` whose best layout
    (LR or TB, `engine.draw.slide.best_layout`) reads at ``MIN_TEXT_PX`` or more fit to 1280×720;
    if none does, the one that reads biggest (each try renders an SVG to measure it)."""
    from engine.draw import render_bytes
    from engine.draw.slide import MIN_TEXT_PX, best_layout, smallest_text_px

    def laid_out(options: dict[str, Any]) -> Any:
        return best_layout(lambda rankdir: make(rankdir=rankdir, **options))[1]

    best, best_px = None, -1.0
    for rung in rungs:
        drawing = laid_out({**preset, **rung})
        px = smallest_text_px(render_bytes(drawing, "svg"))
        if px >= MIN_TEXT_PX:
            return drawing
        if px > best_px:
            best, best_px = drawing, px
    return best


def slide_graph(root, **options):
    """`engine.draw_dot` of `root` for a slide: the slide preset (18 pt, 3 digits) unless
    `options` say otherwise, in the layout and `GRAPH_RUNGS` step that read at 16 px
    (`readable`); a given ``rankdir`` is kept as it is."""
    from engine.draw import draw_dot
    from engine.draw.slide import SLIDE_DIGITS, SLIDE_FONT_SIZE

    options = {"font_size": SLIDE_FONT_SIZE, "digits": SLIDE_DIGITS, **options}
    if "rankdir" in options:
        return draw_dot(root, **options)
    return readable(lambda **o: draw_dot(root, **o), GRAPH_RUNGS, **options)


def save_graph(root, path: str | os.PathLike[str], **options) -> Path | None:
    """Draw `root`'s computation graph for a slide (`slide_graph`) and save it (format by
    suffix; a PNG records its smallest text, `tag_png`).

    Returns the path, or None (with one printed line, and the DOT text written beside it) if it
    cannot be rendered here (no Graphviz renderer, graph too big).
    """
    from engine.draw import DrawError

    return _save_drawing(lambda: slide_graph(root, **options), Path(path), (DrawError,))


def save_graph_pictures(root, path: str | os.PathLike[str], **options) -> list[Path]:
    """`save_graph` as SVG, then the same drawing as PNG beside it (for a machine with no
    browser, or a slide). Returns the files written: both, the SVG alone if the renderer cannot
    write PNG (one printed line says so), or none without a renderer."""
    from engine.draw import DrawError, render_bytes

    path = Path(path)
    graph = slide_graph(root, **options)
    svg = _save_drawing(lambda: graph, path, (DrawError,))
    if svg is None:
        return []
    png_path = path.with_suffix(".png")
    try:
        png = tag_png(render_bytes(graph, "png"), svg.read_bytes())
    except DrawError as exc:
        print(f"could not render {png_path.name} ({exc}); the SVG is there")
        return [svg]
    return [svg, write_atomic(png_path, png)]


def save_network(model, path: str | os.PathLike[str], **options) -> Path | None:
    """The network view (`nn.draw_network(model, **options)`) for a slide: `nn`'s slide preset
    (``SLIDE_VIEW``: 20 pt, 3 digits, weights in the tooltips) unless `options` say otherwise, in
    the layout and `NETWORK_RUNGS` step that read at 16 px (`readable`); saved by suffix like
    `save_graph`."""
    from nn import draw_network
    from nn.teaching.network_view import SLIDE_VIEW

    options = {**SLIDE_VIEW, **options}

    def make():
        if "rankdir" in options:
            return draw_network(model, **options)
        return readable(lambda **o: draw_network(model, **o), NETWORK_RUNGS, **options)

    return _save_drawing(make, Path(path), (Exception,))


def _save_drawing(
    make: Callable[[], Any], path: Path, errors: tuple[type[BaseException], ...]
) -> Path | None:
    """Write ``make()`` rendered by suffix (a PNG tagged with its smallest text); on `errors`
    (no renderer) print one line and write the DOT text beside it instead."""
    from engine.draw import render_bytes

    fmt = path.suffix.lstrip(".").lower()
    graph = None
    try:
        graph = make()
        if fmt == "dot":
            return write_atomic(path, graph.source.encode("utf-8"))
        data = render_bytes(graph, fmt)
        if fmt == "png":
            data = tag_png(data, render_bytes(graph, "svg"))
    except errors as exc:  # no renderer: the DOT text is still useful
        if graph is None:
            raise
        dot_path = write_atomic(path.with_suffix(".dot"), graph.source.encode("utf-8"))
        print(f"could not render {path.name} ({exc}); wrote the DOT text to {dot_path.name}")
        return None
    return write_atomic(path, data)


def tag_png(png: bytes, svg: bytes) -> bytes:
    """`png` with a ``tEXt`` chunk `TEXT_PX_KEY` = its smallest text in its own pixels, read from
    `svg`, the same drawing: min(font-size) · (PNG width / viewBox width)."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)
    box_width = float(root.get("viewBox", "0 0 1 1").split()[2])
    fonts = [
        float(el.get("font-size", "0"))
        for el in root.iter()
        if el.tag.endswith("text") and (el.text or "").strip()
    ]
    if not fonts or box_width <= 0 or png[12:16] != b"IHDR":
        raise ValueError("tag_png: expected a PNG and an SVG with text")
    width = struct.unpack(">I", png[16:20])[0]
    value = f"{min(fonts) * width / box_width:.2f}"
    body = b"tEXt" + TEXT_PX_KEY.encode("latin-1") + b"\0" + value.encode("latin-1")
    chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
    end = png.rindex(b"IEND") - 4  # the IEND chunk: length, type, CRC
    return png[:end] + chunk + png[end:]


# --------------------------------------------------------------------------------------------
# Narration helpers
# --------------------------------------------------------------------------------------------


def signed(x: float, digits: int = 4) -> str:
    """`x` with a sign and `digits` significant digits, ``+0.5``, ``-1.5``; zero is ``0``, never
    ``-0.0000`` (`engine.core.numfmt.fmt`)."""
    return fmt(x, digits, plus=True)


def rule(title: str) -> None:
    """Print a section heading of the story."""
    print(f"\n== {title} ==")


def progress(iterable: Iterable, *, total: int, desc: str, every: int = 10) -> Iterator:
    """A tqdm progress bar when tqdm is installed and stdout is a terminal; else the bare iterable
    (the demo prints its own lines every so often)."""
    if sys.stdout.isatty():
        try:
            from tqdm import tqdm
        except ImportError:
            pass
        else:
            return iter(tqdm(iterable, total=total, desc=desc, leave=True, dynamic_ncols=True))
    return iter(iterable)
