"""Deprecated: moved to `engine.cli.step`."""

from engine._moved import alias

alias(__name__, "engine.cli.step")
