"""The training bench's routes: one `TrainingRun` per lab, driven over JSON and a WebSocket.

    POST /api/train/config   {settings}            a new run (see `nn.lab.training.parse_config`)
    POST /api/train/step     {"updates": n}        n updates now (1 to 100), returns the frame
    POST /api/train/rewind   {"update": k}         back to just after update k
    POST /api/train/point    {"op": "add"|"delete"|"select", ...}
    POST /api/train/details  {"index": i}          a point's numbers, δ steps and graph id
    POST /api/train/frame    {}                    the current frame and loss history
    WS   /api/train/socket?token=...               {"train": true|false}; frames as they come

Training runs on a worker thread; the event loop only sends frames, always the latest (frames
the page is too slow for are dropped, never queued).
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from nn.lab.errors import LabInputError
from nn.lab.training import TrainingRun, parse_config

__all__ = ["routes", "TrainingState"]


class TrainingState:
    """The lab's run, its lock (the worker thread and the routes share it) and the worker."""

    def __init__(self, limits: Any) -> None:
        self.limits = limits
        self.lock = threading.Lock()
        self.run = TrainingRun(parse_config({}, limits), limits)
        self.training = threading.Event()
        self.error = ""
        self.changed = threading.Condition()
        self.version = 0
        self.latest: dict = {}
        self.restarted = 0  # the version of the latest new run or rewind
        self.bump(restart=True)

    def bump(self, *, restart: bool = False) -> None:
        """Build the frame of the run as it is now (off the event loop) and wake the senders."""
        with self.lock:
            frame = self.run.frame()
            frame["training"] = self.training.is_set()
        with self.changed:
            self.version += 1
            if restart:
                self.restarted = self.version
            self.latest = frame
            self.changed.notify_all()

    def take(self, sent_version: int, sent_update: int) -> tuple[int, dict]:
        """The latest frame with the loss history the page has not had yet: from its last
        update, or from 0 after a new run or a rewind."""
        with self.changed:
            version, frame = self.version, dict(self.latest)
            start = 0 if self.restarted > sent_version else min(sent_update, frame["update"])
        with self.lock:
            history = self.run.history(start)
        frame["history_start"] = start
        frame["history"] = [row for row in history if row[0] <= frame["update"]]
        return version, frame

    def train_forever(self, stop: threading.Event) -> None:
        """Worker thread: updates while `training` is set, until `stop`."""
        while not stop.is_set():
            if not self.training.wait(0.1):
                continue
            with self.lock:
                try:
                    self.run.step()
                except LabInputError as exc:
                    self.training.clear()
                    self.error = str(exc)
            self.bump()


def _state(request: Request | WebSocket) -> TrainingState:
    app = request.app
    if getattr(app.state, "training", None) is None:
        app.state.training = TrainingState(app.state.limits)
    return app.state.training


async def _body(request: Request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        raise LabInputError("the request body is not JSON") from None
    if not isinstance(body, dict):
        raise LabInputError("the request body must be a JSON object")
    return body


def _frame(state: TrainingState) -> dict:
    """The latest frame with the whole loss history (for the JSON routes)."""
    return state.take(-1, 0)[1] | {"history_start": 0, "history": state.run.history(0)}


async def config(request: Request) -> JSONResponse:
    state = _state(request)
    body = await _body(request)
    new = TrainingRun(parse_config(body, state.limits), state.limits)
    state.training.clear()
    with state.lock:
        state.run = new
    state.bump(restart=True)
    return JSONResponse(_frame(state))


async def step(request: Request) -> JSONResponse:
    state = _state(request)
    body = await _body(request)
    n = body.get("updates", 1)
    if type(n) is not int or not 1 <= n <= 100:
        raise LabInputError(f"updates must be a whole number from 1 to 100, got {n!r}"[:120])
    with state.lock:
        for _ in range(n):
            state.run.step()
    state.bump()
    return JSONResponse(_frame(state))


async def rewind(request: Request) -> JSONResponse:
    state = _state(request)
    body = await _body(request)
    state.training.clear()
    with state.lock:
        state.run.rewind(body.get("update"))
    state.bump(restart=True)
    return JSONResponse(_frame(state))


async def point(request: Request) -> JSONResponse:
    state = _state(request)
    body = await _body(request)
    op = body.get("op")
    with state.lock:
        run = state.run
        if op == "add":
            run.add_point(body.get("x"), body.get("y"), body.get("class"))
        elif op == "delete":
            run.delete_point(body.get("index"))
        elif op == "select":
            run.select(body.get("index"))
        else:
            raise LabInputError(f"op must be add, delete or select, got {op!r}"[:120])
    state.bump()
    return JSONResponse(_frame(state))


async def details(request: Request) -> JSONResponse:
    state = _state(request)
    body = await _body(request)
    index = body.get("index")
    with state.lock:
        found = state.run.point_details(index)
        loss, _, inputs = state.run.point_graph(index)
    graphs = getattr(request.app.state, "graphs", None)
    if graphs is not None:
        found["graph"] = graphs.register(
            loss,
            title=f"the loss of point {index}",
            inputs={v.label: v for v in inputs},
        )
    return JSONResponse(found)


async def frame(request: Request) -> JSONResponse:
    return JSONResponse(_frame(_state(request)))


async def socket(websocket: WebSocket) -> None:
    """Frames to the page as the run changes; {"train": bool} from the page starts or pauses."""
    state = _state(websocket)
    await websocket.accept()
    stop = threading.Event()
    worker = threading.Thread(target=state.train_forever, args=(stop,), daemon=True)
    worker.start()
    sent = {"version": -1, "update": 0}
    await websocket.send_text(json.dumps(state.take(-1, 0)[1]))

    async def listen() -> None:
        while True:
            message = await websocket.receive_text()
            try:
                wanted = json.loads(message).get("train")
            except (ValueError, AttributeError):
                continue
            if wanted is True:
                state.training.set()
            elif wanted is False:
                state.training.clear()
            state.bump()

    def wait_for_change(version: int) -> int:
        with state.changed:
            state.changed.wait_for(lambda: state.version != version, timeout=0.5)
            return state.version

    async def send() -> None:
        while True:
            version = await asyncio.to_thread(wait_for_change, sent["version"])
            if version == sent["version"]:
                continue
            # the latest only: the frames made while the page was busy are dropped
            version, current = state.take(sent["version"], sent["update"])
            current["error"] = state.error
            sent["version"], sent["update"] = version, current["update"]
            await websocket.send_text(json.dumps(current))

    listener = asyncio.ensure_future(listen())
    sender = asyncio.ensure_future(send())
    try:
        await asyncio.wait({listener, sender}, return_when=asyncio.FIRST_COMPLETED)
    except WebSocketDisconnect:
        pass
    finally:
        state.training.clear()
        stop.set()
        listener.cancel()
        sender.cancel()


def routes() -> list:
    """The training bench's routes, mounted by `nn.lab.app.create_app`."""
    return [
        Route("/api/train/config", config, methods=["POST"]),
        Route("/api/train/step", step, methods=["POST"]),
        Route("/api/train/rewind", rewind, methods=["POST"]),
        Route("/api/train/point", point, methods=["POST"]),
        Route("/api/train/details", details, methods=["POST"]),
        Route("/api/train/frame", frame, methods=["POST", "GET"]),
        WebSocketRoute("/api/train/socket", socket),
    ]
