"""Full-batch, mini-batch and stochastic gradient descent on one problem (lecture 001).

Lecture 001 ends backpropagation with "steepest stochastic gradient descent": the gradient of
the loss of *one* example, applied at once. Between that and the gradient of the whole data set
lie mini-batches. On N points the loss is

    L(w, b) = (1/N) Σ_i (w·x_i + b - y_i)²

and a batch B (a set of |B| indices, the data shuffled each epoch and cut into N/|B| pieces) gives

    L_B = (1/|B|) Σ_{i∈B} (w·x_i + b - y_i)²,     p ← p - η·∂L_B/∂p   (every parameter p).

|B| = N is full-batch gradient descent (one update per epoch, the exact gradient), |B| = 8 a
mini-batch, |B| = 1 stochastic gradient descent (N updates per epoch, each from one point's
gradient, which only points at the true one on average). All three start from the same weights
(same seed) and run the same number of epochs with the same η; the engine computes every gradient
(``L_B.backward()``) and `nn.optim.SGD` updates.

The noise of a curve c_0, c_1, ... is the sum of its increases, Σ_t max(0, c_{t+1} - c_t): 0 for
a curve that only falls. It is measured on the per-update loss L_B and on the full-data loss L
after each update.

    python -m demos.batch_sizes [--seed N] [--out DIR] [--quick]
"""

from __future__ import annotations

import random
from pathlib import Path

from demos._common import demo_main, figure, prepare_out, rule, save_figure
from engine import no_grad
from engine.core.numfmt import fmt

N = 32
LR = 0.2
NOISE_STD = 0.1
TRUE_W, TRUE_B = (1.5, -2.0), 0.5
"""The data: y = 1.5·x₁ - 2·x₂ + 0.5 + Normal(0, 0.1²) noise, x uniform in [-1, 1]²."""


def _config(quick: bool) -> dict:
    if quick:
        return {"epochs": 8, "bound": 0.8, "dpi": 80}
    return {"epochs": 20, "bound": 0.1, "dpi": 110}


def batch_sizes() -> dict[str, int]:
    """The three methods and their batch sizes |B|."""
    return {"full batch": N, "mini-batch": 8, "stochastic": 1}


def make_problem(seed: int) -> tuple[list[list[float]], list[float]]:
    """N points x ∈ [-1, 1]² and y = w*·x + b* + noise, drawn from ``random.Random(seed)``."""
    rng = random.Random(seed)
    X = [[rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)] for _ in range(N)]
    y = [TRUE_W[0] * a + TRUE_W[1] * b + TRUE_B + rng.gauss(0.0, NOISE_STD) for a, b in X]
    return X, y


def full_loss(model, X: list, y: list) -> float:
    """L = (1/N) Σ (ŷ_i - y_i)² over all the data, computed by the engine without a graph."""
    from nn import losses

    with no_grad():
        return losses.mse([model(x) for x in X], y).data


def noise(curve: list[float]) -> float:
    """Σ_t max(0, c_{t+1} - c_t): how much a loss curve climbs in total (0 if it only falls)."""
    return sum(max(0.0, after - before) for before, after in zip(curve, curve[1:]))


def descend(X: list, y: list, batch: int, epochs: int, seed: int) -> dict:
    """Mini-batch gradient descent with batch size `batch` from the seed's initial weights.

    Returns the loss L_B of each update's batch (before the update), the full-data loss L before
    training and after every update, and L at the end of every epoch (index 0: the start).
    """
    from nn import Neuron, losses, optim

    model = Neuron(2, activation="linear", seed=seed)
    optimizer = optim.SGD(model.parameters(), lr=LR)
    order_rng = random.Random(seed)  # the same shuffles for every method
    start = full_loss(model, X, y)
    per_update, after_update, per_epoch = [], [start], [start]
    for _ in range(epochs):
        order = list(range(len(X)))
        order_rng.shuffle(order)
        for first in range(0, len(X), batch):
            chosen = order[first : first + batch]
            objective = losses.mse([model(X[i]) for i in chosen], [y[i] for i in chosen])
            optimizer.zero_grad()
            objective.backward()
            optimizer.step()
            per_update.append(objective.data)
            after_update.append(full_loss(model, X, y))
        per_epoch.append(after_update[-1])
    return {
        "per_update": per_update,
        "after_update": after_update,
        "per_epoch": per_epoch,
        "updates_per_epoch": len(per_update) // epochs,
        "final": per_epoch[-1],
        "weights": [p.data for p in model.parameters()],
    }


COLOURS = ("tab:blue", "tab:orange", "tab:green")


def plot_epochs(runs: dict, out: Path, dpi: int) -> Path | None:
    """The full-data loss L at the end of every epoch, one line per method."""
    fig = figure(figsize=(6.4, 4.4))
    if fig is None:
        return None
    ax = fig.subplots()
    for (name, r), colour in zip(runs.items(), COLOURS):
        ax.plot(
            range(len(r["per_epoch"])),
            r["per_epoch"],
            marker="o",
            ms=3,
            color=colour,
            label=f"{name} (|B| = {r['batch']}, {r['updates_per_epoch']} update(s) per epoch)",
        )
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("full-data loss L  (log scale)")
    ax.set_title("The same epochs: more, noisier updates get further")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, out / "loss_per_epoch.png", dpi=dpi)


def plot_updates(runs: dict, out: Path, dpi: int) -> Path | None:
    """Per update: the batch loss L_B (left) and the full-data loss L after it (right)."""
    fig = figure(figsize=(11.0, 4.4))
    if fig is None:
        return None
    left, right = fig.subplots(1, 2, sharey=True)
    for (name, r), colour in zip(runs.items(), COLOURS):
        steps = range(1, len(r["per_update"]) + 1)
        left.plot(
            steps,
            r["per_update"],
            color=colour,
            linewidth=0.8,
            label=f"{name}: noise {fmt(r['noise_per_update'], 3)}",
        )
        right.plot(
            range(len(r["after_update"])),
            r["after_update"],
            color=colour,
            linewidth=0.8,
            label=f"{name}: noise {fmt(r['noise_after_update'], 3)}",
        )
    left.set_title("loss of each update's batch, L_B")
    right.set_title("full-data loss L after each update")
    left.set_ylabel("loss  (log scale)")
    for ax in (left, right):
        ax.set_yscale("log")
        ax.set_xscale("log")
        ax.set_xlabel("update (log scale)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Against updates: one point's gradient is a noisy estimate of the true one")
    return save_figure(fig, out / "loss_per_update.png", dpi=dpi)


def run(out: str | Path = "out/batch_sizes", seed: int = 0, quick: bool = False) -> dict:
    """Full batch (|B| = N), mini-batch (|B| = 8) and SGD (|B| = 1) from the same start.

    Claims: SGD makes N updates per epoch (N× full batch), its per-update loss curve and its
    full-data loss after each update are noisier than the mini-batch's; the mini-batch's are at
    least as noisy as full batch's (whose L only falls here: noise 0); every method ends below
    the bound, and the
    two that update more often end lower than full batch after the same epochs.
    """
    out = prepare_out(out)
    cfg = _config(quick)
    X, y = make_problem(seed)
    rule(f"{N} points, y = 1.5·x₁ - 2·x₂ + 0.5 + noise; mse loss, η = {LR}, {cfg['epochs']} epochs")
    runs = {}
    for name, batch in batch_sizes().items():
        r = descend(X, y, batch, cfg["epochs"], seed)
        r["batch"] = batch
        r["noise_per_update"] = noise(r["per_update"])
        r["noise_after_update"] = noise(r["after_update"])
        runs[name] = r
    start = runs["full batch"]["per_epoch"][0]
    print(f"  every method starts from the same weights: L = {fmt(start)}")
    print("  method        |B|  updates/epoch  final L    noise of L_B   noise of L")
    for name, r in runs.items():
        print(
            f"  {name:<12} {r['batch']:>4}  {r['updates_per_epoch']:>13}  {fmt(r['final']):<9}"
            f"  {fmt(r['noise_per_update']):<13}  {fmt(r['noise_after_update'])}"
        )
    full, mini, sgd = runs["full batch"], runs["mini-batch"], runs["stochastic"]
    checks = {
        f"SGD makes N = {N}× the updates of full batch per epoch": sgd["updates_per_epoch"]
        == N * full["updates_per_epoch"],
        "per-update loss noise: SGD > mini-batch > full batch": sgd["noise_per_update"]
        > mini["noise_per_update"]
        > full["noise_per_update"],
        "full-data loss noise: SGD > mini-batch ≥ full batch": sgd["noise_after_update"]
        > mini["noise_after_update"]
        >= full["noise_after_update"],
        f"every method ends below L = {cfg['bound']}": all(
            r["final"] < cfg["bound"] for r in runs.values()
        ),
        "after the same epochs, mini-batch and SGD end lower than full batch": max(
            mini["final"], sgd["final"]
        )
        < full["final"],
    }
    rule("Claims")
    for claim, held in checks.items():
        print(f"  [{'ok' if held else 'FAILED'}] {claim}")
    rule("Pictures")
    files = [
        p
        for p in (plot_epochs(runs, out, cfg["dpi"]), plot_updates(runs, out, cfg["dpi"]))
        if p is not None
    ]
    summary = {
        name: {
            key: r[key]
            for key in (
                "batch",
                "updates_per_epoch",
                "final",
                "noise_per_update",
                "noise_after_update",
                "per_epoch",
            )
        }
        for name, r in runs.items()
    }
    return {
        "ok": all(checks.values()),
        "files": files,
        "runs": summary,
        "start": start,
        "bound": cfg["bound"],
        "checks": checks,
    }


def main(argv: list[str] | None = None) -> int:
    return demo_main("batch_sizes", run, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
