"""The softmax_classifier and delta_rule demos draw the network view, write seed 000's derivative
as a derivation, step the δ mode, and every picture reads at slide size (issue: pictures a class
can read)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from demos import delta_rule, softmax_classifier
from tests.demos.conftest import check_slide

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="no system Graphviz `dot`")


@needs_dot
def test_softmax_pictures_read_at_slide_size(out, capsys):
    result = softmax_classifier.run(out, seed=0, quick=True)
    assert result["ok"]
    text = capsys.readouterr().out
    assert "∂⁺L/∂w2,1⁽¹⁾ by the chain rule: 4 paths lead from w2,1⁽¹⁾ to L" in text
    assert "backward() found ∂⁺L/∂w2,1⁽¹⁾ = " in text and "the two agree" in text
    check_slide(out / "network.png")  # 16 px text fit to 1280×720
    check_slide(out / "hidden_unit_graph.svg")
    svg = (out / "hidden_unit_graph.svg").read_text()
    assert "⁽" not in svg and "w2,1(1)" in svg  # no superscript glyphs for the font to miss
    assert not (out / "loss_graph.svg").exists()


def test_softmax_network_view_holds_the_engines_gradient():
    p = softmax_classifier.make_problem(0)
    model = softmax_classifier.model_from_problem(p)
    loss = -softmax_classifier.softmax(model(p["x"]))[p["target"]].log()
    loss.backward()
    eng = softmax_classifier.forward_with_engine(p)
    eng["L"].backward()
    assert loss.data == eng["L"].data
    for i in range(3):
        for j in range(4):
            assert model.layers[0].neurons[j].w[i].grad == eng["W1"][i][j].grad


@needs_dot
def test_delta_rule_draws_the_network_view_and_steps_the_delta_mode(out, capsys):
    result = delta_rule.run(out, seed=0, quick=True)
    assert result["ok"] and result["delta_mode_error"] <= 1e-12
    text = capsys.readouterr().out
    assert "[1/4] layer 4, the output layer" in text and "[4/4] layer 1:" in text
    check_slide(out / "delta_network.png")


def test_delta_rule_model_is_the_hand_network():
    p = delta_rule.make_problem(1)
    model, e = delta_rule.model_pass(p)
    eng = delta_rule.engine_pass(p)
    assert e.data == eng["e"]
    for (kind, l, *rest), grad in eng["grads"].items():
        neuron = model.layers[l - 1].neurons[rest[-1]]
        param = neuron.b if kind == "b" else neuron.w[rest[0]]
        assert param.grad == grad


def test_delta_rule_step_mode_prints_every_step_when_not_in_a_terminal():
    """``python -m demos.delta_rule --step`` in a pipe behaves as ``chainrule delta``: every step
    at once (it printed the header and "bye" with stdin from /dev/null)."""
    result = subprocess.run(
        [sys.executable, "-m", "demos.delta_rule", "--step", "--seed", "2"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("forward pass (inputs first):")
    assert all(f"[{k}/4] layer {5 - k}" in out for k in range(1, 5)) and "bye" not in out
