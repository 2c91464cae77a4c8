"""Draw a computation graph as a `graphviz.Digraph`."""

from engine.draw.dot import *  # noqa: F403
from engine.draw.dot import __all__  # noqa: F401
