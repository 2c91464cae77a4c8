"""Weight initialisers, chosen by name. Each draws one weight from a seeded `random.Random`.

A neuron with ``fan_in`` inputs in a layer of ``fan_out`` neurons gets its weights from one of:

* ``uniform``: U(-1, 1), micrograd's choice (the default).
* ``xavier`` (also ``glorot``, ``xavier_uniform``): U(-a, a) with a = √(6/(fan_in + fan_out)),
  Glorot & Bengio 2010; Var(w) = 2/(fan_in + fan_out) keeps tanh/sigmoid layers' variance steady.
* ``xavier_normal``: N(0, 2/(fan_in + fan_out)), the same variance, Gaussian.
* ``he`` (also ``kaiming``, ``he_normal``): N(0, 2/fan_in), He et al. 2015; the factor 2 makes up
  for ReLU switching off half the units.
* ``he_uniform``: U(-a, a) with a = √(6/fan_in), the same variance, uniform.
* ``normal``: N(0, 1), the fixed random projection of seed 001.

Biases are not drawn: they start at one constant (``bias=0.0`` by default; the activation-function
lecture suggests a small positive value such as 0.1 for ReLU units, so that they start active).

Reproducibility: every draw goes through ``rng.random()`` only (Gaussians are made from it with the
Box–Muller transform, written out below), and `random.Random(seed)` with an integer seed is the
same Mersenne Twister on every platform, so the same seed gives the same weights on every machine.
"""

from __future__ import annotations

import math
import random
from typing import Callable

__all__ = [
    "INITIALISERS",
    "get",
    "gaussian",
    "uniform",
    "xavier_uniform",
    "xavier_normal",
    "he_normal",
    "he_uniform",
    "normal",
]

Initialiser = Callable[[random.Random, int, int], float]
"""``init(rng, fan_in, fan_out) -> float``: one weight."""

_TWO_PI = 2.0 * math.pi


def gaussian(rng: random.Random, mean: float = 0.0, std: float = 1.0) -> float:
    """One draw from N(mean, std²) by Box–Muller: z = √(-2 ln u₁) · cos(2π u₂), u ~ U(0, 1].

    Written here (rather than `rng.gauss`) so that only ``rng.random()`` is used: its stream is
    the one thing Python guarantees to be identical everywhere for a given integer seed.
    """
    u1 = 1.0 - rng.random()  # in (0, 1]: log(u1) is finite
    u2 = rng.random()
    return mean + std * math.sqrt(-2.0 * math.log(u1)) * math.cos(_TWO_PI * u2)


def _uniform_between(rng: random.Random, bound: float) -> float:
    """One draw from U(-bound, bound)."""
    return bound * (2.0 * rng.random() - 1.0)


def uniform(rng: random.Random, fan_in: int, fan_out: int) -> float:
    """U(-1, 1), whatever the layer size (micrograd's initialiser)."""
    return _uniform_between(rng, 1.0)


def xavier_uniform(rng: random.Random, fan_in: int, fan_out: int) -> float:
    """U(-a, a) with a = √(6 / (fan_in + fan_out)), so Var(w) = 2 / (fan_in + fan_out)."""
    return _uniform_between(rng, math.sqrt(6.0 / (fan_in + fan_out)))


def xavier_normal(rng: random.Random, fan_in: int, fan_out: int) -> float:
    """N(0, σ²) with σ² = 2 / (fan_in + fan_out)."""
    return gaussian(rng, 0.0, math.sqrt(2.0 / (fan_in + fan_out)))


def he_normal(rng: random.Random, fan_in: int, fan_out: int) -> float:
    """N(0, σ²) with σ² = 2 / fan_in (the ReLU gain √2 over fan_in inputs)."""
    return gaussian(rng, 0.0, math.sqrt(2.0 / fan_in))


def he_uniform(rng: random.Random, fan_in: int, fan_out: int) -> float:
    """U(-a, a) with a = √(6 / fan_in), so Var(w) = 2 / fan_in."""
    return _uniform_between(rng, math.sqrt(6.0 / fan_in))


def normal(rng: random.Random, fan_in: int, fan_out: int) -> float:
    """N(0, 1), whatever the layer size (the fixed random projection of seed 001)."""
    return gaussian(rng)


INITIALISERS: dict[str, Initialiser] = {
    "uniform": uniform,
    "xavier": xavier_uniform,
    "glorot": xavier_uniform,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he": he_normal,
    "kaiming": he_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "normal": normal,
}
"""Every initialiser by name (aliases included)."""


def get(name: str) -> Initialiser:
    """The initialiser called `name`; ValueError listing the valid names if there is none."""
    if not isinstance(name, str) or name not in INITIALISERS:
        raise ValueError(
            f"unknown initialiser {name!r}; choose one of {', '.join(sorted(INITIALISERS))}"
        )
    return INITIALISERS[name]
