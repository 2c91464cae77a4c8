"""Practice mode (engine/step/practice.py), the checker (engine/step/answers.py) and the seeded
exercises (engine/step/exercises.py), driven through the Python face."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value, check
from engine.core.graph import topological_order
from engine.core.numfmt import fmt
from engine.step import Practice, Stepper
from engine.step.answers import AnswerError, parse_answer
from engine.step.exercises import LEVELS, exercise
from tests.engine.step.graphs import lecture_neuron, recipe_strategy, try_build
from tests.equations import equations, wrong_equations

neuron = lecture_neuron


# --------------------------------------------------------------------------------------------
# Reading answers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [
        ("0.5", 0.5),
        ("-1.5", -1.5),
        ("  3/4 ", 0.75),
        ("-1 / 2", -0.5),
        ("1/-4", -0.25),
        ("2e-3", 0.002),
        (".5", 0.5),
        ("−3", -3.0),  # a typographic minus
        (7, 7.0),
        (0.25, 0.25),
    ],
)
def test_answers_are_numbers_or_simple_fractions(text, value):
    assert parse_answer(text) == value


@pytest.mark.parametrize(
    "text, message",
    [
        ("abc", "could not read 'abc' as a number"),
        ("__import__('os')", "could not read"),
        ("1/2/3", "could not read"),
        ("2*3", "could not read"),
        ("1/0", "divides by zero"),
        ("", "could not read"),
        ("inf", "could not read"),
        ("1e400", "not a finite number"),
        (True, "is a number"),
        (None, "is a number or text"),
        pytest.param(
            10**400,
            "an int of about 401 digits is too large: an answer must fit in a float",
            id="10**400",
        ),
        pytest.param(-(10**400), "too large", id="-10**400"),
        pytest.param(10**100000, "an int of about 100001 digits", id="10**100000"),  # no str()
        ("1e300/1e-300", "'1e300/1e-300' is not a finite number"),
        ("9" * 500, r"'9{100}…' is not a finite number"),
    ],
)
def test_bad_answers_get_a_message_and_are_never_evaluated(text, message):
    with pytest.raises(AnswerError, match=message):
        parse_answer(text)


# --------------------------------------------------------------------------------------------
# engine.check
# --------------------------------------------------------------------------------------------


def test_check_prints_right_or_how_far_off_and_why():
    assert str(check(-1.5, -1.5)) == "right" and check("-3/2", -1.5)
    assert check(0.7071, 0.70710678)  # within 1%
    wrong = check(1.5, -1.5)
    assert not wrong and str(wrong) == "off by 200%: is the sign right?"
    assert str(check(0.75, -1.5)) == "off by 150%"
    half = check(1.0, 2.0)
    assert "half the value" in str(half) and "+=" in str(half)
    assert str(check(0.5, 0.0)) == "off by 0.5 (the answer is 0)"
    assert str(check(-0.0, 0.25)) == "off by 100%" and str(check(0.25, -0.0)).endswith("is 0)")
    forgot = check(0.5, 0.25, mistakes={"did you forget the upstream gradient?": 0.5})
    assert str(forgot) == "off by 100%: did you forget the upstream gradient?"
    assert str(check(0.2, 0.25)) == "off by 20%"
    assert check(1.0, 1.1, rel=0.2) and not check(1.0, 1.1, rel=0.01)
    x = Value(2.0)
    assert check(x, 2.0) and check(2.0, x)
    with pytest.raises(ValueError, match="rel"):
        check(1.0, 1.0, rel=2.0)


def test_a_value_that_is_not_finite_is_worded_and_never_matched():
    nan = check(1, math.nan)
    assert not nan and str(nan) == (
        "off by an unknown amount: the value is nan (not a number), which no answer equals"
    )
    assert "nan%" not in str(nan)
    infinite = check(1, math.inf)  # rel·inf used to let every answer through
    assert not infinite and str(infinite) == "off by an infinite amount: the value is inf"
    assert not check(1e308, math.inf) and not check(-1, -math.inf)
    far = check(1e308, -1e308)
    assert "inf%" not in str(far) and "the difference overflows" in str(far)


def test_a_mistake_that_gives_the_right_number_is_never_named():
    result = check(3.0, 1.0, mistakes={"forgot the upstream": 1.0, "used the output": 3.0})
    assert str(result) == "off by 200%: used the output"


# --------------------------------------------------------------------------------------------
# A practice round on the neuron
# --------------------------------------------------------------------------------------------


def test_a_perfect_round_on_the_neuron_ends_with_backwards_gradients():
    o, v = neuron()
    p = Practice(o)
    assert p.total == 18  # two questions per input of every interior node
    first = p.prompt
    assert first == (
        "step 1/10: o = tanh(n) = 0.7071;  ∂⁺o/∂o = 1 (the seed)\n"
        "  where n = 0.8814\n"
        "  ∂o/∂n = ?   (the local derivative)"
    )
    asked = []
    while not p.done:
        asked.append(p.question.label)
        feedback = p.answer(p.question.value)
        assert feedback.right and str(feedback).startswith("right: ")
    assert asked[:4] == ["∂o/∂n", "n.grad", "∂n/∂add₁", "add₁.grad"]
    assert str(p.score).startswith("score: 18/18 right first time, 0 after a hint, 0 shown (100%)")
    assert v["x1"].grad == pytest.approx(-1.5) and v["w1"].grad == pytest.approx(1.0)
    assert v["x2"].grad == pytest.approx(0.5) and v["w2"].grad == 0.0
    assert "the backward pass is done" in str(p)
    with pytest.raises(RuntimeError, match="over"):
        p.answer(1)


def test_a_wrong_answer_gets_a_hint_from_the_op_table_then_the_answer():
    o, _ = neuron()
    p = Practice(o)
    first = p.answer(0.7071)  # the value of o, not its derivative
    assert first.outcome == "retry" and not first.right
    assert "that is the value of o, not its derivative" in str(first)
    assert "\nhint: o = tanh(n), so ∂o/∂n = 1 - tanh(n)² = 1 - tanh(0.8814)²\n" in str(first)
    assert p.question.label == "∂o/∂n"  # the same question again
    second = p.answer("1/4")
    assert second.outcome == "shown" and str(second) == (
        "off by 50%: that is half the value: does a node used twice add both of its gradients "
        "(+=)? The answer: ∂o/∂n = 0.5"
    )
    assert p.question.label == "n.grad"
    assert p.answer(0.5).right  # the whole step is shown when its last question is done
    assert p.score.shown == 1 and p.score.first_try == 1


def test_the_mistakes_practice_recognises():
    o, _ = neuron()
    p = Practice(o)
    p.answer(0.5)
    p.answer(0.5)  # step 1 done; step 2: n = add₁ + b with upstream 0.5
    assert "did you forget the upstream gradient" not in str(p.answer(1))  # ∂n/∂add₁ = 1: right
    grad = p.answer(1.0)  # add₁.grad = 0.5 × 1; 1 is local without the upstream
    assert "did you forget the upstream gradient (∂⁺o/∂n = 0.5)?" in str(grad)
    assert "\nhint: add₁.grad += upstream × local = 0 + 0.5 × 1\n" in str(grad)
    assert "is the sign right?" in str(p.answer(-0.5))


def test_tanh_input_for_output_is_named():
    x = Value(0.5, label="x")
    y = x.tanh()
    y.label = "y"
    p = Practice(y)
    feedback = p.answer(1 - 0.5**2)  # 1 - x² instead of 1 - tanh(x)²
    assert "did you use the input x = 0.5 where the formula needs the output y = 0.4621?" in str(
        feedback
    )


def test_hints_give_the_answer_from_their_printed_numbers():
    """A hint's numbers get the digits the answer needs: e^9.877 is 19477, not y's 19468, and
    0.8 + 1 × -0.9877 = -0.1877 is not a's gradient -0.1876."""
    x = Value(9.87654, label="x")
    y = x.exp()
    y.label = "y"
    p = Practice(y)
    assert "\nhint: y = e^x, so ∂y/∂x = e^x = e^9.87654\n" in str(p.answer(3))
    assert fmt(y.data) == "19468" and fmt(math.exp(9.877)) == "19477"
    a, b, c = Value(1.23456, label="a"), Value(-0.98765, label="b"), Value(0.80001, label="c")
    out = a * b + c * a
    out.label = "out"
    p = Practice(out)
    hints = []
    while not p.done:
        question = p.question
        hint = str(p.answer(question.value + 10.0)).split("\nhint: ")[1].split("\n")[0]
        hints.append(f"{hint} = {fmt(question.value)}")  # the hint, then the answer as shown
        p.answer(question.value)
    assert "a.grad += upstream × local = 0.80001 + 1 × -0.98765 = -0.1876" in hints
    assert len(equations("\n".join(hints))) == 6 and not wrong_equations("\n".join(hints))


def test_accumulating_gradients_are_practised_on_a_shared_value():
    a = Value(3.0, label="a")
    b = Value(2.0, label="b")
    out = a * b + a
    out.label = "out"
    p = Practice(out)
    labels = []
    while not p.done:
        question = p.question
        labels.append((question.label, question.term.grad_before))
        if question.label == "a.grad" and question.term.grad_before != 0.0:
            wrong = p.answer(question.value - question.term.grad_before)  # forgot the +=
            assert "already held" in str(wrong) and "accumulate" in str(wrong)
        p.answer(question.value)
    assert ("a.grad", 1.0) in labels  # the second contribution starts from the first
    assert a.grad == 3.0


def test_reveal_and_bad_input_and_tolerance():
    o, _ = neuron()
    p = Practice(o, rel=0.2)
    assert p.answer(0.45).right  # within 20%
    with pytest.raises(AnswerError):
        p.answer("half")
    assert p.question.label == "n.grad" and p.score.asked == 1  # a bad answer costs nothing
    shown = p.reveal()
    assert shown.outcome == "shown" and "the answer: n.grad = 0.5\nthe whole step:" in str(shown)
    assert "the whole step:\n[1/10] o = tanh(n)" in str(shown)
    with pytest.raises(ValueError, match="rel"):
        Practice(o, rel=-1)
    with pytest.raises(TypeError, match="root"):
        Practice()


def test_stepper_practice_mode_is_the_same_engine():
    o, v = neuron()
    s = Stepper(o, practice=True)
    assert str(s).startswith("step 1/10: o = tanh(n)")
    assert s.answer("1/2").right and s.answer(0.5).right
    assert s.position == 2 and s.practice.question.label == "∂n/∂add₁"
    with pytest.raises(RuntimeError, match="practice mode"):
        Stepper(o).answer(1)


# --------------------------------------------------------------------------------------------
# Exercises
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", sorted(LEVELS))
def test_exercises_are_seeded_and_match_their_level(level):
    for seed in range(25):
        ex = exercise(level, seed)
        again = exercise(level, seed)
        assert (ex.text, ex.values, ex.root.data) == (again.text, again.values, again.root.data)
        nodes = topological_order(ex.root)
        ops = {n.op for n in nodes if n.op}
        assert ex.root.label == "out" and ex.text.splitlines()[-1].startswith("out = ")
        assert all(v in (-3, -2, -1, -0.5, 0.5, 1, 2, 3) for v in ex.values.values())
        if level == 1:
            assert ops <= {"add", "mul"}
        else:
            assert ops <= {"add", "mul", "tanh", "sigmoid", "relu"}
        if level == 2:
            assert ops & {"tanh", "sigmoid", "relu"}
        uses: dict[int, int] = {}
        for n in nodes:
            for p in n.parents:
                uses[id(p)] = uses.get(id(p), 0) + 1
        fan_out = max(uses.values()) >= 2
        assert fan_out == (level == 3), (level, seed, ex.text)
        assert not any(n.op == "relu" and n.parents[0].data == 0.0 for n in nodes)
    assert len({exercise(level, s).text for s in range(25)}) > 3  # not one exercise repeated


def test_exercise_errors():
    with pytest.raises(ValueError, match="level must be 1, 2 or 3"):
        exercise(4)
    with pytest.raises(TypeError, match="seed"):
        exercise(1, "x")  # type: ignore[arg-type]
    assert exercise(2).seed is not None


@settings(max_examples=30, deadline=None)
@given(level=st.sampled_from(sorted(LEVELS)), seed=st.integers(0, 10_000))
def test_every_exercise_can_be_practised_to_the_end(level, seed):
    ex = exercise(level, seed)
    p = Practice(ex.root)
    while not p.done:
        assert p.answer(p.question.value).right
    reference = exercise(level, seed)
    reference.root.backward()
    for name in ex.values:
        mine = [n for n in topological_order(ex.root) if n.label == name][0]
        theirs = [n for n in topological_order(reference.root) if n.label == name][0]
        assert mine.grad == theirs.grad


@pytest.mark.parametrize("level", sorted(LEVELS))
def test_every_exercise_has_something_to_compute_for_every_input(level):
    """No dead relu cuts an input off: every input's gradient is non-zero (level 3, seed 7 had
    every contribution 0)."""
    from engine import grad
    from engine.core.graph import leaves

    for seed in range(150):
        ex = exercise(level, seed)
        inputs = [leaf for leaf in leaves(ex.root) if leaf.label]
        assert all(g.data != 0.0 for g in grad(ex.root, inputs)), (level, seed, str(ex))


@pytest.mark.parametrize(("asked", "words"), [(3, "1 question not reached"), (2, "2 questions")])
def test_the_score_counts_questions_in_words(asked, words):
    from engine.step.practice_round import Score

    assert words in str(Score(asked, 0, 0, asked, 4))


# --------------------------------------------------------------------------------------------
# One grading rule: no known mistake is ever right
# --------------------------------------------------------------------------------------------


def _a_slip(number: float, value: float, abs_tol: float = 1e-9) -> bool:
    """A mistake's number that can be told from the value (not the same number, not both 0)."""
    if not math.isfinite(number) or (abs(number) <= abs_tol and abs(value) <= abs_tol):
        return False
    return abs(number - value) > 1e-12 * max(abs(number), abs(value))


def test_a_known_mistake_within_the_tolerance_is_never_right_and_is_named():
    # tanh′(s) ≈ 0.995: δ without g′ is 0.5% off, inside 1%; it used to be marked right
    slip = {"the factor g'(s) is missing": 0.5}
    verdict = check(0.5, 0.4975, mistakes=slip)
    assert not verdict and "g'(s) is missing" in str(verdict)
    assert check(0.4975, 0.4975, mistakes=slip) and check(0.4976, 0.4975, mistakes=slip)
    assert not check(0.4988, 0.4975, mistakes=slip)  # nearer the slip than the value
    # with no slip near, 1% holds, as it does in the browser now (it wanted 0.1%)
    assert check(0.045, 0.04518)


def test_the_nearest_known_mistake_is_named():
    mistakes = {"far": 3.0, "near": 2.0}
    assert "near" in str(check(2.01, 1.0, mistakes=mistakes))
    assert "far" in str(check(2.99, 1.0, mistakes=mistakes))


@given(recipe_strategy)
@settings(max_examples=80, deadline=None)
def test_no_known_mistake_is_marked_right_on_random_graphs(recipe):
    root, _ = try_build(recipe)
    practice = Practice(root, grad=recipe[2])
    while not practice.done:
        question = practice.question
        graded = practice.grading(question)
        slips = dict(question.mistakes)
        slips.update({"sign": -question.value, "half": question.value / 2})
        slips["twice"] = question.value * 2
        for text, number in slips.items():
            if _a_slip(number, question.value):
                assert not check(number, question.value, mistakes=question.mistakes), text
                assert not graded.accepts(number), text
        assert practice.answer(question.value).right


def test_practice_asks_nothing_about_constants():
    """``0.5 * x**2``: the constants 0.5 (and the exponent's arg) get no questions; 4 of 8 were
    about ½ (its local derivative and its gradient)."""
    x = Value(3.0, label="x")
    out = 0.5 * x**2
    practice = Practice(out)
    labels = []
    while not practice.done:
        labels.append(practice.question.label)
        assert practice.answer(practice.question.value).right
    assert all("0.5" not in label for label in labels), labels
    assert practice.total == len(labels) == 4


# --------------------------------------------------------------------------------------------
# Hints name the rule, not the number; the diagnosis comes from the known mistakes
# --------------------------------------------------------------------------------------------


def test_no_local_hint_gives_the_answer():
    """``∂mul₁/∂w1 = x1 = 2`` and ``∂add₁/∂b = 1`` gave the answer away."""
    import re

    from engine.core.value import fmt_number

    o, _ = neuron()
    practice = Practice(o)
    hints = 0
    while not practice.done:
        question = practice.question
        if question.kind == "local":
            answer = re.escape(fmt_number(question.value))
            assert not re.search(rf"= {answer}(?![\d.])", question.hint), question.hint
            hints += 1
        practice.answer(question.value)
    assert hints == 9


def test_a_wrong_local_derivative_is_diagnosed_from_the_known_mistakes():
    """1 for ∂L/∂pow₁ = 0.5 (L = 0.5·pow₁) was 'twice the value: counted twice?'."""
    x = Value(3.0, label="x")
    out = 0.5 * x**2
    out.label = "L"
    feedback = Practice(out).answer(1)
    assert "counted twice" not in feedback.text and "rule of a sum" in feedback.text
