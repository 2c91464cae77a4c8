"""How a drawing looks: colours by kind, the legend, number formats, and label escaping.

Nothing here imports graphviz: these helpers build the text of labels, and `engine.draw.build`
hands that text to the graphviz package.

Escaping
--------
Value boxes, the legend and the notes are HTML-like labels (tables with coloured cells). Every
piece of user text that goes into one passes through `escape_label`, which turns ``& < > "`` into
entities, doubles backslashes (Graphviz would read ``\\N`` as the node name), turns newlines into
line breaks and control characters into a visible ``\\xNN``: a label is always shown as text and
can never end the label or inject DOT. Plain-string labels (op symbols, edge numbers, cluster
names) pass through `plain_label` and are then quoted by the graphviz package itself
(`graphviz.escape`), never by hand.
"""

from __future__ import annotations

from engine.core.numfmt import fmt
from engine.core.ops import OPS
from engine.core.value import Value

__all__ = [
    "COLOURS",
    "FONT",
    "NAME_FONT",
    "DEFAULT_FONT_SIZE",
    "MAX_LABEL_CHARS",
    "escape_label",
    "plain_label",
    "name_cell",
    "format_number",
    "op_text",
    "value_label",
    "legend_label",
    "notes",
]

FONT = "Courier"  # the monospace font whose metrics both renderers know, so boxes fit the text

NAME_FONT = "Helvetica"
"""The font of the name cell (``mul₁``, ``s₁⁽²⁾``): graphviz-pure's monospace (Cousine, for
Courier) has no subscript digits or superscript parentheses, and a PNG label with one missing
glyph falls back to a serif as a whole; its sans (Arimo, for Helvetica) has them, and so has every
browser's Helvetica substitute. Numbers stay monospace."""

DEFAULT_FONT_SIZE = 12.0
"""Point size of the text in value boxes; edge numbers and the legend are 2 pt smaller."""

COLOURS = {
    "parameter": "#ffd8a8",
    "input": "#d0ebff",
    "constant": "#e9ecef",
    "output": "#b2f2bb",
    "intermediate": "#ffffff",
    "op": "#f8f9fa",
    "active": "#e03131",
}
"""Fill colour of each kind of node (and the colour of the active node's border and edges)."""

_LEGEND_TEXT = {
    "parameter": "parameter",
    "input": "input",
    "constant": "constant",
    "output": "output",
    "intermediate": "intermediate",
}

MAX_LABEL_CHARS = 80
"""Labels longer than this are cut (with …) so one long name cannot swamp the drawing."""

_ARG_NAMES = {"alpha": "α", "beta": "β"}


# --------------------------------------------------------------------------------------------
# Escaping
# --------------------------------------------------------------------------------------------


def _html_table() -> dict[int, str]:
    table = {c: f"\\\\x{c:02x}" for c in range(32)}  # control characters: a visible \xNN
    table.update(
        {
            ord("&"): "&amp;",
            ord("<"): "&lt;",
            ord(">"): "&gt;",
            ord('"'): "&quot;",
            ord("\\"): "\\\\",  # Graphviz reads \N, \G, \L ... even in HTML labels
            ord("\n"): '<br align="left"/>',
            ord("\r"): "",
            ord("\t"): " ",
            0x7F: "\\\\x7f",
            0xFFFE: "\ufffd",
            0xFFFF: "\ufffd",  # not allowed in SVG (XML)
        }
    )
    return table


_HTML_ESCAPES = _html_table()
_PLAIN_ESCAPES = {c: f"\\x{c:02x}" for c in range(32)}  # graphviz.escape doubles the backslash
_PLAIN_ESCAPES.update(
    {
        ord("\n"): " ",
        ord("\r"): "",
        ord("\t"): " ",
        0x7F: "\\x7f",
        0xFFFE: "\ufffd",
        0xFFFF: "\ufffd",
    }
)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1] + "…"


def escape_label(text: str) -> str:
    """`text` as the content of a Graphviz HTML-like label: shown literally, never parsed.

    ``& < > "`` become entities, ``\\`` is doubled, a newline becomes a line break, other control
    characters become visible ``\\xNN``; text longer than `MAX_LABEL_CHARS` is cut with ``…``.
    """
    return _cut(text).translate(_HTML_ESCAPES)


def plain_label(text: str) -> str:
    """`text` for a plain-string label: cut to `MAX_LABEL_CHARS`, one line, control characters
    shown as ``\\xNN``. Quoting (and doubling backslashes) is left to `graphviz.escape`."""
    return _cut(text).translate(_PLAIN_ESCAPES)


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------


def format_number(x: float | Value, digits: int | None = None) -> str:
    """`x` as a drawing shows it: the engine's one number format (`engine.core.numfmt.fmt`, the one
    ``repr`` and the narration use), with `digits` significant digits (default: the print
    options, 4); trailing zeros dropped, scientific notation for tiny and huge numbers, never
    ``-0``. A Value (a ``.grad`` after ``backward(create_graph=True)`` is a graph) shows its
    number, ``.data``."""
    return fmt(x.data if isinstance(x, Value) else x, digits)


# --------------------------------------------------------------------------------------------
# Label text
# --------------------------------------------------------------------------------------------


def op_text(node: Value) -> str:
    """The op's symbol from the op table, with its constant argument: ``^2``, ``elu α=1``."""
    op = OPS.get(node.op)
    if op is None:
        return node.op
    if node.arg is None:
        return op.symbol
    arg = f"{node.arg:g}" if isinstance(node.arg, float) else str(node.arg)
    if len(op.symbol) == 1 and not op.symbol.isalnum():  # an operator symbol: x^2
        return f"{op.symbol}{arg}"
    name = _ARG_NAMES.get(op.arg_name or "", op.arg_name or "arg")
    return f"{op.symbol} {name}={arg}"


def _needs_name_font(text: str) -> bool:
    """Whether `text` has a character graphviz-pure's monospace lacks: the sub- and superscript
    block U+2070-U+209F (``₁``, ``⁽``; its ``²`` and ``∂`` are there)."""
    return any("\u2070" <= c <= "\u209f" for c in text)


def name_cell(name: str) -> str:
    """The name cell of a Value's box: ``<td>x1</td>``, or in `NAME_FONT` when the name has
    sub- or superscripts (``<td><font face="Helvetica">mul₁</font></td>``)."""
    text = escape_label(name)
    if _needs_name_font(name):
        text = f'<font face="{NAME_FONT}">{text}</font>'
    return f"<td>{text}</td>"


def value_label(
    data: str, grad: str | None, kind: str, active: bool, name: str, *, stacked: bool = False
) -> str:
    """The HTML-like label of a Value's box: name | data | grad (no name cell when empty);
    `stacked` puts the cells one under another, a box about a third as wide.

    `data` and `grad` are formatted numbers (grad ``?`` when not computed yet, None to hide it).
    """
    border = f' color="{COLOURS["active"]}" border="3"' if active else ' border="0"'
    cells = [name_cell(name)] if name else []
    cells.append(f"<td>data {escape_label(data)}</td>")
    if grad is not None:
        cells.append(f"<td>grad {escape_label(grad)}</td>")
    rows = "".join(f"<tr>{c}</tr>" for c in cells) if stacked else f"<tr>{''.join(cells)}</tr>"
    return (
        f'<<table{border} cellborder="1" cellspacing="0" cellpadding="4" '
        f'bgcolor="{COLOURS[kind]}">{rows}</table>>'
    )


def legend_label(kinds: set[str], note_lines: list[str]) -> str:
    """The legend box: one coloured row per kind present, then the notes."""
    rows = [
        f'<tr><td bgcolor="{COLOURS[k]}">  </td><td align="left">{escape_label(t)}</td></tr>'
        for k, t in _LEGEND_TEXT.items()
        if k in kinds
    ]
    rows += [f'<tr><td colspan="2" align="left">{escape_label(n)}</td></tr>' for n in note_lines]
    return (
        f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="3">{"".join(rows)}'
        f"</table>>"
    )


def notes(show_grad: bool, show_local: bool, grad_known: bool, highlight: bool) -> list[str]:
    """The lines that explain what is unusual about this drawing."""
    lines = []
    if not show_grad:
        lines.append("grads not shown: before backward() every grad is 0")
    if grad_known:
        lines.append("grad ?: not computed yet")
    if show_local:
        lines.append("edge numbers: local derivatives ∂v/∂x")
    if highlight:
        lines.append("red: the highlighted node and the edges into it")
    return lines
