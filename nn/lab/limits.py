"""The lab's size caps, one frozen dataclass so a server (or a test) can pass its own.

Every request is checked against them where it enters: a body over ``max_body_bytes`` gets 413,
an expression over ``max_expression_chars`` or with more than ``max_nodes`` Values gets 400 with
a message; the training bench checks points, layers, width, grid, sessions and kept updates.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["Limits"]


@dataclass(frozen=True)
class Limits:
    """Caps on what one request may ask of the lab (all positive ints)."""

    max_body_bytes: int = 64_000
    max_nodes: int = 400
    max_expression_chars: int = 500
    max_points: int = 1000
    max_layers: int = 4
    max_width: int = 32
    max_grid: int = 60
    max_sessions: int = 16
    max_updates_kept: int = 20_000
    max_graphs: int = 64

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if type(value) is not int or value < 1:
                raise ValueError(f"Limits.{field.name} must be a positive int, got {value!r}")
