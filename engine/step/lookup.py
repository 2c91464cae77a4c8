"""Finding a node of a graph by its name, refusing a name that several nodes share.

Names come from `engine.core.names.names_for`: a node's label, a constant's value (``2``) or its
op and a count (``mul₁``). Labels are free text, so two nodes may read the same: two Values
labelled ``x``, a label ``mul₁`` beside an unlabelled product, a label ``2`` beside the constant 2.
A name that means more than one node is an error listing them, never a silent pick; pass the
Value itself to choose one.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from engine.core.value import Value, fmt_number, leaf_kind

__all__ = ["node_named"]


def _describe(node: Value) -> str:
    """``an input 2`` or ``mul 6``: what a candidate is, to tell same-named nodes apart."""
    if node.parents:
        what = f"a {node.op} node"
    else:
        what = {"parameter": "a parameter", "input": "an input"}.get(leaf_kind(node), "a constant")
    shown = f"label {node.label!r}" if node.label else "no label"
    return f"{what} = {fmt_number(node.data)} ({shown})"


def node_named(name: str, order: Iterable[Value], names: Mapping[Value, str], where: str) -> Value:
    """The one node of `order` whose name (``names[node]``) is `name`.

    ValueError when no node has that name (listing the names there are) or when several do
    (listing each of them: what it is and its value), naming the caller `where`.
    """
    nodes = list(order)
    matches = [node for node in nodes if names[node] == name]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        known = ", ".join(sorted({names[n] for n in nodes}))
        raise ValueError(f"{where}: no node is named {name!r}; the names are: {known}")
    listed = "; ".join(f"{i + 1}. {_describe(n)}" for i, n in enumerate(matches))
    raise ValueError(
        f"{where}: the name {name!r} is ambiguous: {len(matches)} nodes are called it ({listed}). "
        f"Pass the Value itself, or give the nodes distinct labels"
    )
