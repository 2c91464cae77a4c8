"""Dense layers: on numpy batches, dot chains sharing their inputs run as one matrix product.

The results must equal the eager engine's per example (to rounding: the sums run in BLAS order),
for every activation, for input and parameter gradients, and whatever else reads the layers.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Parameter, Value, trace
from engine.replay.codegen import _Writer
from nn import MLP, Layer

np = pytest.importorskip("numpy")

ACTIVATIONS = ["relu", "tanh", "sigmoid", "leaky_relu", "elu", "softplus", "swish", "gelu"]


def layers_of(program):
    return _Writer(program._layout, "numpy").layers


def eager(f, row, params):
    for p in params:
        p.grad = 0.0
    xs = [Value(v) for v in row]
    out = f(*xs)
    out.backward()
    return out.data, [x.grad for x in xs], [p.grad for p in params]


def check(program, f, rows, params):
    """Batched values, input gradients and summed parameter gradients equal eager's."""
    columns = [np.array(c) for c in zip(*rows)]
    expected = [eager(f, row, params) for row in rows]
    assert list(program(*columns)) == pytest.approx([e[0] for e in expected], rel=1e-12)
    grads = program.grad(*columns)
    for i, column in enumerate(grads):
        assert list(column) == pytest.approx([e[1][i] for e in expected], rel=1e-12, abs=1e-15)
    for p in params:
        p.grad = 0.0
    program.backward(*columns)
    for j, p in enumerate(params):
        total = sum(e[2][j] for e in reversed(expected))
        assert p.grad == pytest.approx(total, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_an_mlp_runs_as_matrix_products_and_equals_eager(activation):
    model = MLP(3, [5, 4, 1], activation=activation, seed=2)

    def f(a, b, c):
        return model([a, b, c])

    program = trace(f, 0.1, 0.2, 0.3)
    layers = layers_of(program)
    assert [(len(g.zs), len(g.rs)) for g in layers] == [(5, 3), (4, 5), (1, 4)]
    assert layers[0].act == (activation, layers[0].act[1]) and layers[2].act is None
    assert layers[1].source == (layers[0], "A") and layers[2].source == (layers[1], "A")
    rng = np.random.default_rng(0)
    check(program, f, rng.normal(size=(6, 3)).tolist(), model.parameters())
    assert "_W0 @ _R0" in program.source("numpy")


def test_a_float_replay_never_uses_matrix_products():
    model = MLP(2, [4, 1], seed=0)
    program = trace(lambda a, b: model([a, b]), 0.1, 0.2)
    assert "@" not in program.source("float")


def test_rows_read_elsewhere_are_exported_and_their_gradients_flow():
    layer = Layer(2, 3, activation="tanh", seed=1)

    def f(a, b):
        h = layer([a, b])
        return h[0] * h[1] + h[2].exp()  # reads the layer's rows one by one

    program = trace(f, 0.3, -0.2)
    (dense,) = layers_of(program)
    assert dense.exported == set(dense.us)
    check(program, f, [[0.3, -0.2], [1.0, 0.5], [-2.0, 0.1]], layer.parameters())


def test_a_layer_without_activation_feeds_per_node_code():
    layer = Layer(3, 2, activation="linear", seed=4)
    program = trace(lambda a, b, c: layer([a, b, c])[0] * layer([a, b, c])[1], 0.1, 0.2, 0.3)
    assert all(g.act is None for g in layers_of(program))
    check(
        program,
        lambda a, b, c: layer([a, b, c])[0] * layer([a, b, c])[1],
        [[0.1, 0.2, 0.3], [1.0, -1.0, 2.0]],
        layer.parameters(),
    )


def test_a_weight_used_twice_in_one_layer_is_not_fused():
    w, b1, b2 = Parameter(0.5), Parameter(0.1), Parameter(-0.2)

    def f(x, y):
        return (b1 + w * x + w * y) * (b2 + w * x + w * y)

    program = trace(f, 1.0, 2.0)
    assert layers_of(program) == []
    check(program, f, [[1.0, 2.0], [-0.5, 0.3]], [w, b1, b2])


def test_a_partial_sum_used_elsewhere_ends_the_chain():
    ws = [Parameter(v) for v in (0.1, 0.2, 0.3, 0.4)]
    bs = [Parameter(0.0), Parameter(1.0)]

    def f(x, y):
        outs = []
        for j in range(2):
            partial = bs[j] + ws[2 * j] * x
            outs.append((partial + ws[2 * j + 1] * y).relu() + partial)  # partial read twice
        return outs[0] * outs[1]

    program = trace(f, 0.5, 0.7)
    check(program, f, [[0.5, 0.7], [-1.0, 2.0]], ws + bs)


def test_overflow_in_a_matrix_product_is_redone_as_eager():
    model = MLP(2, [3, 1], seed=0)
    for p in model.parameters():
        p.data = 2.0  # 2 · 1e308 overflows
    program = trace(lambda a, b: model([a, b]), 0.1, 0.2)
    assert layers_of(program)
    with pytest.raises(OverflowError, match="example 1"):
        program(np.array([1.0, 1e308]), np.array([1.0, 1e308]))


@settings(max_examples=25, deadline=None)
@given(
    nin=st.integers(1, 3),
    widths=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    activation=st.sampled_from(ACTIVATIONS),
    output=st.sampled_from(["linear", "tanh", "sigmoid"]),
    seed=st.integers(0, 1000),
    extra=st.booleans(),
)
def test_random_mlps_on_batches_equal_eager(nin, widths, activation, output, seed, extra):
    model = MLP(nin, widths, activation=activation, output_activation=output, seed=seed)

    def f(*xs):
        out = model(list(xs))
        out = out if isinstance(out, list) else [out]
        total = out[0]
        for o in out[1:]:
            total = total + o * o
        return total * xs[0] if extra else total  # sometimes an input is read again

    program = trace(f, *([0.5] * nin))
    rng = np.random.default_rng(seed)
    check(program, f, rng.normal(size=(4, nin)).tolist(), model.parameters())
