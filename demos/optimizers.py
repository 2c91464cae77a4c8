"""Gradient descent, momentum and Adam on the same problem: the lecture's sigmoid neuron on two
points.

The problem of seed 002 (see ``demos.two_points``): f(x) = σ(w·x + b), X = [0.5, 2.5],
Y = [0.2, 0.9], L(w, b) = Σ ½ (f(x) - y)², starting at w = b = -2. Its error surface has a long
flat plateau there, which is exactly where optimisers differ. Every step uses both points (the
whole data set), so the first run is full-batch gradient descent, not stochastic: with one
point per step it would be SGD (``chainrule demo batch_sizes`` compares the two). With
g = ∂L/∂p for each parameter p:

    gradient descent   p ← p − η·g                                     η = 1 (lecture 002)
    momentum           v ← μ·v + g,  p ← p − η·v                        η = 1, μ = 0.9
    Adam, step t       m ← β₁·m + (1 − β₁)·g,  v ← β₂·v + (1 − β₂)·g²
                       p ← p − η·m̂/(√v̂ + ε),  m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)
                                                      η = 0.1, β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸

The notes write gradient descent with η (002); notes 001 call the learning rate α and describe
Adam only as "exponential moving averages of the gradient and the squared gradient", without
symbols, so β₁, β₂ and ε are Kingma and Ba's names (and PyTorch's defaults), and μ is PyTorch's
momentum. Every run uses the engine for the gradients (``L.backward()``) and `nn.optim` for the
update; the demo recomputes each optimiser's first step from the rule as printed and checks
that `nn.optim` made exactly that step. It reports how many steps each needs to bring L below
10⁻³ and draws the three loss curves on one plot, and the three paths on the error surface.

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
        GD: lambda: optim.SGD(params, lr=1.0),
        MOMENTUM: lambda: optim.SGD(params, lr=1.0, momentum=0.9),
        ADAM: lambda: optim.Adam(params, lr=0.1, betas=(0.9, 0.999), eps=1e-8),
    }


GD = "gradient descent (full batch, η = 1)"
MOMENTUM = "momentum (η = 1, μ = 0.9)"
ADAM = "Adam (η = 0.1, β₁ = 0.9, β₂ = 0.999, ε = 1e-8)"
RULES = {
    GD: "p ← p − η·g",
    MOMENTUM: "v ← μ·v + g;  p ← p − η·v   (v starts at 0)",
    ADAM: "m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g²;  p ← p − η·m̂/(√v̂ + ε)",
}
"""Each optimiser's update rule, as printed (and recomputed by `step_by_hand`)."""


def step_by_hand(name: str, p: float, g: float, state: dict, t: int) -> float:
    """One parameter's update number t (from 1) by the printed rule, from p with gradient g;
    `state` holds that parameter's v (momentum) or m and v (Adam), all 0 before the first step."""
    if name == GD:
        return p - 1.0 * g
    if name == MOMENTUM:
        state["v"] = 0.9 * state.get("v", 0.0) + g
        return p - 1.0 * state["v"]
    state["m"] = 0.9 * state.get("m", 0.0) + (1 - 0.9) * g
    state["v"] = 0.999 * state.get("v", 0.0) + (1 - 0.999) * g * g
    m_hat, v_hat = state["m"] / (1 - 0.9**t), state["v"] / (1 - 0.999**t)
    return p - 0.1 * m_hat / (v_hat**0.5 + 1e-8)


def check_rules(steps: int = 3) -> dict:
    """For each optimiser, the largest |nn.optim's parameter − the printed rule's| over its first
    `steps` updates of w and b, the rule fed the same gradients (about 1e-16 when the rule printed
    is the rule that ran)."""
    gaps = {}
    for name in _optimizers([]):
        w, b = Parameter(W0, label="w"), Parameter(B0, label="b")
        opt = _optimizers([w, b])[name]()
        states: list[dict] = [{}, {}]
        gap = 0.0
        for t in range(1, steps + 1):
            loss = engine_loss(w, b)
            opt.zero_grad()
            loss.backward()
            want = [step_by_hand(name, q.data, q.grad, st, t) for q, st in zip((w, b), states)]
            opt.step()
            gap = max(gap, *(abs(q.data - x) for q, x in zip((w, b), want)))
        gaps[name] = gap
    return gaps


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
    print("  each step uses both points: full-batch. With g = ∂L/∂p for p in (w, b):")
    for name, text in RULES.items():
        print(f"  {name}\n      {text}")
    gaps = check_rules()
    print(
        "  the first 3 steps of each, recomputed from the rule above, differ from nn.optim's by "
        f"at most {fmt(max(gaps.values()))}: the rules printed are the rules that ran"
    )
    runs = {}
    for name in _optimizers([]):
        r = runs[name] = descend(name, steps)
        reached = r["steps_to_threshold"]
        print(
            f"  {name:48} L: {fmt(r['losses'][0])} → {fmt(r['losses'][-1])} after {steps} steps;"
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
    exact = all(gap <= 1e-12 for gap in gaps.values())
    return {
        "ok": lowered and faster and exact,
        "rule_gaps": gaps,
        "files": files,
        "steps_to_threshold": {name: r["steps_to_threshold"] for name, r in runs.items()},
        "final_loss": {name: r["losses"][-1] for name, r in runs.items()},
    }


def main(argv: list[str] | None = None) -> int:
    return demo_main("optimizers", run, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
