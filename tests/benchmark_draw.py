"""Benchmark drawing: building the Digraph, and laying it out with each renderer.

    python tests/benchmark_draw.py             # the full tables (several minutes: timeouts)
    python tests/benchmark_draw.py --quick     # small sizes, to check the script itself works
    python tests/benchmark_draw.py --timeout 120 --only sop

Part 1 times `draw_dot(...).source` on an MLP-shaped graph of about 10,000 Values.

Part 2 times SVG layout by every installed renderer (graphviz-pure, the system dot) on graphs of
different shapes: the tanh neuron, an MLP(2, [16, 16, 1]) hinge loss on 10 points, sums of
products ``x*w + x*w + ...`` (x and w feed every product: long edges), chains, and for each shape
the largest graph the default limits let through. Each row shows the Values, the layout-size
estimate (`engine.draw.size.layout_size`), whether the default limit refuses the graph, and the
renderer's CPU seconds (user + system of the child process, which a busy machine disturbs less
than wall time) and wall seconds; "timeout" marks a layout stopped after --timeout seconds.
These are the figures DEFAULT_MAX_NODES, LAYOUT_POINTS_PER_NODE and the renderer order come from.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Parameter, Value, draw_dot, sequence_mark
from engine.draw import GraphTooLargeError, RenderError, find_renderers, render_bytes


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


# --------------------------------------------------------------------------------------------
# Graph shapes for the layout table
# --------------------------------------------------------------------------------------------


def neuron() -> Value:
    """tanh(x1*w1 + x2*w2 + b): the micrograd lecture's neuron."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Parameter(-3.0, label="w1"), Parameter(1.0, label="w2")
    b = Parameter(6.881373587019543, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.label = "o"
    return o


def mlp_loss(points: int) -> Value:
    """micrograd's MLP(2, [16, 16, 1]) hinge loss (mean of max(0, 1 - y·s)) on `points` points."""
    from nn import MLP, losses

    rng = random.Random(0)
    model = MLP(2, [16, 16, 1], seed=0)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(points)]
    ys = [1 if i % 2 else -1 for i in range(points)]
    return losses.hinge([model(x) for x in xs], ys)


def sum_of_products(values: int) -> Value:
    """``x*w + x*w + ...`` as `chainrule draw` builds it: one x and one w feed every product;
    `values` = 2·terms + 1 Values."""
    x, w = Value(1.5, label="x"), Value(-2.0, label="w")
    out = x * w
    for _ in range((values - 3) // 2):
        out = out + x * w
    return out


def chain(values: int) -> Value:
    """A deep chain alternating ``y + 0.1`` and ``tanh(0.99·y)``: no long edges at all."""
    y = Value(0.5, label="x")
    n = 1
    i = 0
    while n < values:
        if i % 2:
            y = (y * 0.99).tanh()
            n += 3  # the constant, the product, the tanh
        else:
            y = y + 0.1
            n += 2
        i += 1
    return y


def largest(make: Callable[[int], Value], lo: int, hi: int, **options) -> int:
    """The Values of the largest graph `make(n)`, n in [lo, hi], the default limits let through
    (`make` takes a number of Values and builds about that many)."""
    while lo < hi:
        mid = (lo + hi + 1) // 2
        try:
            draw_dot(make(mid), **options).check_size()
            lo = mid
        except GraphTooLargeError:
            hi = mid - 1
    return draw_dot(make(lo), max_nodes=10**9).values


def layout_rows(quick: bool, only: str | None) -> list[tuple[str, Callable[[], Value], dict]]:
    if quick:
        return [
            ("tanh neuron", neuron, {}),
            ("tanh neuron, show_local", neuron, {"show_local": True}),
            ("sum of products, 41 values", lambda: sum_of_products(41), {}),
            ("chain, 201 values", lambda: chain(201), {}),
        ]
    sop_max = largest(sum_of_products, 3, 2001)
    sop_local_max = largest(sum_of_products, 3, 2001, show_local=True)
    chain_max = largest(chain, 2, 4000)
    rows = [
        ("tanh neuron", neuron, {}),
        ("tanh neuron, show_local", neuron, {"show_local": True}),
        ("MLP(2,[16,16,1]) loss, 1 point", lambda: mlp_loss(1), {}),
        ("MLP(2,[16,16,1]) loss, 2 points", lambda: mlp_loss(2), {}),
        ("MLP(2,[16,16,1]) loss, 10 points", lambda: mlp_loss(10), {}),
        ("sum of products, 201 values", lambda: sum_of_products(201), {}),
        ("sum of products, 401 values", lambda: sum_of_products(401), {}),
        ("sum of products, 601 values", lambda: sum_of_products(601), {}),
        (
            f"sum of products, {sop_max} values (largest allowed)",
            lambda: sum_of_products(sop_max),
            {},
        ),
        (
            f"sum of products, {sop_local_max} values, show_local (largest allowed)",
            lambda: sum_of_products(sop_local_max),
            {"show_local": True},
        ),
        ("chain, 1000 values", lambda: chain(1000), {}),
        (f"chain, {chain_max} values (largest allowed)", lambda: chain(chain_max), {}),
        (f"chain, {chain_max} values, show_local", lambda: chain(chain_max), {"show_local": True}),
    ]
    if only:
        rows = [row for row in rows if only in row[0]]
    return rows


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_layout(graph, path: Path, timeout: float) -> str:
    """CPU and wall seconds of one SVG layout by the renderer at `path`."""
    cpu, wall = _children_cpu(), time.perf_counter()
    try:
        render_bytes(graph, "svg", renderer=path, timeout=timeout)
    except RenderError as exc:
        return "timeout" if "did not finish" in str(exc) else "fails"
    return f"{_children_cpu() - cpu:.2f} ({time.perf_counter() - wall:.2f})"


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
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per layout")
    parser.add_argument("--only", default=None, help="only layout rows whose name contains this")
    parser.add_argument("--no-source", action="store_true", help="skip the DOT-source timing")
    args = parser.parse_args()

    if not args.no_source:
        sizes = [4, 4, 1] if args.quick else [56, 56, 1]
        repeats = 2 if args.quick else 5
        root, model = mlp_graph(2, sizes)
        n = draw_dot(root, max_nodes=10**9).values
        print(f"Digraph source of MLP(2, {sizes}) forward, {n:,} Values (median of {repeats})")
        for name, options in [
            ("plain", {}),
            ("show_local", {"show_local": True}),
            ("modules (clusters)", {"modules": model}),
            ("frame: highlight + grad_known", {"highlight": root, "grad_known": [root]}),
        ]:
            ms = median_ms(lambda o=options: draw_dot(root, **o).source, repeats)
            print(f"  {name:32s} {ms:8.1f} ms  ({ms * 1e3 / n:,.1f} µs per Value)")
        print()

    renderers = find_renderers()
    if not renderers:
        print("no renderer installed: no layout figures")
        return
    names = [p.name for p in renderers]
    print("SVG layout: CPU seconds of the renderer (wall seconds), timeout", f"{args.timeout:g} s")
    print()
    print("| graph | values | layout size | default limit | " + " | ".join(names) + " |")
    print("|---|---|---|---|" + "---|" * len(names))
    for name, make, options in layout_rows(args.quick, args.only):
        graph = draw_dot(make(), max_nodes=10**9, **options)
        try:
            draw_dot(make(), **options).check_size()
            verdict = "drawn"
        except GraphTooLargeError:
            verdict = "refused"
        cells = [time_layout(graph, path, args.timeout) for path in renderers]
        print(
            f"| {name} | {graph.values:,} | {graph.layout_size:,} | {verdict} | "
            + " | ".join(cells)
            + " |",
            flush=True,
        )


if __name__ == "__main__":
    main()
