"""The training bench's model: its losses are an eager nn run's, and rewind repeats the run."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("numpy")

from nn.lab.errors import LabInputError
from nn.lab.limits import Limits
from nn.lab.training import TrainingRun, eager_losses, parse_config

LIMITS = Limits()


def run_of(**settings) -> TrainingRun:
    return TrainingRun(parse_config({"points": 60, **settings}, LIMITS), LIMITS)


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"optimizer": "adam", "lr": 0.01, "batch_size": 16},
        {"loss": "bce_with_logits", "activation": "relu", "momentum": 0.9, "batch_size": 7},
        {"dataset": "spirals", "classes": 3, "loss": "cross_entropy", "batch_size": 20},
        {"dataset": "xor", "loss": "mse", "hidden": [8], "lr": 0.05},
    ],
)
def test_the_losses_equal_an_eager_run_with_the_same_seed(settings):
    run = run_of(**settings)
    for _ in range(25):
        run.step()
    eager = eager_losses(run.config, 25)
    assert len(run.losses) == 25
    for mine, theirs in zip(run.losses, eager):
        assert math.isclose(mine, theirs, rel_tol=0, abs_tol=1e-12)


@pytest.mark.parametrize("settings", [{}, {"optimizer": "adam", "lr": 0.02, "batch_size": 9}])
def test_rewind_then_continue_repeats_the_run_exactly(settings):
    run = run_of(**settings)
    for _ in range(37):
        run.step()
    original = run.losses
    weights = [p.data for p in run.params]
    run.rewind(13)
    assert run.update == 13 and run.losses == original[:13]
    for _ in range(24):
        run.step()
    assert run.losses == original
    assert [p.data for p in run.params] == weights


def test_the_same_seed_gives_the_same_run_and_another_seed_another():
    a, b, c = run_of(seed=3), run_of(seed=3), run_of(seed=4)
    for run in (a, b, c):
        for _ in range(5):
            run.step()
    assert a.losses == b.losses != c.losses


def test_an_added_point_takes_part_and_rewind_restores_the_data():
    run = run_of()
    for _ in range(3):
        run.step()
    before = len(run.points)
    run.add_point(0.5, 0.5, 1)
    assert len(run.points) == before + 1
    run.step()
    run.rewind(2)
    assert len(run.points) == before


def test_a_frame_describes_the_run():
    run = run_of(grid=10)
    run.step()
    frame = run.frame()
    assert frame["update"] == 1 and frame["loss"] == run.losses[0]
    assert len(frame["grid"]) == 100 and all(0 <= c < 200 for c in frame["grid"])
    assert [len(layer["b"]) for layer in frame["weights"]] == [16, 16, 1]
    assert [h["layer"] for h in frame["health"]] == [1, 2, 3]
    assert frame["deltas"]["point"] == 0 and len(frame["deltas"]["layers"]) == 3


def test_a_blow_up_stops_with_words_about_the_learning_rate():
    run = run_of(activation="relu", lr=10.0, loss="mse")
    with pytest.raises(LabInputError, match="learning rate"):
        for _ in range(50):
            run.step()


def test_dead_relu_units_are_counted_and_warned_about():
    run = run_of(activation="relu", hidden=[4])
    for neuron in run.model.layers[0].neurons:  # every unit's s < 0 on every point
        neuron.b.data = -100.0
    run.step()
    first = run.health()[0]
    assert first["dead"] == 4 and "dead" in first["warning"]


def test_point_details_give_the_engines_numbers_and_the_delta_steps():
    run = run_of()
    run.step()
    details = run.point_details(2)
    loss, model, _ = run.point_graph(2)
    assert details["loss"] == loss.data
    assert len(details["delta_steps"]) == 3 and all(s["agrees"] for s in details["delta_steps"])
    assert details["layers"][-1]["delta"][0] == details["layers"][-1]["delta"][0]


@pytest.mark.parametrize(
    "settings, word",
    [
        ({"hidden": [64]}, "width"),
        ({"hidden": [4, 4, 4, 4]}, "hidden"),
        ({"points": 10**6}, "points"),
        ({"grid": 500}, "grid"),
        ({"lr": -1}, "lr"),
        ({"batch_size": "all"}, "batch_size"),
        ({"loss": "hinge", "classes": 3, "dataset": "blobs"}, "cross_entropy"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_settings_are_refused_naming_the_value(settings, word):
    with pytest.raises(LabInputError, match=word):
        parse_config(settings, LIMITS)


def test_bad_points_and_rewinds_are_refused():
    run = run_of()
    with pytest.raises(LabInputError, match="class"):
        run.add_point(0.0, 0.0, 5)
    with pytest.raises(LabInputError, match="nan"):
        run.add_point(float("nan"), 0.0, 0)
    with pytest.raises(LabInputError, match="rewind"):
        run.rewind(3)
