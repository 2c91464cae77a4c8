"""The HTML step player in a real browser: headless Chromium loads the page from file://, replays
clicks, keys, slider moves, zooms and practice answers through the page's own handlers (its
``#play=`` fragment), and the test reads the resulting DOM (``--dump-dom``).

The browser helpers are in tests/browser.py. These tests never install anything: without
chromium, chromium-browser or google-chrome on PATH they skip (``.ci/run`` installs chromium; on
Debian/Ubuntu ``apt-get install chromium``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine import Value
from engine.core.graph import topological_order
from engine.core.value import fmt_number
from engine.step import Stepper
from engine.step.answers import AnswerError, parse_answer
from engine.step.player import page_data
from tests.browser import SCREEN, find_browser, load

draw = pytest.importorskip("engine.draw")
pytestmark = pytest.mark.skipif(
    not any(shutil.which(r) for r in ("dot", "graphviz-pure")),
    reason="no Graphviz renderer on PATH (dot or graphviz-pure) to draw the page's graph",
)


def test_no_browser_on_path_means_none_found(tmp_path):
    assert find_browser(str(tmp_path)) is None  # -> the browser tests skip, saying why
    fake = tmp_path / "chromium-browser"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert find_browser(str(tmp_path)) == str(fake)


def neuron():
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    x2, w2 = Value(0.0, label="x2"), Value(1.0, label="w2")
    b = Value(6.881373587019543, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


@pytest.fixture(scope="module")
def neuron_page(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("neuron")
    return Stepper(neuron()).save_html(folder / "neuron.html", title="o = tanh(x1*w1 + x2*w2 + b)")


# --------------------------------------------------------------------------------------------
# Stepping
# --------------------------------------------------------------------------------------------


def test_the_page_steps_to_the_end_and_back(browser, window, neuron_page, tmp_path):
    steps = Stepper(neuron()).run()
    last = len(steps)
    fresh = neuron()
    fresh.backward()
    final = [f"grad {fmt_number(v.grad)}" for v in topological_order(fresh)]

    opened = load(browser, neuron_page, "", tmp_path, window)
    assert opened.body["data-step"] == "0"
    assert "disabled" in opened.attrs("prev") and "disabled" not in opened.attrs("next")
    assert opened.text("narration").startswith("forward pass (inputs first):")
    assert {opened.grad(k)[0] for k in range(last)} == {"grad ?"}
    assert opened.text("grads") == "none yet"

    end = load(browser, neuron_page, f"play=next*{last + 3}", tmp_path, window)  # extra clicks
    assert end.body["data-step"] == str(last)
    assert "disabled" in end.attrs("next") and "disabled" not in end.attrs("prev")
    assert end.text("caption") == f"step {last} of {last}: x1"
    assert end.text("narration") == str(steps[-1])
    assert [end.grad(k)[0] for k in range(last)] == final
    assert all(end.grad(k)[1] == "grad" and end.grad(k)[2] == "" for k in range(last))
    assert "active" in end.attrs("n-v0")["class"]  # x1, the last node visited, is highlighted
    assert "active" not in end.attrs("n-v9")["class"]

    moved = load(
        browser,
        neuron_page,
        "play=next*4,prev,key:ArrowLeft,key:ArrowRight,key:ArrowRight,slide:7,key:End,"
        "key:ArrowLeft",
        tmp_path,
        window,
    )
    assert moved.body["data-step"] == str(last - 1)
    assert moved.text("narration") == str(steps[-2])
    jumped = load(browser, neuron_page, "5", tmp_path, window)
    assert jumped.body["data-step"] == "5" and jumped.text("narration") == str(steps[4])


@pytest.mark.parametrize(
    "fragment, at_end",
    [
        ("play=next*999999999", True),
        ("play=prev*999999999,next*999999999", False),  # prev used up the whole budget
        ("play=" + ",".join(["next"] * 3000), True),
    ],
    ids=["one-huge-repeat", "two-huge-repeats", "many-actions"],
)
def test_a_huge_replay_is_bounded_instead_of_freezing_the_page(
    browser, window, neuron_page, tmp_path, fragment, at_end
):
    """``#play=next*999999999`` used to click a billion times at load: the page froze. The
    replay stops after 4·steps + 1000 actions (next and prev stop at the ends anyway)."""
    last = len(Stepper(neuron()).run())
    bound = 4 * last + 1000
    page = load(browser, neuron_page, fragment, tmp_path, window)
    assert page.body["data-step"] == (str(last) if at_end else "0")
    assert int(page.body["data-replayed"]) == bound and page.body["data-replay-capped"] == "true"


def test_a_small_replay_and_odd_fragments_are_not_capped(browser, window, neuron_page, tmp_path):
    page = load(browser, neuron_page, "play=next*3,prev", tmp_path, window)
    assert page.body["data-step"] == "2" and page.body["data-replayed"] == "4"
    assert "data-replay-capped" not in page.body
    assert load(browser, neuron_page, "4294967296", tmp_path, window).body["data-step"] != "0"
    assert load(browser, neuron_page, "play=%E0%A4%A", tmp_path, window).body["data-step"] == "0"


def test_a_partial_sum_is_marked_until_its_last_edge_contributes(browser, window, tmp_path):
    a = Value(2.0, label="a")
    o = a * a + a
    o.label = "o"
    page = Stepper(o).save_html(tmp_path / "aa.html")
    ia = 0  # a is the first Value
    midway = load(browser, page, "play=next", tmp_path, window)  # o passed 1 to a: 1 of 3 edges
    assert midway.grad(ia) == ("grad 1", "grad partial", "partial 1/3")
    assert midway.text("grads") == "a 1  (partial: 1 of 3 edges)\nmul₁ 1\no 1"
    done = load(browser, page, "play=next*2", tmp_path, window)  # a*a added 2 + 2: final 5
    assert done.grad(ia) == ("grad 5", "grad", "")
    assert done.text("grads") == "a 5\nmul₁ 1\no 1"  # final: no longer partial
    back = load(browser, page, "play=next*2,prev", tmp_path, window)  # undo: partial again
    assert back.grad(ia)[2] == "partial 1/3"


# --------------------------------------------------------------------------------------------
# One layout, zoom, and a 1280x720 screen
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_one_graph_size_for_every_step_and_the_narration_on_screen(
    browser, window, tmp_path, rankdir
):
    page = Stepper(neuron()).save_html(tmp_path / f"{rankdir}.html", rankdir=rankdir)
    dom = load(
        browser,
        page,
        "play=measure,next,measure,next*3,measure,slide:7,measure,key:End,measure,"
        "zoom:in,measure,zoom:fit,measure",
        tmp_path,
        window,
    )
    seen = dom.measures()
    assert [m["step"] for m in seen] == [0, 1, 4, 7, 10, 10, 10]
    stepping = seen[:5]
    sizes = [(m["graph"][2] - m["graph"][0], m["graph"][3] - m["graph"][1]) for m in stepping]
    for size in sizes:  # the graph never changes size from step to step (to float rounding
        assert size == pytest.approx(sizes[0], abs=0.01), sizes  # of the panned position)
    assert len({tuple(m["natural"]) for m in seen}) == 1
    for m in seen:
        assert m["window"] == list(SCREEN)
        left, top, right, bottom = m["note"]
        assert 0 <= left < right <= SCREEN[0] and 0 <= top < bottom <= SCREEN[1], m["note"]
        assert bottom - top >= 120 and right - left >= 280  # room to read, not a sliver
        assert m["noteOnTop"]  # nothing covers the narration
        g_left, g_top, g_right, g_bottom = m["graph"]
        assert g_left < SCREEN[0] and g_top < SCREEN[1] and g_right > 0 and g_bottom > 0
    zoomed, fitted = seen[5], seen[6]
    assert zoomed["scale"] == pytest.approx(stepping[-1]["scale"] * 1.25)
    (width, height), panel = fitted["natural"], fitted["panel"]
    fit = min(2, (panel[2] - panel[0]) / width, (panel[3] - panel[1]) / height)
    assert fitted["scale"] == pytest.approx(fit, rel=1e-3)  # "fit": the whole graph in the panel
    inside = [a - b for a, b in zip(fitted["graph"], panel)]
    assert inside[0] >= -0.5 and inside[1] >= -0.5 and inside[2] <= 0.5 and inside[3] <= 0.5


def test_the_wheel_zooms_about_the_pointer_and_dragging_pans(
    browser, window, neuron_page, tmp_path
):
    dom = load(
        browser,
        neuron_page,
        "play=measure,wheel:-200,measure,drag:40:-30,measure,key:-,measure,next*3,measure",
        tmp_path,
        window,
    )
    start, wheeled, dragged, key, stepped = dom.measures()
    assert wheeled["scale"] > start["scale"] * 1.2  # wheel up: zoom in
    centre = [
        (start["panel"][0] + start["panel"][2]) / 2,
        (start["panel"][1] + start["panel"][3]) / 2,
    ]
    for axis in (0, 1):  # the point under the pointer stays put
        before = (centre[axis] - start["graph"][axis]) / start["scale"]
        after = (centre[axis] - wheeled["graph"][axis]) / wheeled["scale"]
        assert after == pytest.approx(before, abs=0.5)
    assert dragged["scale"] == wheeled["scale"]
    assert dragged["graph"][0] - wheeled["graph"][0] == pytest.approx(40, abs=0.5)
    assert dragged["graph"][1] - wheeled["graph"][1] == pytest.approx(-30, abs=0.5)
    assert key["scale"] == pytest.approx(dragged["scale"] * 0.8)  # the "-" key
    assert stepped["scale"] == key["scale"]  # stepping keeps the zoom


# --------------------------------------------------------------------------------------------
# Practice
# --------------------------------------------------------------------------------------------


def test_practice_a_wrong_answer_gets_a_hint_and_bad_input_a_message(
    browser, window, neuron_page, tmp_path
):
    dom = load(
        browser, neuron_page, "play=practice:on,next,answer:0.4,answer:abc", tmp_path, window
    )
    assert dom.body["data-step"] == "0" and dom.body["data-quiz"] == "1"  # not revealed yet
    assert "hidden" not in dom.attrs("quiz")
    assert dom.text("narration") == ""
    assert dom.text("question") == "(1 of 2) ∂o/∂n = ?"
    feedback = dom.text("feedback")
    assert "✗ 0.4 is not the local derivative ∂o/∂n" in feedback
    assert "Hint: the op table says ∂o/∂n = 1 - tanh(n)²" in feedback
    assert "1 - tanh(0.8814)²" in feedback  # the formula with the numbers filled in
    assert "could not read “abc”" in feedback
    assert {dom.grad(k)[0] for k in range(10)} == {"grad ?"}  # the graph gives nothing away
    assert "active" in dom.attrs("n-v9")["class"]  # but shows which node is asked about


def test_practice_reads_numbers_as_python_does(browser, window, neuron_page, tmp_path):
    # a decimal comma is right (0,5 is 0.5, as engine.check and the terminal read it); a space
    # inside a number is not read as one number ("0 5" is not 05)
    assert parse_answer("0,5") == 0.5
    with pytest.raises(AnswerError):
        parse_answer("0 5")
    dom = load(
        browser, neuron_page, "play=practice:on,next,answer:0%205,answer:0%2C5", tmp_path, window
    )
    feedback = dom.text("feedback")
    assert "could not read “0 5”" in feedback
    assert dom.attrs("score")["data-first"] == "1"  # 0,5 right at the first real try
    assert dom.text("question").startswith("(2 of 2)")  # on to the next question


def test_practice_a_second_miss_shows_the_step(browser, window, neuron_page, tmp_path):
    first = Stepper(neuron()).run()[0]
    dom = load(
        browser, neuron_page, "play=practice:on,next,answer:0.4,answer:2/3", tmp_path, window
    )
    assert dom.body["data-step"] == "1" and "data-quiz" not in dom.body
    assert "hidden" in dom.attrs("quiz")
    assert dom.text("narration") == str(first)
    assert "the local derivative ∂o/∂n = 0.5. Here is the step." in dom.text("feedback")
    score = dom.attrs("score")
    assert (score["data-asked"], score["data-shown"], score["data-first"]) == ("1", "1", "0")
    assert dom.grad(9)[0] == "grad 1"


def test_practice_through_every_step_scores_at_the_end(browser, window, neuron_page, tmp_path):
    data = page_data(Stepper(neuron()))
    actions = ["practice:on"]
    asked = 0
    for i, step in enumerate(data["steps"]):
        actions.append("next")
        for j, question in enumerate(step["ask"]):
            want = question["want"]
            if i == 0 and j == 0:
                actions += ["answer:1", "answer:1/2"]  # wrong, then right as a fraction
            elif want == 0:
                actions.append("answer:0")
            else:
                lo, hi = question["grade"]["lo"], question["grade"]["hi"]
                rounded = float(f"{want:.5g}")  # rounded: inside the accepted interval, mostly
                actions.append(f"answer:{rounded if lo <= rounded <= hi else want!r}")
            asked += 1
    dom = load(browser, neuron_page, "play=" + ",".join(actions), tmp_path, window)
    assert dom.body["data-step"] == "10"
    score = dom.attrs("score")
    assert "hidden" not in score and score["data-final"] == "yes"
    assert (score["data-asked"], score["data-first"], score["data-second"]) == (
        str(asked),
        str(asked - 1),
        "1",
    )
    assert dom.text("score").startswith(f"Final score: {asked - 1} of {asked} right first time")
    fresh = neuron()
    fresh.backward()
    assert [dom.grad(k)[0] for k in range(10)] == [
        f"grad {fmt_number(v.grad)}" for v in topological_order(fresh)
    ]


def test_practice_off_steps_without_questions(browser, window, neuron_page, tmp_path):
    dom = load(browser, neuron_page, "play=practice:on,next,practice:off,next", tmp_path, window)
    assert dom.body["data-step"] == "2" and "hidden" in dom.attrs("score")
    assert "hidden" in dom.attrs("quiz")


def test_the_slider_in_practice_mode_stops_at_the_first_unanswered_step(
    browser, window, neuron_page, tmp_path
):
    """Sliding to step 4 skipped three steps of questions (the score read '0 of 0')."""
    dom = load(browser, neuron_page, "play=practice:on,slide:4", tmp_path, window)
    assert dom.body.get("data-quiz") == "1" and dom.body["data-step"] == "0"
    play = "play=practice:on,next,answer:1/2,answer:0.5,slide:4"  # step 1 answered
    done = load(browser, neuron_page, play, tmp_path, window)
    assert done.body.get("data-quiz") == "2"
    free = load(browser, neuron_page, "play=slide:4", tmp_path, window)  # practice off: it moves
    assert free.body["data-step"] == "4" and "data-quiz" not in free.body
