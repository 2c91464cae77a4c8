"""The expression bench in plain Python: an expression -> its graph, steps, practice, derivations.

    graphs = GraphRegistry(limits)
    gid = graphs.register(*build_expression("tanh(x*w)", "x=2 w=-3", limits), title="tanh(x*w)")
    data = view(graphs.get(gid), digits=4)            # what the page shows, as JSON-ready data
    grade_answer(graphs.get(gid), step=2, question=0, answer="-3")   # the engine's grading rule

The expression goes through the command line's whitelist parser (`engine.cli.expr`: parsed with
``ast.parse``, never evaluated); the steps, narration and practice questions are the HTML
player's (`engine.step.player.page_data`, one `Stepper` walk), the drawing is `draw_dot`'s
(annotated by `engine.step.player_svg.annotate_svg` so the page can fill in each gradient as the
steps go), the derivations are `engine.step.derivation`'s LaTeX, and an answer is graded by
`engine.step.answers` (the accepted interval and known mistakes each question carries). Every
number the page shows comes from here. No web framework is imported.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Mapping

from engine.core.graph import topological_order
from engine.core.value import Value
from nn.lab.errors import LabInputError
from nn.lab.limits import Limits

__all__ = [
    "GraphRegistry",
    "LabGraph",
    "build_expression",
    "view",
    "grade_answer",
    "notation_names",
    "MAX_DERIVATIONS",
    "ROOT_LABEL",
]

ROOT_LABEL = "out"
"""The name the result gets when it has none (as ``chainrule draw`` names it)."""

MAX_DERIVATIONS = 8
"""At most this many inputs get their derivation ∂out/∂x written out."""

_SPLIT = re.compile(r"[\s,;]+")


@dataclass
class LabGraph:
    """One graph the bench can show: its `root`, a `title`, the named `inputs`, and the views
    already computed for it (keyed by digits and notation)."""

    root: Value
    title: str
    inputs: dict[str, Value]
    nodes: int
    views: dict[tuple[int | None, str | None], dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class GraphRegistry:
    """The graphs the bench can serve, by id; keeps the newest `capacity`, dropping the oldest.

    The training bench registers a data point's backward pass here and the page opens it with
    ``lab.openGraph(id)``, exactly as it opens a typed expression.
    """

    def __init__(self, capacity: int = 64) -> None:
        if type(capacity) is not int or capacity < 1:
            raise ValueError(f"GraphRegistry capacity must be a positive int, got {capacity!r}")
        self.capacity = capacity
        self._graphs: OrderedDict[str, LabGraph] = OrderedDict()
        self._ids = itertools.count(1)

    def __len__(self) -> int:
        return len(self._graphs)

    def register(
        self, root: Value, *, title: str, inputs: Mapping[str, Value] | None = None
    ) -> str:
        """Keep `root`'s graph and return its id (``g1``, ``g2``, ...)."""
        if not isinstance(root, Value):
            raise TypeError(f"register needs a Value as root, got {type(root).__name__} {root!r}")
        if not isinstance(title, str):
            raise TypeError(f"register needs a str title, got {type(title).__name__} {title!r}")
        nodes = len(topological_order(root))
        graph_id = f"g{next(self._ids)}"
        self._graphs[graph_id] = LabGraph(root, title[:200], dict(inputs or {}), nodes)
        while len(self._graphs) > self.capacity:
            self._graphs.popitem(last=False)
        return graph_id

    def get(self, graph_id: object) -> LabGraph:
        """The graph with id `graph_id`; LabInputError when there is none (or it was dropped)."""
        if not isinstance(graph_id, str) or graph_id not in self._graphs:
            shown = repr(graph_id)[:40]
            raise LabInputError(
                f"there is no graph {shown} (the lab keeps the newest {self.capacity}); "
                f"build the expression again"
            )
        return self._graphs[graph_id]


def notation_names() -> list[str]:
    """``["default", ...]`` and the notation profiles of `engine.step.notation`, if it has any."""
    try:
        from engine.step import notation as module
    except ImportError:
        return ["default"]
    profiles = getattr(module, "NOTATIONS", None)
    if not isinstance(profiles, Mapping):
        return ["default"]
    return ["default", *[name for name in profiles if name != "default"]]


def _assignments(values: object) -> list[str]:
    """The values box ``"x1=2 w1=-3"`` (spaces, commas or semicolons between) or a list."""
    if isinstance(values, str):
        return [item for item in _SPLIT.split(values.strip()) if item]
    if isinstance(values, list) and all(isinstance(item, str) for item in values):
        return list(values)
    raise LabInputError(
        f"the values must be text like 'x=2 w=-3', got {type(values).__name__}", field="values"
    )


def build_expression(
    expression: object, values: object, limits: Limits
) -> tuple[Value, dict[str, Value]]:
    """The graph of `expression` with `values` (the CLI's parser and whitelist); returns
    ``(root, {name: leaf})``. Bad input raises LabInputError naming what is wrong."""
    from engine.cli.expr import ExpressionError, build, parse_assignments

    if not isinstance(expression, str):
        raise LabInputError(
            f"the expression must be text, got {type(expression).__name__}", field="expression"
        )
    if len(expression) > limits.max_expression_chars:
        raise LabInputError(
            f"the expression is {len(expression):,} characters long; the lab takes at most "
            f"{limits.max_expression_chars:,}",
            field="expression",
        )
    items = _assignments(values)
    if len(items) > limits.max_nodes:
        raise LabInputError(f"{len(items):,} values is too many", field="values")
    try:
        numbers = parse_assignments(items)
    except ExpressionError as exc:
        raise LabInputError(exc.reason, field="values") from None
    try:
        root, leaves = build(expression, numbers)
    except ExpressionError as exc:
        raise LabInputError(_located(exc), field="expression") from None
    except RecursionError:
        raise LabInputError("the expression is nested too deeply", field="expression") from None
    nodes = len(topological_order(root))
    if nodes > limits.max_nodes:
        raise LabInputError(
            f"the expression makes {nodes:,} nodes; the lab steps at most {limits.max_nodes:,}",
            field="expression",
        )
    unused = sorted(set(numbers) - set(leaves))
    if unused:
        raise LabInputError(
            f"not in the expression: {', '.join(unused)} (remove them or use them)",
            field="values",
        )
    if not root.label:
        root.label = ROOT_LABEL
    return root, leaves


def _located(exc: Any) -> str:
    """The parser's reason, with the column it points at (1-based) when it has one."""
    reason = str(getattr(exc, "reason", exc))
    column = getattr(exc, "column", None)
    return reason if column is None else f"{reason} (at character {column + 1})"


def _check_digits(digits: object) -> int | None:
    if digits is None:
        return None
    if type(digits) is not int or not 1 <= digits <= 17:
        raise LabInputError(f"digits must be a whole number from 1 to 17, got {digits!r}")
    return digits


def _check_notation(notation: object) -> str | None:
    """None for "default" (or nothing), else the profile's name; unknown names are refused."""
    if notation is None or notation == "default":
        return None
    known = notation_names()
    if not isinstance(notation, str) or notation not in known:
        raise LabInputError(f"unknown notation {str(notation)[:40]!r}: choose one of {known}")
    return notation


def view(
    graph: LabGraph,
    *,
    digits: object = None,
    notation: object = None,
    limits: Limits | None = None,
) -> dict[str, Any]:
    """What the page shows for `graph`: the player's step data (``names``, ``consumers``,
    ``forward``, ``steps`` with narration ``text``, the ``set`` of gradient texts each step
    writes, and practice questions with their ``grade``), ``svg`` (or ``svg_message`` when the
    graph is too large to draw or cannot be drawn), the final ``gradients`` and ``derivations``
    ``[{"name", "latex", "value"}]`` of ∂out/∂x by the chain rule."""
    caps = limits or Limits()
    key = (_check_digits(digits), _check_notation(notation))
    with graph.lock:  # one Stepper walks a graph at a time
        if key not in graph.views:
            graph.views.clear()  # one view per graph at a time: memory stays bounded
            graph.views[key] = _make_view(graph, key[0], key[1], caps)
        return graph.views[key]


def _make_view(
    graph: LabGraph, digits: int | None, notation: str | None, limits: Limits
) -> dict[str, Any]:
    from engine.step import Stepper
    from engine.step.player import page_data

    stepper = Stepper(graph.root, digits=digits, notation=notation)
    data = page_data(stepper)
    data["graph"] = None
    data["title"] = graph.title
    data["nodes"] = graph.nodes
    data["digits"] = digits
    data["notation"] = notation or "default"
    data["gradients"] = _final_gradients(stepper, digits)
    data["svg"], data["svg_message"] = _svg(stepper, graph, digits, limits)
    data["derivations"] = _derivations(graph, notation, digits)
    return data


def _final_gradients(stepper: Any, digits: int | None) -> list[list[str]]:
    """``[[name, grad text], ...]`` at the end of the pass, as the narration prints them."""
    from engine.core.numfmt import fmt

    start = stepper.position
    try:
        stepper.go_to(stepper.total)
        grads = stepper.gradients()
    finally:
        stepper.go_to(start)
    return [[name, fmt(value, digits)] for name, value in grads.items()]


def _svg(
    stepper: Any, graph: LabGraph, digits: int | None, limits: Limits
) -> tuple[str | None, str | None]:
    """The one drawing, annotated for the page, or None and a message saying why not."""
    from engine.draw import DrawError, draw_dot
    from engine.step.player_svg import annotate_svg

    if graph.nodes > limits.max_nodes:
        return None, (
            f"this graph has {graph.nodes:,} nodes, more than the {limits.max_nodes:,} the lab "
            f"draws; the steps below still work"
        )
    order = topological_order(graph.root)
    start = stepper.position
    try:
        stepper.go_to(stepper.total)  # drawn at the end so every box is sized for its gradient
        drawing = draw_dot(
            graph.root,
            grad_known=order,
            names=stepper.names,
            digits=digits,
            max_nodes=limits.max_nodes,
            timeout=10.0,
        )
        svg = drawing.pipe(format="svg")
        markup, _ = annotate_svg(svg, [stepper.names[node] for node in order])
    except (DrawError, ValueError) as exc:
        return None, f"the graph could not be drawn: {exc}"
    finally:
        stepper.go_to(start)
    return markup, None


def _derivations(
    graph: LabGraph, notation: str | None, digits: int | None = None
) -> list[dict[str, Any]]:
    """∂out/∂x written by the chain rule for the first `MAX_DERIVATIONS` named inputs, every
    number with `digits` significant digits (the engine's default when None)."""
    from engine.step.derivation import derivation

    out: list[dict[str, Any]] = []
    for name, leaf in list(graph.inputs.items())[:MAX_DERIVATIONS]:
        try:
            written = derivation(graph.root, leaf, notation=notation)
            latex = _latex_with_digits(written, digits)
            out.append({"name": name, "latex": latex, "value": written.value})
        except (ValueError, OverflowError, ZeroDivisionError) as exc:
            out.append({"name": name, "latex": None, "message": str(exc)})
    for item in out:
        value = item.get("value")
        if isinstance(value, float) and not math.isfinite(value):
            item["value"] = None  # JSON has no inf or nan
    return out


_DIGITS_LOCK = threading.Lock()  # the engine's digits are one global: one request at a time


def _latex_with_digits(written: Any, digits: int | None) -> str:
    """`written.latex()` with the engine's number format set to `digits` meanwhile."""
    if digits is None:
        return written.latex()
    from engine.core.numfmt import printoptions

    with _DIGITS_LOCK, printoptions(digits=digits):
        return written.latex()


def _index(value: object, size: int, what: str) -> int:
    if type(value) is not int or not 0 <= value < size:
        raise LabInputError(f"{what} must be a whole number from 0 to {size - 1}, got {value!r}")
    return value


def grade_answer(
    graph: LabGraph,
    *,
    step: object,
    question: object,
    answer: object,
    digits: object = None,
    notation: object = None,
    limits: Limits | None = None,
) -> dict[str, Any]:
    """Grade the learner's `answer` to practice question `question` of step `step` (0-based)
    with the engine's one rule (`engine.step.answers`): right when inside the question's
    accepted interval; when wrong, the known mistake it matches and the question's hint.
    Returns ``{"right", "message", "mistake", "hint", "value"}``."""
    from engine.step.answers import DEFAULT_ABS, DEFAULT_REL, AnswerError, Grading, graded_check

    data = view(graph, digits=digits, notation=notation, limits=limits)
    steps = data["steps"]
    asked = steps[_index(step, len(steps), "step")]["ask"]
    if not asked:
        raise LabInputError(f"step {step} asks nothing (it has no inputs to pass a gradient to)")
    q = asked[_index(question, len(asked), "question")]
    if not isinstance(answer, str) or len(answer) > 100:
        raise LabInputError("the answer must be a number, e.g. -3 or 1/2", field="answer")
    rule = q["grade"]
    mistakes = [(text, number, lo, hi) for text, lo, hi, number in rule["mistakes"]]
    graded = Grading(q["want"], 0.0, rule["digits"] is not None, mistakes)
    graded.lo, graded.hi = rule["lo"], rule["hi"]  # the very interval the question carries
    if rule["digits"] is not None and rule["lo"] is not None:
        graded.tol = (rule["hi"] - rule["lo"]) / 2
    try:
        verdict = graded_check(answer, graded, DEFAULT_REL, DEFAULT_ABS)
    except AnswerError as exc:
        raise LabInputError(str(exc), field="answer") from None
    return {
        "right": bool(verdict),
        "message": verdict.message,
        "mistake": verdict.mistake,
        "hint": None if verdict else q["hint"],
        "value": q["text"] if verdict else None,
    }
