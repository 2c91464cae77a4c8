"""The expression bench's derivations follow the page's Digits, like every other number."""

from __future__ import annotations

import pytest

pytest.importorskip("starlette")

from engine.core.numfmt import get_digits, printoptions
from engine.step.derivation import derivation
from nn.lab.expression_bench import GraphRegistry, build_expression, view
from nn.lab.limits import Limits

NEURON = "tanh(x1*w1 + x2*w2 + b)"
VALUES = "x1=0.3 w1=-0.7 x2=0.77 w2=1.3 b=0.123456789"


def _graph():
    registry = GraphRegistry()
    root, leaves = build_expression(NEURON, VALUES, Limits())
    return root, leaves, registry.get(registry.register(root, title=NEURON, inputs=leaves))


@pytest.mark.parametrize("digits", [2, 9])
def test_derivations_are_written_with_the_chosen_digits(digits):
    root, leaves, graph = _graph()
    shown = {d["name"]: d["latex"] for d in view(graph, digits=digits)["derivations"]}
    with printoptions(digits=digits):
        want = {name: derivation(root, leaf).latex() for name, leaf in leaves.items()}
    assert shown and all(shown[name] == want[name] for name in shown)
    assert shown["w1"] != derivation(root, leaves["w1"]).latex()  # the default's differ
    assert get_digits() == 4  # the engine's setting is left as it was
