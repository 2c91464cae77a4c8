"""MLP.to_torch / MLP.from_torch: same weights, same outputs, same gradients (1e-12)."""

from __future__ import annotations

import pytest

from nn import MLP, data, losses
from nn.activations import ACTIVATIONS
from nn.torch_bridge import torch_activations

torch = pytest.importorskip("torch")


def test_every_activation_of_nn_crosses_to_torch():
    assert set(torch_activations()) == set(ACTIVATIONS)


@pytest.mark.parametrize(
    "module, args, name",
    [
        ("Tanh", (), "tanh"),
        ("ReLU", (), "relu"),
        ("Sigmoid", (), "sigmoid"),
        ("SiLU", (), "swish"),
        ("LeakyReLU", (0.01,), "leaky_relu"),
        ("ELU", (), "elu"),
        ("GELU", (), "gelu"),
        ("Softsign", (), "softsign"),
        ("Hardtanh", (), "hardtanh"),
        ("Identity", (), "linear"),
    ],
)
def test_from_torch_reads_torchs_own_modules_by_what_they_compute(module, args, name):
    activation = getattr(torch.nn, module)(*args)
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 3, dtype=torch.float64),
        activation,
        torch.nn.Linear(3, 1, dtype=torch.float64),
    )
    assert MLP.from_torch(net).activation == name


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))


def engine_forward_backward(model, X, y):
    """Outputs, parameter gradients and input gradients of the mse loss, on Values."""
    from engine import Value

    for p in model.parameters():
        p.grad = 0.0
    xs = [[Value(v) for v in row] for row in X]
    outs = [model(row) for row in xs]
    flat = [o if not isinstance(o, list) else o for o in outs]
    loss = losses.mse(flat, y)
    loss.backward()
    values = [[o.data] if not isinstance(o, list) else [v.data for v in o] for o in outs]
    return values, [p.grad for p in model.parameters()], [[v.grad for v in row] for row in xs]


def torch_forward_backward(net, X, y):
    inputs = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    out = net(inputs)
    target = torch.tensor(y, dtype=torch.float64).reshape(out.shape)
    loss = ((out - target) ** 2).mean()
    net.zero_grad()
    loss.backward()
    grads = []
    for linear in (m for m in net if isinstance(m, torch.nn.Linear)):
        for j in range(linear.out_features):  # the MLP's order: neuron j's weights, then bias
            grads += linear.weight.grad[j].tolist() + [linear.bias.grad[j].item()]
    return out.tolist(), grads, inputs.grad.tolist()


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_to_torch_gives_the_same_outputs_and_gradients(activation):
    model = MLP(2, [5, 4, 2], activation=activation, output_activation="tanh", seed=1)
    X, _ = data.make_moons(12, noise=0.2, seed=2)
    y = [[0.3, -0.2]] * len(X)
    net = model.to_torch()
    assert all(p.dtype == torch.float64 for p in net.parameters())
    ours = engine_forward_backward(model, X, y)
    theirs = torch_forward_backward(net, X, y)
    for a_list, b_list in zip(ours, theirs):
        flat_a = [v for row in a_list for v in (row if isinstance(row, list) else [row])]
        flat_b = [v for row in b_list for v in (row if isinstance(row, list) else [row])]
        assert len(flat_a) == len(flat_b)
        assert all(close(a, b) for a, b in zip(flat_a, flat_b)), activation


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_from_torch_reads_the_same_model_back(activation):
    model = MLP(3, [4, 1], activation=activation, seed=5)
    back = MLP.from_torch(model.to_torch())
    assert back.config()["nouts"] == [4, 1]
    assert back.activation == (activation if activation != "linear" else "linear")
    assert back.state_dict() == model.state_dict()


def test_a_torch_trained_model_comes_back_with_its_outputs():
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(2, 8, dtype=torch.float64),
        torch.nn.Tanh(),
        torch.nn.Linear(8, 1, dtype=torch.float64),
    )
    X, y = data.make_moons(40, noise=0.1, seed=0)
    inputs = torch.tensor(X, dtype=torch.float64)
    target = torch.tensor(y, dtype=torch.float64)
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    for _ in range(20):
        opt.zero_grad()
        loss = torch.relu(1 - target * net(inputs)[:, 0]).mean()
        loss.backward()
        opt.step()
    model = MLP.from_torch(net)
    assert model.activation == "tanh" and model.output_activation == "linear"
    with torch.no_grad():
        expected = net(inputs)[:, 0].tolist()
    assert all(close(model(x).data, e) for x, e in zip(X, expected))


def test_from_torch_names_what_it_cannot_translate():
    nn = torch.nn
    with pytest.raises(TypeError, match="Sequential"):
        MLP.from_torch(nn.Linear(2, 1))
    with pytest.raises(ValueError, match="no Linear"):
        MLP.from_torch(nn.Sequential())
    with pytest.raises(ValueError, match="no nn.MLP activation"):
        MLP.from_torch(nn.Sequential(nn.Linear(2, 3), nn.Softmax(dim=1)))
    with pytest.raises(ValueError, match="negative_slope"):
        MLP.from_torch(nn.Sequential(nn.Linear(2, 3), nn.LeakyReLU(0.2)))
    with pytest.raises(ValueError, match="mix activations"):
        MLP.from_torch(
            nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1))
        )
    with pytest.raises(ValueError, match="must follow a Linear"):
        MLP.from_torch(nn.Sequential(nn.ReLU(), nn.Linear(2, 1)))
    with pytest.raises(ValueError, match="no bias"):
        MLP.from_torch(nn.Sequential(nn.Linear(2, 1, bias=False)))
    with pytest.raises(ValueError, match="do not match"):
        MLP.from_torch(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(4, 1)))


def test_to_torch_needs_an_mlp():
    from nn import Neuron
    from nn.torch_bridge import to_torch

    with pytest.raises(TypeError, match="MLP"):
        to_torch(Neuron(2))


def test_tied_layers_cross_to_torch_as_one_shared_linear_and_back():
    square = MLP(2, [2, 2, 1], activation="tanh", seed=0)
    for neuron, source in zip(square.layers[1].neurons, square.layers[0].neurons):
        neuron.w, neuron.b = source.w, source.b  # layer 1 reuses layer 0's weights
    assert square.num_parameters() == 9
    net = square.to_torch()
    assert net[0] is net[2]
    assert sum(p.numel() for p in net.parameters()) == 9
    x = [0.3, -0.4]
    ours = square(x).data
    theirs = net(torch.tensor([x], dtype=torch.float64)).item()
    assert theirs == pytest.approx(ours, abs=1e-14)
    back = MLP.from_torch(net)
    assert back.num_parameters() == 9
    assert back.layers[1].neurons[0].w[0] is back.layers[0].neurons[0].w[0]
    assert back(x).data == pytest.approx(ours, abs=1e-14)


def test_a_layer_sharing_part_of_its_parameters_is_refused_by_to_torch():
    model = MLP(2, [2, 2, 1], seed=0)
    model.layers[1].neurons[0].b = model.layers[0].neurons[0].b
    with pytest.raises(ValueError, match="layer 1 shares some, but not all"):
        model.to_torch()
