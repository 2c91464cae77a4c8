"""Symbolic execution of the op table: each op's forward and local-derivative rule, run once on
placeholder symbols, gives the Python expression a generated program evaluates.

A `Sym` stands for a number and records, as Python source, every operation applied to it:
``Sym("x") * Sym("y")`` is ``Sym("(x * y)")``. Running ``mul_rule(m, x, y, out)`` on symbols
returns ``(y, x)``; running the tanh rule returns ``(1.0 - (out * out),)``. The op table stays the
only place that knows an op's maths: replay never has a second copy of a forward or a rule.

Comparisons make conditions. When a rule branches (``1.0 if x > 0.0 else 0.0``) the function is
run once per outcome and the results are joined into a conditional expression: ``(a if c else
b)`` for floats, ``where(c, a, b)`` for numpy arrays. Maths functions (``m.exp``, ``math.expm1``)
become calls; small pure ones (``m.if_pos``, ``m.sign``) are inlined. Whatever cannot be run
symbolically (``float(x)``, ``math.fsum`` of a generator, a branch that raises) makes the op fall
back to calling its own function from the table at run time.
"""

from __future__ import annotations

import inspect
import math
import threading
import types
from typing import Any, Callable

from engine.core.ops import FLOAT_MATH, OPS

__all__ = ["Sym", "NotSymbolic", "Expr", "forward_expr", "rule_exprs", "placeholder", "unbracket"]

_MAX_PATHS = 16
_state = threading.local()


class NotSymbolic(Exception):
    """Raised when a function does something a symbol cannot stand for."""


def placeholder(name: str) -> str:
    """The text standing for operand `name` in an expression (replaced by a variable name)."""
    return f"\x00{name}\x00"


def fill(code: str, names: dict[str, str]) -> str:
    """`code` with every placeholder replaced by its name."""
    for key, name in names.items():
        code = code.replace(placeholder(key), name)
    return code


# --------------------------------------------------------------------------------------------
# Symbols
# --------------------------------------------------------------------------------------------


def literal(x: object) -> str:
    """Python source for a symbol or a number (negative and non-finite numbers bracketed)."""
    if type(x) is Sym:
        return x.code
    if type(x) is bool or not isinstance(x, (int, float)):
        raise NotSymbolic(f"not a number: {type(x).__name__}")
    x = float(x) if not isinstance(x, int) else x
    if isinstance(x, float) and not math.isfinite(x):
        return "_NAN" if math.isnan(x) else ("_INF" if x > 0 else "(-_INF)")
    text = repr(x)
    return f"({text})" if text.startswith("-") else text


def _calls(*xs: object) -> bool:
    return any(type(x) is Sym and x.calls for x in xs)


def _binary(a: object, op: str, b: object) -> Sym:
    return Sym(f"({literal(a)} {op} {literal(b)})", _calls(a, b))


def _op(symbol: str, reflected: bool = False):
    """The operator method ``self <symbol> other`` (or ``other <symbol> self``)."""

    def method(self, other):
        return _binary(other, symbol, self) if reflected else _binary(self, symbol, other)

    return method


class Sym:
    """A number known only by the Python expression that computes it."""

    __slots__ = ("code", "calls")

    def __init__(self, code: str, calls: bool = False) -> None:
        self.code = code
        self.calls = calls  # does the expression call a function?

    def __repr__(self) -> str:
        return f"Sym({self.code!r})"

    __add__, __radd__ = _op("+"), _op("+", True)
    __sub__, __rsub__ = _op("-"), _op("-", True)
    __mul__, __rmul__ = _op("*"), _op("*", True)
    __truediv__, __rtruediv__ = _op("/"), _op("/", True)
    __pow__, __rpow__ = _op("**"), _op("**", True)
    __gt__, __ge__, __lt__, __le__ = _op(">"), _op(">="), _op("<"), _op("<=")
    __eq__, __ne__ = _op("=="), _op("!=")
    __hash__ = object.__hash__

    def __neg__(self):
        return Sym(f"(-{self.code})", self.calls)

    def __pos__(self):
        return self

    def __abs__(self):
        return Sym(f"abs({self.code})", self.calls)

    def __bool__(self) -> bool:
        explorer = getattr(_state, "explorer", None)
        if explorer is None:
            raise NotSymbolic("a condition outside a symbolic run")
        return explorer.decide(self.code)

    def _not_symbolic(self, *args: object) -> Any:
        raise NotSymbolic("needs a concrete number")

    __float__ = __int__ = __index__ = __round__ = __trunc__ = __floor__ = __ceil__ = _not_symbolic
    __complex__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _not_symbolic

    def __getattr__(self, name: str) -> Any:  # x.is_integer(), x.real, ...
        raise NotSymbolic(f"attribute {name!r} of a symbol")


class _SymFunction:
    """A maths function called on symbols: renders ``m.exp(x)`` (or inlines a small pure one)."""

    def __init__(self, code_name: str, inline: Callable | None = None) -> None:
        self.code_name = code_name
        self.inline = inline

    def __call__(self, *args: object) -> Any:
        if self.inline is not None:
            return self.inline(*args)
        return Sym(f"{self.code_name}({', '.join(literal(a) for a in args)})", True)


# --------------------------------------------------------------------------------------------
# The maths namespaces as symbols
# --------------------------------------------------------------------------------------------

_FLOAT_MATH_NAMES = {id(fn): name for name, fn in vars(FLOAT_MATH).items()}


def _rebound(fn: Callable) -> Callable:
    """`fn` with its module's `math` and FLOAT_MATH functions replaced by symbolic ones."""
    if not isinstance(fn, types.FunctionType):
        return fn
    env = dict(fn.__globals__)
    for key, value in fn.__globals__.items():
        if value is math:
            env[key] = _SYM_MATH_MODULE
        elif callable(value) and id(value) in _FLOAT_MATH_NAMES and value is not fn:
            env[key] = _sym_math_function(_FLOAT_MATH_NAMES[id(value)])
    return types.FunctionType(fn.__code__, env, fn.__name__, fn.__defaults__, fn.__closure__)


_inline_cache: dict[str, _SymFunction] = {}


def _sym_math_function(name: str) -> _SymFunction:
    """``m.<name>`` as a symbol function, inlined when its body is pure arithmetic."""
    if name in _inline_cache:
        return _inline_cache[name]
    fn = getattr(FLOAT_MATH, name)
    result = _SymFunction(f"m.{name}")
    _inline_cache[name] = result  # provisional: guards against self-reference
    if isinstance(fn, types.FunctionType):
        try:
            arity = len(inspect.signature(fn).parameters)
            args = [Sym(placeholder(f"a{i}")) for i in range(arity)]
            tree = explore(_rebound(fn), args)
            if not tree.raises and not tree.calls and tree.paths <= 4:
                result = _SymFunction(f"m.{name}", inline=_rebound(fn))
        except (NotSymbolic, TypeError, ValueError):
            pass
    _inline_cache[name] = result
    return result


class _SymMath:
    """Stands for the ``math`` module: ``math.tanh(x)`` renders as ``m.tanh(x)`` when FLOAT_MATH
    has that very function, else as ``math.<name>(x)``."""

    def __getattr__(self, name: str) -> Any:
        fn = getattr(math, name)
        if not callable(fn):
            return fn  # math.pi, math.inf
        if id(fn) in _FLOAT_MATH_NAMES:
            return _sym_math_function(_FLOAT_MATH_NAMES[id(fn)])
        return _SymFunction(f"math.{name}")


class _SymNamespace:
    """Stands for a maths namespace ``m`` passed to a rule."""

    def __getattr__(self, name: str) -> Any:
        if not hasattr(FLOAT_MATH, name):
            raise NotSymbolic(f"the maths namespace has no {name!r}")
        return _sym_math_function(name)


_SYM_MATH_MODULE = _SymMath()
SYM_M = _SymNamespace()


# --------------------------------------------------------------------------------------------
# Running a function once per branch outcome
# --------------------------------------------------------------------------------------------


class _Explorer:
    """Answers each condition of one run: from `prefix` first, then True (queueing False)."""

    def __init__(self, prefix: tuple[bool, ...]) -> None:
        self.prefix = prefix
        self.taken: list[tuple[str, bool]] = []
        self.queued: list[tuple[bool, ...]] = []

    def decide(self, code: str) -> bool:
        i = len(self.taken)
        if i < len(self.prefix):
            outcome = self.prefix[i]
        else:
            outcome = True
            self.queued.append(tuple(o for _, o in self.taken) + (False,))
        self.taken.append((code, outcome))
        return outcome


class Expr:
    """The result of a symbolic run: a decision tree whose leaves are results (or raises).

    A leaf is ``("leaf", result, raised)``; a branch is ``("if", condition code, then, else)``.
    """

    __slots__ = ("tree", "raises", "calls", "paths")

    def __init__(self, tree: tuple, raises: bool, calls: bool, paths: int) -> None:
        self.tree = tree
        self.raises = raises
        self.calls = calls
        self.paths = paths

    def component(self, i: int | None, target: str) -> str:
        """Source for result component `i` (None: the whole result) as floats or numpy."""
        return _render(self.tree, i, target)


def explore(fn: Callable, args: list) -> Expr:
    """Run `fn(*args)` on symbols once per combination of branch outcomes."""
    runs = []
    pending: list[tuple[bool, ...]] = [()]
    outer = getattr(_state, "explorer", None)
    try:
        while pending:
            explorer = _Explorer(pending.pop())
            _state.explorer = explorer
            try:
                result, raised = fn(*args), False
            except (ValueError, ZeroDivisionError, OverflowError):
                result, raised = None, True
            except NotSymbolic:
                raise
            except Exception as exc:  # anything else a symbol cannot do
                raise NotSymbolic(f"{type(exc).__name__}: {exc}") from None
            runs.append((explorer.taken, result, raised))
            pending.extend(explorer.queued)
            if len(runs) > _MAX_PATHS:
                raise NotSymbolic("too many branches")
    finally:
        _state.explorer = outer
    tree = _tree(runs, 0)
    raises = any(raised for _, _, raised in runs)
    calls = any(_result_calls(result) for _, result, _ in runs)
    return Expr(tree, raises, calls, len(runs))


def _result_calls(result: object) -> bool:
    items = result if isinstance(result, tuple) else (result,)
    return _calls(*items)


def _tree(runs: list, depth: int) -> tuple:
    if len(runs) == 1 and len(runs[0][0]) == depth:
        _, result, raised = runs[0]
        return ("leaf", result, raised)
    code = runs[0][0][depth][0]
    yes = [r for r in runs if r[0][depth][1]]
    no = [r for r in runs if not r[0][depth][1]]
    return ("if", code, _tree(yes, depth + 1), _tree(no, depth + 1))


def _render(tree: tuple, i: int | None, target: str) -> str:
    if tree[0] == "leaf":
        _, result, raised = tree
        if raised:
            raise NotSymbolic("a branch raises")
        if i is not None:
            if not isinstance(result, tuple) or i >= len(result):
                raise NotSymbolic("a rule must return a tuple")
            result = result[i]
        return literal(result)
    _, code, yes, no = tree
    a, b = _render(yes, i, target), _render(no, i, target)
    if a == b:
        return a
    if target == "numpy":
        return f"_where({unbracket(code)}, {a}, {b})"
    return f"({a} if {unbracket(code)} else {b})"


def unbracket(code: str) -> str:
    """``(x > 0.0)`` -> ``x > 0.0`` when the brackets enclose the whole expression."""
    if not (code.startswith("(") and code.endswith(")")):
        return code
    depth = 0
    for i, ch in enumerate(code):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(code) - 1:
            return code
    return code[1:-1]


# --------------------------------------------------------------------------------------------
# An op's forward and rule as expressions
# --------------------------------------------------------------------------------------------


def _operands(arity: int, k: int) -> list:
    if arity == -1:
        return [tuple(Sym(placeholder(f"x{j}")) for j in range(k))]
    return [Sym(placeholder(name)) for name in ("x", "y")[:arity]]


_forward_cache: dict[tuple, Expr | None] = {}
_rule_cache: dict[tuple, Expr | None] = {}


def forward_expr(op_name: str, arg: object, k: int) -> Expr | None:
    """The forward of `op_name` (with constant `arg`, `k` inputs) as symbols, or None."""
    op = OPS[op_name]
    key = (op, arg, k)  # the row itself: a replaced row gets new code
    if key not in _forward_cache:
        args = _operands(op.arity, k)
        if op.arity == 1:
            args.append(arg)
        try:
            _forward_cache[key] = explore(_rebound(op.forward), args)
        except NotSymbolic:
            _forward_cache[key] = None
    return _forward_cache[key]


def rule_exprs(op_name: str, arg: object, k: int) -> Expr | None:
    """The local-derivative rule of `op_name` as symbols (a tuple per leaf), or None."""
    op = OPS[op_name]
    key = (op, arg, k)
    if key not in _rule_cache:
        out = Sym(placeholder("out"))
        if op.arity == 1:
            args = [SYM_M, Sym(placeholder("x")), out, arg]
        elif op.arity == 2:
            args = [SYM_M, Sym(placeholder("x")), Sym(placeholder("y")), out]
        else:
            args = [SYM_M, *_operands(-1, k), out]
        try:
            _rule_cache[key] = explore(_rebound(op.local), args)
        except NotSymbolic:
            _rule_cache[key] = None
    return _rule_cache[key]
