"""Perceptrons compute logic gates; the perceptron rule learns AND and OR, never XOR (lecture 002).

A perceptron with a step activation reads its inputs x ∈ {0, 1}² and fires when its score is
positive: out = 1 if s = w·x + b > 0 else 0. The engine's step is ``binary_step``, sign(s), so the
bit is (1 + sign(s))/2. Hand-set weights give the gates

    AND: w = (1, 1), b = -1.5     OR: w = (1, 1), b = -0.5     NAND: w = (-1, -1), b = 1.5
    NOT: w = -1, b = 0.5

The perceptron rule learns such weights from w = 0, b = 0: with labels t = ±1, visit the four
rows (in an order drawn from the seed) and, whenever t·s ≤ 0 (wrong, or undecided),

    w ← w + η·t·x,   b ← b + η·t          (η = 1).

Where t·s < 0 this is one SGD step on the perceptron cost ``nn.losses.perceptron``,
ℓ = max(0, -t·s), whose gradient is ∂ℓ/∂w = -t·x: the demo checks that against the engine's
backward at every such step. (At s = 0 the engine's gradient is 0, relu'(0) = 0, so plain SGD on
ℓ would never leave w = 0; the rule counts an undecided row as a mistake.) The rule converges on
any linearly separable table (the perceptron convergence theorem).

XOR is not linearly separable: firing on (1, 0) and (0, 1) needs w₁ + b > 0 and w₂ + b > 0;
adding them, w₁ + w₂ + b > -b, and silence on (0, 0) needs b ≤ 0, so w₁ + w₂ + b > 0: the
perceptron fires on (1, 1) too, which XOR forbids. So the rule never gets 4/4, however long it
runs. A hidden layer of two perceptrons, h₁ = OR(x), h₂ = NAND(x), read by AND(h₁, h₂), computes
XOR exactly: ``MLP(2, [2, 1])`` with step units (in sign form the output is sign(h₁ + h₂ - 1)).

    python -m demos.perceptron_logic [--seed N] [--out DIR] [--quick]
"""

from __future__ import annotations

import random
from pathlib import Path

from demos._common import demo_main, figure, prepare_out, rule, save_figure
from engine import no_grad

ROWS = ((0, 0), (0, 1), (1, 0), (1, 1))
TABLES = {
    "AND": (0, 0, 0, 1),
    "OR": (0, 1, 1, 1),
    "NAND": (1, 1, 1, 0),
    "XOR": (0, 1, 1, 0),
}
GATES = {"AND": ((1.0, 1.0), -1.5), "OR": ((1.0, 1.0), -0.5), "NAND": ((-1.0, -1.0), 1.5)}
"""Hand-set (w, b) of the two-input gates."""
LR = 1.0


def _config(quick: bool) -> dict:
    return {"epochs": 25, "dpi": 80} if quick else {"epochs": 200, "dpi": 110}


def perceptron(w: tuple[float, ...], b: float):
    """An ``nn.Neuron`` with the step activation and the given weights: sign(w·x + b)."""
    from nn import Neuron

    neuron = Neuron(len(w), activation="binary_step", seed=0)
    for p, value in zip(neuron.w, w):
        p.data = value
    neuron.b.data = b
    return neuron


def bit(model, x) -> int:
    """The step unit's output as a bit: (1 + sign(s))/2, 1 when s > 0, 0 when s < 0."""
    with no_grad():
        out = model(list(x)).data
    if out == 0.0:
        raise ValueError(f"the score is exactly 0 at x = {x}: the perceptron is undecided")
    return int((1 + out) / 2)


def truth_table(model, rows=ROWS) -> tuple[int, ...]:
    return tuple(bit(model, x) for x in rows)


def xor_network():
    """MLP(2, [2, 1]) with step units: hidden OR and NAND, output AND of their signs."""
    from nn import MLP

    model = MLP(2, [2, 1], activation="binary_step", output_activation="binary_step", seed=0)
    for neuron, name in zip(model.layers[0].neurons, ("OR", "NAND")):
        (w1, w2), b = GATES[name]
        neuron.w[0].data, neuron.w[1].data, neuron.b.data = w1, w2, b
    top = model.layers[1].neurons[0]
    top.w[0].data, top.w[1].data, top.b.data = 1.0, 1.0, -1.0  # AND of h ∈ {-1, +1}: sign(h₁+h₂-1)
    return model


def correct(w: list[float], b: float, table: tuple[int, ...]) -> int:
    """How many rows the perceptron (w, b) gets right; an undecided score s = 0 counts wrong."""
    hits = 0
    for x, t in zip(ROWS, table):
        s = b + w[0] * x[0] + w[1] * x[1]
        hits += (s > 0 and t == 1) or (s < 0 and t == 0)
    return hits


def learn(table: tuple[int, ...], epochs: int, seed: int) -> dict:
    """The perceptron rule from w = 0, b = 0; stops after the first epoch with no mistake.

    Returns the weights, the rows right after every epoch, the epoch of convergence (None if
    never), the best count ever seen after any single update, and how many updates agreed with
    -η·∂ℓ/∂(w, b) of ``nn.losses.perceptron`` from the engine's backward (of those that could).
    """
    from nn import Neuron, losses

    neuron = Neuron(2, activation="linear", seed=0)
    for p in (*neuron.w, neuron.b):
        p.data = 0.0
    rng = random.Random(seed)
    history, best, converged, checked, agreed = [], 0, None, 0, 0
    for epoch in range(1, epochs + 1):
        order = list(range(4))
        rng.shuffle(order)
        mistakes = 0
        for i in order:
            x, t = ROWS[i], 2 * table[i] - 1
            score = neuron(list(x))
            if t * score.data > 0:
                continue
            mistakes += 1
            if t * score.data < 0:  # one SGD step on max(0, -t·s): compare with the engine
                neuron.zero_grad()
                losses.perceptron(score, t).backward()
                want = [-t * x[0], -t * x[1], -t]
                got = [p.grad for p in (*neuron.w, neuron.b)]
                checked += 1
                agreed += got == want
            for p, xi in zip((*neuron.w, neuron.b), (*x, 1)):
                p.data += LR * t * xi
            best = max(best, correct([p.data for p in neuron.w], neuron.b.data, table))
        history.append(correct([p.data for p in neuron.w], neuron.b.data, table))
        if mistakes == 0:
            converged = epoch
            break
    return {
        "w": [p.data for p in neuron.w],
        "b": neuron.b.data,
        "history": history,
        "converged": converged,
        "best": best,
        "checked": checked,
        "agreed": agreed,
    }


def _row(x) -> str:
    return ", ".join(str(v) for v in x)


def plot_all(learned: dict, epochs: int, out: Path, dpi: int) -> Path | None:
    fig = figure(figsize=(14.0, 5.6))
    if fig is None:
        return None
    axes = fig.subplots(1, 4)
    line = [-0.25, 1.25]

    def draw(ax, name, w, b, colour, style="-"):
        if w[1] != 0:
            ax.plot(line, [-(b + w[0] * x) / w[1] for x in line], style, color=colour, label=name)

    def square(ax, table, title):
        for x, t in zip(ROWS, table):
            ax.scatter(*x, s=90, color="tab:red" if t else "white", edgecolors="black", zorder=3)
        ax.set_xlim(-0.25, 1.25)
        ax.set_ylim(-0.25, 1.25)
        ax.set_aspect("equal")
        ax.set_xlabel("x₁")
        ax.set_ylabel("x₂")
        ax.set_title(title, fontsize=10)

    square(axes[0], TABLES["AND"], "Hand-set gates:\ns = w·x + b = 0\n(red: AND's 1s)")
    styles = (("AND", "tab:blue", "-"), ("OR", "tab:green", "-"))
    for name, colour, style in (*styles, ("NAND", "tab:orange", "--")):
        label = "NAND: AND's line,\n1 on the other side" if name == "NAND" else name
        draw(axes[0], label, *GATES[name], colour, style)
    axes[0].legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    square(axes[1], TABLES["OR"], "Learnt by the\nperceptron rule\n(red: OR's 1s)")
    for name, colour in (("AND", "tab:blue"), ("OR", "tab:green")):
        r = learned[name]
        w = ", ".join(f"{v:g}" for v in r["w"])
        draw(axes[1], f"{name}: w = ({w}), b = {r['b']:g}", r["w"], r["b"], colour, "--")
    axes[1].legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    square(axes[2], TABLES["XOR"], "XOR = AND(OR, NAND):\nfires between\nthe two hidden lines")
    axes[2].fill_between(line, [0.5 - x for x in line], [1.5 - x for x in line], alpha=0.2)
    for name, colour in (("OR", "tab:green"), ("NAND", "tab:orange")):
        draw(axes[2], f"hidden {name}", *GATES[name], colour)
    axes[2].legend(fontsize=8, loc="upper right")
    ax = axes[3]
    for name, colour in (("AND", "tab:blue"), ("OR", "tab:green"), ("XOR", "tab:red")):
        history = learned[name]["history"]
        ax.plot(range(1, len(history) + 1), history, "o-", ms=3, color=colour, label=name)
    ax.axhline(4, color="0.6", linestyle="dotted")
    ax.set_xscale("log")
    ax.set_ylim(0, 4.3)
    ax.set_xlabel(f"epoch (of at most {epochs})")
    ax.set_ylabel("rows right (of 4)")
    ax.set_title("The perceptron rule:\nAND, OR reach 4/4;\nXOR never does", fontsize=10)
    ax.legend(fontsize=8)
    fig.suptitle("Single perceptrons draw one line; XOR needs a hidden layer", fontsize=12)
    return save_figure(fig, out / "perceptron_logic.png", dpi=dpi)


def run(out: str | Path = "out/perceptron_logic", seed: int = 0, quick: bool = False) -> dict:
    """Claims: the hand-set perceptrons compute AND, OR, NAND and NOT; the rule learns AND and
    OR from zero weights (every checked step equal to the engine's gradient); on XOR it never gets
    4/4 in the given epochs; OR and NAND into AND compute XOR."""
    out = prepare_out(out)
    cfg = _config(quick)
    tables: dict[str, bool] = {}

    rule("Hand-set perceptrons: out = 1 if w·x + b > 0 else 0")
    print("  x₁ x₂   AND OR NAND")
    gates = {name: perceptron(*wb) for name, wb in GATES.items()}
    computed = {name: truth_table(model) for name, model in gates.items()}
    for i, x in enumerate(ROWS):
        bits = "   ".join(str(computed[name][i]) for name in ("AND", "OR", "NAND"))
        print(f"   {x[0]}  {x[1]}    {bits}")
    for name in GATES:
        tables[name] = computed[name] == TABLES[name]
        (w1, w2), b = GATES[name]
        print(f"  {name}: w = ({w1:g}, {w2:g}), b = {b:g}: the truth table holds: {tables[name]}")
    not_gate = perceptron((-1.0,), 0.5)
    not_table = truth_table(not_gate, ((0,), (1,)))
    tables["NOT"] = not_table == (1, 0)
    print(f"  NOT: w = -1, b = 0.5: NOT 0 = {not_table[0]}, NOT 1 = {not_table[1]}")

    rule(f"The perceptron rule from w = 0, b = 0 (η = {LR:g}, at most {cfg['epochs']} epochs)")
    learned = {}
    for name in ("AND", "OR", "XOR"):
        r = learned[name] = learn(TABLES[name], cfg["epochs"], seed)
        when = f"no mistake in epoch {r['converged']}" if r["converged"] else "never converged"
        w = ", ".join(f"{v:g}" for v in r["w"])
        print(
            f"  {name:4s}: {when}; w = ({w}), b = {r['b']:g}; rows right after each epoch: "
            + " ".join(map(str, r["history"][:12]))
            + (" ..." if len(r["history"]) > 12 else "")
        )
        print(
            f"        {r['agreed']} of {r['checked']} updates with t·s < 0 equal -η·∂ℓ/∂(w, b) "
            "from the engine's backward of nn.losses.perceptron"
        )
    learnt = all(learned[n]["converged"] and learned[n]["history"][-1] == 4 for n in ("AND", "OR"))
    agree = all(r["agreed"] == r["checked"] for r in learned.values())
    xor_best = learned["XOR"]["best"]

    rule("Why XOR defeats one perceptron")
    print("  XOR(0, 0) = 0:  b ≤ 0")
    print("  XOR(1, 0) = 1:  w₁ + b > 0")
    print("  XOR(0, 1) = 1:  w₂ + b > 0")
    print("  XOR(1, 1) = 0:  w₁ + w₂ + b ≤ 0")
    print("  adding the middle two: w₁ + w₂ + 2b > 0, so w₁ + w₂ + b > -b ≥ 0: contradiction")
    print(
        f"  the rule ran {len(learned['XOR']['history'])} epochs on XOR: at best {xor_best} of 4 "
        "rows right, after any update"
    )

    rule("A hidden layer: XOR(x) = AND(OR(x), NAND(x))")
    net = xor_network()
    xor_table = truth_table(net)
    tables["XOR network"] = xor_table == TABLES["XOR"]
    for x, v in zip(ROWS, xor_table):
        print(f"  x = ({_row(x)}): OR {bit(gates['OR'], x)}, NAND {bit(gates['NAND'], x)} → {v}")
    print(f"  MLP(2, [2, 1]) with step units computes XOR: {tables['XOR network']}")

    rule("Picture")
    picture = plot_all(learned, cfg["epochs"], out, cfg["dpi"])
    files = [picture] if picture is not None else []
    ok = all(tables.values()) and learnt and agree and xor_best < 4
    return {
        "ok": ok,
        "files": files,
        "tables": tables,
        "learned": {
            n: {k: r[k] for k in ("w", "b", "converged", "best")} for n, r in learned.items()
        },
        "agree": agree,
        "xor_best": xor_best,
        "xor_epochs": len(learned["XOR"]["history"]),
    }


def main(argv: list[str] | None = None) -> int:
    return demo_main("perceptron_logic", run, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
