"""Neural-network modules built from scalar Values: Neuron, Layer, MLP and RandomProjection.

A neuron computes ``a = g(b + Σ_i w_i·x_i)``: a weighted sum of its inputs plus a bias (the
pre-activation ``z``), passed through an activation ``g``. A layer is ``nout`` neurons reading the
same inputs; an MLP is layers in sequence, each reading the previous layer's outputs. Every weight
and bias is an `engine.Parameter` leaf, so ``loss.backward()`` fills ``p.grad = ∂loss/∂p`` for each.

`Module` is the common base: it finds parameters and submodules by looking at the object's public
attributes (a `Parameter`, a `Module`, or a list of either), in the order they were assigned, so a
student's own ``class Net(Module)`` gets ``parameters()``, ``state_dict()`` and ``save()`` for free.
Names are dotted paths: ``layers.0.neurons.3.w.1`` is weight 1 of neuron 3 of layer 0.

Checkpoints are JSON (never pickle), written atomically, and carry a format version and the
architecture, so ``MLP.load(path)`` rebuilds the model and ``model.load(path)`` refills it. A
checkpoint is validated completely before anything is assigned: a corrupt or mismatched file raises
`CheckpointError` and leaves the model as it was.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import random
from typing import Any, Callable, Iterator, Sequence, Union

from engine import Parameter, Value, sequence_mark
from engine.files import write_atomic
from engine.value import as_value

from nn import init as _init

__all__ = [
    "Module", "Neuron", "Layer", "MLP", "RandomProjection", "ACTIVATIONS", "get_activation",
    "CheckpointError", "CHECKPOINT_FORMAT", "CHECKPOINT_VERSION",
]

Scalar = Union[Value, float, int]
CHECKPOINT_FORMAT = "chainrule-checkpoint"
CHECKPOINT_VERSION = 1


# --------------------------------------------------------------------------------------------
# Activations by name
# --------------------------------------------------------------------------------------------

def _linear(z: Value) -> Value:
    """g(z) = z, g'(z) = 1: no activation (regression outputs, logits)."""
    return z


_ENGINE_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "swish",
                       "gelu", "binary_step")

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
    raise ValueError(f"unknown activation {name!r}; choose one of "
                     f"{', '.join(ACTIVATIONS)} (or 'binary step')")


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
        raise TypeError(f"{who} expects a list of {nin} numbers or Values, got "
                        f"{type(x).__name__} {x!r}") from None
    if n != nin:
        shown = repr(x)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        raise ValueError(f"{who} expected {nin} inputs, got {n}: {shown}")
    return x  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------
# Module: parameters, submodules, state and checkpoints
# --------------------------------------------------------------------------------------------

class CheckpointError(ValueError):
    """A checkpoint file or state dict that cannot be loaded (corrupt, or for another model)."""


class _ClassOrInstanceMethod:
    """A method that receives the class when called on the class and the instance otherwise.

    ``MLP.load(path)`` builds a new model; ``model.load(path)`` refills an existing one.
    """

    def __init__(self, function: Callable) -> None:
        self.function = function
        self.__doc__ = function.__doc__

    def __get__(self, instance: object, owner: type) -> Callable:
        bound_to = owner if instance is None else instance
        return self.function.__get__(bound_to, owner)


class Module:
    """Base class of every model: parameters, submodules, state dicts and JSON checkpoints.

    Subclasses implement ``forward(...)``. Calling the module runs it and records, in
    ``self._span``, the creation-number range of the nodes that call made (see `__call__`).

    Parameters and submodules are found among the public attributes (names not starting with
    ``_``): a `Parameter`, a `Module`, or a list/tuple of either, in assignment order.
    """

    _span: tuple[int, int] | None = None
    _registry: dict[str, type] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Module._registry[cls.__name__] = cls

    # -- running ------------------------------------------------------------------------------

    def __call__(self, *args: Any) -> Any:
        """``self.forward(*args)``, remembering which nodes it created.

        ``self._span = (start, end)``: every node this call made (its own and its submodules')
        has ``start < node._seq < end``. Drawings use it to box a module's nodes together.
        """
        start = sequence_mark()
        out = self.forward(*args)
        self._span = (start, sequence_mark())
        return out

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    # -- structure ----------------------------------------------------------------------------

    def _public_attributes(self) -> Iterator[tuple[str, Any]]:
        for name, value in vars(self).items():
            if not name.startswith("_"):
                yield name, value

    def _named_attributes_of(self, kind: type) -> Iterator[tuple[str, Any]]:
        """Public attributes that are instances of `kind`, and items of public lists of them."""
        for name, value in self._public_attributes():
            if isinstance(value, kind):
                yield name, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, kind):
                        yield f"{name}.{i}", item

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        """The direct submodules as ``(name, module)``: ``layers.0``, ``layers.1``, ..."""
        return self._named_attributes_of(Module)

    def _named_own_parameters(self) -> Iterator[tuple[str, Parameter]]:
        return self._named_attributes_of(Parameter)

    def named_modules(self) -> Iterator[tuple[str, "Module"]]:
        """``(dotted_name, module)`` for this module (name ``""``) and every submodule, depth-first.

        Pre-order: a module comes before its children, children in attribute order. The walk is
        a loop with an explicit stack.
        """
        stack: list[tuple[str, Module]] = [("", self)]
        while stack:
            name, module = stack.pop()
            yield name, module
            children = [(f"{name}.{child}" if name else child, m)
                        for child, m in module.named_children()]
            stack.extend(reversed(children))

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """``(dotted_name, parameter)`` for every parameter, e.g. ``("layers.0.neurons.3.w.1", p)``.

        The order is stable: modules depth-first, each module's own parameters in attribute order.
        """
        named = []
        for prefix, module in self.named_modules():
            for name, p in module._named_own_parameters():
                named.append((f"{prefix}.{name}" if prefix else name, p))
        return named

    def parameters(self) -> list[Parameter]:
        """Every trainable parameter, in the order of `named_parameters`."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """How many scalar parameters the model has (``MLP(2, [16, 16, 1])``: 337)."""
        return len(self.named_parameters())

    def zero_grad(self) -> None:
        """Set ``p.grad = 0.0`` for every parameter (gradients accumulate across backward calls)."""
        for p in self.parameters():
            p.grad = 0.0

    # -- state --------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """``{dotted_name: value}`` for every parameter: plain floats, ready for JSON."""
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict) -> None:
        """Set every parameter from `state` (as made by `state_dict`).

        Everything is checked first: the keys must be exactly this model's parameter names and
        every value a finite real number; otherwise `CheckpointError` (a ValueError) says what is
        wrong and no parameter is changed.
        """
        named = self.named_parameters()
        values = _validated_state(state, [name for name, _ in named])
        for (name, p), value in zip(named, values):
            p.data = value

    def config(self) -> dict | None:
        """The constructor arguments that rebuild this architecture (JSON-ready), or None.

        A subclass that defines it (and `from_config`) can be rebuilt by ``Class.load(path)``.
        """
        return None

    @classmethod
    def parameter_count(cls, config: dict) -> int | None:
        """How many parameters a model built from `config` has, if known without building it."""
        return None

    @classmethod
    def from_config(cls, config: dict) -> "Module":
        """A new module built from `config` (the result of `config`), with fresh weights."""
        try:
            return cls(**config)
        except (TypeError, ValueError) as exc:
            raise CheckpointError(f"cannot build {cls.__name__} from config {config!r}: {exc}"
                                  ) from None

    # -- checkpoints --------------------------------------------------------------------------

    def checkpoint(self) -> dict:
        """The JSON-ready checkpoint: format, version, class, architecture and parameters."""
        return {
            "format": CHECKPOINT_FORMAT,
            "version": CHECKPOINT_VERSION,
            "class": type(self).__name__,
            "config": self.config(),
            "parameters": self.state_dict(),
        }

    def save(self, path: str | os.PathLike) -> None:
        """Write a JSON checkpoint to `path`, atomically (a temp file, then `os.replace`).

        Floats are written with `repr`, so `load` gets back exactly the same numbers. A model
        with a nan or infinite parameter cannot be saved (ValueError naming the parameter).
        """
        for name, p in self.named_parameters():
            if not math.isfinite(p.data):
                raise ValueError(f"cannot save: parameter {name} is {p.data!r} (not finite)")
        text = json.dumps(self.checkpoint(), indent=1, allow_nan=False)
        write_atomic(path, text + "\n")

    def _load(self_or_cls: Any, path: str | os.PathLike) -> "Module":
        """``Class.load(path)`` builds a model from a checkpoint; ``model.load(path)`` refills one.

        On the class: the checkpoint's architecture is rebuilt (its class must be this class, or
        any registered Module subclass when called as ``Module.load``) and its parameters loaded.
        On a model: the checkpoint must be for the same class and architecture. Either way a
        corrupt or mismatched file raises `CheckpointError` and changes nothing. Returns the model.
        """
        checkpoint = _read_checkpoint(os.fspath(path))
        where = os.fspath(path)
        if isinstance(self_or_cls, Module):
            model = self_or_cls
            _check_same_architecture(model, checkpoint, where)
        else:
            model = _build_from_checkpoint(self_or_cls, checkpoint, where)
        try:
            model.load_state_dict(checkpoint["parameters"])
        except CheckpointError as exc:
            raise CheckpointError(f"{where}: {exc}") from None
        return model

    load = _ClassOrInstanceMethod(_load)

    # -- printing -----------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The text inside this module's parentheses in `repr` (override to describe it)."""
        return ""

    def __repr__(self) -> str:
        head = f"{type(self).__name__}({self.extra_repr()}"
        children = list(self.named_children())
        if not children:
            return head + ")"
        lines = [head]
        for name, child in children:
            text = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {text}")
        return "\n".join(lines) + "\n)"


def _validated_state(state: object, names: list[str]) -> list[float]:
    """The values of `state` in the order of `names`, after checking everything about them."""
    if not isinstance(state, dict):
        raise CheckpointError(f"a state dict must be a dict of parameter values, got "
                              f"{type(state).__name__}")
    missing = [n for n in names if n not in state]
    unexpected = [k for k in state if k not in set(names)]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {len(missing)} parameter(s) {_few(missing)}")
        if unexpected:
            parts.append(f"unexpected {len(unexpected)} key(s) {_few(unexpected)}")
        raise CheckpointError("state dict does not match the model: " + "; ".join(parts))
    values = []
    for name in names:
        value = state[name]
        if type(value) is bool or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise CheckpointError(f"parameter {name} must be a finite number, got {value!r}")
        values.append(float(value))
    return values


def _few(items: list) -> str:
    shown = ", ".join(repr(x) for x in items[:5])
    return f"[{shown}{', ...' if len(items) > 5 else ''}]"


def _read_checkpoint(path: str) -> dict:
    """The checkpoint at `path`, with its envelope (format, version, class, ...) checked."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError as exc:
        raise CheckpointError(f"{path}: not a chainrule checkpoint (not UTF-8 text: {exc})"
                              ) from None
    try:
        checkpoint = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{path}: not a chainrule checkpoint (invalid JSON: {exc})"
                              ) from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: not a chainrule checkpoint (no "
                              f"'format': {CHECKPOINT_FORMAT!r} field)")
    version = checkpoint.get("version")
    if version != CHECKPOINT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format version {version!r} is not supported "
                              f"(this chainrule reads version {CHECKPOINT_VERSION})")
    for key, kind in (("class", str), ("parameters", dict)):
        if not isinstance(checkpoint.get(key), kind):
            raise CheckpointError(f"{path}: corrupt checkpoint: {key!r} must be a "
                                  f"{kind.__name__}, got {checkpoint.get(key)!r:.80}")
    if checkpoint.get("config") is not None and not isinstance(checkpoint["config"], dict):
        raise CheckpointError(f"{path}: corrupt checkpoint: 'config' must be an object or null")
    return checkpoint


def _check_same_architecture(model: Module, checkpoint: dict, where: str) -> None:
    name = type(model).__name__
    if checkpoint["class"] != name:
        raise CheckpointError(f"{where}: the checkpoint is for a {checkpoint['class']}, "
                              f"this model is a {name}")
    config = model.config()
    if config is not None and checkpoint["config"] != config:
        raise CheckpointError(f"{where}: architecture mismatch: the checkpoint has "
                              f"{checkpoint['config']}, this model has {config}")


def _build_from_checkpoint(cls: type, checkpoint: dict, where: str) -> Module:
    name = checkpoint["class"]
    if cls is Module:
        target = Module._registry.get(name)
        if target is None:
            raise CheckpointError(f"{where}: unknown module class {name!r}")
    elif name == cls.__name__:
        target = cls
    else:
        raise CheckpointError(f"{where}: the checkpoint is for a {name}, not a {cls.__name__}")
    if checkpoint["config"] is None:
        raise CheckpointError(f"{where}: the checkpoint has no architecture (config); build the "
                              f"{name} yourself and call model.load(path)")
    expected = target.parameter_count(checkpoint["config"])
    stored = len(checkpoint["parameters"])
    if expected is not None and expected != stored:  # checked before building anything big
        raise CheckpointError(f"{where}: corrupt checkpoint: its architecture has {expected} "
                              f"parameters but it stores {stored}")
    return target.from_config(checkpoint["config"])


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

    def __init__(self, nin: int, activation: str = "relu", *, init: str = "uniform",
                 bias: float = 0.0, seed: int | None = None, rng: random.Random | None = None,
                 label: str = "N", fan_out: int = 1) -> None:
        self.nin = _positive_int(nin, "Neuron(nin)")
        self.activation = _activation_name(activation)
        self._activate = None if self.activation == "linear" else ACTIVATIONS[self.activation]
        draw = _init.get(init)
        fan_out = _positive_int(fan_out, "Neuron(fan_out)")
        generator = _rng(seed, rng)
        self.w = [Parameter(draw(generator, self.nin, fan_out), label=f"{label}.w{i}")
                  for i in range(self.nin)]
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

    def __init__(self, nin: int, nout: int, activation: str = "relu", *, init: str = "uniform",
                 bias: float = 0.0, seed: int | None = None, rng: random.Random | None = None,
                 label: str = "L") -> None:
        self.nin = _positive_int(nin, "Layer(nin)")
        self.nout = _positive_int(nout, "Layer(nout)")
        self.activation = _activation_name(activation)
        _init.get(init)  # an unknown name fails here, before any weight is drawn
        generator = _rng(seed, rng)
        self.neurons = [Neuron(self.nin, self.activation, init=init, bias=bias, rng=generator,
                               label=f"{label}N{i}", fan_out=self.nout)
                        for i in range(self.nout)]

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

    def __init__(self, nin: int, nouts: Sequence[int], activation: str = "relu", *,
                 output_activation: str = "linear", init: str = "uniform", bias: float = 0.0,
                 seed: int | None = None) -> None:
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
        self.layers = [Layer(sizes[i], sizes[i + 1],
                             self.output_activation if i == last else self.activation,
                             init=init, bias=bias, rng=generator, label=f"L{i}")
                       for i in range(len(widths))]

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

    def config(self) -> dict:
        return {"nin": self.nin, "nouts": self.nouts, "activation": self.activation,
                "output_activation": self.output_activation, "init": self._init_name,
                "bias": self._bias}

    def extra_repr(self) -> str:
        return (f"nin={self.nin}, nouts={self.nouts}, activation={self.activation!r}, "
                f"output_activation={self.output_activation!r}; "
                f"{self.num_parameters()} parameters")


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
            seed = random.SystemRandom().randrange(2 ** 32)
        _rng(seed, None)  # type check
        self.seed = int(seed)
        generator = random.Random(self.seed)
        self.weights = [[_init.normal(generator, self.nin, self.nout) for _ in range(self.nin)]
                        for _ in range(self.nout)]
        """β as plain floats (a list of `nout` rows of `nin`): constants, not parameters."""

    def forward(self, x: Sequence[Scalar]) -> list[Value]:
        xs = [as_value(xi, "RandomProjection input") for xi in _inputs(x, self.nin,
                                                                       "RandomProjection")]
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
