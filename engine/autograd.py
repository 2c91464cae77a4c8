"""Gradients as graphs: `grad` (as ``torch.autograd.grad``) and ``backward(create_graph=True)``.

The chain rule of `engine.backprop` multiplies numbers: ``x_bar += out_bar · ∂out/∂x``, with the
local derivative ``∂out/∂x`` read off the op table and evaluated on floats (`FLOAT_MATH`). Every
rule of the table is written with arithmetic and a few functions of a maths namespace ``m``, and
Values have the same arithmetic and the same functions. So evaluating the *same* rules with
`VALUE_MATH` on the graph's own nodes builds each local derivative as a little graph, and

    x_bar = x_bar + out_bar · ∂out/∂x            (every term a Value)

builds the gradient itself as a graph of ordinary Values. That graph can be printed, drawn,
stepped through and differentiated again, to any order: the derivative of a derivative is just
another backward pass. The op table stays the single source of every derivative, of every order.

`grad` returns the gradients and touches no ``.grad``; `backward` (what
``Value.backward(create_graph=True)`` and anomaly mode run) writes them into ``.grad``.
"""

from __future__ import annotations

import math
import numbers
from types import SimpleNamespace
from typing import Any, Sequence, Union

from engine import anomaly
from engine.backprop import _backward_error
from engine.graph import topological_order
from engine.ops import FLOAT_MATH, OPS
from engine.value import Value, _as_float, is_grad_enabled

__all__ = ["grad", "backward", "VALUE_MATH"]

Number = Union[int, float]
Grad = Union[float, Value]  # a gradient while it is being summed: a number or a graph


# --------------------------------------------------------------------------------------------
# The maths namespace on Values
# --------------------------------------------------------------------------------------------


def _on_values(name: str):
    """``m.name(x)``: the Value method `name` on a Value, the `FLOAT_MATH` function on a number.

    The method is looked up on every call, so anomaly mode's checked methods are the ones used.
    """
    number = getattr(FLOAT_MATH, name)

    def function(x):
        return getattr(x, name)() if isinstance(x, Value) else number(x)

    function.__name__ = name
    return function


def _sign(x):
    """sign(x) as a node (op binary_step, whose derivative is 0), so the graph stays connected."""
    return x.binary_step() if isinstance(x, Value) else FLOAT_MATH.sign(x)


def _if_pos(x, then, otherwise):
    """`then` where x > 0 else `otherwise` (the choice reads x.data; it is not differentiated)."""
    return then if (x.data if isinstance(x, Value) else x) > 0.0 else otherwise


def _xlogy(x, y):
    """x·ln(y) as a graph, and the constant 0 where x = 0 (the rule's limit, as PyTorch)."""
    if (x.data if isinstance(x, Value) else x) == 0.0:
        return 0.0
    return x * (y.log() if isinstance(y, Value) else math.log(y))


VALUE_MATH = SimpleNamespace(
    **{
        name: _on_values(name)
        for name in ("exp", "log", "sqrt", "sin", "cos", "tanh", "erf", "sigmoid", "softplus")
    },
    sign=_sign,
    if_pos=_if_pos,
    xlogy=_xlogy,
)
"""The maths namespace that makes the op table's rules build graphs (``create_graph=True``)."""


# --------------------------------------------------------------------------------------------
# Arithmetic on gradients that may be numbers or graphs
# --------------------------------------------------------------------------------------------


def _times(a: Grad, b: Grad) -> Grad:
    """a·b; numbers multiply as numbers, and ×1 or ×(-1) makes no mul node (x·1 is x exactly)."""
    if not isinstance(a, Value):
        if not isinstance(b, Value):
            return a * b
        a, b = b, a  # the number second: b·a reads "upstream · constant"
    if not isinstance(b, Value):
        if b == 1.0:
            return a
        if b == -1.0:
            return -a
    return a * b


def _plus(a: Grad, b: Grad) -> Grad:
    """a + b; a number 0 adds no node."""
    if not isinstance(a, Value) and a == 0.0 and isinstance(b, Value):
        return b
    if not isinstance(b, Value) and b == 0.0 and isinstance(a, Value):
        return a
    return a + b


def _is_finite(g: Grad) -> bool:
    x = g.data if isinstance(g, Value) else g
    return x - x == 0.0


# --------------------------------------------------------------------------------------------
# One backward pass into a dictionary
# --------------------------------------------------------------------------------------------


def _order(outputs: Sequence[Value]) -> list[Value]:
    """Every node the outputs depend on, each after its parents (one root: `topological_order`).

    For several roots each root's order is appended without the nodes already placed: a node's
    parents are then either placed by an earlier root or come before it in its own root's order.
    """
    if len(outputs) == 1:
        return topological_order(outputs[0])
    seen: set[Value] = set()
    order: list[Value] = []
    for root in outputs:
        if root in seen:
            continue
        for node in topological_order(root):
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order


def _local(node: Value, create_graph: bool) -> tuple:
    """∂node/∂parent for each parent: numbers (`FLOAT_MATH`) or graphs (`VALUE_MATH`)."""
    op = OPS[node.op]
    parents = node.parents
    if create_graph:  # the rule runs on the nodes themselves, so its result hangs off the graph
        if op.arity == 1:
            return op.local(VALUE_MATH, parents[0], node, node.arg)
        if op.arity == 2:
            return op.local(VALUE_MATH, parents[0], parents[1], node)
        return op.local(VALUE_MATH, parents, node)
    if op.arity == 1:
        return op.local(FLOAT_MATH, parents[0].data, node.data, node.arg)
    if op.arity == 2:
        return op.local(FLOAT_MATH, parents[0].data, parents[1].data, node.data)
    return op.local(FLOAT_MATH, tuple(p.data for p in parents), node.data)


def _gradients(
    order: list[Value],
    outputs: Sequence[Value],
    seeds: Sequence[Grad],
    needed: set[Value] | None,
    create_graph: bool,
    start: dict[Value, Grad],
) -> dict[Value, Grad]:
    """∂(Σ seed_k · output_k)/∂node for every node in `needed` (None: every node of `order`).

    `start` holds gradients to add to (leaves' ``.grad`` when accumulating). Nodes are visited
    outputs-first; each sends ``out_bar · ∂out/∂parent`` to the parents that are needed.
    """
    check = anomaly.is_anomaly_enabled() and anomaly.is_anomaly_check_nan_enabled()
    grads = dict(start)
    for root, seed in zip(outputs, seeds):
        if needed is None or root in needed:
            if check and not _is_finite(seed):
                raise anomaly.AnomalyError(f"backward: the seed gradient of {root!r} is {seed!r}")
            grads[root] = _plus(grads[root], seed) if root in grads else seed
    node = order[-1]
    try:
        for node in reversed(order):
            parents = node.parents
            if not parents or (needed is not None and node not in needed) or node not in grads:
                continue
            out_bar = grads[node]
            local = _local(node, create_graph)
            for i, (parent, d) in enumerate(zip(parents, local)):
                if needed is not None and parent not in needed:
                    continue
                term = _times(out_bar, d) if create_graph else out_bar * d
                before = grads.get(parent)
                if before is None:
                    total = term
                else:
                    total = _plus(before, term) if create_graph else before + term
                grads[parent] = total
                if check and not (_is_finite(term) and _is_finite(total)):
                    raise anomaly.backward_anomaly(node, i, out_bar, d, term, before, total)
    except (ValueError, ZeroDivisionError, OverflowError) as exc:
        error = _backward_error(node, exc)
        if anomaly.is_anomaly_enabled():
            error = type(error)(f"{error}\n{anomaly.where_created(node)}")
        raise error from None
    return grads


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
            seeds.append(_as_float(g, f"grad: grad_outputs[{i}]"))
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
    order = _order(outs)
    targets = set(ins)
    needed: set[Value] = set()
    for node in order:  # parents first: a node is needed if it is an input or leads to one
        if node in targets or any(p in needed for p in node.parents):
            needed.add(node)
    unused = [i for i, x in enumerate(ins) if x not in needed]
    if unused and not allow:
        raise ValueError(_unused_message(outs, ins, unused[0]))
    grads = _gradients(order, outs, seeds, needed, create_graph, {})
    results: list[Value | None] = []
    for x in ins:
        if x in needed:
            results.append(_as_value(grads.get(x, 0.0)))
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


# --------------------------------------------------------------------------------------------
# backward into .grad
# --------------------------------------------------------------------------------------------


def backward(root: Value, grad: Number | Value = 1.0, *, create_graph: bool = False) -> None:
    """``root.backward(grad, create_graph=...)``: the chain rule, written into ``.grad``.

    Same meaning as the plain backward pass: every node `root` depends on gets ``.grad`` =
    ∂root/∂node (times `grad`); interior nodes hold this pass's gradient, leaves add it to what
    they had. With ``create_graph=True`` every ``.grad`` it writes is a Value, a graph you can
    differentiate again (as PyTorch's ``.grad`` after ``backward(create_graph=True)``); its number
    is ``.grad.data``. Reset with ``zero_grad()`` before handing them to an optimiser. Anomaly
    mode runs the number version of this pass (checking every gradient) in place of the plain one.
    """
    if not isinstance(root, Value):
        raise TypeError(f"backward needs a Value, got {type(root).__name__} {root!r}")
    if create_graph:
        _no_graph_in_no_grad("backward")
        seed: Grad = grad if isinstance(grad, Value) else _as_float(grad, "backward(grad)")
    else:
        seed = _as_float(grad, "backward(grad)")
    order = topological_order(root)
    start: dict[Value, Grad] = {}
    for node in order:  # leaves accumulate: start from what they hold (a graph adds no "0 +")
        if not node.parents:
            held = node.grad
            if not create_graph or isinstance(held, Value) or held != 0.0:
                start[node] = held
    grads = _gradients(order, (root,), (seed,), None, create_graph, start)
    for node in order:
        g = grads.get(node, 0.0) if node.parents else grads.get(node, node.grad)
        node.grad = _as_value(g) if create_graph else g  # type: ignore[assignment]
