"""fit(..., compile=...): training through replay gives the eager run's results.

On floats the histories and the trained weights are equal bit for bit; with numpy they agree to
rounding (numpy's exp/log may differ from math's in the last bit, and it sums a parameter's
gradient over the batch in another order). Rounding can decide a prediction that sits on the
boundary: with balanced ±1 labels the output bias's first gradient is 0 up to rounding, so points
every ReLU ignores score ±1e-18, and their predicted class is the sign of that rounding.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value
from nn import MLP, data, fit, losses, optim
from nn.compiled import CompiledObjective


def train(compile, loss="hinge", X=None, y=None, sizes=(6, 1), alpha=1e-4, epochs=6, **kw):
    model = MLP(len(X[0]), list(sizes), activation=kw.pop("activation", "relu"), seed=0)
    opt = kw.pop("opt", None) or optim.SGD(model.parameters(), lr=0.3)
    if callable(opt):
        opt = opt(model.parameters())
    history = fit(
        model,
        X,
        y,
        loss=loss,
        optimizer=opt,
        alpha=alpha,
        epochs=epochs,
        seed=0,
        progress=False,
        compile=compile,
        **kw,
    )
    return history, model.state_dict()


def assert_close(a, b, rel=1e-12):
    assert a.keys() == b.keys()
    for key in a:
        assert a[key] == pytest.approx(b[key], rel=rel, abs=1e-12), key


MOONS = data.make_moons(40, noise=0.1, seed=0)
MOONS01 = data.make_moons(40, noise=0.1, seed=0, labels="01")
SPIRALS = data.make_spirals(30, 3, noise=0.1, seed=0)
CURVE = ([[i / 10 - 1.0] for i in range(21)], [(i / 10 - 1.0) ** 2 for i in range(21)])


CASES = {
    "hinge": dict(loss="hinge", X=MOONS[0], y=MOONS[1]),
    "perceptron": dict(loss="perceptron", X=MOONS[0], y=MOONS[1], alpha=1e-3),
    "bce_with_logits": dict(loss="bce_with_logits", X=MOONS01[0], y=MOONS01[1], alpha=0.0),
    "cross_entropy": dict(
        loss="cross_entropy", X=SPIRALS[0], y=SPIRALS[1], sizes=(8, 3), activation="tanh"
    ),
    "mse minibatch adam": dict(
        loss="mse",
        X=CURVE[0],
        y=CURVE[1],
        batch_size=4,
        opt=lambda p: optim.Adam(p, lr=0.05),
        alpha=0.0,
    ),
    "mse two outputs": dict(
        loss="mse", X=MOONS[0], y=[[t, -t] for t in MOONS[1]], sizes=(5, 2), alpha=1e-3
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_compiled_floats_reproduce_the_eager_run_bit_for_bit(case):
    eager = train(False, **dict(CASES[case]))
    replayed = train("float", **dict(CASES[case]))
    assert replayed == eager


@pytest.mark.parametrize("case", sorted(CASES))
def test_compiled_numpy_agrees_with_the_eager_run(case):
    pytest.importorskip("numpy")
    (h1, w1), (h2, w2) = train(False, **dict(CASES[case])), train("numpy", **dict(CASES[case]))
    assert h1["lr"] == h2["lr"]
    assert h2["loss"] == pytest.approx(h1["loss"], rel=1e-12)
    for a, b in zip(h1["accuracy"], h2["accuracy"]):  # see the module docstring
        assert a == b or abs(a - b) <= 0.15
    assert_close(w1, w2)


def test_a_custom_loss_is_traced_whole_with_full_batches():
    def custom(scores, targets):
        signs = [1 if t > 0 else -1 for t in targets]
        return losses.mse(scores, targets) + losses.hinge(scores, signs)

    X, y = CURVE
    assert train(True, custom, X, y) == train(False, custom, X, y)
    with pytest.raises(ValueError, match="full batches"):
        train(True, custom, X, y, batch_size=4)


def test_compile_true_picks_numpy_for_large_batches_and_floats_for_small(monkeypatch):
    pytest.importorskip("numpy")
    X, y = MOONS
    model = MLP(2, [4, 1], seed=0)
    objective = CompiledObjective(model, losses.hinge, "hinge", 0.0, model.parameters(), True)
    used = []
    original = objective._numpy_step
    monkeypatch.setattr(objective, "_numpy_step", lambda *a: used.append(1) or original(*a))
    objective.run(X[:4], y[:4])
    assert used == []
    objective.run(X, y)
    assert used == [1]


def test_bad_labels_raise_what_the_eager_loss_raises():
    X, y = MOONS
    with pytest.raises(ValueError, match=r"labels must be \+1 or -1"):
        train(True, "hinge", X, [0] * len(X))
    with pytest.raises(ValueError, match="out of range"):
        train(True, "cross_entropy", SPIRALS[0], [5] * len(SPIRALS[0]), sizes=(4, 3))


def test_compile_must_be_a_known_mode():
    with pytest.raises(ValueError, match="compile must be"):
        train("gpu", **dict(CASES["hinge"]))


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(losses.TERMS)),
    s=st.floats(-30, 30, allow_nan=False),
    t=st.sampled_from([-1.0, 1.0, 0.0, 0.25, 2.5]),
)
def test_each_per_example_term_is_the_loss_of_one_example_bit_for_bit(name, s, t):
    """fit(compile=...) traces these terms with the target as an input: one example's loss is
    its term, op for op, with a Value target too."""
    if name in ("hinge", "perceptron") and t not in (-1.0, 1.0):
        t = 1.0
    if name == "bce_with_logits" and not 0.0 <= t <= 1.0:
        t = 0.25
    a = Value(s)
    expected = getattr(losses, name)([a], [t])
    expected.backward()
    b = Value(s)
    term = losses.TERMS[name](b, 0.0 if t == 0.0 else Value(t))
    term.backward()
    assert (term.data, b.grad) == (expected.data, a.grad)


def test_a_named_loss_without_a_per_example_term_is_compiled_whole(monkeypatch):
    """A loss added to LOSSES without its TERMS entry: no KeyError, the whole batch is traced."""

    def mae(scores, targets):
        return losses.mse(scores, targets).sqrt()

    monkeypatch.setitem(losses.LOSSES, "mae", mae)
    X, y = CURVE
    assert train(True, "mae", X, y, alpha=0.0) == train(False, "mae", X, y, alpha=0.0)
    with pytest.raises(ValueError, match=r"loss 'mae' needs full batches"):
        train(True, "mae", X, y, batch_size=4)


# --------------------------------------------------------------------------------------------
# compile=True takes what eager fit takes: numpy arrays, integral float labels, soft targets
# --------------------------------------------------------------------------------------------


def _moons_and_labels(kind: str):
    X, y = data.make_moons(24, noise=0.1, seed=1)
    if kind == "hinge":
        return X, list(y), "hinge", (4, 1)
    if kind == "cross_entropy":
        return X, [float((t + 1) // 2) for t in y], "cross_entropy", (4, 2)  # 0.0 and 1.0
    if kind == "bce":
        return X, [1.0 if t > 0 else 0.0 for t in y], "bce_with_logits", (4, 1)
    if kind == "bce_soft":
        return X, [0.8 if t > 0 else 0.3 for t in y], "bce_with_logits", (4, 1)
    return X, [[1.0 if t > 0 else 0.0, 1.0 if t < 0 else 0.0] for t in y], "bce_with_logits", (4, 2)


KINDS = ["hinge", "cross_entropy", "bce", "bce_soft", "bce_multi_label"]


@pytest.mark.parametrize("mode", ["float", "numpy"])
@pytest.mark.parametrize("kind", KINDS)
def test_compile_accepts_numpy_arrays_exactly_as_eager_fit_does(kind, mode):
    np = pytest.importorskip("numpy")
    X, y, loss, sizes = _moons_and_labels(kind)
    Xn, yn = np.array(X), np.array(y)
    eager, eager_state = train(False, loss, Xn, yn, sizes=sizes)
    compiled, compiled_state = train(mode, loss, Xn, yn, sizes=sizes)
    lists, _ = train(mode, loss, X, y, sizes=sizes)
    if mode == "float":  # bit for bit
        assert compiled == eager == lists and compiled_state == eager_state
    else:
        assert compiled["loss"] == pytest.approx(eager["loss"], rel=1e-12)
        for name, value in eager_state.items():
            assert compiled_state[name] == pytest.approx(value, rel=1e-9, abs=1e-12)
    soft = kind == "bce_soft"
    assert all((a is None) == soft for a in compiled["accuracy"] + eager["accuracy"])


@pytest.mark.parametrize("kind", KINDS)
def test_compile_takes_float_class_labels_and_soft_targets_from_lists(kind):
    X, y, loss, sizes = _moons_and_labels(kind)
    eager, eager_state = train(False, loss, X, y, sizes=sizes)
    compiled, compiled_state = train("float", loss, X, y, sizes=sizes)
    assert compiled == eager and compiled_state == eager_state


def test_compile_with_numpy_rows_in_a_list_and_a_numpy_label_vector():
    np = pytest.importorskip("numpy")
    X, y, loss, sizes = _moons_and_labels("hinge")
    rows = [np.array(x, dtype=np.float32).astype(float) for x in X]
    eager, _ = train(False, loss, rows, np.array(y, dtype=np.int64), sizes=sizes)
    compiled, _ = train("float", loss, rows, np.array(y, dtype=np.int64), sizes=sizes)
    assert compiled == eager
