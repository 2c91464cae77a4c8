"""The training bench's model: one training run, update by update, in pure Python (no web).

A `TrainingRun` holds a toy data set (plus the points the learner added or deleted), an MLP, a
loss, an optimiser and a batch order, all drawn from one seed. ``step()`` makes one update

    forward + backward   g = ∂/∂p [ (1/B) Σ_{i in batch} ℓ(model(x_i), t_i) ]   (through replay)
    update               p ← optimiser(p, g)        (SGD with momentum, or Adam)

with the batch objective and its gradient computed by `nn.compiled.CompiledObjective` (the model
and loss of one example traced once, replayed on the batch with numpy), so the loss is the loss an
eager `nn` run with the same seed computes. ``frame()`` describes the run for the page: the loss
and accuracy of the latest update's batch (measured before its step, as `nn.fit` reports them),
the decision boundary on a grid, the weights, the δ of a chosen point and gradient health per
layer.

Rewind: a checkpoint (parameters, optimiser state, random state, batch position, data) is kept
every `CHECKPOINT_EVERY` updates and whenever the data or learning rate change; ``rewind(k)``
restores the nearest checkpoint at or before k and replays the updates up to k, which gives the
same numbers bit for bit, so continuing after a rewind repeats the original run exactly.

Bad settings raise `nn.lab.errors.LabInputError` (a ValueError) naming the value.
"""

from __future__ import annotations

import math
import numbers
import random
from array import array
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Sequence, cast

from engine import Value, no_grad
from nn import data as _data
from nn import losses as _losses
from nn import optim as _optim
from nn.compiled import CompiledObjective
from nn.lab.errors import LabInputError
from nn.layers import MLP
from nn.teaching.delta_mode import DeltaStepper
from nn.teaching.network_view import network_state

__all__ = [
    "TrainingConfig",
    "TrainingRun",
    "overflow_message",
    "DATASETS",
    "LOSSES",
    "OPTIMISERS",
    "HIDDEN_ACTIVATIONS",
    "CHECKPOINT_EVERY",
    "parse_config",
    "target_of",
]

DATASETS = ("moons", "circles", "xor", "spirals", "blobs")
LOSSES = ("hinge", "bce_with_logits", "mse", "cross_entropy")
OPTIMISERS = ("sgd", "adam")
HIDDEN_ACTIVATIONS = ("tanh", "relu", "sigmoid", "leaky_relu", "gelu", "linear")
CHECKPOINT_EVERY = 10
"""A checkpoint every this many updates: a rewind replays at most this many minus one."""

SATURATED_SLOPE = 0.02
"""A unit is saturated on a point when g'(s) is below this (tanh: |a| > 0.99)."""
SATURATED_SHARE = 0.9
"""A unit counts as saturated when it is saturated on at least this share of the points."""


# --------------------------------------------------------------------------------------------
# The configuration
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingConfig:
    """What the learner chose. ``batch_size=0`` means one full batch of every point."""

    dataset: str = "moons"
    points: int = 200
    noise: float = 0.1
    classes: int = 2
    hidden: tuple[int, ...] = (16, 16)
    activation: str = "tanh"
    loss: str = "hinge"
    optimizer: str = "sgd"
    lr: float = 0.1
    momentum: float = 0.0
    batch_size: int = 0
    seed: int = 0
    grid: int = 50

    @property
    def outputs(self) -> int:
        """Output width: one score, or one logit per class for cross-entropy."""
        return self.classes if self.loss == "cross_entropy" else 1


def whole_number(raw: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    """``raw[key]`` (or `default`): a whole number from `low` to `high`."""
    return int(_bounded(raw, key, default, low, high, numbers.Integral, "a whole number"))


def _real(raw: Mapping[str, Any], key: str, default: float, low: float, high: float) -> float:
    """``raw[key]`` (or `default`): a number from `low` to `high`."""
    return float(_bounded(raw, key, default, low, high, numbers.Real, "a number"))


def _bounded(
    raw: Mapping[str, Any],
    key: str,
    default: Any,
    low: float,
    high: float,
    kind: type,
    what: str,
) -> Any:
    """``raw[key]`` when it is a `kind` (never a bool) from `low` to `high`; else a
    `LabInputError` that names the key, the range and (shortened) the value."""
    value = raw.get(key, default)
    if type(value) is bool or not isinstance(value, kind) or not low <= cast(float, value) <= high:
        raise LabInputError(f"{key} must be {what} from {low} to {high}, got {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    """`value`'s repr for a message, at most 60 characters."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        return "a number too long to show"
    return text if len(text) <= 60 else text[:57] + "..."


def _choice(raw: Mapping[str, Any], key: str, default: str, choices: Sequence[str]) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or value not in choices:
        raise LabInputError(f"{key} must be one of {', '.join(choices)}, got {_shown(value)}")
    return value


def _hidden(raw: Mapping[str, Any], limits: Any) -> tuple[int, ...]:
    value = raw.get("hidden", [16, 16])
    max_layers, max_width = limits.max_layers, limits.max_width
    if not isinstance(value, (list, tuple)) or not 1 <= len(value) + 1 <= max_layers:
        raise LabInputError(
            f"hidden must be a list of 0 to {max_layers - 1} layer widths, got {_shown(value)}"
        )
    for width in value:
        if type(width) is bool or not isinstance(width, int) or not 1 <= width <= max_width:
            raise LabInputError(
                f"each hidden width must be from 1 to {max_width}, got {_shown(width)}"
            )
    return tuple(int(w) for w in value)


def parse_config(raw: Mapping[str, Any], limits: Any) -> TrainingConfig:
    """A `TrainingConfig` from the page's JSON, checked against `limits` (`nn.lab.limits`):
    LabInputError naming the first bad value. Missing keys take the defaults."""
    if not isinstance(raw, Mapping):
        raise LabInputError(f"the training settings must be a JSON object, got {raw!r}"[:200])
    known = set(TrainingConfig.__dataclass_fields__)
    unknown = sorted(str(k) for k in raw if k not in known)
    if unknown:
        raise LabInputError(f"unknown training setting {unknown[0][:60]!r}")
    config = TrainingConfig(
        dataset=_choice(raw, "dataset", "moons", DATASETS),
        points=whole_number(raw, "points", 200, 4, limits.max_points),
        noise=_real(raw, "noise", 0.1, 0.0, 1.0),
        classes=whole_number(raw, "classes", 2, 2, 5),
        hidden=_hidden(raw, limits),
        activation=_choice(raw, "activation", "tanh", HIDDEN_ACTIVATIONS),
        loss=_choice(raw, "loss", "hinge", LOSSES),
        optimizer=_choice(raw, "optimizer", "sgd", OPTIMISERS),
        lr=_real(raw, "lr", 0.1, 1e-6, 10.0),
        momentum=_real(raw, "momentum", 0.0, 0.0, 0.999),
        batch_size=whole_number(raw, "batch_size", 0, 0, limits.max_points),
        seed=whole_number(raw, "seed", 0, 0, 2**31 - 1),
        grid=whole_number(raw, "grid", 50, 4, limits.max_grid),
    )
    if config.dataset in ("moons", "circles", "xor") and config.classes != 2:
        raise LabInputError(f"{config.dataset} has 2 classes, got classes={config.classes}")
    if config.classes > 2 and config.loss != "cross_entropy":
        raise LabInputError(
            f"{config.classes} classes need the loss cross_entropy, got {config.loss!r}"
        )
    return config


# --------------------------------------------------------------------------------------------
# Data and targets
# --------------------------------------------------------------------------------------------

Point = tuple[float, float, int]  # x1, x2, class index


def make_points(config: TrainingConfig) -> tuple[Point, ...]:
    """The toy data set of `config`, as (x1, x2, class) with classes 0..k-1, from its seed."""
    n, noise, seed, k = config.points, config.noise, config.seed, config.classes
    if config.dataset == "moons":
        X, y = _data.make_moons(n, noise, seed, labels="01")
    elif config.dataset == "circles":
        X, y = _data.make_circles(n, noise, seed, labels="01")
    elif config.dataset == "xor":
        X, y = _data.make_xor(n, noise, seed, labels="01")
    elif config.dataset == "spirals":
        X, y = _data.make_spirals(n, k, noise, seed)
    else:
        X, y = _data.make_blobs(n, k, 0.15 + noise, seed, box=(-1.5, 1.5))
    return tuple((float(x[0]), float(x[1]), int(c)) for x, c in zip(X, y))


def target_of(loss: str, cls: int) -> float | int:
    """The target the loss reads for class `cls`: ±1 for hinge and mse, 0/1 for BCE, the class
    index for cross-entropy."""
    if loss in ("hinge", "mse", "perceptron"):
        return 2 * cls - 1
    return cls


def _box(points: Sequence[Point]) -> tuple[float, float, float, float]:
    """A square around the points with a margin of 15%: (x min, x max, y min, y max)."""
    xs = [p[0] for p in points] or [0.0]
    ys = [p[1] for p in points] or [0.0]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    half = max(max(xs) - min(xs), max(ys) - min(ys), 0.5) / 2 * 1.15
    return (
        round(cx - half, 3),
        round(cx + half, 3),
        round(cy - half, 3),
        round(cy + half, 3),
    )


# --------------------------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Checkpoint:
    """Everything the next update reads, as it was after update `update`."""

    update: int
    params: bytes
    optimizer: tuple
    rng: tuple
    epoch: int
    batches: tuple
    position: int
    points: tuple[Point, ...]


def _optimizer_state(opt: _optim.Optimizer) -> tuple:
    """The optimiser's buffers, learning rate and step count, copied."""
    if isinstance(opt, _optim.Adam):
        return (opt.lr, opt.steps, array("d", opt.m).tobytes(), array("d", opt.v).tobytes())
    velocity = opt.velocity  # type: ignore[attr-defined]
    saved = None if velocity is None else array("d", velocity).tobytes()
    return (opt.lr, opt.steps, saved, None)


def _restore_optimizer(opt: _optim.Optimizer, state: tuple) -> None:
    lr, steps, first, second = state
    opt.lr, opt.steps = lr, steps
    if isinstance(opt, _optim.Adam):
        opt.m = array("d", first).tolist()
        opt.v = array("d", second).tolist()
    else:
        opt.velocity = None if first is None else array("d", first).tolist()  # type: ignore


@dataclass
class _Record:
    """What one update measured: the batch loss and accuracy, the gradient norm per layer."""

    loss: float
    accuracy: float | None
    grad_norms: tuple[float, ...]
    epoch: int


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


def build_model(config: TrainingConfig) -> MLP:
    """MLP(2, [*hidden, outputs]) with the config's activation, weights from its seed."""
    return MLP(2, [*config.hidden, config.outputs], config.activation, seed=config.seed)


def build_optimizer(config: TrainingConfig, params: list) -> _optim.Optimizer:
    """SGD(lr, momentum) or Adam(lr) over `params`."""
    if config.optimizer == "adam":
        return _optim.Adam(params, lr=config.lr)
    return _optim.SGD(params, lr=config.lr, momentum=config.momentum)


def _layer_outputs(model: MLP, x: Sequence[Any]) -> list:
    """Every unit's activation, layer by layer, then the outputs: what the grid and health read."""
    out: list = list(x)
    flat: list = []
    for layer in model.layers:
        out = layer(out)
        flat.extend(out)
    return flat


def overflow_message(update: int) -> str:
    """The warning, in words, for weights that blew up at (or by) update `update`."""
    return (
        f"update {update}: the numbers overflowed (the weights blew up): the learning rate is "
        "too large; rewind and lower the learning rate"
    )


@dataclass
class TrainingRun:
    """One training run (see the module docstring). Build it with ``TrainingRun(config)``."""

    config: TrainingConfig
    limits: Any = None
    points: tuple[Point, ...] = field(init=False)
    update: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.points = make_points(self.config)
        self.box = _box(self.points)
        self.model = build_model(self.config)
        self.params = self.model.parameters()
        self.optimizer = build_optimizer(self.config, self.params)
        self.loss_fn: Callable[..., Value] = _losses.LOSSES[self.config.loss]
        self.compiled = CompiledObjective(
            self.model, self.loss_fn, self.config.loss, 0.0, self.params, "auto", False
        )
        self.rng = random.Random(self.config.seed)
        self.epoch = 0
        self.batches: tuple = ()
        self.position = 0
        self.records: list[_Record] = []
        self.checkpoints: dict[int, _Checkpoint] = {}
        self.selected: int | None = 0 if self.points else None
        self._forward: Any = None
        self._grid_inputs: Any = None
        self._shadow = build_model(self.config)
        self._checkpoint()

    # -- sizes and data -------------------------------------------------------------------------

    @property
    def widths(self) -> list[int]:
        return [2, *self.config.hidden, self.config.outputs]

    def _max_points(self) -> int:
        return getattr(self.limits, "max_points", 1000)

    def add_point(self, x1: object, x2: object, cls: object) -> int:
        """Add the point (x1, x2) of class `cls`; returns its index. It takes part from the
        next update on (a new epoch starts then)."""
        for name, value in (("x", x1), ("y", x2)):
            if type(value) is bool or not isinstance(value, numbers.Real):
                raise LabInputError(f"a point's {name} must be a number, got {value!r}"[:120])
            if not math.isfinite(float(value)) or abs(float(value)) > 100:
                raise LabInputError(f"a point's {name} must be within ±100, got {value!r}")
        k = self.config.classes
        if type(cls) is bool or not isinstance(cls, int) or not 0 <= cls < k:
            raise LabInputError(f"a point's class must be 0 to {k - 1}, got {cls!r}"[:120])
        if len(self.points) >= self._max_points():
            raise LabInputError(f"at most {self._max_points()} points, and there are already")
        self.points = (*self.points, (float(x1), float(x2), int(cls)))  # type: ignore[arg-type]
        self._data_changed()
        return len(self.points) - 1

    def delete_point(self, index: object) -> None:
        """Delete point `index` (from the next update on)."""
        if type(index) is bool or not isinstance(index, int) or not 0 <= index < len(self.points):
            raise LabInputError(f"no point number {index!r}: there are {len(self.points)}")
        if len(self.points) <= 1:
            raise LabInputError("the last point cannot be deleted: training needs one")
        self.points = self.points[:index] + self.points[index + 1 :]
        if self.selected is not None and self.selected >= index:
            self.selected = None if self.selected == index else self.selected - 1
        self._data_changed()

    def nearest_point(self, x1: float, x2: float) -> int | None:
        """The index of the point nearest to (x1, x2), or None when there are none."""
        if not self.points:
            return None
        return min(
            range(len(self.points)),
            key=lambda i: (self.points[i][0] - x1) ** 2 + (self.points[i][1] - x2) ** 2,
        )

    def select(self, index: object) -> None:
        """Choose the point whose δs the frames show (None: none)."""
        if index is not None and (
            type(index) is bool or not isinstance(index, int) or not 0 <= index < len(self.points)
        ):
            raise LabInputError(f"no point number {index!r}: there are {len(self.points)}")
        self.selected = index

    def set_lr(self, lr: float) -> None:
        """Change the learning rate from the next update on (a checkpoint remembers it)."""
        if type(lr) is bool or not isinstance(lr, numbers.Real) or not 1e-6 <= lr <= 10.0:
            raise LabInputError(f"lr must be a number from 1e-06 to 10.0, got {lr!r}")
        self.optimizer.lr = float(lr)
        self.config = replace(self.config, lr=float(lr))
        self._checkpoint()

    def _data_changed(self) -> None:
        self.batches, self.position = (), 0  # a new epoch over the new data at the next update
        self._checkpoint()

    def _dataset(self) -> tuple[list, list]:
        X = [[p[0], p[1]] for p in self.points]
        y = [target_of(self.config.loss, p[2]) for p in self.points]
        return X, y

    # -- updates ----------------------------------------------------------------------------

    def _next_batch(self) -> tuple[list, list]:
        """The next mini-batch, in the order `nn.fit` visits them: the points shuffled by the
        run's random generator at each epoch (not shuffled for one full batch)."""
        if self.position >= len(self.batches):
            X, y = self._dataset()
            size = self.config.batch_size or None
            full = size is None or size >= len(X)
            self.batches = tuple(_data.batches(X, y, size, shuffle=not full, rng=self.rng))
            self.position = 0
            if self.update:
                self.epoch += 1
        batch = self.batches[self.position]
        self.position += 1
        return batch

    def step(self) -> float:
        """One update; returns the batch objective (1/B)·Σ ℓ_i measured before the step."""
        limit = getattr(self.limits, "max_updates_kept", 20_000)
        if self.update >= limit:
            raise LabInputError(f"this run has reached {limit} updates: reset it to go on")
        Xb, yb = self._next_batch()
        self.optimizer.zero_grad()
        try:
            value, scores = self.compiled.run(Xb, yb)
            norms = self._grad_norms()
            record = _Record(float(value), _batch_accuracy(scores, yb), norms, self.epoch)
            if not all(map(math.isfinite, (record.loss, *norms))):
                raise OverflowError("the loss or a gradient is not a finite number")
            self.optimizer.step()
        except ArithmeticError:
            raise LabInputError(overflow_message(self.update + 1)) from None
        self.update += 1
        self.records.append(record)
        if self.update % CHECKPOINT_EVERY == 0:
            self._checkpoint()
        return float(value)

    def _grad_norms(self) -> tuple[float, ...]:
        """‖∂objective/∂p‖ over each layer's weights and biases: √(Σ g²), as the update used."""
        norms = []
        for layer in self.model.layers:
            total = 0.0
            for neuron in layer.neurons:
                for p in (*neuron.w, neuron.b):
                    total += float(p.grad) ** 2
            norms.append(math.sqrt(total))
        return tuple(norms)

    @property
    def losses(self) -> list[float]:
        """The batch loss of every update so far (update 1 first)."""
        return [r.loss for r in self.records]

    # -- checkpoints and rewind -------------------------------------------------------------

    def _checkpoint(self) -> None:
        self.checkpoints[self.update] = _Checkpoint(
            self.update,
            array("d", [p.data for p in self.params]).tobytes(),
            _optimizer_state(self.optimizer),
            self.rng.getstate(),
            self.epoch,
            self.batches,
            self.position,
            self.points,
        )

    def _restore(self, c: _Checkpoint) -> None:
        for p, v in zip(self.params, array("d", c.params)):
            p.data = v
        _restore_optimizer(self.optimizer, c.optimizer)
        self.config = replace(self.config, lr=self.optimizer.lr)
        self.rng.setstate(c.rng)
        self.epoch, self.batches, self.position = c.epoch, c.batches, c.position
        if c.points != self.points:
            self.selected = None
        self.points = c.points
        self.update = c.update

    def rewind(self, k: object) -> None:
        """Go back to just after update `k` (0: before the first): the nearest checkpoint, then
        its updates replayed. What comes after k is forgotten; the next ``step()`` repeats the
        original update k + 1 exactly."""
        if type(k) is bool or not isinstance(k, int) or not 0 <= k <= self.update:
            raise LabInputError(f"rewind needs an update from 0 to {self.update}, got {k!r}")
        start = max(u for u in self.checkpoints if u <= k)
        self._restore(self.checkpoints[start])
        self.checkpoints = {u: c for u, c in self.checkpoints.items() if u <= start}
        del self.records[start:]
        while self.update < k:
            self.step()

    # -- what the page shows ------------------------------------------------------------------

    def _forward_program(self) -> Any:
        if self._forward is None:
            from engine.replay import trace

            model = self.model
            self._forward = trace(lambda x: _layer_outputs(model, x), [0.0, 0.0], name="lab")
        return self._forward

    def _run_forward(self, rows: Any) -> list:
        """Every unit's activation and the outputs, per row of `rows` (an (n, 2) array)."""
        outs = self._forward_program()(rows)
        return outs if isinstance(outs, list) else [outs]

    def grid_cells(self) -> list[int]:
        """The boundary picture: per grid cell (row by row from the top), 100·class + shade,
        where class is the predicted class and shade 0..99 how sure the model is (|tanh(score)|
        for one score, the rescaled top softmax probability for several)."""
        import numpy as np

        if self._grid_inputs is None:
            n = self.config.grid
            x0, x1, y0, y1 = self.box
            xs = x0 + (np.arange(n) + 0.5) * (x1 - x0) / n
            ys = y1 - (np.arange(n) + 0.5) * (y1 - y0) / n
            gx, gy = np.meshgrid(xs, ys)
            self._grid_inputs = np.stack([gx.ravel(), gy.ravel()], axis=1)
        outs = self._run_forward(self._grid_inputs)
        k = self.config.outputs
        scores = np.stack(outs[-k:], axis=1)
        with np.errstate(all="ignore"):
            if k == 1:
                cls = (scores[:, 0] > 0).astype(int)
                sure = np.abs(np.tanh(scores[:, 0]))
            else:
                shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
                probs = shifted / shifted.sum(axis=1, keepdims=True)
                cls = probs.argmax(axis=1)
                sure = (probs.max(axis=1) - 1.0 / k) / (1.0 - 1.0 / k)
        shade = np.nan_to_num(np.clip(np.round(sure * 99), 0, 99), nan=0).astype(int)
        return (cls * 100 + shade).tolist()

    def health(self) -> list[dict]:
        """Gradient health per layer: the latest update's gradient norm, and over every point
        the units that are dead (ReLU output 0 on every point: no gradient reaches them) or
        saturated (g'(s) < 0.02 on 90% of the points: almost none does), with a warning."""
        import numpy as np

        norms = self.records[-1].grad_norms if self.records else None
        rows = np.array([[p[0], p[1]] for p in self.points], dtype=float).reshape(-1, 2)
        outs = self._run_forward(rows) if len(rows) else []
        report, start = [], 0
        last = len(self.model.layers) - 1
        for l, layer in enumerate(self.model.layers):
            units = outs[start : start + layer.nout]
            start += layer.nout
            activation = layer.activation
            dead = saturated = 0
            if l < last and units:
                acts = np.stack(units, axis=1)
                dead = _dead_units(acts, activation)
                saturated = _saturated_units(acts, activation)
            norm = None if norms is None else norms[l]
            report.append(
                {
                    "layer": l + 1,
                    "units": layer.nout,
                    "activation": activation,
                    "grad_norm": norm,
                    "dead": dead,
                    "saturated": saturated,
                    "warning": _layer_warning(l + 1, layer.nout, activation, dead, saturated),
                }
            )
        _vanishing_warning(report)
        return report

    def weights(self) -> list[dict]:
        """Per layer, the weights (one row per unit, one column per input) and the biases,
        rounded to 4 decimals for the drawing."""
        return [
            {
                "w": [[round(w.data, 4) for w in n.w] for n in layer.neurons],
                "b": [round(n.b.data, 4) for n in layer.neurons],
            }
            for layer in self.model.layers
        ]

    def point_graph(
        self, index: object, model: MLP | None = None, *, backward: bool = True
    ) -> tuple[Value, MLP, list]:
        """The eager graph of point `index` at the current weights: ``(loss, model, inputs)``
        with the loss ℓ(model(x), t) after ``loss.backward()`` (every gradient still 0 when
        `backward` is False). Built on a copy of the model
        (`model` if given) so the run's parameters and gradients are left alone."""
        if type(index) is bool or not isinstance(index, int) or not 0 <= index < len(self.points):
            raise LabInputError(f"no point number {index!r}: there are {len(self.points)}")
        if model is None:
            model = build_model(self.config)
        for mine, theirs in zip(model.parameters(), self.params):
            mine.data, mine.grad = theirs.data, 0.0
        x1, x2, cls = self.points[index]
        inputs = [Value(x1, label="x₁"), Value(x2, label="x₂")]
        try:
            out = model(inputs)
            loss = self.loss_fn(out, target_of(self.config.loss, cls))
            if backward:
                loss.backward()
        except ArithmeticError:
            raise LabInputError(overflow_message(self.update)) from None
        loss.label = "L"
        return loss, model, inputs

    def deltas(self, index: int | None = None) -> dict | None:
        """δ_j^(l) = ∂ℓ/∂s_j^(l) of one point at the current weights (the engine's gradients on
        the pre-activations of an eager graph), layer by layer; None without a point."""
        index = self.selected if index is None else index
        if index is None or index >= len(self.points):
            return None
        loss, model, _ = self.point_graph(index, self._shadow)
        layers = [[n.delta for n in layer] for layer in network_state(model, loss=loss).layers]
        return {"point": index, "loss": loss.data, "layers": layers}

    def point_details(self, index: object) -> dict:
        """Point `index`: its coordinates, class and target, its forward values per layer (s and
        a of every unit), its loss, its δs and the δ mode's steps in words. Raises
        `LabInputError` (in words) when the weights have blown up."""
        try:
            return self._point_details(index)
        except ArithmeticError:
            raise LabInputError(overflow_message(self.update)) from None

    def _point_details(self, index: object) -> dict:
        loss, model, inputs = self.point_graph(index)
        stepper = DeltaStepper(model, loss)
        x1, x2, cls = self.points[int(index)]  # type: ignore[call-overload]
        layers = [
            {
                "layer": l,
                "activation": layer[0].activation,
                "s": [n.pre.data if n.pre is not None else None for n in layer],
                "a": [n.out.data if n.out is not None else None for n in layer],
                "delta": [n.delta for n in layer],
            }
            for l, layer in enumerate(stepper.state.layers, start=1)
        ]
        return {
            "index": index,
            "x": [x1, x2],
            "class": cls,
            "target": target_of(self.config.loss, cls),
            "loss": loss.data,
            "layers": layers,
            "forward": stepper.forward_trace(),
            "delta_steps": [
                {"layer": s.layer, "text": str(s), "agrees": s.agrees} for s in stepper.steps
            ],
        }

    def frame(self, *, grid: bool = True) -> dict:
        """The page's picture of the run now (see the module docstring); when the weights have
        blown up (the picture's numbers overflow) a picture without the boundary, weights, δs
        and health, and ``"error"`` saying so in words."""
        try:
            if not all(math.isfinite(p.data) for p in self.params):
                raise OverflowError("a weight is not a finite number")
            return self._frame(grid=grid)
        except (ArithmeticError, ValueError):  # inf or nan somewhere: int(nan) is a ValueError
            return self._blown_up_frame()

    def _blown_up_frame(self) -> dict:
        record = self.records[-1] if self.records else None
        return {
            "update": self.update,
            "epoch": self.epoch,
            "loss": None if record is None else record.loss,
            "accuracy": None if record is None else record.accuracy,
            "box": list(self.box),
            "grid_size": self.config.grid,
            "grid": None,
            "points": [list(p) for p in self.points],
            "widths": self.widths,
            "weights": [],
            "deltas": None,
            "health": [],
            "lr": self.optimizer.lr,
            "error": overflow_message(self.update),
        }

    def _frame(self, *, grid: bool = True) -> dict:
        record = self.records[-1] if self.records else None
        return {
            "update": self.update,
            "epoch": self.epoch,
            "loss": None if record is None else record.loss,
            "accuracy": None if record is None else record.accuracy,
            "box": list(self.box),
            "grid_size": self.config.grid,
            "grid": self.grid_cells() if grid else None,
            "points": [list(p) for p in self.points],
            "widths": self.widths,
            "weights": self.weights(),
            "deltas": self.deltas(),
            "health": self.health(),
            "lr": self.optimizer.lr,
        }

    def history(self, start: int = 0) -> list[list]:
        """[update, loss, accuracy] for the updates after `start`."""
        return [[k + 1, r.loss, r.accuracy] for k, r in enumerate(self.records) if k >= start]


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------


def _batch_accuracy(scores: Sequence, targets: Sequence) -> float | None:
    """Share of the batch predicted right (score > 0 for the positive class, else the argmax)."""
    if not scores:
        return None
    right = 0
    for score, t in zip(scores, targets):
        if isinstance(score, (list, tuple)):
            right += max(range(len(score)), key=score.__getitem__) == int(t)
        else:
            right += (score > 0.0) == (t > 0)
    return right / len(scores)


def _slopes(acts: Any, activation: str) -> Any:
    """g'(s) from the activations a = g(s): tanh 1 - a², sigmoid a(1 - a); None otherwise."""
    if activation == "tanh":
        return 1.0 - acts * acts
    if activation == "sigmoid":
        return acts * (1.0 - acts)
    return None


def _dead_units(acts: Any, activation: str) -> int:
    """ReLU units whose output is 0 on every point."""
    if activation != "relu":
        return 0
    return int((acts == 0.0).all(axis=0).sum())


def _saturated_units(acts: Any, activation: str) -> int:
    slopes = _slopes(acts, activation)
    if slopes is None:
        return 0
    share = (slopes < SATURATED_SLOPE).mean(axis=0)
    return int((share >= SATURATED_SHARE).sum())


def _layer_warning(layer: int, units: int, activation: str, dead: int, saturated: int) -> str:
    """The warning in words for one layer ('' when all is well)."""
    if dead:
        return (
            f"layer {layer}: {dead} of {units} ReLU units are dead: each outputs 0 on every "
            "point, so no gradient reaches its weights and it has stopped learning. Try a "
            "smaller learning rate, tanh, or another seed."
        )
    if saturated:
        return (
            f"layer {layer}: {saturated} of {units} {activation} units are saturated: on most "
            "points g'(s) is almost 0, so the gradient through them nearly vanishes and they "
            "learn very slowly. Try a smaller learning rate or rewind to before it happened."
        )
    return ""


def _vanishing_warning(report: list[dict]) -> None:
    """Flag a first layer whose gradient is 1000 times smaller than the last layer's, and a
    gradient that is not a number."""
    norms = [r["grad_norm"] for r in report]
    if not norms or norms[0] is None:
        return
    if any(not math.isfinite(n) for n in norms):
        report[-1]["warning"] = (
            "the gradient is not a number (inf or NaN): the learning rate is too large and the "
            "weights blew up. Rewind to before it happened and lower the learning rate."
        )
        return
    first, last = norms[0], norms[-1]
    if len(norms) > 1 and last > 0 and first < 1e-3 * last and not report[0]["warning"]:
        report[0]["warning"] = (
            "layer 1: its gradient is over 1000 times smaller than the output layer's: the "
            "gradient vanishes on its way back, so the first layer hardly learns."
        )


def eager_losses(
    config: TrainingConfig, updates: int, points: Sequence[Point] | None = None
) -> list[float]:
    """The batch losses of `updates` updates of a plain eager `nn` run with `config`'s seed:
    MLP, optimiser, loss and `nn.data.batches` order as `TrainingRun` uses them (the check the
    tests and the benchmark make)."""
    points = make_points(config) if points is None else points
    model = build_model(config)
    optimizer = build_optimizer(config, model.parameters())
    loss_fn: Callable = _losses.LOSSES[config.loss]
    X = [[p[0], p[1]] for p in points]
    y = [target_of(config.loss, p[2]) for p in points]
    rng = random.Random(config.seed)
    size = config.batch_size or None
    full = size is None or size >= len(X)
    found: list[float] = []
    while len(found) < updates:
        for Xb, yb in _data.batches(X, y, size, shuffle=not full, rng=rng):
            objective = loss_fn([model(x) for x in Xb], yb)
            optimizer.zero_grad()
            objective.backward()
            optimizer.step()
            found.append(objective.data)
            if len(found) == updates:
                break
    return found


def eager_forward(model: MLP, x: Sequence[float]) -> list[float]:
    """The model's outputs at x without building a graph (for checks)."""
    with no_grad():
        out = model(list(x))
    outs = out if isinstance(out, list) else [out]
    return [o.data for o in outs]
