"""Practice for the δ mode: the learner works out each layer's δ before it is shown.

    d = DeltaStepper(model, loss, practice=True)
    print(d)         # step 1/4: layer 4, the output layer ...  δ₁⁽⁴⁾ = ?   from ∂⁺L/∂x₁⁽⁴⁾ = ...
    d.answer("0.17")      # wrong: "off by 2.3%", then the rule with the numbers as a hint
    d.answer("0.1662")    # right: the next δ (after a layer's last δ, the whole step is shown)
    print(d.practice.summary())   # the score, and the δ found so far

The same round as `engine.step.Practice` (which asks for each local derivative and gradient of a
node-by-node pass), one level up: for each layer, the output layer first, one question per
neuron, δ_j = ∂L/∂s_j. The prompt gives the numbers the rule needs (∂L/∂a and the neuron's s and a
for the output layer; s, a, and the weights and δ of the layer above for a hidden one). Answers
are graded by `engine.step.answers.grading` (within 1% by default, tighter where a known slip
is nearer: g'(s) left out, g(s) for g'(s), g' at a, one term of Σ, the sign; the prompt then
gives the digits it needs); a wrong answer names the slip and gets the rule with the numbers
filled in, a second miss shows the answer. When a layer's questions are done the stepper moves
to it, so `draw()` shows the δ found so far. ``chainrule delta --practice`` runs a round in
the terminal.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable

from engine.core.numfmt import MAX_DIGITS, fmt, get_digits
from engine.core.ops import FLOAT_MATH, OPS
from engine.core.value import fmt_number
from engine.step.answers import DEFAULT_ABS, DEFAULT_REL, Grading, grading
from engine.step.practice_round import Round

if TYPE_CHECKING:
    from nn.teaching.delta_mode import DeltaStep, DeltaStepper, Question
    from nn.teaching.network_view import NeuronState

__all__ = ["DeltaPractice", "DeltaQuestion", "delta_questions"]


def _slope_at(n: NeuronState, s: float, a: float) -> float | None:
    """g'(s) by the op table's rule for input `s` and output `a` (None where it is undefined)."""
    if n.activation == "linear" or n.out is None or n.out is n.pre:
        return 1.0
    try:
        return float(OPS[n.out.op].local(FLOAT_MATH, s, a, n.out.arg)[0])
    except (ValueError, ZeroDivisionError, OverflowError):
        return None


def _forward(n: NeuronState, x: float) -> float | None:
    """g(x), the activation's forward (None where it is undefined)."""
    if n.out is None or n.out is n.pre:
        return x
    try:
        return float(OPS[n.out.op].forward(x, n.out.arg))
    except (ValueError, ZeroDivisionError, OverflowError):
        return None


class _Neuron:
    """What one δ is worked out from: the named `numbers` and the `rule` that makes δ of them."""

    def __init__(self, stepper: DeltaStepper, step: DeltaStep, n: NeuronState) -> None:
        from nn.teaching.delta_mode import _name
        from nn.teaching.network_view import grad_number

        assert n.pre is not None and n.out is not None
        self.n = n
        self.linear = n.activation == "linear" or n.out is n.pre
        nt = stepper.notation
        self.nt = nt
        s_name = _name("s", n.j, layer=n.layer, nt=nt)
        a_name = _name("a", n.j, layer=n.layer, nt=nt)
        own = [(s_name, n.pre.data), (a_name, n.out.data)]
        self.output = step.layer == len(stepper.state.layers)
        if self.output:
            self.names = [(nt.total(nt.loss, a_name), grad_number(n.out))] + own
        else:
            above = stepper.state.layers[step.layer]
            pairs: list[tuple[str, float]] = []
            for m in above:
                w_name = _name("w", n.j, m.j, layer=step.layer + 1, nt=nt)
                pairs.append((w_name, m.weights[n.j - 1].data))
                pairs.append((_name("δ", m.j, layer=step.layer + 1, nt=nt), m.delta or 0.0))
            self.names = own + pairs

    def rule(self, *numbers: float) -> float:
        """δ from `numbers` (in the order of `names`): ∂L/∂a · g'(s), or g'(s) · Σ w δ."""
        if self.output:
            upstream, s, a = numbers
            slope = _slope_at(self.n, s, a)
            return math.nan if slope is None else upstream * slope
        s, a, *wd = numbers
        slope = _slope_at(self.n, s, a)
        total = math.fsum(wd[k] * wd[k + 1] for k in range(0, len(wd), 2))
        return math.nan if slope is None else slope * total

    def mistakes(self) -> dict[str, float]:
        """What the likely slips give: g'(s) left out, g(s) for g'(s), g' at a instead of at s,
        one contribution of the sum alone (the sign and a factor of 2 are the check's guesses)."""
        numbers = [x for _, x in self.names]
        s, a = (numbers[1], numbers[2]) if self.output else (numbers[0], numbers[1])
        if self.output:
            upstream = numbers[0]
            times: Callable[[float], float] = lambda factor: upstream * factor
        else:
            wd = numbers[2:]
            total = math.fsum(wd[k] * wd[k + 1] for k in range(0, len(wd), 2))
            times = lambda factor: factor * total
        from nn.teaching.delta_mode import no_slope

        nt = self.nt
        g, pre, act = nt.activation, nt.pre, nt.act
        found: dict[str, float] = {}
        if not self.linear:
            found[no_slope(nt)] = times(1.0)
            found[
                f"that uses the activation {g}({pre}) = {act} where the rule needs its "
                f"derivative {g}'({pre})"
            ] = times(a)
            at_a = _slope_at(self.n, a, _forward(self.n, a) or 0.0)
            if at_a is not None:
                found[
                    f"that is {g}' taken at {act}; the rule takes {g}' at the pre-activation {pre}"
                ] = times(at_a)
        if not self.output and len(numbers) > 4:
            slope = _slope_at(self.n, s, a)
            if slope is not None:
                for k in range(2, len(numbers), 2):
                    (w, wv), (d, dv) = self.names[k], self.names[k + 1]
                    found.setdefault(
                        f"that is one term of the sum ({w}{d}) alone: Σ_j adds every "
                        f"{nt.delta} of the layer above",
                        slope * wv * dv,
                    )
        return found

    def given(self, graded: Grading) -> str | None:
        """The numbers with digits enough that the rule worked on them as printed is graded
        right; None when the default digits do."""
        values = [x for _, x in self.names]
        for digits in range(get_digits(), MAX_DIGITS + 1):
            shown = [fmt(x, digits) for x in values]
            recomputed = self.rule(*(float(t) for t in shown))
            if abs(recomputed - graded.value) <= graded.tol / 2:
                break
        if digits == get_digits():
            return None
        parts = [f"{name} = {text}" for (name, _), text in zip(self.names, shown)]
        activation = f" ({self.n.activation})"
        k = 1 if self.output else 0  # the neuron's own s and a
        own = f"{parts[k]}, {parts[k + 1]}{activation}"
        if self.output:
            return f"{parts[0]}, {own}"
        return f"{own}; {', '.join(parts[2:])}"


class DeltaQuestion:
    """One δ to give: the `step` (layer) it belongs to, its `label` (``δ₂⁽³⁾``), the `value`,
    the `hint`, the numbers it is `given`, the likely `mistakes` and its `grading` (the accepted
    interval; when a mistake is near the value, `given` has the digits the answer needs)."""

    __slots__ = ("step", "label", "value", "hint", "given", "mistakes", "grading")

    def __init__(
        self,
        step: DeltaStep,
        asked: Question,
        neuron: _Neuron | None = None,
        *,
        rel: float = DEFAULT_REL,
        abs_tol: float = DEFAULT_ABS,
    ) -> None:
        self.step = step
        self.label = asked.name
        self.value = asked.want
        self.hint = f"hint: {asked.rule}"
        self.given = asked.given
        self.mistakes = dict(asked.mistakes)
        if neuron is not None:
            for text, number in neuron.mistakes().items():
                self.mistakes.setdefault(text, number)
        self.grading = grading(self.value, self.mistakes, rel=rel, abs_tol=abs_tol)
        if neuron is not None and self.grading.tightened:
            self.given = neuron.given(self.grading) or self.given

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
        self._questions = delta_questions(stepper, rel=rel, abs_tol=abs_tol)
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

    def grading(self, question: Any) -> Grading:
        return question.grading

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


def delta_questions(
    stepper: DeltaStepper, *, rel: float = DEFAULT_REL, abs_tol: float = DEFAULT_ABS
) -> list[DeltaQuestion]:
    """Every δ the round asks, the output layer first, each with its known mistakes and its
    grading (the δ page carries the same, so the browser grades as the terminal does)."""
    asked = []
    for step in stepper.steps:
        layer = stepper.state.layers[step.layer - 1]
        for n, question in zip(layer, step.questions):
            neuron = _Neuron(stepper, step, n)
            asked.append(DeltaQuestion(step, question, neuron, rel=rel, abs_tol=abs_tol))
    return asked
