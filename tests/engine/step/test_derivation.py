"""Derivations (engine/step/derivation.py): ∂out/∂x as the sum over paths of products of local
derivatives; the numbers agree with backward(), the LaTeX is valid math, big graphs are grouped."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine import OPS, Parameter, Value, derivation, logsumexp, softmax
from engine.core.graph import topological_order
from engine.step import Derivation
from engine.step.latex import latex_formula, latex_name
from tests.engine.step.graphs import lecture_neuron
from tests.equations import equations, wrong_equations

neuron = lecture_neuron


# --------------------------------------------------------------------------------------------
# Checking LaTeX
# --------------------------------------------------------------------------------------------


def balanced(latex: str) -> None:
    """Braces, \\left/\\right and \\begin/\\end pair up; no atom gets two superscripts."""
    depth = 0
    escaped = False
    for ch in latex:
        if escaped:
            escaped = False
            continue
        if ch == "\\":
            escaped = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            assert depth >= 0, latex
    assert depth == 0, latex
    assert len(re.findall(r"\\left[(.|\[]", latex)) == len(re.findall(r"\\right[)|\].]", latex))
    assert re.findall(r"\\begin\{(\w+)\}", latex) == re.findall(r"\\end\{(\w+)\}", latex)
    assert "\x00" not in latex, "a placeholder was not filled"


def valid_math(latex: str) -> None:
    """`latex` is valid math: balanced, parsed by pylatexenc (if installed) and every line of the
    aligned block typeset by matplotlib's strict mathtext parser (if installed)."""
    balanced(latex)
    try:
        from pylatexenc.latexwalker import LatexWalker
    except ImportError:
        pass
    else:
        LatexWalker(latex, tolerant_parsing=False).get_latex_nodes()
    try:
        from matplotlib.mathtext import MathTextParser
    except ImportError:
        return
    body = latex.removeprefix("\\begin{aligned}").removesuffix("\\end{aligned}")
    parser = MathTextParser("agg")
    for line in body.split("\\\\\n"):
        line = line.replace("&", "").strip()
        if line:
            parser.parse(f"${line}$")


# --------------------------------------------------------------------------------------------
# The neuron, by hand
# --------------------------------------------------------------------------------------------


def test_the_neurons_derivation_reads_like_the_lecture():
    o, v = neuron()
    d = derivation(o, wrt=v["x1"])
    assert isinstance(d, Derivation) and d.mode == "paths" and d.paths == 1
    text = str(d)
    assert "path 1: x1 → mul₁ → add₁ → n → o" in text
    assert "∂⁺o/∂x1 = ∂o/∂n · ∂n/∂add₁ · ∂add₁/∂mul₁ · ∂mul₁/∂x1" in text
    assert "= (1 - tanh(n)²) · 1 · 1 · w1" in text
    assert "\n        = 0.5 × 1 × 1 × (-3)\n        = -1.5\n" in text
    assert text.endswith("\n\nbackward() found ∂⁺o/∂x1 = -1.5: the two agree (difference 0).")
    assert d.value == pytest.approx(-1.5, abs=1e-12) and d.agrees
    assert d.value == d.backward_value


def test_the_derivation_leaves_every_gradient_as_it_was():
    o, v = neuron()
    o.backward()
    o.backward()  # leaves accumulate: x1.grad = -3 now
    before = [n.grad for n in topological_order(o)]
    d = derivation(o, wrt=v["x1"])
    assert [n.grad for n in topological_order(o)] == before
    assert d.backward_value == pytest.approx(-1.5)  # the gradient of one pass, not the sum


def test_wrt_by_name_self_and_absent():
    o, v = neuron()
    assert derivation(o, "w1").value == pytest.approx(1.0)
    assert derivation(o, "x2").value == pytest.approx(0.5)
    assert derivation(o, "w2").value == 0.0
    itself = derivation(o, o)
    assert itself.mode == "self" and itself.value == 1.0 and "= 1" in str(itself)
    stranger = Value(1.0, label="z")
    none = derivation(o, stranger)
    assert none.mode == "none" and none.value == 0.0 and "no path" in str(none)
    with pytest.raises(ValueError, match="no node is named 'nope'.*x1"):
        derivation(o, "nope")
    with pytest.raises(TypeError, match="Value"):
        derivation(2.0, "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_paths"):
        derivation(o, "x1", max_paths=0)


def test_a_value_used_twice_has_two_paths_and_names_the_input():
    a = Value(3.0, label="a")
    out = a * a
    out.label = "out"
    d = derivation(out, a)
    assert d.paths == 2 and d.value == 6.0
    text = str(d)
    assert "∂out/∂a(as x) + ∂out/∂a(as y)" in text
    assert "= a + a" in text and "= 3 + 3" in text
    valid_math(d.latex())


def rows_joined(d: Derivation) -> str:
    """Each equation's last two rows on one line, ``numbers = sum``, so that `tests.equations`
    recomputes the row of numbers against the sum printed under it."""
    lines = []
    for block in str(d).split("\n\n"):
        rows = [row.split(" = ", 1)[1] for row in block.splitlines() if " = " in row]
        if block.lstrip().startswith("∂") and len(rows) >= 2:
            lines.append(f"{rows[-2]} = {rows[-1]}")
    return "\n".join(lines)


def test_the_row_of_numbers_recomputes_to_the_printed_sum():
    """Four significant digits each would give 1.235³ = 1.884, not the sum 1.882: the factors
    get the digits the sum needs, in text and LaTeX alike."""
    a, b, c, e = (Value(x, label=n) for x, n in ((2.0, "a"), (1.23456, "b"), (1.23456, "c"),
                                                 (1.23456, "e")))  # fmt: skip
    o = a * b * c * e
    o.label = "o"
    d = derivation(o, a)
    assert "\n       = 1.2346 × 1.2346 × 1.2346\n       = 1.882\n" in str(d)
    assert "&= 1.2346 \\times 1.2346 \\times 1.2346 \\\\\n&= 1.882 \\quad" in d.latex()
    assert [eq.shown for eq in equations(rows_joined(d))] == ["1.882"]
    assert not wrong_equations(rows_joined(d))


def test_the_three_formats_carry_the_same_numbers():
    o, v = neuron()
    d = derivation(o, v["b"])
    latex = d.latex()
    valid_math(latex)
    assert latex.startswith("\\begin{aligned}") and latex.endswith("\\end{aligned}")
    assert r"\tanh({n})^{2}" in latex and "\\\\\n&= 0.5 \\times 1 \\\\\n&= 0.5 \\quad" in latex
    assert d._repr_latex_() == f"$${latex}$$"
    md = d.markdown()
    assert "$$\n" + latex + "\n$$" in md and "`backward()` found ∂⁺o/∂b = 0.5: the two" in md
    assert "- path 1: b → n → o" in md


def test_seed_000s_weight_in_the_softmax_network():
    """The lecture's ∂L/∂w_{2,1}^{(1)}: 3 inputs, 4 sigmoid units, softmax, cross-entropy."""
    import random

    rng = random.Random(0)
    x = [Value(rng.uniform(-2, 2), label=f"x{i + 1}") for i in range(3)]
    W1 = [
        [Parameter(rng.gauss(0, 1), label=f"w{i + 1},{j + 1}⁽¹⁾") for j in range(4)]
        for i in range(3)
    ]
    W2 = [
        [Parameter(rng.gauss(0, 1), label=f"w{j + 1},{k + 1}⁽²⁾") for k in range(3)]
        for j in range(4)
    ]
    z1 = [sum((W1[i][j] * x[i] for i in range(3)), Value(0.1)) for j in range(4)]
    h1 = [z.sigmoid() for z in z1]
    z2 = [sum((W2[j][k] * h1[j] for j in range(4)), Value(0.0)) for k in range(3)]
    loss = -softmax(z2)[1].log()
    loss.label = "L"
    d = derivation(loss, W1[1][0])
    assert d.agrees and abs(d.value - d.backward_value) <= 1e-12
    latex = d.latex()
    valid_math(latex)
    assert "w_{2,1}^{(1)}" in latex
    assert "∂⁺L/∂w2,1⁽¹⁾" in str(d)  # the narration parenthesises names with commas


def test_many_paths_are_grouped_not_exploded():
    x = Value(0.5, label="x")
    h = x
    for _ in range(12):  # every block doubles the paths: 3^12 = 531,441 of them
        h = h * h.tanh() + h.sigmoid()
    h.label = "L"
    d = derivation(h, x)
    assert d.mode == "grouped" and d.paths == 3**12
    assert d.agrees and abs(d.value - d.backward_value) <= 1e-12 * max(1.0, abs(d.value))
    text = str(d)
    assert "531,441 paths" in text and "grouped where paths split" in text
    assert len(d.equations) == 12 - d.hidden + 0 and d.hidden == 0
    assert len(text) < 20_000
    valid_math(d.latex())
    capped = derivation(h, x, max_equations=3)
    assert capped.hidden == 9 and len(capped.equations) == 3
    assert "9 equations for nodes nearer L are not shown" in str(capped)
    assert capped.value == d.value


def test_a_long_chain_is_shortened_in_the_middle():
    x = Value(0.3, label="x")
    h = x
    for _ in range(40):
        h = h.tanh()
    h.label = "L"
    d = derivation(h, x)
    assert d.paths == 1 and d.agrees
    text = str(d)
    assert text.count("⋯ 32 more ⋯") == 4  # 40 factors and 41 nodes: the path, three lines
    assert "path 1: x → tanh₁ → tanh₂ → tanh₃ → tanh₄ → ⋯ 32 more ⋯ → tanh₃₇" in text
    valid_math(d.latex())


def test_a_wide_sum_is_shortened_in_the_middle():
    xs = [Value(float(i), label=f"x{i}") for i in range(1, 21)]
    x = Value(2.0, label="x")
    out = logsumexp([x * xi for xi in xs] + [x])
    out.label = "L"
    d = derivation(out, x, max_paths=50)
    assert d.paths == 21 and d.agrees
    assert "⋯ 15 more ⋯" in str(d)
    valid_math(d.latex())


# --------------------------------------------------------------------------------------------
# Every op, and random graphs over the op table
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_formula_of_the_op_table_is_valid_latex(name):
    for template in OPS[name].derivatives:
        latex = latex_formula(template)
        filled = re.sub("\x00([A-Za-z_]+)\x00", r"{w_{1}^{(1)}}", latex)
        valid_math(filled)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("w2,1⁽¹⁾", "w_{2,1}^{(1)}"),
        ("mul₁", r"\mathrm{mul}_{1}"),
        ("x1", "x_{1}"),
        ("-3", "-3"),
        ("z⁽²⁾3", "z_{3}^{(2)}"),
        ("L0N1.w0", r"\mathrm{L0N1.w0}"),
        ("a_b{c}", r"\mathrm{a\_b\{c\}}"),
        ("σ₁", r"\sigma_{1}"),
        ("1e-05", r"1 \times 10^{-5}"),
    ],
)
def test_names_in_latex(name, expected):
    assert latex_name(name) == expected
    valid_math(expected)


UNARY = [n for n, op in OPS.items() if op.arity == 1 and n not in ("pow", "neg")]
BINARY = ["add", "sub", "mul", "div", "pow_value"]


def _apply(kind: str, name: str, a: Value, b: Value, c: Value) -> Value:
    if kind == "unary":
        return getattr(Value, name)(a)
    if kind == "pow":
        return a**2
    if kind == "neg":
        return -a
    if kind == "nary":
        return logsumexp([a, b, c])
    if name == "add":
        return a + b
    if name == "sub":
        return a - b
    if name == "mul":
        return a * b
    if name == "div":
        return a / b
    return abs(a) ** b  # pow_value: a positive base


OP_CHOICE = st.one_of(
    st.tuples(st.just("unary"), st.sampled_from(UNARY)),
    st.tuples(st.just("binary"), st.sampled_from(BINARY)),
    st.tuples(st.sampled_from(["pow", "neg", "nary"]), st.just("")),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(
    # normal floats: a subnormal (~1e-314) has too few digits for a printed row to recompute;
    # and none as tiny as 1e-300, whose 1/x paths reach 1e300 and cancel (1e300 - 1e300) in
    # another order along paths than at nodes: both orders are right to float rounding
    leaves=st.lists(
        st.floats(-2.0, 2.0, allow_nan=False, allow_subnormal=False).filter(
            lambda v: v == 0.0 or abs(v) > 1e-12
        ),
        min_size=2,
        max_size=3,
    ),
    program=st.lists(
        st.tuples(OP_CHOICE, st.integers(0, 50), st.integers(0, 50), st.integers(0, 50)),
        min_size=1,
        max_size=9,
    ),
)
def test_random_graphs_derivation_equals_backward(leaves, program):
    xs = [Value(v, label=f"v{i}") for i, v in enumerate(leaves)]
    nodes = list(xs)
    try:
        for (kind, name), i, j, k in program:
            a, b, c = nodes[i % len(nodes)], nodes[j % len(nodes)], nodes[k % len(nodes)]
            result = _apply(kind, name, a, b, c)
            assume(math.isfinite(result.data) and abs(result.data) < 1e6)
            nodes.append(result)
        out = nodes[-1]
        out.label = "out"
        out.backward()
    except (ValueError, ZeroDivisionError, OverflowError):
        assume(False)
        return
    expected = {x: x.grad for x in xs}
    assume(all(math.isfinite(g) and abs(g) < 1e8 for g in expected.values()))
    for x in xs:
        d = derivation(out, x, max_paths=4)
        assert d.backward_value == expected[x]  # backward() for one pass, grads restored
        # to rounding of the result, or of the largest term where terms cancel (x/x at 3e-141)
        tolerance = 1e-12 * max(1.0, abs(expected[x]), d.scale)
        assert abs(d.value - expected[x]) <= tolerance, str(d)
        assert d.agrees
        assert x.grad == expected[x]
        valid_math(d.latex())
        assert str(d) and d.markdown()
        assert not wrong_equations(rows_joined(d)), str(d)  # the numbers add up as printed


def test_cancelling_terms_agree_to_the_rounding_of_the_terms():
    x = Value(3e-141, label="x")  # x/x: two paths of about ±3.3e140 that cancel
    d = derivation(x / x, x)
    assert d.scale > 1e140 and d.agrees
    assert abs(d.value - d.backward_value) <= 1e-12 * d.scale


def test_a_rule_that_raises_only_in_a_branch_not_taken_gives_backwards_number():
    """x^y at x = 0: ln 0 sits in the branch of ∂/∂y that is not taken (the answer is 0)."""
    x, y = Value(0.0, label="x"), Value(1.0, label="y")
    out = x**y
    for leaf in (x, y):
        d = derivation(out, leaf)
        assert d.agrees and d.value == d.backward_value
    assert (derivation(out, x).value, derivation(out, y).value) == (1.0, 0.0)


@pytest.mark.parametrize("name", ["x", "mul₁", "2"])
def test_wrt_by_a_name_two_nodes_share_is_refused_listing_both(name):
    a, b = Value(2.0, label="x"), Value(3.0, label="x")
    c, d = Value(4.0), Value(5.0, label="mul₁")
    e = Value(7.0, label="2")
    out = a * b + c * d + e * 2.0  # mul₁ is also c·d's automatic name; 2 is also the constant
    with pytest.raises(
        ValueError, match=rf"derivation\(wrt=\): the name '{name}' is ambiguous"
    ) as info:
        derivation(out, name)
    assert "1. " in str(info.value) and "2. " in str(info.value)
    assert derivation(out, a).value == 3.0  # the Value itself still chooses one


def test_a_long_chain_is_one_path_and_its_text_keeps_exact_numbers_small(monkeypatch):
    """On a chain of n ops the single path is found without copying it at every step, and the
    text's check of the printed row multiplies the elided long product in floats: exactly, its
    fraction would grow by a few dozen bits per factor, O(n²) in all (a 200k-op chain took
    minutes; it is measured by a script, not timed here)."""
    from fractions import Fraction

    import engine.step.derivation_format as fmt_module

    largest = [0]

    class Counting(Fraction):
        def __new__(cls, *args, **kwargs):
            made = super().__new__(cls, *args, **kwargs)
            largest[0] = max(largest[0], made.denominator.bit_length())
            return made

        def __mul__(self, other):
            made = Fraction.__mul__(self, other)
            largest[0] = max(largest[0], made.denominator.bit_length())
            return Counting(made)

        __rmul__ = __mul__

    monkeypatch.setattr(fmt_module, "Fraction", Counting)
    x = Value(0.5, label="x")
    y = x
    for k in range(3000):
        y = y * 1.0001 if k % 2 else y + 0.25
    d = derivation(y, x)
    assert d.mode == "paths" and d.paths == 1 and len(d.path_nodes[0]) == 3001
    assert d.agrees and d.value == pytest.approx(1.0001**1500, rel=1e-12)
    assert "more" in str(d) and not d.chooses_zero  # the long product is elided in the middle
    assert largest[0] < 400  # bits: one factor's decimal, not 1500 of them multiplied


@pytest.mark.parametrize(
    "build",
    [
        lambda g: g.relu().sqrt(),
        lambda g: g.relu().sqrt() + g.relu().sqrt() * 2.0,
        lambda g: (g * 1.0).relu().sqrt().exp(),
    ],
    ids=["chain", "two-paths", "longer"],
)
def test_a_chosen_zero_wins_over_an_infinite_local_derivative_as_in_backward(build):
    """√relu(g) at g = 0: ∂√r/∂r = inf but relu's 0 is chosen, so backward() gives 0; the
    derivation multiplies its factors the same careful way (not inf · 0 = nan)."""
    g = Value(0.0, label="g")
    d = derivation(build(g), wrt=g)
    assert d.value == 0.0 and d.backward_value == 0.0 and d.agrees
    assert "DISAGREE" not in str(d) and "nan" not in str(d)
    assert d.chooses_zero and "a chosen 0 wins over an infinite derivative" in str(d)
    assert "a chosen 0 wins" in d.markdown() and r"\infty" in d.latex()


def test_a_chosen_zero_in_grouped_mode_is_careful_too():
    g = Value(0.0, label="g")
    y = g.relu().sqrt()
    for _ in range(5):
        y = y * y + y
    d = derivation(y, wrt=g)
    assert d.mode == "grouped" and d.value == 0.0 == d.backward_value


def test_labels_are_escaped_in_markdown_and_latex():
    """A label is user text: in Markdown it must not become HTML (``<b onmouseover=...>``) or
    emphasis, and in the LaTeX (shown by a notebook as HTML + MathJax) no raw < or > appears."""
    x = Value(2.0, label="<b onmouseover=alert(1)>")
    y = x * x
    y.label = "*y*"
    d = derivation(y, x)
    md = d.markdown()
    assert "<b" not in md and "onmouseover=alert" in md
    assert "&lt;b onmouseover=alert\\(1\\)&gt;" in md
    assert "\\*y\\*" in md and " *y* " not in md
    tex = d.latex()
    assert "<" not in tex and ">" not in tex and r"\lt b" in tex
    assert "<b onmouseover=alert(1)>" in d.text()  # plain text shows the label as it is
