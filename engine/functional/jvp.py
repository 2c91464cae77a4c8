"""Forward mode: Jacobian-vector products from the same op table backward uses (``torch.func.jvp``).

For f: Rⁿ -> Rᵐ with Jacobian J and a direction v (one tangent per input), forward mode computes
J·v in one walk over the graph, inputs first. Every node carries a tangent, ``out_dot``: how fast
it moves when the inputs move along v. The chain rule, read forwards, gives each node's tangent
from its parents':

    out_dot = Σ_i ∂out/∂x_i · x_dot_i

with the same local derivatives ∂out/∂x_i (`engine.core.chain_rule.local_derivatives`, the op
table's rules) that reverse mode multiplies into ``x_bar += out_bar · ∂out/∂x``. One pass gives
one column combination J·v for all m outputs at once; the whole Jacobian takes n passes (one per
input direction), where reverse mode takes m (one per output). So forward mode wins for few inputs
and many outputs, reverse mode (backpropagation) for many inputs and one loss.

Zero tangents and errors: a parent whose tangent is exactly 0 contributes 0 without its local
derivative being used, so a node whose parents all have tangent 0 (a constant, a branch the
direction does not move) gets tangent 0 at once, even where its rule would raise (√x at 0). Where
a rule is needed and raises, or a tangent comes out inf or NaN, `jvp` raises the same kind of
error, naming the op and its values (ZeroDivisionError, OverflowError for an infinite tangent,
ValueError for NaN): this forward mode has no careful IEEE step as backward has.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Sequence, Union

from engine.core.chain_rule import ieee_local_derivatives, local_derivatives
from engine.core.grad_mode import enable_grad
from engine.core.graph import topological_order
from engine.core.ops import OPS, describe_call
from engine.core.value import Value, as_float

__all__ = ["jvp"]

Number = Union[int, float]
Inputs = Union[Number, Value, Sequence[Union[Number, Value]]]
Tangents = Union[Number, Sequence[Number]]


def _is_single(x: object) -> bool:
    """One input or tangent (a Value or a real number), not a sequence of them."""
    return isinstance(x, (Value, numbers.Real)) and not isinstance(x, bool)


def _items(x: object, what: str) -> list:
    """`x` as a non-empty list; TypeError naming `x` if it is neither an item nor a sequence."""
    if isinstance(x, (str, bytes, dict, set, frozenset)) or not hasattr(x, "__iter__"):
        raise TypeError(
            f"jvp: {what} must be a number, a Value or a list of them, got {type(x).__name__} {x!r}"
        )
    items = list(x)
    if not items:
        raise ValueError(f"jvp: {what} is empty (give at least one)")
    return items


def _leaves(inputs: Inputs) -> tuple[tuple[Value, ...], bool]:
    """(fresh leaves made from the inputs' numbers, whether `inputs` was a single item)."""
    single = _is_single(inputs)
    items = [inputs] if single else _items(inputs, "inputs")
    leaves = []
    for i, x in enumerate(items):
        name = "x" if single else f"x{i}"
        where = "jvp: input" if single else f"jvp: inputs[{i}]"
        if isinstance(x, Value):
            leaves.append(Value(x.data, label=x.label or name))
        else:
            leaves.append(Value(as_float(x, where), label=name))
    return tuple(leaves), single


def _tangents(tangents: Tangents, n: int, single: bool) -> tuple[float, ...]:
    """The tangents as floats, one per input and finite; TypeError/ValueError naming the bad one."""
    if single:
        if not _is_single(tangents):
            raise TypeError(
                f"jvp: inputs is a single item, so tangents must be one number, got "
                f"{type(tangents).__name__} {tangents!r}"
            )
        given = [tangents]
    else:
        if _is_single(tangents):
            raise TypeError(
                f"jvp: inputs is a list of {n}, so tangents must be a list of {n} numbers, got "
                f"{type(tangents).__name__} {tangents!r}"
            )
        given = _items(tangents, "tangents")
        if len(given) != n:
            raise ValueError(
                f"jvp: {len(given)} tangents for {n} inputs (need one per input): {tangents!r}"
            )
    out = []
    for i, t in enumerate(given):
        where = "jvp: tangent" if single else f"jvp: tangents[{i}]"
        number = as_float(t, where)
        if not math.isfinite(number):
            raise ValueError(f"{where} must be finite, got {number!r}")
        out.append(number)
    return tuple(out)


def _outputs(out: object) -> tuple[tuple[Value, ...], bool]:
    """(what f returned, as a tuple of Values; whether it was a single Value)."""
    if isinstance(out, Value):
        return (out,), True
    if isinstance(out, (tuple, list)):
        if not out:
            raise TypeError(f"jvp: f must return a Value or a tuple of Values, got {out!r}")
        for i, o in enumerate(out):
            if not isinstance(o, Value):
                raise TypeError(f"jvp: output {i} of f is {type(o).__name__} {o!r}, not a Value")
        return tuple(out), False
    raise TypeError(
        f"jvp: f must return a Value or a tuple of Values, got {type(out).__name__} {out!r}"
        + (" (a number has no tangent: build it from the inputs)" if _is_single(out) else "")
    )


def _call(node: Value) -> str:
    """``log(x=0.0)``: the node's op called on its parents' numbers, for error messages."""
    return describe_call(OPS[node.op], tuple(p.data for p in node.parents), node.arg)


def _node_tangent(node: Value, dots: list[float]) -> float:
    """``out_dot = Σ_i ∂out/∂x_i · x_dot_i`` for an interior node whose parents' tangents are
    `dots` (not all 0); a zero tangent contributes 0 whatever its local derivative is."""
    try:
        local = local_derivatives(node)
    except (ArithmeticError, ValueError) as exc:
        # ln 0 in a branch the rule does not take (x^y at x = 0): IEEE arithmetic tells
        local = ieee_local_derivatives(node)
        if not all(math.isfinite(d) for d, x_dot in zip(local, dots) if x_dot != 0.0):
            raise type(exc)(
                f"jvp: the local derivative of {_call(node)} cannot be evaluated ({exc}), and "
                f"the tangents reaching it, {tuple(dots)!r}, are not all 0"
            ) from None
    out_dot = 0.0
    for d, x_dot in zip(local, dots):
        if x_dot != 0.0:
            out_dot += d * x_dot
    if out_dot - out_dot != 0.0:  # inf or NaN
        kind = OverflowError if out_dot == out_dot else ValueError
        raise kind(
            f"jvp: the tangent of {_call(node)} = {node.data!r} is {out_dot!r} (local derivatives "
            f"{tuple(local)!r}, parents' tangents {tuple(dots)!r})"
        )
    return out_dot


def _forward(outputs: tuple[Value, ...], x_dot: dict[Value, float]) -> tuple[float, ...]:
    """Give every node the outputs depend on its tangent, parents first, in one walk (each node
    once, across all outputs); `x_dot` starts with the inputs' tangents (other leaves: 0)."""
    get = x_dot.get
    for root in outputs:
        for node in topological_order(root, include_leaves=False):
            if node in x_dot:  # placed by an earlier output's walk
                continue
            dots = [get(p, 0.0) for p in node.parents]
            if any(d != 0.0 for d in dots):
                x_dot[node] = _node_tangent(node, dots)
            else:  # nothing reaching it moves: tangent 0, no rule evaluated
                x_dot[node] = 0.0
    return tuple(get(root, 0.0) for root in outputs)


def jvp(
    f: Callable[..., Any], inputs: Inputs, tangents: Tangents
) -> tuple[Value | tuple[Value, ...], float | tuple[float, ...]]:
    """``(f(*inputs), J·tangents)`` in one forward walk: ``torch.func.jvp`` for scalars.

    inputs    a number or a Value, or a non-empty list/tuple of them. f is called on fresh leaf
              Values holding their numbers (one per input), never on the caller's Values.
    tangents  the direction v: one finite number per input, shaped like `inputs` (a number for
              a single input, a list of the same length for a list).

    Returns ``(outputs, tangents_out)``: outputs as f returned them (a Value, or a tuple of
    Values; a list becomes a tuple), and the matching float ``Σ_i ∂out/∂x_i · v_i`` (or tuple
    of floats). Leaves that are not inputs (constants, parameters made inside f) have tangent
    0. f is run with gradient recording on (like torch.func, an outer `no_grad` does not
    apply); a ``no_grad`` block inside f cuts the graph, so what it computes has tangent 0.

    Raises TypeError or ValueError naming the bad item for malformed inputs or tangents, or if f
    returns something other than Values; ZeroDivisionError, OverflowError or ValueError naming
    the op where a needed local derivative raises or a tangent becomes inf or NaN.
    """
    if not callable(f):
        raise TypeError(f"jvp: f must be callable, got {type(f).__name__} {f!r}")
    xs, single = _leaves(inputs)
    v = _tangents(tangents, len(xs), single)
    with enable_grad():
        result = f(*xs)
    outs, single_out = _outputs(result)
    x_dot: dict[Value, float] = dict(zip(xs, v))
    out_dots = _forward(outs, x_dot)
    if single_out:
        return outs[0], out_dots[0]
    return outs, out_dots
