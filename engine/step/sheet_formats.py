"""An exercise sheet and its answer key as Markdown (LaTeX maths), LaTeX and printable HTML.

    from engine.step.sheet_formats import write_sheet
    write_sheet(sheet, "sheet/")   # sheet.md sheet.tex sheet.html key.md key.tex key.html key.json

Every format is made from the same segments (`engine.step.exercise_sheet.Segment`): words, and
maths written in Unicode (``∂out/∂mul₁ = 2``), which `tex_math` turns into LaTeX
(``\\partial \\mathrm{out}/\\partial \\mathrm{mul}_{1} = 2``). The .tex files are plain ASCII (any
LaTeX compiles them); the HTML pages need nothing from the network and print on A4 or Letter.
The key gives each answer with the engine's number, the digits it needs when a known mistake is
near, and (in key.md, key.html and key.json) the mistakes that grading names.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from engine.core.numfmt import fmt
from engine.files import write_atomic
from engine.step.exercise_sheet import Segment, Sheet, SheetQuestion, plain
from engine.step.latex import latex_name, latex_number

__all__ = [
    "to_markdown",
    "to_latex",
    "to_html",
    "write_sheet",
    "tex_math",
    "tex_text",
    "prompt_text",
    "FILES",
]

FILES = {
    "sheet.md": "the sheet, Markdown with $LaTeX$ maths",
    "sheet.tex": "the sheet, a LaTeX document",
    "sheet.html": "the sheet, a printable HTML page",
    "key.md": "the answer key, Markdown",
    "key.tex": "the answer key, a LaTeX document",
    "key.html": "the answer key, a printable HTML page",
    "key.json": "the answer key for `chainrule grade`",
}
"""The files `write_sheet` writes, and what each holds."""

KEY_DIGITS = 6
"""Significant digits of the answers in the key (more when the question needs more)."""

_TOKEN = re.compile(
    r"(?P<name>[A-Za-zσδ]+[₀-₉]*)|(?P<number>\d+(?:\.\d+)?(?:e[+-]?\d+)?)|(?P<other>.)", re.S
)
_FUNCTIONS = {
    "tanh": r"\tanh",
    "max": r"\max",
    "exp": r"\exp",
    "log": r"\log",
    "sigmoid": r"\sigma",
    "relu": r"\operatorname{relu}",
    "σ": r"\sigma",
    "δ": r"\delta",
}
_SYMBOLS = {
    "·": r" \cdot ",
    "*": r" \cdot ",
    "∂": r"\partial ",
    "−": "-",
    "²": "^{2}",
    "½": r"\tfrac{1}{2}",
    "′": "'",
    "←": r" \leftarrow ",
}
_INSTRUCTIONS = (
    "Answer each question with one number: a decimal (-1.5 or -1,5), a number like 2e-3, or a "
    "fraction like 3/4. Within 1% is right, unless the question asks for more digits. Hand in a "
    "file with one line per question, its id and your answer: a CSV file (id,answer or, with "
    'decimal commas, id;answer) or a JSON file ({"1a": "-1,5"}), named after you.'
)


def tex_math(text: str) -> str:
    """Unicode maths as LaTeX: names via `engine.step.latex.latex_name` (``mul₁`` ->
    ``\\mathrm{mul}_{1}``), ``∂`` ``·`` ``²`` ``½`` ``σ`` as LaTeX commands, numbers as
    `latex_number` writes them. The result is ASCII."""
    parts = []
    for match in _TOKEN.finditer(text):
        name, number, other = match.group("name", "number", "other")
        if name is not None:
            parts.append(_FUNCTIONS.get(name) or latex_name(name))
        elif number is not None:
            parts.append(latex_number(float(number), number))
        else:
            parts.append(_SYMBOLS.get(other, other))
    return "".join(parts)


def _answer_text(q: SheetQuestion) -> str:
    """The key's number: `KEY_DIGITS` significant digits, or more when the question needs them."""
    digits = q.digits
    return fmt(q.value, max(KEY_DIGITS, (digits or 0) + 1))


def _need(q: SheetQuestion) -> str:
    digits = q.digits
    return "" if digits is None else f" (give at least {digits} significant digits)"


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------


def _md(segments: list[Segment]) -> str:
    return "".join(f"${tex_math(t)}$" if kind == "math" else t for kind, t in segments)


def to_markdown(sheet: Sheet, key: bool = False) -> str:
    """The sheet (or with ``key=True`` its answer key) as Markdown with ``$...$`` maths."""
    title = "Answer key" if key else "Backpropagation exercises"
    lines = [f"# {title} (sheet seed {sheet.seed})", ""]
    if not key:
        lines += [_INSTRUCTIONS, "", "Name: ____________________", ""]
    for ex in sheet.exercises:
        lines += [f"## {ex.title}", ""]
        lines += [_md(line) + "  " for line in ex.setup]
        lines.append("")
        for q in ex.questions:
            lines.append(f"**{q.id}.** {_md(q.prompt)}{_need(q)}")
            lines.append("")
            if key:
                lines += _markdown_answer(q)
    return "\n".join(lines).rstrip() + "\n"


def _markdown_answer(q: SheetQuestion) -> list[str]:
    lines = [f"Answer: **{_answer_text(q)}**", ""]
    if q.mistakes:
        lines.append("Known mistakes, never marked right:")
        lines += [f"- {fmt(number)}: {text}" for text, number in q.mistakes.items()]
        lines.append("")
    return lines


# --------------------------------------------------------------------------------------------
# LaTeX
# --------------------------------------------------------------------------------------------


_TEXT_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    '"': "''",
}


def tex_text(text: str) -> str:
    """Words for LaTeX's text mode: its special characters escaped, anything not ASCII (a
    subscript, a ∂) written as maths by `tex_math`. The result is ASCII."""
    out = []
    for ch in text:
        if ch in _TEXT_SPECIALS:
            out.append(_TEXT_SPECIALS[ch])
        elif ord(ch) < 128:
            out.append(ch)
        else:
            maths = tex_math("x" + ch)[1:] if ch in "₀₁₂₃₄₅₆₇₈₉" else tex_math(ch)
            out.append(f"${maths.strip()}$")
    return "".join(out)


def _tex(segments: list[Segment]) -> str:
    return "".join(f"${tex_math(t)}$" if kind == "math" else tex_text(t) for kind, t in segments)


def to_latex(sheet: Sheet, key: bool = False) -> str:
    """The sheet (or its key) as a LaTeX document (article class, amsmath), in ASCII."""
    title = "Answer key" if key else "Backpropagation exercises"
    body = [
        r"\documentclass[11pt]{article}",
        r"\usepackage{amsmath}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\setlength{\parindent}{0pt}",
        r"\begin{document}",
        rf"\section*{{{title} (sheet seed {sheet.seed})}}",
    ]
    if not key:
        body += [_tex([("text", _INSTRUCTIONS)]), "", r"Name: \rule{6cm}{0.4pt}", ""]
    for ex in sheet.exercises:
        body.append(rf"\subsection*{{{tex_text(ex.title)}}}")
        body += [_tex(line) + r"\\" for line in ex.setup]
        body.append("")
        for q in ex.questions:
            body.append(rf"\textbf{{{q.id}.}} {_tex(q.prompt)}{tex_text(_need(q))}")
            if key:
                body.append(rf"\\ Answer: $\mathbf{{{tex_math(_answer_text(q))}}}$")
            else:
                body.append(r"\\ Answer: \rule{4cm}{0.4pt}")
            body.append("")
    body.append(r"\end{document}")
    return "\n".join(body) + "\n"


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

_CSS = """
body { font: 12pt/1.5 "DejaVu Sans", "Noto Sans", Arial, sans-serif; max-width: 46em;
       margin: 2em auto; padding: 0 1em; color: #000; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
.m { font-family: "DejaVu Serif", "Noto Serif", "Cambria Math", serif; white-space: nowrap; }
.q { margin: 0.6em 0 0.2em; } .blank { display: inline-block; width: 10em;
     border-bottom: 1px solid #000; }
.mistakes { font-size: 0.9em; color: #333; }
.exercise { break-inside: avoid; page-break-inside: avoid; }
@media print { body { margin: 0; max-width: none; } }
"""


def _html(segments: list[Segment]) -> str:
    return "".join(
        f'<span class="m">{html.escape(t)}</span>' if kind == "math" else html.escape(t)
        for kind, t in segments
    )


def to_html(sheet: Sheet, key: bool = False) -> str:
    """The sheet (or its key) as a self-contained printable HTML page (maths in Unicode)."""
    title = f"{'Answer key' if key else 'Backpropagation exercises'} (sheet seed {sheet.seed})"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if not key:
        out.append(f"<p>{html.escape(_INSTRUCTIONS)}</p>")
        out.append('<p>Name: <span class="blank"></span></p>')
    for ex in sheet.exercises:
        out.append(f'<section class="exercise"><h2>{html.escape(ex.title)}</h2><p>')
        out.append("<br>\n".join(_html(line) for line in ex.setup))
        out.append("</p>")
        for q in ex.questions:
            out.append(f'<p class="q" id="q{q.id}"><b>{q.id}.</b> {_html(q.prompt)}')
            out.append(html.escape(_need(q)) + "<br>")
            out.append(_html_answer(q) if key else 'Answer: <span class="blank"></span></p>')
        out.append("</section>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _html_answer(q: SheetQuestion) -> str:
    text = f"Answer: <b>{html.escape(_answer_text(q))}</b></p>"
    if q.mistakes:
        items = "".join(
            f"<li>{html.escape(fmt(number))}: {html.escape(words)}</li>"
            for words, number in q.mistakes.items()
        )
        text += f'<ul class="mistakes">{items}</ul>'
    return text


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def write_sheet(sheet: Sheet, folder: str | Path) -> list[Path]:
    """Write every file of `FILES` into `folder` (created if missing), each atomically
    (`engine.files.write_atomic`); returns their paths in the order of `FILES`."""
    contents = {
        "sheet.md": to_markdown(sheet),
        "sheet.tex": to_latex(sheet),
        "sheet.html": to_html(sheet),
        "key.md": to_markdown(sheet, key=True),
        "key.tex": to_latex(sheet, key=True),
        "key.html": to_html(sheet, key=True),
        "key.json": json.dumps(sheet.key_data(), ensure_ascii=False, indent=1) + "\n",
    }
    folder = Path(folder)
    return [write_atomic(folder / name, contents[name], parents=True) for name in FILES]


def prompt_text(q: SheetQuestion) -> str:
    """The question in one line of Unicode text, with the digits it needs."""
    return plain(q.prompt) + _need(q)
