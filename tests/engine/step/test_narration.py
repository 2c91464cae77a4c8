"""Narrated backward steps (engine/step/narration.py): the chain rule per node, this pass's own
derivatives, partial sums marked, and numbers that recompute as printed."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Parameter, Value, logsumexp
from engine.core.graph import topological_order
from engine.core.numfmt import fmt, printoptions
from engine.step import Step, backward_steps, node_names
from tests.engine.step.graphs import (
    EXACT_B,
    NEGATIVE_ZERO,
    build_recipe,
    grads_hex,
    neuron,
    recipe_strategy,
    try_build,
)
from tests.equations import equations, wrong_equations

# --------------------------------------------------------------------------------------------
# Acceptance: the neuron from the lecture, by hand
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("b, digits", [(EXACT_B, 12), (6.8814, 4)])
def test_the_neuron_matches_the_hand_derivation(b, digits):
    o, v = neuron(b)
    steps = list(backward_steps(o))
    by_name = {s.name: s for s in steps}
    assert round(o.data, 4) == 0.7071
    assert [s.name for s in steps[:5]] == ["o", "n", "s", "x2w2", "x1w1"]
    assert by_name["o"].upstream == 1.0 and by_name["o"].is_seed
    assert by_name["o"].terms[0].local == pytest.approx(0.5, abs=10**-digits)  # do/dn
    expected = {
        "n": 0.5,
        "s": 0.5,
        "b": 0.5,
        "x1w1": 0.5,
        "x2w2": 0.5,
        "x1": -1.5,
        "w1": 1.0,
        "x2": 0.5,
        "w2": 0.0,
    }
    for name, grad in expected.items():
        assert v[name].grad == pytest.approx(grad, abs=10**-digits), name
        assert by_name[name].upstream == v[name].grad  # the upstream a step reports is final
    if b != EXACT_B:
        return  # with b = 6.8814 the last digits differ (dx1 = -1.4999...)
    assert "∂o/∂n = 1 - tanh(n)² = 0.5;" in str(by_name["o"])
    text = str(by_name["x1w1"])
    assert "∂x1w1/∂x1 = w1 = -3;  ∂⁺o/∂x1 += ∂⁺o/∂x1w1 · ∂x1w1/∂x1 = 0.5 × -3 = -1.5" in text
    assert "∂x1w1/∂w1 = x1 = 2;  ∂⁺o/∂w1 += ∂⁺o/∂x1w1 · ∂x1w1/∂w1 = 0.5 × 2 = 1" in text
    assert "∂⁺o/∂x1 = -1.5" in str(by_name["x1"])
    assert "∂⁺o/∂w2 = 0" in str(by_name["w2"])


def test_the_narration_of_the_neuron_reads_as_the_lecture_chain_rule():
    o, _ = neuron()
    first = next(backward_steps(o))
    assert str(first) == (
        "[1/10] o = tanh(n) = 0.7071;  upstream ∂⁺o/∂o = 1 (the seed)\n"
        "  ∂o/∂n = 1 - tanh(n)² = 0.5;  ∂⁺o/∂n += ∂⁺o/∂o · ∂o/∂n = 1 × 0.5 = 0.5"
    )
    assert repr(first) == str(first)  # a REPL shows the chain rule, not an object summary


def test_one_notation_no_bar_names_and_no_generic_out():
    o, _ = neuron()
    text = "\n".join(str(s) for s in backward_steps(o))
    assert "_bar" not in text and "out" not in text and ".grad" not in text
    assert text.count("+=") == 9  # one chain-rule line per edge


def test_steps_visit_every_node_once_in_reverse_topological_order():
    o, _ = neuron()
    steps = list(backward_steps(o))
    order = topological_order(o)
    assert [s.node for s in steps] == order[::-1]
    assert [s.index for s in steps] == list(range(1, len(order) + 1))
    assert all(s.total == len(order) for s in steps)
    for s in steps:
        assert 2 <= len(str(s).splitlines()) <= 4
        assert repr(s) == str(s)


# --------------------------------------------------------------------------------------------
# 16.1: the derivatives of this pass, whatever .grad held before
# --------------------------------------------------------------------------------------------


def test_after_an_earlier_backward_the_steps_narrate_the_true_derivatives():
    o, v = neuron()
    o.backward()  # a notebook cell run before: every leaf holds its gradient once already
    steps = {s.name: s for s in backward_steps(o)}
    assert steps["w1"].upstream == pytest.approx(1.0)  # the derivative, not the 2.0 in .grad
    assert v["w1"].grad == pytest.approx(2.0)  # .grad accumulates exactly as backward() does
    text = str(steps["x1w1"])
    assert "∂⁺o/∂w1 += ∂⁺o/∂x1w1 · ∂x1w1/∂w1 = 0.5 × 2 = 1" in text
    assert "w1.grad += " not in text and "(now 2" not in text
    leaf = str(steps["w1"])
    assert "its gradient is final: ∂⁺o/∂w1 = 1" in leaf
    assert "w1.grad = 1 + 1 = 2: it also holds 1 from an earlier backward()" in leaf
    assert "earlier" not in str(steps["w2"])  # ∂o/∂w2 = 0: the earlier pass left 0 there
    assert steps["w2"].grad_earlier == 0.0


def test_a_leaf_with_nothing_earlier_says_nothing_about_grad():
    o, _ = neuron()
    assert all("earlier" not in str(step) for step in backward_steps(o))


def test_every_term_reports_this_pass_from_zero():
    a = Value(3.0, label="a")
    y = a * a + a
    y.label = "y"
    y.backward()
    y.backward()
    assert a.grad == 14.0
    steps = list(backward_steps(y))
    assert a.grad == 21.0  # the third pass added 7, as a third backward() would
    terms = [t for s in steps for t in s.terms if t.parent is a]
    assert [t.grad_before for t in terms] == [0.0, 1.0, 4.0]
    assert [t.grad_after for t in terms] == [1.0, 4.0, 7.0]
    assert steps[-1].upstream == 7.0 and steps[-1].grad_earlier == 14.0
    assert steps[-1].grad_held == 21.0


# --------------------------------------------------------------------------------------------
# 16.2: partial sums
# --------------------------------------------------------------------------------------------


def test_a_gradient_still_accumulating_is_marked_partial():
    a = Value(2.0, label="a")
    y = a * a + a  # a has three edges: dy/da = 2a + 1 = 5
    y.label = "y"
    steps = list(backward_steps(y))
    first, second = steps[0], steps[1]
    assert "∂⁺y/∂a += ∂⁺y/∂y · ∂y/∂a = 1 × 1 = 1 (partial: 1 of 3 edges)" in str(first)
    lines = str(second).splitlines()
    assert lines[1].endswith("∂⁺y/∂a = 1 + 2 = 3 (partial: 2 of 3 edges)")
    assert lines[2].endswith("∂⁺y/∂a = 3 + 2 = 5 (all 3 edges: final)")
    terms = [t for s in steps for t in s.terms if t.parent is a]
    assert [(t.edge, t.edges, t.partial) for t in terms] == [
        (1, 3, True),
        (2, 3, True),
        (3, 3, False),
    ]
    assert "partial" not in str(steps[-1])  # the leaf's own step: final


def test_a_node_used_once_carries_no_edge_note():
    o, _ = neuron()
    text = "\n".join(str(s) for s in backward_steps(o))
    assert "partial" not in text and "edges" not in text


# --------------------------------------------------------------------------------------------
# 16.3 / 15.3: numbers that add up as printed
# --------------------------------------------------------------------------------------------


def test_the_readme_example_shows_a_tiny_derivative_in_scientific_notation():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + 1).tanh()
    out.label = "out"
    first = str(next(backward_steps(out)))
    assert "∂out/∂add₁ = 1 - tanh(add₁)² = 1.816e-4;" in first
    assert "= 1 × 1.816e-4 = 1.816e-4" in first
    text = "\n".join(str(s) for s in backward_steps(out))
    assert "0.0002" not in text and "-0.0005" not in text
    assert not wrong_equations(text)


def test_the_issue_lines_now_recompute():
    # b = 6.8814 gave "0.5000 × -3.0000 = -1.4999"; rounded factors now carry what they need
    o, _ = neuron(6.8814)
    text = "\n".join(str(s) for s in backward_steps(o))
    assert len(equations(text)) >= 9 and not wrong_equations(text)


@settings(max_examples=150, deadline=None)
@given(recipe_strategy, st.integers(1, 8))
def test_every_printed_equation_recomputes_from_its_printed_numbers(recipe, digits):
    root, _ = try_build(recipe)
    root.backward(0.5)  # something earlier in .grad: the leaf lines print a sum too
    text = "\n".join(step.narrate(digits) for step in backward_steps(root, grad=recipe[2]))
    wrong = wrong_equations(text, digits)
    assert not wrong, "\n".join(str(e) for e in wrong[:3])
    assert not re.search(NEGATIVE_ZERO, text), text


def test_no_negative_zero_in_a_backward_pass_of_the_moons_mlp():
    import nn
    from nn import data, losses

    X, y = data.make_moons(12, noise=0.1, seed=0)
    model = nn.MLP(2, [8, 8, 1], seed=0)
    loss = losses.hinge([model(x) for x in X], y)
    text = "\n".join(str(s) for s in backward_steps(loss))
    assert text.count("\n") > 1000
    assert not re.search(NEGATIVE_ZERO, text)
    assert not wrong_equations(text)


def test_digits_sets_the_significant_digits():
    o, _ = neuron()
    step = next(backward_steps(o, digits=2))
    assert "o = tanh(n) = 0.71;" in str(step)
    assert "o = tanh(n) = 0.707107;" in step.narrate(6)
    with printoptions(digits=3):
        assert "= 0.707;" in str(next(backward_steps(o)))
    with pytest.raises(ValueError, match="digits"):
        step.narrate(0)


# --------------------------------------------------------------------------------------------
# Names for unlabelled nodes
# --------------------------------------------------------------------------------------------


def test_unlabelled_nodes_get_readable_names():
    a = Value(2.0, label="a")
    w = Parameter(0.5)
    y = (a * 3 + w * a).tanh() - 1.5
    names = node_names(y)
    order = topological_order(y)
    # topological order: the leaves as the walk meets them, then each op; unlabelled nodes are
    # numbered per op in that order
    assert [names[n] for n in order] == [
        "a",
        "3",
        "p₁",
        "1.5",
        "mul₁",
        "mul₂",
        "add₁",
        "tanh₁",
        "sub₁",
    ]
    first = next(backward_steps(y))
    assert str(first).startswith("[1/7] sub₁ = tanh₁ - 1.5 = ")  # 9 nodes, 2 constants
    # the constant 1.5 is not differentiated: no ∂sub₁/∂(1.5) (it was narrated as a gradient)
    assert "∂sub₁/∂(1.5)" not in str(first)
    assert str(first).endswith("\n  1.5 is a constant: not differentiated")


def test_negative_constants_are_parenthesised_in_formulas():
    a = Value(2.0, label="a")
    y = a * -3
    y.label = "y"
    assert "∂y/∂a = (-3) = -3" in str(next(backward_steps(y)))


def test_many_inputs_narrate_in_four_lines():
    xs = [Value(float(i), label=f"x{i}") for i in range(6)]
    y = logsumexp(xs)
    y.label = "L"
    step = next(backward_steps(y))
    lines = str(step).splitlines()
    assert len(lines) == 4
    assert "∂L/∂x_i = e^(x_i - L) for each input x_i" in lines[1]
    assert all(f"x{i} {fmt(t.local)}" in lines[2] for i, t in enumerate(step.terms))
    assert all(f"x{i} {fmt(t.grad_after)}" in lines[3] for i, t in enumerate(step.terms))
    assert sum(t.local for t in step.terms) == pytest.approx(1.0)  # softmax sums to one


def test_many_inputs_mark_partial_ones():
    x = Value(0.5, label="x")
    y = logsumexp([x, x, x, x, Value(1.0, label="z")]) * x
    y.label = "y"
    text = "\n".join(str(s) for s in backward_steps(y))
    assert "x " in text and "(partial: 2 of 5 edges)" in text


def test_a_leaf_root_is_one_step():
    x = Value(4.0, label="x")
    steps = list(backward_steps(x, grad=2.5))
    assert len(steps) == 1 and steps[0].is_leaf and steps[0].upstream == 2.5
    assert x.grad == 2.5
    assert "∂⁺x/∂x = 2.5" in str(steps[0])
    assert isinstance(steps[0], Step)


# --------------------------------------------------------------------------------------------
# backward() and backward_steps() are one algorithm: random graphs, bit for bit
# --------------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(recipe_strategy)
def test_consuming_every_step_gives_exactly_the_gradients_of_backward(recipe):
    try_build(recipe)
    by_backward, nodes_a = build_recipe(recipe)
    by_steps, nodes_b = build_recipe(recipe)
    for _ in range(2):  # twice: leaves accumulate, interior nodes restart, in both
        by_backward.backward(recipe[2])
        narrated = {}
        for step in backward_steps(by_steps, grad=recipe[2]):
            for term in step.terms:  # an interior input's this-pass value is what is stored
                if term.parent.parents:
                    narrated[term.parent] = term.grad_after
        for node, after in narrated.items():  # written when the pass completes, not before
            assert float(after).hex() == float(node.grad).hex()
        assert grads_hex(nodes_a) == grads_hex(nodes_b)


@settings(max_examples=100, deadline=None)
@given(recipe_strategy)
def test_the_narrated_derivatives_do_not_depend_on_earlier_passes(recipe):
    try_build(recipe)
    fresh, _ = build_recipe(recipe)
    used, _ = build_recipe(recipe)
    used.backward(recipe[2])
    used.backward(1.0)
    first = [(s.upstream, [t.grad_after for t in s.terms]) for s in backward_steps(fresh)]
    again = [(s.upstream, [t.grad_after for t in s.terms]) for s in backward_steps(used)]
    assert first == again


def test_a_root_that_is_not_a_value_is_refused_at_once():
    with pytest.raises(TypeError, match="Value"):
        backward_steps(3.0)
    with pytest.raises(TypeError, match="Value"):
        node_names([1])


def test_a_bad_seed_is_refused_at_once():
    o, _ = neuron()
    with pytest.raises(TypeError, match="'one'"):
        backward_steps(o, grad="one")


def test_interior_gradients_restart_like_backward():
    o, v = neuron()
    o.backward()
    o.backward()  # leaves accumulate to twice their gradient, interior nodes stay single
    for _ in backward_steps(o):
        pass
    assert v["n"].grad == pytest.approx(0.5) and v["x1"].grad == pytest.approx(-4.5)
    assert math.isclose(v["w1"].grad, 3.0)


def test_constants_are_not_differentiated():
    """The 0.5 of ``x * 0.5`` is a constant: no ∂L/∂(0.5) in the narration and no step of its
    own; its child's step says so (it read ``∂L/∂(0.5) = 4`` and ``its gradient is final``)."""
    from engine.core.value import leaf_kind

    x = Value(2.0, label="x")
    half = x * 0.5
    constant = half.parents[1]
    assert leaf_kind(constant) == "constant"
    text = "\n".join(str(step) for step in backward_steps(half * half))
    assert "∂(0.5)" not in text and "(0.5).grad" not in text
    assert "  0.5 is a constant: not differentiated" in text
    steps = list(backward_steps(half * half))
    assert [step.name for step in steps] == ["mul₂", "mul₁", "x"]  # no step for 0.5
    assert all(step.total == 3 for step in steps)
    assert "∂mul₁/∂x = 0.5" in text and "∂⁺mul₂/∂x = 1" in text  # x is, as before
