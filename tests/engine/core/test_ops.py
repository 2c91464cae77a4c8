"""Every op of the table, one test body each: engine gradient vs central differences vs PyTorch.

The cases are `tests/engine/core/op_cases.py`'s: adding an op to `engine/core/ops.py` means
adding its case there; `test_every_op_has_a_case` fails until you do.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import OPS, Value, gradcheck
from engine.core.chain_rule import local_derivatives
from engine.core.maths import WALKER_NAMES
from engine.core.ops import FLOAT_MATH
from engine.functional.gradcheck import numerical_gradient
from tests.engine.core.op_cases import CASES, Case

OP_NAMES = sorted(CASES)


def test_every_op_has_a_case():
    assert set(CASES) == set(OPS), "add a row to CASES for every op of the table (and only those)"


def _engine_grads(case: Case, xs: list[float]) -> tuple[float, list[float], Value]:
    leaves = [Value(x) for x in xs]
    out = case.call(*leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves], out


@pytest.mark.parametrize("name", OP_NAMES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_gradient_matches_central_differences(name, data):
    case = CASES[name]
    xs = [data.draw(domain, label=f"x{i}") for i, domain in enumerate(case.domains)]
    _, analytic, out = _engine_grads(case, xs)
    assert out.op == name, f"the case for {name!r} builds op {out.op!r}"
    numeric = numerical_gradient(case.call, xs, eps=1e-6)
    for a, n in zip(analytic, numeric):
        assert a == pytest.approx(n, rel=1e-4, abs=1e-5)


@pytest.mark.parametrize("name", OP_NAMES)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_value_and_gradient_match_torch_float64(name, data):
    torch = pytest.importorskip("torch")
    case = CASES[name]
    xs = [data.draw(domain, label=f"x{i}") for i, domain in enumerate(case.domains)]
    value, analytic, _ = _engine_grads(case, xs)
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    t_out = CASES[name].torch(torch, *ts)
    t_out.backward()
    assert value == pytest.approx(t_out.item(), rel=1e-12, abs=1e-12)
    for a, t in zip(analytic, ts):
        assert a == pytest.approx(t.grad.item(), rel=1e-9, abs=1e-12)


# Kinks: where the derivative is not defined we take PyTorch's choice. The engine's value is
# written down here, and checked against torch when it is installed.
KINK_DERIVATIVES = [
    ("relu", 0.0, 0.0),
    ("leaky_relu", 0.0, 0.2),
    ("elu", 0.0, 0.7),
    ("abs", 0.0, 0.0),
    ("binary_step", 0.0, 0.0),
    ("hardtanh", 1.0, 0.0),
    ("hardtanh", -1.0, 0.0),
]


@pytest.mark.parametrize("name, at, expected", KINK_DERIVATIVES)
def test_derivative_at_the_kink_is_pytorchs_choice(name, at, expected):
    x = Value(at)
    CASES[name].call(x).backward()
    assert x.grad == expected
    torch = pytest.importorskip("torch")
    t = torch.tensor(at, dtype=torch.float64, requires_grad=True)
    CASES[name].torch(torch, t).backward()
    assert x.grad == t.grad.item()


def test_pow_value_exponent_gradient_at_zero_base_is_zero_like_pytorch():
    x, y = Value(0.0), Value(2.0)
    (x**y).backward()
    assert (x.grad, y.grad) == (0.0, 0.0)


@pytest.mark.parametrize("name", OP_NAMES)
def test_every_row_documents_itself(name):
    op = OPS[name]
    assert op.formula and op.symbol and op.local.__doc__
    assert len(op.derivatives) == (1 if op.arity == -1 else op.arity)


def test_a_wrong_rule_is_caught_by_gradcheck():
    """Register a copy of tanh whose derivative forgets the square: gradcheck must refuse it."""
    from engine.core.ops import Op, register
    from engine.core.value import apply_op

    wrong = Op(
        "tanh_wrong",
        1,
        lambda x, _: math.tanh(x),
        lambda m, x, out, arg: (1.0 - out,),
        "tanh(x)",
        ("1 - tanh(x)",),
        "tanh?",
    )
    register(wrong)
    try:
        with pytest.raises(AssertionError, match=r"input 0 \(x0 = 0\.5\)"):
            gradcheck(lambda x: apply_op(wrong, (x,)), [0.5])
        assert gradcheck(lambda x: x.tanh(), [0.5])
    finally:
        del OPS["tanh_wrong"]


# The rules must also run on Values (for higher-order gradients later): evaluate each one with
# Values in place of floats and a namespace of Value methods, and compare with the float result.
VALUE_MATH = SimpleNamespace(
    exp=Value.exp,
    log=Value.log,
    sqrt=Value.sqrt,
    sin=Value.sin,
    cos=Value.cos,
    tanh=Value.tanh,
    erf=Value.erf,
    erfc=lambda x: 1.0 - x.erf(),
    sigmoid=Value.sigmoid,
    softplus=Value.softplus,
    sign=Value.binary_step,
    if_pos=lambda x, then, otherwise: then if x.data > 0 else otherwise,
    if_nonpos=lambda x, then, otherwise: then if x.data <= 0 else otherwise,
)


def test_value_math_has_every_function_float_math_has():
    assert set(vars(VALUE_MATH)) == set(vars(FLOAT_MATH)) - WALKER_NAMES


# Points where every branch of every rule is taken (kinks, both signs, a zero exponent).
VALUE_POINTS = [
    (0.7, 1.3, -0.4),
    (-0.7, 2.0, 0.5),
    (0.0, 0.0, 3.0),
    (2.5, -1.5, 2.5),
]


def _defined_points():
    """(op name, inputs) for every point of VALUE_POINTS where the op and its rule are defined."""
    for name in OP_NAMES:
        arity = OPS[name].arity
        for point in VALUE_POINTS:
            xs = list(point[: (3 if arity == -1 else arity)])
            try:
                local_derivatives(CASES[name].call(*[Value(x) for x in xs]))
            except (ValueError, ZeroDivisionError, OverflowError):
                continue  # log(-0.7), √0's infinite slope, 0 ** 0's rule on floats: not here
            yield name, xs


@pytest.mark.parametrize("name, xs", list(_defined_points()))
def test_rules_are_written_with_operations_values_also_have(name, xs):
    op = OPS[name]
    node = CASES[name].call(*[Value(x) for x in xs])
    floats = local_derivatives(node)
    as_values = [Value(x) for x in xs]
    out = Value(node.data)
    if op.arity == 1:
        values = op.local(VALUE_MATH, as_values[0], out, node.arg)
    elif op.arity == 2:
        values = op.local(VALUE_MATH, as_values[0], as_values[1], out)
    else:
        values = op.local(VALUE_MATH, tuple(as_values), out)
    got = [v.data if isinstance(v, Value) else v for v in values]
    assert got == pytest.approx(list(floats), rel=1e-12, abs=1e-15)


# --------------------------------------------------------------------------------------------
# NaN in, NaN out: every row, forward and backward
# --------------------------------------------------------------------------------------------

NAN_POINT = (0.7, 1.3, -0.4)


def _nan_cases():
    for name in OP_NAMES:
        arity = OPS[name].arity
        for i in range(3 if arity == -1 else arity):
            yield name, i


@pytest.mark.parametrize("name, position", list(_nan_cases()))
def test_nan_in_gives_nan_out_for_every_op(name, position):
    xs = list(NAN_POINT[: (3 if OPS[name].arity == -1 else OPS[name].arity)])
    xs[position] = math.nan
    leaves = [Value(x) for x in xs]
    out = CASES[name].call(*leaves)
    assert math.isnan(out.data), f"{name} hides a NaN: {out!r}"
    out.backward()  # NaN that came in is not an error: it propagates
    grads = [leaf.grad for leaf in leaves]
    torch = pytest.importorskip("torch")
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    t_out = CASES[name].torch(torch, *ts)
    if name != "binary_step":  # torch.sign(nan) is 0: chainrule keeps the NaN (its policy)
        assert math.isnan(t_out.item())
    t_out.backward()
    expected = [t.grad.item() for t in ts]
    assert [g if g == g else "nan" for g in grads] == [e if e == e else "nan" for e in expected], (
        f"{name}: gradients {grads}, PyTorch {expected}"
    )


def test_nan_to_the_power_zero_is_one_as_ieee_and_pytorch_say():
    for out in (Value(math.nan) ** 0, Value(math.nan) ** Value(0.0), Value(1.0) ** Value(math.nan)):
        assert out.data == 1.0


# --------------------------------------------------------------------------------------------
# Selected zeros win over an infinite upstream gradient (PyTorch's where), products do not
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, make",
    [
        ("relu at x < 0", lambda x: x.relu()),  # relu(-2) = 0
        ("binary_step", lambda x: x.binary_step() + 1.0),  # sign(-2) + 1 = 0
        ("x ** 0", lambda x: x**0 - 1.0),  # 1 - 1 = 0
    ],
)
def test_a_chosen_zero_derivative_stops_an_infinite_gradient(name, make):
    """√0 sends an infinite gradient back; relu's, sign's and x⁰'s chosen 0 stop it (PyTorch)."""
    x = Value(-2.0, label="x")
    make(x).sqrt().backward()
    assert x.grad == 0.0
    torch = pytest.importorskip("torch")
    t = torch.tensor(-2.0, dtype=torch.float64, requires_grad=True)
    t_make = {
        "relu at x < 0": torch.relu,
        "binary_step": lambda v: torch.sign(v) + 1.0,
        "x ** 0": lambda v: v**0 - 1.0,
    }[name]
    t_make(t).sqrt().backward()
    assert t.grad.item() == 0.0


def test_the_base_of_x_to_a_zero_value_gets_a_chosen_zero_too():
    x, y = Value(2.0, label="x"), Value(0.0, label="y")
    with pytest.raises(ZeroDivisionError, match=r"backward through sqrt.*'y'"):
        (x**y - 1.0).sqrt().backward()  # ∂/∂y = x^y·ln(x) times inf: y's gradient is inf
    assert x.grad == 0.0 and y.grad == 0.0  # the pass is atomic: nothing written


def test_a_zero_from_a_product_does_not_stop_it_and_the_error_names_the_op():
    x = Value(1.0, label="x")
    with pytest.raises(ZeroDivisionError, match=r"backward through sqrt\(x=0\.0\).*'x'"):
        (x * 0.0).sqrt().backward()  # PyTorch: x.grad = inf · 0 = nan


def test_register_and_unregister_count_the_changes_of_the_table():
    from dataclasses import replace

    from engine.core.ops import register, table_version, unregister

    before = table_version()
    row = replace(OPS["tanh"], name="tanh_copy", methods=())
    try:
        register(row)
        assert OPS["tanh_copy"] is row and table_version() == before + 1
        assert unregister("tanh_copy") is row and table_version() == before + 2
        with pytest.raises(KeyError, match="no op 'tanh_copy'"):
            unregister("tanh_copy")
    finally:
        OPS.pop("tanh_copy", None)
