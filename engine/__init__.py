"""chainrule's autodiff engine: scalar Values, one op table, and an iterative backward pass.

    from engine import Value
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = (a * b + 1).tanh()
    c.backward()          # a.grad = ∂c/∂a, b.grad = ∂c/∂b
    (g,) = grad(c, a, create_graph=True)   # ∂c/∂a as a graph: differentiate it again

Drawing (`draw_dot`), stepping (`backward_steps`, `Stepper`), replay (`trace`, `Program`), your own
ops (`define_op`) and the number format (`set_printoptions`, `printoptions`) are loaded on first
use, so ``import engine`` stays fast and never imports graphviz.
"""

import importlib

from engine.core.graph import leaves, topological_order
from engine.core.ops import OPS, Op
from engine.core.value import (
    Parameter,
    Value,
    enable_grad,
    is_grad_enabled,
    no_grad,
    sequence_mark,
    set_grad_enabled,
)
from engine.functional.anomaly import (
    AnomalyError,
    detect_anomaly,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from engine.functional.gradcheck import GradcheckError, gradcheck
from engine.functional.gradgradcheck import gradgradcheck
from engine.functional.gradients import grad
from engine.functional.jacobians import hessian, hvp, jacobian, vhp
from engine.functional.jvp import jvp
from engine.functional.softmax import log_softmax, logsumexp, softmax

_LAZY = {
    "draw_dot": "engine.draw",
    "backward_steps": "engine.step",
    "Stepper": "engine.step",
    "forward_trace": "engine.step",
    "derivation": "engine.step.derivation",
    "check": "engine.step.answers",
    "define_op": "engine.functional.custom",
    "set_printoptions": "engine.core.numfmt",
    "printoptions": "engine.core.numfmt",
    "trace": "engine.replay",
    "Program": "engine.replay",
    "GuardError": "engine.replay",
    "TraceError": "engine.replay",
}

__all__ = [
    "Value",
    "Parameter",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "gradcheck",
    "GradcheckError",
    "grad",
    "jacobian",
    "hessian",
    "hvp",
    "vhp",
    "jvp",
    "gradgradcheck",
    "detect_anomaly",
    "set_detect_anomaly",
    "is_anomaly_enabled",
    "AnomalyError",
    "softmax",
    "log_softmax",
    "logsumexp",
    "topological_order",
    "leaves",
    "OPS",
    "Op",
    "sequence_mark",
    *_LAZY,
]


def __getattr__(name: str):
    """Import the drawing and stepping modules on first use of their names."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
