"""demos.overfitting: the big model fits its 40 training points and does worse on 200 new ones;
L2 generalises better. Also the held-out accuracy that demos.random_projection now reports."""

from __future__ import annotations

import contextlib
import importlib.util
import io

import pytest

from demos import overfitting, random_projection
from tests.demos.conftest import check_pictures, check_story


def check_pictures_if_plotting(result: dict, out, expected: set[str]) -> None:
    """The pictures exist and are valid; without matplotlib the demo reports none."""
    if importlib.util.find_spec("matplotlib") is None:
        assert result["files"] == []
        pytest.skip("matplotlib is not installed: no pictures to check")
    check_pictures(result, out, expected)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    """One quick run shared by the tests: its folder, its result and its printed story."""
    out = tmp_path_factory.mktemp("overfitting") / "pictures"
    story = io.StringIO()
    with contextlib.redirect_stdout(story):
        result = overfitting.run(out, seed=0, quick=True)
    return out, result, story.getvalue()


def test_big_model_overfits_and_l2_generalises_better(quick_run):
    out, result, story = quick_run
    check_story(story)
    assert "[FAILED]" not in story and story.count("[ok]") == 4
    assert result["ok"] and all(result["checks"].values())
    big, l2 = result["runs"].values()
    assert big["alpha"] == 0.0 and l2["alpha"] == overfitting.ALPHA
    assert big["train_accuracy"] >= overfitting.NEAR_PERFECT
    assert big["gap"] == pytest.approx(big["train_accuracy"] - big["test_accuracy"])
    assert big["gap"] >= overfitting.GAP
    assert l2["test_accuracy"] > big["test_accuracy"]
    assert l2["test_loss"] < big["test_loss"]
    assert l2["gap"] < big["gap"]
    assert l2["weight_norm2"] < big["weight_norm2"] / 10  # L2 keeps the weights small
    assert big["train_loss"] < l2["train_loss"]  # ...at the price of fitting training less well
    check_pictures_if_plotting(result, out, {"train_vs_test.png", "decision_boundaries.png"})


def test_curves_start_together_and_end_at_the_reported_numbers(quick_run):
    _, result, _ = quick_run
    curves = result["curves"]
    epochs = 200
    for name, r in result["runs"].items():
        c = curves[name]
        assert c["epoch"][0] == 0 and c["epoch"][-1] == epochs
        assert c["epoch"] == sorted(set(c["epoch"]))
        assert c["train"][-1] == (r["train_loss"], r["train_accuracy"])
        assert c["test"][-1] == (r["test_loss"], r["test_accuracy"])
    big, l2 = curves.values()
    assert big["train"][0] == l2["train"][0] and big["test"][0] == l2["test"][0]  # same start
    assert big["train"][-1][0] < big["train"][0][0] / 10  # the training loss falls a lot


def test_measure_is_the_mean_bce_and_accuracy_of_the_engine_model():
    from nn import Neuron, accuracy, losses

    model = Neuron(2, activation="linear", seed=3)
    features = [[1.0, -1.0], [-1.0, 1.0], [1.0, 1.0]]
    y = [1, 0, 1]
    loss, acc = overfitting.measure(model, features, y)
    scores = [model(f) for f in features]
    assert loss == pytest.approx(losses.bce_with_logits(scores, y).data, abs=1e-15)
    assert acc == accuracy(scores, y)


def test_test_and_training_moons_differ_but_share_the_distribution():
    sets = overfitting.datasets(0)
    (X, y), (X_test, y_test) = sets["train"], sets["test"]
    assert len(X) == overfitting.TRAIN_POINTS and len(X_test) == overfitting.TEST_POINTS
    assert sorted(set(y)) == sorted(set(y_test)) == [0, 1]
    assert not {tuple(p) for p in X} & {tuple(p) for p in X_test}
    assert overfitting.datasets(0) == sets  # deterministic from the seed


def test_random_projection_reports_held_out_accuracy(out, capsys):
    result = random_projection.run(out, seed=0, quick=True)
    story = capsys.readouterr().out
    assert result["ok"]
    for name in ("XOR", "circles"):
        test = result["test_accuracy"][name]
        assert 0.0 <= test["plain"] <= 1.0
        assert test["projection"] > test["plain"], name  # the projection also generalises
        assert test["projection"] >= 0.8, name
        assert f"test accuracy {test['projection']:.0%}" in story
