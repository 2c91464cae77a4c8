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

__all__ = ["fit", "accuracy"]

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


def _correct(score: object, target: object) -> bool:
    """Is one prediction right?

    Several scores (a list): the class is the argmax, and `target` is a class index.
    One score: the class is positive when score > 0, and `target` is ±1 or 0/1 (positive = 1).
    """
    if _is_vector(score):
        values = [_number(s) for s in score]  # type: ignore[attr-defined]
        if (
            type(target) is bool
            or not isinstance(target, numbers.Integral)
            or not (0 <= int(target) < len(values))
        ):
            raise ValueError(
                f"accuracy: class index {target!r} is out of range for {len(values)} scores"
            )
        return max(range(len(values)), key=values.__getitem__) == target
    t = _number(target)
    if t not in (-1.0, 0.0, 1.0):
        raise ValueError(f"accuracy: a label for one score must be +1, -1, 0 or 1, got {target!r}")
    return (_number(score) > 0.0) == (t > 0.0)


def accuracy(scores: Any, targets: Any, y: Any = None) -> float:
    """The fraction of correct predictions, in [0, 1].

    ``accuracy(scores, targets)``: `scores` is a list of single scores (binary: positive when
    > 0, targets ±1 or 0/1) or a list of score lists (multi-class: the argmax, targets class
    indices). ``accuracy(model, X, y)`` runs the model on X first (without building a graph).
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
    progress    tqdm bar: None = when stdout is a TTY and tqdm is installed, False = never.
    callbacks   ``cb(epoch, history)`` after each epoch; returning True stops training early.
    detect_anomaly  train in `engine.detect_anomaly()`: the first NaN or ±inf (a forward value, a
                gradient, a parameter after an update) or overflow stops training with an
                `engine.AnomalyError` naming the epoch, the op, its inputs and the line.
    compile     train through replay (`engine.trace`): the model and loss of one example are
                traced once and replayed on every example, instead of building a graph per step.
                True picks numpy for batches of 16 or more when numpy is installed, floats
                otherwise; "float" or "numpy" forces one. Floats give the eager run's numbers
                bit for bit, numpy to rounding. See `nn.compiled`.

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
        from nn.compiled import CompiledObjective

        compiled = CompiledObjective(model, loss_fn, loss_name, alpha, params, compile, full)
        compiled.validate(X, y)
    history: dict[str, list] = {"epoch": [], "loss": [], "accuracy": [], "lr": []}
    bar = _progress_bar(epochs, progress)
    guard = _anomaly.detect_anomaly() if detect_anomaly else None
    if guard is not None:
        guard.__enter__()
    epoch = 0
    try:
        for epoch in range(epochs):
            total, correct = 0.0, 0
            for Xb, yb in _batches(X, y, batch_size, shuffle=shuffle and not full, rng=rng):
                if compiled is not None:  # replay: no graph is built
                    optimizer.zero_grad()
                    value, scores = compiled.run(Xb, yb)
                    optimizer.step()
                    total += value * len(Xb)
                    if record_accuracy:
                        correct += sum(_correct(s, t) for s, t in zip(scores, yb))
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
                    correct += sum(_correct(s, t) for s, t in zip(scores, yb))
                del scores, objective  # free this graph before the next one is built
            history["epoch"].append(epoch)
            history["loss"].append(total / n)
            history["accuracy"].append(correct / n if record_accuracy else None)
            history["lr"].append(optimizer.lr)
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


def _update_bar(bar: Any, history: dict) -> None:
    shown = {"loss": fmt(history["loss"][-1])}
    if history["accuracy"][-1] is not None:
        shown["acc"] = f"{history['accuracy'][-1]:.1%}"
    bar.set_postfix(shown, refresh=False)
    bar.update(1)
