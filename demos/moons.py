"""micrograd's demo, done better: an MLP separates two moons with 100% training accuracy.

The setup is karpathy/micrograd's ``demo.ipynb``: 100 points of two interleaving moons (noise 0.1),
a multi-layer perceptron ``MLP(2, [16, 16, 1])`` with ReLU hidden layers and a linear output score
s(x), the max-margin (hinge) loss plus an L2 penalty,

    L = (1/n) Σ_i max(0, 1 - y_i·s(x_i)) + α Σ_p p²,      α = 1e-4,   y_i ∈ {-1, +1},

and full-batch gradient descent for 100 steps with the learning rate decaying linearly,
lr_k = 1.0 - 0.9·k/100. The gradient is the one ``L.backward()`` gives over a graph of about
70,000 scalar nodes, but the graph is not rebuilt every step: ``fit(..., compile=True)`` traces
the model and loss of one point once and replays that program on every point (`engine.trace`).
The demo prints the loss and accuracy as it trains (a tqdm bar on a terminal), then repeats the
first steps eagerly to show the speed-up and that the losses agree, checks that the trained model
classifies every training point correctly, and draws the decision boundary and the curves.

    python -m demos.moons [--seed N] [--out DIR] [--quick]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from demos._common import (
    demo_main,
    figure,
    plot_training_curves,
    plotting_available,
    prepare_out,
    rule,
    save_figure,
)
from demos._replay import compare_with_eager
from engine import no_grad
from engine.core.numfmt import fmt

ALPHA = 1e-4
SIZES = [16, 16, 1]


def _config(quick: bool) -> dict:
    """The full run is micrograd's (100 points, 100 steps); quick mode is smaller for tests."""
    if quick:
        return {"n": 30, "epochs": 50, "grid": 25, "dpi": 80}
    return {"n": 100, "epochs": 100, "grid": 60, "dpi": 110}


def decision_grid(model, X: list, steps: int) -> tuple[list[float], list[float], list[list[float]]]:
    """The model's score on a steps×steps grid covering the data (no graph is built)."""
    xs = [p[0] for p in X]
    ys = [p[1] for p in X]
    x0, x1 = min(xs) - 0.5, max(xs) + 0.5
    y0, y1 = min(ys) - 0.5, max(ys) + 0.5
    gx = [x0 + (x1 - x0) * i / (steps - 1) for i in range(steps)]
    gy = [y0 + (y1 - y0) * j / (steps - 1) for j in range(steps)]
    with no_grad():
        scores = [[model([a, b]).data for a in gx] for b in gy]
    return gx, gy, scores


def plot_boundary(
    X: list, y: list, grid: tuple, accuracy: float, out: Path, dpi: int
) -> Path | None:
    fig = figure(figsize=(6.6, 5.4))
    if fig is None:
        return None
    gx, gy, scores = grid
    ax = fig.subplots()
    levels = [-1e9, 0.0, 1e9]
    ax.contourf(gx, gy, scores, levels=levels, colors=["#cfe2ff", "#ffd8cc"], alpha=0.9)
    ax.contour(
        gx, gy, scores, levels=[-1.0, 1.0], colors="0.55", linewidths=0.8, linestyles="dashed"
    )
    ax.contour(gx, gy, scores, levels=[0.0], colors="black", linewidths=1.6)
    for label, colour, marker in ((-1, "tab:blue", "o"), (1, "tab:red", "s")):
        pts = [p for p, t in zip(X, y) if t == label]
        ax.scatter(
            [p[0] for p in pts],
            [p[1] for p in pts],
            c=colour,
            marker=marker,
            s=28,
            edgecolors="black",
            linewidths=0.5,
            label=f"class {label:+d}",
        )
    ax.plot([], [], color="black", label="decision boundary s(x) = 0")
    ax.plot([], [], color="0.55", linestyle="dashed", label="margin s(x) = ±1")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.set_title(
        f"MLP(2, [16, 16, 1]) on two moons: {accuracy:.0%} of {len(X)} points correct", fontsize=11
    )
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    return save_figure(fig, out / "decision_boundary.png", dpi=dpi)


def plot_curves(history: dict, out: Path, dpi: int) -> Path | None:
    return plot_training_curves(
        history,
        out / "training_curves.png",
        loss_label="hinge loss + 1e-4·Σ p²  (log scale)",
        title="Training: SGD, learning rate 1.0 decaying linearly to 0.1",
        dpi=dpi,
        accuracy_title="Accuracy (before each step's update)",
        accuracy_floor=40.0,
    )


def _reporter(every: int, total: int):
    """A fit callback printing a line every `every` epochs when no progress bar is shown."""
    show = not sys.stdout.isatty()

    def report(epoch: int, history: dict) -> bool:
        if show and (epoch % every == 0 or epoch == total - 1):
            print(
                f"  step {epoch + 1:3d}: loss {fmt(history['loss'][-1])}, "
                f"accuracy {history['accuracy'][-1]:.0%}, lr {fmt(history['lr'][-1])}"
            )
        return False

    return report


def run(
    out: str | Path = "out/moons", seed: int = 0, quick: bool = False, compile: bool = True
) -> dict:
    """Train micrograd's MLP on two moons; claim: 100% training accuracy.

    `compile` trains through replay (the default) or, if False, eagerly.
    """
    from nn import MLP, accuracy, data, fit, optim

    out = prepare_out(out)
    cfg = _config(quick)
    X, y = data.make_moons(cfg["n"], noise=0.1, seed=seed)
    model = MLP(2, SIZES, activation="relu", seed=seed)
    rule("micrograd's demo: two moons, MLP(2, [16, 16, 1]), hinge loss + L2, SGD")
    print(f"  {len(X)} points (noise 0.1, seed {seed}); {model.num_parameters()} parameters")
    print(
        f"  L = mean max(0, 1 - y·s(x)) + {ALPHA:g}·Σ p²;  lr = 1.0 → 0.1 linearly over "
        f"{cfg['epochs']} steps"
    )

    def train(model, epochs: int, compiled: bool, callbacks=None) -> dict:
        schedule = optim.LinearDecay(1.0, 0.1, cfg["epochs"])
        opt = optim.SGD(model.parameters(), lr=1.0, schedule=schedule)
        return fit(
            model,
            X,
            y,
            loss="hinge",
            optimizer=opt,
            alpha=ALPHA,
            epochs=epochs,
            callbacks=callbacks,
            compile=compiled,
        )

    rule("Training" + (" (through replay: traced once, replayed every step)" if compile else ""))
    started = time.perf_counter()
    history = train(model, cfg["epochs"], compile, _reporter(10, cfg["epochs"]))
    seconds = time.perf_counter() - started
    final = accuracy(model, X, y)
    first_perfect = next((e + 1 for e, a in enumerate(history["accuracy"]) if a == 1.0), None)
    print(f"  trained in {seconds:.1f} s ({1000 * seconds / cfg['epochs']:.0f} ms per step)")
    print(
        f"  final loss {fmt(history['loss'][-1])}; training accuracy of the trained model: "
        f"{final:.0%}" + (f" (first 100% at step {first_perfect})" if first_perfect else "")
    )
    replay = None
    if compile:
        rule("Replay against the eager engine")

        def eagerly(steps: int) -> dict:
            return train(MLP(2, SIZES, activation="relu", seed=seed), steps, False)

        replay = compare_with_eager(eagerly, history, seconds, 2 if quick else 5)

    rule("Pictures")
    files = []
    if plotting_available():  # checked before the costly prediction grid
        grid = decision_grid(model, X, cfg["grid"])
        files = [
            f
            for f in (
                plot_boundary(X, y, grid, final, out, cfg["dpi"]),
                plot_curves(history, out, cfg["dpi"]),
            )
            if f is not None
        ]
    return {
        "ok": final == 1.0,
        "files": files,
        "accuracy": final,
        "history": history,
        "seconds": seconds,
        "parameters": model.num_parameters(),
        "replay": replay,
    }


def main(argv: list[str] | None = None) -> int:
    return demo_main("moons", run, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
