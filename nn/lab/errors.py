"""The one exception the lab's route handlers raise for bad input (no web imports here).

    raise LabInputError("the learning rate must be a number above 0, got -1", field="lr")

The lab's middleware turns it into ``400 {"error": message, "field": field}``; the page shows
the message in words next to the input named by `field`.
"""

from __future__ import annotations

__all__ = ["LabInputError"]


class LabInputError(ValueError):
    """Bad input from the page: the message says, in words, what was wrong and with what value;
    `field` (optional) names the input it is about."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
