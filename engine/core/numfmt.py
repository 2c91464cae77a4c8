"""How chainrule prints numbers: significant digits, and equations that check out as printed.

A number is printed with `digits` significant digits (4 unless changed), trailing zeros
dropped, so ``0.5``, ``-3``, ``0.7071``, ``-1.5``; numbers below 0.001 or from 1,000,000 up are
printed in scientific notation, ``1.816e-4``, ``2.5e6``, so a vanishing gradient never reads as
``0.0002`` or ``0.0000``. Zero is ``0``: there is no negative zero (``-0.0`` prints ``0``, and a
tiny negative number keeps its digits, ``-3.2e-9``).

The equation rule. A printed equation ``a × b = c`` *holds* when the right-hand side, as printed,
differs from the value recomputed from the printed left-hand numbers by at most half a unit in
the last place of the right-hand side, where that place is the smaller of the last digit printed
and the `digits`-th significant digit (`holds`). Results are printed with `digits` significant
digits; the numbers on the left get as many more digits as the equation needs to hold
(`equation`): ``0.5 × -3 = -1.5``, but ``0.12345 × 8.1 = 0.9999`` rather than the
``0.1235 × 8.1 = 0.9999`` that recomputes to 1.0004.
Everything the engine prints (narration, the terminal stepper, the demos) follows this rule, and
the tests recompute every printed equation from its printed numbers.

    >>> fmt(0.70710678), fmt(-1.4999999999999998), fmt(1.8158e-4), fmt(-0.0)
    ('0.7071', '-1.5', '1.816e-4', '0')
    >>> equation(lambda a, b: a * b, (0.12345, 8.1), 0.999945)
    (['0.12345', '8.1'], '0.9999')

`set_printoptions(digits=6)` changes the default everywhere (like ``torch.set_printoptions``);
`printoptions(digits=6)` changes it inside a ``with`` block.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, InvalidOperation, localcontext
from typing import Callable, Iterator, Sequence

__all__ = [
    "fmt",
    "equation",
    "holds",
    "resolution",
    "get_digits",
    "set_printoptions",
    "printoptions",
    "DEFAULT_DIGITS",
    "MAX_DIGITS",
]

DEFAULT_DIGITS = 4
"""Significant digits printed unless `set_printoptions` says otherwise."""
MAX_DIGITS = 17
"""17 significant digits identify every float exactly (``float(fmt(x, 17)) == x``)."""

_SMALL = -3  # below 10**-3: scientific notation
_LARGE = 6  # from 10**6 up: scientific notation
_digits = DEFAULT_DIGITS


# --------------------------------------------------------------------------------------------
# The default number of digits
# --------------------------------------------------------------------------------------------


def check_digits(digits: object, where: str) -> int:
    if type(digits) is not int or not 1 <= digits <= MAX_DIGITS:
        raise ValueError(f"{where}: digits must be an int from 1 to {MAX_DIGITS}, got {digits!r}")
    return digits


def get_digits() -> int:
    """The number of significant digits printed by default (4 unless set)."""
    return _digits


def set_printoptions(*, digits: int | None = None) -> None:
    """Set the default number of significant digits (1 to 17) for everything chainrule prints."""
    global _digits
    if digits is not None:
        _digits = check_digits(digits, "set_printoptions")


@contextmanager
def printoptions(*, digits: int) -> Iterator[None]:
    """Print with `digits` significant digits inside the ``with`` block, then restore."""
    global _digits
    previous, _digits = _digits, check_digits(digits, "printoptions")
    try:
        yield
    finally:
        _digits = previous


# --------------------------------------------------------------------------------------------
# One number
# --------------------------------------------------------------------------------------------


def fmt(x: float, digits: int | None = None, *, plus: bool = False) -> str:
    """`x` with `digits` significant digits (default `get_digits()`), trailing zeros dropped.

    Fixed notation for 0.001 ≤ |x| < 1,000,000 (``0.7071``, ``-1.5``, ``123457``), scientific
    below and above (``1.816e-4``, ``2.5e6``); ``0`` for zero of either sign; ``inf``, ``nan``.
    `plus` writes a ``+`` before positive numbers (for columns of signed numbers).
    """
    d = _digits if digits is None else check_digits(digits, "fmt")
    x = float(x)
    if x == 0.0:
        return "0"
    sign = "+" if plus and x > 0 else ""
    if not math.isfinite(x):
        return sign + str(x)
    mantissa, _, exponent_text = f"{x:.{d - 1}e}".partition("e")
    exponent = int(exponent_text)  # after rounding: 9.9996 -> 1.000e+01
    if _SMALL <= exponent < _LARGE:
        return sign + _strip(f"{x:.{max(0, d - 1 - exponent)}f}")
    return f"{sign}{_strip(mantissa)}e{exponent}"


def _strip(text: str) -> str:
    """``1.500`` -> ``1.5``, ``2.000`` -> ``2``; integers are left alone."""
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _place(text: str) -> float:
    """The unit of the last digit printed in `text`: ``0.0058`` -> 1e-4, ``1.816e-4`` -> 1e-7."""
    mantissa, _, exponent = text.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


def resolution(shown: str, digits: int | None = None) -> float:
    """The unit in the last place that a printed number `shown` is held to.

    The smaller of its last printed digit and its `digits`-th significant digit: with 4 digits
    ``"1.5"`` is held to 0.001 (it stands for 1.500), ``"0.0058"`` to 0.000001 (0.005800),
    ``"123457"`` to 1. Zero: 0.
    """
    d = _digits if digits is None else check_digits(digits, "resolution")
    value = float(shown)
    if value == 0.0 or not math.isfinite(value):
        return 0.0
    # the leading digit's place, read off the text: log10 of the float is off by one for some
    # subnormals ("1e-312" is stored as 9.99...e-313)
    significant = 10.0 ** (Decimal(shown).adjusted() - d + 1)
    return min(significant, _place(shown))


def holds(recomputed: float, shown: str, digits: int | None = None) -> bool:
    """True if the printed result `shown` is `recomputed` to its printed precision: within half
    a unit of `resolution` (plus a hair for the binary rounding of the recomputation)."""
    target = float(shown)
    if not math.isfinite(target) or not math.isfinite(recomputed):
        return target == recomputed or (math.isnan(target) and math.isnan(recomputed))
    limit = 0.5 * resolution(shown, digits)
    return abs(recomputed - target) <= limit * (1.0 + 1e-9)


# --------------------------------------------------------------------------------------------
# Equations
# --------------------------------------------------------------------------------------------


def equation(
    compute: Callable[..., float],
    operands: Sequence[float],
    result: float,
    digits: int | None = None,
    *,
    plus: bool = False,
) -> tuple[list[str], str]:
    """The printed operands and result of an equation ``compute(*operands) = result`` that holds.

    The result gets `digits` significant digits; the operands start with as many and get one
    more digit at a time until ``compute`` of the printed operands `holds` against the printed
    result, clear of a tie (exactly half a unit away, where the float rounding of the
    recomputation, not the numbers, would decide). Where even exact operands tie (1 + 1.5 = 2.5
    to one digit), the result gets one more digit. At 17 digits everything is exact, so this
    always ends. `compute` is plain arithmetic on floats, e.g. ``lambda a, b: a * b``.
    """
    d = _digits if digits is None else check_digits(digits, "equation")
    shown: list[str] = []
    shown_result = fmt(result, d, plus=plus)
    for r in range(d, MAX_DIGITS + 1):  # more result digits only when exact operands tie
        shown_result = fmt(result, r, plus=plus)  # (1 + 1.5 = 2.5 shown to 1 digit)
        for k in [*range(r, MAX_DIGITS + 1), None]:  # None: each operand's exact decimal value
            shown = [fmt(v, k, plus=plus) if k else _exact(v, plus) for v in operands]
            try:
                recomputed = compute(*(float(s) for s in shown))
            except (ArithmeticError, ValueError):
                continue
            if _holds_clearly(recomputed, shown_result, r) and _holds_exactly(
                compute, shown, shown_result, r, recomputed
            ):
                return shown, shown_result
    return shown, shown_result


def _exact(x: float, plus: bool = False) -> str:
    """The float `x` written out exactly (every binary float is a finite decimal), for the rare
    equation that 17 digits cannot make hold: ``1.797693134862128e308 - 1.797693134862222e308``
    cancels all but the operands' last bits, which their 17-digit forms round away."""
    if x == 0.0 or not math.isfinite(x):
        return fmt(x, plus=plus)
    text = format(Decimal(x).normalize(), "e").replace("e+", "e")
    mantissa, _, exponent = text.partition("e")
    if _SMALL <= int(exponent) < _LARGE:
        text = _strip(format(Decimal(x), "f"))
    else:
        text = f"{mantissa}e{int(exponent)}"
    return ("+" if plus and x > 0 else "") + text


def _holds_exactly(
    compute: Callable[..., float],
    shown: Sequence[str],
    result: str,
    digits: int,
    recomputed: float,
) -> bool:
    """Where `compute` is decimal arithmetic (+ − × ÷), the printed operands' exact decimal
    values recompute to the printed `result` too, clear of a tie, as a reader's exact arithmetic
    does, or at least to the float `recomputed` within one unit in its last place (where the
    float's own rounding, as for a subnormal product, is what the result shows). A float
    recomputation of the parsed operands can cancel the printed decimals' own rounding
    (1.797693134862128e308 − 1.797693134862222e308). Other computations (tanh, exp) are held
    to the float check alone."""
    with localcontext(_EXACT):
        try:
            exact = compute(*(Decimal(s) for s in shown))
        except (TypeError, ArithmeticError, ValueError):
            return True
        if not isinstance(exact, Decimal) or not exact.is_finite():
            return True
        target = Decimal(result)
        unit = Decimal(repr(resolution(result, digits)))
        if exact == target or abs(exact - target) < unit / 2:
            return True
        return abs(exact - Decimal(recomputed)) <= Decimal(math.ulp(recomputed))


_EXACT = Context(prec=2000, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[InvalidOperation])
"""Decimal arithmetic that is exact for sums and products of printed floats (at most ~770
significant digits each, exponents from -1074 to 308)."""


def _holds_clearly(recomputed: float, shown: str, digits: int) -> bool:
    """`holds`, and not on a tie: a recomputation half a unit away (0.62071395 + 2.4828558 =
    3.10356975 against ``3.1035697``) rounds either way, and its float error decides whether a
    reader's exact arithmetic agrees, so the operands get more digits instead."""
    target = float(shown)
    if not math.isfinite(target) or not math.isfinite(recomputed):
        return holds(recomputed, shown, digits)
    limit = 0.5 * resolution(shown, digits)
    return abs(recomputed - target) < limit * (1.0 - 1e-6) or recomputed == target
