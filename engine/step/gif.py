"""The backward pass as an animated GIF, for slides: one frame per step.

    Stepper(o).save_gif("backprop.gif")
    chainrule step 'tanh(x1*w1 + x2*w2 + b)' x1=2 w1=-3 x2=0 w2=1 b=6.8814 --gif backprop.gif

Frame k is the graph after step k, drawn by `Stepper.draw` (the same renderer as `draw_dot`):
the visited node highlighted, the gradients known so far shown, the others ``?``; under it the
step's narration with its numbers. Frames are rendered to PNG by Graphviz and assembled by
Pillow, an optional extra (``pip install 'chainrule[gif]'``), imported only here.

A GIF is for a short story: a pass of more than `MAX_GIF_STEPS` steps is refused (raise
``max_steps=`` to allow it; the HTML player, `Stepper.save_html`, suits long passes better).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

from engine.files import write_atomic

if TYPE_CHECKING:
    from engine.step.stepper import Stepper

__all__ = ["write_gif", "gif_frames", "GifTooLargeError", "MAX_GIF_STEPS", "NO_PILLOW"]

MAX_GIF_STEPS = 60
"""Most steps (frames) a GIF may have unless ``max_steps=`` says otherwise."""

NO_PILLOW = "writing a GIF needs Pillow: pip install 'chainrule[gif]' (or pip install Pillow)"

_FONTS = ("DejaVuSansMono.ttf", "LiberationMono-Regular.ttf", "Menlo.ttc", "consola.ttf")
_MARGIN = 12
_WHITE = (255, 255, 255)


class GifTooLargeError(ValueError):
    """The backward pass has more steps than a GIF may show."""


def _pillow():
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise ModuleNotFoundError(NO_PILLOW) from None
    return Image, ImageDraw, ImageFont


def _font(size: int):
    """A monospace font with the narration's symbols (∂, ², ₁), else Pillow's default."""
    _, _, ImageFont = _pillow()
    for name in _FONTS:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: a fixed-size bitmap font
        return ImageFont.load_default()


def _caption(graph, text: str, font):
    """`graph` (an RGB image) with `text` written under it on white."""
    Image, ImageDraw, _ = _pillow()
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    box = probe.multiline_textbbox((0, 0), text, font=font, spacing=4)
    width = max(graph.width, box[2] + 2 * _MARGIN)
    height = graph.height + box[3] + 2 * _MARGIN
    frame = Image.new("RGB", (width, height), _WHITE)
    frame.paste(graph, (0, 0))
    ImageDraw.Draw(frame).multiline_text(
        (_MARGIN, graph.height + _MARGIN), text, fill=(33, 37, 41), font=font, spacing=4
    )
    return frame


def gif_frames(
    stepper: Stepper, *, caption: bool = True, caption_size: int | None = None, **options
) -> list:
    """One RGB image (Pillow) per step: the graph after that step, and its narration.

    The caption's `caption_size` (pixels) defaults to the graph's width / 100 (at least 14), so
    it reads at the size the graph does. The Stepper ends where it started. `options` go to
    `Stepper.draw` (e.g. ``rankdir="TB"``, ``font_size=18``, ``digits=3``).
    """
    Image, _, _ = _pillow()
    start = stepper.position
    frames = []
    try:
        for position in range(1, stepper.total + 1):
            step = stepper.go_to(position)
            png = stepper.draw(**options).pipe(format="png")
            graph = Image.open(io.BytesIO(png)).convert("RGB")
            if caption:
                size = caption_size if caption_size is not None else max(14, graph.width // 100)
                graph = _caption(graph, str(step), _font(size))
            frames.append(graph)
    finally:
        stepper.go_to(start)
    return frames


def write_gif(
    stepper: Stepper,
    path: str | os.PathLike,
    *,
    duration: int = 1500,
    max_steps: int = MAX_GIF_STEPS,
    caption: bool = True,
    **options,
) -> Path:
    """Write the backward pass of `stepper` to `path` as an animated GIF; returns the path.

    One frame per step, `duration` milliseconds each (the last one three times as long), looping.
    Raises `GifTooLargeError` for more than `max_steps` steps, `ModuleNotFoundError` without
    Pillow, and the drawing errors of `draw_dot` (no Graphviz renderer). Written atomically.
    """
    if type(max_steps) is not int or max_steps < 1:
        raise ValueError(f"max_steps must be a positive int, got {max_steps!r}")
    if type(duration) is not int or duration < 20:
        raise ValueError(f"duration must be an int of at least 20 (milliseconds), got {duration!r}")
    if stepper.total > max_steps:
        raise GifTooLargeError(
            f"this backward pass has {stepper.total} steps, more than max_steps={max_steps}: a "
            f"GIF that long does not read on a slide. Use the HTML player (save_html, or "
            f"chainrule step --html), or pass max_steps={stepper.total}"
        )
    Image, _, _ = _pillow()
    frames = gif_frames(stepper, caption=caption, **options)
    width = max(f.width for f in frames)
    height = max(f.height for f in frames)
    padded = []
    for frame in frames:
        canvas = Image.new("RGB", (width, height), _WHITE)
        canvas.paste(frame, (0, 0))
        padded.append(canvas.convert("P", palette=Image.Palette.ADAPTIVE, colors=255))
    durations = [duration] * len(padded)
    durations[-1] = 3 * duration
    buffer = io.BytesIO()
    padded[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=padded[1:],
        duration=durations,
        loop=0,
        optimize=False,
    )
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    return write_atomic(target, buffer.getvalue())
