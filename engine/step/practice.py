"""Practice mode: the learner computes each backward step before it is revealed.

    from engine.step import Practice
    p = Practice(o)          # or Stepper(o, practice=True)
    print(p)                 # step 1/10: o = tanh(n) = 0.7071 ... ∂o/∂n = ?
    p.answer("1/2")          # right: ∂o/∂n = 0.5
    p.answer(0.5)            # n.grad = ? -> right
    ...
    print(p.summary())       # score: 8/8 right first time

At every step of the backward pass (`engine.step.Stepper`) and for each input x of the visited
node, the learner gives two numbers: the local derivative ∂node/∂x, then x's gradient after the
step, ``x.grad + upstream · ∂node/∂x``. Answers are graded by `engine.step.answers.grading`
(within 1% by default, tighter where a known mistake is nearer: no known mistake is ever right).
A wrong answer names the mistake it looks like (the upstream gradient forgotten, the sign
flipped, the output used where the formula needs the input...) and gets a hint: the op table's
rule and the quantities it needs, never the final number. A second miss shows the answer.
Leaves have nothing to pass on and are skipped; constants (the 2 of ``x * 2``) are not
differentiated, so nothing is asked about them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from engine.core.names import arg_note, derivative_numbers, grad_of, partial_symbol
from engine.core.numfmt import equation, fmt
from engine.core.ops import FLOAT_MATH, OPS
from engine.core.value import Value, fmt_number
from engine.step.answers import DEFAULT_ABS, DEFAULT_REL
from engine.step.narration import is_constant
from engine.step.practice_round import Feedback, Round, Score

if TYPE_CHECKING:
    from engine.step.narration import ParentTerm, Step
    from engine.step.notation import Notation
    from engine.step.stepper import Stepper

__all__ = ["Practice", "Round", "Question", "Feedback", "Score"]


class Question:
    """One number to give: ``kind`` "local" (∂node/∂x) or "grad" (x.grad after the step)."""

    __slots__ = ("kind", "step", "term", "label", "value", "hint", "mistakes")

    def __init__(self, kind: str, step: Step, term: ParentTerm, label: str, value: float) -> None:
        self.kind = kind
        self.step = step
        self.term = term
        self.label = label
        self.value = value
        self.hint = _local_hint(step, term) if kind == "local" else _grad_hint(step, term)
        self.mistakes = (
            _local_mistakes(step, term) if kind == "local" else _grad_mistakes(step, term)
        )

    def __repr__(self) -> str:
        return f"<Question {self.label} = ?>"


# --------------------------------------------------------------------------------------------
# Hints and mistakes, from the step's numbers and the op table
# --------------------------------------------------------------------------------------------


def _gives_the_answer(text: str) -> bool:
    """Is `text` a bare number (``0.5``, ``-1``)? A hint that ends in one gives the answer."""
    try:
        float(text.replace("−", "-").strip("()"))
    except ValueError:
        return False
    return True


def local_rule_hint(step: Step, term: ParentTerm) -> str:
    """The op table's rule for ∂node/∂x, with the quantities it needs named, never the final
    number: ``∂mul₁/∂w = x`` (x's value is in the prompt), ``∂o/∂n = 1 - o² = 1 - 0.7071²``; a
    rule that is a number itself (a sum's 1) is described instead of stated."""
    node = step.node
    partial = partial_symbol(step.name, term.name)
    if _gives_the_answer(term.formula):
        return (
            f"{step.name} = {step.formula}: the op table's {partial} is a constant; how much does "
            f"{step.name} change when {term.name} grows by 1 and everything else stays?"
        )
    hint = f"{step.name} = {step.formula}, so {partial} = {term.formula}"
    with_numbers = derivative_numbers(node, step.terms.index(term), term.local, step.digits)
    if with_numbers != term.formula and not _gives_the_answer(with_numbers):
        hint += f" = {with_numbers}"
    return hint + arg_note(node)


def _local_hint(step: Step, term: ParentTerm) -> str:
    """The op table's formula, then with the numbers, but not the answer (`local_rule_hint`)."""
    return "hint: " + local_rule_hint(step, term)


def _grad_hint(step: Step, term: ParentTerm) -> str:
    """``before + upstream × local``, with digits enough to give the new grad as printed."""
    (before, upstream, local), _ = equation(
        _step_sum, (term.grad_before, step.upstream, term.local), term.grad_after, step.digits
    )
    return f"hint: {grad_of(term.name)} += upstream × local = {before} + {upstream} × {local}"


def _step_sum(before: float, upstream: float, local: float) -> float:
    """A gradient after one step of the chain rule: before + upstream · local."""
    return before + upstream * local


def _swapped_local(node: Value, term: ParentTerm, step: Step, use_output: bool) -> float | None:
    """The op's local derivative with the input and output confused (unary ops only)."""
    op = OPS[node.op]
    if op.arity != 1:
        return None
    x, out = node.parents[0].data, node.data
    try:
        if use_output:  # the output where the formula needs the input
            return float(op.local(FLOAT_MATH, out, out, node.arg)[0])
        return float(op.local(FLOAT_MATH, x, x, node.arg)[0])  # the input where it needs the out
    except (ValueError, ZeroDivisionError, OverflowError):
        return None


def _local_mistakes(step: Step, term: ParentTerm) -> dict[str, float]:
    """What a likely slip gives for ∂node/∂x: the upstream factor put in, the sign flipped, the
    input and output confused, another input's derivative, the node's value."""
    node = step.node
    mistakes: dict[str, float] = {}
    if step.upstream != 1.0:
        mistakes["that is upstream × local; the question is the local derivative alone"] = (
            step.upstream * term.local
        )
    mistakes["is the sign right?"] = -term.local
    if node.op not in ("add", "sub"):
        mistakes[
            f"1 is the rule of a sum (∂(x + y)/∂x = 1); {step.name} = {step.formula} is not one"
        ] = 1.0
    mistakes[
        f"that is the upstream gradient {step.notation.total(step.root_name, step.name)}; the "
        f"question is the local derivative"
    ] = step.upstream
    swapped = _swapped_local(node, term, step, use_output=False)
    if swapped is not None:
        mistakes[
            f"did you use the input {term.name} = {fmt_number(term.parent.data)} where the formula "
            f"needs the output {step.name} = {fmt_number(node.data)}?"
        ] = swapped
    swapped = _swapped_local(node, term, step, use_output=True)
    if swapped is not None:
        mistakes[
            f"did you use the output {step.name} = {fmt_number(node.data)} where the formula needs "
            f"the input {term.name}?"
        ] = swapped
    for other in step.terms:
        if other.parent is term.parent:
            continue
        text = f"that is {partial_symbol(step.name, other.name)}, the derivative for another input"
        mistakes.setdefault(text, other.local)
    mistakes[f"that is the value of {step.name}, not its derivative"] = node.data
    return mistakes


def _grad_mistakes(step: Step, term: ParentTerm) -> dict[str, float]:
    """What a likely slip gives for x.grad after the step: a factor left out (the upstream
    gradient or the local derivative), the sign, the earlier contributions dropped, the value
    used for the gradient."""
    before, upstream, local = term.grad_before, step.upstream, term.local
    partial = step.notation.total(step.root_name, step.name)
    mistakes = {
        f"did you forget the upstream gradient ({partial} = {fmt_number(upstream)})?": before
        + local,
        "is the sign right?": before - upstream * local,
        f"did you forget to add what {grad_of(term.name)} already held ({fmt_number(before)})? "
        f"gradients accumulate (+=)": upstream * local,
        f"did you multiply by the value of {step.name} instead of its gradient?": before
        + step.node.data * local,
        f"did you forget the local derivative {partial_symbol(step.name, term.name)}?": before
        + upstream,
    }
    return mistakes


# --------------------------------------------------------------------------------------------
# Practice
# --------------------------------------------------------------------------------------------


class Practice(Round):
    """A practice round over the backward pass of `root` (see the module docstring).

    root:     the output to differentiate (or pass `stepper`, an existing `Stepper`).
    grad:     the seed, ∂root/∂root (default 1).
    rel:      relative tolerance of the check (default 1%); `abs_tol` for values near zero.

    `prompt` (also ``str(p)``) is the current question; `answer(x)` checks a number or text
    like ``"-3/2"`` and returns a `Feedback`; `reveal()` gives up on the current question;
    `score` and `summary()` tell how it went. The Stepper's gradients move as the round goes.
    """

    def __init__(
        self,
        root: Value | None = None,
        *,
        grad: float = 1.0,
        rel: float = DEFAULT_REL,
        abs_tol: float = DEFAULT_ABS,
        stepper: Stepper | None = None,
        notation: Notation | str | None = None,
    ) -> None:
        if stepper is None:
            from engine.step.stepper import Stepper

            if root is None:
                raise TypeError("Practice needs a root Value (or stepper=)")
            stepper = Stepper(root, grad, notation=notation)  # the questions' symbols
        super().__init__(rel, abs_tol)
        self.stepper = stepper
        self._questions: list[Question] = []
        self._index = 0
        self._started = False

    # -- where we are -------------------------------------------------------------------------

    def _advance_step(self) -> None:
        """Apply steps until one has questions (leaves have none) or the pass ends."""
        self._questions, self._index, self._misses = [], 0, 0
        while not self.stepper.done:
            step = self.stepper.next()
            if step is None:
                break
            for term in step.terms:
                if is_constant(term.parent):
                    continue  # a number in the expression: not differentiated, nothing to ask
                partial = partial_symbol(step.name, term.name)
                self._questions.append(Question("local", step, term, partial, term.local))
                label = grad_of(term.name)
                self._questions.append(Question("grad", step, term, label, term.grad_after))
            if self._questions:
                return

    def _ensure_started(self) -> None:
        if not self._started:
            self._started = True
            self._advance_step()

    @property
    def question(self) -> Question | None:
        """The question waiting for an answer, or None when the round is over."""
        self._ensure_started()
        return self._questions[self._index] if self._index < len(self._questions) else None

    @property
    def total(self) -> int:
        """How many questions the whole pass asks: two per input of every interior node that
        is not a constant (a number in the expression is not differentiated)."""
        return 2 * sum(
            not is_constant(parent) for node in self.stepper._order for parent in node.parents
        )

    @property
    def prompt(self) -> str:
        """The current step and question, e.g. ``... ∂o/∂n = ?``; the score once it is over."""
        question = self.question
        if question is None:
            return f"the backward pass is done.\n{self.summary()}"
        step = question.step
        # a slip near the answer: the numbers get the digits that telling them apart needs
        digits = self.grading(question).digits
        show = (lambda x: fmt_number(x)) if digits is None else (lambda x: fmt(x, max(digits, 4)))
        lines = [_headline(step, show)]
        inputs = _inputs_line(step, show)
        if inputs:
            lines.append(inputs)
        for earlier in self._questions[: self._index]:
            lines.append(f"  {earlier.label} = {show(earlier.value)}")
        need = "" if digits is None else f"; a likely slip is near: give {digits} digits"
        if question.kind == "local":
            lines.append(f"  {question.label} = ?   (the local derivative{need})")
        else:
            lines.append(
                f"  {question.label} = ?   (it held {show(question.term.grad_before)} before "
                f"this step{need})"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Practice {self.stepper.names[self.stepper.root]}: {self.score!r}>"

    def _next_question(self) -> bool:
        self._index += 1
        if self._index < len(self._questions):
            return False
        self._advance_step()
        return True


def _headline(step: Step, show: Callable[[float], str] = fmt_number) -> str:
    upstream = f"{step.notation.total(step.root_name, step.name)} = {show(step.upstream)}"
    if step.is_seed:
        upstream += " (the seed)"
    value = show(step.node.data)
    return f"step {step.index}/{step.total}: {step.name} = {step.formula} = {value};  {upstream}"


def _inputs_line(step: Step, show: Callable[[float], str] = fmt_number) -> str:
    """``  where x1 = 2, w1 = -3`` for the inputs that are not plain numbers."""
    seen: list[str] = []
    for term in step.terms:
        if term.name[:1].isdigit() or term.name[:1] in "-.":
            continue  # a constant's name is its value already
        text = f"{term.name} = {show(term.parent.data)}"
        if text not in seen:
            seen.append(text)
    return f"  where {', '.join(seen)}" if seen else ""
