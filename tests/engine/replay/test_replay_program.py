"""trace and Program: what is recorded, how it replays, inputs, outputs, errors, the source."""

from __future__ import annotations

import math
import sys

import pytest

import engine
from engine import Parameter, Program, Value, trace
from engine.replay import TraceError


def neuron(a, b):
    return (a * b + 1).tanh()


# --------------------------------------------------------------------------------------------
# What a trace records
# --------------------------------------------------------------------------------------------


def test_trace_and_program_are_exported_by_engine_lazily():
    assert engine.trace is trace and engine.Program is Program
    assert "trace" in engine.__all__ and "Program" in engine.__all__


def test_replay_gives_the_eager_value_and_gradients_bit_for_bit():
    program = trace(neuron, 2.0, 3.0)
    for a, b in [(0.5, -1.0), (2.0, 3.0), (-0.3, 0.7)]:
        x, y = Value(a), Value(b)
        out = neuron(x, y)
        out.backward()
        assert program(a, b) == out.data
        assert program.grad(a, b) == (x.grad, y.grad)


def test_instructions_are_op_table_rows_in_forward_order():
    program = trace(neuron, 2.0, 3.0)
    assert [ins.op for ins in program.instructions] == ["mul", "add", "tanh"]
    assert program.input_names == ["a", "b"]
    mul, add, tanh = program.instructions
    assert mul.inputs == (0, 1) and add.inputs[0] == mul.out and tanh.inputs == (add.out,)
    assert len(program) == 3


def test_closed_over_values_become_parameters_held_by_reference():
    w = Parameter(0.5, label="w")
    c = Value(2.0)  # made before the trace: held by reference too
    program = trace(lambda x: (w * x + c).relu() * 3.0, 1.0)
    assert program.parameters == [w, c]
    assert program(2.0) == 9.0
    w.data = -1.0  # an optimiser step
    assert program(2.0) == 0.0
    w.data = 1.0
    w.grad = c.grad = 0.5  # backward adds, as Value.backward does
    assert program.backward(2.0) == 12.0
    assert (w.grad, c.grad) == (0.5 + 6.0, 0.5 + 3.0)


def test_backward_accumulates_exactly_as_eager_backward():
    w1, w2 = Parameter(0.3), Parameter(-0.7)

    def f(x):
        h = (w1 * x).tanh()
        return (h * w2 + h * w1).sigmoid()

    program = trace(f, 0.1)
    for x in (0.4, -2.0, 1.7):
        w1.grad = w2.grad = 0.25
        program.backward(x)
        replayed = (w1.grad, w2.grad)
        w1.grad = w2.grad = 0.25
        f(Value(x)).backward()
        assert replayed == (w1.grad, w2.grad)


def test_numbers_written_in_the_function_are_baked_in_as_constants():
    program = trace(lambda x: x * 2.0 + Value(0.5), 1.0)
    assert program.parameters == []
    assert program(3.0) == 6.5


def test_values_computed_before_the_trace_are_constants_holding_their_traced_number():
    w = Parameter(2.0)
    h = w * w  # an interior node made outside f: f receives a number there
    program = trace(lambda x: h * x, 1.0)
    assert program.parameters == []
    w.data = 3.0
    assert program(1.0) == 4.0 == (Value(1.0) * h).data  # h is not recomputed, as in eager
    w.grad = 0.0
    program.backward(1.0)
    assert w.grad == 0.0  # a constant of the program: no gradient flows through it to w


def test_nodes_no_output_uses_are_replayed_so_their_errors_are_eager_errors():
    def f(x):
        x.log()  # computed, unused: eager still raises for x <= 0
        return x * 2.0

    program = trace(f, 1.0)
    assert program(3.0) == 6.0
    with pytest.raises(ValueError, match="log"):
        program(-1.0)


def test_list_inputs_and_outputs():
    def f(x, t):
        return [x[0] * t + x[1], x[1] * x[1]]

    program = trace(f, [1.0, 2.0], 3.0)
    assert program.input_names == ["x0", "x1", "t"]
    assert program([2.0, 5.0], 0.5) == [6.0, 25.0]
    dx, dt = program.grad([2.0, 5.0], 0.5, seed=[1.0, 1.0])
    assert dx == [0.5, 11.0] and dt == 2.0


def test_outputs_may_be_inputs_parameters_or_plain_numbers():
    w = Parameter(4.0)
    program = trace(lambda x: [x, w, 7], 1.0)
    assert program(2.5) == [2.5, 4.0, 7.0]
    assert program.grad(2.5, seed=[2.0, 1.0, 1.0]) == (2.0,)
    w.grad = 0.0
    program.backward(2.5, seed=[1.0, 3.0, 1.0])
    assert w.grad == 3.0


def test_unused_input_has_gradient_zero():
    program = trace(lambda a, b: a.exp(), 0.0, 5.0)
    assert program.grad(0.0, 1.0) == (1.0, 0.0)


def test_trace_time_and_repr():
    program = trace(neuron, 2.0, 3.0)
    assert program.trace_seconds > 0
    assert repr(program) == (
        "Program('neuron': inputs (a, b), 0 parameters, 3 instructions, 1 output, 0 guards)"
    )


# --------------------------------------------------------------------------------------------
# Errors: when tracing, and on bad inputs
# --------------------------------------------------------------------------------------------


def test_trace_rejects_what_it_cannot_record():
    with pytest.raises(TypeError, match="needs a function"):
        trace(3.0, 1.0)
    with pytest.raises(TypeError, match="example input x"):
        trace(lambda x: x, "one")
    with pytest.raises(TraceError, match="must be a Value or a number"):
        trace(lambda x: "text", 1.0)
    with engine.no_grad(), pytest.raises(TraceError, match="no_grad"):
        trace(lambda x: x * 2, 1.0)
    with pytest.raises(TraceError, match="inside a traced function"):
        trace(lambda x: trace(lambda y: y, 1.0)(2.0), 1.0)


def test_wrong_number_of_inputs_is_a_type_error_naming_them():
    program = trace(neuron, 2.0, 3.0)
    with pytest.raises(TypeError, match=r"neuron\(a, b\) takes 2 inputs, got 3"):
        program(1.0, 2.0, 3.0)


@pytest.mark.parametrize("bad", ["1.0", None, True, [1.0], Value(1.0)])
def test_wrong_type_of_input_is_a_type_error_naming_it(bad):
    program = trace(neuron, 2.0, 3.0)
    with pytest.raises(TypeError, match="input b"):
        program(1.0, bad)


def test_a_value_as_input_says_to_pass_its_data():
    program = trace(neuron, 2.0, 3.0)
    with pytest.raises(TypeError, match=r"pass its \.data"):
        program(Value(1.0), 2.0)


def test_list_input_of_the_wrong_length_is_a_value_error():
    program = trace(lambda x: x[0] + x[1], [1.0, 2.0])
    with pytest.raises(ValueError, match="input x needs 2 numbers, got 3"):
        program([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="list of 2 numbers"):
        program(1.0)


def test_several_outputs_need_a_seed_per_output():
    program = trace(lambda x: [x * 2, x * 3], 1.0)
    with pytest.raises(ValueError, match="2 outputs"):
        program.grad(1.0)
    with pytest.raises(ValueError, match="one per output"):
        program.grad(1.0, seed=[1.0])
    with pytest.raises(TypeError, match="seed 1"):
        program.grad(1.0, seed=[1.0, "x"])


def test_via_must_name_a_path():
    with pytest.raises(ValueError, match="via"):
        trace(neuron, 2.0, 3.0)(1.0, 1.0, via="fast")


# --------------------------------------------------------------------------------------------
# NaN, overflow and domain errors behave as in the eager engine
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "f, good, bad, exc",
    [
        (lambda x: x.log(), 2.0, -1.0, ValueError),
        (lambda x: 1.0 / x, 2.0, 0.0, ZeroDivisionError),
        (lambda x: x * x, 2.0, 1e200, OverflowError),  # eager: finite * finite = inf raises
        (lambda x: x.exp(), 1.0, 1000.0, OverflowError),
        (lambda x: x**0.5, 4.0, -4.0, ValueError),
        (lambda x: x.sqrt(), 4.0, 0.0, ZeroDivisionError),  # in backward: 0.5/√0
    ],
)
def test_errors_are_the_eager_engine_errors(f, good, bad, exc):
    program = trace(f, good)
    with pytest.raises(exc) as eager:
        out = f(Value(bad))
        out.backward()
    with pytest.raises(exc) as replayed:
        program.grad(bad)
    name = str(eager.value).split("(")[0].split()[-1]
    assert name in str(replayed.value)
    assert "instruction" in str(replayed.value)


def eager_grad(f, x: float):
    """(∂f/∂x, None) from eager backward(), or (None, the exception it raised)."""
    v = Value(x)
    try:
        f(v).backward()
    except (ArithmeticError, ValueError) as exc:
        return None, exc
    return v.grad, None


@pytest.mark.parametrize(
    "f, x",
    [
        (lambda x: x.relu().sqrt(), 0.0),  # relu's chosen 0 wins over √'s inf: grad 0
        (lambda x: x.relu().sqrt(), -1.0),
        (lambda x: (x * 2.0).sqrt() + x, 0.0),  # the inf reaches x: raises, naming sqrt
        (lambda x: (x * 0.0).sqrt() * 0.0 + x, 0.0),  # 0·inf: NaN reaches x, raises too
        (lambda x: x.sqrt() * x, 0.0),
    ],
)
def test_backward_follows_the_engines_careful_step(f, x):
    """Where a local derivative is infinite, backward() redoes that step in IEEE arithmetic
    (PyTorch's form) and raises only if an input's gradient ends up inf or NaN; replay too,
    through generated code and the interpreter alike."""
    grad, error = eager_grad(f, x)
    program = trace(f, 1.0)
    for via in ("codegen", "interpreter"):
        if error is None:
            assert program.grad(x, via=via) == (grad,)
        else:
            with pytest.raises(type(error)) as replayed:
                program.grad(x, via=via)
            assert str(replayed.value).startswith(str(error).split(", so the gradient")[0])
            assert "(instruction " in str(replayed.value)


def test_gradients_add_up_in_the_order_backward_adds_them():
    """x feeds four products; backward() visits them outputs first along the post-order walk,
    not in reverse creation order, and float addition is not associative."""

    def f(x):
        c1, c2, c3, c4 = x * 0.1, x * 0.7, x * 1e-17, x * 0.3
        return ((c4 + c3) + c2) + c1

    v = Value(1.0)
    f(v).backward()
    assert v.grad == 1.0999999999999999  # (0.1 + 0.7 + 1e-17) + 0.3 rounds differently
    program = trace(f, 1.0)
    for via in ("codegen", "interpreter"):
        assert program.grad(1.0, via=via) == (v.grad,)


def test_infinite_inputs_propagate_as_in_eager():
    f = lambda x: (x * 2.0).tanh() + x
    program = trace(f, 1.0)
    for x in (math.inf, -math.inf):
        v = Value(x)
        out = f(v)
        out.backward()
        assert program(x) == out.data
        assert program.grad(x) == (v.grad,)
    assert math.isnan(program(math.nan))


def test_errors_after_an_error_leave_the_program_usable():
    program = trace(lambda x: x.log(), 2.0)
    with pytest.raises(ValueError):
        program(0.0)
    assert program(math.e) == 1.0


# --------------------------------------------------------------------------------------------
# The interpreter, the rows fast path
# --------------------------------------------------------------------------------------------


def test_interpreter_and_generated_code_agree_bit_for_bit():
    w = Parameter(0.7)
    f = lambda x, y: ((x * w).sigmoid() * y.elu(0.5) + (x - y).abs() ** 3.0).log()
    program = trace(f, 0.5, 0.2)
    for args in [(0.5, 0.2), (-1.5, 2.0), (3.0, -0.4)]:
        assert program(*args) == program(*args, via="interpreter")
        assert program.grad(*args) == program.grad(*args, via="interpreter")


def test_backward_rows_adds_each_row_in_order():
    w = Parameter(1.5)
    program = trace(lambda x: (w * x).tanh(), 1.0)
    rows, seeds = [(0.1,), (0.2,), (-0.4,)], [(1.0,), (0.5,), (2.0,)]
    w.grad = 0.0
    outs = program.backward_rows(rows, seeds)
    by_rows = w.grad
    w.grad = 0.0
    for row, seed in zip(rows, seeds):
        program.backward(*row, seed=seed[0])
    assert by_rows == w.grad
    assert [o[0] for o in outs] == [program(r[0]) for r in rows]
    with pytest.raises(ValueError, match="rows"):
        program.backward_rows(rows, seeds[:2])
    with pytest.raises(ValueError, match="row 1"):
        program.backward_rows([(0.1,), (0.2, 0.3)], seeds[:2])


def test_backward_rows_redoes_an_overflow_as_eager():
    program = trace(lambda x: x * x, 1.0)
    with pytest.raises(OverflowError, match="example 1"):
        program.backward_rows([(1.0,), (1e200,)], [(1.0,), (1.0,)])


# --------------------------------------------------------------------------------------------
# The source a learner reads
# --------------------------------------------------------------------------------------------


def test_print_shows_forward_and_backward_with_the_chain_rule_of_each_line():
    program = trace(neuron, 2.0, 3.0)
    text = str(program)
    assert "def forward(a, b):" in text
    assert "mul1 = a * b" in text and "tanh1 = m.tanh(add1)" in text
    assert "def grad(a, b, tanh1_bar):" in text
    chain = "add1_bar = tanh1_bar * (1.0 - (tanh1 * tanh1))  # ∂tanh1/∂add1 = 1 - tanh(add1)²"
    assert chain in text
    assert "a_bar = mul1_bar * b  # ∂mul1/∂a = b" in text
    assert text.count("mul1 = a * b") == 1  # backward refers to the forward lines, once


def test_print_of_a_model_program_shows_backward_into_parameters():
    w = Parameter(0.5, label="L0N0.w0")
    program = trace(lambda x: (w * x).relu(), 1.0)
    text = str(program)
    assert "L0N0_w0 = _P[0].data" in text
    assert "def backward(x, relu1_bar):" in text
    # ∂relu/∂x = if_nonpos(x, 0, 1): 0 at the kink, 1 at NaN (as PyTorch)
    assert "mul1_bar = relu1_bar * (0.0 if mul1 <= 0.0 else 1.0)" in text
    assert "L0N0_w0_bar += mul1_bar * x  # ∂mul1/∂L0N0_w0 = x" in text
    assert "_P[0].grad += L0N0_w0_bar" in text


def test_source_is_the_code_that_runs():
    program = trace(neuron, 2.0, 3.0)
    source = program.source()
    assert "def backward_rows(_rows, _seeds):" in source
    namespace: dict = {}
    from engine.core.ops import FLOAT_MATH

    namespace.update(m=FLOAT_MATH, _P=(), _Careful=Exception)
    exec(compile(source, "<test>", "exec"), namespace)
    assert namespace["forward"](0.5, -1.0) == (program(0.5, -1.0),)
    with pytest.raises(ValueError, match="target"):
        program.source("c")


def test_names_are_safe_identifiers():
    a = Parameter(1.0, label="class")  # a keyword
    b = Parameter(2.0, label="x_bar")  # would clash with x's gradient name
    c = Parameter(3.0, label="_P")  # the generated code's own name
    program = trace(lambda x: x * a + b * c, 1.0)
    assert program(2.0) == 8.0
    assert program.grad(2.0) == (1.0,)
    names = program._layout.names
    assert all(n.isidentifier() and not n.startswith("_") for n in names)
    assert len(set(names)) == len(names)


def test_importing_replay_does_not_import_numpy():
    import subprocess

    code = "import engine.replay, sys; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_an_op_registered_later_replays_from_its_row():
    from engine.core.ops import OPS, Op, register
    from engine.core.value import apply_op

    def softsign(x, _):
        return float(x) / (1.0 + abs(x))  # float() needs a number: replay calls this function

    def softsign_rule(m, x, out, arg):
        return (1.0 / ((1.0 + abs(x)) * (1.0 + abs(x))),)

    register(Op("softsign", 1, softsign, softsign_rule, "x/(1+|x|)", ("1/(1+|x|)²",), "ss"))
    try:
        f = lambda x: apply_op(OPS["softsign"], (x * 2.0,))
        program = trace(f, 0.5)
        for x in (0.5, -3.0):
            v = Value(x)
            out = f(v)
            out.backward()
            assert program(x) == out.data and program.grad(x) == (v.grad,)
        assert "the table's forward" in program.source()
        np = pytest.importorskip("numpy")
        batch = program.grad(np.array([0.5, -3.0]))[0]
        assert list(batch) == pytest.approx([program.grad(0.5)[0], program.grad(-3.0)[0]])
    finally:
        del OPS["softsign"]


def test_softmax_replays_to_rounding_with_the_traced_shift():
    from engine import log_softmax, softmax

    def f(a, b, c):
        return log_softmax([a, b, c])[0] + softmax([a, b, c])[1] * 2.0

    program = trace(f, 0.1, 0.5, -0.3)
    for xs in [(0.1, 0.5, -0.3), (3.0, -2.0, 1.0), (100.0, 99.0, 98.0)]:
        vs = [Value(x) for x in xs]
        out = f(*vs)
        out.backward()
        assert program(*xs) == pytest.approx(out.data, rel=1e-12)
        assert program.grad(*xs) == pytest.approx(tuple(v.grad for v in vs), rel=1e-11)
