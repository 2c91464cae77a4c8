"""The chain rule: one loop over a graph in reverse topological order.

For a root ``L``, visit the nodes outputs-first. Each node ``out`` already holds
``out_bar = ∂L/∂out`` when it is visited, because every node that uses it came earlier. The chain
rule sends it on to each parent ``x``:

    x_bar += out_bar · ∂out/∂x

where ``∂out/∂x`` is the local derivative from the op table (`engine.ops`). Gradients add up, so a
node used twice (``a + a``) receives two contributions. `_backpropagate` is the whole algorithm;
`Value.backward()` runs it silently and `engine.step.backward_steps` runs it narrated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.graph import topological_order
from engine.ops import FLOAT_MATH, OPS, describe_call

if TYPE_CHECKING:
    from engine.value import Value

__all__ = ["local_derivatives"]


def local_derivatives(node: Value, m=FLOAT_MATH) -> tuple:
    """∂node/∂parent for each of `node`'s parents, from the op table, evaluated in namespace `m`."""
    op = OPS[node.op]
    parents = node.parents
    if op.arity == 1:
        return op.local(m, parents[0].data, node.data, node.arg)
    if op.arity == 2:
        return op.local(m, parents[0].data, parents[1].data, node.data)
    return op.local(m, tuple(p.data for p in parents), node.data)


def _backward_error(node: Value, exc: Exception) -> Exception:
    op = OPS[node.op]
    call = describe_call(op, tuple(p.data for p in node.parents), node.arg)
    formulas = ", ".join(op.derivatives)
    kind = ValueError if isinstance(exc, ValueError) else type(exc)
    return kind(
        f"backward through {call}: the local derivative ({formulas}) is not finite there ({exc})"
    )


def _backpropagate(root: Value, seed: float, narrate: bool):
    """The chain rule over `root`'s graph; `backward()` and `backward_steps()` both run this.

    Yields nothing unless `narrate`; then, after each node is processed, yields
    ``(node, out_bar, local, before)``: its upstream gradient, its local derivatives and its
    parents' gradients before its contributions were added (leaves give two empty tuples).
    The arity dispatch of `local_derivatives` is written out inline here: it is the hot loop,
    and the inlined form is measured 2x faster than a call per node.
    """
    order = topological_order(root, include_leaves=narrate)
    for node in order:
        if node.parents:  # interior gradients are recomputed from scratch on every pass
            node.grad = 0.0
    root.grad += seed
    ops, m = OPS, FLOAT_MATH
    node = root
    try:
        for node in reversed(order):
            parents = node.parents
            if not parents:  # a leaf: nothing to pass on, its gradient is final
                if narrate:
                    yield node, node.grad, (), ()
                continue
            out_bar = node.grad
            op = ops[node.op]
            if narrate:
                before = tuple(p.grad for p in parents)
            if op.arity == 2:
                x, y = parents
                local = op.local(m, x.data, y.data, node.data)
                x.grad += out_bar * local[0]  # x_bar += out_bar · ∂out/∂x
                y.grad += out_bar * local[1]  # y_bar += out_bar · ∂out/∂y
            elif op.arity == 1:
                x = parents[0]
                local = op.local(m, x.data, node.data, node.arg)
                x.grad += out_bar * local[0]
            else:
                local = op.local(m, tuple(p.data for p in parents), node.data)
                for parent, d in zip(parents, local):
                    parent.grad += out_bar * d
            if narrate:
                yield node, out_bar, local, before
    except (ValueError, ZeroDivisionError, OverflowError) as exc:
        raise _backward_error(node, exc) from None
