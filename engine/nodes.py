"""Making nodes: checked numbers in, constant leaves, and Value's operator methods.

The operator methods (``x + y``, ``x.tanh()``, ...) are the build hot path: each is one Python
call that runs the op's forward (`engine.ops`) and writes the new node's slots itself, falling
back to `engine.value._node` (the careful path) for an inf/NaN result and under `no_grad`.

`engine.value` defines the classes and the careful path, then hands them to this module once
(`_bind`): they are module globals here, so the hot path reads them exactly as it did when it
lived in engine/value.py (one global lookup, no extra call per op).
"""

from __future__ import annotations

import itertools
import math
import numbers
from typing import TYPE_CHECKING, Any, Callable

from engine.grad_mode import _grad_enabled
from engine.ops import OPS, _forward_error, _method_doc

if TYPE_CHECKING:
    from engine.value import Value

__all__ = ["sequence_mark"]

_new = object.__new__
_next_seq = itertools.count().__next__  # creation order: parents are always numbered first

# Set once by engine.value (`_bind`) right after it defines them.
_Value: Any = None  # the class of every node
_Constant: Any = None  # the class of a number written into an expression
_node: Callable[..., Any] = None  # type: ignore[assignment]  # the careful path (engine.value)


def _bind(value: type, constant: type, careful: Callable[..., Any]) -> None:
    """Hand over `engine.value`'s Value class, its constant-leaf class and its `_node`."""
    global _Value, _Constant, _node
    _Value, _Constant, _node = value, constant, careful


# --------------------------------------------------------------------------------------------
# Checking what comes in
# --------------------------------------------------------------------------------------------


def _as_float(x: object, where: str) -> float:
    """`x` as a float if it is a real number (int, float, numpy scalar); TypeError otherwise.

    bool is rejected on purpose: ``Value(True)`` is almost always a bug.
    """
    t = type(x)
    if t is float:
        return x  # type: ignore[return-value]
    if t is int:
        try:
            return float(x)  # type: ignore[arg-type]
        except OverflowError:
            raise OverflowError(f"{where}: the integer {x} is too large for a float") from None
    if isinstance(x, _Value):
        raise TypeError(
            f"{where} needs a number, got a Value ({x!r}); use its .data for the number"
        )
    if t is bool or not isinstance(x, numbers.Real):
        raise TypeError(f"{where} needs a real number (int or float), got {t.__name__} {x!r}")
    return float(x)  # numpy and other numbers.Real scalars


def _as_arg(x: object, where: str) -> float:
    """An op's constant parameter (α, β, an exponent): a real number that is finite."""
    value = _as_float(x, where)
    if not math.isfinite(value):
        raise ValueError(f"{where} must be finite, got {value!r}")
    return value


def sequence_mark() -> int:
    """A number above every existing Value's creation number and below every later one's.

    Call it before and after some work: the nodes the work created are exactly those whose
    ``_seq`` lies between the two marks (`nn` modules use this to tell drawings what they made).
    """
    return _next_seq()


# --------------------------------------------------------------------------------------------
# Making nodes
# --------------------------------------------------------------------------------------------


def _leaf(data: float, label: str = "") -> Value:
    """A constant leaf: a number written into an expression (``x * 2``)."""
    node = _new(_Constant)
    node.data = data
    node.grad = 0.0
    node.op = ""
    node.parents = ()
    node.arg = None
    node.label = label
    node._seq = _next_seq()
    return node


def _operand(other: object, op_name: str) -> Value:
    """The other side of a binary operator as a Value (numbers become constant leaves)."""
    if isinstance(other, _Value):
        return other
    t = type(other)
    if t is float or t is int:
        return _leaf(float(other))  # type: ignore[arg-type]
    return _leaf(_as_float(other, f"the other operand of {op_name}"))


def _binary_method(name: str, symbol: str, reflected: bool = False):
    """The operator method for binary op `name` (``x + y``, or ``y + x`` when `reflected`).

    This is the build hot path, so `_apply` and `_node` are written out inline: one Python call
    per op instead of three (measured 15% faster to build a graph).
    """
    op = OPS[name]
    forward = op.forward
    recording = _grad_enabled  # a local name: one ContextVar read per op

    def method(self, other):
        if type(other) is not _Value:
            other = _operand(other, symbol)
        try:
            data = forward(self.data, other.data)
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            raise _forward_error(op, exc, (self.data, other.data), None) from None
        if data - data != 0.0 or not recording():  # inf/nan or no_grad: the careful path
            return _node(op, data, (self, other), None)
        node = _new(_Value)
        node.data = data
        node.grad = 0.0
        node.op = name
        node.parents = (self, other)
        node.arg = None
        node.label = ""
        node._seq = _next_seq()
        return node

    def reflected_method(self, other):  # a number on the left: ``2 * x`` is mul(2, x)
        return method(_operand(other, symbol), self)

    python_name = "truediv" if name == "div" else name
    made = reflected_method if reflected else method
    made.__name__ = made.__qualname__ = f"__{'r' if reflected else ''}{python_name}__"
    made.__doc__ = _method_doc(op)
    made.__annotations__ = {"other": "Value | float", "return": "Value"}
    return made


def _unary_method(name: str):
    """The method for one-input op `name` (``x.tanh()``), inlined like `_binary_method`."""
    op = OPS[name]
    forward = op.forward
    recording = _grad_enabled

    def method(self):
        try:
            data = forward(self.data, None)
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            raise _forward_error(op, exc, (self.data,), None) from None
        if data - data != 0.0 or not recording():
            return _node(op, data, (self,), None)
        node = _new(_Value)
        node.data = data
        node.grad = 0.0
        node.op = name
        node.parents = (self,)
        node.arg = None
        node.label = ""
        node._seq = _next_seq()
        return node

    method.__name__ = method.__qualname__ = name
    method.__doc__ = _method_doc(op)
    method.__annotations__ = {"return": "Value"}
    return method
