"""The lecture's table of activation functions: each one and its derivative, by the engine.

The activation-function lecture (seed 003) tabulates, for each g, the function and its gradient:

    linear       g(a) = a                     g'(a) = 1
    binary step  g(a) = sign(a)               g'(a) = 0 (a ≠ 0; not defined at 0)
    sigmoid      g(a) = 1/(1 + e^-a)          g'(a) = g(a)(1 - g(a))
    tanh         g(a) = (e^a - e^-a)/(e^a + e^-a)        g'(a) = 1 - g(a)²
    ReLU         g(a) = max(0, a)             g'(a) = 1 if a ≥ 0 else 0
    softplus     g(z) = ln(1 + e^z)           g'(z) = 1/(1 + e^-z)
    leaky ReLU   g(z) = z if z ≥ 0 else αz    g'(z) = 1 if z ≥ 0 else α
    ELU          g(z) = z if z > 0 else α(e^z - 1)       g'(z) = 1 if z > 0 else αe^z
    swish        g(z) = z·σ(βz)               g'(z) = βg(z) + σ(βz)(1 - βg(z))
    GELU         g(x) = ½x(1 + erf(x/√2))     g'(x) = Φ(x) + x·φ(x)

For each row the demo computes g(a) with the engine's op and g'(a) by ``backward()``, on a grid of
points, and checks both against the table's formula written out independently in plain floats.
Two notes on the table itself: its swish derivative is printed as "βg(βz) + σ(βz)(1 - βg(βz))",
a misprint for βg(z) + σ(βz)(1 - βg(z)) (the form checked here); and at a kink (a = 0) a
derivative is a convention, not a fact: the table takes ReLU'(0) = 1, the engine (like PyTorch)
takes 0. The demo prints each such choice.

A lecturer who wants the table's convention uses ``engine.functional.custom.lecture_relu(x)``: the
same
max(0, x), with relu'(0) = 1. It is an op of its own, written with
`engine.functional.custom.define_op`
(forward and local derivative side by side), so backward(), the narrated steps, the drawings and
gradcheck all use it; ``x.relu()`` keeps PyTorch's 0.

    python -m demos.activations [--out DIR]
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

from demos._common import demo_main, figure, prepare_out, rule, save_figure
from engine import OPS, Value
from engine.functional.custom import lecture_relu

ALPHA_LEAKY = 0.1  # larger than the engine's default 0.01 so the slope shows on a plot
ALPHA_ELU = 1.0
BETA = 1.0
TOLERANCE = 1e-12


def _sigma(z: float) -> float:
    """σ(z) = 1/(1 + e^-z), written the long way for the table (overflow-safe)."""
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def _tanh_table(a: float) -> float:
    """tanh(a) = (e^a - e^-a)/(e^a + e^-a), as the table writes it."""
    return (math.exp(a) - math.exp(-a)) / (math.exp(a) + math.exp(-a))


def _swish(z: float) -> float:
    return z * _sigma(BETA * z)


def _phi(x: float) -> float:
    """Φ(x) = ½(1 + erf(x/√2)), the standard normal CDF."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


Row = tuple[
    str,
    str | None,
    Callable[[Value], Value],
    Callable[[float], float],
    Callable[[float], float],
    str,
    str,
]

TABLE: list[Row] = [
    # name, op row, engine, table g, table g', g as the table writes it, g' as written
    ("linear", None, lambda v: v, lambda a: a, lambda a: 1.0, "a", "1"),
    (
        "binary step",
        "binary_step",
        lambda v: v.binary_step(),
        lambda a: float((a > 0) - (a < 0)),
        lambda a: 0.0,
        "sign(a)",
        "0 (a ≠ 0)",
    ),
    (
        "sigmoid",
        "sigmoid",
        lambda v: v.sigmoid(),
        lambda a: 1.0 / (1.0 + math.exp(-a)),
        lambda a: (1.0 / (1.0 + math.exp(-a))) * (1.0 - 1.0 / (1.0 + math.exp(-a))),
        "1/(1 + e^-a)",
        "g(a)(1 - g(a))",
    ),
    (
        "tanh",
        "tanh",
        lambda v: v.tanh(),
        _tanh_table,
        lambda a: 1.0 - _tanh_table(a) ** 2,
        "(e^a - e^-a)/(e^a + e^-a)",
        "1 - g(a)²",
    ),
    (
        "ReLU",
        "relu",
        lambda v: v.relu(),
        lambda a: max(0.0, a),
        lambda a: 1.0 if a >= 0 else 0.0,
        "max(0, a)",
        "1 if a ≥ 0 else 0",
    ),
    (
        "softplus",
        "softplus",
        lambda v: v.softplus(),
        lambda z: math.log(1.0 + math.exp(z)),
        lambda z: 1.0 / (1.0 + math.exp(-z)),
        "ln(1 + e^z)",
        "1/(1 + e^-z)",
    ),
    (
        "leaky ReLU",
        "leaky_relu",
        lambda v: v.leaky_relu(ALPHA_LEAKY),
        lambda z: z if z >= 0 else ALPHA_LEAKY * z,
        lambda z: 1.0 if z >= 0 else ALPHA_LEAKY,
        f"z if z ≥ 0 else αz (α = {ALPHA_LEAKY})",
        "1 if z ≥ 0 else α",
    ),
    (
        "ELU",
        "elu",
        lambda v: v.elu(ALPHA_ELU),
        lambda z: z if z > 0 else ALPHA_ELU * (math.exp(z) - 1.0),
        lambda z: 1.0 if z > 0 else ALPHA_ELU * math.exp(z),
        f"z if z > 0 else α(e^z - 1) (α = {ALPHA_ELU:g})",
        "1 if z > 0 else αe^z",
    ),
    (
        "swish",
        "swish",
        lambda v: v.swish(BETA),
        _swish,
        lambda z: BETA * _swish(z) + _sigma(BETA * z) * (1.0 - BETA * _swish(z)),
        f"z·σ(βz) (β = {BETA:g})",
        "βg(z) + σ(βz)(1 - βg(z))",
    ),
    (
        "GELU",
        "gelu",
        lambda v: v.gelu(),
        lambda x: x * _phi(x),
        lambda x: _phi(x) + x * math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi),
        "½x(1 + erf(x/√2))",
        "Φ(x) + x·φ(x)",
    ),
]


def grid(n: int, low: float = -4.0, high: float = 4.0) -> list[float]:
    """n evenly spaced points; n even, so a = 0 (the kinks) is never on the grid."""
    if n < 2 or n % 2:
        raise ValueError(f"grid needs an even number of points >= 2, got {n!r}")
    return [low + (high - low) * k / (n - 1) for k in range(n)]


def engine_value_and_slope(activation: Callable[[Value], Value], a: float) -> tuple[float, float]:
    """(g(a), g'(a)) from the engine: the forward op, then backward() to the input."""
    x = Value(a, label="a")
    out = activation(x)
    out.backward()
    return out.data, x.grad


def check_row(row: Row, points: list[float]) -> dict:
    """Engine vs table on every point: the curves and the largest differences."""
    _, _, activation, g, dg, _, _ = row
    values, slopes, worst_g, worst_dg = [], [], 0.0, 0.0
    for a in points:
        value, slope = engine_value_and_slope(activation, a)
        values.append(value)
        slopes.append(slope)
        worst_g = max(worst_g, abs(value - g(a)) / max(1.0, abs(g(a))))
        worst_dg = max(worst_dg, abs(slope - dg(a)) / max(1.0, abs(dg(a))))
    return {"values": values, "slopes": slopes, "worst_g": worst_g, "worst_dg": worst_dg}


def plot_table(points: list[float], results: dict, out: Path, dpi: int, every: int) -> Path | None:
    fig = figure(figsize=(15.0, 6.6))
    if fig is None:
        return None
    axes = fig.subplots(2, 5, sharex=True).ravel()
    for ax, row in zip(axes, TABLE):
        name, _, _, g, dg, _, _ = row
        r = results[name]
        ax.axhline(0.0, color="0.8", linewidth=0.8)
        ax.axvline(0.0, color="0.8", linewidth=0.8)
        ax.plot(points, r["values"], color="tab:blue", linewidth=2, label="g(a), engine")
        ax.plot(
            points,
            r["slopes"],
            color="tab:orange",
            linewidth=2,
            linestyle="--",
            label="g'(a), engine backward()",
        )
        sample = points[::every]
        ax.plot(
            sample,
            [g(a) for a in sample],
            "o",
            color="tab:blue",
            markersize=3.5,
            markerfacecolor="white",
            label="g(a), table formula",
        )
        ax.plot(
            sample,
            [dg(a) for a in sample],
            "o",
            color="tab:orange",
            markersize=3.5,
            markerfacecolor="white",
            label="g'(a), table formula",
        )
        ax.set_title(name, fontsize=11, weight="bold")
        ax.set_ylim(-1.6, 2.6)
        ax.grid(True, alpha=0.25)
    for ax in axes[5:]:
        ax.set_xlabel("a")
    axes[0].set_ylabel("g(a) and g'(a)")
    axes[5].set_ylabel("g(a) and g'(a)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=10)
    fig.suptitle(
        "The lecture's activation table: each g (solid) and its derivative (dashed) "
        "from the engine; circles: the table's own formulas",
        fontsize=13,
    )
    return save_figure(fig, out / "activations.png", dpi=dpi)


def run(out: str | Path = "out/activations", seed: int = 0, quick: bool = False) -> dict:
    """Check every row of the table on a grid and at the kink a = 0; plot them."""
    out = prepare_out(out)
    points = grid(40 if quick else 400)
    rule(f"Engine vs the lecture's table on {len(points)} points in [-4, 4]")
    results, worst = {}, 0.0
    for row in TABLE:
        name, op_name, _, _, _, g_text, dg_text = row
        r = results[name] = check_row(row, points)
        worst = max(worst, r["worst_g"], r["worst_dg"])
        engine_text = (
            "the input itself (no op)"
            if op_name is None
            else f"{OPS[op_name].formula};  d/dx = {OPS[op_name].derivatives[0]}"
        )
        print(f"  {name:11}  table: g = {g_text};  g' = {dg_text}")
        print(f"  {'':11}  engine op table: {engine_text}")
        print(
            f"  {'':11}  largest relative difference: g {r['worst_g']:.1e}, g' {r['worst_dg']:.1e}"
        )

    rule("At the kink a = 0, a derivative is a convention")
    kinks = {}
    for row in TABLE:
        name, _, activation, _, dg, _, _ = row
        value, slope = engine_value_and_slope(activation, 0.0)
        table = "not defined" if name == "binary step" else f"{dg(0.0):g}"
        kinks[name] = slope
        if name in ("binary step", "ReLU", "leaky ReLU", "ELU"):
            print(f"  {name:11}  g(0) = {value:g};  g'(0): engine {slope:g}, table {table}")
    print("  (the engine follows PyTorch: relu'(0) = 0, leaky_relu'(0) = α, elu'(0) = α)")
    _, lecture_slope = engine_value_and_slope(lecture_relu, 0.0)
    kinks["lecture ReLU"] = lecture_slope
    print(
        f"  the table's convention: engine.functional.custom.lecture_relu(x) is max(0, x) with "
        f"g'(0) = {lecture_slope:g}"
    )

    rule("Picture")
    files = []
    picture = plot_table(points, results, out, 80 if quick else 110, 2 if quick else 20)
    if picture is not None:
        files.append(picture)
    ok = worst <= TOLERANCE
    print(
        f"  every row agrees with its formula: {'yes' if ok else 'NO'} "
        f"(largest difference {worst:.1e})"
    )
    return {
        "ok": ok,
        "files": files,
        "worst_error": worst,
        "points": len(points),
        "activations": [row[0] for row in TABLE],
        "kink_slopes": kinks,
    }


def main(argv: list[str] | None = None) -> int:
    return demo_main("activations", run, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
