"""Backpropagation one node at a time: narrated steps, the Stepper, the terminal stepper and the
HTML player.

    from engine.step import Stepper, backward_steps
    for step in backward_steps(out):
        print(step)          # the chain rule for one node, with its numbers

Modules: `narration` (Step, backward_steps), `trace` (forward_trace), `stepper` (Stepper),
`terminal` (print_all, interactive) and `player` (the self-contained HTML page); for learners
`practice` (Practice, the learner computes each step), `check` (is a number right, and what went
wrong), `exercises` (seeded practice expressions), `derivation` (∂out/∂x written as the chain
rule), `gif` (the steps as an animated GIF), `notebook` (the player inside Jupyter) and
`lookup` (a node by its name; a name two nodes share is an error listing both).
"""

from engine.core.names import node_names
from engine.step.answers import check
from engine.step.derivation import Derivation, derivation
from engine.step.forward_trace import ForwardTrace, TraceEntry, forward_trace
from engine.step.narration import ParentTerm, Step, backward_steps
from engine.step.practice import Practice
from engine.step.stepper import Stepper

__all__ = [
    "backward_steps",
    "Step",
    "ParentTerm",
    "Stepper",
    "forward_trace",
    "ForwardTrace",
    "TraceEntry",
    "node_names",
    "Practice",
    "check",
    "derivation",
    "Derivation",
]
