"""Write your own op: a forward rule and its local derivative, in one call, like a row of the table.

    from engine import Value, gradcheck
    from engine.functional.custom import define_op

    cube = define_op(
        "cube",
        forward=lambda x: x**3,
        derivative=lambda x: 3 * x**2,        # ∂out/∂x, the local derivative
        formula="x³",
        derivatives="3·x²",
    )
    y = cube(Value(2.0, label="a"))          # a node with op "cube": 8
    y.backward()                              # the chain rule uses your derivative: a.grad = 12
    gradcheck(lambda a: cube(a) * 2, [1.5])   # your derivative against finite differences

The op is added to the op table (`engine.core.ops.OPS`), so everything that reads the table works
with
it: ``backward()``, the narrated steps and the Stepper (with your formulas), drawings and
`gradcheck`. An op takes one input (``forward(x)``) or two (``forward(x, y)``); the derivative
takes the same inputs, plus the op's output if it asks for one more argument
(``derivative(x, out)``, handy when the derivative is written with the output, like
``1 - out²`` for tanh), and returns ∂out/∂x, or for two inputs the pair (∂out/∂x, ∂out/∂y).

A wrong derivative is a lab's classic bug: `gradcheck` names the input whose gradient is off.
Defining an op again under the same name replaces it (re-running a notebook cell); the built-in
ops cannot be replaced. Your derivative is evaluated on floats (not on Values), so custom ops
take part in first derivatives only.
"""

from __future__ import annotations

import builtins
import inspect
import keyword
import numbers
import re
from typing import Callable, Sequence

from engine.core.ops import OPS, Op, register, unregister
from engine.core.value import Value, apply_op, as_value

__all__ = ["define_op", "CustomOp", "lecture_relu"]

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_BUILT_IN = frozenset(OPS)  # the table as shipped: these rows are not replaced


class CustomOp:
    """A user-defined op, callable on Values or numbers: ``op(x)`` or ``op(x, y)`` -> Value.

    ``name``, ``arity`` and ``row`` (its `engine.core.ops.Op`) describe it. `remove()` takes the
    row out of the table again (putting back the row it replaced, if any); used as a context
    manager (``with define_op(...) as cube: ...``) the op is removed at the end of the block.
    """

    __slots__ = ("name", "arity", "row", "replaced", "__dict__")

    def __init__(self, row: Op, replaced: Op | None = None) -> None:
        self.name = row.name
        self.arity = row.arity
        self.row = row
        self.replaced = replaced
        inputs = ("x", "y")[: row.arity]
        parts = ", ".join(f"∂out/∂{n} = {d}" for n, d in zip(inputs, row.derivatives))
        self.__doc__ = f"{row.formula}  (custom op {row.name!r});  {parts}."

    def __call__(self, *inputs: Value | float) -> Value:
        if len(inputs) != self.arity:
            raise TypeError(
                f"{self.name} takes {self.arity} input{'s' if self.arity > 1 else ''}, "
                f"got {len(inputs)}"
            )
        current = OPS.get(self.name)
        if current is None:
            register(self.row)  # defined lazily, or the table was reset (tests do that)
        elif current is not self.row:
            raise RuntimeError(
                f"the op {self.name!r} was redefined since this function was made; "
                f"use the function the latest define_op returned"
            )
        values = tuple(as_value(x, f"{self.name} input") for x in inputs)
        return apply_op(self.row, values)

    def __repr__(self) -> str:
        return f"<custom op {self.name}: {self.row.formula}>"

    def remove(self) -> None:
        """Take this op's row out of the op table, and put back the row it replaced (if any).
        Nothing happens if the table no longer holds this row."""
        if OPS.get(self.name) is not self.row:
            return
        unregister(self.name)
        if self.replaced is not None:
            register(self.replaced)

    def __enter__(self) -> CustomOp:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


def _arity(forward: Callable, given: int | None) -> int:
    if given is not None:
        if given not in (1, 2):
            raise ValueError(f"define_op: arity must be 1 or 2, got {given!r}")
        return given
    try:
        parameters = inspect.signature(forward).parameters.values()
    except (TypeError, ValueError):
        raise TypeError("define_op: cannot read forward's inputs; pass arity=1 or 2") from None
    positional = [
        p
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if len(positional) not in (1, 2) or any(p.kind is p.VAR_POSITIONAL for p in parameters):
        raise ValueError(
            f"define_op: forward must take 1 or 2 inputs, it takes {len(positional)}; "
            f"pass arity=1 or 2 if it is written with *args"
        )
    return len(positional)


def _wants_output(derivative: Callable, arity: int) -> bool:
    """True if `derivative` takes one more positional argument than the op has inputs (out)."""
    try:
        parameters = inspect.signature(derivative).parameters.values()
    except (TypeError, ValueError):
        return False
    count = sum(
        1
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    )
    if count not in (arity, arity + 1):
        raise ValueError(
            f"define_op: derivative must take the op's {arity} input(s), or those and the "
            f"output, got {count} argument(s)"
        )
    return count == arity + 1


def _first_derivatives_only(name: str) -> TypeError:
    """The error for a custom op met by a gradient built as a graph (create_graph=True)."""
    return TypeError(
        f"the custom op {name!r} (define_op) has first derivatives only: its derivative is "
        f"a function of numbers, so it cannot be built into a gradient graph "
        f"(backward(create_graph=True), grad(create_graph=True), hessian, hvp, vhp, "
        f"gradgradcheck). Use first derivatives of {name!r} only (backward(), grad(), "
        f"jacobian, gradcheck), or write it with the built-in ops, whose derivatives are "
        f"differentiable again"
    )


def _local_rule(name: str, derivative: Callable, arity: int, with_out: bool) -> Callable:
    """The table's local rule for `derivative`: a tuple of `arity` finite-or-not floats."""

    def checked(result: object) -> tuple[float, ...]:
        values = result if isinstance(result, (tuple, list)) else (result,)
        if len(values) != arity:
            raise TypeError(
                f"the derivative of {name} must return {arity} number(s) (one per input), "
                f"got {result!r}"
            )
        out = []
        for v in values:
            if type(v) is bool or not isinstance(v, numbers.Real):
                raise TypeError(
                    f"the derivative of {name} must return numbers, got {type(v).__name__} {v!r}"
                )
            out.append(float(v))
        return tuple(out)

    if arity == 1:

        def unary_rule(m, x, out, arg):
            if isinstance(x, Value):
                raise _first_derivatives_only(name)
            return checked(derivative(x, out) if with_out else derivative(x))

        unary_rule.__doc__ = derivative.__doc__
        return unary_rule

    def binary_rule(m, x, y, out):
        if isinstance(x, Value) or isinstance(y, Value):
            raise _first_derivatives_only(name)
        return checked(derivative(x, y, out) if with_out else derivative(x, y))

    binary_rule.__doc__ = derivative.__doc__
    return binary_rule


def _forward_rule(name: str, forward: Callable, arity: int) -> Callable:
    """The table's forward: floats in, a float out (a non-number result is a clear TypeError)."""

    def checked(result: object) -> float:
        if type(result) is bool or not isinstance(result, numbers.Real):
            raise TypeError(
                f"the forward of {name} must return a number, got {type(result).__name__} "
                f"{result!r}"
            )
        return float(result)

    if arity == 1:
        return lambda x, arg: checked(forward(x))
    return lambda x, y: checked(forward(x, y))


def define_op(
    name: str,
    forward: Callable[..., float],
    derivative: Callable[..., float | Sequence[float]],
    *,
    formula: str | None = None,
    derivatives: str | Sequence[str] | None = None,
    symbol: str | None = None,
    domain: str = "any real x",
    arity: int | None = None,
) -> CustomOp:
    """Add an op to the table and return a function that applies it to Values (or numbers).

    name:        the op's name, stored on every node it makes (letters, digits, _); not a
                 built-in op, a Value attribute (``backward``, ``item``), a Python keyword or
                 builtin (``eval``, ``print``).
    forward:     floats -> float: ``forward(x)`` or ``forward(x, y)``.
    derivative:  the local derivative ∂out/∂x (for two inputs the pair (∂out/∂x, ∂out/∂y)),
                 as a function of the same inputs, or of the inputs and the output ``out``.
    formula:     how the forward reads, in x (and y): ``"x³"``; default ``"name(x)"``.
    derivatives: the local derivative's formula per input, e.g. ``"3·x²"`` (the narration
                 shows it); default ``"∂name/∂x"``.
    symbol:      the short label in drawings (default: the name).
    domain:      the inputs the forward accepts, in words, for error messages.
    arity:       1 or 2; read off `forward`'s signature when not given.

    The op stays in the table until ``op.remove()``; ``with define_op(...) as op:`` removes it at
    the end of the block (and puts back a row of the same name that it replaced).
    """
    row = _row(name, forward, derivative, formula, derivatives, symbol, domain, arity)
    op = CustomOp(row, replaced=OPS.get(name))
    register(op.row)
    return op


def _reserved(name: str) -> str:
    """Why `name` may not name an op (empty if it may): a Value attribute that no op row made
    (``backward``, ``item``, ``zero_grad``, ``data``: ``backward(x)`` in an expression would run
    ``x.backward()``), a Python keyword, or a Python builtin (``eval``, ``open``, ``print``)."""
    made_by_ops = {method for row in OPS.values() for method in row.methods} | set(OPS)
    if hasattr(Value, name) and name not in made_by_ops:
        return "an attribute of Value"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return "a Python keyword"
    if hasattr(builtins, name):
        return "a Python builtin"
    return ""


def _row(
    name: str,
    forward: Callable,
    derivative: Callable,
    formula: str | None,
    derivatives: str | Sequence[str] | None,
    symbol: str | None,
    domain: str,
    arity: int | None,
) -> Op:
    """The op-table row `define_op` registers, after checking every argument."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"define_op: the name must be letters, digits and _ (starting with a letter), "
            f"got {name!r}"
        )
    if name in _BUILT_IN:
        raise ValueError(
            f"define_op: {name!r} is a built-in op of the table; pick another name "
            f"(e.g. 'my_{name}')"
        )
    reserved = _reserved(name)
    if reserved:
        raise ValueError(
            f"define_op: {name!r} is {reserved}, so it cannot name an op (the command line "
            f"would call it as a function of the expression); pick another name (e.g. 'my_{name}')"
        )
    for what, function in (("forward", forward), ("derivative", derivative)):
        if not callable(function):
            raise TypeError(f"define_op: {what} must be a function, got {function!r}")
    n = _arity(forward, arity)
    inputs = ("x", "y")[:n]
    if formula is None:
        formula = f"{name}({', '.join(inputs)})"
    if derivatives is None:
        derivatives = tuple(f"∂{name}/∂{i}" for i in inputs)
    elif isinstance(derivatives, str):
        derivatives = (derivatives,)
    derivatives = tuple(derivatives)
    if len(derivatives) != n or not all(isinstance(d, str) for d in derivatives):
        raise ValueError(
            f"define_op: derivatives needs one formula (a str) per input ({n}), got {derivatives!r}"
        )
    return Op(
        name=name,
        arity=n,
        forward=_forward_rule(name, forward, n),
        local=_local_rule(name, derivative, n, _wants_output(derivative, n)),
        formula=str(formula),
        derivatives=derivatives,
        symbol=name if symbol is None else str(symbol),
        domain=str(domain),
    )


def _relu_at_zero_one(x: float) -> float:
    """1 if x ≥ 0 else 0: the lecture table's relu' (seed 003), 1 at the kink x = 0."""
    return 1.0 if x >= 0.0 else 0.0


lecture_relu = CustomOp(  # registered in the table on its first call
    _row(
        "lecture_relu",
        lambda x: x if x > 0.0 else 0.0,
        _relu_at_zero_one,
        "max(0, x)",
        "1 if x ≥ 0 else 0",
        "relu",
        "any real x",
        1,
    )
)
"""ReLU with the lecture table's derivative at the kink: relu'(0) = 1 (seed 003's ``a ≥ 0``).

``x.relu()`` follows PyTorch, relu'(0) = 0; use ``lecture_relu(x)`` where the lecture's
convention matters. Elsewhere the two are the same function with the same derivative.
"""
