"""Second and third derivatives of every op row, from the op table's own rules run on Values
(``grad(create_graph=True)``), against PyTorch float64 on drawn inputs.

For an op of n inputs this compares all n² second and n³ third partial derivatives. The cases
(how to call each op, where its inputs may come from, torch's version) are test_ops.py's, so a new
op row is covered here as soon as it has its case there.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import OPS, Value, grad
from tests.engine.core.op_cases import CASES

OP_NAMES = sorted(OPS)


def engine_partials(fn, xs: list[float], order: int) -> list[list[float]]:
    """[first, second, ...] partials up to `order`, each flattened in index order (i, j, k)."""
    leaves = [Value(x) for x in xs]
    level = [fn(*leaves)]
    found = []
    for _ in range(order):
        level = [
            g for out in level for g in grad(out, leaves, create_graph=True, materialize_grads=True)
        ]
        found.append([g.data for g in level])
    return found


def torch_partials(torch, fn, xs: list[float], order: int) -> list[list[float]]:
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    level = [fn(*ts)]
    found = []
    for _ in range(order):
        nxt = []
        for out in level:
            if out.requires_grad:
                nxt.extend(torch.autograd.grad(out, ts, create_graph=True, materialize_grads=True))
            else:  # a derivative torch knows to be constant (e.g. of x + y): its own is 0
                nxt.extend(torch.zeros((), dtype=torch.float64) for _ in ts)
        level = nxt
        found.append([t.item() for t in level])
    return found


@pytest.mark.parametrize("name", OP_NAMES)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_second_and_third_derivatives_match_torch_float64(name, data):
    torch = pytest.importorskip("torch")
    case = CASES[name]
    xs = [data.draw(domain, label=f"x{i}") for i, domain in enumerate(case.domains)]
    if name == "pow_value" and xs[1] in (0.0, 1.0, 2.0):
        xs[1] += 0.5  # torch masks x^(y-k) where y - k = 0, losing derivatives: see below
    ours = engine_partials(case.call, xs, 3)
    theirs = torch_partials(torch, lambda *ts: case.torch(torch, *ts), xs, 3)
    for order, (a, b) in enumerate(zip(ours, theirs), start=1):
        for k, (mine, torchs) in enumerate(zip(a, b)):
            assert mine == pytest.approx(torchs, rel=1e-10, abs=1e-12), (
                f"{name}: derivative of order {order}, entry {k}, at {xs}"
            )


def test_pow_value_mixed_partials_at_integer_exponents_are_the_true_ones():
    """∂²(x^y)/∂x∂y = x^(y-1)(1 + y·ln x) is 1/2 at (x, y) = (2, 0). PyTorch says 0 there: its
    rule for ∂(x^y)/∂x is masked to 0 where y = 0, and the mask has no derivative in y (likewise
    ∂³/∂x∂x∂y at y = 1, where torch's two orders of the mixed partial even disagree). The
    engine's rule y·x^(y-1) keeps the y; finite differences of the gradient agree with it."""
    from engine import gradgradcheck, hessian

    h = hessian(lambda x, y: x**y, [2.0, 0.0])
    assert h[0][1] == pytest.approx(0.5, rel=1e-14) and h[1][0] == pytest.approx(0.5, rel=1e-14)
    assert gradgradcheck(lambda x, y: x**y, [2.0, 0.0])
    third = engine_partials(lambda x, y: x**y, [1.5, 1.0], 3)[2]
    assert third[1] == third[2] == third[4] == pytest.approx(1 / 1.5, rel=1e-14)  # (2y-1)x^(y-2)


@pytest.mark.parametrize("name", OP_NAMES)
def test_every_op_differentiates_three_times_at_a_plain_point(name):
    """Without torch too: the third derivatives exist as graphs and are finite."""
    case = CASES[name]
    xs = {1: [0.7], 2: [0.7, 1.3], -1: [0.7, 1.3, -0.4]}[OPS[name].arity]
    first, second, third = engine_partials(case.call, xs, 3)
    n = len(xs)
    assert (len(first), len(second), len(third)) == (n, n * n, n**3)
    for i in range(n):  # mixed partials agree whatever the order of differentiation
        for j in range(n):
            assert second[i * n + j] == pytest.approx(second[j * n + i], rel=1e-12, abs=1e-14)
    assert all(v - v == 0.0 for v in first + second + third)
