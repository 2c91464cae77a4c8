"""chainrule's neural-network library: modules, initialisers, losses, optimisers, data, training.

    from nn import MLP, losses, optim, data
    X, y = data.make_moons(100, noise=0.1, seed=0)            # y is ±1
    model = MLP(2, [16, 16, 1], activation="relu", seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    for step in range(100):
        loss = losses.hinge([model(x) for x in X], y) + 1e-4 * losses.l2(model.parameters())
        opt.zero_grad(); loss.backward(); opt.step()

Or let `fit` run that loop: ``nn.fit(model, X, y, loss="hinge", alpha=1e-4, epochs=100)``.
Everything is built from `engine.Value`s, so any loss can be drawn and stepped through; an MLP
can also be drawn as a network (`draw_network`: neurons, weights, δ) and its backward pass
stepped layer by layer (`DeltaStepper`, the δ rule).
"""

from nn import data, init, losses, optim
from nn.checkpoint import CheckpointError
from nn.layers import MLP, Layer, Neuron, RandomProjection
from nn.module import Module
from nn.teaching.delta_mode import DeltaStepper
from nn.teaching.network_view import draw_network
from nn.train import accuracy, fit

__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "RandomProjection",
    "CheckpointError",
    "losses",
    "optim",
    "data",
    "init",
    "fit",
    "accuracy",
    "draw_network",
    "DeltaStepper",
]
