"""`trace`: run a function once on Values and record what it computed as a `Program`.

The function runs eagerly on fresh input Values. Then the graph it built is walked from its
outputs (iteratively) and flattened into instructions in the order the forward pass computed
them. Each leaf becomes a slot of one of three kinds:

* an **input**: one of the Values made from the example inputs;
* a **parameter**: a `Parameter`, or any other leaf that existed before the trace started (a
  model's weights, a Value the function closes over). The program holds it by reference: every
  replay reads its current ``.data``, and ``program.backward`` adds to its ``.grad``;
* a **constant**: a number the function wrote into the computation (``x * 2``, ``1.0 - y``),
  baked into the program; and any *node* (a Value with parents) built before the trace and used
  by the function (``h = w * 2`` made outside): the function received a number there, not a
  computation, so the program holds the number ``h.data`` had when traced and never recomputes
  it from ``w`` (eager does not either), on floats, in generated code and in batches alike. No
  gradient flows through it to ``w``: to train ``w`` through a program, compute ``w * 2``
  inside the traced function.
"""

from __future__ import annotations

import bisect
import builtins
import inspect
import keyword
import numbers
import re
import time
from typing import Any, Callable, cast

from engine.core.ops import OPS, table_version
from engine.core.value import Parameter, Value, is_grad_enabled, sequence_mark
from engine.replay.errors import TraceError
from engine.replay.layout import Guard, Instruction, Layout
from engine.replay.probe import recording
from engine.replay.program import Program

__all__ = ["trace"]

# what generated code refers to besides names starting with ``_``: the maths namespaces and
# Python's builtins (``abs``, ``float``, ``zip``...), so a slot never shadows any of them
_RESERVED = frozenset({"m", "math", *dir(builtins)})


class _Namer:
    """Unique Python identifiers for slots: never starting with ``_`` (the generated code's own
    names do), never a keyword, and never clashing with another slot's ``<name>_bar``."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.tried: dict[str, int] = {}  # base -> the last k tried: linear, however many ``c``

    def __call__(self, wanted: str) -> str:
        if wanted.isascii() and wanted.isidentifier() and wanted[0] != "_":
            base = wanted  # already a name (most are): no regex
        else:
            base = re.sub(r"\W", "_", wanted, flags=re.ASCII).lstrip("_") or "v"
        if base[0].isdigit():
            base = "v" + base
        if keyword.iskeyword(base) or base in _RESERVED or base.endswith("_bar"):
            base += "_"
        k = self.tried.get(base, 1)
        name = base if k == 1 else f"{base}_{k}"
        while name in self.used or f"{name}_bar" in self.used:
            k += 1
            name = f"{base}_{k}"
        self.tried[base] = k
        self.used.update((name, f"{name}_bar"))
        return name


def _real(x: object) -> bool:
    return type(x) is not bool and isinstance(x, numbers.Real)


def _example(x: object, name: str) -> float | list[float]:
    """An example input as a float or a flat list of floats (a Value gives its number)."""
    if isinstance(x, Value):
        return x.data
    if _real(x):
        return float(x)  # type: ignore[arg-type]
    if isinstance(x, (list, tuple)) and x:
        return [_example(item, f"{name}[{i}]") for i, item in enumerate(x)]  # type: ignore[misc]
    raise TypeError(
        f"trace: example input {name} must be a number or a non-empty flat list of numbers, "
        f"got {type(x).__name__} {x!r}"
    )


def _argument_names(f: Callable, count: int) -> list[str]:
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind == p.VAR_POSITIONAL:
            break
    names = names[:count]
    return names + [f"x{i}" for i in range(len(names), count)]


def _outputs(result: object) -> tuple[list, bool]:
    """The function's result as a flat list of Values/floats, and whether it was a list."""
    items = list(result) if isinstance(result, (list, tuple)) else [result]
    for i, item in enumerate(items):
        if not isinstance(item, Value) and not _real(item):
            what = f"output {i}" if isinstance(result, (list, tuple)) else "the result"
            raise TraceError(
                f"trace: {what} must be a Value or a number (or a flat list of them), "
                f"got {type(item).__name__} {item!r}"
            )
    return items, isinstance(result, (list, tuple))


def _every_node(roots: list[Value], mark: int) -> list[Value]:
    """Every node the roots depend on, leaves first, then the others in post-order (as
    `engine.core.graph.post_order` walks; iterative). A node made before the trace (``_seq <
    mark``) is walked as a leaf: the program holds it, it does not recompute it."""
    order: list[Value] = []
    leaves: list[Value] = []
    seen: set[int] = set()
    for root in roots:
        if id(root) in seen:
            continue
        stack: list[Value | None] = [root]
        while stack:
            node = stack.pop()
            if node is None:  # a marker: the node under it has all of its parents listed now
                order.append(stack.pop())  # type: ignore[arg-type]
            elif id(node) not in seen:
                seen.add(id(node))
                if not node.parents or node._seq < mark:
                    leaves.append(node)
                    continue
                stack += [node, None]
                stack.extend(reversed(node.parents))  # popped in order: x before y
    return leaves + order


def _backward_order(walked: list[Value], interior: list[Value]) -> list[int]:
    """The instructions (indices into `interior`, creation order) in the order the chain rule
    visits them in ``backward()``: outputs first, the reverse of the post-order walk."""
    index = {id(node): k for k, node in enumerate(interior)}
    return [index[id(node)] for node in reversed(walked) if id(node) in index]


def trace(f: Callable[..., Any], *example_inputs: Any, name: str | None = None) -> Program:
    """Record what `f` does to Values, on these example inputs, as a replayable `Program`.

    Each example input is a number or a flat list of numbers; `f` receives Values in their place
    and must return a Value, a number, or a flat list of them. The program then runs the same
    computation on new numbers (``program(*inputs)``), differentiates it (``program.grad``,
    ``program.backward``), over numpy batches too, and prints as Python source.

    Leaves `f` did not receive and did not make (an ``nn`` model's parameters) are held by
    reference; nodes computed before the trace are constants holding their number at trace
    time. Comparisons `f` makes on ``.data`` become guards (see `engine.replay.probe`), checked
    where `f` made them.
    """
    if not callable(f):
        raise TypeError(f"trace needs a function, got {type(f).__name__} {f!r}")
    if not is_grad_enabled():
        raise TraceError("trace records a graph: call it outside no_grad()")
    started = time.perf_counter()
    arg_names = _argument_names(f, len(example_inputs))
    examples = [_example(x, arg_names[i]) for i, x in enumerate(example_inputs)]
    namer = _Namer()
    flat_names: list[str] = []
    shapes: list[int | None] = []
    mark = sequence_mark()
    args: list[Any] = []
    inputs: list[Value] = []
    for arg_name, example in zip(arg_names, examples):
        if isinstance(example, list):
            names = [namer(f"{arg_name}{j}") for j in range(len(example))]
            values = [Value(x, label=n) for x, n in zip(example, names)]
            args.append(values)
            shapes.append(len(example))
        else:
            names = [namer(arg_name)]
            values = [Value(example, label=names[0])]
            args.append(values[0])
            shapes.append(None)
        flat_names += names
        inputs += values
    with recording() as recorder:
        result = f(*args)
    outputs, many = _outputs(result)
    shifts = recorder.shifts
    shift_deps = [v for _, logits in shifts.values() for v in logits]
    guard_roots = [v for deps, *_ in recorder.guards for v in deps]
    unused = [v for v in recorder.created if v.parents and v._seq > mark]  # eager computed them
    roots = [o for o in outputs if isinstance(o, Value)] + guard_roots + unused + shift_deps
    walked = _every_node(roots, mark)
    nodes = sorted(walked, key=lambda node: node._seq)  # the forward runs in creation order
    input_slot = {id(v): i for i, v in enumerate(inputs)}
    params, constants, interior = [], [], []
    for node in nodes:
        if id(node) in input_slot and node is inputs[input_slot[id(node)]]:
            continue
        if node.parents and node._seq > mark:
            interior.append(node)
        elif node.parents:  # a node built before the trace: its number now, as eager reads it
            constants.append(node)
        elif isinstance(node, Parameter) or node._seq < mark:
            params.append(node)
        else:
            constants.append(node)
    slot: dict[int, int] = {id(v): i for i, v in enumerate(inputs)}
    names = list(flat_names)
    for p in params:
        slot[id(p)] = len(names)
        names.append(namer(p.label or "p"))
    for c in constants:
        slot[id(c)] = len(names)
        names.append(namer("c"))
    counts: dict[str, int] = {}
    for node in interior:
        slot[id(node)] = len(names)
        counts[node.op] = counts.get(node.op, 0) + 1
        names.append(namer(node.label or f"{node.op}{counts[node.op]}"))
    instructions = []
    for node in interior:
        if node.op not in OPS:
            raise TraceError(f"trace: node {node!r} has op {node.op!r}, which is not in the table")
        parents = tuple(slot[id(p)] for p in node.parents)
        arg = cast("float | None", node.arg)  # an op's constant parameter (α, β, c) or None
        instructions.append(Instruction(node.op, parents, arg, slot[id(node)]))
    guards = []
    first_constant = len(inputs) + len(params)
    shift_slots = {
        slot[key]: tuple(slot[id(v)] for v in logits)
        for key, (_, logits) in shifts.items()
        if key in slot
    }
    made = [node._seq for node in interior]
    for deps, fn, expected, code, where, decided in recorder.guards:
        slots = tuple(slot[id(d)] for d in deps)
        if all(
            first_constant <= s < first_constant + len(constants) and s not in shift_slots
            for s in slots
        ):
            continue  # a comparison of constants comes out the same on every replay
        # checked before the first node made after the comparison: eager decided there
        guards.append(Guard(slots, fn, expected, code, where, bisect.bisect(made, decided)))
    layout = Layout(
        len(inputs),
        params,
        [c.data for c in constants],
        instructions,
        [slot[id(o)] if isinstance(o, Value) else float(o) for o in outputs],
        names,
        guards,
        [c._needs_grad or bool(c.parents) for c in constants],
        _backward_order(walked, interior),
        shift_slots,
        table_version(),
    )
    return Program(
        layout,
        name=str(name or getattr(f, "__name__", "f")),
        arg_names=arg_names,
        shapes=shapes,
        many=many,
        trace_seconds=time.perf_counter() - started,
    )
