"""One run, one lecture's symbols: the δ mode's narration, practice, network view and page, and
the parameters' labels, all in the notation profile chosen (engine/step/notation.py,
nn/teaching/*, nn/layers.py)."""

from __future__ import annotations

import html
import re
import shutil

import pytest

from engine import draw_dot
from engine.cli import main
from engine.step.notation import NOTATIONS, notation
from nn import MLP, DeltaStepper, draw_network
from nn.losses import mse
from nn.teaching.delta_practice import DeltaPractice

PROFILES = list(NOTATIONS)
SIZES = (3, 2, 1)  # layer 1 is not square: β₂₃¹ exists, β₃₂¹ does not (index order shows)
WEIGHT = re.compile(r"(?<![^\W\d_])[wβW][₀₁₂₃₄₅₆₇₈₉][₀₁₂₃₄₅₆₇₈₉,]*[⁽⁾⁰¹²³⁴⁵⁶⁷⁸⁹]*")
"""A weight's name as any profile writes it: the letter, subscript indices, the layer mark."""
BIAS = re.compile(r"(?<![^\W\d_])b[₀₁₂₃₄₅₆₇₈₉][₀₁₂₃₄₅₆₇₈₉,]*[⁽⁾⁰¹²³⁴⁵⁶⁷⁸⁹]*")
"""A bias's name (not the ``b₁`` ending ``sub₁``, an unlabelled node's name)."""

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="no system Graphviz `dot`")


def weight_names(nt, sizes=SIZES) -> set[str]:
    """Every weight of an MLP of `sizes` in the profile `nt`: from input i to neuron j of l."""
    return {
        nt.weight_name(i, j, l)
        for l, (fan_in, width) in enumerate(zip(sizes, sizes[1:]), start=1)
        for i in range(1, fan_in + 1)
        for j in range(1, width + 1)
    }


def bias_names(nt, sizes=SIZES) -> set[str]:
    return {
        nt.bias_name(j, l)
        for l, width in enumerate(sizes[1:], start=1)
        for j in range(1, width + 1)
    }


def stepper_in(name: str, **options) -> DeltaStepper:
    """The δ mode in profile `name` on a model labelled in the *default* profile's names, so
    that the stepper has to relabel it."""
    model = MLP(SIZES[0], list(SIZES[1:]), activation="tanh", seed=0, names="lecture")
    loss = mse(model([0.5, -0.2, 0.1]), 0.3)
    loss.label = notation(name).loss
    loss.backward()
    return DeltaStepper(model, loss, notation=name, target=0.3, loss_kind="mse", **options)


def everything_shown(stepper: DeltaStepper) -> dict[str, str]:
    """The texts a learner sees in one run: narration, practice prompts, hints and slips, the
    network view (DOT: labels and tooltips) and the scalar graph's drawing."""
    narration = stepper.forward_trace() + "\n" + "\n".join(str(s) for s in stepper.run())
    practice = DeltaPractice(stepper)
    asked = []
    for question in practice._questions:
        asked += [question.label, question.hint, question.given, *question.mistakes]
    asked.append(practice.prompt)
    stepper.position = stepper.total
    view = html.unescape(stepper.draw().source)
    graph = html.unescape(draw_dot(stepper.loss).source)
    return {"narration": narration, "practice": "\n".join(asked), "view": view, "graph": graph}


@pytest.mark.parametrize("name", PROFILES)
def test_every_weight_and_bias_a_run_shows_is_written_in_its_profile(name):
    nt = notation(name)
    stepper = stepper_in(name)
    allowed = weight_names(nt)
    for face, text in everything_shown(stepper).items():
        weights = set(WEIGHT.findall(text))
        assert weights and weights <= allowed, (face, sorted(weights - allowed))
        biases = set(BIAS.findall(text))
        assert biases <= bias_names(nt), (face, sorted(biases - bias_names(nt)))
    view = everything_shown(stepper)["view"]
    assert nt.weight_name(3, 1, 1) in view  # the weight from input 3 to neuron 1 of layer 1
    assert weight_names(nt) <= set(WEIGHT.findall(view))  # every edge's tooltip names its weight


@pytest.mark.parametrize("name", PROFILES)
def test_no_other_profiles_weight_symbol_appears(name):
    nt = notation(name)
    texts = everything_shown(stepper_in(name))
    others = {o.weight for o in NOTATIONS.values()} - {nt.weight}
    for face, text in texts.items():
        letters = {w[0] for w in WEIGHT.findall(text)}
        assert letters == {nt.weight} and not letters & others, (face, letters)
    if name == "lecture-001":
        assert "β₂₃¹" in texts["view"] and "w₃₂⁽¹⁾" not in "".join(texts.values())
    if name == "lecture-004":
        assert "w₃₂⁽¹⁾" in texts["view"] and "β" not in "".join(texts.values())


@pytest.mark.parametrize("name", PROFILES)
def test_the_stepper_relabels_a_model_named_in_another_lecture(name):
    stepper = stepper_in(name)
    labels = {key: p.label for key, p in stepper.model.named_parameters()}
    assert labels == stepper.model.lecture_names(name)
    assert stepper.model.label_notation == name
    plain = MLP(2, [1], seed=0)  # the engine's labels are the learner's choice: left alone
    loss = mse(plain([0.5, -1.0]), 1.0)
    loss.backward()
    DeltaStepper(plain, loss, notation=name)
    assert [p.label for p in plain.parameters()] == ["L0N0.w0", "L0N0.w1", "L0N0.b"]


@pytest.mark.parametrize("name", PROFILES)
def test_the_loss_box_and_legend_use_the_profiles_symbols(name):
    nt = notation(name)
    stepper = stepper_in(name)
    view = html.unescape(draw_network(stepper.model, loss=stepper.loss, notation=name).source)
    out = stepper.model.layers[-1].neurons[0]
    upstream = nt.total(nt.loss, nt.act_name(1, 2))  # ∂⁺L/∂x₁⁽²⁾, ∂⁺𝓛/∂h₁² (lecture 002)
    assert f"{nt.loss} = " in view and f'label="{upstream} = ' in view
    assert f'tooltip="{upstream} = ' in view
    assert f"{nt.delta} = {nt.total(nt.loss, nt.pre)}, the gradient of the pre-activation" in view
    assert f"red {nt.weight} > 0" in view
    assert out.b.grad != 0.0 and f"{nt.total(nt.loss, nt.bias_name(1, 2))} = " in view
    for stale in ("∂L/∂a", "a.grad", "b.grad", "∂L/∂x", "; grad = "):
        assert stale not in view, stale
    if name == "lecture-002":
        assert "∂⁺𝓛/∂h₁² = " in view


@needs_dot
@pytest.mark.parametrize("name", ["lecture-001", "lecture-002", "lecture-004"])
def test_the_delta_page_and_its_svg_use_the_profile(name):
    from nn.teaching.delta_page import delta_player_html

    nt = notation(name)
    page = html.unescape(delta_player_html(stepper_in(name)))
    weights = set(WEIGHT.findall(page))
    assert weights and weights <= weight_names(nt), sorted(weights - weight_names(nt))
    ij = "ij" if nt.input_first else "ji"
    assert f"{nt.weight}<sub>{ij}</sub>" in page  # the help paragraph
    assert f"{nt.activation}′({nt.pre}<sub>j</sub>)" in page
    assert f"(loss {nt.loss} = " in page
    assert "∂L/∂a" not in page


def test_the_delta_command_labels_everything_in_its_notation(capsys):
    argv = ["delta", "--notation", "lecture-001", "--all", "--sizes", "3,2,1", "--seed", "1"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    weights = set(WEIGHT.findall(out))
    nt = notation("lecture-001")
    assert weights and weights <= weight_names(nt), sorted(weights - weight_names(nt))
    assert "β₁₁²" in out and "w" not in {w[0] for w in weights}
    assert "θ'" not in out and "σ'(z" in out  # the activation's slope in lecture 001's letters


def test_the_delta_command_builds_the_model_with_the_profiles_labels(monkeypatch):
    from nn.teaching import delta_cli

    seen = {}
    real = delta_cli.build

    def spy(args):
        stepper = real(args)
        seen["labels"] = [p.label for p in stepper.model.parameters()]
        return stepper

    monkeypatch.setattr(delta_cli, "build", spy)
    assert main(["delta", "--notation", "lecture-002", "--all", "--sizes", "2,1"]) == 0
    assert seen["labels"] == ["W₁₁¹", "W₁₂¹", "b₁¹"]  # W_ji: from input i to output j
