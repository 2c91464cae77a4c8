"""The Stepper (engine/step/stepper.py): forwards and backwards through a backward pass, exact undo,
this pass's derivatives, partial sums, and drawing the current state."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value
from engine.core.graph import topological_order
from engine.core.value import fmt_number
from engine.draw.style import name_cell
from engine.step import Step, Stepper, backward_steps
from tests.engine.step.graphs import build_recipe, grads_hex, neuron, recipe_strategy, try_build


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


def test_stepper_next_back_run_and_state():
    o, v = neuron()
    s = Stepper(o)
    assert (s.position, s.total, s.current, s.done) == (0, 10, None, False)
    assert s.back() is None
    assert "nothing applied yet" in str(s) and "gradients so far: none yet" in str(s)
    assert "next() seeds ∂⁺o/∂o = 1" in str(s)
    first = s.next()
    assert isinstance(first, Step) and first is s.current
    assert o.grad == 0.0 and v["n"].grad == 0.0  # .grad is written when the pass completes
    assert s.known() == {o, v["n"]}
    assert s.gradients() == {"n": pytest.approx(0.5), "o": 1.0}
    assert repr(s) == f"Stepper for o: step 1/10, the last step:\n{first}"
    assert s.summary() == "gradients so far (∂⁺o/∂x): n 0.5, o 1"
    assert s.back() is first and s.known() == set()
    rest = s.run()
    assert len(rest) == 10 and s.done and s.next() is None
    assert o.grad == 1.0 and v["n"].grad == pytest.approx(0.5)  # the pass completed: written
    s.back()
    assert o.grad == 0.0 and v["n"].grad == 0.0  # undone exactly
    s.next()
    assert s.known() == set(topological_order(o))
    assert [st_.node for st_ in s.steps] == topological_order(o)[::-1]
    assert v["x1"].grad == pytest.approx(-1.5) and v["w1"].grad == pytest.approx(1.0)
    s.reset()
    assert all(n.grad == 0.0 for n in topological_order(o)) and s.position == 0


def test_after_an_earlier_backward_the_stepper_shows_the_true_derivatives():
    o, v = neuron()
    o.backward()
    s = Stepper(o)
    s.run()
    assert s.gradients()["w1"] == pytest.approx(1.0)  # the derivative
    assert v["w1"].grad == pytest.approx(2.0)  # .grad as a second backward() leaves it
    assert "w1 1," in s.summary() and "w1 2" not in s.summary()
    assert s.grads()[v["x1"]] == pytest.approx(-1.5)
    s.reset()
    assert v["w1"].grad == pytest.approx(1.0)  # undone to what the earlier pass left


def test_partial_sums_are_marked_in_the_state_text():
    a = Value(2.0, label="a")
    y = a * a + a
    y.label = "y"
    s = Stepper(y)
    s.next()
    assert s.partial() == {a} and s.received()[a] == (1, 3)
    assert "a 1 (partial: 1 of 3 edges)" in s.summary()
    assert "(partial: 1 of 3 edges)" in str(s)
    s.next()
    assert s.partial() == set() and s.received()[a] == (3, 3)
    assert "a 5," in s.summary() and "partial" not in s.summary()


def test_stepper_digits():
    o, _ = neuron()
    s = Stepper(o, digits=2)
    s.next()
    assert "o = tanh(n) = 0.71;" in str(s) and "n 0.5" in s.summary()
    assert "0.71" in str(s.forward_trace())
    with pytest.raises(ValueError, match="digits"):
        Stepper(o, digits=0)


def test_stepper_jumps_by_name_by_node_and_by_position():
    o, v = neuron()
    s = Stepper(o)
    assert s.jump("x1w1").node is v["x1w1"] and s.position == 5
    assert s.gradients()["x1"] == pytest.approx(-1.5) and s.gradients()["b"] == pytest.approx(0.5)
    assert v["x1"].grad == 0.0  # .grad waits for the whole pass
    assert s.jump(v["n"]).name == "n" and s.position == 2
    assert "x1" not in s.gradients()  # undone on the way back
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


def test_a_bad_root_or_seed_is_refused_at_once():
    with pytest.raises(TypeError, match="Value"):
        Stepper("o")
    o, _ = neuron()
    with pytest.raises(TypeError, match="None"):
        Stepper(o, grad=None)


def test_a_step_that_cannot_be_differentiated_fails_cleanly_and_can_be_undone():
    x = Value(0.0, label="x")
    r = x.sqrt()  # √x has no finite derivative at 0
    r.label = "r"
    y = r * 2
    y.label = "y"
    s = Stepper(y)
    assert s.next().name == "y"
    # r's step runs in IEEE arithmetic (x.grad = 2 · ∞ = ∞), as backward() does; the pass fails
    # at x, the leaf whose gradient that made infinite (steps: y, r, x; the constant 2 has none)
    for _ in range(2):  # the same error again on every try, no StopIteration
        with pytest.raises(ZeroDivisionError, match=r"backward through sqrt\(x=0.0\)"):
            s.run()
    assert s.position == 2 and s.current.name == "r" and s.total == 3
    assert (x.grad, r.grad, y.grad) == (0.0, 0.0, 0.0)  # an atomic pass: nothing written
    s.reset()
    assert (x.grad, r.grad, y.grad) == (0.0, 0.0, 0.0)


def test_a_failing_step_leaves_every_gradient_as_it_was_and_reset_restores_the_rest():
    x = Value(0.0, label="x")
    y = x.sqrt()
    x.grad, y.grad = 0.25, 7.0
    s = Stepper(y)
    assert s.next().name == "sqrt₁"  # the root step: x's bar = 1 · ∞
    assert (x.grad, y.grad, s.position) == (0.25, 7.0, 1)  # nothing written mid-pass
    with pytest.raises(ZeroDivisionError, match="sqrt"):  # the leaf step: x's gradient is ∞
        s.next()
    assert (x.grad, y.grad, s.position) == (0.25, 7.0, 1)
    s.reset()
    assert (x.grad, y.grad, s.position) == (0.25, 7.0, 0)


# --------------------------------------------------------------------------------------------
# Drawing the current state
# --------------------------------------------------------------------------------------------


def test_draw_passes_this_pass_gradients_when_draw_dot_takes_them(monkeypatch):
    draw = pytest.importorskip("engine.draw")
    seen = {}

    def fake_draw_dot(
        root, *, highlight=None, grad_known=None, names=None, grads=None, partial=None, digits=None
    ):
        seen.update(grads=grads, partial=partial, known=grad_known, names=names, digits=digits)
        return "drawn"

    monkeypatch.setattr(draw, "draw_dot", fake_draw_dot)
    a = Value(2.0, label="a")
    y = a * a + a
    y.label = "y"
    y.backward()  # a.grad = 5 from an earlier pass
    s = Stepper(y)
    s.next()
    assert s.draw() == "drawn"
    assert seen["grads"][a] == 1.0 and seen["partial"][a] == (1, 3)
    assert seen["known"] == s.known() and seen["names"] is s.names
    assert seen["digits"] is None  # the engine's format, as the narration prints


def test_draw_shows_the_digits_the_narration_prints():
    pytest.importorskip("graphviz")
    x = Value(2.0 / 3.0, label="x")
    y = (x * x).tanh()
    y.label = "y"
    s = Stepper(y, digits=3)
    s.go_to(s.total)
    source = s.draw().source
    assert "data 0.667" in source and "data 0.6667" not in source  # Stepper(digits=3): 3


def test_draw_shows_only_computed_gradients_and_highlights_the_active_node():
    draw = pytest.importorskip("engine.draw")
    active = draw.COLOURS["active"]
    o, v = neuron()
    s = Stepper(o)
    before = s.draw().source
    assert before.count("grad ?</td>") == 10 and active not in before
    s.next()
    after_one = s.draw().source
    assert after_one.count("grad ?</td>") == 8  # o and n are known
    assert f"grad {fmt_number(0.5)}" in after_one and active in after_one
    s.run()
    final = s.draw(rankdir="TB").source
    assert (
        "grad ?</td>" not in final
        and f"grad {fmt_number(-1.5)}" in final
        and "rankdir=TB" in final.replace(" ", "").replace('"', "")
    )


def test_notebook_display_of_a_stepper_is_the_current_svg():
    draw = pytest.importorskip("engine.draw")
    if not draw.find_renderers():
        pytest.skip("no Graphviz renderer (dot or graphviz-pure) on this machine")
    o, _ = neuron()
    s = Stepper(o)
    s.jump("n")
    bundle = s._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith(("<?xml", "<svg"))
    assert "grad ?" in bundle["image/svg+xml"] and fmt_number(0.5) in bundle["image/svg+xml"]
    assert bundle["text/plain"].startswith("step 2/10\n[2/10] n = s + b")


def test_drawn_boxes_carry_the_names_the_narration_uses():
    pytest.importorskip("engine.draw")
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = (a * b + 1).tanh()
    s = Stepper(out)
    s.run()
    source = s.draw().source
    narration = "\n".join(str(step) for step in backward_steps(out))
    for name in ("mul₁", "add₁", "tanh₁"):
        assert name in narration and name_cell(name) in source
    assert "<td>1</td>" not in source  # a constant shows its data, not a name cell


def test_draw_dot_names_only_unlabelled_non_constant_nodes():
    draw = pytest.importorskip("engine.draw")
    a = Value(2.0, label="a")
    c = Value(3.0)
    out = a * c
    names = {a: "ignored", c: "const", out: "product"}
    source = draw.draw_dot(out, names=names).source
    assert "<td>a</td>" in source and "<td>product</td>" in source
    assert "ignored" not in source and "<td>const</td>" not in source
    assert "<td>product</td>" not in draw.draw_dot(out).source


def _same_named_graphs():
    """Graphs where one name means two nodes: two labels x, a label that is an automatic name
    (mul₁), a label that reads as a constant (2)."""
    a, b = Value(2.0, label="x"), Value(3.0, label="x")
    twice = (a * b, "x")
    c, d = Value(2.0, label="c"), Value(3.0, label="d")
    auto = ((c * d + Value(1.0, label="mul₁")), "mul₁")
    e = Value(5.0, label="2")
    constant = (e * 2.0, "2")
    return [twice, auto, constant]


@pytest.mark.parametrize("root, name", _same_named_graphs(), ids=["two-x", "auto-name", "constant"])
def test_stepper_jump_refuses_a_name_two_nodes_share(root, name):
    with pytest.raises(ValueError, match=rf"jump: the name '{name}' is ambiguous: 2 nodes"):
        Stepper(root).jump(name)


def test_a_graph_whose_grads_are_values_after_create_graph_can_be_stepped():
    """backward(create_graph=True) leaves Values in .grad: the narration, the drawing and the
    player show their numbers (a leaf's earlier gradient 12, held as a graph)."""
    from engine.step.player import player_html

    x = Value(2.0, label="x")
    y = x * x * x
    y.backward(create_graph=True)
    s = Stepper(y)
    s.run()
    text = str(s.current)
    assert "x.grad = 12 + 12 = 24" in text
    assert s.grads()[x] == 12.0
    assert "12" in s.draw().source
    x.zero_grad()
    y.backward(create_graph=True)
    assert "<html" in player_html(Stepper(y)).lower()
    assert [str(step) for step in backward_steps(y)]


def test_a_fresh_stepper_says_how_to_begin():
    a = Value(2.0, label="a")
    o = a * a
    o.label = "o"
    s = Stepper(o)
    assert repr(s) == "Stepper for o: step 0/2, nothing applied yet (s.next() takes the first step)"
