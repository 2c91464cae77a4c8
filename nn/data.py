"""Toy data sets for classification, in pure Python, reproducible from a seed.

Every generator returns ``(X, y)``: ``X`` a list of n points, each a list of floats (``[x1, x2]``),
and ``y`` a list of n labels. All randomness comes from ``random.Random(seed)`` through
``rng.random()`` only (Gaussians by Box–Muller, shuffles by Fisher–Yates, both written out in
`nn.init` and here), so the same seed gives the same data on every machine. ``seed=None`` gives
fresh data each call. Points are shuffled unless ``shuffle=False``.

Labels
------
Two-class sets (``make_moons``, ``make_circles``, ``make_xor``) return **±1 labels by default**
(``labels="pm1"``), ready for `losses.hinge` and `losses.perceptron`; ``labels="01"`` gives 0/1 for
`losses.bce_with_logits`. Class 1 (+1) is the inner moon, the inner circle, and the quadrants where
x1 and x2 have opposite signs.

Multi-class sets (``make_spirals``, ``make_blobs``) return **class indices** 0..k-1 by default
(``labels="index"``), ready for `losses.cross_entropy`; with two classes ``labels="pm1"`` works too.

Bad arguments (n ≤ 0, noise < 0, classes < 2, test_size outside (0, 1), ...) raise ValueError
naming the value.
"""

from __future__ import annotations

import math
import numbers
import random
from typing import Iterator, Sequence

from nn.init import gaussian

__all__ = [
    "make_moons",
    "make_circles",
    "make_xor",
    "make_spirals",
    "make_blobs",
    "train_test_split",
    "batches",
    "LABELS",
]

LABELS = ("pm1", "01", "index")
"""Label conventions: ±1, 0/1, and class indices 0..k-1 (the same as 0/1 for two classes)."""

Points = list[list[float]]


# --------------------------------------------------------------------------------------------
# Argument checks and shared pieces
# --------------------------------------------------------------------------------------------


def _count(n: object, what: str, minimum: int = 1) -> int:
    if type(n) is bool or not isinstance(n, numbers.Integral) or int(n) < minimum:
        raise ValueError(f"{what} must be an integer ≥ {minimum}, got {n!r}")
    return int(n)


def _nonnegative(x: object, what: str) -> float:
    if type(x) is bool or not isinstance(x, numbers.Real) or not float(x) >= 0 or math.isinf(x):
        raise ValueError(f"{what} must be a finite number ≥ 0, got {x!r}")
    return float(x)


def _generator(seed: object) -> random.Random:
    if seed is not None and (type(seed) is bool or not isinstance(seed, numbers.Integral)):
        raise ValueError(f"seed must be an integer or None, got {seed!r}")
    return random.Random(None if seed is None else int(seed))


def _check_labels(labels: object, classes: int) -> str:
    if labels not in LABELS:
        raise ValueError(f"labels must be one of {', '.join(map(repr, LABELS))}, got {labels!r}")
    if labels == "pm1" and classes != 2:
        raise ValueError(f"labels='pm1' needs exactly 2 classes, got {classes}")
    return str(labels)


def _relabel(classes: list[int], labels: str) -> list[int]:
    """Class indices as the requested labels: 'pm1' maps 0 → -1 and 1 → +1."""
    if labels == "pm1":
        return [2 * c - 1 for c in classes]
    return classes


def _permutation(n: int, rng: random.Random) -> list[int]:
    """A random order of range(n): Fisher–Yates, using only ``rng.random()``."""
    order = list(range(n))
    for i in range(n - 1, 0, -1):
        j = int(rng.random() * (i + 1))
        order[i], order[j] = order[j], order[i]
    return order


def _linspace(start: float, stop: float, n: int, endpoint: bool = True) -> list[float]:
    """n evenly spaced numbers from start to stop (stop included when `endpoint`)."""
    if n == 1:
        return [float(start)]
    step = (stop - start) / (n - 1 if endpoint else n)
    return [start + i * step for i in range(n)]


def _jitter(points: Points, noise: float, rng: random.Random) -> None:
    """Add N(0, noise²) to every coordinate, in place."""
    if noise > 0.0:
        for point in points:
            for d in range(len(point)):
                point[d] += gaussian(rng, 0.0, noise)


def _split(n: int, parts: int) -> list[int]:
    """n items over `parts` groups as evenly as possible (earlier groups get the remainder)."""
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


def _finish(
    X: Points, classes: list[int], labels: str, shuffle: bool, rng: random.Random
) -> tuple[Points, list[int]]:
    y = _relabel(classes, labels)
    if not shuffle:
        return X, y
    order = _permutation(len(X), rng)
    return [X[i] for i in order], [y[i] for i in order]


# --------------------------------------------------------------------------------------------
# Two-class sets
# --------------------------------------------------------------------------------------------


def make_moons(
    n: int = 100,
    noise: float = 0.0,
    seed: int | None = None,
    *,
    labels: str = "pm1",
    shuffle: bool = True,
) -> tuple[Points, list[int]]:
    """Two interleaving half circles (sklearn's moons): n//2 on the outer, the rest on the inner.

    outer (class 0 / -1): (cos t, sin t);  inner (class 1 / +1): (1 - cos t, 1/2 - sin t);
    t ∈ [0, π].
    """
    n = _count(n, "make_moons(n)", 2)
    noise = _nonnegative(noise, "make_moons(noise)")
    labels = _check_labels(labels, 2)
    rng = _generator(seed)
    n_out, n_in = n // 2, n - n // 2
    X = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_out)]
    X += [[1.0 - math.cos(t), 0.5 - math.sin(t)] for t in _linspace(0.0, math.pi, n_in)]
    _jitter(X, noise, rng)
    return _finish(X, [0] * n_out + [1] * n_in, labels, shuffle, rng)


def make_circles(
    n: int = 100,
    noise: float = 0.0,
    seed: int | None = None,
    *,
    factor: float = 0.5,
    labels: str = "pm1",
    shuffle: bool = True,
) -> tuple[Points, list[int]]:
    """Two concentric circles: radius 1 (class 0 / -1) and radius `factor` < 1 (class 1 / +1)."""
    n = _count(n, "make_circles(n)", 2)
    noise = _nonnegative(noise, "make_circles(noise)")
    if type(factor) is bool or not isinstance(factor, numbers.Real) or not 0.0 < factor < 1.0:
        raise ValueError(f"make_circles(factor) must be in (0, 1), got {factor!r}")
    labels = _check_labels(labels, 2)
    rng = _generator(seed)
    n_out, n_in = n // 2, n - n // 2
    X = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, 2 * math.pi, n_out, False)]
    X += [
        [factor * math.cos(t), factor * math.sin(t)]
        for t in _linspace(0.0, 2 * math.pi, n_in, False)
    ]
    _jitter(X, noise, rng)
    return _finish(X, [0] * n_out + [1] * n_in, labels, shuffle, rng)


def make_xor(
    n: int = 100,
    noise: float = 0.0,
    seed: int | None = None,
    *,
    labels: str = "pm1",
    shuffle: bool = True,
) -> tuple[Points, list[int]]:
    """Points uniform in [-1, 1]², class 1 (+1) where sign(x1) ≠ sign(x2): no line separates them.

    Labels are set before the noise is added, so noise blurs the boundary along the axes.
    (The points are already in random order; `shuffle` is accepted for a uniform signature.)
    """
    n = _count(n, "make_xor(n)", 1)
    noise = _nonnegative(noise, "make_xor(noise)")
    labels = _check_labels(labels, 2)
    rng = _generator(seed)
    X = [[2.0 * rng.random() - 1.0, 2.0 * rng.random() - 1.0] for _ in range(n)]
    classes = [1 if (x1 > 0.0) != (x2 > 0.0) else 0 for x1, x2 in X]
    _jitter(X, noise, rng)
    return _finish(X, classes, labels, False, rng)


# --------------------------------------------------------------------------------------------
# Multi-class sets
# --------------------------------------------------------------------------------------------


def make_spirals(
    n: int = 300,
    classes: int = 3,
    noise: float = 0.0,
    seed: int | None = None,
    *,
    turns: float = 0.65,
    labels: str = "index",
    shuffle: bool = True,
) -> tuple[Points, list[int]]:
    """`classes` interleaved spiral arms (the CS231n spiral), n points in all.

    Arm j: radius r from 0 to 1 and angle θ = 2π·(turns·r + j/classes), point (r·sin θ, r·cos θ);
    `noise` is the standard deviation of a Gaussian added to θ (in radians).
    """
    n = _count(n, "make_spirals(n)", 1)
    k = _count(classes, "make_spirals(classes)", 2)
    if n < k:
        raise ValueError(f"make_spirals(n) must be at least classes={k}, got {n}")
    noise = _nonnegative(noise, "make_spirals(noise)")
    if type(turns) is bool or not isinstance(turns, numbers.Real) or not turns > 0:
        raise ValueError(f"make_spirals(turns) must be a positive number, got {turns!r}")
    labels = _check_labels(labels, k)
    rng = _generator(seed)
    X: Points = []
    y: list[int] = []
    for j, count in enumerate(_split(n, k)):
        for r in _linspace(0.0, 1.0, count):
            theta = 2 * math.pi * (turns * r + j / k)
            if noise > 0.0:
                theta += gaussian(rng, 0.0, noise)
            X.append([r * math.sin(theta), r * math.cos(theta)])
            y.append(j)
    return _finish(X, y, labels, shuffle, rng)


def make_blobs(
    n: int = 100,
    centers: int | Sequence[Sequence[float]] = 3,
    std: float = 1.0,
    seed: int | None = None,
    *,
    dim: int = 2,
    box: tuple[float, float] = (-10.0, 10.0),
    labels: str = "index",
    shuffle: bool = True,
) -> tuple[Points, list[int]]:
    """Gaussian blobs: class j is N(center_j, std²·I), n points split evenly over the classes.

    `centers` is a count (centers drawn uniformly in the `box`, in `dim` dimensions) or a list of
    points (their length sets the dimension).
    """
    n = _count(n, "make_blobs(n)", 1)
    std = _nonnegative(std, "make_blobs(std)")
    rng = _generator(seed)
    if isinstance(centers, numbers.Integral) and type(centers) is not bool:
        k = _count(centers, "make_blobs(centers)", 1)
        dim = _count(dim, "make_blobs(dim)", 1)
        low, high = box
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError(f"make_blobs(box) must be (low, high) with low < high, got {box!r}")
        points = [[low + (high - low) * rng.random() for _ in range(dim)] for _ in range(k)]
    else:
        points = _center_list(centers)
        k = len(points)
    if n < k:
        raise ValueError(f"make_blobs(n) must be at least the number of centers {k}, got {n}")
    labels = _check_labels(labels, k)
    X: Points = []
    y: list[int] = []
    for j, count in enumerate(_split(n, k)):
        for _ in range(count):
            X.append([c + gaussian(rng, 0.0, std) if std > 0 else c for c in points[j]])
            y.append(j)
    return _finish(X, y, labels, shuffle, rng)


def _center_list(centers: object) -> list[list[float]]:
    try:
        points = [[float(c) for c in point] for point in centers]  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise ValueError(
            f"make_blobs(centers) must be a count or a list of points, got {centers!r}"
        ) from None
    if not points or len({len(p) for p in points}) != 1 or not points[0]:
        raise ValueError(
            f"make_blobs(centers) must be non-empty points of one dimension, got {centers!r}"
        )
    return points


# --------------------------------------------------------------------------------------------
# Splitting and batching
# --------------------------------------------------------------------------------------------


def _check_pairs(X: Sequence, y: Sequence, where: str) -> int:
    try:
        nx, ny = len(X), len(y)
    except TypeError:
        raise TypeError(f"{where}: X and y must be lists") from None
    if nx != ny:
        raise ValueError(f"{where}: X has {nx} rows but y has {ny} labels")
    if nx == 0:
        raise ValueError(f"{where}: X and y are empty")
    return nx


def train_test_split(
    X: Sequence,
    y: Sequence,
    test_size: float = 0.25,
    seed: int | None = None,
    *,
    shuffle: bool = True,
) -> tuple[list, list, list, list]:
    """``(X_train, X_test, y_train, y_test)``; ⌈test_size·n⌉ points go to the test set.

    Order of the result as in scikit-learn. With ``shuffle=False`` the last points are the test set.
    """
    n = _check_pairs(X, y, "train_test_split")
    if (
        type(test_size) is bool
        or not isinstance(test_size, numbers.Real)
        or not (0.0 < test_size < 1.0)
    ):
        raise ValueError(f"train_test_split(test_size) must be in (0, 1), got {test_size!r}")
    n_test = math.ceil(test_size * n)
    if n_test >= n:
        raise ValueError(
            f"train_test_split: test_size={test_size!r} of {n} points leaves no training data"
        )
    order = _permutation(n, _generator(seed)) if shuffle else list(range(n))
    train, test = order[: n - n_test], order[n - n_test :]
    return (
        [X[i] for i in train],
        [X[i] for i in test],
        [y[i] for i in train],
        [y[i] for i in test],
    )


def batches(
    X: Sequence,
    y: Sequence,
    batch_size: int | None = None,
    *,
    shuffle: bool = True,
    seed: int | None = None,
    rng: random.Random | None = None,
) -> Iterator[tuple[list, list]]:
    """Mini-batches ``(X_batch, y_batch)`` covering the data once (the last may be smaller).

    ``batch_size=None`` gives one full batch. Shuffling uses `rng` if given (so successive epochs
    differ), else ``random.Random(seed)``.
    """
    n = _check_pairs(X, y, "batches")
    size = n if batch_size is None else _count(batch_size, "batch_size", 1)
    if shuffle:
        order = _permutation(n, rng if rng is not None else _generator(seed))
    else:
        order = list(range(n))
    for start in range(0, n, size):
        chunk = order[start : start + size]
        yield [X[i] for i in chunk], [y[i] for i in chunk]
