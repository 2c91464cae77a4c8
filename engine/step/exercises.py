"""Seeded practice exercises over the op table, in three levels.

    from engine.step.exercises import exercise
    ex = exercise(level=2, seed=7)
    print(ex)              # out = tanh(a * b + c)   with a = 2, b = -1, c = 0.5
    Practice(ex.root)      # practise its backward pass

Level 1: sums and products (the ``add`` and ``mul`` rows). Level 2: the same with an activation
(``tanh``, ``sigmoid``, ``relu``). Level 3: shared subexpressions: a value used more than once, so
its gradient is the sum of several contributions (fan-out). The same level and seed give the same
exercise on every machine; the numbers are small (±½, ±1, ±2, ±3) so the arithmetic fits on paper.
"""

from __future__ import annotations

import random
from typing import Union

from engine.core.ops import OPS
from engine.core.value import Value

__all__ = ["exercise", "Exercise", "LEVELS"]

LEVELS = {
    1: "sums and products (+ and *)",
    2: "+ and * with an activation (tanh, sigmoid, relu)",
    3: "shared subexpressions: a value used more than once (fan-out)",
}
"""What each level practises."""

_BINARY = ("add", "mul")
_ACTIVATIONS = ("tanh", "sigmoid", "relu")
_NUMBERS = (-3.0, -2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 3.0)
_SYMBOLS = {"add": "+", "mul": "*"}
_PRECEDENCE = {"add": 1, "mul": 2}
_VARIABLES = "abcd"

Tree = Union[str, tuple]  # a variable or reference name, or (op, child) / (op, left, right)


class Exercise:
    """A generated expression: its `root` Value (labelled ``out``), the `text` of its
    definitions, the input `values`, its `level` and `seed`."""

    __slots__ = ("root", "text", "values", "level", "seed")

    def __init__(
        self, root: Value, text: str, values: dict[str, float], level: int, seed: int
    ) -> None:
        self.root = root
        self.text = text
        self.values = values
        self.level = level
        self.seed = seed

    def assignments(self) -> str:
        return ", ".join(f"{name} = {_number(v)}" for name, v in self.values.items())

    def __str__(self) -> str:
        return f"{self.text}\nwith {self.assignments()}"

    def __repr__(self) -> str:
        return f"<Exercise level {self.level} seed {self.seed}: {self.text!r}>"


def _number(x: float) -> str:
    return str(int(x)) if x.is_integer() else f"{x:g}"


# --------------------------------------------------------------------------------------------
# Random trees
# --------------------------------------------------------------------------------------------


def _binary_tree(rng: random.Random, leaves: list[str]) -> Tree:
    """A random binary tree of + and * over `leaves`, in order (len(leaves) - 1 ops)."""
    if len(leaves) == 1:
        return leaves[0]
    split = rng.randint(1, len(leaves) - 1)
    return (
        rng.choice(_BINARY),
        _binary_tree(rng, leaves[:split]),
        _binary_tree(rng, leaves[split:]),
    )


def _subtrees(tree: Tree) -> list[Tree]:
    """Every op node of `tree`, the root first (an explicit stack, no recursion)."""
    found: list[Tree] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, tuple):
            found.append(node)
            stack.extend(reversed(node[1:]))
    return found


def _wrap(tree: Tree, target: Tree, activation: str) -> Tree:
    """`tree` with the subtree `target` (by identity) wrapped in `activation`."""
    if tree is target:
        return (activation, tree)
    if isinstance(tree, tuple):
        return (tree[0], *(_wrap(child, target, activation) for child in tree[1:]))
    return tree


def _with_activation(rng: random.Random, tree: Tree) -> Tree:
    candidates = _subtrees(tree) + _leaves(tree)
    return _wrap(tree, rng.choice(candidates), rng.choice(_ACTIVATIONS))


def _leaves(tree: Tree) -> list[str]:
    if isinstance(tree, tuple):
        return [leaf for child in tree[1:] for leaf in _leaves(child)]
    return [tree]


def _level_trees(rng: random.Random, level: int) -> tuple[dict[str, Tree], Tree]:
    """(the named intermediates, the output's tree) for one exercise."""
    if level == 1:
        return {}, _binary_tree(rng, list(_VARIABLES[: rng.choice((3, 4))]))
    if level == 2:
        tree = _binary_tree(rng, list(_VARIABLES[: rng.choice((2, 3))]))
        return {}, _with_activation(rng, tree)
    if rng.random() < 0.5:  # a variable used twice: its gradient collects two contributions
        leaves = ["a", "b", "a"] if rng.random() < 0.5 else ["a", "b", "c", "a"]
        tree = _binary_tree(rng, leaves)
        return {}, _with_activation(rng, tree) if rng.random() < 0.5 else tree
    e = (rng.choice(_BINARY), "a", "b")  # an intermediate e used twice
    tree = _binary_tree(rng, rng.choice((["e", "e"], ["e", "c", "e"], ["c", "e", "e"])))
    if rng.random() < 0.7:
        tree = _wrap_first_leaf(tree, "e", rng.choice(_ACTIVATIONS))
    return {"e": e}, tree


def _wrap_first_leaf(tree: Tree, name: str, activation: str) -> Tree:
    done = [False]

    def walk(node: Tree) -> Tree:
        if isinstance(node, tuple):
            return (node[0], *(walk(child) for child in node[1:]))
        if node == name and not done[0]:
            done[0] = True
            return (activation, node)
        return node

    return walk(tree)


# --------------------------------------------------------------------------------------------
# Text and Values from a tree
# --------------------------------------------------------------------------------------------


def _text(tree: Tree) -> str:
    if not isinstance(tree, tuple):
        return tree
    op = tree[0]
    if len(tree) == 2:
        return f"{op}({_text(tree[1])})"
    left, right = tree[1], tree[2]
    prec = _PRECEDENCE[op]

    def side(child: Tree, is_right: bool) -> str:
        text = _text(child)
        if isinstance(child, tuple) and len(child) == 3:
            child_prec = _PRECEDENCE[child[0]]
            if child_prec < prec or (is_right and child_prec == prec):
                return f"({text})"
        return text

    return f"{side(left, False)} {_SYMBOLS[op]} {side(right, True)}"


def _build(tree: Tree, leaves: dict[str, Value]) -> Value:
    if not isinstance(tree, tuple):
        return leaves[tree]
    if len(tree) == 2:
        return getattr(_build(tree[1], leaves), tree[0])()
    left, right = _build(tree[1], leaves), _build(tree[2], leaves)
    return left + right if tree[0] == "add" else left * right


def _kinks(root: Value) -> bool:
    """True if a relu sits exactly at its kink (x = 0), where its derivative is a convention."""
    from engine.core.graph import topological_order

    return any(n.op == "relu" and n.parents[0].data == 0.0 for n in topological_order(root))


def _nothing_to_compute(root: Value, inputs: list[Value]) -> bool:
    """True if some input's gradient is 0 (a dead relu cuts every path): its questions would all
    have the answer 0, with nothing to compute."""
    from engine.functional.gradients import grad

    return any(g.data == 0.0 for g in grad(root, inputs))


def exercise(level: int = 1, seed: int | None = None) -> Exercise:
    """A practice exercise of `level` (1, 2 or 3; see `LEVELS`) from `seed`.

    The same level and seed always give the same expression and numbers. ``seed=None`` draws a
    seed (kept in ``.seed``, so the exercise can be given again).
    """
    if type(level) is not int or level not in LEVELS:
        raise ValueError(f"level must be 1, 2 or 3 ({'; '.join(LEVELS.values())}), got {level!r}")
    if seed is None:
        seed = random.SystemRandom().randrange(10_000)
    elif type(seed) is not int:
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    assert all(name in OPS for name in _BINARY + _ACTIVATIONS)  # the rows we draw from
    rng = random.Random(f"chainrule-exercise-{level}-{seed}")
    intermediates, tree = _level_trees(rng, level)
    names = sorted(
        {leaf for t in (*intermediates.values(), tree) for leaf in _leaves(t)} - set(intermediates)
    )
    for _ in range(100):  # redraw numbers that put a relu on its kink or cut an input off
        values = {name: rng.choice(_NUMBERS) for name in names}
        leaves = {name: Value(v, label=name) for name, v in values.items()}
        for name, sub in intermediates.items():
            leaves[name] = _build(sub, leaves)
            leaves[name].label = name
        root = _build(tree, leaves)
        inputs = [leaves[name] for name in names]
        if not _kinks(root) and not _nothing_to_compute(root, inputs):
            break
    root.label = "out"
    lines = [f"{name} = {_text(sub)}" for name, sub in intermediates.items()]
    lines.append(f"out = {_text(tree)}")
    return Exercise(root, "\n".join(lines), values, level, seed)
