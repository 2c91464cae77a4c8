"""Every public name of `engine.draw`, under the module path code written against 0.2's
development tree used (``engine.draw.dot``). New code imports from `engine.draw`."""

import engine.draw as _draw

__all__ = list(_draw.__all__)

globals().update({name: getattr(_draw, name) for name in __all__})
