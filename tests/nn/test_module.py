"""nn.module and nn.layers: Neuron, Layer, MLP, RandomProjection, parameters, spans.

State dicts and checkpoints: tests/nn/test_checkpoint.py."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import OPS, Parameter, Value, gradcheck
from engine.core.graph import topological_order
from nn import MLP, Layer, Module, Neuron, RandomProjection
from nn.layers import ACTIVATIONS, get_activation

ENGINE_ACTIVATIONS = sorted(name for name, op in OPS.items() if op.activation)
"""The op rows a neuron may use (binary_step among them: nothing learns through it)."""
LEARNING_ACTIVATIONS = [name for name in ENGINE_ACTIVATIONS if name != "binary_step"]
finite = st.floats(-3, 3, allow_nan=False)


# --------------------------------------------------------------------------------------------
# Structure and names
# --------------------------------------------------------------------------------------------


def test_mlp_2_16_16_1_has_337_parameters_all_parameter_leaves():
    model = MLP(2, [16, 16, 1], seed=0)
    params = model.parameters()
    assert len(params) == 337 == model.num_parameters()
    assert all(type(p) is Parameter and p.op == "" and p.parents == () for p in params)
    assert len({id(p) for p in params}) == 337


def test_named_parameters_are_stable_dotted_names_and_labels_are_short():
    model = MLP(2, [16, 16, 1], seed=0)
    named = dict(model.named_parameters())
    p = named["layers.0.neurons.3.w.1"]
    assert p is model.layers[0].neurons[3].w[1]
    assert p.label == "L0N3.w1"
    assert named["layers.2.neurons.0.b"].label == "L2N0.b"
    names = [n for n, _ in model.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert names[-1] == "layers.2.neurons.0.b"
    assert names == [n for n, _ in MLP(2, [16, 16, 1], seed=5).named_parameters()]


def test_named_modules_depth_first_from_the_root():
    model = MLP(3, [2, 1], seed=0)
    names = [name for name, _ in model.named_modules()]
    assert names == [
        "",
        "layers.0",
        "layers.0.neurons.0",
        "layers.0.neurons.1",
        "layers.1",
        "layers.1.neurons.0",
    ]
    modules = dict(model.named_modules())
    assert modules[""] is model and modules["layers.1.neurons.0"] is model.layers[1].neurons[0]


def test_a_users_own_module_finds_its_parameters_and_submodules():
    class Net(Module):
        def __init__(self):
            self.hidden = Layer(2, 3, seed=1)
            self.scale = Parameter(2.0, label="scale")
            self._cache = [Parameter(9.0)]  # private: not a parameter

        def forward(self, x):
            return sum(self.hidden(x), Value(0.0)) * self.scale

    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names[0] == "scale" and names[1] == "hidden.neurons.0.w.0" and len(names) == 10
    out = net([1.0, 2.0])
    out.backward()
    assert net.scale.grad == pytest.approx(out.data / 2.0)
    assert "(hidden): Layer(nin=2, nout=3" in repr(net)


def test_repr_is_readable():
    text = repr(MLP(2, [16, 16, 1], seed=0))
    assert text.startswith("MLP(nin=2, nouts=[16, 16, 1], activation='relu'")
    assert "337 parameters" in text
    assert "(layers.2): Layer(nin=16, nout=1, activation='linear')" in text
    assert repr(Neuron(3, "tanh")) == "Neuron(nin=3, activation='tanh')"


# --------------------------------------------------------------------------------------------
# Seeds and initialisers
# --------------------------------------------------------------------------------------------


def test_same_seed_same_model_different_seed_different_model():
    a, b, c = MLP(2, [4, 1], seed=7), MLP(2, [4, 1], seed=7), MLP(2, [4, 1], seed=8)
    assert a.state_dict() == b.state_dict()
    assert a.state_dict() != c.state_dict()


def test_seed_zero_gives_these_exact_weights_on_every_machine():
    # U(-1, 1) = 2·rng.random() - 1 with random.Random(0): the Mersenne Twister is portable.
    params = MLP(2, [16, 16, 1], seed=0).parameters()
    assert params[0].data == 2 * random.Random(0).random() - 1 == 0.6888437030500962
    assert params[1].data == 0.515908805880605
    assert params[2].data == 0.0  # bias


def test_bias_init_and_named_initialisers():
    model = MLP(2, [8, 1], activation="relu", init="he", bias=0.1, seed=0)
    biases = [p.data for n, p in model.named_parameters() if n.endswith(".b")]
    assert biases == [0.1] * 9
    assert MLP.load
    with pytest.raises(ValueError, match="unknown initialiser 'bogus'.*xavier"):
        MLP(2, [3], init="bogus")


def test_unseeded_models_differ():
    assert MLP(2, [3], seed=None).state_dict() != MLP(2, [3], seed=None).state_dict()


# --------------------------------------------------------------------------------------------
# Forward: outputs, inputs, activations
# --------------------------------------------------------------------------------------------


def test_one_output_gives_a_value_several_give_a_list_a_layer_always_a_list():
    assert isinstance(MLP(2, [4, 1], seed=0)([1.0, 2.0]), Value)
    out = MLP(2, [4, 3], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 3 and all(isinstance(v, Value) for v in out)
    one = Layer(2, 1, seed=0)([1.0, 2.0])
    assert isinstance(one, list) and len(one) == 1


def test_micrograds_width_one_hidden_layer_bug_is_absent():
    model = MLP(2, [16, 1, 1], seed=0)
    out = model([0.5, -1.2])
    assert isinstance(out, Value)
    out.backward()
    assert any(p.grad != 0.0 for p in model.layers[2].parameters())


def test_neuron_computes_activation_of_weighted_sum_plus_bias():
    n = Neuron(3, "tanh", seed=3)
    x = [0.5, -1.0, 2.0]
    z = n.b.data + sum(w.data * xi for w, xi in zip(n.w, x))
    assert n(x).data == pytest.approx(math.tanh(z), rel=1e-15)


@pytest.mark.parametrize("name", ENGINE_ACTIVATIONS + ["linear", "binary step"])
def test_every_activation_by_name_matches_the_engine_method(name):
    n = Neuron(2, name, seed=1)
    z = (n.b + n.w[0] * 0.3 + n.w[1] * -0.7).data
    expected = z if name == "linear" else getattr(Value(z), name.replace(" ", "_"))().data
    assert n([0.3, -0.7]).data == expected
    assert n.activation == name.replace(" ", "_")


def test_unknown_activation_lists_the_valid_names():
    with pytest.raises(ValueError, match="unknown activation 'sigmod'.*sigmoid.*gelu"):
        MLP(2, [3, 1], activation="sigmod")
    with pytest.raises(ValueError, match="unknown activation"):
        get_activation("nope")
    assert set(ENGINE_ACTIVATIONS) | {"linear"} == set(ACTIVATIONS)
    assert {"tanh", "relu", "softsign", "hardtanh"} <= set(ENGINE_ACTIVATIONS)


@pytest.mark.parametrize("bad, got", [([1.0, 2.0, 3.0], "got 3"), ([1.0], "got 1"), (0.5, "got 1")])
def test_wrong_input_length_names_expected_and_got(bad, got):
    with pytest.raises(ValueError, match=f"expected 2 inputs, {got}"):
        MLP(2, [3, 1], seed=0)(bad)
    with pytest.raises(ValueError, match="expected 2 inputs"):
        Neuron(2)(bad)


def test_bad_constructor_arguments():
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(ValueError, match="positive integer"):
            MLP(bad, [3])
    for nouts in ([], [3, 0], "16", None):
        with pytest.raises(ValueError):
            MLP(2, nouts)
    with pytest.raises(TypeError, match="seed"):
        MLP(2, [3], seed="x")


def test_inputs_may_be_values_and_receive_gradients():
    model = MLP(2, [4, 1], activation="tanh", seed=0)
    x = [Value(0.3, label="x0"), Value(-0.8, label="x1")]
    out = model(x)
    out.backward()
    assert x[0].grad != 0.0 and x[1].grad != 0.0
    with_floats = model([0.3, -0.8])
    assert with_floats.data == out.data


def test_a_single_number_is_accepted_when_nin_is_one():
    model = MLP(1, [3, 1], activation="tanh", seed=0)
    assert model(0.25).data == model([0.25]).data


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(LEARNING_ACTIVATIONS + ["linear"]), finite, finite)
def test_mlp_gradient_matches_finite_differences(activation, x0, x1):
    model = MLP(2, [3, 2, 1], activation=activation, seed=2)
    params = model.parameters()
    start = [p.data for p in params]
    out = model([x0, x1])
    out.backward()
    eps = 1e-6
    for i, p in enumerate(params):
        p.data = start[i] + eps
        plus = model([x0, x1]).data
        p.data = start[i] - eps
        minus = model([x0, x1]).data
        p.data = start[i]
        if abs((plus - out.data) - (out.data - minus)) > 1e-3 * eps:
            continue  # a ReLU kink lies within ±eps: the one-sided slopes differ, skip it
        numeric = (plus - minus) / (2 * eps)
        assert p.grad == pytest.approx(numeric, rel=1e-4, abs=1e-6), (activation, i)


def test_neuron_gradients_pass_gradcheck_with_respect_to_inputs():
    n = Neuron(3, "swish", seed=4)
    assert gradcheck(lambda a, b, c: n([a, b, c]), [0.4, -1.3, 0.9])


def test_mlp_output_and_gradients_match_torch_float64():
    torch = pytest.importorskip("torch")
    model = MLP(2, [5, 4, 1], activation="tanh", seed=11)
    x = [0.7, -1.1]
    out = model(x)
    out.backward()

    def t(v):
        return torch.tensor(v, dtype=torch.float64, requires_grad=True)

    tparams = {name: t(p.data) for name, p in model.named_parameters()}
    act = [torch.tensor(v, dtype=torch.float64) for v in x]
    for i, layer in enumerate(model.layers):
        nxt = []
        for j, neuron in enumerate(layer.neurons):
            z = tparams[f"layers.{i}.neurons.{j}.b"]
            for k in range(neuron.nin):
                z = z + tparams[f"layers.{i}.neurons.{j}.w.{k}"] * act[k]
            nxt.append(torch.tanh(z) if i < 2 else z)
        act = nxt
    act[0].backward()
    assert out.data == pytest.approx(act[0].item(), rel=1e-13)
    for name, p in model.named_parameters():
        assert p.grad == pytest.approx(tparams[name].grad.item(), rel=1e-10, abs=1e-14), name


def test_zero_grad_clears_every_parameter():
    model = MLP(2, [4, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


# --------------------------------------------------------------------------------------------
# Spans: which nodes a module's forward made
# --------------------------------------------------------------------------------------------


def test_call_records_the_span_of_nodes_each_module_made():
    model = MLP(2, [3, 1], seed=0)
    out = model([0.5, -1.0])
    start, end = model._span
    nodes = topological_order(out)
    made = [v for v in nodes if start < v._seq < end]
    assert out in made
    assert not any(start < p._seq < end for p in model.parameters())  # made before the call
    neuron = model.layers[0].neurons[1]
    n_start, n_end = neuron._span
    layer_start, layer_end = model.layers[0]._span
    assert start < layer_start < n_start < n_end < layer_end < end
    inside = [v for v in nodes if n_start < v._seq < n_end]
    assert inside and all(v.op for v in inside if v.parents)
    # the neuron's output is in its span, and its weights feed the nodes in it
    assert any(set(v.parents) & set(neuron.w) for v in inside)


# --------------------------------------------------------------------------------------------
# RandomProjection
# --------------------------------------------------------------------------------------------


def test_random_projection_is_sign_of_fixed_gaussian_weights_and_has_no_parameters():
    proj = RandomProjection(3, 50, seed=0)
    assert proj.parameters() == [] and proj.state_dict() == {}
    x = [0.5, -1.0, 2.0]
    out = proj(x)
    assert len(out) == 50
    for z, row in zip(out, proj.weights):
        dot = sum(b * xi for b, xi in zip(row, x))
        assert z.data == (1.0 if dot > 0 else -1.0)
        assert z.op == "binary_step"
    assert RandomProjection(3, 50, seed=0).weights == proj.weights
    assert RandomProjection(3, 50, seed=1).weights != proj.weights


def test_random_projection_weights_look_standard_normal():
    weights = [w for row in RandomProjection(10, 1000, seed=3).weights for w in row]
    mean = sum(weights) / len(weights)
    var = sum((w - mean) ** 2 for w in weights) / len(weights)
    assert abs(mean) < 0.05 and abs(var - 1.0) < 0.05  # 10,000 draws: 5 standard errors


def test_random_projection_then_a_trainable_layer():
    proj = RandomProjection(2, 20, seed=0)
    head = Neuron(20, "linear", seed=0)
    x = [Value(0.3), Value(0.4)]
    out = head(proj(x))
    out.backward()
    assert all(w.grad in (-1.0, 0.0, 1.0) for w in head.w)  # ∂out/∂w_i = z_i = sign(...)
    assert x[0].grad == 0.0  # sign has derivative 0: nothing flows back through it


# --------------------------------------------------------------------------------------------
# Tied and self-containing modules: each parameter and module counted once
# --------------------------------------------------------------------------------------------


class _Tied(Module):
    """Two names for one neuron (``self.b = self.a``), as weight tying does."""

    def __init__(self) -> None:
        self.a = Neuron(1, "linear", seed=0)
        self.b = self.a

    def forward(self, x):
        return self.a(x) + self.b(x)


def test_tied_module_lists_each_parameter_and_module_once_first_name_wins():
    model = _Tied()
    assert model.parameters() == [model.a.w[0], model.a.b]
    assert [n for n, _ in model.named_parameters()] == ["a.w.0", "a.b"]
    assert model.num_parameters() == 2
    assert [n for n, _ in model.named_modules()] == ["", "a"]
    assert list(model.modules()) == [model, model.a]
    assert list(model.state_dict()) == ["a.w.0", "a.b"]


def test_tied_model_one_sgd_step_moves_each_weight_by_exactly_lr_times_grad():
    from nn import optim

    model, lr, x = _Tied(), 0.1, 0.7
    w, b = model.a.w[0], model.a.b
    before_w, before_b = w.data, b.data
    out = model([x])  # out = 2·(w·x + b): ∂out/∂w = 2x, ∂out/∂b = 2
    out.backward()
    eps = 1e-6
    numeric = (2 * ((before_w + eps) * x + before_b)) - (2 * ((before_w - eps) * x + before_b))
    assert w.grad == pytest.approx(numeric / (2 * eps), rel=1e-8) == pytest.approx(2 * x)
    g_w, g_b = w.grad, b.grad
    opt = optim.SGD(model.parameters(), lr=lr)
    opt.step()
    assert w.data == pytest.approx(before_w - lr * g_w, abs=1e-15)
    assert b.data == pytest.approx(before_b - lr * g_b, abs=1e-15)
    model.zero_grad()
    assert w.grad == 0.0 and b.grad == 0.0


def test_tied_model_checkpoint_round_trips_into_a_tied_model(tmp_path):
    model = _Tied()
    model.a.w[0].data = 0.25
    model.save(tmp_path / "tied.json")
    other = _Tied()
    other.load(tmp_path / "tied.json")
    assert other.a.w[0].data == 0.25 and other.b is other.a


def test_a_tied_mlp_saves_each_weight_once_and_says_how_to_load_it(tmp_path):
    from nn import CheckpointError

    def tied_mlp():
        model = MLP(2, [2, 2, 1], seed=0)
        for neuron, source in zip(model.layers[1].neurons, model.layers[0].neurons):
            neuron.w, neuron.b = source.w, source.b
        return model

    model = tied_mlp()
    model.layers[0].neurons[0].w[0].data = 0.5
    model.save(tmp_path / "tied.json")
    with pytest.raises(CheckpointError, match="tied weights stores each once: build it tied"):
        MLP.load(tmp_path / "tied.json")
    other = tied_mlp().load(tmp_path / "tied.json")
    assert other.layers[1].neurons[0].w[0].data == 0.5 and other.num_parameters() == 9


def test_a_module_that_contains_itself_terminates_everywhere():
    class Loop(Module):
        def __init__(self) -> None:
            self.p = Parameter(1.0)
            self.kids = [self]
            self.inner = Neuron(2, seed=0)
            self.inner.back = self  # a cycle through a child, too

    model = Loop()
    assert model.parameters() == [model.p, *model.inner.w, model.inner.b]
    assert [n for n, _ in model.named_modules()] == ["", "inner"]
    model.zero_grad()
    assert len(model.state_dict()) == 4
    text = repr(model)
    assert "(kids.0): Loop() (shared, shown above)" in text
    assert "(back): Loop() (shared, shown above)" in text


def test_repr_of_a_nested_model_is_unchanged_by_the_walk():
    model = MLP(2, [3, 1], seed=0)
    assert repr(model) == (
        "MLP(nin=2, nouts=[3, 1], activation='relu', output_activation='linear'; "
        "13 parameters\n"
        "  (layers.0): Layer(nin=2, nout=3, activation='relu')\n"
        "  (layers.1): Layer(nin=3, nout=1, activation='linear')\n"
        ")"
    )
    neuron_tree = Module()
    neuron_tree.child = Neuron(1, seed=0)
    neuron_tree.child.grandchild = Neuron(2, seed=0)
    assert repr(neuron_tree) == (
        "Module(\n"
        "  (child): Neuron(nin=1, activation='relu'\n"
        "    (grandchild): Neuron(nin=2, activation='relu')\n"
        "  )\n"
        ")"
    )
