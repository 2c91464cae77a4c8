"""Practice for the δ mode (nn/teaching/delta_practice.py): the learner gives each layer's δ
first."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.step.answers import AnswerError, graded_check
from nn import MLP, DeltaStepper
from nn.teaching.delta_practice import DeltaPractice
from nn.teaching.network_view import network_state
from tests.networks import lecture_network


def lecture(seed: int = 4, practice: bool = True) -> DeltaStepper:
    return DeltaStepper(*lecture_network(seed), practice=practice)


NUMBER = r"(-?\d+(?:\.\d+)?(?:e-?\d+)?)"


def by_hand_from_the_prompt(prompt: str) -> float:
    """δ worked out from nothing but the numbers the prompt gives (tanh: g'(s) = 1 - a²)."""
    given = prompt.splitlines()[-1].split(" from ", 1)[1]
    a = float(re.search(r"x\S* = " + NUMBER + r" \(tanh\)", given).group(1))
    upstream = re.search(r"∂⁺L/∂x\S* = " + NUMBER, given)
    if upstream:
        return float(upstream.group(1)) * (1.0 - a * a)
    pairs = re.findall(r"w\S* = " + NUMBER + r", δ\S* = " + NUMBER, given)
    assert pairs, given
    return (1.0 - a * a) * sum(float(w) * float(d) for w, d in pairs)


@pytest.mark.parametrize("seed", range(3))
def test_the_numbers_in_each_prompt_are_enough_to_get_every_delta_right(seed):
    d = lecture(seed)
    practice = d.practice
    assert practice.total == 10 and d.position == 0  # 1 + 3 + 3 + 3 neurons
    state = network_state(d.model, loss=d.loss)
    layers_seen = []
    while not practice.done:
        question = practice.question
        prompt = str(d)
        assert prompt.endswith(f"{question.label} = ?   from {question.given}")
        feedback = d.answer(by_hand_from_the_prompt(prompt))
        assert feedback.right, (prompt, feedback.text)
        layers_seen.append(question.step.layer)
        if feedback.step_done:
            assert d.position == question.step.index  # the layer is found: the stepper moved
            assert f"the whole step:\n{question.step}" in feedback.text
    assert d.done and layers_seen == [4, 3, 3, 3, 2, 2, 2, 1, 1, 1]
    assert str(practice.score) == "score: 10/10 right first time, 0 after a hint, 0 shown (100%)"
    assert str(d).startswith("every δ is found.") and d.summary() in str(d)
    engine = [n.delta for layer in reversed(state.layers) for n in layer]
    assert [q.value for q, _ in practice.outcomes] == pytest.approx(engine, rel=1e-12)


def test_a_miss_gets_the_rule_as_a_hint_and_a_second_miss_the_answer():
    d = lecture()
    first = d.practice.question
    step = first.step
    missed = d.answer(first.value * 3)
    assert missed.outcome == "retry" and not missed.step_done
    assert missed.text.splitlines()[1] == f"hint: {step.questions[0].rule}"
    right = d.answer(f"{first.value:.6f}")
    assert right.outcome == "right" and right.step_done  # the output layer has one neuron
    second = d.practice.question
    d.answer(99)
    shown = d.answer("-99")
    assert shown.outcome == "shown" and f"The answer: {second.label} = " in shown.text
    revealed = d.practice.reveal()
    assert revealed.outcome == "shown" and revealed.text.startswith("the answer: δ₂⁽³⁾ = ")
    score = d.practice.score
    assert (score.first_try, score.after_hint, score.shown, score.asked) == (0, 1, 2, 3)


def test_leaving_out_g_prime_is_named_when_it_makes_a_difference():
    model = MLP(2, [2, 1], activation="tanh", output_activation="tanh", seed=0)
    for p in model.parameters():
        p.data = 1.2  # saturating: g'(s) far from 1
    loss = (model([1.0, 1.0]) + 1.0) ** 2
    loss.backward()
    d = DeltaStepper(model, loss, practice=True)
    question = d.practice.question
    no_slope = next(iter(question.mistakes.values()))
    assert abs(no_slope - question.value) > 0.5 * abs(question.value)
    feedback = d.answer(no_slope)
    assert "the factor θ'(s) is missing" in feedback.text


def test_bad_answers_cost_nothing_and_the_round_has_an_end():
    d = lecture()
    with pytest.raises(AnswerError, match="abc"):
        d.answer("abc")
    assert d.practice.score.asked == 0
    while not d.practice.done:
        d.practice.reveal()
    with pytest.raises(RuntimeError, match="over"):
        d.answer(1)
    with pytest.raises(RuntimeError, match="practice=True"):
        lecture(practice=False).answer(1)
    with pytest.raises(ValueError, match="rel"):
        DeltaPractice(lecture(practice=False), rel=2.0)


def test_practice_starts_from_the_forward_pass():
    d = lecture(practice=False)
    d.run()
    practice = DeltaPractice(d)
    assert d.position == 0 and practice.question.step.layer == 4
    assert "δ known: none yet" in practice.summary()


def test_leaving_out_every_g_prime_scores_nothing():
    """tanh′ ≈ 0.9999 here: every δ without its g′ factor was within 1%, and scored 100%."""
    d = lecture(0)
    practice = d.practice
    while not practice.done:
        question = practice.question
        slip = [n for text, n in question.mistakes.items() if "θ'(s) is missing" in text]
        if not slip:
            practice.reveal()
            continue
        feedback = practice.answer(slip[0])
        assert not feedback.right and "θ'(s) is missing" in feedback.text
        practice.reveal()
    assert practice.score.first_try == 0


@given(
    seed=st.integers(0, 10**6),
    activation=st.sampled_from(["tanh", "sigmoid", "relu", "linear"]),
    xs=st.lists(st.floats(-2, 2, allow_nan=False), min_size=2, max_size=2),
)
@settings(max_examples=40, deadline=None)
def test_no_known_mistake_is_marked_right_on_random_networks(seed, activation, xs):
    model = MLP(2, [3, 2, 1], activation, output_activation="tanh", seed=seed)
    loss = (model(xs) - 0.3) ** 2
    loss.backward()
    practice = DeltaStepper(model, loss, practice=True).practice
    while not practice.done:
        question = practice.question
        slips = dict(question.mistakes)
        slips.update({"sign": -question.value, "twice": 2 * question.value})
        for text, number in slips.items():
            gap = abs(number - question.value)
            if math.isfinite(number) and gap > max(1e-12 * abs(question.value), 1e-9):
                assert not practice.grading(question).accepts(number), text
                graded = graded_check(number, practice.grading(question), practice.rel, 1e-9)
                assert not graded, text  # what answer() does with it
        assert practice.answer(question.value).right
