"""`VALUE_MATH`: the maths namespace that makes the op table's rules build graphs.

Every local-derivative rule of `engine.core.ops` is written with arithmetic and the functions of a
namespace ``m``. `FLOAT_MATH` (`engine.core.maths`) evaluates it on numbers; `VALUE_MATH` has the
same
functions for Values, so the same rule run on the graph's own nodes builds each local derivative
as a little graph (``create_graph=True``). Numbers given to it (the constants
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
raising, the selections drop an undefined branch they do not choose, and
`engine.functional.gradients`
reports one that is chosen.
"""

from __future__ import annotations

import math
import operator
from types import SimpleNamespace
from typing import Any

from engine.core.maths import FLOAT_MATH
from engine.core.ops import Op, describe_call

__all__ = ["make_value_math", "Undefined"]


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float))


def _on_values(name: str):
    """``m.name(x)``: the Value method `name` on a Value, the `FLOAT_MATH` function on a number.

    The method is looked up on every call, so anomaly mode's checked methods are the ones used.
    """
    number = getattr(FLOAT_MATH, name)

    def function(x):
        return number(x) if _is_number(x) else getattr(x, name)()

    function.__name__ = name
    return function


def _erfc(x):
    """erfc(x) = 1 - erf(x) as a graph; its number is `math.erfc` (1 - erf(x) cancels for large
    x: the graph's function is the same, only the rounding of its number is better)."""
    if _is_number(x):
        return FLOAT_MATH.erfc(x)
    node = 1.0 - x.erf()
    node.data = math.erfc(x.data)  # the exact number of the node's own function
    return node


def _sign(x):
    """sign(x) as a node (op binary_step, whose derivative is 0), so the graph stays connected."""
    return FLOAT_MATH.sign(x) if _is_number(x) else x.binary_step()


def _number(x) -> float:
    return x if _is_number(x) else x.data


def _is_graph(x: object) -> bool:
    return not _is_number(x) and not isinstance(x, Undefined)


def _mask_of(chosen, other, x) -> bool:
    """True if `chosen` is a number stating the value at the boundary x = 0 of the graph `other`."""
    return _number(x) == 0.0 and _is_number(chosen) and _is_graph(other) and other.data == chosen


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


_FUNCTIONS = dict(
    **{
        name: _on_values(name)
        for name in ("exp", "log", "sqrt", "sin", "cos", "tanh", "erf", "sigmoid", "softplus")
    },
    erfc=_erfc,
    sign=_sign,
    if_pos=_if_pos,
    if_nonpos=_if_nonpos,
)


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
    except FloatingPointError:  # AnomalyError: anomaly mode's checked methods raise it
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
        name: (lambda f: lambda *args: _guard(f, *args))(fn)
        for name, fn in _FUNCTIONS.items()
        if name not in ("if_pos", "if_nonpos")
    },
    if_pos=_guarded_select(_if_pos),
    if_nonpos=_guarded_select(_if_nonpos),
)


def _guarded_local(op: Op, parents: tuple, out: Any, arg: object) -> tuple:
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


def _local(op: Op, node: Any) -> tuple:
    """∂node/∂parent for each parent as graphs: the op's rule evaluated on the nodes themselves.
    If an operation of the rule fails, the rule is evaluated again, guarded, so a failure in a
    branch the rule does not choose (x^(y-1) at x = 0, where y = 0) is dropped; one it chooses
    is raised."""
    parents = node.parents
    try:
        if op.arity == 1:
            return op.local(VALUE_FUNCTIONS, parents[0], node, node.arg)
        if op.arity == 2:
            return op.local(VALUE_FUNCTIONS, parents[0], parents[1], node)
        return op.local(VALUE_FUNCTIONS, parents, node)
    except FloatingPointError:
        raise
    except (ArithmeticError, ValueError):
        local = _guarded_local(op, parents, node, node.arg)
    for d in local:
        if isinstance(d, Undefined):
            raise d.error
    return local


VALUE_FUNCTIONS = SimpleNamespace(**_FUNCTIONS)
"""The rules' functions on Values (numbers go to `FLOAT_MATH`)."""


def _times(a, b):
    """a·b; numbers multiply as numbers, and ×1 or ×(-1) makes no mul node (x·1 is x exactly)."""
    if _is_number(a):
        if _is_number(b):
            return a * b
        a, b = b, a  # the number second: b·a reads "upstream · constant"
    if _is_number(b):
        if b == 1.0:
            return a
        if b == -1.0:
            return -a
    return a * b


def _plus(a, b):
    """a + b; a number 0 adds no node."""
    if _is_number(a) and a == 0.0 and not _is_number(b):
        return b
    if _is_number(b) and b == 0.0 and not _is_number(a):
        return a
    return a + b


def _contributions(out_bar, local: tuple) -> list:
    """``out_bar · ∂out/∂x`` for each parent, as graphs; OverflowError if one is not finite."""
    terms = [_times(out_bar, d) for d in local]
    for t in terms:
        x = _number(t)
        if x - x != 0.0:
            raise OverflowError(f"the chain-rule step out_bar · ∂out/∂x is {x!r}")
    return terms


def _error(node: Any, exc: BaseException) -> Exception:
    """The error for a create_graph step that cannot be built, naming the op."""
    from engine.core.ops import OPS

    op = OPS[node.op]
    call = describe_call(op, tuple(p.data for p in node.parents), node.arg)
    if "chain-rule step" in str(exc):
        what = "the chain-rule step out_bar · ∂out/∂x overflows a float"
    else:
        what = f"its local derivative ({', '.join(op.derivatives)}) is not finite there"
    text = (
        f"backward through {call} with create_graph=True: {what} ({exc}). A gradient built as a "
        "graph holds finite numbers only; without create_graph, backward() and grad() give "
        "PyTorch's number here, or name the input whose gradient is not finite"
    )
    kind = type(exc) if isinstance(exc, (ZeroDivisionError, OverflowError)) else ValueError
    return kind(text)


def make_value_math(value_class: type) -> SimpleNamespace:
    """The namespace that makes the op table's rules and the chain-rule walker build graphs
    (``create_graph=True``): the rules' functions on Values, plus how the walker multiplies,
    sums and stores gradients that are graphs (numbers become `value_class` leaves)."""

    def as_grad(g):
        return g if isinstance(g, value_class) else value_class(g)

    return SimpleNamespace(
        **_FUNCTIONS,
        local=_local,
        contributions=_contributions,
        plus=_plus,
        zero=0.0,
        as_grad=as_grad,
        error=_error,
    )
