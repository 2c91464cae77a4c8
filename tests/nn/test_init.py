"""nn.init: each initialiser's distribution, names, and reproducibility."""

from __future__ import annotations

import math
import random

import pytest

from nn import init

N = 20_000


def _draws(name: str, fan_in: int, fan_out: int, seed: int = 0) -> list[float]:
    rng = random.Random(seed)
    fn = init.get(name)
    return [fn(rng, fan_in, fan_out) for _ in range(N)]


def _mean_var(xs: list[float]) -> tuple[float, float]:
    mean = sum(xs) / len(xs)
    return mean, sum((x - mean) ** 2 for x in xs) / len(xs)


@pytest.mark.parametrize(
    "name, fan_in, fan_out, bound, variance",
    [
        ("uniform", 16, 16, 1.0, 1.0 / 3.0),
        ("xavier", 16, 8, math.sqrt(6.0 / 24), 2.0 / 24),
        ("glorot", 16, 8, math.sqrt(6.0 / 24), 2.0 / 24),
        ("he_uniform", 16, 8, math.sqrt(6.0 / 16), 2.0 / 16),
    ],
)
def test_uniform_initialisers_stay_in_bounds_with_the_right_variance(
    name, fan_in, fan_out, bound, variance
):
    xs = _draws(name, fan_in, fan_out)
    assert max(abs(x) for x in xs) <= bound
    assert max(abs(x) for x in xs) > 0.99 * bound  # and fill the interval
    mean, var = _mean_var(xs)
    assert abs(mean) < 5 * math.sqrt(variance / N)
    assert var == pytest.approx(variance, rel=0.05)


@pytest.mark.parametrize(
    "name, fan_in, fan_out, variance",
    [
        ("he", 16, 8, 2.0 / 16),
        ("kaiming", 4, 8, 2.0 / 4),
        ("xavier_normal", 16, 8, 2.0 / 24),
        ("normal", 3, 5, 1.0),
    ],
)
def test_gaussian_initialisers_have_the_right_variance_and_tails(name, fan_in, fan_out, variance):
    xs = _draws(name, fan_in, fan_out)
    mean, var = _mean_var(xs)
    assert abs(mean) < 5 * math.sqrt(variance / N)
    assert var == pytest.approx(variance, rel=0.05)
    beyond_2sd = sum(abs(x) > 2 * math.sqrt(variance) for x in xs) / N
    assert beyond_2sd == pytest.approx(0.0455, abs=0.01)  # a Gaussian, not a uniform


def test_same_seed_same_draws():
    assert _draws("he", 4, 4, seed=3)[:50] == _draws("he", 4, 4, seed=3)[:50]
    assert _draws("he", 4, 4, seed=3)[:50] != _draws("he", 4, 4, seed=4)[:50]


def test_gaussian_uses_only_rng_random_so_it_is_portable():
    class Counting(random.Random):
        calls = 0

        def random(self):
            Counting.calls += 1
            return super().random()

        def gauss(self, *args):  # must not be used: its stream may change between versions
            raise AssertionError("gauss used")

    x = init.gaussian(Counting(1), 0.0, 1.0)
    assert Counting.calls == 2 and math.isfinite(x)
    rng = random.Random(1)
    u1, u2 = 1.0 - rng.random(), rng.random()
    assert x == math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown initialiser 'lecun'.*he.*uniform.*xavier"):
        init.get("lecun")
    with pytest.raises(ValueError):
        init.get(None)
