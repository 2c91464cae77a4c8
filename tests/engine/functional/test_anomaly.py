"""Anomaly mode: the first NaN or ±inf, forward or backward, names its op, inputs and line."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import engine
import engine.core.value as value_module
from engine import (
    OPS,
    AnomalyError,
    Value,
    detect_anomaly,
    grad,
    is_anomaly_enabled,
    no_grad,
    set_detect_anomaly,
)
from engine.core.graph import topological_order
from engine.functional.anomaly import is_anomaly_check_nan_enabled, where_created
from tests.engine.core.op_cases import CASES

HERE = "test_anomaly.py"


def line_of(marker: str) -> int:
    """The line number in this file of the line that ends with `marker`."""
    for number, text in enumerate(Path(__file__).read_text().splitlines(), start=1):
        if text.rstrip().endswith(marker) and "line_of(" not in text:
            return number
    raise AssertionError(marker)


@pytest.fixture(autouse=True)
def mode_off_after():
    yield
    set_detect_anomaly(False)


# --------------------------------------------------------------------------------------------
# Forward
# --------------------------------------------------------------------------------------------


def scale(w, x):
    return w * x  # MARK forward


def test_nan_in_forward_names_the_op_its_inputs_and_the_line():
    w = Value(math.inf, label="w")
    with detect_anomaly(), pytest.raises(AnomalyError) as caught:
        scale(w, 0.0)  # MARK call scale
    text = str(caught.value)
    assert text.startswith("the forward pass made nan: mul(x=inf, y=0.0) = nan")
    assert "x = inf (input 'w'), y = 0.0 (constant)" in text
    assert f"{HERE}:{line_of('# MARK forward')} in scale" in text
    assert "return w * x  # MARK forward" in text
    assert f"{HERE}:{line_of('# MARK call scale')} in test_nan_in_forward" in text  # a frame out


def test_inf_that_grows_from_an_inf_input_is_caught_and_a_finite_overflow_stays_overflow():
    big = Value(1e300, label="big")
    with detect_anomaly():
        with pytest.raises(OverflowError, match="overflows a float"):
            big * 1e10  # finite inputs: an OverflowError, in every mode
        with pytest.raises(AnomalyError, match=r"made inf: add\(x=inf, y=1.0\)"):
            Value(math.inf) + 1.0


def test_an_input_made_by_an_op_is_named_with_its_line():
    with detect_anomaly():
        h = Value(1.0, label="a") * 2.0  # MARK made h
        with pytest.raises(AnomalyError) as caught:
            h + math.nan
    text = str(caught.value)
    assert "x = 2.0 (made by mul at " in text
    assert f"{HERE}:{line_of('# MARK made h')}), y = nan (constant)" in text


def test_forward_is_checked_inside_no_grad_too():
    with detect_anomaly(), no_grad(), pytest.raises(AnomalyError, match="made nan"):
        Value(math.nan).tanh()


# --------------------------------------------------------------------------------------------
# Backward
# --------------------------------------------------------------------------------------------


def tiny_log(x):
    tiny = x * 1e-300
    return tiny.log()  # MARK backward


def test_inf_in_backward_names_the_op_the_product_and_the_line():
    x = Value(1e-10, label="x")
    with detect_anomaly():
        loss = tiny_log(x)
        with pytest.raises(AnomalyError) as caught:
            loss.backward()
    text = str(caught.value)
    assert text.startswith("the backward pass made a gradient inf at log(x=1e-310)")
    assert "x_bar += out_bar · ∂out/∂x = 1.0 × inf = inf   (∂out/∂x = 1/x)" in text
    assert f"{HERE}:{line_of('# MARK backward')} in tiny_log" in text
    assert "made by mul at" in text  # the log's input, and where it came from


def test_without_anomaly_mode_the_same_graph_raises_without_the_line():
    """backward() itself refuses an input's inf gradient made from finite numbers (naming the
    op); anomaly mode adds where the node was made and stops at the first non-finite step."""
    x = Value(1e-10)
    with pytest.raises(OverflowError, match=r"backward through log\(x=1e-310\)") as caught:
        tiny_log(x).backward()
    assert HERE not in str(caught.value)
    assert x.grad == 0.0  # the pass is atomic: nothing is written when it raises


def product_of(a, b):
    return a * b  # MARK product


def test_a_sum_of_finite_gradients_that_overflows_is_caught():
    """y feeds two products; each sends y a finite 1.37e308, and their sum is inf."""
    y = Value(1.0, label="y")
    with detect_anomaly():
        z = product_of(y, 1.7e308).sin() + product_of(y, 1.7e308).sin()
        with pytest.raises(AnomalyError) as caught:
            z.backward()
    text = str(caught.value)
    assert text.startswith("the backward pass made a gradient inf at mul(x=1.0, y=1.7e+308)")
    assert "x_bar held 1.366011295" in text and "the sum is inf" in text
    assert f"{HERE}:{line_of('# MARK product')} in product_of" in text


def test_grad_checks_in_anomaly_mode_too():
    x = Value(1e-10, label="x")
    with detect_anomaly():
        loss = tiny_log(x)
        with pytest.raises(AnomalyError, match="made a gradient inf at log"):
            grad(loss, x)
        with pytest.raises(OverflowError, match=r"backward through log\(x=1e-310\)") as caught:
            grad(loss, x, create_graph=True)  # a graph's nodes never overflow silently
    assert f"{HERE}:{line_of('# MARK backward')} in tiny_log" in str(caught.value)


def test_backward_errors_say_where_the_node_was_made_in_anomaly_mode():
    x = Value(0.0, label="x")
    with detect_anomaly(check_nan=False):
        assert is_anomaly_enabled() and not is_anomaly_check_nan_enabled()
        y = x.sqrt()  # MARK sqrt
        with pytest.raises(ZeroDivisionError) as caught:
            y.backward()
    text = str(caught.value)
    assert text.startswith("backward through sqrt(x=0.0)")
    assert f"{HERE}:{line_of('# MARK sqrt')}" in text


def test_check_nan_false_lets_nan_through():
    with detect_anomaly(check_nan=False):
        y = Value(math.inf) * 0.0
        y.backward()
    assert math.isnan(y.data)


def test_a_node_made_before_anomaly_mode_has_no_site():
    x = Value(1e-10)
    loss = tiny_log(x)
    with detect_anomaly(), pytest.raises(AnomalyError, match="created before anomaly mode"):
        loss.backward()


def test_anomaly_backward_gives_exactly_the_plain_gradients():
    def build():
        a, b = Value(0.3, label="a"), Value(-1.2, label="b")
        h = (a * b + a.exp()).tanh()
        return a, b, h * a + b.sigmoid() * h + a

    a, b, out = build()
    a.grad = 0.5  # leaves accumulate onto what they hold
    out.backward()
    plain = [n.grad for n in topological_order(out)]
    a, b, out = build()
    a.grad = 0.5
    with detect_anomaly():
        out.backward()
    assert [n.grad for n in topological_order(out)] == plain


# --------------------------------------------------------------------------------------------
# The switch
# --------------------------------------------------------------------------------------------


def test_every_op_records_where_it_was_made():
    with detect_anomaly():
        for name in sorted(OPS):
            case = CASES[name]
            xs = {1: [0.7], 2: [0.7, 1.3], -1: [0.7, 1.3, -0.4]}[OPS[name].arity]
            node = case.call(*[Value(x) for x in xs])
            assert node.op == name
            assert "created at" in where_created(node), name
            assert "op_cases.py" in where_created(node).split("\n")[0]  # the case's call


def test_off_means_the_plain_methods_and_no_hook():
    plain = {name: Value.__dict__[name] for name in ("__add__", "__mul__", "tanh", "__neg__")}
    assert value_module._node_hook is None and not is_anomaly_enabled()
    with detect_anomaly():
        assert value_module._node_hook is not None
        assert all(Value.__dict__[name] is not method for name, method in plain.items())
        with detect_anomaly():  # nests
            pass
        assert is_anomaly_enabled()
    assert value_module._node_hook is None and not is_anomaly_enabled()
    assert all(Value.__dict__[name] is method for name, method in plain.items())
    assert engine.functional.anomaly._sites == {}  # the sites are dropped with the mode


def test_set_detect_anomaly_is_a_switch_and_a_context_manager():
    set_detect_anomaly(True)
    assert is_anomaly_enabled()
    with set_detect_anomaly(False):
        assert not is_anomaly_enabled()
    assert is_anomaly_enabled()
    set_detect_anomaly(False)
    assert not is_anomaly_enabled()
    with pytest.raises(TypeError, match="True or False"):
        set_detect_anomaly("yes")


def test_the_checked_methods_behave_like_the_plain_ones():
    def build():
        x = Value(0.4, label="x")
        return [x + 1, 1 + x, x - 2, 2 - x, x * 3, 3 * x, x / 4, 4 / x, -x, abs(x), x.relu()]

    plain = [v.data for v in build()]
    with detect_anomaly():
        checked = build()
        with pytest.raises(TypeError, match="real number"):
            Value(1.0) + "a"
    assert [v.data for v in checked] == plain
    assert [v.op for v in checked][:4] == ["add", "add", "sub", "sub"]
    assert checked[3].parents[1].label == "x"  # 2 - x: reflected, x second
