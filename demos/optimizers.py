"""SGD, momentum and Adam on the same problem: the lecture's sigmoid neuron on two points.

The problem of seed 002 (see ``demos.two_points``): f(x) = σ(w·x + b), X = [0.5, 2.5],
Y = [0.2, 0.9], L(w, b) = Σ ½ (f(x) - y)², starting at w = b = -2. Its error surface has a long
flat plateau there, which is exactly where optimisers differ:

    SGD        p ← p - η·g                                   (η = 1, the lecture's)
    momentum   v ← μ·v + g,  p ← p - η·v                     (η = 1, μ = 0.9)
    Adam       m, v = moving averages of g and g²,  p ← p - η·m̂/(√v̂ + ε)   (η = 0.1, lecture 001)

Every run uses the engine for the gradients (``L.backward()``) and `nn.optim` for the update. The
demo reports how many steps each needs to bring L below 10⁻³ and draws the three loss curves on
one plot, and the three paths on the error surface.

    python -m demos.optimizers [--out DIR] [--quick]
"""

from __future__ import annotations

from pathlib import Path

from demos._common import demo_main, figure, prepare_out, rule, save_figure
from demos.two_points import B0, W0, X, Y, engine_loss
from engine import Parameter
from engine.core.numfmt import fmt

THRESHOLD = 1e-3


def _optimizers(params: list) -> dict:
    from nn import optim

    return {
        "SGD (η = 1)": lambda: optim.SGD(params, lr=1.0),
        "momentum (η = 1, μ = 0.9)": lambda: optim.SGD(params, lr=1.0, momentum=0.9),
        "Adam (η = 0.1)": lambda: optim.Adam(params, lr=0.1),
    }


def descend(name: str, steps: int) -> dict:
    """Run one optimiser from (w, b) = (-2, -2); the losses and the path."""
    w, b = Parameter(W0, label="w"), Parameter(B0, label="b")
    opt = _optimizers([w, b])[name]()
    losses, path = [], [(w.data, b.data)]
    for _ in range(steps):
        loss = engine_loss(w, b)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.data)
        path.append((w.data, b.data))
    losses.append(engine_loss(w, b).data)
    below = next((k for k, v in enumerate(losses) if v < THRESHOLD), None)
    return {"losses": losses, "path": path, "steps_to_threshold": below}


def plot_curves(runs: dict, out: Path, dpi: int) -> Path | None:
    fig = figure(figsize=(11.0, 4.4))
    if fig is None:
        return None
    left, right = fig.subplots(1, 2)
    colours = ("tab:blue", "tab:orange", "tab:green")
    for (name, r), colour in zip(runs.items(), colours):
        left.plot(range(len(r["losses"])), r["losses"], color=colour, label=name)
    left.axhline(THRESHOLD, color="0.5", linestyle="dotted", label="L = 10⁻³")
    left.set_yscale("log")
    left.set_xlabel("step")
    left.set_ylabel("L(w, b)  (log scale)")
    left.set_title("Loss curves on the same problem")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8, loc="lower left")

    import numpy as np

    ws = np.linspace(-4.0, 4.0, 120)
    bs = np.linspace(-6.0, 3.0, 120)
    W, B = np.meshgrid(ws, bs)
    Z = sum(0.5 * (1.0 / (1.0 + np.exp(-(W * x + B))) - y) ** 2 for x, y in zip(X, Y))
    right.contourf(W, B, Z, levels=30, cmap="Greys")
    for (name, r), colour in zip(runs.items(), colours):
        right.plot(
            [p[0] for p in r["path"]],
            [p[1] for p in r["path"]],
            color=colour,
            linewidth=1.6,
            label=name,
        )
    right.plot(W0, B0, "s", color="white", markeredgecolor="black", markersize=8)
    right.set_xlim(-4, 4)
    right.set_ylim(-6, 3)
    right.set_xlabel("w")
    right.set_ylabel("b")
    right.set_title(
        "Their paths on the error surface L(w, b)\n(lighter = lower loss; start: white square)"
    )
    right.legend(fontsize=8, loc="upper left")
    return save_figure(fig, out / "optimizers.png", dpi=dpi)


def run(out: str | Path = "out/optimizers", seed: int = 0, quick: bool = False) -> dict:
    """Claim: every optimiser lowers the loss, and momentum and Adam cross L < 10⁻³ in fewer
    steps than plain SGD. Deterministic (`seed` unused); quick mode takes fewer steps."""
    out = prepare_out(out)
    steps = 200 if quick else 400
    rule("One problem, three optimisers (sigmoid neuron, two points, start w = b = -2)")
    runs = {}
    for name in _optimizers([]):
        r = runs[name] = descend(name, steps)
        reached = r["steps_to_threshold"]
        print(
            f"  {name:26} L: {fmt(r['losses'][0])} → {fmt(r['losses'][-1])} after {steps} steps;"
            f" L < 1e-3 after {reached if reached is not None else f'more than {steps}'} steps"
        )
    sgd, momentum, adam = (r["steps_to_threshold"] for r in runs.values())
    print(
        "  momentum and Adam cross the plateau faster: they remember past gradients, so a "
        "small\n  but steady slope adds up to a large step."
    )

    rule("Picture")
    files = []
    picture = plot_curves(runs, out, 80 if quick else 110)
    if picture is not None:
        files.append(picture)
    lowered = all(r["losses"][-1] < r["losses"][0] for r in runs.values())
    faster = (
        momentum is not None
        and adam is not None
        and (sgd is None or (momentum < sgd and adam < sgd))
    )
    return {
        "ok": lowered and faster,
        "files": files,
        "steps_to_threshold": {name: r["steps_to_threshold"] for name, r in runs.items()},
        "final_loss": {name: r["losses"][-1] for name, r in runs.items()},
    }


def main(argv: list[str] | None = None) -> int:
    return demo_main("optimizers", run, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
