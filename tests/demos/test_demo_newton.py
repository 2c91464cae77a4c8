"""The newton demo: the engine's Hessian is the hand formula, and Newton converges quadratically."""

from __future__ import annotations

import pytest

from demos import newton
from engine import gradgradcheck, hessian
from tests.demos.conftest import check_pictures


def test_newton_converges_quadratically_where_gradient_descent_creeps(out, capsys):
    result = newton.run(out, quick=True)
    assert result["ok"]
    errors = result["newton_errors"]
    assert len(errors) <= newton.NEWTON_STEPS + 1 and errors[-1] <= 1e-12
    ratios = [r for _, r in result["quadratic_ratios"]]
    assert len(ratios) >= 2 and max(ratios) <= newton.RATIO_BOUND
    assert result["worst_relative_error"] <= 1e-12 and result["hvp_matches"]
    assert result["gd_final_error"] > 1e-2  # 3000 steps of gradient descent: still far
    assert result["hessian_at_start"] == [[1330.0, 480.0], [480.0, 200.0]]
    check_pictures(result, out, {"paths.png", "convergence.png"})
    story = capsys.readouterr().out
    assert "create_graph=True" in story and "e_(k+1)/e_k²" in story


def test_newton_steps_are_the_textbook_iterates():
    """The first Newton step from (-1.2, 1) is (-1.1752809, 1.3806742) (Nocedal & Wright)."""
    path = newton.newton(2)["path"]
    assert path[1] == pytest.approx((-1.1752808988764045, 1.3806741573033707), rel=1e-12)


@pytest.mark.parametrize("p", [(-1.2, 1.0), (0.3, -0.7), (1.0, 1.0)])
def test_engine_hessian_is_the_hand_formula_and_passes_gradgradcheck(p):
    ours, hand = hessian(newton.rosenbrock, list(p)), newton.hand_hessian(*p)
    for row, hand_row in zip(ours, hand):
        assert list(row) == pytest.approx(list(hand_row), rel=1e-14)
    assert gradgradcheck(newton.rosenbrock, list(p))


def test_failed_claim_is_reported(monkeypatch, tmp_path):
    monkeypatch.setattr(newton, "RATIO_BOUND", 1e-9)  # no step can be that quadratic
    assert newton.main(["--quick", "--out", str(tmp_path)]) == 1
