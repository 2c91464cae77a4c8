"""nn.checkpoint: state dicts, JSON checkpoints, size limits, and loading in linear time.

The hypothesis fuzz of the loader is in tests/nn/test_checkpoint_fuzz.py.
"""

from __future__ import annotations

import functools
import json
import os
import random
import re
import stat
import threading
from fractions import Fraction

import pytest

from engine import Parameter
from nn import MLP, CheckpointError, Module, Neuron, RandomProjection
from nn import checkpoint as ckpt
from nn.checkpoint import DEFAULT_MAX_PARAMETERS, default_max_bytes

# --------------------------------------------------------------------------------------------
# State dicts and checkpoints
# --------------------------------------------------------------------------------------------


def test_state_dict_round_trips_exactly_through_save_and_load(tmp_path):
    model = MLP(
        2,
        [16, 16, 1],
        activation="tanh",
        output_activation="sigmoid",
        init="xavier",
        bias=0.1,
        seed=3,
    )
    for p in model.parameters():  # awkward floats: JSON must keep every bit
        p.data = p.data / 3.0 + 1e-17
    path = tmp_path / "model.json"
    model.save(path)
    loaded = MLP.load(path)
    assert isinstance(loaded, MLP)
    assert loaded.state_dict() == model.state_dict()
    assert loaded.config() == model.config()
    assert loaded([0.3, 0.4]).data == model([0.3, 0.4]).data
    same = Module.load(str(path))
    assert isinstance(same, MLP) and same.state_dict() == model.state_dict()
    target = MLP(
        2,
        [16, 16, 1],
        activation="tanh",
        output_activation="sigmoid",
        init="xavier",
        bias=0.1,
        seed=99,
    )
    assert target.load(path) is target
    assert target.state_dict() == model.state_dict()
    doc = json.loads(path.read_text())
    assert doc["format"] == "chainrule-checkpoint" and doc["version"] == 1
    assert doc["class"] == "MLP" and doc["config"]["nouts"] == [16, 16, 1]


def test_load_state_dict_in_memory():
    a, b = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
    b.load_state_dict(a.state_dict())
    assert b.state_dict() == a.state_dict()


def _corrupt_variants(good: dict) -> dict[str, str]:
    params = good["parameters"]
    first = next(iter(params))
    missing = {k: v for k, v in params.items() if k != first}
    extra = {**params, "layers.9.neurons.0.b": 1.0}
    nan_value = dict(params)
    nan_value[first] = "NaN"
    text_value = dict(params)
    text_value[first] = "0.5"
    bool_value = dict(params)
    bool_value[first] = True
    last = list(params)[-1]
    late_error = dict(params)
    late_error[last] = None  # only the last entry is bad: nothing before it may be assigned
    return {
        "truncated JSON": json.dumps(good)[:-40],
        "not JSON": "\x00\x01 binary junk",
        "wrong format": json.dumps({**good, "format": "pytorch"}),
        "future version": json.dumps({**good, "version": 2}),
        "missing parameter": json.dumps({**good, "parameters": missing}),
        "unexpected parameter": json.dumps({**good, "parameters": extra}),
        "string value": json.dumps({**good, "parameters": text_value}),
        "nan string": json.dumps({**good, "parameters": nan_value}),
        "bool value": json.dumps({**good, "parameters": bool_value}),
        "bad last value": json.dumps({**good, "parameters": late_error}),
        "parameters not a dict": json.dumps({**good, "parameters": [1, 2]}),
        "a list": "[1, 2, 3]",
        "other architecture": json.dumps({**good, "config": {**good["config"], "nouts": [4, 1]}}),
        "other class": json.dumps({**good, "class": "RandomProjection"}),
    }


@pytest.mark.parametrize("case", list(_corrupt_variants(MLP(2, [3, 1], seed=0).checkpoint())))
def test_corrupt_or_mismatched_checkpoint_raises_and_leaves_model_unchanged(tmp_path, case):
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    path = tmp_path / "bad.json"
    path.write_text(_corrupt_variants(model.checkpoint())[case], encoding="utf-8")
    with pytest.raises(CheckpointError) as info:
        model.load(path)
    assert str(path) in str(info.value)
    assert model.state_dict() == before
    if case not in ("other architecture",):
        with pytest.raises(CheckpointError):
            MLP.load(path)


def test_load_state_dict_validates_before_assigning():
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    bad = {**before, "layers.1.neurons.0.b": float("inf")}
    with pytest.raises(CheckpointError, match="layers.1.neurons.0.b must be a finite number"):
        model.load_state_dict(bad)
    with pytest.raises(CheckpointError, match="missing 1 parameter"):
        model.load_state_dict({k: v for k, v in before.items() if k != "layers.0.neurons.0.b"})
    with pytest.raises(CheckpointError, match="must be a dict"):
        model.load_state_dict([1.0, 2.0])
    assert model.state_dict() == before


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        MLP.load(tmp_path / "nope.json")


def test_save_is_atomic_a_failed_save_leaves_the_old_file(tmp_path):
    path = tmp_path / "model.json"
    model = MLP(2, [3, 1], seed=0)
    model.save(path)
    old = path.read_text()
    model.parameters()[0].data = float("nan")
    with pytest.raises(ValueError, match="layers.0.neurons.0.w.0 is nan"):
        model.save(path)
    assert path.read_text() == old
    assert os.listdir(tmp_path) == ["model.json"]  # no temp file left behind
    with pytest.raises(FileNotFoundError):
        MLP(2, [3, 1], seed=0).save(tmp_path / "no such folder" / "m.json")
    assert os.listdir(tmp_path) == ["model.json"]


def test_checkpoints_are_json_not_pickle(tmp_path):
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=0).save(path)
    raw = path.read_bytes()
    assert raw.lstrip().startswith(b"{") and b"\x80" not in raw[:2]


def test_random_projection_rebuilds_from_a_checkpoint(tmp_path):
    proj = RandomProjection(2, 7)  # seed drawn and remembered
    path = tmp_path / "p.json"
    proj.save(path)
    again = RandomProjection.load(path)
    assert again.weights == proj.weights and again.seed == proj.seed
    assert [z.data for z in again([0.1, 0.2])] == [z.data for z in proj([0.1, 0.2])]


def test_a_checkpoint_claiming_a_huge_architecture_is_rejected_before_building(tmp_path):
    good = MLP(2, [3, 1], seed=0).checkpoint()
    path = tmp_path / "huge.json"
    path.write_text(json.dumps({**good, "config": {**good["config"], "nouts": [10**9, 1]}}))
    with pytest.raises(CheckpointError, match="has 4,000,000,001 parameters but it stores 13"):
        MLP.load(path)


def test_the_mismatch_message_names_what_differs(tmp_path):
    path = tmp_path / "m.json"
    MLP(2, [4, 1], seed=0).save(path)
    with pytest.raises(CheckpointError, match=r"nouts=\[4, 1\] \(this model: \[3, 1\]\)"):
        MLP(2, [3, 1], seed=0).load(path)


def test_save_keeps_a_private_checkpoint_private_and_a_link_a_link(tmp_path):
    real = tmp_path / "real.json"
    MLP(2, [3, 1], seed=0).save(real)
    os.chmod(real, 0o600)
    link = tmp_path / "latest.json"
    link.symlink_to("real.json")
    MLP(2, [3, 1], seed=1).save(link)
    assert link.is_symlink() and os.readlink(link) == "real.json"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert MLP.load(real).state_dict() == MLP(2, [3, 1], seed=1).state_dict()


# --------------------------------------------------------------------------------------------
# Linear time (the figures are in tests/benchmark.py; nothing here is timed)
# --------------------------------------------------------------------------------------------


class _CountingName(str):
    """A parameter name that counts how often it is hashed (every set or dict lookup hashes)."""

    hashes = 0

    def __hash__(self) -> int:
        _CountingName.hashes += 1
        return str.__hash__(self)


@pytest.mark.parametrize("n", [200, 2000])
def test_validating_a_state_dict_hashes_each_name_a_constant_number_of_times(n):
    # Before the fix the set of expected names was rebuilt for every key: n² hashes.
    names = [_CountingName(f"p.{i}") for i in range(n)]
    state = {name: float(i) for i, name in enumerate(names)}
    _CountingName.hashes = 0
    assert ckpt._validated_state(state, names) == [float(i) for i in range(n)]
    assert _CountingName.hashes <= 5 * n
    _CountingName.hashes = 0
    with pytest.raises(CheckpointError, match="unexpected 1 key"):
        ckpt._validated_state({**state, _CountingName("extra"): 0.0}, names)
    assert _CountingName.hashes <= 5 * (n + 1)


def test_a_40401_parameter_checkpoint_round_trips_exactly(tmp_path):
    model = MLP(200, [200, 1], seed=0)
    assert model.num_parameters() == 40_401
    path = tmp_path / "big.json"
    model.save(path)
    assert MLP.load(path).state_dict() == model.state_dict()
    other = MLP(200, [200, 1], seed=1)
    other.load(path)
    assert other.state_dict() == model.state_dict()


# --------------------------------------------------------------------------------------------
# Every bad checkpoint is a CheckpointError
# --------------------------------------------------------------------------------------------


def _write(tmp_path, text: str, name: str = "bad.json"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _good() -> dict:
    return MLP(2, [3, 1], seed=0).checkpoint()


def _expect_checkpoint_error(path, match: str | None = None, **limits) -> None:
    """Every way of loading `path` raises CheckpointError, and a model is left untouched."""
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(CheckpointError, match=match):
        model.load(path, **limits)
    assert model.state_dict() == before
    for loader in (MLP, Module):
        with pytest.raises(CheckpointError, match=match):
            loader.load(path, **limits)


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deep_nesting_is_a_checkpoint_error_not_a_recursion_error(tmp_path, depth):
    good = json.dumps(_good())
    nested = "[" * depth + "]" * depth
    path = _write(tmp_path, good.replace('"config": {', f'"deep": {nested}, "config": {{', 1))
    _expect_checkpoint_error(path, "nested")
    _expect_checkpoint_error(_write(tmp_path, nested, "only.json"), "nested")


@pytest.mark.parametrize(
    "number", ["1e999", "-1e999", "1" + "0" * 400, "-" + "9" * 999, "1" * 5000, "NaN", "Infinity"]
)
def test_huge_numbers_are_a_checkpoint_error_not_an_overflow_error(tmp_path, number):
    good = _good()
    first = next(iter(good["parameters"]))
    text = json.dumps(good).replace(json.dumps(good["parameters"][first]), number, 1)
    _expect_checkpoint_error(_write(tmp_path, text))


@pytest.mark.parametrize(
    "key, value",
    [
        ("nin", 10**400),
        ("nin", 1e999),
        ("nin", 2.5),
        ("nin", True),
        ("nouts", [10**400, 1]),
        ("nouts", [3.5, 1]),
        ("nouts", []),
        ("nouts", "31"),
        ("nouts", [[3], 1]),
        ("bias", 1e999),
        ("bias", 10**400),
        ("activation", ["relu"]),
        ("init", None),
        ("seed", 1.5),
    ],
)
def test_a_bad_architecture_is_a_checkpoint_error(tmp_path, key, value):
    good = _good()
    text = json.dumps({**good, "config": {**good["config"], key: value}})
    _expect_checkpoint_error(_write(tmp_path, text))


def test_a_huge_random_projection_is_refused_before_a_single_weight_is_drawn(tmp_path, monkeypatch):
    path = tmp_path / "p.json"
    RandomProjection(2, 3, seed=0).save(path)
    doc = json.loads(path.read_text())
    doc["config"].update(nin=30_000, nout=30_000)  # 900 million weights, about 36 GB
    path.write_text(json.dumps(doc))

    def no_building(*args, **kwargs):
        raise AssertionError("the projection was built")

    monkeypatch.setattr(RandomProjection, "__init__", no_building)
    for loader in (RandomProjection, Module):
        with pytest.raises(CheckpointError) as info:
            loader.load(path)
        message = str(info.value)
        assert "900,000,000 numbers" in message and "limit of 1,000,000" in message
        assert "max_parameters=900000000" in message


def test_max_parameters_raises_or_lowers_the_limit(tmp_path):
    path = tmp_path / "p.json"
    RandomProjection(20, 30, seed=0).save(path)  # 600 fixed weights
    with pytest.raises(CheckpointError, match="asks for 600 numbers.*max_parameters=600"):
        RandomProjection.load(path, max_parameters=599)
    assert (
        RandomProjection.load(path, max_parameters=600).weights
        == RandomProjection(20, 30, seed=0).weights
    )
    MLP(2, [3, 1], seed=0).save(path)  # 13 parameters
    with pytest.raises(CheckpointError, match="stores 13 numbers"):
        MLP.load(path, max_parameters=12)
    assert MLP.load(path, max_parameters=13).num_parameters() == 13
    with pytest.raises(ValueError, match="max_parameters must be a non-negative integer"):
        MLP.load(path, max_parameters=-1)
    with pytest.raises(ValueError, match="max_bytes must be"):
        MLP.load(path, max_bytes=1.5)


def test_the_default_limits(tmp_path):
    assert DEFAULT_MAX_PARAMETERS == 1_000_000
    assert default_max_bytes(1000) == (1 << 20) + 128_000
    # a saved parameter takes well under 128 bytes, so the default never refuses a real model
    path = tmp_path / "m.json"
    MLP(40, [40, 40, 1], seed=0).save(path)
    assert path.stat().st_size < 128 * MLP(40, [40, 40, 1]).num_parameters()


def test_a_file_over_max_bytes_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    MLP(2, [3, 1], seed=0).save(path)
    size = path.stat().st_size
    with pytest.raises(CheckpointError, match=f"{size:,} bytes, over the limit of 100 bytes"):
        MLP.load(path, max_bytes=100)
    with pytest.raises(CheckpointError, match="max_bytes="):
        MLP(2, [3, 1]).load(path, max_bytes=size - 1)
    assert MLP.load(path, max_bytes=size).num_parameters() == 13
    # the default grows with max_parameters: 1 MiB of padding is too much for a 10-number limit
    padded = _write(tmp_path, json.dumps(_good()) + " " * (1 << 20) + "\n", "padded.json")
    with pytest.raises(CheckpointError, match="over the limit"):
        MLP.load(padded, max_parameters=10)
    assert MLP.load(padded).num_parameters() == 13


def test_a_fifo_or_folder_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    errors: list[BaseException] = []

    def load() -> None:
        try:
            MLP.load(fifo)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # unblock the reader so the test run can go on, then fail
        with open(fifo, "w"):
            pass
        pytest.fail("loading from a FIFO blocked")
    assert len(errors) == 1 and isinstance(errors[0], OSError)
    assert "named pipe (FIFO), not a regular file" in str(errors[0])
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        MLP.load(tmp_path)


@pytest.mark.parametrize(
    "value",
    [10**400, -(10**400), Fraction(10**400, 3), float("-inf"), "1.0", None, [1.0], {}, True],
)
def test_load_state_dict_refuses_every_value_that_is_not_a_finite_float(value):
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    with pytest.raises(CheckpointError, match="layers.0.neurons.1.b must be a finite number"):
        model.load_state_dict({**before, "layers.0.neurons.1.b": value})
    assert model.state_dict() == before


def test_load_state_dict_with_odd_keys_names_them_briefly():
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    odd = {**before, 7: 1.0, None: 2.0, ("a",): 3.0, "x" * 10_000: 4.0}
    with pytest.raises(CheckpointError, match="unexpected 4 key") as info:
        model.load_state_dict(odd)
    assert len(str(info.value)) < 400
    assert model.state_dict() == before


def test_a_module_without_a_config_says_how_to_load_it(tmp_path):
    path = tmp_path / "n.json"
    Neuron(2, seed=0).save(path)
    with pytest.raises(CheckpointError, match="build the Neuron yourself"):
        Neuron.load(path)
    neuron = Neuron(2, seed=1)
    assert neuron.load(path).state_dict() == Neuron(2, seed=0).state_dict()


def test_a_version_that_is_true_is_not_version_1(tmp_path):
    _expect_checkpoint_error(_write(tmp_path, json.dumps({**_good(), "version": True})), "version")


# --------------------------------------------------------------------------------------------
# A hostile config: only declared constructor arguments, of their types, within bounds
# --------------------------------------------------------------------------------------------


def _load_by_class(tmp_path, document: dict, match: str, loaders=(MLP, Module)) -> None:
    path = _write(tmp_path, json.dumps(document), "hostile.json")
    for loader in loaders:
        with pytest.raises(CheckpointError, match=match):
            loader.load(path)


@pytest.mark.parametrize(
    "changes, match",
    [
        ({"evil": 1}, r"MLP has no argument 'evil' \(its arguments: nin, nouts, activation"),
        ({"activation": "rm -rf /"}, r"MLP argument 'activation' must be one of 'linear', "),
        ({"output_activation": "identity?"}, r"argument 'output_activation' must be one of"),
        ({"init": "evil"}, r"MLP argument 'init' must be one of .*'uniform'"),
        ({"names": "latex"}, r"MLP argument 'names' must be one of 'engine', 'lecture'"),
        ({"seed": "x" * 5000}, r"MLP argument 'seed' must be an integer or null, got 'xxx"),
        ({"seed": 1.5}, r"MLP argument 'seed' must be an integer or null, got 1.5"),
        ({"bias": "0.1"}, r"MLP argument 'bias' must be a finite number, got '0.1'"),
        ({"activation": "x" * 5000}, r"MLP argument 'activation' must be a string of at most"),
    ],
)
def test_a_hostile_mlp_config_is_refused_naming_the_argument(tmp_path, changes, match, monkeypatch):
    good = _good()
    built = []
    original = MLP.__init__

    @functools.wraps(original)  # the same signature and annotations
    def spy(self, *args, **kwargs):
        built.append(kwargs)
        original(self, *args, **kwargs)

    monkeypatch.setattr(MLP, "__init__", spy)
    _load_by_class(tmp_path, {**good, "config": {**good["config"], **changes}}, match)
    assert built == []  # refused before the constructor ran


@pytest.mark.parametrize(
    "config, match",
    [
        ({"nouts": [3, 1]}, r"the MLP config lacks the argument 'nin'"),
        ({"nin": 0, "nouts": [3, 1]}, r"MLP\(nin\) must be a positive integer"),
        ({"nin": 2, "nouts": [3, -1]}, r"MLP\(nouts\) entry 1 must be a positive integer"),
    ],
)
def test_a_config_missing_or_with_bad_sizes_names_the_argument(tmp_path, config, match):
    _load_by_class(tmp_path, {**_good(), "config": config}, match)


def test_a_size_is_bounded_by_max_parameters_even_when_the_count_cannot_tell(tmp_path):
    class Wide(Module):
        config_sizes = ("width",)

        def __init__(self, width: int) -> None:
            raise AssertionError("built")

        def config(self) -> dict:
            return {}

    document = {"format": "chainrule-checkpoint", "version": 1, "class": "Wide"}
    for width, match in [(10**9, "at most 1,000"), (0, "positive size"), (True, "an integer")]:
        text = {**document, "config": {"width": width}, "parameters": {}}
        with pytest.raises(CheckpointError, match=rf"Wide argument 'width' must be .*{match}"):
            Module.load(_write(tmp_path, json.dumps(text)), max_parameters=1000)


def test_a_registered_class_without_a_config_is_never_built_from_a_file(tmp_path, monkeypatch):
    from nn import Layer

    def no_building(*args, **kwargs):
        raise AssertionError("Layer was built from a file's arguments")

    monkeypatch.setattr(Layer, "__init__", no_building)
    document = {
        "format": "chainrule-checkpoint",
        "version": 1,
        "class": "Layer",
        "config": {"nin": 10**6, "nout": 10**6, "label": "x"},
        "parameters": {},
    }
    with pytest.raises(CheckpointError, match="Layer can be rebuilt from; build the Layer"):
        Module.load(_write(tmp_path, json.dumps(document)))


def test_an_argument_a_json_file_cannot_hold_is_refused(tmp_path):
    class Seeded(Module):
        def __init__(self, width: int, rng: random.Random | None = None, *, scale=1.0) -> None:
            self.width = width
            self.p = Parameter(scale)

        def config(self) -> dict:
            return {"width": self.width}

    path = tmp_path / "seeded.json"
    Seeded(3).save(path)
    assert Module.load(path).width == 3  # an honest file loads
    document = json.loads(path.read_text())
    for changes, match in [
        ({"rng": {"seed": 1}}, r"Seeded argument 'rng' must be of a type a checkpoint cannot hold"),
        ({"scale": [1, 2]}, r"Seeded argument 'scale' must be an integer or a finite number"),
        ({"width": 2.5}, r"Seeded argument 'width' must be an integer"),
    ]:
        document["config"] = {"width": 3, **changes}
        with pytest.raises(CheckpointError, match=match):
            Module.load(_write(tmp_path, json.dumps(document)))


@pytest.mark.parametrize(
    "where",
    ["envelope", "parameters", "config"],
)
def test_a_key_given_twice_is_refused_naming_it(tmp_path, where):
    good = _good()
    text = json.dumps(good, indent=1)
    if where == "envelope":  # a second class, after the first
        text = text.replace('"class": "MLP",', '"class": "MLP",\n "class": "MLP",')
        key = "class"
    elif where == "parameters":  # the same weight twice: which value is meant?
        first = next(iter(good["parameters"]))
        text = text.replace(f'"{first}": ', f'"{first}": 5.0,\n  "{first}": ', 1)
        key = first
    else:
        text = text.replace('"nin": 2,', '"nin": 2,\n  "nin": 2,')
        key = "nin"
    assert text.count(f'"{key}"') == 2 or where == "parameters"
    path = _write(tmp_path, text)
    _expect_checkpoint_error(path, match=rf"the key '{re.escape(key)}' appears twice")


def test_equal_keys_in_different_objects_are_fine(tmp_path):
    path = tmp_path / "ok.json"
    MLP(2, [3, 1], seed=0).save(path)  # "nin" sits in config; parameter names are distinct
    assert MLP.load(path).state_dict() == MLP(2, [3, 1], seed=0).state_dict()


def test_string_annotations_that_cannot_be_resolved_still_check_plain_types(tmp_path):
    class Later(Module):
        def __init__(self, width: int, shape: NotDefinedAnywhere = None) -> None:  # noqa: F821
            self.width = width
            self.p = Parameter(1.0)

        def config(self) -> dict:
            return {"width": self.width}

    path = tmp_path / "later.json"
    Later(3).save(path)
    assert Module.load(path).width == 3
    document = json.loads(path.read_text())
    document["config"] = {"width": "3"}
    with pytest.raises(CheckpointError, match="Later argument 'width' must be an integer"):
        Module.load(_write(tmp_path, json.dumps(document)))
    document["config"] = {"width": 3, "shape": {"deep": 1}}  # unresolvable: a JSON scalar only
    with pytest.raises(CheckpointError, match="Later argument 'shape' must be an integer or"):
        Module.load(_write(tmp_path, json.dumps(document)))
