"""Deprecated: moved to `engine.step.narration`, `engine.step.stepper`, `engine.names`."""

from engine._moved import alias

alias(__name__, "engine.step.narration", "engine.step.stepper", "engine.names")
