"""Graph walks: topological order, leaves, edges — iterative and deterministic."""

from __future__ import annotations

from engine import Value, leaves, topological_order
from engine.graph import iter_edges


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


def test_order_is_creation_order_and_deterministic():
    a, b, c, d, e = _diamond()
    assert topological_order(e) == [a, b, c, d, e]
    assert topological_order(e) == topological_order(e)


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
