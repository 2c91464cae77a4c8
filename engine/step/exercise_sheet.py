"""Exercise sheets for a class: N seeded backpropagation exercises and their answer key.

    from engine.step.exercise_sheet import make_sheet
    sheet = make_sheet(count=10, seed=7, levels=(1, 2, 3), kinds=("local", "step", "pass", "delta"))
    sheet.questions[0].id        # '1a'
    sheet.key_data()             # what `chainrule grade` reads (key.json)

Four kinds of exercise, each over an expression of `engine.step.exercises` (levels 1 to 3) or a
neuron built from engine Values:

- ``local``: one local derivative ∂v/∂x of one node (the op table's rule, evaluated);
- ``step``: one backward step, ``∂out/∂x ← ∂out/∂x + ∂out/∂v · ∂v/∂x``, from the numbers given;
- ``pass``: the whole backward pass: every input's gradient ∂out/∂x (a value used twice adds
  the contributions of both uses);
- ``delta``: the δ of a neuron, δ = ∂L/∂s = (o − t)·g′(s) for s = Σᵢ wᵢxᵢ + b, o = g(s),
  L = ½(o − t)², and the weight gradient ∂L/∂w₁ = δ·x₁.

Every answer is the engine's number (a backward pass over Values), graded by the one rule of
`engine.step.answers.grading` with the question's known mistakes (a factor left out, the sign,
the value for the derivative, one contribution of several, another input's derivative). Each
question has a stable id: the exercise number and a letter (``3b``). The same count, seed,
levels and kinds give the same sheet on every machine (`random.Random` seeded with a string).
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, Iterable, Sequence

from engine.core.names import grad_of, partial_symbol
from engine.core.numfmt import fmt
from engine.core.value import Value
from engine.step.answers import DEFAULT_ABS, DEFAULT_REL, grading
from engine.step.exercises import LEVELS, Exercise, exercise

if TYPE_CHECKING:
    from engine.step.narration import ParentTerm, Step

__all__ = [
    "KINDS",
    "KEY_FORMAT",
    "Segment",
    "SheetQuestion",
    "SheetExercise",
    "Sheet",
    "make_sheet",
    "plain",
]

KINDS = {
    "local": "a local derivative",
    "step": "one backward step",
    "pass": "a whole backward pass",
    "delta": "the delta of a neuron",
}
"""The kinds of exercise a sheet can hold, and what each asks."""

KEY_FORMAT = "chainrule-answer-key"
"""The ``format`` field of a key.json (`Sheet.key_data`)."""

MAX_COUNT = 100
SHOWN_DIGITS = 6
"""Significant digits of the numbers a sheet gives (forward values, upstream gradients)."""

Segment = tuple[str, str]
"""A piece of a prompt: ``("text", words)`` or ``("math", formula in Unicode, e.g. ∂out/∂a)``."""

_ACTIVATIONS = ("tanh", "sigmoid")  # relu's g′ is 1 or 0: its δ would need no g′ at all
_INPUTS = (-1.0, -0.5, 0.5, 1.0, 2.0)
_WEIGHTS = (-1.0, -0.5, 0.5, 1.0, 1.5)
_BIASES = (-0.5, 0.0, 0.5)
_TARGETS = {"tanh": (-1.0, 0.0, 1.0), "sigmoid": (0.0, 1.0)}


class SheetQuestion:
    """One number to give: its `id` (``3b``), the `prompt` as segments, the engine's `value`,
    the known `mistakes` (description, number) and the tolerances of the grading rule."""

    __slots__ = ("id", "prompt", "value", "mistakes", "rel", "abs_tol")

    def __init__(
        self,
        id: str,
        prompt: list[Segment],
        value: float,
        mistakes: dict[str, float],
        rel: float = DEFAULT_REL,
        abs_tol: float = DEFAULT_ABS,
    ) -> None:
        self.id = id
        self.prompt = prompt
        self.value = value
        # a slip that gives the right number here (w₁ = x₁) is no mistake on this question
        self.mistakes = {text: n for text, n in mistakes.items() if n != value}
        self.rel = rel
        self.abs_tol = abs_tol

    @property
    def digits(self) -> int | None:
        """Significant digits the answer needs when a known mistake is near (else None)."""
        return grading(self.value, self.mistakes, rel=self.rel, abs_tol=self.abs_tol).digits

    def __repr__(self) -> str:
        return f"<SheetQuestion {self.id}: {plain(self.prompt)!r} = {fmt(self.value)}>"


class SheetExercise:
    """One exercise: its `number`, `kind`, `level` and `seed`, the `setup` (lines of segments:
    the expression and the numbers given) and its `questions`."""

    __slots__ = ("number", "kind", "level", "seed", "setup", "questions")

    def __init__(
        self,
        number: int,
        kind: str,
        level: int,
        seed: int,
        setup: list[list[Segment]],
        questions: list[SheetQuestion],
    ) -> None:
        self.number = number
        self.kind = kind
        self.level = level
        self.seed = seed
        self.setup = setup
        self.questions = questions

    @property
    def title(self) -> str:
        return f"Exercise {self.number}: {KINDS[self.kind]} (level {self.level})"


class Sheet:
    """A sheet of `exercises` made from `seed` (see `make_sheet`)."""

    __slots__ = ("seed", "exercises")

    def __init__(self, seed: int, exercises: list[SheetExercise]) -> None:
        self.seed = seed
        self.exercises = exercises

    @property
    def questions(self) -> list[SheetQuestion]:
        return [q for ex in self.exercises for q in ex.questions]

    def key_data(self) -> dict[str, object]:
        """The machine-readable key: ``{"format", "version", "seed", "questions": [{"id",
        "exercise", "kind", "level", "prompt", "value", "rel", "abs_tol", "digits",
        "mistakes": [[description, number], ...]}, ...]}``."""
        rows = []
        for ex in self.exercises:
            for q in ex.questions:
                rows.append(
                    {
                        "id": q.id,
                        "exercise": ex.number,
                        "kind": ex.kind,
                        "level": ex.level,
                        "prompt": plain(q.prompt),
                        "value": q.value,
                        "rel": q.rel,
                        "abs_tol": q.abs_tol,
                        "digits": q.digits,
                        "mistakes": [[text, number] for text, number in q.mistakes.items()],
                    }
                )
        return {"format": KEY_FORMAT, "version": 1, "seed": self.seed, "questions": rows}

    def __repr__(self) -> str:
        return f"<Sheet seed {self.seed}: {len(self.exercises)} exercises>"


def plain(segments: Iterable[Segment]) -> str:
    """The segments as one line of Unicode text."""
    return "".join(text for _, text in segments)


def _shown(x: float) -> str:
    """A number as a sheet gives it (`SHOWN_DIGITS` significant digits)."""
    return fmt(x, SHOWN_DIGITS)


# --------------------------------------------------------------------------------------------
# Choosing the exercises
# --------------------------------------------------------------------------------------------


def _checked_choices(name: str, given: Sequence[object], allowed: Iterable[object]) -> list:
    """`given` as a list, each an allowed value; a ValueError names the bad one."""
    allowed = list(allowed)
    chosen = list(given)
    if not chosen:
        raise ValueError(f"{name} must name at least one of {allowed}, got none")
    for item in chosen:
        if item not in allowed or isinstance(item, bool):
            raise ValueError(f"{name} must be among {allowed}, got {item!r}")
    return chosen


def _plan(count: int, levels: list[int], kinds: list[str]) -> list[tuple[str, int]]:
    """(kind, level) of each exercise: the kinds in turn, the levels rising through the sheet
    (the first exercises at the lowest level given)."""
    levels = sorted(set(levels))
    return [(kinds[i % len(kinds)], levels[i * len(levels) // count]) for i in range(count)]


def make_sheet(
    count: int = 10,
    seed: int = 0,
    levels: Sequence[int] = (1, 2, 3),
    kinds: Sequence[str] = tuple(KINDS),
) -> Sheet:
    """A sheet of `count` exercises (1 to `MAX_COUNT`) of the given `levels` (1, 2, 3: see
    `engine.step.exercises.LEVELS`) and `kinds` (`KINDS`), from `seed`.

    Exercise i has kind ``kinds[i mod len(kinds)]``; the levels rise through the sheet. Every
    exercise draws its own seed from ``Random("chainrule-sheet-<seed>")``, so the same arguments
    give the same sheet on every machine.
    """
    if type(count) is not int or not 1 <= count <= MAX_COUNT:
        raise ValueError(f"count must be a whole number from 1 to {MAX_COUNT}, got {count!r}")
    if type(seed) is not int:
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    level_list = _checked_choices("levels", levels, LEVELS)
    kind_list = _checked_choices("kinds", kinds, KINDS)
    rng = random.Random(f"chainrule-sheet-{seed}")
    exercises = []
    for number, (kind, level) in enumerate(_plan(count, level_list, kind_list), start=1):
        own_seed = rng.randrange(100_000)
        exercises.append(_BUILDERS[kind](number, level, own_seed))
    return Sheet(seed, exercises)


# --------------------------------------------------------------------------------------------
# Exercises over an expression: local, step, pass
# --------------------------------------------------------------------------------------------


def _expression_setup(
    ex_text: str, values: dict[str, float], steps: list[Step]
) -> list[list[Segment]]:
    """The expression, the inputs' values and every node's value (the forward pass)."""
    inputs = ", ".join(f"{name} = {_shown(v)}" for name, v in values.items())
    lines: list[list[Segment]] = [[("text", "With "), ("math", inputs), ("text", ":")]]
    lines.extend([("math", line)] for line in ex_text.splitlines())
    lines.append([("text", "Forward pass, node by node:")])
    for step in reversed(steps):
        if step.terms:
            lines.append([("math", f"{step.name} = {step.formula} = {_shown(step.node.data)}")])
    return lines


def _expression(level: int, seed: int) -> tuple[Exercise, list[Step]]:
    """The seeded exercise of `level` and its backward steps (`engine.step.Stepper`)."""
    from engine.step.stepper import Stepper

    ex = exercise(level, seed)
    return ex, Stepper(ex.root).run()


def _askable(steps: list[Step]) -> list[tuple[Step, ParentTerm]]:
    """(step, term) pairs a question can be about: interior steps, inputs that are not
    constants and that the node uses once (``e * e`` has no single ∂v/∂e to ask)."""
    from engine.step.narration import is_constant

    pairs = []
    for step in steps:
        for term in step.terms:
            uses = sum(other.parent is term.parent for other in step.terms)
            if uses == 1 and not is_constant(term.parent):
                pairs.append((step, term))
    return pairs


def _local_exercise(number: int, level: int, seed: int) -> SheetExercise:
    """∂v/∂x of one node, preferring a node whose local derivative is not a sum's 1."""
    from engine.step.practice import Question

    rng = random.Random(f"chainrule-sheet-local-{seed}")
    ex, steps = _expression(level, seed)
    pairs = _askable(steps)
    rich = [(s, t) for s, t in pairs if s.node.op not in ("add", "sub")]
    step, term = rng.choice(rich or pairs)
    partial = partial_symbol(step.name, term.name)
    prompt: list[Segment] = [
        ("text", "The local derivative "),
        ("math", partial),
        ("text", " of the node "),
        ("math", f"{step.name} = {step.formula}"),
        ("text", "."),
    ]
    mistakes = Question("local", step, term, partial, term.local).mistakes
    question = SheetQuestion(f"{number}a", prompt, term.local, mistakes)
    setup = _expression_setup(ex.text, ex.values, steps)
    return SheetExercise(number, "local", level, seed, setup, [question])


def _step_exercise(number: int, level: int, seed: int) -> SheetExercise:
    """One step's new gradient, preferring one that adds to an earlier contribution (fan-out),
    then numbers that are not ±1 (`_step_interest`)."""
    from engine.step.practice import Question

    rng = random.Random(f"chainrule-sheet-step-{seed}")
    ex, steps = _expression(level, seed)
    pairs = _askable(steps)
    best = max(_step_interest(s, t) for s, t in pairs)
    step, term = rng.choice([(s, t) for s, t in pairs if _step_interest(s, t) == best])
    grad = partial_symbol(step.root_name, term.name)
    prompt: list[Segment] = [
        ("text", "The backward pass visits "),
        ("math", f"{step.name} = {step.formula}"),
        ("text", " with "),
        ("math", f"{partial_symbol(step.root_name, step.name)} = {_shown(step.upstream)}"),
        ("text", "; before this step "),
        ("math", f"{grad} = {_shown(term.grad_before)}"),
        ("text", ". What does "),
        ("math", grad),
        ("text", f" ({grad_of(term.name)}) hold after this step?"),
    ]
    mistakes = Question("grad", step, term, grad, term.grad_after).mistakes
    question = SheetQuestion(f"{number}a", prompt, term.grad_after, mistakes)
    setup = _expression_setup(ex.text, ex.values, steps)
    return SheetExercise(number, "step", level, seed, setup, [question])


def _step_interest(step: Step, term: ParentTerm) -> int:
    """How much a step asks of a learner: a gradient that already held a contribution (it
    adds), an upstream gradient that is not ±1, a local derivative that is not ±1."""
    return (
        (term.grad_before != 0.0) * 4 + (abs(step.upstream) != 1.0) * 2 + (abs(term.local) != 1.0)
    )


def _pass_mistakes(root_name: str, name: str, steps: list[Step], leaf: Value) -> dict[str, float]:
    """For ∂out/∂x after the whole pass: each single contribution when x is used more than
    once (one contribution of several), the local derivative alone when it is used once."""
    uses = [(step, term) for step in steps for term in step.terms if term.parent is leaf]
    mistakes: dict[str, float] = {}
    if len(uses) > 1:
        for k, (step, term) in enumerate(uses, start=1):
            text = (
                f"that is only the contribution through {step.name} ({k} of {len(uses)}): "
                f"{name} is used {len(uses)} times, so {partial_symbol(root_name, name)} adds "
                f"all {len(uses)} contributions"
            )
            mistakes[text] = term.contribution
    elif uses and uses[0][0].upstream != 1.0:
        step, term = uses[0]
        text = (
            f"that is the local derivative {partial_symbol(step.name, name)} alone; multiply it "
            f"by the upstream gradient {partial_symbol(root_name, step.name)}"
        )
        mistakes[text] = term.local
    return mistakes


def _pass_exercise(number: int, level: int, seed: int) -> SheetExercise:
    """Every input's gradient after the whole backward pass (seed ∂out/∂out = 1)."""
    ex, steps = _expression(level, seed)
    root_name = steps[0].name
    leaves = {step.name: step for step in steps if not step.terms}
    questions = []
    for letter, name in zip("abcdefgh", ex.values):
        leaf_step = leaves[name]
        grad = partial_symbol(root_name, name)
        mistakes = _pass_mistakes(root_name, name, steps, leaf_step.node)
        prompt: list[Segment] = [("math", grad), ("text", " after the whole pass.")]
        questions.append(SheetQuestion(f"{number}{letter}", prompt, leaf_step.upstream, mistakes))
    setup = _expression_setup(ex.text, ex.values, steps)
    setup.append(
        [
            ("text", "Run the whole backward pass, from the seed "),
            ("math", "∂out/∂out = 1"),
            ("text", "."),
        ]
    )
    return SheetExercise(number, "pass", level, seed, setup, questions)


# --------------------------------------------------------------------------------------------
# The δ of a neuron, from engine Values
# --------------------------------------------------------------------------------------------


class _Neuron:
    """o = g(Σᵢ wᵢxᵢ + b), L = ½(o − t)², built and differentiated with engine Values."""

    def __init__(self, xs: list[float], ws: list[float], b: float, t: float, act: str) -> None:
        self.xs, self.ws, self.b, self.t, self.act = xs, ws, b, t, act
        x = [Value(v, label=f"x{i + 1}") for i, v in enumerate(xs)]
        w = [Value(v, label=f"w{i + 1}") for i, v in enumerate(ws)]
        bias = Value(b, label="b")
        s = bias
        for wi, xi in zip(w, x):
            s = wi * xi + s
        o = getattr(s, act)()
        loss = 0.5 * (o - t) ** 2
        loss.backward()
        self.s, self.o, self.loss = s.data, o.data, loss.data
        self.delta = s.grad
        self.w1_grad = w[0].grad
        # o = t leaves g′ unknown here; `_draw_neuron` refuses such a neuron (|o − t| > 1e-3)
        self.g_prime = self.delta / (self.o - t) if self.o != t else math.nan


def _draw_neuron(rng: random.Random, level: int) -> _Neuron:
    """A neuron with `level` inputs whose δ is not (nearly) zero."""
    act = rng.choice(_ACTIVATIONS)
    while True:
        xs = [rng.choice(_INPUTS) for _ in range(level)]
        ws = [rng.choice(_WEIGHTS) for _ in range(level)]
        neuron = _Neuron(xs, ws, rng.choice(_BIASES), rng.choice(_TARGETS[act]), act)
        if abs(neuron.delta) > 1e-3 and abs(neuron.o - neuron.t) > 1e-3:
            return neuron


def _delta_setup(n: _Neuron) -> list[list[Segment]]:
    """The neuron's numbers and its forward pass."""
    k = len(n.xs)
    inputs = ", ".join(f"x{_sub(i + 1)} = {_shown(v)}" for i, v in enumerate(n.xs))
    weights = ", ".join(f"w{_sub(i + 1)} = {_shown(v)}" for i, v in enumerate(n.ws))
    total = " + ".join(f"w{_sub(i + 1)}·x{_sub(i + 1)}" for i in range(k))
    g = "σ" if n.act == "sigmoid" else "tanh"
    return [
        [
            ("text", "A neuron with inputs "),
            ("math", inputs),
            ("text", ", weights "),
            ("math", weights),
            ("text", " and bias "),
            ("math", f"b = {_shown(n.b)}"),
            ("text", ":"),
        ],
        [("math", f"s = {total} + b,  o = {g}(s)")],
        [
            ("text", "Loss "),
            ("math", "L = ½(o − t)²"),
            ("text", " with target "),
            ("math", f"t = {_shown(n.t)}"),
            ("text", "."),
        ],
        [("text", "Forward pass: "), ("math", f"s = {_shown(n.s)},  o = {g}(s) = {_shown(n.o)}")],
    ]


def _sub(i: int) -> str:
    return "".join("₀₁₂₃₄₅₆₇₈₉"[int(c)] for c in str(i))


def _delta_exercise(number: int, level: int, seed: int) -> SheetExercise:
    """δ = ∂L/∂s = (o − t)·g′(s) and ∂L/∂w₁ = δ·x₁ for a neuron with `level` inputs."""
    n = _draw_neuron(random.Random(f"chainrule-sheet-delta-{seed}"), level)
    error = n.o - n.t
    delta_mistakes = {
        "the factor g′(s) is missing: that is ∂L/∂o = o − t alone": error,
        "the factor ∂L/∂o = o − t is missing: that is g′(s) alone": n.g_prime,
        "that uses the value o = g(s) where the rule needs the derivative g′(s)": error * n.o,
    }
    w1_mistakes = {
        "the factor x₁ is missing: that is δ alone": n.delta,
        "the factor g′(s) is missing: that is (o − t)·x₁": error * n.xs[0],
        "that uses w₁ where the rule needs x₁ (the derivative for another input)": n.delta
        * n.ws[0],
        "that uses the value o = g(s) where the rule needs the derivative g′(s)": error
        * n.o
        * n.xs[0],
    }
    questions = [
        SheetQuestion(
            f"{number}a",
            [("text", "The neuron's delta "), ("math", "δ = ∂L/∂s"), ("text", ".")],
            n.delta,
            delta_mistakes,
        ),
        SheetQuestion(
            f"{number}b",
            [("text", "The weight gradient "), ("math", "∂L/∂w₁"), ("text", ".")],
            n.w1_grad,
            w1_mistakes,
        ),
    ]
    return SheetExercise(number, "delta", level, seed, _delta_setup(n), questions)


_BUILDERS = {
    "local": _local_exercise,
    "step": _step_exercise,
    "pass": _pass_exercise,
    "delta": _delta_exercise,
}
