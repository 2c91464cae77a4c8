"""The maths namespaces the op table's rules are evaluated in, and the stable scalar helpers.

A local-derivative rule (`engine.core.ops`) is written with plain arithmetic and the functions of a
namespace ``m``. Two namespaces for floats live here:

* `FLOAT_MATH`, what `backward()` uses: Python's floats and `math`. Like Python, it raises where
  IEEE 754 would give inf or NaN (``0.5 / 0.0``, ``math.exp(1000)``, ``0.0 ** -1``).
* `IEEE_MATH` with `IEEEFloat` inputs: the same functions and arithmetic, but with IEEE 754's
  answers instead of exceptions (``0.5 / 0.0 = inf``, ``exp(1000) = inf``, ``log(-1) = nan``).
  `backward()` switches to it for a node only when the float evaluation raised or gave a
  non-finite number, to find what PyTorch float64 finds there (see `engine.core.chain_rule`).

Values support the same arithmetic and functions, so the same rules also run on Values.
"""

from __future__ import annotations

import math
import operator
from types import SimpleNamespace

__all__ = [
    "FLOAT_MATH",
    "WALKER_NAMES",
    "IEEE_MATH",
    "IEEEFloat",
    "stable_sigmoid",
    "stable_softplus",
]

_SQRT_HALF = math.sqrt(0.5)


# --------------------------------------------------------------------------------------------
# Numerically stable scalar helpers
# --------------------------------------------------------------------------------------------


def stable_sigmoid(x: float) -> float:
    """σ(x) = 1 / (1 + e^(-x)), evaluated so that e^(...) never overflows.

    For x ≥ 0 use 1 / (1 + e^(-x)); for x < 0 use e^x / (1 + e^x). Both only ever exponentiate a
    non-positive number, so σ(-1000) = 0.0 and σ(1000) = 1.0 without an OverflowError.
    """
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def stable_softplus(x: float) -> float:
    """softplus(x) = ln(1 + e^x) = max(x, 0) + ln(1 + e^(-|x|)), which never overflows."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _sign(x: float) -> float:
    """sign(x) ∈ {-1, 0, 1}; sign(0) = 0, and sign(NaN) = 0, as PyTorch's sgn (abs' derivative)."""
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


def _step(x: float) -> float:
    """sign(x) for binary_step's forward: like `_sign`, but NaN stays NaN (NaN in, NaN out)."""
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else (0.0 if x == 0.0 else x))


def _if_pos(x: float, then: float, otherwise: float) -> float:
    """`then` where x > 0, else `otherwise`, NaN included (the selection is not differentiated)."""
    return then if x > 0.0 else otherwise


def _if_nonpos(x: float, then: float, otherwise: float) -> float:
    """`then` where x ≤ 0, else `otherwise`, NaN included (the selection is not differentiated)."""
    return then if x <= 0.0 else otherwise


WALKER_NAMES = frozenset({"local", "contributions", "plus", "zero", "as_grad", "error"})
"""The names of a maths namespace that tell the chain-rule walker how to treat its gradients
(numbers here, graphs in `VALUE_MATH`); the others are the functions the rules call."""


def _float_local(op, node) -> tuple:
    """Row `op`'s local derivatives at `node`, on the numbers of its parents."""
    parents = node.parents
    if op.arity == 2:
        return op.local(FLOAT_MATH, parents[0].data, parents[1].data, node.data)
    if op.arity == 1:
        return op.local(FLOAT_MATH, parents[0].data, node.data, node.arg)
    return op.local(FLOAT_MATH, tuple(p.data for p in parents), node.data)


FLOAT_MATH = SimpleNamespace(
    exp=math.exp,
    log=math.log,
    sqrt=math.sqrt,
    sin=math.sin,
    cos=math.cos,
    tanh=math.tanh,
    erf=math.erf,
    erfc=math.erfc,
    sigmoid=stable_sigmoid,
    softplus=stable_softplus,
    sign=_sign,
    if_pos=_if_pos,
    if_nonpos=_if_nonpos,
    # how the chain-rule walker (engine.core.chain_rule) treats gradients that are numbers:
    # a row's local derivatives at a node, out_bar · ∂out/∂x, x_bar = before + term, 0.0 where
    # nothing arrived, stored as they are (VALUE_MATH has the same names for graphs)
    local=lambda op, node: _float_local(op, node),
    contributions=lambda out_bar, local: tuple([out_bar * d for d in local]),
    plus=operator.add,
    zero=0.0,
    as_grad=float,
    error=lambda node, exc: exc,
)
"""The maths namespace for rules evaluated on Python floats (what `backward()` uses)."""


# --------------------------------------------------------------------------------------------
# Forward functions that need a check Python's float arithmetic does not make
# --------------------------------------------------------------------------------------------


def _pow_forward(x: float, c: float) -> float:
    """x ** c for a constant exponent c; a negative base (-inf too) needs an integer exponent."""
    if x < 0.0 and not float(c).is_integer():
        raise ValueError(f"a negative base needs an integer exponent, got {x!r} ** {c!r}")
    return x**c


def _pow_value_forward(x: float, y: float) -> float:
    """x ** y with both sides Values; a negative base (-inf too) needs an integer (or infinite)
    exponent (a NaN exponent gives NaN)."""
    if x < 0.0 and not y.is_integer() and y - y == 0.0:
        raise ValueError(f"a negative base needs an integer exponent, got {x!r} ** {y!r}")
    return x**y


def _logsumexp_forward(xs: tuple[float, ...]) -> float:
    """log Σ e^(x_i) = x_max + log Σ e^(x_i - x_max): no term exceeds e^0 = 1."""
    if not xs:
        raise ValueError("logsumexp needs at least one value, got an empty list")
    x_max = max(xs)
    if math.isinf(x_max):  # ±inf wins, unless a NaN is there too
        return math.nan if any(x != x for x in xs) else x_max
    return x_max + math.log(math.fsum(math.exp(x - x_max) for x in xs))


def _gelu_forward(x: float, _: object) -> float:
    """x·Φ(x) = ½x·erfc(-x/√2): erfc keeps the tiny Φ(x) of a negative x (1 + erf loses it)."""
    return 0.5 * x * math.erfc(-x * _SQRT_HALF)


# --------------------------------------------------------------------------------------------
# IEEE 754 answers instead of Python's exceptions
# --------------------------------------------------------------------------------------------


def _odd_integer(y: float) -> bool:
    return math.isfinite(y) and y.is_integer() and abs(y) % 2.0 == 1.0


def ieee_div(x: float, y: float) -> float:
    """x / y, with x / ±0 = ±inf (signs multiply) and 0/0 = nan/0 = nan, as C's division."""
    if y != 0.0:
        return x / y
    if x == 0.0 or x != x:
        return math.nan
    return math.copysign(math.inf, x) * math.copysign(1.0, y)


def ieee_pow(x: float, y: float) -> float:
    """x ** y as C's pow(): ±0 ** (y < 0) = inf (±inf for odd y), overflow = ±inf, and a
    negative base with a non-integer exponent gives nan (not Python's complex number)."""
    try:
        result = x**y
    except ZeroDivisionError:  # 0 ** negative
        return math.copysign(math.inf, x) if _odd_integer(y) else math.inf
    except OverflowError:
        return -math.inf if x < 0.0 and _odd_integer(y) else math.inf
    return math.nan if type(result) is complex else result


def _ieee_exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _ieee_log(x: float) -> float:
    if x > 0.0 or x != x:
        return math.log(x)
    return -math.inf if x == 0.0 else math.nan


def _ieee_sqrt(x: float) -> float:
    return math.nan if x < 0.0 else math.sqrt(x)


def _nan_at_inf(fn):
    return lambda x: fn(x) if math.isfinite(x) else math.nan


class IEEEFloat(float):
    """A float whose arithmetic gives IEEE 754's inf and NaN where Python's raises.

    Only ``/`` and ``**`` (and their reflections) ever raise for floats; the other operators
    are wrapped too so that a chain of operations keeps the IEEE answers.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"IEEEFloat({float(self)!r})"


def _wrapped(fn):
    return lambda a, b: IEEEFloat(fn(float(a), float(b)))


def _reflected(fn):
    return lambda a, b: IEEEFloat(fn(float(b), float(a)))


for _name, _fn in (
    ("add", float.__add__),
    ("sub", float.__sub__),
    ("mul", float.__mul__),
    ("truediv", ieee_div),
    ("pow", ieee_pow),
):
    setattr(IEEEFloat, f"__{_name}__", _wrapped(_fn))
    setattr(IEEEFloat, f"__r{_name}__", _reflected(_fn))
IEEEFloat.__neg__ = lambda a: IEEEFloat(-float(a))  # type: ignore[method-assign]
IEEEFloat.__abs__ = lambda a: IEEEFloat(abs(float(a)))  # type: ignore[method-assign]
del _name, _fn


def _ieee_result(fn):
    """`fn` returning an IEEEFloat, so that arithmetic on its result keeps IEEE's answers."""
    return lambda *args: IEEEFloat(fn(*args))


IEEE_MATH = SimpleNamespace(
    **{
        name: _ieee_result(fn)
        for name, fn in {
            **vars(FLOAT_MATH),
            "exp": _ieee_exp,
            "log": _ieee_log,
            "sqrt": _ieee_sqrt,
            "sin": _nan_at_inf(math.sin),
            "cos": _nan_at_inf(math.cos),
        }.items()
    }
)
"""`FLOAT_MATH` with IEEE 754's answers where `math` raises (exp overflow = inf, log(0) = -inf,
log(-1) = nan, sqrt(-1) = nan, sin(inf) = nan). Use it with `IEEEFloat` inputs."""
