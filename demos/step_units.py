"""Universal approximation with step units: two make a bump, four make a tower (lecture 004).

The lecture (seed 004) approximates a function by a one-hidden-layer network whose activation is
the step function, "2 hidden units to form a rectangle". The engine's step is ``binary_step``,
sign(z) ∈ {-1, 0, +1}, so a step unit at a reads sign(x - a), and

    bump(x; a, b, h) = (h/2)·(sign(x - a) - sign(x - b))

is h on (a, b), 0 outside (h/2 exactly at a cut, where sign(0) = 0): two hidden units, weights 1,
biases -a and -b, output weights ±h/2. Cut [0, π] into N pieces of width w = π/N and give piece k
the height f(c_k) at its midpoint: the sum of the N bumps is ``MLP(1, [2N, 1],
activation="binary_step")``, and since |f(x) - f(c_k)| ≤ L·|x - c_k| ≤ L·w/2 on piece k (L the
largest slope |f'|), its max error is at most L·w/2 = L·π/(2N): it falls like 1/N. Target:
f(x) = sin(x), L = 1. No training: binary_step has derivative 0, nothing could learn through it
(train a steep sigmoid instead); the weights are set by hand.

In 2-D four step units, sign(x₁ - a₁), sign(b₁ - x₁), sign(x₂ - a₂), sign(b₂ - x₂), sum to 4
inside the rectangle (a₁, b₁) × (a₂, b₂), to 3 on its edge and to at most 2 outside it, so one
more step unit sign(Σ - 3.5) reads +1 exactly inside: a tower, ``MLP(2, [4, 1])`` of step units.

    python -m demos.step_units [--seed N] [--out DIR] [--quick]
"""

from __future__ import annotations

import math
from pathlib import Path

from demos._common import demo_main, figure, prepare_out, rule, save_figure
from engine import no_grad
from engine.core.numfmt import fmt

LOW, HIGH = 0.0, math.pi
SLOPE = 1.0
"""L = max |f'| on [0, π] for f = sin."""
TOWER = ((-0.5, 0.5), (-0.25, 0.75))
"""The tower's rectangle (a₁, b₁) × (a₂, b₂)."""


def f(x: float) -> float:
    """The function to approximate: sin(x) on [0, π]."""
    return math.sin(x)


def _config(quick: bool) -> dict:
    if quick:
        return {"pieces": (2, 4, 8, 16), "points": 101, "grid": 21, "dpi": 80}
    return {"pieces": (2, 4, 8, 16, 32, 64), "points": 401, "grid": 41, "dpi": 110}


def _grid(low: float, high: float, n: int) -> list[float]:
    return [low + (high - low) * i / (n - 1) for i in range(n)]


def bump_network(cuts: list[tuple[float, float, float]]):
    """MLP(1, [2N, 1], binary_step) computing Σ_k (h_k/2)·(sign(x - a_k) - sign(x - b_k)).

    `cuts` lists (a_k, b_k, h_k); bump k is hidden units 2k (bias -a_k) and 2k + 1 (bias -b_k).
    """
    from nn import MLP

    model = MLP(1, [2 * len(cuts), 1], activation="binary_step", seed=0)
    hidden, output = model.layers[0].neurons, model.layers[1].neurons[0]
    output.b.data = 0.0
    for k, (a, b, h) in enumerate(cuts):
        for unit, (edge, sign) in enumerate(((a, 1.0), (b, -1.0))):
            neuron = hidden[2 * k + unit]
            neuron.w[0].data = 1.0
            neuron.b.data = -edge
            output.w[2 * k + unit].data = sign * h / 2.0
    return model


def staircase(pieces: int):
    """N = `pieces` bumps of width π/N on [0, π], bump k at height f(midpoint of piece k)."""
    width = (HIGH - LOW) / pieces
    cuts = [
        (LOW + k * width, LOW + (k + 1) * width, f(LOW + (k + 0.5) * width)) for k in range(pieces)
    ]
    return bump_network(cuts)


def tower_network():
    """MLP(2, [4, 1]) with step units: sign(Σ_i sign(±(x_j - edge_i)) - 3.5), +1 inside TOWER."""
    from nn import MLP

    model = MLP(2, [4, 1], activation="binary_step", output_activation="binary_step", seed=0)
    (a1, b1), (a2, b2) = TOWER
    units = (((1.0, 0.0), -a1), ((-1.0, 0.0), b1), ((0.0, 1.0), -a2), ((0.0, -1.0), b2))
    for neuron, (w, b) in zip(model.layers[0].neurons, units):
        neuron.w[0].data, neuron.w[1].data = w
        neuron.b.data = b
    top = model.layers[1].neurons[0]
    for weight in top.w:
        weight.data = 1.0
    top.b.data = -3.5
    return model


def tower_value(model, x1: float, x2: float) -> float:
    """The tower's height at (x₁, x₂): (1 + output)/2, 1 inside the rectangle, 0 outside."""
    with no_grad():
        return (1.0 + model([x1, x2]).data) / 2.0


def inside(x1: float, x2: float) -> bool:
    (a1, b1), (a2, b2) = TOWER
    return a1 < x1 < b1 and a2 < x2 < b2


def curve(model, xs: list[float]) -> list[float]:
    with no_grad():
        return [model([x]).data for x in xs]


def plot_all(xs, one, stairs, tower_grid, out: Path, dpi: int) -> Path | None:
    fig = figure(figsize=(13.0, 5.6))
    if fig is None:
        return None
    left, middle = fig.add_subplot(1, 3, 1), fig.add_subplot(1, 3, 2)
    right = fig.add_subplot(1, 3, 3, projection="3d")
    left.plot(xs, one, color="tab:blue", linewidth=2)
    left.set_title("2 step units: one bump\n(a, b, h) = (1, 2, 0.8)")
    left.set_xlabel("x")
    left.grid(True, alpha=0.3)
    middle.plot(xs, [f(x) for x in xs], color="black", linewidth=2.5, label="f(x) = sin x")
    for (n, (values, error)), colour in zip(stairs.items(), ("tab:orange", "tab:blue")):
        middle.plot(
            xs,
            values,
            color=colour,
            linewidth=1.3,
            label=f"N = {n} bumps ({2 * n} step units), max error {fmt(error, 3)}",
        )
    middle.set_title("A sum of N bumps\napproximates sin on [0, π]")
    middle.set_xlabel("x")
    middle.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.15))
    middle.grid(True, alpha=0.3)
    import numpy as np  # matplotlib needs it anyway

    g, heights = tower_grid
    gx, gy = np.meshgrid(g, g)
    right.plot_surface(gx, gy, np.asarray(heights), cmap="viridis", linewidth=0)
    right.set_title("4 step units + 1:\na tower in 2-D")
    right.set_xlabel("x₁")
    right.set_ylabel("x₂")
    fig.suptitle("Step units approximate functions: bumps in 1-D, towers in 2-D", fontsize=12)
    return save_figure(fig, out / "step_units.png", dpi=dpi)


def run(out: str | Path = "out/step_units", seed: int = 0, quick: bool = False) -> dict:
    """Claims: one bump is h on (a, b) and 0 outside; the tower is 1 exactly inside its
    rectangle; the max error of N bumps falls with every doubling of N and stays within
    L·π/(2N). Nothing is random (`seed` is accepted for the common command line)."""
    out = prepare_out(out)
    cfg = _config(quick)
    xs = _grid(LOW, HIGH, cfg["points"])

    rule("Two step units make a bump: (h/2)·(sign(x - a) - sign(x - b))")
    bump = bump_network([(1.0, 2.0, 0.8)])
    one = curve(bump, xs)
    bump_ok = all(
        abs(v - (0.8 if 1.0 < x < 2.0 else 0.0)) < 1e-12
        for x, v in zip(xs, one)
        if x not in (1.0, 2.0)
    )
    for x in (0.5, 1.5, 2.5):
        with no_grad():
            print(f"  a = 1, b = 2, h = 0.8: bump({x}) = {fmt(bump([x]).data)}")

    rule("Four step units (and one more) make a tower in 2-D")
    tower = tower_network()
    g = _grid(-1.0, 1.0, cfg["grid"])
    heights = [[tower_value(tower, a, b) for a in g] for b in g]
    tower_ok = all(
        heights[j][i] == (1.0 if inside(a, b) else 0.0)
        for j, b in enumerate(g)
        for i, a in enumerate(g)
    )
    (a1, b1), (a2, b2) = TOWER
    print(f"  rectangle ({a1}, {b1}) × ({a2}, {b2}):")
    for point in ((0.0, 0.25), (0.75, 0.25), (0.0, -0.5)):
        print(f"  tower{point} = {fmt(tower_value(tower, *point))}")
    cells = sum(map(sum, heights))
    print(f"  {cells:g} of {len(g) ** 2} grid points are inside: the tower is 1 there, 0 elsewhere")

    rule("A sum of N bumps approximates f(x) = sin x on [0, π]")
    print("  bound: max |g - f| ≤ L·w/2 = π/(2N) (L = max |f'| = 1, w = π/N)")
    print("      N   step units   max |g - f|   bound π/(2N)")
    errors, stairs = {}, {}
    for n in cfg["pieces"]:
        model = staircase(n)
        values = curve(model, xs)
        errors[n] = max(abs(v - f(x)) for x, v in zip(xs, values))
        if n in (4, 16):
            stairs[n] = (values, errors[n])
        print(f"  {n:5d}   {2 * n:10d}   {fmt(errors[n]):>11}   {fmt(SLOPE * math.pi / (2 * n))}")
    maxima = list(errors.values())
    falling = all(b < a for a, b in zip(maxima, maxima[1:]))
    bounded = all(e <= SLOPE * math.pi / (2 * n) + 1e-12 for n, e in errors.items())
    print(f"  the error falls with every doubling of N: {falling}; within the bound: {bounded}")

    rule("Picture")
    picture = plot_all(xs, one, stairs, (g, heights), out, cfg["dpi"])
    files = [picture] if picture is not None else []
    return {
        "ok": bump_ok and tower_ok and falling and bounded,
        "files": files,
        "bump_ok": bump_ok,
        "tower_ok": tower_ok,
        "max_errors": errors,
    }


def main(argv: list[str] | None = None) -> int:
    return demo_main("step_units", run, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
