"""Anomaly mode: stop at the first NaN or ±inf and say which op made it, from what, and where.

    with engine.detect_anomaly():
        loss = model(x)          # a forward result that is NaN or ±inf raises here
        loss.backward()          # so does the first gradient that becomes NaN or ±inf

Without it a NaN spreads silently: every op that touches it gives NaN, and training ends with a
NaN loss and no clue. In anomaly mode (as PyTorch's ``torch.autograd.detect_anomaly``)

* every node remembers the file, line and function of *your* code that created it (the first
  frames outside the engine package);
* every forward result is checked: NaN or ±inf raises `AnomalyError` naming the op, its inputs
  (and where each was made) and the line that made it. (A finite input that overflows is an
  OverflowError in every mode; anomaly mode catches what grows out of NaN or inf inputs.)
* every gradient the backward pass computes is checked: the first ``out_bar · ∂out/∂x`` that is
  NaN or ±inf raises `AnomalyError` naming the node whose backward made it, the numbers of the
  product, the derivative formula, and the line that created the node.

Cost. Off (the default), nothing: no check runs and nothing is stored; the op methods are the
plain ones. On, every node pays for a look at the call stack, and the chain-rule walker calls a
check for every contribution (`engine.core.chain_rule.set_gradient_check`), several times
slower: debug with it, train without it. The creation sites are kept in a dict keyed by
``id(node)``, only while the mode
is on, and dropped when it ends, so a Value carries no extra slot (bytes per node are unchanged).
Ids of dead nodes can be reused, so a site is only trusted for a node whose op matches it (the
interior nodes a pass reports on are alive, and each was recorded when it was made).

How. The op methods that build nodes inline (``+``, ``*``, ``tanh``, ...; see `engine.core.value`)
are swapped, while the mode is on, for methods that go through the engine's careful path, where
one hook (`engine.core.value.set_node_hook`) checks and records every node. The switch is
process-wide (like PyTorch's ``set_detect_anomaly``), not per thread.
"""

from __future__ import annotations

import linecache
import os
import sys
from types import FrameType
from typing import Any, Iterable, Sequence

from engine.core import chain_rule
from engine.core.chain_rule import AnomalyError
from engine.core.ops import OPS, Op, describe_call
from engine.core.value import OP_METHODS, Value, leaf_kind, make_op_method, set_node_hook

__all__ = [
    "AnomalyError",
    "detect_anomaly",
    "set_detect_anomaly",
    "is_anomaly_enabled",
    "is_anomaly_check_nan_enabled",
    "where_created",
    "check_parameters",
    "stopped",
]

_ENGINE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # engine/
_FRAMES = 3  # how many frames of the user's call stack a creation site keeps

Site = tuple[tuple[str, int, str], ...]  # (file, line, function), innermost first

_enabled = False
_check_nan = True
# id(node) -> (its op, code, line, code, line, ...): where it was created, innermost frame first,
# flat (one tuple per node: fewer allocations, so fewer garbage collections while building)
_sites: dict[int, tuple] = {}
_plain_methods: dict[str, Any] = {}  # the inline op methods, while the checked ones stand in


# --------------------------------------------------------------------------------------------
# Switching the mode on and off
# --------------------------------------------------------------------------------------------


def is_anomaly_enabled() -> bool:
    """True inside `detect_anomaly()` (or after ``set_detect_anomaly(True)``)."""
    return _enabled


def is_anomaly_check_nan_enabled() -> bool:
    """True when anomaly mode raises on NaN/±inf (``check_nan=False`` only records sites)."""
    return _check_nan


def _set(enabled: bool, check_nan: bool) -> None:
    global _enabled, _check_nan
    if type(enabled) is not bool or type(check_nan) is not bool:
        raise TypeError(
            f"anomaly mode needs True or False, got mode={enabled!r}, check_nan={check_nan!r}"
        )
    if enabled and not _enabled:
        for name, method in _checked_methods().items():
            _plain_methods[name] = Value.__dict__[name]
            setattr(Value, name, method)
        set_node_hook(_on_node)
        chain_rule.set_gradient_check(_GradientCheck())
    elif not enabled and _enabled:
        for name, method in _plain_methods.items():
            setattr(Value, name, method)
        _plain_methods.clear()
        set_node_hook(None)
        chain_rule.set_gradient_check(None)
        _sites.clear()
    _enabled, _check_nan = enabled, check_nan


class detect_anomaly:
    """``with detect_anomaly():`` turns anomaly mode on for the block (and restores it after).

    `check_nan` False records creation sites (errors from the backward pass then say where the
    node was made) without raising on NaN or ±inf. Nests; process-wide, not per thread.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self._previous: tuple[bool, bool] | None = None

    def __enter__(self) -> None:
        self._previous = (_enabled, _check_nan)
        _set(True, self.check_nan)

    def __exit__(self, *exc: object) -> None:
        assert self._previous is not None
        _set(*self._previous)


class set_detect_anomaly:
    """``set_detect_anomaly(True)`` turns anomaly mode on (False: off) from now on.

    Also a context manager, as in PyTorch: ``with set_detect_anomaly(False):`` switches it for
    the block and restores the previous mode after.
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._previous = (_enabled, _check_nan)
        _set(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _set(*self._previous)


# --------------------------------------------------------------------------------------------
# The checked op methods and the hook
# --------------------------------------------------------------------------------------------


def _checked_methods() -> dict[str, Any]:
    """Value's methods made from the op table (`engine.core.value.OP_METHODS`), each replaced by
    one that builds through the careful path, where the node hook sees every node."""
    methods: dict[str, Any] = {}
    for name, (op_name, reflected) in OP_METHODS.items():
        method = make_op_method(OPS[op_name], reflected, inline=False)
        plain = Value.__dict__[name]
        method.__name__, method.__qualname__, method.__doc__ = (
            name,
            plain.__qualname__,
            plain.__doc__,
        )
        methods[name] = method
    return methods


def _user_frames(*lead: object) -> tuple:
    """`lead` followed by (code, line) of the innermost `_FRAMES` frames of the call stack outside
    the engine package, flat."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_ENGINE_DIR):
        frame = frame.f_back
    found = list(lead)
    for _ in range(_FRAMES):
        if frame is None:
            break
        found += (frame.f_code, frame.f_lineno)
        frame = frame.f_back
    return tuple(found)


def _expand(flat: tuple) -> Site:
    """(code, line, code, line, ...) as ((file, line, function), ...)."""
    return tuple(
        (code.co_filename, line, code.co_name) for code, line in zip(flat[::2], flat[1::2])
    )


def _on_node(node: Value, op: Op, parents: tuple, arg: object) -> None:
    """engine.core.value calls this for every node made in anomaly mode: record, then check."""
    if node.op:
        _sites[id(node)] = _user_frames(node.op)
    if _check_nan:
        data = node.data
        if data - data != 0.0:
            raise AnomalyError(_forward_message(node, op, parents, arg))


# --------------------------------------------------------------------------------------------
# The reports
# --------------------------------------------------------------------------------------------


def _site(node: Value) -> Site | None:
    found = _sites.get(id(node))
    if found is None or found[0] != node.op or not node.op:
        return None
    return _expand(found[1:])


def _short(path: str) -> str:
    """A path relative to the working directory when it is below it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return path
    return path if relative.startswith("..") else relative


def _frame_lines(site: Site, first: str) -> str:
    """Indented lines: `first` file:line in function, its source line, then the callers."""
    lines = []
    for k, (path, line, function) in enumerate(site):
        lines.append(f"  {first if k == 0 else 'called from'} {_short(path)}:{line} in {function}")
        source = linecache.getline(path, line).strip()
        if source:
            lines.append(f"      {source}")
    return "\n".join(lines)


def where_created(node: Value) -> str:
    """Where `node` was created, as indented lines: file:line in function, the source line, and
    the callers; or why that is not known."""
    if not node.op:
        return f"  {node!r} is a leaf ({leaf_kind(node)}): it was not made by an op"
    site = _site(node)
    if not site:
        return "  (this node was created before anomaly mode was on: its creation site is unknown)"
    return _frame_lines(site, "created at")


def _origin(x: Value, article: bool = False) -> str:
    """What an input is: a leaf's kind and label, or the op that made it and where."""
    if not x.parents and not x.op:
        label = f" {x.label!r}" if x.label else ""
        kind = leaf_kind(x)
        return f"{'an' if kind == 'input' else 'a'} {kind}{label}" if article else f"{kind}{label}"
    site = _site(x)
    where = f" at {_short(site[0][0])}:{site[0][1]}" if site else ""
    return f"{'the node ' if article else ''}made by {x.op}{where}"


def _input_names(op: Op, n: int) -> list[str]:
    return [f"x_{i}" for i in range(n)] if op.arity == -1 else ["x", "y"][:n]


def _forward_message(node: Value, op: Op, parents: tuple, arg: object) -> str:
    call = describe_call(op, tuple(p.data for p in parents), arg)
    inputs = ", ".join(
        f"{name} = {p.data!r} ({_origin(p)})"
        for name, p in zip(_input_names(op, len(parents)), parents)
    )
    where = _frame_lines(_expand(_user_frames()), "at")
    return (
        f"the forward pass made {node.data!r}: {call} = {node.data!r}\n  inputs: {inputs}\n{where}"
    )


def _finite(g: object) -> bool:
    x = g.data if isinstance(g, Value) else g
    return x - x == 0.0  # type: ignore[operator]


def _number(g: object) -> str:
    return repr(g.data) if isinstance(g, Value) else repr(g)


class _GradientCheck:
    """The chain-rule walker's check in anomaly mode (`engine.core.chain_rule.set_gradient_check`):
    the first inf or NaN gradient sent to a node that needs one raises `AnomalyError`; errors of
    a pass say where the node they name was made."""

    def __call__(self, node, i, out_bar, local, term, before, total) -> None:
        if _check_nan and node.parents[i]._needs_grad and not (_finite(term) and _finite(total)):
            raise backward_anomaly(node, i, out_bar, local, term, before, total)

    def seed(self, root: Value, seed: object) -> None:
        if _check_nan and not _finite(seed):
            raise AnomalyError(f"backward: the seed gradient of {root!r} is {_number(seed)}")

    def annotate(self, error: Exception, node: Value | None) -> Exception:
        if node is None:
            return error
        return type(error)(f"{error}\n{where_created(node)}")


def backward_anomaly(
    node: Value, i: int, out_bar: object, local: object, term: object, before: object, total: object
) -> AnomalyError:
    """The error for the first non-finite gradient: node's backward sent `term` to parent `i`."""
    op = OPS[node.op]
    call = describe_call(op, tuple(p.data for p in node.parents), node.arg)
    name = _input_names(op, len(node.parents))[i]
    formula = op.derivatives[0 if op.arity == -1 else i]
    parent = node.parents[i]
    lines = [
        f"the backward pass made a gradient {_number(total)} at {call}",
        f"  {name}_bar += out_bar · ∂out/∂{name} = {_number(out_bar)} × {_number(local)}"
        f" = {_number(term)}   (∂out/∂{name} = {formula})",
    ]
    if before is not None and (_finite(term) or not _finite(before)):  # the sum did it
        lines.append(f"  {name}_bar held {_number(before)} before: the sum is {_number(total)}")
    lines.append(f"  where {name} = {parent.data!r} is {_origin(parent, article=True)}")
    lines.append(where_created(node))
    return AnomalyError("\n".join(lines))


# --------------------------------------------------------------------------------------------
# Training loops (`nn.fit(..., detect_anomaly=True)`)
# --------------------------------------------------------------------------------------------


def check_parameters(params: Iterable[Value], when: str) -> None:
    """AnomalyError if a parameter's number is NaN or ±inf (an update is float arithmetic, outside
    any graph, so no op would notice): `when` says what just happened."""
    for i, p in enumerate(params):
        x = p.data
        if x - x != 0.0:
            label = f" {p.label!r}" if p.label else ""
            raise AnomalyError(
                f"{when} made parameter {i}{label} {x!r}; its gradient was {_number(p.grad)}"
            )


def _raised_at(exc: BaseException) -> str:
    """The innermost frames outside the engine package where `exc` was raised, as lines."""
    import traceback  # only on this error path: it is slow to import

    frames = traceback.extract_tb(exc.__traceback__)
    user = [f for f in frames if not f.filename.startswith(_ENGINE_DIR)][-_FRAMES:]
    site = tuple((f.filename, f.lineno or 0, f.name) for f in reversed(user))
    return _frame_lines(site, "at")


def stopped(where: str, epoch: int, losses: Sequence[float], exc: BaseException) -> str:
    """The report of a training loop stopped by `exc` in `epoch`: the error, where it was raised
    (for errors that do not say it themselves) and the last losses."""
    text = f"{where} stopped in epoch {epoch}: {exc}"
    if not isinstance(exc, AnomalyError):
        text += "\n" + _raised_at(exc)
    if losses:
        recent = ", ".join(f"{x:.4g}" for x in losses[-5:])
        text += f"\n  mean loss of the last {min(len(losses), 5)} epoch(s): {recent}"
        if len(losses) > 1 and losses[-1] > 10.0 * min(losses):
            text += " (growing: a smaller learning rate may help)"
    return text
