"""The chain rule: the one walker every gradient in chainrule goes through.

For outputs ``L`` seeded with ``L_bar`` (1 for ``L.backward()``), visit the nodes outputs first.
When node ``out`` is visited, ``out_bar = ∂L/∂out`` is complete, because every node that uses it
came earlier. The chain rule sends it on to each parent ``x``:

    x_bar += out_bar · ∂out/∂x

where ``∂out/∂x`` is the local derivative from the op table (`engine.core.ops`). A node used
twice (``a + a``) receives two contributions. `walk` is that loop, and nothing else in the
library has one: ``backward()``, the narrated steps (`engine.step`), ``grad()`` with and without
``create_graph``, anomaly mode and replay's interpreter all run it, with

* a maths namespace ``m``: `FLOAT_MATH` gives numbers; `VALUE_MATH` (`engine.core.value_math`)
  evaluates the same rules on the nodes themselves, so every gradient is a graph
  (``create_graph=True``);
* an accumulator: the pass's own dict ``bars`` (node -> its ``_bar``); a quick pass (numbers,
  no check, no pauses) sums in each node's scratch slot ``_bar`` instead, under a lock
  (`quick_pass`), and
* a per-edge ``check`` (anomaly mode) and ``pause`` (a narrated pass yields after every node).

A pass is atomic: it never touches ``.grad`` while it walks. `commit` writes the finished pass
into ``.grad`` under a lock (interior nodes: this pass's gradient; leaves: added to what they
held), so an error, or a narrated pass abandoned half way, leaves every ``.grad`` as it was, and
threads running backward() on graphs that share nodes each add their whole contribution.

Infinity and NaN. While every contribution is finite, a step is exactly ``out_bar · ∂out/∂x``.
Where one is not (or a rule raises, such as 1/(2√x) at x = 0), `careful_step` redoes that node in
IEEE 754 arithmetic with the op's PyTorch form (`Op.vjp`), so a chosen 0 wins over an infinite
gradient as in PyTorch. If an input or a parameter ends up with an inf or NaN gradient that no
inf or NaN value caused, the pass raises, naming the op where it started (`engine.core.ops`
states the policy). Gradients as graphs hold finite numbers only: there a non-finite step raises.
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

from engine.core.graph import post_order
from engine.core.maths import FLOAT_MATH, IEEE_MATH, IEEEFloat
from engine.core.ops import OPS, describe_call, table_version

if TYPE_CHECKING:
    from engine.core.value import Value

__all__ = [
    "AnomalyError",
    "Pass",
    "walk",
    "run_pass",
    "local_derivatives",
    "ieee_local_derivatives",
    "defined_local_derivatives",
    "backward",
    "commit",
    "order_of",
    "set_gradient_check",
]

_isfinite = math.isfinite
_GRADS = threading.RLock()  # held to write .grad (`commit`) and for a whole quick walk
_QUICK_OWNER: list = [None]  # the thread walking quickly: a backward() inside it walks carefully


class AnomalyError(FloatingPointError):
    """A forward value or a gradient became NaN or ±inf in anomaly mode."""


def _finite(x: float) -> bool:
    """x is neither inf nor NaN: ``x - x`` is exactly 0 then (inf - inf and NaN give NaN). One
    subtraction, where `math.isfinite` is a call; this runs for every edge of every pass."""
    return x - x == 0.0


def _all_finite(terms: Iterable[float]) -> bool:
    """No term is inf or NaN. Their sum is finite exactly then, unless finite terms overflow it
    (then the careful step, exact, decides anyway): one C call instead of a test per term."""
    total = sum(terms)
    return total - total == 0.0


def local_derivatives(node: Value, m: Any = FLOAT_MATH) -> tuple:
    """∂node/∂parent for each of `node`'s parents: the op table's rule, evaluated in namespace
    `m` on the parents' numbers (`FLOAT_MATH`) or, for `VALUE_MATH`, on the parents themselves."""
    return m.local(OPS[node.op], node)


def ieee_local_derivatives(node: Value) -> tuple:
    """The same rule in IEEE 754 arithmetic: inf or NaN where floats raise (1/(2√x) at 0, ln 0
    in a branch not taken); NaN for a rule IEEE arithmetic cannot evaluate either."""
    op = OPS[node.op]
    out = IEEEFloat(node.data)
    xs = tuple(IEEEFloat(x.data) for x in node.parents)
    try:
        if op.arity == -1:
            local = op.local(IEEE_MATH, xs, out)
        elif op.arity == 1:
            local = op.local(IEEE_MATH, xs[0], out, node.arg)
        else:
            local = op.local(IEEE_MATH, xs[0], xs[1], out)
    except (ArithmeticError, ValueError):
        return (math.nan,) * len(xs)
    return tuple(float(d) for d in local)


def defined_local_derivatives(node: Value) -> tuple:
    """The local derivatives a reader is shown at `node`: the rule on floats, or, where floats
    raise (ln 0 in a branch not taken, 1/(2√x) at 0), the IEEE values backward() uses."""
    try:
        return tuple(local_derivatives(node))
    except (ArithmeticError, ValueError):
        return ieee_local_derivatives(node)


# --------------------------------------------------------------------------------------------
# One pass
# --------------------------------------------------------------------------------------------


class Pass:
    """One backward pass: what it visits and everything it has summed so far.

    order    the nodes the outputs depend on, each after its parents (`order_of`); with
             ``leaves=False`` only the nodes that have parents.
    leaves   the leaves among them (inputs, parameters, constants), in the order met.
    bars     node -> ``∂L/∂node`` so far; it starts with the outputs' seeds. (A quick pass sums
             in the nodes' own ``_bar`` slots instead: see `quick_pass`.)
    m        `FLOAT_MATH` (numbers) or `VALUE_MATH` (graphs).
    needed   only these nodes are visited and receive gradients (None: all); ``grad()`` passes
             the nodes that lead to its inputs (`restrict`).
    check    anomaly mode's per-contribution check, or None.
    careful  what the careful steps saw (None while every step was finite).
    quick    True while the pass may take the walker's quick path (numbers, every node, no
             check, no pauses): `run_pass` walks again, carefully, if it meets an inf, a NaN or
             a raise. ``Pass(..., quick=False)`` for a pass walked with pauses.
    """

    __slots__ = (
        "outputs",
        "seeds",
        "order",
        "leaves",
        "bars",
        "m",
        "needed",
        "check",
        "careful",
        "seeds_finite",
        "quick",
        "_leaves_in_order",
    )

    def __init__(
        self,
        outputs: Sequence[Value],
        seeds: Sequence[Any],
        m: Any = FLOAT_MATH,
        *,
        leaves: bool = True,
        quick: bool = True,
    ) -> None:
        self.outputs, self.seeds, self.m = tuple(outputs), tuple(seeds), m
        self.order, self.leaves = order_of(self.outputs, leaves)
        self._leaves_in_order = leaves
        self.needed: set | None = None
        self.check = _gradient_check
        self.seeds_finite = all(_finite(_number(s)) for s in seeds)
        self.quick = quick and m is FLOAT_MATH and self.check is None
        self.start()

    def nodes(self) -> list[Value]:
        """Every node of the pass, leaves included."""
        return self.order if self._leaves_in_order else self.leaves + self.order

    def interior(self) -> list[Value]:
        """The nodes of the pass that have parents, each after its parents."""
        return self.order[len(self.leaves) :] if self._leaves_in_order else self.order

    def start(self) -> None:
        """Begin (again) from the seeds alone."""
        m = self.m
        self.careful: _Careful | None = None
        self.bars: dict = {}
        if self.quick:  # summed in the nodes' slots (`quick_pass`)
            return
        if m is FLOAT_MATH:  # numbers: every node's bar starts at 0.0, so a step is one ``+=``
            self.bars = dict.fromkeys(self.nodes(), 0.0)  # (graphs: none until one reaches it)
        for root, seed in zip(self.outputs, self.seeds):
            if self.needed is None or root in self.needed:
                before = self.bars.get(root)
                self.bars[root] = seed if before is None else m.plus(before, seed)
                if self.check is not None:
                    self.check.seed(root, seed)

    def restrict(self, needed: set) -> None:
        """Visit only the nodes in `needed` and send gradients only to them."""
        self.needed, self.quick = needed, False
        self.start()


def walk(p: Pass, pause: bool = False) -> Iterator[tuple]:
    """Apply the chain rule to every node of pass `p`, outputs first (a generator).

    Each node ``out`` sends ``out_bar · ∂out/∂x`` to each parent ``x``. With `pause`, it yields
    ``(node, out_bar, local derivatives, contributions, parents' bars before)`` after every node,
    leaves included (with empty tuples); without it, it yields nothing and runs to the end.

    The quick path is the rule as it reads, on numbers, summed in the nodes' ``_bar`` slots
    (`quick_pass` holds the lock that makes them this pass's). The careful path adds what the other
    passes need: the careful step for inf, NaN or a rule that raises, grad()'s pruning, anomaly
    mode's check, graphs (``create_graph``) and the narration's pauses.
    """
    if pause and p.quick:
        raise ValueError("walk(p, pause=True) needs a pass made with Pass(..., quick=False)")
    bars, m, needed, check = p.bars, p.m, p.needed, p.check
    quick = p.quick
    numbers = m is FLOAT_MATH
    get, plus = bars.get, m.plus
    binary, unary = rules_by_arity()
    out_bar: Any  # a number, or a Value when the pass builds gradient graphs
    for node in reversed(p.interior() if quick else p.order):
        if quick:  # x_bar += out_bar · ∂out/∂x, with the row's rule, for each parent x
            out_bar = node._bar
            rule = binary.get(node.op)
            if rule is not None:
                x, y = node.parents
                dx, dy = rule(m, x.data, y.data, node.data)
                x._bar += out_bar * dx
                y._bar += out_bar * dy
                continue
            rule = unary.get(node.op)
            if rule is not None:
                (x,) = node.parents
                x._bar += out_bar * rule(m, x.data, node.data, node.arg)[0]
                continue
            parents = node.parents
            local = OPS[node.op].local(m, tuple(x.data for x in parents), node.data)
            for x, d in zip(parents, local):
                x._bar += out_bar * d
            continue
        parents = node.parents
        if not parents:  # a leaf: nothing to pass on, its gradient is final
            if pause:
                yield node, get(node, 0.0), (), (), ()
            continue
        out_bar = get(node)
        if out_bar is None or (needed is not None and node not in needed):
            continue  # no gradient reaches it, or it leads to no input grad() was asked for
        try:
            local = local_derivatives(node, m)
            terms = m.contributions(out_bar, local)  # out_bar · ∂out/∂x for each parent x
            finite = _all_finite(terms) if numbers else True  # graphs raise on inf themselves
        except FloatingPointError:  # AnomalyError, from a checked method in anomaly mode
            raise
        except (ArithmeticError, ValueError) as exc:
            if not numbers:  # a gradient graph cannot hold inf or NaN: say where it started
                error = m.error(node, exc)
                raise (error if check is None else check.annotate(error, node)) from None
            finite = False
        if not finite:  # inf, NaN, or a rule that raised (1/(2√x) at 0): the careful step decides
            local, terms = careful_step(p, node, out_bar)
        befores = []
        for i, parent in enumerate(parents):
            if needed is not None and parent not in needed:
                continue
            before = get(parent)
            total = terms[i] if before is None else plus(before, terms[i])
            bars[parent] = total  # x_bar += out_bar · ∂out/∂x
            if check is not None:
                check(node, i, out_bar, local[i], terms[i], before, total)
            befores.append(before)
        if pause:
            yield node, out_bar, local, terms, tuple(befores)


_RULES: tuple = (-1, {}, {})


def rules_by_arity() -> tuple[dict, dict]:
    """{op name: local rule} for the binary rows and for the unary rows, rebuilt when the table
    changes: the quick path finds a node's rule with one lookup."""
    global _RULES
    if _RULES[0] != table_version():
        binary = {name: op.local for name, op in OPS.items() if op.arity == 2}
        unary = {name: op.local for name, op in OPS.items() if op.arity == 1}
        _RULES = (table_version(), binary, unary)
    return _RULES[1], _RULES[2]


def run_pass(p: Pass, asked: Iterable[Value] | None = None) -> None:
    """Walk pass `p` to its end, then raise if a node `asked` for (default: every leaf) has an
    inf or NaN gradient because a step made finite numbers non-finite (`check_leaves`).

    A quick walk that meets an inf, a NaN or a rule that raises is thrown away and the pass
    walks again, carefully: nothing was written, so nothing needs undoing.
    """
    if p.quick and quick_pass(p, commit=False):
        return
    for _ in walk(p):
        pass
    if asked is None:
        asked = p.leaves
    check_leaves(p, asked)


def quick_pass(p: Pass, commit: bool) -> bool:
    """The quick walk: the chain rule on numbers, summed in each node's scratch slot ``_bar``
    (quicker than a dict). The walk sets every ``_bar`` of the pass to 0.0 before it starts and
    holds the lock that commits until it ends, so the slots are this pass's alone (outside a
    quick walk they mean nothing).

    True when every leaf's sum is finite: then the sums are written into ``.grad`` (`commit`)
    or copied into ``p.bars``. False when the walk met an inf, a NaN or a rule that raised (an
    interior inf or NaN always reaches a leaf): nothing was written, and `p` is made ready to
    walk again, carefully. A backward() from inside a quick walk (a custom rule's) walks
    carefully.
    """
    me = threading.get_ident()
    if _QUICK_OWNER[0] != me and _quick_walk(p, commit, me):
        return True
    p.quick = False
    p.start()
    return False


def _quick_walk(p: Pass, commit: bool, me: int) -> bool:
    """`quick_pass` itself, in thread `me`: True when it walked and wrote its sums."""
    nodes, leaves = p.nodes(), p.leaves
    with _GRADS:
        for node in nodes:
            node._bar = 0.0
        _QUICK_OWNER[0] = me
        try:
            for root, seed in zip(p.outputs, p.seeds):
                root._bar += seed
            for _ in walk(p):
                pass
            done = _all_finite([leaf._bar for leaf in leaves])
        except (ArithmeticError, ValueError):
            done = False  # 1/(2√x) at 0, say: the careful walk decides what it means
        finally:
            _QUICK_OWNER[0] = None
        if done and commit:  # interior nodes: this pass's gradient; leaves: added to what they held
            for node in p.interior():
                node.grad = node._bar
            for leaf in leaves:
                leaf.grad += leaf._bar
        elif done:
            p.bars = {node: node._bar for node in nodes}
    return done


def commit(p: Pass) -> None:
    """Write the finished pass into ``.grad``: interior nodes get this pass's gradient, leaves
    add it to what they held (PyTorch's accumulation). Under a lock, so concurrent passes add
    up exactly."""
    m, bars = p.m, p.bars
    with _GRADS:
        if m is FLOAT_MATH:
            for node, bar in bars.items():
                if node.parents:
                    node.grad = bar
                else:
                    node.grad += bar
            return
        for node in p.order:  # graphs: every .grad becomes a Value
            bar = bars.get(node, m.zero)
            node.grad = m.as_grad(bar if node.parents else m.plus(node.grad, bar))


def backward(root: Value, seed: Any = 1.0, m: Any = FLOAT_MATH) -> None:
    """``root.backward(seed)``: one pass from `root`, then its commit into ``.grad``.

    With `VALUE_MATH` (``create_graph=True``) the rules are evaluated on Values, so every
    ``.grad`` is a graph that can be differentiated again.
    """
    check_root(root)
    p = Pass((root,), (seed,), m, leaves=m is not FLOAT_MATH)
    if p.quick and quick_pass(p, commit=True):
        return
    run_pass(p)
    commit(p)


def order_of(outputs: Sequence[Value], leaves: bool = True) -> tuple[list[Value], list[Value]]:
    """(The nodes the outputs depend on, each after its parents, leaves first when `leaves`;
    the leaves, in the order met): `engine.core.graph.post_order` from every output."""
    order, leaves_met = post_order(outputs, leaves)
    return (leaves_met + order if leaves else order), leaves_met


def check_root(root: Value) -> None:
    """RuntimeError for a root computed under no_grad: no graph leads back from it."""
    if not root._recorded:
        raise RuntimeError(
            f"backward() on {root!r}: it was computed while gradient recording was off (inside "
            "no_grad() or after set_grad_enabled(False)), so it has no graph and no gradient can "
            "reach what it was computed from. Compute it with recording on. (PyTorch: element 0 "
            "of tensors does not require grad and does not have a grad_fn)"
        )


# --------------------------------------------------------------------------------------------
# Anomaly mode's check
# --------------------------------------------------------------------------------------------

_gradient_check: Any = None


def set_gradient_check(check: Callable[..., None] | None) -> None:
    """Call ``check(node, i, out_bar, local, term, before, total)`` for every contribution of
    every pass, and ``check.seed(root, seed)`` for every seed (None: no check). Anomaly mode
    (`engine.functional.anomaly`) raises `AnomalyError` from it at the first inf or NaN."""
    global _gradient_check
    _gradient_check = check


# --------------------------------------------------------------------------------------------
# The careful step: IEEE arithmetic, PyTorch's form, and who made a gradient non-finite
# --------------------------------------------------------------------------------------------


_SUM_OVERFLOWED = OverflowError("the sum of the gradients reaching the node overflowed")


class _Careful:
    """What the careful steps of one pass saw.

    `origin` is the first node (outputs first) whose step turned finite numbers into an inf or
    NaN gradient: its values, its upstream gradient and its inputs were all finite.
    """

    __slots__ = ("origin", "cause", "local", "out_bar", "nonfinite_sent")

    def __init__(self, seeds_finite: bool) -> None:
        self.origin: Value | None = None
        self.cause: BaseException | None = None
        self.local: tuple = ()
        self.out_bar = 0.0
        self.nonfinite_sent = not seeds_finite  # an inf seed is an input, not an accident


def careful_step(p: Pass, node: Value, out_bar: float) -> tuple[tuple, tuple]:
    """`node`'s chain-rule step in IEEE 754 arithmetic with the op's PyTorch form: (the local
    derivatives, what each parent receives). Notes in ``p.careful`` where a gradient first
    became inf or NaN from finite numbers."""
    if p.careful is None:
        p.careful = _Careful(p.seeds_finite)
    careful = p.careful
    op = OPS[node.op]
    parents = node.parents
    cause = None
    try:  # plain floats first, only to learn what went wrong for the error message
        local_derivatives(node)
    except (ArithmeticError, ValueError) as exc:
        cause = exc
    g = IEEEFloat(out_bar)
    out = IEEEFloat(node.data)
    xs = tuple(IEEEFloat(x.data) for x in parents)
    local = ieee_local_derivatives(node)
    if op.vjp is None:
        contributions = tuple(float(g * d) for d in local)
    elif op.arity == -1:
        contributions = tuple(float(c) for c in op.vjp(IEEE_MATH, g, xs, out))
    elif op.arity == 1:
        contributions = tuple(float(c) for c in op.vjp(IEEE_MATH, g, xs[0], out, node.arg))
    else:
        contributions = tuple(float(c) for c in op.vjp(IEEE_MATH, g, xs[0], xs[1], out))
    sent_nonfinite = not all(_isfinite(c) for c in contributions)
    values_finite = _isfinite(node.data) and all(_isfinite(x) for x in xs)
    if careful.origin is None and values_finite:
        if _isfinite(out_bar) and sent_nonfinite:  # this step made finite numbers non-finite
            careful.origin, careful.cause = node, cause
        elif not _isfinite(out_bar) and not careful.nonfinite_sent:  # a sum overflowed
            careful.origin, careful.cause = node, _SUM_OVERFLOWED
        if careful.origin is node:
            careful.local, careful.out_bar = tuple(float(d) for d in local), out_bar
    careful.nonfinite_sent = careful.nonfinite_sent or sent_nonfinite
    return local, contributions


def check_leaves(p: Pass, asked: Iterable[Value], where: str = "") -> None:
    """Raise if one of the nodes `asked` for ends the pass with an inf or NaN gradient and a
    careful step made finite numbers non-finite. Only nodes whose gradient PyTorch would compute
    count: inputs and parameters, not the numbers written into an expression nor values
    computed under no_grad."""
    careful = p.careful
    if careful is None or careful.origin is None:
        return
    for node in asked:
        bar = p.bars.get(node, 0.0)
        if node._needs_grad and not _isfinite(bar):
            error = backward_error(careful, node, bar, where)
            if p.check is not None:  # anomaly mode: say where the op's node was made
                error = p.check.annotate(error, careful.origin)
            raise error


def leaf_error(p: Pass, node: Value, where: str = "") -> Exception | None:
    """The error `check_leaves` would raise for `node` alone, or None (for narrated passes,
    which report each leaf at its own step)."""
    try:
        check_leaves(p, (node,), where)
    except (ArithmeticError, ValueError) as exc:
        return exc
    return None


def backward_error(careful: _Careful, leaf: Value, grad: float, where: str = "") -> Exception:
    """The exception for a non-finite gradient `grad` of `leaf`, naming the op where it started
    (and `where`: replay names the instruction)."""
    node = careful.origin
    assert node is not None
    op = OPS[node.op]
    call = describe_call(op, tuple(p.data for p in node.parents), node.arg) + where
    result = f"so the gradient of {_leaf_name(leaf)} is {grad!r}"
    shown = ", ".join(repr(d) for d in careful.local)
    local = f"the local derivative ({', '.join(op.derivatives)})"
    cause = careful.cause
    if cause is _SUM_OVERFLOWED:
        return OverflowError(
            f"backward through {call}: the sum of the gradients reaching it overflows a float "
            f"({careful.out_bar!r}), {result}"
        )
    if isinstance(cause, ZeroDivisionError):  # the rule divides by zero: √x at 0
        return ZeroDivisionError(f"backward through {call}: {local} is infinite there, {result}")
    if isinstance(cause, ValueError) or any(d != d for d in careful.local):
        return ValueError(
            f"backward through {call}: {local} is undefined there ({shown}), {result}"
        )
    if any(math.isinf(d) for d in careful.local):
        return OverflowError(f"backward through {call}: {local} overflows a float there, {result}")
    return OverflowError(
        f"backward through {call}: the upstream gradient {careful.out_bar!r} times {local} = "
        f"{shown} overflows a float, {result}"
    )


def _leaf_name(leaf: Value) -> str:
    """How an error names a leaf: its label, or what it is and its number."""
    if leaf.label:
        return repr(leaf.label)
    kind = "a parameter" if type(leaf).__name__ == "Parameter" else "an unlabelled input"
    return f"{kind} (data = {leaf.data!r})"


def _number(x: Any) -> float:
    return x if isinstance(x, float) else getattr(x, "data", x)
