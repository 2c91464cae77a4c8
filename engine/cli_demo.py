"""Deprecated: moved to `engine.cli.demo`."""

from engine._moved import alias

alias(__name__, "engine.cli.demo")
