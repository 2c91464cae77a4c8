"""nn.optim: SGD and Adam match torch.optim step for step; schedules; state; argument checks."""

from __future__ import annotations

import math

import pytest

from engine import Parameter, Value
from nn import MLP, Neuron, losses, optim

START = [0.5, -1.25, 2.0, 0.0, -0.03]


def _grads(step: int) -> list[float]:
    """A different, deterministic gradient per step (signs change, one is zero)."""
    return [math.sin(1.3 * step + i) * (i + 1) if i != 2 else 0.0 for i in range(len(START))]


def _run_ours(make, steps: int) -> list[float]:
    params = [Parameter(x) for x in START]
    opt = make(params)
    for k in range(steps):
        for p, g in zip(params, _grads(k)):
            p.grad = g
        opt.step()
    return [p.data for p in params]


def _run_torch(make, steps: int) -> list[float]:
    torch = pytest.importorskip("torch")
    params = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in START]
    opt = make(params)
    for k in range(steps):
        for p, g in zip(params, _grads(k)):
            p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
    return [p.item() for p in params]


SGD_CASES = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.1, weight_decay=0.01),
    dict(lr=0.1, momentum=0.8, weight_decay=0.1, nesterov=True),
    dict(lr=0.1, momentum=0.5, dampening=0.3),
]


@pytest.mark.parametrize(
    "kwargs", SGD_CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items())
)
def test_sgd_matches_torch_step_for_step(kwargs):
    torch = pytest.importorskip("torch")
    for steps in (1, 2, 7):
        ours = _run_ours(lambda ps: optim.SGD(ps, **kwargs), steps)
        theirs = _run_torch(lambda ps: torch.optim.SGD(ps, **kwargs), steps)
        assert ours == pytest.approx(theirs, rel=1e-14, abs=1e-15)


ADAM_CASES = [
    dict(),
    dict(lr=0.01),
    dict(lr=0.1, betas=(0.8, 0.99), eps=1e-6),
    dict(lr=0.05, weight_decay=0.1),
]


@pytest.mark.parametrize(
    "kwargs", ADAM_CASES, ids=lambda k: ",".join(f"{a}={b}" for a, b in k.items()) or "defaults"
)
def test_adam_matches_torch_step_for_step(kwargs):
    torch = pytest.importorskip("torch")
    for steps in (1, 2, 10):
        ours = _run_ours(lambda ps: optim.Adam(ps, **kwargs), steps)
        theirs = _run_torch(lambda ps: torch.optim.Adam(ps, **kwargs), steps)
        assert ours == pytest.approx(theirs, rel=1e-13, abs=1e-15)


def test_plain_sgd_by_hand():
    p = Parameter(1.0)
    p.grad = 0.5
    optim.SGD([p], lr=0.1).step()
    assert p.data == 1.0 - 0.1 * 0.5


def test_first_adam_step_moves_each_parameter_by_about_lr():
    params = [Parameter(x) for x in START]
    opt = optim.Adam(params, lr=0.01)
    for p, g in zip(params, _grads(0)):
        p.grad = g
    opt.step()
    for p, x, g in zip(params, START, _grads(0)):
        # m̂ = g and v̂ = g² after one step, so the move is lr·g/(|g| + ε): lr, or 0 if g = 0
        assert abs(p.data - x) == (0.0 if g == 0.0 else pytest.approx(0.01, rel=1e-6))
    assert sum(g != 0.0 for g in _grads(0)) >= 3


def test_training_with_torch_and_ours_in_lockstep_on_a_real_model():
    torch = pytest.importorskip("torch")
    model = MLP(2, [4, 1], activation="tanh", seed=0)
    names, params = zip(*model.named_parameters())
    tparams = [torch.tensor(p.data, dtype=torch.float64, requires_grad=True) for p in params]
    ours = optim.Adam(params, lr=0.05, weight_decay=0.01)
    theirs = torch.optim.Adam(tparams, lr=0.05, weight_decay=0.01)
    X, y = [[0.5, 1.0], [-1.0, 0.3], [0.2, -0.7]], [1, -1, 1]
    for _ in range(5):
        loss = losses.hinge([model(x) for x in X], y)
        ours.zero_grad()
        loss.backward()
        ours.step()
        for tp, p_grad in zip(tparams, [p.grad for p in params]):
            tp.grad = torch.tensor(p_grad, dtype=torch.float64)
        theirs.step()
    assert [p.data for p in params] == pytest.approx([t.item() for t in tparams], rel=1e-12)


# --------------------------------------------------------------------------------------------
# Schedules, zero_grad, state
# --------------------------------------------------------------------------------------------


def test_linear_decay_is_micrograds_schedule():
    schedule = optim.LinearDecay(1.0, 0.1, 100)
    for k in (0, 10, 57, 99, 100):
        assert schedule(k) == pytest.approx(1.0 - 0.9 * k / 100, rel=1e-15)
    assert schedule(500) == pytest.approx(0.1)


def test_schedule_sets_lr_before_every_step():
    p = Parameter(0.0)
    seen = []
    opt = optim.SGD([p], lr=123.0, schedule=lambda k: seen.append(k) or 1.0 / (k + 1))
    for _ in range(3):
        p.grad = 1.0
        opt.step()
    assert seen == [0, 1, 2]
    assert opt.lr == pytest.approx(1.0 / 3)
    assert p.data == pytest.approx(-(1.0 + 0.5 + 1.0 / 3))
    assert opt.steps == 3


def test_lr_can_be_set_between_steps():
    p = Parameter(0.0)
    opt = optim.SGD([p], lr=1.0)
    p.grad = 1.0
    opt.step()
    opt.lr = 0.5
    opt.step()
    assert p.data == -1.5


def test_zero_grad_clears_the_parameters_gradients():
    params = [Parameter(1.0), Parameter(2.0)]
    for p in params:
        p.grad = 3.0
    optim.Adam(params).zero_grad()
    assert [p.grad for p in params] == [0.0, 0.0]


def test_state_dict_reports_hyperparameters_and_buffers():
    params = [Parameter(1.0), Parameter(2.0)]
    sgd = optim.SGD(params, lr=0.1, momentum=0.9)
    assert sgd.state_dict()["buffers"] == {"velocity": None}
    for p in params:
        p.grad = 1.0
    sgd.step()
    state = sgd.state_dict()
    assert state["type"] == "SGD" and state["steps"] == 1 and state["momentum"] == 0.9
    assert state["buffers"]["velocity"] == [1.0, 1.0]
    adam = optim.Adam(params, lr=0.01)
    adam.step()
    state = adam.state_dict()
    assert state["betas"] == [0.9, 0.999] and state["steps"] == 1
    assert state["buffers"]["m"] == pytest.approx([0.1, 0.1])
    assert state["buffers"]["v"] == pytest.approx([0.001, 0.001])


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda ps: optim.SGD(ps, lr=-0.1), "lr must be in"),
        (lambda ps: optim.SGD(ps, lr=0.1, momentum=-1), "momentum must be in"),
        (lambda ps: optim.SGD(ps, lr=0.1, nesterov=True), "nesterov=True needs momentum > 0"),
        (lambda ps: optim.SGD(ps, lr="0.1"), "lr must be a real number"),
        (lambda ps: optim.Adam(ps, betas=(0.9, 1.0)), "betas\\[1\\] must be in"),
        (lambda ps: optim.Adam(ps, betas=0.9), "betas must be a pair"),
        (lambda ps: optim.Adam(ps, eps=-1e-8), "eps must be in"),
        (lambda ps: optim.Adam([], lr=0.1), "empty parameter list"),
        (lambda ps: optim.LinearDecay(1.0, 0.1, 0), "LinearDecay\\(steps\\) must be a positive"),
    ],
)
def test_bad_arguments_raise_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make([Parameter(1.0)])


def test_params_must_be_values():
    with pytest.raises(TypeError, match="parameter 1 is not a Value"):
        optim.SGD([Parameter(1.0), 2.0], lr=0.1)
    with pytest.raises(TypeError, match="single Value"):
        optim.SGD(Value(1.0), lr=0.1)
    with pytest.raises(TypeError, match="schedule must be callable"):
        optim.SGD([Parameter(1.0)], lr=0.1, schedule=0.5)


@pytest.mark.parametrize("make", [lambda ps: optim.SGD(ps, lr=0.1), lambda ps: optim.Adam(ps)])
def test_the_same_parameter_twice_is_refused_naming_both_positions(make):
    p, q = Parameter(1.0), Parameter(2.0)
    with pytest.raises(ValueError, match=r"parameter 2 .* is the same Value as parameter 0"):
        make([p, q, p])


# --------------------------------------------------------------------------------------------
# After backward(create_graph=True) p.grad is a Value: every optimiser steps on its number
# --------------------------------------------------------------------------------------------

CREATE_GRAPH_CASES = {
    "SGD": lambda ps: optim.SGD(ps, lr=0.1),
    "SGD-momentum": lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01),
    "SGD-nesterov": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    "Adam": lambda ps: optim.Adam(ps, lr=0.01),
    "Adam-decay": lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.1),
}


def _floats_only(x: object) -> bool:
    if isinstance(x, dict):
        return all(_floats_only(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return all(_floats_only(v) for v in x)
    return not isinstance(x, Value)


def test_every_optimiser_is_covered_by_the_create_graph_cases():
    covered = {name.split("-")[0] for name in CREATE_GRAPH_CASES}
    assert {cls.__name__ for cls in optim.Optimizer.__subclasses__()} <= covered


@pytest.mark.parametrize("name", list(CREATE_GRAPH_CASES))
def test_optimisers_step_on_the_numbers_after_backward_create_graph(name, tmp_path):
    import json

    make = CREATE_GRAPH_CASES[name]

    def run(create_graph: bool) -> tuple[Neuron, optim.Optimizer]:
        model = Neuron(2, "tanh", seed=3)
        opt = make(model.parameters())
        for _ in range(3):
            opt.zero_grad()
            loss = model([0.5, -1.5]) ** 2
            loss.backward(create_graph=create_graph)
            if create_graph:
                assert all(isinstance(p.grad, Value) for p in model.parameters())
            opt.step()
        return model, opt

    graph_model, graph_opt = run(create_graph=True)
    plain_model, plain_opt = run(create_graph=False)
    for p, q in zip(graph_model.parameters(), plain_model.parameters()):
        assert type(p.data) is float
        assert p.data == q.data  # the same numbers as the ordinary backward pass
    state = graph_opt.state_dict()
    assert _floats_only(state) and state == plain_opt.state_dict()
    json.dumps(state, allow_nan=False)
    graph_model.save(tmp_path / "model.json")
    loaded = Neuron(2, "tanh", seed=0).load(tmp_path / "model.json")
    assert loaded.state_dict() == graph_model.state_dict()


def test_create_graph_gradient_is_the_numeric_derivative_and_sgd_moves_by_lr_times_it():
    p = Parameter(0.7)
    loss = p**3  # dL/dp = 3p²
    loss.backward(create_graph=True)
    eps = 1e-6
    numeric = ((0.7 + eps) ** 3 - (0.7 - eps) ** 3) / (2 * eps)
    assert p.grad.data == pytest.approx(numeric, rel=1e-8)
    optim.SGD([p], lr=0.1).step()
    assert type(p.data) is float and p.data == pytest.approx(0.7 - 0.1 * 3 * 0.7**2, abs=1e-15)


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: optim.SGD(ps, lr=0.1),
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
        lambda ps: optim.Adam(ps, lr=0.1),
    ],
    ids=["sgd", "momentum", "adam"],
)
def test_a_frozen_parameter_is_not_stepped(make):
    """``p.requires_grad_(False)`` after the optimiser was made freezes p, as in PyTorch."""
    model = MLP(2, [3, 1], activation="tanh", seed=0)
    params = model.parameters()
    opt = make(params)
    before = [p.data for p in params]
    frozen = params[0]
    frozen.requires_grad_(False)
    model([1.0, 2.0]).backward()
    assert frozen.grad != 0.0  # the gradient still reaches it (shown for teaching) ...
    opt.step()
    assert frozen.data == before[0] and not frozen.requires_grad  # ... but it is not stepped
    assert all(p.data != b for p, b in zip(params[1:], before[1:]) if p.grad != 0.0)


def test_a_frozen_parameter_stays_a_parameter_of_its_model_and_its_checkpoint(tmp_path):
    model = MLP(2, [3, 1], seed=0)
    frozen = model.parameters()[0]
    frozen.requires_grad_(False)
    assert isinstance(frozen, Parameter) and frozen in model.parameters()
    path = tmp_path / "m.json"
    model.save(path)
    again = MLP.load(path)
    assert [p.data for p in again.parameters()] == [p.data for p in model.parameters()]
    assert frozen.requires_grad_(True).requires_grad and isinstance(frozen, Parameter)
