"""Check the engine's second derivatives against finite differences of its gradient.

`gradcheck` trusts central differences of f to check the gradient backward() computes.
`gradgradcheck` goes one order up: once the gradient g = ∇f is trusted, central differences of g

    ∂²f/∂x_i∂x_j ≈ (g_i(..., x_j + ε, ...) - g_i(..., x_j - ε, ...)) / 2ε      (error O(ε²))

check the Hessian double backward computes (`engine.hessian`: the gradient built as a graph with
``create_graph=True``, then differentiated again). An entry passes when
|analytic - numeric| ≤ atol + rtol·|numeric|, as in `gradcheck`.
"""

from __future__ import annotations

from typing import Callable, Sequence

from engine.core.value import Value, as_float
from engine.functional.gradcheck import GradcheckError
from engine.functional.gradients import grad
from engine.functional.jacobians import hessian

__all__ = ["gradgradcheck", "numerical_hessian"]


def _gradient(fn: Callable[..., Value], xs: list[float]) -> list[float]:
    """∇fn at xs from one backward pass (0 for an input fn does not use)."""
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    out = fn(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradgradcheck: fn must return a Value, got {type(out).__name__} {out!r}")
    return [g.data for g in grad(out, leaves, materialize_grads=True)]


def numerical_hessian(
    fn: Callable[..., Value], inputs: Sequence[float], eps: float = 1e-6
) -> list[list[float]]:
    """H[i][j] ≈ (g_i(x + ε e_j) - g_i(x - ε e_j)) / 2ε, with g from the engine's backward pass."""
    xs = [float(x) for x in inputs]
    columns = []
    for j in range(len(xs)):
        plus, minus = list(xs), list(xs)
        plus[j] += eps
        minus[j] -= eps
        g_plus, g_minus = _gradient(fn, plus), _gradient(fn, minus)
        columns.append([(a - b) / (2.0 * eps) for a, b in zip(g_plus, g_minus)])
    return [[columns[j][i] for j in range(len(xs))] for i in range(len(xs))]


def gradgradcheck(
    fn: Callable[..., Value],
    inputs: Sequence[Value | float],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Compare double backward's Hessian of ``fn(*Values)`` with central differences of its
    gradient.

    `inputs` are numbers or Values (their ``.data`` is used; they are not modified). Returns True
    when every entry satisfies |analytic - numeric| ≤ atol + rtol·|numeric|; otherwise raises
    `GradcheckError` listing every entry ∂²f/∂x_i∂x_j that disagrees.
    """
    if isinstance(inputs, (Value, str, bytes)) or not hasattr(inputs, "__iter__"):
        raise TypeError(
            f"gradgradcheck: inputs must be a list of numbers or Values, got {inputs!r}"
        )
    xs = [x.data if isinstance(x, Value) else as_float(x, "gradgradcheck input") for x in inputs]
    if not xs:
        raise ValueError("gradgradcheck: inputs is empty")
    for name, number in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if as_float(number, f"gradgradcheck({name})") < 0 or (name == "eps" and number == 0):
            raise ValueError(
                f"gradgradcheck: {name} must be {'positive' if name == 'eps' else '≥ 0'},"
                f" got {number!r}"
            )
    numeric = numerical_hessian(fn, xs, eps)  # first: it checks that fn returns a Value
    analytic = hessian(fn, xs)
    bad = [
        f"  ∂²f/∂x{i}∂x{j} at {xs!r}: double backward gives {a!r}, finite differences of the "
        f"gradient give {n!r} (difference {abs(a - n):.3g} > tolerance {atol + rtol * abs(n):.3g})"
        for i, (row_a, row_n) in enumerate(zip(analytic, numeric))
        for j, (a, n) in enumerate(zip(row_a, row_n))
        if not abs(a - n) <= atol + rtol * abs(n)
    ]
    if bad:
        raise GradcheckError(
            f"gradgradcheck failed for {len(bad)} of {len(xs) ** 2} second derivatives:\n"
            + "\n".join(bad)
        )
    return True
