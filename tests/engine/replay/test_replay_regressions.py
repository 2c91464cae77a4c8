"""Replay bugs found and fixed, one section each: every test failed before its fix.

The rule they pin: a replay equals the eager engine wherever eager is finite, and raises where
eager raises, on floats (generated code and interpreter) and on numpy batches alike.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import engine
from engine import Parameter, Value, trace
from engine.replay import GuardError

VIAS = ("codegen", "interpreter")


def _eager(f, *xs):
    """f on fresh Values: (the outputs' numbers, the Values made for the inputs, the result)."""
    args = [[Value(v) for v in x] if isinstance(x, list) else Value(x) for x in xs]
    out = f(*args)
    return out, args


# --------------------------------------------------------------------------------------------
# 1. log_softmax's max shift is recomputed on every replay
# --------------------------------------------------------------------------------------------

LOGITS = [
    [1e16] * 3,
    [1e300] * 3,
    [1e12, 1e12 + 3.0, -1e12],
    [0.0, 0.0, 0.0],
    [-5.0, 0.0, 2.0],
    [math.inf, 1.0, 2.0],
    [-math.inf, 1.0, 2.0],
    [math.nan, 1.0, 2.0],
    [1.0, math.nan, 2.0],
]


@pytest.mark.parametrize("fn", [engine.softmax, engine.log_softmax])
@pytest.mark.parametrize("traced", [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [math.inf, 0.0, 1.0]])
def test_softmax_replays_equal_eager_for_any_logits(fn, traced):
    program = trace(lambda v: fn(v), traced)
    for logits in LOGITS:
        eager = [o.data for o in fn([Value(x) for x in logits])]
        for via in VIAS:
            got = program(logits, via=via)
            assert np.array_equal(got, eager, equal_nan=True), (via, logits, got, eager)
        batch = program(np.array([logits, logits]))
        for j, column in enumerate(batch):
            np.testing.assert_allclose(column, [eager[j]] * 2, rtol=1e-15, atol=0)


def test_softmax_gradients_replay_equal_eager_at_large_logits():
    program = trace(
        lambda v: engine.log_softmax(v)[0] * 2.0 + engine.softmax(v)[1], [1.0, 2.0, 3.0]
    )
    logits = [1e12, 1e12 + 3.0, -1e12]
    out, (xs,) = _eager(lambda v: engine.log_softmax(v)[0] * 2.0 + engine.softmax(v)[1], logits)
    out.backward()
    for via in VIAS:
        assert program(logits, via=via) == out.data
        assert program.grad(logits, via=via) == ([x.grad for x in xs],)
    np.testing.assert_allclose(
        program.grad(np.array([logits]))[0][0], [x.grad for x in xs], rtol=1e-14
    )


def test_logsumexp_replays_equal_eager_at_large_logits():
    program = trace(lambda v: engine.logsumexp(v), [1.0, 2.0, 3.0])
    for logits in LOGITS:
        eager = engine.logsumexp([Value(x) for x in logits]).data
        for via in VIAS:
            assert np.array_equal(program(logits, via=via), eager, equal_nan=True)


# --------------------------------------------------------------------------------------------
# 2. A Value built before the trace is a constant: the number it had when traced
# --------------------------------------------------------------------------------------------


def test_a_node_built_before_the_trace_is_held_not_recomputed():
    w = Parameter(0.5)
    h = w * 2.0
    program = trace(lambda x: x * h, 1.0)
    w.data = 10.0  # eager's h does not change: it is a number now
    eager = (Value(1.0) * h).data
    assert eager == 1.0
    for via in VIAS:
        assert program(1.0, via=via) == eager
        assert program.grad(3.0, via=via) == (h.data,)
    assert program(np.array([1.0, 2.0])).tolist() == [1.0, 2.0]
    assert program.grad(np.array([1.0, 2.0]))[0].tolist() == [1.0, 1.0]
    assert [ins.op for ins in program.instructions] == ["mul"]


def test_a_node_built_before_the_trace_keeps_its_traced_number_in_every_face():
    w = Parameter(0.25)
    h = (w * 4.0).exp()  # e
    program = trace(lambda x: (x + h).log(), 1.0)
    w.data = -100.0
    expected = math.log(2.0 + math.e)
    for via in VIAS:
        assert program(2.0, via=via) == expected
        assert program.backward(2.0, via=via) == expected
    assert w.grad == 0.0  # no gradient flows through a held number
    assert program(np.array([2.0, 2.0])).tolist() == [expected] * 2
    assert program.backward(np.array([2.0])).tolist() == [expected]
    assert program.parameters == []


# --------------------------------------------------------------------------------------------
# 3. A program knows when an op it runs was redefined
# --------------------------------------------------------------------------------------------


def test_a_program_refuses_to_run_an_op_redefined_after_it_was_traced():
    from engine.functional.custom import define_op
    from engine.replay import StaleProgramError

    square = define_op("rsq", lambda x: x * x, lambda x: 2 * x)
    program = trace(lambda x: square(x) + 1.0, 3.0)
    assert program(3.0) == 10.0
    program.source("numpy")  # compiled and cached before the change
    assert program(np.array([3.0])).tolist() == [10.0]
    cube = define_op("rsq", lambda x: x * x * x, lambda x: 3 * x * x)
    assert cube(Value(3.0)).data == 27.0
    calls = [
        lambda: program(3.0),
        lambda: program(3.0, via="interpreter"),
        lambda: program(np.array([3.0])),
        lambda: program.grad(3.0),
        lambda: program.backward(3.0),
        lambda: program.backward_rows([[3.0]], [[1.0]]),
        lambda: program.source(),
    ]
    for call in calls:
        with pytest.raises(StaleProgramError, match="'rsq' \\(redefined\\).*trace it again") as err:
            call()
        assert err.value.ops == ("rsq",)
    cube.remove()  # the old row is back: the program is right again
    assert program(3.0) == 10.0 and program(3.0, via="interpreter") == 10.0


def test_a_program_outlives_changes_to_ops_it_does_not_run():
    from engine.functional.custom import define_op

    program = trace(lambda x: x * x + 1.0, 3.0)
    with define_op("rsq_other", lambda x: -x, lambda x: -1.0):
        assert program(2.0) == 5.0
        assert program(np.array([2.0])).tolist() == [5.0]
    assert program(2.0, via="interpreter") == 5.0


# --------------------------------------------------------------------------------------------
# 4. A guard is checked where eager decided it, before the ops after it run
# --------------------------------------------------------------------------------------------


def _log_if_positive(x):
    if x.data > 0:
        return x.log()
    return x


def test_a_guard_raises_before_an_op_of_the_branch_it_rules_out():
    program = trace(_log_if_positive, 1.0)
    for via in VIAS:
        for call in (program, program.grad, program.backward):
            shown = r"\(x > 0.0\) was True when traced, and is False now \(x = -1.0\)"
            with pytest.raises(GuardError, match=shown) as err:
                call(-1.0, via=via)
            assert err.value.example is None
    with pytest.raises(GuardError, match="for example 1") as err:
        program(np.array([2.0, -1.0, -2.0]))
    assert err.value.example == 1 and err.value.values == (-1.0,)


def test_an_op_before_a_guard_raises_first_as_in_eager():
    def f(x):
        y = x.exp()  # overflows for x = 1000 before the comparison is made
        if y.data > 1.0:
            return (x - 2.0).log()
        return y

    program = trace(f, 3.0)
    with pytest.raises(OverflowError):
        f(Value(1000.0))
    for via in VIAS:
        with pytest.raises(OverflowError):
            program(1000.0, via=via)
        with pytest.raises(GuardError):
            program(-1.0, via=via)  # eager: exp fine, then the other branch
        with pytest.raises(ValueError, match="log"):
            program(1.0, via=via)  # the branch eager takes, and its log fails: as eager
    with pytest.raises(OverflowError, match="example 1"):
        program(np.array([3.0, 1000.0, -1.0]))
    with pytest.raises(GuardError, match="example 1"):
        program(np.array([3.0, -1.0, 1000.0]))


def test_a_guard_between_two_ops_sits_between_them_in_the_generated_code():
    program = trace(_log_if_positive, 1.0)
    lines = [line.strip() for line in program.source().split("def forward")[1].splitlines()]
    assert lines.index(next(l for l in lines if l.startswith("_check_guard"))) < lines.index(
        next(l for l in lines if "m.log" in l or "log1 =" in l)
    )


# --------------------------------------------------------------------------------------------
# 5. int(), round(), math.floor... guards on batches
# --------------------------------------------------------------------------------------------

ROUNDINGS = [
    ("int", lambda v: int(v) == 1),
    ("round", lambda v: round(v) == 2),
    ("round2", lambda v: round(v, 1) == 1.5),
    ("floor", lambda v: math.floor(v) == 1),
    ("ceil", lambda v: math.ceil(v) == 2),
    ("trunc", lambda v: math.trunc(v) == 1),
]


@pytest.mark.parametrize("name, test", ROUNDINGS, ids=[n for n, _ in ROUNDINGS])
def test_rounding_guards_on_batches_raise_guard_errors_naming_the_example(name, test):
    def f(x):
        return x * 2.0 if test(x.data) else x - 1.0

    program = trace(f, 1.5)
    assert program(np.array([])).tolist() == []
    assert program(np.array([1.5])).tolist() == [3.0]
    assert program(np.array([1.5, 1.5])).tolist() == [3.0, 3.0]
    for batch, k in [([5.5], 0), ([1.5, 7.5, 9.5], 1), ([7.5, 1.5], 0)]:
        with pytest.raises(GuardError, match=f"for example {k}") as err:
            program(np.array(batch))
        assert err.value.example == k
        with pytest.raises(GuardError):
            program(batch[k])
    for bad in (math.nan, math.inf):
        try:
            test(bad)
        except (ValueError, OverflowError) as exc:  # eager raises in f itself
            with pytest.raises(type(exc)):
                program(bad)
            with pytest.raises(type(exc), match="example 1"):
                program(np.array([1.5, bad]))
        else:
            with pytest.raises(GuardError, match="example 1"):
                program(np.array([1.5, bad]))


# --------------------------------------------------------------------------------------------
# 6. grad checks the inputs' gradients only; backward every leaf's, as eager
# --------------------------------------------------------------------------------------------


def test_grad_ignores_a_parameter_gradient_nobody_asked_for():
    w = Parameter(0.0)
    program = trace(lambda x: x * w.sqrt(), 2.0)
    x = Value(2.0)
    assert engine.grad(x * w.sqrt(), x)[0].data == 0.0
    for via in VIAS:
        assert program.grad(2.0, via=via) == (0.0,)
    assert program.grad(np.array([2.0, 3.0]))[0].tolist() == [0.0, 0.0]
    with pytest.raises(ZeroDivisionError):  # backward() wants w's gradient: eager raises
        (Value(2.0) * w.sqrt()).backward()
    for via in VIAS:
        with pytest.raises(ZeroDivisionError, match="sqrt"):
            program.backward(2.0, via=via)
    with pytest.raises(ZeroDivisionError, match="example 0"):
        program.backward(np.array([2.0]))
    assert w.grad == 0.0


def test_grad_ignores_a_constant_made_inside_that_nobody_asked_for():
    def f(x):
        return x * Value(0.0).sqrt()

    x = Value(2.0)
    assert engine.grad(f(x), x)[0].data == 0.0
    program = trace(f, 2.0)
    for via in VIAS:
        assert program.grad(2.0, via=via) == (0.0,)


def test_backward_raises_for_an_input_gradient_that_overflows_as_eager():
    w = Parameter(1.0)
    program = trace(lambda x: x.log() * w, 1.0)
    with pytest.raises(OverflowError):
        (Value(1e-320).log() * w).backward()
    w.grad = 0.0
    for via in VIAS:
        with pytest.raises(OverflowError, match="log"):
            program.backward(1e-320, via=via)
    with pytest.raises(OverflowError, match="example 1"):
        program.backward(np.array([1.0, 1e-320]))
    with pytest.raises(OverflowError, match="example 1"):
        program.backward_rows([[1.0], [1e-320]], [[1.0], [1.0]])
    assert w.grad == 0.0  # atomic: nothing added
    assert program.backward(2.0) == math.log(2.0) and w.grad == math.log(2.0)


# --------------------------------------------------------------------------------------------
# 7. Slot names never shadow what the generated code calls
# --------------------------------------------------------------------------------------------

BUILTIN_NAMES = ["zip", "float", "abs", "range", "len", "tuple", "list", "sum", "m", "math", "int"]


def test_parameters_and_inputs_named_like_builtins_replay_in_every_face():
    ws = [Parameter(0.1 * (i + 1), label=name) for i, name in enumerate(BUILTIN_NAMES)]

    def f(zip, float):  # a layer of two neurons over inputs named zip and float
        half = len(ws) // 2
        a = sum((w * zip for w in ws[:half]), ws[-1]).tanh()
        b = sum((w * float for w in ws[half:-1]), ws[0] * 0.5).tanh()
        return a + b

    program = trace(f, 1.0, 2.0)
    x, y = Value(0.3), Value(-0.7)
    out = f(x, y)
    for p in ws:
        p.grad = 0.0
    out.backward()
    eager_grads = [p.grad for p in ws]
    for via in VIAS:
        assert program(0.3, -0.7, via=via) == out.data
        assert program.grad(0.3, -0.7, via=via) == (x.grad, y.grad)
    for p in ws:
        p.grad = 0.0
    assert program.backward_rows([[0.3, -0.7]], [[1.0]]) == [(out.data,)]
    assert [p.grad for p in ws] == eager_grads
    for p in ws:
        p.grad = 0.0
    batch = program.backward(np.array([0.3, 0.3]), np.array([-0.7, -0.7]))
    np.testing.assert_allclose(batch, [out.data] * 2, rtol=1e-12)  # numpy: to rounding
    np.testing.assert_allclose([p.grad for p in ws], [2 * g for g in eager_grads], rtol=1e-12)
    assert not set(program._layout.names) & set(BUILTIN_NAMES)


# --------------------------------------------------------------------------------------------
# 8. x / 0 raises on batches too, whatever x is
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("numerator", [1.0, 0.0, math.inf, -math.inf, math.nan])
@pytest.mark.parametrize("zero", [0.0, -0.0])
def test_division_by_zero_raises_on_batches_naming_the_example(numerator, zero):
    program = trace(lambda x, y: (x / y) * 2.0, 1.0, 2.0)
    with pytest.raises(ZeroDivisionError):
        Value(numerator) / Value(zero)
    for via in VIAS:
        with pytest.raises(ZeroDivisionError):
            program(numerator, zero, via=via)
    xs, ys = np.array([1.0, numerator, 3.0]), np.array([1.0, zero, 1.0])
    for call in (program, program.grad, program.backward):
        with pytest.raises(ZeroDivisionError, match="example 1: div"):
            call(xs, ys)
    with pytest.raises(ZeroDivisionError, match="example 0: div"):
        program(numerator, np.array([zero]))


def test_division_of_nan_and_inf_by_nonzero_on_batches_equals_eager():
    program = trace(lambda x, y: (x / y) * 2.0, 1.0, 2.0)
    xs, ys = np.array([math.nan, math.inf, -math.inf, 1.0]), np.array([2.0, -3.0, 0.5, 4.0])
    eager = [((Value(x) / Value(y)) * 2.0).data for x, y in zip(xs, ys)]
    assert np.array_equal(program(xs, ys), eager, equal_nan=True)


# --------------------------------------------------------------------------------------------
# 9. Naming slots is linear however many share a name
# --------------------------------------------------------------------------------------------


class _CountingSet(set):
    """A set that counts membership tests."""

    checks = 0

    def __contains__(self, item: object) -> bool:
        _CountingSet.checks += 1
        return super().__contains__(item)


def test_naming_many_slots_of_one_name_takes_linear_work():
    from engine.replay.trace import _Namer

    namer = _Namer()
    namer.used = _CountingSet()
    _CountingSet.checks = 0
    names = [namer("c") for _ in range(5000)] + [namer("p") for _ in range(5000)]
    assert names[:3] == ["c", "c_2", "c_3"] and names[5000:5002] == ["p", "p_2"]
    assert len(set(names)) == len(names)
    assert _CountingSet.checks < 4 * len(names)  # was ~n²/2: 25 million


def test_a_trace_with_many_constants_and_parameters_names_them_all_apart():
    ps = [Parameter(0.01 * i) for i in range(300)]

    def f(x):
        for p in ps:
            x = x * 1.5 + p - 0.25
        return x

    program = trace(f, 0.1)
    names = program._layout.names
    assert len(set(names)) == len(names)
    assert program(0.2) == f(Value(0.2)).data


# --------------------------------------------------------------------------------------------
# Found by the fuzz test: comparisons of Values (max, min, a > b) are guards
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "f",
    [
        lambda x, y: max(x, y) * 2.0,
        lambda x, y: min(x, y) * 2.0,
        lambda x, y: (x if x >= y else y * 3.0) + 1.0,
        lambda x, y: sorted([x, y])[0] - 1.0,
        lambda x, y: x * 2.0 if x < 1.5 else y,
    ],
)
def test_comparisons_of_values_are_guards(f):
    program = trace(f, 1.0, 2.0)
    assert program.guards
    assert program(1.0, 3.0) == f(Value(1.0), Value(3.0)).data
    for via in VIAS:
        with pytest.raises(GuardError):
            program(5.0, 1.0, via=via)
    with pytest.raises(GuardError, match="example 1"):
        program(np.array([1.0, 5.0]), np.array([2.0, 1.0]))


def test_backward_rows_names_the_row_whose_guard_fails_and_adds_nothing():
    w = Parameter(1.0)
    program = trace(lambda x: (x * w).log() if x.data > 0 else x, 1.0)
    with pytest.raises(GuardError, match="for example 1") as err:
        program.backward_rows([[1.0], [-1.0], [2.0]], [[1.0], [1.0], [1.0]])
    assert err.value.example == 1 and w.grad == 0.0


def test_gradients_of_nan_rows_in_a_batch_are_eager_ones():
    """binary_step's gradient is 0 whatever flows in, NaN too: a NaN input's gradient through
    it is x's own 1, where numpy's plain product gives NaN; such rows are redone as eager."""

    def f(x):
        return (x.binary_step() * 2.985).sigmoid() + x

    program = trace(f, 1.0)
    xs = [0.5, math.nan, -1.0]
    eager = []
    for x in xs:
        v = Value(x)
        eager.append(engine.grad(f(v), v)[0].data)
    assert eager == [1.0, 1.0, 1.0]
    for via in VIAS:
        assert [program.grad(x, via=via)[0] for x in xs] == eager
    assert program.grad(np.array(xs))[0].tolist() == eager


def test_a_guard_on_a_neuron_of_a_fused_layer_is_checked_on_batches():
    """numpy runs a layer's dot products as one matrix product, at the layer's end: a guard
    on one of its neurons waits for it (it named a variable not yet computed)."""
    ws = [[Parameter(0.1 * (i + j + 1)) for j in range(3)] for i in range(4)]
    bs = [Parameter(0.01 * i) for i in range(4)]

    def f(a, b, c):
        zs = []
        for w, bias in zip(ws, bs):
            z = bias
            for wi, xi in zip(w, (a, b, c)):
                z = z + wi * xi
            zs.append(z)
        out = zs[0].tanh()
        if zs[1].data > 0:
            out = out + zs[2].tanh()
        return out + zs[3].relu()

    program = trace(f, 1.0, 2.0, 3.0)
    columns = [np.array([1.0, 0.5]), np.array([2.0, 0.1]), np.array([3.0, 0.2])]
    eager = [f(*(Value(x[k]) for x in columns)).data for k in range(2)]
    np.testing.assert_allclose(program(*columns), eager, rtol=1e-14)
    grads = program.grad(*columns)
    assert [g.shape for g in grads] == [(2,)] * 3
    bad = [np.append(x, -5.0) for x in columns]
    with pytest.raises(GuardError, match="for example 2"):
        program(*bad)
    with pytest.raises(GuardError, match="for example 2"):
        program.backward(*bad)


def test_printed_program_never_shows_a_raise_without_its_if():
    """``print(program)`` elides backward()'s copy of forward(): it used to drop the ``if`` of an
    inf/NaN check and keep its ``raise``, which read as broken code."""
    from engine import Parameter, trace

    w = Parameter(0.5, label="w")
    text = str(trace(lambda x: (x * w).tanh() * x, 1.0))
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("raise"):
            assert lines[i - 1].strip().startswith("if "), text
    assert "    ...  # the lines of forward() above, then:" in lines
    assert "    w_bar = 0.0" in lines
