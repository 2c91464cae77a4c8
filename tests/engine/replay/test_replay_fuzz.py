"""Fuzz replay against eager: random programs, every face, values, gradients and errors.

Each program is a random recipe of steps over a pool of Values: unary ops and ``x ** c``, binary
ops, numbers written into the computation, ``max``/``min`` and comparisons of Values, branches on
``.data`` (``>``, ``int()``, ``round()``), log_softmax and softmax, Parameters and a node built
before the trace (held as a number), inputs used many times or never. A recipe runs as a Python
function that notes every decision it makes, so a replay can be judged at any point:

* the decisions match the trace's: the replay equals eager (value, gradients, ``.grad`` added
  by backward), or raises what eager raises;
* eager decides differently at some point it reaches: the replay raises `GuardError`. (For
  ``int(v.data) > 0`` the guard is on the whole number ``int(v.data)``, which `int()` must
  return as a plain int, so a different whole number is a different decision.)

Faces: float replay by generated code and by the interpreter, and numpy batches of size 0, 1
and n (with NaN and inf rows), forward, ``grad`` and ``backward``. The number of programs is
small in CI (a few seconds; ``CHAINRULE_FUZZ_PROGRAMS=1000 pytest ...`` raises it);
``python -m tests.engine.replay.test_replay_fuzz 10000 [first seed]`` runs many on its own and
prints the counts of checks, of what eager did, and of disagreements (by kind, with seeds).
"""

from __future__ import annotations

import math
import os
import random
import sys
from collections import Counter
from typing import Any, Callable

import numpy as np
import pytest

import engine
from engine import Parameter, Value, trace
from engine.replay import GuardError

PROGRAMS = int(os.environ.get("CHAINRULE_FUZZ_PROGRAMS", "100"))
ERRORS = (ArithmeticError, ValueError)

UNARY = [
    "tanh",
    "exp",
    "log",
    "sqrt",
    "relu",
    "sigmoid",
    "abs",
    "sin",
    "cos",
    "softplus",
    "erf",
    "gelu",
    "swish",
    "leaky_relu",
    "elu",
    "softsign",
    "hardtanh",
    "binary_step",
]
BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}
SPECIAL = [0.0, -0.0, 1.0, -1.0, 2.0, 0.5, 1e16, -1e16, 1e300, 1e-320, 700.0, math.nan, math.inf]


def _number(rng: random.Random) -> float:
    if rng.random() < 0.25:
        value = rng.choice(SPECIAL)
        return -value if rng.random() < 0.3 else value
    return round(rng.uniform(-3.0, 3.0), rng.choice([0, 1, 3, 17]))


# --------------------------------------------------------------------------------------------
# A random program
# --------------------------------------------------------------------------------------------


class Recipe:
    """A random function of `n_inputs` numbers, its outer Values, and its decisions log."""

    def __init__(self, rng: random.Random) -> None:
        self.n_inputs = rng.randint(1, 3)
        self.as_list = rng.random() < 0.2  # f(v) of one list input, not f(a, b, c)
        self.params = [Parameter(_number(rng) if rng.random() < 0.3 else rng.uniform(-2, 2))]
        if rng.random() < 0.5:
            self.params.append(Parameter(rng.uniform(-2, 2)))
        self.held_from = Parameter(rng.uniform(-2, 2))  # only reached through `held`
        self.held = (self.held_from * 2.0).tanh()  # built before the trace: a constant of it
        self.steps: list[tuple] = []
        self.weights: list[Parameter] = []  # the layers' own (outside the pool)
        size = self.n_inputs + len(self.params) + 1
        for _ in range(rng.randint(1, 12)):
            step = self._step(rng, size)
            if step[0] == "layer":  # fresh weights: numpy fuses distinct ones into a matmul
                width, count = step[2], len(step[1])
                grid = [
                    [Parameter(rng.uniform(-1, 1)) for _ in range(count + 1)] for _ in range(width)
                ]
                self.weights += [w for row in grid for w in row]
                step = (*step, grid)
            self.steps.append(step)
            size += 1
        self.outputs = 1 if rng.random() < 0.8 else 2
        self.decisions: list[object] = []

    @staticmethod
    def _step(rng: random.Random, size: int) -> tuple:
        def pick() -> int:  # recent Values more often; repeated use is common
            return size - 1 - min(int(rng.expovariate(0.5)), size - 1)

        kind = rng.choice(
            ["unary"] * 6
            + ["pow"] * 2
            + ["binary"] * 6
            + ["const"] * 4
            + ["branch", "int", "round", "max", "min", "compare", "softmax", "arith"]
            + ["layer"] * 2
        )
        if kind == "unary":
            return ("unary", rng.choice(UNARY), pick())
        if kind == "pow":
            return ("pow", rng.choice([2, 3, 0.5, -1, -2, 0, 1.5]), pick())
        if kind == "binary":
            return ("binary", rng.choice(list(BINARY)), pick(), pick())
        if kind == "const":
            return ("const", rng.choice("+-*/"), pick(), _number(rng), rng.random() < 0.5)
        if kind in ("branch", "int", "round"):
            return (kind, pick(), round(rng.uniform(-1.5, 1.5), 1), rng.choice(UNARY), pick())
        if kind in ("max", "min", "compare"):
            return (kind, pick(), pick())
        if kind == "layer":  # neurons over the same Values: numpy fuses them into a matmul
            xs = sorted({pick() for _ in range(rng.randint(2, 3))})
            return (kind, xs, rng.randint(2, 4), rng.random() < 0.5, round(rng.uniform(-1, 1), 1))
        if kind == "arith":  # arithmetic on .data, then a comparison
            return (kind, pick(), pick(), round(rng.uniform(-1.5, 1.5), 1))
        count = rng.randint(1, 3)
        return ("softmax", [pick() for _ in range(count)], rng.randrange(count), rng.random() < 0.5)

    def learnt(self) -> list[Parameter]:
        """The Parameters whose ``.grad`` backward adds to (not `held_from`: held as a number)."""
        return self.params + self.weights

    def args(self, flat: list) -> list:
        """The arguments for `flat` inputs: one list, or one per input."""
        return [list(flat)] if self.as_list else list(flat)

    def __call__(self, *args: Any) -> Any:
        """The function: the recipe run on Values, noting each decision in `decisions`."""
        note = self.decisions.append
        flat = args[0] if self.as_list else args
        pool: list[Value] = [*flat, *self.params, self.held]
        for step in self.steps:
            kind = step[0]
            if kind == "unary":
                out = getattr(pool[step[2]], step[1])()
            elif kind == "pow":
                out = pool[step[2]] ** step[1]
            elif kind == "binary":
                out = BINARY[step[1]](pool[step[2]], pool[step[3]])
            elif kind == "const":
                _, symbol, i, c, right = step
                a, b = (pool[i], c) if right else (c, pool[i])
                out = BINARY[symbol](a, b)
            elif kind in ("branch", "int", "round"):
                _, i, t, name, j = step
                data = pool[i].data
                if kind == "branch":
                    taken = data > t
                    note(taken)
                else:  # the guard is on the whole number itself (int() must return an int)
                    whole = int(data) if kind == "int" else round(data)
                    note(whole)
                    taken = whole > 0 if kind == "int" else whole >= 1
                out = getattr(pool[j], name)() if taken else pool[j] * t
            elif kind in ("max", "min"):
                a, b = pool[step[1]], pool[step[2]]
                out = max(a, b) if kind == "max" else min(a, b)
                note(out is b)
                out = out * 1.0  # a node of its own (max may return an input itself)
            elif kind == "layer":
                _, picks, width, branch, t, grid = step
                zs = []
                for row in grid:  # b + w_0·x_0 + w_1·x_1 + ...
                    z = row[0]
                    for w, i in zip(row[1:], picks):
                        z = z + w * pool[i]
                    zs.append(z)
                    if branch and len(zs) == 1:  # a decision on a neuron, inside the layer
                        taken = z.data > t
                        note(taken)
                acts = [z.tanh() for z in zs]
                out = sum(acts[1:], acts[0])
                if branch:
                    out = out * (2.0 if taken else t)
            elif kind == "arith":
                _, i, j, t = step
                taken = pool[i].data * 2.0 - abs(pool[j].data) > t
                note(taken)
                out = pool[i] * t if taken else pool[j] + t
            elif kind == "compare":
                a, b = pool[step[1]], pool[step[2]]
                taken = a > b
                note(taken)
                out = a - b if taken else b * 2.0
            else:
                _, picks, k, log = step
                fn = engine.log_softmax if log else engine.softmax
                out = fn([pool[i] for i in picks])[k]
            pool.append(out)
        return pool[-1] if self.outputs == 1 else [pool[-1], pool[-2]]


# --------------------------------------------------------------------------------------------
# What eager does at a point, and what each face of the replay does
# --------------------------------------------------------------------------------------------


class Outcome:
    """What one run did: its decisions, the error it raised (None) or its numbers."""

    def __init__(self, decisions: list, error: type | None, value: Any = None) -> None:
        self.decisions, self.error, self.value = decisions, error, value


def _outs(result: Any) -> list[Value]:
    return list(result) if isinstance(result, list) else [result]


def _seeds(recipe: Recipe) -> list[float]:
    return [1.0, 0.5][: recipe.outputs]


def eager(recipe: Recipe, point: list[float], what: str) -> Outcome:
    """f at `point` on fresh Values: the outputs ("forward"), the inputs' gradients ("grad",
    as engine.grad), or the parameters' gradients that backward() adds ("backward")."""
    recipe.decisions = []
    xs = [Value(x) for x in point]
    try:
        outs = _outs(recipe(*recipe.args(xs)))
    except ERRORS as exc:
        return Outcome(recipe.decisions, type(exc))
    decisions = recipe.decisions
    if what == "forward":
        return Outcome(decisions, None, [o.data for o in outs])
    try:
        if what == "grad":
            grads = engine.grad(outs, xs, _seeds(recipe), allow_unused=True, materialize_grads=True)
            return Outcome(decisions, None, [g.data for g in grads])
        for p in recipe.learnt():
            p.grad = 0.0
        outs[0].backward()
        return Outcome(decisions, None, [p.grad for p in recipe.learnt()])
    except ERRORS as exc:
        return Outcome(decisions, type(exc))


def replay(program: Any, recipe: Recipe, flat: list, what: str, via: str) -> Outcome:
    """The program's run at `flat` inputs (numbers or arrays), as `eager` reports it."""
    inputs = recipe.args(flat)
    if recipe.as_list and flat and isinstance(flat[0], np.ndarray):
        inputs = [np.stack(flat, axis=1)]  # a batch of lists: an (n, d) array
    for p in recipe.learnt():
        p.grad = 0.0
    try:
        if what == "forward":
            value = program(*inputs, via=via)
        elif what == "grad":
            value = program.grad(*inputs, seed=_seeds(recipe), via=via)
            if recipe.as_list:  # ([∂/∂v0, ∂/∂v1...],), or an (n, d) array for a batch
                value = value[0] if isinstance(value[0], list) else list(value[0].T)
        else:
            program.backward(*inputs, via=via)
            value = [p.grad for p in recipe.learnt()]
    except GuardError:
        return Outcome([], GuardError)
    except Exception as exc:  # eager's errors; any other type is a disagreement
        return Outcome([], type(exc))
    values = value if isinstance(value, (list, tuple)) else [value]
    return Outcome([], None, list(values))


def expected(traced: list, run: Outcome) -> tuple[type | None, Any]:
    """What the replay must do, given the trace's decisions and eager's run: GuardError where
    eager decided otherwise at a point it reached, else eager's error or numbers."""
    for mine, theirs in zip(run.decisions, traced):
        if mine != theirs:
            return GuardError, None
    return run.error, run.value


def _same(a: Any, b: Any, exact: bool) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return False
    if exact:
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True))  # numpy: to rounding


# --------------------------------------------------------------------------------------------
# One program, every face
# --------------------------------------------------------------------------------------------


def check_program(seed: int) -> Counter:
    """Trace one random program and compare every face with eager at several points; the
    counts of checks done and of disagreements, by kind."""
    rng = random.Random(seed)
    recipe = Recipe(rng)
    counts: Counter = Counter()
    traced_at = [rng.uniform(-2, 2) for _ in range(recipe.n_inputs)]
    recipe.decisions = []
    try:
        program = trace(recipe, *recipe.args(traced_at))
    except ERRORS:
        counts["untraceable (eager raises at the trace point)"] += 1
        return counts
    traced = list(recipe.decisions)
    # floats are eager's bit for bit; gradients through log_softmax's shift, to rounding where
    # eager does not shift (max 0 or not finite): eager's x_i - lse adds its gradient terms in
    # another grouping than the program's (x_i - 0) - lse
    exact = not program._layout.shifts
    for p in recipe.learnt():  # an optimiser step: replay reads parameters now
        p.data += rng.choice([0.0, 0.0, 0.25, -1.0])
    points = [traced_at] + [[_number(rng) for _ in traced_at] for _ in range(5)]
    points.append([math.nan] * len(traced_at))
    for what in ("forward", "grad", "backward"):
        if what == "backward" and recipe.outputs > 1:
            continue
        rows = []
        for point in points:
            run = eager(recipe, point, what)
            error, value = expected(traced, run)
            rows.append((error, value))
            counts[f"expected: {what} {'ok' if error is None else error.__name__}"] += 1
            for via in ("codegen", "interpreter"):
                got = replay(program, recipe, point, what, via)
                counts["checks"] += 1
                if got.error is not error:
                    counts[f"float {via} {what}: raises {got.error} where eager {error}"] += 1
                elif error is None and not _same(
                    got.value, value, exact=exact or what == "forward"
                ):
                    counts[f"float {via} {what}: numbers differ"] += 1
        for n in (0, 1, len(points)):
            counts["checks"] += 1
            _check_batch(program, recipe, points[:n] if n else [], rows[:n], what, counts)
    return counts


def _check_batch(
    program: Any, recipe: Recipe, points: list, rows: list, what: str, counts: Counter
) -> None:
    columns = [np.array([p[i] for p in points], dtype=float) for i in range(recipe.n_inputs)]
    got = replay(program, recipe, columns, what, "codegen")
    failing = [error for error, _ in rows if error is not None]
    if failing:
        if got.error is None:
            counts[f"batch {what}: no error where eager raises {failing[0]}"] += 1
        elif got.error not in failing:
            counts[f"batch {what}: raises {got.error} where eager {failing}"] += 1
        return
    if got.error is not None:
        counts[f"batch {what}: raises {got.error} where eager does not"] += 1
        return
    if what == "backward":  # summed over the batch, in another order: to the rows' rounding
        width = len(got.value)
        values = np.array([value for _, value in rows], dtype=float).reshape(len(rows), width)
        want = values.sum(axis=0)
        # a gradient summed from terms much larger than itself keeps their rounding: numpy's
        # pow and exp differ from math's in the last bit, so compare to the largest gradient
        scale = np.abs(values[np.isfinite(values)]).max(initial=0.0)
        if not np.allclose(got.value, want, rtol=1e-9, atol=1e-12, equal_nan=True) and not (
            np.all(np.abs(np.subtract(got.value, want)) <= 1e-12 * scale)
        ):
            counts[f"batch {what}: numbers differ"] += 1
        return
    for j, column in enumerate(got.value):
        want = [value[j] for _, value in rows]
        if not _same(column, want, exact=False):
            counts[f"batch {what}: numbers differ"] += 1


def disagreements(counts: Counter) -> dict:
    return {
        k: v
        for k, v in counts.items()
        if k != "checks" and not k.startswith(("untraceable", "expected"))
    }


@pytest.mark.parametrize("first", range(0, PROGRAMS, 10))
def test_random_programs_replay_as_eager_in_every_face(first):
    found = {}
    for seed in range(first, min(first + 10, PROGRAMS)):
        bad = disagreements(check_program(seed))
        if bad:
            found[seed] = bad
    assert not found, found


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else PROGRAMS
    start = int(sys.argv[2]) if len(sys.argv) > 2 else 0  # the first seed
    total: Counter = Counter()
    bad_seeds: dict[int, dict] = {}
    for seed in range(start, start + count):
        counts = check_program(seed)
        total.update(counts)
        bad = disagreements(counts)
        if bad:
            bad_seeds[seed] = bad
    sys.stdout.write(f"{count} programs, {total['checks']} checks\n")
    for key, value in sorted(total.items()):
        if key != "checks":
            sys.stdout.write(f"  {value:6d}  {key}\n")
    sys.stdout.write(f"programs with a disagreement: {len(bad_seeds)}\n")
    for seed, bad in list(bad_seeds.items())[:20]:
        sys.stdout.write(f"  seed {seed}: {bad}\n")
