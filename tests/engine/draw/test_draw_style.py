"""engine.draw.style: escaping every label, number formats, op text."""

from __future__ import annotations

import math
import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine import Value, draw_dot
from engine.draw.style import MAX_LABEL_CHARS, escape_label, format_number, plain_label

HOSTILE = [
    'say "hi"',
    "<b>bold</b>",
    "{a|b}",
    'x]; evil [label="pwned"',
    "back\\slash \\N \\G",
    "two\nlines",
    "semi;colon",
    "&amp; &#60;",
    "tab\there",
    "bell\x07",
    "}\n}\ndigraph x {",
    "<<table>>",
    "'single'",
    "ünï∂ode ×",
    "\\",
    "a" * 200,
]


def _unescape(text: str) -> str:
    text = text.replace('<br align="left"/>', "\n").replace("\\\\", "\\")
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&amp;", "&")):
        text = text.replace(entity, char)
    return text


@given(st.text(max_size=60))
def test_escape_label_is_inert_and_reversible(text):
    escaped = escape_label(text)
    plain = escaped.replace('<br align="left"/>', "")
    assert "<" not in plain and ">" not in plain and '"' not in plain
    assert re.fullmatch(r"(?:[^\\]|\\\\)*", plain)  # every backslash is doubled
    assert not any(ord(c) < 32 for c in escaped)
    plain_text = all(c == "\n" or (ord(c) >= 32 and c not in "\x7f\ufffe\uffff") for c in text)
    if len(text) <= MAX_LABEL_CHARS and plain_text:
        assert _unescape(escaped) == text


@given(st.text(max_size=120))
def test_plain_label_is_one_line_of_visible_text(text):
    label = plain_label(text)
    assert len(label) <= MAX_LABEL_CHARS * 4  # \xNN at most quadruples a character
    assert not any(ord(c) < 32 or c in "\x7f\ufffe\uffff" for c in label)


def test_long_labels_are_cut():
    assert len(escape_label("x" * 500)) == MAX_LABEL_CHARS and escape_label("x" * 500)[-1] == "…"
    assert len(plain_label("x" * 500)) == MAX_LABEL_CHARS


def test_hostile_labels_stay_inside_their_label():
    nodes = [Value(float(i), label=label) for i, label in enumerate(HOSTILE)]
    out = nodes[0]
    for node in nodes[1:]:
        out = out + node
    source = draw_dot(out).source
    assert "pwned" not in re.sub(r"<table.*?</table>", "", source)  # only ever inside a label
    assert len(re.findall(r"^digraph", source, re.M)) == 1 and source.endswith("\n}\n")
    declared = re.findall(r"^\t([vo]\d+) \[", source, re.M)
    assert len(declared) == len(HOSTILE) * 3 - 2  # leaves, sums, and their + ovals


# --------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------


def test_format_number_default_is_the_engines_format():
    from engine.core.value import fmt_number

    for x in (0.0, 1.5, -3.0, 1.8158e-4, -6.881373587, 1e12, -2e-9):
        assert format_number(x) == fmt_number(x)
    assert format_number(-0.0) == "0"  # never a negative zero


def test_format_number_significant_digits():
    assert format_number(0.70710678, 3) == "0.707"
    assert format_number(-1.5, 4) == "-1.5"  # trailing zeros dropped
    assert format_number(6.881373587, 3) == "6.88"
    assert format_number(1.8158e-4, 3) == "1.82e-4"
    assert format_number(1.8158e-5, 3) == "1.82e-5"
    assert format_number(1234.5, 2) == "1234"  # never fewer digits than the integer part
    assert format_number(2.5e7, 3) == "2.5e7"
    assert format_number(0.0, 3) == "0" and format_number(0.0, 1) == "0"
    assert format_number(float("inf"), 3) == "inf" and format_number(float("nan"), 3) == "nan"


@example(11.0, 1)  # "11": whole units are kept, as the docstring's 123457 at 4 digits
@given(st.floats(min_value=-1e300, max_value=1e300), st.integers(1, 17))
def test_format_number_keeps_the_value_and_never_prints_negative_zero(x, digits):
    text = format_number(x, digits)
    assert not text.startswith("-") or x < 0
    rounded = f"{x:.{digits - 1}e}"  # x rounded to `digits` significant digits
    exponent = int(rounded.partition("e")[2])
    if digits - 1 <= exponent < 6:  # fixed notation never drops whole units: 123457, not 1.235e5
        assert float(text) == float(f"{x:.0f}")
    else:
        assert float(text) == float(rounded)  # exactly


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        # below 1e300 a sum of six cannot overflow (which the engine refuses, by design)
        st.floats(allow_nan=True, allow_infinity=True).filter(
            lambda x: not math.isfinite(x) or abs(x) < 1e300
        ),
        min_size=1,
        max_size=6,
    )
)
def test_any_numbers_give_well_formed_source(numbers):
    nodes = [Value(x, label=f"x{i}") for i, x in enumerate(numbers)]
    out = nodes[0]
    for node in nodes[1:]:
        out = out + node
    g = draw_dot(out, show_local=True)
    assert g.source.count("{") == g.source.count("}")
    assert len(re.findall(r"^\tv\d+ \[", g.source, re.M)) == g.values


def test_names_with_sub_or_superscripts_get_a_font_that_has_them():
    """graphviz-pure's Courier (Cousine) lacks ₁ and ⁽: a PNG label missing one glyph falls back
    to a serif as a whole, so such names are set in Helvetica (Arimo, which has them)."""
    from engine.draw.style import NAME_FONT, name_cell

    assert name_cell("mul₁") == f'<td><font face="{NAME_FONT}">mul₁</font></td>'
    assert name_cell("s₁⁽²⁾").startswith(f'<td><font face="{NAME_FONT}">')
    assert name_cell("x1") == "<td>x1</td>" and name_cell("x²") == "<td>x²</td>"  # Cousine has ²
