"""The training loop, `fit`, and the `accuracy` helper.

One epoch of `fit` visits the data once, in mini-batches (one full batch by default). For each
batch it runs the four steps of gradient descent with backpropagation:

    forward    scores = [model(x) for x in batch];  L = loss(scores, targets) + alpha·Σ p²
    zero_grad  p.grad = 0 for every parameter
    backward   L.backward() fills p.grad = ∂L/∂p
    update     optimizer.step()  (e.g. p ← p - lr·p.grad)

and records the epoch's mean loss and the accuracy of the predictions it made (before each
batch's update, as micrograd's demo reports them).
"""

from __future__ import annotations

import math
import numbers
import random
import sys
from typing import Any, Callable, Iterable, Sequence, Union

from engine import Value, no_grad
from engine.core.numfmt import fmt
from engine.functional import anomaly as _anomaly
from nn import losses as _losses
from nn import optim as _optim
from nn.data import batches as _batches
from nn.module import Module

__all__ = ["fit", "accuracy", "dead_layers"]

LossFn = Callable[[Any, Any], Value]
Callback = Callable[[int, dict], bool | None]
_CLASSIFICATION = {"hinge", "perceptron", "bce_with_logits", "cross_entropy"}


# --------------------------------------------------------------------------------------------
# Accuracy
# --------------------------------------------------------------------------------------------


def _number(x: object) -> float:
    return x.data if isinstance(x, Value) else float(x)  # type: ignore[arg-type]


def _is_vector(x: object) -> bool:
    return not isinstance(x, (Value, str, bytes)) and hasattr(x, "__len__")


def _class_index(target: object, k: int) -> int:
    """`target` as a class index in 0..k-1: an integer, or an integral float (``2.0`` is class 2,
    as `losses.cross_entropy` reads it). ValueError naming it otherwise."""
    if type(target) is not bool and isinstance(target, numbers.Real):
        try:
            number = float(target)
        except (OverflowError, ValueError):
            number = math.inf
        if number.is_integer() and 0 <= number < k:
            return int(number)
    raise ValueError(
        f"accuracy: class index {target!r} is out of range for {k} scores "
        f"(a class index is an integer 0..{k - 1})"
    )


def _label(target: object) -> float | None:
    """A hard label for one score (+1, -1, 0 or 1) as a float; None for a soft one in (0, 1)
    (a BCE probability such as 0.3); ValueError naming anything else."""
    if type(target) is not bool and isinstance(target, (Value, numbers.Real)):
        t = _number(target)
        if t in (-1.0, 0.0, 1.0):
            return t
        if 0.0 < t < 1.0:
            return None
    raise ValueError(
        f"accuracy: a label for one score must be +1, -1, 0 or 1, got {target!r} "
        f"(a soft label in (0, 1) is allowed but has no accuracy)"
    )


def _judge(score: object, target: object) -> bool | None:
    """Is one prediction right? None when the target is soft (accuracy is undefined for it).

    Several scores and one target: the class is the argmax, and `target` is a class index.
    Several scores and as many targets (multi-label BCE): right when every score is.
    One score: the class is positive when score > 0, and `target` is ±1 or 0/1 (positive = 1).
    """
    if _is_vector(score):
        values = [_number(s) for s in score]  # type: ignore[attr-defined]
        if _is_vector(target):
            labels = list(target)  # type: ignore[call-overload]
            if len(labels) != len(values):
                raise ValueError(
                    f"accuracy: {len(values)} scores but {len(labels)} labels in one target"
                )
            verdicts = [_judge(v, t) for v, t in zip(values, labels)]
            return None if None in verdicts else all(verdicts)
        index = _class_index(target, len(values))
        return max(range(len(values)), key=values.__getitem__) == index
    t = _label(target)
    return None if t is None else (_number(score) > 0.0) == (t > 0.0)


def _correct(score: object, target: object) -> bool:
    """`_judge`, with a soft target an error (ValueError naming it)."""
    verdict = _judge(score, target)
    if verdict is None:
        raise ValueError(
            f"accuracy: {target!r} is a soft label; accuracy needs hard labels (+1, -1, 0 or 1 "
            f"for one score); fit reports accuracy None for soft targets"
        )
    return verdict


def accuracy(scores: Any, targets: Any, y: Any = None) -> float:
    """The fraction of correct predictions, in [0, 1].

    ``accuracy(scores, targets)``: `scores` is a list of single scores (binary: positive when
    > 0, targets ±1 or 0/1) or a list of score lists (multi-class: the argmax, targets class
    indices, integral floats such as ``1.0`` included; multi-label: a list of 0/1 targets per
    example, right when every score is). ``accuracy(model, X, y)`` runs the model on X first
    (without building a graph). Soft targets (probabilities such as 0.3) have no accuracy:
    ValueError naming the label.
    """
    if isinstance(scores, Module):
        with no_grad():
            scores = [scores(x) for x in targets]
        targets = y
    elif y is not None:
        raise TypeError(
            "accuracy(scores, targets) takes two arguments; "
            "accuracy(model, X, y) needs a Module first"
        )
    if not _is_vector(scores):
        scores, targets = [scores], [targets]
    if not _is_vector(targets) or len(scores) != len(targets):
        raise ValueError(
            f"accuracy: {len(scores)} scores but "
            f"{len(targets) if _is_vector(targets) else 'a single'} target(s)"
        )
    if not scores:
        raise ValueError("accuracy: no scores")
    return sum(_correct(s, t) for s, t in zip(scores, targets)) / len(scores)


# --------------------------------------------------------------------------------------------
# fit
# --------------------------------------------------------------------------------------------


def _loss_function(loss: Union[str, LossFn]) -> tuple[LossFn, str]:
    if isinstance(loss, str):
        if loss not in _losses.LOSSES:
            raise ValueError(
                f"unknown loss {loss!r}; choose one of {', '.join(_losses.LOSSES)} "
                f"or pass a function(scores, targets) -> Value"
            )
        return _losses.LOSSES[loss], loss
    if not callable(loss):
        raise TypeError(
            f"loss must be a name or a function(scores, targets) -> Value, got {loss!r}"
        )
    return loss, getattr(loss, "__name__", "custom")


def _callbacks(callbacks: Union[Callback, Iterable[Callback], None]) -> list[Callback]:
    if callbacks is None:
        return []
    if callable(callbacks):
        return [callbacks]
    found = list(callbacks)
    for cb in found:
        if not callable(cb):
            raise TypeError(f"callbacks must be callables (epoch, history), got {cb!r}")
    return found


def _progress_bar(epochs: int, progress: bool | None):
    """A tqdm bar over the epochs, or None: tqdm is optional and only used on a terminal.

    ``progress=None`` (auto) shows it when tqdm is installed and stdout is a TTY; ``True`` shows
    it whenever tqdm is installed; ``False`` never does.
    """
    if progress is False:
        return None
    if progress is None and not (hasattr(sys.stdout, "isatty") and sys.stdout.isatty()):
        return None
    try:
        from tqdm.auto import tqdm  # optional: pip install chainrule[progress]
    except ImportError:
        return None
    return tqdm(total=epochs, desc="fit", unit="epoch", leave=True)


def fit(
    model: Callable[[Any], Any],
    X: Sequence,
    y: Sequence,
    *,
    loss: Union[str, LossFn] = "hinge",
    optimizer: _optim.Optimizer | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    lr: float = 0.1,
    alpha: float = 0.0,
    shuffle: bool = True,
    seed: int | None = None,
    metric: bool | None = None,
    progress: bool | None = None,
    callbacks: Union[Callback, Iterable[Callback], None] = None,
    detect_anomaly: bool = False,
    compile: bool | str = False,
) -> dict[str, list]:
    """Train `model` on ``(X, y)`` and return the history: a dict of per-epoch lists.

    model       a Module (or any callable on one input whose parameters the optimiser holds).
    loss        a name from `losses.LOSSES` ("hinge", "mse", "bce_with_logits", "cross_entropy",
                "perceptron") or a function ``(scores, targets) -> Value``.
    optimizer   an `optim` optimiser; default ``optim.SGD(model.parameters(), lr=lr)``.
    epochs      passes over the data; `batch_size` None means full-batch gradient descent.
    alpha       L2 coefficient: the objective is ``loss + alpha·Σ p²`` over the optimiser's
                parameters (micrograd's demo: 1e-4).
    shuffle, seed  mini-batch order (from ``random.Random(seed)``; unused for full batches).
    metric      record accuracy: None = for the classification losses, True/False to force.
                Soft targets (a BCE probability such as 0.3) have no accuracy: the epoch's
                accuracy is None when any target is soft.
    progress    tqdm bar: None = when stdout is a TTY and tqdm is installed, False = never.
    callbacks   ``cb(epoch, history)`` after each epoch; returning True stops training early.
    detect_anomaly  train in `engine.detect_anomaly()`: the first NaN or ±inf (a forward value, a
                gradient, a parameter after an update) or overflow stops training with an
                `engine.AnomalyError` naming the epoch, the op, its inputs and the line.
    compile     train through replay (`engine.trace`): the model and loss of one example are
                traced once and replayed on every example, instead of building a graph per step.
                True picks numpy for batches of 16 or more when numpy is installed, floats
                otherwise; "float" or "numpy" forces one. Floats give the eager run's numbers
                bit for bit, numpy to rounding. It takes what eager training takes (numpy
                arrays of examples and labels too). See `nn.compiled`.

    history keys: ``"epoch"``, ``"loss"`` (mean objective over the epoch's batches, weighted by
    batch size, including the L2 term), ``"accuracy"`` (a float, or None when not recorded) and
    ``"lr"`` (the learning rate of the epoch's last step).
    """
    loss_fn, loss_name = _loss_function(loss)
    if type(epochs) is bool or not isinstance(epochs, numbers.Integral) or epochs < 0:
        raise ValueError(f"epochs must be an integer ≥ 0, got {epochs!r}")
    if type(alpha) is bool or not isinstance(alpha, numbers.Real) or not alpha >= 0:
        raise ValueError(f"alpha must be a number ≥ 0, got {alpha!r}")
    n = len(X)
    if n != len(y) or n == 0:
        raise ValueError(f"fit: X has {n} rows and y has {len(y)} labels (need equal, > 0)")
    if optimizer is None:
        if not isinstance(model, Module):
            raise TypeError("fit: pass an optimizer when the model is not a Module")
        optimizer = _optim.SGD(model.parameters(), lr=lr)
    params = optimizer.params
    record_accuracy = (loss_name in _CLASSIFICATION) if metric is None else bool(metric)
    hooks = _callbacks(callbacks)
    rng = random.Random(seed)
    full = batch_size is None or batch_size >= n  # one batch of everything: order is irrelevant
    compiled = None
    if compile and detect_anomaly:
        raise ValueError(
            "fit: detect_anomaly=True needs the eager engine (compile=False): anomaly mode names "
            "the line that made a node, and replay makes no nodes"
        )
    if compile:
        from nn.compiled import CompiledObjective, plain_rows

        X, y = plain_rows(X), plain_rows(y)  # numpy rows as lists: what eager fit accepts
        compiled = CompiledObjective(model, loss_fn, loss_name, alpha, params, compile, full)
        compiled.validate(X, y)
    history: dict[str, list] = {"epoch": [], "loss": [], "accuracy": [], "lr": []}
    bar = _progress_bar(epochs, progress)
    guard = _anomaly.detect_anomaly() if detect_anomaly else None
    if guard is not None:
        guard.__enter__()
    epoch = 0
    warned_dead = False  # a stuck run with dead hidden units is told so, once
    try:
        for epoch in range(epochs):
            total, correct = 0.0, 0  # correct: None once a soft target is seen
            for Xb, yb in _batches(X, y, batch_size, shuffle=shuffle and not full, rng=rng):
                if compiled is not None:  # replay: no graph is built
                    optimizer.zero_grad()
                    value, scores = compiled.run(Xb, yb)
                    optimizer.step()
                    total += value * len(Xb)
                    if record_accuracy:
                        correct = _count_correct(correct, scores, yb)
                    continue
                scores = [model(x) for x in Xb]
                objective = loss_fn(scores, yb)
                if alpha:
                    objective = objective + alpha * _losses.l2(params)
                optimizer.zero_grad()
                objective.backward()
                optimizer.step()
                if guard is not None:
                    _anomaly.check_parameters(params, f"the update of epoch {epoch}")
                total += objective.data * len(Xb)
                if record_accuracy:
                    correct = _count_correct(correct, scores, yb)
                del scores, objective  # free this graph before the next one is built
            history["epoch"].append(epoch)
            history["loss"].append(total / n)
            recorded = record_accuracy and correct is not None
            history["accuracy"].append(correct / n if recorded else None)
            history["lr"].append(optimizer.lr)
            if not warned_dead and len(history["loss"]) >= 2 and _stuck(history["loss"]):
                warned_dead = _warn_if_dead(model, X, epoch)
            if bar is not None:
                _update_bar(bar, history)
            if any([bool(hook(epoch, history)) for hook in hooks]):
                break
    except (_anomaly.AnomalyError, OverflowError) as exc:
        if guard is None:
            raise
        raise _anomaly.AnomalyError(_anomaly.stopped("fit", epoch, history["loss"], exc)) from exc
    finally:
        if guard is not None:
            guard.__exit__(None, None, None)
        if bar is not None:
            bar.close()
    return history


def _count_correct(correct: int | None, scores: Sequence, targets: Sequence) -> int | None:
    """`correct` plus the right predictions among `scores`; None (no accuracy) once a target is
    soft, such as a BCE probability 0.3."""
    for score, target in zip(scores, targets):
        if correct is None:
            return None
        verdict = _judge(score, target)
        correct = None if verdict is None else correct + verdict
    return correct


def _stuck(losses: list) -> bool:
    """The loss did not move over the last epoch (to 1e-9 relative): training is stuck."""
    before, now = losses[-2], losses[-1]
    return abs(now - before) <= 1e-9 * max(abs(before), abs(now), 1e-300)


def dead_layers(model: Any, X: Sequence) -> list[int]:
    """The hidden layers (1-based) of an MLP-like `model` (one with ``.layers``) in which every
    unit outputs exactly 0 for every row of `X`: dead ReLUs, through which no gradient flows."""
    layers = getattr(model, "layers", None)
    if not isinstance(layers, list) or len(layers) < 2:
        return []
    alive: list[set[int]] = [set() for _ in layers[:-1]]
    with no_grad():
        for x in X:
            h = list(x) if not isinstance(x, (int, float)) else [x]
            for i, layer in enumerate(layers[:-1]):
                out = layer(h)
                h = out if isinstance(out, list) else [out]
                alive[i].update(j for j, v in enumerate(h) if getattr(v, "data", v) != 0.0)
    return [i + 1 for i, units in enumerate(alive) if not units]


def _warn_if_dead(model: Any, X: Sequence, epoch: int) -> bool:
    """Warn, once, when a stuck run has a hidden layer of dead units; True if it warned."""
    import warnings

    dead = dead_layers(model, X)
    if not dead:
        return False
    which = ", ".join(str(i) for i in dead)
    warnings.warn(
        f"fit: the loss stopped moving at epoch {epoch} and every hidden unit is dead in layer "
        f"{which} (each outputs 0 for every example, so no gradient flows): try "
        "activation='tanh', a smaller lr or another seed",
        RuntimeWarning,
        stacklevel=3,
    )
    return True


def _update_bar(bar: Any, history: dict) -> None:
    shown = {"loss": fmt(history["loss"][-1])}
    if history["accuracy"][-1] is not None:
        shown["acc"] = f"{history['accuracy'][-1]:.1%}"
    bar.set_postfix(shown, refresh=False)
    bar.update(1)
