"""The training bench under stress: weights that blow up, many sockets, a bad learning rate."""

from __future__ import annotations

import json
import threading

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")
pytest.importorskip("numpy")

from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from engine.core.graph import topological_order
from nn.lab.app import HEADER, create_app
from nn.lab.limits import Limits
from nn.lab.training import TrainingRun, parse_config
from nn.lab.training_routes import MAX_SOCKETS, WORKER_NAME

TOKEN = "a-test-token-789"
SETTINGS = {"points": 40, "grid": 12, "seed": 5}
RELU = SETTINGS | {"activation": "relu"}
BLOWS_UP = {
    "dataset": "spirals",
    "activation": "relu",
    "loss": "mse",
    "lr": 10,
    "momentum": 0.99,
    "points": 40,
    "grid": 12,
}


@pytest.fixture
def client():
    return TestClient(create_app(TOKEN))


def post(client, path, payload):
    return client.post(path, json=payload, headers={HEADER: TOKEN})


def socket(client):
    return client.websocket_connect(f"/api/train/socket?token={TOKEN}")


def test_a_run_that_blows_up_says_so_and_keeps_its_count():
    run = TrainingRun(parse_config(BLOWS_UP, Limits()), Limits())
    with pytest.raises(ValueError, match="overflowed.*lower the learning rate") as caught:
        for _ in range(100):
            run.step()
    assert f"update {run.update + 1}:" in str(caught.value)
    assert len(run.records) == run.update  # the failed update left no trace
    with pytest.raises(ValueError, match="overflowed"):
        run.step()
    assert len(run.records) == run.update


def test_blown_up_weights_give_a_frame_with_the_warning():
    run = TrainingRun(parse_config(RELU, Limits()), Limits())
    for p in run.params:
        p.data = 1e300
    frame = run.frame()
    assert "overflowed" in frame["error"] and frame["grid"] is None
    json.dumps(frame, allow_nan=False)  # still JSON


def test_the_socket_survives_weights_that_blow_up(client):
    post(client, "/api/train/config", BLOWS_UP)
    with socket(client) as ws:
        ws.send_text(json.dumps({"train": True}))
        for _ in range(200):
            frame = json.loads(ws.receive_text())
            if frame["error"]:
                break
        assert "overflowed" in frame["error"] and "lower the learning rate" in frame["error"]
        assert frame["training"] is False
        state = client.app.state.training
        assert not state.training.is_set() and state.worker.is_alive()
        assert frame["update"] == state.run.update == len(state.run.records)
    again = post(client, "/api/train/frame", {})
    assert again.status_code == 200 and again.json()["update"] == frame["update"]
    assert post(client, "/api/train/config", SETTINGS).status_code == 200


def test_any_exception_in_the_worker_stops_training_in_words(client):
    post(client, "/api/train/config", SETTINGS)
    state = client.app.state.training

    def broken() -> float:
        raise RuntimeError("something broke")

    state.run.step = broken
    with socket(client) as ws:
        ws.send_text(json.dumps({"train": True}))
        for _ in range(200):
            frame = json.loads(ws.receive_text())
            if frame["error"]:
                break
        assert "RuntimeError" in frame["error"] and "something broke" in frame["error"]
        assert state.worker.is_alive() and not state.training.is_set()


def test_details_on_blown_up_weights_is_400_in_words(client):
    post(client, "/api/train/config", RELU)
    for p in client.app.state.training.run.params:
        p.data = 1e300
    response = post(client, "/api/train/details", {"index": 0})
    assert response.status_code == 400 and "overflowed" in response.json()["error"]


def test_step_that_blows_up_is_400_and_the_count_stays(client):
    post(client, "/api/train/config", BLOWS_UP)
    response = post(client, "/api/train/step", {"updates": 100})
    assert response.status_code == 400 and "overflowed" in response.json()["error"]
    frame = post(client, "/api/train/frame", {}).json()
    assert frame["update"] == len(frame["history"])


def _workers() -> int:
    return sum(1 for t in threading.enumerate() if t.name == WORKER_NAME)


def test_all_sockets_share_one_worker(client):
    post(client, "/api/train/config", SETTINGS)
    before = _workers()
    with socket(client) as a, socket(client) as b, socket(client) as c:
        for ws in (a, b, c):
            json.loads(ws.receive_text())
        assert _workers() == before + 1
        assert client.app.state.training.sockets == 3


def test_one_socket_too_many_is_refused_with_1013(client):
    post(client, "/api/train/config", SETTINGS)
    opened = [socket(client) for _ in range(MAX_SOCKETS)]
    sessions = [s.__enter__() for s in opened]
    try:
        for ws in sessions:
            json.loads(ws.receive_text())
        with socket(client) as extra:
            assert "pages open" in json.loads(extra.receive_text())["error"]
            with pytest.raises(WebSocketDisconnect) as closed:
                extra.receive_text()
            assert closed.value.code == 1013
    finally:
        for s in opened:
            s.__exit__(None, None, None)
    assert client.app.state.training.sockets == 0


def test_closing_one_socket_does_not_pause_the_others(client):
    post(client, "/api/train/config", SETTINGS)
    state = client.app.state.training
    with socket(client) as keep:
        json.loads(keep.receive_text())
        with socket(client) as leave:
            json.loads(leave.receive_text())
            leave.send_text(json.dumps({"train": True}))
            while not json.loads(keep.receive_text())["training"]:
                pass
        assert state.sockets == 1 and state.training.is_set()
        keep.send_text(json.dumps({"train": False}))
    assert state.sockets == 0 and not state.training.is_set()


def test_the_registered_point_graph_holds_no_gradients(client):
    post(client, "/api/train/config", SETTINGS)
    details = post(client, "/api/train/details", {"index": 3}).json()
    graph = client.app.state.graphs.get(details["graph"])
    assert all(v.grad == 0.0 for v in topological_order(graph.root))
    view = post(client, "/api/expr/view", {"graph": details["graph"]}).json()
    assert "earlier backward" not in json.dumps(view)


def test_a_bad_learning_rate_names_the_text(client):
    response = post(client, "/api/train/config", {"lr": "abc"})
    assert response.status_code == 400 and "'abc'" in response.json()["error"]


def test_an_exception_building_the_frame_is_sent_in_words(client):
    post(client, "/api/train/config", SETTINGS)
    state = client.app.state.training

    def broken(*, grid: bool = True) -> dict:
        raise RuntimeError("no picture today")

    state.run.frame = broken
    with socket(client) as ws:
        json.loads(ws.receive_text())  # built before the frame broke
        ws.send_text(json.dumps({"train": False}))  # a new frame is built
        for _ in range(5):  # the sender may first repeat the frame it had
            frame = json.loads(ws.receive_text())
            if frame["error"]:
                break
        assert frame["update"] == 0 and frame["grid"] is None
        assert "RuntimeError" in frame["error"] and "no picture today" in frame["error"]
    assert post(client, "/api/train/frame", {}).status_code == 200
