"""Statements in an expression: ``n = x1*w1 + b; o = tanh(n)`` names the result and the
intermediates (engine/cli/expr.py); the refusals are in test_expr.py."""

from __future__ import annotations

import math

import pytest

from engine import Parameter
from engine.cli.expr import build
from engine.core.graph import topological_order

NEURON_VALUES = {"x1": 2.0, "w1": -3.0, "x2": 0.0, "w2": 1.0, "b": 6.881373587019543}


def test_statements_name_the_result_and_the_intermediates():
    text = "n = x1*w1 + x2*w2 + b; o = tanh(n)"
    root, leaves = build(text, NEURON_VALUES, params={"w1"})
    assert root.label == "o" and root.op == "tanh"
    n = root.parents[0]
    assert n.label == "n" and n.op == "add" and n.parents[1] is leaves["b"]
    assert list(leaves) == ["x1", "w1", "x2", "w2", "b"] and isinstance(leaves["w1"], Parameter)
    assert root.data == pytest.approx(math.sqrt(0.5))
    root.backward()
    assert leaves["x1"].grad == pytest.approx(-1.5)


@pytest.mark.parametrize(
    "text",
    [
        "o = tanh(x1*w1 + x2*w2 + b)",
        "s = x1*w1 + x2*w2\nn = s + b\no = tanh(n)",  # newlines separate statements too
        "s = x1*w1 + x2*w2; n = s + b; tanh(n)",  # the last may be a bare expression
        "  o = tanh(x1*w1 + x2*w2 + b);",  # a trailing ';' is fine
    ],
)
def test_statement_forms(text):
    root, leaves = build(text, NEURON_VALUES)
    assert root.data == pytest.approx(math.sqrt(0.5)) and len(leaves) == 5
    assert root.label in ("o", "")
    labels = {node.label for node in topological_order(root)}
    assert labels >= set(NEURON_VALUES)


def test_an_intermediate_used_twice_is_one_node():
    root, leaves = build("s = x*x; y = s*s + s", {"x": 2.0})
    s = root.parents[1]
    assert root.label == "y" and s.label == "s" and root.parents[0].parents == (s, s)
    root.backward()
    assert leaves["x"].grad == pytest.approx(4 * 2.0**3 + 2 * 2.0)


def test_a_named_number_is_a_labelled_constant():
    root, _ = build("c = 2*3; y = c*x", {"x": 1.5})
    assert root.data == 9.0 and root.parents[0].label == "c" and root.parents[0].data == 6.0
