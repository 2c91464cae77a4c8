"""What a traced program is made of: slots, instructions, guards.

Every number a program handles lives in a numbered *slot*: first the inputs (flattened), then the
parameters (Values held by reference), then the constants (numbers baked in at trace time, and
Values computed before the trace, held as the number they had), then one slot per recorded
node, in the order the forward pass computed them. An `Instruction` says "slot `out` =
op(slots `inputs`, constant `arg`)"; its op is a row of the op table. A few constant slots are
*shifts*, recomputed on every replay (log_softmax's max, `max_shift`); each `Guard` is checked
before the instruction eager decided it at (`Layout.guard_at`).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from engine.core.ops import OPS
from engine.core.value import Value

__all__ = ["Instruction", "Guard", "Layout", "max_shift"]


def max_shift(*logits: float) -> float:
    """The constant `engine.log_softmax` subtracts from its logits: m = max(logits) as Python's
    ``max`` picks it (the first of equals; a NaN first stays), or 0.0 where it subtracts nothing
    (m is 0, infinite or NaN). Subtracting 0.0 changes no number, so a program always
    subtracts this."""
    m = logits[0]
    for x in logits[1:]:
        if x > m:
            m = x
    return m if m != 0.0 and m - m == 0.0 else 0.0


class Instruction(NamedTuple):
    """``out = op(*inputs)``: op name (a row of `engine.core.ops.OPS`), argument slots, the op's
    constant parameter (α of leaky_relu, the exponent of ``x ** 3``) or None, result slot."""

    op: str
    inputs: tuple[int, ...]
    arg: float | None
    out: int


class Guard(NamedTuple):
    """A comparison Python code made on ``.data`` at trace time, re-checked on every replay.

    ``fn(*values of slots)`` recomputes it; `expected` is what it gave at trace time; `code`
    shows it with slot placeholders ``{0}``, ``{1}``...; `where` is ``file:line: source``;
    `before` is the first instruction made after the comparison ran: the guard is checked before
    it runs, as eager decided there (``len(instructions)`` if none was).
    """

    slots: tuple[int, ...]
    fn: Callable
    expected: object
    code: str
    where: str
    before: int = -1


class Layout:
    """The flat program: slot counts, names, instructions, outputs and guards."""

    __slots__ = (
        "n_inputs",
        "params",
        "constants",
        "instructions",
        "outputs",
        "names",
        "guards",
        "n_slots",
        "constant_needs_grad",
        "backward_order",
        "shifts",
        "shift_at",
        "guard_at",
        "table_version",
        "rows",
    )

    def __init__(
        self,
        n_inputs: int,
        params: list[Value],
        constants: list[float],
        instructions: list[Instruction],
        outputs: list[int | float],
        names: list[str],
        guards: list[Guard],
        constant_needs_grad: list[bool] | None = None,
        backward_order: list[int] | None = None,
        shifts: dict[int, tuple[int, ...]] | None = None,
        table_version: int = -1,
    ) -> None:
        self.n_inputs = n_inputs
        self.params = params
        self.constants = constants
        self.instructions = instructions
        self.outputs = outputs  # a slot number, or a float for an output that is a plain number
        self.names = names
        self.guards = guards
        self.n_slots = len(names)
        # per constant: does backward() want its gradient? (a Value(c) made inside the function
        # does, so an inf gradient there raises; the 2 of ``x * 2`` does not, as in PyTorch)
        self.constant_needs_grad = constant_needs_grad or [False] * len(constants)
        # the instructions' indices in the order backward() visits their nodes (outputs first;
        # not always reverse creation order, and gradients add up in this order)
        self.backward_order = (
            list(range(len(instructions) - 1, -1, -1)) if backward_order is None else backward_order
        )
        # constant slots recomputed on every replay: ``slot -> the logits' slots`` (the max
        # shift of log_softmax, `max_shift`), each computed just before its first use
        self.shifts = shifts or {}
        first_use: dict[int, int] = {}
        for k, ins in enumerate(instructions):
            for s in ins.inputs:
                if s in self.shifts:
                    first_use.setdefault(s, k)
        self.shift_at: dict[int, list[int]] = {}
        for s in self.shifts:
            self.shift_at.setdefault(first_use.get(s, len(instructions)), []).append(s)
        # the guards checked before instruction k (k = len(instructions): after the last)
        self.guard_at: dict[int, list[int]] = {}
        for i, guard in enumerate(guards):
            at = len(instructions) if guard.before < 0 else guard.before
            self.guard_at.setdefault(at, []).append(i)
        self.table_version = table_version  # `engine.core.ops.table_version()` when traced
        # the op rows the instructions run, as the table had them when traced
        self.rows = {ins.op: OPS.get(ins.op) for ins in instructions}

    @property
    def first_param(self) -> int:
        return self.n_inputs

    @property
    def first_constant(self) -> int:
        return self.n_inputs + len(self.params)

    @property
    def first_node(self) -> int:
        return self.n_inputs + len(self.params) + len(self.constants)

    def kind(self, slot: int) -> str:
        """ "input", "parameter", "constant" or "node"."""
        if slot < self.first_param:
            return "input"
        if slot < self.first_constant:
            return "parameter"
        if slot < self.first_node:
            return "constant"
        return "node"

    def output_slots(self) -> list[int]:
        return [o for o in self.outputs if type(o) is int]
