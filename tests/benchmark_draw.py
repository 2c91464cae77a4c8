"""Benchmark `draw_dot`: time to produce the DOT text of a graph of about 10,000 Values.

    python tests/benchmark_draw.py            # 10,000-node graphs, median of 7 runs each
    python tests/benchmark_draw.py --quick    # small sizes, to check the script itself works
    python tests/benchmark_draw.py --layout   # also time SVG layout of a small MLP per renderer

The graph is an MLP-shaped expression (layers of tanh(Σ w·x + b)), the shape `nn` makes. Layout by
Graphviz is not part of the DOT figure: it grows faster than linearly, which is why `draw_dot`
refuses to lay out more than `max_nodes` Values.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import (
    Parameter,
    Value,
    draw,
    draw_dot,
    sequence_mark,
)


class _Module:
    """A duck-typed module (as nn provides): named_modules(), parameters(), _span."""

    def __init__(self, params=(), children=()):
        self.params, self.children, self._span = list(params), list(children), None

    def parameters(self):
        found = list(self.params)
        for child in self.children:
            found += child.parameters()
        return found

    def named_modules(self):
        stack = [("", self)]
        while stack:
            name, module = stack.pop()
            yield name, module
            for i, child in reversed(list(enumerate(module.children))):
                stack.append((f"{name}.{i}" if name else str(i), child))


def mlp_graph(n_in: int, sizes: list[int], seed: int = 0) -> tuple[Value, _Module]:
    """An MLP forward pass on one input, with one module per neuron and per layer."""
    rng = random.Random(seed)
    xs = [Value(rng.uniform(-1, 1), label=f"x{i}") for i in range(n_in)]
    layers = []
    model_start = sequence_mark()
    for size in sizes:
        neurons, ys = [], []
        layer_start = sequence_mark()
        for _ in range(size):
            ws = [Parameter(rng.uniform(-1, 1), label="w") for _ in xs]
            b = Parameter(0.0, label="b")
            neuron = _Module(ws + [b])
            start = sequence_mark()
            act = b
            for w, x in zip(ws, xs):
                act = act + w * x
            ys.append(act.tanh())
            neuron._span = (start, sequence_mark())
            neurons.append(neuron)
        layer = _Module(children=neurons)
        layer._span = (layer_start, sequence_mark())
        layers.append(layer)
        xs = ys
    out = xs[0]
    for y in xs[1:]:
        out = out + y
    model = _Module(children=layers)
    model._span = (model_start, sequence_mark())
    out.backward()
    return out, model


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--layout", action="store_true", help="also time SVG layout")
    args = parser.parse_args()
    sizes = [4, 4, 1] if args.quick else [56, 56, 1]
    repeats = 2 if args.quick else 7
    root, model = mlp_graph(2, sizes)
    n = draw_dot(root).values
    print(f"graph: MLP(2, {sizes}) forward, {n:,} Values")
    for name, options in [
        ("plain", {}),
        ("show_local", {"show_local": True}),
        ("modules (clusters)", {"modules": model}),
        ("frame: highlight + grad_known", {"highlight": root, "grad_known": [root]}),
    ]:
        ms = median_ms(lambda o=options: draw_dot(root, **o).source, repeats)
        print(f"  DOT source, {name:32s} {ms:8.1f} ms  ({ms * 1e6 / n:,.0f} ns per Value)")
    if args.layout:
        small, _ = mlp_graph(2, [16, 16, 1])
        graph = draw_dot(small)
        for path in draw.find_renderers():
            ms = median_ms(lambda p=path: graph.pipe("svg", renderer=p), 3)
            print(f"  SVG layout of {graph.values:,} Values with {path.name:14s} {ms:8.1f} ms")


if __name__ == "__main__":
    main()
