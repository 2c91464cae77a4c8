"""Practice for the δ mode: the learner works out each layer's δ before it is shown.

    d = DeltaStepper(model, loss, practice=True)
    print(d)         # step 1/4: layer 4, the output layer ...  δ₁⁽⁴⁾ = ?   from ∂L/∂a₁⁽⁴⁾ = ...
    d.answer("0.17")      # wrong: "off by 2.3%", then the rule with the numbers as a hint
    d.answer("0.1662")    # right: the next δ (after a layer's last δ, the whole step is shown)
    print(d.practice.summary())   # the score, and the δ found so far

The same round as `engine.step.Practice` (which asks for each local derivative and gradient of a
node-by-node pass), one level up: for each layer, the output layer first, one question per
neuron, δ_j = ∂L/∂s_j. The prompt gives the numbers the rule needs (∂L/∂a and the neuron's s and a
for the output layer; s, a, and the weights and δ of the layer above for a hidden one). Answers
are checked with `engine.step.answers.check` (within 1% by default); a wrong answer gets the rule
with the numbers filled in (and names the likely slip, e.g. the factor g'(s) left out), a
second miss shows the answer. When a layer's questions are done the stepper moves to it, so
`draw()` shows the δ found so far. ``chainrule delta --practice`` runs a round in the terminal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.core.value import fmt_number
from engine.step.answers import DEFAULT_ABS, DEFAULT_REL
from engine.step.practice_round import Round

if TYPE_CHECKING:
    from nn.teaching.delta_mode import DeltaStep, DeltaStepper, Question

__all__ = ["DeltaPractice", "DeltaQuestion"]


class DeltaQuestion:
    """One δ to give: the `step` (layer) it belongs to, its `label` (``δ₂⁽³⁾``), the `value`,
    the `hint`, the numbers it is `given` and the likely `mistakes`."""

    __slots__ = ("step", "label", "value", "hint", "given", "mistakes")

    def __init__(self, step: DeltaStep, asked: Question) -> None:
        self.step = step
        self.label = asked.name
        self.value = asked.want
        self.hint = f"hint: {asked.rule}"
        self.given = asked.given
        self.mistakes = asked.mistakes

    def __repr__(self) -> str:
        return f"<DeltaQuestion {self.label} = ?>"


class DeltaPractice(Round):
    """A practice round over `stepper`'s layers (see the module docstring); it starts from the
    forward pass (the stepper is reset). `rel`/`abs_tol` are the check's tolerances; `answer`,
    `reveal`, `score` and `summary` are `engine.step.practice.Round`'s."""

    def __init__(
        self, stepper: DeltaStepper, *, rel: float = DEFAULT_REL, abs_tol: float = DEFAULT_ABS
    ) -> None:
        super().__init__(rel, abs_tol)
        stepper.reset()
        self.stepper = stepper
        self._questions = [
            DeltaQuestion(step, asked) for step in stepper.steps for asked in step.questions
        ]
        self._index = 0

    @property
    def question(self) -> DeltaQuestion | None:
        """The question waiting for an answer, or None when the round is over."""
        return self._questions[self._index] if self._index < len(self._questions) else None

    @property
    def total(self) -> int:
        """How many questions the round asks: one per neuron."""
        return len(self._questions)

    @property
    def prompt(self) -> str:
        """The layer's rule, the numbers it needs, the δ given so far and the one asked."""
        question = self.question
        if question is None:
            return f"every δ is found.\n{self.summary()}"
        step = question.step
        head = step.lines[0].split("] ", 1)[-1]
        lines = [f"step {step.index}/{step.total}: {head}"]
        for earlier in self._questions[: self._index]:
            if earlier.step is step:
                lines.append(f"  {earlier.label} = {fmt_number(earlier.value)}")
        lines.append(f"  {question.label} = ?   from {question.given}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<DeltaPractice: {self.score!r}>"

    def _next_question(self) -> bool:
        """Move on; when that was the layer's last δ, the stepper moves to the layer."""
        finished = self._questions[self._index]
        self._index += 1
        following = self.question
        if following is not None and following.step is finished.step:
            return False
        self.stepper.next()  # the layer is found: the stepper (and its drawing) moves on
        return True
