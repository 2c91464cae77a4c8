"""The training bench's routes: settings, updates, rewind, points, details, the socket."""

from __future__ import annotations

import json
import math

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")
pytest.importorskip("numpy")

from starlette.testclient import TestClient

from nn.lab.app import HEADER, create_app
from nn.lab.limits import Limits
from nn.lab.training import TrainingRun, eager_losses, parse_config

TOKEN = "a-test-token-456"
SETTINGS = {"points": 40, "grid": 12, "seed": 5}


@pytest.fixture
def client():
    return TestClient(create_app(TOKEN))


def post(client, path, payload):
    return client.post(path, json=payload, headers={HEADER: TOKEN})


def test_updates_through_the_routes_give_an_eager_runs_losses(client):
    assert post(client, "/api/train/config", SETTINGS).status_code == 200
    frame = post(client, "/api/train/step", {"updates": 12}).json()
    assert frame["update"] == 12 and len(frame["grid"]) == 144
    losses = [row[1] for row in frame["history"]]
    eager = eager_losses(parse_config(SETTINGS, Limits()), 12)
    assert all(math.isclose(a, b, rel_tol=0, abs_tol=1e-12) for a, b in zip(losses, eager))


def test_rewind_and_continue_through_the_routes_is_exact(client):
    post(client, "/api/train/config", SETTINGS)
    first = post(client, "/api/train/step", {"updates": 20}).json()["history"]
    assert post(client, "/api/train/rewind", {"update": 8}).json()["update"] == 8
    again = post(client, "/api/train/step", {"updates": 12}).json()["history"]
    assert again == first


def test_points_and_details(client):
    post(client, "/api/train/config", SETTINGS)
    frame = post(client, "/api/train/point", {"op": "add", "x": 0.1, "y": 0.2, "class": 1}).json()
    assert frame["points"][-1] == [0.1, 0.2, 1]
    details = post(client, "/api/train/details", {"index": 40}).json()
    assert details["x"] == [0.1, 0.2] and details["graph"]
    run = TrainingRun(parse_config(SETTINGS, Limits()), Limits())
    run.add_point(0.1, 0.2, 1)
    assert details["loss"] == run.point_details(40)["loss"]
    view = post(client, "/api/expr/view", {"graph": details["graph"]})
    assert view.status_code == 200 and view.json()["graph"] == details["graph"]


@pytest.mark.parametrize(
    "path, payload, word",
    [
        ("/api/train/config", {"hidden": [99]}, "width"),
        ("/api/train/config", {"points": 5000}, "points"),
        ("/api/train/step", {"updates": 10**9}, "updates"),
        ("/api/train/rewind", {"update": 99}, "rewind"),
        ("/api/train/point", {"op": "add", "x": "a", "y": 0, "class": 0}, "number"),
        ("/api/train/point", {"op": "explode"}, "op"),
        ("/api/train/details", {"index": -1}, "point"),
    ],
)
def test_bad_input_gets_a_message_in_words(client, path, payload, word):
    response = post(client, path, payload)
    assert response.status_code == 400
    assert word in response.json()["error"]
    assert post(client, "/api/train/frame", {}).status_code == 200  # still serving


def test_the_socket_sends_frames_while_training(client):
    post(client, "/api/train/config", SETTINGS)
    with client.websocket_connect(f"/api/train/socket?token={TOKEN}") as ws:
        ws.send_text(json.dumps({"train": True}))
        seen = []
        while len(seen) < 5 or seen[-1] < 3:
            seen.append(json.loads(ws.receive_text())["update"])
        ws.send_text(json.dumps({"train": False}))
    assert seen[-1] >= 3 and seen == sorted(seen)
