"""Networks the nn tests share."""

from __future__ import annotations

from nn import MLP


def lecture_network(seed: int = 4):
    """Seed 004's picture: 3 inputs, three tanh layers of 3, one tanh output; square loss, after
    ``loss.backward()``. Returns (model, loss)."""
    model = MLP(3, [3, 3, 3, 1], activation="tanh", output_activation="tanh", seed=seed)
    loss = (model([0.5, -0.2, 0.1]) - 0.3) ** 2
    loss.backward()
    return model, loss
