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
points, and checks both against the table's formula written out independently in plain floats; it
also checks each g' formula against central differences of its own g. At a kink (a = 0) a
derivative is a convention, not a fact: the table takes ReLU'(0) = 1, the engine (like PyTorch)
takes 0. The demo prints each such choice. A lecturer who wants the table's convention uses
``engine.functional.custom.lecture_relu(x)``: the same max(0, x), with relu'(0) = 1, an op of its
own (`engine.functional.custom.define_op`), so backward(), the narrated steps, the drawings and
gradcheck all use it; ``x.relu()`` keeps PyTorch's 0.

Where the notes are wrong, the demo says so. For each place it prints the notes' formula, the
correct one, where they differ, the value of each at a point next to the engine's, and the
`engine.gradcheck` verdict of each form (made an op with `define_op`); the claim is that every
correction is the engine's number and passes, and every notes' form fails:

    003 swish row     g'(z) = βg(βz) + σ(βz)(1 - βg(βz))   ->  βg(z) + σ(βz)(1 - βg(z))
                      (the same at β = 1; shown at β = 1.5)
    001 sigmoid       f(z) = 1/[1 + exp(z)]                ->  1/[1 + exp(-z)]
    001 softmax       ∂yᵢ/∂zᵢ = e^zᵢ·e^(Σ_{j≠i} zⱼ)/(Σ e^z)²  ->  e^zᵢ·Σ_{j≠i} e^zⱼ/(Σ e^z)²
                      (the same with two classes; shown with three)
    001 softmax       ∂y_k/∂zᵢ = +e^(zᵢ+z_k)/(Σ e^z)²       ->  -e^(zᵢ+z_k)/(Σ e^z)²  (k ≠ i)
    001 linear layer  ∂f_k/∂β_ij = x_j                      ->  x_j if k = i, else 0

In the table as printed here the swish row is the corrected one. (Not errors, and not printed:
the notes give GELU's derivative only as a plot; the engine's is Φ(x) + x·φ(x), checked above.)

    python -m demos.activations [--out DIR]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from demos._common import demo_main, figure, prepare_out, rule, save_figure
from engine import OPS, GradcheckError, Value, gradcheck
from engine.core.numfmt import fmt
from engine.functional.custom import define_op, lecture_relu

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


CENTRAL_STEP = 1e-6
CENTRAL_TOLERANCE = 1e-6  # central differences are good to ~1e-9 here; a wrong formula is off by ≫


def central_difference(g: Callable[[float], float], a: float, h: float = CENTRAL_STEP) -> float:
    """(g(a + h) - g(a - h)) / 2h: the slope of g at a, from g alone."""
    return (g(a + h) - g(a - h)) / (2.0 * h)


def check_row(row: Row, points: list[float]) -> dict:
    """Engine vs table on every point: the curves and the largest differences; and the table's
    g' against central differences of the table's own g (no engine involved)."""
    _, _, activation, g, dg, _, _ = row
    values, slopes, worst_g, worst_dg, worst_cd = [], [], 0.0, 0.0, 0.0
    for a in points:
        value, slope = engine_value_and_slope(activation, a)
        values.append(value)
        slopes.append(slope)
        worst_g = max(worst_g, abs(value - g(a)) / max(1.0, abs(g(a))))
        worst_dg = max(worst_dg, abs(slope - dg(a)) / max(1.0, abs(dg(a))))
        worst_cd = max(worst_cd, abs(central_difference(g, a) - dg(a)))
    return {
        "values": values,
        "slopes": slopes,
        "worst_g": worst_g,
        "worst_dg": worst_dg,
        "worst_cd": worst_cd,
    }


# --------------------------------------------------------------------------------------------
# Where the notes are wrong
# --------------------------------------------------------------------------------------------

SWISH_BETA = 1.5  # a β ≠ 1: at β = 1 the notes' swish derivative happens to be right
SOFTMAX_Z = (1.0, 0.5, -0.5)  # three classes: with two, the notes' ∂yᵢ/∂zᵢ happens to be right
LINEAR_X = (0.5, -1.0)  # the features x of notes 001's linear layer


@dataclass(frozen=True)
class Erratum:
    """One formula of the notes that disagrees with the engine, and its correction.

    `notes` and `correct` are the quantity (a function or a derivative) as the notes write it and
    as it is, at `point`; `engine` is the same quantity from the engine (its op, or backward()).
    `notes_pair` and `correct_pair` are (function, derivative) of one input as floats: each pair
    goes through `engine.gradcheck` as an op of its own (`define_op`), and the notes' pair fails.
    """

    where: str
    what: str
    notes_text: str
    correct_text: str
    differ: str
    variable: str
    point: float
    notes: Callable[[float], float]
    correct: Callable[[float], float]
    engine: Callable[[float], float]
    notes_pair: tuple[Callable[[float], float], Callable[[float], float]]
    correct_pair: tuple[Callable[[float], float], Callable[[float], float]]


def swish_notes_slope(z: float, beta: float) -> float:
    """The notes' swish derivative as written (003): βg(βz) + σ(βz)(1 - βg(βz)), g(z) = z·σ(βz)."""
    g_bz = beta * z * _sigma(beta * beta * z)
    return beta * g_bz + _sigma(beta * z) * (1.0 - beta * g_bz)


def swish_slope(z: float, beta: float) -> float:
    """d/dz z·σ(βz) = βg(z) + σ(βz)(1 - βg(z)), with g(z) = z·σ(βz)."""
    g = z * _sigma(beta * z)
    return beta * g + _sigma(beta * z) * (1.0 - beta * g)


def sigmoid_layer_slope(z: float) -> float:
    """Notes 001's 'Sigmoid layer' derivative: d/dz f(z) = exp(-z)/[1 + exp(-z)]² (correct)."""
    return math.exp(-z) / (1.0 + math.exp(-z)) ** 2


def _engine_slope(activation: Callable[[Value], Value]) -> Callable[[float], float]:
    return lambda a: engine_value_and_slope(activation, a)[1]


def _softmax_floats(z: Sequence[float]) -> list[float]:
    """yᵢ = e^zᵢ / Σⱼ e^zⱼ in floats (shifted by max z: no overflow)."""
    top = max(z)
    e = [math.exp(v - top) for v in z]
    return [v / sum(e) for v in e]


def _with(z: Sequence[float], i: int, x: float) -> list[float]:
    """z with its i-th entry (0-based) replaced by x."""
    return [x if j == i else v for j, v in enumerate(z)]


def softmax_notes_slope(z: Sequence[float], i: int, k: int) -> float:
    """Notes 001's softmax derivatives as written: ∂yᵢ/∂zᵢ = e^zᵢ·e^(Σ_{j≠i} zⱼ)/(Σⱼ e^zⱼ)², and
    ∂y_k/∂zᵢ = e^(zᵢ + z_k)/(Σⱼ e^zⱼ)² for k ≠ i."""
    total = sum(math.exp(v) for v in z)
    if i == k:
        rest = sum(v for j, v in enumerate(z) if j != i)
        return math.exp(z[i]) * math.exp(rest) / total**2
    return math.exp(z[i] + z[k]) / total**2


def softmax_slope(z: Sequence[float], i: int, k: int) -> float:
    """∂y_k/∂zᵢ = y_k(1 - y_k) if k = i else -y_k·yᵢ (the Jacobian y_k(δ_ki - yᵢ))."""
    y = _softmax_floats(z)
    return y[k] * ((1.0 if i == k else 0.0) - y[i])


def _engine_softmax_slope(z: Sequence[float], i: int, k: int) -> Callable[[float], float]:
    """x ↦ ∂y_k/∂zᵢ at z with zᵢ = x, by `engine.softmax` and backward()."""
    from engine import softmax

    def slope(x: float) -> float:
        leaves = [Value(v, label=f"z{j + 1}") for j, v in enumerate(_with(z, i, x))]
        softmax(leaves)[k].backward()
        return leaves[i].grad

    return slope


def _engine_linear_slope(x: Sequence[float], k: int, i: int, j: int) -> Callable[[float], float]:
    """b ↦ ∂f_k/∂β_ij of f(B, x) = Bx at β_ij = b (other weights 0.3), by backward()."""

    def slope(b: float) -> float:
        rows = max(i, k) + 1
        weights = [
            [Value(b if (r, c) == (i, j) else 0.3) for c in range(len(x))] for r in range(rows)
        ]
        f_k = sum((w * v for w, v in zip(weights[k], x)), Value(0.0))
        f_k.backward()
        return weights[i][j].grad

    return slope


def errata() -> list[Erratum]:
    """Every place where the lectures' activation formulas (and their derivatives) are wrong."""
    beta, z, x = SWISH_BETA, SOFTMAX_Z, LINEAR_X
    swish = (lambda v: v * _sigma(beta * v), lambda v: swish_slope(v, beta))
    notes_swish = (swish[0], lambda v: swish_notes_slope(v, beta))

    def softmax_pair(i: int, k: int, slope: Callable) -> tuple[Callable, Callable]:
        return (lambda v: _softmax_floats(_with(z, i, v))[k], lambda v: slope(_with(z, i, v), i, k))

    x_j = x[1]
    return [
        Erratum(
            "lecture 003, 'More activation functions' table, swish row",
            f"swish derivative g'(z), β = {beta:g}",
            "βg(βz) + σ(βz)(1 - βg(βz))",
            "βg(z) + σ(βz)(1 - βg(z))",
            "agree at β = 1 (then g(βz) = g(z)); differ wherever β ≠ 1 and z ≠ 0",
            "z",
            1.0,
            notes_swish[1],
            swish[1],
            _engine_slope(lambda v: v.swish(beta)),
            notes_swish,
            swish,
        ),
        Erratum(
            "lecture 001, 'Sigmoid activation' slide (logistic regression)",
            "the sigmoid f(z) itself",
            "f(z) = 1/[1 + exp(z)]",
            "f(z) = 1/[1 + exp(-z)]",
            "differ at every z ≠ 0 (the notes' f is σ(-z), decreasing); the 'Sigmoid layer' "
            "slide has it right",
            "z",
            1.0,
            lambda v: 1.0 / (1.0 + math.exp(v)),
            _sigma,
            lambda v: Value(v).sigmoid().data,
            (lambda v: 1.0 / (1.0 + math.exp(v)), sigmoid_layer_slope),
            (_sigma, sigmoid_layer_slope),
        ),
        Erratum(
            "lecture 001, 'Softmax layer' derivative, k = i",
            f"∂y₁/∂z₁ at z = {z}",
            "e^z₁·e^(Σ_{j≠1} zⱼ) / (Σⱼ e^zⱼ)²",
            "e^z₁·Σ_{j≠1} e^zⱼ / (Σⱼ e^zⱼ)² = y₁(1 - y₁)",
            "agree with two classes (one j ≠ i); differ with three or more",
            "z₁",
            z[0],
            lambda v: softmax_notes_slope(_with(z, 0, v), 0, 0),
            lambda v: softmax_slope(_with(z, 0, v), 0, 0),
            _engine_softmax_slope(z, 0, 0),
            softmax_pair(0, 0, softmax_notes_slope),
            softmax_pair(0, 0, softmax_slope),
        ),
        Erratum(
            "lecture 001, 'Softmax layer' derivative, k ≠ i",
            f"∂y₂/∂z₁ at z = {z}",
            "+e^(z₁ + z₂) / (Σⱼ e^zⱼ)²",
            "-e^(z₁ + z₂) / (Σⱼ e^zⱼ)² = -y₁·y₂",
            "opposite sign everywhere: raising z₁ lowers every other yₖ",
            "z₁",
            z[0],
            lambda v: softmax_notes_slope(_with(z, 0, v), 0, 1),
            lambda v: softmax_slope(_with(z, 0, v), 0, 1),
            _engine_softmax_slope(z, 0, 1),
            softmax_pair(0, 1, softmax_notes_slope),
            softmax_pair(0, 1, softmax_slope),
        ),
        Erratum(
            "lecture 001, 'Linear layer' gradient",
            f"∂f₁/∂β₂,₂ of f = Bx, x = {x}",
            "∂f_k/∂β_ij = x_j (for every k)",
            "∂f_k/∂β_ij = x_j if k = i, else 0",
            "agree for k = i; for k ≠ i the weight β_ij does not reach f_k",
            "β₂,₂",
            0.3,
            lambda b: x_j,
            lambda b: 0.0,
            _engine_linear_slope(x, 0, 1, 1),
            (lambda b: 0.3 * x[0] + 0.3 * x[1], lambda b: x_j),
            (lambda b: 0.3 * x[0] + 0.3 * x[1], lambda b: 0.0),
        ),
    ]


def passes_gradcheck(name: str, pair: tuple[Callable, Callable], point: float) -> bool:
    """Does `pair`'s derivative pass `engine.gradcheck` (central differences) at `point`?

    The pair becomes an op of its own (`define_op`, removed again at the end of the block)."""
    forward, derivative = pair
    with define_op(name, forward=forward, derivative=derivative) as op:
        try:
            return gradcheck(lambda v: op(v), [point])
        except GradcheckError:
            return False


def check_erratum(erratum: Erratum, index: int) -> dict:
    """The notes' and the correct quantity at the point, the engine's, and both gradchecks."""
    p = erratum.point
    return {
        "notes": erratum.notes(p),
        "correct": erratum.correct(p),
        "engine": erratum.engine(p),
        "notes_gradcheck": passes_gradcheck(f"notes_erratum{index}", erratum.notes_pair, p),
        "correct_gradcheck": passes_gradcheck(f"fixed_erratum{index}", erratum.correct_pair, p),
    }


def _verdict(passed: bool) -> str:
    return "passes" if passed else "FAILS"


def report_errata() -> tuple[list[dict], bool]:
    """Print each erratum (notes, correction, numbers, gradcheck) and whether every one holds:
    the notes' form disagrees and fails gradcheck, the correction equals the engine and passes."""
    checked, ok = [], True
    for index, erratum in enumerate(errata()):
        r = check_erratum(erratum, index)
        r["what"] = erratum.what
        checked.append(r)
        print(f"  {erratum.what}  ({erratum.where})")
        print(f"      notes:   {erratum.notes_text}")
        print(f"      correct: {erratum.correct_text}")
        print(f"      where they differ: {erratum.differ}")
        print(
            f"      at {erratum.variable} = {fmt(erratum.point)}: notes {fmt(r['notes'])}, "
            f"correct {fmt(r['correct'])}, "
            f"engine {fmt(r['engine'])};  gradcheck: notes' form {_verdict(r['notes_gradcheck'])},"
            f" correct form {_verdict(r['correct_gradcheck'])}"
        )
        ok = ok and holds_erratum(r)
    return checked, ok


def holds_erratum(r: dict) -> bool:
    """The claim about one erratum: the correction is the engine's number and passes gradcheck;
    the notes' form differs from it and fails gradcheck."""
    return (
        abs(r["correct"] - r["engine"]) <= TOLERANCE
        and abs(r["notes"] - r["correct"]) > 1e-6
        and r["correct_gradcheck"]
        and not r["notes_gradcheck"]
    )


def agreements() -> dict[str, float]:
    """Where the notes' form happens to be right: the largest difference on the grid."""
    points = grid(40)
    swish = max(abs(swish_notes_slope(a, 1.0) - swish_slope(a, 1.0)) for a in points)
    two = max(
        abs(softmax_notes_slope((a, 0.5), 0, 0) - softmax_slope((a, 0.5), 0, 0)) for a in points
    )
    return {"swish at β = 1": swish, "softmax ∂yᵢ/∂zᵢ with two classes": two}


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
    results, worst, central = {}, 0.0, 0.0
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
            f"  {'':11}  largest relative difference: g {r['worst_g']:.1e}, g' {r['worst_dg']:.1e};"
            f" table's g' vs central differences of its g: {r['worst_cd']:.1e}"
        )
        central = max(central, r["worst_cd"])

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

    rule("Where the notes are wrong: their formula, the correct one, the numbers")
    checked, errata_ok = report_errata()
    agree = agreements()
    for case, difference in agree.items():
        print(f"  the notes' form is right for {case}: largest difference {difference:.1e}")
    errata_ok = errata_ok and all(d <= TOLERANCE for d in agree.values())
    print(
        f"  every correction equals the engine and passes gradcheck, every notes' form fails it: "
        f"{'yes' if errata_ok else 'NO'}"
    )

    rule("Picture")
    files = []
    picture = plot_table(points, results, out, 80 if quick else 110, 2 if quick else 20)
    if picture is not None:
        files.append(picture)
    table_ok = worst <= TOLERANCE and central <= CENTRAL_TOLERANCE
    print(
        f"  every row agrees with its formula: {'yes' if table_ok else 'NO'} "
        f"(largest difference {worst:.1e}; formulas vs central differences {central:.1e})"
    )
    return {
        "ok": table_ok and errata_ok,
        "files": files,
        "worst_error": worst,
        "worst_central": central,
        "errata": checked,
        "agreements": agree,
        "points": len(points),
        "activations": [row[0] for row in TABLE],
        "kink_slopes": kinks,
    }


def main(argv: list[str] | None = None) -> int:
    return demo_main("activations", run, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
