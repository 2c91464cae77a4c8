"""Every op of the table narrates with its own formula (engine/step/narration.py)."""

from __future__ import annotations

import re

import pytest

from engine import OPS, Value, backward_steps
from engine.core.chain_rule import local_derivatives
from engine.core.numfmt import fmt
from engine.core.value import apply_op
from tests.equations import wrong_equations

INPUTS = (0.7, 1.3, 0.4, 0.9)  # inside every op's domain (positive, not zero, not integers)


def build_op(name: str):
    """A node of op `name` over labelled leaves a, b, (c, d), through the engine's generic path."""
    op = OPS[name]
    count = {1: 1, 2: 2, -1: 4}[op.arity]
    leaves = tuple(Value(x, label="abcd"[i]) for i, x in enumerate(INPUTS[:count]))
    arg = 0.5 if op.arg_name is not None else None
    node = apply_op(op, leaves, arg)
    node.label = "out"
    return node, leaves


def expected_formula(template: str, names: dict[str, str]) -> str:
    """The op table's formula with placeholders replaced, ignoring · and spaces."""
    text = re.sub(
        r"(?<![A-Za-z0-9_])(x_i|out|x|y)(?![A-Za-z0-9_])",
        lambda m: names.get(m.group(1), m.group(1)),
        template,
    )
    return text.replace("·", "").replace(" ", "")


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_narrates_with_its_own_formula(name):
    op = OPS[name]
    node, leaves = build_op(name)
    steps = list(backward_steps(node))
    step = steps[0]
    assert step.node is node and step.op == name
    assert step.locals == pytest.approx(local_derivatives(node), rel=0, abs=0)
    text = str(step)
    squashed = text.replace("·", "").replace(" ", "")
    assert 2 <= len(text.splitlines()) <= 4
    if op.arity == -1:
        formula = expected_formula(op.derivatives[0], {"out": "out"})
        assert formula in squashed, (formula, text)
        for term, leaf in zip(step.terms, leaves):
            assert term.formula == re.sub(r"x_i", leaf.label, op.derivatives[0])
            assert f"{leaf.label} {fmt(term.local)}" in text
    else:
        for i, (term, leaf) in enumerate(zip(step.terms, leaves)):
            names = {"x": "a", "y": "b", "out": "out"}
            formula = expected_formula(op.derivatives[i], names)
            assert expected_formula(term.formula, {}) == formula
            assert f"∂out/∂{leaf.label}=" + formula in squashed, (formula, text)
            assert f"∂⁺out/∂{leaf.label}+=∂⁺out/∂out∂out/∂{leaf.label}=1×" in squashed
    if op.arg_name is not None:
        assert "= 0.5)" in text  # the op's constant parameter is shown with its value
    assert not wrong_equations(text)


def test_formulas_differ_between_ops_so_each_narration_is_its_own():
    narrations = {}
    for name in OPS:
        node, _ = build_op(name)
        narrations[name] = next(backward_steps(node)).terms[0].formula
    derivative_texts = {name: OPS[name].derivatives[0] for name in OPS}
    for name, text in narrations.items():
        same = [other for other, t in derivative_texts.items() if t == derivative_texts[name]]
        twins = [other for other, t in narrations.items() if t == text]
        assert sorted(twins) == sorted(same), name
