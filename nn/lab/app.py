"""The lab's ASGI app: Starlette routes behind one security middleware.

    app = create_app(secrets.token_urlsafe(16))     # uvicorn.run(app, host="127.0.0.1")

`LabSecurity` (pure ASGI, for http and websocket alike) lets a request in only when

* it carries the token: ``?token=...``, the header ``X-Lab-Token``, or the cookie the page gets
  when it is opened with the token (so ``<script src>`` and KaTeX's fonts load too); tokens are
  compared with `hmac.compare_digest`. Missing or wrong: 403;
* its ``Origin`` header, if any, is this server's own origin (another site's page may not drive
  the lab): else 403;
* its body is at most ``limits.max_body_bytes``: else 413.

Inside, bad input raises `LabInputError` -> 400 ``{"error": message}``; any other exception ->
500 ``{"error": "..."}`` in words. No response ever holds a traceback, and the server keeps
serving. Errors are JSON everywhere, unknown routes (404) and wrong methods (405) included.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import logging
from pathlib import Path
from typing import Any, Awaitable, Callable, MutableMapping
from urllib.parse import parse_qs, urlsplit

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from nn.lab.errors import LabInputError
from nn.lab.limits import Limits

__all__ = ["create_app", "LabInputError", "LabSecurity", "json_body", "cookie_name", "STATIC"]

STATIC = Path(__file__).parent / "static"
HEADER = "x-lab-token"
_log = logging.getLogger("nn.lab")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def cookie_name(token: str) -> str:
    """The page's cookie, named after the token's hash so two labs on one machine (cookies are
    shared across ports) do not overwrite each other's."""
    return "lab_" + hashlib.sha256(token.encode()).hexdigest()[:12]


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _cookies(header: str) -> dict[str, str]:
    jar = {}
    for part in header.split(";"):
        name, equals, value = part.strip().partition("=")
        if equals:
            jar[name] = value
    return jar


def _json_bytes(status: int, message: str) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    body = json.dumps({"error": message}).encode()
    return body, [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]


async def _send_error(send: Send, status: int, message: str) -> None:
    body, headers = _json_bytes(status, message)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class LabSecurity:
    """Token, Origin and body-size checks, and errors as JSON in words (see the module)."""

    def __init__(self, app: ASGIApp, token: str, limits: Limits) -> None:
        self.app = app
        self.token = token.encode()
        self.cookie = cookie_name(token)
        self.limits = limits

    def _token_ok(self, scope: Scope, headers: dict[str, str]) -> bool:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = [*query.get("token", [])[:1], headers.get(HEADER, "")]
        given.append(_cookies(headers.get("cookie", "")).get(self.cookie, ""))
        ok = False
        for text in given:  # every candidate is compared, in constant time each
            ok |= hmac.compare_digest(text.encode("utf-8", "replace"), self.token)
        return ok

    @staticmethod
    def _origin_ok(headers: dict[str, str]) -> bool:
        origin = headers.get("origin")
        if origin is None:
            return True  # same-origin GETs and non-browser clients send none
        host = headers.get("host", "")
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and bool(host) and parts.netloc == host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        refusal = None
        if not self._origin_ok(headers):
            refusal = "requests from another site's page are refused (wrong Origin)"
        elif not self._token_ok(scope, headers):
            refusal = (
                "the lab's token is missing or wrong: open the URL that `chainrule lab` printed "
                "(it ends in ?token=...)"
            )
        if scope["type"] == "websocket":
            if refusal is not None:
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": 1008, "reason": refusal[:120]})
                return
            await self.app(scope, receive, send)
            return
        if refusal is not None:
            await _send_error(send, 403, refusal)
            return
        await self._http(scope, receive, send, headers)

    async def _http(self, scope: Scope, receive: Receive, send: Send, headers: dict) -> None:
        limit = self.limits.max_body_bytes
        too_big = f"the request is larger than the lab's limit of {limit:,} bytes"
        declared = headers.get("content-length", "0")
        if not declared.isdigit():
            await _send_error(send, 400, f"bad Content-Length {declared[:20]!r}")
            return
        if int(declared) > limit:
            await _send_error(send, 413, too_big)
            return
        body, more, disconnected = b"", True, False
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                disconnected = True
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > limit:
                await _send_error(send, 413, too_big)
                return
        if disconnected:
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, replay, watch)
        except Exception as exc:  # the last net: log it, answer in words, keep serving
            _log.error("lab: %s on %s: %s", type(exc).__name__, scope.get("path"), exc)
            if not started:
                await _send_error(
                    send, 500, f"the lab could not do that ({type(exc).__name__}: {exc})"[:300]
                )


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; LabInputError (-> 400) for anything else."""
    raw = await request.body()
    if not raw:
        raise LabInputError("the request has no body: send a JSON object")

    def refuse_constant(name: str) -> Any:
        raise ValueError(f"{name} is not a number JSON allows")

    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=refuse_constant)
    except RecursionError:
        raise LabInputError("the request's JSON is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise LabInputError(f"the request body is not valid JSON ({str(exc)[:80]})") from None
    if not isinstance(data, dict):
        raise LabInputError(f"the request must be a JSON object, got {type(data).__name__}")
    return data


async def _input_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LabInputError)
    content: dict[str, Any] = {"error": exc.message}
    if exc.field:
        content["field"] = exc.field
    return JSONResponse(content, status_code=400)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    words = {404: f"there is no page {request.url.path[:80]!r} here", 405: "wrong method here"}
    return JSONResponse(
        {"error": words.get(exc.status_code, str(exc.detail))}, status_code=exc.status_code
    )


def _page(token: str) -> Callable[[Request], Awaitable[Response]]:
    async def page(request: Request) -> Response:
        html = (STATIC / "lab.html").read_text(encoding="utf-8")
        response = HTMLResponse(html, headers={"Cache-Control": "no-store"})
        response.set_cookie(cookie_name(token), token, httponly=True, samesite="strict")
        return response

    return page


def _bench_routes() -> list[BaseRoute]:
    from nn.lab import expression_routes

    routes: list[BaseRoute] = list(expression_routes.routes())
    try:
        training_routes = importlib.import_module("nn.lab.training_routes")
    except ModuleNotFoundError as exc:  # the training bench is not installed (yet)
        if exc.name != "nn.lab.training_routes":
            raise
    else:
        routes += training_routes.routes()
    return routes


def create_app(token: str, *, limits: Limits | None = None) -> Starlette:
    """The lab: ``/`` (the page), ``/static/...``, ``/api/expr/...`` and ``/api/train/...``,
    all behind `LabSecurity` with `token`. ``app.state.limits`` holds the caps,
    ``app.state.graphs`` the expression bench's `GraphRegistry`, ``app.state.training`` the
    training bench's state (None until it makes it)."""
    from nn.lab.expression_bench import GraphRegistry

    if not isinstance(token, str) or len(token) < 8:
        raise ValueError(f"the lab's token must be a str of at least 8 characters, got {token!r}")
    caps = limits or Limits()
    routes: list[BaseRoute] = [
        Route("/", _page(token)),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
        *_bench_routes(),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(LabSecurity, token=token, limits=caps)],
        exception_handlers={LabInputError: _input_error, HTTPException: _http_error},
    )
    app.state.limits = caps
    app.state.graphs = GraphRegistry(caps.max_graphs)
    app.state.training = None
    return app
