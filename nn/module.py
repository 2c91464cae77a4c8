"""`Module`: the base of every model: parameters, submodules, state dicts and checkpoints.

`Module` finds parameters and submodules by looking at the object's public attributes (a
`Parameter`, a `Module`, or a list of either), in the order they were assigned, so a student's own
``class Net(Module)`` gets ``parameters()``, ``state_dict()`` and ``save()`` for free. Names are
dotted paths: ``layers.0.neurons.3.w.1`` is weight 1 of neuron 3 of layer 0. The layers live in
`nn.layers`, the checkpoint format in `nn.checkpoint`.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any, Callable, Iterator

from engine import Parameter, sequence_mark
from engine.files import write_atomic
from nn.checkpoint import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    DEFAULT_MAX_PARAMETERS,
    CheckpointError,
    _build_from_checkpoint,
    _check_same_architecture,
    _limits,
    _read_checkpoint,
    _validated_state,
)

__all__ = ["Module", "CheckpointError", "CHECKPOINT_FORMAT", "CHECKPOINT_VERSION"]


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

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct submodules as ``(name, module)``: ``layers.0``, ``layers.1``, ..."""
        return self._named_attributes_of(Module)

    def _named_own_parameters(self) -> Iterator[tuple[str, Parameter]]:
        return self._named_attributes_of(Parameter)

    def named_modules(self) -> Iterator[tuple[str, Module]]:
        """``(dotted_name, module)`` for this module (name ``""``) and every submodule, depth-first.

        Pre-order: a module comes before its children, children in attribute order. Each module
        is listed once, under the first name the walk reaches it by (as in PyTorch): a tied
        submodule (``self.b = self.a``) or a module that contains itself appears only once. The
        walk is a loop with an explicit stack and a set of the modules already seen, so it ends
        on any structure.
        """
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [("", self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [
                (f"{name}.{child}" if name else child, m)
                for child, m in module.named_children()
                if id(m) not in seen
            ]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """This module and every submodule, once each, in the order of `named_modules`."""
        for _, module in self.named_modules():
            yield module

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """``(dotted_name, parameter)`` for every parameter, e.g. ``("layers.0.neurons.3.w.1", p)``.

        The order is stable: modules depth-first, each module's own parameters in attribute order.
        Each parameter is listed once, under its first name (as in PyTorch): tied weights are one
        parameter, so an optimiser moves them once per step.
        """
        named = []
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for name, p in module._named_own_parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    named.append((f"{prefix}.{name}" if prefix else name, p))
        return named

    def parameters(self) -> list[Parameter]:
        """Every trainable parameter once, in the order of `named_parameters`."""
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """How many distinct scalar parameters the model has (``MLP(2, [16, 16, 1])``: 337)."""
        return len(self.named_parameters())

    def zero_grad(self) -> None:
        """Set ``p.grad = 0.0`` for every parameter (gradients accumulate across backward calls)."""
        for p in self.parameters():
            p.grad = 0.0

    # -- state --------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, float]:
        """``{dotted_name: value}`` for every parameter: plain floats, ready for JSON.

        A tied parameter is stored once, under its first name in `named_parameters`, so load a
        checkpoint of a tied model into a model tied the same way (``model.load(path)``).
        """
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict) -> None:
        """Set every parameter from `state` (as made by `state_dict`).

        Everything is checked first: the keys must be exactly this model's parameter names and
        every value a finite real number; otherwise `CheckpointError` (a ValueError) says what is
        wrong and no parameter is changed. Time is linear in the number of parameters.
        """
        named = self.named_parameters()
        values = _validated_state(state, [name for name, _ in named])
        for (_, p), value in zip(named, values):
            p.data = value

    def config(self) -> dict | None:
        """The constructor arguments that rebuild this architecture (JSON-ready), or None.

        A subclass that defines it (and `from_config`) can be rebuilt by ``Class.load(path)``.
        """
        return None

    config_sizes: tuple[str, ...] = ()
    """Constructor arguments that are sizes: a checkpoint's config must give them as positive
    integers (or lists of them) no larger than the loader's ``max_parameters``."""
    config_choices: dict[str, tuple] = {}
    """Constructor arguments with a fixed set of values (activation names...): argument -> the
    values a checkpoint's config may give."""

    @classmethod
    def _rebuildable(cls) -> bool:
        """Can ``cls.load(path)`` rebuild this class? Only if it defines `config`: a class that
        never wrote a config is never built from a file's arguments."""
        return cls.config is not Module.config

    @classmethod
    def parameter_count(cls, config: dict) -> int | None:
        """How many parameters a model built from `config` has, if known without building it.

        None when it cannot tell; ValueError/TypeError when `config` is malformed.
        """
        return None

    @classmethod
    def config_size(cls, config: dict) -> int | None:
        """How many numbers a model built from `config` holds: parameters + fixed weights.

        Loading compares it with ``max_parameters`` before building anything, so a checkpoint
        cannot ask for a huge model. Default: `parameter_count`; a module with constant weights
        (`RandomProjection`) counts those too.
        """
        return cls.parameter_count(config)

    @classmethod
    def from_config(cls, config: dict) -> Module:
        """A new module built from `config` (the result of `config`), with fresh weights."""
        try:
            return cls(**config)
        except (TypeError, ValueError, OverflowError) as exc:
            raise CheckpointError(f"cannot build {cls.__name__} from its config: {exc}") from None

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
        """Write a JSON checkpoint to `path` with `engine.files.write_atomic`.

        Atomic (a temp file, fsynced, then `os.replace`); a symbolic link stays a link and its
        target gets the checkpoint; an existing file keeps its permission bits (a 0600 file stays
        private); a folder, FIFO or device is refused (`FileWriteError`, an OSError). Floats are
        written with `repr`, so `load` gets back exactly the same numbers. A model with a nan or
        infinite parameter cannot be saved (ValueError naming the parameter).
        """
        for name, p in self.named_parameters():
            if not math.isfinite(p.data):
                raise ValueError(f"cannot save: parameter {name} is {p.data!r} (not finite)")
        text = json.dumps(self.checkpoint(), indent=1, allow_nan=False)
        write_atomic(path, text + "\n")

    def _load(
        self_or_cls: Any,
        path: str | os.PathLike,
        *,
        max_parameters: int = DEFAULT_MAX_PARAMETERS,
        max_bytes: int | None = None,
    ) -> Module:
        """``Class.load(path)`` builds a model from a checkpoint; ``model.load(path)`` refills one.

        On the class: the checkpoint's architecture is rebuilt (its class must be this class, or
        any registered Module subclass that defines `config` when called as ``Module.load``) and
        its parameters loaded. The config may name only arguments the constructor declares
        (``inspect.signature``), each of its annotated type (int, float, str, bool, None, a list
        of ints) and within the class's ``config_sizes`` and ``config_choices``; a string is at
        most 1,000 characters. Anything else is a `CheckpointError`
        naming the argument, raised before the constructor runs.
        On a model: the checkpoint must be for the same class and architecture. Either way a
        corrupt, mismatched or oversized file raises `CheckpointError` and changes nothing; a
        missing or unreadable file raises an OSError (FileNotFoundError, ...). Returns the model.

        max_parameters  the most numbers (parameters and fixed weights) the checkpoint may ask
                        for, checked before building (default 1,000,000).
        max_bytes       the largest file read; default 1 MiB + 128 bytes per parameter allowed.
        """
        where = os.fspath(path)
        if isinstance(self_or_cls, Module):
            model = self_or_cls
            own = len(model.named_parameters())
            max_parameters, max_bytes = _limits(max_parameters, max_bytes, own)
            checkpoint = _read_checkpoint(where, max_bytes)
            _check_same_architecture(model, checkpoint, where)
        else:
            max_parameters, max_bytes = _limits(max_parameters, max_bytes)
            checkpoint = _read_checkpoint(where, max_bytes)
            registry = Module._registry if self_or_cls is Module else None
            model = _build_from_checkpoint(self_or_cls, checkpoint, where, registry, max_parameters)
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
        """The module tree, one child per line; a module already shown is named, not repeated.

        A loop with an explicit stack and a set of the modules on show, so a tied or
        self-containing module prints in finite time.
        """
        lines: list[str] = []
        seen: set[int] = set()
        stack: list[tuple[str, Module | None, int]] = [("", self, 0)]
        while stack:
            name, module, depth = stack.pop()
            pad = "  " * depth
            label = f"({name}): " if name else ""
            if module is None:  # the end of an open module's children
                lines.append(f"{pad})")
                continue
            head = f"{pad}{label}{type(module).__name__}({module.extra_repr()}"
            if id(module) in seen:
                lines.append(f"{head}) (shared, shown above)")
                continue
            seen.add(id(module))
            if module is not self and type(module).__repr__ is not Module.__repr__:  # own repr
                lines.append(f"{pad}{label}{module!r}".replace("\n", "\n" + pad))
                continue
            children = list(module.named_children())
            if not children:
                lines.append(head + ")")
                continue
            lines.append(head)
            stack.append(("", None, depth))
            stack.extend((child, m, depth + 1) for child, m in reversed(children))
        return "\n".join(lines)
