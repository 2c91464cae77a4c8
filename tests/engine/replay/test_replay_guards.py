"""Guards: Python branches on .data are recorded at trace time and checked on every replay."""

from __future__ import annotations

import pytest

from engine import Parameter, Value, trace
from engine.replay import GuardError, TraceError


def branchy(x):
    if x.data > 0:  # a Python decision the graph does not record
        return x * 2.0
    return -x


def test_a_replay_on_the_traced_branch_passes():
    program = trace(branchy, 1.0)
    assert len(program.guards) == 1
    assert program(3.0) == 6.0
    assert program.grad(0.5) == (2.0,)


def test_a_replay_that_would_branch_differently_raises_naming_the_line():
    program = trace(branchy, 1.0)
    with pytest.raises(GuardError) as info:
        program(-1.0)
    message = str(info.value)
    assert "test_replay_guards.py" in message and "if x.data > 0" in message
    assert "x > 0.0 was True" in message.replace("(", "").replace(")", "")
    assert info.value.where.endswith("# a Python decision the graph does not record")
    assert info.value.guard == 0 and info.value.example is None
    with pytest.raises(GuardError):
        program.grad(-1.0)
    with pytest.raises(GuardError):
        program(-1.0, via="interpreter")


def test_guards_on_batches_name_the_first_example_that_branches_differently():
    np = pytest.importorskip("numpy")
    program = trace(branchy, 1.0)
    assert list(program(np.array([1.0, 2.0]))) == [2.0, 4.0]
    with pytest.raises(GuardError, match="example 2") as info:
        program(np.array([1.0, 2.0, -3.0, -4.0]))
    assert info.value.example == 2


def test_arithmetic_on_data_is_followed_into_the_guard():
    def f(x, y):
        if x.data * 2 + y.data < 1.0:
            return x + y
        return x * y

    program = trace(f, 0.1, 0.2)
    assert program(0.2, 0.3) == 0.5
    with pytest.raises(GuardError, match=r"\(\(x \* 2.0\) \+ y\) < 1.0"):
        program(0.5, 0.3)


@pytest.mark.parametrize(
    "decide, ok, flips",
    [
        (lambda v: bool(v.data), 2.0, 0.0),
        (lambda v: int(v.data) == 1, 1.5, 2.5),
        (lambda v: round(v.data) == 2, 2.2, 2.7),
        (lambda v: abs(v.data) > 1, -3.0, 0.5),
        (lambda v: 0 < v.data, 0.5, -0.5),
        (lambda v: v.data == 1.0, 1.0, 1.5),
    ],
)
def test_every_kind_of_decision_is_a_guard(decide, ok, flips):
    def f(x):
        return x.exp() if decide(x) else x.sin()

    program = trace(f, ok)
    assert program(ok) == f(Value(ok)).data
    with pytest.raises(GuardError):
        program(flips)


def test_guards_on_parameters_read_their_current_value():
    w = Parameter(1.0)

    def f(x):
        return x * w if w.data > 0 else x

    program = trace(f, 2.0)
    assert program(3.0) == 3.0
    w.data = -1.0
    with pytest.raises(GuardError):
        program(3.0)


def test_a_decision_on_a_node_no_output_uses_is_still_checked():
    def f(x):
        y = x * x - 4.0
        return x.tanh() if y.data > 0 else x.sigmoid()

    program = trace(f, 3.0)
    assert program(-3.0) == f(Value(-3.0)).data
    with pytest.raises(GuardError):
        program(1.0)


def test_decisions_on_constants_need_no_guard():
    def f(x):
        c = Value(2.0)
        return x * c if c.data > 1 else x

    assert trace(f, 1.0).guards == []


def test_data_turned_back_into_a_value_is_refused_at_trace_time():
    with pytest.raises(TraceError, match="flows back into the graph") as info:
        trace(lambda x: x + x.data, 1.0)
    assert "test_replay_guards.py" in str(info.value)
    with pytest.raises(TraceError, match="Use the Value itself"):
        trace(lambda x: Value(x.data * 2), 1.0)


def test_data_read_for_printing_is_harmless():
    def f(x):
        shown = f"{x.data:.2f} {x.data!r} {float(x.data)}"
        assert shown.startswith("1.00")
        return x * 3.0

    program = trace(f, 1.0)
    assert program.guards == [] and program(2.0) == 6.0


def test_value_data_is_a_plain_slot_again_after_a_trace_even_after_an_error():
    slot = type(Value.__dict__["data"])

    def boom(x):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        trace(boom, 1.0)
    trace(branchy, 1.0)
    assert type(Value.__dict__["data"]) is slot
    v = Value(2.0)
    assert type(v.data) is float and v.data > 0


def test_probes_kept_after_the_trace_behave_as_floats():
    kept = []

    def f(x):
        kept.append(x.data)
        return x * 1.0

    trace(f, 2.0)
    assert kept[0] > 1.0 and kept[0] * 2 == 4.0 and float(kept[0]) == 2.0
