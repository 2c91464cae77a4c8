"""Loss functions on Values. Each is numerically stable and reduces over a batch by the mean.

What each loss accepts
----------------------
Elementwise losses (``mse``, ``bce_with_logits``, ``hinge``, ``perceptron``) take a prediction and a
target that are either one scalar each, or two lists of the same length (a batch, or the outputs of
a multi-output model). Nested lists are flattened. The loss is the mean over all elements:

    loss = (1/n) Σ_i ℓ(prediction_i, target_i)

Predictions are Values (or plain numbers); targets are plain numbers (a Value's ``.data`` is used,
so no gradient flows into targets).

``cross_entropy(logits, target)`` takes the logits of one sample (a list of k scores) and its class
index, or a batch: a list of such lists and a list of indices. Its mean is over samples.

``l2(parameters)`` is the plain sum Σ p² (no ½, no coefficient): add ``alpha * l2(params)``
yourself, as micrograd's demo does. (Its gradient is 2p, so ``alpha * l2`` corresponds to
``weight_decay = 2 * alpha`` in `nn.optim`, whose decay is the gradient of ½·λ·Σ p².)

Bad targets raise ValueError where they enter: a hinge or perceptron label that is not ±1, a BCE
target outside [0, 1], a class index out of range, or lists of different lengths.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, Sequence, Union

from engine import Value, logsumexp
from engine.core.value import as_value

__all__ = [
    "mse",
    "bce_with_logits",
    "cross_entropy",
    "hinge",
    "perceptron",
    "l2",
    "LOSSES",
    "TERMS",
    "mse_term",
    "bce_with_logits_term",
    "hinge_term",
    "perceptron_term",
]

Scalar = Union[Value, float, int]
Target = Union[float, int, Value]


# --------------------------------------------------------------------------------------------
# Shapes and targets
# --------------------------------------------------------------------------------------------


def _is_sequence(x: object) -> bool:
    return (
        not isinstance(x, (Value, str, bytes))
        and hasattr(x, "__len__")
        and hasattr(x, "__getitem__")
    )


def _flatten(x: object) -> list:
    """A scalar as ``[x]``; a (nested) list as its elements in order. Iterative, no recursion."""
    if not _is_sequence(x):
        return [x]
    out, stack = [], [iter(x)]  # type: ignore[call-overload]
    while stack:
        for item in stack[-1]:
            if _is_sequence(item):
                stack.append(iter(item))
                break
            out.append(item)
        else:
            stack.pop()
    return out


def _pairs(prediction: object, target: object, loss: str) -> tuple[list, list[float]]:
    """Flattened predictions and target numbers of equal length (ValueError if they differ)."""
    preds, targets = _flatten(prediction), _flatten(target)
    if len(preds) != len(targets):
        raise ValueError(f"{loss}: {len(preds)} prediction(s) but {len(targets)} target(s)")
    if not preds:
        raise ValueError(f"{loss}: needs at least one prediction, got an empty list")
    return preds, [_target_number(t, loss) for t in targets]


def _target_number(t: object, loss: str) -> float:
    if isinstance(t, Value):
        return t.data
    if type(t) is bool or not isinstance(t, numbers.Real):
        raise TypeError(f"{loss}: a target must be a number, got {type(t).__name__} {t!r}")
    t = float(t)
    if not math.isfinite(t):
        raise ValueError(f"{loss}: a target must be finite, got {t!r}")
    return t


def _pm1(targets: list[float], loss: str) -> list[float]:
    for t in targets:
        if t != 1.0 and t != -1.0:
            raise ValueError(
                f"{loss}: labels must be +1 or -1, got {t!r} "
                f"(make_* data sets give ±1 with labels='pm1')"
            )
    return targets


def _sum(terms: Iterable[Value]) -> Value:
    """t_0 + t_1 + ... (no constant 0 leaf at the start)."""
    it = iter(terms)
    total = next(it)
    for term in it:
        total = total + term
    return total


def _mean(terms: list[Value]) -> Value:
    """(1/n) Σ terms."""
    total = _sum(terms)
    return total if len(terms) == 1 else total * (1.0 / len(terms))


# --------------------------------------------------------------------------------------------
# Regression
# --------------------------------------------------------------------------------------------


def mse_term(prediction: Value, target: Target) -> Value:
    """One element of `mse`: (ŷ - y)²."""
    return (prediction - target) ** 2


def mse(prediction: Scalar | Sequence, target: Target | Sequence) -> Value:
    """Mean squared error  (1/n) Σ (ŷ_i - y_i)²;   ∂/∂ŷ_i = 2(ŷ_i - y_i)/n."""
    preds, targets = _pairs(prediction, target, "mse")
    return _mean([mse_term(as_value(p, "mse prediction"), y) for p, y in zip(preds, targets)])


# --------------------------------------------------------------------------------------------
# Binary classification
# --------------------------------------------------------------------------------------------


def bce_with_logits_term(logit: Value, target: Target) -> Value:
    """One element of `bce_with_logits`: softplus(z) - y·z, and softplus(z) for a target that is
    the number 0 (no ``- z·0`` node)."""
    if not isinstance(target, Value) and target == 0.0:
        return logit.softplus()
    return logit.softplus() - logit * target


def bce_with_logits(logit: Scalar | Sequence, target: Target | Sequence) -> Value:
    """Binary cross-entropy on a logit z with target y ∈ [0, 1] (1 = positive class).

        ℓ = -[y·log σ(z) + (1-y)·log(1 - σ(z))] = softplus(z) - y·z

    The right-hand form never takes the log of a rounded probability: it is exact for logits of
    ±1000 (where σ(z) rounds to 0 or 1). ∂ℓ/∂z = σ(z) - y. Targets may be soft (0.3); ±1 labels
    are rejected (use labels='01').
    """
    zs, ys = _pairs(logit, target, "bce_with_logits")
    for y in ys:
        if not 0.0 <= y <= 1.0:
            raise ValueError(
                f"bce_with_logits: a target must be in [0, 1], got {y!r} (use 0/1 labels, not ±1)"
            )
    return _mean(
        [bce_with_logits_term(as_value(z, "bce_with_logits logit"), y) for z, y in zip(zs, ys)]
    )


def hinge_term(score: Value, target: Target) -> Value:
    """One element of `hinge`: max(0, 1 - y·s)."""
    return (1.0 - score * target).relu()


def hinge(score: Scalar | Sequence, target: Target | Sequence) -> Value:
    """Max-margin loss  (1/n) Σ max(0, 1 - y_i·s_i)  with labels y ∈ {+1, -1} (micrograd's demo).

    Zero once a point is on the right side with margin 1; ∂ℓ/∂s = -y while inside the margin.
    """
    scores, ys = _pairs(score, target, "hinge")
    _pm1(ys, "hinge")
    return _mean([hinge_term(as_value(s, "hinge score"), y) for s, y in zip(scores, ys)])


def perceptron_term(score: Value, target: Target) -> Value:
    """One element of `perceptron`: max(0, -y·s)."""
    return (score * (-target)).relu()


def perceptron(score: Scalar | Sequence, target: Target | Sequence) -> Value:
    """The perceptron cost of seed 001,  ℓ = 𝕀{y ≠ sign(ŷ)}·|ŷ| = max(0, -y·ŷ),  labels ±1.

    Correctly classified points cost nothing; a misclassified one costs its distance from the
    boundary. ∂ℓ/∂ŷ = -y when misclassified, else 0.
    """
    scores, ys = _pairs(score, target, "perceptron")
    _pm1(ys, "perceptron")
    return _mean([perceptron_term(as_value(s, "perceptron score"), y) for s, y in zip(scores, ys)])


# --------------------------------------------------------------------------------------------
# Multi-class classification
# --------------------------------------------------------------------------------------------


def _class_index(t: object, k: int) -> int:
    bad = f"cross_entropy: a target must be a class index (an integer), got {t!r}"
    if type(t) is bool or not isinstance(t, numbers.Real):
        raise ValueError(bad)
    if not isinstance(t, numbers.Integral) and not float(t).is_integer():
        raise ValueError(bad)
    index = int(float(t))  # 2.0 is class 2
    if not 0 <= index < k:
        raise ValueError(
            f"cross_entropy: class index {t!r} is out of range for {k} classes (valid: 0..{k - 1})"
        )
    return index


def _one_cross_entropy(logits: Sequence[Scalar], target: object) -> Value:
    """-log softmax(z)_t = logsumexp(z) - z_t  (stable: logsumexp subtracts max z first).

    ∂ℓ/∂z_i = softmax(z)_i - [i = t].
    """
    if not _is_sequence(logits) or len(logits) == 0:
        raise ValueError(
            f"cross_entropy: logits must be a non-empty list of scores, got {logits!r}"
        )
    t = _class_index(target, len(logits))
    zs = [as_value(z, "cross_entropy logit") for z in logits]
    return logsumexp(zs) - zs[t]


def cross_entropy(logits: Sequence, target: int | Sequence[int]) -> Value:
    """Cross-entropy of class-index targets through log-softmax, averaged over a batch.

    One sample: ``cross_entropy([z_0, ..., z_{k-1}], t)``. A batch: a list of logit lists and a
    list of indices. ℓ = -log softmax(z)_t = logsumexp(z) - z_t.
    """
    if not _is_sequence(logits) or len(logits) == 0:
        raise ValueError(f"cross_entropy: logits must be a non-empty list, got {logits!r}")
    if not _is_sequence(logits[0]):
        return _one_cross_entropy(logits, target)
    targets: Any = target  # a list of class indices here (checked next)
    if not _is_sequence(targets) or len(targets) != len(logits):
        got = len(targets) if _is_sequence(targets) else "a single"
        raise ValueError(f"cross_entropy: {len(logits)} samples of logits but {got} target(s)")
    return _mean([_one_cross_entropy(z, t) for z, t in zip(logits, targets)])


# --------------------------------------------------------------------------------------------
# Regularisation
# --------------------------------------------------------------------------------------------


def l2(parameters: Iterable[Value]) -> Value:
    """Σ p² over `parameters` (no ½, no coefficient);  ∂/∂p = 2p.

    Use ``loss + alpha * l2(model.parameters())`` (micrograd's demo: alpha = 1e-4).
    """
    params = list(parameters)
    if not params:
        raise ValueError("l2: needs at least one parameter, got none")
    for p in params:
        if not isinstance(p, Value):
            raise TypeError(f"l2: parameters must be Values, got {type(p).__name__} {p!r}")
    return _sum([p * p for p in params])


LOSSES = {
    "mse": mse,
    "bce_with_logits": bce_with_logits,
    "cross_entropy": cross_entropy,
    "hinge": hinge,
    "perceptron": perceptron,
}
"""The data losses by name (what `nn.fit(loss="hinge")` looks up)."""

TERMS = {
    "mse": mse_term,
    "bce_with_logits": bce_with_logits_term,
    "hinge": hinge_term,
    "perceptron": perceptron_term,
}
"""The elementwise losses' per-element terms ℓ(prediction_i, target_i), each the function its loss
averages (so they cannot drift apart): `fit(compile=True)` traces one program per term with the
target as an input. A loss of `LOSSES` without a term here is compiled as a whole (full batches)."""
