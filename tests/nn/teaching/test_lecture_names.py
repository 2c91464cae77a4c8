"""Lecture names for network parameters: w_ij^(l), b_j^(l), 1-based (nn/layers.py)."""

from __future__ import annotations

import pytest

import nn
from engine import Stepper, backward_steps
from engine.core.names import bias_name, weight_name


def test_mlp_can_label_its_parameters_as_the_lectures_do():
    model = nn.MLP(3, [2, 1], seed=0, names="lecture")
    labels = {name: p.label for name, p in model.named_parameters()}
    assert labels["layers.0.neurons.0.w.1"] == "w₂₁⁽¹⁾"  # input 2 -> neuron 1, layer 1
    assert labels["layers.0.neurons.1.b"] == "b₂⁽¹⁾"
    assert labels["layers.1.neurons.0.w.1"] == "w₂₁⁽²⁾"
    assert len(set(labels.values())) == model.num_parameters() == 11


def test_named_parameters_keys_and_weights_do_not_change():
    plain = nn.MLP(2, [3, 1], seed=4)
    lecture = nn.MLP(2, [3, 1], seed=4, names="lecture")
    assert [k for k, _ in plain.named_parameters()] == [k for k, _ in lecture.named_parameters()]
    assert [p.data for p in plain.parameters()] == [p.data for p in lecture.parameters()]
    assert plain.parameters()[0].label == "L0N0.w0"  # the default stays
    assert plain.config() == lecture.config()  # a checkpoint loads into either


def test_lecture_names_maps_every_key_without_relabelling():
    model = nn.MLP(2, [16, 1], seed=0)
    names = model.lecture_names()
    assert set(names) == {k for k, _ in model.named_parameters()}
    assert names["layers.0.neurons.11.w.1"] == weight_name(2, 12, 1) == "w₂,₁₂⁽¹⁾"
    assert names["layers.1.neurons.0.b"] == bias_name(1, 2)
    assert model.parameters()[0].label == "L0N0.w0"
    assert model.use_lecture_names() is model
    assert {k: p.label for k, p in model.named_parameters()} == names


def test_a_layer_on_its_own_is_layer_one():
    layer = nn.Layer(2, 2, seed=0).use_lecture_names()
    assert [p.label for p in layer.parameters()] == [
        "w₁₁⁽¹⁾",
        "w₂₁⁽¹⁾",
        "b₁⁽¹⁾",
        "w₁₂⁽¹⁾",
        "w₂₂⁽¹⁾",
        "b₂⁽¹⁾",
    ]


def test_the_narration_uses_the_lecture_names():
    model = nn.MLP(2, [2, 1], seed=0, names="lecture")
    out = model([0.5, -1.0])
    out.label = "o"
    text = "\n".join(str(s) for s in backward_steps(out))
    assert "∂⁺o/∂w₂₁⁽²⁾" in text and "∂⁺o/∂b₁⁽¹⁾" in text
    s = Stepper(out)
    s.run()
    assert "w₁₁⁽¹⁾" in s.gradients()


def test_an_unknown_naming_is_refused():
    with pytest.raises(ValueError, match="'engine' or 'lecture'"):
        nn.MLP(2, [1], names="greek")
