"""Activation functions by name: what a `Neuron` applies to its pre-activation ``z``.

Every name but ``linear`` is the engine `Value` method of that name (with its default α or β), so
each activation's derivative is the one in the engine's op table.
"""

from __future__ import annotations

from typing import Callable

from engine import OPS, Value
from engine.core.value import apply_op

__all__ = ["ACTIVATIONS", "get_activation"]


def _linear(z: Value) -> Value:
    """g(z) = z, g'(z) = 1: no activation (regression outputs, logits)."""
    return z


def _engine_activations() -> dict[str, Callable[[Value], Value]]:
    """The op table's rows marked ``activation=True``, as their Value methods."""
    return {
        name: getattr(Value, op.methods[0])
        for name, op in OPS.items()
        if op.activation and op.methods
    }


ACTIVATIONS: dict[str, Callable[[Value], Value]] = {"linear": _linear}
"""Activation name -> the function applied to a neuron's pre-activation ``z``.

Every name but ``linear`` is the engine `Value` method of that name (with its default α or β), so
each activation's derivative is the one in the engine's op table. ``"binary step"`` is accepted
for ``binary_step`` (sign(z), whose derivative is 0: nothing learns through it).
"""
ACTIVATIONS.update(_engine_activations())
_ALIASES = {"binary step": "binary_step", "identity": "linear", None: "linear"}


def _table_activation(name: object) -> Callable[[Value], Value] | None:
    """A one-input row of the op table that is not in `ACTIVATIONS` (a row `engine.define_op`
    added after nn was imported, such as a lecture's own relu), applied with its row as it is
    when called; None if there is no such row."""
    op = OPS.get(name) if isinstance(name, str) else None
    if op is None or op.arity != 1 or op.methods or op.arg_name is not None:
        return None  # the table's own one-input rows are in ACTIVATIONS or are no activation
    return lambda z: apply_op(OPS[op.name], (z,))


def _activation_name(name: object) -> str:
    """The canonical name of activation `name`; ValueError listing the valid names if unknown."""
    if isinstance(name, str) or name is None:
        canonical = _ALIASES.get(name, name)
        if canonical in ACTIVATIONS or _table_activation(canonical) is not None:
            return str(canonical)
    raise ValueError(
        f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)} (or 'binary step'), "
        "or a one-input op you added with engine.define_op"
    )


def get_activation(name: str) -> Callable[[Value], Value]:
    """The activation function called `name`: one of `ACTIVATIONS`, or a one-input op added to
    the table with `engine.define_op` (its forward and derivative are the row's)."""
    canonical = _activation_name(name)
    found = ACTIVATIONS.get(canonical) or _table_activation(canonical)
    assert found is not None
    return found
