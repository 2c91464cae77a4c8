"""`VALUE_MATH`: the maths namespace that makes the op table's rules build graphs.

Every local-derivative rule of `engine.ops` is written with arithmetic and the functions of a
namespace ``m``. `FLOAT_MATH` (`engine.maths`) evaluates it on numbers; `VALUE_MATH` has the same
functions for Values, so the same rule run on the graph's own nodes builds each local derivative
as a little graph (``create_graph=True``, `engine.autograd`). Numbers given to it (the constants
of a rule) are handled by `FLOAT_MATH`.

Selections. ``m.if_pos(x, a, b)`` and ``m.if_nonpos(x, a, b)`` read x's number and return one of
the branches; the choice itself is not differentiated. One refinement keeps higher derivatives
true: at the boundary x = 0, when the chosen branch is a plain number and the other branch is a
graph holding that very number, the number only states the graph's value at that point, so the
graph is returned (its derivatives are the formula's). This is x^y's ∂/∂x = y·x^(y-1), chosen as 0
where y = 0: for x ≠ 0 the graph y·x^(y-1) is 0 there too, and ∂²(x^y)/∂x∂y at y = 0 is then
x^(y-1)(1 + y·ln x) = 1/x, not 0 (PyTorch's mask has no derivative in y and gives 0).

Eager branches. A rule evaluates both branches of a selection before choosing, and on Values an
unchosen branch may fail (x^(y-1) at x = 0 raises ZeroDivisionError). `value_local` then
evaluates the rule again, guarded: a failing operation gives an *undefined* result instead of
raising, the selections drop an undefined branch they do not choose, and `engine.autograd`
reports one that is chosen.
"""

from __future__ import annotations

import math
import operator
from types import SimpleNamespace
from typing import Any

from engine.anomaly import AnomalyError
from engine.maths import FLOAT_MATH
from engine.ops import OPS, Op
from engine.value import Value

__all__ = ["VALUE_MATH", "Undefined", "value_local"]


def _on_values(name: str):
    """``m.name(x)``: the Value method `name` on a Value, the `FLOAT_MATH` function on a number.

    The method is looked up on every call, so anomaly mode's checked methods are the ones used.
    """
    number = getattr(FLOAT_MATH, name)

    def function(x):
        return getattr(x, name)() if isinstance(x, Value) else number(x)

    function.__name__ = name
    return function


def _erfc(x):
    """erfc(x) = 1 - erf(x) as a graph; its number is `math.erfc` (1 - erf(x) cancels for large
    x: the graph's function is the same, only the rounding of its number is better)."""
    if not isinstance(x, Value):
        return FLOAT_MATH.erfc(x)
    node = 1.0 - x.erf()
    node.data = math.erfc(x.data)  # the exact number of the node's own function
    return node


def _sign(x):
    """sign(x) as a node (op binary_step, whose derivative is 0), so the graph stays connected."""
    return x.binary_step() if isinstance(x, Value) else FLOAT_MATH.sign(x)


def _number(x) -> float:
    return x.data if isinstance(x, Value) else x


def _mask_of(chosen, other, x) -> bool:
    """True if `chosen` is a number stating the value at the boundary x = 0 of the graph `other`."""
    return (
        _number(x) == 0.0
        and not isinstance(chosen, (Value, Undefined))
        and isinstance(other, Value)
        and other.data == chosen
    )


def _if_pos(x, then, otherwise):
    """`then` where x > 0, else `otherwise` (NaN: otherwise); see the module doc on masks."""
    if isinstance(x, Undefined):
        return x
    if _number(x) > 0.0:
        return otherwise if _mask_of(then, otherwise, x) else then
    return then if _mask_of(otherwise, then, x) else otherwise


def _if_nonpos(x, then, otherwise):
    """`then` where x ≤ 0, else `otherwise` (NaN: otherwise); see the module doc on masks."""
    if isinstance(x, Undefined):
        return x
    if _number(x) <= 0.0:
        return otherwise if _mask_of(then, otherwise, x) else then
    return then if _mask_of(otherwise, then, x) else otherwise


VALUE_MATH = SimpleNamespace(
    **{
        name: _on_values(name)
        for name in ("exp", "log", "sqrt", "sin", "cos", "tanh", "erf", "sigmoid", "softplus")
    },
    erfc=_erfc,
    sign=_sign,
    if_pos=_if_pos,
    if_nonpos=_if_nonpos,
)
"""The maths namespace that makes the op table's rules build graphs (``create_graph=True``)."""


# --------------------------------------------------------------------------------------------
# Guarded evaluation: failures become undefined results
# --------------------------------------------------------------------------------------------


class Undefined:
    """The result of an operation that failed while a rule was evaluated on Values: `error`."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __neg__(self) -> Undefined:
        return self

    def __abs__(self) -> Undefined:
        return self


class _Guarded:
    """A Value or number inside a guarded rule: its arithmetic returns `Undefined` on failure."""

    __slots__ = ("v",)

    def __init__(self, v: Any) -> None:
        self.v = v

    def __neg__(self):
        return _guard(operator.neg, self)

    def __abs__(self):
        return _guard(abs, self)


def _unwrap(x):
    return x.v if isinstance(x, _Guarded) else x


def _guard(fn, *args):
    """fn on the unwrapped args, wrapped; the first Undefined argument or the failure if any."""
    for a in args:
        if isinstance(a, Undefined):
            return a
    try:
        result = fn(*(_unwrap(a) for a in args))
    except AnomalyError:
        raise
    except (ArithmeticError, ValueError) as exc:
        return Undefined(exc)
    return result if isinstance(result, Undefined) else _Guarded(result)


def _binary(fn):
    return lambda a, b: _guard(fn, a, b), lambda a, b: _guard(fn, b, a)


for _name, _fn in (
    ("add", operator.add),
    ("sub", operator.sub),
    ("mul", operator.mul),
    ("truediv", operator.truediv),
    ("pow", operator.pow),
):
    _forward, _reflected = _binary(_fn)
    setattr(_Guarded, f"__{_name}__", _forward)
    setattr(_Guarded, f"__r{_name}__", _reflected)
    setattr(Undefined, f"__{_name}__", lambda a, b: a)
    setattr(Undefined, f"__r{_name}__", lambda a, b: a)
del _name, _fn, _forward, _reflected


def _guarded_select(select):
    def function(x, then, otherwise):
        chosen = select(_unwrap(x), _unwrap(then), _unwrap(otherwise))
        return chosen if isinstance(chosen, Undefined) else _Guarded(chosen)

    return function


_GUARDED_MATH = SimpleNamespace(
    **{
        name: (lambda f: lambda *args: _guard(f, *args))(getattr(VALUE_MATH, name))
        for name in vars(VALUE_MATH)
        if name not in ("if_pos", "if_nonpos")
    },
    if_pos=_guarded_select(_if_pos),
    if_nonpos=_guarded_select(_if_nonpos),
)


def _guarded_local(op: Op, parents: tuple, out: Value, arg: object) -> tuple:
    """`op`'s rule on Values, each local derivative a Value, a number, or `Undefined` (a failure
    in a branch the rule chose; a failure in a branch it did not choose is dropped)."""
    g = tuple(_Guarded(p) for p in parents)
    if op.arity == 1:
        local = op.local(_GUARDED_MATH, g[0], _Guarded(out), arg)
    elif op.arity == 2:
        local = op.local(_GUARDED_MATH, g[0], g[1], _Guarded(out))
    else:
        local = op.local(_GUARDED_MATH, g, _Guarded(out))
    return tuple(_unwrap(d) for d in local)


def value_local(node: Value) -> tuple:
    """∂node/∂parent for each parent as graphs: the op's rule evaluated with `VALUE_MATH` on the
    nodes themselves. If an operation of the rule fails, the rule is evaluated again, guarded, so
    a failure in a branch the rule does not choose (x^(y-1) at x = 0, where y = 0) is dropped."""
    op = OPS[node.op]
    parents = node.parents
    try:
        if op.arity == 1:
            return op.local(VALUE_MATH, parents[0], node, node.arg)
        if op.arity == 2:
            return op.local(VALUE_MATH, parents[0], parents[1], node)
        return op.local(VALUE_MATH, parents, node)
    except AnomalyError:
        raise
    except (ArithmeticError, ValueError):
        return _guarded_local(op, parents, node, node.arg)
