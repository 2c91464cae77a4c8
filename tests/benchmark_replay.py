"""Replay's figures: the MLP training step replayed, against its peers, in one run.

    python tests/benchmark_replay.py           # about a minute
    python tests/benchmark_replay.py --quick   # fewer repeats, to check the script works

The step is the one of `tests/benchmark_training.py`: ``MLP(2, [16, 16, 1])``, 100 moons points,
mean hinge loss + 1e-4·Σ p², backward, one SGD update. Reported:

* ms per step: eager chainrule, replay on floats (generated code), replay through the
  interpreter loop, replay on a numpy batch, plain floats with a hand-written backward, PyTorch on
  batched float64 tensors, micrograd (the peers that are installed);
* the ratios the replay issue set targets for: replay on floats vs plain floats (target ≤ 5x),
  replay on numpy vs PyTorch batched (target ≤ 2x), and the speed-ups over eager and micrograd;
* the one-off cost: seconds to trace the per-example program and to generate and compile its
  code, and the memory the program holds (tracemalloc).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.benchmark_training import ALPHA, LR, SIZES, _moons, step_ms

__all__ = ["interpreter_step", "trace_cost"]


def interpreter_step() -> Callable[[], float]:
    """The replayed step with the interpreter loop instead of generated code."""
    from engine import trace
    from nn import MLP, optim

    X, y = _moons()
    model = MLP(2, SIZES[1:], activation="relu", seed=0)
    opt = optim.SGD(model.parameters(), lr=LR)
    params = model.parameters()
    program = trace(lambda x, t: (1.0 - model(x) * t).relu(), X[0], y[0])
    from nn import losses

    l2 = trace(lambda: ALPHA * losses.l2(params))
    n = len(X)

    def step() -> float:
        opt.zero_grad()
        reg = l2.backward(via="interpreter")
        terms = [0.0] * n
        for i in range(n - 1, -1, -1):
            terms[i] = program.backward(X[i], float(y[i]), seed=1.0 / n, via="interpreter")
        total = terms[0]
        for term in terms[1:]:
            total += term
        opt.step()
        return total * (1.0 / n) + reg

    return step


def trace_cost() -> dict[str, float]:
    """Seconds to trace the per-example program and to generate and compile its float code
    (timed without tracemalloc), then the bytes each holds (a second run, under tracemalloc)."""
    from engine import trace
    from nn import MLP

    X, y = _moons()
    model = MLP(2, SIZES[1:], activation="relu", seed=0)
    row, seed = [(*X[0], float(y[0]))], [(1.0,)]

    def example(x, t):
        return (1.0 - model(x) * t).relu()

    started = time.perf_counter()
    program = trace(example, X[0], y[0])
    traced = time.perf_counter() - started
    started = time.perf_counter()
    program.backward_rows(row, seed)
    compiled = time.perf_counter() - started
    del program
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    program = trace(example, X[0], y[0])
    gc.collect()
    after_trace = tracemalloc.get_traced_memory()[0]
    program.backward_rows(row, seed)
    after_compile = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return {
        "instructions": len(program),
        "trace_s": traced,
        "compile_s": compiled,
        "program_bytes": after_trace - before,
        "code_bytes": after_compile - after_trace,
    }


def _median_ms(make: Callable[[], Callable[[], float]], repeats: int) -> float:
    step = make()
    step()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e3


def _ratio(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else 7
    names = ["floats", "replay", "replay_numpy", "pytorch_batched", "chainrule", "micrograd"]
    ms: dict[str, float | None] = {}
    for name in names:
        slow = name in ("chainrule", "micrograd")
        ms[name] = step_ms(name, max(1, repeats // 3) if slow else repeats)
    ms["interpreter"] = _median_ms(interpreter_step, 1 if args.quick else 3)
    cost = trace_cost()
    print(f"python {sys.version.split()[0]}; one MLP(2, [16, 16, 1]) step on 100 points (ms)")
    for name in ["replay", "replay_numpy", "interpreter", *names[3:], "floats"]:
        value = ms.get(name)
        print(f"  {name:<16} {'n/a' if value is None else f'{value:9.2f}'}")
    print("ratios (lower is better for replay):")
    print(f"  replay (floats) / plain floats        {_ratio(ms['replay'], ms['floats'])}")
    numpy_vs_torch = _ratio(ms["replay_numpy"], ms["pytorch_batched"])
    print(f"  replay (numpy) / PyTorch batched      {numpy_vs_torch}")
    print(f"  replay (interpreter) / replay (code)  {_ratio(ms['interpreter'], ms['replay'])}")
    print(f"  eager chainrule / replay (floats)     {_ratio(ms['chainrule'], ms['replay'])}")
    print(f"  micrograd / replay (floats)           {_ratio(ms['micrograd'], ms['replay'])}")
    print(f"  micrograd / replay (numpy)            {_ratio(ms['micrograd'], ms['replay_numpy'])}")
    print(
        f"one-off: trace {cost['trace_s'] * 1e3:.0f} ms, generate + compile the float code "
        f"{cost['compile_s'] * 1e3:.0f} ms; {cost['instructions']:.0f} instructions, "
        f"program {cost['program_bytes'] / 1024:.0f} KiB, compiled code "
        f"{cost['code_bytes'] / 1024:.0f} KiB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
