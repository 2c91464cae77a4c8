"""The δ recursion of backpropagation, by hand, equals the engine's gradients for every weight.

The lecture (seed 004) writes a tanh network layer by layer,

    s_j^{(l)} = Σ_i w_ij^{(l)} x_i^{(l-1)} + b_j^{(l)},        x_j^{(l)} = tanh(s_j^{(l)}),

takes the square loss e = (x_1^{(L)} - y)² and defines δ_j^{(l)} = ∂e/∂s_j^{(l)}. The chain rule
then gives, from the output back to the input,

    δ_1^{(L)}   = 2 (x_1^{(L)} - y) · (1 - (x_1^{(L)})²)
    δ_i^{(l-1)} = (1 - (x_i^{(l-1)})²) · Σ_j w_ij^{(l)} δ_j^{(l)}
    ∂e/∂w_ij^{(l)} = x_i^{(l-1)} δ_j^{(l)}          (and ∂e/∂b_j^{(l)} = δ_j^{(l)})

The demo builds the lecture's network (3 inputs, three hidden layers of 3, one output: L = 4),
runs the recursion by hand in plain floats, and checks every weight's and bias's gradient against
``e.backward()``. It also shows that δ is not a new idea for the engine: it is simply the gradient
the engine leaves on each pre-activation node s_j^{(l)}.

Then the δ mode of `nn.DeltaStepper` reads the same recursion off the engine, layer by layer,
each line with its numbers, and the network view (`nn.draw_network`) draws every x, δ, weight and
gradient. ``--step`` walks the δ mode in the terminal, one layer per key press;
``chainrule delta --html delta.html`` plays it in a browser, with a practice mode.

    python -m demos.delta_rule [--seed N] [--out DIR]
    python -m demos.delta_rule --step [--seed N]
"""

from __future__ import annotations

import math
import random
import sys
from pathlib import Path

from demos._common import demo_main, figure, prepare_out, rule, save_figure, signed
from demos._common import save_network as save_slide_network
from engine import Parameter, Value
from engine.core.numfmt import equation, fmt
from nn import MLP, DeltaStepper

SIZES = (3, 3, 3, 3, 1)  # d^{(0)}, ..., d^{(L)}: the lecture's picture, L = 4
TOLERANCE = 1e-12

Weights = list[list[list[float]]]  # w[l][i][j] = w_{i+1, j+1}^{(l)}, w[0] unused

_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def up(l: int) -> str:
    """⁽ˡ⁾ for layer l, e.g. ⁽³⁾."""
    return f"⁽{str(l).translate(_SUP)}⁾"


def sub(*indices: int) -> str:
    """Subscript unit numbers (1-based), e.g. sub(1, 2) = ₁₂."""
    return "".join(str(i).translate(_SUB) for i in indices)


def make_problem(seed: int) -> dict:
    """Weights ~ N(0, 1/d^{(l-1)}) (so tanh is not saturated), biases ~ N(0, 0.1²), an input in
    [-1, 1]³ and a target y in (-1, 1), all from `seed`."""
    rng = random.Random(seed)
    w: Weights = [[]]
    b: list[list[float]] = [[]]
    for l in range(1, len(SIZES)):
        scale = 1.0 / math.sqrt(SIZES[l - 1])
        w.append(
            [[rng.gauss(0.0, 1.5 * scale) for _ in range(SIZES[l])] for _ in range(SIZES[l - 1])]
        )
        b.append([rng.gauss(0.0, 0.1) for _ in range(SIZES[l])])
    x0 = [rng.uniform(-1.0, 1.0) for _ in range(SIZES[0])]
    y = rng.uniform(-0.9, 0.9)
    return {"w": w, "b": b, "x0": x0, "y": y}


# --------------------------------------------------------------------------------------------
# By hand: forward, then the δ recursion
# --------------------------------------------------------------------------------------------


def forward_by_hand(p: dict) -> list[list[float]]:
    """x^{(0)}, ..., x^{(L)}: x_j^{(l)} = tanh(Σ_i w_ij^{(l)} x_i^{(l-1)} + b_j^{(l)})."""
    xs = [list(p["x0"])]
    for l in range(1, len(SIZES)):
        prev = xs[-1]
        xs.append(
            [
                math.tanh(
                    sum(p["w"][l][i][j] * prev[i] for i in range(SIZES[l - 1])) + p["b"][l][j]
                )
                for j in range(SIZES[l])
            ]
        )
    return xs


def deltas_by_hand(p: dict, xs: list[list[float]]) -> list[list[float]]:
    """δ^{(1)}, ..., δ^{(L)} by the lecture's recursion (δ[0] is unused)."""
    L = len(SIZES) - 1
    out = xs[L][0]
    delta: list[list[float]] = [[] for _ in range(L + 1)]
    delta[L] = [2.0 * (out - p["y"]) * (1.0 - out * out)]
    for l in range(L, 1, -1):  # from δ^{(l)} to δ^{(l-1)}
        delta[l - 1] = [
            (1.0 - xs[l - 1][i] ** 2) * sum(p["w"][l][i][j] * delta[l][j] for j in range(SIZES[l]))
            for i in range(SIZES[l - 1])
        ]
    return delta


def gradients_by_hand(xs: list[list[float]], delta: list[list[float]]) -> dict:
    """∂e/∂w_ij^{(l)} = x_i^{(l-1)} δ_j^{(l)} and ∂e/∂b_j^{(l)} = δ_j^{(l)}."""
    grads = {}
    for l in range(1, len(SIZES)):
        for i in range(SIZES[l - 1]):
            for j in range(SIZES[l]):
                grads[("w", l, i, j)] = xs[l - 1][i] * delta[l][j]
        for j in range(SIZES[l]):
            grads[("b", l, j)] = delta[l][j]
    return grads


# --------------------------------------------------------------------------------------------
# With the engine
# --------------------------------------------------------------------------------------------


def engine_pass(p: dict) -> dict:
    """Build the network from Values, run e.backward(), collect every gradient and each s node."""
    params: dict[tuple, Parameter] = {}
    x = [Value(v, label=f"x{sub(i + 1)}{up(0)}") for i, v in enumerate(p["x0"])]
    s_nodes: list[list[Value]] = [[]]
    for l in range(1, len(SIZES)):
        s_layer = []
        for j in range(SIZES[l]):
            b = params[("b", l, j)] = Parameter(p["b"][l][j], label=f"b{sub(j + 1)}{up(l)}")
            s = b
            for i in range(SIZES[l - 1]):
                w = params[("w", l, i, j)] = Parameter(
                    p["w"][l][i][j], label=f"w{sub(i + 1, j + 1)}{up(l)}"
                )
                s = s + w * x[i]
            s.label = f"s{sub(j + 1)}{up(l)}"
            s_layer.append(s)
        s_nodes.append(s_layer)
        x = [s.tanh() for s in s_layer]
    e = (x[0] - p["y"]) ** 2
    e.backward()
    return {
        "e": e.data,
        "grads": {k: v.grad for k, v in params.items()},
        "s_grads": [[s.grad for s in layer] for layer in s_nodes],
    }


# --------------------------------------------------------------------------------------------
# Pictures
# --------------------------------------------------------------------------------------------


def model_from_problem(p: dict) -> MLP:
    """The lecture's network as an `nn.MLP` (tanh everywhere), weights and biases from `p`.

    Neuron j of layer l computes b_j^{(l)} + Σ_i w_ij^{(l)} x_i^{(l-1)} left to right, the
    same sums `engine_pass` builds, so every number is bit for bit the same."""
    model = MLP(SIZES[0], list(SIZES[1:]), activation="tanh", output_activation="tanh")
    for l, layer in enumerate(model.layers, start=1):
        for j, neuron in enumerate(layer.neurons):
            neuron.b.data = p["b"][l][j]
            for i, w in enumerate(neuron.w):
                w.data = p["w"][l][i][j]
    return model


def model_pass(p: dict) -> tuple[MLP, Value]:
    """The MLP's forward on x⁽⁰⁾, the square loss e, and e.backward()."""
    model = model_from_problem(p)
    e = (model(list(p["x0"])) - p["y"]) ** 2
    e.label = "e"
    e.backward()
    return model, e


def save_network(model: MLP, e: Value, out: Path) -> Path | None:
    """The network view after e.backward(): every x, s, δ, weight and gradient (for a slide,
    `demos._common.save_network`)."""
    L = len(SIZES) - 1
    return save_slide_network(
        model,
        out / "delta_network.png",
        loss=e,
        title=f"Backpropagation as the δ recursion (tanh, e = (a1({L}) - y)²)\\n"
        "δ flows right to left: δ_i(l-1) = (1 - a_i(l-1)²) Σ_j w_ij(l) δ_j(l)",  # two lines
    )


def plot_parity(hand: dict, engine: dict, out: Path, dpi: int) -> Path | None:
    fig = figure(figsize=(5.0, 5.0))
    if fig is None:
        return None
    ax = fig.subplots()
    keys = sorted(hand, key=str)
    hx = [hand[k] for k in keys]
    ey = [engine[k] for k in keys]
    lo, hi = min(hx + ey), max(hx + ey)
    pad = 0.05 * (hi - lo or 1.0)
    ax.plot(
        [lo - pad, hi + pad], [lo - pad, hi + pad], color="0.6", linewidth=1, label="engine = hand"
    )
    ax.scatter(hx, ey, s=18, color="tab:purple", zorder=2, label=f"{len(keys)} weights and biases")
    ax.set_xlabel("by hand:  x_i⁽ˡ⁻¹⁾ δ_j⁽ˡ⁾")
    ax.set_ylabel("engine:  e.backward()")
    ax.set_title("Every gradient: the δ rule vs the engine")
    ax.legend(fontsize=8, loc="upper left")
    ax.set_aspect("equal")
    return save_figure(fig, out / "gradients_parity.png", dpi=dpi)


# --------------------------------------------------------------------------------------------
# The printed recursion: every line recomputes from its printed numbers (engine.core.numfmt)
# --------------------------------------------------------------------------------------------


def _output_delta(out: float, y: float) -> float:
    return 2.0 * (out - y) * (1.0 - out * out)


def delta_output_line(p: dict, xs: list[list[float]], delta: list[list[float]]) -> str:
    """``δ₁⁽⁴⁾ = 2(x₁⁽⁴⁾ - y)(1 - (x₁⁽⁴⁾)²) = 2((-0.8876) - (-0.461))(...) = -0.181``."""
    L = len(SIZES) - 1
    (out, y, out2), result = equation(
        lambda a, b, c: 2.0 * (a - b) * (1.0 - c * c),
        (xs[L][0], p["y"], xs[L][0]),
        delta[L][0],
        plus=True,
    )
    return (
        f"  δ₁{up(L)} = 2(x₁{up(L)} - y)(1 - (x₁{up(L)})²) = 2(({out}) - ({y}))(1 - ({out2})²) "
        f"= {result}"
    )


def delta_line(p: dict, xs: list[list[float]], delta: list[list[float]], l: int, i: int) -> str:
    """``δ_i^(l-1) = (1 - (x)²)·[(w)(δ) + ...] = result``, digits enough to recompute."""
    n = SIZES[l]
    operands = [xs[l - 1][i]]
    for j in range(n):
        operands += [p["w"][l][i][j], delta[l][j]]

    def recompute(x: float, *pairs: float) -> float:
        return (1.0 - x * x) * sum(pairs[2 * j] * pairs[2 * j + 1] for j in range(n))

    shown, result = equation(recompute, operands, delta[l - 1][i], plus=True)
    terms = " + ".join(f"({shown[1 + 2 * j]})({shown[2 + 2 * j]})" for j in range(n))
    return f"  δ{sub(i + 1)}{up(l - 1)} = (1 - ({shown[0]})²)·[{terms}] = {result}"


# --------------------------------------------------------------------------------------------
# The demo
# --------------------------------------------------------------------------------------------


def run(out: str | Path = "out/delta_rule", seed: int = 0, quick: bool = False) -> dict:
    """Forward and the δ recursion by hand; every gradient compared with the engine's."""
    out = prepare_out(out)
    p = make_problem(seed)
    L = len(SIZES) - 1
    rule(f"The lecture's tanh network: sizes {list(SIZES)} (L = {L}), square loss")
    xs = forward_by_hand(p)
    for l, layer in enumerate(xs):
        print(f"  x{up(l)} = [{', '.join(signed(v, 5) for v in layer)}]")
    e_hand = (xs[L][0] - p["y"]) ** 2
    print(f"  y = {signed(p['y'], 5)},  e = (x₁{up(L)} - y)² = {fmt(e_hand, 6)}")

    rule("Backward by hand: the δ recursion, output to input (numbers as printed recompute)")
    delta = deltas_by_hand(p, xs)
    print(delta_output_line(p, xs, delta))
    for l in range(L, 1, -1):
        for i in range(SIZES[l - 1]):
            print(delta_line(p, xs, delta, l, i))
    hand = gradients_by_hand(xs, delta)

    rule("The engine: e.backward(), then compare every weight and bias")
    eng = engine_pass(p)
    worst = max(abs(eng["grads"][k] - hand[k]) for k in hand)
    worst_delta = max(
        abs(eng["s_grads"][l][j] - delta[l][j]) for l in range(1, L + 1) for j in range(SIZES[l])
    )
    for l in range(1, L + 1):
        print(f"  layer {l}:")
        for i in range(SIZES[l - 1]):
            cells = "  ".join(
                f"w{sub(i + 1, j + 1)} {signed(hand[('w', l, i, j)], 6):>12}|"
                f"{signed(eng['grads'][('w', l, i, j)], 6):<12}"
                for j in range(SIZES[l])
            )
            print(f"    hand|engine  {cells}")
    n_w = sum(1 for k in hand if k[0] == "w")
    print(f"  {n_w} weights and {len(hand) - n_w} biases: largest |hand - engine| = {worst:.1e}")
    print(f"  the engine's gradient on each s node is δ: largest |s.grad - δ| = {worst_delta:.1e}")
    print(f"  loss: hand {e_hand:.12f}, engine {eng['e']:.12f}")

    rule("The δ mode: the same recursion read off the engine, layer by layer (nn.DeltaStepper)")
    model, e = model_pass(p)
    stepper = DeltaStepper(model, e)
    steps = stepper.run()
    for step in steps:
        print("  " + str(step).replace("\n", "\n  "))
    stepped = {(step.layer, j): d for step in steps for j, d in enumerate(step.deltas)}
    worst_mode = max(abs(stepped[(l, j)] - delta[l][j]) for (l, j) in stepped)
    print(f"  every δ of the δ mode vs the hand recursion: largest difference {worst_mode:.1e}")

    rule("Pictures")
    dpi = 80 if quick else 110
    files = [
        f
        for f in (
            save_network(model, e, out),
            plot_parity(hand, eng["grads"], out, dpi),
        )
        if f is not None
    ]
    ok = (
        worst <= TOLERANCE
        and worst_delta <= TOLERANCE
        and abs(e_hand - eng["e"]) <= TOLERANCE
        and all(step.agrees for step in steps)
        and worst_mode <= TOLERANCE
        and e.data == eng["e"]
    )
    return {
        "ok": ok,
        "files": files,
        "worst_error": worst,
        "worst_delta_error": worst_delta,
        "checked": len(hand),
        "delta_mode_error": worst_mode,
    }


def step_in_terminal(seed: int = 0) -> int:
    """The δ mode in the terminal: one layer per key press (Enter/n next, b back, q quit); when
    stdin or stdout is not a terminal, every step at once (as ``chainrule delta`` and
    ``chainrule step`` do)."""
    from engine.step.terminal import interactive
    from nn.teaching.delta_cli import print_all

    model, e = model_pass(make_problem(seed))
    stepper = DeltaStepper(model, e)
    if sys.stdin.isatty() and sys.stdout.isatty():
        return interactive(stepper, sys.stdout)
    print_all(stepper, None)  # not a terminal: every step at once, as `chainrule delta` does
    return 0


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--step" in args:  # the δ mode, interactively: python -m demos.delta_rule --step
        args.remove("--step")
        seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 0
        return step_in_terminal(seed)
    return demo_main("delta_rule", run, args, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
