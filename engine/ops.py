"""The op table: every operation's forward and its local derivatives, side by side.

Reverse-mode differentiation needs exactly two facts about each primitive ``out = f(x, ...)``:

* the forward rule, which computes ``out`` from the inputs, and
* the local derivatives ``∂out/∂x``, ``∂out/∂y``, ... evaluated at those inputs.

The chain rule then does the rest: if ``out_bar = ∂L/∂out`` is known, every input receives
``x_bar += out_bar · ∂out/∂x``. This file is the only place that knows an op's maths. The engine
(`engine.value`), the narrated steps, the drawing and `gradcheck` all read this table, so adding an
op is one row here plus one row in ``tests/engine/test_ops.py``.

Each local-derivative rule is a small named function of the op's inputs and its output. Rules use
plain arithmetic plus the functions of a *maths namespace* ``m`` (``m.exp``, ``m.sigmoid``, ...).
The engine passes `FLOAT_MATH`, which works on Python floats; because Values support the same
arithmetic and the same functions, the very same rules can later run on Values (higher-order
gradients) or on arrays (replaying a graph over a batch) by passing another namespace.

Rule signatures, by arity:

* unary   ``rule(m, x, out, arg)``  (``arg`` is the op's constant parameter, e.g. α of leaky_relu)
* binary  ``rule(m, x, y, out)``
* n-ary   ``rule(m, xs, out)``      (``xs`` is a tuple)

Each returns a tuple with one local derivative per input.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable

__all__ = [
    "Op",
    "OPS",
    "FLOAT_MATH",
    "register",
    "describe_call",
    "stable_sigmoid",
    "stable_softplus",
]

SQRT_2 = math.sqrt(2.0)
SQRT_2PI = math.sqrt(2.0 * math.pi)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


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
    """sign(x) ∈ {-1, 0, 1}; sign(0) = 0 as in PyTorch."""
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)


def _xlogy(x: float, y: float) -> float:
    """x·ln(y), taken as 0 where x = 0 (the limit of x·ln(x) at 0; scipy's and PyTorch's choice)."""
    return 0.0 if x == 0.0 else x * math.log(y)


def _if_pos(x: float, then: float, otherwise: float) -> float:
    """`then` where x > 0, else `otherwise` (the selection is not differentiated)."""
    return then if x > 0.0 else otherwise


FLOAT_MATH = SimpleNamespace(
    exp=math.exp,
    log=math.log,
    sqrt=math.sqrt,
    sin=math.sin,
    cos=math.cos,
    tanh=math.tanh,
    erf=math.erf,
    sigmoid=stable_sigmoid,
    softplus=stable_softplus,
    sign=_sign,
    if_pos=_if_pos,
    xlogy=_xlogy,
)
"""The maths namespace for rules evaluated on Python floats (what `backward()` uses)."""


# --------------------------------------------------------------------------------------------
# The row type
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One row of the op table.

    name:      the op name stored on every node it makes (``Value.op``).
    arity:     1, 2, or -1 for n-ary (a tuple of inputs).
    forward:   floats -> float. Unary forwards take ``(x, arg)``; binary ``(x, y)``; n-ary ``(xs)``.
    local:     the local-derivative rule (see the module docstring).
    formula:   how the forward reads, e.g. ``"tanh(x)"``; inputs are named x, y (n-ary: x_i).
    derivatives: one human formula per input, e.g. ``("1 - tanh(x)²",)``; n-ary ops give one
               formula for every x_i. ``out`` names the op's output, ``α``/``β``/``c`` its arg.
    symbol:    a short label for drawings ("+", "×", "tanh").
    domain:    the inputs the forward accepts, in words, for error messages ("x > 0").
    arg_name:  the name of the constant parameter of a unary op ("alpha", "beta", "c"), if any.
    """

    name: str
    arity: int
    forward: Callable
    local: Callable
    formula: str
    derivatives: tuple[str, ...]
    symbol: str
    domain: str = "any real x"
    arg_name: str | None = None


OPS: dict[str, Op] = {}
"""Every op by name. `register` adds a row."""


def register(op: Op) -> Op:
    """Add `op` to the table (replacing a row of the same name) and return it."""
    if op.arity not in (1, 2, -1):
        raise ValueError(f"Op {op.name!r}: arity must be 1, 2 or -1 (n-ary), got {op.arity!r}")
    OPS[op.name] = op
    return op


def describe_call(op: Op, inputs: tuple, arg: object) -> str:
    """``log(x=0.0)`` or ``div(x=1.0, y=0.0)`` or ``pow(x=2.0, c=3.0)``: an op call with values."""
    if op.arity == -1:
        shown = ", ".join(repr(x) for x in inputs[:6]) + (", ..." if len(inputs) > 6 else "")
        return f"{op.name}([{shown}])"
    names = ("x", "y")
    parts = [f"{names[i]}={x!r}" for i, x in enumerate(inputs)]
    if op.arg_name is not None:
        parts.append(f"{op.arg_name}={arg!r}")
    return f"{op.name}({', '.join(parts)})"


# --------------------------------------------------------------------------------------------
# Forward functions that need a check Python's float arithmetic does not make
# --------------------------------------------------------------------------------------------


def _pow_forward(x: float, c: float) -> float:
    """x ** c for a constant exponent c; a negative base needs an integer exponent."""
    if x < 0.0 and not float(c).is_integer():
        raise ValueError(f"a negative base needs an integer exponent, got {x!r} ** {c!r}")
    return x**c


def _pow_value_forward(x: float, y: float) -> float:
    """x ** y with both sides Values; a negative base needs an integer exponent."""
    if x < 0.0 and not y.is_integer():
        raise ValueError(f"a negative base needs an integer exponent, got {x!r} ** {y!r}")
    return x**y


def _logsumexp_forward(xs: tuple[float, ...]) -> float:
    """log Σ e^(x_i) = x_max + log Σ e^(x_i - x_max): no term exceeds e^0 = 1."""
    if not xs:
        raise ValueError("logsumexp needs at least one value, got an empty list")
    x_max = max(xs)
    if math.isinf(x_max):
        return x_max
    return x_max + math.log(math.fsum(math.exp(x - x_max) for x in xs))


# --------------------------------------------------------------------------------------------
# Local-derivative rules, one small named function each
# --------------------------------------------------------------------------------------------
# Arithmetic


def add_rule(m, x, y, out):
    """∂(x + y)/∂x = 1, ∂(x + y)/∂y = 1."""
    return 1.0, 1.0


def sub_rule(m, x, y, out):
    """∂(x - y)/∂x = 1, ∂(x - y)/∂y = -1."""
    return 1.0, -1.0


def mul_rule(m, x, y, out):
    """∂(x·y)/∂x = y, ∂(x·y)/∂y = x."""
    return y, x


def div_rule(m, x, y, out):
    """∂(x/y)/∂x = 1/y, ∂(x/y)/∂y = -x/y²."""
    return 1.0 / y, -x / (y * y)


def neg_rule(m, x, out, arg):
    """∂(-x)/∂x = -1."""
    return (-1.0,)


def pow_rule(m, x, out, c):
    """∂(x^c)/∂x = c·x^(c-1) for a constant exponent c."""
    return (c * x ** (c - 1),)


def pow_value_rule(m, x, y, out):
    """∂(x^y)/∂x = y·x^(y-1), ∂(x^y)/∂y = x^y·ln(x) (0 where x^y = 0, as PyTorch; x < 0 fails)."""
    return y * x ** (y - 1), m.xlogy(out, x)


# Elementary functions


def exp_rule(m, x, out, arg):
    """∂e^x/∂x = e^x = out."""
    return (out,)


def log_rule(m, x, out, arg):
    """∂ln(x)/∂x = 1/x."""
    return (1.0 / x,)


def sqrt_rule(m, x, out, arg):
    """∂√x/∂x = 1/(2√x) = 0.5/out (infinite at x = 0)."""
    return (0.5 / out,)


def abs_rule(m, x, out, arg):
    """∂|x|/∂x = sign(x), with sign(0) = 0 (PyTorch's choice)."""
    return (m.sign(x),)


def sin_rule(m, x, out, arg):
    """∂sin(x)/∂x = cos(x)."""
    return (m.cos(x),)


def cos_rule(m, x, out, arg):
    """∂cos(x)/∂x = -sin(x)."""
    return (-m.sin(x),)


def erf_rule(m, x, out, arg):
    """∂erf(x)/∂x = (2/√π)·e^(-x²)."""
    return (TWO_OVER_SQRT_PI * m.exp(-x * x),)


# Activations (the table of the activation-function lecture, seed 003)


def tanh_rule(m, x, out, arg):
    """∂tanh(x)/∂x = 1 - tanh(x)² = 1 - out²."""
    return (1.0 - out * out,)


def sigmoid_rule(m, x, out, arg):
    """∂σ(x)/∂x = σ(x)(1 - σ(x)) = out(1 - out)."""
    return (out * (1.0 - out),)


def relu_rule(m, x, out, arg):
    """∂max(0, x)/∂x = 1 if x > 0 else 0; at the kink x = 0 we take 0, as PyTorch does."""
    return (m.if_pos(x, 1.0, 0.0),)


def leaky_relu_rule(m, x, out, alpha):
    """∂leaky_relu(x)/∂x = 1 if x > 0 else α; at x = 0 we take α, as PyTorch does."""
    return (m.if_pos(x, 1.0, alpha),)


def elu_rule(m, x, out, alpha):
    """∂elu(x)/∂x = 1 if x > 0 else α·e^x = out + α (α at x = 0, as PyTorch)."""
    return (m.if_pos(x, 1.0, out + alpha),)


def softplus_rule(m, x, out, arg):
    """∂ln(1 + e^x)/∂x = 1/(1 + e^(-x)) = σ(x)."""
    return (m.sigmoid(x),)


def swish_rule(m, x, out, beta):
    """∂(x·σ(βx))/∂x = σ(βx) + βx·σ(βx)(1 - σ(βx)) = s + β·out·(1 - s), with s = σ(βx)."""
    s = m.sigmoid(beta * x)
    return (s + beta * out * (1.0 - s),)


def gelu_rule(m, x, out, arg):
    """∂(x·Φ(x))/∂x = Φ(x) + x·φ(x), Φ(x) = ½(1 + erf(x/√2)), φ(x) = e^(-x²/2)/√(2π)."""
    return (0.5 * (1.0 + m.erf(x / SQRT_2)) + x * m.exp(-0.5 * x * x) / SQRT_2PI,)


def binary_step_rule(m, x, out, arg):
    """∂sign(x)/∂x = 0 for x ≠ 0; undefined at 0, where we take 0 (PyTorch's sign' = 0)."""
    return (0.0,)


# Reductions


def logsumexp_rule(m, xs, out):
    """∂/∂x_i log Σ_j e^(x_j) = e^(x_i - out) = softmax(x)_i."""
    return tuple(m.exp(x - out) for x in xs)


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------

# fmt: off
for _row in (
    #  name          arity forward                                   local rule
    Op("add",          2, lambda x, y: x + y,                        add_rule,
       "x + y", ("1", "1"), "+"),
    Op("sub",          2, lambda x, y: x - y,                        sub_rule,
       "x - y", ("1", "-1"), "-"),
    Op("mul",          2, lambda x, y: x * y,                        mul_rule,
       "x · y", ("y", "x"), "×"),
    Op("div",          2, lambda x, y: x / y,                        div_rule,
       "x / y", ("1/y", "-x/y²"), "÷", "y ≠ 0"),
    Op("neg",          1, lambda x, _: -x,                           neg_rule,
       "-x", ("-1",), "neg"),
    Op("pow",          1, _pow_forward,                              pow_rule,
       "x^c", ("c·x^(c-1)",), "^", "x ≥ 0, or an integer c; x ≠ 0 if c < 0", "c"),
    Op("pow_value",    2, _pow_value_forward,                        pow_value_rule,
       "x^y", ("y·x^(y-1)", "x^y·ln(x)"), "^", "x > 0 (or an integer y)"),
    Op("exp",          1, lambda x, _: math.exp(x),                  exp_rule,
       "e^x", ("e^x",), "exp", "x ≤ 709.78"),
    Op("log",          1, lambda x, _: math.log(x),                  log_rule,
       "ln(x)", ("1/x",), "log", "x > 0"),
    Op("sqrt",         1, lambda x, _: math.sqrt(x),                 sqrt_rule,
       "√x", ("1/(2√x)",), "sqrt", "x ≥ 0"),
    Op("abs",          1, lambda x, _: abs(x),                       abs_rule,
       "|x|", ("sign(x)",), "abs"),
    Op("sin",          1, lambda x, _: math.sin(x),                  sin_rule,
       "sin(x)", ("cos(x)",), "sin", "finite x"),
    Op("cos",          1, lambda x, _: math.cos(x),                  cos_rule,
       "cos(x)", ("-sin(x)",), "cos", "finite x"),
    Op("erf",          1, lambda x, _: math.erf(x),                  erf_rule,
       "erf(x)", ("(2/√π)·e^(-x²)",), "erf"),
    Op("tanh",         1, lambda x, _: math.tanh(x),                 tanh_rule,
       "tanh(x)", ("1 - tanh(x)²",), "tanh"),
    Op("sigmoid",      1, lambda x, _: stable_sigmoid(x),            sigmoid_rule,
       "σ(x) = 1/(1 + e^-x)", ("σ(x)·(1 - σ(x))",), "σ"),
    Op("relu",         1, lambda x, _: x if x > 0.0 else 0.0,        relu_rule,
       "max(0, x)", ("1 if x > 0 else 0",), "relu"),
    Op("leaky_relu",   1, lambda x, a: x if x > 0.0 else a * x,      leaky_relu_rule,
       "x if x > 0 else α·x", ("1 if x > 0 else α",), "leaky_relu", arg_name="alpha"),
    Op("elu",          1, lambda x, a: x if x > 0.0 else a * math.expm1(x), elu_rule,
       "x if x > 0 else α·(e^x - 1)", ("1 if x > 0 else α·e^x",), "elu", arg_name="alpha"),
    Op("softplus",     1, lambda x, _: stable_softplus(x),           softplus_rule,
       "ln(1 + e^x)", ("σ(x)",), "softplus"),
    Op("swish",        1, lambda x, b: x * stable_sigmoid(b * x),    swish_rule,
       "x·σ(βx)", ("σ(βx) + βx·σ(βx)·(1 - σ(βx))",), "swish", arg_name="beta"),
    Op("gelu",         1, lambda x, _: 0.5 * x * (1.0 + math.erf(x / SQRT_2)), gelu_rule,
       "x·Φ(x) = ½x(1 + erf(x/√2))", ("Φ(x) + x·φ(x)",), "gelu"),
    Op("binary_step",  1, lambda x, _: _sign(x),                     binary_step_rule,
       "sign(x)", ("0",), "step"),
    Op("logsumexp",   -1, _logsumexp_forward,                        logsumexp_rule,
       "log Σ e^(x_i)", ("e^(x_i - out)",), "logsumexp", "a non-empty list"),
):
    register(_row)
# fmt: on
del _row
