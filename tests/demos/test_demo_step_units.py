"""The step-unit demo: a bump from two step units, a tower from four, sums of bumps whose max
error falls like π/(2N)."""

from __future__ import annotations

import math

import pytest

from demos import step_units
from tests.demos.conftest import check_pictures, check_story


def test_step_units_bumps_approximate_sin_within_the_bound(out, capsys):
    result = step_units.run(out, seed=0, quick=True)
    check_story(capsys.readouterr().out)
    assert result["ok"] and result["bump_ok"] and result["tower_ok"]
    errors = result["max_errors"]
    assert list(errors) == [2, 4, 8, 16]
    values = list(errors.values())
    assert all(b < a for a, b in zip(values, values[1:]))
    for n, e in errors.items():
        assert e <= math.pi / (2 * n) + 1e-12
        assert e > math.pi / (4 * n)  # the bound is nearly reached: the error is 1/N, not better
    check_pictures(result, out, {"step_units.png"})


def test_bump_network_is_the_two_step_formula():
    """The MLP equals Σ_k (h_k/2)(sign(x - a_k) - sign(x - b_k)) written directly."""
    cuts = [(0.25, 1.0, 0.5), (1.0, 2.5, -0.75)]
    model = step_units.bump_network(cuts)
    assert len(model.parameters()) == 2 * 4 + 5  # 4 step units (w, b), output 4 w + b
    sign = lambda z: (z > 0) - (z < 0)
    for i in range(61):
        x = 3.0 * i / 60
        expected = sum(h / 2 * (sign(x - a) - sign(x - b)) for a, b, h in cuts)
        assert model([x]).data == pytest.approx(expected, abs=1e-12)


def test_tower_is_one_exactly_inside_its_rectangle():
    tower = step_units.tower_network()
    (a1, b1), (a2, b2) = step_units.TOWER
    assert step_units.tower_value(tower, (a1 + b1) / 2, (a2 + b2) / 2) == 1.0
    for point in (
        (a1 - 0.01, a2 + 0.1),
        (b1 + 0.01, a2 + 0.1),
        (a1 + 0.1, b2 + 0.01),
        (a1, a2 + 0.1),
    ):
        assert step_units.tower_value(tower, *point) == 0.0, point
