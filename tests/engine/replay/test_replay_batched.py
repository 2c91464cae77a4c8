"""Replay on numpy batches: the maths namespace for arrays, batch inputs and outputs, errors."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Parameter, Value, trace
from engine.core.maths import WALKER_NAMES
from engine.core.ops import FLOAT_MATH

np = pytest.importorskip("numpy")

from engine.replay.batched import ERRSTATE, elementwise, numpy_math  # noqa: E402


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-800, 800, allow_nan=False), min_size=1, max_size=8))
def test_numpy_maths_is_the_float_maths_elementwise(xs):
    m = numpy_math()
    x = np.array(xs)
    safe = np.clip(x, -700, 700)
    positive = np.abs(x) + 0.5
    for name, arg in [
        ("exp", safe),
        ("log", positive),
        ("sqrt", positive),
        ("sin", x),
        ("cos", x),
        ("tanh", x),
        ("erf", x),
        ("erfc", x),
        ("sigmoid", x),
        ("softplus", x),
        ("sign", x),
    ]:
        got = getattr(m, name)(arg)
        want = [getattr(FLOAT_MATH, name)(v) for v in arg.tolist()]
        assert got == pytest.approx(want, rel=1e-14, abs=1e-300), name
    with_nan = np.append(x, [0.0, -0.0, math.nan])
    for name in ("if_pos", "if_nonpos"):
        got = getattr(m, name)(with_nan, 1.0, 2.0)
        want = [getattr(FLOAT_MATH, name)(v, 1.0, 2.0) for v in with_nan.tolist()]
        assert list(got) == want, name
    # every function FLOAT_MATH has, numpy's has too (the rules call them all)
    assert all(callable(getattr(m, name)) for name in set(vars(FLOAT_MATH)) - WALKER_NAMES)


def test_numpy_maths_has_no_function_float_maths_lacks():
    m = numpy_math()
    with pytest.raises(AttributeError):
        m.xlogy  # noqa: B018  (FLOAT_MATH dropped it; the rules no longer use it)


def test_the_stable_sigmoid_never_overflows_and_sign_of_nan_is_zero():
    m = numpy_math()
    with np.errstate(**ERRSTATE):  # overflow raises, as in replay
        assert list(m.sigmoid(np.array([-1000.0, 0.0, 1000.0]))) == [0.0, 0.5, 1.0]
        assert list(m.softplus(np.array([-1000.0, 1000.0]))) == [0.0, 1000.0]
    assert list(m.sign(np.array([math.nan, -2.0, 0.0]))) == [0.0, -1.0, 0.0]


def test_a_function_numpy_lacks_falls_back_to_floats_elementwise():
    m = numpy_math()
    assert list(m.if_pos(np.array([1.0, -1.0]), 2.0, 3.0)) == [2.0, 3.0]
    square = elementwise(lambda v: v * v)
    assert list(square(np.array([1.0, 3.0]))) == [1.0, 9.0] and square(2.0) == 4.0


def f(x, y):
    return (x * y).tanh() + (x - y) ** 2.0


def test_a_batch_gives_one_result_per_example():
    program = trace(f, 0.5, 0.2)
    x, y = np.array([0.5, -1.0, 2.0]), np.array([0.2, 0.3, -0.4])
    values = program(x, y)
    assert values.shape == (3,)
    grads = program.grad(x, y)
    for k in range(3):
        a, b = Value(x[k]), Value(y[k])
        out = f(a, b)
        out.backward()
        assert values[k] == pytest.approx(out.data, rel=1e-15)
        assert grads[0][k] == pytest.approx(a.grad, rel=1e-14)
        assert grads[1][k] == pytest.approx(b.grad, rel=1e-14)


def test_numbers_broadcast_across_a_batch():
    program = trace(f, 0.5, 0.2)
    x = np.array([0.5, -1.0])
    assert list(program(x, 0.3)) == pytest.approx([program(0.5, 0.3), program(-1.0, 0.3)])
    dx, dy = program.grad(x, 0.3)
    assert dy.shape == (2,)


def test_list_inputs_take_n_by_d_arrays_and_give_n_by_d_gradients():
    w = Parameter(0.5)
    program = trace(lambda v: (v[0] * w + v[1]).sigmoid(), [1.0, 2.0])
    X = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]])
    assert list(program(X)) == pytest.approx([program(list(row)) for row in X.tolist()])
    (grad,) = program.grad(X)
    assert grad.shape == (3, 2)
    assert list(grad[1]) == pytest.approx(program.grad([0.5, -1.0])[0], rel=1e-14)
    assert list(program(list(X.T))) == list(program(X))  # a list of d columns works too
    assert program(np.array([1.0, 2.0])) == program([1.0, 2.0])  # shape (d,): one example


def test_backward_on_a_batch_adds_the_gradients_summed_over_it():
    w = Parameter(0.7)
    program = trace(lambda x: (w * x).tanh(), 1.0)
    xs = [0.1, -0.5, 2.0]
    w.grad = 1.0
    outs = program.backward(np.array(xs), seed=np.array([1.0, 2.0, 0.5]))
    batched = w.grad
    w.grad = 1.0
    for x, s in zip(xs, [1.0, 2.0, 0.5]):
        program.backward(x, seed=s)
    assert batched == pytest.approx(w.grad, rel=1e-14)
    assert type(batched) is float and outs.shape == (3,)


def test_outputs_that_do_not_depend_on_the_inputs_are_broadcast():
    w = Parameter(3.0)
    program = trace(lambda x: [x * 2.0, w * w, 5.0], 1.0)
    a, b, c = program(np.array([1.0, 2.0]))
    assert list(a) == [2.0, 4.0] and list(b) == [9.0, 9.0] and list(c) == [5.0, 5.0]
    w.grad = 0.0
    program.backward(np.array([1.0, 2.0]), seed=[1.0, 1.0, 1.0])
    assert w.grad == 12.0  # ∂(w·w)/∂w = 6, once per example


def test_a_bad_example_is_named_with_the_eager_error():
    program = trace(lambda x: x.log() * 2.0, 1.0)
    with pytest.raises(ValueError, match="example 2") as info:
        program(np.array([1.0, 2.0, -1.0, 0.5]))
    assert "log" in str(info.value)
    with pytest.raises(OverflowError, match="example 1"):
        trace(lambda x: x * x, 1.0)(np.array([1.0, 1e200]))
    with pytest.raises(ZeroDivisionError, match="example 0"):
        trace(lambda x: x.sqrt(), 1.0).grad(np.array([0.0, 1.0]))


def test_infinite_and_nan_inputs_behave_as_eager_per_example():
    program = trace(lambda x: (x * 2.0).tanh() + x, 1.0)
    values = program(np.array([math.inf, 1.0, math.nan]))
    assert values[0] == math.inf and values[1] == program(1.0) and math.isnan(values[2])


def test_ops_numpy_cannot_run_whole_are_run_per_example():
    program = trace(lambda x, y: x**y + x**0.5, 2.0, 3.0)  # pow_value, and pow with a check
    x, y = np.array([2.0, 4.0]), np.array([3.0, 0.5])
    assert list(program(x, y)) == pytest.approx([program(2.0, 3.0), program(4.0, 0.5)])
    assert "_each_forward" in program.source("numpy")


def test_batch_inputs_are_checked():
    program = trace(f, 0.5, 0.2)
    with pytest.raises(ValueError, match="same length"):
        program(np.array([1.0, 2.0]), np.array([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"shape \(n,\)"):
        program(np.ones((2, 2)), 1.0)
    with pytest.raises(TypeError, match="real numbers"):
        program(np.array(["a", "b"]), 1.0)
    with pytest.raises(TypeError, match="seed 0"):
        program.grad(np.array([1.0, 2.0]), 1.0, seed=np.ones(3))
    listy = trace(lambda v: v[0] + v[1], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        listy(np.ones((3, 3)))
