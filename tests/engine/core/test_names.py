"""Node names and the lectures' parameter names (engine/core/names.py)."""

from __future__ import annotations

import math
import re

import pytest

from engine import Value, logsumexp, softmax
from engine.core.names import bias_name, derivative_numbers, node_names, weight_name
from engine.core.numfmt import fmt, holds
from engine.core.ops import OPS
from engine.functional.custom import define_op


def test_weight_and_bias_names_as_the_lectures_write_them():
    assert weight_name(2, 1, 1) == "w₂₁⁽¹⁾"  # from input 2 to neuron 1 of layer 1
    assert weight_name(1, 3, 2) == "w₁₃⁽²⁾"
    assert weight_name(3, 12, 2) == "w₃,₁₂⁽²⁾"  # two-digit indices get a comma
    assert weight_name(1, 1, 10) == "w₁₁⁽¹⁰⁾"
    assert bias_name(1, 2) == "b₁⁽²⁾" and bias_name(16, 1) == "b₁₆⁽¹⁾"


@pytest.mark.parametrize("args", [(0, 1, 1), (1, -1, 1), (1, 1, 0), (1.0, 1, 1), (True, 1, 1)])
def test_indices_are_one_based_ints(args):
    with pytest.raises(ValueError, match="1-based"):
        weight_name(*args)


def test_constants_are_named_by_their_value_with_significant_digits():
    a = Value(2.0, label="a")
    y = a * 0.5 + 6.881373587019543
    names = node_names(y)
    assert sorted(n for n in names.values() if n[0].isdigit()) == ["0.5", "6.881"]


# --------------------------------------------------------------------------------------------
# The op table's formula with the numbers filled in (practice hints)
# --------------------------------------------------------------------------------------------


def filled(node: Value, index: int = 0) -> str:
    from engine.core.chain_rule import local_derivatives

    return derivative_numbers(node, index, float(local_derivatives(node)[index]))


def test_the_numbers_filled_in_give_the_local_derivative_as_printed():
    n = Value(0.881373587019543, label="n")
    assert filled(n.tanh()) == "1 - tanh(0.8814)²"  # 0.8814 already gives 0.5
    assert filled(Value(5.0).tanh()) == "1 - tanh(5)²"  # exact: 1.816e-4, not a rounded 0.0002
    x = Value(9.87654, label="x")
    assert fmt(math.exp(9.877)) != fmt(x.exp().data)  # four digits would give another number
    assert filled(x.exp()) == "e^9.87654"
    product = Value(2.0) * Value(-3.0)
    assert (filled(product, 0), filled(product, 1)) == ("-3", "2")  # a bare number, no ( )
    assert filled(Value(0.123456) / Value(-0.987654), 1) == "-0.1235/(-0.9877)²"


def test_an_n_ary_formula_with_out_recomputes():
    xs = [Value(v) for v in (0.123456, 1.987654, -0.55555)]
    y = logsumexp(xs)
    text = filled(y, 1)  # e^(x_i - out), both printed
    x_i, out = (float(t) for t in re.fullmatch(r"e\^\((.*) - (.*)\)", text).groups())
    assert holds(math.exp(x_i - out), fmt(softmax([v.data for v in xs])[1].data))


@pytest.fixture
def op_table():
    """The op table as it was after the test: a user-defined op does not stay in it."""
    saved = dict(OPS)
    yield OPS
    OPS.clear()
    OPS.update(saved)


def test_a_user_ops_formula_gets_the_digits_its_rule_needs(op_table):
    odd = define_op(
        "odd_square",
        forward=lambda x: x * x,
        derivative=lambda x: 2.0 * x,
        formula="x²",
        derivatives="x + x + 0·x",
    )
    assert filled(odd(Value(1.23456))) == "1.2346 + 1.2346 + 0·1.2346"  # 3 × 1.235 is 2.47
