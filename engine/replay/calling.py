"""What `Program` does around each call: check the inputs, the seeds and the guards, and shape
the results (floats or lists for numbers; arrays for a batch).

A program traced on ``f(x, v)`` with x a number and v a list of d numbers takes, per argument, a
number or a numpy array of shape (n,) for x, and d numbers, an (n, d) array or d arrays of shape
(n,) for v. Any array makes the call a batch of n examples; numbers are the same for all of them.
Errors name the input: a wrong count is a TypeError, a wrong length or shape a ValueError.
"""

from __future__ import annotations

import numbers
import sys
from typing import Any, Sequence

from engine.replay.errors import GuardError

__all__ = ["Calling"]


class _Careful(Exception):
    """Generated code saw an inf or a nan: redo the call as the eager engine would."""


def _ndarray(x: object) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and isinstance(x, np.ndarray)


def _real(x: object) -> bool:
    return type(x) is not bool and isinstance(x, numbers.Real)


def _scalar(x: Any) -> Any:
    """A numpy scalar as the Python number it holds (a Python number as it is)."""
    return x.item() if hasattr(x, "item") else x


def _each_example(fn: Any, values: tuple) -> Any:
    """``fn(*values)`` over a batch: on the arrays at once where ``fn`` is elementwise
    arithmetic or a comparison, else (``int()``, ``round()``, ``math.floor``...: Python
    functions of one number) one example at a time, on Python floats, as the float replay
    computes it. An error of `fn` on an example (``int(nan)``) is raised, as eager raises it."""
    import warnings

    import numpy as np

    arrays = [v for v in values if np.ndim(v)]
    if not arrays:  # the same for every example (0-d arrays too): once, on floats
        return fn(*(float(v) for v in values))
    n = len(arrays[0])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # int(array of one) is deprecated: a row at a time
            got = fn(*values)
        if isinstance(got, np.ndarray) and got.shape == (n,):
            return got
    except (TypeError, ValueError, ArithmeticError, Warning):
        pass
    rows = [[float(v[k]) if np.ndim(v) else float(v) for v in values] for k in range(n)]
    return np.array([fn(*row) for row in rows] + [None], dtype=object)[:n]


class Calling:
    """The checks and shaping of `Program` (a mixin: it reads ``_layout``, ``name``,
    ``arg_names``, ``shapes`` and ``many``)."""

    __slots__ = ()
    _layout: Any
    name: str
    arg_names: list[str]
    shapes: list[int | None]
    many: bool

    # -- guards -----------------------------------------------------------------------------

    def _guard_error(self, index: int, got: object, values: Sequence, example: int | None):
        guard = self._layout.guards[index]
        names = [self._layout.names[s] for s in guard.slots]
        shown = guard.code.format(*names)
        now = ", ".join(f"{n} = {v!r}" for n, v in zip(names, values))
        batch = f" for example {example}" if example is not None else ""
        return GuardError(
            f"replay would take another branch than the trace{batch}: at {guard.where}\n"
            f"  {shown} was {guard.expected!r} when traced, and is {got!r} now ({now}).\n"
            f"  Python control flow on .data is not part of the graph: trace again with inputs "
            f"that take this branch, or write the choice with ops (relu, abs, ...).",
            guard.where,
            index,
            example,
            got,
            tuple(values),
        )

    def _guard_checker(self, target: str):
        guards = self._layout.guards

        def check_float(i: int, *values: float) -> None:
            got = guards[i].fn(*values)
            if got != guards[i].expected:
                raise self._guard_error(i, got, values, None)

        def check_numpy(i: int, *values: Any) -> None:
            import numpy as np

            guard = guards[i]
            got = _each_example(guard.fn, values)
            ok = np.asarray(got == guard.expected, dtype=bool).reshape(-1)
            if ok.all():
                return
            k = int(np.flatnonzero(~ok)[0])
            here = [float(v[k]) if np.ndim(v) else float(v) for v in values]
            raise self._guard_error(i, _scalar(np.asarray(got).reshape(-1)[k]), here, k)

        return check_numpy if target == "numpy" else check_float

    # -- inputs and outputs -----------------------------------------------------------------

    def _parse(self, inputs: tuple) -> tuple[list, int | None]:
        """The flat inputs (floats, or floats and arrays) and the batch size (None: floats)."""
        if len(inputs) != len(self.shapes):
            names = ", ".join(self.arg_names)
            raise TypeError(
                f"program {self.name}({names}) takes {len(self.shapes)} input"
                f"{'s' if len(self.shapes) != 1 else ''}, got {len(inputs)}"
            )
        flat: list = []
        sizes: dict[str, int] = {}
        for name, shape, x in zip(self.arg_names, self.shapes, inputs):
            if shape is None:
                flat.append(self._number_or_column(x, name, sizes))
                continue
            if _ndarray(x) and x.ndim == 2:
                if x.shape[1] != shape:
                    raise ValueError(
                        f"input {name}: a batch of shape (n, {shape}) is needed, got {x.shape}"
                    )
                flat += [
                    self._number_or_column(x[:, j], f"{name}[:, {j}]", sizes) for j in range(shape)
                ]
                continue
            if _ndarray(x) and x.ndim > 2 or not (_ndarray(x) or isinstance(x, (list, tuple))):
                raise TypeError(
                    f"input {name} is a list of {shape} numbers in the trace, got "
                    f"{type(x).__name__} {getattr(x, 'shape', x)!r}"
                )
            if len(x) != shape:
                raise ValueError(f"input {name} needs {shape} numbers, got {len(x)}")
            flat += [self._number_or_column(xj, f"{name}[{j}]", sizes) for j, xj in enumerate(x)]
        if not sizes:
            return flat, None
        if len(set(sizes.values())) > 1:
            shown = ", ".join(f"{k} has {v}" for k, v in sizes.items())
            raise ValueError(f"batch inputs must have the same length: {shown}")
        n = next(iter(sizes.values()))
        return flat, n

    @staticmethod
    def _number_or_column(x: Any, name: str, sizes: dict) -> Any:
        if type(x) is float:
            return x
        if _ndarray(x):
            if x.ndim == 0:
                x = x.item()
            elif x.ndim == 1:
                import numpy as np

                if x.dtype.kind not in "fiu":
                    raise TypeError(f"input {name} must hold real numbers, got dtype {x.dtype}")
                sizes[name] = len(x)
                return np.ascontiguousarray(x, dtype=np.float64)
            else:
                raise ValueError(
                    f"input {name} must be a number or an array of shape (n,), got shape {x.shape}"
                )
        if _real(x):
            return float(x)
        kind = "a Value; pass its .data" if type(x).__name__ in ("Value", "Parameter") else repr(x)
        raise TypeError(
            f"input {name} must be a real number (or a numpy array), got {type(x).__name__} {kind}"
        )

    def _seeds(self, seed: object, n: int | None) -> list:
        k = len(self._layout.outputs)
        if seed is None:
            if k != 1:
                raise ValueError(
                    f"program {self.name} has {k} outputs: pass seed=[...] with one seed "
                    f"(∂L/∂output) per output"
                )
            seeds: list = [1.0]
        elif k == 1 and (_real(seed) or _ndarray(seed)):
            seeds = [seed]
        elif isinstance(seed, (list, tuple)) and len(seed) == k:
            seeds = list(seed)
        else:
            raise ValueError(
                f"seed must be a number or a list of {k} numbers (one per output), got {seed!r}"
            )
        out = []
        for j, s in enumerate(seeds):
            if _real(s):
                s = float(s)
            elif _ndarray(s) and n is not None and s.shape in ((n,), ()):
                s = s.astype(float)
            else:
                raise TypeError(
                    f"seed {j} must be a number"
                    f"{' or an array of shape (n,)' if n else ''}, got {s!r}"
                )
            if n is not None:
                import numpy as np

                s = np.full(n, s) if np.ndim(s) == 0 else s
            out.append(s)
        return out

    def _result(self, outs: tuple, n: int | None) -> Any:
        if n is not None:
            import numpy as np

            outs = tuple(np.full(n, float(o)) if np.ndim(o) == 0 else o for o in outs)
        return list(outs) if self.many else outs[0]

    def _grads(self, bars: tuple, n: int | None) -> tuple:
        if n is not None:
            import numpy as np

            bars = tuple(np.full(n, float(b)) if np.ndim(b) == 0 else b for b in bars)
        grouped, i = [], 0
        for shape in self.shapes:
            if shape is None:
                grouped.append(bars[i] if n is not None else float(bars[i]))
                i += 1
                continue
            part = bars[i : i + shape]
            i += shape
            if n is None:
                grouped.append([float(b) for b in part])
            else:
                import numpy as np

                grouped.append(np.stack(part, axis=1))
        return tuple(grouped)
