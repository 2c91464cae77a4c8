"""The chain rule: one loop over a graph in reverse topological order.

For a root ``L``, visit the nodes outputs-first. Each node ``out`` already holds
``out_bar = ∂L/∂out`` when it is visited, because every node that uses it came earlier. The chain
rule sends it on to each parent ``x``:

    x_bar += out_bar · ∂out/∂x

where ``∂out/∂x`` is the local derivative from the op table (`engine.ops`). Gradients add up, so a
node used twice (``a + a``) receives two contributions. `backward_pass` is the whole algorithm;
`Value.backward()` runs it and `engine.step.backward_steps` runs it narrated (`_backpropagate`).

Infinity and NaN: while every upstream gradient, local derivative and contribution is finite, a
step is exactly ``x_bar += out_bar · ∂out/∂x``. Where one is not (or a rule raises, such as
1/(2√x) at x = 0), that node's step is redone in IEEE 754 arithmetic with the op's PyTorch form
(`Op.vjp`), so a chosen 0 wins over an infinite gradient as in PyTorch. If an input or a parameter
ends up with an inf or NaN gradient that no inf or NaN value caused, backward raises, naming the
op where it started (`engine.ops` states the policy).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from engine.graph import _interior_order_reset, leaves, topological_order
from engine.maths import FLOAT_MATH, IEEE_MATH, IEEEFloat
from engine.ops import OPS, describe_call

if TYPE_CHECKING:
    from engine.value import Value

__all__ = ["local_derivatives", "backward_pass"]

_isfinite = math.isfinite


def local_derivatives(node: Value, m=FLOAT_MATH) -> tuple:
    """∂node/∂parent for each of `node`'s parents, from the op table, evaluated in namespace `m`."""
    op = OPS[node.op]
    parents = node.parents
    if op.arity == 1:
        return op.local(m, parents[0].data, node.data, node.arg)
    if op.arity == 2:
        return op.local(m, parents[0].data, parents[1].data, node.data)
    return op.local(m, tuple(p.data for p in parents), node.data)


def _check_root(root: Value) -> None:
    if not root._recorded:
        raise RuntimeError(
            f"backward() on {root!r}: it was computed while gradient recording was off (inside "
            "no_grad() or after set_grad_enabled(False)), so it has no graph and no gradient can "
            "reach what it was computed from. Compute it with recording on. (PyTorch: element 0 "
            "of tensors does not require grad and does not have a grad_fn)"
        )


_RULES: tuple[int, dict, dict] = (-1, {}, {})


def _rules_by_arity() -> tuple[dict, dict]:
    """{op name: local rule} for the binary and the unary rows, rebuilt when the table changes
    (a backward pass of a small graph should not pay for reading the whole table)."""
    global _RULES
    if _RULES[0] != OPS.version:
        binary = {name: op.local for name, op in OPS.items() if op.arity == 2}
        unary = {name: op.local for name, op in OPS.items() if op.arity == 1}
        _RULES = (OPS.version, binary, unary)
    return _RULES[1], _RULES[2]


def backward_pass(root: Value, seed: float) -> None:
    """Seed ``root.grad`` with `seed` and apply the chain rule to every node `root` depends on.

    Interior gradients are reset first (they hold the latest pass); leaves accumulate. This is
    the hot loop, so `local_derivatives`' dispatch is written out with one table per arity.
    """
    _check_root(root)
    if not root.parents:  # a leaf: ∂root/∂root = 1, accumulated like any leaf's gradient
        root.grad += seed
        return
    order = _interior_order_reset(root)  # interior gradients start again from 0
    root.grad += seed
    binary, unary = _rules_by_arity()
    m = FLOAT_MATH
    careful = None
    for node in reversed(order):
        out_bar = node.grad
        try:
            rule = binary.get(node.op)
            if rule is not None:
                x, y = node.parents
                dx, dy = rule(m, x.data, y.data, node.data)
                cx = out_bar * dx  # x_bar += out_bar · ∂out/∂x
                cy = out_bar * dy  # y_bar += out_bar · ∂out/∂y
                if cx - cx == cy - cy:  # both finite (inf - inf and NaN are NaN): everyday
                    x.grad += cx
                    y.grad += cy
                    continue
            else:
                rule = unary.get(node.op)
                if rule is not None:
                    (x,) = node.parents
                    cx = out_bar * rule(m, x.data, node.data, node.arg)[0]
                    if cx - cx == 0.0:
                        x.grad += cx
                        continue
                else:  # n-ary (logsumexp)
                    parents = node.parents
                    local = OPS[node.op].local(m, tuple(p.data for p in parents), node.data)
                    contributions = [out_bar * d for d in local]
                    if all(c - c == 0.0 for c in contributions):
                        for parent, c in zip(parents, contributions):
                            parent.grad += c
                        continue
        except (ArithmeticError, ValueError):
            pass  # a rule raised (0.5 / 0.0 at √0): the careful step below decides
        careful = _careful_step(node, out_bar, careful, seed)[0]
    if careful is not None:
        careful.check(root)


def _backpropagate(root: Value, seed: float, narrate: bool = True):
    """`backward_pass`, paused after each node (for `engine.step.backward_steps`).

    Yields ``(node, out_bar, local, before)`` for every node, leaves included: its upstream
    gradient, its local derivatives and its parents' gradients before its contributions were
    added (leaves give two empty tuples). With ``narrate=False`` it runs `backward_pass`.
    """
    if not narrate:
        backward_pass(root, seed)
        return
    _check_root(root)
    order = topological_order(root)
    for node in order:
        if node.parents:
            node.grad = 0.0
    root.grad += seed
    careful = None
    for node in reversed(order):
        parents = node.parents
        if not parents:  # a leaf: nothing to pass on, its gradient is final
            if careful is not None:
                careful.check_leaf(node)
            yield node, node.grad, (), ()
            continue
        out_bar = node.grad
        before = tuple(p.grad for p in parents)
        try:
            local = local_derivatives(node)
            contributions = [out_bar * d for d in local]
            finite = all(c - c == 0.0 for c in contributions)
        except (ArithmeticError, ValueError):
            finite = False
        if finite:
            for parent, c in zip(parents, contributions):
                parent.grad += c
        else:
            careful, local = _careful_step(node, out_bar, careful, seed)
        yield node, out_bar, local, before


# --------------------------------------------------------------------------------------------
# The careful step: IEEE arithmetic, PyTorch's form, and who made a gradient non-finite
# --------------------------------------------------------------------------------------------


_SUM_OVERFLOWED = OverflowError("the sum of the gradients reaching the node overflowed")


class _Careful:
    """What the careful steps of one backward pass saw.

    `origin` is the first node (outputs first) whose step turned finite numbers into an inf or
    NaN gradient: its values, its upstream gradient and its inputs were all finite.
    """

    __slots__ = ("origin", "cause", "local", "out_bar", "nonfinite_sent")

    def __init__(self, seed: float) -> None:
        self.origin: Value | None = None
        self.cause: BaseException | None = None
        self.local: tuple = ()
        self.out_bar = 0.0
        self.nonfinite_sent = not _isfinite(seed)  # an inf seed is an input, not an accident

    def check(self, root: Value) -> None:
        """Raise if a leaf's gradient is inf or NaN because of `origin`."""
        if self.origin is not None:
            for leaf in leaves(root):
                self.check_leaf(leaf)

    def check_leaf(self, leaf: Value) -> None:
        """Raise if `leaf`'s final gradient is inf or NaN and `origin` made a gradient so.

        Only leaves whose gradient is asked for count: inputs and parameters, not the numbers
        written into an expression nor values computed under no_grad (PyTorch differentiates
        neither)."""
        if self.origin is not None and leaf._needs_grad and not _isfinite(leaf.grad):
            raise _backward_error(self, leaf)


def _careful_step(
    node: Value, out_bar: float, careful: _Careful | None, seed: float
) -> tuple[_Careful, tuple]:
    """Apply `node`'s chain-rule step in IEEE 754 arithmetic with the op's PyTorch form.

    Returns the (possibly new) record of careful steps and the local derivatives (for narration).
    """
    careful, local, contributions = _careful_contributions(node, out_bar, careful, seed)
    for parent, c in zip(node.parents, contributions):
        parent.grad += c
    return careful, local


def _careful_contributions(
    node: Value, out_bar: float, careful: _Careful | None, seed: float
) -> tuple[_Careful, tuple, tuple]:
    """`_careful_step` without touching ``.grad``: (the record, the local derivatives, what each
    parent receives). `engine.autograd` sums the contributions into a dictionary instead."""
    if careful is None:
        careful = _Careful(seed)
    op = OPS[node.op]
    parents = node.parents
    cause = None
    try:  # plain floats first, only to learn what went wrong for the error message
        local_derivatives(node)
    except (ArithmeticError, ValueError) as exc:
        cause = exc
    g = IEEEFloat(out_bar)
    out = IEEEFloat(node.data)
    xs = tuple(IEEEFloat(p.data) for p in parents)
    try:
        if op.arity == -1:
            local = op.local(IEEE_MATH, xs, out)
        elif op.arity == 1:
            local = op.local(IEEE_MATH, xs[0], out, node.arg)
        else:
            local = op.local(IEEE_MATH, xs[0], xs[1], out)
    except (ArithmeticError, ValueError):  # a rule IEEE arithmetic cannot evaluate: undefined
        local = (math.nan,) * len(parents)
    if op.vjp is None:
        contributions = tuple(float(g * d) for d in local)
    elif op.arity == -1:
        contributions = tuple(float(c) for c in op.vjp(IEEE_MATH, g, xs, out))
    elif op.arity == 1:
        contributions = tuple(float(c) for c in op.vjp(IEEE_MATH, g, xs[0], out, node.arg))
    else:
        contributions = tuple(float(c) for c in op.vjp(IEEE_MATH, g, xs[0], xs[1], out))
    sent_nonfinite = not all(_isfinite(c) for c in contributions)
    values_finite = _isfinite(node.data) and all(_isfinite(x) for x in xs)
    if careful.origin is None and values_finite:
        if _isfinite(out_bar) and sent_nonfinite:  # this step made finite numbers non-finite
            careful.origin, careful.cause = node, cause
        elif not _isfinite(out_bar) and not careful.nonfinite_sent:  # a sum overflowed
            careful.origin, careful.cause = node, _SUM_OVERFLOWED
        if careful.origin is node:
            careful.local, careful.out_bar = tuple(float(d) for d in local), out_bar
    careful.nonfinite_sent = careful.nonfinite_sent or sent_nonfinite
    return careful, tuple(float(d) for d in local), contributions


def _backward_error(careful: _Careful, leaf: Value, grad: float | None = None) -> Exception:
    """The exception for a non-finite gradient of `leaf` (`grad`, default ``leaf.grad``), naming
    the op where it started."""
    node = careful.origin
    assert node is not None
    op = OPS[node.op]
    call = describe_call(op, tuple(p.data for p in node.parents), node.arg)
    which = f"{leaf.label!r}" if leaf.label else repr(leaf)
    result = f"so the gradient of {which} is {leaf.grad if grad is None else grad!r}"
    shown = ", ".join(repr(d) for d in careful.local)
    local = f"the local derivative ({', '.join(op.derivatives)})"
    cause = careful.cause
    if cause is _SUM_OVERFLOWED:
        return OverflowError(
            f"backward through {call}: the sum of the gradients reaching it overflows a float "
            f"({careful.out_bar!r}), {result}"
        )
    if isinstance(cause, ZeroDivisionError):  # the rule divides by zero: √x at 0
        return ZeroDivisionError(f"backward through {call}: {local} is infinite there, {result}")
    if isinstance(cause, ValueError) or any(d != d for d in careful.local):
        return ValueError(
            f"backward through {call}: {local} is undefined there ({shown}), {result}"
        )
    if any(math.isinf(d) for d in careful.local):
        return OverflowError(f"backward through {call}: {local} overflows a float there, {result}")
    return OverflowError(
        f"backward through {call}: the upstream gradient {careful.out_bar!r} times {local} = "
        f"{shown} overflows a float, {result}"
    )
