"""Differential testing against PyTorch float64: random graphs over the whole op table.

A *plan* is a small program over a pool of nodes: inputs, then steps that apply one row of
`engine.core.ops.OPS` to earlier nodes (or to a constant). `run_plan` builds it with chainrule,
mirrors
the graph in PyTorch float64 node by node (in chainrule's topological order, so both engines add
up gradients in the same order), runs both backward passes and compares every value and every
leaf gradient. Where the two disagree by more than 1e-12 (relative), an exact reference decides
(mpmath at 60 digits: each node's exact derivative at the float64 values both engines computed):
chainrule's answer is accepted when it is at least as close to the exact one as PyTorch's.

The policy being checked (engine/core/ops.py): wherever PyTorch's gradients are finite, chainrule's
are the same; where chainrule raises by design (a domain error in the forward pass, a leaf's
gradient that is really not finite), PyTorch must have inf or NaN there; NaN in gives NaN out.
binary_step(NaN) is NaN by policy (``torch.sign`` gives 0): the mirror says so too.

Run many graphs locally (prints the counts of each kind of disagreement):

    python -m tests.engine.core.torch_differential --graphs 20000 [--seed 1]
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from engine import OPS, Value, logsumexp, topological_order
from tests.engine.core.op_cases import CASES

DOMAIN_ERRORS = (ValueError, ZeroDivisionError, OverflowError)
REL = 1e-12
ARG_OPS = {name: op.arg_name for name, op in OPS.items() if op.arg_name and name != "pow"}
EXPONENTS = (0.0, 1.0, 2.0, 3.0, -1.0, -2.0, 0.5, -0.5, 1.5, 4.0, -3.0, 0.25)

# --------------------------------------------------------------------------------------------
# Plans
# --------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """Inputs, then steps. A step is ``(kind, name, operands, extra)``:

    kind "unary": operands (i,), extra the op's argument (or None)
    kind "binary": operands (i, j); j may be ("const", number); extra True = constant on the left
    kind "pow": operands (i,), extra the exponent c
    kind "rpow": operands (i,), extra the constant base (``c ** node``)
    kind "nary": operands (i, j, ...) for logsumexp
    """

    inputs: list[float]
    steps: list[tuple] = field(default_factory=list)


def random_number(rng: random.Random, special: float = 0.02) -> float:
    """A float across magnitudes 1e-300..1e300 (log-uniform), everyday numbers, and a few
    NaN and infinities."""
    r = rng.random()
    if r < special:
        return rng.choice([math.nan, math.inf, -math.inf])
    if r < 0.35:
        return rng.choice([0.0, 1.0, -1.0, 2.0, 0.5, -0.5, 3.0, -2.0])
    if r < 0.65:
        return rng.uniform(-4.0, 4.0)
    return rng.choice([1.0, -1.0]) * 10.0 ** rng.uniform(-300.0, 300.0)


def random_plan(rng: random.Random, max_steps: int = 10) -> Plan:
    """A random plan over every op of the table."""
    plan = Plan([random_number(rng) for _ in range(rng.randint(1, 3))])
    names = sorted(OPS)

    def pick() -> int:  # mostly one of the latest nodes, so that graphs grow deep
        pool = len(plan.inputs) + len(plan.steps)
        if rng.random() < 0.7:
            back = rng.expovariate(0.7)
            return max(0, pool - 1 - int(back)) if back < pool else 0
        return rng.randrange(pool)

    for _ in range(rng.randint(1, max_steps)):
        name = rng.choice(names)
        op = OPS[name]
        if name == "pow":
            plan.steps.append(("pow", name, (pick(),), rng.choice(EXPONENTS)))
        elif name == "pow_value" and rng.random() < 0.25:
            plan.steps.append(("rpow", name, (pick(),), rng.choice([2.0, 0.5, 10.0, math.e, 1.0])))
        elif op.arity == -1:
            plan.steps.append(("nary", name, tuple(pick() for _ in range(rng.randint(1, 4))), None))
        elif op.arity == 2:
            other = ("const", random_number(rng, 0.0)) if rng.random() < 0.25 else pick()
            plan.steps.append(("binary", name, (pick(), other), rng.random() < 0.3))
        else:
            arg = round(rng.uniform(-1.5, 2.5), 3) if name in ARG_OPS else None
            if name == "swish" and arg == 0.0:
                arg = 1.0
            plan.steps.append(("unary", name, (pick(),), arg))
    return plan


# --------------------------------------------------------------------------------------------
# Building a plan with chainrule
# --------------------------------------------------------------------------------------------


def _chainrule_step(pool: list[Value], step: tuple) -> Value:
    kind, name, operands, extra = step
    if kind == "pow":
        return pool[operands[0]] ** extra
    if kind == "rpow":
        return extra ** pool[operands[0]]
    if kind == "nary":
        return logsumexp([pool[i] for i in operands])
    if kind == "binary":
        i, j = operands
        x = pool[i]
        y = j[1] if isinstance(j, tuple) else pool[j]
        if extra and isinstance(j, tuple):
            x, y = y, x
        symbol = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow_value": "**"}[name]
        return _BINARY[symbol](x, y)
    if name == "neg":
        return -pool[operands[0]]
    method = getattr(pool[operands[0]], name)
    return method(extra) if extra is not None else method()


_BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}


# --------------------------------------------------------------------------------------------
# The PyTorch mirror of one node
# --------------------------------------------------------------------------------------------


def torch_op(torch, name: str, args: list, arg: object):
    """PyTorch float64's version of op `name` applied to tensors `args`: the row's torch twin."""
    op = OPS[name]
    if op.arity == -1:
        return op.torch(torch, args)
    if op.arity == 2:
        return op.torch(torch, args[0], args[1])
    return op.torch(torch, args[0], arg)


# --------------------------------------------------------------------------------------------
# The exact reference (mpmath)
# --------------------------------------------------------------------------------------------


def _exact_local(mp, name: str, xs: list, arg: object) -> list:
    """The exact local derivatives of op `name` at inputs `xs` (mpf): the case's mpmath twin."""
    return [mp.mpf(d) if isinstance(d, int) else d for d in CASES[name].exact_local(mp, xs, arg)]


def _exact_value(mp, name: str, xs: list, arg: object):
    return CASES[name].exact(mp, xs, arg)


def exact_reference(order: list[Value], root: Value) -> tuple[dict, dict] | None:
    """(exact value of each node from its parents' float64 values, (exact gradient, scale) of
    each leaf with every node's derivative taken at the float64 values); None without mpmath.
    The scale sums the absolute values of the terms of a gradient."""
    try:
        import mpmath
    except ImportError:
        return None
    mp = mpmath.mp

    def attempt(fn, *args):  # inf and NaN values: mpmath's answer, or NaN where it refuses
        try:
            return fn(mp, *args)
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            return None

    with mpmath.workdps(60):
        values = {}
        for node in order:
            if node.parents:
                xs = [mp.mpf(p.data) for p in node.parents]
                values[node] = attempt(_exact_value, node.op, xs, node.arg)
        bars = {node: mp.mpf(0) for node in order}
        scales = dict(bars)  # the same sums over paths, of absolute values
        bars[root] = scales[root] = mp.mpf(1)
        for node in reversed(order):
            if not node.parents:
                continue
            xs = [mp.mpf(p.data) for p in node.parents]
            local = attempt(_exact_local, node.op, xs, node.arg) or [mp.nan] * len(xs)
            for parent, d in zip(node.parents, local):
                if scales[node] != 0:
                    bars[parent] += bars[node] * d
                    scales[parent] += scales[node] * abs(d)
        leaves = [node for node in order if not node.parents]
        return values, {leaf: (bars[leaf], scales[leaf]) for leaf in leaves}


def _mp_float(value) -> float:
    """An mpf rounded to the nearest float (±inf past the largest, 0 below the smallest)."""
    try:
        return float(value)
    except OverflowError:
        return math.copysign(math.inf, value)
    except (ValueError, TypeError):
        return math.nan


def rounding_allowance(order: list[Value]) -> dict:
    """How far each leaf's gradient may move when any one node's value is off by one unit in
    the last place (two libraries' tanh or pow differ that much): each rule's change under a
    one-ulp change of its inputs or output, carried to the leaves like a gradient."""
    from engine.core.chain_rule import local_derivatives
    from engine.core.maths import IEEE_MATH, IEEEFloat

    def rule(node, xs, out):
        op = OPS[node.op]
        xs = [IEEEFloat(v) for v in xs]
        if op.arity == -1:
            return op.local(IEEE_MATH, tuple(xs), IEEEFloat(out))
        if op.arity == 1:
            return op.local(IEEE_MATH, xs[0], IEEEFloat(out), node.arg)
        return op.local(IEEE_MATH, xs[0], xs[1], IEEEFloat(out))

    error = {node: 0.0 for node in order}
    for node in reversed(order):
        if not node.parents:
            continue
        xs = [p.data for p in node.parents]
        try:
            local = [float(d) for d in local_derivatives(node)]
        except DOMAIN_ERRORS:
            return {}
        wobble = [0.0] * len(xs)
        for k in range(len(xs) + 1):  # nudge one input, or the output, by one ulp each way
            for direction in (math.inf, -math.inf):
                moved, out = list(xs), node.data
                if k < len(xs):
                    moved[k] = math.nextafter(moved[k], direction)
                else:
                    out = math.nextafter(out, direction)
                for i, d in enumerate(rule(node, moved, out)):
                    change = abs(float(d) - local[i])
                    if change == change:
                        wobble[i] = max(wobble[i], change)
        for i, parent in enumerate(node.parents):
            error[parent] += abs(node.grad) * wobble[i] + error[node] * abs(local[i])
    return {node: e for node, e in error.items() if not node.parents}


# --------------------------------------------------------------------------------------------
# Running and comparing one plan
# --------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one plan gave: a verdict per kind of disagreement, and a short description."""

    kinds: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, kind: str, note: str = "") -> None:
        self.kinds.append(kind)
        if note:
            self.notes.append(f"{kind}: {note}")


def _close(a: float, b: float) -> bool:
    if a == b or (a != a and b != b):
        return True
    if not (math.isfinite(a) and math.isfinite(b)):
        return False
    return abs(a - b) <= REL * max(abs(a), abs(b))


def _as_good(ours: float, theirs: float, exact, scale=None) -> bool:
    """ours is the exact value rounded to a float, or within 1e-12 of it (relative to the value
    or to `scale`, the size of the terms a gradient sums: where they cancel no float answer is
    closer), or at least as close to it as theirs."""
    if exact is None or ours != ours:
        return False
    target = _mp_float(exact)
    if target != target:
        return False
    if ours == target:
        return True
    if not math.isfinite(ours):
        return False
    size = max(abs(target), _mp_float(abs(scale)) if scale is not None else 0.0)
    if abs(ours - target) <= REL * size:
        return True
    return math.isfinite(theirs) and abs(exact - ours) <= abs(exact - theirs) * (1 + 1e-9)


def run_plan(plan: Plan, torch) -> Outcome:
    """Build `plan` in both engines and compare them (see the module docstring)."""
    outcome = Outcome()
    pool = [Value(x, label=f"x{k}") for k, x in enumerate(plan.inputs)]
    failed_step = None
    for step in plan.steps:
        try:
            pool.append(_chainrule_step(pool, step))
        except DOMAIN_ERRORS:
            failed_step = step
            break
    if failed_step is not None:
        _check_forward_raise(plan, pool, failed_step, torch, outcome)
        return outcome
    root = pool[-1]
    order = topological_order(root)
    mirror = {}
    for node in order:
        if not node.parents:
            mirror[node] = torch.tensor(node.data, dtype=torch.float64, requires_grad=True)
        else:
            args = [mirror[p] for p in node.parents]
            mirror[node] = torch_op(torch, node.op, args, node.arg)
    leaves = [node for node in order if not node.parents]
    exact = None
    for node in order:
        ours, theirs = node.data, mirror[node].item()
        if not _close(ours, theirs):
            exact = exact or exact_reference(order, root) or ({}, {})
            if _as_good(ours, theirs, exact[0].get(node)):
                outcome.add("forward_as_good")
            elif math.isfinite(theirs):
                outcome.add("forward_wrong", f"{node.op}: ours {ours!r}, torch {theirs!r}")
            elif math.isfinite(ours) or theirs != theirs:
                outcome.add("forward_hides_nan_or_inf", f"{node.op}: {ours!r} vs torch {theirs!r}")
    outcome.add("compared")
    mirror[root].backward()
    torch_grads = {
        leaf: (mirror[leaf].grad.item() if mirror[leaf].grad is not None else 0.0)
        for leaf in leaves
    }
    try:
        root.backward()
    except DOMAIN_ERRORS as exc:
        asked = [g for leaf, g in torch_grads.items() if leaf._needs_grad]  # not constants
        if not all(math.isfinite(g) for g in asked):
            outcome.add("raise_justified")
            return outcome
        # torch is finite: fine only where chainrule's more precise forward values make the
        # exact gradient not finite (torch's rounded to 0 first, say)
        exact = exact or exact_reference(order, root) or ({}, {})
        grads = [_mp_float(g) for g, _ in exact[1].values()]
        if any(not math.isfinite(g) for g in grads) and "forward_as_good" in outcome.kinds:
            outcome.add("raise_justified_by_exact")
        else:
            outcome.add("raise_where_torch_finite", f"{exc}")
        return outcome
    allowance = None
    for leaf in leaves:
        ours, theirs = leaf.grad, torch_grads[leaf]
        if _close(ours, theirs):
            continue
        if math.isfinite(ours) and math.isfinite(theirs):
            allowance = allowance if allowance is not None else rounding_allowance(order)
            if abs(ours - theirs) <= 4 * allowance.get(leaf, 0.0):
                outcome.add("grad_within_rounding")
                continue
        exact = exact or exact_reference(order, root) or ({}, {})
        if _as_good(ours, theirs, *exact[1].get(leaf, (None, None))):
            outcome.add("grad_as_good", f"{leaf.label or 'const'}: {ours!r} vs torch {theirs!r}")
        elif math.isfinite(theirs):
            outcome.add("grad_wrong", f"{leaf.label or 'const'}: ours {ours!r}, torch {theirs!r}")
        elif math.isfinite(ours):
            name = leaf.label or "const"
            outcome.add("finite_where_torch_not", f"{name}: {ours!r} vs {theirs!r}")
    return outcome


def _check_forward_raise(plan, pool, step, torch, outcome: Outcome) -> None:
    """chainrule raised in the forward pass: PyTorch must give inf or NaN for that step."""
    tensors = [torch.tensor(v.data, dtype=torch.float64) for v in pool]
    kind, name, operands, extra = step
    if kind == "pow":
        result = tensors[operands[0]] ** extra
    elif kind == "rpow":
        result = torch.tensor(extra, dtype=torch.float64) ** tensors[operands[0]]
    elif kind == "nary":
        result = torch_op(torch, name, [tensors[i] for i in operands], None)
    elif kind == "binary":
        i, j = operands
        x = tensors[i]
        y = torch.tensor(j[1], dtype=torch.float64) if isinstance(j, tuple) else tensors[j]
        if extra and isinstance(j, tuple):
            x, y = y, x
        result = torch_op(torch, name, [x, y], None)
    else:
        result = torch_op(torch, name, [tensors[operands[0]]], extra)
    value = result.item()
    base = x.item() if kind == "binary" else tensors[operands[0]].item()
    if not math.isfinite(value):
        outcome.add("forward_raise_justified")
    elif name in ("pow", "pow_value") and base == -math.inf:
        # policy: a negative base needs an integer exponent, -inf included; C's pow (and so
        # torch.pow) gives (-inf) ** -0.5 = 0 (but torch's x ** -0.5 is rsqrt: NaN)
        outcome.add("forward_raise_policy_negative_inf_base")
    else:
        outcome.add("forward_raise_where_torch_finite", f"{name}{operands}: torch {value!r}")


BAD = (
    "grad_wrong",
    "raise_where_torch_finite",
    "finite_where_torch_not",
    "forward_wrong",
    "forward_hides_nan_or_inf",
    "forward_raise_where_torch_finite",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graphs", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps", type=int, default=10, help="most ops per graph")
    parser.add_argument("--show", type=int, default=10, help="examples to print per bad kind")
    args = parser.parse_args(argv)
    import torch

    rng = random.Random(args.seed)
    counts: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    start = time.perf_counter()
    for index in range(args.graphs):
        plan = random_plan(rng, args.steps)
        outcome = run_plan(plan, torch)
        counts["graphs"] += 1
        for kind in set(outcome.kinds):
            counts[kind] += 1
        for note in outcome.notes:
            kind = note.split(":")[0]
            if kind in BAD and len(examples.setdefault(kind, [])) < args.show:
                examples[kind].append(f"graph {index}: {note}\n    {plan}")
    print(f"{args.graphs} graphs in {time.perf_counter() - start:.0f} s (seed {args.seed})")
    for kind, n in sorted(counts.items()):
        print(f"  {kind:<34} {n}")
    for kind, lines in examples.items():
        print(f"\n{kind}:")
        for line in lines:
            print("  " + line)
    return 1 if any(counts[k] for k in BAD) else 0


if __name__ == "__main__":
    sys.exit(main())
