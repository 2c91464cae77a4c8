"""Hand-off to PyTorch: an `MLP` as a ``torch.nn.Module`` (float64) and back.

    net = model.to_torch()                   # torch.nn.Sequential of Linear and activations
    out = net(torch.tensor(X, dtype=torch.float64))      # shape (n, nout)
    model = MLP.from_torch(net)              # the same weights, as Values again

Layer i of the MLP becomes ``torch.nn.Linear(nin, nout)`` with ``weight[j, k]`` = weight k of
neuron j and ``bias[j]`` = its bias, followed by its activation. The activations compute what
the op table computes: softplus as ``logaddexp(x, 0)`` (PyTorch's Softplus switches to x above 20,
which is off by e^-20), GELU with the exact erf form, binary step as ``sign``. Outputs and
gradients agree with the scalar engine to rounding (about 1e-15): only the order of the sums
differs. torch is imported only when these functions run.
"""

from __future__ import annotations

from typing import Any

__all__ = ["to_torch", "from_torch", "TORCH_ACTIVATIONS"]

TORCH_ACTIVATIONS = (
    "linear",
    "relu",
    "tanh",
    "sigmoid",
    "leaky_relu",
    "elu",
    "softplus",
    "swish",
    "gelu",
    "binary_step",
)
"""The MLP activations `to_torch` translates (leaky_relu with α = 0.01, elu with α = 1,
swish with β = 1: the `nn.layers` defaults)."""


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError("to_torch / from_torch need PyTorch (pip install torch)") from None
    return torch


def _modules() -> dict[str, Any]:
    """Small torch modules for the activations torch.nn has no exact twin of."""
    torch: Any = _torch()

    class Softplus(torch.nn.Module):
        """ln(1 + e^x) computed as logaddexp(x, 0): exact for every x, gradient σ(x)."""

        def forward(self, x):
            return torch.logaddexp(x, torch.zeros_like(x))

    class BinaryStep(torch.nn.Module):
        """sign(x), whose derivative is 0 (nothing learns through it)."""

        def forward(self, x):
            return torch.sign(x)

    return {"Softplus": Softplus, "BinaryStep": BinaryStep}


def _activation(name: str) -> Any:
    torch = _torch()
    nn = torch.nn
    made = {
        "relu": nn.ReLU,
        "tanh": nn.Tanh,
        "sigmoid": nn.Sigmoid,
        "leaky_relu": lambda: nn.LeakyReLU(0.01),
        "elu": lambda: nn.ELU(1.0),
        "swish": nn.SiLU,
        "gelu": lambda: nn.GELU(approximate="none"),
    }
    if name in made:
        return made[name]()
    extra = _modules()
    if name == "softplus":
        return extra["Softplus"]()
    if name == "binary_step":
        return extra["BinaryStep"]()
    raise ValueError(f"to_torch: no torch activation for {name!r}")


def to_torch(model: Any) -> Any:
    """A ``torch.nn.Sequential`` (float64) computing what `model` (an `MLP`) computes.

    Its input is a tensor of shape (n, nin); its output has shape (n, nout). The weights are
    copies: training one does not change the other (use `from_torch` to come back).
    """
    torch = _torch()
    from nn.layers import MLP

    if not isinstance(model, MLP):
        raise TypeError(f"to_torch needs an nn.MLP, got {type(model).__name__}")
    parts: list[Any] = []
    for layer in model.layers:
        linear = torch.nn.Linear(layer.nin, layer.nout, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(
                torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64)
            )
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        parts.append(linear)
        if layer.activation != "linear":
            parts.append(_activation(layer.activation))
    return torch.nn.Sequential(*parts)


def _activation_name(module: Any) -> str:
    torch = _torch()
    nn = torch.nn
    if isinstance(module, nn.Identity):
        return "linear"
    simple = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", nn.SiLU: "swish"}
    for kind, name in simple.items():
        if type(module) is kind:
            return name
    if type(module) is nn.LeakyReLU and module.negative_slope == 0.01:
        return "leaky_relu"
    if type(module) is nn.ELU and module.alpha == 1.0:
        return "elu"
    if type(module) is nn.GELU and module.approximate == "none":
        return "gelu"
    name = type(module).__name__
    if name in ("Softplus", "BinaryStep") and type(module).__module__ == __name__:
        return "softplus" if name == "Softplus" else "binary_step"
    supported = ", ".join(TORCH_ACTIVATIONS)
    raise ValueError(
        f"from_torch: {module!r} has no nn.MLP activation (supported: {supported}; leaky_relu "
        f"needs negative_slope=0.01, elu alpha=1, gelu approximate='none')"
    )


def from_torch(module: Any) -> Any:
    """An `MLP` with the weights of `module`: a ``torch.nn.Sequential`` of ``Linear`` layers,
    each followed by at most one activation; every hidden layer must use the same one.

    The reverse of `to_torch`. Raises ValueError naming the part it cannot translate.
    """
    torch = _torch()
    from nn.layers import MLP

    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(f"from_torch needs a torch.nn.Sequential, got {type(module).__name__}")
    layers: list[list[Any]] = []  # [linear, activation name]
    for part in module:
        if isinstance(part, torch.nn.Linear):
            if part.bias is None:
                raise ValueError(f"from_torch: {part!r} has no bias; nn.MLP neurons always do")
            layers.append([part, "linear"])
        elif layers and layers[-1][1] == "linear":
            layers[-1][1] = _activation_name(part)
        else:
            raise ValueError(f"from_torch: {part!r} must follow a Linear layer")
    if not layers:
        raise ValueError("from_torch: the module has no Linear layer")
    hidden = {name for _, name in layers[:-1]}
    if len(hidden) > 1:
        raise ValueError(f"from_torch: the hidden layers mix activations {sorted(hidden)}")
    for (a, _), (b, _) in zip(layers, layers[1:]):
        if a.out_features != b.in_features:
            raise ValueError(f"from_torch: {a!r} feeds {b!r}, whose sizes do not match")
    model = MLP(
        layers[0][0].in_features,
        [linear.out_features for linear, _ in layers],
        activation=hidden.pop() if hidden else "relu",
        output_activation=layers[-1][1],
    )
    for layer, (linear, _) in zip(model.layers, layers):
        weight = linear.weight.detach().to(torch.float64).tolist()
        bias = linear.bias.detach().to(torch.float64).tolist()
        for neuron, row, b in zip(layer.neurons, weight, bias):
            for w, value in zip(neuron.w, row):
                w.data = float(value)
            neuron.b.data = float(b)
    return model
