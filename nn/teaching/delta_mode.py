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
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from engine.step.notation import Notation


def lookup_notation(which: Notation | str | None = None) -> Notation:
    """`engine.step.notation.notation`, imported on use (``import nn`` stays light)."""
    from engine.step.notation import notation

    return notation(which)


__all__ = ["DeltaStepper", "DeltaStep", "Question"]


def _name(symbol: str, *indices: int, layer: int, nt: Notation | None = None) -> str:
    """``w₁₂⁽³⁾``: `symbol` in the notation `nt` (default profile) in Unicode: ``"s"``, ``"a"``,
    ``"δ"`` and ``"w"`` stand for the profile's pre-activation, activation, δ and weight
    (``"w", i, j``: from input unit i to output unit j)."""
    nt = lookup_notation(nt)
    if symbol == "w":
        return nt.weight_name(indices[0], indices[1], layer=layer)
    chosen = {"s": nt.pre, "a": nt.act, "δ": nt.delta}.get(symbol, symbol)
    return nt.symbol(chosen, *indices, layer=layer)


def relabel(model: Any, nt: Notation) -> None:
    """Write `model`'s parameter labels in the profile `nt` when they are another profile's
    lecture names (``MLP.label_notation``), so that one run never shows w₂₁⁽¹⁾ beside β₁₂¹; the
    engine's own labels (``L0N1.w0``, ``label_notation`` None) are left as they are."""
    current = getattr(model, "label_notation", None)
    if current is not None and current != nt.name and hasattr(model, "use_lecture_names"):
        model.use_lecture_names(nt)


def _paren(x: float | str) -> str:
    """A number as an operand: negative ones in parentheses, ``(-0.5)``."""
    text = x if isinstance(x, str) else fmt_number(x)
    return f"({text})" if text.startswith("-") else text


def _sup(l: int, nt: Notation | None = None) -> str:
    return lookup_notation(nt).layer(l)


def _slope(n: NeuronState, nt: Notation | None = None) -> tuple[float, str]:
    """g'(s) from the op table (the activation node's local derivative) and its formula."""
    if n.activation == "linear" or n.out is None or n.out is n.pre:
        return 1.0, "1"
    names = {
        "x": _name("s", n.j, layer=n.layer, nt=nt),
        "out": _name("a", n.j, layer=n.layer, nt=nt),
    }
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


def no_slope(nt: Notation | None = None) -> str:
    """The slip of leaving g'(s) out, in the symbols of `nt`: ``the factor θ'(s) is missing``."""
    nt = lookup_notation(nt)
    return f"the factor {nt.activation}'({nt.pre}) is missing"


def _weight_pattern(nt: Notation, j: int | None = None) -> str:
    """The weight with symbolic indices: ``w_ij`` (input first) or ``β_ji``; with `j`, the
    input index fixed: ``w_2j`` / ``β_j2``."""
    i = "i" if j is None else str(j)
    return f"{nt.weight}_{i}j" if nt.input_first else f"{nt.weight}_j{i}"


def _own_numbers(n: NeuronState, nt: Notation | None = None) -> str:
    """``s₁⁽³⁾ = 0.1647, x₁⁽³⁾ = 0.1632 (tanh)``: the neuron's forward numbers."""
    assert n.pre is not None and n.out is not None
    s, a = _name("s", n.j, layer=n.layer, nt=nt), _name("a", n.j, layer=n.layer, nt=nt)
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


def _loss_line(n: NeuronState, nt: Notation, outputs: int, target: Any) -> tuple[str, str] | None:
    """For an mse loss with a known target: ``target y₁ = 0.3;  ∂⁺L/∂x₁⁽²⁾ = 2(x₁⁽²⁾ − y₁) =
    2(0.76 − 0.3) = 0.92``, the formula ∂/∂a (1/n) Σ (a − y)² = 2(a − y)/n with its numbers (and
    the short rule for the hint); None when the target is not known."""
    if target is None or n.out is None:
        return None
    y = float(target[n.j - 1]) if isinstance(target, (list, tuple)) else float(target)
    a = _name("a", n.j, layer=n.layer, nt=nt)
    t = nt.symbol(nt.target, n.j)
    per = "" if outputs == 1 else f"/{outputs}"
    value = 2.0 * (n.out.data - y) / outputs
    (a_s, y_s), value_s = equation(lambda p, q: 2.0 * (p - q) / outputs, (n.out.data, y), value)
    rule = f"{nt.total(nt.loss, a)} = 2({a} − {t}){per}"
    worked = f"target {t} = {fmt_number(y)};  {rule} = 2({a_s} − {_paren(y_s)}){per} = {value_s}"
    return worked, rule


def _softmax_line(
    layer: list[NeuronState], n: NeuronState, nt: Notation, target: int
) -> tuple[float, str, str]:
    """Softmax + cross-entropy at a linear output: δ_j = ∂⁺L/∂s_j = p_j − t_j, with p the
    softmax of the outputs and t the one-hot target; (δ, the worked line, the rule)."""
    pre = [m.pre.data for m in layer if m.pre is not None]
    top = max(pre)
    exps = [math.exp(v - top) for v in pre]
    p = exps[n.j - 1] / math.fsum(exps)
    t = 1.0 if n.j - 1 == target else 0.0
    d = _name("δ", n.j, layer=n.layer, nt=nt)
    p_name, t_name = nt.symbol(nt.prob, n.j), nt.symbol(nt.target, n.j)
    (p_s, t_s), delta_s = equation(lambda u, v: u - v, (p, t), p - t)
    rule = f"{d} = {p_name} − {t_name}"
    return p - t, f"{rule} = {p_s} − {t_s} = {delta_s}", rule


def _output_step(
    state: NetworkState,
    total: int,
    nt: Notation | None = None,
    target: Any = None,
    loss_kind: str | None = None,
) -> DeltaStep:
    """δ of the output layer: ∂⁺L/∂a_j · g'(s_j); for softmax + cross-entropy p_j − t_j."""
    nt = lookup_notation(nt)
    L = len(state.layers)
    layer = state.layers[-1]
    act, pre, g = nt.act, nt.pre, nt.activation
    head = (
        f"[1/{total}] layer {L}, the output layer: {nt.delta}_j = "
        f"{nt.total(nt.loss, act + '_j')} · {g}'({pre}_j)"
    )
    lines, deltas, engine, asked = [head], [], [], []
    softmax = loss_kind == "cross_entropy" and target is not None
    if softmax:
        k = nt.class_index(int(target))
        lines.append(
            f"  softmax + cross-entropy: {nt.prob}_j = softmax({pre})_j, {nt.target}_j = 1 for "
            f"the class (k = {k}) else 0, and {nt.delta}_j = {nt.total(nt.loss, pre + '_j')} = "
            f"{nt.prob}_j − {nt.target}_j (the softmax's {g}' and "
            f"{nt.total(nt.loss, nt.prob)} combined)"
        )
    for n in layer:
        assert n.out is not None and n.pre is not None
        slope, formula = _slope(n, nt)
        upstream = grad_number(n.out)
        d, a = _name("δ", n.j, layer=L, nt=nt), _name("a", n.j, layer=L, nt=nt)
        up_name = nt.total(nt.loss, a)
        engine.append(grad_number(n.pre))
        given = f"{up_name} = {fmt_number(upstream)}, {_own_numbers(n, nt)}"
        if softmax and formula == "1":
            delta, worked, rule = _softmax_line(layer, n, nt, int(target))
            deltas.append(delta)
            lines.append(f"  {worked}")
            asked.append(Question(d, rule, delta, worked.rsplit(" = ", 1)[1], given))
            continue
        delta = upstream * slope
        deltas.append(delta)
        loss_line = _loss_line(n, nt, len(layer), target) if loss_kind == "mse" else None
        if loss_line is not None:
            lines.append(f"  {loss_line[0]}")
        if formula == "1":  # a linear output: g' = 1, δ is ∂L/∂a itself
            linear = f"(a linear output: {g}' = 1)"
            lines.append(f"  {d} = {up_name} · 1 = {fmt_number(delta)}   {linear}")
            hint = f"{d} = {up_name} · 1 {linear}"
            asked.append(Question(d, hint, delta, fmt_number(delta), given))
            continue
        rule = f"{up_name} · ({formula})"
        (up_s, slope_s), delta_s = equation(lambda u, g: u * g, (upstream, slope), delta)
        worked = f"{d} = {rule} = {_paren(up_s)} × {_paren(slope_s)}"
        lines.append(f"  {worked} = {delta_s}")
        upstream_j = nt.total(nt.loss, act)
        slip = {
            f"{no_slope(nt)}: {nt.delta} = {upstream_j} · {g}'({pre}), not {upstream_j} alone": (
                upstream
            )
        }
        asked.append(Question(d, worked, delta, delta_s, given, slip))
    return DeltaStep(1, total, L, deltas, engine, lines, asked)


def _hidden_step(
    state: NetworkState, l: int, index: int, total: int, nt: Notation | None = None
) -> DeltaStep:
    """δ of layer `l` from the δ of layer l + 1 (the engine's)."""
    nt = lookup_notation(nt)
    above = state.layers[l]  # layer l + 1 (0-based list)
    layer = state.layers[l - 1]
    up = _sup(l + 1, nt)
    w_ij = _weight_pattern(nt)
    head = (
        f"[{index}/{total}] layer {l}: {nt.delta}_i = {nt.activation}'({nt.pre}_i) · "
        f"Σ_j {w_ij}{up} {nt.delta}_j{up}"
    )
    lines, deltas, engine, asked = [head], [], [], []
    for n in layer:
        assert n.pre is not None
        slope, formula = _slope(n, nt)
        terms = [(m.weights[n.j - 1].data, m.delta or 0.0) for m in above]
        total_in = math.fsum(w * d for w, d in terms)
        delta = slope * total_in
        deltas.append(delta)
        engine.append(grad_number(n.pre))
        d = _name("δ", n.j, layer=l, nt=nt)

        def w_name(m: NeuronState, i: int = n.j) -> str:
            return _name("w", i, m.j, layer=l + 1, nt=nt)

        def d_name(m: NeuronState) -> str:
            return _name("δ", m.j, layer=l + 1, nt=nt)

        symbols = " + ".join(f"{w_name(m)}{d_name(m)}" for m in above)
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
            f"{w_name(m)} = {fmt_number(w)}, {d_name(m)} = {fmt_number(dd)}"
            for m, (w, dd) in zip(above, terms)
        )
        rule_text = f"{nt.delta} = {nt.activation}'({nt.pre}) · Σ {nt.weight} {nt.delta}"
        slip = {} if formula == "1" else {f"{no_slope(nt)}: {rule_text}": total_in}
        asked.append(Question(d, f"{d} = {slope_text}[{symbols}] = {slope_num}[{numbers}]",
                              delta, delta_s, f"{_own_numbers(n, nt)}; {given}", slip))  # fmt: skip
        if len(terms) > 4:
            symbols = f"Σ_j {_weight_pattern(nt, n.j)}{up} {nt.delta}_j{up}"
            numbers = " + ".join(f"{_paren(w)}·{_paren(dd)}" for w, dd in pairs[:3]) + " + ⋯"
        lines.append(f"  {d} = {slope_text}[{symbols}] = {slope_num}[{numbers}] = {delta_s}")
    return DeltaStep(index, total, l, deltas, engine, lines, asked)


def _weights_line(
    state: NetworkState, l: int, nt: Notation | None = None, lr: float = 0.1
) -> list[str]:
    """One example of ∂⁺L/∂w = x·δ for layer `l`, with numbers, and the update step it gives:
    w_ij ← w_ij − η · x_i · δ_j."""
    nt = lookup_notation(nt)
    n = state.layers[l - 1][0]
    w = n.weights[0]
    source = state.inputs[0] if l == 1 else state.layers[l - 2][0].out
    if source is None or n.delta is None:
        return []
    a_name = nt.input_name(1) if l == 1 else _name("a", 1, layer=l - 1, nt=nt)
    w_name, d_name = _name("w", 1, 1, layer=l, nt=nt), _name("δ", 1, layer=l, nt=nt)
    product_of = source.data * n.delta
    (a_s, d_s), product = equation(lambda x, y: x * y, (source.data, n.delta), product_of)
    w_ij = _weight_pattern(nt)
    sup, below = _sup(l, nt), _sup(l - 1, nt)
    if l > 1 or nt.act == "x":
        source_i = f"{nt.act}_i{below}"
    else:  # the inputs are x, the activations another letter
        source_i = "x_i"
    gradient = (
        f"  then {nt.total(nt.loss, w_ij + sup)} = {source_i}·{nt.delta}_j{sup} and "
        f"{nt.total(nt.loss, 'b_j' + sup)} = {nt.delta}_j{sup}, e.g. "
        f"{nt.total(nt.loss, w_name)} = {a_name}·{d_name} = {_paren(a_s)} × {_paren(d_s)} = "
        f"{product} (engine: {fmt_number(grad_number(w))})"
    )
    new = w.data - lr * product_of
    (w_s, lr_s, x_s, dd_s), new_s = equation(
        lambda a, b, c, d: a - b * c * d, (w.data, lr, source.data, n.delta), new
    )
    update = (
        f"  update ({nt.lr} = {fmt_number(lr)}): {w_name} ← {w_name} − {nt.lr}·{a_name}·{d_name}"
        f" = {w_s} − {lr_s} × {_paren(x_s)} × {_paren(dd_s)} = {new_s}"
    )
    return [gradient, update]


class DeltaStepper:
    """Step through an MLP's backward pass layer by layer (see the module docstring).

    `model` is the MLP and `loss` a Value built from its latest forward call, after
    ``loss.backward()``. `notation` is the lecture whose symbols every line, question and
    drawing uses (`engine.step.notation`; default its DEFAULT); a model labelled in another
    lecture's names (``MLP(names="lecture-001")``) is relabelled in it (see `relabel`).
    `next()`, `back()`, `run()`, `reset()` move; `current` is the latest
    step; `draw()` is the network view with δ shown for the layers done so far; `save_html()`
    writes the player page (in a notebook the stepper shows as that page). With
    ``practice=True`` the learner gives each δ first: `answer(x)` (see
    `nn.teaching.delta_practice`).
    """

    def __init__(
        self,
        model: Any,
        loss: Value,
        *,
        practice: bool = False,
        notation: Notation | str | None = None,
        target: Any = None,
        loss_kind: str | None = None,
        lr: float = 0.1,
    ) -> None:
        self.notation = lookup_notation(notation)
        if loss_kind not in (None, "mse", "cross_entropy"):
            raise ValueError(
                f"DeltaStepper(loss_kind=) is 'mse', 'cross_entropy' or None, got {loss_kind!r}"
            )
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0:
            raise ValueError(f"DeltaStepper(lr=) must be a positive number, got {lr!r}")
        self.lr = float(lr)
        self.target = target
        self.loss_kind = loss_kind
        state = network_state(model, loss=loss)
        if not state.layers or any(n.pre is None for layer in state.layers for n in layer):
            raise ValueError(
                "the δ mode needs a loss built from the model's latest forward call: "
                "loss = f(model(x)); loss.backward(); DeltaStepper(model, loss)"
            )
        if not state.has_grad:
            raise ValueError("run loss.backward() first: the δ mode reads the engine's gradients")
        relabel(model, self.notation)
        self.model = model
        self.loss = loss
        self.state = state
        total = len(state.layers)
        nt = self.notation
        self.steps = [_output_step(state, total, nt, target, loss_kind)]
        for k, l in enumerate(range(total - 1, 0, -1), start=2):
            self.steps.append(_hidden_step(state, l, k, total, nt))
        for step in self.steps:
            step.lines.extend(_weights_line(state, step.layer, nt, self.lr))
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
            **{"notation": self.notation, **options},
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
                f"{_name('a', n.j, layer=l, nt=self.notation)} = {fmt_number(n.out.data)}"
                for n in layer
                if n.out
            ]
            lines.append(f"  layer {l} ({layer[0].activation}): {', '.join(cells)}")
        lines.append(f"  {self.notation.loss} = {fmt_number(self.loss.data)}")
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
