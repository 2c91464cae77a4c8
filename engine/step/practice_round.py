"""What every practice round shares: checking an answer, a hint after the first miss, the
answer after the second, giving up on a question, and the score.

`engine.step.practice.Practice` (node by node: each local derivative and gradient) and
`nn.teaching.delta_practice.DeltaPractice` (layer by layer: each δ) are `Round`s.
"""

from __future__ import annotations

from typing import Any

from engine.core.value import fmt_number
from engine.step.answers import Check, Grading, check, graded_check, grading

__all__ = ["Round", "Feedback", "Score"]


class Feedback:
    """What one answer got: the `check`, the `outcome` ("right", "retry" or "shown") and `text`."""

    __slots__ = ("check", "outcome", "text", "step_done")

    def __init__(self, check: Check, outcome: str, text: str, step_done: bool) -> None:
        self.check = check
        self.outcome = outcome
        self.text = text
        self.step_done = step_done

    @property
    def right(self) -> bool:
        return self.outcome == "right"

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"<Feedback {self.outcome}: {self.check.message}>"


class Score:
    """How the questions went: right at the first try, right after a hint, shown; out of total."""

    __slots__ = ("first_try", "after_hint", "shown", "asked", "total")

    def __init__(self, first_try: int, after_hint: int, shown: int, asked: int, total: int) -> None:
        self.first_try = first_try
        self.after_hint = after_hint
        self.shown = shown
        self.asked = asked
        self.total = total

    @property
    def points(self) -> float:
        """One point per answer right at the first try, half a point after a hint."""
        return self.first_try + 0.5 * self.after_hint

    def __str__(self) -> str:
        if not self.asked:
            return f"score: no questions answered yet ({self.total} to go)"
        percent = 100.0 * self.points / self.asked
        text = (
            f"score: {self.first_try}/{self.asked} right first time, {self.after_hint} after a "
            f"hint, {self.shown} shown ({percent:.0f}%)"
        )
        if self.asked < self.total:
            left = self.total - self.asked
            text += f"; {left} question{'' if left == 1 else 's'} not reached"
        return text

    def __repr__(self) -> str:
        return f"<Score {self.first_try}/{self.asked} first try>"


class Round:
    """What every practice round shares: checking an answer (a hint after the first miss, the
    answer after the second), giving up on a question, and the score.

    A round provides `question` (an object with `label`, `value`, `hint`, `mistakes` and the
    `step` it belongs to, or None when the round is over), `total` (how many questions in all),
    `_next_question()` (move past the current one; True when that finished its step) and
    `stepper` (for `summary`). `Practice` is the node-by-node round; `nn.teaching.delta_practice`
    the
    layer-by-layer one.
    """

    def __init__(self, rel: float, abs_tol: float) -> None:
        check(0.0, 0.0, rel=rel, abs_tol=abs_tol)  # validates the tolerances now
        self.rel = rel
        self.abs_tol = abs_tol
        self._misses = 0
        self.outcomes: list[tuple[Any, str]] = []
        """Every question answered, with how: "first try", "after hint" or "shown"."""

    stepper: Any

    @property
    def question(self) -> Any:
        """The question waiting for an answer, or None when the round is over."""
        raise NotImplementedError

    @property
    def total(self) -> int:
        """How many questions the whole round asks."""
        raise NotImplementedError

    @property
    def done(self) -> bool:
        return self.question is None

    @property
    def prompt(self) -> str:
        """The current question with what it is worked out from; the score once it is over."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.prompt

    def _next_question(self) -> bool:
        """Move past the current question; True when that question finished its step."""
        raise NotImplementedError

    def grading(self, question: Any) -> Grading:
        """How `question` is graded: `engine.step.answers.grading` of its value and mistakes
        (the one rule every face uses; the browser pages carry it as data)."""
        return grading(question.value, question.mistakes, rel=self.rel, abs_tol=self.abs_tol)

    def answer(self, value: object) -> Feedback:
        """Check `value` (a number or text like ``"3/4"``) against the current question.

        Right: the next question comes. Wrong the first time: a hint, and the same question.
        Wrong twice: the answer is shown and the round moves on. Text that is not a number
        raises `engine.step.answers.AnswerError` (and costs nothing).
        """
        question = self.question
        if question is None:
            raise RuntimeError("the practice round is over; see summary()")
        result = graded_check(value, self.grading(question), self.rel, self.abs_tol)
        if result.ok:
            outcome = "first try" if self._misses == 0 else "after hint"
            text = f"right: {question.label} = {fmt_number(question.value)}"
            return self._move_on(question, result, outcome, "right", text)
        self._misses += 1
        if self._misses == 1:
            text = f"{result.message}\n{question.hint}\ntry again"
            return Feedback(result, "retry", text, False)
        stop = "" if result.message.endswith(("?", ".")) else "."  # no "(+=)?." at the end
        text = f"{result.message}{stop} The answer: {question.label} = {fmt_number(question.value)}"
        return self._move_on(question, result, "shown", "shown", text)

    def reveal(self) -> Feedback:
        """Give up on the current question: show its answer and move on (counts as shown)."""
        question = self.question
        if question is None:
            raise RuntimeError("the practice round is over; see summary()")
        result = Check(False, float("nan"), question.value, self.rel, self.abs_tol)
        text = f"the answer: {question.label} = {fmt_number(question.value)}"
        return self._move_on(question, result, "shown", "shown", text)

    def _move_on(
        self, question: Any, result: Check, outcome: str, kind: str, text: str
    ) -> Feedback:
        self.outcomes.append((question, outcome))
        self._misses = 0
        step_done = self._next_question()
        if step_done:
            text += f"\nthe whole step:\n{question.step}"
        return Feedback(result, kind, text, step_done)

    @property
    def score(self) -> Score:
        counts = {"first try": 0, "after hint": 0, "shown": 0}
        for _, outcome in self.outcomes:
            counts[outcome] += 1
        first, hinted, shown = counts["first try"], counts["after hint"], counts["shown"]
        return Score(first, hinted, shown, len(self.outcomes), self.total)

    def summary(self) -> str:
        """The score, and what the pass has found so far."""
        return f"{self.score}\n{self.stepper.summary()}"
