"""`Stepper`: walk a backward pass one node at a time, forwards and backwards, and draw it."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Union

from engine.graph import topological_order
from engine.names import _names_for
from engine.step.narration import ForwardTrace, Step, _check_root, _steps, _trace
from engine.value import Value, _as_float, _fmt

__all__ = ["Stepper"]


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
        return tuple(self._steps[: self._position])

    def known(self) -> set[Value]:
        """The nodes whose gradient this pass has computed so far.

        The nodes already visited, and the parents they sent contributions to (a parent with
        more children still to visit holds a partial sum).
        """
        nodes: set[Value] = set()
        for step in self._steps[: self._position]:
            nodes.add(step.node)
            nodes.update(step.node.parents)
        return nodes

    def gradients(self) -> dict[str, float]:
        """``{name: grad}`` for the nodes in `known()`, in topological order."""
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
            raise TypeError(
                f"jump needs a Value, a node name or a position, got "
                f"{type(target).__name__} {target!r}"
            )
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

    def save_html(self, directory: str | Path, *, title: str | None = None, **options) -> Path:
        """Write a self-contained step-by-step player, ``directory/index.html``; returns its path.

        One SVG frame per step (the forward pass first), the narration beside it, Prev/Next
        buttons, arrow keys and a slider; it works offline from ``file://``. The Stepper's
        position is restored afterwards. `options` go to `draw_dot`.
        """
        from engine.step.player import write_player

        return write_player(self, directory, title=title, **options)

    def summary(self) -> str:
        """The gradients computed so far, one ``name = grad`` per node, topological order."""
        grads = self.gradients()
        if not grads:
            return "gradients: none yet"
        return "gradients: " + ", ".join(f"{k} {_fmt(v)}" for k, v in grads.items())

    def __str__(self) -> str:
        current = self.current
        head = (
            f"step {self._position}/{self.total}\n{current}"
            if current
            else f"step 0/{self.total}: nothing applied yet (next() seeds "
            f"{self.names[self.root]}.grad = {_fmt(self.seed)})"
        )
        return f"{head}\n{self.summary()}"

    def __repr__(self) -> str:
        current = self.current
        at = f" at {current.name}" if current else ""
        return f"<Stepper {self.names[self.root]}: step {self._position}/{self.total}{at}>"
