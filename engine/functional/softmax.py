"""Functions of several Values: log-sum-exp, softmax and log-softmax, all numerically stable.

``logsumexp`` is one n-ary op of the table (its derivative is the softmax); the other two are
composed from it, so they need no rule of their own:

    log_softmax(x)_i = x_i - logsumexp(x)        softmax(x)_i = exp(log_softmax(x)_i)

(both evaluated on x - max(x), which changes neither the result nor its gradient).

Neither ever exponentiates a positive number, so logits of 1000 are as safe as logits of 1.
"""

from __future__ import annotations

from typing import Sequence, Union

from engine.core.ops import OPS
from engine.core.value import Value, apply_op, as_value

__all__ = ["logsumexp", "log_softmax", "softmax"]

Scalar = Union[Value, int, float]


def _values(values: Sequence[Scalar], where: str) -> tuple[Value, ...]:
    if isinstance(values, (Value, str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(
            f"{where} needs a list of Values or numbers, got {type(values).__name__} {values!r}"
        )
    xs = tuple(as_value(v, f"{where} element") for v in values)
    if not xs:
        raise ValueError(f"{where} needs at least one value, got an empty list")
    return xs


def logsumexp(values: Sequence[Scalar]) -> Value:
    """log Σ_i e^(x_i), computed as m + log Σ_i e^(x_i - m) with m = max x_i.

    ∂/∂x_i = e^(x_i - logsumexp(x)) = softmax(x)_i.
    """
    return apply_op(OPS["logsumexp"], _values(values, "logsumexp"))


def log_softmax(values: Sequence[Scalar]) -> list[Value]:
    """log softmax(x)_i = x_i - logsumexp(x): the log-probabilities of logits x.

    Computed as (x_i - m) - logsumexp(x - m) with the constant m = max x: the result is the same
    for any constant m (and so is its gradient), but subtracting m first keeps every digit of
    small log-probabilities instead of adding m back and taking it away again.
    """
    xs = _values(values, "log_softmax")
    m = max(x.data for x in xs)
    shifted = [x - m for x in xs] if m != 0.0 and m - m == 0.0 else list(xs)
    lse = logsumexp(shifted)
    return [x - lse for x in shifted]


def softmax(values: Sequence[Scalar]) -> list[Value]:
    """softmax(x)_i = e^(x_i) / Σ_j e^(x_j) = exp(x_i - logsumexp(x)); the entries sum to 1."""
    return [lp.exp() for lp in log_softmax(values)]
