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
factors: ∂L/∂y · ∂y/∂z⁽²⁾ = y - t.

    python -m demos.softmax_classifier [--seed N] [--out DIR]
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from demos._common import demo_main, figure, prepare_out, rule, save_figure, save_graph, signed
from engine import Parameter, Value, softmax
from engine.gradcheck import numerical_gradient

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
# Picture
# --------------------------------------------------------------------------------------------


def plot_network(p: dict, f: dict, out: Path, dpi: int) -> Path | None:
    fig = figure(figsize=(10.5, 4.8))
    if fig is None:
        return None
    ax, bar = fig.subplots(1, 2, width_ratios=[2.2, 1])
    layers = [N_IN, N_HIDDEN, N_CLASSES]
    xs = [0.0, 1.0, 2.0]

    def ys(n: int) -> list[float]:
        return [(n - 1) / 2 - i for i in range(n)]

    pos = [[(xs[l], yy) for yy in ys(n)] for l, n in enumerate(layers)]
    for l in (0, 1):
        for i, (x0, y0) in enumerate(pos[l]):
            for j, (x1, y1) in enumerate(pos[l + 1]):
                on_path = (l == 0 and i == I - 1 and j == J - 1) or (l == 1 and i == J - 1)
                colour = "tab:red" if (l == 0 and on_path) else ("tab:orange" if on_path else "0.8")
                ax.plot([x0, x1], [y0, y1], color=colour, linewidth=3 if on_path else 1, zorder=1)
    (ax0, ay0), (ax1, ay1) = pos[0][I - 1], pos[1][J - 1]
    ax.text(
        (ax0 + ax1) / 2,
        (ay0 + ay1) / 2,
        f"w{I},{J}⁽¹⁾ = {p['W1'][I - 1][J - 1]:+.3f}",
        color="tab:red",
        ha="center",
        va="center",
        fontsize=10,
        zorder=3,
        bbox={"facecolor": "white", "edgecolor": "tab:red", "boxstyle": "round"},
    )
    names = [
        [f"x{i + 1} = {v:+.2f}" for i, v in enumerate(p["x"])],
        [f"h{j + 1}⁽¹⁾ = {v:.2f}" for j, v in enumerate(f["h1"])],
        [f"y{k + 1} = {v:.2f}" for k, v in enumerate(f["y"])],
    ]
    for l in range(3):
        for (x0, y0), name in zip(pos[l], names[l]):
            ax.scatter([x0], [y0], s=500, color="white", edgecolor="black", zorder=2)
            dx = -0.1 if l == 0 else 0.1
            ax.text(
                x0 + dx,
                y0 + 0.22,
                name,
                ha="right" if l == 0 else "left",
                fontsize=9,
                zorder=3,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
            )
    for title, x0 in zip(("input x", "hidden h⁽¹⁾ = σ(z⁽¹⁾)", "softmax y"), xs):
        ax.text(x0, -2.3, title, ha="center", fontsize=10, weight="bold")
    ax.set_xlim(-0.7, 2.7)
    ax.set_ylim(-2.5, 2.2)
    ax.axis("off")
    ax.set_title(f"The paths through which w{I},{J}⁽¹⁾ reaches the loss", fontsize=11)

    classes = [f"class {k + 1}" for k in range(N_CLASSES)]
    bar.bar(classes, f["y"], color="tab:blue", label="y = softmax(z⁽²⁾)")
    bar.bar(classes, f["t"], fill=False, edgecolor="black", linewidth=1.5, label="target t")
    bar.set_ylim(0, 1.1)
    bar.set_ylabel("probability")
    bar.set_title(f"Prediction vs target, L = {f['L']:.3f}", fontsize=11)
    bar.legend(fontsize=8, loc="upper left")
    return save_figure(fig, out / "network.png", dpi=dpi)


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

    rule("Pictures")
    files = []
    picture = plot_network(p, hand, out, 80 if quick else 110)
    if picture is not None:
        files.append(picture)
    graph = save_graph(
        eng["L"], out / "loss_graph.svg", highlight=eng["W1"][I - 1][J - 1], max_nodes=1000
    )
    if graph is not None:
        files.append(graph)
    ok = (
        worst_forward <= TOLERANCE
        and error <= TOLERANCE
        and collapse_error <= TOLERANCE
        and abs(numeric - engine_grad) <= 1e-6
    )
    return {
        "ok": ok,
        "files": files,
        "forward_error": worst_forward,
        "product": product,
        "engine_gradient": engine_grad,
        "numeric_gradient": numeric,
        "collapse_error": collapse_error,
    }


def main(argv: list[str] | None = None) -> int:
    return demo_main("softmax_classifier", run, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
