"""Backpropagation one node at a time: narrated steps, a forward trace, and an interactive Stepper.

Reverse mode visits the nodes in reverse topological order (outputs before inputs). When a node
``out`` is visited its gradient ``out_bar = ∂L/∂out`` is complete, and the chain rule passes it
on to each parent ``x``:

    x_bar += out_bar · ∂out/∂x

`backward_steps(root)` runs exactly the loop `Value.backward()` runs (`engine.value._backpropagate`)
and turns each visit into a `Step`: the node, its op, its upstream gradient ``out_bar`` and, for
each parent, the local derivative ∂out/∂x with its formula from the op table, the contribution
``out_bar · ∂out/∂x`` and the parent's gradient after it. ``str(step)`` narrates it::

    [1/10] o = tanh(n) = 0.7071;  ∂o/∂o = 1 (the seed)
      ∂o/∂n = 1 - tanh(n)² = 0.5000;  n.grad += 1.0000 × 0.5000 = 0.5000 (now 0.5000)

`forward_trace(root)` lists the nodes in the order the forward pass computed them, and `Stepper`
walks the backward pass forwards and backwards (undo restores the gradients exactly) and draws
the current state.

Nodes are named by their label; unlabelled constants by their value (``2``, ``6.8814``) and other
unlabelled nodes by their op and a per-op count in creation order (``mul₁``, ``add₂``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Mapping, Union

from engine.graph import topological_order
from engine.ops import OPS
from engine.value import Value, _as_float, _backpropagate, _fmt, leaf_kind

if TYPE_CHECKING:
    from engine.draw import Graph  # noqa: F401  (whatever draw_dot returns)

__all__ = [
    "backward_steps", "Step", "ParentTerm", "Stepper", "forward_trace", "ForwardTrace",
    "TraceEntry", "node_names",
]

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_ARG_SYMBOLS = {"alpha": "α", "beta": "β"}  # how the op table's formulas write an op's argument
_PLACEHOLDER = re.compile(r"(?<![A-Za-z0-9_])(x_i|out|x|y)(?![A-Za-z0-9_])")
_SIMPLE_NAME = re.compile(r"[\w.]+")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


# --------------------------------------------------------------------------------------------
# Names for nodes
# --------------------------------------------------------------------------------------------

_LEAF_KIND_TEXT = {"parameter": "a parameter", "input": "an input", "constant": "a constant"}


def _constant_name(x: float) -> str:
    """How a constant leaf reads in a formula: ``2``, ``0.5000``, ``-3``."""
    if math.isfinite(x) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return _fmt(x)


def node_names(root: Value) -> dict[Value, str]:
    """A readable name for every node of `root`'s graph.

    The label when there is one; an unlabelled constant leaf reads as its value (``2``); an
    unlabelled Parameter as ``p₁, p₂, ...``; any other unlabelled node as its op name with a
    per-op counter in creation order (``mul₁``, ``add₂``). Deterministic for a given graph.
    """
    if not isinstance(root, Value):
        raise TypeError(f"node_names needs a Value, got {type(root).__name__} {root!r}")
    return _names_for(topological_order(root))


def _names_for(order: list[Value]) -> dict[Value, str]:
    counts: dict[str, int] = {}
    names: dict[Value, str] = {}
    for node in order:
        if node.label:
            names[node] = node.label
            continue
        if not node.parents and leaf_kind(node) == "constant":
            names[node] = _constant_name(node.data)
            continue
        kind = node.op or "p"
        counts[kind] = counts.get(kind, 0) + 1
        names[node] = kind + str(counts[kind]).translate(_SUBSCRIPTS)
    return names


# --------------------------------------------------------------------------------------------
# Formulas from the op table, with the placeholders replaced by node names
# --------------------------------------------------------------------------------------------

def _fill(template: str, names: Mapping[str, str]) -> str:
    """`template` with each placeholder (x, y, out, x_i) replaced by ``names[placeholder]``.

    A name that is not a single word (``-3``, ``a+b``) is parenthesised unless the template
    already encloses it; a name that follows a letter (the ``βx`` of swish) is joined with ``·``.
    """
    def replace(match: re.Match) -> str:
        key = match.group(1)
        if key not in names:
            return key
        name = names[key]
        start, end = match.span()
        enclosed = template[start - 1:start] == "(" and template[end:end + 1] == ")"
        if not _SIMPLE_NAME.fullmatch(name) and not enclosed:
            name = f"({name})"
        if start > 0 and template[start - 1].isalpha():
            name = "·" + name
        return name

    return _PLACEHOLDER.sub(replace, template)


def _arg_note(node: Value) -> str:
    """`` (α = 0.01)`` for an op with a constant parameter, else an empty string."""
    arg_name = OPS[node.op].arg_name
    if arg_name is None or node.arg is None:
        return ""
    return f" ({_ARG_SYMBOLS.get(arg_name, arg_name)} = {node.arg:g})"


def _forward_formula(node: Value, names: Mapping[Value, str]) -> str:
    """How `node` was computed, in its parents' names: ``tanh(n)``, ``x1 · w1``."""
    op = OPS[node.op]
    if op.arity == -1:
        listed = ", ".join(names[p] for p in node.parents)
        return f"{_fill(op.formula, {'out': names[node]})} over x_i ∈ ({listed})"
    slots = dict(zip(("x", "y"), (names[p] for p in node.parents)))
    slots["out"] = names[node]
    return _fill(op.formula, slots) + _arg_note(node)


def _derivative_formula(node: Value, index: int, names: Mapping[Value, str]) -> str:
    """The op table's formula for ∂node/∂(parent `index`), in node names: ``1 - tanh(n)²``."""
    op = OPS[node.op]
    parents = node.parents
    if op.arity == -1:
        slots = {"x_i": names[parents[index]], "out": names[node]}
        return _fill(op.derivatives[0], slots)
    slots = dict(zip(("x", "y"), (names[p] for p in parents)))
    slots["out"] = names[node]
    return _fill(op.derivatives[index], slots)


def _is_word(name: str) -> bool:
    """True for a name that reads as one symbol (``x1``, ``mul₁``), not a number or expression."""
    return bool(_SIMPLE_NAME.fullmatch(name)) and not name[0].isdigit()


def _grad_of(name: str) -> str:
    """``n.grad``; a constant's name is parenthesised: ``(2).grad``."""
    return f"{name}.grad" if _is_word(name) else f"({name}).grad"


def _partial(top: str, bottom: str) -> str:
    """``∂o/∂n``; a name that is not one word is parenthesised (``∂o/∂(-3)``)."""
    top = top if _is_word(top) else f"({top})"
    bottom = bottom if _is_word(bottom) else f"({bottom})"
    return f"∂{top}/∂{bottom}"


# --------------------------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------------------------

class ParentTerm:
    """One parent's share of a step: ``parent.grad += upstream · local``.

    parent:       the parent Value.
    name:         its readable name.
    formula:      the local derivative's formula from the op table, in node names.
    local:        ∂node/∂parent, evaluated.
    contribution: upstream · local, the amount added to ``parent.grad``.
    grad_before:  ``parent.grad`` just before this contribution.
    grad_after:   ``parent.grad`` just after it (with a repeated parent, ``a + a``, the running
                  sum: the second term's `grad_before` is the first term's `grad_after`).
    """

    __slots__ = ("parent", "name", "formula", "local", "contribution", "grad_before", "grad_after")

    def __init__(self, parent: Value, name: str, formula: str, local: float, contribution: float,
                 grad_before: float, grad_after: float) -> None:
        self.parent = parent
        self.name = name
        self.formula = formula
        self.local = local
        self.contribution = contribution
        self.grad_before = grad_before
        self.grad_after = grad_after

    def __repr__(self) -> str:
        return (f"ParentTerm({self.name}: local={_fmt(self.local)}, "
                f"contribution={_fmt(self.contribution)}, grad_after={_fmt(self.grad_after)})")


class Step:
    """One node's visit in the backward pass.

    index, total: this is step ``index`` (1-based) of ``total``, one per node of the graph.
    node, op:     the Value visited and its op name (``""`` for a leaf).
    name:         the node's readable name; `root_name` the root's.
    formula:      how the node was computed, in node names (``tanh(n)``); ``""`` for a leaf.
    upstream:     the node's gradient ∂root/∂node when visited (for the root: the seed).
    terms:        one `ParentTerm` per parent, in order (empty for a leaf).
    """

    __slots__ = ("index", "total", "node", "op", "name", "root_name", "formula", "upstream",
                 "terms")

    def __init__(self, index: int, total: int, node: Value, name: str, root_name: str,
                 formula: str, upstream: float, terms: tuple[ParentTerm, ...]) -> None:
        self.index = index
        self.total = total
        self.node = node
        self.op = node.op
        self.name = name
        self.root_name = root_name
        self.formula = formula
        self.upstream = upstream
        self.terms = terms

    @property
    def is_seed(self) -> bool:
        """True for the first step, the root's, whose upstream gradient is the seed."""
        return self.index == 1

    @property
    def is_leaf(self) -> bool:
        return not self.terms and not self.node.parents

    @property
    def parents(self) -> tuple[Value, ...]:
        return self.node.parents

    @property
    def locals(self) -> tuple[float, ...]:
        """∂node/∂parent for each parent."""
        return tuple(term.local for term in self.terms)

    def _headline(self) -> str:
        where = f"[{self.index}/{self.total}]"
        value = _fmt(self.node.data)
        upstream = f"{_partial(self.root_name, self.name)} = {_fmt(self.upstream)}"
        if self.is_seed:
            upstream += " (the seed)"
        if self.is_leaf:
            kind = _LEAF_KIND_TEXT[leaf_kind(self.node)]
            return f"{where} {self.name} = {value} is {kind} (a leaf): nothing to pass on"
        return f"{where} {self.name} = {self.formula} = {value};  upstream {upstream}"

    def _term_line(self, term: ParentTerm) -> str:
        local = f"{_partial(self.name, term.name)} = {term.formula}"
        if not _NUMBER.fullmatch(term.formula):  # "1" needs no "= 1.0000" after it
            local += f" = {_fmt(term.local)}"
        added = (f"{_grad_of(term.name)} += {_fmt(self.upstream)} × {_fmt(term.local)} = "
                 f"{_fmt(term.contribution)} (now {_fmt(term.grad_after)})")
        return f"  {local};  {added}"

    def narrate(self) -> str:
        """Two to four lines: the node and its upstream gradient, then the chain rule per parent."""
        lines = [self._headline()]
        if self.is_leaf:
            final = f"{_partial(self.root_name, self.name)} = {_fmt(self.upstream)}"
            lines.append(f"  its gradient is final: {final}")
        elif len(self.terms) <= 3:
            lines.extend(self._term_line(term) for term in self.terms)
        else:  # n-ary with many inputs: one formula, then the numbers in two lines
            formula = _fill(OPS[self.op].derivatives[0], {"out": self.name})
            lines.append(f"  {_partial(self.name, 'x_i')} = {formula} for each input x_i; "
                         f"x_i.grad += {_fmt(self.upstream)} × local")
            lines.append("  local: " + ", ".join(f"{t.name} {_fmt(t.local)}" for t in self.terms))
            lines.append("  grads now: " + ", ".join(
                f"{t.name} {_fmt(t.grad_after)}" for t in self.terms))
        return "\n".join(lines)

    __str__ = narrate

    def __repr__(self) -> str:
        kind = self.op or "leaf"
        return (f"<Step {self.index}/{self.total} {self.name} ({kind}) "
                f"upstream={_fmt(self.upstream)}>")


def _make_step(index: int, total: int, node: Value, out_bar: float, local: tuple,
               before: tuple, names: Mapping[Value, str], root_name: str) -> Step:
    """Turn one yield of `_backpropagate` into a Step, replaying the contributions in order.

    The running sums repeat the engine's own additions in the engine's order, so each
    `grad_after` is bitwise the value the engine stored.
    """
    terms = []
    running: dict[int, float] = {}
    for i, (parent, d) in enumerate(zip(node.parents, local)):
        key = id(parent)
        grad_before = running.get(key, before[i])
        contribution = out_bar * d
        grad_after = grad_before + contribution
        running[key] = grad_after
        terms.append(ParentTerm(parent, names[parent], _derivative_formula(node, i, names), d,
                                contribution, grad_before, grad_after))
    formula = _forward_formula(node, names) if node.parents else ""
    return Step(index, total, node, names[node], root_name, formula, out_bar, tuple(terms))


def _steps(root: Value, seed: float, order: list[Value],
           names: Mapping[Value, str]) -> Iterator[Step]:
    total = len(order)
    root_name = names[root]
    for index, (node, out_bar, local, before) in enumerate(
            _backpropagate(root, seed, narrate=True), start=1):
        yield _make_step(index, total, node, out_bar, local, before, names, root_name)


def _check_root(root: object, where: str) -> Value:
    if not isinstance(root, Value):
        raise TypeError(f"{where} needs a Value as its root, got {type(root).__name__} {root!r}")
    return root


def backward_steps(root: Value, grad: float = 1.0) -> Iterator[Step]:
    """The backward pass of `root`, one `Step` per node, in reverse topological order.

    This is `root.backward(grad)` itself, paused after every node: the first step seeds
    ``root.grad`` with `grad` (interior gradients are reset first, as `backward()` does), each
    later step applies ``x_bar += out_bar · ∂out/∂x`` to the node's parents, and leaves come as
    steps with no terms. Consuming every step leaves exactly the gradients ``backward(grad)``
    gives. ``print(step)`` narrates it.
    """
    _check_root(root, "backward_steps")
    seed = _as_float(grad, "backward_steps(grad)")
    order = topological_order(root)
    return _steps(root, seed, order, _names_for(order))


# --------------------------------------------------------------------------------------------
# The forward trace
# --------------------------------------------------------------------------------------------

class TraceEntry:
    """One node of the forward pass: its position, name, formula (``""`` for a leaf) and value."""

    __slots__ = ("index", "node", "name", "formula", "value", "kind")

    def __init__(self, index: int, node: Value, name: str, formula: str, kind: str) -> None:
        self.index = index
        self.node = node
        self.name = name
        self.formula = formula
        self.value = node.data
        self.kind = kind

    def __str__(self) -> str:
        if self.formula:
            return f"{self.index:>3}. {self.name} = {self.formula} = {_fmt(self.value)}"
        return f"{self.index:>3}. {self.name} = {_fmt(self.value)}  ({self.kind})"

    def __repr__(self) -> str:
        return f"<TraceEntry {self.index} {self.name}={_fmt(self.value)}>"


class ForwardTrace:
    """The nodes of a graph in the order the forward pass computed them; ``str()`` lists them."""

    __slots__ = ("root", "entries")

    def __init__(self, root: Value, entries: tuple[TraceEntry, ...]) -> None:
        self.root = root
        self.entries = entries

    def __iter__(self) -> Iterator[TraceEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> TraceEntry:
        return self.entries[index]

    def __str__(self) -> str:
        return "forward pass (inputs first):\n" + "\n".join(str(e) for e in self.entries)

    def __repr__(self) -> str:
        return f"<ForwardTrace of {len(self.entries)} nodes>"


def _trace(order: list[Value], names: Mapping[Value, str], root: Value) -> ForwardTrace:
    entries = []
    for index, node in enumerate(order, start=1):
        formula = _forward_formula(node, names) if node.parents else ""
        entries.append(TraceEntry(index, node, names[node], formula,
                                  "output" if node.parents else leaf_kind(node)))
    return ForwardTrace(root, tuple(entries))


def forward_trace(root: Value) -> ForwardTrace:
    """The forward pass of `root`: every node in the order it was computed, with its value.

    The order is creation order (`engine.graph.topological_order`), which is the order the
    forward pass ran; each entry shows the op table's formula in node names, e.g.
    ``n = add₂ + b = 0.8814``.
    """
    _check_root(root, "forward_trace")
    order = topological_order(root)
    return _trace(order, _names_for(order), root)


# --------------------------------------------------------------------------------------------
# The Stepper
# --------------------------------------------------------------------------------------------

Target = Union[int, str, Value]


class Stepper:
    """Walk the backward pass of `root` one node at a time, forwards and backwards.

        s = Stepper(o)
        s.next()          # the root's step: o.grad = 1 (returns the Step; print it)
        s.back()          # undo it: every gradient exactly as before
        s.jump("x1")      # forward or back until x1's step is the latest one applied
        s.run()           # to the end: the gradients o.backward() gives
        s.draw()          # the graph now: active node highlighted, unknown gradients shown "?"

    The Stepper drives the same loop as `backward()`. It records what each step changed, so
    `back()` restores gradients bit for bit and stepping again replays the recorded values.
    Don't run another backward pass over the same graph while a Stepper is part-way through.
    """

    def __init__(self, root: Value, grad: float = 1.0) -> None:
        self.root = _check_root(root, "Stepper")
        self.seed = _as_float(grad, "Stepper(grad)")
        self._order = topological_order(root)
        self.names = _names_for(self._order)
        self._stream: Iterator[Step] | None = None
        self._steps: list[Step] = []
        self._changes: list[tuple[tuple[Value, float, float], ...]] = []
        self._position = 0
        self._failure: Exception | None = None

    # -- state ------------------------------------------------------------------------------

    @property
    def total(self) -> int:
        """The number of steps: one per node of the graph."""
        return len(self._order)

    @property
    def position(self) -> int:
        """How many steps are applied (0 before the first, `total` at the end)."""
        return self._position

    @property
    def done(self) -> bool:
        return self._position == self.total

    @property
    def current(self) -> Step | None:
        """The latest step applied, or None before the first."""
        return self._steps[self._position - 1] if self._position else None

    @property
    def steps(self) -> tuple[Step, ...]:
        """The steps applied so far, in order."""
        return tuple(self._steps[:self._position])

    def known(self) -> set[Value]:
        """The nodes whose gradient this pass has computed so far.

        The nodes already visited, and the parents they sent contributions to (a parent with
        more children still to visit holds a partial sum).
        """
        nodes: set[Value] = set()
        for step in self._steps[:self._position]:
            nodes.add(step.node)
            nodes.update(step.node.parents)
        return nodes

    def gradients(self) -> dict[str, float]:
        """``{name: grad}`` for the nodes in `known()`, in creation order."""
        known = self.known()
        return {self.names[n]: n.grad for n in self._order if n in known}

    def forward_trace(self) -> ForwardTrace:
        """The forward pass of the root (see `forward_trace`)."""
        return _trace(self._order, self.names, self.root)

    # -- moving -----------------------------------------------------------------------------

    def next(self) -> Step | None:
        """Apply the next step and return it; None (and no change) at the end."""
        if self.done:
            return None
        if self._position < len(self._steps):  # replay a step that was undone
            for node, _, new in self._changes[self._position]:
                node.grad = new
        else:
            self._record_next()
        self._position += 1
        return self._steps[self._position - 1]

    def _record_next(self) -> None:
        if self._failure is not None:  # the pass stopped at a node it cannot differentiate
            raise self._failure
        if self._stream is None:
            before = [(node, node.grad) for node in self._order]
            self._stream = _steps(self.root, self.seed, self._order, self.names)
            try:
                step = next(self._stream)  # zeroes interior grads, seeds the root, visits it
            except (ValueError, ZeroDivisionError, OverflowError) as exc:
                for node, old in before:
                    node.grad = old
                self._failure = exc
                raise
            changes = tuple((node, old, node.grad) for node, old in before)
        else:
            try:
                step = next(self._stream)
            except (ValueError, ZeroDivisionError, OverflowError) as exc:
                self._failure = exc  # nothing was changed: the error comes before the update
                raise
            seen: dict[int, tuple[Value, float, float]] = {}
            for term in step.terms:
                if id(term.parent) not in seen:
                    seen[id(term.parent)] = (term.parent, term.grad_before, term.parent.grad)
            changes = tuple(seen.values())
        self._steps.append(step)
        self._changes.append(changes)

    def back(self) -> Step | None:
        """Undo the latest step (gradients restored exactly) and return it; None at the start."""
        if self._position == 0:
            return None
        self._position -= 1
        for node, old, _ in reversed(self._changes[self._position]):
            node.grad = old
        return self._steps[self._position]

    def run(self) -> list[Step]:
        """Apply every remaining step; returns them."""
        applied = []
        while not self.done:
            applied.append(self.next())
        return applied

    def reset(self) -> None:
        """Undo every step: all gradients as they were before the Stepper started."""
        while self._position:
            self.back()

    def go_to(self, position: int) -> Step | None:
        """Step forwards or backwards until exactly `position` steps are applied."""
        if type(position) is not int or not 0 <= position <= self.total:
            raise ValueError(f"position must be an int from 0 to {self.total}, got {position!r}")
        while self._position < position:
            self.next()
        while self._position > position:
            self.back()
        return self.current

    def jump(self, target: Target) -> Step | None:
        """Move until `target`'s step is the latest applied; returns it.

        `target` is a node of the graph (a Value), a node name (see `names`), or a position
        (an int: that many steps applied).
        """
        if type(target) is int:
            return self.go_to(target)
        if isinstance(target, Value):
            if target not in self.names:
                raise ValueError(f"jump: {target!r} is not a node of this graph")
            node = target
        elif isinstance(target, str):
            node = self._node_named(target)
        else:
            raise TypeError(f"jump needs a Value, a node name or a position, got "
                            f"{type(target).__name__} {target!r}")
        index = len(self._order) - self._order.index(node)  # steps run in reverse order
        return self.go_to(index)

    def _node_named(self, name: str) -> Value:
        for node in reversed(self._order):  # the first match in step order
            if self.names[node] == name:
                return node
        known = ", ".join(sorted(set(self.names.values())))
        raise ValueError(f"jump: no node is named {name!r}; the names are: {known}")

    # -- showing ----------------------------------------------------------------------------

    def draw(self, **options):
        """The graph in its current state, from `engine.draw.draw_dot`.

        The active node (the latest step's) is highlighted with its incoming edges; gradients are
        shown only for the nodes in `known()`. `options` go to `draw_dot` (e.g. ``rankdir="TB"``).
        """
        from engine.draw import draw_dot

        current = self.current
        options.setdefault("names", self.names)  # boxes named as the narration names them
        return draw_dot(self.root, highlight=current.node if current else None,
                        grad_known=self.known(), **options)

    def _repr_mimebundle_(self, include=None, exclude=None):
        """In a notebook, a Stepper shows the current graph as SVG (and its narration as text)."""
        bundle = dict(self.draw()._repr_mimebundle_(include=include, exclude=exclude) or {})
        text = str(self)
        if "image/svg+xml" not in bundle and bundle.get("text/plain"):
            text += "\n" + bundle["text/plain"]  # why there is no picture (e.g. no renderer)
        bundle["text/plain"] = text
        return bundle

    def save_html(self, directory: str | Path, *, title: str | None = None, **options) -> Path:
        """Write a self-contained step-by-step player, ``directory/index.html``; returns its path.

        One SVG frame per step (the forward pass first), the narration beside it, Prev/Next
        buttons, arrow keys and a slider; it works offline from ``file://``. The Stepper's
        position is restored afterwards. `options` go to `draw_dot`.
        """
        from engine.player import write_player

        return write_player(self, directory, title=title, **options)

    def summary(self) -> str:
        """The gradients computed so far, one ``name = grad`` per node, creation order."""
        grads = self.gradients()
        if not grads:
            return "gradients: none yet"
        return "gradients: " + ", ".join(f"{k} {_fmt(v)}" for k, v in grads.items())

    def __str__(self) -> str:
        current = self.current
        head = (f"step {self._position}/{self.total}\n{current}" if current
                else f"step 0/{self.total}: nothing applied yet (next() seeds "
                     f"{self.names[self.root]}.grad = {_fmt(self.seed)})")
        return f"{head}\n{self.summary()}"

    def __repr__(self) -> str:
        current = self.current
        at = f" at {current.name}" if current else ""
        return f"<Stepper {self.names[self.root]}: step {self._position}/{self.total}{at}>"
