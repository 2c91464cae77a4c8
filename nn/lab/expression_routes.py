"""The expression bench's HTTP routes: thin Starlette handlers over `nn.lab.expression_bench`.

    GET  /api/expr/options    {"notations": [...], "digits": [null, 1..17]}
    POST /api/expr/build      {"expression", "values", "digits"?, "notation"?} -> a view
    POST /api/expr/view       {"graph", "digits"?, "notation"?} -> a view (any registered graph)
    POST /api/expr/answer     {"graph", "step", "question", "answer", "digits"?, "notation"?}

A view is `expression_bench.view`'s data plus ``graph`` (its id). The work is done in a thread
(`run_in_threadpool`) so a layout never blocks the event loop.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from nn.lab import expression_bench as bench
from nn.lab.app import json_body

__all__ = ["routes"]


async def options(request: Request) -> Response:
    """The notation names and digit choices the page's selects offer."""
    return JSONResponse({"notations": bench.notation_names(), "digits": [None, *range(1, 18)]})


def _view(request: Request, graph_id: object, payload: dict[str, Any]) -> dict[str, Any]:
    graph = request.app.state.graphs.get(graph_id)
    data = bench.view(
        graph,
        digits=payload.get("digits"),
        notation=payload.get("notation"),
        limits=request.app.state.limits,
    )
    return {**data, "graph": graph_id}


async def build(request: Request) -> Response:
    """Parse and build a typed expression, register it, return its view."""
    payload = await json_body(request)
    limits = request.app.state.limits

    def work() -> dict[str, Any]:
        root, leaves = bench.build_expression(
            payload.get("expression"), payload.get("values", ""), limits
        )
        title = str(payload.get("expression"))
        graph_id = request.app.state.graphs.register(root, title=title, inputs=leaves)
        return _view(request, graph_id, payload)

    return JSONResponse(await run_in_threadpool(work))


async def view(request: Request) -> Response:
    """The view of a registered graph (typed here, or sent by the training bench)."""
    payload = await json_body(request)
    return JSONResponse(await run_in_threadpool(_view, request, payload.get("graph"), payload))


async def answer(request: Request) -> Response:
    """Grade one practice answer with the engine's rule."""
    payload = await json_body(request)

    def work() -> dict[str, Any]:
        graph = request.app.state.graphs.get(payload.get("graph"))
        return bench.grade_answer(
            graph,
            step=payload.get("step"),
            question=payload.get("question"),
            answer=payload.get("answer"),
            digits=payload.get("digits"),
            notation=payload.get("notation"),
            limits=request.app.state.limits,
        )

    return JSONResponse(await run_in_threadpool(work))


def routes() -> list[BaseRoute]:
    """The bench's routes, mounted by `nn.lab.app.create_app`."""
    return [
        Route("/api/expr/options", options, methods=["GET"]),
        Route("/api/expr/build", build, methods=["POST"]),
        Route("/api/expr/view", view, methods=["POST"]),
        Route("/api/expr/answer", answer, methods=["POST"]),
    ]
