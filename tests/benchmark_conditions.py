"""How the speed ratio against micrograd depends on the conditions of the measurement.

    python tests/benchmark_conditions.py            # about a minute
    python tests/benchmark_conditions.py --quick    # small sizes, to check the script works

The same two engines (chainrule and micrograd, with the benchmark's closure-style tanh) build and
backpropagate the same graphs under three conditions that differ between harnesses:

1. graph size: a chain ``x = tanh(x * w_i + c_i)`` of 300, 3,000 and 30,000 ops, each built once;
2. the garbage collector on (as users run Python) or off;
3. graph shape: one long chain, or many small graphs (the neuron ``tanh(x1*w1 + x2*w2 + b)``
   rebuilt 2,000 times, as a training loop rebuilds per-example graphs).

Each row alternates the engines repeat by repeat (so a busy machine slows both alike) and prints
medians. micrograd's node holds a closure that refers back to the node: a reference cycle per
node, which the cyclic garbage collector must trace, and its gen-2 collections grow with the live
graph; chainrule's nodes hold no cycles. So with gc on the ratio grows with the graph's size,
and with gc off or on small graphs it is much smaller.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Value

try:
    import micrograd.engine as _mg
except ImportError:  # optional peer
    _mg = None


def _micrograd_value() -> Any:
    from tests import benchmark  # installs the closure-style tanh on micrograd's Value

    assert benchmark._mg is not None
    return _mg.Value  # type: ignore[union-attr]


def chain(make: Callable[[float], Any], links: int) -> tuple[float, float]:
    """(ns per op to build, ns per node for backward) of one chain of 3·links ops."""
    x = make(0.5)
    ws = [make(0.3 + 1e-6 * i) for i in range(links)]
    cs = [make(0.1) for _ in range(links)]
    start = time.perf_counter()
    for w, c in zip(ws, cs):
        x = (x * w + c).tanh()
    built = time.perf_counter()
    x.backward()
    done = time.perf_counter()
    return (built - start) / (3 * links) * 1e9, (done - built) / (5 * links + 1) * 1e9


def small_graphs(make: Callable[[float], Any], count: int) -> tuple[float, float]:
    """(ns per op, ns per node) over `count` neurons tanh(x1*w1 + x2*w2 + b), 5 ops, 10 nodes."""
    build = back = 0.0
    for i in range(count):
        x1, x2, w1, w2, b = make(0.01 * i), make(0.2), make(0.3), make(-0.4), make(0.5)
        start = time.perf_counter()
        out = (x1 * w1 + x2 * w2 + b).tanh()
        built = time.perf_counter()
        out.backward()
        back += time.perf_counter() - built
        build += built - start
    return build / (5 * count) * 1e9, back / (10 * count) * 1e9


def compare(run: Callable[[Callable[[float], Any]], tuple[float, float]], repeats: int) -> str:
    mg = _micrograd_value()
    ours, theirs = [], []
    for _ in range(repeats):
        ours.append(run(Value))
        gc.collect()
        theirs.append(run(mg))
        gc.collect()
    build = [statistics.median(r[k] for r in rows) for rows in (ours, theirs) for k in (0, 1)]
    return (
        f"build {build[0]:6.0f} vs {build[2]:6.0f} ns/op ({build[2] / build[0]:4.1f}x)   "
        f"backward {build[1]:5.0f} vs {build[3]:5.0f} ns/node ({build[3] / build[1]:4.1f}x)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (checks the script runs)")
    args = parser.parse_args(argv)
    if _mg is None:
        print("micrograd is not installed (pip install micrograd): nothing to compare")
        return 0
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 200_000))  # micrograd's recursive sort
    sizes = (100, 1_000) if args.quick else (100, 1_000, 10_000)
    repeats, count = (2, 200) if args.quick else (5, 2_000)
    gc.collect()
    gc.freeze()
    print(f"python {sys.version.split()[0]}: chainrule vs micrograd, medians of {repeats} runs")
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        label = "gc on " if enabled else "gc off"
        for links in sizes:
            row = compare(lambda make, n=links: chain(make, n), repeats)
            print(f"{label} chain of {3 * links:>6,} ops:   {row}")
        row = compare(lambda make: small_graphs(make, count), repeats)
        print(f"{label} {count:,} small graphs:  {row}")
    gc.enable()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
