"""Universal approximation in one dimension: ReLU rectangles by hand, then a trained network.

The lecture (seed 004) builds a "rectangle" from four ReLU units,

    rect(x; a, b) = (1/ε)·(relu(x - a) - relu(x - a - ε) - relu(x - b) + relu(x - b - ε)),

which is 0 left of a, climbs to 1 over [a, a + ε], stays 1 until b and falls back to 0 over
[b, b + ε]. Cut [-1, 1] into K pieces, give piece k the height f(midpoint): the sum of the K
rectangles is a one-hidden-layer ReLU network with 4K hidden units that follows f, and its error
shrinks like 1/K (the theorem's promise, made concrete). The demo writes those weights into an
``nn.MLP(1, [4K, 1])`` and evaluates it with the engine.

Then gradient descent finds such weights by itself: ``MLP(1, [H, 1])`` trained with the mean
squared error (Adam, mini-batches of 8) on 40 samples of f, for growing widths H. Training runs
through replay (``fit(..., compile=True)``): the model and loss of one sample are traced once and
replayed on every sample; the widest net is also trained eagerly for a few epochs, to show the
speed-up and that the losses agree.
Target: f(x) = sin(πx) on [-1, 1]. Pictures: both approximations, and the error vs the width.
A narrow net can end flat, every ReLU off on the whole interval ("dead": it passes no gradient),
and two widths can find the same curve; the legend says so instead of listing a line that cannot
be seen.

    python -m demos.universal_approximation [--seed N] [--out DIR] [--quick]
"""

from __future__ import annotations

import math
import random
import time
from pathlib import Path

from demos._common import demo_main, figure, prepare_out, rule, save_figure
from demos._replay import compare_with_eager
from engine import no_grad
from engine.core.numfmt import fmt

LOW, HIGH = -1.0, 1.0
SAMPLES = 40
LR = 0.02
BATCH = 8


def f(x: float) -> float:
    """The function to approximate: sin(πx)."""
    return math.sin(math.pi * x)


def _config(quick: bool) -> dict:
    if quick:
        return {"pieces": (2, 4, 8, 16), "widths": (2, 16), "epochs": 100, "points": 101, "dpi": 80}
    return {
        "pieces": (2, 4, 8, 16, 32, 64),
        "widths": (2, 4, 8, 16, 32),
        "epochs": 200,
        "points": 401,
        "dpi": 110,
    }


def _grid(n: int) -> list[float]:
    return [LOW + (HIGH - LOW) * i / (n - 1) for i in range(n)]


# --------------------------------------------------------------------------------------------
# The rectangle construction, as the weights of a one-hidden-layer ReLU network
# --------------------------------------------------------------------------------------------


def rectangle_network(pieces: int):
    """MLP(1, [4K, 1]) whose output is Σ_k f(c_k)·rect(x; a_k, b_k) (K = `pieces`).

    Piece k is [a_k + ε, b_k + ε) with ε = width/5: its rectangle is 1 there, and neighbouring
    rectangles cross-fade linearly over the ε before each cut. The hidden units are
    relu(1·x - c) for c ∈ {a, a+ε, b, b+ε}; the output weights are ±f(c_k)/ε.
    """
    from nn import MLP

    width = (HIGH - LOW) / pieces
    eps = width / 5.0
    model = MLP(1, [4 * pieces, 1], activation="relu", seed=0)
    hidden, output = model.layers[0].neurons, model.layers[1].neurons[0]
    output.b.data = 0.0
    for k in range(pieces):
        a = LOW + k * width - eps
        b = a + width if k < pieces - 1 else HIGH  # the last piece runs to the end
        height = f(LOW + (k + 0.5) * width)
        for unit, (corner, sign) in enumerate(
            ((a, 1.0), (a + eps, -1.0), (b, -1.0), (b + eps, 1.0))
        ):
            neuron = hidden[4 * k + unit]
            neuron.w[0].data = 1.0
            neuron.b.data = -corner
            output.w[4 * k + unit].data = sign * height / eps
    return model


def max_error(model, xs: list[float]) -> float:
    with no_grad():
        return max(abs(model([x]).data - f(x)) for x in xs)


def rms_error(model, xs: list[float]) -> float:
    with no_grad():
        return math.sqrt(sum((model([x]).data - f(x)) ** 2 for x in xs) / len(xs))


# --------------------------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------------------------


def trained_network(width: int, epochs: int, seed: int, compile: bool = True):
    """MLP(1, [H, 1]) fitted by Adam to f on SAMPLES points; kinks start spread over [-1, 1].

    A hidden unit relu(w·x + b) bends at x = -b/w; with the default bias 0 every unit would bend
    at 0, so each bias is drawn so that its kink lies uniformly in [-1, 1].
    """
    from nn import MLP, fit, optim

    model = MLP(1, [width, 1], activation="relu", seed=seed)
    rng = random.Random(seed)
    for neuron in model.layers[0].neurons:
        neuron.b.data = -rng.uniform(LOW, HIGH) * neuron.w[0].data
    X = [[x] for x in _grid(SAMPLES)]
    y = [f(x[0]) for x in X]
    history = fit(
        model,
        X,
        y,
        loss="mse",
        optimizer=optim.Adam(model.parameters(), lr=LR),
        epochs=epochs,
        batch_size=BATCH,
        seed=seed,
        progress=False,
        compile=compile,
    )
    return model, history


# --------------------------------------------------------------------------------------------
# Pictures
# --------------------------------------------------------------------------------------------


def _curve(model, xs: list[float]) -> list[float]:
    with no_grad():
        return [model([x]).data for x in xs]


SAME_CURVE = 0.03
"""Two fitted curves closer than this everywhere look like one line on the plot."""
FLAT = 0.05
"""A fitted curve whose values span less than this is drawn as flat."""


def dead_units(model, xs: list[float]) -> int:
    """How many hidden ReLUs are off (pre-activation ≤ 0) at every x: they pass no gradient."""
    dead = 0
    with no_grad():
        for neuron in model.layers[0].neurons:
            w, b = neuron.w[0].data, neuron.b.data
            if all(w * x + b <= 0.0 for x in xs):
                dead += 1
    return dead


def trained_label(h: int, result: dict, curves: dict, xs: list[float]) -> tuple[str, bool]:
    """The legend entry of the width-`h` fit, and whether its curve is drawn: a curve that a
    wider fit covers is not drawn but named ("under H = 8"); a flat one says why it is flat."""
    label = f"H = {h} units, rms error {fmt(result['rms'], 3)}"
    curve = curves[h]
    for wider, other in curves.items():
        if wider > h and max(abs(a - b) for a, b in zip(curve, other)) < SAME_CURVE:
            return f"{label}: the same curve as H = {wider}, hidden under it", False
    if max(curve) - min(curve) < FLAT:
        dead = dead_units(result["model"], xs)
        why = (
            f"{dead} of {h} ReLUs are off on all of [-1, 1] and learn nothing"
            if dead
            else "training stopped at the best constant"
        )
        return f"{label}: flat, {why}", True
    return label, True


def plot_fits(xs: list[float], rects: dict, trained: dict, out: Path, dpi: int) -> Path | None:
    fig = figure(figsize=(11.0, 4.4))
    if fig is None:
        return None
    left, right = fig.subplots(1, 2, sharey=True)
    truth = [f(x) for x in xs]
    for ax in (left, right):
        ax.plot(xs, truth, color="black", linewidth=2.5, label="f(x) = sin(πx)")
        ax.set_xlabel("x")
        ax.grid(True, alpha=0.3)
    shown = [k for k in rects if k in (4, 16)] or list(rects)[:2]
    for k, colour in zip(shown, ("tab:orange", "tab:blue")):
        left.plot(
            xs,
            _curve(rects[k]["model"], xs),
            color=colour,
            linewidth=1.4,
            label=f"K = {k} rectangles ({4 * k} ReLUs), max error {fmt(rects[k]['max'], 3)}",
        )
    left.set_title("By hand: sums of ReLU rectangles")
    left.set_ylabel("value")
    left.legend(fontsize=8, loc="lower right")
    colours = ("tab:red", "tab:orange", "tab:green", "tab:blue", "tab:purple")
    curves = {h: _curve(r["model"], xs) for h, r in trained.items()}
    for (h, r), colour in zip(trained.items(), colours):
        label, drawn = trained_label(h, r, curves, xs)
        right.plot(
            xs if drawn else [],
            curves[h] if drawn else [],
            color=colour,
            linewidth=1.2,
            linestyle="-" if drawn else "none",
            label=label,
        )
    right.set_title("By gradient descent: trained MLP(1, [H, 1])")
    right.legend(fontsize=8, loc="lower right")
    fig.suptitle("One hidden ReLU layer approximates a continuous function", fontsize=12)
    return save_figure(fig, out / "approximations.png", dpi=dpi)


def plot_errors(rects: dict, trained: dict, out: Path, dpi: int) -> Path | None:
    fig = figure(figsize=(6.4, 4.6))
    if fig is None:
        return None
    ax = fig.subplots()
    units = [4 * k for k in rects]
    ax.loglog(
        units,
        [r["max"] for r in rects.values()],
        "o-",
        color="tab:orange",
        label="rectangles: max |error|",
    )
    ax.loglog(
        units,
        [r["rms"] for r in rects.values()],
        "o--",
        color="tab:orange",
        label="rectangles: rms error",
    )
    ax.loglog(
        list(trained),
        [r["rms"] for r in trained.values()],
        "s-",
        color="tab:blue",
        label="trained net: rms error",
    )
    first = next(iter(rects.values()))["max"]
    ref = [first * units[0] / u for u in units]
    ax.loglog(units, ref, color="0.6", linestyle="dotted", label="∝ 1 / width")
    from matplotlib.ticker import NullFormatter

    ticks = sorted(set(units) | set(trained))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xticks(ticks, [str(t) for t in ticks])
    ax.set_xlabel("hidden ReLU units (width)")
    ax.set_ylabel("error on [-1, 1]")
    ax.set_title("The error shrinks as the hidden layer grows")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return save_figure(fig, out / "error_vs_width.png", dpi=dpi)


# --------------------------------------------------------------------------------------------
# The demo
# --------------------------------------------------------------------------------------------


def run(
    out: str | Path = "out/universal_approximation",
    seed: int = 0,
    quick: bool = False,
    compile: bool = True,
) -> dict:
    """Claims: the rectangle error falls with every doubling of K (and like 1/K overall), and
    the widest trained net fits better than the narrowest. `compile`: train through replay."""
    out = prepare_out(out)
    cfg = _config(quick)
    xs = _grid(cfg["points"])

    rule("By hand: K ReLU rectangles = a ReLU network with 4K hidden units")
    rects = {}
    for k in cfg["pieces"]:
        model = rectangle_network(k)
        rects[k] = {"model": model, "max": max_error(model, xs), "rms": rms_error(model, xs)}
        print(
            f"  K = {k:3d} ({4 * k:3d} hidden units): max |g - f| = {fmt(rects[k]['max'])}, "
            f"rms {fmt(rects[k]['rms'])}"
        )
    maxima = [r["max"] for r in rects.values()]
    falling = all(b < a for a, b in zip(maxima, maxima[1:]))
    ratio = maxima[0] / maxima[-1]
    span = cfg["pieces"][-1] / cfg["pieces"][0]
    print(f"  {span:g}× the pieces → the max error {ratio:.1f}× smaller (1/K predicts {span:g}×)")

    rule(f"By gradient descent: MLP(1, [H, 1]), mse, Adam lr {LR}, {cfg['epochs']} epochs")
    trained = {}
    for h in cfg["widths"]:
        started = time.perf_counter()
        model, history = trained_network(h, cfg["epochs"], seed, compile)
        seconds = time.perf_counter() - started
        trained[h] = {"model": model, "rms": rms_error(model, xs), "loss": history["loss"][-1]}
        dead = dead_units(model, xs)
        note = f" ({dead} of {h} ReLUs are off on all of [-1, 1]: dead, they learn nothing)"
        print(
            f"  H = {h:3d}: training mse {fmt(history['loss'][-1])}, rms error on the grid "
            f"{fmt(trained[h]['rms'])} ({seconds:.2f} s)" + (note if dead else "")
        )
    widest, narrowest = trained[cfg["widths"][-1]]["rms"], trained[cfg["widths"][0]]["rms"]
    replay = None
    if compile:
        h = cfg["widths"][-1]
        rule(f"Replay against the eager engine (H = {h})")

        def eagerly(epochs: int) -> dict:
            return trained_network(h, epochs, seed, compile=False)[1]

        replay = compare_with_eager(eagerly, history, seconds, 10 if quick else 20, unit="epoch")

    rule("Pictures")
    files = [
        p
        for p in (
            plot_fits(xs, rects, trained, out, cfg["dpi"]),
            plot_errors(rects, trained, out, cfg["dpi"]),
        )
        if p is not None
    ]
    ok = falling and ratio >= span / 2 and widest < narrowest / 2
    return {
        "ok": ok,
        "files": files,
        "rectangle_max_errors": dict(zip(cfg["pieces"], maxima)),
        "trained_rms": {h: r["rms"] for h, r in trained.items()},
        "trained_loss": {h: r["loss"] for h, r in trained.items()},
        "replay": replay,
    }


def main(argv: list[str] | None = None) -> int:
    return demo_main("universal_approximation", run, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
