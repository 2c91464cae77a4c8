"""engine.expr: the whitelist expression parser shared by `chainrule draw` and `chainrule step`."""

from __future__ import annotations

import builtins
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import OPS, Parameter, Value
from engine.cli.expr import (
    MAX_LENGTH,
    ExpressionError,
    build,
    functions,
    functions_help,
    parse_assignments,
)

NEURON = "tanh(x1*w1 + x2*w2 + b)"
NEURON_VALUES = {"x1": 2.0, "w1": -3.0, "x2": 0.0, "w2": 1.0, "b": 6.8813735870195432}


# --------------------------------------------------------------------------------------------
# Assignments
# --------------------------------------------------------------------------------------------


def test_parse_assignments():
    items = ["x1=2", "w1=-3", "x2=0", "w2=+1", "b=6.8814", "eps=1e-3", "big=2.5E+10", "h=.5"]
    assert parse_assignments(items) == {
        "x1": 2.0,
        "w1": -3.0,
        "x2": 0.0,
        "w2": 1.0,
        "b": 6.8814,
        "eps": 1e-3,
        "big": 2.5e10,
        "h": 0.5,
    }
    assert parse_assignments([]) == {}
    assert parse_assignments([" x = 2 "]) == {"x": 2.0}


@pytest.mark.parametrize(
    "item, snippet, words",
    [
        ("x", "x", "not an assignment"),
        ("x=", "=", "no number"),
        ("x=abc", "abc", "not a number"),
        ("x=nan", "nan", "not a number"),
        ("x=inf", "inf", "not a number"),
        ("x=1e999", "1e999", "too large"),
        ("x=1_000", "1_000", "not a number"),
        ("x=\u0661", "\u0661", "not a number"),  # an Arabic-Indic one: float() takes it
        ("x=\uff12", "\uff12", "not a number"),  # a full-width two
        ("x=2*3", "2*3", "not a number"),
        ("1x=2", "1x", "not a variable name"),
        ("_x=2", "_x", "not a variable name"),
        ("__import__=1", "__import__", "not a variable name"),
        ("x.y=2", "x.y", "not a variable name"),
        ("tanh=2", "tanh", "function name"),
    ],
)
def test_bad_assignments_point_at_the_bad_part(item, snippet, words):
    with pytest.raises(ExpressionError, match=words) as info:
        parse_assignments([item])
    error = info.value
    assert isinstance(error, ValueError)
    assert error.text == item and error.snippet == snippet
    assert error.pointer().splitlines()[1].strip() == "^" * len(snippet)


def test_duplicate_assignment_and_wrong_types():
    with pytest.raises(ExpressionError, match="twice"):
        parse_assignments(["x=1", "x=2"])
    with pytest.raises(TypeError, match="list"):
        parse_assignments("x=1")
    with pytest.raises(TypeError, match="string"):
        parse_assignments([("x", 1)])


# --------------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------------


def test_functions_are_read_off_the_op_table():
    table = functions()
    for name, op in OPS.items():
        method = op.arity == 1 and callable(getattr(Value, name, None))
        added = op.arity == 1 and not op.methods and op.arg_name is None  # define_op's rows
        expected = method or added or name == "logsumexp"
        assert (name in table) == expected, name
    assert {"tanh", "exp", "log", "relu", "leaky_relu", "elu", "swish", "logsumexp"} <= set(table)
    assert "neg" not in table and "pow" not in table and "add" not in table
    assert table["leaky_relu"].max_args == 2 and table["tanh"].max_args == 1


def test_build_the_neuron():
    root, leaves = build(NEURON, NEURON_VALUES, params={"w1", "w2", "b"})
    assert root.op == "tanh" and root.data == pytest.approx(math.sqrt(0.5))
    assert list(leaves) == ["x1", "w1", "x2", "w2", "b"]
    for name, leaf in leaves.items():
        assert leaf.label == name and leaf.data == NEURON_VALUES[name]
        assert isinstance(leaf, Parameter) == (name in {"w1", "w2", "b"})
    root.backward()
    assert leaves["x1"].grad == pytest.approx(-1.5)
    assert leaves["w1"].grad == pytest.approx(1.0)
    assert leaves["b"].grad == pytest.approx(0.5)


def test_a_variable_used_twice_is_one_leaf_with_two_edges():
    root, leaves = build("x*x + x", {"x": 3.0})
    x = leaves["x"]
    assert root.parents[1] is x and root.parents[0].parents == (x, x)
    root.backward()
    assert x.grad == 7.0  # d/dx (x² + x) = 2x + 1


def test_numbers_fold_and_functions_of_numbers_keep_their_node():
    root, leaves = build("2*3*x", {"x": 1.5})
    assert root.op == "mul" and root.parents[0].data == 6.0 and root.parents[0].label == ""
    assert build("x ** 2", {"x": 3.0})[0].op == "pow"  # constant exponent
    assert build("x ** y", {"x": 3.0, "y": 2.0})[0].op == "pow_value"
    assert build("2 ** x", {"x": 3.0})[0].data == 8.0
    assert build("-x", {"x": 3.0})[0].op == "neg"
    assert build("+x", {"x": 3.0})[0].op == ""
    assert build("-2 * x", {"x": 3.0})[0].parents[0].data == -2.0
    t = build("tanh(0.5)", {})[0]
    assert t.op == "tanh" and t.parents[0].data == 0.5
    n = build("1 + 2", {})[0]
    assert n.data == 3.0 and n.op == "" and isinstance(n, Value)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("leaky_relu(x, 0.2)", -0.4),
        ("leaky_relu(x)", -0.02),
        ("elu(x, 0.5)", 0.5 * math.expm1(-2)),
        ("swish(x, 2)", -2 / (1 + math.exp(4))),
        ("relu(x)", 0.0),
        ("abs(x)", 2.0),
        ("logsumexp(x, 0, 1)", math.log(math.exp(-2) + 1 + math.e)),
        ("sigmoid(-x)", 1 / (1 + math.exp(-2))),
        ("exp(log(-x))", 2.0),
        ("sqrt(x*x)", 2.0),
        ("(x + 1) / (x - 1)", 1 / 3),
        ("  x  ", -2.0),
        ("(\n x + 1\n)", -1.0),
    ],
)
def test_functions_and_arguments(text, expected):
    root, _ = build(text, {"x": -2.0})
    assert root.data == pytest.approx(expected)
    assert root.op != "leaky_relu" or root.arg in (0.2, 0.01)


# --------------------------------------------------------------------------------------------
# Random expressions: value and gradient against a reference built without the parser
# --------------------------------------------------------------------------------------------

UNARY = {
    "tanh": math.tanh,
    "sin": math.sin,
    "sigmoid": lambda v: 1 / (1 + math.exp(-v)),
    "softplus": lambda v: math.log1p(math.exp(v)),
}


def expressions(depth: int = 3):
    leaf = st.one_of(
        st.sampled_from(["x", "y", "z"]),
        st.integers(-3, 3).map(str),
        st.sampled_from(["0.5", "1.5", "2"]),
    )

    def extend(inner):
        return st.one_of(
            st.tuples(st.sampled_from(["+", "-", "*"]), inner, inner).map(
                lambda t: f"({t[1]} {t[0]} {t[2]})"
            ),
            st.tuples(st.sampled_from(sorted(UNARY)), inner).map(lambda t: f"{t[0]}({t[1]})"),
            inner.map(lambda s: f"-{s}"),
            inner.map(lambda s: f"({s}) ** 2"),
        )

    return st.recursive(leaf, extend, max_leaves=8)


def reference(text: str, env: dict[str, float]) -> float:
    """The same expression computed on floats by Python's own evaluator, sandboxed: no builtins,
    only the variables and the four functions (the test's oracle, not the code under test)."""
    scope = {"__builtins__": {}, **UNARY, **env}
    return builtins.eval(compile(text, "<expr>", "eval"), scope)


@settings(max_examples=150, deadline=None)
@given(expressions(), st.floats(-2, 2), st.floats(-2, 2), st.floats(-2, 2))
def test_random_expressions_match_floats_and_finite_differences(text, x, y, z):
    env = {"x": x, "y": y, "z": z}
    try:
        expected = reference(text, env)
    except (OverflowError, ZeroDivisionError):
        assume(False)
    root, leaves = build(text, env)
    assert root.data == pytest.approx(expected, rel=1e-9, abs=1e-9)
    root.backward()
    for name, leaf in leaves.items():
        h = 1e-6
        up = reference(text, {**env, name: env[name] + h})
        down = reference(text, {**env, name: env[name] - h})
        numeric = (up - down) / (2 * h)
        assert leaf.grad == pytest.approx(numeric, rel=1e-4, abs=1e-4), name


def test_against_torch():
    torch = pytest.importorskip("torch")
    text = "tanh(x1*w1 + x2*w2 + b) ** 2 + leaky_relu(x1 - w1, 0.1) * sigmoid(b) / (1 + x2*x2)"
    root, leaves = build(text, NEURON_VALUES)
    root.backward()
    t = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for k, v in NEURON_VALUES.items()
    }
    out = torch.tanh(
        t["x1"] * t["w1"] + t["x2"] * t["w2"] + t["b"]
    ) ** 2 + torch.nn.functional.leaky_relu(t["x1"] - t["w1"], 0.1) * torch.sigmoid(t["b"]) / (
        1 + t["x2"] * t["x2"]
    )
    out.backward()
    assert root.data == pytest.approx(out.item(), rel=1e-12)
    for name, leaf in leaves.items():
        assert leaf.grad == pytest.approx(t[name].grad.item(), rel=1e-9, abs=1e-12), name


# --------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------

HOSTILE = [
    ('__import__("os").system("touch pwned")', '__import__("os").system', "attribute"),
    ('__import__("os")', "__import__", "not allowed here"),
    ("x.__class__", "x.__class__", "attribute"),
    ("x.__class__.__mro__[1]", "x.__class__.__mro__[1]", "subscript"),
    ("x[0]", "x[0]", "subscript"),
    ("(lambda: 1)()", "lambda: 1", "not allowed"),
    ("lambda: x", "lambda: x", "lambda"),
    ("[x for x in (1, 2)]", "[x for x in (1, 2)]", "comprehension"),
    ("open('f', 'w')", "open", "not allowed here"),
    ("eval('1')", "eval", "not allowed here"),
    ("print(x)", "print", "not allowed here"),
    ("tanh(x, alpha=2)", "alpha=2", "keyword"),
    ("tanh(*[x])", "*[x]", "unpacking"),
    ("'x' + x", "'x'", "only numbers"),
    ("f'{x}'", "f'{x}'", "strings"),
    ("b'x'", "b'x'", "only numbers"),
    ("x if x else 1", "x if x else 1", "if"),
    ("x < 1", "x < 1", "comparison"),
    ("x and 1", "x and 1", "and"),
    ("(y := 2)", "y := 2", ":="),
    ("x // 2", "x // 2", "only +"),
    ("x % 2", "x % 2", "only +"),
    ("x @ x", "x @ x", "only +"),
    ("~x", "~x", "only +"),
    ("not x", "not x", "only +"),
    ("x, x", "x, x", "not allowed"),
    ("{x: 1}", "{x: 1}", "not allowed"),
    ("True + x", "True", "only numbers"),
    ("None", "None", "only numbers"),
    ("1j * x", "1j", "only numbers"),
    ("...", "...", "only numbers"),
    ("_x + 1", "_x", "not allowed"),
    ("__builtins__", "__builtins__", "not allowed"),
    ("x.tanh()", "x.tanh()", "write tanh(x)"),
    ("(x * 2).leaky_relu(0.1)", "(x * 2).leaky_relu(0.1)", "write leaky_relu(x * 2, 0.1)"),
    ("tanh", "tanh", "is a function"),
    ("y + 1", "y", "no value"),
    ("leaky_relu(x, x)", "x", "must be a number"),
    ("leaky_relu(x, 0.1, 2)", "leaky_relu(x, 0.1, 2)", "takes"),
    ("tanh()", "tanh()", "takes"),
    ("logsumexp()", "logsumexp()", "takes"),
    ("log(x - 2)", "log(x - 2)", "undefined"),
    ("x / 0", "x / 0", "division by zero"),
    ("10 ** 400", "10 ** 400", "overflow"),
    ("x ** 1e308", "x ** 1e308", "overflow"),
    ("2 ** 2 ** 2 ** 2 ** 2", "2 ** 2 ** 2 ** 2 ** 2", "overflow"),
    ("(-8) ** (1/3)", "(-8) ** (1/3)", "negative base"),
    ("exp(1000 * x)", "exp(1000 * x)", "overflow"),
    ("1e999 * x", "1e999", "too large"),
    ("x +", None, "not a valid expression"),
    ("(x", None, "never closed"),
    ("x ∂ 2", None, "invalid character"),
    ("import os", "import os", "not allowed here"),
    ("x; y", "x", "nobody uses"),
    ("x += 1", "x += 1", "not allowed here"),
    ("a, b = x, x", "a, b = x, x", "exactly one name"),
    ("a = b = x * 2", "a = b = x * 2", "exactly one name"),
    ("o = x", "o", "second name"),
    ("n = x * 2; x * 3", "n", "does not use it"),
    ("x = 3 * x", "x", "also given a value"),
    ("tanh = x * 2", "tanh", "function name"),
    ("n = x * 2; n = x * 3; n", "n", "named twice"),
    ("n = x * 2; o = tanh(m)", "m", "no value"),
]


@pytest.mark.parametrize("text, snippet, words", HOSTILE)
def test_refused_with_the_offending_text_and_a_caret(text, snippet, words, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ExpressionError) as info:
        build(text, {"x": 2.0})
    error = info.value
    assert words in str(error)
    assert error.text == text and error.column is not None
    if snippet is not None:
        assert error.snippet == snippet  # the caret points at exactly this text
    shown, carets = error.pointer().splitlines()
    assert shown == "  " + text.replace("\n", " ")
    assert carets.startswith("  " + " " * error.column + "^")
    assert list(tmp_path.iterdir()) == []  # nothing ran: no file appeared


@pytest.mark.parametrize("name", sorted(functions()))
def test_the_method_form_of_every_function_says_what_to_write(name):
    """``x.exp()`` is Python's spelling; the expression language writes ``exp(x)``."""
    with pytest.raises(ExpressionError, match=rf"write {name}\(x\)"):
        build(f"x.{name}() + 1", {"x": 0.5})


def test_never_calls_eval_or_exec(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec must not be used")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    root, _ = build(NEURON, NEURON_VALUES)
    assert root.data == pytest.approx(math.sqrt(0.5))


def test_columns_count_characters_after_unicode_and_indentation():
    with pytest.raises(ExpressionError) as info:
        build("  x + ü·y", {"x": 1.0})
    assert info.value.column in (6, 7)  # the parser stops at 'ü' or '·'
    with pytest.raises(ExpressionError) as info:
        build("  x + foo(x)", {"x": 1.0})
    assert info.value.column == 6 and info.value.snippet == "foo"


def test_absurd_inputs_are_refused_cleanly():
    with pytest.raises(ExpressionError, match="at most"):
        build("x+" * MAX_LENGTH + "x", {"x": 1.0})
    with pytest.raises(ExpressionError, match="nested"):
        build("(" * 500 + "x" + ")" * 500, {"x": 1.0})
    with pytest.raises(ExpressionError, match="empty"):
        build("   ", {})
    with pytest.raises(ExpressionError, match="NUL"):
        build("x\x00", {"x": 1.0})
    with pytest.raises(ExpressionError):
        build("9" * 5000, {})
    with pytest.raises(TypeError):
        build(b"x", {"x": 1.0})
    long_sum = "+".join(["x"] * 2000)  # long but legal
    assert build(long_sum, {"x": 1.0})[0].data == 2000.0


def test_unknown_parameter_names_are_refused():
    with pytest.raises(ExpressionError, match="'q' has no value"):
        build("x", {"x": 1.0}, params={"q"})


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=list("xy12.e+-*/()[]_ ,=:'\"atnhlmbdoips\n~<!%@{}#"), max_size=30))
def test_any_text_gives_a_value_or_an_expression_error(text):
    try:
        root, leaves = build(text, {"x": 0.5, "y": -1.5})
    except ExpressionError as error:
        assert error.text == text
        assert error.column is None or 0 <= error.column <= len(text)
        return
    assert isinstance(root, Value)
    assert set(leaves) <= {"x", "y"}


def test_the_pointer_under_a_long_expression_stays_short():
    from engine.cli.expr_syntax import POINTER_WIDTH

    text = "tanh(" * 300 + "x" + ")" * 300
    with pytest.raises(ExpressionError) as caught:
        build(text, {"x": 1.0})
    lines = caught.value.pointer().splitlines()
    assert len(lines) == 2 and all(len(line) <= POINTER_WIDTH + 4 for line in lines)
    assert lines[1].strip() and set(lines[1].strip()) == {"^"}
    short = ExpressionError("bad", "x + $", 4)
    assert short.pointer() == "  x + $\n      ^"


def test_the_help_lists_every_one_input_method_of_the_op_table_and_logsumexp():
    text = " ".join(functions_help().split())
    methods = [n for n, op in OPS.items() if op.arity == 1 and n in op.methods]
    assert "softsign" in methods and "hardtanh" in methods
    for name in methods:
        assert f"{name}(x)" in text, name
    assert "leaky_relu(x, alpha)" in text and "logsumexp(a, b, ...)" in text
