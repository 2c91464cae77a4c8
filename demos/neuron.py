"""One neuron, o = tanh(x1·w1 + x2·w2 + b): forward values, the backward pass, the graph.

The classic example (micrograd's): inputs x1 = 2, x2 = 0, weights w1 = -3, w2 = 1 and a bias
b = 6.8813735870195432 chosen so that n = x1·w1 + x2·w2 + b ≈ 0.8814 and o = tanh(n) ≈ 0.7071.
The backward pass applies the chain rule node by node, from o back to the leaves:

    ∂o/∂n  = 1 - tanh(n)² = 1 - o² = 0.5
    ∂o/∂w1 = ∂o/∂n · ∂n/∂w1 = (1 - o²) · x1 = 1.0      ∂o/∂x1 = (1 - o²) · w1 = -1.5
    ∂o/∂w2 = (1 - o²) · x2 = 0.0                         ∂o/∂x2 = (1 - o²) · w2 = 0.5
    ∂o/∂b  = (1 - o²) · 1 = 0.5

The demo prints the forward values, narrates every backward step (`engine.backward_steps`), checks
every gradient against those hand formulas and against central finite differences, and draws the
graph twice, as SVG and PNG: after the forward pass, and after backward with each edge's local
derivative. The narration writes the chain rule as the lectures do: visiting node v, each input
x of v gets ∂⁺o/∂x += ∂⁺o/∂v · ∂v/∂x (∂⁺: total, every path; ∂: local, one op).

    python -m demos.neuron [--out DIR]
"""

from __future__ import annotations

import math
from pathlib import Path

from demos._common import demo_main, prepare_out, rule, save_graph_pictures, signed
from engine import Parameter, Value, backward_steps, gradcheck

INPUTS = {"x1": 2.0, "x2": 0.0}
PARAMETERS = {"w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
TOLERANCE = 1e-12


def build() -> dict[str, Value]:
    """The neuron's graph with every intermediate node labelled, as a dict name -> Value."""
    x1, x2 = (Value(INPUTS[k], label=k) for k in ("x1", "x2"))
    w1, w2, b = (Parameter(PARAMETERS[k], label=k) for k in ("w1", "w2", "b"))
    x1w1 = x1 * w1
    x1w1.label = "x1·w1"
    x2w2 = x2 * w2
    x2w2.label = "x2·w2"
    s = x1w1 + x2w2
    s.label = "s"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return {
        "x1": x1,
        "x2": x2,
        "w1": w1,
        "w2": w2,
        "b": b,
        "x1·w1": x1w1,
        "x2·w2": x2w2,
        "s": s,
        "n": n,
        "o": o,
    }


def hand_gradients(nodes: dict[str, Value]) -> dict[str, float]:
    """The chain rule written out by hand: every ∂o/∂leaf is (1 - o²) times ∂n/∂leaf."""
    o = nodes["o"].data
    dn = 1.0 - o * o
    return {
        "n": dn,
        "b": dn,
        "w1": dn * INPUTS["x1"],
        "x1": dn * PARAMETERS["w1"],
        "w2": dn * INPUTS["x2"],
        "x2": dn * PARAMETERS["w2"],
    }


def neuron(x1: Value, x2: Value, w1: Value, w2: Value, b: Value) -> Value:
    """o = tanh(x1·w1 + x2·w2 + b), for `gradcheck`."""
    return (x1 * w1 + x2 * w2 + b).tanh()


def run(out: str | Path = "out/neuron", seed: int = 0, quick: bool = False) -> dict:
    """Forward, narrated backward, checks and two SVG graphs. Deterministic: `seed` and `quick`
    are accepted for a uniform command line (the demo is already instant)."""
    out = prepare_out(out)
    nodes = build()
    o = nodes["o"]

    rule("Forward pass: o = tanh(x1·w1 + x2·w2 + b)")
    for name in ("x1", "x2", "w1", "w2"):
        print(f"  {name:2} = {signed(nodes[name].data)}")
    print(f"  b  = +{nodes['b'].data!r}  (atanh(1/√2) + 6 in double precision, so that o = 1/√2)")
    for name, formula in (
        ("x1·w1", ""),
        ("x2·w2", ""),
        ("s", " = x1·w1 + x2·w2"),
        ("n", " = s + b"),
        ("o", " = tanh(n)"),
    ):
        print(f"  {name + formula:19} = {signed(nodes[name].data)}")
    files = save_graph_pictures(o, out / "neuron_forward.svg", show_grad=False)

    rule("Backward pass, node by node: visiting v, each input x gets ∂⁺o/∂x += ∂⁺o/∂v · ∂v/∂x")
    for step in backward_steps(o):
        print(step)

    rule("Check: the engine vs the chain rule by hand vs finite differences")
    hand = hand_gradients(nodes)
    worst = 0.0
    for name, expected in hand.items():
        got = nodes[name].grad
        worst = max(worst, abs(got - expected))
        print(f"  ∂o/∂{name:2} engine {signed(got, 6):>9}   hand {signed(expected, 6):>9}")
    inputs = [nodes[k].data for k in ("x1", "x2", "w1", "w2", "b")]
    numeric_ok = gradcheck(neuron, inputs)
    print(f"  largest |engine - hand| = {worst:.1e}; central differences agree: {numeric_ok}")

    rule("The graph after backward: the local derivative ∂v/∂x on every edge x → v")
    files += save_graph_pictures(o, out / "neuron_backward.svg", show_local=True)
    print("  read an edge's number times the gradient of the node it enters: that is what the")
    print("  chain rule adds to the gradient of the node it leaves.")
    ok = worst <= TOLERANCE and numeric_ok and math.isclose(o.data, math.sqrt(0.5), rel_tol=1e-9)
    return {
        "ok": ok,
        "files": files,
        "output": o.data,
        "worst_error": worst,
        "gradients": {name: nodes[name].grad for name in hand},
    }


def main(argv: list[str] | None = None) -> int:
    return demo_main("neuron", run, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
