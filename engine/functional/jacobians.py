"""Jacobians, Hessians and Hessian-vector products of a function, as ``torch.autograd.functional``.

Each helper calls ``func(*xs)`` on fresh leaves made from `inputs` (numbers or Values) and
differentiates the graph it builds with `engine.functional.gradients.grad`:

    jacobian   J[i][j] = ∂out_i/∂x_j          one backward pass per output
    hessian    H[i][j] = ∂²f/∂x_i∂x_j          the gradient as a graph, then one pass per entry
    vhp        (vᵀH)_j = Σ_i v_i ∂²f/∂x_i∂x_j   two passes: grad(grad(f, x), x, grad_outputs=v)
    hvp        (Hv)_i  = Σ_j ∂²f/∂x_i∂x_j v_j   three passes, no Hessian formed (below)

hvp uses the double-backward trick: for new leaves u, ``w(u) = grad(∇f, x, grad_outputs=u)`` is
the graph of uᵀH, linear in u, so ``grad(w, u, grad_outputs=v)`` = ∂(uᵀH v)/∂u = Hv. Each pass
costs about one forward pass, so Hv costs O(graph), where forming H costs O(n · graph).

Results follow PyTorch's nesting: a single input (a number or a Value, not in a list) and a single
output give a number; lists give tuples, outputs outer and inputs inner. They are floats, or
Values (graphs, connected to `inputs` if those were Values) with ``create_graph=True``. An output
that does not depend on an input has derivative 0 there; ``strict=True`` makes that an error.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, Sequence, Union

from engine.core.value import Value, as_float, is_grad_enabled
from engine.functional.gradients import grad

__all__ = ["jacobian", "hessian", "hvp", "vhp"]

Inputs = Union[float, int, Value, Sequence[Union[float, int, Value]]]


def _is_single(x: object) -> bool:
    return isinstance(x, (Value, numbers.Real)) and not isinstance(x, bool)


def _leaves(inputs: Inputs, create_graph: bool, where: str) -> tuple[tuple[Value, ...], bool]:
    """(the Values to call func on, whether `inputs` was a single item)."""
    if not is_grad_enabled():
        raise RuntimeError(
            f"{where} inside no_grad(): the function's graph would not be recorded; "
            f"call {where} outside the no_grad() block"
        )
    single = _is_single(inputs)
    if not single and (isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__iter__")):
        raise TypeError(
            f"{where}: inputs must be a number, a Value or a list of them, got {inputs!r}"
        )
    items = [inputs] if single else list(inputs)  # type: ignore[arg-type]
    if not items:
        raise ValueError(f"{where}: inputs is empty")
    leaves = []
    for i, x in enumerate(items):
        if isinstance(x, Value) and create_graph:
            leaves.append(_position(x))  # the results stay connected to the caller's graph
        elif isinstance(x, Value):
            leaves.append(Value(x.data, label=x.label or ("x" if single else f"x{i}")))
        else:
            number = as_float(x, f"{where}: inputs[{i}]" if not single else f"{where}: input")
            leaves.append(Value(number, label="x" if single else f"x{i}"))
    return tuple(leaves), single


def _position(x: Value) -> Value:
    """A node of its own for one argument position, connected to the caller's `x`: ``x + 0``
    (∂/∂x = 1), as torch's ``view_as``. Each position is then its own input, so ``[x, x]`` (or
    ``[x, 2·x]``) gives the same derivatives with and without create_graph."""
    return x + 0.0


def _call(func: Callable[..., Any], xs: tuple[Value, ...], where: str, many: bool) -> tuple:
    """func(*xs) as a tuple of Values, and whether it returned a single Value."""
    if not callable(func):
        raise TypeError(f"{where}: func must be callable, got {func!r}")
    out = func(*xs)
    if isinstance(out, Value):
        return (out,), True
    if many and not isinstance(out, (str, bytes)) and hasattr(out, "__iter__"):
        outs = tuple(out)
        for i, o in enumerate(outs):
            if not isinstance(o, Value):
                raise TypeError(
                    f"{where}: output {i} of func is {type(o).__name__} {o!r}, not a Value"
                )
        if outs:
            return outs, False
    wanted = "a Value or a list of Values" if many else "a single Value"
    raise TypeError(f"{where}: func must return {wanted}, got {type(out).__name__} {out!r}")


def _finish(g: Value | None, create_graph: bool) -> Any:
    """A derivative as the caller gets it: a float, or a Value with create_graph (None is 0)."""
    if create_graph:
        return Value(0.0) if g is None else g
    return 0.0 if g is None else g.data


def _strict(rows: list[tuple], xs: tuple[Value, ...], where: str) -> None:
    """strict=True: an input that no output depends on is an error (as torch's `strict`)."""
    for j, x in enumerate(xs):
        if all(row[j] is None for row in rows):
            raise ValueError(
                f"{where}(strict=True): no output depends on input {j} ({x!r}); "
                f"its derivatives would all be 0"
            )


def _shape(rows: list[tuple], single_in: bool, single_out: bool) -> Any:
    if single_out:
        return rows[0][0] if single_in else rows[0]
    return tuple(row[0] for row in rows) if single_in else tuple(rows)


def _rows(outs: Sequence[Value | None], xs: tuple[Value, ...], create_graph: bool) -> list[tuple]:
    """[grad(out_i, xs)] for each output, None for an output that is None or a constant."""
    rows = []
    for out in outs:
        if out is None:
            rows.append((None,) * len(xs))
        else:
            rows.append(grad(out, xs, create_graph=create_graph, allow_unused=True))
    return rows


def jacobian(
    func: Callable[..., Any], inputs: Inputs, create_graph: bool = False, strict: bool = False
) -> Any:
    """J[i][j] = ∂out_i/∂x_j of ``outs = func(*inputs)``: one backward pass per output.

    `func` takes one Value per input and returns a Value or a list of Values.
    """
    xs, single_in = _leaves(inputs, create_graph, "jacobian")
    outs, single_out = _call(func, xs, "jacobian", many=True)
    rows = _rows(outs, xs, create_graph)
    if strict:
        _strict(rows, xs, "jacobian")
    finished = [tuple(_finish(g, create_graph) for g in row) for row in rows]
    return _shape(finished, single_in, single_out)


def hessian(
    func: Callable[..., Any], inputs: Inputs, create_graph: bool = False, strict: bool = False
) -> Any:
    """H[i][j] = ∂²f/∂x_i∂x_j of ``f = func(*inputs)`` (a single Value): the Jacobian of the
    gradient, which is built as a graph (``grad(f, xs, create_graph=True)``) and differentiated."""
    xs, single = _leaves(inputs, create_graph, "hessian")
    (out,), _ = _call(func, xs, "hessian", many=False)
    first = grad(out, xs, create_graph=True, allow_unused=True)
    if strict:
        _strict([first], xs, "hessian")
    rows = _rows(first, xs, create_graph)
    if strict:
        _strict(rows, xs, "hessian")
    finished = [tuple(_finish(g, create_graph) for g in row) for row in rows]
    return finished[0][0] if single else tuple(finished)


def _vector(v: object, xs: tuple[Value, ...], single: bool, create_graph: bool, where: str) -> list:
    """`v` as one number (or Value, with create_graph) per input."""
    if v is None:
        if len(xs) != 1:
            raise ValueError(f"{where}: v is needed when there is more than one input")
        return [1.0]
    items = [v] if single and _is_single(v) else None
    if items is None:
        if _is_single(v) or isinstance(v, (str, bytes)) or not hasattr(v, "__iter__"):
            raise TypeError(f"{where}: v must have one entry per input ({len(xs)}), got {v!r}")
        items = list(v)
    if len(items) != len(xs):
        raise ValueError(f"{where}: v has {len(items)} entries for {len(xs)} inputs")
    out = []
    for i, item in enumerate(items):
        if isinstance(item, Value):
            out.append(item if create_graph else item.data)
        else:
            out.append(as_float(item, f"{where}: v[{i}]"))
    return out


def _gradient(func: Callable[..., Any], inputs: Inputs, create_graph: bool, where: str):
    xs, single = _leaves(inputs, create_graph, where)
    (out,), _ = _call(func, xs, where, many=False)
    return xs, single, out, grad(out, xs, create_graph=True, allow_unused=True)


def _result(out: Value, values: Sequence[Value | None], single: bool, create_graph: bool) -> tuple:
    shown = [_finish(g, create_graph) for g in values]
    return (out if create_graph else out.data), (shown[0] if single else tuple(shown))


def vhp(
    func: Callable[..., Any],
    inputs: Inputs,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(f, vᵀH): f = func(*inputs) and (vᵀH)_j = Σ_i v_i ∂²f/∂x_i∂x_j, without forming H.

    Two backward passes: ``g = grad(f, x, create_graph=True)``, then ``grad(g, x, grad_outputs=v)``.
    """
    xs, single, out, g = _gradient(func, inputs, create_graph, "vhp")
    vs = _vector(v, xs, single, create_graph, "vhp")
    if strict:
        _strict([g], xs, "vhp")
    pairs = [(gi, vi) for gi, vi in zip(g, vs) if gi is not None]
    if not pairs:
        return _result(out, [None] * len(xs), single, create_graph)
    result = grad(
        [gi for gi, _ in pairs],
        xs,
        grad_outputs=[vi for _, vi in pairs],
        create_graph=create_graph,
        allow_unused=True,
    )
    return _result(out, result, single, create_graph)


def hvp(
    func: Callable[..., Any],
    inputs: Inputs,
    v: Any = None,
    create_graph: bool = False,
    strict: bool = False,
) -> tuple[Any, Any]:
    """(f, Hv): f = func(*inputs) and (Hv)_i = Σ_j ∂²f/∂x_i∂x_j v_j, without forming H.

    The double-backward trick: with new leaves u, w = grad(∇f, x, grad_outputs=u) is uᵀH as a
    graph, and grad(w, u, grad_outputs=v) = Hv. Three backward passes, each O(graph).
    """
    xs, single, out, g = _gradient(func, inputs, create_graph, "hvp")
    vs = _vector(v, xs, single, create_graph, "hvp")
    if strict:
        _strict([g], xs, "hvp")
    used = [gi for gi in g if gi is not None]
    if not used:
        return _result(out, [None] * len(xs), single, create_graph)
    us = [Value(0.0, label=f"u{i}") for i in range(len(used))]
    w = grad(used, xs, grad_outputs=us, create_graph=True, allow_unused=True)
    pairs = [(wj, vj) for wj, vj in zip(w, vs) if wj is not None]
    if not pairs:
        return _result(out, [None] * len(xs), single, create_graph)
    hu = grad(
        [wj for wj, _ in pairs],
        us,
        grad_outputs=[vj for _, vj in pairs],
        create_graph=create_graph,
        allow_unused=True,
    )
    # hu[k] = (Hv)_i for the i of the k-th used gradient; unused ones are 0
    result: list[Value | None] = []
    k = 0
    for gi in g:
        if gi is None:
            result.append(None)
        else:
            result.append(hu[k])
            k += 1
    return _result(out, result, single, create_graph)
