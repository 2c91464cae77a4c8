"""Neural-network modules built from scalar Values: Neuron, Layer, MLP and RandomProjection.

A neuron computes ``a = g(b + Σ_i w_i·x_i)``: a weighted sum of its inputs plus a bias (the
pre-activation ``z``), passed through an activation ``g``. A layer is ``nout`` neurons reading the
same inputs; an MLP is layers in sequence, each reading the previous layer's outputs. Every weight
and bias is an `engine.Parameter` leaf, so ``loss.backward()`` fills ``p.grad = ∂loss/∂p`` for each.
"""

from __future__ import annotations

import math
import numbers
import random
from typing import Callable, Sequence, Union

from engine import Parameter, Value
from engine.value import as_value
from nn import init as _init
from nn.module import Module

__all__ = ["Neuron", "Layer", "MLP", "RandomProjection", "ACTIVATIONS", "get_activation"]

Scalar = Union[Value, float, int]


# --------------------------------------------------------------------------------------------
# Activations by name
# --------------------------------------------------------------------------------------------


def _linear(z: Value) -> Value:
    """g(z) = z, g'(z) = 1: no activation (regression outputs, logits)."""
    return z


_ENGINE_ACTIVATIONS = (
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "softplus",
    "swish",
    "gelu",
    "binary_step",
)

ACTIVATIONS: dict[str, Callable[[Value], Value]] = {"linear": _linear}
"""Activation name -> the function applied to a neuron's pre-activation ``z``.

Every name but ``linear`` is the engine `Value` method of that name (with its default α or β), so
each activation's derivative is the one in the engine's op table. ``"binary step"`` is accepted
for ``binary_step`` (sign(z), whose derivative is 0: nothing learns through it).
"""
ACTIVATIONS.update({name: getattr(Value, name) for name in _ENGINE_ACTIVATIONS})
_ALIASES = {"binary step": "binary_step", "identity": "linear", None: "linear"}


def _activation_name(name: object) -> str:
    """The canonical name of activation `name`; ValueError listing the valid names if unknown."""
    if isinstance(name, str) or name is None:
        canonical = _ALIASES.get(name, name)
        if canonical in ACTIVATIONS:
            return canonical  # type: ignore[return-value]
    raise ValueError(
        f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)} (or 'binary step')"
    )


def get_activation(name: str) -> Callable[[Value], Value]:
    """The activation function called `name` (see `ACTIVATIONS`)."""
    return ACTIVATIONS[_activation_name(name)]


# --------------------------------------------------------------------------------------------
# Checking arguments and inputs
# --------------------------------------------------------------------------------------------


def _positive_int(x: object, what: str) -> int:
    if type(x) is bool or not isinstance(x, numbers.Integral) or x <= 0:
        raise ValueError(f"{what} must be a positive integer, got {x!r}")
    return int(x)


def _real(x: object, what: str) -> float:
    if type(x) is bool or not isinstance(x, numbers.Real) or not math.isfinite(x):
        raise ValueError(f"{what} must be a finite real number, got {x!r}")
    return float(x)


def _rng(seed: object, rng: random.Random | None) -> random.Random:
    """The generator to draw from: `rng` if given, else ``random.Random(seed)``."""
    if rng is not None:
        if not isinstance(rng, random.Random):
            raise TypeError(f"rng must be a random.Random, got {type(rng).__name__} {rng!r}")
        return rng
    if seed is not None and (type(seed) is bool or not isinstance(seed, numbers.Integral)):
        raise TypeError(f"seed must be an integer or None, got {type(seed).__name__} {seed!r}")
    return random.Random(seed)


def _inputs(x: object, nin: int, who: str) -> Sequence[Scalar]:
    """`x` as a sequence of `nin` inputs (a bare number or Value is allowed when nin == 1).

    Raises ValueError naming the expected and the actual number of inputs.
    """
    if isinstance(x, (Value, numbers.Real)) and type(x) is not bool:
        if nin == 1:
            return (x,)
        raise ValueError(f"{who} expected {nin} inputs, got 1 (a single number {x!r})")
    try:
        n = len(x)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(
            f"{who} expects a list of {nin} numbers or Values, got {type(x).__name__} {x!r}"
        ) from None
    if n != nin:
        shown = repr(x)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        raise ValueError(f"{who} expected {nin} inputs, got {n}: {shown}")
    return x  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------
# Neuron, Layer, MLP
# --------------------------------------------------------------------------------------------


class Neuron(Module):
    """One unit: ``g(b + Σ_i w_i·x_i)``.

    ∂out/∂w_i = g'(z)·x_i,  ∂out/∂b = g'(z),  ∂out/∂x_i = g'(z)·w_i, with z the pre-activation.

    nin         number of inputs.
    activation  a name from `ACTIVATIONS` (default ``"relu"``, micrograd's).
    init        weight initialiser name from `nn.init` (default ``"uniform"``: U(-1, 1)).
    bias        the bias's starting value (default 0.0; 0.1 keeps ReLU units initially active).
    seed / rng  where the random weights come from: a `random.Random` (shared by a layer) or a
                seed for a new one.
    label       prefix of the parameters' labels: weights ``{label}.w0``..., bias ``{label}.b``.
    fan_out     the layer width, for initialisers that need it (Xavier).
    """

    def __init__(
        self,
        nin: int,
        activation: str = "relu",
        *,
        init: str = "uniform",
        bias: float = 0.0,
        seed: int | None = None,
        rng: random.Random | None = None,
        label: str = "N",
        fan_out: int = 1,
    ) -> None:
        self.nin = _positive_int(nin, "Neuron(nin)")
        self.activation = _activation_name(activation)
        self._activate = None if self.activation == "linear" else ACTIVATIONS[self.activation]
        draw = _init.get(init)
        fan_out = _positive_int(fan_out, "Neuron(fan_out)")
        generator = _rng(seed, rng)
        self.w = [
            Parameter(draw(generator, self.nin, fan_out), label=f"{label}.w{i}")
            for i in range(self.nin)
        ]
        self.b = Parameter(_real(bias, "Neuron(bias)"), label=f"{label}.b")

    def forward(self, x: Sequence[Scalar]) -> Value:
        """g(b + w_0·x_0 + w_1·x_1 + ...), built left to right."""
        act = self.b
        for w, xi in zip(self.w, _inputs(x, self.nin, "Neuron")):
            act = act + w * xi
        return act if self._activate is None else self._activate(act)

    def extra_repr(self) -> str:
        return f"nin={self.nin}, activation={self.activation!r}"


class Layer(Module):
    """``nout`` neurons reading the same inputs. Always returns a list (even of one Value).

    Arguments as for `Neuron`; ``label`` prefixes the neurons' labels: ``{label}N3.w1``.
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "relu",
        *,
        init: str = "uniform",
        bias: float = 0.0,
        seed: int | None = None,
        rng: random.Random | None = None,
        label: str = "L",
    ) -> None:
        self.nin = _positive_int(nin, "Layer(nin)")
        self.nout = _positive_int(nout, "Layer(nout)")
        self.activation = _activation_name(activation)
        _init.get(init)  # an unknown name fails here, before any weight is drawn
        generator = _rng(seed, rng)
        self.neurons = [
            Neuron(
                self.nin,
                self.activation,
                init=init,
                bias=bias,
                rng=generator,
                label=f"{label}N{i}",
                fan_out=self.nout,
            )
            for i in range(self.nout)
        ]

    def forward(self, x: Sequence[Scalar]) -> list[Value]:
        xs = _inputs(x, self.nin, "Layer")
        return [neuron(xs) for neuron in self.neurons]

    def extra_repr(self) -> str:
        return f"nin={self.nin}, nout={self.nout}, activation={self.activation!r}"

    def __repr__(self) -> str:  # one line: listing every neuron would drown the picture
        return f"Layer({self.extra_repr()})"


class MLP(Module):
    """A multi-layer perceptron: layers of widths `nouts`, each reading the previous one.

    ``MLP(2, [16, 16, 1])`` has layers 2→16, 16→16, 16→1: (2+1)·16 + (16+1)·16 + (16+1)·1 = 337
    parameters. Hidden layers use `activation`; the last layer uses `output_activation`
    (``"linear"`` by default, so the output is a score or logit). Calling it returns a Value when
    the last layer has one output, else a list of Values. The same `seed` gives the same weights
    on every machine (``seed=None`` draws fresh ones).
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        *,
        output_activation: str = "linear",
        init: str = "uniform",
        bias: float = 0.0,
        seed: int | None = None,
    ) -> None:
        self.nin = _positive_int(nin, "MLP(nin)")
        if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"MLP(nouts) must be a non-empty list of layer widths, got {nouts!r}")
        widths = [_positive_int(n, f"MLP(nouts) entry {i}") for i, n in enumerate(nouts)]
        self.activation = _activation_name(activation)
        self.output_activation = _activation_name(output_activation)
        self._init_name = init
        self._bias = _real(bias, "MLP(bias)")
        _init.get(init)
        generator = _rng(seed, None)
        sizes = [self.nin] + widths
        last = len(widths) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                self.output_activation if i == last else self.activation,
                init=init,
                bias=bias,
                rng=generator,
                label=f"L{i}",
            )
            for i in range(len(widths))
        ]

    @property
    def nouts(self) -> list[int]:
        return [layer.nout for layer in self.layers]

    def forward(self, x: Sequence[Scalar]) -> Value | list[Value]:
        out = _inputs(x, self.nin, "MLP")
        for layer in self.layers:
            out = layer(out)
        return out[0] if len(out) == 1 else out

    @classmethod
    def parameter_count(cls, config: dict) -> int | None:
        """Σ (fan_in + 1)·fan_out over the layers (None if `config` is malformed)."""
        try:
            sizes = [int(config["nin"])] + [int(n) for n in config["nouts"]]
        except (KeyError, TypeError, ValueError):
            return None
        return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))

    def to_torch(self):
        """This model as a ``torch.nn.Sequential`` (float64) with the same weights (needs torch);
        see `nn.torch_bridge`."""
        from nn.torch_bridge import to_torch

        return to_torch(self)

    @classmethod
    def from_torch(cls, module) -> MLP:
        """An MLP with the weights of a ``torch.nn.Sequential`` of Linear layers and
        activations (the reverse of `to_torch`)."""
        from nn.torch_bridge import from_torch

        return from_torch(module)

    def config(self) -> dict:
        return {
            "nin": self.nin,
            "nouts": self.nouts,
            "activation": self.activation,
            "output_activation": self.output_activation,
            "init": self._init_name,
            "bias": self._bias,
        }

    def extra_repr(self) -> str:
        return (
            f"nin={self.nin}, nouts={self.nouts}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r}; "
            f"{self.num_parameters()} parameters"
        )


class RandomProjection(Module):
    """A fixed random hidden layer (seed 001): ``z_i = sign(β_i · x)``, β_ij ~ Normal(0, 1).

    It projects the input into (usually many more) dimensions with random directions and keeps
    only the side of each hyperplane the input lies on. Nothing in it is trained: it has no
    parameters, and sign has derivative 0, so no gradient flows through it. Train a `Layer` or
    `Neuron` on its outputs. `seed` fixes β; with ``seed=None`` one is drawn and remembered
    (``self.seed``), so a saved model rebuilds the same projection.
    """

    def __init__(self, nin: int, nout: int, seed: int | None = None) -> None:
        self.nin = _positive_int(nin, "RandomProjection(nin)")
        self.nout = _positive_int(nout, "RandomProjection(nout)")
        if seed is None:
            seed = random.SystemRandom().randrange(2**32)
        _rng(seed, None)  # type check
        self.seed = int(seed)
        generator = random.Random(self.seed)
        self.weights = [
            [_init.normal(generator, self.nin, self.nout) for _ in range(self.nin)]
            for _ in range(self.nout)
        ]
        """β as plain floats (a list of `nout` rows of `nin`): constants, not parameters."""

    def forward(self, x: Sequence[Scalar]) -> list[Value]:
        xs = [
            as_value(xi, "RandomProjection input")
            for xi in _inputs(x, self.nin, "RandomProjection")
        ]
        out = []
        for row in self.weights:
            z = xs[0] * row[0]
            for xj, beta in zip(xs[1:], row[1:]):
                z = z + xj * beta
            out.append(z.binary_step())
        return out

    def config(self) -> dict:
        return {"nin": self.nin, "nout": self.nout, "seed": self.seed}

    def extra_repr(self) -> str:
        return f"nin={self.nin}, nout={self.nout}, seed={self.seed}"
