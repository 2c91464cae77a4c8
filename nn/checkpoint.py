"""JSON checkpoints: the file format, validation, and building a model back from one.

A checkpoint is JSON (never pickle), written atomically, and carries a format name, a version,
the module's class, its architecture (``config``) and every parameter by dotted name. Loading
validates the whole file before anything is assigned: a corrupt or mismatched file raises
`CheckpointError` and leaves the model as it was.
"""

from __future__ import annotations

import json
import math
import numbers
from typing import Any

__all__ = ["CheckpointError", "CHECKPOINT_FORMAT", "CHECKPOINT_VERSION"]

CHECKPOINT_FORMAT = "chainrule-checkpoint"
CHECKPOINT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file or state dict that cannot be loaded (corrupt, or for another model)."""


def _validated_state(state: object, names: list[str]) -> list[float]:
    """The values of `state` in the order of `names`, after checking everything about them."""
    if not isinstance(state, dict):
        raise CheckpointError(
            f"a state dict must be a dict of parameter values, got {type(state).__name__}"
        )
    missing = [n for n in names if n not in state]
    unexpected = [k for k in state if k not in set(names)]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} parameter(s) {_few(missing)}")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)} key(s) {_few(unexpected)}")
        raise CheckpointError("state dict does not match the model: " + "; ".join(parts))
    values = []
    for name in names:
        value = state[name]
        if type(value) is bool or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise CheckpointError(f"parameter {name} must be a finite number, got {value!r}")
        values.append(float(value))
    return values


def _few(items: list) -> str:
    shown = ", ".join(repr(x) for x in items[:5])
    return f"[{shown}{', ...' if len(items) > 5 else ''}]"


def _read_checkpoint(path: str) -> dict:
    """The checkpoint at `path`, with its envelope (format, version, class, ...) checked."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError as exc:
        raise CheckpointError(
            f"{path}: not a chainrule checkpoint (not UTF-8 text: {exc})"
        ) from None
    try:
        checkpoint = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{path}: not a chainrule checkpoint (invalid JSON: {exc})") from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path}: not a chainrule checkpoint (no 'format': {CHECKPOINT_FORMAT!r} field)"
        )
    version = checkpoint.get("version")
    if version != CHECKPOINT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format version {version!r} is not supported "
            f"(this chainrule reads version {CHECKPOINT_VERSION})"
        )
    for key, kind in (("class", str), ("parameters", dict)):
        if not isinstance(checkpoint.get(key), kind):
            raise CheckpointError(
                f"{path}: corrupt checkpoint: {key!r} must be a "
                f"{kind.__name__}, got {checkpoint.get(key)!r:.80}"
            )
    if checkpoint.get("config") is not None and not isinstance(checkpoint["config"], dict):
        raise CheckpointError(f"{path}: corrupt checkpoint: 'config' must be an object or null")
    return checkpoint


def _check_same_architecture(model: Any, checkpoint: dict, where: str) -> None:
    name = type(model).__name__
    if checkpoint["class"] != name:
        raise CheckpointError(
            f"{where}: the checkpoint is for a {checkpoint['class']}, this model is a {name}"
        )
    config = model.config()
    if config is not None and checkpoint["config"] != config:
        raise CheckpointError(
            f"{where}: architecture mismatch: the checkpoint has "
            f"{checkpoint['config']}, this model has {config}"
        )


def _build_from_checkpoint(
    cls: Any, checkpoint: dict, where: str, registry: dict[str, Any] | None = None
) -> Any:
    """A new model of the checkpoint's class and architecture (`registry`: any class by name)."""
    name = checkpoint["class"]
    if registry is not None:
        target = registry.get(name)
        if target is None:
            raise CheckpointError(f"{where}: unknown module class {name!r}")
    elif name == cls.__name__:
        target = cls
    else:
        raise CheckpointError(f"{where}: the checkpoint is for a {name}, not a {cls.__name__}")
    if checkpoint["config"] is None:
        raise CheckpointError(
            f"{where}: the checkpoint has no architecture (config); build the "
            f"{name} yourself and call model.load(path)"
        )
    expected = target.parameter_count(checkpoint["config"])
    stored = len(checkpoint["parameters"])
    if expected is not None and expected != stored:  # checked before building anything big
        raise CheckpointError(
            f"{where}: corrupt checkpoint: its architecture has {expected} "
            f"parameters but it stores {stored}"
        )
    return target.from_config(checkpoint["config"])
