"""gradcheck: passes right gradients, lists every wrong one, validates its arguments."""

from __future__ import annotations

import math

import pytest

from engine import GradcheckError, Value, gradcheck
from engine.core.ops import OPS, Op, register
from engine.core.value import apply_op


def test_passes_a_right_gradient_and_accepts_values_or_numbers():
    assert gradcheck(lambda x, y: (x * y).tanh() + y.exp(), [0.3, Value(-0.7)]) is True


@pytest.fixture
def wrong_sin():
    """sin with the derivative of cos: wrong everywhere except where cos = -sin."""
    op = register(
        Op(
            "sin_wrong",
            1,
            lambda x, _: math.sin(x),
            lambda m, x, out, arg: (-m.sin(x),),
            "sin(x)",
            ("-sin(x)",),
            "sin?",
        )
    )
    yield lambda v: apply_op(op, (v,))
    del OPS["sin_wrong"]


def test_lists_every_input_that_disagrees(wrong_sin):
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b, c: wrong_sin(a) + wrong_sin(b) + c, [0.5, 1.0, 2.0])
    message = str(info.value)
    assert "2 of 3 inputs" in message
    assert "input 0 (x0 = 0.5)" in message and "input 1 (x1 = 1.0)" in message
    assert "input 2" not in message
    assert isinstance(info.value, AssertionError)


def test_does_not_modify_the_callers_values():
    v = Value(0.3)
    gradcheck(lambda x: x * x, [v])
    assert v.grad == 0.0 and v.data == 0.3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"eps": 0.0}, "eps"),
        ({"eps": -1e-6}, "eps"),
        ({"atol": -1.0}, "atol"),
        ({"rtol": -1.0}, "rtol"),
    ],
)
def test_bad_tolerances(kwargs, message):
    with pytest.raises(ValueError, match=message):
        gradcheck(lambda x: x * x, [1.0], **kwargs)


def test_bad_inputs_and_functions():
    with pytest.raises(TypeError, match="list"):
        gradcheck(lambda x: x, Value(1.0))
    with pytest.raises(TypeError, match="'a'"):
        gradcheck(lambda x: x, ["a"])
    with pytest.raises(TypeError, match="must return a Value"):
        gradcheck(lambda x: 3.0, [1.0])


def test_gradcheck_works_inside_no_grad():
    from engine import no_grad

    with no_grad():
        assert gradcheck(lambda x, y: (x * y).tanh(), [0.3, -1.2])
