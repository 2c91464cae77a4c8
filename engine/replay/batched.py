"""Replaying over a batch with numpy: the maths namespace for arrays and the helpers that
generated numpy code calls. numpy is imported here, on first use, and nowhere else in the core.

An array of shape (n,) holds one number per example. The op table's rules take a maths namespace
``m``; `numpy_math()` is the one for arrays (the float one is `engine.core.ops.FLOAT_MATH`): the
same
functions, elementwise, as numerically careful as the float versions (the stable sigmoid never
exponentiates a positive number). A function it lacks falls back to the float one, elementwise.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any, Callable

from engine.core.ops import FLOAT_MATH

__all__ = ["numpy_math", "numpy_namespace", "elementwise", "ERRSTATE"]

ERRSTATE: dict[str, Any] = {
    "over": "raise",
    "divide": "raise",
    "invalid": "raise",
    "under": "ignore",
}
"""numpy raises on what the eager engine raises on; the replay then redoes the batch as eager."""

_cache: dict[str, Any] = {}


def _np():
    try:
        import numpy
    except ImportError:
        raise ImportError("replay on batches needs numpy (pip install numpy)") from None
    return numpy


def elementwise(fn: Callable) -> Callable:
    """`fn` on floats, applied to each example of its (broadcast) array arguments."""
    np = _np()

    def apply(*args):
        arrays = [a for a in args if isinstance(a, np.ndarray) and a.ndim]
        if not arrays:
            return fn(*(float(a) for a in args))
        parts = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in args))
        flat = zip(*(p.ravel().tolist() for p in parts))
        return np.array([fn(*row) for row in flat], dtype=float).reshape(parts[0].shape)

    apply.__name__ = getattr(fn, "__name__", "elementwise")
    return apply


class _Fallback(SimpleNamespace):
    """A namespace whose missing functions are `source`'s, applied elementwise."""

    def __init__(self, source: Any, **functions: Callable) -> None:
        super().__init__(**functions)
        object.__setattr__(self, "_source", source)

    def __getattr__(self, name: str) -> Any:
        fn = getattr(object.__getattribute__(self, "_source"), name)
        if not callable(fn):
            return fn
        wrapped = elementwise(fn)
        object.__setattr__(self, name, wrapped)
        return wrapped


def numpy_math() -> Any:
    """The maths namespace for numpy arrays: `engine.core.maths.FLOAT_MATH`'s functions (exp, log,
    sqrt, sin, cos, tanh, erf, erfc, sigmoid, softplus, sign, if_pos, if_nonpos) elementwise,
    and anything else FLOAT_MATH has, one element at a time."""
    if "m" in _cache:
        return _cache["m"]
    np = _np()

    def sigmoid(x):
        """σ(x): 1/(1 + e^-x) for x ≥ 0, e^x/(1 + e^x) for x < 0, from z = e^-|x| ≤ 1."""
        z = np.exp(-np.abs(x))
        return np.where(x >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))

    def softplus(x):
        """ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|)."""
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))

    def sign(x):
        """-1, 0 or 1; 0 for nan, as the float version."""
        return np.where(x > 0.0, 1.0, np.where(x < 0.0, -1.0, 0.0))

    def if_pos(x, then, otherwise):
        """`then` where x > 0, else `otherwise` (NaN included)."""
        return np.where(x > 0.0, then, otherwise)

    def if_nonpos(x, then, otherwise):
        """`then` where x ≤ 0, else `otherwise` (NaN included)."""
        return np.where(x <= 0.0, then, otherwise)

    m = _Fallback(
        FLOAT_MATH,
        exp=np.exp,
        log=np.log,
        sqrt=np.sqrt,
        sin=np.sin,
        cos=np.cos,
        tanh=np.tanh,
        erf=elementwise(math.erf),  # numpy has no erf nor erfc
        erfc=elementwise(math.erfc),
        sigmoid=sigmoid,
        softplus=softplus,
        sign=sign,
        if_pos=if_pos,
        if_nonpos=if_nonpos,
    )
    _cache["m"] = m
    return m


class _NumpyMathModule:
    """Stands for the ``math`` module in generated numpy code: ``math.expm1`` is np.expm1, and a
    function numpy lacks is the math one, elementwise."""

    def __getattr__(self, name: str) -> Any:
        np = _np()
        fn = getattr(np, name, None)
        if not callable(fn):
            fn = elementwise(getattr(math, name))
        setattr(self, name, fn)
        return fn


def _each_forward(fn: Callable, arity: int, *args: Any) -> Any:
    """An op's forward from the table, example by example (for ops that cannot run on arrays)."""
    if arity == -1:
        columns = args[0]
        return elementwise(lambda *xs: fn(xs))(*columns)
    if arity == 1:
        x, arg = args
        return elementwise(lambda v: fn(v, arg))(x)
    return elementwise(fn)(*args)


def _each_rule(fn: Callable, arity: int, *args: Any) -> tuple:
    """An op's local-derivative rule from the table, example by example."""
    np = _np()
    m = FLOAT_MATH
    if arity == 1:
        x, out, arg = args
        rows = [fn(m, a, b, arg) for a, b in _rows(x, out)]
    elif arity == 2:
        rows = [fn(m, a, b, c) for a, b, c in _rows(*args)]
    else:
        xs, out = args
        rows = [fn(m, tuple(r[:-1]), r[-1]) for r in _rows(*xs, out)]
    return tuple(np.array(col, dtype=float) for col in zip(*rows))


def _rows(*args: Any) -> list:
    np = _np()
    parts = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in args))
    return list(zip(*(p.reshape(-1).tolist() for p in parts)))


def _max_shift(*logits: Any) -> Any:
    """`engine.replay.layout.max_shift` per example: Python's max (the first of equals, a NaN
    first stays), or 0.0 where it is 0 or not finite."""
    np = _np()
    m = logits[0]
    for x in logits[1:]:
        m = np.where(x > m, x, m)
    return np.where(np.isfinite(m) & (m != 0.0), m, 0.0)


def numpy_namespace() -> dict[str, Any]:
    """What generated numpy code refers to besides its program's own functions."""
    if "ns" not in _cache:
        np = _np()
        _cache["ns"] = {
            "m": numpy_math(),
            "math": _NumpyMathModule(),
            "_where": np.where,
            "_sum": np.add.reduce,
            "_dot": np.dot,
            "_INF": math.inf,
            "_NAN": math.nan,
            "_each_forward": _each_forward,
            "_each_rule": _each_rule,
            "_max_shift": _max_shift,
            "_array": np.array,
            "_stack": np.stack,
            "_zeros": np.zeros,
            "_zeros_like": np.zeros_like,
            "_finite": lambda a: bool(np.isfinite(a).all()),
        }
    return dict(_cache["ns"])
