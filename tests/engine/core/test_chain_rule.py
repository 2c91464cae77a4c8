"""The one chain-rule walker: atomic passes, thread-safe passes, and every face runs it."""

from __future__ import annotations

import ast
import pathlib
import threading

import pytest

from engine import Value, backward_steps, grad, no_grad
from engine.core import chain_rule
from engine.core.grad_mode import is_grad_enabled


def shared_chain() -> tuple[Value, Value]:
    """The issue's example: 30 links of (h · 1.01).tanh() + 0.01 from one weight."""
    w = Value(0.7, label="w")
    h = w
    for _ in range(30):
        h = (h * 1.01).tanh() + 0.01
    return w, h


def test_threads_backpropagating_a_shared_graph_each_add_their_whole_gradient():
    w, h = shared_chain()
    (h * 2.0).backward()
    one = w.grad
    runs, threads, passes = 5, 8, 40
    for _ in range(runs):
        w.grad = 0.0

        def work() -> None:
            for _ in range(passes):
                (h * 2.0).backward()

        ts = [threading.Thread(target=work) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        assert w.grad == pytest.approx(one * threads * passes, rel=1e-12)
        # interior nodes hold one whole pass (the latest): ∂(2h)/∂h = 2 exactly
        assert h.grad == 2.0


def test_a_backward_that_raises_leaves_every_grad_as_it_was():
    p, q = Value(0.0, label="p"), Value(2.0, label="q")
    p.grad, q.grad = 0.25, -1.5
    out = p.sqrt() + p * q + q * q
    with pytest.raises(ZeroDivisionError, match="sqrt"):
        out.backward()
    assert (p.grad, q.grad) == (0.25, -1.5)
    assert out.grad == 0.0 and out.parents[0].grad == 0.0


def test_an_abandoned_narrated_pass_changes_no_grad():
    a = Value(1.0, label="a")
    b = Value(2.0, label="b")
    out = a * b + a  # ∂out/∂a = b + 1 = 3
    steps = backward_steps(out)
    next(steps)
    next(steps)
    assert a.grad == 0.0 and b.grad == 0.0
    out.backward()
    assert a.grad == 3.0 and b.grad == 1.0


def test_a_narrated_pass_run_to_its_end_writes_what_backward_writes():
    def graph():
        a = Value(0.3, label="a")
        return a, (a * a).tanh() * a + a.exp()

    a1, out1 = graph()
    out1.backward()
    a2, out2 = graph()
    steps = list(backward_steps(out2))
    assert steps[-1].node is a2 or a2.grad != 0.0
    assert a2.grad == a1.grad  # bit for bit: the same walker


def test_grad_reads_and_writes_no_grad():
    x = Value(1.5, label="x")
    x.grad = 7.0
    (g,) = grad(x * x * x, x)
    assert g.data == pytest.approx(3 * 1.5**2)
    assert x.grad == 7.0


def test_a_create_graph_backward_that_raises_leaves_grads_as_they_were():
    x = Value(0.0, label="x")
    y = Value(1.0, label="y")
    with pytest.raises(ZeroDivisionError, match="create_graph"):
        (x.sqrt() + y * y).backward(create_graph=True)
    assert x.grad == 0.0 and y.grad == 0.0


def test_one_no_grad_object_entered_in_two_threads_restores_each_threads_own_state():
    block = no_grad()
    entered, release = threading.Barrier(2), threading.Event()
    seen: dict[str, bool] = {}

    def first() -> None:  # recording on, enters, waits for the other, exits first
        with block:
            entered.wait()
            release.wait()
        seen["first"] = is_grad_enabled()

    def second() -> None:  # recording off before, enters after the first
        with no_grad():
            with block:
                entered.wait()
                release.set()
            seen["second"] = is_grad_enabled()

    ts = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert seen == {"first": True, "second": False}


def _sums_gradients(loop: ast.For) -> bool:
    """Does this loop add into a gradient (``x.grad += ...``, ``bars[x] += ...``, ``x_bar +=
    ...``)?"""
    for node in ast.walk(loop):
        if isinstance(node, ast.AugAssign):
            target = ast.unparse(node.target)
            if "grad" in target or "bar" in target:
                return True
    return False


def test_the_walker_is_the_only_loop_that_sums_gradients_outputs_first():
    root = pathlib.Path(chain_rule.__file__).parents[2]
    loops = []
    for folder in ("engine", "nn"):
        for path in sorted((root / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.For)
                    and isinstance(node.iter, ast.Call)
                    and ast.unparse(node.iter.func) == "reversed"
                    and _sums_gradients(node)
                ):
                    loops.append(f"{path.relative_to(root)}:{node.lineno}")
    assert len(loops) == 1 and loops[0].startswith("engine/core/chain_rule.py"), loops


def test_a_raising_batched_program_backward_leaves_the_parameters_grads():
    np = pytest.importorskip("numpy")
    from engine import Parameter, trace

    w = Parameter(0.5, label="w")
    p = trace(lambda x: (x * w).log(), 1.0)
    w.grad = 0.125
    with pytest.raises(ValueError, match="log"):
        p.backward(np.array([1.0, 2.0, -1.0]))
    assert w.grad == 0.125
    p.backward(np.array([1.0, 2.0]))
    assert w.grad == pytest.approx(0.125 + 2 * (1 / 0.5))
