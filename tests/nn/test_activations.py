"""nn.activations: every row of the op table, and the rows define_op adds, as activations."""

from __future__ import annotations

import pytest

import engine
from engine.cli.expr import build
from nn import MLP
from nn.activations import get_activation


def _lecture_relu():
    return engine.define_op(
        "lecture_relu", lambda x: x if x > 0 else 0.0, lambda x: 1.0 if x > 0 else 0.0
    )


def test_an_mlp_takes_an_activation_added_with_define_op():
    """A lecture's own relu (define_op) trains exactly as the table's relu: same numbers."""
    with _lecture_relu():
        ours = MLP(2, [3, 1], activation="lecture_relu", seed=0)
        theirs = MLP(2, [3, 1], activation="relu", seed=0)
        for model in (ours, theirs):
            model([1.0, -2.0]).backward()
        assert [p.grad for p in ours.parameters()] == [p.grad for p in theirs.parameters()]
        assert {n.op for n in engine.topological_order(ours([0.5, 0.5]))} >= {"lecture_relu"}


def test_an_unknown_activation_says_define_op_can_add_one():
    with pytest.raises(ValueError, match="define_op"):
        get_activation("no_such_activation")
    with pytest.raises(ValueError, match="unknown activation"):
        MLP(2, [1], activation="add")  # a two-input op is no activation


def test_a_cli_expression_calls_an_op_added_with_define_op():
    with _lecture_relu():
        root, _ = build("lecture_relu(x * y) + 1", {"x": 2.0, "y": -3.0})
        assert root.data == 1.0 and root.parents[0].op == "lecture_relu"
