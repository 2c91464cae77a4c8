"""The training bench's routes: one `TrainingRun` per lab, driven over JSON and a WebSocket.

    POST /api/train/config   {settings}            a new run (see `nn.lab.training.parse_config`)
    POST /api/train/step     {"updates": n}        n updates now (1 to 100), returns the frame
    POST /api/train/rewind   {"update": k}         back to just after update k
    POST /api/train/point    {"op": "add"|"delete"|"select", ...}
    POST /api/train/details  {"index": i}          a point's numbers, δ steps and graph id
    POST /api/train/frame    {}                    the current frame and loss history
    WS   /api/train/socket?token=...               {"train": true|false}; frames as they come

Training runs on one worker thread per lab, shared by every socket (N pages train as fast as
one); the event loop only sends frames, always the latest (frames the page is too slow for are
dropped, never queued). At most `MAX_SOCKETS` sockets are open at once: one more is told why
and closed with code 1013 (try again later). Training pauses when the last socket closes. An
exception in the worker stops training and is sent to the pages in words.
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
from nn.lab.training import TrainingRun, overflow_message, parse_config, whole_number

__all__ = ["routes", "TrainingState", "MAX_SOCKETS", "WORKER_NAME"]

MAX_SOCKETS = 8
WORKER_NAME = "lab-training"


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
        self.sockets = 0
        self.worker: threading.Thread | None = None
        self.stop = threading.Event()
        self.bump(restart=True)

    def start_worker(self) -> None:
        """Start the one worker thread (once; later calls do nothing)."""
        with self.lock:
            if self.worker is None or not self.worker.is_alive():
                self.worker = threading.Thread(
                    target=self.train_forever, args=(self.stop,), name=WORKER_NAME, daemon=True
                )
                self.worker.start()

    def open_socket(self) -> bool:
        """Count one more socket; False (and nothing counted) when `MAX_SOCKETS` are open."""
        with self.lock:
            if self.sockets >= MAX_SOCKETS:
                return False
            self.sockets += 1
        return True

    def close_socket(self) -> None:
        """Count one socket less; the last one to close pauses training."""
        with self.lock:
            self.sockets -= 1
            last = self.sockets == 0
        if last:
            self.training.clear()
            self.bump()

    def fail(self, message: str) -> None:
        """Stop training and tell the pages why."""
        with self.lock:
            self.training.clear()
            self.error = message
        self.bump()

    def bump(self, *, restart: bool = False) -> None:
        """Build the frame of the run as it is now (off the event loop) and wake the senders."""
        with self.lock:
            try:
                frame = self.run.frame()
            except Exception as exc:  # the page must hear of it, the server must go on
                self.training.clear()
                self.error = _in_words(exc, self.run.update)
                frame = {"update": self.run.update, "epoch": self.run.epoch, "loss": None}
                frame |= {"accuracy": None, "grid": None, "points": [], "weights": []}
                frame |= {"deltas": None, "health": [], "widths": self.run.widths}
                frame |= {"box": list(self.run.box), "grid_size": self.run.config.grid}
            if frame.get("error"):
                self.training.clear()
                self.error = frame["error"]
            frame["training"] = self.training.is_set()
            frame["error"] = self.error
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
        frame["version"] = version  # the page drops a frame older than one it has shown
        frame["history_start"] = start
        frame["history"] = [row for row in history if row[0] <= frame["update"]]
        return version, frame

    def train_forever(self, stop: threading.Event) -> None:
        """Worker thread: updates while `training` is set, until `stop`."""
        while not stop.is_set():
            if not self.training.wait(0.1):
                continue
            try:
                with self.lock:
                    self.run.step()
                    self.error = ""
            except Exception as exc:  # any failure stops training, in words; the thread goes on
                self.fail(_in_words(exc, self.run.update + 1))
                continue
            self.bump()


def _in_words(exc: Exception, update: int) -> str:
    """A worker's exception as the page shows it: a `LabInputError`'s own message, an
    overflow as the blown-up-weights warning, anything else named."""
    if isinstance(exc, LabInputError):
        return exc.message
    if isinstance(exc, ArithmeticError):
        return overflow_message(update)
    return f"training stopped at update {update}: {type(exc).__name__}: {exc}"[:300]


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
        state.error = ""
    state.bump(restart=True)
    return JSONResponse(_frame(state))


async def step(request: Request) -> JSONResponse:
    state = _state(request)
    body = await _body(request)
    n = whole_number(body, "updates", 1, 1, 100)
    try:
        with state.lock:
            for _ in range(n):
                state.run.step()
    finally:
        state.bump()
    return JSONResponse(_frame(state))


async def rewind(request: Request) -> JSONResponse:
    state = _state(request)
    body = await _body(request)
    state.training.clear()
    with state.lock:
        state.run.rewind(body.get("update"))
        state.error = ""
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
        # a fresh graph with no gradients: the bench's backward() is the learner's first
        loss, _, inputs = state.run.point_graph(index, backward=False)
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
    if not state.open_socket():
        message = f"the lab has {MAX_SOCKETS} pages open already: close one and reload"
        await websocket.send_text(json.dumps({"error": message}))
        await websocket.close(code=1013, reason="too many pages open")
        return
    try:
        await _serve(websocket, state)
    finally:
        state.close_socket()


async def _serve(websocket: WebSocket, state: TrainingState) -> None:
    state.start_worker()
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
            sent["version"], sent["update"] = version, current["update"]
            await websocket.send_text(json.dumps(current))

    listener = asyncio.ensure_future(listen())
    sender = asyncio.ensure_future(send())
    try:
        await asyncio.wait({listener, sender}, return_when=asyncio.FIRST_COMPLETED)
    except WebSocketDisconnect:
        pass
    finally:
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
