"""The forward trace (engine/step/forward_trace.py): nodes in computation order, with their
formulas."""

from __future__ import annotations

import re

import pytest

from engine import OPS, Parameter, Value
from engine.core.graph import topological_order
from engine.core.numfmt import fmt
from engine.core.value import apply_op
from engine.step import Stepper, forward_trace
from tests.engine.step.graphs import neuron
from tests.equations import equations, wrong_equations


def test_forward_trace_lists_nodes_in_computation_order_with_values():
    o, v = neuron()
    trace = forward_trace(o)
    assert [e.name for e in trace] == ["x1", "w1", "x2", "w2", "b", "x1w1", "x2w2", "s", "n", "o"]
    assert [e.value for e in trace] == [n.data for n in topological_order(o)]
    assert len(trace) == 10 and trace[0].kind == "input" and trace[-1].kind == "output"
    lines = str(trace).splitlines()
    assert lines[0] == "forward pass (inputs first):"
    assert lines[1] == "  1. x1 = 2  (input)"
    assert lines[5] == "  5. b = 6.881  (input)"
    assert lines[6] == "  6. x1w1 = x1 · w1 = -6"
    assert lines[9] == "  9. n = s + b = 0.8814"
    assert lines[10] == " 10. o = tanh(n) = 0.7071"
    assert repr(trace) == "<ForwardTrace of 10 nodes>"
    assert str(Stepper(o).forward_trace()) == str(trace)
    assert str(forward_trace(o, digits=6)).splitlines()[10] == " 10. o = tanh(n) = 0.707107"


def test_forward_trace_tells_parameters_and_constants_apart():
    w = Parameter(0.5, label="w")
    y = w * 2
    kinds = [e.kind for e in forward_trace(y)]
    assert kinds == ["parameter", "constant", "output"]
    assert "(parameter)" in str(forward_trace(y)) and "(constant)" in str(forward_trace(y))


def test_negative_constants_are_parenthesised():
    a = Value(2.0, label="a")
    y = a * -3
    y.label = "y"
    assert str(forward_trace(y)[-1]) == "  3. y = a · (-3) = -6"


def test_arithmetic_of_constants_gets_the_digits_it_needs_to_recompute():
    y = Value(0.12345) * 8.1  # 0.1235 × 8.1 would give 1.000, not the 0.9999 printed
    y.label = "y"
    line = str(forward_trace(y)[-1])
    assert line == "  3. y = 0.12345 · 8.1 = 0.9999"
    assert equations(line) and not wrong_equations(line)


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_traces_its_forward_formula(name):
    op = OPS[name]
    count = {1: 1, 2: 2, -1: 4}[op.arity]
    leaves = tuple(Value(x, label="abcd"[i]) for i, x in enumerate((0.7, 1.3, 0.4, 0.9)[:count]))
    node = apply_op(op, leaves, 0.5 if op.arg_name is not None else None)
    node.label = "out"
    entry = forward_trace(node)[-1]
    assert entry.node is node and entry.value == node.data
    squashed = str(entry).replace("·", "").replace(" ", "")
    template = re.sub(
        r"(?<![A-Za-z0-9_])(x|y)(?![A-Za-z0-9_])",
        lambda m: {"x": "a", "y": "b"}[m.group(1)],
        op.formula if op.arity != -1 else op.formula,
    )
    assert template.replace("·", "").replace(" ", "") in squashed
    if op.arity == -1:
        assert "(a, b, c, d)" in str(entry)
    assert str(entry).endswith(f"= {fmt(node.data)}")


def test_a_root_that_is_not_a_value_is_refused_at_once():
    with pytest.raises(TypeError, match="Value"):
        forward_trace(None)
