"""Gradient descent vs Newton's method on Rosenbrock's valley, with the Hessian from the engine.

Rosenbrock's function f(x, y) = (1 - x)² + 100·(y - x²)² has its minimum 0 at (1, 1), at the end
of a long curved valley. Both methods start at the classic (-1.2, 1):

    gradient descent   p ← p - η·∇f(p)                      (η = 10⁻³: larger diverges here)
    Newton's method    p ← p - H(p)⁻¹·∇f(p)                 (H = the Hessian, the 2 × 2 matrix
                                                             of second derivatives)

The engine gives both derivatives. ∇f is one backward pass. H is the derivative of the derivative:
``grad(f, [x, y], create_graph=True)`` builds ∂f/∂x and ∂f/∂y as graphs of ordinary Values (from
the op table's own rules), and differentiating each again gives a row of H (`engine.hessian`).
The demo checks both against the hand formulas

    ∇f = (-2(1 - x) - 400x(y - x²),  200(y - x²))
    H  = [[2 - 400(y - x²) + 800x², -400x], [-400x, 200]]

at every Newton iterate, and the Hessian-vector product `engine.hvp` (which never forms H)
against H·v. Then the claim: near the minimum Newton converges quadratically, the error
e_k = |p_k - (1, 1)| obeys e_{k+1} ≤ C·e_k² (the number of correct digits doubles each step),
while gradient descent creeps along the valley for thousands of steps.

Pictures: both paths on the contours of f, and the errors per iteration (with e_{k+1} against e_k
on log-log axes, where quadratic convergence is a line of slope 2).

    python -m demos.newton [--out DIR] [--quick]
"""

from __future__ import annotations

import math
from pathlib import Path

from demos._common import demo_main, figure, prepare_out, rule, save_figure
from engine import Value, grad, hessian, hvp

START = (-1.2, 1.0)
MINIMUM = (1.0, 1.0)
LR = 1e-3
NEWTON_STEPS = 10
CONVERGED = 1e-12  # Newton's final error must be below this
NEAR = 0.1  # "near the minimum": quadratic convergence is checked where e_k < NEAR
RATIO_BOUND = 2.0  # the C of e_{k+1} ≤ C·e_k²
TOLERANCE = 1e-12  # engine vs hand formulas, relative to max(1, |hand|)


def rosenbrock(x, y):
    """f(x, y) = (1 - x)² + 100·(y - x²)², on Values (a graph) or on floats."""
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def hand_gradient(x: float, y: float) -> tuple[float, float]:
    return -2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)


def hand_hessian(x: float, y: float) -> tuple[tuple[float, float], tuple[float, float]]:
    return ((2.0 - 400.0 * (y - x * x) + 800.0 * x * x, -400.0 * x), (-400.0 * x, 200.0))


def engine_gradient(p: tuple[float, float]) -> tuple[float, tuple[float, float]]:
    """(f, ∇f) at p from one backward pass."""
    x, y = Value(p[0], label="x"), Value(p[1], label="y")
    f = rosenbrock(x, y)
    gx, gy = grad(f, [x, y])
    return f.data, (gx.data, gy.data)


def error(p: tuple[float, float]) -> float:
    return math.hypot(p[0] - MINIMUM[0], p[1] - MINIMUM[1])


def _relative(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(b))


def newton(steps: int = NEWTON_STEPS) -> dict:
    """Newton's method from START, solving H·d = ∇f by Cramer's rule (H is 2 × 2)."""
    p, path, worst = START, [START], 0.0
    for _ in range(steps):
        if error(p) == 0.0:
            break
        _, g = engine_gradient(p)
        H = hessian(rosenbrock, list(p))
        for a, b in zip((*g, *H[0], *H[1]), (*hand_gradient(*p), *sum(hand_hessian(*p), ()))):
            worst = max(worst, _relative(a, b))
        det = H[0][0] * H[1][1] - H[0][1] * H[1][0]
        dx = (H[1][1] * g[0] - H[0][1] * g[1]) / det
        dy = (H[0][0] * g[1] - H[1][0] * g[0]) / det
        p = (p[0] - dx, p[1] - dy)
        path.append(p)
    return {"path": path, "errors": [error(q) for q in path], "worst": worst}


def gradient_descent(steps: int) -> dict:
    p, path = START, [START]
    for _ in range(steps):
        _, g = engine_gradient(p)
        p = (p[0] - LR * g[0], p[1] - LR * g[1])
        path.append(p)
    return {"path": path, "errors": [error(q) for q in path]}


def quadratic_ratios(errors: list[float]) -> list[tuple[int, float]]:
    """(k, e_{k+1}/e_k²) for the steps that start near the minimum (0 < e_k < NEAR)."""
    return [(k, b / (a * a)) for k, (a, b) in enumerate(zip(errors, errors[1:])) if 0 < a < NEAR]


# --------------------------------------------------------------------------------------------
# Pictures
# --------------------------------------------------------------------------------------------


def plot_paths(gd: list, nt: list, out: Path, dpi: int, steps: int) -> Path | None:
    fig = figure(figsize=(7.0, 5.6))
    if fig is None:
        return None
    import numpy as np

    xs = np.linspace(-2.0, 2.0, steps)
    ys = np.linspace(-3.5, 3.0, steps)
    X, Y = np.meshgrid(xs, ys)
    Z = np.log10(rosenbrock(X, Y) + 1e-3)
    ax = fig.subplots()
    filled = ax.contourf(X, Y, Z, levels=30, cmap="viridis")
    fig.colorbar(filled, ax=ax, label="log₁₀(f + 10⁻³)")
    gd_label = f"gradient descent, η = {LR:g} ({len(gd) - 1} steps)"
    ax.plot([p[0] for p in gd], [p[1] for p in gd], color="tab:orange", label=gd_label)
    every = max(1, (len(gd) - 1) // 20)
    ax.plot([p[0] for p in gd[::every]], [p[1] for p in gd[::every]], ".", color="tab:orange")
    nt_label = f"Newton's method ({len(nt) - 1} steps)"
    ax.plot(
        [p[0] for p in nt], [p[1] for p in nt], "o-", color="white", mec="black", label=nt_label
    )
    for k, p in enumerate(nt[:5]):
        ax.annotate(str(k), p, textcoords="offset points", xytext=(5, 4), color="white")
    ax.plot(*MINIMUM, "*", color="gold", markeredgecolor="black", markersize=14, label="(1, 1)")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title("Rosenbrock: f = (1 - x)² + 100(y - x²)²")
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9)
    return save_figure(fig, out / "paths.png", dpi=dpi)


def plot_errors(gd: list[float], nt: list[float], out: Path, dpi: int) -> Path | None:
    fig = figure(figsize=(11.0, 4.4))
    if fig is None:
        return None
    left, right = fig.subplots(1, 2)
    floor = 1e-17  # an exact 0 (Newton lands on (1, 1) exactly) is drawn at 10⁻¹⁷
    left.plot(
        range(len(gd)), [max(e, floor) for e in gd], color="tab:orange", label="gradient descent"
    )
    left.plot(range(len(nt)), [max(e, floor) for e in nt], "o-", color="black", label="Newton")
    left.set_xscale("symlog", linthresh=10)
    left.set_yscale("log")
    left.set_xlabel("iteration k")
    left.set_ylabel("error |p_k - (1, 1)|")
    left.set_title("Error per iteration")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=8)
    pairs = [(a, b) for a, b in zip(nt, nt[1:]) if a > 0 and b > 0]
    label = "Newton: (e_k, e_(k+1))"
    right.loglog([a for a, _ in pairs], [b for _, b in pairs], "o-", color="black", label=label)
    span = [min(a for a, _ in pairs) / 10.0, 10.0]
    right.loglog(span, [e * e for e in span], "--", color="tab:red", label="e_(k+1) = e_k²")
    right.loglog(span, span, ":", color="0.5", label="e_(k+1) = e_k")
    right.set_xlabel("e_k")
    right.set_ylabel("e_(k+1)")
    right.set_title("Quadratic convergence: slope 2 near the minimum")
    right.grid(True, which="both", alpha=0.3)
    right.legend(fontsize=8)
    return save_figure(fig, out / "convergence.png", dpi=dpi)


# --------------------------------------------------------------------------------------------
# The demo
# --------------------------------------------------------------------------------------------


def _print_newton(result: dict) -> None:
    errors = result["errors"]
    for k, (p, e) in enumerate(zip(result["path"], errors)):
        ratio = f"   e_k/e_(k-1)² = {e / errors[k - 1] ** 2:.3g}" if k and errors[k - 1] else ""
        print(f"  k = {k}: (x, y) = ({p[0]:+.12f}, {p[1]:+.12f}), error {e:.3e}{ratio}")


def run(out: str | Path = "out/newton", seed: int = 0, quick: bool = False) -> dict:
    """Newton vs gradient descent on Rosenbrock; the Hessian is the engine's double backward.

    The run is deterministic (`seed` is accepted for a uniform command line and unused); `quick`
    runs fewer gradient-descent steps and draws coarser pictures.
    """
    out = prepare_out(out)
    gd_steps = 3000 if quick else 20000

    rule("The function and its derivatives from the engine")
    print("f(x, y) = (1 - x)² + 100·(y - x²)²,  minimum f(1, 1) = 0,  start (-1.2, 1)")
    x, y = Value(START[0], label="x"), Value(START[1], label="y")
    f = rosenbrock(x, y)
    gx, gy = grad(f, [x, y], create_graph=True)
    print(f"  f = {f.data:g};  ∂f/∂x = {gx.data:g}, ∂f/∂y = {gy.data:g}, built as graphs of")
    print(f"  {len(_nodes(gx))} and {len(_nodes(gy))} nodes by grad(f, [x, y], create_graph=True)")
    rows = [grad(g, [x, y], materialize_grads=True) for g in (gx, gy)]
    H = [[h.data for h in row] for row in rows]
    print(f"  differentiating them again gives the Hessian  H = {_matrix(H)}")
    print(f"  the hand formula:                             H = {_matrix(hand_hessian(*START))}")
    v = (1.0, -2.0)
    _, Hv = hvp(rosenbrock, list(START), list(v))
    by_matrix = tuple(H[i][0] * v[0] + H[i][1] * v[1] for i in range(2))
    hvp_ok = all(_relative(a, b) <= TOLERANCE for a, b in zip(Hv, by_matrix))
    print(f"  hvp(f, p, v) for v = {_vector(v)}, no H formed: H·v = {_vector(Hv)}")
    print(f"  the matrix product:                          H·v = {_vector(by_matrix)}")

    rule("Newton's method: p ← p - H⁻¹∇f")
    nt = newton()
    _print_newton(nt)
    ratios = quadratic_ratios(nt["errors"])
    quadratic = bool(ratios) and all(r <= RATIO_BOUND for _, r in ratios)
    converged = nt["errors"][-1] <= CONVERGED
    shown = ", ".join(f"{r:.3g}" for _, r in ratios)
    answer = "yes" if quadratic else "NO"
    print(
        f"  near the minimum (e_k < {NEAR}) every e_(k+1)/e_k² ≤ {RATIO_BOUND}: {answer} ({shown})"
    )
    print(
        f"  engine vs hand ∇f and H at every iterate: worst relative difference {nt['worst']:.1e}"
    )

    rule(f"Gradient descent: p ← p - η∇f, η = {LR:g}")
    gd = gradient_descent(gd_steps)
    for k in sorted({10, 100, 1000, gd_steps // 2, gd_steps}):
        p = gd["path"][k]
        print(f"  k = {k:5d}: (x, y) = ({p[0]:+.6f}, {p[1]:+.6f}), error {gd['errors'][k]:.3e}")
    slow = gd["errors"][-1] > 1e6 * max(nt["errors"][-1], 1e-300) and gd["errors"][-1] > 1e-4
    print(
        f"  after {gd_steps} steps gradient descent is still {gd['errors'][-1]:.1e} away; "
        f"Newton needed {len(nt['path']) - 1} steps to reach {nt['errors'][-1]:.1e}"
    )

    ok = converged and quadratic and nt["worst"] <= TOLERANCE and hvp_ok and slow
    rule("Pictures")
    dpi = 80 if quick else 110
    files = [
        path
        for path in (
            plot_paths(gd["path"], nt["path"], out, dpi, 80 if quick else 300),
            plot_errors(gd["errors"], nt["errors"], out, dpi),
        )
        if path is not None
    ]
    return {
        "ok": ok,
        "files": files,
        "newton_path": nt["path"],
        "newton_errors": nt["errors"],
        "quadratic_ratios": ratios,
        "worst_relative_error": nt["worst"],
        "hvp_matches": hvp_ok,
        "gd_steps": gd_steps,
        "gd_final_error": gd["errors"][-1],
        "hessian_at_start": H,
    }


def _matrix(H) -> str:
    return "[" + ", ".join("[" + ", ".join(f"{h:g}" for h in row) + "]" for row in H) + "]"


def _vector(v) -> str:
    return "(" + ", ".join(f"{x:.12g}" for x in v) + ")"


def _nodes(root: Value) -> list[Value]:
    from engine.core.graph import topological_order

    return topological_order(root)


def main(argv: list[str] | None = None) -> int:
    return demo_main("newton", run, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
