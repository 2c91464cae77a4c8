"""Deprecated: moved to `engine.step.player`."""

from engine._moved import alias

alias(__name__, "engine.step.player")
