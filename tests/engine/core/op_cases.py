"""The test table of the op table: one case per row of `engine.core.ops.OPS`.

Every per-op test reads this table (`test_ops`, `test_jvp`, the PyTorch differential and its
fuzzer), so adding an op is its row in `engine/core/ops.py`, its case here and its docs line;
`test_every_op_has_a_case` fails until the case is written. A case says

* where the op's inputs may come from (one hypothesis strategy per input, away from kinks),
* the constant parameter the tests call it with (α, β, the exponent c),
* its mpmath twin: the exact value and the exact local derivatives, for the differential's
  referee (60 digits),
* a guard that maps any inputs into its domain, with methods Values and torch tensors share
  (``a * a + 0.5`` under a log), for the random graphs of the higher-order tests.

The torch twin is the row's own ``Op.torch`` (the torch bridge builds activations from it too);
`Case.torch` calls it with the case's parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from hypothesis import strategies as st

from engine import OPS, Value, logsumexp
from engine.core.value import apply_op

__all__ = ["Case", "CASES", "reals", "away_from"]


def reals(lo: float = -5.0, hi: float = 5.0) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from(*kinks: float, lo: float = -5.0, hi: float = 5.0, gap: float = 1e-3):
    """Reals at least `gap` from each kink: finite differences are meaningless across one."""
    return reals(lo, hi).filter(lambda x: all(abs(x - k) > gap for k in kinks))


@dataclass(frozen=True)
class Case:
    """How the tests call one row, where its inputs come from, and its exact twin."""

    name: str
    domains: tuple[st.SearchStrategy[float], ...]
    exact: Callable[[Any, list, Any], Any]
    exact_local: Callable[[Any, list, Any], list]
    arg: float | None = None
    guard: Callable[..., tuple] | None = None

    def inputs(self, *xs: Any) -> tuple:
        """`xs` (one per input; n-ary: all) brought inside the domain by the guard."""
        arity = OPS[self.name].arity
        xs = xs if arity == -1 else xs[:arity]
        return self.guard(*xs) if self.guard is not None else xs

    def call(self, *xs: Value) -> Value:
        """The op on Values, through the way a user writes it (``x + y``, ``x.tanh()``)."""
        op = OPS[self.name]
        if self.name == "pow":
            return xs[0] ** self.arg
        if self.name == "pow_value":
            return xs[0] ** xs[1]
        if op.arity == -1:
            return logsumexp(list(xs))
        if op.methods:
            method = getattr(xs[0], op.methods[0])
            if op.arity == 2:
                return method(xs[1])
            return method() if self.arg is None else method(self.arg)
        return apply_op(op, tuple(xs), self.arg)

    def torch(self, torch: Any, *xs: Any) -> Any:
        """The row's torch twin on tensors `xs`."""
        op = OPS[self.name]
        if op.arity == -1:
            return op.torch(torch, xs)
        if op.arity == 2:
            return op.torch(torch, xs[0], xs[1])
        return op.torch(torch, xs[0], self.arg)


def _erfc(mp, z):
    """mpmath's erfc, with its asymptotic form for |z| > 1e6 (where mpmath overflows)."""
    if z > 1e6:
        return mp.exp(-z * z) / (z * mp.sqrt(mp.pi))  # relative error < 1/(2z²) = 5e-13
    if z < -1e6:
        return 2 - _erfc(mp, -z)
    return mp.erfc(z)


def _pow_value_local(mp, xs, a):
    x, y = xs
    dx = mp.mpf(0) if y == 0 else y * mp.power(x, y - 1)
    dy = mp.mpf(0) if x == 0 else (mp.nan if x < 0 else mp.power(x, y) * mp.log(x))
    return [dx, dy]


def _swish_local(mp, xs, b):
    x = xs[0]
    s, s_minus = 1 / (1 + mp.exp(-b * x)), 1 / (1 + mp.exp(b * x))
    return [s + b * x * s * s_minus]


def _logsumexp_local(mp, xs, a):
    top = max(xs)
    weights = [mp.exp(v - top) for v in xs]
    total = mp.fsum(weights)
    return [w / total for w in weights]


ANY, KINK0 = reals(), away_from(0.0)
# fmt: off
_cases = [
    Case("add", (ANY, ANY), lambda mp, x, a: x[0] + x[1], lambda mp, x, a: [1, 1]),
    Case("sub", (ANY, ANY), lambda mp, x, a: x[0] - x[1], lambda mp, x, a: [1, -1]),
    Case("mul", (ANY, ANY), lambda mp, x, a: x[0] * x[1], lambda mp, x, a: [x[1], x[0]],
         guard=lambda a, b: (a, b.tanh())),
    Case("div", (ANY, away_from(0.0, gap=0.1)), lambda mp, x, a: x[0] / x[1],
         lambda mp, x, a: [1 / x[1], -x[0] / x[1] ** 2], guard=lambda a, b: (a, b * b + 1.0)),
    Case("neg", (ANY,), lambda mp, x, a: -x[0], lambda mp, x, a: [-1]),
    Case("pow", (ANY,), lambda mp, x, c: mp.power(x[0], c),
         lambda mp, x, c: [mp.mpf(0) if c == 0 else c * mp.power(x[0], c - 1)], arg=3.0,
         guard=lambda a: (a.tanh(),)),
    Case("pow_value", (reals(0.1, 4.0), reals(-3.0, 3.0)), lambda mp, x, a: mp.power(x[0], x[1]),
         _pow_value_local, guard=lambda a, b: (a * a + 0.5, b.tanh())),
    Case("exp", (reals(-20.0, 20.0),), lambda mp, x, a: mp.exp(x[0]),
         lambda mp, x, a: [mp.exp(x[0])], guard=lambda a: (a.tanh(),)),
    Case("log", (reals(0.01, 100.0),), lambda mp, x, a: mp.log(x[0]), lambda mp, x, a: [1 / x[0]],
         guard=lambda a: (a * a + 0.5,)),
    Case("sqrt", (reals(0.01, 100.0),), lambda mp, x, a: mp.sqrt(x[0]),
         lambda mp, x, a: [mp.inf if x[0] == 0 else 1 / (2 * mp.sqrt(x[0]))],
         guard=lambda a: (a * a + 0.25,)),
    Case("abs", (KINK0,), lambda mp, x, a: abs(x[0]), lambda mp, x, a: [mp.sign(x[0])]),
    Case("sin", (reals(-10.0, 10.0),), lambda mp, x, a: mp.sin(x[0]),
         lambda mp, x, a: [mp.cos(x[0])]),
    Case("cos", (reals(-10.0, 10.0),), lambda mp, x, a: mp.cos(x[0]),
         lambda mp, x, a: [-mp.sin(x[0])]),
    Case("erf", (reals(-4.0, 4.0),), lambda mp, x, a: 1 - _erfc(mp, x[0]),
         lambda mp, x, a: [2 / mp.sqrt(mp.pi) * mp.exp(-(x[0] ** 2))]),
    Case("tanh", (ANY,), lambda mp, x, a: mp.tanh(x[0]), lambda mp, x, a: [mp.sech(x[0]) ** 2]),
    Case("sigmoid", (reals(-30.0, 30.0),), lambda mp, x, a: 1 / (1 + mp.exp(-x[0])),
         lambda mp, x, a: [1 / (1 + mp.exp(-x[0])) / (1 + mp.exp(x[0]))]),
    Case("relu", (KINK0,), lambda mp, x, a: x[0] if x[0] > 0 else mp.mpf(0),
         lambda mp, x, a: [mp.mpf(1) if x[0] > 0 else mp.mpf(0)]),
    Case("leaky_relu", (KINK0,), lambda mp, x, a: x[0] if x[0] > 0 else a * x[0],
         lambda mp, x, a: [mp.mpf(1) if x[0] > 0 else mp.mpf(a)], arg=0.2),
    Case("elu", (KINK0,), lambda mp, x, a: x[0] if x[0] > 0 else a * mp.expm1(x[0]),
         lambda mp, x, a: [mp.mpf(1) if x[0] > 0 else a * mp.exp(x[0])], arg=0.7),
    Case("softplus", (reals(-30.0, 30.0),), lambda mp, x, a: mp.log1p(mp.exp(x[0])),
         lambda mp, x, a: [1 / (1 + mp.exp(-x[0]))]),
    Case("swish", (ANY,), lambda mp, x, b: x[0] / (1 + mp.exp(-b * x[0])), _swish_local,
         arg=1.5),
    Case("gelu", (ANY,), lambda mp, x, a: x[0] * _erfc(mp, -x[0] / mp.sqrt(2)) / 2,
         lambda mp, x, a: [_erfc(mp, -x[0] / mp.sqrt(2)) / 2
                           + x[0] * mp.exp(-(x[0] ** 2) / 2) / mp.sqrt(2 * mp.pi)]),
    Case("binary_step", (KINK0,), lambda mp, x, a: mp.sign(x[0]), lambda mp, x, a: [mp.mpf(0)]),
    Case("softsign", (KINK0,), lambda mp, x, a: x[0] / (1 + abs(x[0])),
         lambda mp, x, a: [1 / (1 + abs(x[0])) ** 2]),
    Case("hardtanh", (away_from(-1.0, 1.0),), lambda mp, x, a: max(-1, min(1, x[0])),
         lambda mp, x, a: [mp.mpf(1) if -1 < x[0] < 1 else mp.mpf(0)]),
    Case("logsumexp", (reals(-20, 20),) * 3, lambda mp, x, a: mp.log(mp.fsum(mp.exp(v) for v in x)),
         _logsumexp_local),
]
# fmt: on
CASES: dict[str, Case] = {case.name: case for case in _cases}
"""Every op's case, by row name."""
