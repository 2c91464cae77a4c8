"""Write your own op (engine/functional/custom.py): one call, and it works with backward, the
narrated steps,
the Stepper, drawing and gradcheck."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import GradcheckError, Stepper, Value, backward_steps, gradcheck
from engine.core.ops import OPS
from engine.functional.custom import CustomOp, define_op, lecture_relu
from tests.equations import wrong_equations


def define_cube():
    return define_op(
        "cube",
        forward=lambda x: x**3,
        derivative=lambda x: 3 * x**2,
        formula="x³",
        derivatives="3·x²",
    )


def test_a_user_defined_op_passes_gradcheck_and_backward():
    cube = define_cube()
    assert isinstance(cube, CustomOp) and OPS["cube"] is cube.row
    a = Value(2.0, label="a")
    y = cube(a)
    assert (y.data, y.op, y.parents) == (8.0, "cube", (a,))
    y.backward()
    assert a.grad == 12.0
    assert gradcheck(lambda x: cube(x) * x + cube(x * 0.5), [1.3])
    assert cube(3).data == 27.0  # numbers become constant leaves


@settings(max_examples=60, deadline=None)
@given(st.floats(-3, 3, allow_nan=False), st.floats(0.5, 3))
def test_a_binary_op_with_the_output_in_its_derivative(x, y):
    hyp = define_op(
        "hypot2",
        forward=lambda a, b: math.sqrt(a * a + b * b),
        derivative=lambda a, b, out: (a / out, b / out),
        formula="√(x² + y²)",
        derivatives=("x/out", "y/out"),
    )
    assert hyp.arity == 2
    assert gradcheck(lambda p, q: hyp(p, q) * p, [x, y])


def test_a_user_defined_op_steps_with_its_formulas():
    cube = define_cube()
    a = Value(2.0, label="a")
    y = cube(a * 1.5)
    y.label = "y"
    text = "\n".join(str(s) for s in backward_steps(y))
    assert "y = mul₁³ = 27;" in text
    assert "∂y/∂mul₁ = 3·mul₁² = 27;  ∂⁺y/∂mul₁ += ∂⁺y/∂y · ∂y/∂mul₁ = 1 × 27 = 27" in text
    assert not wrong_equations(text)
    assert a.grad == pytest.approx(40.5)  # the steps were backward() itself
    s = Stepper(y)
    s.run()  # a second pass: the derivative is the same, .grad accumulates
    assert s.gradients()["a"] == pytest.approx(40.5) and a.grad == pytest.approx(81.0)
    s.reset()
    assert a.grad == pytest.approx(40.5)


def test_a_user_defined_op_draws_with_its_symbol():
    draw = pytest.importorskip("engine.draw")
    op = define_op("my_softsign", lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2)
    y = op(Value(1.0, label="x"))
    y.backward()
    source = draw.draw_dot(y).source
    assert "my_softsign" in source


def test_a_wrong_derivative_is_caught_by_gradcheck():
    wrong = define_op("cube_wrong", lambda x: x**3, lambda x: 3 * x)  # forgot the square
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(lambda x: wrong(x), [2.0])


def test_defaults_read_the_arity_and_name_the_formulas():
    op = define_op("twice", lambda x: 2 * x, lambda x: 2.0)
    assert (op.arity, op.row.formula, op.row.derivatives, op.row.symbol) == (
        1,
        "twice(x)",
        ("∂twice/∂x",),
        "twice",
    )
    y = op(Value(1.0, label="u"))
    y.label = "y"
    assert "∂y/∂u = ∂twice/∂u = 2" in str(next(backward_steps(y)))
    assert "twice(x)" in op.__doc__ and "custom op" in repr(op)


def test_redefining_replaces_the_row_and_retires_the_old_function():
    first = define_cube()
    second = define_op("cube", lambda x: x**3, lambda x: 3 * x * x)
    assert OPS["cube"] is second.row
    with pytest.raises(RuntimeError, match="redefined"):
        first(Value(1.0))
    assert second(Value(2.0)).data == 8.0


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"name": "tanh"}, ValueError, "built-in op"),
        ({"name": "2x"}, ValueError, "letters"),
        ({"name": "a b"}, ValueError, "letters"),
        ({"name": "x.y"}, ValueError, "letters"),
        ({"name": ""}, ValueError, "letters"),
        ({"name": 3}, ValueError, "letters"),
        ({"name": "backward"}, ValueError, "'backward' is an attribute of Value"),
        ({"name": "item"}, ValueError, "'item' is an attribute of Value"),
        ({"name": "zero_grad"}, ValueError, "'zero_grad' is an attribute of Value"),
        ({"name": "detach"}, ValueError, "attribute of Value"),
        ({"name": "data"}, ValueError, "attribute of Value"),
        ({"name": "lambda"}, ValueError, "'lambda' is a Python keyword"),
        ({"name": "match"}, ValueError, "Python keyword"),
        ({"name": "eval"}, ValueError, "'eval' is a Python builtin"),
        ({"name": "open"}, ValueError, "Python builtin"),
        ({"name": "print"}, ValueError, "Python builtin"),
        ({"forward": 3}, TypeError, "forward must be a function"),
        ({"derivative": None}, TypeError, "derivative must be a function"),
        ({"forward": lambda x, y, z: x}, ValueError, "1 or 2 inputs"),
        ({"derivative": lambda: 1.0}, ValueError, "derivative must take"),
        ({"derivatives": ("a", "b")}, ValueError, "one formula"),
        ({"arity": 3}, ValueError, "arity must be 1 or 2"),
    ],
)
def test_bad_definitions_are_refused_where_they_enter(kwargs, error, match):
    args = {"name": "op1", "forward": lambda x: x, "derivative": lambda x: 1.0, **kwargs}
    before = dict(OPS)
    with pytest.raises(error, match=match):
        define_op(**args)
    assert OPS == before  # nothing was registered


def test_bad_results_name_the_op():
    bad_forward = define_op("badf", lambda x: "one", lambda x: 1.0)
    with pytest.raises(TypeError, match="forward of badf must return a number"):
        bad_forward(Value(1.0))
    bad_local = define_op("badd", lambda x: x, lambda x: (1.0, 2.0))
    y = bad_local(Value(1.0))
    with pytest.raises(TypeError, match="derivative of badd must return 1 number"):
        y.backward()
    with pytest.raises(TypeError, match="takes 1 input"):
        bad_local(1.0, 2.0)


def test_a_domain_error_in_the_forward_names_the_op():
    root = define_op("root", lambda x: math.sqrt(x), lambda x, out: 0.5 / out, domain="x ≥ 0")
    with pytest.raises(ValueError, match=r"root\(x=-1.0\).*x ≥ 0"):
        root(Value(-1.0))


def test_lecture_relu_takes_the_lecture_tables_derivative_at_zero():
    for x, slope in ((0.0, 1.0), (2.0, 1.0), (-2.0, 0.0)):
        v = Value(x, label="a")
        y = lecture_relu(v)
        y.backward()
        assert (y.data, v.grad) == (max(x, 0.0), slope)
    v = Value(0.0)
    v.relu().backward()
    assert v.grad == 0.0  # the engine's own relu keeps PyTorch's convention


def test_lecture_relu_registers_itself_again_after_the_table_was_reset():
    lecture_relu(Value(1.0))
    del OPS["lecture_relu"]
    assert lecture_relu(Value(2.0)).data == 2.0 and "lecture_relu" in OPS


def test_torch_agrees_with_a_custom_softsign():
    torch = pytest.importorskip("torch")
    softsign = define_op("my_softsign", lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2)
    for x in (-2.0, -0.3, 0.4, 3.0):
        t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        torch.nn.functional.softsign(t).backward()
        v = Value(x)
        softsign(v).backward()
        assert v.grad == pytest.approx(t.grad.item(), abs=1e-15)
        built = Value(x)
        built.softsign().backward()
        assert v.grad == pytest.approx(built.grad, abs=1e-15)


def test_define_op_as_a_context_manager_leaves_the_table_as_it_found_it():
    before = dict(OPS)
    with define_op("cube_ctx", lambda x: x**3, lambda x: 3 * x**2) as cube:
        assert OPS["cube_ctx"] is cube.row
        assert cube(Value(2.0)).data == 8.0
    assert OPS == before


def test_remove_puts_back_the_row_it_replaced():
    first = define_op("twice_ctx", lambda x: 2 * x, lambda x: 2.0)
    second = define_op("twice_ctx", lambda x: 2.0 * x, lambda x: 2.0, formula="2x")
    assert OPS["twice_ctx"] is second.row
    second.remove()
    assert OPS["twice_ctx"] is first.row
    first.remove()
    assert "twice_ctx" not in OPS
    first.remove()  # nothing left to remove: no error


@pytest.mark.parametrize(
    "where",
    ["backward", "grad", "hessian", "hvp", "gradgradcheck"],
)
def test_a_custom_op_in_a_gradient_graph_says_it_has_first_derivatives_only(where):
    """Its derivative is a function of numbers: under create_graph (and what uses it) the error
    names the op and says why, not "must return numbers, got Value"."""
    from engine import grad, gradgradcheck, hessian, hvp

    cube = define_cube()
    binary = define_op("times", lambda x, y: x * y, lambda x, y: (y, x))
    x = Value(2.0, label="x")
    calls = {
        "backward": lambda: cube(x).backward(create_graph=True),
        "grad": lambda: grad(binary(x, x), x, create_graph=True),
        "hessian": lambda: hessian(lambda a: cube(a), x),
        "hvp": lambda: hvp(lambda a: cube(a) * a, [x], [1.0]),
        "gradgradcheck": lambda: gradgradcheck(lambda a: cube(a), [1.5]),
    }
    with pytest.raises(TypeError, match=r"custom op '(cube|times)' \(define_op\) has first "):
        calls[where]()
    assert grad(cube(x), x)[0].data == 12.0  # first derivatives still work
