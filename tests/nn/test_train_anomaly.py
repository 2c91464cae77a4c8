"""``fit(..., detect_anomaly=True)``: a diverging or poisoned run stops with a report."""

from __future__ import annotations

import math

import pytest

from engine import AnomalyError, is_anomaly_enabled
from nn import MLP, data, fit


def moons():
    return data.make_moons(20, noise=0.1, seed=0)


def test_a_diverging_run_stops_with_the_epoch_the_op_the_line_and_the_losses():
    X, y = moons()
    model = MLP(2, [8, 1], activation="tanh", seed=0)
    with pytest.raises(AnomalyError) as caught:
        fit(model, X, y, loss="mse", lr=100.0, epochs=200, progress=False, detect_anomaly=True)
    text = str(caught.value)
    assert text.startswith("fit stopped in epoch ")
    assert "overflows a float" in text  # the op and its inputs, as the engine says them
    assert "losses.py:" in text and " in mse" in text  # the line that overflowed
    assert "(growing: a smaller learning rate may help)" in text
    assert isinstance(caught.value.__cause__, OverflowError)
    assert not is_anomaly_enabled()  # switched off again


def test_nan_in_the_data_is_named_at_the_layer_that_first_uses_it():
    X, y = moons()
    X[3] = [X[3][0], math.nan]
    model = MLP(2, [4, 1], seed=0)
    with pytest.raises(AnomalyError) as caught:
        fit(model, X, y, epochs=3, progress=False, detect_anomaly=True)
    text = str(caught.value)
    assert text.startswith("fit stopped in epoch 0: the forward pass made nan: mul(")
    assert "= nan (constant)" in text and "layers.py:" in text


def test_without_anomaly_mode_the_same_data_poisons_the_weights_silently():
    """NaN in gives NaN out (relu(nan) is nan, as PyTorch): the run ends with NaN losses and NaN
    weights and no error saying where the NaN came from."""
    X, y = moons()
    X[3] = [X[3][0], math.nan]
    model = MLP(2, [4, 1], seed=0)
    history = fit(model, X, y, epochs=2, progress=False)
    assert all(math.isnan(loss) for loss in history["loss"])
    assert any(math.isnan(p.data) for p in model.parameters())


def test_an_update_that_makes_a_parameter_inf_is_named():
    X, y = moons()
    model = MLP(2, [4, 1], seed=0)
    with pytest.raises(AnomalyError) as caught:
        targets = [1000.0 * t for t in y]  # gradients of ~1e3: lr · gradient overflows
        fit(model, X, targets, loss="mse", lr=1e308, epochs=3, progress=False, detect_anomaly=True)
    text = str(caught.value)
    assert "the update of epoch 0 made parameter " in text and "inf; its gradient was" in text


def tiny_log_loss(scores, targets):
    """A finite loss with an infinite gradient: ln(≈1e-310) ≈ -713, but d ln(u)/du = 1/u = inf."""
    return sum((s * s * 1e-320 + 1e-310).log() for s in scores)  # MARK log


def test_an_inf_gradient_stops_the_run_and_names_the_loss_line():
    X, y = moons()
    with pytest.raises(OverflowError, match=r"backward through log\(") as plain:
        fit(MLP(2, [4, 1], seed=0), X, y, loss=tiny_log_loss, epochs=2, progress=False)
    assert "test_train_anomaly.py" not in str(plain.value)  # backward() names the op, not the line
    with pytest.raises(AnomalyError) as caught:
        fit(
            MLP(2, [4, 1], seed=0),
            X,
            y,
            loss=tiny_log_loss,
            epochs=2,
            progress=False,
            detect_anomaly=True,
        )
    text = str(caught.value)
    assert text.startswith("fit stopped in epoch 0: the backward pass made a gradient inf at log(")
    line = next(
        n for n, t in enumerate(open(__file__).read().splitlines(), 1) if t.endswith("# MARK log")
    )
    assert f"test_train_anomaly.py:{line} in <genexpr>" in text


def test_detect_anomaly_false_changes_nothing():
    X, y = moons()
    a = fit(MLP(2, [4, 1], seed=0), X, y, epochs=3, progress=False)
    b = fit(MLP(2, [4, 1], seed=0), X, y, epochs=3, progress=False, detect_anomaly=True)
    assert a["loss"] == b["loss"]


def test_anomaly_mode_and_replay_are_refused_together():
    from nn import MLP, data, fit

    X, y = data.make_moons(8, noise=0.1, seed=0)
    with pytest.raises(ValueError, match="detect_anomaly=True needs the eager engine"):
        fit(MLP(2, [2, 1], seed=0), X, y, epochs=1, detect_anomaly=True, compile=True)
