"""Every number a picture shows is the engine's number for that quantity.

The network view (`nn.draw_network`, and the δ mode's frames) is rendered to SVG and its DOT
source is read too; every number is read back out of the picture's text (the SVG ``<text>``
elements, the DOT labels, the tooltips) and compared with the same quantity computed
independently: the network rebuilt here from fresh Values holding the model's weights, its
gradients from `engine.grad` (a functional pass, no ``.grad`` read), the input gradients also
by central differences. A printed number agrees when the engine's number rounds to it (half a
unit of its last significant digit); a tooltip's exact number agrees to 1e-9. Graph drawings
(`draw_dot`) are checked the same way, box by box, against their Values.
"""

from __future__ import annotations

import math
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from engine import Value, draw_dot, grad
from engine.core.chain_rule import defined_local_derivatives
from engine.core.graph import topological_order
from engine.core.numfmt import get_digits
from engine.step.narration import is_constant
from engine.step.notation import notation
from nn import MLP, DeltaStepper, draw_network
from nn.activations import get_activation
from nn.losses import cross_entropy, mse

graphviz = pytest.importorskip("graphviz")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="no system Graphviz `dot`")

SVG = "{http://www.w3.org/2000/svg}"
XLINK_TITLE = "{http://www.w3.org/1999/xlink}title"
VALUE_COLOUR = "#212529"
GRAD_COLOURS = {"#495057", "#2b8a3e"}
META_COLOUR = "#868e96"  # the "value | ∂L/∂" column heads
NT = notation()  # the views are drawn in the default profile: s, x = θ(s), w_ij, ∂⁺L/∂
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|[-+]?inf|nan")


# --------------------------------------------------------------------------------------------
# The oracle: the network rebuilt from fresh Values, gradients by engine.grad
# --------------------------------------------------------------------------------------------


def _layers(model):
    return list(model.layers) if hasattr(model, "layers") else [model]


def oracle(model, x, loss_fn) -> dict:
    """Every quantity the view can show, keyed as the picture names it:
    ("x", i), ("s", l, j), ("a", l, j), ("b", l, j), ("w", i, j, l) -> (value, ∂L/∂value), and
    ("L",) -> (L, 1). Built from fresh Values with the model's numbers: no node of the model's
    own graph and no ``.grad`` is read."""
    xs = [Value(float(v.data if isinstance(v, Value) else v)) for v in x]
    nodes: dict[tuple, Value] = {("x", i): v for i, v in enumerate(xs, start=1)}
    acts = xs
    for l, layer in enumerate(_layers(model), start=1):
        out = []
        for j, neuron in enumerate(layer.neurons, start=1):
            ws = [Value(w.data) for w in neuron.w]
            b = Value(neuron.b.data)
            s = b
            for w, a in zip(ws, acts):
                s = s + w * a
            a = get_activation(neuron.activation)(s)
            nodes[("s", l, j)], nodes[("a", l, j)], nodes[("b", l, j)] = s, a, b
            for i, w in enumerate(ws, start=1):
                nodes[("w", i, j, l)] = w
            out.append(a)
        acts = out
    loss = loss_fn(acts[0] if len(acts) == 1 else acts)
    keys = list(nodes)
    grads = grad(loss, [nodes[k] for k in keys], allow_unused=True, materialize_grads=True)
    found = {k: (nodes[k].data, _number(g)) for k, g in zip(keys, grads)}
    found[("L",)] = (loss.data, 1.0)
    return found


def _number(g) -> float:
    return g.data if isinstance(g, Value) else float(g)


def finite_difference_input_grads(model, x, loss_fn, h: float = 1e-6) -> list[float]:
    """∂L/∂x_i by central differences on the oracle's forward (plain numbers in and out)."""
    plain = [float(v.data if isinstance(v, Value) else v) for v in x]

    def f(values):
        return oracle(model, values, loss_fn)[("L",)][0]

    out = []
    for i in range(len(plain)):
        up, down = list(plain), list(plain)
        up[i] += h
        down[i] -= h
        out.append((f(up) - f(down)) / (2 * h))
    return out


def agrees(text: str, value: float) -> bool:
    """The printed `text` is `value` rounded to the engine's significant digits."""
    shown = float(text)
    if shown == 0.0:
        return abs(value) < 1e-15
    if not math.isfinite(shown):
        return shown == value
    unit = 10.0 ** (math.floor(math.log10(abs(shown))) - (get_digits() - 1))
    return abs(shown - value) <= 0.5 * unit * (1 + 1e-9) + 1e-15 * abs(value)


def exact_agrees(text: str, value: float) -> bool:
    return math.isclose(float(text), value, rel_tol=1e-9, abs_tol=1e-13)


# --------------------------------------------------------------------------------------------
# Reading the picture: rows of (name, values, grads) from the SVG text or the DOT labels
# --------------------------------------------------------------------------------------------


_SUBS = dict(zip("₀₁₂₃₄₅₆₇₈₉", "0123456789"))
_SUPS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾", "0123456789()"))


class Row:
    """One table row of a neuron box: its name (symbol, subscript, superscript), the printed
    value cells and gradient cells, and any other text (bold heads, ``L = ...``)."""

    def __init__(self) -> None:
        self.name: list[tuple[str, str]] = []  # (shift, text): "", "sub", "super"
        self.values: list[str] = []
        self.grads: list[str] = []
        self.other: list[str] = []
        self.bold = False

    def key(self) -> tuple | None:
        """("s", l, j) etc. from the name cell, as `oracle` keys them."""
        plain = "".join(t for s, t in self.name if s == "").strip()
        symbol = "".join(c for c in plain if c not in _SUBS and c not in _SUPS)
        if not symbol:
            return None
        sub = "".join(t for s, t in self.name if s == "sub")
        sub += "".join(_SUBS[c] for c in plain if c in _SUBS)  # Unicode: w₁₂⁽¹⁾
        sup = "".join(t for s, t in self.name if s == "super")
        sup = (sup + "".join(_SUPS[c] for c in plain if c in _SUPS)).strip("()")
        if symbol == "x" and sup not in ("", "0"):  # lecture 004: x_j^(l), an activation
            return ("a", int(sup), int(sub))
        if symbol == "x":
            return ("x", int(sub))
        if symbol == "w":
            i, j = sub.split(",") if "," in sub else (sub[0], sub[1:])
            return ("w", int(i), int(j), int(sup))
        if symbol in ("s", "a", "b"):
            return (symbol, int(sup), int(sub))
        raise AssertionError(f"a row named {self.name!r}")


def _shift(element) -> str:
    return element.get("baseline-shift", "")


def svg_nodes(svg: bytes, source: str) -> dict[str, tuple[list[Row], list[str], list[str]]]:
    """Each SVG node or edge group by its title: (rows of its table, tooltips, plain texts).
    The SVG titles drop an edge's ports, so edges are named by the DOT `source`'s edge order."""
    root = ET.fromstring(svg)
    out = {}
    edges = iter(re.findall(r"^\s*(L\d+:n\d+:e) -> (\S+) \[", source, re.M))
    for g in root.iter(f"{SVG}g"):
        if g.get("class") not in ("node", "edge"):
            continue
        title = g.find(f"{SVG}title").text
        if g.get("class") == "edge":
            tail, head = next(edges)
            assert title == re.sub(r":(n\d+|L):", ":", f"{tail}->{head}"), (title, tail, head)
            title = f"{tail}->{head}"
        tips = [a.get(XLINK_TITLE) for a in g.iter(f"{SVG}a") if a.get(XLINK_TITLE)]
        rows: list[Row] = []
        texts: list[str] = []
        last_y = None
        for t in g.iter(f"{SVG}text"):
            text = t.text or ""
            texts.append(text)
            y = float(t.get("y"))
            if last_y is None or abs(y - last_y) > 4:
                rows.append(Row())
            last_y = y
            row = rows[-1]
            fill = t.get("fill")
            if t.get("font-size") == "12.00" and g.get("class") == "node":
                row.other.append(text)  # the column's title: "layer 1 (tanh)"
            elif t.get("font-weight") == "bold":
                row.bold = True
                row.other.append(text)
            elif fill == VALUE_COLOUR:
                row.values.append(text)
            elif fill in GRAD_COLOURS:
                row.grads.append(text)
            elif fill == META_COLOUR:
                row.other.append(text)
            elif row.bold or text.startswith(("L = ", "∂L/∂")) or g.get("class") == "edge":
                row.other.append(text)
            else:
                row.name.append((_shift(t), text))
        out[title] = (rows, tips, texts)
    return out


def dot_nodes(source: str) -> dict[str, tuple[list[Row], list[str], list[str]]]:
    """The same from the DOT source's HTML-like labels (nodes only) and tooltips."""
    out = {}
    for match in re.finditer(r"^\s*(L\d+|loss) \[label=<(.*)>(?: tooltip=\"([^\"]*)\")?\]$",
                             source, re.M):  # fmt: skip
        table = ET.fromstring(match.group(2))
        rows = []
        texts = []
        tips = [t.get("TOOLTIP") for t in table.iter("TABLE") if t.get("TOOLTIP")]
        if match.group(3):
            tips.append(match.group(3))
        for tr in table.iter("TR"):
            if tr.find("TD/TABLE") is not None:
                continue  # a cell holding a neuron's box: its own rows come next
            row = Row()
            for td in tr.findall("TD"):
                font = td.find("FONT")
                if font is not None and font.get("POINT-SIZE"):  # the column's title
                    row.other.append("".join(font.itertext()))
                elif td.find("B") is not None:
                    row.bold = True
                    row.other.append("".join(td.itertext()))
                elif font is not None and font.get("COLOR") == VALUE_COLOUR:
                    row.values.append("".join(font.itertext()))
                elif font is not None and font.get("COLOR") in GRAD_COLOURS:
                    row.grads.append("".join(font.itertext()))
                elif font is not None:
                    row.other.append("".join(font.itertext()))
                elif (td.text or "").startswith("L = "):
                    row.other.append(td.text)
                else:
                    row.name.append(("", td.text or ""))
                    for part in td:
                        row.name.append(({"SUB": "sub", "SUP": "super"}[part.tag], part.text))
                        if part.tail:
                            row.name.append(("", part.tail))
            texts += [t for t in row.other + row.values + row.grads]
            rows.append(row)
        out[match.group(1)] = (rows, tips, texts)
    for match in re.finditer(r"^\s*(L\d+:n\d+:e -> \S+) \[([^\]]*)\]$", source, re.M):
        attrs = match.group(2)
        tip = re.search(r'tooltip="([^"]*)"', attrs)
        label = re.search(r'label=(<.*>|"[^"]*")', attrs)
        texts = []
        if label:
            text = label.group(1).strip('"<>')
            texts = [re.sub(r"<[^>]*>", " ", part) for part in re.split(r"<BR/>", text)]
        out[match.group(1).replace(" -> ", "->")] = ([], [tip.group(1)] if tip else [], texts)
    return out


def _weight_key(name: str) -> tuple:
    """("w", i, j, l) from the profile's weight name ``w₁₂⁽³⁾`` (input first: w_ij^(l))."""
    sub = "".join(_SUBS.get(c, c) for c in name[1 : name.index("⁽")])
    i, j = sub.split(",") if "," in sub else (sub[0], sub[1:])
    layer = "".join(_SUPS[c] for c in name[name.index("⁽") :]).strip("()")
    return ("w", int(i), int(j), int(layer))


def _grad_text(text: str) -> str:
    return text.removeprefix("δ ").strip()


class Checker:
    """Compares every number read from a picture with the oracle; collects disagreements."""

    def __init__(self, want: dict) -> None:
        self.want = want
        self.bad: list[str] = []
        self.checked = 0
        self.unknown = 0

    def one(self, where: str, text: str, value: float, exact: bool = False) -> None:
        text = _grad_text(text)
        if text == "?":
            self.unknown += 1
            return
        ok = exact_agrees(text, value) if exact else agrees(text, value)
        self.checked += 1
        if not ok:
            self.bad.append(f"{where}: the picture says {text}, the engine {value!r}")

    def rows(self, where: str, rows: list[Row]) -> None:
        for row in rows:
            key = row.key()
            if key is None:
                for text in row.other:
                    if text.startswith("L = "):
                        self.one(f"{where} L", text[4:], self.want[("L",)][0])
                assert not row.values and not row.grads, (where, vars(row))  # unnamed numbers
                continue
            value, derivative = self.want[key]
            assert len(row.values) == 1 and len(row.grads) <= 1, (where, key, vars(row))
            self.one(f"{where} {key} value", row.values[0], value)
            for text in row.grads:
                self.one(f"{where} {key} ∂L/∂", text, derivative)

    def tooltip(self, where: str, tip: str) -> None:
        """``neuron j of layer l (tanh); s = ...; a = ...; δ = ...`` and the edges' and inputs'."""
        parts = [p.strip() for p in tip.split(";")]
        head = parts[0]
        if m := re.match(r"neuron (\d+) of layer (\d+)", head):
            j, l = int(m.group(1)), int(m.group(2))
            a, b = NT.act_name(j, l), NT.bias_name(j, l)
            names = {NT.pre_name(j, l): ("s", 0), a: ("a", 0), NT.delta_name(j, l): ("s", 1),
                     NT.total(NT.loss, a): ("a", 1), b: ("b", 0),
                     NT.total(NT.loss, b): ("b", 1)}  # fmt: skip
            for part in parts[1:]:
                name, _, text = part.partition(" = ")
                symbol, k = names[name]
                self.one(f"{where} tooltip {name}", text, self.want[(symbol, l, j)][k], True)
        elif m := re.match(r"input (\d+)", head):
            i = int(m.group(1))
            for part in parts[1:]:
                name, _, text = part.partition(" = ")
                x = NT.input_name(i)
                k = {x: 0, NT.total(NT.loss, x): 1}[name]
                self.one(f"{where} tooltip {name}", text, self.want[("x", i)][k], True)
        elif m := re.match(r"(w[₀-₉,]+⁽[⁰¹²³⁴⁵⁶⁷⁸⁹]+⁾) = (\S+)", head):
            key = _weight_key(m.group(1))
            self.one(f"{where} tooltip w", m.group(2), self.want[key][0], True)
            for part in parts[1:]:  # none while the weight's layer is not done (δ mode)
                name, _, text = part.partition(" = ")
                assert name == NT.total(NT.loss, m.group(1)), tip
                self.one(f"{where} tooltip w.grad", text, self.want[key][1], True)
        elif tip.startswith("L = "):
            self.one(f"{where} tooltip L", tip[4:], self.want[("L",)][0], True)
        elif tip.startswith(NT.total(NT.loss, NT.act)):
            pass  # a loss edge: checked by `edge` with its neuron
        else:
            raise AssertionError(f"{where}: a tooltip this check cannot read: {tip!r}")

    def edge(self, title: str, tips: list[str], texts: list[str], last: int) -> None:
        """An edge: a weight's (tooltip, optional label) or a loss edge's ∂L/∂a."""
        m = re.match(r"L(\d+):n(\d+):e\s*->\s*(?:L(\d+):n(\d+):w|loss:L:w)", title)
        assert m, title
        if m.group(3) is None:  # output neuron j -> loss
            key = ("a", last, int(m.group(2)))
            for tip in tips:
                self.one(f"{title} tooltip", tip.partition(" = ")[2], self.want[key][1], True)
            upstream = f"{NT.total(NT.loss, NT.act_name(int(m.group(2)), last))} = "
            for text in texts:
                if text.strip():
                    assert text.startswith(upstream), (title, text)
                    self.one(f"{title} label", text[len(upstream) :], self.want[key][1])
            return
        i, l, j = int(m.group(2)), int(m.group(3)), int(m.group(4))
        key = ("w", i, j, l)
        for tip in tips:
            self.tooltip(title, tip)
        joined = " ".join(texts)
        found = re.findall(r"(∂⁺L/∂w)?\s*=\s*(\S+)", joined)
        for name, text in found:
            k = 1 if name == "∂⁺L/∂w" else 0
            self.one(f"{title} label", text, self.want[key][k])
        assert len(found) == joined.count("="), (title, texts)  # every number was read

    def picture(self, read: dict) -> None:
        last = max((int(k[1:]) for k in read if re.fullmatch(r"L\d+", k)), default=0)
        for title, (rows, tips, texts) in read.items():
            if "->" in title:
                self.edge(title, tips, texts, last)
                continue
            self.rows(title, rows)
            for tip in tips:
                self.tooltip(title, tip)


def leftover_numbers(read: dict) -> list[str]:
    """Texts with a number that no rule above reads (names' indices and titles excepted)."""
    out = []
    for title, (rows, _, _) in read.items():
        if "->" in title:
            continue  # edges: `Checker.edge` reads every number or fails
        for row in rows:
            for text in row.other:
                if row.bold or text.startswith(("L = ", "layer ", "inputs", "loss")):
                    continue
                if NUMBER.search(text) and text.strip() not in ("?",):
                    out.append(f"{title}: {text!r}")
    return out


# --------------------------------------------------------------------------------------------
# The models
# --------------------------------------------------------------------------------------------


def squared(target):
    return lambda out: mse(out, target)


def ce(target):
    return lambda out: cross_entropy(out, target)


CASES = {
    # name: (nin, sizes, activation, x, loss, inputs as Values?)
    "tanh 2-3-1 mse floats": (2, [3, 1], "tanh", [0.5, -1.0], squared(1.0), False),
    "tanh 2-3-1 mse Values": (2, [3, 1], "tanh", [0.5, -1.0], squared(1.0), True),
    "relu 3-4-4-1 mse floats": (3, [4, 4, 1], "relu", [0.3, -0.7, 0.9], squared(-0.5), False),
    "relu 3-4-2 mse floats": (3, [4, 2], "relu", [1.2, 0.4, -0.8], squared([0.5, -1.0]), False),
    "tanh 3-3-3 cross-entropy floats": (3, [3, 3], "tanh", [0.2, -0.4, 0.6], ce(1), False),
    "relu 2-4-3 cross-entropy Values": (2, [4, 3], "relu", [-0.6, 0.8], ce(2), True),
    "tanh 3-3-3-3-1 mse floats": (3, [3, 3, 3, 1], "tanh", [0.5, -0.2, 0.1], squared(0.3), False),
}


def trained(case: str, seed: int = 0):
    nin, sizes, activation, x, loss_fn, as_values = CASES[case]
    model = MLP(nin, sizes, activation=activation, seed=seed)
    inputs = [Value(v) for v in x] if as_values else list(x)
    loss = loss_fn(model(inputs))
    loss.backward()
    return model, loss, x, loss_fn


def check(read: dict, want: dict) -> Checker:
    checker = Checker(want)
    checker.picture(read)
    assert checker.bad == [], "\n".join(checker.bad)
    assert leftover_numbers(read) == []
    return checker


# --------------------------------------------------------------------------------------------
# The network view
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(CASES))
def test_every_number_in_the_network_views_dot_is_the_engines(case):
    model, loss, x, loss_fn = trained(case)
    want = oracle(model, x, loss_fn)
    for options in ({}, {"edge_labels": True}):
        g = draw_network(model, loss=loss, **options)
        checker = check(dot_nodes(g.source), want)
        sizes = [len(x)] + CASES[case][1]
        weights = sum(a * b for a, b in zip(sizes, sizes[1:]))
        assert checker.checked >= 2 * weights + 4 * sum(sizes[1:])  # every weight and neuron


@needs_dot
@pytest.mark.parametrize("case", list(CASES))
def test_every_number_in_the_network_views_svg_is_the_engines(case):
    model, loss, x, loss_fn = trained(case)
    want = oracle(model, x, loss_fn)
    for options in ({}, {"edge_labels": True}):
        g = draw_network(model, loss=loss, **options)
        read = svg_nodes(g.pipe(format="svg"), g.source)
        checker = check(read, want)
        shown = [row for rows, _, _ in read.values() for row in rows if row.key()]
        inputs = [row for row in shown if row.key()[0] == "x"]
        assert len(inputs) == len(x) and all(len(row.grads) == 1 for row in inputs)
        assert checker.checked > len(shown)


@pytest.mark.parametrize("case", ["tanh 2-3-1 mse floats", "relu 3-4-2 mse floats",
                                  "tanh 3-3-3 cross-entropy floats"])  # fmt: skip
def test_the_input_gradient_is_the_sum_over_every_neuron_of_layer_1(case):
    """The regression: called on plain floats, each neuron of layer 1 gets its own constant
    leaf for x_i, and the view showed one leaf's .grad, w_i1 δ_1, not Σ_j w_ij δ_j."""
    model, loss, x, loss_fn = trained(case)
    want = oracle(model, x, loss_fn)
    by_differences = finite_difference_input_grads(model, x, loss_fn)
    source = draw_network(model, loss=loss).source
    rows = [row for row in dot_nodes(source)["L0"][0] if row.key() is not None]
    assert len(rows) == len(x)
    for row in rows:
        k = row.key()[1]
        assert agrees(row.grads[0], want[("x", k)][1]), (row.grads, want[("x", k)])
        assert want[("x", k)][1] == pytest.approx(by_differences[k - 1], rel=1e-5, abs=1e-8)
    first = model.layers[0].neurons
    for k in range(1, len(x) + 1):
        total = sum(n.w[k - 1].data * d for n, d in zip(first, _deltas(want, len(first))))
        assert want[("x", k)][1] == pytest.approx(total, rel=1e-12, abs=1e-15)


def _deltas(want: dict, n: int) -> list[float]:
    return [want[("s", 1, j)][1] for j in range(1, n + 1)]


def test_the_demos_pictures_show_the_engines_input_gradients():
    """The three pictures of the issue: the delta_rule demo, `chainrule delta`, softmax's."""
    from demos import delta_rule, softmax_classifier

    model, e = delta_rule.model_pass(delta_rule.make_problem(0))
    p = delta_rule.make_problem(0)
    want = oracle(model, list(p["x0"]), lambda out: (out - p["y"]) ** 2)
    check(dot_nodes(draw_network(model, loss=e).source), want)
    assert abs(want[("x", 1)][1]) < 1e-3  # Σ_j w_1j δ_j ≈ -1.9e-4, not w_11 δ_1 = 0.02247

    q = softmax_classifier.make_problem(0)
    model = softmax_classifier.model_from_problem(q)
    loss = -softmax_classifier.softmax(model(q["x"]))[q["target"]].log()
    loss.backward()
    want = oracle(model, q["x"], lambda out: -softmax_classifier.softmax(out)[q["target"]].log())
    check(dot_nodes(draw_network(model, loss=loss).source), want)
    assert want[("x", 1)][1] == pytest.approx(-0.1418, abs=5e-5)  # the hidden unit graph's


def test_the_delta_cli_picture_shows_the_engines_numbers(tmp_path):
    from engine.cli import main

    target = tmp_path / "net.dot"
    assert main(["delta", "--all", "-o", str(target)]) == 0
    read = dot_nodes(target.read_text(encoding="utf-8"))
    (x_row,) = [r for r in read["L0"][0] if r.key() == ("x", 1)]
    assert x_row.grads == ["-0.02384"]  # Σ_j w_1j δ_j = -0.0238437, not w_11 δ_1 = 5.436e-4


def test_every_frame_of_the_delta_mode_shows_the_engines_numbers_or_a_question_mark():
    model, loss, x, loss_fn = trained("tanh 3-3-3-3-1 mse floats")
    want = oracle(model, x, loss_fn)
    stepper = DeltaStepper(model, loss)
    unknown = []
    for _ in range(stepper.total + 1):
        checker = check(dot_nodes(stepper.draw().source), want)
        unknown.append(checker.unknown)
        stepper.next()
    assert unknown[0] > unknown[-1] == 0 and unknown == sorted(unknown, reverse=True)
    for step in stepper.steps:  # the narration's δ are the engine's too
        for j, delta in enumerate(step.engine, start=1):
            assert delta == pytest.approx(want[("s", step.layer, j)][1], rel=1e-12, abs=1e-15)


def test_a_forward_only_view_shows_the_engines_forward_numbers():
    model = MLP(3, [4, 2], activation="tanh", seed=3)
    x = [0.1, -0.5, 0.7]
    want = oracle(model, x, lambda out: out[0] + out[1])
    checker = Checker(want)
    read = dot_nodes(draw_network(model, x).source)
    for title, (rows, tips, _) in read.items():
        if "->" not in title:
            checker.rows(title, rows)
            assert not any("∂⁺L/∂" in tip for tip in tips)  # no loss, no ∂L/∂ anything
    assert checker.bad == []
    assert checker.checked == 3 + 4 * (3 + 3) + 2 * (2 + 4)  # x; s, a, b, w's; s, b, w's
    assert "∂⁺L/∂" not in draw_network(model, x).source.split("edges:")[0]


# --------------------------------------------------------------------------------------------
# Graph drawings (draw_dot)
# --------------------------------------------------------------------------------------------


def _dot_boxes(source: str) -> dict[int, tuple[str, str | None]]:
    """v<i> -> (data text, grad text or None) from draw_dot's DOT source."""
    out = {}
    for m in re.finditer(r"^\s*v(\d+) \[label=<(.*)>\]$", source, re.M):
        cells = re.findall(r"<td>(.*?)</td>", m.group(2))
        data = next(c[5:] for c in cells if c.startswith("data "))
        shown = next((c[5:] for c in cells if c.startswith("grad ")), None)
        out[int(m.group(1))] = (data, shown)
    return out


def _edge_labels(source: str) -> dict[tuple[int, int], list[str]]:
    out: dict[tuple[int, int], list[str]] = {}
    for m in re.finditer(r"^\s*v(\d+) -> o(\d+) \[label=\"?([^\"\]]*)\"?", source, re.M):
        out.setdefault((int(m.group(1)), int(m.group(2))), []).append(m.group(3))
    return out


def _graphs():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = (a * b + 1).tanh()
    x = Value(0.7, label="x")
    d = x * x + x.exp() * 3 - (x**2).relu() / 4
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    m = (model([0.5, -1.0]) - 1.0) ** 2
    return {"tanh neuron": c, "reused x": d, "mlp on floats": m}


@pytest.mark.parametrize("name", ["tanh neuron", "reused x", "mlp on floats"])
def test_every_number_in_a_graph_drawing_is_the_values(name):
    root = _graphs()[name]
    root.backward()
    order = topological_order(root)
    fresh = grad(root, order, allow_unused=True, materialize_grads=True)
    for digits in (None, 6):
        source = draw_dot(root, show_local=True, digits=digits).source
        boxes = _dot_boxes(source)
        assert len(boxes) == len(order)
        bad = []
        for i, node in enumerate(order):
            data, shown = boxes[i]
            d = get_digits() if digits is None else digits
            if not _agrees_to(data, node.data, d) or not _agrees_to(shown, _number(fresh[i]), d):
                bad.append(f"v{i}: data {data} grad {shown}, the Value {node.data} {fresh[i]}")
        labels = _edge_labels(source)
        for i, node in enumerate(order):
            if not node.parents:
                continue
            for parent, local in zip(node.parents, defined_local_derivatives(node)):
                k = order.index(parent)
                texts = labels.get((k, i), [])
                if not any(_agrees_to(t, _number(local), get_digits() if digits is None else digits)
                           for t in texts):  # fmt: skip
                    bad.append(f"edge v{k} -> o{i}: {texts}, the local derivative {local}")
        assert bad == []


@needs_dot
def test_a_graph_drawings_svg_shows_the_same_numbers():
    root = _graphs()["reused x"]
    root.backward()
    order = topological_order(root)
    svg = ET.fromstring(draw_dot(root).pipe(format="svg"))
    seen = 0
    for g in svg.iter(f"{SVG}g"):
        title = g.find(f"{SVG}title")
        if g.get("class") != "node" or not re.fullmatch(r"v\d+", title.text):
            continue
        node = order[int(title.text[1:])]
        texts = [t.text for t in g.iter(f"{SVG}text")]
        data = next(t[5:] for t in texts if t.startswith("data "))
        shown = next(t[5:] for t in texts if t.startswith("grad "))
        assert agrees(data, node.data) and agrees(shown, node.grad), (texts, node)
        seen += 1
    assert seen == len(order)


def _agrees_to(text: str, value: float, digits: int) -> bool:
    shown = float(text)
    if shown == 0.0:
        return abs(value) < 1e-15
    unit = 10.0 ** (math.floor(math.log10(abs(shown))) - (digits - 1))
    return abs(shown - value) <= 0.5 * unit * (1 + 1e-9) + 1e-15 * abs(value)


def test_every_frame_of_a_stepped_pass_shows_the_engines_gradients_or_says_why_not():
    """The stepper's frames (and so the GIF's): each grad is ``?`` (not reached yet), a
    marked partial sum, or the engine's whole gradient; the last frame has every one whole."""
    from engine import Stepper

    model = MLP(2, [3, 1], activation="tanh", seed=0)
    root = (model([0.5, -1.0]) - 1.0) ** 2
    order = topological_order(root)
    fresh = [_number(g) for g in grad(root, order, allow_unused=True, materialize_grads=True)]
    stepper = Stepper(root)
    whole = []
    for position in range(stepper.total + 1):
        stepper.go_to(position)
        boxes = _dot_boxes(stepper.draw().source)
        done = 0
        for i, (data, shown) in boxes.items():
            assert agrees(data, order[i].data)
            if is_constant(order[i]):  # not differentiated: no grad in its box, ever
                assert shown is None, (position, i, shown)
                continue
            if shown == "?" or "(partial" in shown:
                continue
            assert agrees(shown, fresh[i]), (position, i, shown, fresh[i])
            done += 1
        whole.append(done)
    assert whole == sorted(whole) and whole[-1] == sum(not is_constant(n) for n in order)


def test_every_gif_caption_states_the_engines_numbers():
    """A GIF frame's caption is its step's narration (`engine.step.gif`): the node's value and
    upstream gradient, each local derivative and each product it states are the engine's."""
    from engine import Stepper

    model = MLP(2, [2, 1], activation="tanh", seed=0)
    root = (model([0.5, -1.0]) - 1.0) ** 2
    order = topological_order(root)
    fresh = dict(zip(map(id, order), grad(root, order, allow_unused=True, materialize_grads=True)))
    stepper = Stepper(root)
    checked = 0
    for position in range(1, stepper.total + 1):
        step = stepper.go_to(position)
        text = str(step)
        head = re.match(r"\[\d+/\d+\] .* = (\S+);  upstream \S+ = (\S+)", text)
        if head is None:  # a leaf's step: "x = 0.5 (a leaf); ..." — its grad checked below
            assert step.node.parents == (), text
            continue
        assert agrees(head.group(1), step.node.data), text
        assert agrees(head.group(2), _number(fresh[id(step.node)])), text
        locals_ = defined_local_derivatives(step.node)
        lines = {line.split(" = ")[0].strip(): line for line in text.splitlines()[1:]}
        for local, parent in zip(locals_, step.node.parents):
            line = lines.get(f"∂{step.name}/∂{parent.label or stepper.names.get(parent)}")
            if line is None or " += " not in line:
                continue  # a constant: "1 is a constant: not differentiated"
            derivative = re.search(r"= (\S+);", line).group(1)
            product = re.search(r"= (\S+)$", line).group(1)
            assert agrees(derivative, _number(local)), line
            want = _number(fresh[id(step.node)]) * _number(local)
            assert agrees(product, want), (line, want)
            checked += 1
    assert checked == sum(p.requires_grad for n in order for p in n.parents)  # every edge


# --------------------------------------------------------------------------------------------
# The pages: the player's and the δ page's embedded JSON (and the δ page's drawings)
# --------------------------------------------------------------------------------------------


def page_json(page: str) -> dict:
    """The data a player page's JavaScript applies: its ``<script id="player-data">`` JSON."""
    import json

    m = re.search(r'<script type="application/json" id="player-data">(.*?)</script>', page, re.S)
    assert m, "no player data in the page"
    return json.loads(m.group(1))


def _step_numbers(text: str) -> list[str]:
    return NUMBER.findall(text)


def test_every_number_in_the_player_pages_json_is_the_engines():
    """Each step's ``set`` (the boxes' new grad texts) is the engine's gradient so far: the
    whole gradient once every edge has passed its share back; each practice question's answer
    is the local derivative or the new gradient that step adds."""
    from engine import Stepper
    from engine.step.player import player_html

    model = MLP(2, [3, 1], activation="tanh", seed=0)
    root = (model([0.5, -1.0]) - 1.0) ** 2
    order = topological_order(root)
    fresh = [_number(g) for g in grad(root, order, allow_unused=True, materialize_grads=True)]
    stepper = Stepper(root, digits=3)
    data = page_json(player_html(stepper))
    assert data["names"] == [stepper.names[node] for node in order]
    shown: dict[int, str] = {}
    whole = 0
    for position, step in enumerate(data["steps"], start=1):
        stepper.go_to(position)
        grads = stepper.grads()
        for j, text, received in step["set"]:
            shown[j] = text
            assert _agrees_to(text, grads[order[j]], 3), (position, j, text)
            if received >= data["consumers"][j]:  # every edge in: the whole gradient
                assert _agrees_to(text, fresh[j], 3), (position, j, text, fresh[j])
                whole += 1
        current = stepper.current
        assert current is not None
        wants = {term.local for term in current.terms} | {term.grad_after for term in current.terms}
        for question in step["ask"]:
            assert any(question["want"] == pytest.approx(w, rel=1e-12, abs=1e-15) for w in wants)
            assert _agrees_to(question["text"], question["want"], 3), question
    assert whole > 0 and set(shown) >= {i for i, n in enumerate(order) if n.requires_grad}


def test_every_number_in_the_delta_pages_json_and_drawings_is_the_engines():
    """The δ page: every frame's and practice frame's network view (read from its SVG), each
    step's δ questions, and each step's narration's δ are the engine's."""
    from nn.teaching.delta_page import delta_player_html

    model, loss, x, loss_fn = trained("tanh 3-3-3-3-1 mse floats")
    want = oracle(model, x, loss_fn)
    stepper = DeltaStepper(model, loss)
    data = page_json(delta_player_html(stepper))
    assert len(data["frames"]) == stepper.total + 1 == len(data["quizFrames"]) + 1
    unknown = []
    for position, svg in enumerate(data["frames"]):
        stepper.position = position
        source = stepper.draw().source  # only for the edges' order: the numbers are the page's
        unknown.append(check(svg_nodes(svg.encode("utf-8"), source), want).unknown)
    assert unknown[0] > unknown[-1] == 0
    for k, svg in enumerate(data["quizFrames"]):
        known = {step.layer for step in stepper.steps[:k]}
        source = draw_network(
            model, loss=loss, known_layers=known, highlight_layer=stepper.steps[k].layer
        ).source  # the edges' order
        assert check(svg_nodes(svg.encode("utf-8"), source), want).unknown > 0  # δ still "?"
    asked = 0
    for step, shown in zip(stepper.steps, data["steps"]):
        for j, question in enumerate(shown["ask"], start=1):
            delta = want[("s", step.layer, j)][1]
            assert question["want"] == pytest.approx(delta, rel=1e-12, abs=1e-15), question
            assert agrees(question["text"], delta), question
            asked += 1
        assert shown["text"] == str(step)
        for j, delta in enumerate(step.engine, start=1):
            assert delta == pytest.approx(want[("s", step.layer, j)][1], rel=1e-12, abs=1e-15)
    assert asked == sum(len(layer) for layer in stepper.state.layers)
