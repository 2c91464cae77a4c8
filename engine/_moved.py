"""Old module paths that moved in 0.2 keep working for one release, with a DeprecationWarning.

Each old module (``engine/steps.py``, ``engine/player.py``, ...) is a two-line file that calls
`alias`; nothing in the package imports them.
"""

from __future__ import annotations

import importlib
import sys
import warnings

__all__ = ["alias"]


def alias(old: str, *new: str) -> None:
    """Make module `old` hold every name of the modules `new`, and warn that it moved."""
    warnings.warn(
        f"{old} moved to {' and '.join(new)} in chainrule 0.2; the old path goes away in 0.3",
        DeprecationWarning,
        stacklevel=3,
    )
    namespace = sys.modules[old].__dict__
    for name in new:
        module = importlib.import_module(name)
        namespace.update({k: v for k, v in vars(module).items() if not k.startswith("__")})
