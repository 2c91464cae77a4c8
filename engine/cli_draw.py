"""Deprecated: moved to `engine.cli.draw`."""

from engine._moved import alias

alias(__name__, "engine.cli.draw")
