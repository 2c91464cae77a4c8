"""`Program`: a traced computation, replayed on new numbers, as floats or numpy batches.

    program = engine.trace(f, 2.0, 3.0)
    program(1.0, 4.0)              # f's value at new inputs (a float, or a list)
    program.grad(1.0, 4.0)         # (∂f/∂a, ∂f/∂b)
    program.backward(1.0, 4.0)     # adds ∂f/∂p to every parameter's .grad, as f(...).backward()
    program(np.array([...]), ...)  # a batch: arrays of shape (n,) in, arrays of n out
    print(program)                 # the forward and backward code it runs

Floats run Python source generated from the op table (`engine.replay.codegen`) and compiled
once; its numbers are the eager engine's, bit for bit. If that code meets an error, an inf or a
nan, the call is redone by the interpreter (`engine.replay.interpret`), which raises what the
eager engine raises or returns what it returns. Batches run generated numpy code; on a numpy
floating-point error they are redone example by example, and an error names the example.
"""

from __future__ import annotations

import contextlib
import linecache
import math
import weakref
from typing import Any, Iterator, Sequence

from engine.core.ops import FLOAT_MATH, OPS, table_version
from engine.replay.calling import Calling, _Careful, _ndarray
from engine.replay.codegen import FUNCTIONS, generate
from engine.replay.errors import GuardError, StaleProgramError
from engine.replay.interpret import run_backward, run_forward
from engine.replay.layout import Instruction, Layout, max_shift

__all__ = ["Program"]


class Program(Calling):
    """A recorded computation: instructions over slots, replayable on floats and batches.

    Made by `engine.trace`. Attributes: ``name``, ``input_names`` (one per flat input),
    ``parameters`` (the Values held by reference), ``instructions``, ``guards``,
    ``trace_seconds`` (how long tracing took).
    """

    __slots__ = (
        "_layout",
        "name",
        "arg_names",
        "shapes",
        "many",
        "trace_seconds",
        "_modules",
        "__weakref__",
    )

    def __init__(
        self,
        layout: Layout,
        *,
        name: str,
        arg_names: list[str],
        shapes: list[int | None],
        many: bool,
        trace_seconds: float,
    ) -> None:
        self._layout = layout
        self.name = name
        self.arg_names = arg_names
        self.shapes = shapes  # per argument: None for a number, d for a list of d numbers
        self.many = many  # did f return a list?
        self.trace_seconds = trace_seconds
        self._modules: dict[str, dict] = {}

    # -- what it holds ----------------------------------------------------------------------

    @property
    def parameters(self) -> list:
        return list(self._layout.params)

    @property
    def instructions(self) -> list[Instruction]:
        return list(self._layout.instructions)

    @property
    def guards(self) -> list:
        return list(self._layout.guards)

    @property
    def input_names(self) -> list[str]:
        return self._layout.names[: self._layout.n_inputs]

    def __len__(self) -> int:
        return len(self._layout.instructions)

    def __repr__(self) -> str:
        layout = self._layout
        outputs = len(layout.outputs)
        return (
            f"Program({self.name!r}: inputs ({', '.join(self.input_names)}), "
            f"{len(layout.params)} parameters, {len(layout.instructions)} instructions, "
            f"{outputs} output{'s' if outputs != 1 else ''}, {len(layout.guards)} guards)"
        )

    # -- compiled code ----------------------------------------------------------------------

    def _function(self, target: str, name: str) -> Any:
        """The compiled generated function `name` for `target`, compiled on first use."""
        namespace = self._modules.get(target)
        if namespace is None:
            if target == "numpy":
                from engine.replay.batched import numpy_namespace

                namespace = numpy_namespace()
            else:
                namespace = {
                    "m": FLOAT_MATH,
                    "math": math,
                    "_INF": math.inf,
                    "_NAN": math.nan,
                    "_max_shift": max_shift,
                }
            namespace["_P"] = tuple(self._layout.params)
            namespace["_Careful"] = _Careful
            namespace["_check_guard"] = self._guard_checker(target)
            self._modules[target] = namespace
        if name not in namespace:
            source, bound = generate(self._layout, target, (name,))
            for bound_name, (kind, value) in bound.items():
                if kind == "index":
                    import numpy as np

                    namespace[bound_name] = np.array(value, dtype=np.intp)
                else:
                    op = OPS[value]
                    namespace[bound_name] = op.forward if kind == "F" else op.local
            filename = f"<replay {self.name} {target}.{name} {id(self):x}>"
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            weakref.finalize(self, linecache.cache.pop, filename, None)  # tracebacks show it
            # exec runs source generated from the op table only (engine.replay.codegen): names
            # are sanitised identifiers, numbers float literals; nothing comes from user text.
            exec(compile(source, filename, "exec"), namespace)
        return namespace[name]

    def source(self, target: str = "float") -> str:
        """The Python source this program runs: ``forward``, ``grad``, ``backward`` (and
        ``backward_rows``) for ``"float"`` or ``"numpy"`` (which needs numpy)."""
        if target not in ("float", "numpy"):
            raise ValueError(f"target must be 'float' or 'numpy', got {target!r}")
        self._check_table()
        if target == "numpy":
            from engine.replay.batched import numpy_math

            numpy_math()  # numpy must be importable
        return generate(self._layout, target, FUNCTIONS[:3] if target == "numpy" else FUNCTIONS)[0]

    def __str__(self) -> str:
        """The forward and backward functions, one line per node (forward lines shown once)."""
        text = self.source("float")
        blocks = {}
        for block in text.split("\n\n"):
            lines = [line for line in block.split("\n") if line and not line.startswith("#")]
            if lines:
                blocks[lines[0].split("(", 1)[0]] = lines
        forward = blocks["def forward"]
        backward = blocks["def backward" if self._layout.params else "def grad"]
        body = set(forward[1:])
        rest = backward[1:]
        chain = next(  # where the chain rule starts: before it, backward() repeats forward()
            (i for i, line in enumerate(rest) if line.lstrip().startswith("# the chain rule")),
            len(rest),
        )
        head = [line for line in rest[:chain] if line not in body]
        shown = [backward[0]]
        if len(head) < chain:
            shown.append("    ...  # the lines of forward() above, then:")
        shown.extend(head + rest[chain:])
        header = f"# {self!r}"
        return "\n".join([header, *forward, "", *shown])

    # -- running ----------------------------------------------------------------------------

    def _interpret(self, fn: str, flat: list, seeds: list) -> Any:
        layout = self._layout
        values = run_forward(layout, flat, self._guard_checker("float"))
        outs = tuple(values[o] if type(o) is int else o for o in layout.outputs)
        if fn == "forward":
            return outs
        bars = run_backward(layout, values, seeds, params=fn == "backward")
        return (outs, tuple(bars[: layout.n_inputs])) if fn == "grad" else outs

    def _check_table(self) -> None:
        """Raise `StaleProgramError` if an op this program runs was redefined or removed since
        it was traced; a change to other ops only brings the recorded version up to date."""
        layout = self._layout
        now = table_version()
        if layout.table_version == now:
            return
        changed = tuple(name for name, row in layout.rows.items() if OPS.get(name) is not row)
        if not changed:
            layout.table_version = now
            return
        shown = ", ".join(
            f"{name!r} ({'removed' if name not in OPS else 'redefined'})" for name in changed
        )
        raise StaleProgramError(
            f"program {self.name}: the op table changed since it was traced (version "
            f"{layout.table_version}, now {now}): {shown}. Its instructions were recorded with "
            f"the old rows, so replaying them would compute neither the old nor the new "
            f"function: trace it again.",
            changed,
        )

    def _run(self, fn: str, flat: list, seeds: list, n: int | None, via: str) -> Any:
        if via not in ("codegen", "interpreter"):
            raise ValueError(f"via must be 'codegen' or 'interpreter', got {via!r}")
        self._check_table()
        if n is not None:
            return self._run_batch(fn, flat, seeds, n, via)
        if via == "interpreter":
            return self._interpret(fn, flat, seeds)
        code = self._function("float", fn)
        try:
            return code(*flat, *seeds)
        except (_Careful, ArithmeticError, ValueError, GuardError):
            pass  # the interpreter raises what eager raises first (an op's error before a guard)
        return self._interpret(fn, flat, seeds)

    def _run_batch(self, fn: str, flat: list, seeds: list, n: int, via: str) -> Any:
        import numpy as np

        from engine.replay.batched import ERRSTATE

        if via == "codegen":
            code = self._function("numpy", fn)
            try:
                with np.errstate(**ERRSTATE):
                    return code(*flat, *seeds)
            except (_Careful, ArithmeticError, ValueError, GuardError):
                pass  # example by example: the first that fails raises what eager raises
        rows = [[x[k] if _ndarray(x) else x for x in flat] for k in range(n)]
        seed_rows = [[s[k] for s in seeds] for k in range(n)]
        results: list = [None] * n
        for k in range(n):  # every forward first: an error leaves the gradients untouched
            results[k] = self._example(k, "forward", rows[k], [], via)
        if fn != "forward":
            order = range(n - 1, -1, -1) if fn == "backward" else range(n)
            with _restoring_on_error(self._layout.params):  # atomic, as backward()
                for k in order:
                    results[k] = self._example(k, fn, rows[k], seed_rows[k], via)
        if fn == "grad":
            outs = tuple(np.array([r[0][j] for r in results]) for j in range(len(seeds)))
            bars = tuple(np.array([r[1][i] for r in results]) for i in range(len(flat)))
            return outs, bars
        return tuple(np.array([r[j] for r in results]) for j in range(len(self._layout.outputs)))

    def _example(self, k: int, fn: str, row: list, seeds: list, via: str) -> Any:
        try:
            return self._run(fn, [float(x) for x in row], [float(s) for s in seeds], None, via)
        except GuardError as exc:
            if exc.example is not None:
                raise
            raise self._guard_error(exc.guard, exc.got, exc.values, k) from None
        except (ArithmeticError, ValueError) as exc:
            raise type(exc)(f"example {k}: {exc}") from None

    def __call__(self, *inputs: Any, via: str = "codegen") -> Any:
        """The outputs at these inputs: a float (or list) for numbers, arrays for a batch."""
        flat, n = self._parse(inputs)
        return self._result(self._run("forward", flat, [], n, via), n)

    def grad(self, *inputs: Any, seed: Any = None, via: str = "codegen") -> tuple:
        """∂(seed·outputs)/∂input for each input argument, as a tuple (PyTorch's
        ``autograd.grad``). A list input gives a list (a batch: an (n, d) array); a batch gives
        per-example arrays. `seed` is ∂L/∂output: 1.0 by default for one output."""
        flat, n = self._parse(inputs)
        outs, bars = self._run("grad", flat, self._seeds(seed, n), n, via)
        return self._grads(bars, n)

    def backward(self, *inputs: Any, seed: Any = None, via: str = "codegen") -> Any:
        """Add ∂(seed·outputs)/∂p to every parameter's ``.grad``, as ``f(...).backward()``
        would, and return the outputs. For a batch the gradients are summed over it."""
        flat, n = self._parse(inputs)
        return self._result(self._run("backward", flat, self._seeds(seed, n), n, via), n)

    def backward_rows(
        self, rows: Sequence[Sequence[float]], seeds: Sequence[Sequence[float]]
    ) -> list:
        """Many examples as floats, parameters loaded once: ``rows[k]`` holds example k's flat
        inputs (floats), ``seeds[k]`` one seed per output. Gradients are added to the
        parameters' ``.grad`` in the order of the rows; returns each row's outputs (tuples).

        The fast path `nn.fit(compile=True)` uses without numpy; no input checks beyond lengths.
        """
        layout = self._layout
        self._check_table()
        if len(rows) != len(seeds):
            raise ValueError(f"backward_rows: {len(rows)} rows but {len(seeds)} seed rows")
        code = self._function("float", "backward_rows")
        try:
            return code(rows, seeds)
        except (_Careful, ArithmeticError, ValueError, GuardError):
            pass  # row by row: the first that fails raises what eager raises, naming it
        for k, (row, seed) in enumerate(zip(rows, seeds)):  # every forward first, as eager
            if len(row) != layout.n_inputs or len(seed) != len(layout.outputs):
                raise ValueError(
                    f"backward_rows: row {k} needs {layout.n_inputs} inputs and "
                    f"{len(layout.outputs)} seeds, got {len(row)} and {len(seed)}"
                )
            self._example(k, "forward", list(row), [], "interpreter")
        with _restoring_on_error(layout.params):  # atomic, as backward()
            return [
                self._example(k, "backward", list(row), list(seed), "interpreter")
                for k, (row, seed) in enumerate(zip(rows, seeds))
            ]


@contextlib.contextmanager
def _restoring_on_error(params: list) -> Iterator[None]:
    """Put every parameter's ``.grad`` back as it was if the block raises: a batch whose
    example k fails adds nothing, not the examples before it."""
    saved = [p.grad for p in params]
    try:
        yield
    except BaseException:
        for p, grad in zip(params, saved):
            p.grad = grad
        raise
