"""Step 5 of the benchmark: one full-batch training step of ``MLP(2, [16, 16, 1])``.

The step is micrograd's demo (``demo.ipynb``): 100 moons points, forward on all of them, the mean
hinge loss max(0, 1 - y·s) plus 1e-4·Σ p², zero_grad, backward, one SGD update. Each engine runs
the same step on the same data with its own code:

* ``chainrule``  `nn.MLP`, `nn.losses`, `nn.optim.SGD`, as a user would write it;
* ``replay``     the same model, loss and optimiser trained through replay as ``fit(...,
                 compile="float")`` does it: one traced program per example, replayed on floats;
* ``replay_numpy`` the same through replay on a numpy batch (``compile="numpy"``; None without
                 numpy);
* ``micrograd``  its own ``micrograd.nn.MLP`` and the demo's loss code (None if not installed);
* ``pytorch``    a port with one 0-d float64 tensor per scalar, the same structure (None without
                 torch);
* ``pytorch_batched`` PyTorch as people use it: float64 tensors of the whole batch, weight
                 matrices, one matmul per layer (None without torch);
* ``floats``     plain Python floats with a hand-written backward: the speed limit of Python.

The garbage collector stays on. A step's graph is dropped when the step returns, inside the timed
region, for every engine (freeing the graph is part of the cost of a step).

    python tests/benchmark_training.py     # prints one figure per engine
"""

from __future__ import annotations

import math
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nn import MLP, data, losses, optim

ALPHA = 1e-4  # the L2 coefficient of micrograd's demo
LR = 0.05  # a fixed learning rate (the demo decays from 1.0; the cost of a step is the same)
SIZES = [2, 16, 16, 1]

__all__ = ["step_ms", "ENGINES"]


def _moons() -> tuple[list[list[float]], list[int]]:
    return data.make_moons(100, noise=0.1, seed=0)  # ±1 labels


# --------------------------------------------------------------------------------------------
# chainrule
# --------------------------------------------------------------------------------------------


def chainrule_step() -> Callable[[], float]:
    X, y = _moons()
    model = MLP(2, SIZES[1:], activation="relu", seed=0)
    opt = optim.SGD(model.parameters(), lr=LR)

    def step() -> float:
        scores = [model(x) for x in X]
        loss = losses.hinge(scores, y) + ALPHA * losses.l2(model.parameters())
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.data

    return step


# --------------------------------------------------------------------------------------------
# chainrule through replay (nn.fit(compile=...)'s objective)
# --------------------------------------------------------------------------------------------


def replay_step(mode: str = "float") -> Callable[[], float] | None:
    """One step as ``fit(..., compile=mode)`` takes it; the first call traces and compiles."""
    if mode == "numpy":
        try:
            import numpy  # noqa: F401
        except ImportError:
            return None
    from nn.compiled import CompiledObjective

    X, y = _moons()
    model = MLP(2, SIZES[1:], activation="relu", seed=0)
    opt = optim.SGD(model.parameters(), lr=LR)
    objective = CompiledObjective(model, losses.hinge, "hinge", ALPHA, model.parameters(), mode)

    def step() -> float:
        opt.zero_grad()
        value, _ = objective.run(X, y)
        opt.step()
        return value

    return step


def replay_numpy_step() -> Callable[[], float] | None:
    return replay_step("numpy")


# --------------------------------------------------------------------------------------------
# micrograd (its own MLP and the demo's loss)
# --------------------------------------------------------------------------------------------


def micrograd_backward(root, depth: int) -> None:
    """micrograd's ``root.backward()`` with room for a recursive walk `depth` nodes deep (its
    topological sort recurses; the default limit of 1,000 fails on these graphs)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, depth))
    try:
        root.backward()
    finally:
        sys.setrecursionlimit(limit)


def micrograd_step() -> Callable[[], float] | None:
    try:
        from micrograd.engine import Value as MgValue
        from micrograd.nn import MLP as MgMLP
    except ImportError:
        return None
    X, y = _moons()
    random.seed(1337)  # micrograd draws its weights from the global generator
    model = MgMLP(2, SIZES[1:])

    def step() -> float:
        inputs = [list(map(MgValue, row)) for row in X]
        scores = list(map(model, inputs))
        hinge = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        data_loss = sum(hinge) * (1.0 / len(hinge))
        reg_loss = ALPHA * sum(p * p for p in model.parameters())
        total = data_loss + reg_loss
        model.zero_grad()
        micrograd_backward(total, 10_000)
        for p in model.parameters():
            p.data -= LR * p.grad
        return total.data

    return step


# --------------------------------------------------------------------------------------------
# PyTorch, one 0-d float64 tensor per scalar
# --------------------------------------------------------------------------------------------


def pytorch_step() -> Callable[[], float] | None:
    try:
        import torch
    except ImportError:
        return None
    X, y = _moons()
    rng = random.Random(0)

    def scalar(x: float):
        return torch.tensor(x, dtype=torch.float64, requires_grad=True)

    layers = [
        [([scalar(rng.uniform(-1, 1)) for _ in range(nin)], scalar(0.0)) for _ in range(nout)]
        for nin, nout in zip(SIZES, SIZES[1:])
    ]
    params = [p for layer in layers for ws, b in layer for p in (*ws, b)]
    last = len(layers) - 1

    def model(x):
        for i, layer in enumerate(layers):
            out = []
            for ws, b in layer:
                act = b
                for w, xi in zip(ws, x):
                    act = act + w * xi
                out.append(act.relu() if i != last else act)
            x = out
        return x[0]

    def step() -> float:
        scores = [model(row) for row in X]
        hinge = [(1 - yi * si).relu() for yi, si in zip(y, scores)]
        total = sum(hinge) * (1.0 / len(hinge)) + ALPHA * sum(p * p for p in params)
        for p in params:
            p.grad = None
        total.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
        return total.item()

    return step


def pytorch_batched_step() -> Callable[[], float] | None:
    """The MLP step with batched float64 tensors: (100, 2) inputs, weight matrices, matmuls."""
    try:
        import torch
    except ImportError:
        return None
    X, y = _moons()
    rng = random.Random(0)
    inputs = torch.tensor(X, dtype=torch.float64)
    targets = torch.tensor(y, dtype=torch.float64)
    weights = [
        torch.tensor(
            [[rng.uniform(-1, 1) for _ in range(nin)] for _ in range(nout)],
            dtype=torch.float64,
            requires_grad=True,
        )
        for nin, nout in zip(SIZES, SIZES[1:])
    ]
    biases = [torch.zeros(n, dtype=torch.float64, requires_grad=True) for n in SIZES[1:]]
    params = weights + biases

    def step() -> float:
        h = inputs
        for i, (w, b) in enumerate(zip(weights, biases)):
            h = h @ w.T + b
            if i < len(weights) - 1:
                h = h.relu()
        hinge = (1 - targets * h[:, 0]).relu().mean()
        total = hinge + ALPHA * sum((p * p).sum() for p in params)
        for p in params:
            p.grad = None
        total.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
        return total.item()

    return step


# --------------------------------------------------------------------------------------------
# Plain floats with a hand-written backward pass
# --------------------------------------------------------------------------------------------


def floats_step() -> Callable[[], float]:
    X, y = _moons()
    rng = random.Random(0)
    W = [
        [[rng.uniform(-1, 1) for _ in range(nin)] for _ in range(nout)]
        for nin, nout in zip(SIZES, SIZES[1:])
    ]
    B = [[0.0] * nout for nout in SIZES[1:]]
    last = len(W) - 1
    n = len(X)

    def step() -> float:
        gW = [[[0.0] * len(row) for row in Wl] for Wl in W]
        gB = [[0.0] * len(bl) for bl in B]
        data_loss = 0.0
        for x, t in zip(X, y):
            acts = [x]  # the input of each layer, then the output
            pre = []
            for i, (Wl, bl) in enumerate(zip(W, B)):
                a = acts[-1]
                z = [b + sum(w * ai for w, ai in zip(row, a)) for row, b in zip(Wl, bl)]
                pre.append(z)
                acts.append(z if i == last else [zi if zi > 0.0 else 0.0 for zi in z])
            score = acts[-1][0]
            margin = 1.0 - t * score
            if margin <= 0.0:
                continue
            data_loss += margin
            out_bar = [-t / n]  # ∂(mean hinge)/∂score
            for i in range(last, -1, -1):
                z, a = pre[i], acts[i]
                z_bar = (
                    out_bar if i == last else [g if zi > 0.0 else 0.0 for g, zi in zip(out_bar, z)]
                )
                for j, g in enumerate(z_bar):
                    if g:
                        gB[i][j] += g
                        row = gW[i][j]
                        for k, ak in enumerate(a):
                            row[k] += g * ak
                if i:
                    Wl = W[i]
                    out_bar = [
                        sum(z_bar[j] * Wl[j][k] for j in range(len(z_bar))) for k in range(len(a))
                    ]
        reg = 0.0
        for Wl, gWl, bl, gbl in zip(W, gW, B, gB):
            for j, (row, grow) in enumerate(zip(Wl, gWl)):
                for k, w in enumerate(row):
                    reg += w * w
                    row[k] = w - LR * (grow[k] + 2.0 * ALPHA * w)
                b = bl[j]
                reg += b * b
                bl[j] = b - LR * (gbl[j] + 2.0 * ALPHA * b)
        return data_loss / n + ALPHA * reg

    return step


ENGINES: dict[str, Callable[[], Callable[[], float] | None]] = {
    "chainrule": chainrule_step,
    "replay": replay_step,
    "replay_numpy": replay_numpy_step,
    "micrograd": micrograd_step,
    "pytorch": pytorch_step,
    "pytorch_batched": pytorch_batched_step,
    "floats": floats_step,
}


def step_ms(engine_name: str, repeats: int) -> float | None:
    """The median ms of one training step for `engine_name` (None if that engine is missing).

    One untimed warm-up step, then `repeats` timed steps; the garbage collector stays on.
    """
    if engine_name not in ENGINES:
        raise ValueError(f"unknown engine {engine_name!r}; choose one of {', '.join(ENGINES)}")
    if type(repeats) is not int or repeats < 1:
        raise ValueError(f"repeats must be a positive integer, got {repeats!r}")
    step = ENGINES[engine_name]()
    if step is None:
        return None
    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - start)
        if not math.isfinite(loss):
            raise RuntimeError(f"{engine_name}: the training step diverged (loss {loss!r})")
    return statistics.median(times) * 1e3


def main() -> int:
    results = {name: step_ms(name, 5) for name in ENGINES}
    for name, ms in results.items():
        print(f"{name:<16} {'n/a' if ms is None else f'{ms:8.1f} ms'}")
    ours, theirs = results["chainrule"], results["micrograd"]
    if ours and theirs:
        print(f"chainrule is {theirs / ours:.1f}x faster than micrograd")
    print("(python tests/benchmark_replay.py adds trace time, memory and the replay ratios)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
