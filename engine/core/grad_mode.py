"""Gradient recording on and off, per thread and per asyncio task (as in PyTorch).

Every op asks `is_grad_enabled()` whether to record its result as a graph node. The switch lives
in a `contextvars.ContextVar`, so each thread has its own (a new thread starts with recording on)
and each asyncio task has its own (a task starts with the setting of the code that created it,
and a change inside the task stays inside it). One thread's ``no_grad()`` never turns recording
off in another thread.

    with no_grad():              # recording off in this block (this thread / task only)
        ...
    with enable_grad():          # on again inside a no_grad block
        ...
    set_grad_enabled(False)      # a plain call switches it until the next switch
    with set_grad_enabled(flag): # or a block, restored at the end
        ...

    @no_grad                     # a decorator too (with or without parentheses);
    def evaluate(model, xs): ... # generators are switched only while they run; coroutine
                                 # functions (async def) while the coroutine runs

The state is restored when a block ends, however it ends (exceptions included).
"""

from __future__ import annotations

import functools
import inspect
from contextvars import ContextVar
from typing import Any, Callable, TypeVar

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]

F = TypeVar("F", bound=Callable[..., Any])

_GRAD_ENABLED: ContextVar[bool] = ContextVar("chainrule_grad_enabled", default=True)
_grad_enabled = _GRAD_ENABLED.get  # the hot path (engine.core.value) calls this once per op
_set = _GRAD_ENABLED.set


def is_grad_enabled() -> bool:
    """True when ops record a graph in the calling thread / asyncio task (the default)."""
    return _grad_enabled()


class _GradMode:
    """A context manager and decorator that sets recording to `mode` and then restores it.

    One object may be entered again and again, even nested, and from several threads or asyncio
    tasks at once: each entry remembers the state it found in its own thread / task (a context
    variable of the object's), so one thread's exit never restores another thread's state.
    ``@no_grad`` works with or without parentheses, as in PyTorch.
    """

    mode = True

    def __new__(cls, fn: Callable[..., Any] | None = None) -> Any:
        if fn is None:
            return super().__new__(cls)
        return cls()(fn)  # used bare as a decorator: ``@no_grad``

    def __init__(self, fn: Callable[..., Any] | None = None) -> None:
        self._saved: ContextVar[tuple[bool, ...]] = ContextVar("chainrule_saved", default=())

    def __enter__(self) -> None:
        self._saved.set((*self._saved.get(), _grad_enabled()))
        _set(self.mode)

    def __exit__(self, *exc_info: object) -> None:
        *rest, previous = self._saved.get()
        self._saved.set(tuple(rest))
        _set(previous)

    def __call__(self, fn: F) -> F:
        """Use as a decorator: `fn` runs with recording set to this mode, then it is restored.

        A generator function (sync or async) has the mode only while it runs, not while it is
        paused at a yield. A coroutine function (``async def``) has it while the coroutine runs,
        in the task that awaits it (other tasks keep their own mode while it waits).
        """
        if not callable(fn):
            raise TypeError(
                f"{type(self).__name__} decorates a function, got {type(fn).__name__} {fn!r}"
            )
        mode = type(self)
        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def generator_wrapper(*args: Any, **kwargs: Any) -> Any:
                gen = fn(*args, **kwargs)
                try:
                    with mode():
                        response = gen.send(None)
                    while True:
                        try:
                            request = yield response
                        except GeneratorExit:
                            with mode():
                                gen.close()
                            raise
                        except BaseException as exc:  # throw() goes on to the generator
                            with mode():
                                response = gen.throw(exc)
                        else:
                            with mode():
                                response = gen.send(request)
                except StopIteration as stop:
                    return stop.value

            return generator_wrapper  # type: ignore[return-value]

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def coroutine_wrapper(*args: Any, **kwargs: Any) -> Any:
                # the mode lives in the awaiting task's context: while the coroutine waits,
                # other tasks keep their own, and the caller gets its own back when it returns
                with mode():
                    return await fn(*args, **kwargs)

            return coroutine_wrapper  # type: ignore[return-value]

        if inspect.isasyncgenfunction(fn):
            return _async_generator_wrapper(fn, mode)  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with mode():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _async_generator_wrapper(fn: Callable[..., Any], mode: type[_GradMode]) -> Callable[..., Any]:
    """`fn`, an async generator function, with `mode` set only while it runs (each step up to
    its next yield), as the generator wrapper does: the code consuming it keeps its own mode."""

    @functools.wraps(fn)
    async def async_generator_wrapper(*args: Any, **kwargs: Any) -> Any:
        agen = fn(*args, **kwargs)
        try:
            with mode():
                response = await agen.asend(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with mode():
                        await agen.aclose()
                    raise
                except BaseException as exc:  # athrow() goes on to the generator
                    with mode():
                        response = await agen.athrow(exc)
                else:
                    with mode():
                        response = await agen.asend(request)
        except StopAsyncIteration:
            return

    return async_generator_wrapper


class no_grad(_GradMode):
    """Inside this block ops compute values but record no graph: every result is a leaf.

    Use it for evaluation and for updating parameters. It nests, and it is per thread and per
    asyncio task, as in PyTorch. Also a decorator: ``@no_grad`` or ``@no_grad()``.
    """

    mode = False


class enable_grad(_GradMode):
    """Recording on inside this block, even within `no_grad()`; also a decorator."""

    mode = True


class set_grad_enabled:
    """Switch recording on (True) or off (False) in the calling thread / asyncio task.

    As a plain call it switches at once and stays switched: ``set_grad_enabled(False)``. As a
    block it switches for the block and then restores what was there before:
    ``with set_grad_enabled(is_training): ...`` (PyTorch's `torch.set_grad_enabled`).
    """

    __slots__ = ("mode", "_previous")

    def __init__(self, mode: bool) -> None:
        if type(mode) is not bool:
            raise TypeError(
                f"set_grad_enabled(mode) needs True or False, got {type(mode).__name__} {mode!r}"
            )
        self.mode = mode
        self._previous = _grad_enabled()
        _set(mode)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        _set(self._previous)

    def __repr__(self) -> str:
        return f"set_grad_enabled({self.mode})"
