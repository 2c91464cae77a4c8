"""The interpreter: replay a program one instruction at a time, exactly as the eager engine.

This is the reference path. It runs each op's forward and local-derivative rule from the table in
a loop over the instructions, checks every result as `Value` does (a domain error names the op
and its inputs; a finite input giving an infinite result is an OverflowError), and accumulates
gradients in the order `backward()` does, so its numbers are the eager engine's to the last bit.
Generated code (`engine.replay.codegen`) is faster; when it meets an error or an inf/nan it hands
the call to this interpreter, which raises what the eager engine would raise.

Infinity in backward follows the engine (`engine.core.chain_rule`): a step whose local derivative
raises
(1/(2√x) at 0) or gives an inf/nan contribution is redone by the engine's own careful step, and
the call raises only if a leaf that wants a gradient (an input, a parameter, a ``Value(c)`` made
inside the function; not the 2 of ``x * 2``) ends up with an inf or NaN one. Gradients add up
in ``backward()``'s order (`Layout.backward_order`), so they are its numbers to the last bit.

``grad`` is ``engine.grad(outputs, inputs)``: it walks only the nodes that lead to an input and
raises only for an input's gradient (a parameter's inf gradient is nobody's business there).
``backward`` is ``out.backward()``: every leaf that wants a gradient counts, the inputs too, so
the generated ``backward`` computes the inputs' gradients as well, only to check them.
"""

from __future__ import annotations

import math
from typing import Callable

from engine.core.chain_rule import Pass, quick_pass, run_pass
from engine.core.ops import OPS, describe_call
from engine.replay.layout import Instruction, Layout, max_shift

__all__ = ["run_forward", "run_backward", "reachable"]


def _where(layout: Layout, k: int, ins: Instruction) -> str:
    args = ", ".join(layout.names[s] for s in ins.inputs)
    return f" (instruction {k}: {layout.names[ins.out]} = {ins.op}({args}))"


def _forward_error(layout: Layout, k: int, ins: Instruction, exc: Exception, args: tuple):
    op = OPS[ins.op]
    call = describe_call(op, args, ins.arg) + _where(layout, k, ins)
    if isinstance(exc, OverflowError):
        return OverflowError(f"{call} overflows a float (needs {op.domain})")
    if isinstance(exc, ZeroDivisionError):
        return ZeroDivisionError(f"{call}: division by zero (needs {op.domain})")
    return ValueError(f"{call} is undefined: it needs {op.domain} ({exc})")


def run_forward(
    layout: Layout, inputs: list[float], check_guard: Callable[..., None] | None = None
) -> list[float]:
    """Every slot's value for these inputs (parameters read now), checked as eager: each op's
    error where eager raises it, and each guard (``check_guard(i, *values)``) where eager
    decided it, before the nodes made after it run. log_softmax's shifts are computed before
    their first use (`max_shift`)."""
    values = [0.0] * layout.n_slots
    values[: layout.n_inputs] = inputs
    for i, p in enumerate(layout.params):
        values[layout.first_param + i] = p.data
    values[layout.first_constant : layout.first_node] = layout.constants
    ops = OPS
    shift_at, guard_at, shifts, guards = (
        layout.shift_at,
        layout.guard_at,
        layout.shifts,
        layout.guards,
    )
    for k, ins in enumerate([*layout.instructions, None]):
        if k in guard_at and check_guard is not None:
            for i in guard_at[k]:
                check_guard(i, *(values[s] for s in guards[i].slots))
        if k in shift_at:
            for s in shift_at[k]:
                values[s] = max_shift(*(values[d] for d in shifts[s]))
        if ins is None:
            break
        op = ops[ins.op]
        args = tuple(values[s] for s in ins.inputs)
        try:
            if op.arity == 1:
                data = op.forward(args[0], ins.arg)
            elif op.arity == 2:
                data = op.forward(args[0], args[1])
            else:
                data = op.forward(args)
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            raise _forward_error(layout, k, ins, exc, args) from None
        if data - data != 0.0 and all(math.isfinite(a) for a in args) and math.isinf(data):
            call = describe_call(op, args, ins.arg) + _where(layout, k, ins)
            raise OverflowError(f"{call} overflows a float (result {data!r})")
        values[ins.out] = data
    return values


def reachable(layout: Layout) -> list[bool]:
    """Slots some output depends on (what a backward pass visits)."""
    reach = [False] * layout.n_slots
    for o in layout.output_slots():
        reach[o] = True
    for ins in reversed(layout.instructions):
        if reach[ins.out]:
            for s in ins.inputs:
                reach[s] = True
    return reach


class _Leaf:
    """A slot standing in for a leaf Value, so the chain-rule walker runs over the program."""

    __slots__ = ("data", "label", "_needs_grad", "_bar")
    op = ""
    parents = ()
    arg = None

    def __init__(self, data: float, label: str, needs_grad: bool = True) -> None:
        self.data, self.label, self._needs_grad = data, label, needs_grad

    def __repr__(self) -> str:
        return self.label


class _Node:
    """An instruction standing in for its node Value, so the chain-rule walker runs over it."""

    __slots__ = ("op", "parents", "data", "arg", "k", "_bar")
    label = ""
    _needs_grad = True

    def __init__(self, op: str, parents: tuple, data: float, arg: object, k: int) -> None:
        self.op, self.parents, self.data, self.arg, self.k = op, parents, data, arg, k


def stand_ins(layout: Layout, values: list[float]) -> list:
    """One stand-in per slot: leaves for the inputs, parameters and constants, nodes for the
    instructions, holding this call's values: the program as a graph the walker can walk."""
    needs = layout.constant_needs_grad
    slots: list = []
    for s in range(layout.first_node):
        constant = s >= layout.first_constant
        wanted = not constant or needs[s - layout.first_constant]
        slots.append(_Leaf(values[s], layout.names[s], wanted))
    slots += [None] * (layout.n_slots - layout.first_node)
    for k, ins in enumerate(layout.instructions):
        parents = tuple(slots[i] for i in ins.inputs)
        slots[ins.out] = _Node(ins.op, parents, values[ins.out], ins.arg, k)
    return slots


def run_backward(layout: Layout, values: list[float], seeds: list[float], params: bool) -> list:
    """The chain rule over the program: every slot's gradient, by the engine's own walker.

    The program's slots become stand-in nodes (`stand_ins`) and `engine.core.chain_rule` walks
    them exactly as it walks the eager graph: the same order, the same careful step for inf,
    NaN or a rule that raises, the same error when an input's, a parameter's or a
    differentiable constant's gradient ends up inf or NaN (naming the instruction here). With
    `params`, the parameters' ``.grad`` get this pass's gradients added, as ``backward()`` does,
    once the whole pass has succeeded.
    """
    slots = stand_ins(layout, values)
    outputs, output_seeds = [], []
    for slot, seed in zip(layout.outputs, seeds):
        if type(slot) is int:
            outputs.append(slots[slot])
            output_seeds.append(seed)
    bars = [0.0] * layout.n_slots
    if not outputs:
        return bars
    p = Pass(outputs, output_seeds)
    asked = None  # backward(): every leaf that wants a gradient, as ``out.backward()``
    # grad(): every sum finite in the quick walk of the whole program, the inputs' gradients are
    # those of the walk restricted to them (only nodes that lead to an input add to one)
    quick = not params and p.quick and quick_pass(p, commit=False)
    if not params and not quick:  # grad(): only the inputs' gradients count, as engine.grad
        asked = slots[: layout.n_inputs]
        targets = {id(x) for x in asked}
        needed: set = set()
        for node in p.order:  # parents first: needed if it is an input or leads to one
            if id(node) in targets or any(x in needed for x in node.parents):
                needed.add(node)
        p.restrict(needed)
    try:
        if not quick:
            run_pass(p, asked)
    except (ArithmeticError, ValueError) as exc:
        origin = p.careful.origin if p.careful is not None else None
        if origin is None:
            raise
        ins = layout.instructions[origin.k]
        raise type(exc)(f"{exc}{_where(layout, origin.k, ins)}") from None
    index = {id(stand_in): s for s, stand_in in enumerate(slots)}
    for stand_in, bar in p.bars.items():
        bars[index[id(stand_in)]] = bar
    if params:
        for i, param in enumerate(layout.params):
            param.grad += bars[layout.first_param + i]
    return bars
