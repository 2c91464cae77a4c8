"""Forward mode vs reverse mode: the same chain rule in two orders, and what each one costs.

Both modes multiply the same local derivatives ∂out/∂x from the op table; they differ in where
they start. For f: Rⁿ -> Rᵐ with Jacobian J:

    forward mode (jvp)      inputs first:  out_dot = Σ_i ∂out/∂x_i · x_dot_i
                            one pass gives J·v, all m outputs along one input direction v
    reverse mode (backprop) outputs first: x_bar += out_bar · ∂out/∂x
                            one pass gives uᵀJ, one output combination u against all n inputs

So a whole Jacobian costs n forward passes or m backward passes, each pass a walk over the graph
that visits every node once. The demo shows both sides of that lesson:

    f: R⁸ -> R,  f(x) = Σ_j v_j·tanh(Σ_i W_ji·x_i + b_j)   (a one-layer net, 3 tanh units)
        reverse: 1 backward pass gives all 8 partial derivatives; forward: 8 jvp passes
    g: R -> R⁸,  g_k(t) = sin(k·t)·e^(-t/2), k = 1..8       (8 curves sharing e^(-t/2))
        forward: 1 jvp pass gives all 8 derivatives; reverse: 8 backward passes

For each it prints the passes and the node visits (a visit is one chain-rule step at a node with
parents: its local derivatives times the tangents or the gradient; jvp skips the rule where only
zero tangents arrive, and the demo counts that too), and checks that forward and reverse give the
same derivatives (to 1e-12) and the hand formulas.
Neural networks have millions of inputs (weights) and one loss: hence backpropagation.

The demo writes no pictures (``--out`` is accepted for a uniform command line).

    python -m demos.forward_vs_reverse [--seed N]
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Sequence

from demos._common import demo_main, rule, signed
from engine import Value, grad, topological_order
from engine.core.numfmt import fmt
from engine.functional.jvp import jvp

N_INPUTS = 8  # f: R^N_INPUTS -> R
HIDDEN = 3  # tanh units of f
M_OUTPUTS = 8  # g: R -> R^M_OUTPUTS
T0 = 0.7  # where g is differentiated
TOLERANCE = 1e-12  # forward vs reverse (and hand), relative to max(1, |reverse|)


def interior_nodes(outputs: Sequence[Value]) -> int:
    """The nodes with parents that one walk over `outputs`' graph visits (shared nodes once)."""
    seen: set[Value] = set()
    for out in outputs:
        seen.update(topological_order(out, include_leaves=False))
    return len(seen)


def moved_nodes(output: Value, leaf: Value) -> int:
    """The nodes with parents that depend on `leaf`: where a one-hot direction at `leaf` brings a
    nonzero tangent, so the only ones at which `jvp` needs the local-derivative rule."""
    moved = {leaf}
    for node in topological_order(output, include_leaves=False):
        if any(p in moved for p in node.parents):
            moved.add(node)
    return len(moved) - 1


def _check(condition: bool, message: str) -> None:
    """The demo's claims: an AssertionError naming what failed (never stripped by python -O)."""
    if not condition:
        raise AssertionError(message)


# --------------------------------------------------------------------------------------------
# f: R^n -> R, many inputs and one output
# --------------------------------------------------------------------------------------------


def make_net(seed: int) -> dict:
    """The weights W (HIDDEN × N_INPUTS), b, v of f and the point x, from `seed`."""
    rng = random.Random(seed)
    return {
        "W": [[rng.uniform(-1.0, 1.0) for _ in range(N_INPUTS)] for _ in range(HIDDEN)],
        "b": [rng.uniform(-0.5, 0.5) for _ in range(HIDDEN)],
        "v": [rng.uniform(-1.0, 1.0) for _ in range(HIDDEN)],
        "x": [rng.uniform(-1.0, 1.0) for _ in range(N_INPUTS)],
    }


def net(params: dict, *xs: Value) -> Value:
    """f(x) = Σ_j v_j·tanh(Σ_i W_ji·x_i + b_j), on Values (the weights are constants)."""
    terms = []
    for row, b, v in zip(params["W"], params["b"], params["v"]):
        s = xs[0] * row[0]
        for x, w in zip(xs[1:], row[1:]):
            s = s + x * w
        terms.append((s + b).tanh() * v)
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def net_gradient_by_hand(params: dict) -> list[float]:
    """∂f/∂x_i = Σ_j v_j·(1 - tanh(a_j)²)·W_ji, with a_j = Σ_i W_ji·x_i + b_j."""
    x = params["x"]
    slopes = [
        v * (1.0 - math.tanh(sum(w * xi for w, xi in zip(row, x)) + b) ** 2)
        for row, b, v in zip(params["W"], params["b"], params["v"])
    ]
    return [sum(s * row[i] for s, row in zip(slopes, params["W"])) for i in range(N_INPUTS)]


def many_inputs(params: dict) -> dict:
    """∇f by one backward pass, and by N_INPUTS jvp passes along e_1, ..., e_n."""
    n = N_INPUTS
    xs = [Value(x, label=f"x{i + 1}") for i, x in enumerate(params["x"])]
    out = net(params, *xs)
    nodes = interior_nodes([out])
    reverse = [g.data for g in grad(out, xs)]  # ONE backward pass
    forward, forward_visits = [], 0
    for i in range(n):  # one jvp pass per input direction e_i
        e_i = [1.0 if k == i else 0.0 for k in range(n)]
        pass_out, dot = jvp(lambda *a: net(params, *a), params["x"], e_i)
        forward.append(dot)
        forward_visits += interior_nodes([pass_out])
    moved = sum(moved_nodes(out, x) for x in xs)
    return {
        "value": out.data,
        "nodes": nodes,
        "reverse": reverse,
        "forward": forward,
        "hand": net_gradient_by_hand(params),
        "reverse_passes": 1,
        "forward_passes": n,
        "reverse_visits": nodes,
        "forward_visits": forward_visits,
        "forward_moved": moved,
    }


# --------------------------------------------------------------------------------------------
# g: R -> R^m, one input and many outputs
# --------------------------------------------------------------------------------------------


def curves(t: Value) -> tuple[Value, ...]:
    """g_k(t) = sin(k·t)·e^(-t/2) for k = 1..M_OUTPUTS; the decay e^(-t/2) is one shared node."""
    decay = (t * -0.5).exp()
    return tuple((t * float(k)).sin() * decay for k in range(1, M_OUTPUTS + 1))


def curves_derivative_by_hand(t: float) -> list[float]:
    """g_k'(t) = e^(-t/2)·(k·cos(k·t) - ½·sin(k·t))."""
    d = math.exp(-0.5 * t)
    return [d * (k * math.cos(k * t) - 0.5 * math.sin(k * t)) for k in range(1, M_OUTPUTS + 1)]


def many_outputs(t0: float) -> dict:
    """g'(t0) by one jvp pass, and by M_OUTPUTS backward passes (one per output)."""
    outs, forward = jvp(curves, t0, 1.0)  # ONE forward pass: all m derivatives
    forward_visits = interior_nodes(outs)
    t = Value(t0, label="t")
    ys = curves(t)
    reverse, per_pass = [], []
    for y in ys:  # one backward pass per output
        (g,) = grad(y, t)
        reverse.append(g.data)
        per_pass.append(interior_nodes([y]))
    return {
        "values": [y.data for y in ys],
        "nodes": interior_nodes(ys),
        "forward": list(forward),
        "reverse": reverse,
        "hand": curves_derivative_by_hand(t0),
        "forward_passes": 1,
        "reverse_passes": len(ys),
        "forward_visits": forward_visits,
        "reverse_visits": sum(per_pass),
        "reverse_per_pass": per_pass,
    }


# --------------------------------------------------------------------------------------------
# The story
# --------------------------------------------------------------------------------------------


def _relative(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(b))


def _compare(names: list[str], r: dict) -> tuple[float, float]:
    """Print forward and reverse side by side; the largest relative differences (forward vs
    reverse, hand formula vs reverse)."""
    worst, worst_hand = 0.0, 0.0
    for name, fwd, rev, hand in zip(names, r["forward"], r["reverse"], r["hand"]):
        worst = max(worst, _relative(fwd, rev))
        worst_hand = max(worst_hand, _relative(hand, rev))
        print(f"  {name:9} forward {signed(fwd, 10):>14}   reverse {signed(rev, 10):>14}")
    return worst, worst_hand


def _passes(k: int, kind: str) -> str:
    return f"{k} {kind} pass" + ("" if k == 1 else "es")


def _costs(r: dict, forward_how: str, reverse_how: str) -> None:
    forward, reverse = _passes(r["forward_passes"], "jvp"), _passes(r["reverse_passes"], "backward")
    print(f"  forward mode: {forward} ({forward_how}), {r['forward_visits']} node visits")
    print(f"  reverse mode: {reverse} ({reverse_how}), {r['reverse_visits']} node visits")


def run(out: str | Path = "out/forward_vs_reverse", seed: int = 0, quick: bool = False) -> dict:
    """Both cost lessons, checked. `out` and `quick` are accepted for a uniform command line
    (no pictures; the demo is instant). Raises AssertionError if a claim does not hold."""
    params = make_net(seed)
    rule(f"f: R^{N_INPUTS} -> R, f(x) = Σ_j v_j·tanh(Σ_i W_ji·x_i + b_j), {HIDDEN} tanh units")
    f = many_inputs(params)
    print(
        f"  f(x) = {signed(f['value'], 10)} at a random x (seed {seed}); its graph has "
        f"{f['nodes']} nodes with parents"
    )
    worst_f, hand_f = _compare([f"∂f/∂x{i + 1}" for i in range(N_INPUTS)], f)
    _costs(f, "one per direction e_i", "from f")
    print(
        f"  {f['forward_passes']} × {f['nodes']} = {f['forward_visits']} forward visits; "
        f"1 × {f['nodes']} = {f['reverse_visits']} reverse visits"
    )
    print(
        f"  (jvp evaluates a rule only where a nonzero tangent arrives: at {f['forward_moved']} "
        f"of those {f['forward_visits']} visits,"
    )
    print(
        f"   the nodes that depend on e_i's input; {f['forward_moved']} / "
        f"{f['reverse_visits']} = {fmt(f['forward_moved'] / f['reverse_visits'])} backward passes)"
    )
    print("  many inputs, one output: reverse mode gets the whole gradient in ONE pass")

    rule(f"g: R -> R^{M_OUTPUTS}, g_k(t) = sin(k·t)·e^(-t/2) at t = {T0}")
    g = many_outputs(T0)
    print(f"  the {M_OUTPUTS} curves share e^(-t/2): {g['nodes']} nodes with parents in all")
    worst_g, hand_g = _compare([f"dg{k}/dt" for k in range(1, M_OUTPUTS + 1)], g)
    _costs(g, "along the tangent 1 of t", "one from each g_k")
    shown = " + ".join(str(k) for k in g["reverse_per_pass"])
    print(
        f"  {shown} = {g['reverse_visits']} reverse visits; "
        f"1 × {g['nodes']} = {g['forward_visits']} forward visits"
    )
    print("  (each backward pass walks the shared e^(-t/2) again; the one jvp pass walks it once)")
    print("  one input, many outputs: forward mode gets every derivative in ONE pass")

    rule("Check: forward = reverse = hand formulas, and the pass counts")
    worst, worst_hand = max(worst_f, worst_g), max(hand_f, hand_g)
    print(f"  largest relative difference, forward vs reverse: {worst:.1e}")
    print(f"  largest relative difference, hand formulas vs reverse: {worst_hand:.1e}")
    print(f"  (tolerance {TOLERANCE:.0e})")
    _check(worst_f <= TOLERANCE, f"f: forward and reverse differ by {worst_f:.3e}")
    _check(worst_g <= TOLERANCE, f"g: forward and reverse differ by {worst_g:.3e}")
    _check(hand_f <= TOLERANCE, f"f: the hand formula and reverse differ by {hand_f:.3e}")
    _check(hand_g <= TOLERANCE, f"g: the hand formula and reverse differ by {hand_g:.3e}")
    _check(
        f["reverse_passes"] == 1 and f["forward_passes"] == N_INPUTS,
        f"f needs 1 backward pass and {N_INPUTS} jvp passes, counted "
        f"{f['reverse_passes']} and {f['forward_passes']}",
    )
    _check(
        g["forward_passes"] == 1 and g["reverse_passes"] == M_OUTPUTS,
        f"g needs 1 jvp pass and {M_OUTPUTS} backward passes, counted "
        f"{g['forward_passes']} and {g['reverse_passes']}",
    )
    _check(
        f["forward_visits"] == N_INPUTS * f["reverse_visits"],
        f"f: {f['forward_visits']} forward visits, not {N_INPUTS} × {f['reverse_visits']}",
    )
    _check(
        g["forward_visits"] < g["reverse_visits"],
        f"g: forward visits {g['forward_visits']} not below reverse {g['reverse_visits']}",
    )
    print("  the claims hold: the cheaper mode is the one that starts on the short side")
    return {
        "ok": True,
        "files": [],
        "f": f,
        "g": g,
        "worst_difference": worst,
        "worst_hand_difference": worst_hand,
    }


def main(argv: list[str] | None = None) -> int:
    """The command line; exit status 1 (with the failed claim printed) if a claim fails."""
    try:
        return demo_main("forward_vs_reverse", run, argv, __doc__)
    except AssertionError as exc:
        print(f"\nforward_vs_reverse: the demo's claim did NOT hold: {exc}")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
