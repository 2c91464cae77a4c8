"""Training through replay: `fit(..., compile=True)` traces the objective once and replays it.

The objective of a batch is ``(1/N) Σ_i ℓ_i + α·Σ p²``. For the built-in losses every term ℓ_i
depends on one example only, so one traced program of "model, then loss term" serves every
example: it is replayed on each example's numbers (``program.backward_rows`` on floats, or one
numpy call for the whole batch), seeded with ∂objective/∂ℓ_i = 1/N. The L2 term is a program of
its own, with no inputs. The target is an input of the program, except where the loss term's
*ops* depend on it: cross-entropy picks the logit of the target class (one program per class),
and BCE drops ``- z·y`` when y = 0 (one program per pattern of zero targets).

Floats reproduce the eager run bit for bit: the terms are summed in the same order, and the
examples are differentiated in the order ``backward()`` visits them (the L2 term first, then the
examples from last to first), so every ``p.grad`` gets the same additions in the same order.
numpy agrees to rounding (its exp and log may differ from ``math``'s in the last bit).

A custom loss function cannot be split per example: with full batches its whole objective is
traced once; with mini-batches `fit` refuses ``compile=True``. A model whose forward branches on
``.data`` is traced with guards (`engine.replay.probe`): if an example would take another branch,
training stops with a `GuardError` naming the line; train such a model with ``compile=False``.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable, Sequence

from engine import Value, no_grad
from engine.replay import Program, trace
from nn import losses as _losses

__all__ = ["CompiledObjective", "MODES", "NUMPY_MIN_BATCH", "plain_rows"]

MODES = ("auto", "float", "numpy")
NUMPY_MIN_BATCH = 16
"""In "auto" mode, batches of at least this many examples (sharing a program) use numpy."""


def _flat(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def plain_rows(rows: Sequence) -> list:
    """`rows` (examples or targets) as a list of what replay traces: numbers and flat lists.

    Eager `fit` calls the model on each row as it comes, so it takes a numpy matrix (rows are
    arrays), a list of arrays, or a numpy vector of labels; replay needs numbers and lists, so
    an array row becomes ``row.tolist()`` (numpy scalars are numbers already).
    """
    return [_plain(row) for row in rows]


def _plain(row: Any) -> Any:
    if isinstance(row, (list, tuple, Value, numbers.Real, str, bytes)):
        return row
    to_list = getattr(row, "tolist", None)  # a numpy array (or a 0-d one)
    return to_list() if callable(to_list) else row


def _numpy_available() -> bool:
    try:
        import numpy  # noqa: F401
    except ImportError:
        return False
    return True


class CompiledObjective:
    """Replays `fit`'s objective: ``run(Xb, yb)`` adds its gradient to the parameters' ``.grad``
    (call ``zero_grad`` first) and returns ``(objective value, scores)`` for the batch."""

    def __init__(
        self,
        model: Callable,
        loss_fn: Callable,
        loss_name: str,
        alpha: float,
        params: Sequence[Value],
        mode: str | bool = "auto",
        full_batch: bool = True,
    ) -> None:
        mode = "auto" if mode is True else mode
        if mode not in MODES:
            raise ValueError(
                f"compile must be True, False or one of {', '.join(MODES)}, got {mode!r}"
            )
        if mode == "numpy" and not _numpy_available():
            raise ImportError("compile='numpy' needs numpy (pip install numpy)")
        self.model, self.loss_fn, self.loss_name = model, loss_fn, loss_name
        self.alpha, self.params = alpha, list(params)
        self.mode = mode
        built_in = _losses.LOSSES.get(loss_name) is loss_fn
        split = loss_name == "cross_entropy" or loss_name in _losses.TERMS
        self.custom = not (built_in and split)
        if self.custom and not full_batch:
            raise ValueError(
                f"compile=True with the loss {loss_name!r} needs full batches (batch_size=None): "
                f"only the losses with a per-example term (cross_entropy and "
                f"{', '.join(_losses.TERMS)}) can be split into per-example programs"
            )
        self.programs: dict[Any, Program] = {}
        self.l2: Program | None = None
        if alpha:
            params_ = self.params
            self.l2 = trace(lambda: alpha * _losses.l2(params_), name="l2")

    # -- the per-example programs --------------------------------------------------------------

    def _key(self, target: Any) -> Any:
        if self.loss_name == "cross_entropy":
            return int(target)
        if self.loss_name == "bce_with_logits":
            return tuple(float(t) == 0.0 for t in _flat(target))
        return None

    def _program(self, key: Any, x: Any, target: Any) -> Program:
        if key in self.programs:
            return self.programs[key]
        model, name = self.model, self.loss_name
        if name == "cross_entropy":

            def example(x):
                zs = model(x)
                return [_losses.cross_entropy(zs, key), *zs]

            program = trace(example, x, name=f"cross_entropy[{key}]")
        else:
            term = _losses.TERMS[name]

            def example(x, t):  # type: ignore[misc]
                scores = _flat(model(x))
                ts = _flat(t)
                if len(ts) != len(scores):
                    raise ValueError(
                        f"{name}: {len(scores)} scores but {len(ts)} targets per example"
                    )
                terms = [  # a target known to be 0 is the number 0 (bce drops - z·0)
                    term(s, 0.0 if zero else ti)
                    for s, ti, zero in zip(scores, ts, key or [False] * len(ts))
                ]
                return terms + scores

            program = trace(example, x, target, name=name)
        self.programs[key] = program
        return program

    # -- one step -------------------------------------------------------------------------------

    def run(self, Xb: Sequence, yb: Sequence) -> tuple[float, list]:
        """Add ∂objective/∂p to every parameter's ``.grad``; return (objective, scores)."""
        if self.custom:
            return self._run_custom(Xb, yb)
        n = len(Xb)
        keyed = self.loss_name in ("cross_entropy", "bce_with_logits")
        keys = [self._key(t) for t in yb] if keyed else [None] * n
        programs = [self._program(k, x, t) for k, x, t in zip(keys, Xb, yb)]
        outputs = len(programs[0]._layout.outputs)
        k_out = 1 if self.loss_name == "cross_entropy" else outputs // 2  # terms per example
        seed = 1.0 / (n * k_out) if n * k_out > 1 else 1.0  # ∂objective/∂term
        seeds = (seed,) * k_out + (0.0,) * (outputs - k_out)
        if self.l2 is not None:
            reg = self.l2.backward()  # backward() visits the L2 term first
        use_numpy = self.mode == "numpy" or (
            self.mode == "auto" and n >= NUMPY_MIN_BATCH and _numpy_available()
        )
        step = self._numpy_step if use_numpy else self._float_step
        terms, scores = step(Xb, yb, keys, programs, seeds, k_out)
        objective = terms[0]  # the eager loss: Σ terms left to right, times 1/N
        for term in terms[1:]:
            objective = objective + term
        if len(terms) > 1:
            objective = objective * (1.0 / len(terms))
        if self.l2 is not None:
            objective = objective + reg
        return objective, scores

    def _row(self, x: Any, t: Any) -> tuple:
        xs = tuple(float(v) for v in _flat(x))
        if self.loss_name == "cross_entropy":
            return xs
        return xs + tuple(float(v) for v in _flat(t))

    def _scores(self, out: Sequence, k_out: int) -> Any:
        rest = out[k_out:]
        return list(rest) if len(rest) > 1 or self.loss_name == "cross_entropy" else rest[0]

    def _float_step(self, Xb, yb, keys, programs, seeds, k_out) -> tuple[list, list]:
        n = len(Xb)
        rows = [self._row(x, t) for x, t in zip(Xb, yb)]
        outs: list = [None] * n
        i = n - 1
        while i >= 0:  # runs of examples sharing a program, last example first
            j = i
            while j > 0 and programs[j - 1] is programs[i]:
                j -= 1
            chunk = programs[i].backward_rows(rows[j : i + 1][::-1], [seeds] * (i + 1 - j))
            outs[j : i + 1] = chunk[::-1]
            i = j - 1
        terms = [term for out in outs for term in out[:k_out]]
        return terms, [self._scores(out, k_out) for out in outs]

    def _numpy_step(self, Xb, yb, keys, programs, seeds, k_out) -> tuple[list, list]:
        import numpy as np

        n = len(Xb)
        xs = np.asarray(Xb, dtype=float).reshape(n, -1)
        if self.loss_name != "cross_entropy":
            xs = np.hstack([xs, np.asarray(yb, dtype=float).reshape(n, -1)])
        groups: dict[Any, list[int]] = {}
        for i, k in enumerate(keys):
            groups.setdefault(k, []).append(i)
        outputs = len(seeds)
        results = np.empty((n, outputs))
        for indices in groups.values():
            program = programs[indices[0]]
            block = xs if len(indices) == n else xs[indices]
            m = len(block)
            args = self._arguments(program, [block[:, j] for j in range(block.shape[1])])
            result = program.backward(*args, seed=[np.full(m, s) for s in seeds])
            result = result if isinstance(result, list) else [result]
            results[indices] = np.stack(result, axis=1)
        terms = results[:, :k_out].ravel().tolist()
        rest = results[:, k_out:]
        if rest.shape[1] == 1 and self.loss_name != "cross_entropy":
            return terms, rest[:, 0].tolist()
        return terms, rest.tolist()

    @staticmethod
    def _arguments(program: Program, columns: list) -> list:
        import numpy as np

        args, j = [], 0
        for shape in program.shapes:
            if shape is None:
                args.append(columns[j])
                j += 1
            else:
                args.append(np.stack(columns[j : j + shape], axis=1))
                j += shape
        return args

    # -- a custom loss: the whole objective as one program ----------------------------------------

    def _run_custom(self, Xb: Sequence, yb: Sequence) -> tuple[float, list]:
        program = self.programs.get("batch")
        model, loss_fn, alpha, params = self.model, self.loss_fn, self.alpha, self.params
        if program is None:
            sizes = [len(_flat(x)) for x in Xb]
            listy = [isinstance(x, (list, tuple)) for x in Xb]
            targets = list(yb)
            counts: list[int] = []

            def objective(*flat):
                xs, i = [], 0
                for size, is_list in zip(sizes, listy):
                    xs.append(list(flat[i : i + size]) if is_list else flat[i])
                    i += size
                scores = [model(x) for x in xs]
                counts[:] = [len(_flat(s)) for s in scores]
                value = loss_fn(scores, targets)
                if alpha:
                    value = value + alpha * _losses.l2(params)
                return [value, *(s for score in scores for s in _flat(score))]

            flat_x = [v for x in Xb for v in _flat(x)]
            program = self.programs["batch"] = trace(objective, *flat_x, name="objective")
            self._counts = counts
        flat = [float(v) for x in Xb for v in _flat(x)]
        width = len(program._layout.outputs)
        outs = program.backward(*flat, seed=[1.0] + [0.0] * (width - 1))
        scores, i = [], 1
        for k in self._counts:
            scores.append(outs[i] if k == 1 else list(outs[i : i + k]))
            i += k
        return outs[0], scores

    def validate(self, X: Sequence, y: Sequence) -> None:
        """Raise what the eager loss raises on these targets (labels ±1, class indices...)."""
        if self.custom:
            return
        with no_grad():
            k = len(_flat(self.model(X[0])))
            dummy = [[0.0] * k if k > 1 or self.loss_name == "cross_entropy" else 0.0 for _ in y]
            self.loss_fn(dummy, list(y))
