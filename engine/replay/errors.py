"""The errors of replay: a function that cannot be traced, a replay that would branch
differently from the trace, and a program whose ops the table no longer has."""

from __future__ import annotations

__all__ = ["TraceError", "GuardError", "StaleProgramError"]


class TraceError(RuntimeError):
    """`trace` cannot record this function faithfully (the message says why and where)."""


class GuardError(RuntimeError):
    """A replay would take a different branch than the trace did.

    ``where`` is the traced source line (``file:line: code``), ``guard`` the guard's index,
    ``example`` the index of the first example that fails in a batch (None for floats), ``got``
    what the comparison gives now and ``values`` the numbers it compared.
    """

    def __init__(
        self,
        message: str,
        where: str,
        guard: int,
        example: int | None,
        got: object = None,
        values: tuple = (),
    ) -> None:
        super().__init__(message)
        self.where = where
        self.guard = guard
        self.example = example
        self.got = got
        self.values = values


class StaleProgramError(TraceError):
    """The op table changed since the program was traced: an op it runs was redefined or removed
    (``define_op``, ``register``, ``unregister``), so its recording no longer says what the op
    computes. Trace the function again. ``ops`` names the ops that changed."""

    def __init__(self, message: str, ops: tuple[str, ...]) -> None:
        super().__init__(message)
        self.ops = ops
