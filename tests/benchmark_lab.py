"""The training bench's speed: updates a second reaching a WebSocket client, and click to picture.

    python tests/benchmark_lab.py            # MLP(2, [16, 16, 1]), 200 points, 50×50 grid, 5 s
    python tests/benchmark_lab.py --quick    # a tiny run (the test runs this)

It starts the real lab app on uvicorn at 127.0.0.1 on a free port, connects a WebSocket client
(`websockets`), starts training and counts the distinct updates that arrive in frames, and the
updates the server made (frames the client is too slow for are dropped: the updates still
happen). Then, paused, it times a click to the frame it causes: one update (POST step) and
adding a point (POST point), until the socket delivers the new frame.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(app, port: int):
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the lab server did not start within 20 s")
        time.sleep(0.02)
    return server, thread


def _until(ws, test, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if test(frame):
            return frame


def measure(seconds: float, points: int, grid: int, clicks: int) -> dict:
    import httpx
    from websockets.sync.client import connect

    from nn.lab.app import HEADER, create_app

    token = "benchmark-token-0123456789"
    port = _free_port()
    server, thread = _serve(create_app(token), port)
    base = f"http://127.0.0.1:{port}"
    http = httpx.Client(base_url=base, headers={HEADER: token}, timeout=60)
    try:
        settings = {"points": points, "grid": grid, "hidden": [16, 16], "seed": 0}
        http.post("/api/train/config", json=settings).raise_for_status()
        with connect(f"ws://127.0.0.1:{port}/api/train/socket?token={token}") as ws:
            _until(ws, lambda f: True)
            ws.send(json.dumps({"train": True}))
            first = _until(ws, lambda f: f["update"] > 0)
            start, received = time.perf_counter(), 1
            last = first["update"]
            while time.perf_counter() - start < seconds:
                frame = json.loads(ws.recv(timeout=30))
                if frame["update"] != last:
                    received += 1
                    last = frame["update"]
            elapsed = time.perf_counter() - start
            ws.send(json.dumps({"train": False}))
            frame = _until(ws, lambda f: not f["training"])
            updates_made = frame["update"] - first["update"]
            step_ms, point_ms = [], []
            for i in range(clicks):
                now = frame["update"]
                t0 = time.perf_counter()
                http.post("/api/train/step", json={"updates": 1}).raise_for_status()
                frame = _until(ws, lambda f, now=now: f["update"] == now + 1)
                step_ms.append((time.perf_counter() - t0) * 1000)
                count = len(frame["points"])
                t0 = time.perf_counter()
                payload = {"op": "add", "x": 0.01 * i, "y": 0.0, "class": i % 2}
                http.post("/api/train/point", json=payload).raise_for_status()
                frame = _until(ws, lambda f, count=count: len(f["points"]) == count + 1)
                point_ms.append((time.perf_counter() - t0) * 1000)
    finally:
        http.close()
        server.should_exit = True
        thread.join(timeout=10)
    return {
        "frames_per_second": (received - 1) / elapsed,
        "updates_per_second": updates_made / elapsed,
        "click_step_ms": statistics.median(step_ms),
        "click_point_ms": statistics.median(point_ms),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tiny run, to check it works")
    args = parser.parse_args(argv)
    if args.quick:
        figures = measure(seconds=1.0, points=30, grid=10, clicks=2)
    else:
        figures = measure(seconds=5.0, points=200, grid=50, clicks=10)
    size = "30 points, 10×10 grid" if args.quick else "200 points, 50×50 grid"
    print(f"training bench: MLP(2, [16, 16, 1]), {size}, full batch, SGD")
    print(f"updates reaching the client per second  {figures['frames_per_second']:.1f}")
    print(f"updates made by the server per second   {figures['updates_per_second']:.1f}")
    print(f"click 'one update' to its frame (ms)    {figures['click_step_ms']:.1f}")
    print(f"click 'add a point' to its frame (ms)   {figures['click_point_ms']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
