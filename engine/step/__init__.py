"""Backpropagation one node at a time: narrated steps, the Stepper, the terminal stepper and the
HTML player.

    from engine.step import Stepper, backward_steps
    for step in backward_steps(out):
        print(step)          # the chain rule for one node, with its numbers

Modules: `narration` (Step, backward_steps), `trace` (forward_trace), `stepper` (Stepper),
`terminal` (print_all, interactive) and `player` (the self-contained HTML page).
"""

from engine.names import node_names
from engine.step.narration import ParentTerm, Step, backward_steps
from engine.step.stepper import Stepper
from engine.step.trace import ForwardTrace, TraceEntry, forward_trace

__all__ = [
    "backward_steps",
    "Step",
    "ParentTerm",
    "Stepper",
    "forward_trace",
    "ForwardTrace",
    "TraceEntry",
    "node_names",
]
