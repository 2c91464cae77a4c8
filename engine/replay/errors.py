"""The two errors of replay: a function that cannot be traced, and a replay that would branch
differently from the trace."""

from __future__ import annotations

__all__ = ["TraceError", "GuardError"]


class TraceError(RuntimeError):
    """`trace` cannot record this function faithfully (the message says why and where)."""


class GuardError(RuntimeError):
    """A replay would take a different branch than the trace did.

    ``where`` is the traced source line (``file:line: code``), ``guard`` the guard's index,
    ``example`` the index of the first example that fails in a batch (None for floats).
    """

    def __init__(self, message: str, where: str, guard: int, example: int | None) -> None:
        super().__init__(message)
        self.where = where
        self.guard = guard
        self.example = example
