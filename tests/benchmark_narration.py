"""Time the narration of a backward pass: microseconds per narrated step.

    python tests/benchmark_narration.py            # MLP(2, [16, 16, 1]) on 20 moons points
    python tests/benchmark_narration.py --quick    # a small graph, to check the script works

Narrating costs more than stepping: every printed equation is checked to recompute from its
printed numbers (`engine.core.numfmt.equation`), which is a few formatting passes per line. The
figure is the best of several repeats of ``"\\n".join(str(s) for s in backward_steps(loss))``;
the steps alone (no text) are timed beside it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def best_of(repeats: int, fn) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small graph")
    args = parser.parse_args(argv)

    import nn
    from engine import backward_steps
    from nn import data, losses

    points, widths, repeats = (4, [4, 1], 2) if args.quick else (20, [16, 16, 1], 5)
    X, y = data.make_moons(points, noise=0.1, seed=0)
    model = nn.MLP(2, widths, seed=0)
    loss = losses.hinge([model(x) for x in X], y)
    steps = sum(1 for _ in backward_steps(loss))
    quiet = best_of(repeats, lambda: list(backward_steps(loss)))
    told = best_of(repeats, lambda: "\n".join(str(s) for s in backward_steps(loss)))
    print(f"graph: MLP(2, {widths}) on {points} points, {steps} steps")
    print(f"steps only   {1e6 * quiet / steps:8.1f} µs per step")
    print(f"narrated     {1e6 * told / steps:8.1f} µs per step")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
