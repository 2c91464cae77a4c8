"""softmax, log_softmax and logsumexp: values, gradients, stability, bad input."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value, gradcheck, log_softmax, logsumexp, softmax

logits = st.lists(st.floats(-50, 50), min_size=1, max_size=6)


@settings(max_examples=80, deadline=None)
@given(xs=logits)
def test_softmax_is_a_distribution_and_log_softmax_its_log(xs):
    probs = [p.data for p in softmax(xs)]
    assert math.fsum(probs) == pytest.approx(1.0, abs=1e-12)
    assert all(0.0 <= p <= 1.0 for p in probs)
    for lp, p in zip(log_softmax(xs), probs):
        if p > 1e-300:
            assert lp.data == pytest.approx(math.log(p), abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(xs=st.lists(st.floats(-5, 5), min_size=2, max_size=5), k=st.integers(0, 4))
def test_gradients_match_central_differences(xs, k):
    k %= len(xs)
    assert gradcheck(lambda *v: logsumexp(v), xs)
    assert gradcheck(lambda *v: log_softmax(v)[k], xs)
    assert gradcheck(lambda *v: softmax(v)[k] * 3.0, xs)


@settings(max_examples=30, deadline=None)
@given(xs=st.lists(st.floats(-30, 30), min_size=2, max_size=5), k=st.integers(0, 4))
def test_cross_entropy_gradient_matches_torch(xs, k):
    torch = pytest.importorskip("torch")
    k %= len(xs)
    leaves = [Value(x) for x in xs]
    loss = -log_softmax(leaves)[k]
    loss.backward()
    t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    t_loss = torch.nn.functional.cross_entropy(t[None], torch.tensor([k]))
    t_loss.backward()
    assert loss.data == pytest.approx(t_loss.item(), rel=1e-12, abs=1e-12)
    assert [v.grad for v in leaves] == pytest.approx(t.grad.tolist(), rel=1e-9, abs=1e-12)


def test_large_logits_are_stable():
    lse = logsumexp([1000.0, 1000.0])
    assert lse.data == pytest.approx(1000.0 + math.log(2.0))
    xs = [Value(1000.0), Value(0.0), Value(-1000.0)]
    lps = log_softmax(xs)
    assert [lp.data for lp in lps] == pytest.approx([0.0, -1000.0, -2000.0])
    lps[1].backward()
    assert [x.grad for x in xs] == pytest.approx([-1.0, 1.0, 0.0])
    assert all(math.isfinite(x.grad) for x in xs)
    assert [p.data for p in softmax([1000.0, 1000.0])] == [0.5, 0.5]


def test_logsumexp_is_one_node_whose_parents_are_the_inputs():
    xs = [Value(1.0), Value(2.0)]
    out = logsumexp(xs)
    assert out.op == "logsumexp" and out.parents == tuple(xs)


@pytest.mark.parametrize("fn", [softmax, log_softmax, logsumexp])
def test_bad_input(fn):
    with pytest.raises(ValueError, match="empty"):
        fn([])
    with pytest.raises(TypeError, match="list"):
        fn(Value(1.0))
    with pytest.raises(TypeError, match="'a'"):
        fn([1.0, "a"])
