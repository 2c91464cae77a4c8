"""Write your own op: its forward and its local derivative, then let gradcheck judge it.

A lab's classic exercise: implement the backward of a new function. With
`engine.functional.custom.define_op`
an op is one call, like a row of the engine's op table: the forward rule and the local
derivative side by side. Here the op is softsign, an activation of the tanh family, written
again as ``my_softsign`` (the table has its own ``softsign`` row, to check the answer against):

    softsign(x) = x / (1 + |x|),        ∂softsign/∂x = 1 / (1 + |x|)²

The demo defines it, narrates a backward pass through a neuron that uses it (the narration shows
your derivative's formula), checks it three ways (central finite differences with `gradcheck`,
the op table's own softsign row, and PyTorch when installed), then makes two
mistakes a lab sees most and shows `gradcheck` catching each: a forgotten square, and a lost
minus sign (∂(1/x)/∂x written as 1/x²).

    python -m demos.custom_op [--out DIR]
"""

from __future__ import annotations

import math
from pathlib import Path

from demos._common import demo_main, prepare_out, rule, save_graph_pictures
from engine import GradcheckError, Value, backward_steps, gradcheck
from engine.functional.custom import define_op

POINTS = (-2.5, -0.7, 0.3, 1.9)
"""Where the derivatives are checked (away from the kink of |x| at 0)."""
TOLERANCE = 1e-12


def define_softsign():
    """The exercise's answer: softsign with its local derivative, as one table row."""
    return define_op(
        "my_softsign",
        forward=lambda x: x / (1.0 + abs(x)),
        derivative=lambda x: 1.0 / (1.0 + abs(x)) ** 2,
        formula="x / (1 + |x|)",
        derivatives="1 / (1 + |x|)²",
    )


def define_mistakes():
    """Two wrong answers: a forgotten square, and a lost minus sign."""
    no_square = define_op(
        "softsign_no_square",
        forward=lambda x: x / (1.0 + abs(x)),
        derivative=lambda x: 1.0 / (1.0 + abs(x)),
        formula="x / (1 + |x|)",
        derivatives="1 / (1 + |x|)",
    )
    no_minus = define_op(
        "reciprocal_no_minus",
        forward=lambda x: 1.0 / x,
        derivative=lambda x: 1.0 / (x * x),
        formula="1 / x",
        derivatives="1 / x²",
        domain="x ≠ 0",
    )
    return {"softsign with 1/(1 + |x|)": no_square, "1/x with 1/x² (minus lost)": no_minus}


def neuron(softsign, x: Value, w: Value, b: Value) -> Value:
    """y = softsign(w·x + b)."""
    return softsign(w * x + b)


def verdict(op, points: tuple[float, ...] = POINTS) -> str:
    """``passes`` or the first line of gradcheck's complaint, for `op` at `points`."""
    failures = []
    for a in points:
        try:
            gradcheck(lambda x: op(x), [a])
        except GradcheckError as exc:
            failures.append(str(exc).splitlines()[1].strip())
    if not failures:
        return "passes"
    return f"fails at {len(failures)} of {len(points)} points, e.g.\n    {failures[0]}"


def run(out: str | Path = "out/custom_op", seed: int = 0, quick: bool = False) -> dict:
    """Define softsign, narrate it, check it; show gradcheck catching two wrong derivatives.
    Deterministic: `seed` and `quick` are accepted for a uniform command line."""
    out = prepare_out(out)
    softsign = define_softsign()

    rule("The op: one call, forward and local derivative side by side")
    print("  softsign = define_op('my_softsign', forward=lambda x: x / (1 + abs(x)),")
    print("                       derivative=lambda x: 1 / (1 + abs(x))**2,")
    print("                       formula='x / (1 + |x|)', derivatives='1 / (1 + |x|)²')")

    rule("A neuron y = softsign(w·x + b), backward one node at a time")
    x, w, b = Value(1.5, label="x"), Value(-0.8, label="w"), Value(0.4, label="b")
    z = w * x + b
    z.label = "z"
    y = softsign(z)
    y.label = "y"
    for step in backward_steps(y):
        print(step)
    files = save_graph_pictures(y, out / "softsign_neuron.svg", show_local=True)

    rule("Three checks of the derivative")
    print(f"  gradcheck (central differences) at {list(POINTS)}: {verdict(softsign)}")
    worst = 0.0
    for a in POINTS:
        mine, built = Value(a, label="a"), Value(a, label="a")
        softsign(mine).backward()
        built.softsign().backward()  # the op table's own row
        worst = max(worst, abs(mine.grad - built.grad))
    print(f"  vs the op table's softsign row: largest difference {worst:.1e}")
    torch_worst = _torch_difference(softsign)
    if torch_worst is None:
        print("  vs PyTorch: not installed (pip install torch), skipped")
    else:
        print(f"  vs PyTorch's softsign (float64): largest difference {torch_worst:.1e}")
    passed = verdict(softsign) == "passes"

    rule("Two classic mistakes, and gradcheck catching each")
    caught = {}
    for name, op in define_mistakes().items():
        caught[name] = verdict(op)
        print(f"  {name}: gradcheck {caught[name]}")
    print("  gradcheck names each input whose backward disagrees with the finite difference:")
    print("  the size of the gap (a factor 1 + |x|, a flipped sign) points at the mistake.")

    ok = (
        passed
        and worst <= TOLERANCE
        and (torch_worst is None or torch_worst <= TOLERANCE)
        and all(text != "passes" for text in caught.values())
        and math.isclose(x.grad, w.data / (1 + abs(z.data)) ** 2, rel_tol=1e-12)
    )
    return {
        "ok": ok,
        "files": files,
        "gradients": {"x": x.grad, "w": w.grad, "b": b.grad},
        "worst_error": worst,
        "torch_error": torch_worst,
        "mistakes": caught,
    }


def _torch_difference(softsign) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    worst = 0.0
    for a in POINTS:
        t = torch.tensor(a, dtype=torch.float64, requires_grad=True)
        torch.nn.functional.softsign(t).backward()
        mine = Value(a)
        softsign(mine).backward()
        worst = max(worst, abs(mine.grad - t.grad.item()))
    return worst


def main(argv: list[str] | None = None) -> int:
    return demo_main("custom_op", run, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
