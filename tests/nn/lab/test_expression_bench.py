"""The expression bench in plain Python: numbers, errors, the registry, grading."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("starlette")

from engine.cli.expr import build, parse_assignments
from engine.core.numfmt import fmt
from engine.step import backward_steps
from engine.step.answers import check
from nn.lab.errors import LabInputError
from nn.lab.expression_bench import (
    GraphRegistry,
    build_expression,
    grade_answer,
    notation_names,
    view,
)
from nn.lab.limits import Limits

NEURON = "tanh(x1*w1 + x2*w2 + b)"
VALUES = "x1=2 w1=-3 x2=0 w2=1 b=6.881373587019543"
LIMITS = Limits()


def _neuron(registry: GraphRegistry | None = None):
    registry = registry or GraphRegistry()
    root, leaves = build_expression(NEURON, VALUES, LIMITS)
    gid = registry.register(root, title=NEURON, inputs=leaves)
    return registry, registry.get(gid)


def _engine_neuron():
    root, leaves = build(NEURON, parse_assignments(VALUES.split()))
    root.label = "out"
    root.backward()
    return root, leaves


def test_view_numbers_are_the_engines():
    _, graph = _neuron()
    data = view(graph, limits=LIMITS)
    root, leaves = _engine_neuron()
    grads = dict(data["gradients"])
    for name, leaf in leaves.items():
        assert grads[name] == fmt(leaf.grad)
    assert grads["out"] == "1"
    fresh, _ = build(NEURON, parse_assignments(VALUES.split()))
    fresh.label = "out"
    steps = list(backward_steps(fresh))
    assert [s["text"] for s in data["steps"]] == [str(s) for s in steps]
    assert data["svg"].startswith("<svg") and data["svg_message"] is None
    assert 'id="n-v0"' in data["svg"]


def test_digits_change_the_narration():
    _, graph = _neuron()
    three = view(graph, digits=3, limits=LIMITS)
    assert "0.881" in three["steps"][1]["text"] and "0.8814" not in three["steps"][1]["text"]
    assert dict(three["gradients"])["x1"] == fmt(-1.5, 3)


def test_derivations_are_latex_with_the_backward_value():
    _, graph = _neuron()
    data = view(graph, limits=LIMITS)
    _, leaves = _engine_neuron()
    by_name = {d["name"]: d for d in data["derivations"]}
    assert set(by_name) == set(leaves)
    for name, leaf in leaves.items():
        assert "\\frac" in by_name[name]["latex"]
        assert math.isclose(by_name[name]["value"], leaf.grad, rel_tol=1e-12, abs_tol=1e-12)


def test_notation_names_and_a_bad_notation():
    names = notation_names()
    assert names[0] == "default"
    _, graph = _neuron()
    with pytest.raises(LabInputError, match="unknown notation"):
        view(graph, notation="klingon", limits=LIMITS)
    for name in names[1:]:
        assert view(graph, notation=name, limits=LIMITS)["notation"] == name


@pytest.mark.parametrize("digits", [0, 18, "3", 2.5, True])
def test_bad_digits(digits):
    _, graph = _neuron()
    with pytest.raises(LabInputError, match="digits"):
        view(graph, digits=digits, limits=LIMITS)


@pytest.mark.parametrize(
    ("expression", "values", "field", "words"),
    [
        ("tanh(x*y)", "x=1", "expression", "no value for 'y'"),
        ("log(x)", "x=-1", "expression", "log"),
        ("__import__('os')", "", "expression", "not allowed"),
        ("x.real", "x=1", "expression", "attribute"),
        ("x**10**10", "x=2", "expression", "overflow"),
        ("x", "x=abc", "values", "not a number"),
        ("x", "x=1 y=2", "values", "not in the expression: y"),
        ("x" + "+x" * 300, "x=1", "expression", "at most 500"),
        (3, "x=1", "expression", "must be text"),
        ("x", 3, "values", "must be text"),
        ("", "", "expression", "empty"),
    ],
)
def test_bad_expressions_say_what_is_wrong(expression, values, field, words):
    with pytest.raises(LabInputError) as caught:
        build_expression(expression, values, LIMITS)
    assert caught.value.field == field
    assert words in str(caught.value)


def test_too_many_nodes():
    small = Limits(max_nodes=5)
    with pytest.raises(LabInputError, match="makes 7 nodes; the lab steps at most 5"):
        build_expression("x*y + y*z + z", "x=1 y=2 z=3", small)


def test_registry_keeps_the_newest():
    registry = GraphRegistry(2)
    root, leaves = build_expression("x*y", "x=1 y=2", LIMITS)
    first = registry.register(root, title="a")
    second = registry.register(root, title="b")
    third = registry.register(root, title="c")
    assert len(registry) == 2 and registry.get(third).title == "c"
    assert registry.get(second).title == "b"
    with pytest.raises(LabInputError, match="there is no graph 'g1'"):
        registry.get(first)
    with pytest.raises(TypeError):
        registry.register("x", title="bad")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        GraphRegistry(0)


def test_a_graph_too_large_to_draw_still_steps():
    from engine.core.value import Value

    x = Value(0.5, label="x")
    out = x
    for _ in range(30):
        out = out * x + 1.0
    registry = GraphRegistry()
    data = view(registry.get(registry.register(out, title="chain")), limits=Limits(max_nodes=20))
    assert data["svg"] is None
    assert "more than the 20 the lab draws" in data["svg_message"]
    assert len(data["steps"]) == data["nodes"] - 30  # one per node but the 30 constants 1.0


def test_grading_is_the_engines_rule():
    _, graph = _neuron()
    data = view(graph, limits=LIMITS)
    for s, step in enumerate(data["steps"]):
        for q, asked in enumerate(step["ask"]):
            want = asked["want"]
            mistakes = {text: number for text, _, _, number in asked["grade"]["mistakes"]}
            for answer in (want, want * 1.004, want * 1.5, -want, 2 * want, want + 0.3, 0.0):
                text = repr(answer)
                verdict = grade_answer(graph, step=s, question=q, answer=text)
                expected = check(text, want, mistakes=mistakes)
                assert verdict["right"] == bool(expected)
                assert verdict["message"] == expected.message
                if verdict["right"]:
                    assert verdict["hint"] is None and verdict["value"] == asked["text"]
                else:
                    assert verdict["hint"] == asked["hint"]


def test_a_wrong_answer_names_the_mistake_and_hints():
    _, graph = _neuron()
    data = view(graph, limits=LIMITS)
    step = next(i for i, s in enumerate(data["steps"]) if s["ask"])
    asked = data["steps"][step]["ask"][0]
    wrong = grade_answer(graph, step=step, question=0, answer=repr(-asked["want"] or 1.0))
    assert not wrong["right"] and wrong["hint"] and wrong["message"].startswith("off by")
    right = grade_answer(graph, step=step, question=0, answer=asked["text"])
    assert right["right"] and right["message"] == "right"


@pytest.mark.parametrize(
    ("step", "question", "answer", "words"),
    [
        (99, 0, "1", "step must be"),
        ("1", 0, "1", "step must be"),
        (1, 9, "1", "question must be"),
        (1, 0, "one", "number"),
        (1, 0, 5, "must be a number"),
    ],
)
def test_bad_answers(step, question, answer, words):
    _, graph = _neuron()
    with pytest.raises(LabInputError, match=words):
        grade_answer(graph, step=step, question=question, answer=answer)
