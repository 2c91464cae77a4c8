"""Number printing (engine/core/numfmt.py): significant digits, no negative zero, equations that
hold."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine.core import numfmt
from engine.core.numfmt import (
    equation,
    fmt,
    get_digits,
    holds,
    printoptions,
    resolution,
    set_printoptions,
)

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@pytest.mark.parametrize(
    "x, digits, text",
    [
        (0.70710678, 4, "0.7071"),
        (-1.4999999999999998, 4, "-1.5"),
        (0.5000000000000001, 4, "0.5"),
        (2.0, 4, "2"),
        (-3.0, 4, "-3"),
        (1.8158e-4, 4, "1.816e-4"),  # the nearly saturated tanh of the issue: not 0.0002
        (0.001, 4, "0.001"),
        (0.00099996, 4, "0.001"),  # rounds up into fixed notation
        (9.99996, 4, "10"),
        (123456.7, 4, "123457"),
        (1234567.0, 4, "1.235e6"),
        (-2.5e-9, 4, "-2.5e-9"),
        (6.881373587019543, 4, "6.881"),
        (6.881373587019543, 17, "6.8813735870195432"),
        (0.0, 4, "0"),
        (-0.0, 4, "0"),
        (math.inf, 4, "inf"),
        (-math.inf, 4, "-inf"),
        (math.nan, 4, "nan"),
        (0.70710678, 1, "0.7"),
    ],
)
def test_fmt(x, digits, text):
    assert fmt(x, digits) == text


def test_plus_signs_positive_numbers_only():
    assert [fmt(x, plus=True) for x in (0.5, -0.5, 0.0, -0.0)] == ["+0.5", "-0.5", "0", "0"]


@settings(max_examples=500)
@given(finite, st.integers(1, 17))
def test_fmt_is_within_half_a_unit_and_never_negative_zero(x, digits):
    text = fmt(x, digits)
    assert not re.fullmatch(r"-0*\.?0*(e.*)?", text)
    value = float(text)
    assert (value == 0.0) == (x == 0.0)
    if x != 0.0:
        assert math.copysign(1.0, value) == math.copysign(1.0, x)
        mantissa, _, exponent = f"{x:.{digits - 1}e}".partition("e")
        if -3 <= int(exponent) < 6:  # fixed notation keeps every digit of the integer part
            expected = float(f"{x:.{max(0, digits - 1 - int(exponent))}f}")
        else:
            expected = float(mantissa + "e" + exponent)  # correct rounding to `digits`
        assert value == expected


@settings(max_examples=300)
@given(finite)
def test_seventeen_digits_are_exact(x):
    assert float(fmt(x, 17)) == x


def test_resolution_is_the_stricter_of_printed_and_significant():
    assert resolution("1.5", 4) == pytest.approx(1e-3)  # 1.5 stands for 1.500
    assert resolution("0.0058", 4) == pytest.approx(1e-6)  # 0.0058 stands for 0.005800
    assert resolution("1.816e-4", 4) == pytest.approx(1e-7)
    assert resolution("123457", 4) == pytest.approx(1.0)
    assert resolution("0", 4) == 0.0


def test_holds():
    assert holds(-1.5, "-1.5") and holds(0.9999, "1") and not holds(1.0004, "0.9999")
    assert not holds(-1.4999, "-1.5", 6) and holds(-1.4999996, "-1.5", 6)
    assert holds(0.0, "0") and not holds(1e-300, "0")
    assert holds(math.inf, "inf") and not holds(1e308, "inf")


@settings(max_examples=500)
@example(0.0625, 2.225073858507e-311, 1)  # a subnormal product (see the test below)
@example(1.5, 1.5, 2)  # 2.25 exactly: a tie of exact operands, shown as 2.25
@given(finite, finite, st.integers(1, 8))
def test_a_printed_product_always_holds(a, b, digits):
    c = a * b
    if not math.isfinite(c):
        return
    (sa, sb), sc = equation(lambda x, y: x * y, (a, b), c, digits)
    assert holds(float(sa) * float(sb), sc, digits), (sa, sb, sc)
    # the result keeps its significant digits, but for a tie of exact operands (1.5 × 1.5 =
    # 2.25 to two digits), which one more digit shows exactly
    assert sc in (fmt(c, digits), fmt(c, digits + 1))


def _exactly_within_half_a_unit(recomputed: Fraction, shown: str, digits: int) -> bool:
    """The printed result is the exact (decimal) recomputation to its precision, not on a tie."""
    unit = Fraction(repr(resolution(shown, digits)))
    if unit == 0:
        return recomputed == Fraction(shown)
    return abs(recomputed - Fraction(shown)) < unit / 2


@settings(max_examples=500)
@example(0.62071395, 2.4828558, 8)  # 3.10356975 exactly: a tie, printed as 3.1035697
@example(0.121264553, 0.644849502, 8)  # 0.766114055: a tie, printed as 0.76611406
@example(1.0, 1.5, 1)  # exact operands on a tie: the result gets a digit (2.5, not 2)
@example(1.797693134862128e308, -1.797693134862222e308, 3)  # cancels the 17-digit forms' rounding
@given(finite, finite, st.integers(1, 8))
def test_a_printed_sum_always_holds(a, b, digits):
    c = a + b
    if not math.isfinite(c):
        return
    (sa, sb), sc = equation(lambda x, y: x + y, (a, b), c, digits)
    assert holds(float(sa) + float(sb), sc, digits), (sa, sb, sc)
    # and in exact arithmetic, as a reader (and tests/equations.py) recomputes it
    if 1e-300 < abs(c) < 1e300:
        assert _exactly_within_half_a_unit(Fraction(sa) + Fraction(sb), sc, digits), (sa, sb, sc)


def test_equation_adds_digits_only_where_needed():
    assert equation(lambda a, b: a * b, (0.49999999999999994, -3.0), -1.4999999999999998) == (
        ["0.5", "-3"],
        "-1.5",
    )
    assert equation(lambda a, b: a * b, (0.12345, 8.1), 0.999945) == (["0.12345", "8.1"], "0.9999")


def test_printoptions_and_set_printoptions():
    assert get_digits() == numfmt.DEFAULT_DIGITS == 4
    with printoptions(digits=6):
        assert fmt(math.pi) == "3.14159" and get_digits() == 6
    assert fmt(math.pi) == "3.142"
    try:
        set_printoptions(digits=2)
        assert fmt(math.pi) == "3.1"
    finally:
        set_printoptions(digits=4)
    for bad in (0, 18, 2.5, "4", None):
        with pytest.raises(ValueError, match="digits"):
            fmt(1.0, bad) if bad is not None else printoptions(digits=bad).__enter__()


def test_a_subnormal_result_is_held_to_its_own_digits():
    """Hypothesis found it: "1e-312" is stored as 9.99...e-313, so log10 put its leading digit
    one place too low and a right product failed to hold."""
    assert resolution("1e-312", 1) == pytest.approx(1e-312)
    assert holds(0.0625 * 2.225073858507e-311, "1e-312", 1)
    (sa, sb), sc = equation(lambda x, y: x * y, (0.0625, 2.225073858507e-311), 1.39067e-312, 1)
    assert holds(float(sa) * float(sb), sc, 1)
