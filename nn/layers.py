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
from typing import TYPE_CHECKING, Sequence, Union

from engine import Parameter, Value
from engine.core.value import as_value
from nn import init as _init
from nn.activations import ACTIVATIONS, _activation_name, get_activation
from nn.checkpoint import _short
from nn.module import Module

if TYPE_CHECKING:
    from engine.step.notation import Notation

__all__ = ["Neuron", "Layer", "MLP", "RandomProjection", "ACTIVATIONS", "get_activation"]

Scalar = Union[Value, float, int]


# --------------------------------------------------------------------------------------------
# Checking arguments and inputs
# --------------------------------------------------------------------------------------------


def _positive_int(x: object, what: str) -> int:
    if type(x) is bool or not isinstance(x, numbers.Integral) or x <= 0:
        raise ValueError(f"{what} must be a positive integer, got {_short(x)}")
    return int(x)


def _real(x: object, what: str) -> float:
    if type(x) is not bool and isinstance(x, numbers.Real):
        try:
            number = float(x)
        except (OverflowError, ValueError):  # an int too large for a float
            number = math.inf
        if math.isfinite(number):
            return number
    raise ValueError(f"{what} must be a finite real number, got {_short(x)}")


def _widths(nouts: object) -> list[int]:
    """MLP's layer widths, checked: a non-empty list of positive integers."""
    if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence) or not nouts:
        raise ValueError(
            f"MLP(nouts) must be a non-empty list of layer widths, got {_short(nouts)}"
        )
    return [_positive_int(n, f"MLP(nouts) entry {i}") for i, n in enumerate(nouts)]


def _rng(seed: object, rng: random.Random | None) -> random.Random:
    """The generator to draw from: `rng` if given, else ``random.Random(seed)``."""
    if rng is not None:
        if not isinstance(rng, random.Random):
            raise TypeError(f"rng must be a random.Random, got {type(rng).__name__} {rng!r}")
        return rng
    if seed is not None and (type(seed) is bool or not isinstance(seed, numbers.Integral)):
        raise TypeError(f"seed must be an integer or None, got {type(seed).__name__} {seed!r}")
    return random.Random(None if seed is None else int(seed))


def _inputs(x: object, nin: int, who: str) -> Sequence[Scalar]:
    """`x` as a sequence of `nin` inputs (a bare number or Value is allowed when nin == 1).

    Raises ValueError naming the expected and the actual number of inputs.
    """
    if isinstance(x, (Value, numbers.Real)) and type(x) is not bool:
        if nin == 1:
            return (x,)  # type: ignore[return-value]
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
# Lecture names: which notation profile labels the parameters
# --------------------------------------------------------------------------------------------


def _profile(which: Notation | str | None) -> Notation:
    """The notation profile `which` (`engine.step.notation.notation`: a profile's name, a
    `Notation`, None for the default), imported on use so that ``import nn`` stays light."""
    from engine.step.notation import notation

    return notation(which)


def _naming(names: object) -> Notation | None:
    """The profile `MLP(names=)` asks for: None for ``"engine"`` (``L0N1.w0``), the default
    profile for ``"lecture"``, else the profile of that name; ValueError naming a bad one."""
    if names == "engine":
        return None
    if names == "lecture":
        return _profile(None)
    from engine.step.notation import NOTATIONS

    if isinstance(names, str) and names in NOTATIONS:
        return NOTATIONS[names]
    raise ValueError(
        f"MLP(names) must be 'engine' or 'lecture' or a notation profile "
        f"({', '.join(NOTATIONS)}), got {_short(names)}"
    )


class _Namings(Sequence[str]):
    """``("engine", "lecture", "lecture-000", ...)``: the values `MLP(names=)` takes, for a
    checkpoint's config check; the profiles' names are read from `engine.step.notation` when
    first asked for (``import nn`` does not load engine.step)."""

    def _all(self) -> tuple[str, ...]:
        from engine.step.notation import names

        return ("engine", "lecture", *names())

    def __getitem__(self, index):
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __repr__(self) -> str:
        return repr(self._all())


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
        self._activate = None if self.activation == "linear" else get_activation(self.activation)
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
        act: Value = self.b
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

    def use_lecture_names(self, layer: int = 1, notation: Notation | str | None = None) -> Layer:
        """Label the parameters as the lecture of `notation` writes them (a profile of
        `engine.step.notation`; None: its DEFAULT, lecture 004): the weight from input i to
        neuron j is ``Notation.weight_name(i, j, l)`` (lecture 004's w_ij^(l), ``w₂₁⁽¹⁾``;
        lecture 001's β_ji^l, ``β₁₂¹``), the bias of neuron j ``Notation.bias_name(j, l)``
        (``b₁⁽¹⁾``), 1-based, `layer` being l. Drawings and narration show these labels;
        `named_parameters` keys do not change. Returns the layer."""
        nt = _profile(notation)
        layer = _positive_int(layer, "Layer.use_lecture_names(layer)")
        for j, neuron in enumerate(self.neurons, start=1):
            for i, w in enumerate(neuron.w, start=1):
                w.label = nt.weight_name(i, j, layer)
            neuron.b.label = nt.bias_name(j, layer)
        return self

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

    ``names="lecture"`` labels the parameters as the lectures write them, w_ij^(l) and b_j^(l)
    (``w₂₁⁽¹⁾``: from input i to neuron j of layer l, 1-based) instead of ``L0N1.w0`` (0-based,
    neuron first); ``names="lecture-001"`` (any profile of `engine.step.notation.NOTATIONS`)
    labels them in that lecture's symbols and index order (``β₁₂¹``: from input 2 to neuron 1);
    see `use_lecture_names`. `named_parameters` keys and `config` are the same either way (the
    labels are not saved: a checkpoint loads into a model of any naming).
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
        names: str = "engine",
    ) -> None:
        profile = _naming(names)
        self.nin = _positive_int(nin, "MLP(nin)")
        widths = _widths(nouts)
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
        self.label_notation: str | None = None
        """The profile the parameters' labels are written in (None: the engine's labels)."""
        if profile is not None:
            self.use_lecture_names(profile)

    config_sizes = ("nin", "nouts")
    config_choices = {
        "activation": tuple(ACTIVATIONS),
        "output_activation": tuple(ACTIVATIONS),
        "init": tuple(_init.INITIALISERS),
        "names": _Namings(),  # type: ignore[dict-item]  # a lazy tuple: see _Namings
    }

    def use_lecture_names(self, notation: Notation | str | None = None) -> MLP:
        """Label every weight and bias as the lecture of `notation` does (a profile of
        `engine.step.notation`; None: its DEFAULT): lecture 004's w_ij^(l) and b_j^(l)
        (``w₂₁⁽¹⁾``), lecture 001's β_ji^l (``β₁₂¹``), ..., 1-based, layer l counted from 1 at
        the first layer of weights. Useful after `MLP.load`, which rebuilds the default labels.
        Sets `label_notation` to the profile's name. Returns the model."""
        nt = _profile(notation)
        for l, layer in enumerate(self.layers, start=1):
            layer.use_lecture_names(l, nt)
        self.label_notation = nt.name
        return self

    def lecture_names(self, notation: Notation | str | None = None) -> dict[str, str]:
        """``{named_parameters key: lecture name}`` in the profile `notation` (None: the
        default), e.g. ``"layers.0.neurons.0.w.1": "w₂₁⁽¹⁾"`` (lecture 001: ``"β₁₂¹"``),
        whatever the labels are."""
        nt = _profile(notation)
        names = {}
        for l, layer in enumerate(self.layers, start=1):
            for j, _ in enumerate(layer.neurons, start=1):
                prefix = f"layers.{l - 1}.neurons.{j - 1}"
                for i in range(1, layer.nin + 1):
                    names[f"{prefix}.w.{i - 1}"] = nt.weight_name(i, j, l)
                names[f"{prefix}.b"] = nt.bias_name(j, l)
        return names

    @property
    def nouts(self) -> list[int]:
        return [layer.nout for layer in self.layers]

    def forward(self, x: Sequence[Scalar]) -> Value | list[Value]:
        out: list[Value] = list(_inputs(x, self.nin, "MLP"))  # type: ignore[arg-type]
        for layer in self.layers:
            out = layer(out)
        return out[0] if len(out) == 1 else out

    @classmethod
    def parameter_count(cls, config: dict) -> int | None:
        """Σ (fan_in + 1)·fan_out over the layers, computed without building anything.

        ValueError (as the constructor would raise) if `nin` or `nouts` is malformed; None if
        either is missing (the constructor then says so, before drawing any weight).
        """
        if not isinstance(config, dict) or "nin" not in config or "nouts" not in config:
            return None
        sizes = [_positive_int(config["nin"], "MLP(nin)")] + _widths(config["nouts"])
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

    config_sizes = ("nin", "nout")

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

    @classmethod
    def parameter_count(cls, config: dict) -> int | None:
        """0: the projection is fixed, nothing in it is trained."""
        return 0

    @classmethod
    def config_size(cls, config: dict) -> int | None:
        """nin·nout fixed weights (ValueError if either is not a positive integer)."""
        if not isinstance(config, dict) or "nin" not in config or "nout" not in config:
            return None
        nin = _positive_int(config["nin"], "RandomProjection(nin)")
        return nin * _positive_int(config["nout"], "RandomProjection(nout)")

    def extra_repr(self) -> str:
        return f"nin={self.nin}, nout={self.nout}, seed={self.seed}"
