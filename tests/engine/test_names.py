"""Node names and the lectures' parameter names (engine/names.py)."""

from __future__ import annotations

import pytest

from engine import Value
from engine.names import bias_name, node_names, weight_name


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
