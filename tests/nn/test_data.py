"""nn.data: toy data sets (shape, geometry, labels, seeds), splitting, batching, bad arguments."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn import data

BINARY = [data.make_moons, data.make_circles, data.make_xor]
ALL = BINARY + [data.make_spirals, data.make_blobs]


@pytest.mark.parametrize("make", ALL, ids=lambda f: f.__name__)
def test_shapes_and_types(make):
    X, y = make(37, seed=1)
    assert isinstance(X, list) and len(X) == len(y) == 37
    assert all(isinstance(x, list) and len(x) == 2 and all(type(v) is float for v in x) for x in X)
    assert all(type(label) is int for label in y)


@pytest.mark.parametrize("make", ALL, ids=lambda f: f.__name__)
def test_same_seed_same_data_different_seed_different_data(make):
    kwargs = {} if make is data.make_blobs else {"noise": 0.1}
    assert make(50, seed=3, **kwargs) == make(50, seed=3, **kwargs)
    assert make(50, seed=3, **kwargs) != make(50, seed=4, **kwargs)


def test_moons_seed_zero_is_the_same_on_every_machine():
    X, y = data.make_moons(100, noise=0.1, seed=0)
    assert X[0] == [0.7906589570019575, 0.5249287211467081] and y[0] == -1
    assert sum(y) == 0  # 50 of each


@pytest.mark.parametrize("make", BINARY, ids=lambda f: f.__name__)
def test_binary_sets_give_pm1_by_default_and_01_on_request(make):
    X, y = make(40, seed=0)
    X01, y01 = make(40, seed=0, labels="01")
    assert set(y) == {-1, 1} and set(y01) == {0, 1}
    assert X == X01 and [(t + 1) // 2 for t in y] == y01


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = data.make_moons(101, seed=0)
    assert Counter(y) == {-1: 50, 1: 51}
    for (x1, x2), label in zip(X, y):
        if label == -1:  # outer moon: the upper unit half circle around (0, 0)
            assert math.hypot(x1, x2) == pytest.approx(1.0) and x2 >= -1e-12
        else:  # inner moon: the lower half circle around (1, 0.5)
            assert math.hypot(x1 - 1.0, x2 - 0.5) == pytest.approx(1.0) and x2 <= 0.5 + 1e-12


def test_moons_noise_has_the_requested_spread():
    clean, _ = data.make_moons(2000, seed=5, shuffle=False)
    noisy, _ = data.make_moons(2000, noise=0.1, seed=5, shuffle=False)
    diffs = [a - b for p, q in zip(noisy, clean) for a, b in zip(p, q)]
    std = math.sqrt(sum(d * d for d in diffs) / len(diffs))
    assert std == pytest.approx(0.1, rel=0.05)


def test_circles_radii():
    X, y = data.make_circles(60, factor=0.3, seed=0)
    for x, label in zip(X, y):
        assert math.hypot(*x) == pytest.approx(1.0 if label == -1 else 0.3)


def test_xor_labels_follow_the_quadrants():
    X, y = data.make_xor(200, seed=0)
    for (x1, x2), label in zip(X, y):
        assert -1 <= x1 <= 1 and -1 <= x2 <= 1
        assert label == (1 if x1 * x2 < 0 else -1)


def test_spirals_give_class_indices_split_evenly():
    X, y = data.make_spirals(301, classes=3, seed=0)
    assert Counter(y) == {0: 101, 1: 100, 2: 100}
    assert all(math.hypot(*x) <= 1.0 + 1e-12 for x in X)
    X2, y2 = data.make_spirals(10, classes=2, seed=0, labels="pm1")
    assert set(y2) == {-1, 1}


def test_blobs_cluster_around_their_centers():
    centers = [[5.0, 5.0], [-5.0, 0.0]]
    X, y = data.make_blobs(400, centers=centers, std=0.5, seed=0)
    for j, c in enumerate(centers):
        pts = [x for x, label in zip(X, y) if label == j]
        assert len(pts) == 200
        mean = [sum(p[d] for p in pts) / len(pts) for d in range(2)]
        assert mean == pytest.approx(c, abs=0.15)
    X3, y3 = data.make_blobs(30, centers=4, dim=3, seed=0)
    assert len(X3[0]) == 3 and set(y3) == {0, 1, 2, 3}


def test_unshuffled_data_come_class_by_class():
    _, y = data.make_moons(10, seed=0, shuffle=False)
    assert y == [-1] * 5 + [1] * 5


@pytest.mark.parametrize(
    "call, value",
    [
        (lambda: data.make_moons(0), "got 0"),
        (lambda: data.make_moons(-5), "got -5"),
        (lambda: data.make_moons(10.5), "got 10.5"),
        (lambda: data.make_moons(100, noise=-0.1), "got -0.1"),
        (lambda: data.make_moons(100, noise=float("nan")), "got nan"),
        (lambda: data.make_circles(100, factor=1.5), "got 1.5"),
        (lambda: data.make_xor(100, labels="bool"), "got 'bool'"),
        (lambda: data.make_spirals(100, classes=1), "got 1"),
        (lambda: data.make_spirals(2, classes=3), "got 2"),
        (lambda: data.make_spirals(100, classes=3, labels="pm1"), "got 3"),
        (lambda: data.make_blobs(100, centers=0), "got 0"),
        (lambda: data.make_blobs(100, std=-1.0), "got -1.0"),
        (lambda: data.make_blobs(100, centers=[[0, 0], [1]]), "one dimension"),
        (lambda: data.make_moons(100, seed="x"), "got 'x'"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_value(call, value):
    with pytest.raises(ValueError, match=value.replace("(", "\\(").replace(".", "\\.")):
        call()


# --------------------------------------------------------------------------------------------
# Splitting and batching
# --------------------------------------------------------------------------------------------


def test_train_test_split_partitions_the_data():
    X, y = data.make_moons(100, seed=0)
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.2, seed=0)
    assert len(X_train) == len(y_train) == 80 and len(X_test) == len(y_test) == 20
    pairs = sorted(map(repr, zip(X_train + X_test, y_train + y_test)))
    assert pairs == sorted(map(repr, zip(X, y)))
    assert data.train_test_split(X, y, 0.2, seed=0) == (X_train, X_test, y_train, y_test)
    assert data.train_test_split(X, y, 0.2, seed=1) != (X_train, X_test, y_train, y_test)
    _, tail, _, _ = data.train_test_split(X, y, 0.1, shuffle=False)
    assert tail == X[-10:]


@pytest.mark.parametrize("size", [0, 1, 1.5, -0.2, True])
def test_train_test_split_rejects_test_size_outside_zero_one(size):
    with pytest.raises(ValueError, match=f"test_size\\) must be in \\(0, 1\\), got {size!r}"):
        data.train_test_split([[0.0]] * 10, [1] * 10, test_size=size)


def test_train_test_split_errors():
    with pytest.raises(ValueError, match="X has 3 rows but y has 2"):
        data.train_test_split([[0.0]] * 3, [1, 1])
    with pytest.raises(ValueError, match="leaves no training data"):
        data.train_test_split([[0.0]], [1], test_size=0.5)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40), st.integers(1, 50), st.booleans(), st.integers(0, 10))
def test_batches_cover_every_point_once(n, size, shuffle, seed):
    X = [[float(i)] for i in range(n)]
    y = list(range(n))
    got = list(data.batches(X, y, size, shuffle=shuffle, seed=seed))
    assert [len(xb) for xb, _ in got] == [min(size, n - i) for i in range(0, n, size)]
    flat = [label for _, yb in got for label in yb]
    assert sorted(flat) == y
    assert all(xb == [[float(label)] for label in yb] for xb, yb in got)  # pairs stay together
    if not shuffle:
        assert flat == y


def test_batches_full_batch_and_bad_size():
    X, y = [[1.0], [2.0], [3.0]], [1, -1, 1]
    assert list(data.batches(X, y, shuffle=False)) == [(X, y)]
    with pytest.raises(ValueError, match="batch_size must be an integer ≥ 1, got 0"):
        list(data.batches(X, y, 0))
