"""Graph walks: topological order, leaves, edges — iterative and deterministic."""

from __future__ import annotations

import math

import pytest

from engine import Parameter, Value, leaves, topological_order
from engine.core.graph import iter_edges


def _diamond():
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    d = c + a
    e = d * c
    return a, b, c, d, e


def test_every_node_comes_after_its_parents():
    *_, e = _diamond()
    order = topological_order(e)
    position = {id(v): i for i, v in enumerate(order)}
    assert order[-1] is e and len(order) == 5
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)]


def test_order_is_leaves_first_then_the_evaluation_order_and_deterministic():
    a, b, c, d, e = _diamond()
    assert topological_order(e) == [a, b, c, d, e]
    assert topological_order(e) == topological_order(e)


def test_order_depends_only_on_the_graph_not_on_when_values_were_made():
    """The same graph built with its Values made in opposite orders is listed the same way."""
    shapes = []
    for leaves_first in (True, False):
        if leaves_first:
            a, b = Value(1.0, label="a"), Value(2.0, label="b")
            s = a + a
        else:
            a = Value(1.0, label="a")
            s = a + a
            b = Value(2.0, label="b")  # made after a + a, still listed before it
        d = b / s
        shapes.append([v.label or v.op for v in topological_order(d)])
    assert shapes[0] == shapes[1] == ["b", "a", "add", "div"]


def _pickle_in_fresh_process(code: str) -> str:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_graph_pickled_in_one_process_and_extended_in_another_backpropagates_right(tmp_path):
    """y = x·x made after 1,000 other Values, pickled, loaded in a fresh process whose creation
    counter starts again from 0, then extended: w = 2y + y = 3x², so ∂w/∂x = 6x = 18 at x = 3.
    Sorting by creation number put w before y and gave x.grad == 0."""
    path = tmp_path / "graph.pickle"
    _pickle_in_fresh_process(
        "import pickle, sys\n"
        "from engine import Value\n"
        "others = [Value(float(i)) for i in range(1000)]\n"
        "x = Value(3.0, label='x')\n"
        "y = x * x\n"
        f"open({str(path)!r}, 'wb').write(pickle.dumps((x, y)))\n"
    )
    out = _pickle_in_fresh_process(
        "import pickle\n"
        "from engine import Value, topological_order\n"
        f"x, y = pickle.loads(open({str(path)!r}, 'rb').read())\n"
        "w = y * 2 + y\n"
        "w.backward()\n"
        "order = topological_order(w)\n"
        "print(x.grad, order.index(y) < order.index(w))\n"
    )
    assert out == "18.0 True"


def test_values_from_two_processes_combine_in_the_right_order(tmp_path):
    path = tmp_path / "part.pickle"
    _pickle_in_fresh_process(
        "import pickle\n"
        "from engine import Value\n"
        "others = [Value(0.0) for _ in range(5000)]\n"
        "a = Value(2.0, label='a')\n"
        f"open({str(path)!r}, 'wb').write(pickle.dumps(a.tanh()))\n"
    )
    out = _pickle_in_fresh_process(
        "import math, pickle\n"
        "from engine import Value\n"
        f"t = pickle.loads(open({str(path)!r}, 'rb').read())\n"
        "b = Value(0.5, label='b')\n"
        "out = t * b + t\n"
        "out.backward()\n"
        "a = t.parents[0]\n"
        "print(abs(a.grad - 1.5 * (1 - math.tanh(2.0) ** 2)) < 1e-15, b.grad == t.data)\n"
    )
    assert out == "True True"


def test_interior_only_and_leaves():
    a, b, c, d, e = _diamond()
    assert topological_order(e, include_leaves=False) == [c, d, e]
    assert leaves(e) == [a, b]


def test_edges_are_listed_once_per_use():
    a = Value(1.0)
    b = a + a
    assert [(p is a, child is b, i) for p, child, i in iter_edges(b)] == [
        (True, True, 0),
        (True, True, 1),
    ]


def test_deep_graph_walk_is_iterative():
    x = Value(0.0)
    for _ in range(200_000):
        x = x + 1.0
    assert len(topological_order(x)) == 400_001


def test_random_dags_list_every_reachable_node_once_after_its_parents():
    import random

    rng = random.Random(7)
    for _ in range(200):
        nodes = [Value(float(i)) for i in range(rng.randint(1, 4))]
        for _ in range(rng.randint(1, 30)):
            a, b = rng.choice(nodes), rng.choice(nodes)
            nodes.append(a * b if rng.random() < 0.5 else a.tanh())
        root = nodes[-1]
        reachable, stack = {root}, [root]
        while stack:
            for p in stack.pop().parents:
                if p not in reachable:
                    reachable.add(p)
                    stack.append(p)
        order = topological_order(root)
        assert len(order) == len(set(order)) == len(reachable) and set(order) == reachable
        position = {v: i for i, v in enumerate(order)}
        assert all(position[p] < position[v] for v in order for p in v.parents)
        assert order[-1] is root
        interior = topological_order(root, include_leaves=False)
        assert interior == [v for v in order if v.parents or v is root]


def _deep_chain(n: int) -> tuple[Value, Value]:
    w = Parameter(0.7, label="w")
    h: Value = w
    for _ in range(n):
        h = (h * 1.01).tanh() + 0.01
    return w, h


@pytest.mark.parametrize("copier", ["pickle", "deepcopy"])
def test_a_deep_graph_pickles_and_deep_copies_without_recursion(copier):
    import copy
    import pickle

    w, h = _deep_chain(5000)  # 15,000 nodes: far past the recursion limit
    w2, h2 = pickle.loads(pickle.dumps((w, h))) if copier == "pickle" else copy.deepcopy((w, h))
    assert h2 is not h and w2 is not w and type(w2) is Parameter and w2.label == "w"
    assert h2.data == h.data and h2.op == h.op
    h.backward()
    h2.backward()
    assert w2.grad == w.grad != 0.0  # the copy's gradient reaches the copy's own leaf


def test_a_leaf_shared_by_two_pickled_graphs_stays_one_value():
    import pickle

    x = Value(3.0, label="x")
    a, b = x * x, x.tanh()
    x2, a2, b2 = pickle.loads(pickle.dumps((x, a, b)))
    assert a2.parents == (x2, x2) and b2.parents == (x2,)
    (a2 + b2).backward()
    assert x2.grad == pytest.approx(6.0 + 1 - math.tanh(3.0) ** 2)


def test_gradients_that_are_graphs_pickle_too():
    import pickle

    x = Value(2.0)
    (x * x * x).backward(create_graph=True)
    x2 = pickle.loads(pickle.dumps(x))
    assert isinstance(x2.grad, Value) and x2.grad.data == 12.0
