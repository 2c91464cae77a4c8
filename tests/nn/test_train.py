"""nn.train: the moons acceptance run, fit's history/callbacks/progress, accuracy; the benchmark's
training step is checked for correctness here too (its timing is not)."""

from __future__ import annotations

import random
import sys

import pytest

import nn
from nn import MLP, Layer, accuracy, data, fit, losses, optim
from nn.train import _progress_bar

# --------------------------------------------------------------------------------------------
# Acceptance: micrograd's demo result
# --------------------------------------------------------------------------------------------


def test_moons_reach_100_percent_within_100_full_batch_sgd_steps():
    X, y = data.make_moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], activation="relu", seed=0)
    opt = optim.SGD(model.parameters(), lr=1.0, schedule=optim.LinearDecay(1.0, 0.1, 100))
    reached = None
    for step in range(100):
        scores = [model(x) for x in X]
        if accuracy(scores, y) == 1.0:
            reached = step
            break
        loss = losses.hinge(scores, y) + 1e-4 * losses.l2(model.parameters())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert reached is not None and reached < 100
    assert accuracy(model, X, y) == 1.0


def test_fit_reproduces_the_moons_result_and_returns_a_history():
    X, y = data.make_moons(100, noise=0.1, seed=0)
    model = MLP(2, [16, 16, 1], seed=0)
    opt = optim.SGD(model.parameters(), lr=1.0, schedule=optim.LinearDecay(1.0, 0.1, 100))
    history = fit(model, X, y, loss="hinge", optimizer=opt, alpha=1e-4, epochs=40, progress=False)
    assert set(history) == {"epoch", "loss", "accuracy", "lr"}
    assert history["epoch"] == list(range(40)) and len(history["loss"]) == 40
    assert history["loss"][-1] < history["loss"][0] / 5
    assert max(history["accuracy"]) == 1.0
    assert history["lr"][0] == 1.0 and history["lr"][-1] == pytest.approx(1.0 - 0.9 * 39 / 100)


def test_fit_loss_is_the_objective_before_each_step():
    X, y = data.make_xor(20, seed=1)
    a, b = MLP(2, [4, 1], seed=3), MLP(2, [4, 1], seed=3)
    history = fit(a, X, y, loss="perceptron", lr=0.1, alpha=1e-3, epochs=3, progress=False)
    opt = optim.SGD(b.parameters(), lr=0.1)
    for epoch in range(3):
        scores = [b(x) for x in X]
        loss = losses.perceptron(scores, y) + 1e-3 * losses.l2(b.parameters())
        assert history["loss"][epoch] == pytest.approx(loss.data, rel=1e-12)
        assert history["accuracy"][epoch] == accuracy(scores, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert a.state_dict() == b.state_dict()


def test_fit_with_minibatches_and_cross_entropy_learns_blobs():
    X, y = data.make_blobs(90, centers=[[2.0, 2.0], [-2.0, 2.0], [0.0, -2.0]], std=0.5, seed=0)
    model = MLP(2, [8, 3], activation="tanh", init="xavier", seed=0)
    history = fit(
        model,
        X,
        y,
        loss="cross_entropy",
        optimizer=optim.Adam(model.parameters(), lr=0.05),
        epochs=15,
        batch_size=16,
        seed=0,
        progress=False,
    )
    assert history["accuracy"][-1] > 0.95
    assert accuracy(model, X, y) > 0.95
    again = MLP(2, [8, 3], activation="tanh", init="xavier", seed=0)
    fit(
        again,
        X,
        y,
        loss="cross_entropy",
        optimizer=optim.Adam(again.parameters(), lr=0.05),
        epochs=15,
        batch_size=16,
        seed=0,
        progress=False,
    )
    assert again.state_dict() == model.state_dict()  # the same seed shuffles the same way


def test_fit_regression_records_no_accuracy_and_custom_losses_work():
    X = [[x / 10] for x in range(-10, 11)]
    y = [2 * x[0] ** 2 for x in X]
    model = MLP(1, [8, 1], activation="tanh", seed=0)
    history = fit(
        model,
        X,
        y,
        loss="mse",
        optimizer=optim.Adam(model.parameters(), lr=0.05),
        epochs=200,
        progress=False,
    )
    assert history["accuracy"] == [None] * 200
    assert history["loss"][-1] < 0.1 * history["loss"][0]
    custom = fit(
        model, X, y, loss=lambda s, t: losses.mse(s, t) * 2.0, epochs=1, lr=0.0, progress=False
    )
    assert custom["loss"][0] == pytest.approx(2 * history["loss"][-1], rel=0.05)


def test_callbacks_see_every_epoch_and_can_stop_training():
    X, y = data.make_moons(20, seed=0)
    seen = []

    def stop_at_three(epoch, history):
        seen.append((epoch, len(history["loss"])))
        return epoch == 2

    history = fit(
        MLP(2, [4, 1], seed=0), X, y, epochs=10, callbacks=[stop_at_three], progress=False
    )
    assert seen == [(0, 1), (1, 2), (2, 3)]
    assert len(history["loss"]) == 3


def test_fit_bad_arguments():
    X, y = data.make_moons(10, seed=0)
    model = MLP(2, [3, 1], seed=0)
    with pytest.raises(ValueError, match="unknown loss 'hige'"):
        fit(model, X, y, loss="hige")
    with pytest.raises(ValueError, match="epochs must be an integer ≥ 0, got -1"):
        fit(model, X, y, epochs=-1)
    with pytest.raises(ValueError, match="X has 10 rows and y has 9"):
        fit(model, X, y[:-1])
    with pytest.raises(ValueError, match="labels must be \\+1 or -1"):
        fit(model, X, [0] * 10, loss="hinge", progress=False)
    with pytest.raises(TypeError, match="callbacks must be callables"):
        fit(model, X, y, callbacks=[1])


def test_progress_bar_only_on_a_terminal_and_only_when_wanted(monkeypatch):
    pytest.importorskip("tqdm")
    assert _progress_bar(5, False) is None

    class FakeTTY:
        def isatty(self):
            return True

        def write(self, text):
            return len(text)

        def flush(self):
            pass

    monkeypatch.setattr(sys, "stdout", FakeTTY())
    bar = _progress_bar(5, None)
    assert bar is not None
    bar.close()
    assert _progress_bar(5, False) is None
    monkeypatch.setattr(sys, "stdout", open(__file__))  # a plain file is not a TTY
    try:
        assert _progress_bar(5, None) is None
    finally:
        sys.stdout.close()


def test_progress_bar_without_tqdm_is_silently_off(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    assert _progress_bar(5, True) is None


# --------------------------------------------------------------------------------------------
# accuracy
# --------------------------------------------------------------------------------------------


def test_accuracy_for_pm1_01_and_class_index_targets():
    assert accuracy([0.5, -0.2, 0.1, -3.0], [1, -1, -1, -1]) == 0.75
    assert accuracy([0.5, -0.2, 0.1, -3.0], [1, 0, 0, 0]) == 0.75
    assert accuracy([[0.1, 0.9, 0.0], [2.0, 1.0, 0.0]], [1, 2]) == 0.5
    layer = Layer(2, 3, seed=0)
    scores = [layer(x) for x in ([0.0, 1.0], [1.0, 0.0])]
    assert accuracy(scores, [0, 0]) in (0.0, 0.5, 1.0)


def test_accuracy_on_a_model():
    X, y = data.make_moons(30, seed=0)
    model = MLP(2, [4, 1], seed=0)
    expected = accuracy([model(x) for x in X], y)
    assert accuracy(model, X, y) == expected


def test_accuracy_bad_targets():
    with pytest.raises(ValueError, match="must be \\+1, -1, 0 or 1, got 2"):
        accuracy([0.5], [2])
    with pytest.raises(ValueError, match="class index 3 is out of range for 3"):
        accuracy([[0.1, 0.2, 0.3]], [3])
    with pytest.raises(ValueError, match="2 scores but 1 target"):
        accuracy([0.1, 0.2], [1])


def test_public_names_of_the_package():
    for name in (
        "Module",
        "Neuron",
        "Layer",
        "MLP",
        "RandomProjection",
        "losses",
        "optim",
        "data",
        "fit",
        "accuracy",
        "init",
    ):
        assert hasattr(nn, name), name


# --------------------------------------------------------------------------------------------
# The benchmark's training step computes the same thing in every engine
# --------------------------------------------------------------------------------------------


def _chainrule_twin_of_the_floats_model():
    """A chainrule MLP with the weights the floats and pytorch steps draw (random.Random(0))."""
    from tests import benchmark_training as bt

    rng = random.Random(0)
    model = MLP(2, bt.SIZES[1:], seed=0)
    for layer in model.layers:
        for neuron in layer.neurons:
            for w in neuron.w:
                w.data = rng.uniform(-1, 1)
    X, y = bt._moons()
    opt = optim.SGD(model.parameters(), lr=bt.LR)

    def step():
        loss = losses.hinge([model(x) for x in X], y) + bt.ALPHA * losses.l2(model.parameters())
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.data

    return step


def test_benchmark_floats_step_matches_chainrule_step_for_step():
    from tests import benchmark_training as bt

    ours, floats = _chainrule_twin_of_the_floats_model(), bt.floats_step()
    for _ in range(4):
        assert floats() == pytest.approx(ours(), rel=1e-10)
    assert bt.step_ms("floats", 1) > 0
    with pytest.raises(ValueError, match="unknown engine"):
        bt.step_ms("jax", 1)


def test_benchmark_pytorch_step_matches_chainrule_step_for_step():
    pytest.importorskip("torch")
    from tests import benchmark_training as bt

    ours, theirs = _chainrule_twin_of_the_floats_model(), bt.pytorch_step()
    for _ in range(2):
        assert theirs() == pytest.approx(ours(), rel=1e-10)


def test_accuracy_reads_integral_float_class_indices_as_cross_entropy_does():
    scores = [[0.1, 0.9, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 5.0]]
    assert accuracy(scores, [1.0, 0.0, 1.0]) == accuracy(scores, [1, 0, 1]) == 2 / 3
    with pytest.raises(ValueError, match="class index 1.5 is out of range for 3 scores"):
        accuracy(scores, [1.5, 0, 1])
    with pytest.raises(ValueError, match="class index True"):
        accuracy(scores, [True, 0, 1])


def test_accuracy_refuses_a_soft_label_by_name_and_reads_multi_label_targets():
    with pytest.raises(ValueError, match="0.3 is a soft label"):
        accuracy([0.5, -1.0], [1, 0.3])
    assert accuracy([[0.5, -1.0], [0.5, 2.0]], [[1, 0], [1, 0]]) == 0.5  # all outputs right


@pytest.mark.parametrize("labels", ["float", "numpy-float", "numpy-int"])
def test_fit_takes_integral_float_class_labels_and_records_accuracy(labels):
    X, y = data.make_blobs(30, centers=3, seed=0)
    ints = [int(t) for t in y]
    if labels == "float":
        targets = [float(t) for t in ints]
    else:
        np = pytest.importorskip("numpy")
        targets = np.array(ints, dtype=float if labels == "numpy-float" else int)

    def run(ys):
        model = MLP(2, [4, 3], seed=0)
        return fit(model, X, ys, loss="cross_entropy", epochs=3, progress=False)

    history = run(targets)
    assert history == run(ints) and all(a is not None for a in history["accuracy"])


def test_fit_with_soft_bce_targets_trains_and_reports_no_accuracy():
    X, y = data.make_moons(20, seed=0)
    soft = [0.8 if t > 0 else 0.3 for t in y]
    history = fit(MLP(2, [4, 1], seed=0), X, soft, loss="bce_with_logits", epochs=3, progress=False)
    assert history["accuracy"] == [None, None, None]
    model = MLP(2, [4, 1], seed=0)
    bce = losses.bce_with_logits([model(x) for x in X], soft)  # the first epoch's objective
    assert history["loss"][0] == pytest.approx(bce.data, abs=1e-12)
    hard = fit(MLP(2, [4, 1], seed=0), X, [1 if t > 0 else 0 for t in y], loss="bce_with_logits",
               epochs=1, progress=False)  # fmt: skip
    assert hard["accuracy"][0] is not None


def test_a_run_stuck_on_dead_relus_says_so_once_and_tanh_does_not_get_stuck():
    """micrograd's README data on MLP(3, [4, 4, 1]): with the ReLU default, seed 8 kills every
    unit of layer 2 at the first step and the loss stays put; fit says so, once, and what to try."""
    import warnings

    from nn.train import dead_layers

    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    model = MLP(3, [4, 4, 1], seed=8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = fit(model, xs, ys, loss="mse", epochs=20, lr=0.05)
    assert history["loss"][-1] == history["loss"][2]  # stuck
    dead = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(dead) == 1 and "dead in layer 2" in str(dead[0].message)
    assert "activation='tanh'" in str(dead[0].message)
    assert dead_layers(model, xs) == [2]
    tanh = MLP(3, [4, 4, 1], activation="tanh", seed=8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = fit(tanh, xs, ys, loss="mse", epochs=20, lr=0.05)
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert history["loss"][-1] < history["loss"][0] and dead_layers(tanh, xs) == []


def test_a_dead_run_that_still_creeps_is_told_too():
    """Seed 11 at lr 0.1: only the output bias still learns, so the loss creeps by ~1e-12 an
    epoch; it is stuck all the same and fit says so."""
    import warnings

    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(MLP(3, [4, 4, 1], seed=11), xs, ys, loss="mse", epochs=50, lr=0.1)
    assert any("every hidden unit is dead" in str(w.message) for w in caught)
