"""The scanner of printed equations (tests/equations.py) that the narration, practice, derivation
and demo tests rely on: it recomputes by exact arithmetic on the printed decimals."""

from __future__ import annotations

import pytest

from tests.equations import equations, wrong_equations


def test_arithmetic_on_the_printed_decimals_is_exact():
    text = "0.5761 × 1 + 0.2119 × 1 + 0.5761 × (-1) + 0.2119 × (-1) = 0"  # floats: -2.8e-17
    assert [eq.recomputed for eq in equations(text)] == [0.0] and not wrong_equations(text)
    (eq,) = equations("0.1 + 0.2 = 0.30000000000000004", digits=17)  # right in floats only
    assert eq.recomputed == 0.3 and eq.machine is None and not eq.ok


def test_numbers_at_full_float_precision_also_count_as_floats():
    """The printer writes 16-17 digits only when no rounding would do: those are the floats."""
    (eq,) = equations("1.983455139171554 + -1.9834551391715542 = -2.2e-16", digits=2)
    assert eq.recomputed == pytest.approx(-2e-16) and eq.machine == pytest.approx(-2.2204e-16)
    assert eq.ok
    assert wrong_equations("1.98346 + -1.98355 = -8.8e-5", digits=2)  # short numbers: exact only


@pytest.mark.parametrize(
    "text, found",
    [
        ("∂o/∂n += 1 × 0.5 = 0.5;  n = add₁ + b = 0.8814", ["0.5"]),  # names: not arithmetic
        ("(1 - (-0.4767)²)·[(-1.716)(+0.0058) + 2 × 3] = 4.629", ["4.629"]),
        ("2 ** 0.5 = 1.414", ["1.414"]),
        ("(-2) ** 0.5 = 1.414", []),  # a complex root: skipped, not a crash
        ("1/0 = 3", []),
    ],
)
def test_what_counts_as_an_equation(text, found):
    assert [eq.shown for eq in equations(text)] == found
    assert not wrong_equations(text)
