"""The δ mode's player page (nn/teaching/delta_page.py): what it holds, its size limit, the notebook
display, and the page itself in headless Chromium (stepping and practice through its own
handlers, as tests/engine/step/test_player_browser.py drives the node player)."""

from __future__ import annotations

import json
import re
import shutil
from html import unescape

import pytest

from nn import MLP, DeltaStepper
from nn.teaching.delta_page import delta_player_html, write_delta_player
from tests.browser import load
from tests.equations import wrong_equations
from tests.networks import lecture_network

pytest.importorskip("graphviz")
needs_renderer = pytest.mark.skipif(
    not any(shutil.which(r) for r in ("dot", "graphviz-pure")),
    reason="no Graphviz renderer on PATH (dot or graphviz-pure) to draw the network view",
)


def lecture_stepper(seed: int = 4) -> DeltaStepper:
    return DeltaStepper(*lecture_network(seed))


def page_json(page: str) -> dict:
    raw = re.search(r'<script type="application/json" id="player-data">(.*?)</script>', page, re.S)
    assert raw is not None
    return json.loads(raw.group(1))


# --------------------------------------------------------------------------------------------
# The questions practice asks (no renderer needed)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_each_layer_asks_for_every_delta_with_the_rule_as_its_hint(seed):
    d = lecture_stepper(seed)
    for step in d.run():
        assert [q.want for q in step.questions] == step.deltas
        sup = "⁽" + "⁰¹²³⁴"[step.layer] + "⁾"
        assert [q.name for q in step.questions] == [f"δ{j}{sup}" for j in "₁₂₃"[: len(step.deltas)]]
        for q, line in zip(step.questions, step.lines[1:]):
            assert line.strip() == f"{q.rule} = {q.text}"  # the hint is the line before its result
        # the hint with its answer recomputes, like the narration
        assert not wrong_equations("\n".join(f"{q.rule} = {q.text}" for q in step.questions))


def test_a_wide_layer_folds_the_narration_but_the_hint_keeps_every_term():
    model = MLP(2, [3, 6, 1], activation="tanh", seed=1)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    d = DeltaStepper(model, loss)
    d.next()
    d.next()  # layer 2: 6 neurons, each with one weight above it
    hidden = d.next()  # layer 1: each δ sums over the 6 neurons of layer 2
    assert hidden.layer == 1
    assert "⋯" in str(hidden) and "Σ_j" in str(hidden)
    for q in hidden.questions:
        assert "⋯" not in q.rule and q.rule.count("·(") + q.rule.count("·0") >= 1
        assert q.rule.count("δ") >= 7  # δ_i itself and the six δ_j of the layer above
    assert not wrong_equations("\n".join(f"{q.rule} = {q.text}" for q in hidden.questions))


def test_a_linear_output_asks_for_dl_da_itself():
    model = MLP(2, [3], activation="tanh", output_activation="linear", seed=0)
    outputs = model([1.0, 0.5])
    loss = sum((a - 1.0) ** 2 for a in outputs)
    loss.backward()
    step = DeltaStepper(model, loss).next()
    by_hand = [2.0 * (a.data - 1.0) for a in outputs]  # δ = ∂L/∂a = 2(a - 1), g' = 1
    assert [q.want for q in step.questions] == pytest.approx(by_hand, rel=1e-12)
    assert all("a linear output" in q.rule for q in step.questions)


# --------------------------------------------------------------------------------------------
# The page's data and drawings
# --------------------------------------------------------------------------------------------


@needs_renderer
def test_the_page_holds_one_drawing_per_position_and_one_per_question():
    d = lecture_stepper()
    d.next()
    page = delta_player_html(d)
    assert d.position == 1  # the stepper ends where it started
    data = page_json(page)
    expected = lecture_stepper().run()
    assert len(data["frames"]) == 5 and len(data["quizFrames"]) == 4
    assert [s["caption"] for s in data["steps"]] == [
        f"step {k} of 4: layer {layer}" for k, layer in enumerate([4, 3, 2, 1], start=1)
    ]
    assert [s["text"] for s in data["steps"]] == [str(s) for s in expected]
    assert [s["focus"] for s in data["steps"]] == ["L4", "L3", "L2", "L1"]
    assert data["forward"] == d.forward_trace()
    for step, want in zip(data["steps"], expected):
        assert [q["want"] for q in step["ask"]] == want.deltas
        assert [q["hint"] for q in step["ask"]] == [q.rule for q in want.questions]
    # frame k shows layer k's δ; the question's drawing marks that layer but still hides it
    for k in range(1, len(expected) + 1):
        shown, asking = unescape(data["frames"][k]), unescape(data["quizFrames"][k - 1])
        delta = data["steps"][k - 1]["ask"][0]["text"]
        assert f"δ {delta}" in shown.replace("&#45;", "-").replace("−", "-")
        assert f"δ {delta}" not in asking.replace("&#45;", "-").replace("−", "-")
    before = unescape(data["frames"][0])
    assert "δ ?" in before
    assert "the δ rule, one layer at a time" in page and "tagline" in page


@needs_renderer
def test_write_refuses_a_network_too_big_before_drawing_and_writes_nothing(tmp_path):
    model = MLP(8, [8, 1], seed=0)
    loss = (model([0.1] * 8) - 1.0) ** 2
    loss.backward()
    d = DeltaStepper(model, loss)
    from engine.step.player import PlayerTooLargeError

    target = tmp_path / "big.html"
    with pytest.raises(PlayerTooLargeError, match="72 weights, more than .* max_weights=50"):
        write_delta_player(d, target, max_weights=50)
    assert not target.exists() and list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="max_weights must be a positive int, got 0"):
        delta_player_html(d, max_weights=0)
    written = d.save_html(tmp_path / "folder", max_weights=72)
    assert written == tmp_path / "folder" / "index.html" and written.stat().st_size > 0


@needs_renderer
def test_a_notebook_shows_the_delta_page_in_an_iframe():
    d = lecture_stepper()
    shown = d._repr_html_()
    assert shown.startswith('<iframe srcdoc="') and 'sandbox="allow-scripts"' in shown
    assert "the δ rule, one layer at a time" in unescape(shown)


def test_without_a_renderer_the_notebook_falls_back_to_text(monkeypatch, tmp_path):
    from engine.draw import renderers

    monkeypatch.setenv("PATH", str(tmp_path))  # no dot, no graphviz-pure anywhere
    monkeypatch.setattr(renderers, "_script_dirs", lambda: [])
    monkeypatch.delenv("CHAINRULE_RENDERER", raising=False)
    assert renderers.find_renderers() == []
    d = lecture_stepper()
    assert d._repr_html_() is None
    assert str(d).startswith("δ mode: 4 layers")


# --------------------------------------------------------------------------------------------
# In a browser
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def delta_page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("delta")
    return lecture_stepper().save_html(folder / "delta.html")


@needs_renderer
def test_the_page_steps_layer_by_layer_in_a_browser(browser, window, delta_page, tmp_path):
    steps = lecture_stepper().run()
    opened = load(browser, delta_page, "", tmp_path, window)
    assert opened.body["data-step"] == "0" and opened.text("caption") == "forward pass"
    assert opened.text("narration") == lecture_stepper().forward_trace()
    assert opened.text("grads") == "δ known: none yet"
    two = load(browser, delta_page, "play=next*2,measure", tmp_path, window)
    assert two.text("caption") == "step 2 of 4: layer 3"
    assert two.text("narration") == str(steps[1])
    assert two.text("grads").startswith("δ known: layer 4 [")
    end = load(browser, delta_page, "play=next*9,prev", tmp_path, window)
    assert end.body["data-step"] == "3" and end.text("narration") == str(steps[2])


@needs_renderer
def test_practice_on_the_delta_page_checks_each_delta(browser, window, delta_page, tmp_path):
    step = lecture_stepper().next()
    right = step.questions[0]
    wrong = load(browser, delta_page, "play=practice:on,next,answer:2/0,answer:7", tmp_path, window)
    assert wrong.body.get("data-quiz") == "1"
    said = wrong.text("feedback")
    assert "divides by zero" in said and "7 is not δ₁⁽⁴⁾" in said
    assert f"Hint: {right.rule}" in said
    shown = load(browser, delta_page, "play=practice:on,next,answer:7,answer:8", tmp_path, window)
    assert f"δ₁⁽⁴⁾ = {right.text}. Here is the step." in shown.text("feedback")
    assert shown.text("narration") == str(step)
    done = load(
        browser, delta_page, f"play=practice:on,next,answer:{right.want!r}", tmp_path, window
    )
    assert f"✓ right: δ₁⁽⁴⁾ = {right.text}" in done.text("feedback")
    assert done.attrs("score")["data-first"] == "1" and done.body["data-step"] == "1"


@needs_renderer
def test_the_page_grades_with_the_intervals_of_the_terminal_round():
    """Each δ question in the page's JSON carries the accepted interval and known mistakes of
    `DeltaPractice` (the terminal's round): one rule, where the page had its own 1e-3."""
    data = page_json(delta_player_html(lecture_stepper(0)))
    asked = [question["grade"] for step in data["steps"] for question in step["ask"]]
    practice = DeltaStepper(*lecture_network(0), practice=True).practice
    terminal = [practice.grading(q).as_data() for q in practice._questions]
    assert asked == json.loads(json.dumps(terminal))
    missing = [m for g in asked for m in g["mistakes"] if "θ'(s) is missing" in m[0]]
    assert missing and all(not (g["lo"] <= m[3] <= g["hi"]) for g in asked for m in g["mistakes"])


@needs_renderer
def test_the_browser_rejects_a_delta_without_its_g_prime_and_says_so(browser, window, tmp_path):
    stepper = lecture_stepper(0)
    page = stepper.save_html(tmp_path / "delta0.html")
    question = DeltaStepper(*lecture_network(0), practice=True).practice.question
    slip = next(n for text, n in question.mistakes.items() if "θ'(s) is missing" in text)
    dom = load(browser, page, f"play=practice:on,next,answer:{slip!r}", tmp_path, window)
    said = dom.text("feedback")
    assert dom.body.get("data-quiz") == "1" and "θ'(s) is missing" in said, said
