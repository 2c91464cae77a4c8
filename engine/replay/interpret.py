"""The interpreter: replay a program one instruction at a time, exactly as the eager engine.

This is the reference path. It runs each op's forward and local-derivative rule from the table in
a loop over the instructions, checks every result as `Value` does (a domain error names the op
and its inputs; a finite input giving an infinite result is an OverflowError), and accumulates
gradients in the order `backward()` does, so its numbers are the eager engine's to the last bit.
Generated code (`engine.replay.codegen`) is faster; when it meets an error or an inf/nan it hands
the call to this interpreter, which raises what the eager engine would raise.

Infinity in backward follows the engine (`engine.backprop`): a step whose local derivative raises
(1/(2√x) at 0) or gives an inf/nan contribution is redone by the engine's own careful step, and
the call raises only if a leaf that wants a gradient (an input, a parameter, a ``Value(c)`` made
inside the function; not the 2 of ``x * 2``) ends up with an inf or NaN one. Gradients add up
in ``backward()``'s order (`Layout.backward_order`), so they are its numbers to the last bit.

One difference: generated code checks only the gradients it computes (``grad``: the inputs',
``backward``: the parameters', both: the constants' that want one), so a gradient that overflows
to inf *without* any error, only in a leaf it does not compute (a parameter's in ``grad``, an
input's in ``backward``), is not reported there, where eager ``backward()`` and this
interpreter raise. (Computing those too would cost ``backward`` the inputs' gradients.)
"""

from __future__ import annotations

import math

from engine.backprop import _Careful
from engine.backprop import _careful_step as _engine_careful_step
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


class _Leaf:
    """A slot standing in for a leaf Value in the engine's careful step and its leaf check."""

    __slots__ = ("data", "grad", "label", "_needs_grad")

    def __init__(self, data: float, grad: float, label: str, needs_grad: bool = True) -> None:
        self.data, self.grad, self.label, self._needs_grad = data, grad, label, needs_grad

    def __repr__(self) -> str:
        return self.label


class _Node:
    """An instruction standing in for its node Value in the engine's careful step."""

    __slots__ = ("op", "parents", "data", "arg", "k")

    def __init__(self, op: str, parents: tuple, data: float, arg: object, k: int) -> None:
        self.op, self.parents, self.data, self.arg, self.k = op, parents, data, arg, k


def _careful_step(layout, k, ins, values, bars, out_bar, careful):
    """The engine's own careful step (`engine.backprop._careful_step`: IEEE arithmetic, the op's
    PyTorch form, who made a gradient non-finite) on this instruction's slots."""
    slots: dict[int, _Leaf] = {}
    for s in ins.inputs:  # one stand-in per slot: ``a + a`` adds to the same gradient twice
        if s not in slots:
            slots[s] = _Leaf(values[s], bars[s], layout.names[s])
    node = _Node(ins.op, tuple(slots[s] for s in ins.inputs), values[ins.out], ins.arg, k)
    careful = _engine_careful_step(node, out_bar, careful, 0.0)[0]  # type: ignore[arg-type]
    for s, leaf in slots.items():
        bars[s] = leaf.grad
    return careful


def run_backward(layout: Layout, values: list[float], seeds: list[float], params: bool) -> list:
    """The chain rule in ``backward()``'s order (`Layout.backward_order`); every slot's gradient.

    With `params`, the parameters' gradients start from their ``.grad`` and are written back,
    as ``backward()`` accumulates them. Exactly `engine.backprop.backward_pass`: a step whose
    local derivative raises or whose contributions are not finite is redone by the engine's
    careful step, and if an input's, a parameter's or a differentiable constant's gradient ends
    up inf or NaN because of such a step, this raises what ``backward()`` raises, naming the
    instruction where it started.
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
    careful = None
    for k in layout.backward_order:
        ins = layout.instructions[k]
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
            contributions = [out_bar * d for d in local]  # x_bar += out_bar · ∂out/∂x
            finite = all(c - c == 0.0 for c in contributions)
        except (ArithmeticError, ValueError):
            finite = False
        if finite:
            for s, c in zip(parents, contributions):
                bars[s] += c
        else:
            if careful is None:
                careful = _Careful(0.0)
                careful.nonfinite_sent = not all(math.isfinite(s) for s in seeds)
            careful = _careful_step(layout, k, ins, values, bars, out_bar, careful)
    if careful is not None and careful.origin is not None:
        _check_leaves(layout, bars, reach, careful)
    if params:
        for i, p in enumerate(layout.params):
            p.grad = bars[layout.first_param + i]
    return bars


def _check_leaves(layout: Layout, bars: list, reach: list[bool], careful: _Careful) -> None:
    """Raise as ``backward()`` does if a leaf that wants a gradient got an inf or NaN one."""
    needs = layout.constant_needs_grad
    for s in range(layout.first_node):
        if not reach[s] or math.isfinite(bars[s]):
            continue
        if s >= layout.first_constant and not needs[s - layout.first_constant]:
            continue  # a number written into the expression: PyTorch does not differentiate it
        try:
            careful.check_leaf(_Leaf(0.0, bars[s], layout.names[s]))  # type: ignore[arg-type]
        except (ArithmeticError, ValueError) as exc:
            origin = careful.origin
            ins = layout.instructions[origin.k]  # type: ignore[union-attr]
            raise type(exc)(f"{exc}{_where(layout, origin.k, ins)}") from None  # type: ignore[union-attr]
