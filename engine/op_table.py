"""`OpTable`: the dict that holds the op table's rows, and counts its changes."""

from __future__ import annotations

from typing import Any

__all__ = ["OpTable"]


class OpTable(dict):
    """A dict of op rows that counts its changes (`version`), so readers can cache what they
    derive from it (the backward pass keeps one table of rules per arity)."""

    version = 0

    def _changed(self) -> None:
        self.version += 1

    def __setitem__(self, name: str, op: Any) -> None:
        super().__setitem__(name, op)
        self._changed()

    def __delitem__(self, name: str) -> None:
        super().__delitem__(name)
        self._changed()

    def clear(self) -> None:
        super().clear()
        self._changed()

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def pop(self, *args: Any) -> Any:
        result = super().pop(*args)
        self._changed()
        return result

    def popitem(self) -> tuple[str, Any]:
        result = super().popitem()
        self._changed()
        return result

    def setdefault(self, name: str, op: Any) -> Any:  # type: ignore[override]
        result = super().setdefault(name, op)
        self._changed()
        return result
