"""Benchmark chainrule against micrograd, PyTorch float64 scalars and plain Python floats.

    python tests/benchmark.py            # full run (about a minute)
    python tests/benchmark.py --quick    # small sizes, to check the script itself works

Measurements, all taken in one run so the ratios are fair:

1. ns per op to build a chain of mixed ops: ``x = tanh(x * w_i + c_i)`` (3 ops per link);
2. ns per node of ``backward()`` over that chain (nodes = ops + leaves, the same for every engine);
3. bytes per node (tracemalloc) of a graph of about 100,000 nodes;
4. seconds for ``backward()`` of a chain of about 1,000,000 nodes;
5. ms for one full-batch training step of ``MLP(2, [16, 16, 1])`` on 100 moons points with
   hinge loss + L2 (forward, zero_grad, backward, update).

Measured as users run it: the garbage collector stays on, and ``gc.freeze()`` is called after the
imports so that importing torch does not tax the others. Each figure is the median of several
repeats. micrograd (``pip install micrograd``) and torch are optional: a missing peer is reported,
not fatal. micrograd has no tanh, so the benchmark gives it one written in micrograd's own closure
style; micrograd's recursive topological sort needs a raised recursion limit for the chain.
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Value

try:
    import micrograd.engine as _mg
except ImportError:  # optional peer
    _mg = None
try:
    import torch
except ImportError:  # optional peer
    torch = None

gc.collect()
gc.freeze()  # everything imported so far is permanent: later collections skip it


# --------------------------------------------------------------------------------------------
# The engines under test: each builds the same chain and backpropagates through it
# --------------------------------------------------------------------------------------------


def _micrograd_tanh(self):
    """tanh for micrograd, in micrograd's own style (a closure per node)."""
    t = math.tanh(self.data)
    out = _mg.Value(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t * t) * out.grad

    out._backward = _backward
    return out


if _mg is not None:
    _mg.Value.tanh = _micrograd_tanh


class Engine:
    """How one library makes leaves, builds the chain and runs backward."""

    name = ""

    def leaves(self, n: int) -> tuple:
        raise NotImplementedError

    def build(self, x, ws, cs):
        for w, c in zip(ws, cs):
            x = (x * w + c).tanh()
        return x

    def backward(self, root) -> None:
        root.backward()


class Chainrule(Engine):
    name = "chainrule"

    def leaves(self, n):
        return Value(0.5), [Value(0.3 + 1e-6 * i) for i in range(n)], [Value(0.1) for _ in range(n)]


class Micrograd(Engine):
    name = "micrograd"

    def leaves(self, n):
        V = _mg.Value
        return V(0.5), [V(0.3 + 1e-6 * i) for i in range(n)], [V(0.1) for _ in range(n)]

    def backward(self, root):
        from tests.benchmark_training import micrograd_backward

        micrograd_backward(root, 200_000)


class TorchScalars(Engine):
    name = "pytorch"

    def leaves(self, n):
        def t(v):
            return torch.tensor(v, dtype=torch.float64, requires_grad=True)

        return t(0.5), [t(0.3 + 1e-6 * i) for i in range(n)], [t(0.1) for _ in range(n)]


class PlainFloats(Engine):
    """Plain floats with a hand-written derivative: the speed limit of Python itself."""

    name = "floats"

    def leaves(self, n):
        return 0.5, [0.3 + 1e-6 * i for i in range(n)], [0.1] * n

    def build(self, x, ws, cs):
        tape = []  # (x, w, tanh output) per link: what the hand-written backward needs
        for w, c in zip(ws, cs):
            t = math.tanh(x * w + c)
            tape.append((x, w, t))
            x = t
        return tape

    def backward(self, tape):
        x_bar = 1.0
        w_bars = []
        for x, w, t in reversed(tape):
            z_bar = x_bar * (1.0 - t * t)
            w_bars.append(z_bar * x)
            x_bar = z_bar * w
        return x_bar, w_bars


def available_engines() -> list[Engine]:
    engines: list[Engine] = [Chainrule()]
    if _mg is not None:
        engines.append(Micrograd())
    if torch is not None:
        engines.append(TorchScalars())
    engines.append(PlainFloats())
    return engines


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------


def _nodes(links: int) -> int:
    """Nodes in a chain of `links` links: 3 ops and 2 leaves per link, plus the input."""
    return 5 * links + 1


def median_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure_chain(engine: Engine, ops: int, repeats: int) -> tuple[float, float]:
    """(ns per op to build, ns per node for backward) on a chain of `ops` ops."""
    links = ops // 3
    build_times, backward_times = [], []
    for _ in range(repeats):
        x, ws, cs = engine.leaves(links)
        start = time.perf_counter()
        root = engine.build(x, ws, cs)
        build_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        engine.backward(root)
        backward_times.append(time.perf_counter() - start)
        del root, x, ws, cs
    return (
        statistics.median(build_times) / (3 * links) * 1e9,
        statistics.median(backward_times) / _nodes(links) * 1e9,
    )


def measure_memory(engine: Engine, nodes: int) -> float:
    """Bytes per node of a chain graph (leaves included), as tracemalloc sees Python allocations."""
    links = nodes // 5
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    x, ws, cs = engine.leaves(links)
    root = engine.build(x, ws, cs)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del root, x, ws, cs
    return (after - before) / _nodes(links)


def measure_deep_backward(engine: Engine, nodes: int) -> str:
    """Seconds for backward() of a chain of about `nodes` nodes, or why it failed."""
    links = nodes // 5
    x, ws, cs = engine.leaves(links)
    root = engine.build(x, ws, cs)
    del x, ws, cs
    backward = root.backward if isinstance(engine, Micrograd) else (lambda: engine.backward(root))
    try:  # micrograd is run as users run it: default recursion limit
        start = time.perf_counter()
        backward()
        return f"{time.perf_counter() - start:.2f} s"
    except RecursionError:
        return f"fails (RecursionError at the default limit {sys.getrecursionlimit()})"


def measure_modes(ops: int, repeats: int) -> dict[str, float]:
    """chainrule's other modes on the same chain: anomaly mode (build ns/op, backward ns/node,
    bytes/node with its creation sites) and ``grad(create_graph=True)`` (ns/node, and nodes of
    the gradient graph per node of the chain)."""
    import engine

    engine_ = Chainrule()
    links = ops // 3
    build, backward, graph = [], [], []
    with engine.detect_anomaly():  # a fresh mode: no sites of earlier nodes to reuse
        anomaly_bytes = measure_memory(engine_, 5 * links)
    with engine.detect_anomaly():
        for _ in range(repeats):
            x, ws, cs = engine_.leaves(links)
            start = time.perf_counter()
            root = engine_.build(x, ws, cs)
            build.append(time.perf_counter() - start)
            start = time.perf_counter()
            root.backward()
            backward.append(time.perf_counter() - start)
            del root, x, ws, cs
    for _ in range(repeats):
        x, ws, cs = engine_.leaves(links)
        root = engine_.build(x, ws, cs)
        start = time.perf_counter()
        (g,) = engine.grad(root, x, create_graph=True)
        graph.append(time.perf_counter() - start)
        size = len(engine.topological_order(g))
        del root, x, ws, cs, g
    nodes = _nodes(links)
    return {
        "anomaly_build": statistics.median(build) / (3 * links) * 1e9,
        "anomaly_backward": statistics.median(backward) / nodes * 1e9,
        "anomaly_bytes": anomaly_bytes,
        "create_graph": statistics.median(graph) / nodes * 1e9,
        "graph_nodes_per_node": size / nodes,
    }


def measure_training_step(engine_name: str, repeats: int) -> float | None:
    """ms per full-batch MLP(2, [16, 16, 1]) step on 100 moons points (hinge + L2), or None."""
    try:
        from tests import benchmark_training
    except ImportError:
        return None
    return benchmark_training.step_ms(engine_name, repeats)


def report_checkpoint_load(repeats: int) -> None:
    """Print the seconds to load a 40,401-parameter checkpoint (``MLP(200, [200, 1])``).

    Both ways: ``MLP.load(path)`` (build the model from the file) and ``model.load(path)`` (refill
    one). Loading is linear in the file size (it was quadratic: 97 s in issue 11).
    """
    import tempfile

    from nn import MLP

    model = MLP(200, [200, 1], seed=0)
    count = model.num_parameters()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mlp.json"
        model.save(path)
        build = median_time(lambda: MLP.load(path), repeats)
        refill = median_time(lambda: model.load(path), repeats)
        size = path.stat().st_size
    print(
        f"checkpoint load, {count:,} parameters: {build:.3f} s "
        f"(MLP.load; model.load: {refill:.3f} s; file {size / 1e6:.1f} MB)"
    )


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def measure_player_page(links: int) -> str:
    """The HTML player for a chain of `links` tanh links, ``x = tanh(x * w_i)`` (3 Values a link;
    100 links = 301 Values): page size and write time. Before the linear page (one SVG per
    step) 100 links gave 139 MB in 34 s; the issue reported 352 MB in 72 s."""
    import tempfile

    from engine.draw import DrawError
    from engine.step import Stepper

    x = Value(0.5, label="x")
    for i in range(links):
        x = (x * Value(0.9, label=f"w{i}")).tanh()
    stepper = Stepper(x)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        try:
            path = stepper.save_html(Path(folder) / "chain.html")
        except DrawError as exc:
            return f"n/a ({exc})"
        seconds = time.perf_counter() - start
        size = path.stat().st_size
    return f"{stepper.total} values, {links} tanh links: {size / 1e6:.2f} MB in {seconds:.2f} s"


def _ratio(ours: float, theirs: float | None) -> str:
    if theirs is None or ours is None or ours == 0:
        return "—"
    return f"{theirs / ours:.1f}x"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (checks the script runs)")
    args = parser.parse_args(argv)
    ops, mem_nodes, deep_nodes, repeats = (
        (600, 2_000, 10_000, 2) if args.quick else (20_000, 100_000, 1_000_000, 5)
    )

    engines = available_engines()
    missing = [name for name, mod in (("micrograd", _mg), ("pytorch", torch)) if mod is None]
    print(
        f"python {sys.version.split()[0]}, gc on (frozen after imports); "
        f"{'quick mode; ' if args.quick else ''}"
        f"missing peers: {', '.join(missing) or 'none'}"
    )

    results: dict[str, dict[str, object]] = {}
    for engine in engines:
        build_ns, backward_ns = measure_chain(engine, ops, repeats)
        row: dict[str, object] = {"build": build_ns, "backward": backward_ns}
        row["bytes"] = (
            measure_memory(engine, mem_nodes) if engine.name not in ("pytorch", "floats") else None
        )
        row["deep"] = measure_deep_backward(engine, deep_nodes) if engine.name != "floats" else "—"
        row["mlp"] = measure_training_step(engine.name, 1 if args.quick else 3)
        results[engine.name] = row

    ours = results["chainrule"]
    header = (
        f"{'engine':<10} {'build ns/op':>12} {'backward ns/node':>17} {'bytes/node':>11} "
        f"{'MLP step ms':>12}  {'backward of a ' + format(deep_nodes, ',') + '-node chain'}"
    )
    print(header)
    print("-" * len(header))
    for name, row in results.items():
        size = f"{row['bytes']:.0f}" if row["bytes"] is not None else "n/a"
        mlp = f"{row['mlp']:.1f}" if row["mlp"] is not None else "n/a"
        print(
            f"{name:<10} {row['build']:>12.0f} {row['backward']:>17.0f} {size:>11} {mlp:>12}  "
            f"{row['deep']}"
        )
    print()
    for peer in ("micrograd", "pytorch"):
        if peer not in results:
            continue
        theirs = results[peer]
        print(
            f"chainrule vs {peer}: build {_ratio(ours['build'], theirs['build'])} faster, "
            f"backward {_ratio(ours['backward'], theirs['backward'])} faster, "
            f"memory {_ratio(ours['bytes'], theirs['bytes'])} smaller, "
            f"MLP step {_ratio(ours['mlp'], theirs['mlp'])} faster"
        )
    floats = results["floats"]
    print(
        f"plain floats (no graph, hand-written derivatives) are "
        f"{_ratio(floats['build'], ours['build'])} faster to compute and "
        f"{_ratio(floats['backward'], ours['backward'])} faster to differentiate: "
        f"the price of recording a graph in Python"
    )
    print("(pytorch's bytes/node is n/a: its tensors live in C++ memory tracemalloc cannot see)")
    modes = measure_modes(ops, repeats)
    slower_build = modes["anomaly_build"] / ours["build"]
    slower_backward = modes["anomaly_backward"] / ours["backward"]
    print(
        f"chainrule in anomaly mode: build {modes['anomaly_build']:.0f} ns/op "
        f"({slower_build:.1f}x), backward {modes['anomaly_backward']:.0f} ns/node "
        f"({slower_backward:.1f}x), "
        f"{modes['anomaly_bytes']:.0f} bytes/node with the creation sites "
        f"(off, the rows above: no hook, no site, no extra slot)"
    )
    print(
        f"chainrule grad(create_graph=True): {modes['create_graph']:.0f} ns/node "
        f"({modes['create_graph'] / ours['backward']:.1f}x backward()), "
        f"{modes['graph_nodes_per_node']:.1f} gradient-graph nodes per node"
    )
    print(f"HTML player page: {measure_player_page(10 if args.quick else 100)}")
    report_checkpoint_load(1 if args.quick else 5)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
