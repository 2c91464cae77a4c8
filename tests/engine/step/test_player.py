"""The HTML step player (engine/step/player*.py) as files and data; the browser tests are in
test_player_browser.py.

The page holds the graph once (one SVG) and the steps as JSON; these tests read that JSON back
and check it against the engine: the grads it shows, the partial-sum counts, what practice mode
asks, the size limit, where the page goes, and that nothing is written when anything fails.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value
from engine.core.graph import topological_order
from engine.core.value import fmt_number
from engine.step import Stepper
from engine.step.player import (
    DEFAULT_MAX_NODES,
    TOLERANCE,
    PlayerTooLargeError,
    page_data,
    player_html,
    render_page,
    write_player,
)
from engine.step.player_svg import PLACEHOLDER, annotate_svg, inline_svg
from tests.equations import equations, wrong_equations

draw = pytest.importorskip("engine.draw")
RENDERERS = [name for name in ("dot", "graphviz-pure") if shutil.which(name)]
needs_renderer = pytest.mark.skipif(
    not RENDERERS, reason="no Graphviz renderer on PATH (dot or graphviz-pure)"
)
DATA = re.compile(r'<script type="application/json" id="player-data">(.*?)</script>', re.S)


def neuron():
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    b = Value(6.881373587019543, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def tanh_chain(links: int) -> Value:
    """x -> tanh(x*w0) -> tanh(.*w1) ...: 3 Values a link, 3*links + 1 in all."""
    x = Value(0.5, label="x")
    for i in range(links):
        x = (x * Value(0.9, label=f"w{i}")).tanh()
    x.label = "out"
    return x


def replay(data: dict, upto: int) -> tuple[list, list]:
    """Each Value's grad text (None: not reached) and contributions received after `upto` steps,
    applying the page's changes the way its JavaScript does."""
    texts: list = [None] * len(data["names"])
    got = [0] * len(data["names"])
    for step in data["steps"][:upto]:
        for k, text, count in step["set"]:
            texts[k], got[k] = text, count
    return texts, got


def page_json(page: str) -> dict:
    return json.loads(DATA.search(page).group(1))


# --------------------------------------------------------------------------------------------
# The data: one entry per step, only what changes
# --------------------------------------------------------------------------------------------


def test_page_data_replays_to_the_gradients_of_backward():
    o = neuron()
    stepper = Stepper(o)
    stepper.jump(4)
    data = page_data(stepper)
    assert stepper.position == 4  # back where it was
    order = topological_order(o)
    assert data["names"] == [stepper.names[v] for v in order]
    assert len(data["steps"]) == stepper.total == len(order)
    assert data["forward"].startswith("forward pass (inputs first):")

    fresh = neuron()
    fresh.backward()
    expected = [fmt_number(v.grad) for v in topological_order(fresh)]
    texts, got = replay(data, stepper.total)
    assert texts == expected  # x1 -1.5, w1 1, ...
    assert dict(zip(data["names"], texts))["x1"] == "-1.5"
    assert got == data["consumers"]  # every edge has contributed: nothing partial at the end

    first = data["steps"][0]  # the root's step: seeds o, passes 0.5 to n
    assert first["k"] == order.index(o) and first["caption"] == "step 1 of 10: o"
    assert "∂o/∂n = 1 - tanh(n)² = 0.5;" in first["text"]
    assert sorted(first["set"]) == sorted(
        [[order.index(o), "1", 0], [order.index(o) - 1, "0.5", 1]]
    )
    assert texts.count(None) == 0 and replay(data, 0)[0].count(None) == len(order)


def test_the_step_texts_are_the_narration():
    stepper = Stepper(neuron())
    data = page_data(stepper)
    narrated = [str(step) for step in Stepper(neuron()).run()]
    assert [s["text"] for s in data["steps"]] == narrated


def test_partial_sums_are_counted_from_the_graph():
    a = Value(2.0, label="a")
    o = a * a + a
    o.label = "o"
    stepper = Stepper(o)
    data = page_data(stepper)
    names = data["names"]
    ia = names.index("a")
    assert data["consumers"][ia] == 3  # a*a uses a twice, + once
    texts, got = replay(data, 1)  # o passed 1 to a: the first of a's three edges
    assert (texts[ia], got[ia]) == ("1", 1)
    texts, got = replay(data, 2)  # a*a passed a = 2 along each of its two edges: 1 + 2 + 2
    assert got[ia] == 3 == data["consumers"][ia]
    assert texts[ia] == fmt_number(2 * 2.0 + 1)  # ∂o/∂a = 2a + 1 = 5, final
    assert data["consumers"][names.index("o")] == 0


leaf_values = st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=4)
recipes = st.lists(
    st.tuples(st.sampled_from(["add", "mul", "tanh"]), st.integers(0, 99), st.integers(0, 99)),
    min_size=1,
    max_size=15,
)


def build(leaves, recipe) -> Value:
    nodes = [Value(x, label=f"x{i}") for i, x in enumerate(leaves)]
    for op, i, j in recipe:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        nodes.append(a + b if op == "add" else a * b if op == "mul" else a.tanh())
    return nodes[-1]


@settings(max_examples=80, deadline=None)
@given(leaf_values, recipes)
def test_partial_counts_match_the_drawing_and_end_when_the_node_is_visited(leaves, recipe):
    root = build(leaves, recipe)
    stepper = Stepper(root)
    data = page_data(stepper)
    # consumers = the edges out of each box in the drawing (`v<j> -> o<i>` lines of the DOT)
    source = draw.draw_dot(root, names=stepper.names).source
    edges = re.findall(r"^\s*v(\d+) -> o\d+", source, re.M)
    assert data["consumers"] == [edges.count(str(j)) for j in range(len(data["names"]))]
    for position, step in enumerate(data["steps"], start=1):
        texts, got = replay(data, position)
        k = step["k"]
        assert got[k] == data["consumers"][k]  # visited: every consumer has contributed
        assert all(0 <= g <= c for g, c in zip(got, data["consumers"]))
    fresh = build(leaves, recipe)
    fresh.backward()
    assert replay(data, len(data["steps"]))[0] == [
        fmt_number(v.grad) for v in topological_order(fresh)
    ]


def test_practice_asks_the_local_derivative_then_the_new_grad_with_hints():
    stepper = Stepper(neuron())
    data = page_data(stepper)
    by_caption = {s["caption"].split(": ")[1]: s for s in data["steps"]}
    mul = by_caption["mul₁"]  # mul₁ = x1 * w1, upstream 0.5
    assert mul["prompt"] == (
        "mul₁ = x1 · w1 = -6; its gradient ∂⁺o/∂mul₁ = 0.5 is complete. Pass it on to its inputs:"
    )
    local_x1, grad_x1, local_w1, grad_w1 = mul["ask"]
    assert local_x1["ask"] == "∂mul₁/∂x1 = ?" and local_x1["want"] == -3.0
    assert local_x1["hint"] == "the op table says ∂mul₁/∂x1 = w1"  # the rule, not the -3 answer
    assert grad_x1["want"] == pytest.approx(-1.5) and grad_x1["text"] == "-1.5"
    assert grad_x1["hint"] == "new grad = old grad + upstream × local = 0 + 0.5 × -3"
    assert (local_w1["want"], grad_w1["want"]) == pytest.approx((2.0, 1.0))
    tanh = by_caption["o"]["ask"][0]
    assert tanh["want"] == pytest.approx(0.5) and "1 - tanh(n)²" in tanh["hint"]
    assert tanh["hint"].endswith("; with the numbers: 1 - tanh(0.8814)²")  # n's value filled in
    leaf = by_caption["x1"]
    assert leaf["ask"] == []  # a leaf passes nothing on: nothing to ask


def test_practice_hints_give_the_answer_from_their_printed_numbers():
    """1.269e-4 + 1.586e-4 × -0.9877 = -2.975e-5 is not a's gradient -2.977e-5, and e^9.877 is
    19477, not 19468: the hints' numbers get the digits the answer as printed needs."""
    a, b, c = Value(1.23456, label="a"), Value(-0.98765, label="b"), Value(0.80001, label="c")
    out = (a * b + c * a).exp() * 2e-4 + Value(9.87654, label="x").exp()
    asked = [q for step in page_data(Stepper(out))["steps"] for q in step["ask"]]
    lines = [f"{q['hint'].split(' = ')[-1]} = {q['text']}" for q in asked if "grad" in q["name"]]
    assert "1.26917e-4 + 1.58644e-4 × -0.98765 = -2.977e-5" in lines  # a.grad, second edge
    assert len(equations("\n".join(lines))) == 11 and not wrong_equations("\n".join(lines))
    e_x = [q["hint"] for q in asked if q["text"] == "19468" and "local" in q["name"]]
    assert e_x == ["the op table says ∂exp₂/∂x = e^x; with the numbers: e^9.87654"]


def test_practice_skips_numbers_a_learner_cannot_type():
    x = Value(3.0, label="x")
    y = x * x
    data = page_data(Stepper(y, grad=math.inf))  # an infinite seed: x.grad is inf, no error
    json.dumps(data, allow_nan=False)  # the page's JSON has no NaN/inf
    assert data["steps"][0]["ask"] == []
    assert replay(data, 1)[0][0] == "inf"
    # 1e308 · 1e300 overflows, but only in the gradient of a constant (no error, as PyTorch):
    # that one is skipped, x's local derivative and gradient are asked
    x = Value(1e300, label="x")
    data = page_data(Stepper(x * 1e-300, grad=1e308))
    json.dumps(data, allow_nan=False)
    asked = data["steps"][0]["ask"]
    assert [q["name"] for q in asked] == ["the local derivative ∂mul₁/∂x", "x.grad"]
    # x, the constant 1e-300 (not differentiated: its box never gets a grad), mul₁
    assert replay(data, 1)[0] == ["1e8", None, "1e308"]


def test_progress_reports_each_stage():
    calls = []
    stepper = Stepper(neuron())
    page_data(stepper, progress=lambda *a: calls.append(a))
    assert calls == [("steps", i, 10) for i in range(1, 11)]


# --------------------------------------------------------------------------------------------
# The drawing, annotated (with each renderer's real SVG)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("renderer", RENDERERS or ["none"])
def test_annotate_svg_marks_every_box_with_each_renderer(renderer):
    if renderer == "none":
        pytest.skip("no Graphviz renderer on PATH (dot or graphviz-pure)")
    a = Value(2.0, label="a")
    o = a * a + a
    o.label = "o"
    stepper = Stepper(o)
    stepper.run()
    order = topological_order(o)
    source = draw.draw_dot(o, names=stepper.names, grad_known=order).source
    svg = subprocess.run(
        [shutil.which(renderer), "-Tsvg"], input=source.encode(), capture_output=True, check=True
    ).stdout
    names = [stepper.names[v] for v in order]
    markup, grads = annotate_svg(svg, names)
    assert grads == len(order) == 3
    assert markup.startswith("<svg") and "<?xml" not in markup and "<!--" not in markup
    for k in range(len(order)):
        box = re.search(rf'<g id="n-v{k}" class="node">(.*?)</g>', markup, re.S).group(1)
        assert f"<title>{names[k]}</title>" in box
        grad = re.search(r'<text ([^>]*)class="grad"([^>]*)>([^<]*)</text>', box)
        assert grad.group(3) == PLACEHOLDER
        room = float(re.search(r'data-w="([\d.]+)"', grad.group(0)).group(1))
        assert 40 < room < 120  # the cell holds "grad 7.0000"
        assert 'class="badge"' in box
    assert 'id="n-o1"' in markup and 'id="n-o2"' in markup
    edges = re.findall(r'<g id="edge\d+" class="edge" data-k="(\d+)"', markup)
    assert sorted(edges) == ["1", "1", "1", "2", "2", "2"]  # a->o1 twice, o1->v1; v1, a, o2 -> v2
    assert "v0&#45;&gt;" not in markup and "->" not in markup  # the raw tooltips are gone


def test_annotate_svg_refuses_a_drawing_of_another_graph():
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><g class="node"><title>v0</title></g></svg>'
    with pytest.raises(ValueError, match=r"missing"):
        annotate_svg(svg, ["a", "b"])
    with pytest.raises(ValueError, match="no Value 5"):
        annotate_svg(svg.replace("v0", "v5"), ["a"])
    with pytest.raises(ValueError, match="not SVG"):
        annotate_svg(b"Error: syntax error", ["a"])


def test_inline_svg_strips_the_xml_prologue_and_comments():
    raw = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"\n "http://www.w3.org/1.1/svg11.dtd">\n'
        b'<!-- Generated by graphviz -->\n<svg width="8pt"><!-- g --><g/></svg>\n'
    )
    assert inline_svg(raw) == '<svg width="8pt"><g/></svg>'


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------


@needs_renderer
def test_the_page_holds_one_drawing_and_needs_nothing_from_outside(tmp_path):
    o = neuron()
    stepper = Stepper(o)
    stepper.jump(3)
    path = stepper.save_html(tmp_path / "player", title='o = tanh(x) </script><b>"')
    assert path == tmp_path / "player" / "index.html"
    assert stepper.position == 3
    page = path.read_text(encoding="utf-8")
    assert page.count("<svg") == 1 and page.count("</svg>") == 1
    assert page.count(PLACEHOLDER) >= 10  # every box starts as "grad ?"
    assert page.count("</script>") == 2  # the data and the code; the title cannot close one
    assert "o = tanh(x) &lt;/script&gt;&lt;b&gt;&quot;" in page
    data = page_json(page)
    assert len(data["steps"]) == 10 and data["tolerance"] == TOLERANCE
    for outside in ("<script src", "<link", "@import", "url(", "@font-face", "https://"):
        assert outside not in page, outside
    assert re.findall(r"http://[^\"']*", page) == ["http://www.w3.org/2000/svg"]  # a name only
    assert sorted(p.name for p in path.parent.iterdir()) == ["index.html"]  # no temp files


@needs_renderer
def test_a_300_value_chain_makes_a_small_page(tmp_path):
    stepper = Stepper(tanh_chain(100))
    assert stepper.total == 301
    path = stepper.save_html(tmp_path / "chain.html")
    size = path.stat().st_size
    assert size < 2_000_000, size  # the page with one SVG per step was 139 MB
    data = page_json(path.read_text(encoding="utf-8"))
    assert sum(len(s["set"]) for s in data["steps"]) == 1 + 300  # the root, then one per edge


@needs_renderer
def test_an_html_path_is_the_page_and_any_other_path_a_folder(tmp_path):
    stepper = Stepper(neuron())
    page = write_player(stepper, tmp_path / "deep" / "neuron.HTML")
    assert page == tmp_path / "deep" / "neuron.HTML" and page.is_file()
    folder = write_player(stepper, tmp_path / "neuron")
    assert folder == tmp_path / "neuron" / "index.html"
    (tmp_path / "taken.html").mkdir()
    with pytest.raises(IsADirectoryError, match="taken.html"):
        write_player(stepper, tmp_path / "taken.html")


def test_a_file_where_the_folder_goes_is_refused(tmp_path):
    target = tmp_path / "taken"
    target.write_text("keep me")
    with pytest.raises(NotADirectoryError, match="taken"):
        write_player(Stepper(neuron()), target)
    assert target.read_text() == "keep me"


def test_graphs_over_the_limit_are_refused_before_any_work(tmp_path):
    o = tanh_chain(4)  # 13 values
    stepper = Stepper(o)
    with pytest.raises(PlayerTooLargeError, match=r"13 values.*max_nodes=5.*max_nodes=13"):
        write_player(stepper, tmp_path / "big.html", max_nodes=5)
    assert not (tmp_path / "big.html").exists() and stepper.position == 0
    assert o.grad == 0.0  # not even stepped
    with pytest.raises(ValueError, match="positive int"):
        player_html(stepper, max_nodes=0)
    assert DEFAULT_MAX_NODES == 1000
    assert issubclass(PlayerTooLargeError, ValueError)


def test_options_the_player_sets_itself_are_refused():
    for option in ("highlight", "grad_known", "show_grad"):
        with pytest.raises(TypeError, match=option):
            player_html(Stepper(neuron()), **{option: None})


@needs_renderer
def test_a_label_cannot_break_out_of_the_page():
    a = Value(2.0, label="</script><script>alert(1)</script>")
    o = (a * a).tanh()
    page = player_html(Stepper(o), title="<script>alert(2)</script>")
    assert page.count("<script") == 2  # the data and the code, nothing else
    assert "<script>alert" not in page
    data = page_json(page)  # the JSON still reads back to the real label
    assert data["names"][0] == "</script><script>alert(1)</script>"
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in page  # the SVG's tooltip, as text


@needs_renderer
def test_nothing_is_written_when_the_layout_fails(tmp_path, monkeypatch):
    o = neuron()
    stepper = Stepper(o)
    stepper.jump(2)

    def failing(*args, **kwargs):
        raise draw.RenderError("renderer crashed")

    monkeypatch.setattr(draw, "draw_dot", failing)
    with pytest.raises(draw.RenderError, match="crashed"):
        stepper.save_html(tmp_path / "out")
    assert not (tmp_path / "out" / "index.html").exists()
    assert stepper.position == 2


@needs_renderer
def test_options_reach_draw_dot(tmp_path):
    lr = player_html(Stepper(neuron()))
    tb = player_html(Stepper(neuron()), rankdir="TB")
    size = re.compile(r'<svg[^>]* width="([\d.]+)pt" height="([\d.]+)pt"')
    (w1, h1), (w2, h2) = (tuple(map(float, size.search(p).groups())) for p in (lr, tb))
    assert w1 > h1 and w2 < w1  # left-to-right is wide; top-to-bottom narrower


def test_a_page_of_whole_drawings_escapes_its_text():
    data = {
        "names": [],
        "consumers": [],
        "steps": [{"caption": "step 1", "text": "second", "grads": "g: 2", "set": [], "ask": []}],
        "forward": "a < b & </pre><script>alert(1)</script>",
        "forwardCaption": "forward <pass>",
        "forwardGrads": "g: 1",
        "frames": ["<svg/>", "<svg><text>y</text></svg>"],
        "tolerance": {"rel": 1e-3, "abs": 1e-6},
    }
    page = render_page(data, 'title "<b>"', svg="<svg/>")
    assert "<script>alert(1)</script>" not in page and "title &quot;&lt;b&gt;&quot;" in page
    assert page_json(page)["frames"] == data["frames"] and 'max="1"' in page
    with pytest.raises(TypeError, match="as a dict, got list"):
        render_page([], "a list of frames")


def test_the_assets_ship_with_the_package():
    root = Path(__file__).resolve().parents[3]
    pyproject = (root / "pyproject.toml").read_text()
    assert '"engine.step" = ["*.js", "*.css"]' in pyproject
    for name in ("player.js", "player.css"):
        assert (root / "engine" / "step" / name).is_file()


@needs_renderer
def test_the_page_grades_with_the_intervals_of_the_python_face(tmp_path):
    """The page's JSON carries each question's accepted interval and known mistakes, the very
    `grading` that `check` and the terminal practice use (it had its own 1e-3 tolerance)."""
    from engine.step import Practice

    page = page_json(player_html(Stepper(neuron())))
    asked = [question["grade"] for step in page["steps"] for question in step["ask"]]
    practice = Practice(neuron())
    python = []
    while not practice.done:
        python.append(practice.grading(practice.question).as_data())
        practice.reveal()
    assert asked == json.loads(json.dumps(python))
    assert all(g["lo"] <= q["want"] <= g["hi"] for s in page["steps"] for q in s["ask"]
               for g in [q["grade"]])  # fmt: skip


def test_the_page_asks_nothing_about_constants():
    x = Value(3.0, label="x")
    data = page_data(Stepper(0.5 * x**2))
    names = [q["name"] for step in data["steps"] for q in step["ask"]]
    assert names and all("0.5" not in name for name in names), names
