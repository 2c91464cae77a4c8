"""Value: construction, operators, backward semantics, errors, stability, and random graphs."""

from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Parameter, Value, gradcheck, no_grad
from engine.core.value import is_grad_enabled
from engine.functional.gradcheck import numerical_gradient

# --------------------------------------------------------------------------------------------
# Construction
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number, expected", [(2, 2.0), (-3.5, -3.5), (Fraction(1, 4), 0.25), (10**20, 1e20)]
)
def test_data_is_stored_as_float(number, expected):
    v = Value(number, label="v")
    assert type(v.data) is float and v.data == expected
    assert (v.grad, v.op, v.parents, v.label) == (0.0, "", (), "v")


def test_numpy_scalars_are_accepted():
    np = pytest.importorskip("numpy")
    assert Value(np.float64(1.5)).data == 1.5
    assert Value(np.int32(7)).data == 7.0
    with pytest.raises(TypeError, match="bool"):
        Value(np.bool_(True))


@pytest.mark.parametrize("bad", ["2.0", None, 1 + 2j, [1.0], True, False, b"1", {1: 2}])
def test_non_numbers_are_rejected_with_the_value_named(bad):
    with pytest.raises(TypeError) as info:
        Value(bad)
    assert repr(bad) in str(info.value)


def test_a_value_where_a_number_is_needed_is_rejected():
    with pytest.raises(TypeError, match=r"got a Value \(Value\(data=1, grad=0\)\)"):
        Value(Value(1.0))


def test_label_must_be_a_string():
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)


def test_huge_int_names_the_number():
    with pytest.raises(OverflowError, match="too large"):
        Value(10**400)


@pytest.mark.parametrize("bad", ["x", None, [1], 1j, True])
@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
def test_bad_operands_are_rejected_on_either_side(op, bad):
    v = Value(2.0)
    for expr in (lambda: _binop(op, v, bad), lambda: _binop(op, bad, v)):
        with pytest.raises(TypeError):
            expr()


def _binop(op, a, b):
    return {
        "+": lambda: a + b,
        "-": lambda: a - b,
        "*": lambda: a * b,
        "/": lambda: a / b,
        "**": lambda: a**b,
    }[op]()


def test_repr_reads_like_the_design():
    x = Value(0.881373587019543, label="n")
    o = x.tanh()
    o.label = "o"
    o.backward()
    assert repr(o) == "Value(data=0.7071, grad=1, op='tanh', label='o')"
    assert repr(x) == "Value(data=0.8814, grad=0.5, label='n')"
    assert repr(Value(1e-9)) == "Value(data=1e-9, grad=0)"
    assert repr(Value(-1.8158e-4)) == "Value(data=-1.816e-4, grad=0)"  # tiny: scientific
    assert repr(Value(-0.0)) == "Value(data=0, grad=0)"  # never a negative zero


# --------------------------------------------------------------------------------------------
# Operators with numbers on either side
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr, data, op, grad",
    [
        (lambda a: a + 2, 5.0, "add", 1.0),
        (lambda a: 2 + a, 5.0, "add", 1.0),
        (lambda a: a - 2, 1.0, "sub", 1.0),
        (lambda a: 2 - a, -1.0, "sub", -1.0),
        (lambda a: a * 2, 6.0, "mul", 2.0),
        (lambda a: 2 * a, 6.0, "mul", 2.0),
        (lambda a: a / 2, 1.5, "div", 0.5),
        (lambda a: 6 / a, 2.0, "div", -6 / 9),
        (lambda a: a**2, 9.0, "pow", 6.0),
        (lambda a: 2**a, 8.0, "pow_value", 8 * math.log(2)),
        (lambda a: a ** Value(2.0), 9.0, "pow_value", 6.0),
        (lambda a: -a, -3.0, "neg", -1.0),
        (lambda a: +a, 3.0, "", 1.0),
        (lambda a: abs(-a), 3.0, "abs", 1.0),
    ],
)
def test_operators(expr, data, op, grad):
    a = Value(3.0, label="a")
    out = expr(a)
    assert out.data == pytest.approx(data) and out.op == op
    out.backward()
    assert a.grad == pytest.approx(grad)


def test_constants_become_leaves_and_parents_keep_order():
    a = Value(3.0)
    out = 2 - a
    constant, same = out.parents
    assert same is a and constant.data == 2.0 and constant.parents == () and constant.label == ""


def test_parametric_ops_store_their_argument():
    x = Value(-2.0)
    assert x.leaky_relu(0.1).arg == 0.1 and x.elu().arg == 1.0 and x.swish(2).arg == 2.0
    assert (x**3).arg == 3.0
    with pytest.raises(TypeError, match="alpha"):
        x.leaky_relu("0.1")
    with pytest.raises(ValueError, match="finite"):
        x.elu(math.inf)


def test_methods_document_their_formula():
    assert "1 - tanh(x)²" in Value.tanh.__doc__
    assert "PyTorch" in Value.relu.__doc__
    assert "∂/∂y = x" in Value.__mul__.__doc__


# --------------------------------------------------------------------------------------------
# backward semantics
# --------------------------------------------------------------------------------------------


def test_karpathy_neuron_by_hand():
    x1, w1, x2, w2 = Value(2.0), Value(-3.0), Value(0.0), Value(1.0)
    b = Value(6.881373587019543)
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    o.backward()
    assert o.data == pytest.approx(0.7071, abs=1e-4)
    assert n.grad == pytest.approx(0.5)
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0))


def test_reused_nodes_accumulate():
    a = Value(3.0)
    b = a + a
    assert b.parents == (a, a)  # both edges kept
    c = b + b
    c.backward()
    assert a.grad == 4.0 and b.grad == 2.0


def test_reused_node_in_a_product():
    a = Value(3.0)
    (a * a * a).backward()  # d/da a³ = 3a²
    assert a.grad == 27.0


def test_repeated_backward_accumulates_into_leaves_as_in_pytorch():
    a, b = Value(2.0), Value(-3.0)
    c = a * b + a
    c.backward()
    c.backward()
    assert (a.grad, b.grad) == (2 * (-3.0 + 1.0), 2 * 2.0)
    assert c.grad == 1.0  # interior nodes hold the latest pass only


def test_backward_matches_torch_semantics_for_two_roots_sharing_a_subgraph():
    a = Value(2.0)
    h = a * a  # shared interior node
    l1, l2 = h * 3, h.exp()
    l1.backward()
    l2.backward()
    assert a.grad == pytest.approx(3 * 2 * 2 + math.exp(4) * 2 * 2)
    torch = pytest.importorskip("torch")
    t = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    th = t * t
    (th * 3).backward(retain_graph=True)
    th.exp().backward()
    assert a.grad == pytest.approx(t.grad.item(), rel=1e-12)


def test_backward_with_a_seed_scales_every_gradient():
    a = Value(2.0)
    (a * 5).backward(grad=0.5)
    assert a.grad == 2.5
    with pytest.raises(TypeError, match="backward"):
        (a * 5).backward(grad="1")


def test_backward_of_a_leaf():
    a = Value(2.0)
    a.backward()
    assert a.grad == 1.0


def test_zero_grad_clears_the_whole_graph():
    a, b = Value(2.0), Value(3.0)
    c = (a * b).tanh()
    c.backward()
    c.zero_grad()
    assert all(v.grad == 0.0 for v in (a, b, c, c.parents[0]))


def test_a_million_node_chain_backpropagates_without_recursion():
    x = leaf = Value(0.5)
    for i in range(1_000_000):
        x = x * 1.0000001 if i % 2 else x.sin()
    x.backward()
    assert math.isfinite(leaf.grad) and leaf.grad != 0.0


def test_no_grad_records_no_graph_and_nests():
    a = Value(2.0)
    assert is_grad_enabled()
    with no_grad():
        b = (a * 3).tanh()
        with no_grad():
            pass
        assert not is_grad_enabled()
        c = a + 1
    assert is_grad_enabled()
    assert b.parents == () and b.op == "" and c.parents == ()
    assert b.data == pytest.approx(math.tanh(6.0))
    d = a * 3
    assert d.parents[0] is a


def test_no_grad_restores_state_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            Value(1.0) / 0
    assert is_grad_enabled()


def test_parameter_is_a_value():
    p = Parameter(0.5, label="w")
    out = p * 2
    out.backward()
    assert isinstance(p, Value) and p.grad == 2.0
    with pytest.raises(AttributeError):
        p.extra = 1  # __slots__: no per-instance dict


# --------------------------------------------------------------------------------------------
# What micrograd and PyTorch users type
# --------------------------------------------------------------------------------------------


def test_micrograds_constructor_makes_a_leaf():
    for v in (Value(2.0, ()), Value(2.0, (), ""), Value(2.0, _children=(), _op="", label="a")):
        assert (v.data, v.op, v.parents, v._prev, v._op) == (2.0, "", (), set(), "")
    assert Value(2.0, "a").label == "a"  # the older signature: the label in second place


@pytest.mark.parametrize(
    "children, op", [((Value(1.0), Value(2.0)), "+"), ((), "+"), ([Value(1.0)], ""), (5, "")]
)
def test_a_hand_made_node_is_refused_with_what_to_write_instead(children, op):
    with pytest.raises(TypeError, match=r"write the operation instead \(a \+ b"):
        Value(2.0, children, op)


def test_micrograds_prev_and_op_read_the_graph():
    a, b = Value(2.0), Value(3.0)
    c = a * b + a
    assert c._op == "add" and c._prev == {c.parents[0], a}
    assert c.parents[0]._prev == {a, b}


def test_item_is_the_number_and_float_says_to_use_it():
    v = Value(2.5) * 2
    assert v.item() == 5.0 and type(v.item()) is float
    with pytest.raises(TypeError, match=r"v\.item\(\) or v\.data"):
        float(v)
    with pytest.raises(TypeError, match=r"v\.exp\(\)"):
        math.exp(v)  # would silently drop the graph if Values turned into floats


# --------------------------------------------------------------------------------------------
# Errors, raised where the bad value enters, naming op and value
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expr, exc, message",
    [
        (lambda: Value(0.0).log(), ValueError, r"log\(x=0\.0\).*x > 0"),
        (lambda: Value(-1.0).log(), ValueError, r"log\(x=-1\.0\)"),
        (lambda: Value(-1.0).sqrt(), ValueError, r"sqrt\(x=-1\.0\)"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"div\(x=1\.0, y=0\.0\)"),
        (lambda: 1 / Value(0.0), ZeroDivisionError, r"div\(x=1\.0, y=0\.0\)"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"pow\(x=0\.0, c=-1\.0\)"),
        (lambda: Value(0.0) ** Value(-2.0), ZeroDivisionError, r"pow_value\(x=0\.0, y=-2\.0\)"),
        (lambda: Value(-8.0) ** 0.5, ValueError, r"pow\(x=-8\.0, c=0\.5\)"),
        (lambda: Value(1000.0).exp(), OverflowError, r"exp\(x=1000\.0\)"),
        (lambda: Value(10.0) ** 400, OverflowError, r"pow\(x=10\.0, c=400\.0\)"),
        (lambda: Value(1e200) * 1e200, OverflowError, r"mul\(x=1e\+200, y=1e\+200\)"),
        (lambda: Value(1e308) + 1e308, OverflowError, r"add\(x=1e\+308"),
        (lambda: Value(math.inf).sin(), ValueError, r"sin\(x=inf\)"),
    ],
)
def test_domain_errors_name_the_op_and_the_value(expr, exc, message):
    with pytest.raises(exc, match=message):
        expr()


def test_infinite_inputs_propagate_without_a_spurious_overflow_error():
    assert (Value(math.inf) + 1).data == math.inf


def test_backward_through_an_infinite_derivative_names_the_node():
    out = Value(0.0).sqrt()
    with pytest.raises(ZeroDivisionError, match=r"backward through sqrt\(x=0\.0\)"):
        out.backward()


# --------------------------------------------------------------------------------------------
# Numerical stability
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn, x, value, grad",
    [
        (lambda v: v.sigmoid(), -1000.0, 0.0, 0.0),
        (lambda v: v.sigmoid(), 1000.0, 1.0, 0.0),
        (lambda v: v.softplus(), 1000.0, 1000.0, 1.0),
        (lambda v: v.softplus(), -1000.0, 0.0, 0.0),
        (lambda v: v.tanh(), 1000.0, 1.0, 0.0),
        (lambda v: v.tanh(), -1000.0, -1.0, 0.0),
        (lambda v: v.swish(), -1000.0, -0.0, 0.0),
        (lambda v: v.elu(), -1000.0, -1.0, 0.0),
        (lambda v: v.gelu(), -40.0, -0.0, 0.0),
    ],
)
def test_saturating_functions_are_stable(fn, x, value, grad):
    v = Value(x)
    out = fn(v)
    out.backward()
    assert out.data == pytest.approx(value, abs=1e-300) and v.grad == pytest.approx(
        grad, abs=1e-300
    )


# The examples: finite gradients that raised, rules that lost the answer, NaN hidden.


def test_division_of_tiny_equal_numbers_has_huge_finite_gradients():
    x, y = Value(1e-170), Value(1e-170)
    (x / y).backward()
    assert (x.grad, y.grad) == (1e170, -1e170)  # -x/y² underflowed y² to 0 and raised


def test_zero_to_the_power_zero_has_zero_gradients_as_in_pytorch():
    x = Value(0.0)
    (x**0).backward()
    assert x.grad == 0.0
    x, y = Value(0.0), Value(0.0)
    out = x**y
    out.backward()
    assert (out.data, x.grad, y.grad) == (1.0, 0.0, 0.0)


def test_relu_then_sqrt_below_zero_gives_relus_zero_not_an_error():
    x = Value(-3.0)
    x.relu().sqrt().backward()  # √0's infinite derivative meets relu's chosen 0
    assert x.grad == 0.0


@pytest.mark.parametrize("tiny", [1e-14, 1e-90, 1e-300])
def test_elu_keeps_its_derivative_where_out_plus_alpha_cancelled(tiny):
    x = Value(tiny)
    x.log().elu().backward()  # elu'(ln t) = e^(ln t) = t, times (ln t)' = 1/t: exactly 1
    assert x.grad == pytest.approx(1.0, rel=1e-13)


def test_gelu_keeps_the_digits_of_a_small_derivative():
    """½(1 + erf(x/√2)) loses every digit of Φ(x) for x ≪ 0; ½·erfc(-x/√2) keeps them."""
    for x in (-10.0, -30.0):
        v = Value(x)
        v.gelu().backward()
        exact = 0.5 * math.erfc(-x / math.sqrt(2)) + x * math.exp(-x * x / 2) / math.sqrt(
            2 * math.pi
        )
        assert v.grad == pytest.approx(exact, rel=1e-13, abs=0)
        assert Value(x).gelu().data == pytest.approx(
            x * 0.5 * math.erfc(-x / math.sqrt(2)), rel=1e-14
        )


def test_logsumexp_of_equal_huge_numbers_splits_the_gradient_in_three():
    from engine import logsumexp

    x = Value(4.8e61)
    logsumexp([x, x, x]).backward()  # x + ln 3 rounds to x; e^(x - out) would give 1 each
    assert x.grad == pytest.approx(1.0, rel=1e-15)


def test_a_negative_base_whose_power_underflows_has_an_undefined_exponent_gradient():
    x = Value(-1e40, label="x")
    out = x**x  # an even integer power: (-1e40)^(-1e40) underflows to 0
    assert out.data == 0.0
    with pytest.raises(ValueError, match=r"backward through pow_value.*undefined.*'x'"):
        out.backward()  # ∂/∂y x^y = x^y·ln(x) is NaN for x < 0, not the 0 it used to be
    assert x.grad == 0.0  # the pass is atomic: nothing written


def test_binary_steps_zero_derivative_wins_at_infinity():
    x = Value(math.inf)
    (x ** x.binary_step()).backward()  # ∞^1: ∂/∂x = 1; the exponent's ∞ meets sign's 0
    assert x.grad == 1.0


@pytest.mark.parametrize(
    "make",
    [
        lambda v: v.relu(),
        lambda v: v.leaky_relu(),
        lambda v: v.elu(),
        lambda v: v.binary_step(),
        lambda v: v.abs(),
        lambda v: v.tanh() * 0.0,
        lambda v: (v - v) * 2,
    ],
)
def test_nan_is_never_hidden(make):
    out = make(Value(math.nan))
    assert math.isnan(out.data)


def test_a_non_finite_gradient_from_finite_values_names_the_op_and_the_leaf():
    x = Value(1e-300, label="x")
    with pytest.raises(OverflowError, match=r"backward through log\(x=1e-300\).*'x'"):
        x.log().backward(1e10)  # 1e10 / 1e-300 overflows
    w = Value(2.0, label="w")
    (w * 0.0).sqrt().tanh()  # forward is fine; only backward meets √'s infinity
    with pytest.raises(ZeroDivisionError, match=r"sqrt\(x=0\.0\).*'w'"):
        (w * 0.0).sqrt().backward()


def test_inf_and_nan_that_came_in_give_inf_and_nan_gradients_without_an_error():
    x = Value(math.inf)
    x.exp().backward()
    assert x.grad == math.inf
    y = Value(math.nan)
    (y * 2).tanh().backward()
    assert math.isnan(y.grad)


def test_constants_may_get_an_infinite_gradient_without_an_error():
    x = Value(-2.0)
    (x.binary_step() + 1.0).sqrt().backward()  # the constant 1.0 gets inf, as nobody asked
    assert x.grad == 0.0


def test_softplus_keeps_tiny_answers():
    assert Value(-30.0).softplus().data == pytest.approx(math.exp(-30.0), rel=1e-12)
    assert Value(1e-20).sigmoid().data == 0.5


# --------------------------------------------------------------------------------------------
# Random graphs: backward equals central differences (and torch) on arbitrary compositions
# --------------------------------------------------------------------------------------------

UNARY = ["tanh", "sigmoid", "sin", "softplus", "gelu", "swish"]
BINARY = ["+", "-", "*"]


def random_expression(seed: int, n_inputs: int, n_ops: int):
    """A function of n inputs made of random smooth ops, reusing nodes freely."""
    rng = random.Random(seed)
    plan = []
    for k in range(n_ops):
        pool = n_inputs + k
        if rng.random() < 0.4:
            plan.append((rng.choice(UNARY), rng.randrange(pool), None))
        else:
            plan.append((rng.choice(BINARY), rng.randrange(pool), rng.randrange(pool)))

    def fn(*xs):
        nodes = list(xs)
        for op, i, j in plan:
            a = nodes[i]
            if op in UNARY:
                nodes.append(getattr(a, op)())
            else:
                b = nodes[j]
                nodes.append(a + b if op == "+" else a - b if op == "-" else a * b * 0.5)
        return nodes[-1]

    return fn


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    xs=st.lists(st.floats(-2, 2), min_size=3, max_size=3),
    n_ops=st.integers(1, 25),
)
def test_random_graphs_match_central_differences(seed, xs, n_ops):
    fn = random_expression(seed, 3, n_ops)
    assert gradcheck(fn, xs, eps=1e-6, atol=1e-6, rtol=1e-4)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), xs=st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_random_graphs_match_torch(seed, xs):
    torch = pytest.importorskip("torch")
    fn = random_expression(seed, 3, 20)
    leaves = [Value(x) for x in xs]
    fn(*leaves).backward()
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]

    class T:  # give torch tensors the engine's method names
        def __init__(self, t):
            self.t = t

        def __add__(self, o):
            return T(self.t + o.t)

        def __sub__(self, o):
            return T(self.t - o.t)

        def __mul__(self, o):
            return T(self.t * (o.t if isinstance(o, T) else o))

        def tanh(self):
            return T(torch.tanh(self.t))

        def sigmoid(self):
            return T(torch.sigmoid(self.t))

        def sin(self):
            return T(torch.sin(self.t))

        def softplus(self):
            return T(torch.nn.functional.softplus(self.t, threshold=50.0))

        def gelu(self):
            return T(torch.nn.functional.gelu(self.t))

        def swish(self):
            return T(self.t * torch.sigmoid(self.t))

    out = fn(*[T(t) for t in ts]).t
    if out.requires_grad:
        out.backward()
    for leaf, t in zip(leaves, ts):
        expected = t.grad.item() if t.grad is not None else 0.0
        assert leaf.grad == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_numerical_gradient_helper_is_right_on_a_known_function():
    assert numerical_gradient(lambda x, y: x * y * y, [2.0, 3.0]) == pytest.approx([9.0, 12.0])
