"""Narrated backward steps, the forward trace and the Stepper (engine/steps.py)."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import OPS, Parameter, Value, logsumexp
from engine.graph import topological_order
from engine.step import Step, Stepper, backward_steps, forward_trace, node_names
from engine.value import _apply, local_derivatives

EXACT_B = 6.881373587019543  # makes n = 0.8814 so that o = tanh(n) = 1/√2 exactly enough


def neuron(b: float = EXACT_B):
    """Karpathy's neuron: o = tanh(x1·w1 + x2·w2 + b), every node labelled as in the lecture."""
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    bias = Value(b, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1w1"
    x2w2 = x2 * w2
    x2w2.label = "x2w2"
    s = x1w1 + x2w2
    s.label = "s"
    n = s + bias
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, dict(x1=x1, w1=w1, x2=x2, w2=w2, b=bias, x1w1=x1w1, x2w2=x2w2, s=s, n=n, o=o)


def grads_hex(nodes) -> list[str]:
    """Every gradient bit for bit (float.hex tells 0.0 from -0.0 and keeps nan visible)."""
    return [float(n.grad).hex() for n in nodes]


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
        return  # with b = 6.8814 the fourth decimals differ (dx1 = -1.4999...)
    assert "∂o/∂n = 1 - tanh(n)² = 0.5000" in str(by_name["o"])
    assert "∂x1w1/∂x1 = w1 = -3.0000" in str(by_name["x1w1"])
    assert "x1.grad += 0.5000 × -3.0000 = -1.5000 (now -1.5000)" in str(by_name["x1w1"])
    assert "∂x1w1/∂w1 = x1 = 2.0000" in str(by_name["x1w1"])
    assert "∂o/∂x1 = -1.5000" in str(by_name["x1"])
    assert "∂o/∂w2 = 0.0000" in str(by_name["w2"])


def test_the_narration_of_the_neuron_reads_as_a_chain_rule_line():
    o, _ = neuron()
    first = next(backward_steps(o))
    assert str(first) == (
        "[1/10] o = tanh(n) = 0.7071;  upstream ∂o/∂o = 1.0000 (the seed)\n"
        "  ∂o/∂n = 1 - tanh(n)² = 0.5000;  n.grad += 1.0000 × 0.5000 = 0.5000 (now 0.5000)"
    )
    assert repr(first) == "<Step 1/10 o (tanh) upstream=1.0000>"


def test_steps_visit_every_node_once_in_reverse_topological_order():
    o, _ = neuron()
    steps = list(backward_steps(o))
    order = topological_order(o)
    assert [s.node for s in steps] == order[::-1]
    assert [s.index for s in steps] == list(range(1, len(order) + 1))
    assert all(s.total == len(order) for s in steps)
    for s in steps:
        assert 2 <= len(str(s).splitlines()) <= 4
        assert len(repr(s)) < 80 and "\n" not in repr(s)


# --------------------------------------------------------------------------------------------
# Every op in the table narrates with its own formula
# --------------------------------------------------------------------------------------------

INPUTS = (0.7, 1.3, 0.4, 0.9)  # inside every op's domain (positive, not zero, not integers)


def build_op(name: str):
    """A node of op `name` over labelled leaves a, b, (c, d), through the engine's generic path."""
    op = OPS[name]
    count = {1: 1, 2: 2, -1: 4}[op.arity]
    leaves = tuple(Value(x, label="abcd"[i]) for i, x in enumerate(INPUTS[:count]))
    arg = 0.5 if op.arg_name is not None else None
    node = _apply(op, leaves, arg)
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
            assert f"{leaf.label} {term.local:.4f}" in text
    else:
        for i, (term, leaf) in enumerate(zip(step.terms, leaves)):
            names = {"x": "a", "y": "b", "out": "out"}
            formula = expected_formula(op.derivatives[i], names)
            assert expected_formula(term.formula, {}) == formula
            assert f"∂out/∂{leaf.label}=" + formula in squashed, (formula, text)
            assert f"{leaf.label}.grad+=1.0000×{term.local:.4f}" in squashed
    if op.arg_name is not None:
        assert "= 0.5)" in text  # the op's constant parameter is shown with its value


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_traces_its_forward_formula(name):
    op = OPS[name]
    node, leaves = build_op(name)
    entry = forward_trace(node)[-1]
    assert entry.node is node and entry.value == node.data
    squashed = str(entry).replace("·", "").replace(" ", "")
    if op.arity == -1:
        assert expected_formula(op.formula, {}) in squashed
        assert "(a, b, c, d)" in str(entry)
    else:
        assert expected_formula(op.formula, {"x": "a", "y": "b", "out": "out"}) in squashed
    assert f"= {node.data:.4f}" in str(entry)


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


# --------------------------------------------------------------------------------------------
# Names for unlabelled nodes
# --------------------------------------------------------------------------------------------


def test_unlabelled_nodes_get_readable_names():
    a = Value(2.0, label="a")
    w = Parameter(0.5)
    y = (a * 3 + w * a).tanh() - 1.5
    names = node_names(y)
    order = topological_order(y)
    assert [names[n] for n in order] == [
        "a",
        "3",
        "p₁",
        "1.5000",
        "mul₁",
        "mul₂",
        "add₁",
        "tanh₁",
        "sub₁",
    ]
    first = next(backward_steps(y))
    assert str(first).startswith("[1/9] sub₁ = tanh₁ - 1.5000 = ")
    assert "∂sub₁/∂(1.5000) = -1" in str(first)
    assert "(1.5000).grad += 1.0000 × -1.0000" in str(first)


def test_negative_constants_are_parenthesised_in_formulas():
    a = Value(2.0, label="a")
    y = a * -3
    y.label = "y"
    assert str(forward_trace(y)[-1]) == "  3. y = a · (-3) = -6.0000"
    assert "∂y/∂a = (-3) = -3.0000" in str(next(backward_steps(y)))


def test_a_repeated_parent_shows_the_running_sum():
    a = Value(3.0, label="a")
    y = a * a
    y.label = "y"
    step = next(backward_steps(y))
    first, second = step.terms
    assert (first.grad_before, first.grad_after) == (0.0, 3.0)
    assert (second.grad_before, second.grad_after) == (3.0, 6.0)
    assert a.grad == 6.0
    assert "(now 3.0000)" in str(step) and "(now 6.0000)" in str(step)


def test_many_inputs_narrate_in_four_lines():
    xs = [Value(float(i), label=f"x{i}") for i in range(6)]
    y = logsumexp(xs)
    y.label = "L"
    step = next(backward_steps(y))
    lines = str(step).splitlines()
    assert len(lines) == 4
    assert "∂L/∂x_i = e^(x_i - L) for each input x_i" in lines[1]
    assert all(f"x{i} {t.local:.4f}" in lines[2] for i, t in enumerate(step.terms))
    assert all(f"x{i} {t.grad_after:.4f}" in lines[3] for i, t in enumerate(step.terms))
    assert sum(t.local for t in step.terms) == pytest.approx(1.0)  # softmax sums to one


def test_a_leaf_root_is_one_step():
    x = Value(4.0, label="x")
    steps = list(backward_steps(x, grad=2.5))
    assert len(steps) == 1 and steps[0].is_leaf and steps[0].upstream == 2.5
    assert x.grad == 2.5
    assert "∂x/∂x = 2.5000" in str(steps[0])


# --------------------------------------------------------------------------------------------
# backward() and backward_steps() are one algorithm: random graphs, bit for bit
# --------------------------------------------------------------------------------------------

SAFE_UNARY = sorted(n for n, op in OPS.items() if op.arity == 1)
BINARY = sorted(n for n, op in OPS.items() if op.arity == 2)
NARY = sorted(n for n, op in OPS.items() if op.arity == -1)

recipe_strategy = st.tuples(
    st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=1, max_size=4),  # leaves
    st.lists(
        st.tuples(
            st.sampled_from(SAFE_UNARY + BINARY + NARY),
            st.lists(st.integers(0, 10**6), min_size=1, max_size=3),
            st.floats(0.1, 2.0),
        ),
        min_size=1,
        max_size=12,
    ),  # each: op, which earlier nodes feed it, its arg
    st.floats(-3.0, 3.0, allow_nan=False),  # the seed
)


def build_recipe(recipe):
    """Build the graph a recipe describes; returns (root, every node in creation order)."""
    leaf_values, ops, _ = recipe
    nodes = [Value(x, label=f"v{i}") for i, x in enumerate(leaf_values)]
    for name, picks, arg in ops:
        op = OPS[name]
        count = {1: 1, 2: 2, -1: len(picks)}[op.arity]
        parents = tuple(nodes[(p + i) % len(nodes)] for i, p in enumerate((picks * 2)[:count]))
        if name == "pow":
            arg = float(round(arg * 2))  # an integer exponent: defined for negative bases too
        nodes.append(_apply(op, parents, arg if op.arg_name is not None else None))
    return nodes[-1], nodes


def try_build(recipe):
    try:
        root, nodes = build_recipe(recipe)
        probe, _ = build_recipe(recipe)
        probe.backward(recipe[2])
    except (ValueError, ZeroDivisionError, OverflowError):
        assume(False)
    assume(all(math.isfinite(n.grad) for n in topological_order(probe)))
    return root, nodes


@settings(max_examples=150, deadline=None)
@given(recipe_strategy)
def test_consuming_every_step_gives_exactly_the_gradients_of_backward(recipe):
    try_build(recipe)
    by_backward, nodes_a = build_recipe(recipe)
    by_steps, nodes_b = build_recipe(recipe)
    for _ in range(2):  # twice: leaves accumulate, interior nodes restart, in both
        by_backward.backward(recipe[2])
        for step in backward_steps(by_steps, grad=recipe[2]):
            for term in step.terms:  # each step reports what it stored
                last = [t for t in step.terms if t.parent is term.parent][-1]
                assert float(last.grad_after).hex() == float(term.parent.grad).hex()
        assert grads_hex(nodes_a) == grads_hex(nodes_b)


@settings(max_examples=100, deadline=None)
@given(
    recipe_strategy,
    st.lists(st.sampled_from(["next", "back", "jump", "run", "reset"]), max_size=40),
    st.randoms(use_true_random=False),
)
def test_the_stepper_undoes_and_redoes_exactly(recipe, moves, rnd):
    root, nodes = try_build(recipe)
    root.backward(0.25)  # grads left over from an earlier pass: undo must bring them back
    order = topological_order(root)
    snapshots = [grads_hex(order)]
    stepper = Stepper(root, grad=recipe[2])
    while stepper.next() is not None:
        snapshots.append(grads_hex(order))
    assert len(snapshots) == len(order) + 1
    for move in moves:
        if move == "next":
            stepper.next()
        elif move == "back":
            stepper.back()
        elif move == "jump":
            stepper.jump(rnd.randint(0, stepper.total))
        elif move == "run":
            stepper.run()
        else:
            stepper.reset()
        assert grads_hex(order) == snapshots[stepper.position]
    stepper.run()
    reference, ref_nodes = build_recipe(recipe)
    reference.backward(0.25)
    reference.backward(recipe[2])
    assert grads_hex(nodes) == grads_hex(ref_nodes)


# --------------------------------------------------------------------------------------------
# The Stepper
# --------------------------------------------------------------------------------------------


def test_stepper_next_back_run_and_state():
    o, v = neuron()
    s = Stepper(o)
    assert (s.position, s.total, s.current, s.done) == (0, 10, None, False)
    assert s.back() is None
    assert "nothing applied yet" in str(s) and "gradients: none yet" in str(s)
    first = s.next()
    assert isinstance(first, Step) and first is s.current and o.grad == 1.0
    assert v["n"].grad == pytest.approx(0.5) and s.known() == {o, v["n"]}
    assert s.gradients() == {"n": v["n"].grad, "o": 1.0}
    assert repr(s) == "<Stepper o: step 1/10 at o>"
    assert s.back() is first and o.grad == 0.0 and v["n"].grad == 0.0 and s.known() == set()
    rest = s.run()
    assert len(rest) == 10 and s.done and s.next() is None
    assert s.known() == set(topological_order(o))
    assert [st_.node for st_ in s.steps] == topological_order(o)[::-1]
    assert v["x1"].grad == pytest.approx(-1.5) and v["w1"].grad == pytest.approx(1.0)
    s.reset()
    assert all(n.grad == 0.0 for n in topological_order(o)) and s.position == 0


def test_stepper_jumps_by_name_by_node_and_by_position():
    o, v = neuron()
    s = Stepper(o)
    assert s.jump("x1w1").node is v["x1w1"] and s.position == 5
    assert v["x1"].grad == pytest.approx(-1.5) and v["b"].grad == pytest.approx(0.5)
    assert s.jump(v["n"]).name == "n" and s.position == 2
    assert v["x1"].grad == 0.0  # undone on the way back
    assert s.jump(0) is None and o.grad == 0.0
    assert s.jump(10).name == "x1"


@pytest.mark.parametrize(
    "target, error, match",
    [
        ("nope", ValueError, r"no node is named 'nope'; the names are: b, n, o, s, w1"),
        (11, ValueError, "position must be an int from 0 to 10, got 11"),
        (-1, ValueError, "got -1"),
        (2.0, TypeError, "got float 2.0"),
        (Value(1.0, label="stranger"), ValueError, "stranger.*is not a node of this graph"),
    ],
)
def test_stepper_jump_rejects_what_is_not_in_the_graph(target, error, match):
    o, _ = neuron()
    with pytest.raises(error, match=match):
        Stepper(o).jump(target)


@pytest.mark.parametrize(
    "call",
    [
        lambda: backward_steps(3.0),
        lambda: Stepper("o"),
        lambda: forward_trace(None),
        lambda: node_names([1]),
    ],
)
def test_a_root_that_is_not_a_value_is_refused_at_once(call):
    with pytest.raises(TypeError, match="Value"):
        call()


def test_a_bad_seed_is_refused_at_once():
    o, _ = neuron()
    with pytest.raises(TypeError, match="'one'"):
        backward_steps(o, grad="one")
    with pytest.raises(TypeError, match="None"):
        Stepper(o, grad=None)


def test_interior_gradients_restart_like_backward():
    o, v = neuron()
    o.backward()
    o.backward()  # leaves accumulate to twice their gradient, interior nodes stay single
    for _ in backward_steps(o):
        pass
    assert v["n"].grad == pytest.approx(0.5) and v["x1"].grad == pytest.approx(-4.5)


# --------------------------------------------------------------------------------------------
# The forward trace
# --------------------------------------------------------------------------------------------


def test_forward_trace_lists_nodes_in_computation_order_with_values():
    o, v = neuron()
    trace = forward_trace(o)
    assert [e.name for e in trace] == ["x1", "w1", "x2", "w2", "b", "x1w1", "x2w2", "s", "n", "o"]
    assert [e.value for e in trace] == [n.data for n in topological_order(o)]
    assert len(trace) == 10 and trace[0].kind == "input" and trace[-1].kind == "output"
    lines = str(trace).splitlines()
    assert lines[0] == "forward pass (inputs first):"
    assert lines[1] == "  1. x1 = 2.0000  (input)"
    assert lines[6] == "  6. x1w1 = x1 · w1 = -6.0000"
    assert lines[9] == "  9. n = s + b = 0.8814"
    assert lines[10] == " 10. o = tanh(n) = 0.7071"
    assert repr(trace) == "<ForwardTrace of 10 nodes>"
    assert str(Stepper(o).forward_trace()) == str(trace)


def test_forward_trace_tells_parameters_and_constants_apart():
    w = Parameter(0.5, label="w")
    y = w * 2
    kinds = [e.kind for e in forward_trace(y)]
    assert kinds == ["parameter", "constant", "output"]
    assert "(parameter)" in str(forward_trace(y)) and "(constant)" in str(forward_trace(y))


# --------------------------------------------------------------------------------------------
# Drawing the current state (engine/draw.py)
# --------------------------------------------------------------------------------------------


def test_draw_shows_only_computed_gradients_and_highlights_the_active_node():
    draw = pytest.importorskip("engine.draw.dot")
    active = draw.COLOURS["active"]
    o, v = neuron()
    s = Stepper(o)
    before = s.draw().source
    assert before.count("grad ?</td>") == 10 and active not in before
    s.next()
    after_one = s.draw().source
    assert after_one.count("grad ?</td>") == 8  # o and n are known
    assert "grad 0.5000" in after_one and active in after_one
    s.run()
    final = s.draw(rankdir="TB").source
    assert (
        "grad ?</td>" not in final
        and "grad -1.5000" in final
        and "rankdir=TB" in final.replace(" ", "").replace('"', "")
    )


def test_notebook_display_of_a_stepper_is_the_current_svg():
    draw = pytest.importorskip("engine.draw.dot")
    if not draw.find_renderers():
        pytest.skip("no Graphviz renderer (dot or graphviz-pure) on this machine")
    o, _ = neuron()
    s = Stepper(o)
    s.jump("n")
    bundle = s._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))
    assert "grad ?" in bundle["image/svg+xml"] and "0.5000" in bundle["image/svg+xml"]
    assert bundle["text/plain"].startswith("step 2/10\n[2/10] n = s + b")


def test_a_step_that_cannot_be_differentiated_fails_cleanly_and_can_be_undone():
    x = Value(0.0, label="x")
    r = x.sqrt()  # √x has no finite derivative at 0
    r.label = "r"
    y = r * 2
    y.label = "y"
    s = Stepper(y)
    assert s.next().name == "y"
    for _ in range(2):  # the same error again on every try, no StopIteration
        with pytest.raises(ZeroDivisionError, match=r"backward through sqrt\(x=0.0\)"):
            s.run()
    # the error comes at x's step, the leaf whose gradient is not finite (√x's step sent it
    # inf: a later relu could still have turned that into 0)
    assert s.position == 3 and s.current.name == "2"
    s.reset()
    assert (x.grad, r.grad, y.grad) == (0.0, 0.0, 0.0)


def test_a_pass_that_fails_can_be_undone_to_every_gradient_as_it_was():
    x = Value(0.0, label="x")
    y = x.sqrt()
    x.grad, y.grad = 0.25, 7.0
    s = Stepper(y)
    s.next()
    with pytest.raises(ZeroDivisionError, match="sqrt"):
        s.next()
    s.reset()
    assert (x.grad, y.grad, s.position) == (0.25, 7.0, 0)


def test_drawn_boxes_carry_the_names_the_narration_uses():
    pytest.importorskip("engine.draw.dot")
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + 1).tanh()
    s = Stepper(out)
    s.run()
    source = s.draw().source
    narration = "\n".join(str(step) for step in backward_steps(out))
    for name in ("mul₁", "add₁", "tanh₁"):
        assert name in narration and f"<td>{name}</td>" in source
    assert "<td>1</td>" not in source  # a constant shows its data, not a name cell


def test_draw_dot_names_only_unlabelled_non_constant_nodes():
    draw = pytest.importorskip("engine.draw.dot")
    a = Value(2.0, label="a")
    c = Value(3.0)
    out = a * c
    names = {a: "ignored", c: "const", out: "product"}
    source = draw.draw_dot(out, names=names).source
    assert "<td>a</td>" in source and "<td>product</td>" in source
    assert "ignored" not in source and "<td>const</td>" not in source
    assert "<td>product</td>" not in draw.draw_dot(out).source
