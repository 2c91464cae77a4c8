"""Gradients as numbers or graphs without touching ``.grad``: `grad` (``torch.autograd.grad``).

`grad` runs the one chain-rule walker (`engine.core.chain_rule.walk`) from the outputs, visiting
only the nodes that lead to the inputs, and hands back the inputs' gradients from the pass's own
accumulator: nothing's ``.grad`` is read or written.

With ``create_graph=True`` the walker evaluates the op table's rules with `VALUE_MATH` on the
graph's own nodes, so each local derivative is a little graph and

    x_bar = x_bar + out_bar · ∂out/∂x            (every term a Value)

builds the gradient itself as a graph of ordinary Values. That graph can be printed, drawn,
stepped through and differentiated again, to any order: the derivative of a derivative is just
another backward pass. The op table stays the single source of every derivative, of every order.

Infinity and NaN follow `engine.core.chain_rule`: as numbers, a step that is not finite is redone
by the careful step, and an input's gradient that becomes inf or NaN from finite numbers raises,
naming the op. Gradients as graphs cannot hold such numbers, so with ``create_graph=True`` a step
that is not finite raises at once, naming the op.
"""

from __future__ import annotations

import numbers
from typing import Any, Sequence, Union

from engine.core.chain_rule import Pass, run_pass
from engine.core.maths import FLOAT_MATH
from engine.core.value import VALUE_MATH, Value, as_float, is_grad_enabled

__all__ = ["grad"]

Number = Union[int, float]
Grad = Union[float, Value]  # a gradient while it is being summed: a number or a graph


# --------------------------------------------------------------------------------------------
# grad
# --------------------------------------------------------------------------------------------


def _values(x: object, what: str) -> tuple[Value, ...]:
    """A Value or a non-empty sequence of Values, as a tuple; TypeError naming the bad item."""
    if isinstance(x, Value):
        return (x,)
    if isinstance(x, (str, bytes)) or not hasattr(x, "__iter__"):
        raise TypeError(f"grad: {what} must be a Value or a list of Values, got {x!r}")
    items = tuple(x)
    if not items:
        raise ValueError(f"grad: {what} is empty")
    for i, item in enumerate(items):
        if not isinstance(item, Value):
            raise TypeError(
                f"grad: {what}[{i}] must be a Value, got {type(item).__name__} {item!r}"
                + (" (a number has no gradient: make it a Value)" if what == "inputs" else "")
            )
    return items


def _seeds(grad_outputs: object, outputs: tuple[Value, ...], create_graph: bool) -> list[Grad]:
    """One seed per output: 1.0 by default; numbers, or Values (kept as graphs if create_graph)."""
    if grad_outputs is None:
        return [1.0] * len(outputs)
    if isinstance(grad_outputs, (Value, numbers.Real)) and not isinstance(grad_outputs, bool):
        given: list = [grad_outputs]
    elif isinstance(grad_outputs, (str, bytes)) or not hasattr(grad_outputs, "__iter__"):
        raise TypeError(f"grad: grad_outputs must be numbers or Values, got {grad_outputs!r}")
    else:
        given = list(grad_outputs)
    if len(given) != len(outputs):
        raise ValueError(
            f"grad: {len(given)} grad_outputs for {len(outputs)} outputs (need one per output)"
        )
    seeds: list[Grad] = []
    for i, g in enumerate(given):
        if isinstance(g, Value):
            seeds.append(g if create_graph else g.data)
        else:
            seeds.append(as_float(g, f"grad: grad_outputs[{i}]"))
    return seeds


def _no_graph_in_no_grad(where: str) -> None:
    if not is_grad_enabled():
        raise RuntimeError(
            f"{where}(create_graph=True) inside no_grad(): the gradient would be built as a graph, "
            f"but no_grad() records no graph; call it outside the no_grad() block "
            f"(or pass create_graph=False for numbers)"
        )


def _as_value(g: Grad) -> Value:
    return g if isinstance(g, Value) else Value(g)


def grad(
    outputs: Value | Sequence[Value],
    inputs: Value | Sequence[Value],
    grad_outputs: Number | Value | Sequence[Number | Value] | None = None,
    *,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
) -> tuple[Any, ...]:
    """The gradients ∂(Σ_k v_k · output_k)/∂input_i, one Value per input (PyTorch's names).

    outputs        a Value or a list of Values.
    inputs         a Value or a list of Values (leaves or any node of the graph).
    grad_outputs   the v_k (numbers or Values), one per output; default 1 each.
    create_graph   False: the gradients are constant Values (numbers). True: they are graphs built
                   from the op table's rules, connected to the inputs, so they can be
                   differentiated again (``grad(grad(y, x, create_graph=True)[0], x)`` is
                   ∂²y/∂x²). A gradient may then be a node of your own graph: ∂(x·y)/∂x *is* y.
    allow_unused   an input the outputs do not depend on is an error unless this is True; then
                   its gradient is None (or a constant 0 with ``materialize_grads=True``).
    retain_graph   accepted for PyTorch compatibility: graphs here are never freed.

    Nothing's ``.grad`` is read or written. ``create_graph=True`` inside `no_grad()` is an error.
    """
    del retain_graph  # every graph is kept: nothing to retain
    outs = _values(outputs, "outputs")
    ins = _values(inputs, "inputs")
    if materialize_grads and allow_unused is False:
        raise ValueError("grad: materialize_grads=True needs allow_unused=True (or unset)")
    allow = bool(allow_unused) or materialize_grads
    if create_graph:
        _no_graph_in_no_grad("grad")
    seeds = _seeds(grad_outputs, outs, create_graph)
    p = Pass(outs, seeds, VALUE_MATH if create_graph else FLOAT_MATH)
    targets = set(ins)
    needed: set[Value] = set()
    for node in p.order:  # parents first: a node is needed if it is an input or leads to one
        if node in targets or any(x in needed for x in node.parents):
            needed.add(node)
    unused = [i for i, x in enumerate(ins) if x not in needed]
    if unused and not allow:
        raise ValueError(_unused_message(outs, ins, unused[0]))
    p.restrict(needed)
    run_pass(p, asked=ins)
    results: list[Value | None] = []
    for x in ins:
        if x in needed:
            results.append(_as_value(p.bars.get(x, 0.0)))
        else:
            results.append(Value(0.0) if materialize_grads else None)
    return tuple(results)


def _unused_message(outs: tuple[Value, ...], ins: tuple[Value, ...], i: int) -> str:
    name = f"inputs[{i}] ({ins[i]!r})" if len(ins) > 1 else f"the input {ins[i]!r}"
    text = f"grad: {name} is not used to compute the output"
    if all(not out.parents for out in outs):
        shown = ", ".join(repr(out) for out in outs[:3])
        text += (
            f": the output ({shown}) is a leaf, a constant with no graph behind it. If it came "
            "from grad(), that derivative is constant (its own derivative is 0)"
        )
    return text + (
        ". Pass allow_unused=True to get None for it, or materialize_grads=True to get 0"
    )
