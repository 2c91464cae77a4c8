"""Guards: recording what Python code decides from ``.data`` while a function is traced.

A trace runs the function once, on Values, and records the graph it builds. Python control flow
that reads a number (``if v.data > 0: ...``) leaves no node in that graph: replaying the graph on
other numbers would silently take the branch the trace took. So, while a trace runs, ``.data``
read by code outside the engine returns a `Probe`: a float that remembers which Values it came
from. Comparing a probe (``>``, ``==``, ``bool()``, ``int()``, ``round()``...) records a *guard*:
the comparison, its outcome and the source line. Every replay re-evaluates the guards on its own
numbers and raises `GuardError`, naming the line, when one comes out differently.

Arithmetic on probes keeps the record (``v.data * 2 > 1`` is a guard too). A probe turned back
into a Value (``Value(v.data)``, ``x + v.data``) would freeze a number that depends on the inputs
into a constant, so the trace refuses it with a `TraceError` naming the line. Not caught: numbers
passed through C functions first (``math.exp(v.data)``) lose their record.

The engine's own reads are plain floats: its ops read ``.data`` to compute, not to decide; but
comparisons of Values (``a > b``, and so ``max(a, b)``, ``min``, ``sorted``) compare their
numbers for the function, and are guards like any comparison on ``.data``. One
engine function reads a number into the graph: `engine.log_softmax` (and `softmax`) subtracts
the constant m = max(x) for accuracy (none when m is 0 or not finite). Its reads return a
`Logit` instead: the max of those is the eager one, but the constant ``x - m`` makes from it is
recorded as a *shift* of the program, recomputed on every replay from the logits' values as
eager computes it (`engine.replay.layout.max_shift`), and the shift is always subtracted (0.0
where eager subtracts nothing, which leaves every number as it is). So a replay equals eager
wherever the logits go, as for any other function (gradients to the last bit or two where the
max is 0 or not finite: eager's unshifted graph adds a logit's gradient terms in another
grouping than ``(x - 0.0) - lse``).

Why this design: a float cannot be intercepted once read, so the read itself is the only place to
observe. For the length of a trace, `Value.data` is swapped for a property on the class (a lock
and a count make concurrent traces safe; other threads see plain floats, only slower). The same
property notes every Value created, so that nodes no output depends on are replayed as well.
"""

from __future__ import annotations

import linecache
import math
import numbers
import operator
import sys
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from engine.core.value import Value, sequence_mark
from engine.replay.errors import TraceError
from engine.replay.symbolic import literal

__all__ = ["Probe", "Logit", "Recorder", "recording", "where"]

_member = Value.__dict__["data"]  # the slot descriptor Value's data lives in
_lock = threading.Lock()
_installed = 0
_local = threading.local()


def where(depth: int = 2) -> str:
    """``file:line: source`` of the innermost caller outside the engine."""
    frame: Any = sys._getframe(depth)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("engine."):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{frame.f_code.co_filename}:{frame.f_lineno}: {line}"


class Recorder:
    """What one trace saw: the guards, ``(values, fn, expected, code, where, mark)`` each (`mark`
    is a `sequence_mark` taken when the comparison ran: it decides before any node made after
    it), every Value created (so that nodes no output uses are replayed too: eager computes
    them, and raises if their op fails), and the log_softmax shifts: ``id(constant) ->
    (constant, the logits it is the max of)``."""

    def __init__(self) -> None:
        self.guards: list[tuple[tuple[Value, ...], Callable, object, str, str, int]] = []
        self.created: list[Value] = []
        self.shifts: dict[int, tuple[Value, tuple[Value, ...]]] = {}
        self.logit_frame: Any = None  # the generator of log_softmax reading its logits now
        self.logits: list[Value] = []
        self.pending: tuple[Value, ...] | None = None  # a shift being turned into a constant


def _log_softmax_code() -> Any:
    from engine.functional.softmax import log_softmax

    return log_softmax.__code__


def _recorder() -> Recorder | None:
    return getattr(_local, "recorder", None)


def _read(node: Value) -> float:
    value = _member.__get__(node, Value)
    if getattr(_local, "recorder", None) is None:
        return value
    frame = sys._getframe(1)
    if frame.f_globals.get("__name__", "").startswith("engine."):
        if frame.f_code in _COMPARING:  # ``a > b`` on Values (max, min): the function decides
            return Probe(value, (node,), _identity, "{0}")
        outer = frame.f_back
        if outer is not None and outer.f_code is _LOG_SOFTMAX[0]:
            recorder = _local.recorder
            if recorder.logit_frame is not frame:  # a new log_softmax call
                recorder.logit_frame, recorder.logits = frame, []
            recorder.logits.append(node)
            return Logit(value, recorder.logits)
        return value  # the engine's own reads (forward rules) are not decisions of the function
    return Probe(value, (node,), _identity, "{0}")


def _write(node: Value, value: float) -> None:
    _member.__set__(node, value)
    recorder = getattr(_local, "recorder", None)
    if recorder is not None:
        recorder.created.append(node)
        if recorder.pending is not None:  # the constant ``x - m`` makes of a log_softmax max
            recorder.shifts[id(node)] = (node, recorder.pending)
            recorder.pending = None


_LOG_SOFTMAX: list[Any] = [None]  # log_softmax's code object, found when a trace starts


def _comparing_codes() -> frozenset:
    """The code of Value's comparisons (``a < b``, ``max(a, b)``): their reads of ``.data`` are
    the function's decisions, so they return probes and the comparison becomes a guard."""
    from engine.core import value

    methods = [getattr(Value, name) for name in ("__lt__", "__le__", "__gt__", "__ge__")]
    return frozenset(f.__code__ for f in [*methods, value._compared])


_COMPARING = _comparing_codes()


class Logit(float):
    """A logit as `engine.log_softmax` reads it during a trace (``max(x.data for x in xs)``).

    Its comparisons are a float's (max picks the eager max, no guard). The max then answers
    ``m != 0.0 and m - m == 0.0`` (shift or not?) with yes, and turns into the constant of
    ``x - m`` as `engine.replay.layout.max_shift` of the logits: m itself, or 0.0 where eager
    does not shift. The constant is noted as a shift, which every replay recomputes.
    """

    __slots__ = ("group",)
    group: list

    def __new__(cls, value: float, group: list) -> Logit:
        logit = float.__new__(cls, value)
        logit.group = group
        return logit

    def __ne__(self, other: object) -> bool:
        return True  # shift always: by 0.0 where eager would not (the same numbers)

    def __sub__(self, other: float) -> float:
        if other is self:
            return 0.0  # ``m - m == 0.0``: finite, as far as the branch is concerned
        return float.__sub__(self, other)

    __hash__ = float.__hash__

    def __float__(self) -> float:
        from engine.replay.layout import max_shift

        group = tuple(self.group)
        recorder = _recorder()
        if recorder is not None:
            recorder.pending = group
        return max_shift(*(float.__float__(_member.__get__(v, Value)) for v in group))


def _identity(v: float) -> float:
    return v


def _shift(code: str, k: int, n: int) -> str:
    """`code` with placeholders {0}..{n-1} renumbered to {k}..{k+n-1}."""
    return code.format(*(f"{{{i + k}}}" for i in range(n)))


_BINARY = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
    "//": operator.floordiv,
    "%": operator.mod,
}
_COMPARE = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


def _plain(x: object) -> bool:
    return type(x) is not bool and isinstance(x, numbers.Real) and not isinstance(x, Probe)


def _combine(a: Any, symbol: str, b: Any) -> tuple | None:
    """(deps, fn, code) of ``a <symbol> b`` where one side is a probe; None if not a number."""
    fn = _BINARY.get(symbol) or _COMPARE[symbol]
    if isinstance(a, Probe) and isinstance(b, Probe):
        k, fa, fb = len(a.deps), a.fn, b.fn
        code = f"({a.code} {symbol} {_shift(b.code, k, len(b.deps))})"
        return a.deps + b.deps, lambda *v: fn(fa(*v[:k]), fb(*v[k:])), code
    if isinstance(a, Probe) and _plain(b):
        fa, bv = a.fn, float(b)
        return a.deps, lambda *v: fn(fa(*v), bv), f"({a.code} {symbol} {literal(bv)})"
    if isinstance(b, Probe) and _plain(a):
        fb, av = b.fn, float(a)
        return b.deps, lambda *v: fn(av, fb(*v)), f"({literal(av)} {symbol} {b.code})"
    return None


def _guard(deps: tuple, fn: Callable, expected: object, code: str) -> None:
    recorder = _recorder()
    if recorder is not None:
        recorder.guards.append((deps, fn, expected, code, where(3), sequence_mark()))


def _arithmetic(symbol: str, reflected: bool = False):
    op = _BINARY[symbol]

    def method(self, other):
        a, b = (other, self) if reflected else (self, other)
        parts = _combine(a, symbol, b)
        if parts is None:
            return NotImplemented
        value = op(
            float.__float__(a) if isinstance(a, Probe) else a,
            float.__float__(b) if isinstance(b, Probe) else b,
        )
        return Probe(value, *parts) if isinstance(value, float) else value

    return method


def _comparison(symbol: str):
    op = _COMPARE[symbol]

    def method(self, other):
        parts = _combine(self, symbol, other)
        if parts is None:
            return NotImplemented
        other_value = float.__float__(other) if isinstance(other, Probe) else other
        outcome = op(float.__float__(self), other_value)
        _guard(parts[0], parts[1], outcome, parts[2])
        return outcome

    return method


def _rounding(name: str, fn: Callable):
    def method(self, *args):
        result = fn(float.__float__(self), *args)
        f = self.fn
        _guard(self.deps, lambda *v: fn(f(*v), *args), result, f"{name}({self.code})")
        return result

    return method


class Probe(float):
    """A float read from ``.data`` during a trace: it remembers the Values it depends on.

    ``deps`` are those Values, ``fn(*their values)`` recomputes the number, ``code`` shows it
    with placeholders ``{0}``, ``{1}``...
    """

    __slots__ = ("deps", "fn", "code")
    deps: tuple
    fn: Callable
    code: str

    def __new__(cls, value: float, deps: tuple, fn: Callable, code: str) -> Probe:
        probe = float.__new__(cls, value)
        probe.deps, probe.fn, probe.code = deps, fn, code
        return probe

    __add__, __radd__ = _arithmetic("+"), _arithmetic("+", True)
    __sub__, __rsub__ = _arithmetic("-"), _arithmetic("-", True)
    __mul__, __rmul__ = _arithmetic("*"), _arithmetic("*", True)
    __truediv__, __rtruediv__ = _arithmetic("/"), _arithmetic("/", True)
    __pow__, __rpow__ = _arithmetic("**"), _arithmetic("**", True)
    __floordiv__, __rfloordiv__ = _arithmetic("//"), _arithmetic("//", True)
    __mod__, __rmod__ = _arithmetic("%"), _arithmetic("%", True)
    __gt__, __ge__ = _comparison(">"), _comparison(">=")
    __lt__, __le__ = _comparison("<"), _comparison("<=")
    __eq__, __ne__ = _comparison("=="), _comparison("!=")
    __hash__ = float.__hash__
    __int__ = _rounding("int", int)
    __trunc__ = _rounding("trunc", math.trunc)
    __floor__ = _rounding("floor", math.floor)
    __ceil__ = _rounding("ceil", math.ceil)
    __round__ = _rounding("round", round)

    def __neg__(self) -> Probe:
        f = self.fn
        return Probe(-float.__float__(self), self.deps, lambda *v: -f(*v), f"(-{self.code})")

    def __pos__(self) -> Probe:
        return self

    def __abs__(self) -> Probe:
        f = self.fn
        return Probe(
            abs(float.__float__(self)), self.deps, lambda *v: abs(f(*v)), f"abs({self.code})"
        )

    def __bool__(self) -> bool:
        outcome = float.__float__(self) != 0.0
        f = self.fn
        _guard(self.deps, lambda *v: f(*v) != 0.0, outcome, f"({self.code} != 0.0)")
        return outcome

    def __float__(self) -> float:
        value = float.__float__(self)
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if _recorder() is not None and caller.startswith("engine."):
            shown = self.code.format(*("v" for _ in self.deps))
            raise TraceError(
                f"{where(2)}\n  a number read from .data ({shown} = {value!r}) flows back into "
                f"the graph as a constant: a replay would keep it frozen while the inputs "
                f"change. Use the Value itself instead of its .data."
            )
        return value


@contextmanager
def recording() -> Iterator[Recorder]:
    """Within the block, ``.data`` read on this thread outside the engine returns probes."""
    global _installed
    if _recorder() is not None:
        raise TraceError("trace() inside a traced function is not supported")
    recorder = Recorder()
    if _LOG_SOFTMAX[0] is None:
        _LOG_SOFTMAX[0] = _log_softmax_code()
    with _lock:
        if _installed == 0:
            type.__setattr__(Value, "data", property(_read, _write, doc=_member.__doc__))
        _installed += 1
    _local.recorder = recorder
    try:
        yield recorder
    finally:
        _local.recorder = None
        recorder.logit_frame = None
        with _lock:
            _installed -= 1
            if _installed == 0:
                type.__setattr__(Value, "data", _member)
