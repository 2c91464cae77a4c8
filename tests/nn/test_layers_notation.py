"""Parameter labels in any lecture's notation: ``MLP(names=<profile>)``,
``use_lecture_names(notation)``, ``lecture_names(notation)`` (nn/layers.py), and a checkpoint
of such a model saved and loaded back (nn/checkpoint.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import nn
from engine.core.names import bias_name, weight_name
from engine.step.notation import DEFAULT, NOTATIONS, notation
from nn.checkpoint import CheckpointError

PROFILES = list(NOTATIONS)


@pytest.mark.parametrize("name", PROFILES)
def test_a_profile_labels_the_weight_from_input_1_to_output_2_as_it_writes_it(name):
    nt = notation(name)
    model = nn.MLP(3, [2, 1], seed=0, names=name)
    w = model.layers[0].neurons[1].w[0]  # input 1 -> neuron 2 of layer 1
    assert w.label == nt.weight_name(1, 2, 1)
    assert model.layers[1].neurons[0].b.label == nt.bias_name(1, 2)
    labels = {key: p.label for key, p in model.named_parameters()}
    assert labels == model.lecture_names(name)
    assert len(set(labels.values())) == model.num_parameters() == 11
    assert model.label_notation == name


def test_lecture_001_writes_beta_with_the_row_the_output_and_a_plain_layer_mark():
    model = nn.MLP(3, [2, 1], seed=0, names="lecture-001")
    assert model.layers[0].neurons[1].w[0].label == "β₂₁¹"  # β_ji: output 2, input 1
    assert model.layers[0].neurons[0].w[2].label == "β₁₃¹"  # input 3 -> output 1
    assert nn.MLP(2, [1], seed=0, names="lecture-002").parameters()[1].label == "W₁₂¹"


def test_lecture_is_the_default_profile_and_writes_what_it_always_did():
    lecture = nn.MLP(2, [16, 1], seed=0, names="lecture")
    default = nn.MLP(2, [16, 1], seed=0, names=DEFAULT)
    assert [p.label for p in lecture.parameters()] == [p.label for p in default.parameters()]
    assert lecture.layers[0].neurons[11].w[1].label == weight_name(2, 12, 1) == "w₂,₁₂⁽¹⁾"
    assert lecture.layers[1].neurons[0].b.label == bias_name(1, 2)
    assert nn.MLP(2, [1], seed=0).parameters()[0].label == "L0N0.w0"  # "engine" stays
    assert nn.MLP(2, [1], seed=0).label_notation is None


def test_relabelling_changes_labels_only():
    model = nn.MLP(2, [3, 1], seed=4, names="lecture-001")
    numbers = [p.data for p in model.parameters()]
    config = model.config()
    assert model.use_lecture_names("lecture-003") is model
    assert model.parameters()[1].label == "w₂₁¹"  # lecture 003: w_ij, plain layer mark
    assert [p.data for p in model.parameters()] == numbers and model.config() == config
    assert model.use_lecture_names().parameters()[1].label == "w₂₁⁽¹⁾"  # None: the default
    layer = nn.Layer(2, 2, seed=0).use_lecture_names(2, "lecture-001")
    assert [p.label for p in layer.parameters()][:3] == ["β₁₁²", "β₁₂²", "b₁²"]


@pytest.mark.parametrize("bad", ["greek", "lecture-9", "", 4, None])
def test_an_unknown_naming_is_refused_naming_it_and_the_choices(bad):
    with pytest.raises(ValueError, match=r"'engine' or 'lecture' or a notation profile") as err:
        nn.MLP(2, [1], names=bad)
    assert repr(bad) in str(err.value) and "lecture-001" in str(err.value)
    with pytest.raises(ValueError, match="unknown notation 'greek'"):
        nn.MLP(2, [1]).use_lecture_names("greek")


def test_a_saved_model_named_in_a_profile_loads_back(tmp_path):
    path = tmp_path / "beta.json"
    model = nn.MLP(2, [3, 1], activation="tanh", seed=0, names="lecture-001")
    model.save(path)
    back = nn.MLP.load(path)  # the labels are not saved: the engine's come back
    assert back.state_dict() == model.state_dict() and back.config() == model.config()
    assert back.use_lecture_names("lecture-001").lecture_names("lecture-001") == {
        key: p.label for key, p in model.named_parameters()
    }
    assert [p.label for p in back.parameters()] == [p.label for p in model.parameters()]
    refill = nn.MLP(2, [3, 1], activation="tanh", seed=9, names="lecture-001").load(path)
    assert refill.state_dict() == model.state_dict()
    assert [p.label for p in refill.parameters()] == [p.label for p in model.parameters()]
    x = [0.5, -1.0]
    assert refill(x).data == model(x).data  # numbers unchanged by any naming


@pytest.mark.parametrize("name", ["lecture", *PROFILES])
def test_a_checkpoint_config_may_name_any_profile(tmp_path, name):
    model = nn.MLP(2, [2, 1], seed=0)
    checkpoint = model.checkpoint()
    checkpoint["config"]["names"] = name
    path = tmp_path / "named.json"
    path.write_text(json.dumps(checkpoint))
    loaded = nn.MLP.load(path)
    assert loaded.state_dict() == model.state_dict()
    profile = notation(None if name == "lecture" else name)
    assert loaded.parameters()[0].label == profile.weight_name(1, 1, 1)


def test_a_checkpoint_config_with_an_unknown_naming_is_refused(tmp_path):
    checkpoint = nn.MLP(2, [1], seed=0).checkpoint()
    checkpoint["config"]["names"] = "lecture-7"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(checkpoint))
    with pytest.raises(CheckpointError, match=r"'names' must be one of 'engine', 'lecture', "):
        nn.MLP.load(path)
    assert tuple(nn.MLP.config_choices["names"]) == ("engine", "lecture", *PROFILES)


def test_building_an_mlp_does_not_import_engine_step():
    code = (
        "import sys, nn; nn.MLP(2, [3, 1], seed=0); "
        "print('engine.step' in sys.modules, 'engine.step.notation' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
