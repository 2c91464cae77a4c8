"""Optimisers: SGD (with momentum, Nesterov, weight decay) and Adam, step for step as PyTorch's.

Each optimiser holds a list of parameters (Values). After ``loss.backward()`` has filled every
``p.grad``, ``step()`` moves each ``p.data`` against its gradient; ``zero_grad()`` clears the
gradients for the next step (they accumulate otherwise). Updates work on the floats directly, so
they build no graph: after ``loss.backward(create_graph=True)``, when ``p.grad`` is a Value, the
step uses its number (``p.grad.data``), as PyTorch does, and ``p.data`` stays a float.

Learning-rate schedules: ``opt.lr`` can be set at any time, or pass ``schedule=f`` where
``f(step) -> lr`` is called before every update with the number of steps taken so far (0 for the
first). `LinearDecay` is the schedule of micrograd's demo: ``lr = 1.0 - 0.9·k/100`` is
``LinearDecay(1.0, 0.1, 100)``.

Weight decay λ follows PyTorch: it adds λ·p to the gradient (the gradient of ½·λ·Σ p²).

A parameter may appear only once in an optimiser's list: the same Value twice raises ValueError
(PyTorch warns that this "will cause an error" and then steps it twice). `Module.parameters()`
lists a tied weight once, so ``SGD(model.parameters(), ...)`` is always fine.
"""

from __future__ import annotations

import math
import numbers
from typing import Callable, Iterable

from engine import Value

__all__ = ["Optimizer", "SGD", "Adam", "LinearDecay"]

Schedule = Callable[[int], float]


def _number(
    x: object, what: str, low: float = 0.0, high: float = math.inf, high_open: bool = False
) -> float:
    """`x` as a float in [low, high] (or [low, high)); ValueError naming it otherwise."""
    if type(x) is bool or not isinstance(x, numbers.Real) or math.isnan(x):
        raise ValueError(f"{what} must be a real number, got {x!r}")
    x = float(x)
    if x < low or x > high or (high_open and x == high):
        bracket = ")" if high_open else "]"
        raise ValueError(f"{what} must be in [{low}, {high}{bracket}, got {x!r}")
    return x


def _gradient(p: Value, weight_decay: float) -> float:
    """g = ∂L/∂p + λ·p as a float (λ = `weight_decay`; the term is skipped when λ = 0).

    After ``backward(create_graph=True)`` ``p.grad`` is a `Value` (a graph for higher
    derivatives); an update steps on its number, as PyTorch steps on the tensor's values, so
    ``p.data`` and every buffer stay plain floats.
    """
    g = p.grad
    g = float(g.data if isinstance(g, Value) else g)
    return g + weight_decay * p.data if weight_decay else g


class LinearDecay:
    """lr(k) = start + (end - start)·min(k, steps)/steps: a straight line, then flat at `end`."""

    def __init__(self, start: float, end: float, steps: int) -> None:
        self.start = _number(start, "LinearDecay(start)")
        self.end = _number(end, "LinearDecay(end)")
        if type(steps) is bool or not isinstance(steps, numbers.Integral) or int(steps) <= 0:
            raise ValueError(f"LinearDecay(steps) must be a positive integer, got {steps!r}")
        self.steps: int = int(steps)

    def __call__(self, step: int) -> float:
        return self.start + (self.end - self.start) * min(step, self.steps) / self.steps

    def __repr__(self) -> str:
        return f"LinearDecay(start={self.start}, end={self.end}, steps={self.steps})"


class Optimizer:
    """Common machinery: the parameter list, the learning rate and its schedule, the step count."""

    def __init__(
        self, params: Iterable[Value], lr: float, schedule: Schedule | None = None
    ) -> None:
        if isinstance(params, Value):
            raise TypeError(
                "params must be a list of Values (e.g. model.parameters()), got a single Value"
            )
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        first_index: dict[int, int] = {}
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(
                    f"{type(self).__name__}: parameter {i} is not a Value: {type(p).__name__} {p!r}"
                )
            j = first_index.setdefault(id(p), i)
            if j != i:  # it would be stepped twice per step(): 2·lr·g for one weight
                raise ValueError(
                    f"{type(self).__name__}: parameter {i} ({p!r}) is the same Value as "
                    f"parameter {j}; pass each parameter once (Module.parameters() lists tied "
                    f"weights once)"
                )
        if schedule is not None and not callable(schedule):
            raise TypeError(f"schedule must be callable(step) -> lr, got {schedule!r}")
        self.lr = _number(lr, "lr")
        self.schedule = schedule
        self.steps = 0

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """One update of every parameter from its ``.grad`` (set ``lr`` from the schedule first)."""
        if self.schedule is not None:
            self.lr = _number(self.schedule(self.steps), f"schedule({self.steps})")
        self.steps += 1
        self._update()

    def _update(self) -> None:
        raise NotImplementedError

    def _hyperparameters(self) -> dict:
        return {}

    def state_dict(self) -> dict:
        """The optimiser's state as plain data: its type, hyperparameters, step count, buffers."""
        return {
            "type": type(self).__name__,
            "lr": self.lr,
            "steps": self.steps,
            **self._hyperparameters(),
            "buffers": self._buffers(),
        }

    def _buffers(self) -> dict:
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._hyperparameters().items())
        return f"{type(self).__name__}({len(self.params)} parameters, lr={self.lr!r}, {args})"


class SGD(Optimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD``.

    With g = ∂L/∂p + λ·p (weight decay λ):
        no momentum:   p ← p - lr·g
        momentum μ:    b ← g on the first step, else b ← μ·b + (1 - dampening)·g
                       p ← p - lr·b                    (classical)
                       p ← p - lr·(g + μ·b)            (nesterov=True)
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        dampening: float = 0.0,
        schedule: Schedule | None = None,
    ) -> None:
        super().__init__(params, lr, schedule)
        self.momentum = _number(momentum, "momentum")
        self.weight_decay = _number(weight_decay, "weight_decay")
        self.dampening = _number(dampening, "dampening", 0.0, 1.0)
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum == 0.0 or self.dampening != 0.0):
            raise ValueError(
                f"nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={momentum!r}, dampening={dampening!r}"
            )
        self.velocity: list[float] | None = None  # the momentum buffers b, made on the 1st step

    def _update(self) -> None:
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        if mu == 0.0:
            for p in self.params:
                if not p.requires_grad:
                    continue  # frozen (requires_grad_(False)): PyTorch skips it too
                g = _gradient(p, wd)
                p.data -= lr * g
            return
        first = self.velocity is None
        if self.velocity is None:
            self.velocity = [0.0] * len(self.params)
        velocity, keep = self.velocity, 1.0 - self.dampening
        for i, p in enumerate(self.params):
            if not p.requires_grad:
                continue  # frozen
            g = _gradient(p, wd)
            b = g if first else mu * velocity[i] + keep * g
            velocity[i] = b
            p.data -= lr * (g + mu * b if self.nesterov else b)

    def _hyperparameters(self) -> dict:
        return {
            "momentum": self.momentum,
            "weight_decay": self.weight_decay,
            "nesterov": self.nesterov,
            "dampening": self.dampening,
        }

    def _buffers(self) -> dict:
        return {"velocity": None if self.velocity is None else list(self.velocity)}


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), as ``torch.optim.Adam``: moving averages of g and g².

    At step t (from 1), with g = ∂L/∂p + λ·p:
        m ← β₁·m + (1 - β₁)·g          v ← β₂·v + (1 - β₂)·g²
        p ← p - (lr / (1 - β₁^t)) · m / (√v / √(1 - β₂^t) + ε)
    The bias corrections undo the averages' start at 0.
    """

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        schedule: Schedule | None = None,
    ) -> None:
        super().__init__(params, lr, schedule)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (
            _number(beta1, "betas[0]", 0.0, 1.0, high_open=True),
            _number(beta2, "betas[1]", 0.0, 1.0, high_open=True),
        )
        self.eps = _number(eps, "eps")
        self.weight_decay = _number(weight_decay, "weight_decay")
        self.m = [0.0] * len(self.params)  # first moments
        self.v = [0.0] * len(self.params)  # second moments

    def _update(self) -> None:
        (beta1, beta2), eps, wd, t = self.betas, self.eps, self.weight_decay, self.steps
        step_size = self.lr / (1.0 - beta1**t)
        root_correction2 = math.sqrt(1.0 - beta2**t)
        m, v = self.m, self.v
        for i, p in enumerate(self.params):
            if not p.requires_grad:
                continue  # frozen
            g = _gradient(p, wd)
            m[i] = m[i] + (1.0 - beta1) * (g - m[i])  # = β₁m + (1-β₁)g, as torch's lerp
            v[i] = beta2 * v[i] + (1.0 - beta2) * (g * g)
            p.data -= step_size * (m[i] / (math.sqrt(v[i]) / root_correction2 + eps))

    def _hyperparameters(self) -> dict:
        return {"betas": list(self.betas), "eps": self.eps, "weight_decay": self.weight_decay}

    def _buffers(self) -> dict:
        return {"m": list(self.m), "v": list(self.v)}
