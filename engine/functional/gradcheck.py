"""Check the engine's gradients against central finite differences.

For a function f of inputs x_1..x_n the central difference

    ∂f/∂x_i ≈ (f(..., x_i + ε, ...) - f(..., x_i - ε, ...)) / 2ε

has error O(ε²), so it is a trustworthy oracle for the analytic gradient backward() computes. An
input passes when |analytic - numeric| ≤ atol + rtol·|numeric| (the test `math.isclose` and
`torch.autograd.gradcheck` use).
"""

from __future__ import annotations

from typing import Callable, Sequence

from engine.core.value import Value, as_float, enable_grad, no_grad

__all__ = ["gradcheck", "GradcheckError", "numerical_gradient"]


class GradcheckError(AssertionError):
    """Raised by `gradcheck` when analytic and numerical gradients disagree."""


def _call(fn: Callable[..., Value], xs: Sequence[float], labels: Sequence[str]) -> Value:
    out = fn(*[Value(x, label=label) for x, label in zip(xs, labels)])
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: fn must return a Value, got {type(out).__name__} {out!r}")
    return out


def numerical_gradient(
    fn: Callable[..., Value], inputs: Sequence[float], eps: float = 1e-6
) -> list[float]:
    """Central differences (f(x + ε e_i) - f(x - ε e_i)) / 2ε for every input i."""
    xs = [float(x) for x in inputs]
    labels = [f"x{i}" for i in range(len(xs))]
    grads = []
    with no_grad():
        for i in range(len(xs)):
            plus, minus = list(xs), list(xs)
            plus[i] += eps
            minus[i] -= eps
            f_plus = _call(fn, plus, labels).data
            f_minus = _call(fn, minus, labels).data
            grads.append((f_plus - f_minus) / (2.0 * eps))
    return grads


def gradcheck(
    fn: Callable[..., Value],
    inputs: Sequence[Value | float],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Compare backward()'s gradient of ``fn(*Values)`` with central finite differences.

    `inputs` are numbers or Values (their ``.data`` is used; they are not modified). Returns True
    when every input satisfies |analytic - numeric| ≤ atol + rtol·|numeric|; otherwise raises
    `GradcheckError` listing every input whose gradients disagree.
    """
    if isinstance(inputs, (Value, str, bytes)) or not hasattr(inputs, "__iter__"):
        raise TypeError(f"gradcheck: inputs must be a list of numbers or Values, got {inputs!r}")
    xs = [x.data if isinstance(x, Value) else as_float(x, "gradcheck input") for x in inputs]
    for name, number in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if as_float(number, f"gradcheck({name})") < 0 or (name == "eps" and number == 0):
            raise ValueError(
                f"gradcheck: {name} must be {'positive' if name == 'eps' else '≥ 0'},"
                f" got {number!r}"
            )
    labels = [f"x{i}" for i in range(len(xs))]
    leaves = [Value(x, label=label) for x, label in zip(xs, labels)]
    with enable_grad():  # the analytic side records its graph even when called inside no_grad
        out = fn(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: fn must return a Value, got {type(out).__name__} {out!r}")
    out.backward()
    analytic = [leaf.grad for leaf in leaves]
    numeric = numerical_gradient(fn, xs, eps)
    bad = [
        f"  input {i} (x{i} = {xs[i]!r}): backward gives {a!r}, finite differences give {n!r} "
        f"(difference {abs(a - n):.3g} > tolerance {atol + rtol * abs(n):.3g})"
        for i, (a, n) in enumerate(zip(analytic, numeric))
        if not abs(a - n) <= atol + rtol * abs(n)
    ]
    if bad:
        raise GradcheckError(
            f"gradcheck failed for {len(bad)} of {len(xs)} inputs:\n" + "\n".join(bad)
        )
    return True
