"""Draw a computation graph: `draw_dot` returns a `graphviz.Digraph`.

    from engine import Value, draw_dot
    from engine.draw import save
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = (a * b + 1).tanh(); c.label = "c"
    c.backward()
    g = draw_dot(c, show_local=True)   # a graphviz.Digraph (an engine.draw.Drawing)
    g.source                           # the DOT text; needs no renderer
    save(g, "c.svg")                   # or .png, .jpg, .dot: by the suffix, atomically, timed out
    g.render(outfile="c.png")          # the graphviz package's own render, pipe, view ...
    g                                  # in a notebook: the SVG

What a drawing shows
--------------------
Every Value is a box ``name | data 2.0000 | grad -0.7864`` in a monospace font; unlabelled nodes
are named as the narration names them (``mul₁``, `engine.core.names.node_names`). Every operation
is an
oval between its inputs and its result, showing the op's symbol from the op table (``×``,
``tanh``, ``^2``, ``leaky_relu α=0.01``). Edges go input -> op -> result, one per use of an input.

Colour legend (also drawn as a small legend node; ``legend=False`` hides it):

* orange  ``#ffd8a8``  parameters: leaves that are `engine.Parameter`, or listed in ``params=``
* blue    ``#d0ebff``  inputs: other leaves that have a label
* grey    ``#e9ecef``  constants: unlabelled leaves (numbers written into the expression)
* green   ``#b2f2bb``  the output (the root you drew)
* white                intermediate results
* red border / red edges: the node(s) of ``highlight=`` and the edges into them

Options: ``show_local=True`` writes on each edge ``x -> op`` the local derivative ∂out/∂x;
``show_grad=False`` hides gradients and says why; ``grad_known=`` shows ``grad ?`` on every node
outside the given collection (the stepper draws a backward pass frame by frame with it);
``modules=`` groups the nodes each `nn` module made into one cluster per module; ``font_size=``
and ``digits=`` (significant digits) make slides readable.

Modules: `build` (draw_dot), `drawing` (the Digraph subclass), `style` (colours, legend, numbers,
escaping), `clusters` (module clusters), `size` (the layout-size estimate and limit),
`renderers` (graphviz-pure or dot, formats), `render` (timeouts, save), `slide` (the 1280×720
slide preset: the layout whose text reads biggest), `errors`.

Importing this package imports neither graphviz nor any renderer: names load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_NAMES = {
    "draw_dot": "build",
    "Drawing": "drawing",
    "RendererFailedError": "drawing",
    "save": "render",
    "render_bytes": "render",
    "format_of": "render",
    "DEFAULT_TIMEOUT": "render",
    "DEFAULT_MAX_NODES": "size",
    "LAYOUT_POINTS_PER_NODE": "size",
    "layout_size": "size",
    "COLOURS": "style",
    "FONT": "style",
    "NAME_FONT": "style",
    "DEFAULT_FONT_SIZE": "style",
    "MAX_LABEL_CHARS": "style",
    "escape_label": "style",
    "format_number": "style",
    "RENDERERS": "renderers",
    "ENV_VAR": "renderers",
    "PICTURE_FORMATS": "renderers",
    "KNOWN_FORMATS": "renderers",
    "find_renderer": "renderers",
    "find_renderers": "renderers",
    "renderer_formats": "renderers",
    "choose_renderer": "renderers",
    "configure_graphviz": "renderers",
    "DrawError": "errors",
    "RendererNotFoundError": "errors",
    "RenderError": "errors",
    "FormatNotSupportedError": "errors",
    "GraphTooLargeError": "errors",
    "write_atomic": "render",
    "slide_drawing": "slide",
    "best_layout": "slide",
    "smallest_text_px": "slide",
    "SLIDE": "slide",
    "SLIDE_FONT_SIZE": "slide",
    "SLIDE_DIGITS": "slide",
}

__all__ = list(_NAMES)


def __getattr__(name: str) -> Any:
    """Load the module that holds `name` on first use (graphviz only with the drawing itself)."""
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'engine.draw' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"engine.draw.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_NAMES))
