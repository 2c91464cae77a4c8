"""`Stepper`: walk a backward pass one node at a time, forwards and backwards, and draw it.

Like `backward_steps`, a Stepper writes ``.grad`` as ``backward()`` does once its last step is
applied (and undoes it exactly), while everything it shows (the narration, `gradients`, `summary`,
`draw`) is the
derivative of this pass, counted from zero: an earlier ``backward()`` does not leak into it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Union

from engine.core.graph import topological_order
from engine.core.names import names_for
from engine.core.numfmt import check_digits, fmt
from engine.core.value import Value, as_float
from engine.step.forward_trace import _check_root, _trace
from engine.step.lookup import node_named
from engine.step.narration import (
    ForwardTrace,
    Step,
    _steps,
    is_constant,
    partial_note,
    step_count,
    use_counts,
)
from engine.step.notation import Notation
from engine.step.notation import notation as lookup_notation

__all__ = ["Stepper"]


# --------------------------------------------------------------------------------------------
# The Stepper
# --------------------------------------------------------------------------------------------

Target = Union[int, str, Value]


class Stepper:
    """Walk the backward pass of `root` one node at a time, forwards and backwards.

        s = Stepper(o)
        s.next()          # the root's step: ∂o/∂o = 1 (returns the Step; print it)
        s.back()          # undo it
        s.jump("x1")      # forward or back until x1's step is the latest one applied
        s.run()           # to the end: the gradients o.backward() gives
        s.draw()          # the graph now: active node highlighted, unknown gradients shown "?"

    The Stepper drives the same walker as `backward()`: when its last step is applied ``.grad``
    is what ``backward()`` leaves (leaves accumulate across passes, as in PyTorch), and before
    that ``.grad`` is untouched (the pass is atomic); `back()` from the end restores ``.grad``
    bit for bit. What it shows is this pass's derivatives, counted from zero (`gradients`); a
    gradient that still waits for contributions along other edges is marked partial. `digits` sets
    the significant
    digits of the narration (default `engine.core.numfmt.get_digits()`). Don't run another backward
    pass over the same graph while a Stepper is part-way through.
    """

    def __init__(
        self,
        root: Value,
        grad: float = 1.0,
        *,
        digits: int | None = None,
        practice: bool = False,
        notation: Notation | str | None = None,
    ) -> None:
        self.notation = lookup_notation(notation)  # the symbols (`engine.step.notation`)
        self.root = _check_root(root, "Stepper")
        self.seed = as_float(grad, "Stepper(grad)")
        self.digits = None if digits is None else check_digits(digits, "Stepper")
        self._order = topological_order(root)
        self._total = step_count(self._order)
        self.names = names_for(self._order)
        self._uses = use_counts(self._order)
        self._stream: Iterator[Step] | None = None
        self._steps: list[Step] = []
        self._changes: list[tuple[tuple[Value, float, float], ...]] = []
        self._position = 0
        self._failure: Exception | None = None
        self.practice = None  # practice mode (`engine.step.practice`): answer() drives the steps
        if practice:
            from engine.step.practice import Practice

            self.practice = Practice(stepper=self)

    # -- state ------------------------------------------------------------------------------

    @property
    def total(self) -> int:
        """The number of steps: one per node of the graph, except the constants (the 2 of
        ``x * 2``), which are not differentiated."""
        return self._total

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
        return tuple(self._steps[: self._position])

    def known(self) -> set[Value]:
        """The nodes whose gradient this pass has computed so far.

        The nodes already visited, and the parents they sent contributions to (a parent with
        more children still to visit holds a partial sum).
        """
        nodes: set[Value] = set()
        for step in self._steps[: self._position]:
            if not is_constant(step.node):
                nodes.add(step.node)
            nodes.update(p for p in step.node.parents if not is_constant(p))
        return nodes

    def grads(self) -> dict[Value, float]:
        """``{node: ∂root/∂node}`` of this pass so far, for the nodes in `known()` (a partial
        gradient holds the contributions received so far; see `partial`). Constants (the 2 of
        ``x * 2``) are not differentiated, so they have no entry."""
        grads: dict[Value, float] = {}
        for step in self._steps[: self._position]:
            if not is_constant(step.node):
                grads.setdefault(step.node, step.upstream)
            for term in step.terms:
                if not is_constant(term.parent):  # a constant is not differentiated
                    grads[term.parent] = term.grad_after
        return grads

    def received(self) -> dict[Value, tuple[int, int]]:
        """``{node: (edges received, edges in all)}`` for the nodes in `known()` other than the
        root: a node's gradient is complete when both numbers are equal."""
        counts: dict[Value, tuple[int, int]] = {}
        for step in self._steps[: self._position]:
            for term in step.terms:
                counts[term.parent] = (term.edge, term.edges)
        return counts

    def partial(self) -> set[Value]:
        """The nodes whose gradient so far is a partial sum: other edges still have to add."""
        return {node for node, (got, of) in self.received().items() if got < of}

    def gradients(self) -> dict[str, float]:
        """``{name: ∂root/∂node}`` of this pass for the nodes in `known()`, topological order."""
        grads = self.grads()
        return {self.names[n]: grads[n] for n in self._order if n in grads}

    def forward_trace(self) -> ForwardTrace:
        """The forward pass of the root (see `forward_trace`)."""
        return _trace(self._order, self.names, self.root, self.digits)

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
        """Run the next node of the pass and record every ``.grad`` it changed (old, new): none
        until the last step, where the pass commits into ``.grad`` (`backward_steps`)."""
        if self._failure is not None:  # the pass stopped at a node it cannot differentiate
            raise self._failure
        if self._stream is None:
            self._stream = _steps(
                self.root, self.seed, self._order, self.names, self.digits, self.notation
            )
        last = len(self._steps) == self.total - 1
        before = [(node, node.grad) for node in self._order] if last else []
        try:
            step = next(self._stream)
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            self._failure = exc  # the pass is atomic: nothing changed, later steps fail too
            raise
        self._steps.append(step)
        self._changes.append(tuple((node, old, node.grad) for node, old in before))

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
        applied: list[Step] = []
        while not self.done:
            step = self.next()
            assert step is not None  # not done: there is a next step
            applied.append(step)
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
            raise TypeError(
                f"jump needs a Value, a node name or a position, got "
                f"{type(target).__name__} {target!r}"
            )
        index = len(self._order) - self._order.index(node)  # steps run in reverse order
        return self.go_to(index)

    def _node_named(self, name: str) -> Value:
        """The one node called `name`; ValueError if none or several are (`node_named`)."""
        return node_named(name, reversed(self._order), self.names, "jump")

    # -- showing ----------------------------------------------------------------------------

    def draw(self, **options):
        """The graph in its current state, from `engine.draw.draw_dot`.

        The active node (the latest step's) is highlighted with its incoming edges; gradients are
        shown only for the nodes in `known()`, with this pass's values (``grads=``, even when
        ``.grad`` holds an earlier pass too) and the partial sums marked (``partial=``).
        `options` go to `draw_dot` (e.g. ``rankdir="TB"``).
        """
        from engine.draw import draw_dot

        current = self.current
        options.setdefault("names", self.names)  # boxes named as the narration names them
        options.setdefault("digits", self.digits)  # the numbers the narration prints
        options.setdefault("grads", self.grads())
        options.setdefault("partial", self.received())
        return draw_dot(
            self.root,
            highlight=current.node if current else None,
            grad_known=self.known(),
            **options,
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        """In a notebook, a Stepper shows the current graph as SVG (and its narration as text)."""
        bundle = dict(self.draw()._repr_mimebundle_(include=include, exclude=exclude) or {})
        text = str(self)
        if "image/svg+xml" not in bundle and bundle.get("text/plain"):
            text += "\n" + bundle["text/plain"]  # why there is no picture (e.g. no renderer)
        bundle["text/plain"] = text
        return bundle

    def save_html(self, target: str | Path, *, title: str | None = None, **options) -> Path:
        """Write a self-contained step-by-step player page; returns its path.

        `target` ending in ``.html`` is the page; any other path is a folder that gets
        ``index.html``. The graph is laid out once and each step is stored as the changes it
        makes, so the page grows linearly; it has Prev/Next, arrow keys, a slider, zoom and pan,
        partial sums marked, and a practice mode, and works offline from ``file://``. The
        Stepper's position is restored afterwards. ``max_nodes=`` (default
        `engine.step.player.DEFAULT_MAX_NODES`) and ``progress=`` go to
        `engine.step.player.write_player`, other `options` to `draw_dot`.
        """
        from engine.step.player import write_player

        return write_player(self, target, title=title, **options)

    def answer(self, value: object):
        """Practice mode (``Stepper(o, practice=True)``): check `value` for the question shown."""
        if self.practice is None:
            raise RuntimeError("answer() is for practice mode: Stepper(root, practice=True)")
        return self.practice.answer(value)

    def save_gif(self, path: str | Path, **options) -> Path:
        """Write the backward pass as an animated GIF, one frame per step (`engine.step.gif`)."""
        from engine.step.gif import write_gif

        return write_gif(self, path, **options)

    def _repr_html_(self) -> str | None:
        """In a notebook: the interactive player (graph, Prev/Next, slider), needing no server."""
        from engine.step.notebook import player_html

        return player_html(self)

    def summary(self) -> str:
        """This pass's gradients so far, ``name value`` per node in topological order:
        ``gradients so far (∂o/∂x): x1 -1.5, ...``; a partial sum is marked
        ``(partial: 1 of 3 edges)``."""
        grads = self.grads()
        if not grads:
            return "gradients so far: none yet"
        received = self.received()
        parts = []
        for node in self._order:
            if node in grads:
                got, of = received.get(node, (1, 1))
                note = partial_note(got, of) if got < of else ""
                text = f"{self.names[node]} {fmt(grads[node], self.digits)}"
                parts.append(f"{text} {note}" if note else text)
        total = self.notation.total(self.names[self.root], "x")
        return f"gradients so far ({total}): " + ", ".join(parts)

    def __str__(self) -> str:
        if self.practice is not None:
            return str(self.practice)
        current = self.current
        head = (
            f"step {self._position}/{self.total}\n{current}"
            if current
            else f"step 0/{self.total}: nothing applied yet (next() seeds "
            f"{self.notation.total(self.names[self.root], self.names[self.root])} = "
            f"{fmt(self.seed, self.digits)})"
        )
        return f"{head}\n{self.summary()}"

    def __repr__(self) -> str:
        """Where the stepper is and its last step, narrated (what a REPL shows for ``s``)."""
        head = f"Stepper for {self.names[self.root]}: step {self._position}/{self.total}"
        current = self.current
        if current is None:
            return f"{head}, nothing applied yet (s.next() takes the first step)"
        return f"{head}, the last step:\n{current}"
