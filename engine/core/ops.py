"""The op table: every operation's forward and its local derivatives, side by side.

Reverse-mode differentiation needs exactly two facts about each primitive ``out = f(x, ...)``:

* the forward rule, which computes ``out`` from the inputs, and
* the local derivatives ``∂out/∂x``, ``∂out/∂y``, ... evaluated at those inputs.

The chain rule then does the rest: if ``out_bar = ∂L/∂out`` is known, every input receives
``x_bar += out_bar · ∂out/∂x``. This file is the only place that knows an op's maths. The engine
(`engine.core.value`), the narrated steps, the drawing and `gradcheck` all read this table, so
adding an op is one row here plus its case in ``tests/engine/core/op_cases.py``.

Each local-derivative rule is a small named function of the op's inputs and its output. Rules use
plain arithmetic plus the functions of a *maths namespace* ``m`` (``m.exp``, ``m.sigmoid``, ...).
The engine passes `FLOAT_MATH` (`engine.core.maths`), which works on Python floats; because Values
support the same arithmetic and the same functions, the very same rules can later run on Values
(higher-order gradients) or on arrays (replaying a graph over a batch) by passing another
namespace.

Rule signatures, by arity:

* unary   ``rule(m, x, out, arg)``  (``arg`` is the op's constant parameter, e.g. α of leaky_relu)
* binary  ``rule(m, x, y, out)``
* n-ary   ``rule(m, xs, out)``      (``xs`` is a tuple)

Each returns a tuple with one local derivative per input, in a form that keeps the answer: from
the inputs where a rounded output has lost it (elu: α·e^x, not out + α), with erfc, expm1, log1p
where 1 ± something cancels. (tanh and σ use their output as PyTorch does: exact to 1e-16.)

Infinity, NaN and errors (the policy; tests/engine/core/test_fuzz_torch.py checks it against
PyTorch):

* Domain errors raise where the bad value enters, naming op and value: ``log(0)``, ``log(-1)``,
  ``sqrt(-1)``, ``x / 0``, ``0 ** -1``, a negative base (-inf too) with a non-integer exponent,
  ``sin(inf)``, a finite input whose result overflows. PyTorch gives inf or NaN there.
* NaN in gives NaN out for every op (``relu(nan)`` is nan; ``binary_step(nan)`` is nan, where
  ``torch.sign`` gives 0), but for IEEE's ``nan ** 0 = 1`` and ``1 ** nan = 1``. Infinite
  inputs follow IEEE arithmetic (``exp(-inf) = 0``, ``inf - inf = nan``).
* Backward gives PyTorch float64's gradients wherever those are finite. A chosen 0 (relu at
  x ≤ 0, binary_step, ``x ** 0``, the base of ``x ** y`` at y = 0) wins over an infinite
  upstream gradient, as PyTorch's ``where`` does: such rows have a ``vjp`` (the step written as
  PyTorch writes it), used where an upstream gradient or a local derivative is not finite. So
  ``relu(x).sqrt()`` at x < 0 gives x.grad = 0.
* Where a gradient really is not finite — an input's or a parameter's gradient becomes inf or
  NaN, starting at an op whose values and upstream gradient were finite — `backward()` raises,
  naming that op: ZeroDivisionError for an infinite local derivative (√x at 0), OverflowError
  for an overflow, ValueError for an undefined one (∂(x^y)/∂y at x < 0). NaN or inf already in
  the values gives NaN or inf gradients without an error, as in PyTorch; so do constants
  written into an expression (PyTorch does not differentiate them), and a sum of finite
  contributions that overflows right at a leaf.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Callable

from engine.core.maths import (
    FLOAT_MATH,
    _gelu_forward,
    _logsumexp_forward,
    _pow_forward,
    _pow_value_forward,
    _step,
    stable_sigmoid,
    stable_softplus,
)

__all__ = [
    "Op",
    "OPS",
    "FLOAT_MATH",
    "register",
    "unregister",
    "table_version",
    "describe_call",
    "stable_sigmoid",
    "stable_softplus",
]

SQRT_2 = math.sqrt(2.0)
SQRT_2PI = math.sqrt(2.0 * math.pi)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


# --------------------------------------------------------------------------------------------
# The row type
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
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
    vjp:       optional: the chain-rule step as PyTorch writes it, ``vjp(m, g, x, out, arg)``
               (binary ``vjp(m, g, x, y, out)``, n-ary ``vjp(m, g, xs, out)``) -> each input's
               contribution for an upstream gradient g. `backward()` uses it instead of
               ``g · local`` only where g or a local derivative is not finite; a row that
               chooses a 0 (relu, ``x ** 0``) needs one so the chosen 0 wins over g = inf.
    methods:   the `Value` methods made from this row: ``("tanh",)`` gives ``x.tanh()``; a binary
               row's ``("__add__",)`` gives ``x + y`` and the reflected ``2 + x`` too.
    arg_default: the default of the constant parameter in the method (``leaky_relu(alpha=0.01)``).
    activation: a neuron may use it as its activation g (`nn`'s ``activation="tanh"``).
    torch:     the same op in PyTorch float64, ``torch(t, x, arg)`` (binary ``torch(t, x, y)``,
               n-ary ``torch(t, xs)``) with ``t`` the torch module, so this file never imports
               it. `nn.to_torch` builds activations from it; the tests compare against it.
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
    vjp: Callable | None = None
    methods: tuple[str, ...] = ()
    arg_default: float | None = None
    activation: bool = False
    torch: Callable | None = None


OPS: dict[str, Op] = {}
"""Every op by name. Change it through `register` and `unregister`, which count the changes."""

_changes = [0]  # how many times `register`/`unregister` changed the table


def register(op: Op) -> Op:
    """Add `op` to the table (replacing a row of the same name) and return it."""
    if op.arity not in (1, 2, -1):
        raise ValueError(f"Op {op.name!r}: arity must be 1, 2 or -1 (n-ary), got {op.arity!r}")
    OPS[op.name] = op
    _changes[0] += 1
    return op


def unregister(name: str) -> Op:
    """Remove the row `name` from the table and return it (KeyError naming it if there is none)."""
    if name not in OPS:
        raise KeyError(f"no op {name!r} in the op table")
    _changes[0] += 1
    return OPS.pop(name)


def table_version() -> int:
    """A number that changes whenever `register` or `unregister` changes the table, so what is
    derived from it (a compiled program) can tell it is out of date."""
    return _changes[0]


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


def _forward_error(op: Op, exc: Exception, inputs: tuple, arg: object) -> Exception:
    """Re-raise a forward failure as the same exception type, naming the op and the values."""
    call = describe_call(op, inputs, arg)
    if isinstance(exc, OverflowError):
        return OverflowError(f"{call} overflows a float (needs {op.domain})")
    if isinstance(exc, ZeroDivisionError):
        return ZeroDivisionError(f"{call}: division by zero (needs {op.domain})")
    return ValueError(f"{call} is undefined: it needs {op.domain} ({exc})")


def _check_overflow(op: Op, data: float, parents: tuple, arg: object) -> None:
    """Raise OverflowError if `data` is infinite although every input was finite."""
    inputs = tuple(p.data for p in parents)
    if all(math.isfinite(x) for x in inputs) and math.isinf(data):
        raise OverflowError(f"{describe_call(op, inputs, arg)} overflows a float (result {data!r})")


def _method_doc(op: Op) -> str:
    """A method's docstring, read off its op row: the formula, each local derivative, the domain."""
    inputs = ("x", "y")[: max(op.arity, 1)]
    parts = ", ".join(f"∂/∂{name} = {formula}" for name, formula in zip(inputs, op.derivatives))
    doc = f"{op.formula}  (op {op.name!r});  {parts}."
    if op.domain != "any real x":
        doc += f" Needs {op.domain}."
    return doc + "\n\n" + (op.local.__doc__ or "")


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
    """∂(x/y)/∂x = 1/y, ∂(x/y)/∂y = -x/y² = -out/y (y² itself would underflow for tiny y)."""
    return 1.0 / y, -out / y


def div_vjp(m, g, x, y, out):
    """PyTorch's division backward: g/y and -g·(out/y), finite even where 1/y overflows."""
    return g / y, -g * (out / y)


def neg_rule(m, x, out, arg):
    """∂(-x)/∂x = -1."""
    return (-1.0,)


def pow_rule(m, x, out, c):
    """∂(x^c)/∂x = c·x^(c-1), and 0 for c = 0 (x^0 = 1 is a constant, even at x = 0)."""
    if c == 0.0:
        return (0.0,)
    return (c * x ** (c - 1),)


def pow_vjp(m, g, x, out, c):
    """PyTorch's pow_backward: a chosen 0 for c = 0 (whatever g is), else g·(c·x^(c-1))."""
    return (0.0 if c == 0.0 else g * (c * x ** (c - 1)),)


def pow_value_rule(m, x, y, out):
    """∂(x^y)/∂x = y·x^(y-1), 0 where y = 0; ∂(x^y)/∂y = x^y·ln(x), 0 where x = 0 (as PyTorch)
    and undefined (NaN) for x < 0, even where x^y underflows to 0."""
    return (
        m.if_nonpos(abs(y), 0.0, y * x ** (y - 1)),
        m.if_nonpos(abs(x), 0.0, out * m.log(x)),
    )


def pow_value_vjp(m, g, x, y, out):
    """PyTorch's pow backward: the base's 0 at y = 0 is chosen (it wins over an infinite g); the
    exponent's 0 at x = 0 (for y ≥ 0; 0 ** -inf is inf) is multiplied by g."""
    dx = 0.0 if y == 0.0 else g * (y * x ** (y - 1))
    return dx, g * (0.0 if x == 0.0 and y >= 0.0 else out * m.log(x))


# Elementary functions


def exp_rule(m, x, out, arg):
    """∂e^x/∂x = e^x = out."""
    return (out,)


def log_rule(m, x, out, arg):
    """∂ln(x)/∂x = 1/x."""
    return (1.0 / x,)


def log_vjp(m, g, x, out, arg):
    """PyTorch's form g/x: finite even where 1/x overflows (a tiny x, a tiny g)."""
    return (g / x,)


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
    """∂tanh(x)/∂x = 1 - tanh(x)² = 1 - out², as PyTorch (exact to 1e-16; once tanh(x) rounds to
    ±1, for |x| > 19, it is 0 where the true value is below 1e-16)."""
    return (1.0 - out * out,)


def sigmoid_rule(m, x, out, arg):
    """∂σ(x)/∂x = σ(x)(1 - σ(x)) = out(1 - out), as PyTorch (exact to 1e-16)."""
    return (out * (1.0 - out),)


def relu_rule(m, x, out, arg):
    """∂max(0, x)/∂x = 1 if x > 0 else 0; 0 at the kink x = 0 and 1 at NaN, as PyTorch."""
    return (m.if_nonpos(x, 0.0, 1.0),)


def relu_vjp(m, g, x, out, arg):
    """PyTorch's threshold_backward: a chosen 0 where x ≤ 0 (it wins over an infinite g), else g."""
    return (0.0 if x <= 0.0 else g,)


def leaky_relu_rule(m, x, out, alpha):
    """∂leaky_relu(x)/∂x = 1 if x > 0 else α; α at x = 0 and at NaN, as PyTorch."""
    return (m.if_pos(x, 1.0, alpha),)


def elu_rule(m, x, out, alpha):
    """∂elu(x)/∂x = 1 if x > 0 else α·e^x, from x (out + α cancels); α at x = 0, 1 at NaN."""
    return (m.if_nonpos(x, alpha * m.exp(x), 1.0),)


def softplus_rule(m, x, out, arg):
    """∂ln(1 + e^x)/∂x = 1/(1 + e^(-x)) = σ(x)."""
    return (m.sigmoid(x),)


def swish_rule(m, x, out, beta):
    """∂(x·σ(βx))/∂x = σ(βx) + βx·σ(βx)(1 - σ(βx)) = s + β·out·(1 - s), with s = σ(βx)."""
    s = m.sigmoid(beta * x)
    return (s + beta * out * (1.0 - s),)


def gelu_rule(m, x, out, arg):
    """∂(x·Φ(x))/∂x = Φ(x) + x·φ(x), Φ(x) = ½erfc(-x/√2), φ(x) = e^(-x²/2)/√(2π)."""
    return (0.5 * m.erfc(-x / SQRT_2) + x * m.exp(-0.5 * x * x) / SQRT_2PI,)


def binary_step_rule(m, x, out, arg):
    """∂sign(x)/∂x = 0 for x ≠ 0; undefined at 0, where we take 0 (PyTorch's sign' = 0)."""
    return (0.0,)


def binary_step_vjp(m, g, x, out, arg):
    """PyTorch's sign backward: 0 whatever g is, even an infinite or NaN one."""
    return (0.0,)


def softsign_rule(m, x, out, arg):
    """∂(x/(1 + |x|))/∂x = 1/(1 + |x|)², squared after the division (no overflow for huge x);
    NaN where the forward gave NaN (x = ±inf: inf/inf), as PyTorch."""
    t = 1.0 / (1.0 + abs(x))
    return (m.if_nonpos(abs(out) - 1.0, t * t, out),)


def hardtanh_rule(m, x, out, arg):
    """∂clip(x, -1, 1)/∂x = 1 if -1 < x < 1 else 0; 0 at ±1 and 1 at NaN, as PyTorch."""
    return (m.if_nonpos(1.0 - abs(x), 0.0, 1.0),)


def hardtanh_vjp(m, g, x, out, arg):
    """PyTorch's hardtanh_backward: a chosen 0 outside (-1, 1) (it wins over an infinite g)."""
    return (0.0 if x <= -1.0 or x >= 1.0 else g,)


# Reductions


def logsumexp_rule(m, xs, out):
    """∂/∂x_i log Σ_j e^(x_j) = e^(x_i - out) = softmax(x)_i, divided by the sum of those terms:
    mathematically 1, it removes the rounding of out (logsumexp(x, x, x) = x + ln 3 rounds to x
    when x is large, and e^(x - out) would be 1 instead of 1/3)."""
    terms = [m.exp(x - out) for x in xs]
    total = sum(terms)
    return tuple(t / total for t in terms)


def logsumexp_vjp(m, g, xs, out):
    """PyTorch's form g·e^(x_i - out), used where something is not finite: with an infinite
    x_j, the other x_i still get 0 (the rule's sum would spread a NaN)."""
    return tuple(g * m.exp(x - out) for x in xs)


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------


def _torch_softplus(t, x, _):
    """softplus in torch, exact in float64: torch switches to x above `threshold`, and
    ln(1 + e^x) rounds to x from x = 37 on."""
    return t.nn.functional.softplus(x, threshold=40.0)


def _torch_step(t, x, _):
    """sign(x) in torch, NaN kept (torch.sign gives 0 there), gradient 0 as torch.sign's."""
    return t.where(t.isnan(x), x.detach(), t.sign(x))


# fmt: off
for _row in (
    #  name          arity forward                                   local rule
    Op("add",          2, operator.add,                              add_rule,
       "x + y", ("1", "1"), "+", methods=("__add__",),
       torch=lambda t, x, y: x + y),
    Op("sub",          2, operator.sub,                              sub_rule,
       "x - y", ("1", "-1"), "-", methods=("__sub__",),
       torch=lambda t, x, y: x - y),
    Op("mul",          2, operator.mul,                              mul_rule,
       "x · y", ("y", "x"), "×", methods=("__mul__",),
       torch=lambda t, x, y: x * y),
    Op("div",          2, operator.truediv,                          div_rule,
       "x / y", ("1/y", "-x/y²"), "÷", "y ≠ 0", vjp=div_vjp, methods=("__truediv__",),
       torch=lambda t, x, y: x / y),
    Op("neg",          1, lambda x, _: -x,                           neg_rule,
       "-x", ("-1",), "neg", methods=("__neg__",),
       torch=lambda t, x, _: -x),
    Op("pow",          1, _pow_forward,                              pow_rule,
       "x^c", ("c·x^(c-1)",), "^", "x ≥ 0, or an integer c; x ≠ 0 if c < 0", "c", pow_vjp,
       torch=lambda t, x, c: x**c),
    Op("pow_value",    2, _pow_value_forward,                        pow_value_rule,
       "x^y", ("y·x^(y-1)", "x^y·ln(x)"), "^", "x > 0 (or an integer y)", vjp=pow_value_vjp,
       torch=lambda t, x, y: x**y),
    Op("exp",          1, lambda x, _: math.exp(x),                  exp_rule,
       "e^x", ("e^x",), "exp", "x ≤ 709.78", methods=("exp",),
       torch=lambda t, x, _: t.exp(x)),
    Op("log",          1, lambda x, _: math.log(x),                  log_rule,
       "ln(x)", ("1/x",), "log", "x > 0", vjp=log_vjp, methods=("log",),
       torch=lambda t, x, _: t.log(x)),
    Op("sqrt",         1, lambda x, _: math.sqrt(x),                 sqrt_rule,
       "√x", ("1/(2√x)",), "sqrt", "x ≥ 0", methods=("sqrt",),
       torch=lambda t, x, _: t.sqrt(x)),
    Op("abs",          1, lambda x, _: abs(x),                       abs_rule,
       "|x|", ("sign(x)",), "abs", methods=("abs", "__abs__"),
       torch=lambda t, x, _: t.abs(x)),
    Op("sin",          1, lambda x, _: math.sin(x),                  sin_rule,
       "sin(x)", ("cos(x)",), "sin", "finite x", methods=("sin",),
       torch=lambda t, x, _: t.sin(x)),
    Op("cos",          1, lambda x, _: math.cos(x),                  cos_rule,
       "cos(x)", ("-sin(x)",), "cos", "finite x", methods=("cos",),
       torch=lambda t, x, _: t.cos(x)),
    Op("erf",          1, lambda x, _: math.erf(x),                  erf_rule,
       "erf(x)", ("(2/√π)·e^(-x²)",), "erf", methods=("erf",),
       torch=lambda t, x, _: t.erf(x)),
    Op("tanh",         1, lambda x, _: math.tanh(x),                 tanh_rule,
       "tanh(x)", ("1 - tanh(x)²",), "tanh", methods=("tanh",), activation=True,
       torch=lambda t, x, _: t.tanh(x)),
    Op("sigmoid",      1, lambda x, _: stable_sigmoid(x),            sigmoid_rule,
       "σ(x) = 1/(1 + e^-x)", ("σ(x)·(1 - σ(x))",), "σ", methods=("sigmoid",), activation=True,
       torch=lambda t, x, _: t.sigmoid(x)),
    Op("relu",         1, lambda x, _: 0.0 if x < 0.0 else x,        relu_rule,
       "max(0, x)", ("1 if x > 0 else 0",), "relu", vjp=relu_vjp, methods=("relu",),
       activation=True,
       torch=lambda t, x, _: t.relu(x)),
    Op("leaky_relu",   1, lambda x, a: x if x > 0.0 else a * x,      leaky_relu_rule,
       "x if x > 0 else α·x", ("1 if x > 0 else α",), "leaky_relu", arg_name="alpha",
       methods=("leaky_relu",), activation=True, arg_default=0.01,
       torch=lambda t, x, a: t.nn.functional.leaky_relu(x, a)),
    Op("elu",          1, lambda x, a: x if x > 0.0 else a * math.expm1(x), elu_rule,
       "x if x > 0 else α·(e^x - 1)", ("1 if x > 0 else α·e^x",), "elu", arg_name="alpha",
       methods=("elu",), activation=True, arg_default=1.0,
       torch=lambda t, x, a: t.nn.functional.elu(x, a)),
    Op("softplus",     1, lambda x, _: stable_softplus(x),           softplus_rule,
       "ln(1 + e^x)", ("σ(x)",), "softplus", methods=("softplus",), activation=True,
       torch=_torch_softplus),
    Op("swish",        1, lambda x, b: x * stable_sigmoid(b * x),    swish_rule,
       "x·σ(βx)", ("σ(βx) + βx·σ(βx)·(1 - σ(βx))",), "swish", arg_name="beta",
       methods=("swish",), activation=True, arg_default=1.0,
       torch=lambda t, x, b: x * t.sigmoid(b * x)),
    Op("gelu",         1, _gelu_forward,                             gelu_rule,
       "x·Φ(x) = ½x(1 + erf(x/√2))", ("Φ(x) + x·φ(x)",), "gelu", methods=("gelu",),
       activation=True,
       torch=lambda t, x, _: t.nn.functional.gelu(x)),
    Op("binary_step",  1, lambda x, _: _step(x),                     binary_step_rule,
       "sign(x)", ("0",), "step", vjp=binary_step_vjp, methods=("binary_step",), activation=True,
       torch=_torch_step),
    Op("softsign",     1, lambda x, _: x / (1.0 + abs(x)),           softsign_rule,
       "x/(1 + |x|)", ("1/(1 + |x|)²",), "softsign", methods=("softsign",), activation=True,
       torch=lambda t, x, _: t.nn.functional.softsign(x)),
    Op("hardtanh",     1, lambda x, _: -1.0 if x < -1.0 else (1.0 if x > 1.0 else x), hardtanh_rule,
       "clip(x, -1, 1)", ("1 if -1 < x < 1 else 0",), "hardtanh", vjp=hardtanh_vjp,
       methods=("hardtanh",), activation=True, torch=lambda t, x, _: t.nn.functional.hardtanh(x)),
    Op("logsumexp",   -1, _logsumexp_forward,                        logsumexp_rule,
       "log Σ e^(x_i)", ("e^(x_i - out)",), "logsumexp", "a non-empty list", vjp=logsumexp_vjp,
       torch=lambda t, xs: t.logsumexp(t.stack(list(xs)), 0)),
):
    register(_row)
# fmt: on
del _row
