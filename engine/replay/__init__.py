"""Replay: record a computation once with `trace`, run it again on new numbers as a `Program`.

    from engine import trace
    program = trace(lambda a, b: (a * b + 1).tanh(), 2.0, 3.0)
    program(0.5, -1.0)            # the value at new inputs
    program.grad(0.5, -1.0)       # (∂/∂a, ∂/∂b)
    print(program)                # the forward and backward code it runs

Modules: `trace` (recording), `program` (`Program`: replay, inputs, errors), `codegen` (Python
source from the op table), `symbolic` (running the table's rules on symbols), `interpret` (the
eager-exact reference loop), `batched` (numpy, imported lazily), `probe` (guards on ``.data``).
"""

from engine.replay.errors import GuardError, TraceError
from engine.replay.program import Program
from engine.replay.trace import trace

__all__ = ["trace", "Program", "GuardError", "TraceError"]
