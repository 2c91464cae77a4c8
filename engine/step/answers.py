"""Check a learner's number against the engine's, and name the likely mistake when it is off.

    from engine import check
    check(-1.5, x1.grad)                  # prints: right
    check("3/2", x1.grad)                 # prints: off by 200%: is the sign right?
    check(0.5, x1.grad, mistakes={"did you forget the upstream gradient?": 0.5})

An answer is right when ``|answer - value| ≤ max(rel·|value|, abs_tol)``. When it is not, each
candidate mistake (a description and the number that mistake gives) is tried in turn; the first
one the answer matches, and the right value does not, is named. `parse_answer` reads what a
learner types: a number (``-1.5``, ``1e-3``, ``.5``) or a simple fraction (``3/4``, ``-1 / 2``),
never evaluated as Python.
"""

from __future__ import annotations

import math
import re
from typing import Mapping

from engine.core.value import Value, fmt_number

__all__ = ["check", "Check", "parse_answer", "AnswerError", "DEFAULT_REL"]

DEFAULT_REL = 0.01
"""Default relative tolerance: an answer within 1% of the value is right (0.707 for 0.70711)."""

DEFAULT_ABS = 1e-9
"""Default absolute tolerance, for values that are (nearly) zero."""

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_ANSWER = re.compile(rf"\s*({_NUMBER})\s*(?:/\s*({_NUMBER})\s*)?")
_MINUS_SIGNS = str.maketrans({"−": "-", "–": "-", "‐": "-", "﹣": "-", "－": "-"})
_MAX_ANSWER_CHARS = 100


class AnswerError(ValueError):
    """An answer that is not a number or a simple fraction; the message says what to type."""


def parse_answer(text: object) -> float:
    """The number a learner typed: ``-1.5``, ``2e-3``, ``3/4``, ``-1 / 2`` (spaces allowed).

    Accepts an int or float as it is. Never calls ``eval``: the text must match a number, or
    two numbers with ``/`` between them. Raises `AnswerError` naming the text otherwise, or for
    a zero denominator, or for a result that is not finite.
    """
    if isinstance(text, bool):
        raise AnswerError(f"an answer is a number, got {text!r}")
    shown = _shown(text)
    if isinstance(text, int):
        try:
            value = float(text)
        except OverflowError:  # 10**400: more digits than a float holds
            raise AnswerError(
                f"{shown} is too large: an answer must fit in a float (at most about 1.8e308)"
            ) from None
    elif isinstance(text, float):
        value = text
    elif isinstance(text, Value):
        value = text.data
    elif isinstance(text, str):
        match = _ANSWER.fullmatch(text.translate(_MINUS_SIGNS))
        if match is None:
            raise AnswerError(
                f"could not read {shown} as a number: type a number like -1.5 or 2e-3, "
                f"or a fraction like 3/4"
            )
        top, bottom = match.groups()
        value = float(top)
        if bottom is not None:
            if float(bottom) == 0.0:
                raise AnswerError(f"{shown} divides by zero: the denominator must not be 0")
            value /= float(bottom)
    else:
        raise AnswerError(f"an answer is a number or text like '3/4', got {type(text).__name__}")
    if not math.isfinite(value):
        raise AnswerError(f"{shown} is not a finite number")
    return value


def _shown(text: object) -> str:
    """`text` for a message: its repr, shortened in the middle when it is long (10**400)."""
    if isinstance(text, str):
        shown = text.strip()
        if len(shown) > _MAX_ANSWER_CHARS:
            shown = shown[:_MAX_ANSWER_CHARS] + "…"
        return repr(shown)
    if isinstance(text, int) and text.bit_length() > 1000:  # repr would be 300+ digits
        return f"an int of about {int(text.bit_length() * math.log10(2)) + 1} digits"
    shown = repr(text)
    if len(shown) > _MAX_ANSWER_CHARS:
        shown = shown[:_MAX_ANSWER_CHARS] + "…"
    return shown


def _close(a: float, b: float, rel: float, abs_tol: float) -> bool:
    """|a - b| ≤ max(rel·|b|, abs_tol), for a finite `b` (a finite answer is never within a
    tolerance of inf: rel·inf would let every answer through)."""
    if not math.isfinite(b):
        return a == b
    return abs(a - b) <= max(rel * abs(b), abs_tol)


def _generic_mistakes(value: float) -> dict[str, float]:
    """What we can guess with nothing but the value: a flipped sign, a factor of 2."""
    return {
        "is the sign right?": -value,
        "that is half the value: does a node used twice add both of its gradients (+=)?": (
            value / 2
        ),
        "that is twice the value: is a contribution counted twice?": value * 2,
    }


class Check:
    """The verdict on one answer: `ok`, the `answer` and the `value`, and a named `mistake`.

    ``bool(check)`` is `ok`; ``str(check)`` is ``"right"`` or ``"off by 12%: <mistake>"``.
    """

    __slots__ = ("ok", "answer", "value", "rel", "abs_tol", "mistake")

    def __init__(
        self,
        ok: bool,
        answer: float,
        value: float,
        rel: float,
        abs_tol: float,
        mistake: str | None = None,
    ) -> None:
        self.ok = ok
        self.answer = answer
        self.value = value
        self.rel = rel
        self.abs_tol = abs_tol
        self.mistake = mistake

    def __bool__(self) -> bool:
        return self.ok

    @property
    def off_by(self) -> str:
        """How far off, in words: ``12%`` of the value, or the difference when the value is 0."""
        if math.isnan(self.value):
            return "an unknown amount: the value is nan (not a number), which no answer equals"
        if math.isinf(self.value):
            return f"an infinite amount: the value is {fmt_number(self.value)}"
        diff = abs(self.answer - self.value)
        if math.isinf(diff):
            return "more than a float can hold (the difference overflows)"
        if self.value == 0.0:
            return f"{fmt_number(diff)} (the answer is 0)"
        percent = 100.0 * diff / abs(self.value)
        return f"{percent:.2g}%" if percent < 10 else f"{percent:.0f}%"

    @property
    def message(self) -> str:
        if self.ok:
            return "right"
        text = f"off by {self.off_by}"
        return f"{text}: {self.mistake}" if self.mistake else text

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"<Check {'right' if self.ok else 'wrong'}: answer {fmt_number(self.answer)}, "
            f"value {fmt_number(self.value)}>"
        )


def check(
    answer: object,
    value: float | Value,
    *,
    rel: float = DEFAULT_REL,
    abs_tol: float = DEFAULT_ABS,
    mistakes: Mapping[str, float] | None = None,
) -> Check:
    """Is `answer` (a number, a Value, or text like ``"-3/2"``) equal to `value`?

    Right when ``|answer - value| ≤ max(rel·|value|, abs_tol)``. When wrong, the first entry of
    `mistakes` (description -> the number that mistake gives) that the answer matches and the
    value does not is named; then the generic guesses (a flipped sign, a factor of 2). Raises
    `AnswerError` for text that is not a number or a simple fraction.
    """
    if not (isinstance(rel, (int, float)) and 0.0 <= rel < 1.0):
        raise ValueError(f"check(rel=) must be a number from 0 to 1, got {rel!r}")
    if not (isinstance(abs_tol, (int, float)) and abs_tol >= 0.0):
        raise ValueError(f"check(abs_tol=) must be a number ≥ 0, got {abs_tol!r}")
    given = parse_answer(answer)
    expected = value.data if isinstance(value, Value) else float(value)
    if _close(given, expected, rel, abs_tol):
        return Check(True, given, expected, rel, abs_tol)
    candidates = dict(mistakes or {})
    for text, number in _generic_mistakes(expected).items():
        candidates.setdefault(text, number)
    for text, number in candidates.items():
        if not math.isfinite(number) or _close(number, expected, rel, abs_tol):
            continue  # this mistake would give the right number: it cannot explain the answer
        if _close(given, number, rel, abs_tol):
            return Check(False, given, expected, rel, abs_tol, text)
    return Check(False, given, expected, rel, abs_tol)
