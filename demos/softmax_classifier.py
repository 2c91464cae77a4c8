"""A 3-class classifier in the lecture's notation: forward by hand, one chain-rule product.

The network of the multi-layer-perceptron lecture (seed 000): a 3-dimensional input, one hidden
layer with the sigmoid, a softmax over 3 classes, and the cross-entropy loss. The lecture does not
fix the hidden width; we take 4, so that every matrix has a shape you can tell apart.

    z⁽¹⁾ = (W⁽¹⁾)ᵀ x + b⁽¹⁾       h⁽¹⁾ = σ(z⁽¹⁾)
    z⁽²⁾ = (W⁽²⁾)ᵀ h⁽¹⁾ + b⁽²⁾    y = softmax(z⁽²⁾)       L = -Σ_i t_i log y_i

w_{i,j}^{(k)} connects unit i of layer k-1 to unit j of layer k. How does w_{2,1}^{(1)} (input 2 to
hidden unit 1) move the loss? The lecture's chain rule:

    ∂L/∂w_{2,1}^{(1)} = ∂L/∂y · ∂y/∂z⁽²⁾ · ∂z⁽²⁾/∂h⁽¹⁾ · ∂h⁽¹⁾/∂z⁽¹⁾ · ∂z⁽¹⁾/∂w_{2,1}^{(1)}
                       (1×3)   (3×3)       (3×4)         (4×4)          (4×1)

The demo computes the forward pass by hand (plain floats, the equations above) and with the
engine, multiplies out the five factors as matrices, and compares the product with the engine's
gradient and with a central finite difference. It also shows the famous collapse of the first two
factors: ∂L/∂y · ∂y/∂z⁽²⁾ = y - t. Then it writes the same derivative the way the engine sees it,
`engine.derivation`: the sum over the paths from w_{2,1}^{(1)} to L of the products of local
derivatives, symbols, formulas and numbers. Pictures: the network view (`nn.draw_network`, the
weight in orange), the graph of the hidden unit it feeds, and the prediction. Classes are counted
from 1 in what it prints and draws, as the lectures count them (class 1, 2, 3); the code's target
is an index from 0 (``target = k − 1``), as ``nn.losses.cross_entropy`` and ``chainrule demo
classify`` take it.

    python -m demos.softmax_classifier [--seed N] [--out DIR]
"""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

from demos._common import (
    demo_main,
    figure,
    prepare_out,
    rule,
    save_figure,
    save_graph,
    signed,
)
from demos._common import save_network as save_slide_network
from engine import Parameter, Value, derivation, softmax
from engine.core.graph import topological_order
from engine.core.numfmt import fmt
from engine.functional.gradcheck import numerical_gradient
from nn import MLP

N_IN, N_HIDDEN, N_CLASSES = 3, 4, 3
I, J = 2, 1  # the weight the lecture asks about: w_{2,1}^{(1)} (1-based)
TOLERANCE = 1e-12

Matrix = list[list[float]]


# --------------------------------------------------------------------------------------------
# Plain-float linear algebra, small enough to read
# --------------------------------------------------------------------------------------------


def matmul(a: Matrix, b: Matrix) -> Matrix:
    """(a·b)_ik = Σ_j a_ij b_jk."""
    if len(a[0]) != len(b):
        raise ValueError(f"matmul: shapes {len(a)}×{len(a[0])} and {len(b)}×{len(b[0])} differ")
    return [
        [sum(a[i][j] * b[j][k] for j in range(len(b))) for k in range(len(b[0]))]
        for i in range(len(a))
    ]


def transpose(a: Matrix) -> Matrix:
    return [list(row) for row in zip(*a)]


def sigmoid(z: float) -> float:
    """σ(z) = 1 / (1 + e^(-z))."""
    return 1.0 / (1.0 + math.exp(-z))


def show(name: str, m: Matrix) -> None:
    print(f"  {name}  ({len(m)}×{len(m[0])})")
    for row in m:
        print("    [" + "  ".join(f"{signed(v, 5):>9}" for v in row) + "]")


# --------------------------------------------------------------------------------------------
# The problem: weights, an input and its class, from the seed
# --------------------------------------------------------------------------------------------


def make_problem(seed: int) -> dict:
    """Gaussian weights (std 1), an input in [-2, 2]³ and a target class, all from `seed`."""
    rng = random.Random(seed)
    return {
        "W1": [[rng.gauss(0.0, 1.0) for _ in range(N_HIDDEN)] for _ in range(N_IN)],
        "b1": [rng.gauss(0.0, 0.5) for _ in range(N_HIDDEN)],
        "W2": [[rng.gauss(0.0, 1.0) for _ in range(N_CLASSES)] for _ in range(N_HIDDEN)],
        "b2": [rng.gauss(0.0, 0.5) for _ in range(N_CLASSES)],
        "x": [rng.uniform(-2.0, 2.0) for _ in range(N_IN)],
        "target": rng.randrange(N_CLASSES),
    }


def forward_by_hand(p: dict) -> dict:
    """The lecture's four lines, in floats. W⁽ᵏ⁾[i][j] = w_{i+1,j+1}^{(k)}."""
    x, W1, b1, W2, b2 = p["x"], p["W1"], p["b1"], p["W2"], p["b2"]
    z1 = [sum(W1[i][j] * x[i] for i in range(N_IN)) + b1[j] for j in range(N_HIDDEN)]
    h1 = [sigmoid(z) for z in z1]
    z2 = [sum(W2[j][k] * h1[j] for j in range(N_HIDDEN)) + b2[k] for k in range(N_CLASSES)]
    top = max(z2)
    e = [math.exp(z - top) for z in z2]
    y = [v / sum(e) for v in e]
    t = [1.0 if k == p["target"] else 0.0 for k in range(N_CLASSES)]
    loss = -sum(t[k] * math.log(y[k]) for k in range(N_CLASSES))
    return {"z1": z1, "h1": h1, "z2": z2, "y": y, "t": t, "L": loss}


def forward_with_engine(p: dict, w21: Value | None = None) -> dict:
    """The same network from Values (Parameters labelled in the lecture's notation).

    `w21`, if given, is used as w_{2,1}^{(1)} (to differentiate numerically in that one weight).
    """
    x = [Value(v, label=f"x{i + 1}") for i, v in enumerate(p["x"])]
    W1 = [
        [Parameter(v, label=f"w{i + 1},{j + 1}⁽¹⁾") for j, v in enumerate(row)]
        for i, row in enumerate(p["W1"])
    ]
    if w21 is not None:
        W1[I - 1][J - 1] = w21
    b1 = [Parameter(v, label=f"b{j + 1}⁽¹⁾") for j, v in enumerate(p["b1"])]
    W2 = [
        [Parameter(v, label=f"w{j + 1},{k + 1}⁽²⁾") for k, v in enumerate(row)]
        for j, row in enumerate(p["W2"])
    ]
    b2 = [Parameter(v, label=f"b{k + 1}⁽²⁾") for k, v in enumerate(p["b2"])]
    z1 = [sum((W1[i][j] * x[i] for i in range(N_IN)), b1[j]) for j in range(N_HIDDEN)]
    h1 = [z.sigmoid() for z in z1]
    z2 = [sum((W2[j][k] * h1[j] for j in range(N_HIDDEN)), b2[k]) for k in range(N_CLASSES)]
    y = softmax(z2)
    loss = -y[p["target"]].log()  # -Σ t_i log y_i with t one-hot
    for name, nodes in (("z⁽¹⁾", z1), ("h⁽¹⁾", h1), ("z⁽²⁾", z2), ("y", y)):
        for k, node in enumerate(nodes):
            node.label = f"{name}{k + 1}"
    loss.label = "L"
    return {"z1": z1, "h1": h1, "z2": z2, "y": y, "L": loss, "W1": W1, "W2": W2}


# --------------------------------------------------------------------------------------------
# The chain-rule product for ∂L/∂w_{2,1}^{(1)}
# --------------------------------------------------------------------------------------------


def chain_factors(p: dict, f: dict) -> list[tuple[str, Matrix]]:
    """The five Jacobians of the lecture's product, evaluated at the forward pass `f`."""
    y, t, h1, x, W2 = f["y"], f["t"], f["h1"], p["x"], p["W2"]
    dL_dy = [[-t[k] / y[k] for k in range(N_CLASSES)]]  # 1×3
    dy_dz2 = [
        [y[k] * ((1.0 if k == m else 0.0) - y[m]) for m in range(N_CLASSES)]
        for k in range(N_CLASSES)
    ]  # 3×3
    dz2_dh1 = [[W2[j][k] for j in range(N_HIDDEN)] for k in range(N_CLASSES)]  # 3×4
    dh1_dz1 = [
        [h1[j] * (1.0 - h1[j]) if j == m else 0.0 for m in range(N_HIDDEN)] for j in range(N_HIDDEN)
    ]  # 4×4
    dz1_dw = [[x[I - 1] if j == J - 1 else 0.0] for j in range(N_HIDDEN)]  # 4×1
    return [
        ("∂L/∂y", dL_dy),
        ("∂y/∂z⁽²⁾", dy_dz2),
        ("∂z⁽²⁾/∂h⁽¹⁾", dz2_dh1),
        ("∂h⁽¹⁾/∂z⁽¹⁾", dh1_dz1),
        (f"∂z⁽¹⁾/∂w{I},{J}⁽¹⁾", dz1_dw),
    ]


def chain_product(factors: list[tuple[str, Matrix]]) -> float:
    product = factors[0][1]
    for _, factor in factors[1:]:
        product = matmul(product, factor)
    return product[0][0]


# --------------------------------------------------------------------------------------------
# Pictures: the network view, the hidden unit's graph, the prediction
# --------------------------------------------------------------------------------------------


def model_from_problem(p: dict) -> MLP:
    """The same network as an `nn.MLP` (3 -> 4 sigmoid -> 3 linear), weights from the problem.

    Neuron j of layer 1 holds w_{i,j}^{(1)} = W⁽¹⁾[i-1][j-1] and b_j^{(1)}; a neuron computes
    b + w_1·x_1 + w_2·x_2 + ..., the very sums `forward_with_engine` builds.
    """
    model = MLP(N_IN, [N_HIDDEN, N_CLASSES], activation="sigmoid", output_activation="linear")
    for layer, W, b in ((model.layers[0], p["W1"], p["b1"]), (model.layers[1], p["W2"], p["b2"])):
        for j, neuron in enumerate(layer.neurons):
            neuron.b.data = b[j]
            for i, w in enumerate(neuron.w):
                w.data = W[i][j]
    return model


def save_network(p: dict, out: Path) -> tuple[Path | None, float]:
    """The network view of the model after one backward pass, w_{2,1}^{(1)} in orange.

    Returns the PNG's path (None without a Graphviz renderer) and the model's loss."""
    model = model_from_problem(p)
    loss = -softmax(model(p["x"]))[p["target"]].log()
    loss.backward()
    weight = model.layers[0].neurons[J - 1].w[I - 1]
    picture = save_slide_network(
        model,
        out / "network.png",
        loss=loss,
        highlight=[weight],
        title=f"∂L/∂w{I},{J}(1) = {fmt(weight.grad)}: the orange weight reaches L through a{J}(1)"
        ", then every output (softmax, cross-entropy)",
    )
    return picture, loss.data


def save_hidden_unit(eng: dict, out: Path) -> Path | None:
    """The graph of h₁⁽¹⁾ = σ(z₁⁽¹⁾), where w_{2,1}^{(1)} enters, with ∂L/∂ on every node and the
    local derivative on every edge: small enough to read on a slide (the whole loss graph has
    over a hundred boxes). Labels are written (1) rather than ⁽¹⁾ for the drawing's font."""
    h = eng["h1"][J - 1]
    nodes = topological_order(h)
    saved = [(node, node.label) for node in nodes]
    try:
        for node in nodes:  # z⁽¹⁾1 -> z1(1), w2,1⁽¹⁾ -> w2,1(1)
            node.label = re.sub(r"^(\w)⁽(\d)⁾(\d+)$", r"\1\3(\2)", node.label)
            node.label = node.label.replace("⁽¹⁾", "(1)")
        return save_graph(h, out / "hidden_unit_graph.svg", show_local=True,
                          highlight=eng["W1"][I - 1][J - 1])  # fmt: skip
    finally:
        for node, label in saved:
            node.label = label


def plot_prediction(f: dict, out: Path, dpi: int) -> Path | None:
    fig = figure(figsize=(4.8, 3.6))
    if fig is None:
        return None
    bar = fig.subplots()
    classes = [f"class {k + 1}" for k in range(N_CLASSES)]
    bar.bar(classes, f["y"], color="tab:blue", label="y = softmax(z⁽²⁾)")
    bar.bar(classes, f["t"], fill=False, edgecolor="black", linewidth=1.5, label="target t")
    bar.set_ylim(0, 1.35)  # room above every bar (a target is 1) for the legend
    bar.set_ylabel("probability")
    bar.set_title(f"Prediction vs target, L = {fmt(f['L'])}", fontsize=11)
    bar.legend(fontsize=8, loc="upper center", ncols=2)
    return save_figure(fig, out / "prediction.png", dpi=dpi)


# --------------------------------------------------------------------------------------------
# The demo
# --------------------------------------------------------------------------------------------


def run(out: str | Path = "out/softmax_classifier", seed: int = 0, quick: bool = False) -> dict:
    """Forward by hand vs the engine; the chain-rule product for ∂L/∂w_{2,1}^{(1)} vs backward."""
    out = prepare_out(out)
    p = make_problem(seed)
    hand = forward_by_hand(p)
    eng = forward_with_engine(p)

    rule(f"The network: {N_IN} inputs -> {N_HIDDEN} sigmoid units -> softmax over {N_CLASSES}")
    print(f"  x = [{', '.join(signed(v) for v in p['x'])}], target class {p['target'] + 1}")

    rule("Forward pass: by hand vs the engine")
    worst_forward = 0.0
    for key, name in (("z1", "z⁽¹⁾"), ("h1", "h⁽¹⁾"), ("z2", "z⁽²⁾"), ("y", "y")):
        values = [v.data for v in eng[key]]
        worst_forward = max([worst_forward] + [abs(a - b) for a, b in zip(values, hand[key])])
        print(f"  {name:5} hand   [{', '.join(signed(v, 7) for v in hand[key])}]")
        print(f"  {'':5} engine [{', '.join(signed(v, 7) for v in values)}]")
    worst_forward = max(worst_forward, abs(eng["L"].data - hand["L"]))
    print(f"  L = -Σ t_i log y_i:  hand {hand['L']:.6f}, engine {eng['L'].data:.6f}")
    print(f"  largest forward difference: {worst_forward:.1e}")

    rule(f"∂L/∂w{I},{J}⁽¹⁾ as the lecture's product of five Jacobians")
    factors = chain_factors(p, hand)
    for name, m in factors:
        show(name, m)
    collapsed = matmul(factors[0][1], factors[1][1])[0]
    y_minus_t = [a - b for a, b in zip(hand["y"], hand["t"])]
    print(
        f"  the first two factors collapse: ∂L/∂y·∂y/∂z⁽²⁾ = "
        f"[{', '.join(signed(v, 5) for v in collapsed)}] = y - t"
    )
    product = chain_product(factors)

    eng["L"].backward()
    engine_grad = eng["W1"][I - 1][J - 1].grad
    w0 = p["W1"][I - 1][J - 1]
    numeric = numerical_gradient(lambda w: forward_with_engine(p, w)["L"], [w0])[0]
    print(f"  product of the five factors: {signed(product, 12)}")
    print(f"  engine, L.backward():        {signed(engine_grad, 12)}")
    print(f"  central finite difference:   {signed(numeric, 12)}")
    error = abs(product - engine_grad)
    collapse_error = max(abs(a - b) for a, b in zip(collapsed, y_minus_t))
    print(f"  |product - engine| = {error:.1e}")

    rule(f"∂L/∂w{I},{J}⁽¹⁾ as the chain rule over the graph: paths × local derivatives")
    written = derivation(eng["L"], eng["W1"][I - 1][J - 1])
    print("  " + written.text().replace("\n", "\n  "))
    print(f"  the derivation's sum vs the five-matrix product: {abs(written.value - product):.1e}")

    rule("Pictures")
    files = []
    network, model_loss = save_network(p, out)
    for picture in (
        network,
        save_hidden_unit(eng, out),
        plot_prediction(hand, out, 80 if quick else 110),
    ):
        if picture is not None:
            files.append(picture)
    ok = (
        worst_forward <= TOLERANCE
        and error <= TOLERANCE
        and collapse_error <= TOLERANCE
        and abs(numeric - engine_grad) <= 1e-6
        and written.agrees
        and abs(written.value - engine_grad) <= TOLERANCE
        and model_loss == eng["L"].data
    )
    return {
        "ok": ok,
        "files": files,
        "forward_error": worst_forward,
        "product": product,
        "engine_gradient": engine_grad,
        "numeric_gradient": numeric,
        "collapse_error": collapse_error,
        "derivation": written,
    }


def main(argv: list[str] | None = None) -> int:
    return demo_main("softmax_classifier", run, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
