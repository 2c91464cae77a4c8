"""Fuzz the checkpoint loader: whatever the file holds, loading raises only CheckpointError.

Mutated valid checkpoints (characters flipped, deleted, inserted; values, keys and types changed
anywhere in the document), random JSON, random bytes and random state dicts. A model refilled with
``model.load(path)`` keeps its parameters when loading fails. Sized for CI: 500 examples per test,
about 10-20 s in all; ``CHAINRULE_FUZZ_EXAMPLES=6000 pytest tests/nn/test_checkpoint_fuzz.py``
runs longer (6000 per test: about 2 minutes, clean).
"""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nn import MLP, CheckpointError, Module, RandomProjection

EXAMPLES = int(os.environ.get("CHAINRULE_FUZZ_EXAMPLES", "500"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LIMIT = 20_000  # max_parameters for the fuzz: a legal but big architecture must not slow it down

MODEL_CHECKPOINT = MLP(2, [3, 1], seed=0).checkpoint()
PROJECTION_CHECKPOINT = RandomProjection(2, 3, seed=0).checkpoint()
SEEDS = [json.dumps(MODEL_CHECKPOINT, indent=1), json.dumps(PROJECTION_CHECKPOINT)]


def _load_every_way(path) -> None:
    """Load `path` as a model refill, as MLP, as any Module: only CheckpointError may escape."""
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    try:
        model.load(path)
    except CheckpointError:
        assert model.state_dict() == before  # a failed load changes nothing
    for loader in (MLP, RandomProjection, Module):
        try:
            loaded = loader.load(path, max_parameters=LIMIT)
        except CheckpointError:
            continue
        assert isinstance(loaded, Module)


# --------------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------------

TOKENS = [
    "[",
    "]",
    "{",
    "}",
    '"',
    ",",
    ":",
    "\\",
    "-",
    "0",
    "1e999",
    "-1e999",
    "9" * 400,
    "1" * 5000,
    "NaN",
    "Infinity",
    "null",
    "true",
    "[" * 2000,
    '{"a":' * 50,
    "\x00",
    "\ud800",
    "é",
    '"\\ud800"',
    "30000",
]
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats()
    | st.text(max_size=20)
    | st.sampled_from(["MLP", "RandomProjection", "Neuron", "Layer", "relu", "linear", "uniform"])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=25,
)


@st.composite
def text_mutations(draw) -> str:
    """A valid checkpoint's text with a few characters flipped, deleted or inserted."""
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["flip", "delete", "insert", "duplicate"]))
        if action == "flip" and i < len(text):
            text = text[:i] + draw(st.characters()) + text[i + 1 :]
        elif action == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 50)) :]
        elif action == "insert":
            token = draw(st.sampled_from(TOKENS) | st.text(max_size=5))
            text = text[:i] + token + text[i:]
        else:
            text = text[:i] + text[i : i + draw(st.integers(1, 80))] + text[i:]
    return text


def _paths(document: object, prefix: tuple = ()) -> list[tuple]:
    """Every path (a tuple of keys and indices) to a value inside `document`."""
    found = [prefix]
    if isinstance(document, dict):
        for key, value in document.items():
            found += _paths(value, prefix + (key,))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += _paths(value, prefix + (index,))
    return found


@st.composite
def structural_mutations(draw) -> object:
    """A valid checkpoint with values, keys or types changed anywhere in it."""
    document = json.loads(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(document)))
        if not path:
            continue
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        last = path[-1]
        action = draw(st.sampled_from(["replace", "delete", "add", "rename", "scale"]))
        if action == "replace":
            parent[last] = draw(json_values)
        elif action == "delete":
            del parent[last]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = draw(json_values)
        elif action == "add":
            parent.insert(last, draw(json_values))
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.text(max_size=10))] = parent.pop(last)
        elif isinstance(parent[last], (int, float)) and not isinstance(parent[last], bool):
            factor = draw(st.sampled_from([-1, 0, 10, 10**6, 10**400, 1e300, 0.5]))
            try:
                parent[last] = parent[last] * factor
            except OverflowError:
                parent[last] = float("inf")
    return document


@st.composite
def random_envelopes(draw) -> object:
    """Random JSON, often wrapped in a valid envelope so the loader looks further in."""
    inner = draw(json_values)
    if draw(st.booleans()):
        return inner
    base = draw(st.sampled_from([MODEL_CHECKPOINT, PROJECTION_CHECKPOINT]))
    field = draw(st.sampled_from(["class", "config", "parameters", "extra"]))
    return {**base, field: inner}


def _dump(document: object) -> str:
    try:
        return json.dumps(document)  # NaN and Infinity come out as JSON's common extension
    except (ValueError, RecursionError):
        return "{}"


# --------------------------------------------------------------------------------------------
# The fuzzers
# --------------------------------------------------------------------------------------------


@FUZZ
@given(text=text_mutations())
def test_a_checkpoint_with_mutated_characters_raises_only_checkpoint_error(tmp_path, text):
    path = tmp_path / "fuzz.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _load_every_way(path)


@FUZZ
@given(document=structural_mutations())
def test_a_checkpoint_with_mutated_values_raises_only_checkpoint_error(tmp_path, document):
    path = tmp_path / "fuzz.json"
    path.write_text(_dump(document), encoding="utf-8", errors="surrogatepass")
    _load_every_way(path)


@FUZZ
@given(document=random_envelopes())
def test_random_json_raises_only_checkpoint_error(tmp_path, document):
    path = tmp_path / "fuzz.json"
    path.write_text(_dump(document), encoding="utf-8", errors="surrogatepass")
    _load_every_way(path)


@FUZZ
@given(data=st.binary(max_size=200))
def test_random_bytes_raise_only_checkpoint_error(tmp_path, data):
    path = tmp_path / "fuzz.json"
    path.write_bytes(data)
    _load_every_way(path)


NAMES = list(MODEL_CHECKPOINT["parameters"])


@FUZZ
@given(
    changes=st.dictionaries(
        st.sampled_from(NAMES) | st.text(max_size=8) | st.integers() | st.none(),
        json_values | st.fractions() | st.decimals(),
        max_size=4,
    ),
    dropped=st.sets(st.sampled_from(NAMES), max_size=2),
    replace_all=st.booleans(),
)
def test_load_state_dict_with_bad_dicts_raises_only_checkpoint_error(changes, dropped, replace_all):
    model = MLP(2, [3, 1], seed=0)
    before = model.state_dict()
    state = dict(changes) if replace_all else {**before, **changes}
    for name in dropped:
        state.pop(name, None)
    try:
        model.load_state_dict(state)
    except CheckpointError:
        assert model.state_dict() == before
    else:
        assert model.state_dict() == {name: float(state[name]) for name in NAMES}


@pytest.mark.parametrize("not_a_dict", [None, [], "state", 3, b"{}", [("a", 1.0)]])
def test_load_state_dict_of_something_else_is_a_checkpoint_error(not_a_dict):
    with pytest.raises(CheckpointError, match="must be a dict"):
        MLP(2, [3, 1], seed=0).load_state_dict(not_a_dict)
