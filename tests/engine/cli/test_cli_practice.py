"""``chainrule practice`` and ``chainrule derive``, driven as a learner would: scripted stdin."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from engine.cli import main

pytest.importorskip("engine.cli.expr")

NEURON = ["tanh(x1*w1 + x2*w2 + b)", "x1=2", "w1=-3", "x2=0", "w2=1", "b=6.881373587019543"]
# The 18 answers of the neuron, in the order asked: ∂/∂input, then input.grad, per input.
NEURON_ANSWERS = [
    "1/2", "0.5",  # o = tanh(add₂): local, grad
    "1", "0.5", "1", "0.5",  # add₂ = add₁ + b
    "1", "0.5", "1", "0.5",  # add₁ = mul₁ + mul₂
    "1", "0.5", "0", "0",  # mul₂ = x2 · w2
    "-3", "-1.5", "2", "1",  # mul₁ = x1 · w1
]  # fmt: skip


def practice(*argv: str, stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "engine", "practice", *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_scripted_session_answers_every_step_of_the_neuron():
    result = practice(*NEURON, stdin="\n".join(NEURON_ANSWERS) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("practise the backward pass of out = tanh(")
    assert "forward pass (inputs first):" in out
    assert out.count("right: ") == 18 and "off by" not in out
    assert "step 1/10: out = tanh(add₂) = 0.7071" in out
    assert "  right: x1.grad = -1.5\n" in out and "  right: w1.grad = 1\n" in out
    assert "score: 18/18 right first time, 0 after a hint, 0 shown (100%)" in out


def test_wrong_answers_get_hints_then_the_answer_and_bad_input_a_message():
    script = ["what?", "1/0", "0.7071", "0.25", "s", "q"]
    result = practice(*NEURON, stdin="\n".join(script) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "could not read 'what?' as a number" in out
    assert "'1/0' divides by zero" in out
    assert "off by 41%: that is the value of out, not its derivative" in out
    assert "hint: out = tanh(add₂), so ∂out/∂add₂ = 1 - tanh(add₂)² = 1 - tanh(0.8814)²\n" in out
    assert "(+=)? The answer: ∂out/∂add₂ = 0.5\n" in out
    assert "  the answer: add₂.grad = 0.5\n" in out  # 's' shows it
    assert "score: 0/2 right first time, 0 after a hint, 2 shown (0%); 16 questions" in out


def test_end_of_input_stops_with_the_score():
    result = practice(*NEURON, stdin="0.5\n")
    assert result.returncode == 0 and "(end of input)" in result.stdout
    assert "score: 1/1 right first time" in result.stdout


@pytest.mark.parametrize("level", ["1", "2", "3"])
def test_random_exercises_are_seeded_and_can_be_finished(level):
    from engine.step.exercises import exercise
    from engine.step.practice import Practice

    ex = exercise(int(level), 11)
    p = Practice(ex.root)
    answers = []
    while not p.done:
        answers.append(repr(p.question.value))
        p.answer(p.question.value)
    result = practice("--random", "--level", level, "--seed", "11", stdin="\n".join(answers))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(f"exercise (level {level}: ")
    assert ex.text.splitlines()[-1] in out and f"with {ex.assignments()}" in out
    assert f"score: {len(answers)}/{len(answers)} right first time" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        ([], "give an expression and its values"),
        (["x*y", "x=1", "y=2", "--random"], "not both"),
        (["x*", "x=1"], "x*"),
        (["x*y", "x=1", "y=2", "--rel", "3"], "--rel must be from 0 to 1"),
    ],
)
def test_usage_errors_are_one_line(argv, message, capsys):
    assert main(["practice", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule practice: error:") and message in err


# --------------------------------------------------------------------------------------------
# chainrule derive
# --------------------------------------------------------------------------------------------


def test_derive_prints_the_chain_rule_for_one_variable(capsys):
    assert main(["derive", *NEURON, "--wrt", "x1"]) == 0
    out = capsys.readouterr().out
    assert "path 1: x1 → mul₁ → add₁ → add₂ → out" in out
    assert "= (1 - tanh(add₂)²) · 1 · 1 · w1" in out
    assert "\n          = 0.5 × 1 × 1 × (-3)\n          = -1.5\n" in out
    assert out.endswith("\nbackward() found ∂⁺out/∂x1 = -1.5: the two agree (difference 0).\n")


def test_derive_every_variable_as_latex_and_markdown(capsys):
    assert main(["derive", "x*y + x", "x=2", "y=3", "--latex"]) == 0
    out = capsys.readouterr().out
    assert out.count("\\begin{aligned}") == 2 and "&= 4" in out and "&= 2" in out
    assert main(["derive", "x*y + x", "x=2", "y=3", "--wrt", "x", "--markdown"]) == 0
    md = capsys.readouterr().out
    assert "- path 1: x → mul₁ → out" in md and "$$\n\\begin{aligned}" in md


def test_derive_groups_many_paths(capsys):
    expr = "tanh(tanh(x*x*x*x)*tanh(x*x*x*x))"
    assert main(["derive", expr, "x=0.5", "--max-paths", "2"]) == 0
    assert "grouped where paths split" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["x*y", "x=1", "y=2", "--wrt", "z"], "--wrt z: not a variable"),
        (["2*3"], "no variables"),
        (["x*y", "x=1", "y=2", "--max-paths", "0"], "--max-paths"),
        (["x**", "x=1"], "x**"),
    ],
)
def test_derive_usage_errors(argv, message, capsys):
    assert main(["derive", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule derive: error:") and message in err


def test_both_subcommands_are_listed_in_help(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert re.search(r"practice\s+practise backpropagation", out)
    assert re.search(r"derive\s+write a derivative out", out)


@pytest.mark.skipif(
    shutil.which("dot") is None and shutil.which("graphviz-pure") is None, reason="no renderer"
)
def test_step_writes_a_gif(tmp_path, capsys):
    Image = pytest.importorskip("PIL.Image", reason="Pillow is the optional 'gif' extra")
    target = tmp_path / "neuron.gif"
    assert main(["step", *NEURON, "--gif", str(target)]) == 0
    assert f"wrote {target} (10 frames, one per step)" in capsys.readouterr().out
    with Image.open(target) as gif:
        assert gif.n_frames == 10
    long = "+".join(["x"] * 70)
    assert main(["step", f"tanh({long})", "x=1", "--gif", str(tmp_path / "long.gif")]) == 2
    assert "more than max_steps=60" in capsys.readouterr().err


def test_a_session_asks_nothing_about_the_constants():
    """``(x*0.5)**2``: 0.5 and the exponent are numbers of the expression, not differentiated;
    the session asked ∂mul₁/∂(0.5) and (0.5).grad too (4 questions of 8 were about ½)."""
    result = practice("(x*0.5)**2", "x=2", stdin="2\n2\n0.5\n1\n")
    assert result.returncode == 0, result.stderr
    assert "∂(0.5)" not in result.stdout and "(0.5).grad" not in result.stdout
    assert "score: 4/4 right first time" in result.stdout
