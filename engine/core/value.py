"""`Value`: one number, the op that made it, its parents, and the gradient backward() leaves in it.

Forward: every operation on Values looks up its row in the op table (`engine.core.ops`), computes
the result with the row's forward rule and records a new node ``(data, op name, parents, arg)``.
The operator methods (``x + y``, ``x.tanh()``, ...) are made from the rows (each row names its
methods), so adding an op adds its method.

Backward: ``root.backward()`` hands the graph to the one chain-rule walker
(`engine.core.chain_rule`), which visits the nodes outputs first and sends each node's gradient
to its parents, ``x_bar += out_bar · ∂out/∂x``, with the local derivative from the op table.

This module reads top to bottom: checking numbers that come in, making nodes (the careful path
and the inlined hot path), the `Value` class, its subclasses, then the methods made from the table.
"""

from __future__ import annotations

import inspect
import itertools
import math
import numbers
from typing import TYPE_CHECKING, Any, Callable, Union

from engine.core import chain_rule
from engine.core.grad_mode import (
    _grad_enabled,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from engine.core.graph import topological_order
from engine.core.numfmt import fmt
from engine.core.ops import OPS, Op, _check_overflow, _forward_error, _method_doc
from engine.core.value_math import make_value_math

__all__ = [
    "Value",
    "Parameter",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "as_value",
    "as_float",
    "apply_op",
    "fmt_number",
    "sequence_mark",
    "leaf_kind",
    "set_node_hook",
    "OP_METHODS",
    "VALUE_MATH",
]

Number = Union[int, float]

_new = object.__new__
_next_seq = itertools.count().__next__  # creation order: parents are always numbered first


# --------------------------------------------------------------------------------------------
# Checking what comes in
# --------------------------------------------------------------------------------------------


def as_float(x: object, where: str) -> float:
    """`x` as a float if it is a real number (int, float, numpy scalar); TypeError otherwise,
    naming `where` and the value. bool is rejected on purpose: ``Value(True)`` is almost always
    a bug."""
    t = type(x)
    if t is float:
        return x  # type: ignore[return-value]
    if t is int:
        try:
            return float(x)  # type: ignore[arg-type]
        except OverflowError:
            raise OverflowError(f"{where}: the integer {x} is too large for a float") from None
    if isinstance(x, Value):
        raise TypeError(
            f"{where} needs a number, got a Value ({x!r}); use its .data for the number"
        )
    if t is bool or not isinstance(x, numbers.Real):
        raise TypeError(f"{where} needs a real number (int or float), got {t.__name__} {x!r}")
    return float(x)  # numpy and other numbers.Real scalars


def _as_arg(x: object, where: str) -> float:
    """An op's constant parameter (α, β, an exponent): a real number that is finite."""
    value = as_float(x, where)
    if not math.isfinite(value):
        raise ValueError(f"{where} must be finite, got {value!r}")
    return value


def as_value(x: object, where: str = "operand") -> Value:
    """`x` itself if it is a Value, else a new constant leaf holding the number `x`."""
    if isinstance(x, Value):
        return x
    return _leaf(as_float(x, where))


def sequence_mark() -> int:
    """A number above every existing Value's creation number and below every later one's.

    Call it before and after some work: the nodes the work created are exactly those whose
    ``_seq`` lies between the two marks (`nn` modules use this to tell drawings what they made).
    """
    return _next_seq()


# --------------------------------------------------------------------------------------------
# Making nodes
# --------------------------------------------------------------------------------------------

_node_hook: Callable[..., None] | None = None  # anomaly mode's check, while it is on


def set_node_hook(hook: Callable[..., None] | None) -> None:
    """Call ``hook(node, op, parents, arg)`` for every node made on the careful path (None: no
    hook). Anomaly mode (`engine.functional.anomaly`) checks and records nodes with it."""
    global _node_hook
    _node_hook = hook


def _leaf(data: float, label: str = "") -> Value:
    """A constant leaf: a number written into an expression (``x * 2``)."""
    node = _new(_Constant)
    node.data = data
    node.grad = 0.0
    node.op = ""
    node.parents = ()
    node.arg = None
    node.label = label
    node._seq = _next_seq()
    return node


def _operand(other: object, op_name: str) -> Value:
    """The other side of a binary operator as a Value (numbers become constant leaves)."""
    if isinstance(other, Value):
        return other
    t = type(other)
    if t is float or t is int:
        return _leaf(float(other))  # type: ignore[arg-type]
    return _leaf(as_float(other, f"the other operand of {op_name}"))


def _node(op: Op, data: float, parents: tuple, arg: object) -> Value:
    """The careful path: the result node of `op`, a plain leaf when gradients are off, an
    OverflowError for an infinite result of finite inputs, and the node hook (anomaly mode)."""
    if not _is_finite(data):  # fine if an input already was inf or nan, an overflow if not
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
    if _node_hook is not None:
        _node_hook(node, op, parents, arg)
    return node


def apply_op(op: Op, parents: tuple, arg: object = None) -> Value:
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


def _is_finite(x: float) -> bool:
    """x is neither inf nor NaN: ``x - x`` is 0 exactly then (inf - inf and NaN are NaN). One
    subtraction, where `math.isfinite` is a call: this runs once per node built."""
    return x - x == 0.0


# The build hot path. Each operator method is one Python call that does `apply_op` and `_node`
# inline (measured 15% faster to build a graph than calling them), and falls back to `_node`
# for an inf/NaN result and under no_grad.


def _binary_method(op: Op, reflected: bool = False) -> Callable:
    """The method for binary row `op`: ``x + y``, or ``2 + x`` when `reflected`."""
    name, forward, symbol = op.name, op.forward, op.symbol
    recording = _grad_enabled  # a local name: one ContextVar read per op

    def method(self, other):
        if type(other) is not Value:
            other = _operand(other, symbol)
        try:
            data = forward(self.data, other.data)
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            raise _forward_error(op, exc, (self.data, other.data), None) from None
        if data - data != 0.0 or not recording():  # inf/nan or no_grad: the careful path
            return _node(op, data, (self, other), None)
        node = _new(Value)
        node.data = data
        node.grad = 0.0
        node.op = name
        node.parents = (self, other)
        node.arg = None
        node.label = ""
        node._seq = _next_seq()
        return node

    def reflected_method(self, other):  # a number on the left: ``2 * x`` is mul(2, x)
        return method(_operand(other, symbol), self)

    made = reflected_method if reflected else method
    made.__annotations__ = {"other": "Value | float", "return": "Value"}
    return made


def _unary_method(op: Op) -> Callable:
    """The method for one-input row `op` (``x.tanh()``), inlined like `_binary_method`."""
    name, forward = op.name, op.forward
    recording = _grad_enabled

    def method(self):
        try:
            data = forward(self.data, None)
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            raise _forward_error(op, exc, (self.data,), None) from None
        if data - data != 0.0 or not recording():
            return _node(op, data, (self,), None)
        node = _new(Value)
        node.data = data
        node.grad = 0.0
        node.op = name
        node.parents = (self,)
        node.arg = None
        node.label = ""
        node._seq = _next_seq()
        return node

    method.__annotations__ = {"return": "Value"}
    return method


def _arg_method(op: Op) -> Callable:
    """The method for a one-input row with a constant parameter: ``x.leaky_relu(alpha=0.01)``."""
    arg_name, default = op.arg_name or "arg", op.arg_default
    where = f"{op.name}({arg_name})"

    def method(self, arg=default, /, **named):
        if named:  # the parameter by its name: x.leaky_relu(alpha=0.2)
            if set(named) != {arg_name}:
                raise TypeError(f"{op.name}() takes one parameter, {arg_name}, got {named!r}")
            arg = named[arg_name]
        return apply_op(op, (self,), _as_arg(arg, where))

    method.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY),
            inspect.Parameter(arg_name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default),
        ]
    )
    return method


# --------------------------------------------------------------------------------------------
# Value
# --------------------------------------------------------------------------------------------


class Value:
    """A scalar that remembers how it was computed.

    ``data``    the number (a float).
    ``grad``    ∂root/∂self after ``root.backward()``; 0.0 before.
    ``op``      the name of the op that made it (a row of `engine.core.ops.OPS`), ``""`` for a
                leaf.
    ``parents`` the Values it was computed from, in order (``a + a`` stores ``a`` twice).
    ``arg``     the op's constant parameter (α of leaky_relu, the exponent of ``x ** 3``), or None.
    ``label``   a name for printing and drawing.

    ``Value(data, _children=(), _op="", label="")`` accepts micrograd's signature for a leaf; a
    string in second place is the label (``Value(2.0, "a")``, the older signature).

    The operators and functions (``+ - * /``, ``x.tanh()``, ...) are made from the op table's
    rows (see the end of this module): ``help(Value.tanh)`` shows tanh's formula and its local
    derivative. Numbers on either side of an operator become constant leaves.
    """

    __slots__ = ("data", "grad", "op", "parents", "arg", "label", "_seq", "_bar")
    _bar: float  # the quick backward walk's scratch sum: set by the walk, meaningless outside it
    _recorded = True  # False for results computed under no_grad (see `_Unrecorded`)
    _needs_grad = True  # False for leaves PyTorch would not differentiate (constants, no_grad)

    def __init__(self, data: Number, _children=(), _op: str = "", label: str = "") -> None:
        if type(_children) is str and not label:  # Value(2.0, "a"): the label, as before
            _children, label = (), _children
        if _children != () or _op != "":
            _refuse_micrograd_node(data, _children, _op)
        if type(label) is not str:
            raise TypeError(f"Value(label) must be a str, got {type(label).__name__} {label!r}")
        self.data = as_float(data, "Value(data)")
        self.grad = 0.0
        self.op = ""
        self.parents: tuple[Value, ...] = ()
        self.arg: object = None
        self.label = label
        self._seq = _next_seq()

    def __repr__(self) -> str:
        text = f"Value(data={fmt_number(self.data)}, grad={fmt_number(self.grad)}"
        if self.op:
            text += f", op={self.op!r}"
        if self.label:
            text += f", label={self.label!r}"
        return text + ")"

    if TYPE_CHECKING:  # what type checkers see of the methods made from the table (the end)

        def __getattr__(self, name: str) -> Any: ...  # x.tanh(), x.relu(), ... (any row's)
        def __add__(self, other: Value | float) -> Value: ...
        def __radd__(self, other: Value | float) -> Value: ...
        def __sub__(self, other: Value | float) -> Value: ...
        def __rsub__(self, other: Value | float) -> Value: ...
        def __mul__(self, other: Value | float) -> Value: ...
        def __rmul__(self, other: Value | float) -> Value: ...
        def __truediv__(self, other: Value | float) -> Value: ...
        def __rtruediv__(self, other: Value | float) -> Value: ...
        def __neg__(self) -> Value: ...
        def __abs__(self) -> Value: ...

    def __pos__(self) -> Value:
        return self

    def __pow__(self, other: Value | Number) -> Value:
        """x ** c for a number c: op 'pow', ∂/∂x = c·x^(c-1).

        x ** y for a Value y: op 'pow_value', ∂/∂x = y·x^(y-1) and ∂/∂y = x^y·ln(x) (x > 0).
        Raises ZeroDivisionError for 0 ** negative, ValueError for a negative base with a
        non-integer exponent, OverflowError when the result is too large for a float.
        """
        if isinstance(other, Value):
            return apply_op(OPS["pow_value"], (self, other))
        return apply_op(OPS["pow"], (self,), _as_arg(other, "the exponent of **"))

    def __rpow__(self, other: Number) -> Value:
        """c ** x for a number c: a 'pow_value' node whose base is a constant leaf."""
        return apply_op(OPS["pow_value"], (_operand(other, "**"), self))

    # -- micrograd's and PyTorch's names (no cost to the ops) --------------------------------

    _prev = property(lambda self: set(self.parents), doc="micrograd's name: the parents, as a set")
    _op = property(lambda self: self.op, doc="micrograd's name for `op`")

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's per-node closure: there is none here, so say what to call instead."""
        raise AttributeError(
            "v._backward(): chainrule keeps no closure per node (the op table holds each local "
            "derivative); call root.backward() for the whole pass, or step it node by node with "
            "engine.Stepper(root)"
        )

    def item(self) -> float:
        """The number, as PyTorch's ``tensor.item()``: the same as ``.data``."""
        return self.data

    def detach(self) -> Value:
        """A new constant leaf holding this Value's number, cut from the graph (PyTorch's
        ``detach()``): gradients do not flow through it."""
        return _leaf(self.data)

    @property
    def requires_grad(self) -> bool:
        """Whether backward() differentiates this Value, as PyTorch's flag: True for inputs and
        parameters, and for a recorded result of at least one of them; False for constants
        (numbers written into an expression, `detach()`, ``requires_grad_(False)``), results
        of constants only, and results computed under no_grad."""
        if not self._recorded:
            return False
        if not self.parents:
            return self._needs_grad
        return any(leaf._needs_grad for leaf in chain_rule.order_of((self,), False)[1])

    def requires_grad_(self, requires_grad: bool = True) -> Value:
        """Make this leaf an input (True) or a constant (False), in place; returns it.

        A constant is still a leaf of the graphs that use it, and its ``.grad`` still shows
        what reached it (for teaching), but PyTorch's rules treat it as a number: an inf or NaN
        gradient reaching it is no error, and the optimisers do not step it. A `Parameter`
        stays a Parameter (a frozen weight, as ``p.requires_grad_(False)`` in PyTorch: still in
        ``parameters()`` and checkpoints). Only leaves can change (PyTorch's rule too).
        """
        if type(requires_grad) is not bool:
            raise TypeError(f"requires_grad_() takes True or False, got {requires_grad!r}")
        if self.parents:
            raise RuntimeError(
                f"requires_grad_() on {self!r}: only leaves can change, because this Value's "
                f"gradient is computed from its op ({self.op}); use .detach() for a constant copy"
            )
        if not self._recorded:
            raise RuntimeError(
                f"requires_grad_() on {self!r}: it was computed under no_grad(), so it has no "
                "graph; make a new Value(x.data) instead"
            )
        kind = type(self)
        if requires_grad:
            thawed = {_Constant: Value, _FrozenParameter: Parameter}.get(kind, kind)
            self.__class__ = thawed
        elif kind is not _Constant and kind is not _FrozenParameter:
            self.__class__ = _FrozenParameter if isinstance(self, Parameter) else _Constant
        return self

    def retain_grad(self) -> None:
        """PyTorch's ``retain_grad()``: nothing to do, because every node keeps the gradient of
        the latest backward pass in ``.grad`` (so that it can be shown)."""

    # -- comparisons and conversions: on the numbers, or a message that says what to write ---

    def __lt__(self, other: Value | Number) -> bool:
        """``a < b`` compares the numbers (``a.data < b.data``) and returns a bool."""
        return self.data < _compared(other, "<")

    def __le__(self, other: Value | Number) -> bool:
        """``a <= b`` compares the numbers and returns a bool."""
        return self.data <= _compared(other, "<=")

    def __gt__(self, other: Value | Number) -> bool:
        """``a > b`` compares the numbers and returns a bool (so ``max(a, b)`` is the Value
        with the larger number, and the gradient flows to it, as in PyTorch)."""
        return self.data > _compared(other, ">")

    def __ge__(self, other: Value | Number) -> bool:
        """``a >= b`` compares the numbers and returns a bool."""
        return self.data >= _compared(other, ">=")

    def __eq__(self, other: object) -> bool:
        """``a == b`` for two Values asks whether they are the same node (graphs keep Values in
        sets and dicts); against a number it raises, saying to compare ``a.data``."""
        return _same_node(self, other, "==")

    def __ne__(self, other: object) -> bool:
        """The negation of `__eq__`."""
        same = _same_node(self, other, "!=")
        return same if same is NotImplemented else not same

    __hash__ = object.__hash__  # by identity: graphs keep Values in sets and dicts

    def __int__(self) -> int:
        raise TypeError(
            f"int() of {self!r}: a Value is never turned into a number implicitly; write "
            "int(v.data) for the number"
        )

    def __round__(self, ndigits: int | None = None) -> float:
        raise TypeError(
            f"round() of {self!r}: a Value is never turned into a number implicitly; write "
            "round(v.data) for the number (rounding has no useful gradient)"
        )

    def __float__(self) -> float:
        raise TypeError(
            f"float() of {self!r}: a Value is never turned into a float implicitly, because "
            "math.exp(v) and friends would then silently drop the graph. For the number write "
            "v.item() or v.data; for maths on a Value use its methods (v.exp(), v.tanh(), ...)"
        )

    # -- backpropagation --------------------------------------------------------------------

    def backward(
        self,
        gradient: Number | Value | None = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        *,
        grad: Number | Value | None = None,
    ) -> None:
        """Fill ``.grad`` of every node this Value depends on with ∂self/∂node (times `gradient`).

        Seeds ``self`` with `grad` (∂self/∂self = 1) and applies the chain rule outputs first
        (`engine.core.chain_rule`), iteratively (a chain of 1,000,000 nodes is fine). The pass is
        atomic: if it raises, every ``.grad`` is as it was. Leaves accumulate across calls (and
        across threads running backward() at once), as in PyTorch: call `zero_grad()` (or the
        optimiser's) between steps. Interior nodes hold the gradient of the latest pass.

        ``create_graph=True`` makes every ``.grad`` it writes a Value (a graph that can be
        differentiated again), as PyTorch does. PyTorch's signature is accepted as is:
        ``backward(gradient=2.0)`` (``grad=`` is the older name) and ``retain_graph``, which
        changes nothing here because chainrule never frees a graph: backward() can always run
        again.
        """
        if retain_graph is not None and type(retain_graph) is not bool:
            raise TypeError(
                f"backward(retain_graph) must be True, False or None, got {retain_graph!r}"
            )
        if type(create_graph) is not bool:
            raise TypeError(f"backward(create_graph) must be True or False, got {create_graph!r}")
        if grad is not None:
            if gradient is not None:
                raise TypeError("backward() got both gradient= and grad=; pass one of them")
            gradient = grad
        if gradient is None:
            gradient = 1.0  # ∂self/∂self
        if not create_graph:
            chain_rule.backward(self, as_float(gradient, "backward(gradient)"))
            return
        if not _grad_enabled():
            raise RuntimeError(
                "backward(create_graph=True) inside no_grad(): the gradient would be built as a "
                "graph, but no_grad() records no graph; call it outside the no_grad() block "
                "(or pass create_graph=False for numbers)"
            )
        seed = gradient if isinstance(gradient, Value) else as_float(gradient, "backward(gradient)")
        chain_rule.backward(self, seed, VALUE_MATH)

    # -- pickle and copy.deepcopy: a graph of any depth, as one flat list --------------------

    def __reduce_ex__(self, protocol: Any) -> Any:
        """A leaf pickles as itself (its slots). A node with parents pickles as the flat list of
        the nodes it depends on, parents first, each naming its parents by their place in the
        list (leaves as themselves, so a parameter shared by two pickled graphs stays one
        object): no recursion, so pickle and ``copy.deepcopy`` take any depth."""
        if not self.parents:
            return object.__reduce_ex__(self, protocol)
        records: list[tuple] = []
        place: dict[Value, int] = {}
        for node in topological_order(self, include_leaves=False):
            parents = tuple(place.get(x, x) for x in node.parents)
            place[node] = len(records)
            records.append(
                (type(node), node.data, node.grad, node.op, parents, node.arg, node.label)
            )
        return (_rebuild_graph, (records,))

    def zero_grad(self) -> None:
        """Set ``.grad = 0.0`` on this Value and every node it depends on."""
        for node in topological_order(self):
            node.grad = 0.0


class Parameter(Value):
    """A Value that is a trainable leaf (a weight or a bias): drawn in the parameter colour.

    It behaves exactly like a Value; `nn` modules make their weights Parameters.
    """

    __slots__ = ()


class _FrozenParameter(Parameter):
    """A Parameter after ``requires_grad_(False)``: still a parameter of its module (saved,
    loaded, drawn as one), but the optimisers do not step it."""

    __slots__ = ()
    _needs_grad = False


class _Unrecorded(Value):
    """A Value computed while recording was off (`no_grad`): a leaf whose backward() raises."""

    __slots__ = ()
    _recorded = _needs_grad = False


class _Constant(Value):
    """A number written into an expression (the 2 of ``x * 2``): a leaf like any other, but an
    inf or NaN gradient reaching it is no error (PyTorch does not differentiate constants)."""

    __slots__ = ()
    _needs_grad = False


def _rebuild_graph(records: list[tuple]) -> Value:
    """The inverse of `Value.__reduce_ex__`: the nodes made again in order; the last one."""
    nodes: list[Value] = []
    for cls, data, grad, op, parents, arg, label in records:
        if not (isinstance(cls, type) and issubclass(cls, Value)) or op not in OPS:
            raise TypeError(f"not a pickled chainrule graph: node {cls!r} with op {op!r}")
        node = _new(cls)
        node.data, node.grad, node.op, node.arg, node.label = data, grad, op, arg, label
        node.parents = tuple(nodes[x] if type(x) is int else x for x in parents)
        node._seq = _next_seq()
        nodes.append(node)
    return nodes[-1]


def _same_node(v: Value, other: object, symbol: str) -> Any:
    """Whether `other` is the node `v` itself; a TypeError that says what to write when it is a
    number (``a == 2.0`` almost always means ``a.data == 2.0``)."""
    if isinstance(other, Value):
        return v is other
    if isinstance(other, numbers.Number):
        raise TypeError(
            f"{v!r} {symbol} {other!r}: {symbol} on Values asks whether two Values are the same "
            f"node; to compare the number write v.data {symbol} {other!r} (or math.isclose(v.data, "
            f"{other!r}))"
        )
    return NotImplemented


def _compared(other: object, symbol: str) -> float:
    """The number on the other side of a comparison."""
    if isinstance(other, Value):
        return other.data
    if isinstance(other, numbers.Real) and type(other) is not bool:
        return float(other)
    raise TypeError(
        f"Value {symbol} {type(other).__name__} {other!r}: compare with a number or a Value"
    )


def _refuse_micrograd_node(data: object, children: object, op: object) -> None:
    raise TypeError(
        f"Value({data!r}, {children!r}, {op!r}): a Value you create is a leaf, so its children "
        "must be () and its op ''. Ops record their own nodes: write the operation instead "
        "(a + b, a * b, a.tanh()); a new op is one row of engine/core/ops.py"
    )


def leaf_kind(node: Value) -> str:
    """What a leaf is: "parameter" (a `Parameter`), "input" (labelled) or "constant" (a number
    written into an expression, which gets no label). Drawings and narration both use this."""
    if isinstance(node, Parameter):
        return "parameter"
    if isinstance(node, _Constant):  # a number of the expression, even when labelled
        return "constant"
    return "input" if node.label else "constant"


def fmt_number(x: float | Value) -> str:
    """A number as chainrule prints it everywhere (repr, narration, drawings): significant
    digits, never a negative zero, scientific notation for tiny and huge numbers. A Value (a
    .grad after backward(create_graph=True)) shows its number."""
    if isinstance(x, Value):
        x = x.data
    return fmt(x)


# --------------------------------------------------------------------------------------------
# The methods made from the op table
# --------------------------------------------------------------------------------------------

OP_METHODS: dict[str, tuple[str, bool]] = {}
"""Every Value method made from a row: method name -> (op name, reflected?). Anomaly mode swaps
these for checked ones while it is on."""


def _reflected_name(name: str) -> str:
    return "__r" + name[2:]  # __add__ -> __radd__


def make_op_method(op: Op, reflected: bool = False, *, inline: bool = True) -> Callable:
    """The Value method for row `op`; ``inline=False`` builds through `apply_op` (the careful
    path, where the node hook sees every node: anomaly mode's methods)."""
    if op.arg_name is not None:
        return _arg_method(op)  # through apply_op already
    if inline:
        return _binary_method(op, reflected) if op.arity == 2 else _unary_method(op)

    def careful_binary(self, other):
        other = _operand(other, op.symbol)
        return apply_op(op, (other, self) if reflected else (self, other))

    def careful_unary(self):
        return apply_op(op, (self,))

    return careful_binary if op.arity == 2 else careful_unary


def _install(op: Op) -> None:
    """Give Value the methods row `op` names (a binary row's reflected one too)."""
    for name in op.methods:
        made = [(name, False)]
        if op.arity == 2:
            made.append((_reflected_name(name), True))
        for method_name, reflected in made:
            method = make_op_method(op, reflected)
            method.__name__ = method_name
            method.__qualname__ = f"Value.{method_name}"
            method.__doc__ = _method_doc(op)
            setattr(Value, method_name, method)
            OP_METHODS[method_name] = (op.name, reflected)


for _op in list(OPS.values()):
    _install(_op)
del _op


VALUE_MATH = make_value_math(Value)
"""The maths namespace that makes the op table's rules build graphs (``create_graph=True``):
`engine.core.value_math`, with Value leaves for gradients that are numbers."""
