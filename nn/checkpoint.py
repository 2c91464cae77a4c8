"""JSON checkpoints: the file format, validation, and building a model back from one.

A checkpoint is JSON (never pickle), written atomically, and carries a format name, a version,
the module's class, its architecture (``config``) and every parameter by dotted name. Loading
validates the whole file before anything is assigned: a corrupt, mismatched or oversized file
raises `CheckpointError` and leaves the model as it was. Sizes are checked against limits before
anything big is read or built: ``max_parameters`` (default `DEFAULT_MAX_PARAMETERS`) bounds the
numbers an architecture may ask for, ``max_bytes`` (default `default_max_bytes`) the file size.
Loading takes time linear in the file's size.
"""

from __future__ import annotations

import inspect
import json
import math
import numbers
import types
import typing
from collections.abc import Sequence
from typing import Any

from engine.files import FileTooLargeError, read_bytes

__all__ = [
    "CheckpointError",
    "CHECKPOINT_FORMAT",
    "CHECKPOINT_VERSION",
    "DEFAULT_MAX_PARAMETERS",
    "default_max_bytes",
]

CHECKPOINT_FORMAT = "chainrule-checkpoint"
CHECKPOINT_VERSION = 1

DEFAULT_MAX_PARAMETERS = 1_000_000
"""The most numbers (parameters, and fixed weights such as RandomProjection's) a checkpoint may
ask a loader to build, unless ``max_parameters=`` raises it. A million scalar Values already take
hundreds of MB; a corrupt or hostile file cannot make ``load`` allocate 36 GB."""

_BYTES_PER_PARAMETER = 128  # a saved parameter takes about 60 bytes: name, value, punctuation
_MAX_NESTING = 32  # a checkpoint nests 3 levels deep (parameters, config, nouts)
_MAX_INT_DIGITS = 1000  # JSON integers longer than this are refused before Python converts them
_MAX_STRING = 1000  # the longest string a config argument may hold (names, labels)


class CheckpointError(ValueError):
    """A checkpoint file or state dict that cannot be loaded (corrupt, or for another model)."""


def default_max_bytes(max_parameters: int) -> int:
    """The largest checkpoint file read by default: 1 MiB + 128 bytes per allowed parameter."""
    return (1 << 20) + _BYTES_PER_PARAMETER * max_parameters


def _check_limit(value: object, name: str) -> int:
    if type(value) is bool or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def _short(value: object, limit: int = 60) -> str:
    """`value` for a message: a short repr, never huge, never failing."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    if isinstance(value, (dict, list, tuple)):
        text = _short_container(value)
        if text is not None:
            return text
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit]
    try:
        text = repr(value)
    except Exception:  # a user's object whose repr fails: its type will do
        return f"a {type(value).__name__}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _short_container(value: dict | list | tuple) -> str | None:
    """A flat, small container as its repr; anything else by its kind and size."""
    items = value.values() if isinstance(value, dict) else value
    if len(value) <= 8 and not any(isinstance(x, (dict, list, tuple)) for x in items):
        return None
    kind = "an object" if isinstance(value, dict) else f"a {type(value).__name__}"
    return f"{kind} of {len(value)} item{'' if len(value) == 1 else 's'}"


def _count(n: int) -> str:
    """A count for a message: ``1,234,567``, or ``about 10^400`` when it is absurd."""
    return f"about 10^{int(n.bit_length() * 0.30103)}" if n.bit_length() > 64 else f"{n:,}"


def _finite(name: str, value: object) -> float:
    """`value` as a float, if it is a finite real number (not a bool, string or huge int)."""
    if type(value) is not bool and isinstance(value, numbers.Real):
        try:
            number = float(value)
        except (OverflowError, ValueError, TypeError):
            number = math.inf
        if math.isfinite(number):
            return number
    raise CheckpointError(f"parameter {name} must be a finite number, got {_short(value)}")


def _validated_state(state: object, names: list[str]) -> list[float]:
    """The values of `state` in the order of `names`, after checking everything about them.

    Linear in the number of parameters: one set of the expected names, one pass over each side.
    """
    if not isinstance(state, dict):
        raise CheckpointError(
            f"a state dict must be a dict of parameter values, got {type(state).__name__}"
        )
    expected = set(names)
    missing = [n for n in names if n not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} parameter(s) {_few(missing)}")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)} key(s) {_few(unexpected)}")
        raise CheckpointError("state dict does not match the model: " + "; ".join(parts))
    return [_finite(name, state[name]) for name in names]


def _few(items: list) -> str:
    shown = ", ".join(_short(x) for x in items[:5])
    return f"[{shown}{', ...' if len(items) > 5 else ''}]"


# --------------------------------------------------------------------------------------------
# Reading a file
# --------------------------------------------------------------------------------------------


def _parse_int(text: str) -> int:
    if len(text) > _MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text)} digits")
    return int(text)


class _DuplicateKey(ValueError):
    """A JSON object that names one key twice (json keeps the last one silently)."""


def _object(pairs: list[tuple[str, Any]]) -> dict:
    """One JSON object, refusing a key given twice (``{"w": 1, "w": 2}``)."""
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return document


def _nesting(document: object) -> int:
    """How deeply `document` nests lists and objects (a walk with a stack; stops past the cap)."""
    if not isinstance(document, (dict, list)):
        return 0
    deepest = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > _MAX_NESTING:
            break
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return deepest


def _parse(text: str, where: str) -> Any:
    """The JSON document in `text`; CheckpointError for anything that is not sane JSON.

    Sane: valid, nested at most 32 levels, no integer of 1,000 digits, and no object that gives a
    key twice (json would keep the last one, so a file could show one value and load another).
    """
    try:
        document = json.loads(text, parse_int=_parse_int, object_pairs_hook=_object)
    except _DuplicateKey as exc:
        raise CheckpointError(
            f"{where}: corrupt checkpoint: the key {_short(exc.args[0])} appears twice in one "
            f"JSON object (which one is meant cannot be told)"
        ) from None
    except RecursionError:
        raise CheckpointError(
            f"{where}: not a chainrule checkpoint (JSON nested too deeply)"
        ) from None
    except ValueError as exc:  # JSONDecodeError, and integers too long to convert
        raise CheckpointError(
            f"{where}: not a chainrule checkpoint (invalid JSON: {exc})"
        ) from None
    if _nesting(document) > _MAX_NESTING:
        raise CheckpointError(
            f"{where}: not a chainrule checkpoint (JSON nested more than {_MAX_NESTING} levels)"
        )
    return document


def _read_checkpoint(path: str, max_bytes: int) -> dict:
    """The checkpoint at `path`, with its envelope (format, version, class, ...) checked.

    OS errors stay OSErrors (FileNotFoundError, ...; see `engine.files.read_bytes`); a file over
    `max_bytes` and everything about the content raise CheckpointError.
    """
    try:
        raw = read_bytes(path, max_bytes=max_bytes)
    except FileTooLargeError as exc:
        raise CheckpointError(
            f"{path}: {exc.strerror}; if you trust this file, pass max_bytes= (or a larger "
            f"max_parameters=) to load it"
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CheckpointError(
            f"{path}: not a chainrule checkpoint (not UTF-8 text: {exc})"
        ) from None
    checkpoint = _parse(text, path)
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path}: not a chainrule checkpoint (no 'format': {CHECKPOINT_FORMAT!r} field)"
        )
    version = checkpoint.get("version")
    if type(version) is not int or version != CHECKPOINT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format version {_short(version)} is not supported "
            f"(this chainrule reads version {CHECKPOINT_VERSION})"
        )
    for key, kind in (("class", str), ("parameters", dict)):
        if not isinstance(checkpoint.get(key), kind):
            raise CheckpointError(
                f"{path}: corrupt checkpoint: {key!r} must be a "
                f"{kind.__name__}, got {_short(checkpoint.get(key))}"
            )
    if checkpoint.get("config") is not None and not isinstance(checkpoint["config"], dict):
        raise CheckpointError(f"{path}: corrupt checkpoint: 'config' must be an object or null")
    checkpoint["config"] = checkpoint.get("config")  # optional: a module without an architecture
    return checkpoint


# --------------------------------------------------------------------------------------------
# Matching a model, building one
# --------------------------------------------------------------------------------------------


def _check_same_architecture(model: Any, checkpoint: dict, where: str) -> None:
    name = type(model).__name__
    if checkpoint["class"] != name:
        raise CheckpointError(
            f"{where}: the checkpoint is for class {_short(checkpoint['class'])}, "
            f"this model is a {name}"
        )
    config = model.config()
    stored = checkpoint["config"]
    if config is not None and stored != config:
        stored = stored or {}
        keys = [k for k in {**config, **stored} if stored.get(k) != config.get(k)]
        differences = ", ".join(
            f"{k}={_short(stored.get(k))} (this model: {_short(config.get(k))})" for k in keys[:4]
        )
        raise CheckpointError(f"{where}: architecture mismatch: the checkpoint has {differences}")


def _build_from_checkpoint(
    cls: Any,
    checkpoint: dict,
    where: str,
    registry: dict[str, Any] | None = None,
    max_parameters: int = DEFAULT_MAX_PARAMETERS,
) -> Any:
    """A new model of the checkpoint's class and architecture (`registry`: any class by name).

    Sizes are checked before anything is built: the numbers the architecture asks for must match
    the parameters stored and stay within `max_parameters`.
    """
    name = checkpoint["class"]
    if registry is not None:
        target = registry.get(name)
        if target is None:
            raise CheckpointError(f"{where}: unknown module class {_short(name)}")
    elif name == cls.__name__:
        target = cls
    else:
        raise CheckpointError(
            f"{where}: the checkpoint is for class {_short(name)}, not {cls.__name__}"
        )
    config = checkpoint["config"]
    if config is None or not target._rebuildable():
        raise CheckpointError(
            f"{where}: the checkpoint has no architecture (config) that {name} can be rebuilt "
            f"from; build the {name} yourself and call model.load(path)"
        )
    stored = len(checkpoint["parameters"])
    try:
        expected = target.parameter_count(config)
        size = target.config_size(config)
    except (TypeError, ValueError, OverflowError) as exc:
        raise CheckpointError(f"{where}: cannot build {name} from its config: {exc}") from None
    if expected is not None and expected != stored:  # checked before building anything big
        tied = (
            "; a model with tied weights stores each once: build it tied, as it was, and call "
            "model.load(path)"
            if stored < expected
            else ""
        )
        raise CheckpointError(
            f"{where}: corrupt checkpoint: its architecture has {_count(expected)} "
            f"parameters but it stores {stored:,}{tied}"
        )
    for count, what in ((stored, "stores"), (size, "asks for")):
        if count is not None and count > max_parameters:
            advice = (
                f"if you trust this file, load it with {name}.load(path, max_parameters={count})"
                if count.bit_length() <= 64
                else "no real model is that big: the file is corrupt"
            )
            raise CheckpointError(
                f"{where}: the checkpoint {what} {_count(count)} numbers (parameters and fixed "
                f"weights), over the limit of {max_parameters:,}; {advice}"
            )
    config = _checked_config(target, config, where, max_parameters)
    try:
        model = target.from_config(config)
    except CheckpointError as exc:
        raise CheckpointError(f"{where}: {exc}") from None
    if size is None and model.num_parameters() > max_parameters:  # a class that cannot tell
        raise CheckpointError(
            f"{where}: the model has {model.num_parameters():,} parameters, over the limit of "
            f"{max_parameters:,}; pass max_parameters= to load it"
        )
    return model


# --------------------------------------------------------------------------------------------
# Checking a config against the constructor it will be passed to
# --------------------------------------------------------------------------------------------


def _hints(target: Any) -> dict[str, Any]:
    """The constructor's evaluated annotations; {} when they cannot be evaluated."""
    try:
        return typing.get_type_hints(target.__init__)
    except Exception:  # a user's class with annotations that do not resolve: treat as unannotated
        return {}


_SIMPLE_HINTS: dict[str, Any] = {"int": int, "float": float, "str": str, "bool": bool}


def _hint(hints: dict[str, Any], parameter: inspect.Parameter) -> Any:
    """The evaluated annotation of `parameter`; a string one that could not be evaluated is
    read if it is a plain type name (``"int"``), else treated as no annotation."""
    hint = hints.get(parameter.name, parameter.annotation)
    if isinstance(hint, str):
        return _SIMPLE_HINTS.get(hint.strip(), inspect.Parameter.empty)
    return hint


def _type_error(value: object, hint: Any) -> str | None:
    """Why `value` (from JSON) is not a `hint`, or None when it is one.

    Understood: int, float, str, bool, None, unions of them, and lists of ints (``Sequence[int]``,
    ``list[int]``); no annotation means any of int, float, str, bool or None. Anything else (a
    ``random.Random``, a callable) cannot come from a JSON file. An integer that is not a size
    (a seed) may be large; sizes are bounded by the caller.
    """
    if hint is inspect.Parameter.empty or hint is Any:
        hint = int | float | str | bool | None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        reasons = [_type_error(value, arg) for arg in args]
        return None if None in reasons else " or ".join(r for r in reasons if r)
    if hint is type(None) or hint is None:
        return None if value is None else "null"
    if hint is bool:
        return None if type(value) is bool else "true or false"
    if hint is int:  # any size: the JSON parser already refuses integers of 1,000 digits
        return None if type(value) is int else "an integer"
    if hint is float:
        if type(value) is float and math.isfinite(value):
            return None
        if type(value) is int and value.bit_length() <= 1000:  # one float can hold it
            return None
        return "a finite number"
    if hint is str:
        if type(value) is str and len(value) <= _MAX_STRING:
            return None
        return f"a string of at most {_MAX_STRING} characters"
    if origin in (list, tuple, Sequence) and args and args[0] is int:
        if type(value) is list and all(type(v) is int for v in value):
            return None
        return "a list of integers"
    return f"of a type a checkpoint cannot hold ({getattr(hint, '__name__', hint)})"


def _checked_config(target: Any, config: dict, where: str, max_parameters: int) -> dict:
    """`config` if it names only arguments `target`'s constructor declares, each of the type it
    is annotated with, within the class's bounds; CheckpointError naming the argument otherwise.

    Bounds come from the class: ``config_sizes`` (arguments that are sizes: positive integers,
    or lists of them, at most `max_parameters`) and ``config_choices`` (argument -> the values
    allowed). Nothing is built.
    """
    name = target.__name__
    parameters = inspect.signature(target.__init__).parameters
    declared = {
        key: p
        for key, p in list(parameters.items())[1:]  # not self
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    unknown = [key for key in config if key not in declared]
    if unknown:
        raise CheckpointError(
            f"{where}: {name} has no argument {_short(unknown[0])} "
            f"(its arguments: {', '.join(declared)})"
        )
    missing = [k for k, p in declared.items() if p.default is p.empty and k not in config]
    if missing:
        raise CheckpointError(f"{where}: the {name} config lacks the argument {missing[0]!r}")
    hints = _hints(target)
    sizes = getattr(target, "config_sizes", ())
    choices = getattr(target, "config_choices", {})
    for key, value in config.items():
        problem = _type_error(value, _hint(hints, declared[key]))
        if problem is None and key in sizes:
            items = value if isinstance(value, list) else [value]
            if not items or any(not 1 <= v <= max_parameters for v in items):
                problem = f"a positive size of at most {max_parameters:,}" + (
                    " in a non-empty list" if isinstance(value, list) else ""
                )
        if problem is None and key in choices and value not in choices[key]:
            problem = f"one of {', '.join(map(repr, choices[key]))}"
        if problem is not None:
            raise CheckpointError(
                f"{where}: {name} argument {key!r} must be {problem}, got {_short(value)}"
            )
    return config


def _limits(max_parameters: object, max_bytes: object, own_parameters: int = 0) -> tuple[int, int]:
    """The checked limits of one load: (max_parameters, max_bytes).

    ``max_bytes=None`` gives `default_max_bytes` of the larger of `max_parameters` and the
    parameters the model being refilled already has (`own_parameters`).
    """
    parameters = _check_limit(max_parameters, "max_parameters")
    if max_bytes is None:
        return parameters, default_max_bytes(max(parameters, own_parameters))
    return parameters, _check_limit(max_bytes, "max_bytes")
