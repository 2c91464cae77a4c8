"""`Value`: one number, the op that made it, its parents, and the gradient backward() leaves in it.

Forward: every operation on Values looks up its row in the op table (`engine.ops`), computes the
result with the row's forward rule and records a new node ``(data, op name, parents, arg)``.

Backward: for a root ``L``, visit the nodes in reverse topological order (outputs before inputs).
Each node ``out`` already holds ``out_bar = ∂L/∂out`` when it is visited, because every node that
uses it came earlier. The chain rule sends it on to each parent ``x``:

    x_bar += out_bar · ∂out/∂x

where ``∂out/∂x`` is the local derivative from the op table. Gradients add up, so a node used twice
(``a + a``) receives two contributions. That loop, `engine.backprop.backward_pass`, is the whole
algorithm.
"""

from __future__ import annotations

from typing import Callable, Union

from engine import nodes as _nodes
from engine.backprop import backward_pass, local_derivatives
from engine.grad_mode import _grad_enabled, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from engine.graph import topological_order
from engine.nodes import (  # node making lives there; these names stay importable from here
    _as_arg,
    _as_float,
    _binary_method,
    _leaf,
    _new,
    _next_seq,
    _operand,
    _unary_method,
    sequence_mark,
)
from engine.numfmt import fmt
from engine.ops import OPS, Op, _check_overflow, _forward_error

__all__ = [
    "Value",
    "Parameter",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "local_derivatives",
    "as_value",
    "sequence_mark",
    "leaf_kind",
]

Number = Union[int, float]


def as_value(x: object, where: str = "operand") -> Value:
    """`x` itself if it is a Value, else a new constant leaf holding the number `x`."""
    if isinstance(x, Value):
        return x
    return _leaf(_as_float(x, where))


# --------------------------------------------------------------------------------------------
# Anomaly mode's hook
# --------------------------------------------------------------------------------------------

_anomaly_hook: Callable[..., None] | None = None  # set by engine.anomaly in anomaly mode


# --------------------------------------------------------------------------------------------
# The careful path (the operator methods' build hot path is in engine.nodes)
# --------------------------------------------------------------------------------------------


def _node(op: Op, data: float, parents: tuple, arg: object) -> Value:
    """The result node of `op`; a plain leaf when gradients are off.

    (`engine.nodes._binary_method` and `_unary_method` repeat these lines inline: they are the
    build hot path, and this is their careful path for inf/nan results and `no_grad`.)
    """
    if data - data != 0.0:  # inf or nan: fine if an input already was, an overflow if not
        _check_overflow(op, data, parents, arg)
    if _grad_enabled():
        node = _new(Value)
        node.op = op.name
        node.parents = parents
        node.arg = arg
    else:  # a leaf that remembers it has no graph: backward() on it raises
        node = _new(_Unrecorded)
        node.op = ""
        node.parents = ()
        node.arg = None
    node.data = data
    node.grad = 0.0
    node.label = ""
    node._seq = _next_seq()
    if _anomaly_hook is not None:  # anomaly mode (engine.anomaly): check, note where it was made
        _anomaly_hook(node, op, parents, arg)
    return node


def _apply(op: Op, parents: tuple, arg: object = None) -> Value:
    """Run `op`'s forward on the parents' data and record the result node (the general path)."""
    inputs = tuple(p.data for p in parents)
    try:
        if op.arity == 1:
            data = op.forward(inputs[0], arg)
        elif op.arity == 2:
            data = op.forward(inputs[0], inputs[1])
        else:
            data = op.forward(inputs)
    except (ValueError, ZeroDivisionError, OverflowError) as exc:
        raise _forward_error(op, exc, inputs, arg) from None
    return _node(op, data, parents, arg)


# --------------------------------------------------------------------------------------------
# Value
# --------------------------------------------------------------------------------------------


class Value:
    """A scalar that remembers how it was computed.

    ``data``    the number (a float).
    ``grad``    ∂root/∂self after ``root.backward()``; 0.0 before.
    ``op``      the name of the op that made it (a row of `engine.ops.OPS`), ``""`` for a leaf.
    ``parents`` the Values it was computed from, in order (``a + a`` stores ``a`` twice).
    ``arg``     the op's constant parameter (α of leaky_relu, the exponent of ``x ** 3``), or None.
    ``label``   a name for printing and drawing.

    ``Value(data, _children=(), _op="", label="")`` accepts micrograd's signature for a leaf; a
    string in second place is the label (``Value(2.0, "a")``, the older signature).
    """

    __slots__ = ("data", "grad", "op", "parents", "arg", "label", "_seq")
    _recorded = True  # False for results computed under no_grad (see `_Unrecorded`)
    _needs_grad = True  # False for leaves PyTorch would not differentiate (constants, no_grad)

    def __init__(self, data: Number, _children=(), _op: str = "", label: str = "") -> None:
        if type(_children) is str and not label:  # Value(2.0, "a"): the label, as before
            _children, label = (), _children
        if _children != () or _op != "":
            _refuse_micrograd_node(data, _children, _op)
        if type(label) is not str:
            raise TypeError(f"Value(label) must be a str, got {type(label).__name__} {label!r}")
        self.data = _as_float(data, "Value(data)")
        self.grad = 0.0
        self.op = ""
        self.parents: tuple[Value, ...] = ()
        self.arg: object = None
        self.label = label
        self._seq = _next_seq()

    # -- printing ---------------------------------------------------------------------------

    def __repr__(self) -> str:
        text = f"Value(data={_fmt(self.data)}, grad={_fmt(self.grad)}"
        if self.op:
            text += f", op={self.op!r}"
        if self.label:
            text += f", label={self.label!r}"
        return text + ")"

    # -- operators and functions, made from their op-table rows --------------------------------
    # Numbers on either side of an operator become constant leaves. Each method's docstring is
    # read off its row: `help(Value.tanh)` shows tanh's formula and its local derivative.

    __add__ = _binary_method("add", "+")
    __radd__ = _binary_method("add", "+", reflected=True)
    __sub__ = _binary_method("sub", "-")
    __rsub__ = _binary_method("sub", "-", reflected=True)
    __mul__ = _binary_method("mul", "*")
    __rmul__ = _binary_method("mul", "*", reflected=True)
    __truediv__ = _binary_method("div", "/")
    __rtruediv__ = _binary_method("div", "/", reflected=True)
    __neg__ = _unary_method("neg")

    exp = _unary_method("exp")
    log = _unary_method("log")
    sqrt = _unary_method("sqrt")
    abs = __abs__ = _unary_method("abs")
    sin = _unary_method("sin")
    cos = _unary_method("cos")
    erf = _unary_method("erf")
    tanh = _unary_method("tanh")
    sigmoid = _unary_method("sigmoid")
    relu = _unary_method("relu")
    softplus = _unary_method("softplus")
    gelu = _unary_method("gelu")
    binary_step = _unary_method("binary_step")

    def __pos__(self) -> Value:
        return self

    def __pow__(self, other: Value | Number) -> Value:
        """x ** c for a number c: op 'pow', ∂/∂x = c·x^(c-1).

        x ** y for a Value y: op 'pow_value', ∂/∂x = y·x^(y-1) and ∂/∂y = x^y·ln(x) (x > 0).
        Raises ZeroDivisionError for 0 ** negative, ValueError for a negative base with a
        non-integer exponent, OverflowError when the result is too large for a float.
        """
        if isinstance(other, Value):
            return _apply(OPS["pow_value"], (self, other))
        return _apply(OPS["pow"], (self,), _as_arg(other, "the exponent of **"))

    def __rpow__(self, other: Number) -> Value:
        """c ** x for a number c: a 'pow_value' node whose base is a constant leaf."""
        return _apply(OPS["pow_value"], (_operand(other, "**"), self))

    def leaky_relu(self, alpha: float = 0.01) -> Value:
        """x if x > 0 else αx;  ∂/∂x = 1 for x > 0, α for x ≤ 0 (α at the kink, as PyTorch)."""
        return _apply(OPS["leaky_relu"], (self,), _as_arg(alpha, "leaky_relu(alpha)"))

    def elu(self, alpha: float = 1.0) -> Value:
        """x if x > 0 else α(e^x - 1);  ∂/∂x = 1 for x > 0, αe^x for x ≤ 0 (α at 0, as PyTorch)."""
        return _apply(OPS["elu"], (self,), _as_arg(alpha, "elu(alpha)"))

    def swish(self, beta: float = 1.0) -> Value:
        """x·σ(βx);  ∂/∂x = σ(βx) + βx·σ(βx)(1 - σ(βx))."""
        return _apply(OPS["swish"], (self,), _as_arg(beta, "swish(beta)"))

    # -- micrograd's and PyTorch's names (no cost to the ops) --------------------------------

    _prev = property(lambda self: set(self.parents), doc="micrograd's name: the parents, as a set")
    _op = property(lambda self: self.op, doc="micrograd's name for `op`")

    def item(self) -> float:
        """The number, as PyTorch's ``tensor.item()``: the same as ``.data``."""
        return self.data

    def __float__(self) -> float:
        raise TypeError(
            f"float() of {self!r}: a Value is never turned into a float implicitly, because "
            "math.exp(v) and friends would then silently drop the graph. For the number write "
            "v.item() or v.data; for maths on a Value use its methods (v.exp(), v.tanh(), ...)"
        )

    # -- backpropagation --------------------------------------------------------------------

    def backward(self, grad: Number | Value = 1.0, *, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every node this Value depends on with ∂self/∂node (times `grad`).

        Seeds ``self`` with `grad` (∂self/∂self = 1) and applies the chain rule in reverse
        topological order, iteratively (a chain of 1,000,000 nodes is fine). Leaves accumulate
        across calls, as in PyTorch: call `zero_grad()` (or the optimiser's) between steps.
        Interior nodes hold the gradient of the latest pass.

        ``create_graph=True`` makes every ``.grad`` it writes a Value (a graph that can be
        differentiated again), as PyTorch does; see `engine.autograd.backward`.
        """
        if create_graph or _anomaly_hook is not None:  # graphs, or checked gradients
            from engine.autograd import backward

            return backward(self, grad, create_graph=create_graph)
        backward_pass(self, _as_float(grad, "backward(grad)"))

    def zero_grad(self) -> None:
        """Set ``.grad = 0.0`` on this Value and every node it depends on."""
        for node in topological_order(self):
            node.grad = 0.0


class Parameter(Value):
    """A Value that is a trainable leaf (a weight or a bias): drawn in the parameter colour.

    It behaves exactly like a Value; `nn` modules make their weights Parameters.
    """

    __slots__ = ()


class _Unrecorded(Value):
    """A Value computed while recording was off (`no_grad`): a leaf whose backward() raises."""

    __slots__ = ()
    _recorded = _needs_grad = False


class _Constant(Value):
    """A number written into an expression (the 2 of ``x * 2``): a leaf like any other, but an
    inf or NaN gradient reaching it is no error (PyTorch does not differentiate constants)."""

    __slots__ = ()
    _needs_grad = False


def _refuse_micrograd_node(data: object, children: object, op: object) -> None:
    raise TypeError(
        f"Value({data!r}, {children!r}, {op!r}): a Value you create is a leaf, so its children "
        "must be () and its op ''. Ops record their own nodes: write the operation instead "
        "(a + b, a * b, a.tanh()); a new op is one row of engine/ops.py"
    )


def leaf_kind(node: Value) -> str:
    """What a leaf is: "parameter" (a `Parameter`), "input" (labelled) or "constant" (a number
    written into an expression, which gets no label). Drawings and narration both use this."""
    if isinstance(node, Parameter):
        return "parameter"
    return "input" if node.label else "constant"


def _fmt(x: float) -> str:
    """A number as chainrule prints it everywhere (repr, narration, drawings): significant
    digits, never a negative zero, scientific notation for tiny and huge numbers. A Value (a
    .grad after backward(create_graph=True)) shows its number."""
    if isinstance(x, Value):
        x = x.data
    return fmt(x)


_nodes._bind(Value, _Constant, _node)  # the operator methods build these (engine.nodes)
