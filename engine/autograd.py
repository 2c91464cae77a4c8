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

Infinity and NaN. Gradients as numbers follow `engine.backprop`: a step whose numbers are not
finite is redone by its careful step (IEEE arithmetic, the op's PyTorch form), and an input's
gradient that becomes inf or NaN from finite numbers raises, naming the op. Gradients as graphs
cannot hold such numbers, so with ``create_graph=True`` a local derivative or a step that is not
finite raises at once, naming the op (even where the number version gives a finite answer, such as
relu's chosen 0 after an infinite gradient). Anomaly mode raises AnomalyError at the first
non-finite gradient sent to a node that needs one.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Sequence, Union

from engine import anomaly
from engine.backprop import (
    _backward_error,
    _Careful,
    _careful_contributions,
    _check_root,
    local_derivatives,
)
from engine.grad_mode import is_grad_enabled
from engine.graph import topological_order
from engine.ops import OPS, describe_call
from engine.value import Value, _as_float
from engine.value_math import VALUE_MATH, Undefined, value_local

__all__ = ["grad", "backward", "VALUE_MATH"]

Number = Union[int, float]
Grad = Union[float, Value]  # a gradient while it is being summed: a number or a graph


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


def _checking() -> bool:
    return anomaly.is_anomaly_enabled() and anomaly.is_anomaly_check_nan_enabled()


def _seeded(
    outputs: Sequence[Value],
    seeds: Sequence[Grad],
    needed: set[Value] | None,
    start: dict[Value, Grad],
) -> dict[Value, Grad]:
    """`start` (leaves' ``.grad`` when accumulating) plus each output's seed."""
    grads = dict(start)
    for root, seed in zip(outputs, seeds):
        if needed is None or root in needed:
            if _checking() and not _is_finite(seed):
                raise anomaly.AnomalyError(f"backward: the seed gradient of {root!r} is {seed!r}")
            grads[root] = _plus(grads[root], seed) if root in grads else seed
    return grads


def _number_gradients(
    order: list[Value],
    outputs: Sequence[Value],
    seeds: Sequence[float],
    needed: set[Value] | None,
    start: dict[Value, Grad],
    asked: Sequence[Value],
) -> dict[Value, Grad]:
    """∂(Σ seed_k · output_k)/∂node as numbers, for every node in `needed` (None: all of `order`).

    The chain rule of `engine.backprop.backward_pass`, summed into a dictionary: a step whose
    numbers are not finite is redone by backprop's careful step (IEEE arithmetic, the op's
    PyTorch form), and a non-finite gradient of a node in `asked` raises as backward() does. In
    anomaly mode the first non-finite gradient sent to a node that needs one raises AnomalyError.
    """
    check = _checking()
    grads: dict[Value, Any] = _seeded(outputs, seeds, needed, start)  # numbers only, here
    first_seed = next((s for s in seeds if not math.isfinite(s)), 1.0)
    careful: _Careful | None = None
    for node in reversed(order):
        parents = node.parents
        if not parents or (needed is not None and node not in needed) or node not in grads:
            continue
        out_bar = grads[node]
        try:
            local = local_derivatives(node)
            terms = tuple(out_bar * d for d in local)
            finite = all(t - t == 0.0 for t in terms)
        except (ArithmeticError, ValueError):
            finite = False
        if not finite:
            careful, local, terms = _careful_contributions(node, out_bar, careful, first_seed)
        for i, (parent, d, term) in enumerate(zip(parents, local, terms)):
            if needed is not None and parent not in needed:
                continue
            before = grads.get(parent)
            total = term if before is None else before + term
            grads[parent] = total
            if check and parent._needs_grad and not (term - term == 0.0 == total - total):
                raise anomaly.backward_anomaly(node, i, out_bar, d, term, before, total)
    if careful is not None and careful.origin is not None:
        for node in asked:
            g = grads.get(node, 0.0)
            if node._needs_grad and g - g != 0.0:
                error = _backward_error(careful, node, g)
                if anomaly.is_anomaly_enabled():
                    error = type(error)(f"{error}\n{anomaly.where_created(careful.origin)}")
                raise error
    return grads


def _graph_gradients(
    order: list[Value],
    outputs: Sequence[Value],
    seeds: Sequence[Grad],
    needed: set[Value] | None,
    start: dict[Value, Grad],
) -> dict[Value, Grad]:
    """∂(Σ seed_k · output_k)/∂node as graphs (``create_graph=True``), for the nodes `needed`.

    Nodes are visited outputs-first; each sends ``out_bar · ∂out/∂parent`` to the parents that
    are needed, every term a Value. A graph's nodes hold finite numbers (made from finite ones),
    so a local derivative or a step that is not finite raises, naming the op (`_graph_error`).
    """
    check = _checking()
    grads = _seeded(outputs, seeds, needed, start)
    for node in reversed(order):
        parents = node.parents
        if not parents or (needed is not None and node not in needed) or node not in grads:
            continue
        out_bar = grads[node]
        stage = "local"
        try:
            local = value_local(node)
            for i, (parent, d) in enumerate(zip(parents, local)):
                if needed is not None and parent not in needed:
                    continue
                if isinstance(d, Undefined):
                    raise d.error
                stage = "step"
                term = _times(out_bar, d)
                before = grads.get(parent)
                total = term if before is None else _plus(before, term)
                grads[parent] = total
                if check and parent._needs_grad and not (_is_finite(term) and _is_finite(total)):
                    raise anomaly.backward_anomaly(node, i, out_bar, d, term, before, total)
                stage = "local"
        except anomaly.AnomalyError:
            raise
        except (ArithmeticError, ValueError) as exc:
            raise _graph_error(node, stage, exc) from None
    return grads


def _graph_error(node: Value, stage: str, exc: BaseException) -> Exception:
    """The error for a create_graph step that cannot be built, naming the op (and, in anomaly
    mode, where the node was made)."""
    op = OPS[node.op]
    call = describe_call(op, tuple(p.data for p in node.parents), node.arg)
    if stage == "local":
        what = f"its local derivative ({', '.join(op.derivatives)}) is not finite there"
    else:
        what = "the chain-rule step out_bar · ∂out/∂x overflows a float"
    text = (
        f"backward through {call} with create_graph=True: {what} ({exc}). A gradient built as a "
        "graph holds finite numbers only; without create_graph, backward() and grad() give "
        "PyTorch's number here, or name the input whose gradient is not finite"
    )
    if anomaly.is_anomaly_enabled():
        text += "\n" + anomaly.where_created(node)
    kind = type(exc) if isinstance(exc, (ZeroDivisionError, OverflowError)) else ValueError
    return kind(text)


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
    if create_graph:
        grads = _graph_gradients(order, outs, seeds, needed, {})
    else:
        grads = _number_gradients(order, outs, seeds, needed, {}, ins)  # type: ignore[arg-type]
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
    _check_root(root)
    order = topological_order(root)
    start: dict[Value, Grad] = {}
    for node in order:  # leaves accumulate: start from what they hold (a graph adds no "0 +")
        if not node.parents:
            held = node.grad
            if not create_graph or isinstance(held, Value) or held != 0.0:
                start[node] = held
    if create_graph:
        grads = _graph_gradients(order, (root,), (seed,), None, start)
    else:
        leaves = [node for node in order if not node.parents]
        grads = _number_gradients(order, (root,), (seed,), None, start, leaves)  # type: ignore[arg-type]
    for node in order:
        g = grads.get(node, 0.0) if node.parents else grads.get(node, node.grad)
        node.grad = _as_value(g) if create_graph else g  # type: ignore[assignment]
