"""Replay: record a computation once with `trace`, run it again on new numbers as a `Program`.

    from engine import trace
    program = trace(lambda a, b: (a * b + 1).tanh(), 2.0, 3.0)
    program(0.5, -1.0)            # the value at new inputs
    program.grad(0.5, -1.0)       # (∂/∂a, ∂/∂b)
    print(program)                # the forward and backward code it runs

What a program holds: its inputs are slots; leaves the function did not receive (Parameters,
Values made before the trace) are read by reference on every replay, as eager reads them; a
Value *computed* before the trace (``h = w * 2`` outside, then ``trace(lambda x: x * h, 1.0)``)
is a constant of the program, holding the number it had when traced (eager does not recompute
it either), and passes no gradient on to ``w``. A program made before an op it runs is
redefined raises `StaleProgramError`.

Modules: `trace` (recording), `program` (`Program`: replay, inputs, errors), `codegen` (Python
source from the op table), `symbolic` (running the table's rules on symbols), `interpret` (the
eager-exact reference loop), `batched` (numpy, imported lazily), `probe` (guards on ``.data``).
"""

from engine.replay.errors import GuardError, StaleProgramError, TraceError
from engine.replay.program import Program
from engine.replay.trace import trace

__all__ = ["trace", "Program", "GuardError", "TraceError", "StaleProgramError"]
