"""Overfitting: a big model fits 40 noisy points perfectly, new points worse (lecture 000).

Lecture 000 sums up: "increasing model complexity can decrease the error, but also might cause
the overfitting", and asks about "your choice of regularization technique". This demo shows both
on two moons with noise 0.3: 40 training points, and 200 test points from the same distribution
(another seed) that training never sees.

The big model is the random-projection network of ``demos.random_projection`` with m = 100
fixed random signs z_i = sgn(β_i · [x₁, x₂, 1]) and a trained logistic output,

    P(y = 1 | x) = σ(w · z + b),   101 trained weights for 40 points,

trained long (Adam, η = 0.1) on the mean binary cross-entropy
ℓ(w, b) = (1/n) Σ softplus(s_i) - y_i·s_i with s_i = w · z_i + b. With more weights than points it
can push every training point to its side, noise included, and the training loss towards 0. The
same model with an L2 penalty minimises instead

    ℓ(w, b) + α Σ_p p²     (α = 0.05, every trained weight p),

which keeps the weights small: the score cannot turn sharply to catch one noisy point. Every few
epochs the demo measures loss and accuracy on the training and the test points (the engine's
forward pass, no graph) and draws the four curves of each model.

    python -m demos.overfitting [--seed N] [--out DIR] [--quick]
"""

from __future__ import annotations

from pathlib import Path

from demos._common import demo_main, figure, prepare_out, rule, save_figure
from demos.random_projection import project
from engine import no_grad
from engine.core.numfmt import fmt

TRAIN_POINTS = 40
TEST_POINTS = 200
NOISE = 0.3
FEATURES = 100
LR = 0.1
ALPHA = 0.05
GAP = 0.10
"""The claim: the big model's training accuracy exceeds its test accuracy by at least this."""
NEAR_PERFECT = 0.975
"""The claim: the big model gets at least this fraction of its training points right."""


def _config(quick: bool) -> dict:
    """Quick mode trains the same models and measures the curves less often (the cost)."""
    if quick:
        return {"epochs": 200, "every": 100, "grid": 16, "dpi": 80}
    return {"epochs": 200, "every": 20, "grid": 32, "dpi": 110}


def datasets(seed: int) -> dict:
    """Training and test moons (0/1 labels) from the same distribution, seeds `seed` and
    `seed` + 1000."""
    from nn import data

    return {
        "train": data.make_moons(TRAIN_POINTS, noise=NOISE, seed=seed, labels="01"),
        "test": data.make_moons(TEST_POINTS, noise=NOISE, seed=seed + 1000, labels="01"),
    }


def measure(model, features: list, y: list) -> tuple[float, float]:
    """(mean binary cross-entropy, accuracy) of `model` on the given features, no graph built."""
    from nn import accuracy, losses

    with no_grad():
        scores = [model(f) for f in features]
        return losses.bce_with_logits(scores, y).data, accuracy(scores, y)


def train(features: dict, alpha: float, epochs: int, seed: int, every: int) -> dict:
    """Fit σ(w·z + b) on the training features with L2 coefficient `alpha`; the curves of loss
    and accuracy on the training and test points, every `every` epochs (and before training)."""
    from nn import Neuron, fit, optim

    (f_train, y_train), (f_test, y_test) = features["train"], features["test"]
    model = Neuron(len(f_train[0]), activation="linear", seed=seed)
    curves: dict[str, list] = {key: [] for key in ("epoch", "train", "test")}

    def record(epoch: int, _history: dict | None = None) -> None:
        if epoch % every == 0 or epoch == epochs:
            curves["epoch"].append(epoch)
            curves["train"].append(measure(model, f_train, y_train))
            curves["test"].append(measure(model, f_test, y_test))

    record(0)
    fit(
        model,
        f_train,
        y_train,
        loss="bce_with_logits",
        optimizer=optim.Adam(model.parameters(), lr=LR),
        epochs=epochs,
        alpha=alpha,
        progress=False,
        compile=True,
        callbacks=lambda epoch, history: record(epoch + 1),
    )
    (train_loss, train_acc), (test_loss, test_acc) = curves["train"][-1], curves["test"][-1]
    return {
        "alpha": alpha,
        "curves": curves,
        "train_loss": train_loss,
        "train_accuracy": train_acc,
        "test_loss": test_loss,
        "test_accuracy": test_acc,
        "gap": train_acc - test_acc,
        "weight_norm2": sum(p.data**2 for p in model.parameters()),
        "model": model,
    }


COLOURS = {"big": "tab:red", "L2": "tab:blue"}
X_RANGE, Y_RANGE = (-2.0, 2.7), (-1.4, 1.9)


def feature_grid(projection, steps: int) -> tuple[list, list, list[list]]:
    """A steps × steps grid over the moons and the sign features z(x) of each grid point."""
    xs = [X_RANGE[0] + (X_RANGE[1] - X_RANGE[0]) * i / (steps - 1) for i in range(steps)]
    ys = [Y_RANGE[0] + (Y_RANGE[1] - Y_RANGE[0]) * i / (steps - 1) for i in range(steps)]
    return xs, ys, [project(projection, [[a, b] for a in xs]) for b in ys]


def scores(model, rows: list[list]) -> list[list[float]]:
    """The score w·z + b of every grid point's features (the engine, no graph)."""
    with no_grad():
        return [[model(f).data for f in row] for row in rows]


def plot_boundaries(runs: dict, sets: dict, projection, out: Path, cfg: dict) -> Path | None:
    """Each model's decision boundary (score 0) with the training points (large) and the test
    points (small, faint)."""
    fig = figure(figsize=(11.0, 4.6))
    if fig is None:
        return None
    axes = fig.subplots(1, 2, sharey=True)
    xs, ys, rows = feature_grid(projection, cfg["grid"])
    for ax, (name, r) in zip(axes, runs.items()):
        grid = scores(r["model"], rows)
        ax.contourf(xs, ys, grid, levels=[-1e9, 0.0, 1e9], colors=["#cfe2ff", "#ffd8cc"])
        ax.contour(xs, ys, grid, levels=[0.0], colors="black", linewidths=1.0)
        for split, size, alpha in (("test", 9, 0.35), ("train", 30, 1.0)):
            X, y = sets[split]
            for label, colour in ((0, "tab:blue"), (1, "tab:red")):
                pts = [p for p, t in zip(X, y) if t == label]
                ax.scatter(
                    [p[0] for p in pts],
                    [p[1] for p in pts],
                    s=size,
                    color=colour,
                    alpha=alpha,
                    edgecolors="black" if split == "train" else "none",
                    linewidths=0.5,
                    label=f"class {label}, {split}",
                )
        ax.set_title(
            f"{name}: train {r['train_accuracy']:.1%}, test {r['test_accuracy']:.1%}", fontsize=10
        )
        ax.set_xlabel("x₁")
        ax.set_aspect("equal")
    axes[0].set_ylabel("x₂")
    axes[0].legend(fontsize=7, loc="lower left", framealpha=0.9)
    fig.suptitle("The big model bends around noisy training points; L2 keeps the boundary smooth")
    return save_figure(fig, out / "decision_boundaries.png", dpi=cfg["dpi"])


def plot_curves(runs: dict, out: Path, dpi: int) -> Path | None:
    """Loss (left) and accuracy (right) over epochs: solid on the training points, dashed on the
    test points, one colour per model."""
    fig = figure(figsize=(11.0, 4.4))
    if fig is None:
        return None
    left, right = fig.subplots(1, 2)
    for (name, r), colour in zip(runs.items(), COLOURS.values()):
        epochs = r["curves"]["epoch"]
        for split, style in (("train", "solid"), ("test", "dashed")):
            points = r["curves"][split]
            label = f"{name}, {split}"
            left.plot(epochs, [p[0] for p in points], color=colour, linestyle=style, label=label)
            right.plot(
                epochs, [100 * p[1] for p in points], color=colour, linestyle=style, label=label
            )
    left.set_yscale("log")
    left.set_ylabel("mean binary cross-entropy (log scale)")
    left.set_title("Loss: training falls on, test turns back up")
    right.set_ylabel("accuracy (%)")
    right.set_title("Accuracy: 40 training points vs 200 test points")
    for ax in (left, right):
        ax.set_xlabel("epoch")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(
        f"{FEATURES + 1} weights for {TRAIN_POINTS} noisy points, "
        f"without and with L2 (α = {ALPHA})",
        fontsize=11,
    )
    return save_figure(fig, out / "train_vs_test.png", dpi=dpi)


def run(out: str | Path = "out/overfitting", seed: int = 0, quick: bool = False) -> dict:
    """The big model without and with L2 on 40 noisy moons, scored on 200 held-out points.

    Claims: the big model gets ≥ 97.5% of its training points right but its test accuracy is at
    least 10 points lower; the L2 model's test accuracy is higher and its test loss lower.
    """
    from nn import RandomProjection

    out = prepare_out(out)
    cfg = _config(quick)
    sets = datasets(seed)
    projection = RandomProjection(3, FEATURES, seed=seed)
    features = {split: (project(projection, X), y) for split, (X, y) in sets.items()}
    rule(
        f"two moons, noise {NOISE}: {TRAIN_POINTS} training points, {TEST_POINTS} test points; "
        f"σ(w·z + b) on {FEATURES} random signs z, {cfg['epochs']} epochs of Adam"
    )
    runs = {
        "big": train(features, 0.0, cfg["epochs"], seed, cfg["every"]),
        f"L2 (α = {ALPHA})": train(features, ALPHA, cfg["epochs"], seed, cfg["every"]),
    }
    print("  model          train loss  train acc  test loss  test acc  train − test  Σ p²")
    for name, r in runs.items():
        print(
            f"  {name:<13}  {fmt(r['train_loss']):<10}  {r['train_accuracy']:>8.1%}"
            f"  {fmt(r['test_loss']):<9}  {r['test_accuracy']:>7.1%}  {r['gap']:>+11.1%}"
            f"  {fmt(r['weight_norm2'])}"
        )
    big, small = runs.values()
    checks = {
        f"the big model gets ≥ {NEAR_PERFECT:.1%} of its training points right": big[
            "train_accuracy"
        ]
        >= NEAR_PERFECT,
        f"its test accuracy is ≥ {GAP:.0%} lower than its training accuracy": big["gap"] >= GAP,
        "with L2 the test accuracy is higher": small["test_accuracy"] > big["test_accuracy"],
        "with L2 the test loss is lower": small["test_loss"] < big["test_loss"],
    }
    rule("Claims")
    for claim, held in checks.items():
        print(f"  [{'ok' if held else 'FAILED'}] {claim}")
    rule("Picture")
    pictures = (
        plot_curves(runs, out, cfg["dpi"]),
        plot_boundaries(runs, sets, projection, out, cfg),
    )
    files = [picture for picture in pictures if picture is not None]
    summary = {
        name: {key: value for key, value in r.items() if key not in ("curves", "model")}
        for name, r in runs.items()
    }
    return {
        "ok": all(checks.values()),
        "files": files,
        "runs": summary,
        "curves": {name: r["curves"] for name, r in runs.items()},
        "checks": checks,
    }


def main(argv: list[str] | None = None) -> int:
    return demo_main("overfitting", run, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
