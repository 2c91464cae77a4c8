"""`engine.grad` and ``backward(create_graph=True)``: gradients as graphs, their errors, and
that the stepper and the drawing work on a double-backward graph."""

from __future__ import annotations

import math

import pytest

from engine import Parameter, Stepper, Value, draw_dot, grad, no_grad
from engine.core.graph import topological_order
from engine.core.maths import WALKER_NAMES
from engine.core.ops import FLOAT_MATH, OPS
from engine.functional.gradients import VALUE_MATH


def _graph():
    x, y = Value(0.7, label="x"), Value(-1.3, label="y")
    h = (x * y + x.exp()).tanh()
    out = h * x + y.sigmoid() * h
    return x, y, h, out


# --------------------------------------------------------------------------------------------
# grad: numbers
# --------------------------------------------------------------------------------------------


def test_grad_equals_backward_and_touches_no_grad():
    x, y, h, out = _graph()
    for node in topological_order(out):
        node.grad = 0.25  # something grad() must leave alone
    gx, gy, gh = grad(out, [x, y, h])
    assert all(node.grad == 0.25 for node in topological_order(out))
    assert not gx.parents and not gy.parents  # create_graph=False: constant leaves
    out.zero_grad()
    out.backward()
    assert (gx.data, gy.data, gh.data) == (x.grad, y.grad, h.grad)


def test_a_single_input_still_gives_a_tuple():
    x = Value(3.0)
    result = grad(x * x, x)
    assert isinstance(result, tuple) and len(result) == 1
    assert result[0].data == 6.0


def test_grad_outputs_weight_several_outputs():
    x, y, h, out = _graph()
    a, b = out, h * h
    gx, gy = grad([a, b], [x, y], grad_outputs=[2.0, -3.0])
    (ax, ay), (bx, by) = grad(a, [x, y]), grad(b, [x, y])
    assert gx.data == pytest.approx(2 * ax.data - 3 * bx.data, rel=1e-14)
    assert gy.data == pytest.approx(2 * ay.data - 3 * by.data, rel=1e-14)


def test_interior_node_as_input_and_an_output_as_its_own_input():
    x, y, h, out = _graph()
    (gh,) = grad(out, h)
    assert gh.data == pytest.approx(x.data + y.sigmoid().data, rel=1e-14)  # ∂(h·x + s·h)/∂h
    assert grad(x, x)[0].data == 1.0
    assert [g.data for g in grad(x * 3.0, [x, x])] == [3.0, 3.0]


# --------------------------------------------------------------------------------------------
# Errors, as PyTorch's
# --------------------------------------------------------------------------------------------


def test_unused_input_is_an_error_naming_it_unless_allowed():
    x, z = Value(1.0, label="x"), Value(2.0, label="z")
    y = x * 2.0
    with pytest.raises(ValueError, match=r"inputs\[1\] .*label='z'.* not used.*allow_unused=True"):
        grad(y, [x, z])
    gx, gz = grad(y, [x, z], allow_unused=True)
    assert gx.data == 2.0 and gz is None
    gx, gz = grad(y, [x, z], materialize_grads=True)
    assert gz.data == 0.0 and not gz.parents
    with pytest.raises(ValueError, match="materialize_grads=True needs allow_unused"):
        grad(y, [x, z], allow_unused=False, materialize_grads=True)


def test_differentiating_a_constant_derivative_says_so():
    x = Value(1.5, label="x")
    (g,) = grad(x * 3.0, x, create_graph=True)  # ∂(3x)/∂x = 3: a constant
    assert g.data == 3.0
    with pytest.raises(ValueError, match="is a leaf, a constant.*derivative is constant"):
        grad(g, x)
    assert grad(g, x, materialize_grads=True)[0].data == 0.0


def test_create_graph_inside_no_grad_is_an_error():
    x = Value(2.0)
    y = x * x
    with no_grad():
        assert grad(y, x)[0].data == 4.0  # numbers are fine: the graph is already there
        with pytest.raises(RuntimeError, match=r"grad\(create_graph=True\) inside no_grad"):
            grad(y, x, create_graph=True)
        with pytest.raises(RuntimeError, match=r"backward\(create_graph=True\) inside no_grad"):
            y.backward(create_graph=True)


@pytest.mark.parametrize(
    "call, error, text",
    [
        (lambda x: grad(3.0, x), TypeError, "outputs must be a Value"),
        (lambda x: grad(x * x, 2.0), TypeError, "inputs must be a Value"),
        (lambda x: grad(x * x, [x, 2.0]), TypeError, r"inputs\[1\] must be a Value.*a number"),
        (lambda x: grad(x * x, []), ValueError, "inputs is empty"),
        (lambda x: grad(x * x, x, grad_outputs=[1.0, 2.0]), ValueError, "2 grad_outputs for 1"),
        (lambda x: grad(x * x, x, grad_outputs="1"), TypeError, "grad_outputs must be numbers"),
        (lambda x: grad(x * x, x, grad_outputs=[True]), TypeError, "real number"),
    ],
)
def test_bad_arguments_are_named(call, error, text):
    with pytest.raises(error, match=text):
        call(Value(1.0))


def test_backward_through_an_undefined_derivative_names_the_op():
    x = Value(0.0, label="x")
    with pytest.raises(ZeroDivisionError, match=r"backward through sqrt\(x=0.0\)"):
        grad(x.sqrt(), x, create_graph=True)


# --------------------------------------------------------------------------------------------
# Graphs: derivatives of any order
# --------------------------------------------------------------------------------------------


def test_derivatives_of_exp_2x_to_sixth_order():
    x = Value(0.3, label="x")
    g = (2.0 * x).exp()
    for n in range(1, 7):
        (g,) = grad(g, x, create_graph=True)
        assert g.data == pytest.approx(2.0**n * math.exp(0.6), rel=1e-13)


def test_derivatives_of_sin_cycle():
    x = Value(0.4)
    g = x.sin()
    expected = [math.cos(0.4), -math.sin(0.4), -math.cos(0.4), math.sin(0.4)] * 2
    for want in expected:
        (g,) = grad(g, x, create_graph=True)
        assert g.data == pytest.approx(want, rel=1e-13)


def test_the_gradient_graph_is_the_op_tables_rule():
    x = Value(0.5, label="x")
    y = x.tanh()
    (g,) = grad(y, x, create_graph=True)  # tanh's rule: 1 - out·out, on the tanh node itself
    assert g.op == "sub" and g.parents[0].data == 1.0
    square = g.parents[1]
    assert square.op == "mul" and square.parents == (y, y)
    (h,) = grad(x * Value(2.0, label="y"), x, create_graph=True)
    assert h.label == "y"  # ∂(x·y)/∂x is y itself: no node for "1 · y"


def test_grad_outputs_as_values_stay_in_the_graph():
    x, v = Value(1.2, label="x"), Value(0.5, label="v")
    (g,) = grad(x.exp(), x, grad_outputs=v, create_graph=True)  # v · e^x
    assert g.data == pytest.approx(0.5 * math.exp(1.2), rel=1e-15)
    gx, gv = grad(g, [x, v])
    assert gx.data == pytest.approx(0.5 * math.exp(1.2)) and gv.data == pytest.approx(math.exp(1.2))


def test_mixed_partials_are_symmetric_and_right():
    x, y = Value(0.8, label="x"), Value(-0.6, label="y")
    f = x * x * y + (x * y).sin()
    gx, gy = grad(f, [x, y], create_graph=True)
    (dxy,) = grad(gx, y)
    (dyx,) = grad(gy, x)
    expected = 2 * 0.8 + math.cos(-0.48) - 0.8 * -0.6 * math.sin(-0.48)
    assert dxy.data == pytest.approx(expected, rel=1e-13)
    assert dyx.data == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("name", sorted(OPS))
def test_first_derivative_as_a_graph_has_the_numbers_of_backward(name):
    """The rules evaluated with VALUE_MATH give the float rules' numbers (to rounding)."""
    xs = {1: [0.7], 2: [0.7, 1.3], -1: [0.7, 1.3, -0.4]}[OPS[name].arity]
    build = {
        "pow": lambda x: x**3,
        "leaky_relu": lambda x: x.leaky_relu(0.2),
        "elu": lambda x: x.elu(0.7),
        "swish": lambda x: x.swish(1.5),
        "pow_value": lambda x, y: x**y,
        "logsumexp": lambda *v: __import__("engine").logsumexp(v),
        "add": lambda x, y: x + y,
        "sub": lambda x, y: x - y,
        "mul": lambda x, y: x * y,
        "div": lambda x, y: x / y,
        "neg": lambda x: -x,
        "abs": lambda x: abs(x),
    }.get(name, lambda x: getattr(x, name)())
    leaves = [Value(x) for x in xs]
    out = build(*leaves)
    assert out.op == name
    graphs = grad(out, leaves, create_graph=True)
    out.backward()
    for leaf, g in zip(leaves, graphs):
        assert g.data == pytest.approx(leaf.grad, rel=1e-15, abs=1e-300)


def test_value_math_mirrors_float_math():
    assert set(vars(VALUE_MATH)) == set(vars(FLOAT_MATH))
    for name in vars(FLOAT_MATH):
        if name in ("if_pos", "if_nonpos") or name in WALKER_NAMES:
            continue
        for x in (0.3, 2.5, 6.0):  # erfc(6) = 2e-17: the graph 1 - erf(x) has erfc's number
            assert getattr(VALUE_MATH, name)(Value(x)).data == getattr(FLOAT_MATH, name)(x)
            assert getattr(VALUE_MATH, name)(x) == getattr(FLOAT_MATH, name)(x)
    assert VALUE_MATH.if_pos(Value(-1.0), "a", "b") == "b"
    assert VALUE_MATH.if_nonpos(Value(-1.0), "a", "b") == "a"
    assert VALUE_MATH.if_nonpos(Value(math.nan), "a", "b") == "b"


def test_a_number_chosen_where_the_graph_branch_has_that_number_keeps_the_graph():
    """At the boundary 0 a chosen number equal to the other branch's graph states that graph's
    value: the graph is kept, so its derivatives are the formula's (x^y's ∂/∂x at y = 0)."""
    y = Value(0.0)
    graph = y * 3.0
    assert VALUE_MATH.if_nonpos(y, 0.0, graph) is graph
    assert VALUE_MATH.if_nonpos(y, 1.0, graph) == 1.0  # another number: the choice stands
    assert VALUE_MATH.if_nonpos(Value(-1.0), 0.0, Value(-1.0) * 0.0) == 0.0  # not at 0
    kink = Value(0.0).exp()  # elu's α·e^x at 0 is a graph: chosen, whatever the other side
    assert VALUE_MATH.if_nonpos(Value(0.0), kink, 1.0) is kink


# --------------------------------------------------------------------------------------------
# backward(create_graph=True)
# --------------------------------------------------------------------------------------------


def test_backward_create_graph_makes_every_grad_a_value():
    x = Parameter(2.0, label="x")
    y = x**3
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 12.0
    assert isinstance(y.grad, Value) and y.grad.data == 1.0
    assert "grad=12," in repr(x)  # repr shows the number
    (second,) = grad(x.grad, x)
    assert second.data == 12.0  # 6x


def test_backward_create_graph_accumulates_like_pytorch_and_zero_grad_resets():
    x = Value(2.0)
    y = x * x
    y.backward(create_graph=True)
    y.backward(create_graph=True)
    assert x.grad.data == 8.0 and x.grad.op == "add"
    y.zero_grad()
    assert x.grad == 0.0 and type(x.grad) is float
    y.backward()
    assert x.grad == 4.0


def test_plain_backward_after_a_graph_backward_matches():
    x, y, h, out = _graph()
    out.backward(create_graph=True)
    graphs = {node: node.grad.data for node in topological_order(out)}
    out.zero_grad()
    out.backward()
    for node, number in graphs.items():
        assert node.grad == pytest.approx(number, rel=1e-15)


# --------------------------------------------------------------------------------------------
# Teaching: the stepper and the drawing on the double-backward graph
# --------------------------------------------------------------------------------------------


def test_stepper_walks_the_double_backward_graph():
    x = Value(0.5, label="x")
    y = x.tanh()
    (g,) = grad(y, x, create_graph=True)  # g = 1 - tanh(x)²
    stepper = Stepper(g)
    steps = stepper.run()
    t = math.tanh(0.5)
    assert x.grad == pytest.approx(-2 * t * (1 - t * t), rel=1e-14)  # ∂²tanh/∂x²
    order = topological_order(g)  # the constant 1 of 1 - tanh(x)² gets no step
    assert stepper.total == len(order) - 1 == sum(bool(n.parents) or n is x for n in order)
    narrated = "\n".join(str(step) for step in steps)
    assert "tanh" in narrated, narrated
    assert f"its gradient is final: ∂⁺{stepper.names[g]}/∂x = " in narrated


def test_draw_dot_draws_the_double_backward_graph():
    x = Value(0.5, label="x")
    (g,) = grad(x.tanh(), x, create_graph=True)
    source = draw_dot(g).source
    assert "tanh" in source
    for number in ("0.5", "0.4621", "0.2136", "0.7864"):  # x, tanh x, tanh² x, 1 - tanh² x
        assert f"data {number}" in source


# --------------------------------------------------------------------------------------------
# Infinity and NaN: numbers follow backward(), graphs raise
# --------------------------------------------------------------------------------------------


def test_grad_as_numbers_lets_a_chosen_zero_win_as_backward_does():
    x = Value(-2.0, label="x")
    (g,) = grad(x.relu().sqrt(), x)  # √0 sends inf, relu's chosen 0 stops it (PyTorch)
    assert g.data == 0.0
    x.relu().sqrt().backward()
    assert x.grad == 0.0
    with pytest.raises(ZeroDivisionError, match=r"sqrt\(x=0.0\) with create_graph=True"):
        grad(x.relu().sqrt(), x, create_graph=True)


def test_grad_as_numbers_raises_for_an_input_whose_gradient_is_inf():
    x = Value(1e-10, label="x")
    with pytest.raises(OverflowError, match=r"backward through log\(x=1e-310\).*'x' is inf"):
        grad((x * 1e-300).log(), x)
    assert x.grad == 0.0  # grad() writes no .grad


def test_an_unchosen_branch_that_fails_on_values_is_dropped():
    """x^y at x = 0: the rule's x^(y-1) and ln(x) fail on Values, but the rule chooses 0 for
    ∂/∂y there (and for ∂/∂x at y = 0), as backward() does."""
    x, y = Value(0.0), Value(2.0)
    gx, gy = grad(x**y, [x, y], create_graph=True)
    assert (gx.data, gy.data) == (0.0, 0.0)
    (gyy,) = grad(gy, y, allow_unused=True, materialize_grads=True)
    assert gyy.data == 0.0
    x0, y0 = Value(0.0), Value(0.0)
    assert [g.data for g in grad(x0**y0, [x0, y0], create_graph=True)] == [0.0, 0.0]
    z = Value(0.0)  # 0^0.5: ∂/∂x = 0.5·0^(-0.5) is chosen, and infinite
    with pytest.raises(ZeroDivisionError, match=r"pow_value\(x=0.0, y=0.5\) with create_graph"):
        grad(z ** Value(0.5), z, create_graph=True)
