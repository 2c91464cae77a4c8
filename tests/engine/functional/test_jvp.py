"""Forward mode (`engine.functional.jvp`): every op row against central differences and
torch.func.jvp, random expressions against reverse mode, and the input checks."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value, grad, logsumexp, no_grad
from engine.core.ops import OPS, unregister
from engine.functional.custom import define_op
from engine.functional.jvp import jvp
from tests.engine.core.op_cases import CASES

# Inputs inside every built-in op's domain (positive, away from the kinks at 0), and tangents.
POINTS_X = (0.3, 0.8, 1.7)
POINTS_Y = (1.3, 0.6, 0.45)
TANGENTS = ((0.7, -1.1), (-1.3, 0.4), (1.0, 0.0))
H = 1e-6  # central-difference step

UNARY = sorted(name for name, op in OPS.items() if op.arity == 1)
BINARY = sorted(name for name, op in OPS.items() if op.arity == 2)


def _numbers(name: str, k: int) -> list[float]:
    return [POINTS_X[k]] if OPS[name].arity == 1 else [POINTS_X[k], POINTS_Y[k]]


def _direction(name: str, k: int) -> list[float]:
    return list(TANGENTS[k][: max(OPS[name].arity, 1)])


def _central_difference(f, xs: list[float], v: list[float]) -> float:
    """(f(x + h·v) - f(x - h·v)) / 2h: the directional derivative, numerically."""
    plus = f(*[Value(x + H * t) for x, t in zip(xs, v)]).data
    minus = f(*[Value(x - H * t) for x, t in zip(xs, v)]).data
    return (plus - minus) / (2 * H)


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(b))


# --------------------------------------------------------------------------------------------
# Every row of the op table
# --------------------------------------------------------------------------------------------


def test_the_table_has_unary_and_binary_rows_to_check():
    assert {"add", "sub", "mul", "div", "pow_value"} <= set(BINARY)
    assert {"tanh", "exp", "log", "sqrt", "pow", "leaky_relu", "elu", "swish"} <= set(UNARY)
    assert len(UNARY) + len(BINARY) == len(OPS) - 1  # all but the n-ary logsumexp


@pytest.mark.parametrize("k", range(len(POINTS_X)))
@pytest.mark.parametrize("name", UNARY + BINARY)
def test_every_op_matches_central_differences(name, k):
    f, xs, v = CASES[name].call, _numbers(name, k), _direction(name, k)
    out, out_dot = jvp(f, xs, v)
    assert out.op == name and out.data == f(*[Value(x) for x in xs]).data
    assert isinstance(out_dot, float)
    assert out_dot == pytest.approx(_central_difference(f, xs, v), rel=1e-6, abs=1e-7)


@pytest.mark.parametrize("k", range(len(POINTS_X)))
@pytest.mark.parametrize("name", UNARY + BINARY)
def test_every_op_matches_torch_func_jvp_in_float64(name, k):
    torch = pytest.importorskip("torch")
    case = CASES[name]
    xs, v = _numbers(name, k), _direction(name, k)
    primals = tuple(torch.tensor(x, dtype=torch.float64) for x in xs)
    directions = tuple(torch.tensor(t, dtype=torch.float64) for t in v)
    t_out, t_dot = torch.func.jvp(lambda *ts: case.torch(torch, *ts), primals, directions)
    out, out_dot = jvp(case.call, xs, v)
    assert out.data == pytest.approx(t_out.item(), rel=1e-14, abs=1e-300)
    assert _rel(out_dot, t_dot.item()) <= 1e-12


def test_logsumexp_is_the_softmax_dotted_with_the_tangent():
    xs, v = [0.3, -1.2, 2.5, 0.9], [1.0, -0.5, 0.25, 2.0]
    out, out_dot = jvp(lambda *a: logsumexp(list(a)), xs, v)
    assert out.op == "logsumexp"
    total = sum(math.exp(x) for x in xs)
    expected = sum(math.exp(x) / total * t for x, t in zip(xs, v))
    assert out_dot == pytest.approx(expected, rel=1e-14)
    numeric = _central_difference(lambda *a: logsumexp(list(a)), xs, v)
    assert out_dot == pytest.approx(numeric, rel=1e-7)


def test_logsumexp_matches_torch_func_jvp():
    torch = pytest.importorskip("torch")
    xs, v = [0.3, -1.2, 2.5], [1.0, -0.5, 0.25]
    _, t_dot = torch.func.jvp(
        lambda *a: torch.logsumexp(torch.stack(a), 0),
        tuple(torch.tensor(x, dtype=torch.float64) for x in xs),
        tuple(torch.tensor(t, dtype=torch.float64) for t in v),
    )
    _, out_dot = jvp(lambda *a: logsumexp(list(a)), xs, v)
    assert _rel(out_dot, t_dot.item()) <= 1e-12


def test_forward_mode_reads_the_op_tables_rules():
    """A row's rule is what jvp multiplies by: a (deliberately odd) derivative shows through."""
    triple = define_op("jvp_test_triple", lambda x: 3.0 * x, lambda x: 42.0)
    try:
        _, out_dot = jvp(lambda x: triple(x), 1.0, 0.5)
        assert out_dot == 21.0
    finally:
        unregister("jvp_test_triple")


# --------------------------------------------------------------------------------------------
# Random expressions: forward mode along v equals the reverse-mode gradient dotted with v
# --------------------------------------------------------------------------------------------

# Steps that stay finite and inside every op's domain for inputs in [-2, 2].
_UNARY_STEPS = {
    "tanh": lambda a: a.tanh(),
    "sin": lambda a: a.sin(),
    "cos": lambda a: a.cos(),
    "sigmoid": lambda a: a.sigmoid(),
    "softplus": lambda a: a.softplus(),
    "gelu": lambda a: a.gelu(),
    "swish": lambda a: a.swish(),
    "erf": lambda a: a.erf(),
    "exp∘tanh": lambda a: a.tanh().exp(),
    "log(1+a²)": lambda a: (1.0 + a * a).log(),
    "√(1+a²)": lambda a: (1.0 + a * a).sqrt(),
    "square": lambda a: a**2,
    "neg": lambda a: -a,
    "scale": lambda a: 0.5 * a,
}
_BINARY_STEPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (1.0 + b * b),
    "pow_value": lambda a, b: (1.0 + a * a) ** b.tanh(),
    "logsumexp": lambda a, b: logsumexp([a, b, a * b]),
}


@st.composite
def expressions(draw):
    """(input numbers, tangent, steps): each step applies one op to earlier nodes."""
    n = draw(st.integers(1, 3))
    reals = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False)
    xs = draw(st.lists(reals, min_size=n, max_size=n))
    v = draw(st.lists(st.floats(-1.0, 1.0), min_size=n, max_size=n))
    steps = []
    for k in range(draw(st.integers(1, 7))):
        pool = n + k
        if draw(st.booleans()):
            steps.append(
                (draw(st.sampled_from(sorted(_UNARY_STEPS))), draw(st.integers(0, pool - 1)))
            )
        else:
            name = draw(st.sampled_from(sorted(_BINARY_STEPS)))
            steps.append((name, draw(st.integers(0, pool - 1)), draw(st.integers(0, pool - 1))))
    return xs, v, steps


def _build(steps):
    def f(*leaves):
        nodes = list(leaves)
        for name, *operands in steps:
            table = _UNARY_STEPS if len(operands) == 1 else _BINARY_STEPS
            nodes.append(table[name](*(nodes[i] for i in operands)))
        return nodes[-1], nodes[len(leaves)]  # the last node, and the first step's node

    return f


@settings(max_examples=200, deadline=None)
@given(expressions())
def test_forward_mode_equals_the_reverse_gradient_dotted_with_the_tangent(case):
    xs, v, steps = case
    f = _build(steps)
    (last, first), (last_dot, first_dot) = jvp(f, xs, v)
    leaves = [Value(x) for x in xs]
    outs = f(*leaves)
    for out, out_dot, computed in zip(outs, (last_dot, first_dot), (last, first)):
        assert computed.data == out.data
        g = [gi.data for gi in grad(out, leaves, materialize_grads=True)]
        expected = sum(gi * t for gi, t in zip(g, v))
        scale = 1.0 + sum(abs(gi * t) for gi, t in zip(g, v))
        assert abs(out_dot - expected) <= 1e-12 * scale


# --------------------------------------------------------------------------------------------
# Outputs, leaves and the walk
# --------------------------------------------------------------------------------------------


def test_several_outputs_share_one_walk_and_come_back_as_tuples():
    def f(x, y):
        shared = (x * y).tanh()
        return [shared, shared * x, y]  # a list, an output that is an input

    outs, dots = jvp(f, [0.4, -0.9], [1.0, 2.0])
    assert isinstance(outs, tuple) and isinstance(dots, tuple) and len(dots) == 3
    s = math.tanh(0.4 * -0.9)
    ds = (1 - s * s) * (-0.9 * 1.0 + 0.4 * 2.0)
    assert dots[0] == pytest.approx(ds, rel=1e-15)
    assert dots[1] == pytest.approx(ds * 0.4 + s * 1.0, rel=1e-15)
    assert dots[2] == 2.0


def test_single_input_and_constants_inside_f_have_tangent_zero():
    out, out_dot = jvp(lambda x: x * Value(3.0) + 2.0, 1.5, 2.0)
    assert out.data == 6.5 and out_dot == 6.0
    assert jvp(lambda x: Value(7.0), 1.0, 1.0)[1] == 0.0
    assert jvp(lambda x: x, 1.0, -3.0)[1] == -3.0


def test_f_gets_fresh_leaves_and_the_callers_values_are_untouched():
    a = Value(2.0, label="a")
    seen = []

    def f(x):
        seen.append(x)
        return x * x

    out, out_dot = jvp(f, a, 1.0)
    assert out_dot == 4.0 and seen[0] is not a and seen[0].data == 2.0
    assert seen[0].label == "a" and a.grad == 0.0 and a.parents == ()


def test_an_outer_no_grad_does_not_apply_but_one_inside_f_cuts_the_graph():
    with no_grad():
        assert jvp(lambda x: x.exp(), 0.0, 2.0)[1] == 2.0

    def f(x):
        with no_grad():
            c = x * 3.0
        return x + c

    assert jvp(f, 1.0, 1.0)[1] == 1.0


def test_a_zero_tangent_contributes_zero_even_where_the_rule_raises():
    # sqrt at 0: the rule 0.5/out divides by zero; with tangent 0 there it is never needed
    out, out_dot = jvp(lambda x, y: x.sqrt() * y, [0.0, 3.0], [0.0, 1.0])
    assert out.data == 0.0 and out_dot == 0.0


def test_a_needed_rule_that_raises_names_the_op_and_the_value():
    with pytest.raises(ZeroDivisionError, match=r"sqrt\(x=0\.0\)"):
        jvp(lambda x: x.sqrt(), 0.0, 1.0)


def test_a_tangent_that_overflows_names_the_op():
    with pytest.raises(OverflowError, match=r"tangent of mul\(x=1\.0, y=1e\+300\)"):
        jvp(lambda x: x * 1e300, 1.0, 1e300)


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "inputs, tangents, error, message",
    [
        ([1.0, 2.0], [1.0], ValueError, r"1 tangents for 2 inputs"),
        ([1.0, 2.0], 1.0, TypeError, r"tangents must be a list of 2 numbers, got float 1\.0"),
        (1.0, [1.0], TypeError, r"tangents must be one number, got list \[1\.0\]"),
        ([], [], ValueError, r"inputs is empty"),
        ("ab", 1.0, TypeError, r"got str 'ab'"),
        ([1.0, "a"], [1.0, 1.0], TypeError, r"inputs\[1\].*'a'"),
        ([1.0, True], [1.0, 1.0], TypeError, r"inputs\[1\].*True"),
        ([1.0, 2.0], [1.0, None], TypeError, r"tangents\[1\].*None"),
        ([1.0, 2.0], [1.0, Value(1.0)], TypeError, r"tangents\[1\].*a Value"),
        (1.0, math.nan, ValueError, r"tangent must be finite, got nan"),
        ([1.0, 2.0], [1.0, math.inf], ValueError, r"tangents\[1\] must be finite, got inf"),
    ],
)
def test_malformed_inputs_and_tangents_are_named(inputs, tangents, error, message):
    with pytest.raises(error, match=message):
        jvp(lambda *xs: xs[0], inputs, tangents)


@pytest.mark.parametrize(
    "returned, message",
    [
        (3.0, r"f must return a Value or a tuple of Values, got float 3\.0"),
        (None, r"got NoneType None"),
        ((), r"got \(\)"),
        ("x", r"got str 'x'"),
    ],
)
def test_f_must_return_values(returned, message):
    with pytest.raises(TypeError, match=message):
        jvp(lambda x: returned, 1.0, 1.0)


def test_an_output_that_is_not_a_value_is_named():
    with pytest.raises(TypeError, match=r"output 1 of f is float 2\.0, not a Value"):
        jvp(lambda x: (x, 2.0), 1.0, 1.0)


def test_f_must_be_callable():
    with pytest.raises(TypeError, match="f must be callable, got int 3"):
        jvp(3, 1.0, 1.0)


def test_a_rule_that_raises_only_in_a_branch_it_does_not_take_gives_the_ieee_answer():
    """∂(x^y)/∂x at x = 0, y = 1 is 1 although ln 0 appears in the other (unused) branch."""
    out, out_dot = jvp(lambda x, y: x**y, [0.0, 1.0], [1.0, 0.0])
    x, y = Value(0.0), Value(1.0)
    (x**y).backward()
    assert out_dot == x.grad == 1.0
