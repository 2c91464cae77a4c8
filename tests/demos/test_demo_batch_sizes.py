"""demos.batch_sizes: full batch, mini-batch and SGD from the same weights, the same epochs."""

from __future__ import annotations

import importlib.util

import pytest

from demos import batch_sizes
from tests.demos.conftest import check_pictures, check_story


def check_pictures_if_plotting(result: dict, out, expected: set[str]) -> None:
    """The pictures exist and are valid; without matplotlib the demo reports none."""
    if importlib.util.find_spec("matplotlib") is None:
        assert result["files"] == []
        pytest.skip("matplotlib is not installed: no pictures to check")
    check_pictures(result, out, expected)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("batch_sizes") / "pictures"
    return out, batch_sizes.run(out, seed=0, quick=True)


def test_sgd_makes_n_times_the_updates_and_is_noisier(quick_run):
    _, result = quick_run
    assert result["ok"] and all(result["checks"].values())
    full, mini, sgd = (result["runs"][k] for k in ("full batch", "mini-batch", "stochastic"))
    assert (full["batch"], mini["batch"], sgd["batch"]) == (batch_sizes.N, 8, 1)
    assert (full["updates_per_epoch"], mini["updates_per_epoch"], sgd["updates_per_epoch"]) == (
        1,
        batch_sizes.N // 8,
        batch_sizes.N,
    )
    assert sgd["noise_per_update"] > mini["noise_per_update"] > full["noise_per_update"]
    assert sgd["noise_after_update"] > mini["noise_after_update"] >= full["noise_after_update"]
    assert full["noise_after_update"] == 0.0  # exact gradient, small step: L only falls
    for r in (full, mini, sgd):
        assert r["final"] < result["bound"] < result["start"]
        assert r["per_epoch"][0] == result["start"]  # the same initial weights
        assert len(r["per_epoch"]) == 8 + 1
    assert max(mini["final"], sgd["final"]) < full["final"]


def test_pictures(quick_run):
    out, result = quick_run
    check_pictures_if_plotting(result, out, {"loss_per_epoch.png", "loss_per_update.png"})


def test_story_numbers(out, capsys):
    batch_sizes.run(out, seed=1, quick=True)
    check_story(capsys.readouterr().out)


def test_noise_is_the_sum_of_increases():
    assert batch_sizes.noise([3.0, 2.0, 2.5, 1.0, 1.25]) == pytest.approx(0.75)
    assert batch_sizes.noise([3.0, 2.0, 1.0]) == 0.0
    assert batch_sizes.noise([1.0]) == 0.0


def test_full_batch_step_is_one_gradient_descent_step_by_hand():
    """One full-batch update equals p - η·∂L/∂p with ∂L/∂w_j = (2/N) Σ (ŷ_i - y_i) x_ij."""
    from nn import Neuron

    X, y = batch_sizes.make_problem(4)
    w1, w2, b = (p.data for p in Neuron(2, activation="linear", seed=4).parameters())
    r = batch_sizes.descend(X, y, batch_sizes.N, 1, seed=4)
    residual = [w1 * x1 + w2 * x2 + b - t for (x1, x2), t in zip(X, y)]
    n = len(X)
    grads = (
        2 / n * sum(e * x[0] for e, x in zip(residual, X)),
        2 / n * sum(e * x[1] for e, x in zip(residual, X)),
        2 / n * sum(residual),
    )
    expected = [p - batch_sizes.LR * g for p, g in zip((w1, w2, b), grads)]
    assert r["weights"] == pytest.approx(expected, rel=1e-12, abs=1e-14)
    assert r["per_update"][0] == pytest.approx(sum(e * e for e in residual) / n, rel=1e-12)
