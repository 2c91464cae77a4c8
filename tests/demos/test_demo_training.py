"""Quick-mode runs of the demos that train `nn` models: each claim is asserted."""

from __future__ import annotations

import pytest

from demos import classify, moons, optimizers, random_projection, universal_approximation
from tests.demos.conftest import check_pictures, check_story


def test_moons_reaches_full_training_accuracy(out, capsys):
    result = moons.run(out, seed=0, quick=True)
    assert result["ok"]
    assert result["accuracy"] == 1.0
    assert result["parameters"] == 337  # MLP(2, [16, 16, 1])
    history = result["history"]
    assert len(history["loss"]) == 50
    assert history["loss"][-1] < history["loss"][0]
    assert history["lr"][0] == pytest.approx(1.0)
    assert history["lr"][-1] == pytest.approx(1.0 - 0.9 * 49 / 50)  # linear decay
    check_pictures(result, out, {"decision_boundary.png", "training_curves.png"})
    story = capsys.readouterr().out
    assert "step  50" in story  # no TTY under pytest: printed progress
    check_story(story)


def test_classify_spirals_accuracy(out, capsys):
    result = classify.run(out, seed=0, quick=True)
    assert result["ok"]
    assert result["accuracy"] >= result["target"] == 0.9
    check_pictures(result, out, {"decision_regions.png", "training_curves.png"})
    check_story(capsys.readouterr().out)


def test_random_projection_separates_what_a_line_cannot(out, capsys):
    result = random_projection.run(out, seed=0, quick=True)
    assert result["ok"]
    for name in ("XOR", "circles"):
        acc = result["accuracy"][name]
        assert acc["projection"] >= 0.9, name
        assert acc["plain"] <= random_projection.PLAIN_CEILING, name
    check_pictures(result, out, {"random_projection.png"})
    check_story(capsys.readouterr().out)


def test_universal_approximation_error_falls_with_width(out, capsys):
    result = universal_approximation.run(out, seed=0, quick=True)
    check_story(capsys.readouterr().out)
    assert result["ok"]
    errors = list(result["rectangle_max_errors"].values())
    assert all(b < a for a, b in zip(errors, errors[1:]))
    rms = result["trained_rms"]
    assert rms[16] < rms[2] / 2
    check_pictures(result, out, {"approximations.png", "error_vs_width.png"})


def test_rectangle_network_is_the_lecture_formula():
    """The MLP built from rectangles equals Σ_k h_k·(1/ε)(relu(x-a) - ... ) written directly."""
    pieces = 4
    model = universal_approximation.rectangle_network(pieces)
    width = 2.0 / pieces
    eps = width / 5.0
    relu = lambda z: max(0.0, z)
    for i in range(41):
        x = -1.0 + 2.0 * i / 40
        expected = 0.0
        for k in range(pieces):
            a = -1.0 + k * width - eps
            b = a + width if k < pieces - 1 else 1.0
            h = universal_approximation.f(-1.0 + (k + 0.5) * width)
            expected += (
                h * (relu(x - a) - relu(x - a - eps) - relu(x - b) + relu(x - b - eps)) / eps
            )
        assert model([x]).data == pytest.approx(expected, abs=1e-12)


def test_optimizers_momentum_and_adam_beat_sgd(out, capsys):
    result = optimizers.run(out, quick=True)
    assert result["ok"]
    steps = list(result["steps_to_threshold"].values())
    sgd, momentum, adam = steps
    assert momentum < sgd and adam < sgd
    assert all(gap <= 1e-12 for gap in result["rule_gaps"].values())  # printed rule = what ran
    check_pictures(result, out, {"optimizers.png"})
    check_story(capsys.readouterr().out)


def test_the_optimizers_printed_rules_are_what_nn_optim_does():
    """The rules the demo prints, recomputed by hand for three steps, give nn.optim's numbers;
    a wrong rule (momentum without its memory, Adam without bias correction) would not."""
    gaps = optimizers.check_rules(steps=3)
    assert set(gaps) == set(optimizers.RULES) and max(gaps.values()) <= 1e-12
    # the check can fail: momentum's v must carry over (the 2nd step differs from GD's)
    state: dict = {}
    first = optimizers.step_by_hand(optimizers.MOMENTUM, 1.0, 0.5, state, 1)
    second = optimizers.step_by_hand(optimizers.MOMENTUM, first, 0.5, state, 2)
    assert second == pytest.approx(first - (0.9 * 0.5 + 0.5))
    assert "full batch" in optimizers.GD and "SGD" not in optimizers.GD


def test_universal_approximation_legend_names_hidden_and_flat_curves():
    """The legend lists no curve that cannot be seen: a fit covered by a wider one is named as
    such, and a flat one says why (the issue's H = 4 under H = 8, H = 2 flat at 0)."""
    ua = universal_approximation
    xs = ua._grid(41)

    from nn import MLP

    dead = MLP(1, [2, 1], seed=0)
    for neuron in dead.layers[0].neurons:
        neuron.w[0].data, neuron.b.data = 1.0, -5.0  # relu(x - 5) = 0 on [-1, 1]
    dead.layers[1].neurons[0].b.data = 0.0
    same = ua.rectangle_network(4)
    curves = {2: ua._curve(dead, xs), 4: ua._curve(same, xs), 8: ua._curve(same, xs)}
    results = {h: {"model": m, "rms": 0.5} for h, m in ((2, dead), (4, same), (8, same))}
    label2, drawn2 = ua.trained_label(2, results[2], curves, xs)
    label4, drawn4 = ua.trained_label(4, results[4], curves, xs)
    label8, drawn8 = ua.trained_label(8, results[8], curves, xs)
    assert drawn2 and "flat" in label2 and "2 of 2 ReLUs are off" in label2
    assert not drawn4 and "the same curve as H = 8" in label4
    assert drawn8 and label8 == "H = 8 units, rms error 0.5"
