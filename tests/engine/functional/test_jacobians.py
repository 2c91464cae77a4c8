"""jacobian, hessian, hvp, vhp and gradgradcheck: shapes, errors, and random graphs over every op
against ``torch.autograd.functional`` in float64."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import (
    OPS,
    GradcheckError,
    Value,
    gradgradcheck,
    hessian,
    hvp,
    jacobian,
    no_grad,
    vhp,
)
from tests.engine.core.op_cases import CASES

# --------------------------------------------------------------------------------------------
# Random graphs over every op, built the same way on Values and on torch tensors
# --------------------------------------------------------------------------------------------
# Each op is applied to arguments kept inside its domain and the magnitudes bounded (tanh before
# exp and pow, a² + c under log and sqrt), so any recipe is defined at any input.


class EngineLib:
    """The recipe ops on Values: each op's case, its inputs guarded into its domain
    (`tests/engine/core/op_cases.py`). `torch_differs` notes a point where PyTorch's double
    backward makes another (or a wrong) choice: elu at exactly 0, x^y at an integer y."""

    def __init__(self):
        self.torch_differs = False

    def apply(self, name, a, b, c):
        case = CASES[name]
        xs = case.inputs(a, b, c)
        if name == "elu" and xs[0].data == 0.0:
            self.torch_differs = True
        if name == "pow_value" and xs[1].data.is_integer():
            self.torch_differs = True
        return case.call(*xs)


class TorchLib:
    """The same recipe ops on torch tensors: each row's torch twin."""

    def __init__(self, torch):
        self.t = torch

    def apply(self, name, a, b, c):
        case = CASES[name]
        return case.torch(self.t, *case.inputs(a, b, c))


def build(recipe, xs, lib):
    """Run a recipe: each step applies an op to earlier nodes; the output sums every node."""
    nodes = list(xs)
    for name, i, j, k in recipe:
        nodes.append(
            lib.apply(name, nodes[i % len(nodes)], nodes[j % len(nodes)], nodes[k % len(nodes)])
        )
    out = nodes[0]
    for node in nodes[1:]:
        out = out + node
    return out


recipes = st.lists(
    st.tuples(
        st.sampled_from(sorted(OPS)), st.integers(0, 99), st.integers(0, 99), st.integers(0, 99)
    ),
    min_size=1,
    max_size=8,
)
points = st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=2, max_size=3)


def _close(a, b, what):
    assert a == pytest.approx(b, rel=1e-9, abs=1e-11), what


@settings(max_examples=40, deadline=None)
@given(recipe=recipes, xs=points, seed=st.integers(0, 2**16))
def test_hessian_hvp_vhp_jacobian_of_random_graphs_match_torch(recipe, xs, seed):
    torch = pytest.importorskip("torch")
    from torch.autograd import functional as TF

    lib, tlib = EngineLib(), TorchLib(torch)
    rng = random.Random(seed)
    v = [rng.uniform(-1.0, 1.0) for _ in xs]

    def f(*a):
        return build(recipe, a, lib)

    def tf(*a):
        return build(recipe, a, tlib)

    ts = tuple(torch.tensor(x, dtype=torch.float64) for x in xs)
    tv = tuple(torch.tensor(x, dtype=torch.float64) for x in v)
    H, TH = hessian(f, xs), TF.hessian(tf, ts)
    assume(not lib.torch_differs)
    for i in range(len(xs)):
        for j in range(len(xs)):
            _close(H[i][j], TH[i][j].item(), f"H[{i}][{j}]")
    (fx, hv), (tfx, thv) = hvp(f, xs, v), TF.hvp(tf, ts, tv)
    (_, vh), (_, tvh) = vhp(f, xs, v), TF.vhp(tf, ts, tv)
    _close(fx, tfx.item(), "f")
    for i in range(len(xs)):
        _close(hv[i], thv[i].item(), f"hvp[{i}]")
        _close(vh[i], tvh[i].item(), f"vhp[{i}]")
        _close(hv[i], sum(H[i][j] * v[j] for j in range(len(xs))), f"hvp[{i}] vs H·v")

    def g(*a):  # two outputs: the function and one of its intermediate steps
        return [f(*a), lib.apply(recipe[0][0], a[0], a[1], a[-1])]

    def tg(*a):
        return (tf(*a), tlib.apply(recipe[0][0], a[0], a[1], a[-1]))

    J, TJ = jacobian(g, xs), TF.jacobian(tg, ts)
    for i in range(2):
        for j in range(len(xs)):
            _close(J[i][j], TJ[i][j].item(), f"J[{i}][{j}]")


def test_elu_second_derivative_at_the_kink_is_the_left_branch():
    """At x = 0 the engine takes elu's x ≤ 0 branch for every order: elu'(0) = α (PyTorch's
    choice too) and elu''(0) = α. PyTorch's double backward uses x < 0 there, giving 0."""
    assert hessian(lambda x: x.elu(0.7), 0.0) == 0.7
    assert hessian(lambda x: x.elu(0.7), -1e-300) == pytest.approx(0.7)
    assert hessian(lambda x: x.elu(0.7), 1e-300) == 0.0


def test_one_graph_with_every_op_matches_torch():
    torch = pytest.importorskip("torch")
    from torch.autograd import functional as TF

    recipe = [(name, k, k + 1, k + 2) for k, name in enumerate(sorted(OPS))]
    xs = [0.3, -0.7, 1.1]
    ts = tuple(torch.tensor(x, dtype=torch.float64) for x in xs)
    H = hessian(lambda *a: build(recipe, a, EngineLib()), xs)
    TH = TF.hessian(lambda *a: build(recipe, a, TorchLib(torch)), ts)
    for i in range(3):
        for j in range(3):
            _close(H[i][j], TH[i][j].item(), f"H[{i}][{j}]")


# --------------------------------------------------------------------------------------------
# Shapes, as torch.autograd.functional nests them
# --------------------------------------------------------------------------------------------


def rosenbrock(x, y):
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def test_hessian_of_rosenbrock_is_the_hand_formula():
    x, y = -1.2, 1.0
    H = hessian(rosenbrock, [x, y])
    assert H == ((2 - 400 * (y - x * x) + 800 * x * x, -400 * x), (-400 * x, 200.0))
    assert all(type(h) is float for row in H for h in row)


def test_single_input_and_single_output_give_numbers():
    assert jacobian(lambda x: x.exp(), 0.0) == 1.0
    assert hessian(lambda x: x**3, 2.0) == 12.0
    assert hvp(lambda x: x**3, 2.0, 0.5) == (8.0, 6.0)
    assert vhp(lambda x: x**3, 2.0) == (8.0, 12.0)  # v defaults to 1 for one input
    assert jacobian(lambda x: [x * 2.0, x * x], 3.0) == (2.0, 6.0)
    assert jacobian(lambda x, y: x * y, [2.0, 5.0]) == (5.0, 2.0)


def test_outputs_that_do_not_depend_on_an_input_give_zeros_unless_strict():
    f = lambda x, y: x * 3.0
    assert jacobian(f, [1.0, 2.0]) == (3.0, 0.0)
    assert hessian(f, [1.0, 2.0]) == ((0.0, 0.0), (0.0, 0.0))
    with pytest.raises(ValueError, match=r"strict=True\): no output depends on input 1"):
        jacobian(f, [1.0, 2.0], strict=True)
    with pytest.raises(ValueError, match=r"hessian\(strict=True\): no output depends on input 1"):
        hessian(f, [1.0, 2.0], strict=True)
    with pytest.raises(ValueError, match=r"hessian\(strict=True\): no output depends on input 0"):
        hessian(lambda x, y: x + y, [1.0, 2.0], strict=True)  # linear: H = 0
    assert hessian(lambda x, y: x * y, [1.0, 2.0], strict=True) == ((0.0, 1.0), (1.0, 0.0))
    assert hvp(f, [1.0, 2.0], [1.0, 1.0]) == (3.0, (0.0, 0.0))


def test_create_graph_gives_values_that_differentiate_again():
    x = Value(0.5, label="x")
    h = hessian(lambda x: x.sin() * x, x, create_graph=True)  # 2cos x - x sin x
    assert isinstance(h, Value)
    assert h.data == pytest.approx(2 * math.cos(0.5) - 0.5 * math.sin(0.5), rel=1e-14)
    third = jacobian(lambda _: h, x)  # h is connected to x: ∂h/∂x = -3 sin x - x cos x
    assert third == 0.0  # a new leaf is made for jacobian's input; h depends on the old x
    from engine import grad

    (d3,) = grad(h, x)
    assert d3.data == pytest.approx(-3 * math.sin(0.5) - 0.5 * math.cos(0.5), rel=1e-14)
    f, hv = hvp(lambda x, y: x * x * y, [x, Value(2.0)], [1.0, 0.0], create_graph=True)
    assert isinstance(f, Value) and [v.data for v in hv] == [4.0, 1.0]


@pytest.mark.parametrize("create_graph", [False, True])
def test_each_argument_position_is_its_own_input_with_or_without_create_graph(create_graph):
    """torch.autograd.functional: ``[x, x]`` is two inputs, so ∂(a·a·b)/∂(a, b) at a = b = 2 is
    (2ab, a²) = (8, 4), not the derivative along x of x³ (12), whatever create_graph is."""
    x = Value(2.0, label="x")
    f = lambda a, b: a * a * b

    def numbers(result):
        if isinstance(result, Value):
            return result.data
        if isinstance(result, tuple):
            return tuple(numbers(r) for r in result)
        return result

    assert numbers(hessian(f, [x, x], create_graph=create_graph)) == ((4.0, 4.0), (4.0, 0.0))
    assert numbers(jacobian(f, [x, x], create_graph=create_graph)) == (8.0, 4.0)
    assert numbers(hvp(f, [x, x], [1.0, 2.0], create_graph=create_graph)) == (8.0, (12.0, 4.0))
    assert numbers(vhp(f, [x, x], [1.0, 2.0], create_graph=create_graph)) == (8.0, (12.0, 4.0))
    y = x * 3.0  # an input computed from another one is its own input too
    assert numbers(jacobian(f, [x, y], create_graph=create_graph)) == (24.0, 4.0)


def test_numbers_in_inputs_are_not_modified_and_values_not_touched():
    x = Value(0.3, label="x")
    x.grad = 7.0
    hessian(lambda x: x.exp(), [x])
    hvp(lambda x: x.exp(), [x], [1.0])
    assert x.grad == 7.0 and x.data == 0.3


@pytest.mark.parametrize(
    "call, error, text",
    [
        (lambda: hessian(lambda x: 3.0, [1.0]), TypeError, "func must return a single Value"),
        (lambda: jacobian(lambda x: [x, 2.0], [1.0]), TypeError, "output 1 of func is float"),
        (lambda: hessian(lambda x: [x], [1.0]), TypeError, "single Value"),
        (lambda: hessian("f", [1.0]), TypeError, "func must be callable"),
        (lambda: hessian(lambda x: x, []), ValueError, "inputs is empty"),
        (lambda: hessian(lambda x: x, "ab"), TypeError, "inputs must be a number"),
        (lambda: hvp(lambda x, y: x * y, [1.0, 2.0]), ValueError, "v is needed"),
        (lambda: hvp(lambda x, y: x * y, [1.0, 2.0], [1.0]), ValueError, "v has 1 entries for 2"),
        (lambda: vhp(lambda x, y: x * y, [1.0, 2.0], 1.0), TypeError, "one entry per input"),
    ],
)
def test_bad_calls_are_named(call, error, text):
    with pytest.raises(error, match=text):
        call()


def test_helpers_inside_no_grad_are_an_error():
    with no_grad(), pytest.raises(RuntimeError, match="hessian inside no_grad"):
        hessian(rosenbrock, [0.0, 0.0])


# --------------------------------------------------------------------------------------------
# gradgradcheck
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(OPS))
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_gradgradcheck_passes_for_every_op(name, data):
    case = CASES[name]
    xs = [data.draw(domain, label=f"x{i}") for i, domain in enumerate(case.domains)]
    if name in ("div", "log", "sqrt", "pow_value"):  # steep near the domain's edge: shrink ε
        assert gradgradcheck(case.call, xs, eps=1e-7, rtol=1e-3, atol=1e-4)
    else:
        assert gradgradcheck(case.call, xs, atol=1e-4)


def test_gradgradcheck_catches_a_rule_that_is_right_only_in_numbers():
    """A tanh rule that reads out.data: the first derivative is right, but as a graph it is a
    constant, so its second derivative is 0. gradcheck cannot see that; gradgradcheck does."""
    from engine import gradcheck
    from engine.core.ops import Op, register
    from engine.core.value import apply_op

    def detached_rule(m, x, out, arg):
        number = out.data if isinstance(out, Value) else out
        return (1.0 - number * number,)

    op = register(
        Op("tanh_detached", 1, lambda x, _: math.tanh(x), detached_rule, "tanh(x)", ("?",), "t")
    )
    try:
        fn = lambda x: apply_op(op, (x,))
        assert gradcheck(fn, [0.5])
        with pytest.raises(GradcheckError, match=r"1 of 1 second derivatives:\n  ∂²f/∂x0∂x0"):
            gradgradcheck(fn, [0.5])
    finally:
        del OPS["tanh_detached"]


def test_gradgradcheck_validates_its_arguments():
    with pytest.raises(TypeError, match="list of numbers"):
        gradgradcheck(rosenbrock, 1.0)
    with pytest.raises(ValueError, match="eps must be positive"):
        gradgradcheck(rosenbrock, [1.0, 1.0], eps=0.0)
    with pytest.raises(TypeError, match="must return a Value"):
        gradgradcheck(lambda x: 1.0, [1.0])
    assert gradgradcheck(rosenbrock, [Value(-1.2), 1.0])
