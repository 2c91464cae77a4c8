"""Quick-mode runs of the demos that need only the engine: each claim is asserted."""

from __future__ import annotations

import math

import pytest

from demos import activations, custom_op, delta_rule, neuron, softmax_classifier, two_points
from engine import gradcheck
from engine.core.ops import OPS
from engine.core.value import fmt_number
from tests.demos.conftest import check_pictures, check_story, check_svg


def test_neuron_gradients_and_graphs(out, capsys):
    result = neuron.run(out, quick=True)
    assert result["ok"]
    assert result["output"] == pytest.approx(math.sqrt(0.5), rel=1e-12)
    g = result["gradients"]
    expected = {"n": 0.5, "b": 0.5, "w1": 1.0, "x1": -1.5, "w2": 0.0, "x2": 0.5}
    for name, value in expected.items():
        assert g[name] == pytest.approx(value, abs=1e-12), name
    check_pictures(
        result,
        out,
        {"neuron_forward.svg", "neuron_backward.svg", "neuron_forward.png", "neuron_backward.png"},
    )
    texts = [
        el.text for el in check_svg(out / "neuron_backward.svg").iter() if el.tag.endswith("text")
    ]
    assert fmt_number(-3.0) in texts  # an edge label: the local derivative ∂(x1·w1)/∂x1 = w1
    assert f"data {fmt_number(-3.0)}" in texts  # and w1's own box
    story = capsys.readouterr().out
    assert "[10/10]" in story
    assert "∂⁺o/∂x1 += ∂⁺o/∂(x1·w1) · ∂(x1·w1)/∂x1 = 0.5 × -3 = -1.5" in story
    assert "b  = +6.881373587019543" in story  # the exact b: no -1.4999 anywhere
    check_story(story, at_least=9)


def test_neuron_matches_torch():
    torch = pytest.importorskip("torch")
    leaves = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for k, v in {**neuron.INPUTS, **neuron.PARAMETERS}.items()
    }
    o = torch.tanh(leaves["x1"] * leaves["w1"] + leaves["x2"] * leaves["w2"] + leaves["b"])
    o.backward()
    nodes = neuron.build()
    nodes["o"].backward()
    for name in ("x1", "x2", "w1", "w2", "b"):
        assert nodes[name].grad == pytest.approx(leaves[name].grad.item(), abs=1e-12)


def test_two_points_gradients_equal_hand_formulas_every_epoch(out, capsys):
    result = two_points.run(out, quick=True)
    check_story(capsys.readouterr().out)
    assert result["ok"]
    assert result["epochs"] == 1000
    assert result["worst_relative_error"] <= 1e-12
    assert result["final"] == pytest.approx(result["lecture_final"], abs=1e-9)
    assert result["final_loss"] < 1e-9 < result["initial_loss"]
    w, b = result["final"]
    for x, y in zip(two_points.X, two_points.Y):
        assert two_points.f(w, b, x) == pytest.approx(y, abs=1e-4)
    check_pictures(result, out, {"loss.png", "error_surface.png"})


def test_two_points_engine_gradient_is_the_finite_difference():
    assert gradcheck(two_points.engine_loss, [0.3, -1.1])


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_softmax_chain_rule_product_equals_engine(out, seed, capsys):
    result = softmax_classifier.run(out, seed=seed, quick=True)
    check_story(capsys.readouterr().out)
    assert result["ok"]
    assert result["forward_error"] <= 1e-12
    assert result["product"] == pytest.approx(result["engine_gradient"], abs=1e-12)
    assert result["numeric_gradient"] == pytest.approx(result["engine_gradient"], abs=1e-6)
    assert result["collapse_error"] <= 1e-12
    assert result["engine_gradient"] != 0.0
    assert result["derivation"].agrees and result["derivation"].mode == "grouped"
    check_pictures(result, out, {"network.png", "hidden_unit_graph.svg", "prediction.png"})


def test_softmax_gradient_matches_torch():
    torch = pytest.importorskip("torch")
    p = softmax_classifier.make_problem(3)
    t = lambda v: torch.tensor(v, dtype=torch.float64)
    W1 = t(p["W1"]).requires_grad_()
    z1 = W1.T @ t(p["x"]) + t(p["b1"])
    z2 = t(p["W2"]).T @ torch.sigmoid(z1) + t(p["b2"])
    loss = -torch.log_softmax(z2, dim=0)[p["target"]]
    loss.backward()
    eng = softmax_classifier.forward_with_engine(p)
    eng["L"].backward()
    assert eng["L"].data == pytest.approx(loss.item(), abs=1e-12)
    for i in range(3):
        for j in range(4):
            assert eng["W1"][i][j].grad == pytest.approx(W1.grad[i, j].item(), abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_delta_rule_equals_engine_for_every_weight(out, seed, capsys):
    result = delta_rule.run(out, seed=seed, quick=True)
    story = capsys.readouterr().out
    check_story(story, at_least=10)  # δ₁⁽⁴⁾ and the nine hidden δs recompute as printed
    assert result["ok"]
    assert result["checked"] == 3 * 3 * 3 + 3 + 3 * 3 + 1  # 30 weights and 10 biases
    assert result["worst_error"] <= 1e-12
    assert result["worst_delta_error"] <= 1e-12
    check_pictures(result, out, {"delta_network.png", "gradients_parity.png"})


def test_delta_rule_hand_recursion_catches_a_wrong_weight():
    """The comparison can fail: perturb one weight after the hand pass and the check breaks."""
    p = delta_rule.make_problem(0)
    xs = delta_rule.forward_by_hand(p)
    hand = delta_rule.gradients_by_hand(xs, delta_rule.deltas_by_hand(p, xs))
    p["w"][2][0][1] += 0.1
    engine = delta_rule.engine_pass(p)["grads"]
    assert max(abs(engine[k] - hand[k]) for k in hand) > 1e-6


def test_activations_match_the_table(out, capsys):
    result = activations.run(out, quick=True)
    check_story(capsys.readouterr().out)
    assert result["ok"]
    assert result["kink_slopes"]["lecture ReLU"] == 1.0  # engine.functional.custom.lecture_relu
    assert result["worst_error"] <= 1e-12
    assert len(result["activations"]) == 10
    assert result["kink_slopes"]["ReLU"] == 0.0  # PyTorch's choice, not the table's 1
    assert result["kink_slopes"]["leaky ReLU"] == activations.ALPHA_LEAKY
    check_pictures(result, out, {"activations.png"})


def test_activation_grid_never_hits_the_kink():
    assert 0.0 not in activations.grid(40)
    with pytest.raises(ValueError, match="even"):
        activations.grid(41)


def test_custom_op_demo_defines_checks_and_catches_mistakes(out, capsys):
    before = set(OPS)
    result = custom_op.run(out, quick=True)
    assert result["ok"]
    assert result["worst_error"] <= 1e-12
    assert all(text.startswith("fails at 4 of 4") for text in result["mistakes"].values())
    z = 1.5 * -0.8 + 0.4
    assert result["gradients"]["x"] == pytest.approx(-0.8 / (1 + abs(z)) ** 2, rel=1e-12)
    check_pictures(result, out, {"softsign_neuron.svg", "softsign_neuron.png"})
    story = capsys.readouterr().out
    assert "y = z / (1 + |z|) = -0.4444" in story and "1 / (1 + |z|)² = 0.3086" in story
    check_story(story, at_least=5)
    assert {"my_softsign", "softsign_no_square", "reciprocal_no_minus"} <= set(OPS) - before
