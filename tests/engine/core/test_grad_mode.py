"""Gradient recording on and off: per thread and per asyncio task, as context managers, plain
calls and decorators; and backward() on a result that was computed with recording off."""

from __future__ import annotations

import asyncio
import threading

import pytest

from engine import (
    Parameter,
    Value,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)


def _in_thread(target) -> None:
    errors: list[BaseException] = []

    def run():
        try:
            target()
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def _join(*pairs) -> None:
    for thread, errors in pairs:
        thread.join(timeout=30)
        assert not thread.is_alive(), "a thread hung"
        if errors:
            raise errors[0]


# --------------------------------------------------------------------------------------------
# Threads
# --------------------------------------------------------------------------------------------


def test_two_overlapping_no_grad_blocks_in_two_threads_leave_recording_on():
    """The issue's reproduction: A enters, B enters, A leaves, B leaves. With one process-wide
    switch, B restored the False it found and recording stayed off for good."""
    a_in, b_in, a_out = (threading.Barrier(2, timeout=20) for _ in range(3))

    def thread_a():
        with no_grad():
            a_in.wait()
            b_in.wait()
        a_out.wait()

    def thread_b():
        a_in.wait()
        with no_grad():
            b_in.wait()
            a_out.wait()

    _join(_in_thread(thread_a), _in_thread(thread_b))
    assert is_grad_enabled()
    x = Value(3.0)
    y = x * x
    y.backward()
    assert x.grad == 6.0


def test_no_grad_in_one_thread_does_not_stop_recording_in_another():
    inside, recorded = threading.Barrier(2, timeout=20), threading.Barrier(2, timeout=20)
    seen = {}

    def evaluating():
        with no_grad():
            inside.wait()  # stays inside no_grad while the other thread records
            recorded.wait()
            seen["evaluating"] = is_grad_enabled()

    def training():
        inside.wait()
        x = Value(2.0)
        y = (x * x).tanh()
        seen["training"] = is_grad_enabled()
        seen["parents"] = y.parents
        y.backward()
        seen["grad"] = x.grad
        recorded.wait()

    _join(_in_thread(evaluating), _in_thread(training))
    assert seen["evaluating"] is False and seen["training"] is True
    assert seen["parents"] and seen["grad"] != 0.0


def test_a_new_thread_starts_with_recording_on():
    seen = {}
    with no_grad():
        _join(_in_thread(lambda: seen.setdefault("on", is_grad_enabled())))
        assert not is_grad_enabled()
    assert seen["on"] is True


def test_a_plain_call_switches_only_the_calling_thread():
    done = threading.Barrier(2, timeout=20)
    seen = {}

    def switcher():
        set_grad_enabled(False)
        seen["switcher"] = is_grad_enabled()
        done.wait()

    thread = _in_thread(switcher)
    done.wait()
    _join(thread)
    assert seen["switcher"] is False and is_grad_enabled()


# --------------------------------------------------------------------------------------------
# asyncio tasks
# --------------------------------------------------------------------------------------------


def test_no_grad_in_one_asyncio_task_does_not_leak_into_another():
    async def main():
        entered, resume = asyncio.Event(), asyncio.Event()

        async def evaluating():
            with no_grad():
                entered.set()
                await resume.wait()  # paused inside no_grad: the other task runs now
                return is_grad_enabled()

        async def training():
            await entered.wait()
            x = Value(2.0)
            y = x * x
            state = is_grad_enabled()
            resume.set()
            y.backward()
            return state, x.grad

        return await asyncio.gather(evaluating(), training())

    evaluating_state, (training_state, grad) = asyncio.run(main())
    assert evaluating_state is False and training_state is True and grad == 4.0
    assert is_grad_enabled()


def test_a_task_started_inside_no_grad_keeps_it_and_changes_stay_inside_tasks():
    async def main():
        async def child():
            before = is_grad_enabled()
            set_grad_enabled(True)  # only this task's copy changes
            return before

        with no_grad():
            task = asyncio.create_task(child())
        child_saw = await task
        return child_saw, is_grad_enabled()

    assert asyncio.run(main()) == (False, True)


@pytest.mark.parametrize("decorator", [no_grad, no_grad()], ids=["bare", "called"])
def test_no_grad_decorates_a_coroutine_function_while_it_runs(decorator):
    """``@no_grad`` on ``async def``: the mode is set while the coroutine runs (across its
    awaits), other tasks keep recording meanwhile, and the caller has its own mode back."""

    async def main():
        entered, resume = asyncio.Event(), asyncio.Event()

        @decorator
        async def evaluate(x):
            first = is_grad_enabled()
            entered.set()
            await resume.wait()  # paused: the other task runs, recording on
            y = x * x
            return first, is_grad_enabled(), bool(y.parents)

        async def training():
            await entered.wait()
            state = is_grad_enabled()
            resume.set()
            return state

        inside, other = await asyncio.gather(evaluate(Value(3.0)), training())
        return inside, other, is_grad_enabled()

    (first, later, recorded), other, after = asyncio.run(main())
    assert (first, later, recorded) == (False, False, False)
    assert other is True and after is True
    assert is_grad_enabled()


def test_enable_grad_decorates_a_coroutine_function_inside_no_grad():
    @enable_grad
    async def build(x):
        await asyncio.sleep(0)
        return x * x

    async def main():
        with no_grad():
            y = await build(Value(2.0))
            return y, is_grad_enabled()

    y, state = asyncio.run(main())
    assert y.parents and state is False


def test_no_grad_decorates_an_async_generator_only_while_it_runs():
    @no_grad
    async def values():
        for k in range(2):
            received = yield is_grad_enabled(), k
            assert received is None

    async def main():
        seen = []
        async for state, k in values():
            seen.append((state, k, is_grad_enabled()))  # the consumer keeps recording on
        return seen

    assert asyncio.run(main()) == [(False, 0, True), (False, 1, True)]


# --------------------------------------------------------------------------------------------
# The API: blocks, plain calls, decorators
# --------------------------------------------------------------------------------------------


def test_enable_grad_turns_recording_on_inside_no_grad_and_both_nest():
    x = Value(2.0)
    with no_grad():
        with enable_grad():
            assert is_grad_enabled()
            y = x * 3
            with no_grad():
                assert not is_grad_enabled()
            assert is_grad_enabled()
        assert not is_grad_enabled()
    assert y.parents == (x, y.parents[1]) and is_grad_enabled()


def test_set_grad_enabled_as_a_call_and_as_a_block():
    try:
        set_grad_enabled(False)
        assert not is_grad_enabled()
        with set_grad_enabled(True):
            assert is_grad_enabled()
        assert not is_grad_enabled()
    finally:
        set_grad_enabled(True)
    with set_grad_enabled(False):
        assert (Value(1.0) * 2).parents == ()
    assert is_grad_enabled()
    assert repr(set_grad_enabled(True)) == "set_grad_enabled(True)"


@pytest.mark.parametrize("bad", [0, 1, "yes", None])
def test_set_grad_enabled_needs_a_bool(bad):
    with pytest.raises(TypeError, match=r"True or False"):
        set_grad_enabled(bad)
    assert is_grad_enabled()


@pytest.mark.parametrize("mode", [no_grad, enable_grad])
def test_blocks_restore_the_state_after_an_exception(mode):
    for outer in (True, False):
        with set_grad_enabled(outer):
            with pytest.raises(ZeroDivisionError):
                with mode():
                    Value(1.0) / 0
            assert is_grad_enabled() is outer


def test_one_no_grad_object_can_be_entered_again_and_nested():
    ng = no_grad()
    with ng:
        with ng:
            assert not is_grad_enabled()
        assert not is_grad_enabled()
    assert is_grad_enabled()


def test_no_grad_decorates_with_and_without_parentheses():
    @no_grad
    def bare(x):
        """Doubles x."""
        return x * 2, is_grad_enabled()

    @no_grad()
    def called(x):
        return x * 2, is_grad_enabled()

    for fn in (bare, called):
        y, state = fn(Value(1.0))
        assert state is False and y.parents == () and is_grad_enabled()
    assert bare.__name__ == "bare" and bare.__doc__ == "Doubles x."


def test_enable_grad_decorates_and_restores_after_an_exception():
    @enable_grad
    def square(x):
        return x * x

    @enable_grad()
    def fails():
        raise KeyError("boom")

    with no_grad():
        y = square(Value(3.0))
        with pytest.raises(KeyError):
            fails()
        assert not is_grad_enabled()
    y.backward()
    assert y.parents[0].grad == 6.0


def test_a_decorated_generator_has_the_mode_only_while_it_runs():
    @no_grad
    def values(n):
        for i in range(n):
            received = yield i, is_grad_enabled()
            assert received in (None, "ping")

    gen = values(3)
    assert next(gen) == (0, False)
    assert is_grad_enabled()  # paused at a yield: the caller's mode
    assert gen.send("ping") == (1, False)
    assert list(gen) == [(2, False)]
    assert is_grad_enabled()


def test_a_decorated_generator_passes_throw_and_close_on():
    closed = []

    @no_grad()
    def gen():
        try:
            yield 1
        except ValueError:
            yield is_grad_enabled()
        finally:
            closed.append(is_grad_enabled())

    g = gen()
    next(g)
    assert g.throw(ValueError("x")) is False
    g.close()
    assert closed == [False] and is_grad_enabled()


def test_decorating_something_that_is_not_a_function_is_refused():
    with pytest.raises(TypeError, match="decorates a function"):
        no_grad()(3)
    with pytest.raises(TypeError, match="decorates a function"):
        enable_grad("x")


# --------------------------------------------------------------------------------------------
# backward() on a result computed with recording off
# --------------------------------------------------------------------------------------------


def test_backward_on_a_result_computed_under_no_grad_raises_instead_of_giving_zeros():
    x = Value(3.0, label="x")
    with no_grad():
        y = x * x
    with pytest.raises(RuntimeError, match=r"recording was off.*does not require grad"):
        y.backward()
    assert x.grad == 0.0 and y.grad == 0.0
    with pytest.raises(RuntimeError, match="recording was off"):
        from engine import backward_steps

        next(backward_steps(y))


def test_leaves_you_make_still_backpropagate_to_themselves():
    for leaf in (Value(3.0), Parameter(2.0)):
        leaf.backward()
        assert leaf.grad == 1.0
    with no_grad():
        made = Value(5.0)  # made by you, not by an op: a leaf like any other
    made.backward()
    assert made.grad == 1.0


def test_a_result_computed_under_no_grad_is_a_constant_to_later_graphs():
    x = Value(3.0)
    with no_grad():
        c = x * x
    assert isinstance(c, Value) and (c.op, c.parents) == ("", ())
    z = c * x
    z.backward()
    assert (x.grad, c.grad) == (9.0, 3.0)
