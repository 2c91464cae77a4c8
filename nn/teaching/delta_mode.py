"""The δ mode: backpropagation through an MLP one layer at a time, as the lecture writes it.

    model = MLP(3, [3, 3, 3, 1], activation="tanh", output_activation="tanh", seed=0)
    loss = (model([0.5, -0.2, 0.1]) - 0.3) ** 2
    loss.backward()
    d = DeltaStepper(model, loss)
    print(d.next())       # the output layer's δ, each line with its numbers
    print(d.next())       # the layer below, from the one above
    d.draw()              # the network view: δ known so far, this layer in red

With δ_j^(l) = ∂L/∂s_j^(l) (s the pre-activation, a = g(s) the activation), the chain rule gives,
from the output back (seed 004's delta rule):

    δ_j^(L)   = ∂L/∂a_j^(L) · g'(s_j^(L))
    δ_i^(l-1) = g'(s_i^(l-1)) · Σ_j w_ij^(l) δ_j^(l)
    ∂L/∂w_ij^(l) = a_i^(l-1) δ_j^(l),   ∂L/∂b_j^(l) = δ_j^(l)

Every number comes from the engine after ``loss.backward()``: g'(s) is the op table's local
derivative of the activation node, ∂L/∂a^(L) and the δ of the layer above are gradients the
engine left on the nodes. Each step recomputes its δ by the rule and checks it against the
engine's (they agree unless the loss uses a hidden activation some other way).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from engine.core.chain_rule import local_derivatives
from engine.core.names import fill_in
from engine.core.numfmt import equation
from engine.core.ops import OPS
from engine.core.value import Value, fmt_number
from nn.teaching.network_view import (
    NetworkState,
    NeuronState,
    draw_network,
    grad_number,
    network_state,
)

__all__ = ["DeltaStepper", "DeltaStep", "Question"]

_SUB = str.maketrans("0123456789,", "₀₁₂₃₄₅₆₇₈₉,")
_SUP = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")


def _name(symbol: str, *indices: int, layer: int) -> str:
    """``w₁₂⁽³⁾``: lecture notation in Unicode (comma-separated indices past 9)."""
    sep = "," if any(i > 9 for i in indices) else ""
    sub = sep.join(str(i) for i in indices).translate(_SUB)
    return f"{symbol}{sub}{f'({layer})'.translate(_SUP)}"


def _paren(x: float | str) -> str:
    """A number as an operand: negative ones in parentheses, ``(-0.5)``."""
    text = x if isinstance(x, str) else fmt_number(x)
    return f"({text})" if text.startswith("-") else text


def _sup(l: int) -> str:
    return f"({l})".translate(_SUP)


def _slope(n: NeuronState) -> tuple[float, str]:
    """g'(s) from the op table (the activation node's local derivative) and its formula."""
    if n.activation == "linear" or n.out is None or n.out is n.pre:
        return 1.0, "1"
    names = {"x": _name("s", n.j, layer=n.layer), "out": _name("a", n.j, layer=n.layer)}
    formula = fill_in(OPS[n.out.op].derivatives[0], names)
    return float(local_derivatives(n.out)[0]), formula


class Question:
    """What practice asks for one neuron: `name` (``δ₁⁽³⁾``), the `rule` with its numbers but
    not the result (the hint), the value `want` and its printed `text`; `given` the numbers it
    is worked out from, and `mistakes` (what a likely slip gives: description -> number)."""

    __slots__ = ("name", "rule", "want", "text", "given", "mistakes")

    def __init__(
        self,
        name: str,
        rule: str,
        want: float,
        text: str,
        given: str = "",
        mistakes: dict[str, float] | None = None,
    ) -> None:
        self.name = name
        self.rule = rule
        self.want = want
        self.text = text
        self.given = given
        self.mistakes = mistakes or {}


_NO_SLOPE = "the factor g'(s) is missing"


def _own_numbers(n: NeuronState) -> str:
    """``s₁⁽³⁾ = 0.1647, a₁⁽³⁾ = 0.1632 (tanh)``: the neuron's forward numbers."""
    assert n.pre is not None and n.out is not None
    s, a = _name("s", n.j, layer=n.layer), _name("a", n.j, layer=n.layer)
    return f"{s} = {fmt_number(n.pre.data)}, {a} = {fmt_number(n.out.data)} ({n.activation})"


class DeltaStep:
    """One layer's δ: `layer` (1-based), `deltas` by the rule, `engine` δ (the engine's), the
    narration `lines` and one `Question` per neuron. ``str(step)`` prints it; `index` and `name`
    as in `engine.step.Step`."""

    __slots__ = ("index", "total", "layer", "name", "deltas", "engine", "lines", "questions")

    def __init__(
        self,
        index: int,
        total: int,
        layer: int,
        deltas: list[float],
        engine: list[float],
        lines: list[str],
        questions: list[Question],
    ) -> None:
        self.questions = questions
        self.index = index
        self.total = total
        self.layer = layer
        self.name = f"layer {layer}"
        self.deltas = deltas
        self.engine = engine
        self.lines = lines

    @property
    def agrees(self) -> bool:
        """The rule's δ equals the engine's gradient on every pre-activation (to rounding)."""
        return all(
            math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
            for a, b in zip(self.deltas, self.engine)
        )

    def __str__(self) -> str:
        return "\n".join(self.lines)

    def __repr__(self) -> str:
        return f"<DeltaStep {self.index}/{self.total}: layer {self.layer}>"


def _output_step(state: NetworkState, total: int) -> DeltaStep:
    L = len(state.layers)
    layer = state.layers[-1]
    head = f"[1/{total}] layer {L}, the output layer: δ_j = ∂L/∂a_j · g'(s_j)"
    lines, deltas, engine, asked = [head], [], [], []
    for n in layer:
        assert n.out is not None and n.pre is not None
        slope, formula = _slope(n)
        upstream = grad_number(n.out)
        delta = upstream * slope
        deltas.append(delta)
        engine.append(grad_number(n.pre))
        d, a = _name("δ", n.j, layer=L), _name("a", n.j, layer=L)
        given = f"∂L/∂{a} = {fmt_number(upstream)}, {_own_numbers(n)}"
        if formula == "1":  # a linear output: g' = 1, δ is ∂L/∂a itself
            lines.append(f"  {d} = ∂L/∂{a} · 1 = {fmt_number(delta)}   (a linear output: g' = 1)")
            hint = f"{d} = ∂L/∂{a} · 1 (a linear output: g' = 1)"
            asked.append(Question(d, hint, delta, fmt_number(delta), given))
            continue
        rule = f"∂L/∂{a} · ({formula})"
        (up_s, slope_s), delta_s = equation(lambda u, g: u * g, (upstream, slope), delta)
        worked = f"{d} = {rule} = {_paren(up_s)} × {_paren(slope_s)}"
        lines.append(f"  {worked} = {delta_s}")
        slip = {f"{_NO_SLOPE}: δ = ∂L/∂a · g'(s), not ∂L/∂a alone": upstream}
        asked.append(Question(d, worked, delta, delta_s, given, slip))
    return DeltaStep(1, total, L, deltas, engine, lines, asked)


def _hidden_step(state: NetworkState, l: int, index: int, total: int) -> DeltaStep:
    """δ of layer `l` from the δ of layer l + 1 (the engine's)."""
    above = state.layers[l]  # layer l + 1 (0-based list)
    layer = state.layers[l - 1]
    up = _sup(l + 1)
    head = f"[{index}/{total}] layer {l}: δ_i = g'(s_i) · Σ_j w_ij{up} δ_j{up}"
    lines, deltas, engine, asked = [head], [], [], []
    for n in layer:
        assert n.pre is not None
        slope, formula = _slope(n)
        terms = [(m.weights[n.j - 1].data, m.delta or 0.0) for m in above]
        total_in = math.fsum(w * d for w, d in terms)
        delta = slope * total_in
        deltas.append(delta)
        engine.append(grad_number(n.pre))
        d = _name("δ", n.j, layer=l)
        symbols = " + ".join(
            f"{_name('w', n.j, m.j, layer=l + 1)}{_name('δ', m.j, layer=l + 1)}" for m in above
        )
        # The printed factors carry enough digits that the line recomputes to its printed result.
        flat = [slope] + [x for pair in terms for x in pair]
        shown, delta_s = equation(
            lambda g, *wd: g * math.fsum(wd[k] * wd[k + 1] for k in range(0, len(wd), 2)),
            flat,
            delta,
        )
        pairs = [(shown[k], shown[k + 1]) for k in range(1, len(shown), 2)]
        numbers = " + ".join(f"{_paren(w)}·{_paren(dd)}" for w, dd in pairs)
        slope_text = "" if formula == "1" else f"({formula}) · "
        slope_num = "" if formula == "1" else f"{_paren(shown[0])} × "
        # practice's hint has every term; the narration folds more than four into Σ and ⋯
        given = ", ".join(
            f"{_name('w', n.j, m.j, layer=l + 1)} = {fmt_number(w)}, "
            f"{_name('δ', m.j, layer=l + 1)} = {fmt_number(dd)}"
            for m, (w, dd) in zip(above, terms)
        )
        slip = {} if formula == "1" else {f"{_NO_SLOPE}: δ = g'(s) · Σ w δ": total_in}
        asked.append(Question(d, f"{d} = {slope_text}[{symbols}] = {slope_num}[{numbers}]",
                              delta, delta_s, f"{_own_numbers(n)}; {given}", slip))  # fmt: skip
        if len(terms) > 4:
            symbols = f"Σ_j w_{n.j}j{up} δ_j{up}"
            numbers = " + ".join(f"{_paren(w)}·{_paren(dd)}" for w, dd in pairs[:3]) + " + ⋯"
        lines.append(f"  {d} = {slope_text}[{symbols}] = {slope_num}[{numbers}] = {delta_s}")
    return DeltaStep(index, total, l, deltas, engine, lines, asked)


def _weights_line(state: NetworkState, l: int) -> str:
    """One example of ∂L/∂w = a·δ for layer `l`, with numbers."""
    n = state.layers[l - 1][0]
    w = n.weights[0]
    source = state.inputs[0] if l == 1 else state.layers[l - 2][0].out
    if source is None or n.delta is None:
        return ""
    a_name = _name("x" if l == 1 else "a", 1, layer=l - 1)
    product_of = source.data * n.delta
    (a_s, d_s), product = equation(lambda x, y: x * y, (source.data, n.delta), product_of)
    return (
        f"  then ∂L/∂w_ij{_sup(l)} = a_i{_sup(l - 1)}·δ_j{_sup(l)} and ∂L/∂b_j{_sup(l)} = "
        f"δ_j{_sup(l)}, e.g. ∂L/∂{_name('w', 1, 1, layer=l)} = {a_name}·{_name('δ', 1, layer=l)}"
        f" = {_paren(a_s)} × {_paren(d_s)} = {product} "
        f"(engine: {fmt_number(grad_number(w))})"
    )


class DeltaStepper:
    """Step through an MLP's backward pass layer by layer (see the module docstring).

    `model` is the MLP and `loss` a Value built from its latest forward call, after
    ``loss.backward()``. `next()`, `back()`, `run()`, `reset()` move; `current` is the latest
    step; `draw()` is the network view with δ shown for the layers done so far; `save_html()`
    writes the player page (in a notebook the stepper shows as that page). With
    ``practice=True`` the learner gives each δ first: `answer(x)` (see
    `nn.teaching.delta_practice`).
    """

    def __init__(self, model: Any, loss: Value, *, practice: bool = False) -> None:
        state = network_state(model, loss=loss)
        if not state.layers or any(n.pre is None for layer in state.layers for n in layer):
            raise ValueError(
                "the δ mode needs a loss built from the model's latest forward call: "
                "loss = f(model(x)); loss.backward(); DeltaStepper(model, loss)"
            )
        if not state.has_grad:
            raise ValueError("run loss.backward() first: the δ mode reads the engine's gradients")
        self.model = model
        self.loss = loss
        self.state = state
        total = len(state.layers)
        self.steps = [_output_step(state, total)]
        for k, l in enumerate(range(total - 1, 0, -1), start=2):
            self.steps.append(_hidden_step(state, l, k, total))
        for step in self.steps:
            extra = _weights_line(state, step.layer)
            if extra:
                step.lines.append(extra)
        self.position = 0
        self.practice = (
            None  # practice mode (`nn.teaching.delta_practice`): answer() drives the steps
        )
        if practice:
            from nn.teaching.delta_practice import DeltaPractice

            self.practice = DeltaPractice(self)

    def answer(self, value: object):
        """Practice mode (``DeltaStepper(model, loss, practice=True)``): check `value` for the δ
        asked; returns the `engine.step.practice.Feedback`."""
        if self.practice is None:
            raise RuntimeError("answer() is for practice mode: DeltaStepper(..., practice=True)")
        return self.practice.answer(value)

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def done(self) -> bool:
        return self.position == self.total

    @property
    def current(self) -> DeltaStep | None:
        return self.steps[self.position - 1] if self.position else None

    def next(self) -> DeltaStep | None:
        if self.done:
            return None
        self.position += 1
        return self.current

    def back(self) -> DeltaStep | None:
        if self.position == 0:
            return None
        self.position -= 1
        return self.steps[self.position]

    def run(self) -> list[DeltaStep]:
        applied = []
        while not self.done:
            step = self.next()
            assert step is not None
            applied.append(step)
        return applied

    def reset(self) -> None:
        self.position = 0

    def known_layers(self) -> set[int]:
        return {step.layer for step in self.steps[: self.position]}

    def draw(self, **options):
        """The network view (`nn.draw_network`): δ for the layers done, the current one red."""
        current = self.current
        return draw_network(
            self.model,
            loss=self.loss,
            known_layers=self.known_layers(),
            highlight_layer=current.layer if current else None,
            **options,
        )

    def save_html(self, target: str | Path, **options: Any) -> Path:
        """Write the δ mode's player page (`nn.teaching.delta_page`): the network view with
        Prev/Next,
        a slider and practice mode, self-contained. `target` ``x.html`` or a folder."""
        from nn.teaching.delta_page import write_delta_player

        return write_delta_player(self, target, **options)

    def _repr_html_(self) -> str | None:
        """In a notebook: the δ mode's player page in an iframe (None, so the text shows,
        when no Graphviz renderer is installed)."""
        from engine.draw import DrawError
        from engine.step.notebook import iframe
        from nn.teaching.delta_page import delta_player_html

        try:
            page = delta_player_html(self)
        except (DrawError, OSError, ValueError):
            return None
        return iframe(page, "the δ rule, layer by layer")

    def forward_trace(self) -> str:
        """The forward pass, layer by layer: every activation."""
        lines = ["forward pass (inputs first):"]
        inputs = [fmt_number(v.data) if v is not None else "?" for v in self.state.inputs]
        lines.append(f"  inputs: {', '.join(inputs)}")
        for l, layer in enumerate(self.state.layers, start=1):
            cells = [
                f"{_name('a', n.j, layer=l)} = {fmt_number(n.out.data)}" for n in layer if n.out
            ]
            lines.append(f"  layer {l} ({layer[0].activation}): {', '.join(cells)}")
        lines.append(f"  L = {fmt_number(self.loss.data)}")
        return "\n".join(lines)

    def summary(self) -> str:
        if not self.position:
            return "δ known: none yet"
        parts = []
        for step in self.steps[: self.position]:
            deltas = ", ".join(fmt_number(d) for d in step.engine)
            parts.append(f"layer {step.layer} [{deltas}]")
        return "δ known: " + "; ".join(parts)

    def __str__(self) -> str:
        if self.practice is not None:
            return str(self.practice)
        current = self.current
        head = str(current) if current else f"δ mode: {self.total} layers, output first (next())"
        return f"{head}\n{self.summary()}"

    def __repr__(self) -> str:
        return f"<DeltaStepper: step {self.position}/{self.total}>"
