"""nn.losses: values, gradients (finite differences and torch float64), stability, bad targets."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Parameter, Value, gradcheck
from nn import losses

scores = st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=6)


def _values(xs):
    return [Value(x) for x in xs]


# --------------------------------------------------------------------------------------------
# Values against the formulas
# --------------------------------------------------------------------------------------------


def test_mse_is_the_mean_of_squared_errors():
    assert losses.mse(Value(3.0), 1.0).data == 4.0
    assert losses.mse(_values([1.0, 2.0, 4.0]), [1.0, 0.0, 1.0]).data == pytest.approx(13 / 3)
    assert losses.mse([[Value(1.0), Value(2.0)]], [[0.0, 0.0]]).data == 2.5  # nested: flattened


def test_hinge_matches_micrograds_demo_formula():
    s, y = [0.5, -2.0, 3.0, 0.2], [1, 1, -1, -1]
    expected = sum(max(0.0, 1 - yi * si) for si, yi in zip(s, y)) / 4
    assert losses.hinge(_values(s), y).data == pytest.approx(expected, rel=1e-15)
    assert losses.hinge(Value(2.0), 1).data == 0.0


def test_perceptron_cost_is_abs_score_when_wrong_and_zero_when_right():
    # seed 001: L = 1{y != sign(ŷ)}·|ŷ|
    assert losses.perceptron(Value(-0.7), 1).data == 0.7
    assert losses.perceptron(Value(0.7), 1).data == 0.0
    assert losses.perceptron(Value(0.7), -1).data == 0.7
    assert losses.perceptron(_values([-1.0, 3.0]), [1, 1]).data == 0.5


def test_bce_with_logits_matches_the_log_formula():
    for z, y in [(0.3, 1), (0.3, 0), (-2.0, 1), (1.5, 0.25)]:
        p = 1 / (1 + math.exp(-z))
        expected = -(y * math.log(p) + (1 - y) * math.log(1 - p))
        assert losses.bce_with_logits(Value(z), y).data == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_is_minus_log_softmax_of_the_target():
    z = [1.0, 2.0, 0.5]
    expected = -math.log(math.exp(2.0) / sum(math.exp(v) for v in z))
    assert losses.cross_entropy(_values(z), 1).data == pytest.approx(expected, rel=1e-14)
    batch = losses.cross_entropy([_values(z), _values([0.0, 0.0, 0.0])], [1, 2])
    assert batch.data == pytest.approx((expected + math.log(3)) / 2, rel=1e-14)


def test_l2_is_the_plain_sum_of_squares():
    ps = [Parameter(1.0), Parameter(-2.0), Parameter(0.5)]
    reg = losses.l2(ps)
    assert reg.data == 5.25
    reg.backward()
    assert [p.grad for p in ps] == [2.0, -4.0, 1.0]


@pytest.mark.parametrize(
    "loss, target", [("mse", 0.5), ("hinge", -1), ("perceptron", 1), ("bce_with_logits", 1)]
)
def test_a_batch_is_reduced_by_the_mean(loss, target):
    fn = getattr(losses, loss)
    xs = [0.3, -1.2, 2.0]
    each = [fn(Value(x), target).data for x in xs]
    assert fn(_values(xs), [target] * 3).data == pytest.approx(sum(each) / 3, rel=1e-15)


# --------------------------------------------------------------------------------------------
# Stability
# --------------------------------------------------------------------------------------------


def test_bce_with_logits_is_exact_for_huge_logits():
    assert losses.bce_with_logits(Value(1000.0), 0).data == 1000.0
    assert losses.bce_with_logits(Value(-1000.0), 1).data == 1000.0
    assert losses.bce_with_logits(Value(1000.0), 1).data == 0.0
    z = Value(-800.0)
    losses.bce_with_logits(z, 1).backward()
    assert z.grad == -1.0  # σ(z) - y


def test_cross_entropy_is_stable_for_huge_logits():
    z = _values([1000.0, 0.0, -1000.0])
    loss = losses.cross_entropy(z, 1)
    assert loss.data == pytest.approx(1000.0)
    loss.backward()
    assert [v.grad for v in z] == pytest.approx([1.0, -1.0, 0.0])


# --------------------------------------------------------------------------------------------
# Gradients: finite differences
# --------------------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(scores, st.data())
def test_elementwise_losses_pass_gradcheck(xs, draw):
    pm1 = draw.draw(st.lists(st.sampled_from([-1, 1]), min_size=len(xs), max_size=len(xs)))
    probs = draw.draw(st.lists(st.floats(0, 1), min_size=len(xs), max_size=len(xs)))
    reals = draw.draw(st.lists(st.floats(-3, 3), min_size=len(xs), max_size=len(xs)))
    # hinge/perceptron have kinks at margin 0: keep scores off them
    off_kink = [x if abs(1 - y * x) > 1e-3 and abs(x) > 1e-3 else x + 0.01 for x, y in zip(xs, pm1)]
    assert gradcheck(lambda *v: losses.mse(list(v), reals), xs)
    assert gradcheck(lambda *v: losses.bce_with_logits(list(v), probs), xs)
    assert gradcheck(lambda *v: losses.hinge(list(v), pm1), off_kink)
    assert gradcheck(lambda *v: losses.perceptron(list(v), pm1), off_kink)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-8, 8), min_size=2, max_size=5), st.data())
def test_cross_entropy_passes_gradcheck(xs, draw):
    t = draw.draw(st.integers(0, len(xs) - 1))
    assert gradcheck(lambda *v: losses.cross_entropy(list(v), t), xs)


def test_l2_passes_gradcheck():
    assert gradcheck(lambda a, b, c: losses.l2([a, b, c]), [0.3, -1.5, 2.0])


# --------------------------------------------------------------------------------------------
# Gradients: torch float64
# --------------------------------------------------------------------------------------------


def _torch_and_ours(xs):
    torch = pytest.importorskip("torch")
    ours = _values(xs)
    theirs = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    return torch, ours, theirs


def _compare(torch, ours_loss, ours, theirs_loss, theirs):
    ours_loss.backward()
    theirs_loss.backward()
    assert ours_loss.data == pytest.approx(theirs_loss.item(), rel=1e-12, abs=1e-15)
    assert [v.grad for v in ours] == pytest.approx(theirs.grad.tolist(), rel=1e-12, abs=1e-15)


XS = [0.7, -2.3, 0.05, 4.0, -0.4]


def test_mse_matches_torch():
    torch, ours, theirs = _torch_and_ours(XS)
    y = [0.5, -1.0, 0.0, 3.0, 2.0]
    _compare(
        torch,
        losses.mse(ours, y),
        ours,
        torch.nn.functional.mse_loss(theirs, torch.tensor(y, dtype=torch.float64)),
        theirs,
    )


def test_bce_with_logits_matches_torch():
    torch, ours, theirs = _torch_and_ours(XS)
    y = [1, 0, 1, 0.3, 0]
    target = torch.tensor(y, dtype=torch.float64)
    _compare(
        torch,
        losses.bce_with_logits(ours, y),
        ours,
        torch.nn.functional.binary_cross_entropy_with_logits(theirs, target),
        theirs,
    )


def test_hinge_and_perceptron_match_torch():
    torch, ours, theirs = _torch_and_ours(XS)
    y = [1, -1, -1, 1, 1]
    target = torch.tensor(y, dtype=torch.float64)
    _compare(torch, losses.hinge(ours, y), ours, torch.relu(1 - target * theirs).mean(), theirs)
    torch, ours, theirs = _torch_and_ours(XS)
    _compare(torch, losses.perceptron(ours, y), ours, torch.relu(-target * theirs).mean(), theirs)


def test_cross_entropy_matches_torch():
    torch = pytest.importorskip("torch")
    rows = [[0.2, -1.0, 3.0], [5.0, 4.9, -7.0], [0.0, 0.0, 0.0], [100.0, -100.0, 50.0]]
    targets = [2, 1, 0, 2]
    ours = [_values(r) for r in rows]
    theirs = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    loss = losses.cross_entropy(ours, targets)
    ref = torch.nn.functional.cross_entropy(theirs, torch.tensor(targets))
    loss.backward()
    ref.backward()
    assert loss.data == pytest.approx(ref.item(), rel=1e-12)
    for row, grads in zip(ours, theirs.grad.tolist()):
        assert [v.grad for v in row] == pytest.approx(grads, rel=1e-12, abs=1e-15)


def test_l2_matches_torch():
    torch, ours, theirs = _torch_and_ours(XS)
    _compare(torch, losses.l2(ours), ours, (theirs * theirs).sum(), theirs)


# --------------------------------------------------------------------------------------------
# Bad targets
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["hinge", "perceptron"])
@pytest.mark.parametrize("label", [0, 2, 0.5])
def test_hinge_and_perceptron_need_plus_minus_one(loss, label):
    with pytest.raises(ValueError, match=f"must be \\+1 or -1, got {float(label)!r}"):
        getattr(losses, loss)(_values([0.1, 0.2]), [1, label])


@pytest.mark.parametrize("target", [-1, 1.5])
def test_bce_target_outside_zero_one_is_rejected(target):
    with pytest.raises(ValueError, match="must be in \\[0, 1\\]"):
        losses.bce_with_logits(Value(0.1), target)


@pytest.mark.parametrize(
    "target, message",
    [
        (3, "class index 3 is out of range for 3"),
        (-1, "class index -1 is out of range"),
        (1.5, "must be a class index"),
        (True, "must be a class index"),
    ],
)
def test_cross_entropy_bad_class_index(target, message):
    with pytest.raises(ValueError, match=message):
        losses.cross_entropy(_values([0.1, 0.2, 0.3]), target)


def test_length_mismatches_are_errors():
    with pytest.raises(ValueError, match="3 prediction\\(s\\) but 2 target\\(s\\)"):
        losses.mse(_values([1.0, 2.0, 3.0]), [1.0, 2.0])
    with pytest.raises(ValueError, match="2 samples of logits but 1 target"):
        losses.cross_entropy([_values([1.0, 2.0]), _values([1.0, 2.0])], [0])
    with pytest.raises(ValueError, match="empty"):
        losses.hinge([], [])
    with pytest.raises(TypeError, match="target must be a number"):
        losses.mse(Value(1.0), "1")
    with pytest.raises(ValueError):
        losses.l2([])
