"""Gradient descent on a sigmoid neuron, two points: the lecture's hand formulas = the engine.

The lecture (seed 002) fits f(x) = σ(w·x + b) = 1/(1 + e^-(w·x + b)) to two points,

    X = [0.5, 2.5],  Y = [0.2, 0.9],   loss  L(w, b) = Σ_i ½ (f(x_i) - y_i)²,

derives by hand

    ∇w = Σ_i (f(x_i) - y_i) · f(x_i) · (1 - f(x_i)) · x_i
    ∇b = Σ_i (f(x_i) - y_i) · f(x_i) · (1 - f(x_i))

and runs gradient descent from w = b = -2 with η = 1 for 1000 epochs. This demo runs that loop
twice: once exactly as the lecture's code (plain floats and the formulas above), once with the
engine (L built from Values, ``L.backward()``), and checks at every epoch that the engine's
∂L/∂w and ∂L/∂b equal the hand formulas. Pictures: the loss curve, and the error surface L(w, b)
with the descent path on it.

    python -m demos.two_points [--out DIR] [--quick]
"""

from __future__ import annotations

import math
from pathlib import Path

from demos._common import demo_main, figure, prepare_out, rule, save_figure, signed
from engine import Parameter, Value
from engine.core.numfmt import fmt

X = (0.5, 2.5)
Y = (0.2, 0.9)
W0, B0, ETA, EPOCHS = -2.0, -2.0, 1.0, 1000
TOLERANCE = 1e-12  # |engine - hand| / max(1, |hand|)


# --------------------------------------------------------------------------------------------
# The lecture's code, in plain floats
# --------------------------------------------------------------------------------------------


def f(w: float, b: float, x: float) -> float:
    """The sigmoid neuron f(x) = 1 / (1 + e^-(w·x + b)), as the lecture writes it."""
    return 1.0 / (1.0 + math.exp(-(w * x + b)))


def error(w: float, b: float) -> float:
    """L(w, b) = Σ_i ½ (f(x_i) - y_i)²."""
    return sum(0.5 * (f(w, b, x) - y) ** 2 for x, y in zip(X, Y))


def grad_w(w: float, b: float, x: float, y: float) -> float:
    """∂/∂w of ½(f(x) - y)² = (f(x) - y) · f(x) · (1 - f(x)) · x."""
    fx = f(w, b, x)
    return (fx - y) * fx * (1 - fx) * x


def grad_b(w: float, b: float, x: float, y: float) -> float:
    """∂/∂b of ½(f(x) - y)² = (f(x) - y) · f(x) · (1 - f(x))."""
    fx = f(w, b, x)
    return (fx - y) * fx * (1 - fx)


def hand_gradients(w: float, b: float) -> tuple[float, float]:
    """(∇w, ∇b) summed over the two points, by the lecture's formulas."""
    dw = sum(grad_w(w, b, x, y) for x, y in zip(X, Y))
    db = sum(grad_b(w, b, x, y) for x, y in zip(X, Y))
    return dw, db


# --------------------------------------------------------------------------------------------
# The same loss built from Values
# --------------------------------------------------------------------------------------------


def engine_loss(w: Value, b: Value) -> Value:
    """L = Σ_i ½ (σ(w·x_i + b) - y_i)² as a computation graph."""
    loss = Value(0.0)
    for x, y in zip(X, Y):
        loss = loss + 0.5 * ((w * x + b).sigmoid() - y) ** 2
    return loss


def engine_gradients(w: float, b: float) -> tuple[float, float, float]:
    """(L, ∂L/∂w, ∂L/∂b) at (w, b), from one backward pass."""
    wv, bv = Parameter(w, label="w"), Parameter(b, label="b")
    loss = engine_loss(wv, bv)
    loss.backward()
    return loss.data, wv.grad, bv.grad


def _relative(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(b))


def descend(epochs: int = EPOCHS) -> dict:
    """Run both loops side by side and record the path, the losses and the worst disagreement."""
    w, b = W0, B0  # updated with the engine's gradients
    hw, hb = W0, B0  # updated exactly as the lecture's code
    path, losses, worst = [(w, b)], [], 0.0
    for _ in range(epochs):
        loss, dw, db = engine_gradients(w, b)
        hand_dw, hand_db = hand_gradients(w, b)
        worst = max(worst, _relative(dw, hand_dw), _relative(db, hand_db))
        losses.append(loss)
        w, b = w - ETA * dw, b - ETA * db
        lecture_dw, lecture_db = hand_gradients(hw, hb)
        hw, hb = hw - ETA * lecture_dw, hb - ETA * lecture_db
        path.append((w, b))
    losses.append(error(w, b))
    return {"path": path, "losses": losses, "worst": worst, "lecture_final": (hw, hb)}


# --------------------------------------------------------------------------------------------
# Pictures
# --------------------------------------------------------------------------------------------


def plot_loss(losses: list[float], out: Path, dpi: int) -> Path | None:
    fig = figure(figsize=(6.4, 4.0))
    if fig is None:
        return None
    ax = fig.subplots()
    ax.plot(range(len(losses)), losses, color="tab:blue")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss  L(w, b) = Σ ½ (f(x) - y)²   (log scale)")
    ax.set_title("Gradient descent on a sigmoid neuron, two points (η = 1)")
    ax.grid(True, which="both", alpha=0.3)
    return save_figure(fig, out / "loss.png", dpi=dpi)


def plot_surface(path: list[tuple[float, float]], out: Path, dpi: int, steps: int) -> Path | None:
    fig = figure(figsize=(6.8, 5.4))
    if fig is None:
        return None
    import numpy as np

    ws = np.linspace(-6.0, 6.0, steps)
    bs = np.linspace(-6.0, 6.0, steps)
    W, B = np.meshgrid(ws, bs)
    Z = np.zeros_like(W)
    for x, y in zip(X, Y):
        Z += 0.5 * (1.0 / (1.0 + np.exp(-(W * x + B))) - y) ** 2
    ax = fig.subplots()
    filled = ax.contourf(W, B, Z, levels=30, cmap="viridis")
    ax.contour(W, B, Z, levels=15, colors="white", linewidths=0.4, alpha=0.6)
    fig.colorbar(filled, ax=ax, label="L(w, b)")
    pw = [p[0] for p in path]
    pb = [p[1] for p in path]
    ax.plot(pw, pb, color="tab:red", linewidth=2, label="descent path (dots every 50 epochs)")
    ax.plot(pw[::50], pb[::50], "o", color="tab:red", markersize=3)
    ax.plot(
        pw[0],
        pb[0],
        "s",
        color="white",
        markeredgecolor="black",
        markersize=8,
        label=f"start (w, b) = ({pw[0]:g}, {pb[0]:g})",
    )
    ax.plot(
        pw[-1],
        pb[-1],
        "*",
        color="gold",
        markeredgecolor="black",
        markersize=14,
        label=f"end ({fmt(pw[-1], 3)}, {fmt(pb[-1], 3)})",
    )
    ax.set_xlabel("w")
    ax.set_ylabel("b")
    ax.set_title("Error surface L(w, b) and the gradient-descent path")
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    return save_figure(fig, out / "error_surface.png", dpi=dpi)


# --------------------------------------------------------------------------------------------
# The demo
# --------------------------------------------------------------------------------------------


def run(out: str | Path = "out/two_points", seed: int = 0, quick: bool = False) -> dict:
    """Run the lecture's gradient descent with the engine; check every epoch's gradients.

    The run is deterministic (`seed` is accepted for a uniform command line and unused); `quick`
    only draws coarser pictures: all 1000 epochs are always checked.
    """
    out = prepare_out(out)
    rule("The model and the data (lecture 002)")
    print("f(x) = σ(w·x + b),  X = [0.5, 2.5],  Y = [0.2, 0.9],  L = Σ ½ (f(x) - y)²")
    print(f"start w = b = {W0:g}, η = {ETA:g}, {EPOCHS} epochs")

    rule("Epoch 0: the engine's backward pass vs the hand-derived formulas")
    loss, dw, db = engine_gradients(W0, B0)
    hand_dw, hand_db = hand_gradients(W0, B0)
    for x, y in zip(X, Y):
        fx = f(W0, B0, x)
        term = signed((fx - y) * fx * (1 - fx))
        print(f"  x = {x}: f(x) = {fmt(fx, 6)}, (f - y)·f·(1 - f) = {term}")
    print(f"  L = {fmt(loss, 6)}")
    print(f"  ∂L/∂w: engine {dw:+.12f}   hand Σ (f-y)f(1-f)x {hand_dw:+.12f}")
    print(f"  ∂L/∂b: engine {db:+.12f}   hand Σ (f-y)f(1-f)  {hand_db:+.12f}")

    rule("Gradient descent, engine and lecture side by side")
    result = descend()
    path, losses = result["path"], result["losses"]
    for epoch in (0, 10, 100, 250, 500, 999):
        w, b = path[epoch + 1]
        print(
            f"  after epoch {epoch + 1:4d}: w = {signed(w, 5)}, b = {signed(b, 5)}, "
            f"L = {fmt(losses[epoch + 1])}"
        )
    w, b = path[-1]
    hw, hb = result["lecture_final"]
    print(
        f"  final: w = {fmt(w, 7)}, b = {fmt(b, 7)}; the lecture's own loop ends at "
        f"w = {fmt(hw, 7)}, b = {fmt(hb, 7)}"
    )
    for x, y in zip(X, Y):
        print(f"  f({x}) = {fmt(f(w, b, x))}  (target {y})")
    print(
        f"  largest |engine - hand| / max(1, |hand|) over all {EPOCHS} epochs: "
        f"{result['worst']:.2e}"
    )
    same_path = max(abs(w - hw), abs(b - hb)) <= 1e-9
    ok = result["worst"] <= TOLERANCE and same_path
    print(
        f"  gradients equal at every epoch: {'yes' if result['worst'] <= TOLERANCE else 'NO'}; "
        f"same path as the lecture's loop: {'yes' if same_path else 'NO'}"
    )

    rule("Pictures")
    dpi = 80 if quick else 110
    files = [
        p
        for p in (plot_loss(losses, out, dpi), plot_surface(path, out, dpi, 60 if quick else 200))
        if p is not None
    ]
    return {
        "ok": ok,
        "files": files,
        "worst_relative_error": result["worst"],
        "epochs": EPOCHS,
        "final": (w, b),
        "lecture_final": (hw, hb),
        "initial_loss": losses[0],
        "final_loss": losses[-1],
    }


def main(argv: list[str] | None = None) -> int:
    return demo_main("two_points", run, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
