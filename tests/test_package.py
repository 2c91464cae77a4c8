"""Package hygiene: importing engine and nn is fast and pulls in no heavy dependency."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["graphviz", "numpy", "matplotlib", "tqdm", "torch"]


def test_importing_engine_and_nn_imports_nothing_heavy():
    code = (
        "import json, sys, engine, nn; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_engine_does_not_import_nn_or_demos():
    code = "import sys, engine; print('nn' in sys.modules, 'demos' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_public_names_of_the_design_exist():
    import engine

    for name in [
        "Value",
        "no_grad",
        "backward_steps",
        "draw_dot",
        "gradcheck",
        "softmax",
        "log_softmax",
        "logsumexp",
    ]:
        assert callable(getattr(engine, name)), name
