"""Hand-off to PyTorch: an `MLP` as a ``torch.nn.Module`` (float64) and back.

    net = model.to_torch()                   # torch.nn.Sequential of Linear and activations
    out = net(torch.tensor(X, dtype=torch.float64))      # shape (n, nout)
    model = MLP.from_torch(net)              # the same weights, as Values again

Layer i of the MLP becomes ``torch.nn.Linear(nin, nout)`` with ``weight[j, k]`` = weight k of
neuron j and ``bias[j]`` = its bias, followed by its activation: an `Activation` module that
applies the op row's torch twin (`engine.core.ops.Op.torch`) with the `nn.layers` default α or β,
so it computes what the op table computes (softplus exact past 20, GELU in its erf form, the
binary step as ``sign``). Outputs and gradients agree with the scalar engine to rounding (about
1e-15): only the order of the sums differs. torch is imported only when these functions run.

`from_torch` reads an activation module by what it computes, not by its name: a module is the
activation whose torch twin gives the same numbers on a fixed set of probe points (-40 to 40,
±0, ±1, NaN, ±inf). So ``torch.nn.Tanh()``, ``ReLU()``, ``SiLU()`` (swish with β = 1),
``LeakyReLU(0.01)``, ``ELU()``, ``GELU()``, ``Softsign()``, ``Hardtanh()`` and ``Identity()``
come back as their rows, and a module that computes something else (``LeakyReLU(0.2)``,
``GELU(approximate="tanh")``, ``Softplus()``, which is off by e^-20 past 20) is refused by name.
"""

from __future__ import annotations

import functools
from typing import Any

from engine import OPS

__all__ = ["to_torch", "from_torch", "torch_activations"]


def torch_activations() -> tuple[str, ...]:
    """The MLP activations `to_torch` and `from_torch` translate: ``linear`` and every op row
    marked ``activation=True`` that has a torch twin."""
    rows = [name for name, op in OPS.items() if op.activation and op.torch is not None]
    return ("linear", *rows)


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError("to_torch / from_torch need PyTorch (pip install torch)") from None
    return torch


@functools.cache
def _activation_class() -> Any:
    """The ``Activation`` module class (made once, when torch is first needed)."""
    torch: Any = _torch()

    class Activation(torch.nn.Module):
        """One op row's torch twin as a module: ``Activation("tanh")``, ``Activation("elu", 1)``."""

        def __init__(self, op_name: str, arg: float | None = None) -> None:
            super().__init__()
            if op_name not in OPS or OPS[op_name].torch is None:
                raise ValueError(f"Activation: no op row {op_name!r} with a torch twin")
            self.op_name, self.arg = op_name, arg

        def forward(self, x):
            twin: Any = OPS[self.op_name].torch
            return twin(torch, x, self.arg)

        def extra_repr(self) -> str:
            return repr(self.op_name) + ("" if self.arg is None else f", {self.arg!r}")

    return Activation


def _activation(name: str) -> Any:
    """An ``Activation`` module for the op row `name` (its method's default α or β)."""
    return _activation_class()(name, OPS[name].arg_default)


def _probe_points(torch: Any) -> Any:
    steps = [i / 4.0 for i in range(-160, 161)]
    special = [0.0, -0.0, 1.0, -1.0, 21.0, 1e-300, -1e-300, float("inf"), float("-inf")]
    return torch.tensor(steps + special + [float("nan")], dtype=torch.float64)


def _same_numbers(torch: Any, a: Any, b: Any) -> bool:
    """Equal to 4e-16 (relative), NaN where the other is NaN, the same infinities."""
    if a.shape != b.shape:
        return False
    both_nan = torch.isnan(a) & torch.isnan(b)
    close = torch.isclose(a, b, rtol=4e-16, atol=0.0) | both_nan
    return bool(close.all())


def _activation_name(module: Any) -> str:
    """The activation row `module` computes (ValueError naming it if none does)."""
    torch = _torch()
    x = _probe_points(torch)
    with torch.no_grad():
        try:  # as after a Linear layer: a batch of rows of one feature
            theirs = module(x.reshape(-1, 1).clone())
        except Exception as exc:
            raise ValueError(
                f"from_torch: {module!r} is no nn.MLP activation (it fails on a float64 batch: "
                f"{exc})"
            ) from None
        if not isinstance(theirs, torch.Tensor):
            raise ValueError(f"from_torch: {module!r} is no nn.MLP activation (no tensor out)")
        theirs = theirs.reshape(-1)
        if _same_numbers(torch, theirs, x):
            return "linear"
        for name in torch_activations()[1:]:
            op = OPS[name]
            twin: Any = op.torch
            if _same_numbers(torch, theirs, twin(torch, x, op.arg_default)):
                return name
    supported = ", ".join(torch_activations())
    raise ValueError(
        f"from_torch: {module!r} computes no nn.MLP activation (supported: {supported}; "
        f"leaky_relu with negative_slope=0.01, elu with alpha=1, swish with beta=1, gelu "
        f"approximate='none', softplus exact past 20)"
    )


def to_torch(model: Any) -> Any:
    """A ``torch.nn.Sequential`` (float64) computing what `model` (an `MLP`) computes.

    Its input is a tensor of shape (n, nin); its output has shape (n, nout). The weights are
    copies: training one does not change the other (use `from_torch` to come back). Layers that
    hold the same parameters (tied) become one shared Linear, so the torch module has as many
    parameters as `model`; a layer sharing only part of its parameters raises ValueError.
    """
    torch = _torch()
    from nn.layers import MLP

    if not isinstance(model, MLP):
        raise TypeError(f"to_torch needs an nn.MLP, got {type(model).__name__}")
    parts: list[Any] = []
    made: dict[tuple[int, ...], Any] = {}  # a layer's parameter ids -> its Linear
    seen: set[int] = set()
    for i, layer in enumerate(model.layers):
        key = tuple(id(p) for n in layer.neurons for p in (*n.w, n.b))
        linear = made.get(key)
        if linear is None:
            if seen.intersection(key) or len(set(key)) != len(key):
                raise ValueError(
                    f"to_torch: layer {i} shares some, but not all, of its parameters with "
                    f"another layer (or between its own neurons); a torch Linear can only be "
                    f"shared whole"
                )
            seen.update(key)
            linear = made[key] = _linear(torch, layer)
        parts.append(linear)
        if layer.activation != "linear":
            parts.append(_activation(layer.activation))
    return torch.nn.Sequential(*parts)


def _linear(torch: Any, layer: Any) -> Any:
    """A float64 ``torch.nn.Linear`` holding a copy of `layer`'s weights and biases."""
    linear = torch.nn.Linear(layer.nin, layer.nout, dtype=torch.float64)
    with torch.no_grad():
        linear.weight.copy_(
            torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64)
        )
        linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
    return linear


def from_torch(module: Any) -> Any:
    """An `MLP` with the weights of `module`: a ``torch.nn.Sequential`` of ``Linear`` layers,
    each followed by at most one activation; every hidden layer must use the same one.

    The reverse of `to_torch`. Raises ValueError naming the part it cannot translate. A Linear
    that appears twice (tied, as torch shares it) gives two MLP layers whose neurons hold the
    same Parameters, so ``model.parameters()`` lists them once, as ``module.parameters()`` does.
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
    first: dict[int, Any] = {}  # id(Linear) -> the first MLP layer made from it
    for layer, (linear, _) in zip(model.layers, layers):
        tied = first.setdefault(id(linear), layer)
        if tied is not layer:  # the same Linear twice: the same parameters (own activation)
            for neuron, source in zip(layer.neurons, tied.neurons):
                neuron.w, neuron.b = source.w, source.b
            continue
        weight = linear.weight.detach().to(torch.float64).tolist()
        bias = linear.bias.detach().to(torch.float64).tolist()
        for neuron, row, b in zip(layer.neurons, weight, bias):
            for w, value in zip(neuron.w, row):
                w.data = float(value)
            neuron.b.data = float(b)
    return model
