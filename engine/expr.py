"""Deprecated: moved to `engine.cli.expr`."""

from engine._moved import alias

alias(__name__, "engine.cli.expr")
