"""Differential fuzz against PyTorch float64: random graphs over the whole op table, inputs from
1e-300 to 1e300 with a few NaN and infinities (tests/engine/core/torch_differential.py).

CI runs 10,000 graphs (about 20 s); set CHAINRULE_FUZZ_EXAMPLES for a longer run, or run the
standalone script for a count of every kind of disagreement:

    CHAINRULE_FUZZ_EXAMPLES=50000 python -m pytest tests/engine/core/test_fuzz_torch.py
    python -m tests.engine.core.torch_differential --graphs 200000
"""

from __future__ import annotations

import math
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import OPS
from tests.engine.core.torch_differential import BAD, Plan, random_plan, run_plan

EXAMPLES = int(os.environ.get("CHAINRULE_FUZZ_EXAMPLES", "10000"))


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rng=st.randoms(use_true_random=False), steps=st.integers(1, 12))
def test_random_graphs_agree_with_torch_float64(torch, rng, steps):
    plan = random_plan(rng, steps)
    outcome = run_plan(plan, torch)
    bad = [note for note in outcome.notes if note.split(":")[0] in BAD]
    assert not bad, f"{bad}\n{plan}"


def test_the_generator_reaches_every_op_and_every_magnitude():
    rng = random.Random(0)
    plans = [random_plan(rng) for _ in range(2000)]
    used = {step[1] for plan in plans for step in plan.steps}
    assert used == set(OPS)
    numbers = [x for plan in plans for x in plan.inputs]
    finite = [abs(x) for x in numbers if math.isfinite(x) and x != 0]
    assert min(finite) < 1e-250 and max(finite) > 1e250
    assert any(math.isnan(x) for x in numbers) and any(math.isinf(x) for x in numbers)


# The examples, each a plan the fuzz once found; kept as fixed regression cases.
KNOWN = {
    "div of equal tiny numbers": Plan([1e-170, 1e-170], [("binary", "div", (0, 1), False)]),
    "0 ** 0 (constant exponent)": Plan([0.0], [("pow", "pow", (0,), 0.0)]),
    "Value(0) ** Value(0)": Plan([0.0, 0.0], [("binary", "pow_value", (0, 1), False)]),
    "relu(x).sqrt() at x < 0": Plan(
        [-2.0], [("unary", "relu", (0,), None), ("unary", "sqrt", (1,), None)]
    ),
    "elu after log of a tiny number": Plan(
        [1e-90], [("unary", "log", (0,), None), ("unary", "elu", (1,), 1.0)]
    ),
    "x ** x at -1e40": Plan([-1e40], [("binary", "pow_value", (0, 0), False)]),
    "x ** binary_step(x) at inf": Plan(
        [math.inf], [("unary", "binary_step", (0,), None), ("binary", "pow_value", (0, 1), False)]
    ),
    "relu of NaN": Plan([math.nan], [("unary", "relu", (0,), None)]),
    "log of a subnormal": Plan(
        [-4.0586955652153407e-54],
        [
            ("pow", "pow", (0,), 2.0),
            ("unary", "sin", (1,), None),
            ("pow", "pow", (1,), 3.0),
            ("unary", "log", (3,), None),
        ],
    ),
    "logsumexp of equal huge numbers": Plan(
        [4.7996821380776375e61],
        [
            ("unary", "swish", (0,), 0.709),
            ("nary", "logsumexp", (1, 1, 0), None),
            ("unary", "neg", (2,), None),
        ],
    ),
    "logsumexp with an infinite input": Plan(
        [math.inf, -1.0, 2.5968158437022613], [("nary", "logsumexp", (0, 2, 2), None)]
    ),
    "tanh near saturation": Plan(
        [3.9352685776510814],
        [("rpow", "pow_value", (0,), 2.0), ("unary", "tanh", (1,), None)],
    ),
}


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_known_disagreements_stay_fixed(torch, name):
    outcome = run_plan(KNOWN[name], torch)
    bad = [note for note in outcome.notes if note.split(":")[0] in BAD]
    assert not bad
    assert "compared" in outcome.kinds or "forward_raise_justified" in outcome.kinds
