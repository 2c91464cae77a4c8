"""The lab's app: token, Origin, body size, JSON errors in words, static files, the routes."""

from __future__ import annotations

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.routing import Route
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from nn.lab.app import HEADER, cookie_name, create_app
from nn.lab.errors import LabInputError
from nn.lab.expression_bench import GraphRegistry
from nn.lab.limits import Limits

TOKEN = "a-test-token-123"
NEURON = {
    "expression": "tanh(x1*w1 + x2*w2 + b)",
    "values": "x1=2 w1=-3 x2=0 w2=1 b=6.881373587019543",
}


@pytest.fixture
def client():
    return TestClient(create_app(TOKEN))


def _ok(client, path="/api/expr/options", **kwargs):
    return client.get(path, headers={HEADER: TOKEN}, **kwargs)


def test_state_and_limits():
    app = create_app(TOKEN, limits=Limits(max_nodes=9))
    assert app.state.limits.max_nodes == 9
    assert isinstance(app.state.graphs, GraphRegistry)
    assert app.state.training is None
    with pytest.raises(ValueError, match="at least 8"):
        create_app("short")
    with pytest.raises(ValueError, match="max_nodes"):
        Limits(max_nodes=0)


@pytest.mark.parametrize(
    "headers", [{}, {HEADER: "wrong"}, {HEADER: TOKEN + "x"}, {HEADER: ""}, {HEADER: TOKEN[:-1]}]
)
def test_a_missing_or_wrong_token_is_refused(client, headers):
    response = client.get("/api/expr/options", headers=headers)
    assert response.status_code == 403
    assert "token is missing or wrong" in response.json()["error"]


def test_the_token_by_query_header_or_cookie(client):
    assert client.get(f"/api/expr/options?token={TOKEN}").status_code == 200
    assert _ok(client).status_code == 200
    page = client.get(f"/?token={TOKEN}")
    assert page.status_code == 200 and "expression-bench" in page.text
    assert client.cookies.get(cookie_name(TOKEN)) == TOKEN
    assert client.get("/static/lab.css").status_code == 200  # the cookie carries the token
    client.cookies.clear()
    assert client.get("/static/lab.css").status_code == 403


def test_cross_origin_is_refused(client):
    for origin in ("http://evil.example", "null", "http://testserver.evil", "file://"):
        response = client.post(
            "/api/expr/build", json=NEURON, headers={HEADER: TOKEN, "Origin": origin}
        )
        assert response.status_code == 403, origin
        assert "wrong Origin" in response.json()["error"]
    same = client.post(
        "/api/expr/build", json=NEURON, headers={HEADER: TOKEN, "Origin": "http://testserver"}
    )
    assert same.status_code == 200


def test_a_big_body_is_refused(client):
    limit = Limits().max_body_bytes
    response = client.post(
        "/api/expr/build", content=b"{" + b" " * limit + b"}", headers={HEADER: TOKEN}
    )
    assert response.status_code == 413
    assert f"{limit:,} bytes" in response.json()["error"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{bad", "not valid JSON"),
        (b"", "no body"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"expression": NaN}', "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[" * 5000 + b"]" * 5000, "JSON"),
    ],
)
def test_malformed_json_gets_400_in_words(client, body, words):
    response = client.post("/api/expr/build", content=body, headers={HEADER: TOKEN})
    assert response.status_code == 400
    assert words in response.json()["error"]


def test_unknown_routes_and_methods_are_json(client):
    missing = _ok(client, "/api/nothing")
    assert missing.status_code == 404 and "no page '/api/nothing'" in missing.json()["error"]
    wrong = _ok(client, "/api/expr/build")
    assert wrong.status_code == 405 and wrong.json()["error"] == "wrong method here"


def test_a_crash_in_a_route_is_json_and_the_server_keeps_serving():
    app = create_app(TOKEN)

    async def boom(request):
        raise RuntimeError("the disk is on fire")

    async def refuse(request):
        raise LabInputError("the rate must be above 0, got -1", field="rate")

    app.router.routes.append(Route("/boom", boom))
    app.router.routes.append(Route("/refuse", refuse))
    client = TestClient(app, raise_server_exceptions=False)
    crashed = _ok(client, "/boom")
    assert crashed.status_code == 500
    assert crashed.json() == {
        "error": "the lab could not do that (RuntimeError: the disk is on fire)"
    }
    assert "Traceback" not in crashed.text
    refused = _ok(client, "/refuse")
    assert refused.status_code == 400
    assert refused.json() == {"error": "the rate must be above 0, got -1", "field": "rate"}
    assert _ok(client).status_code == 200


def test_a_socket_needs_the_token(client):
    for path in ("/api/expr/ws", "/api/expr/ws?token=wrong"):
        with pytest.raises(WebSocketDisconnect) as caught:
            with client.websocket_connect(path):
                pass
        assert caught.value.code == 1008


def test_build_view_answer(client):
    headers = {HEADER: TOKEN}
    built = client.post("/api/expr/build", json=NEURON, headers=headers).json()
    assert dict(built["gradients"])["x1"] == "-1.5" and built["graph"].startswith("g")
    again = client.post(
        "/api/expr/view", json={"graph": built["graph"], "digits": 2}, headers=headers
    ).json()
    assert again["digits"] == 2 and len(again["steps"]) == len(built["steps"])
    step = next(i for i, s in enumerate(built["steps"]) if s["ask"])
    answer = built["steps"][step]["ask"][0]["text"]
    verdict = client.post(
        "/api/expr/answer",
        json={"graph": built["graph"], "step": step, "question": 0, "answer": answer},
        headers=headers,
    ).json()
    assert verdict["right"] is True
    bad = client.post(
        "/api/expr/build", json={"expression": "log(x)", "values": "x=-1"}, headers=headers
    )
    assert bad.status_code == 400 and bad.json()["field"] == "expression"
    assert "log" in bad.json()["error"]


def test_a_registered_graph_is_served_like_a_typed_one(client):
    from engine.core.value import Value

    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    gid = client.app.state.graphs.register((x * w).tanh(), title="a point", inputs={"x": x, "w": w})
    data = client.post("/api/expr/view", json={"graph": gid}, headers={HEADER: TOKEN}).json()
    assert data["title"] == "a point" and data["svg"] and len(data["derivations"]) == 2
    gone = client.post("/api/expr/view", json={"graph": "g999"}, headers={HEADER: TOKEN})
    assert gone.status_code == 400 and "no graph 'g999'" in gone.json()["error"]


def test_options_lists_notations(client):
    options = _ok(client).json()
    assert options["notations"][0] == "default" and options["digits"][:2] == [None, 1]
