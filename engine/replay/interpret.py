"""The interpreter: replay a program one instruction at a time, exactly as the eager engine.

This is the reference path. It runs each op's forward and local-derivative rule from the table in
a loop over the instructions, checks every result as `Value` does (a domain error names the op
and its inputs; a finite input giving an infinite result is an OverflowError), and accumulates
gradients in the order `backward()` does, so its numbers are the eager engine's to the last bit.
Generated code (`engine.replay.codegen`) is faster; when it meets an error or an inf/nan it hands
the call to this interpreter, which raises what the eager engine would raise.
"""

from __future__ import annotations

import math

from engine.ops import FLOAT_MATH, OPS, describe_call
from engine.replay.layout import Instruction, Layout

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


def run_forward(layout: Layout, inputs: list[float]) -> list[float]:
    """Every slot's value for these inputs (parameters read now), checked as eager."""
    values = [0.0] * layout.n_slots
    values[: layout.n_inputs] = inputs
    for i, p in enumerate(layout.params):
        values[layout.first_param + i] = p.data
    values[layout.first_constant : layout.first_node] = layout.constants
    ops = OPS
    for k, ins in enumerate(layout.instructions):
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


def run_backward(layout: Layout, values: list[float], seeds: list[float], params: bool) -> list:
    """The chain rule in reverse instruction order; returns every slot's gradient.

    With `params`, the parameters' gradients start from their ``.grad`` and are written back,
    as ``backward()`` accumulates them.
    """
    bars = [0.0] * layout.n_slots
    if params:
        for i, p in enumerate(layout.params):
            bars[layout.first_param + i] = p.grad
    for slot, seed in zip(layout.outputs, seeds):
        if type(slot) is int:
            bars[slot] += seed
    reach = reachable(layout)
    ops, m = OPS, FLOAT_MATH
    for k, ins in enumerate(reversed(layout.instructions)):
        if not reach[ins.out]:
            continue
        op = ops[ins.op]
        out_bar = bars[ins.out]
        parents = ins.inputs
        try:
            if op.arity == 1:
                local = op.local(m, values[parents[0]], values[ins.out], ins.arg)
            elif op.arity == 2:
                local = op.local(m, values[parents[0]], values[parents[1]], values[ins.out])
            else:
                local = op.local(m, tuple(values[s] for s in parents), values[ins.out])
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            args = tuple(values[s] for s in parents)
            call = describe_call(op, args, ins.arg)
            where = _where(layout, len(layout.instructions) - 1 - k, ins)
            kind = ValueError if isinstance(exc, ValueError) else type(exc)
            formulas = ", ".join(op.derivatives)
            raise kind(
                f"backward through {call}{where}: the local derivative ({formulas}) is not "
                f"finite there ({exc})"
            ) from None
        for s, d in zip(parents, local):
            bars[s] += out_bar * d  # x_bar += out_bar · ∂out/∂x
    if params:
        for i, p in enumerate(layout.params):
            p.grad = bars[layout.first_param + i]
    return bars
