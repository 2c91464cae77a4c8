"""Check a learner's number against the engine's, and name the likely mistake when it is off.

    from engine import check
    check(-1.5, x1.grad)                  # prints: right
    check("3/2", x1.grad)                 # prints: off by 200%: is the sign right?
    check(0.5, x1.grad, mistakes={"did you forget the upstream gradient?": 0.5})

One rule grades every face (this function, the terminal, the δ practice and the browser pages,
which get each question's `Grading` as data): the known mistakes (a description and the number
that mistake gives: a factor left out, the sign flipped, the value for the derivative, one
contribution of several, the other input's derivative), plus the guesses any value allows (a
flipped sign, a factor of 2), are never right. An answer is right when it lies in the accepted
interval ``value ± tol``, with ``tol = max(rel·|value|, abs_tol)`` tightened to half the distance
to the nearest known mistake when that is closer (tanh′ ≈ 0.99: the δ without its g′ factor is
within 1% of the δ, so that question wants more digits). Every answer inside the interval is
closer to the value than to any mistake. A wrong answer is matched to the nearest mistake whose
own interval (its number ± the same kind of tolerance) holds it, and that mistake is named.

`parse_answer` reads what a learner types: a number (``-1.5``, ``1e-3``, ``.5``, or with a
decimal comma ``-1,5``: a single comma between digits is a decimal comma, so ``1,000`` is 1.0 and
``1,5,3`` is refused) or a simple fraction (``3/4``, ``-1 / 2``, ``1,5/2``), never evaluated as
Python.
"""

from __future__ import annotations

import math
import re
from typing import Mapping

from engine.core.value import Value, fmt_number

__all__ = [
    "check",
    "graded_check",
    "Check",
    "Grading",
    "grading",
    "parse_answer",
    "AnswerError",
    "DEFAULT_REL",
]

DEFAULT_REL = 0.01
"""Default relative tolerance: an answer within 1% of the value is right (0.707 for 0.70711)."""

DEFAULT_ABS = 1e-9
"""Default absolute tolerance, for values that are (nearly) zero."""

_NUMBER = r"[+-]?(?:\d+,\d+|\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
"""A number; a single comma between digits is a decimal comma (``-1,5`` is -1.5, ``1,000`` is
1.0: thousands separators are not numbers here), so no comma ever makes a list."""
_ANSWER = re.compile(rf"\s*({_NUMBER})\s*(?:/\s*({_NUMBER})\s*)?")
_MINUS_SIGNS = str.maketrans({"−": "-", "–": "-", "‐": "-", "﹣": "-", "－": "-"})
_MAX_ANSWER_CHARS = 100


class AnswerError(ValueError):
    """An answer that is not a number or a simple fraction; the message says what to type."""


def parse_answer(text: object) -> float:
    """The number a learner typed: ``-1.5``, ``-1,5`` (a decimal comma), ``2e-3``, ``3/4``,
    ``-1 / 2`` (spaces allowed).

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
                f"could not read {shown} as a number: type a number like -1.5 (or -1,5) or "
                f"2e-3, or a fraction like 3/4"
            )
        top, bottom = match.groups()
        value = float(top.replace(",", "."))  # a decimal comma is a decimal point
        bottom = None if bottom is None else bottom.replace(",", ".")
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


def _generic_mistakes(value: float) -> dict[str, float]:
    """What we can guess with nothing but the value: a flipped sign, a factor of 2."""
    return {
        "is the sign right?": -value,
        "that is half the value: does a node used twice add both of its gradients (+=)?": (
            value / 2
        ),
        "that is twice the value: is a contribution counted twice?": value * 2,
    }


def _distinct(number: float, value: float, abs_tol: float) -> bool:
    """Can `number` (a mistake's) be told from `value` at all? Not when it is the same number up
    to rounding, nor when both are zero at this tolerance (0 and 1e-17 are the same answer)."""
    if not math.isfinite(number):
        return False
    if abs(number) <= abs_tol and abs(value) <= abs_tol:
        return False
    return abs(number - value) > 1e-12 * max(abs(number), abs(value))


class Grading:
    """How one question is graded: the `value`, the accepted interval ``[lo, hi]`` and the known
    `mistakes` as ``(description, number, lo, hi)``, each with the interval that names it.

    `as_data()` is the JSON form the browser pages carry, so their JavaScript applies the very
    intervals Python does (``lo <= x <= hi``, then the nearest mistake whose interval holds x).
    """

    __slots__ = ("value", "lo", "hi", "tol", "tightened", "mistakes")

    def __init__(
        self,
        value: float,
        tol: float,
        tightened: bool,
        mistakes: list[tuple[str, float, float, float]],
    ) -> None:
        self.value = value
        self.tol = tol
        self.tightened = tightened
        self.lo = value - tol if math.isfinite(value) else value
        self.hi = value + tol if math.isfinite(value) else value
        self.mistakes = mistakes

    def accepts(self, answer: float) -> bool:
        """Is `answer` inside the accepted interval? (nan never is; inf only for inf.)"""
        if not math.isfinite(self.value):
            return answer == self.value
        return self.lo <= answer <= self.hi

    def mistake_for(self, answer: float) -> tuple[str, float] | None:
        """The nearest known mistake whose interval holds `answer` (the first on a tie)."""
        best: tuple[str, float] | None = None
        for text, number, lo, hi in self.mistakes:
            if not lo <= answer <= hi:
                continue
            if best is None or abs(answer - number) < abs(answer - best[1]):
                best = (text, number)
        return best

    @property
    def digits(self) -> int | None:
        """When the interval was tightened: the significant digits an answer needs (every
        number rounded to them lies inside), else None."""
        if not self.tightened or self.value == 0.0 or self.tol <= 0.0:
            return None
        needed = math.ceil(math.log10(abs(self.value) / self.tol)) + 1
        return max(1, min(17, needed))

    def as_data(self) -> dict[str, object]:
        """``{"lo", "hi", "digits", "mistakes": [[description, lo, hi, number], ...]}`` for
        JSON (`digits` as the property: None unless a mistake tightened the interval)."""
        finite = math.isfinite(self.value)
        return {
            "lo": self.lo if finite else None,
            "hi": self.hi if finite else None,
            "digits": self.digits,
            "mistakes": [[text, lo, hi, number] for text, number, lo, hi in self.mistakes],
        }


def grading(
    value: float | Value,
    mistakes: Mapping[str, float] | None = None,
    *,
    rel: float = DEFAULT_REL,
    abs_tol: float = DEFAULT_ABS,
) -> Grading:
    """The one grading rule (see the module docstring) for a question whose answer is `value`
    and whose likely slips are `mistakes` (description -> the number it gives); the guesses any
    value allows (sign, factor of 2) are added after them."""
    if not (isinstance(rel, (int, float)) and 0.0 <= rel < 1.0):
        raise ValueError(f"check(rel=) must be a number from 0 to 1, got {rel!r}")
    if not (isinstance(abs_tol, (int, float)) and abs_tol >= 0.0):
        raise ValueError(f"check(abs_tol=) must be a number ≥ 0, got {abs_tol!r}")
    expected = value.data if isinstance(value, Value) else float(value)
    candidates = {text: float(number) for text, number in (mistakes or {}).items()}
    if math.isfinite(expected):
        for text, number in _generic_mistakes(expected).items():
            candidates.setdefault(text, number)
    known = [
        (text, number)
        for text, number in candidates.items()
        if math.isfinite(expected) and _distinct(number, expected, abs_tol)
    ]
    tol = max(rel * abs(expected), abs_tol) if math.isfinite(expected) else 0.0
    tightened = False
    for _, number in known:
        half = abs(number - expected) / 2
        if half < tol:
            tol, tightened = half, True
    intervals = []
    for text, number in known:
        own = min(max(rel * abs(number), abs_tol), abs(number - expected) / 2)
        intervals.append((text, number, number - own, number + own))
    return Grading(expected, tol, tightened, intervals)


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

    Right when it lies in the accepted interval of `grading` (within ``max(rel·|value|,
    abs_tol)``, tightened so that no known mistake, of `mistakes` or the generic guesses, is
    right). When wrong, the nearest mistake the answer matches is named. Raises `AnswerError`
    for text that is not a number or a simple fraction.
    """
    graded = grading(value, mistakes, rel=rel, abs_tol=abs_tol)
    return graded_check(answer, graded, rel, abs_tol)


def graded_check(answer: object, graded: Grading, rel: float, abs_tol: float) -> Check:
    """`check` with the `Grading` already made (a round makes it once per question)."""
    given = parse_answer(answer)
    if graded.accepts(given):
        return Check(True, given, graded.value, rel, abs_tol)
    found = graded.mistake_for(given)
    mistake = found[0] if found else None
    if (
        mistake is None
        and graded.tightened
        and abs(given - graded.value) <= max(rel * abs(graded.value), abs_tol)
    ):
        mistake = "close, but a known mistake is near too: give more digits"
    return Check(False, given, graded.value, rel, abs_tol, mistake)
