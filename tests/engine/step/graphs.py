"""Graphs the step tests share: the lecture's neuron, every node labelled."""

from __future__ import annotations

import math

from hypothesis import assume
from hypothesis import strategies as st

from engine import OPS, Value
from engine.core.graph import topological_order
from engine.core.value import apply_op

EXACT_B = 6.881373587019543  # n = atanh(1/√2) exactly enough that o = tanh(n) = 1/√2


def neuron(b: float = EXACT_B):
    """Karpathy's neuron: o = tanh(x1·w1 + x2·w2 + b), every node labelled as in the lecture."""
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    bias = Value(b, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1w1"
    x2w2 = x2 * w2
    x2w2.label = "x2w2"
    s = x1w1 + x2w2
    s.label = "s"
    n = s + bias
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, dict(x1=x1, w1=w1, x2=x2, w2=w2, b=bias, x1w1=x1w1, x2w2=x2w2, s=s, n=n, o=o)


EXACT_B = 6.881373587019543
"""atanh(1/√2) + 6: the neuron's n is atanh(1/√2), so o = tanh(n) = 1/√2 exactly."""


def lecture_neuron():
    """o = tanh(x1*w1 + x2*w2 + b) with only the lecture's names (x1, w1, x2, w2, b, n, o): the
    unnamed products are mul₁, mul₂ and the sums add₁, as the narration calls them."""
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    b = Value(EXACT_B, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, dict(x1=x1, w1=w1, x2=x2, w2=w2, b=b, n=n)


def grads_hex(nodes) -> list[str]:
    """Every gradient bit for bit (float.hex tells 0.0 from -0.0 and keeps nan visible)."""
    return [float(n.grad).hex() for n in nodes]


NEGATIVE_ZERO = r"(?<![\w.])-(?:0+(?:\.0*)?|\.0+)(?:e[+-]?\d+)?(?![\d.])"
"""A printed number that is a negative zero: -0, -0.0000, -0e3."""


# --------------------------------------------------------------------------------------------
# Random graphs from recipes (hypothesis)
# --------------------------------------------------------------------------------------------

SAFE_UNARY = sorted(n for n, op in OPS.items() if op.arity == 1)
BINARY = sorted(n for n, op in OPS.items() if op.arity == 2)
NARY = sorted(n for n, op in OPS.items() if op.arity == -1)

# Normal floats only: a subnormal (~1e-314) has too few digits for a printed equation to recompute.
recipe_strategy = st.tuples(
    st.lists(st.floats(-2.0, 2.0, allow_nan=False, allow_subnormal=False), min_size=1, max_size=4),
    st.lists(
        st.tuples(
            st.sampled_from(SAFE_UNARY + BINARY + NARY),
            st.lists(st.integers(0, 10**6), min_size=1, max_size=3),
            st.floats(0.1, 2.0),
        ),
        min_size=1,
        max_size=12,
    ),  # each: op, which earlier nodes feed it, its arg
    st.floats(-3.0, 3.0, allow_nan=False, allow_subnormal=False),  # the seed
)


def build_recipe(recipe):
    """Build the graph a recipe describes; returns (root, every node in creation order)."""
    leaf_values, ops, _ = recipe
    nodes = [Value(x, label=f"v{i}") for i, x in enumerate(leaf_values)]
    for name, picks, arg in ops:
        op = OPS[name]
        count = {1: 1, 2: 2, -1: len(picks)}[op.arity]
        parents = tuple(nodes[(p + i) % len(nodes)] for i, p in enumerate((picks * 2)[:count]))
        if name == "pow":
            arg = float(round(arg * 2))  # an integer exponent: defined for negative bases too
        nodes.append(apply_op(op, parents, arg if op.arg_name is not None else None))
    return nodes[-1], nodes


def try_build(recipe):
    """The recipe's graph, or `assume(False)` if it cannot be built or differentiated."""
    try:
        root, nodes = build_recipe(recipe)
        probe, _ = build_recipe(recipe)
        probe.backward(recipe[2])
    except (ValueError, ZeroDivisionError, OverflowError):
        assume(False)
    assume(all(math.isfinite(n.grad) for n in topological_order(probe)))
    return root, nodes
