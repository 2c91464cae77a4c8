"""Random graphs over every op of the table: replay equals the eager engine.

For each op, hypothesis builds small random graphs that use it (mixed with random other ops,
constants and parameters), traces them on one set of inputs and replays them on another:

* floats (generated code and the interpreter): values and gradients equal the eager graph's bit
  for bit (gradients up to the sign of a zero), and an input eager rejects is rejected with the
  same exception type;
* numpy batches: every example equals the eager graph to rounding (numpy's exp/log/tanh may differ
  from math's in the last bit), and a batch with a bad example raises naming it.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import engine
from engine import OPS, Parameter, Value, trace
from engine.core.value import apply_op

np = pytest.importorskip("numpy")

ARGS = {
    "leaky_relu": [0.01, 0.2],
    "elu": [1.0, 0.5],
    "swish": [1.0, 2.0],
    "pow": [2.0, 3.0, -1.0, 0.5, 0.0, -2.0, 1.5],
}
ERRORS = (ValueError, ZeroDivisionError, OverflowError)


def reals() -> st.SearchStrategy[float]:
    return st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)


@st.composite
def steps(draw, must: str) -> list:
    """A list of (op, operand picks, arg); `must` appears at least once."""
    names = sorted(OPS)
    count = draw(st.integers(1, 8))
    ops = [draw(st.sampled_from(names)) for _ in range(count)]
    ops.insert(draw(st.integers(0, count)), must)
    out = []
    for name in ops:
        arity = OPS[name].arity
        k = draw(st.integers(1, 4)) if arity == -1 else arity
        picks = [
            draw(st.one_of(st.integers(0, 50), reals().map(lambda c: ("const", c))))
            for _ in range(k)
        ]
        arg = draw(st.sampled_from(ARGS[name])) if name in ARGS else None
        out.append((name, picks, arg))
    return out


def build(description: list, params: list, outputs: int):
    """f(*inputs) applying the described ops, each to earlier nodes or new constants."""

    def f(*inputs):
        nodes = list(inputs) + list(params)
        for name, picks, arg in description:
            operands = tuple(
                Value(p[1]) if isinstance(p, tuple) else nodes[p % len(nodes)] for p in picks
            )
            nodes.append(apply_op(OPS[name], operands, arg))
        return nodes[-1] if outputs == 1 else nodes[-outputs:]

    return f


def eager(f, inputs: list[float], params: list) -> tuple:
    """(value, input grads, parameter grads) of the eager graph, or the exception it raises."""
    for p in params:
        p.grad = 0.0
    xs = [Value(x) for x in inputs]
    try:
        out = f(*xs)
        out.backward()
    except ERRORS as exc:
        return exc
    return out.data, [x.grad for x in xs], [p.grad for p in params]


def eager_inputs(f, inputs: list[float]) -> tuple:
    """(value, input grads) as ``engine.grad(out, xs)`` gives them (what `Program.grad` is: it
    raises only for the inputs' gradients), or the exception it raises."""
    xs = [Value(x) for x in inputs]
    try:
        out = f(*xs)
        grads = engine.grad(out, xs, materialize_grads=True)
    except ERRORS as exc:
        return exc
    return out.data, [g.data for g in grads]


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return same(a, b) or not (math.isfinite(a) and math.isfinite(b))
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


@pytest.mark.parametrize("op_name", sorted(OPS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_replay_on_floats_is_the_eager_graph_bit_for_bit(op_name, data):
    description = data.draw(steps(op_name))
    n_inputs = data.draw(st.integers(1, 3))
    params = [Parameter(v) for v in data.draw(st.lists(reals(), max_size=2))]
    f = build(description, params, 1)
    first = data.draw(st.lists(reals(), min_size=n_inputs, max_size=n_inputs))
    second = data.draw(st.lists(reals(), min_size=n_inputs, max_size=n_inputs))
    traced = eager(f, first, params)
    assume(not isinstance(traced, Exception))
    program = trace(f, *first)
    asked = eager_inputs(f, second)  # what program.grad is: engine.grad of the inputs
    expected = eager(f, second, params)  # what program.backward is: backward() of every leaf
    for via in ("codegen", "interpreter"):
        if isinstance(asked, Exception):
            with pytest.raises(type(asked)):
                program.grad(*second, via=via)
        else:
            value, input_grads = asked
            assert program(*second, via=via) == value
            grads = program.grad(*second, via=via)
            assert all(same(a, b) for a, b in zip(grads, input_grads)), (grads, input_grads)
        for p in params:
            p.grad = 0.0
        if isinstance(expected, Exception):
            with pytest.raises(type(expected)):
                program.backward(*second, via=via)
            continue
        value, _, param_grads = expected
        assert program.backward(*second, via=via) == value
        assert all(same(p.grad, g) for p, g in zip(params, param_grads))


@pytest.mark.parametrize("op_name", sorted(OPS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_replay_on_numpy_batches_equals_eager_per_example(op_name, data):
    description = data.draw(steps(op_name))
    n_inputs = data.draw(st.integers(1, 3))
    params = [Parameter(v) for v in data.draw(st.lists(reals(), max_size=2))]
    f = build(description, params, 1)
    rows = data.draw(
        st.lists(st.lists(reals(), min_size=n_inputs, max_size=n_inputs), min_size=2, max_size=5)
    )
    traced = eager(f, rows[0], params)
    assume(not isinstance(traced, Exception))
    program = trace(f, *rows[0])
    asked = [eager_inputs(f, row) for row in rows]
    columns = [np.array(col) for col in zip(*rows)]
    if any(isinstance(e, Exception) for e in asked):
        with pytest.raises(ERRORS, match="example"):
            program.grad(*columns)
        return
    values = program(*columns)
    assert all(close(v, e[0]) for v, e in zip(values, asked)), (values, asked)
    grads = program.grad(*columns)
    for i, column in enumerate(grads):
        assert all(close(g, e[1][i]) for g, e in zip(column, asked))
    expected = [eager(f, row, params) for row in rows]  # backward(): every leaf's gradient
    for p in params:
        p.grad = 0.0
    if any(isinstance(e, Exception) for e in expected):
        with pytest.raises(ERRORS):
            program.backward(*columns)
        return
    program.backward(*columns)
    for j, p in enumerate(params):
        total = sum(e[2][j] for e in reversed(expected))  # eager adds the last example first
        assert close(p.grad, total) or not math.isfinite(total)


@settings(max_examples=40, deadline=None)
@given(
    description=steps("mul"),
    first=st.lists(reals(), min_size=2, max_size=2),
    second=st.lists(reals(), min_size=2, max_size=2),
)
def test_several_outputs_and_seeds_match_two_eager_backward_passes(description, first, second):
    f = build(description, [], 2)
    try:
        f(*[Value(x) for x in first])
    except ERRORS:
        assume(False)
    program = trace(f, *first)
    xs = [Value(x) for x in second]
    try:  # program.grad is engine.grad: it raises only for the inputs' gradients (a constant
        a, b = f(*xs)  # made inside f may overflow without harm, as in torch.autograd.grad)
        expected = engine.grad([a, b], xs, [0.5, -2.0], materialize_grads=True)
    except ERRORS as exc:
        with pytest.raises(type(exc)):
            program.grad(*second, seed=[0.5, -2.0])
        return
    assert program(*second) == [a.data, b.data]
    grads = program.grad(*second, seed=[0.5, -2.0])
    assert all(close(g, e.data) for g, e in zip(grads, expected))
