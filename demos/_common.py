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
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path
from typing import Callable, Iterable, Iterator

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
    "signed",
    "progress",
    "rule",
]

_warned = False
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
    """Render `fig` (PNG or SVG, by the suffix) into memory, then write it atomically."""
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in ("png", "svg"):
        raise ValueError(f"save_figure: the suffix must be .png or .svg, got {path.name!r}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi, metadata=_stable_metadata(fmt))
    return write_atomic(path, buffer.getvalue())


def _stable_metadata(fmt: str) -> dict:
    """No timestamps or version strings in the files, so reruns write identical bytes."""
    if fmt == "svg":
        return {"Date": None, "Creator": None}
    return {"Software": None}


def save_graph(root, path: str | os.PathLike[str], **options) -> Path | None:
    """Draw `root`'s computation graph with `engine.draw_dot` and save it (format by suffix).

    Returns the path, or None (with one printed line, and the DOT text written beside it) if it
    cannot be rendered here (no Graphviz renderer, graph too big).
    """
    from engine.draw import DrawError, draw_dot, save

    path = Path(path)
    graph = draw_dot(root, **options)
    try:
        return save(graph, path)
    except DrawError as exc:  # no renderer: the DOT text is still useful
        dot_path = save(graph, path.with_suffix(".dot"))
        print(f"could not render {path.name} ({exc}); wrote the DOT text to {dot_path.name}")
        return None


def save_graph_pictures(root, path: str | os.PathLike[str], **options) -> list[Path]:
    """`save_graph` as SVG, then the same drawing as PNG beside it (for a machine with no
    browser, or a slide). Returns the files written: both, the SVG alone if the renderer cannot
    write PNG (one printed line says so), or none without a renderer."""
    from engine.draw import DrawError, draw_dot

    svg = save_graph(root, path, **options)
    if svg is None:
        return []
    png_path = Path(path).with_suffix(".png")
    try:
        png = draw_dot(root, **options).pipe(format="png")
    except DrawError as exc:
        print(f"could not render {png_path.name} ({exc}); the SVG is there")
        return [svg]
    return [svg, write_atomic(png_path, png)]


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
