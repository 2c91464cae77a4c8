"""``chainrule step``: every step at once, errors, the HTML player, and the interactive stepper
driven for real through a pseudo-terminal (engine/cli_step.py)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest

from engine.cli import main
from engine.step import Stepper
from engine.step.terminal import CLEAR_SCREEN, interactive
from tests.equations import wrong_equations
from tests.pseudo_terminal import Terminal

pytest.importorskip("engine.cli.expr")  # the whitelist parser the command is built on

NEURON = ["tanh(x1*w1 + x2*w2 + b)", "x1=2", "w1=-3", "x2=0", "w2=1", "b=6.881373587019543"]
STATEMENTS = "n = x1*w1 + x2*w2 + b; o = tanh(n)"
HAND_DERIVED = {"x1": "-1.5", "w1": "1", "x2": "0.5", "w2": "0", "b": "0.5"}


def run_step(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """``python -m engine step ARGV`` with pipes for stdin and stdout (not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "engine", "step", *argv],
        input=stdin or "",
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_hand_derivation(text: str, root: str = "out") -> None:
    assert f"{root} = tanh(" in text and ") = 0.7071" in text
    assert re.search(rf"∂{root}/∂(\S+) = 1 - tanh\(\1\)² = 0\.5;", text), text  # do/dn = 0.5
    for name, grad in HAND_DERIVED.items():
        assert re.search(rf"∂⁺{root}/∂{name} = {re.escape(grad)}$", text, re.M), name
    assert not wrong_equations(text)


# --------------------------------------------------------------------------------------------
# --all and pipes
# --------------------------------------------------------------------------------------------


def test_all_prints_the_forward_pass_every_step_and_the_gradients(capsys):
    assert main(["step", *NEURON, "--all"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("forward pass (inputs first):\n")
    assert [int(k) for k in re.findall(r"^\[(\d+)/10\]", out, re.M)] == list(range(1, 11))
    assert "upstream ∂⁺out/∂out = 1 (the seed)" in out
    assert_hand_derivation(out)
    tail = out.split("gradients of the inputs:\n")[1]
    assert {line.split(" = ")[0].strip() for line in tail.splitlines()} == {
        f"∂⁺out/∂{name}" for name in HAND_DERIVED
    }


def test_b_rounded_as_in_the_issue_gives_the_same_numbers_to_four_digits(capsys):
    argv = [a if not a.startswith("b=") else "b=6.8814" for a in NEURON]
    assert main(["step", *argv, "--all"]) == 0
    out = capsys.readouterr().out
    tail = out.split("gradients of the inputs:\n")[1]
    grads = {m[0]: float(m[1]) for m in re.findall(r"∂⁺out/∂(\w+) = (\S+)", tail)}
    for name, grad in HAND_DERIVED.items():
        assert grads[name] == pytest.approx(float(grad), abs=1e-4), name
    assert not wrong_equations(out)  # "0.5 × -3 = -1.4999" no more


def test_a_pipe_gets_every_step_without_asking():
    result = run_step(*NEURON, stdin="q\n")
    assert result.returncode == 0, result.stderr
    assert "[10/10]" in result.stdout and "bye" not in result.stdout
    assert_hand_derivation(result.stdout)


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["__import__('os').system('echo owned')"], "__import__"),
        (["tanh(x)"], "x"),
        (["x * 2", "x=abc"], "abc"),
        (["log(x)", "x=-1"], "log"),
        (["x +", "x=1"], "x +"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(argv, fragment, capsys):
    assert main(["step", *argv, "--all"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "owned" not in out
    first, *pointer = err.splitlines()
    assert first.startswith("chainrule step: error: ") and fragment in first, err
    assert len(pointer) in (0, 2) and "Traceback" not in err  # the expression and a caret
    if pointer:
        assert pointer[1].strip().startswith("^")


def test_a_derivative_that_is_not_finite_is_an_error_not_a_traceback(capsys):
    assert main(["step", "sqrt(x)", "x=0", "--all"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule step: error: backward through sqrt(x=0.0)")
    assert err.count("\n") == 1


# --------------------------------------------------------------------------------------------
# Names, parameters and the projector options
# --------------------------------------------------------------------------------------------


def test_name_equals_expression_names_the_result_and_the_intermediates(capsys):
    assert main(["step", STATEMENTS, *NEURON[1:], "--all"]) == 0
    out = capsys.readouterr().out
    assert " 9. n = add₁ + b = 0.8814" in out and "10. o = tanh(n) = 0.7071" in out
    assert "[1/10] o = tanh(n) = 0.7071;  upstream ∂⁺o/∂o = 1 (the seed)" in out
    assert "∂o/∂n = 1 - tanh(n)² = 0.5;" in out
    assert_hand_derivation(out, root="o")


def test_a_named_result_of_one_expression(capsys):
    assert main(["step", "o = tanh(x1*w1 + x2*w2 + b)", *NEURON[1:], "--all"]) == 0
    assert_hand_derivation(capsys.readouterr().out, root="o")


def test_draw_takes_statements_too(tmp_path, capsys):
    target = tmp_path / "neuron.dot"
    assert main(["draw", STATEMENTS, *NEURON[1:], "-o", str(target)]) == 0
    source = target.read_text(encoding="utf-8")
    assert ">o</td>" in source and ">n</td>" in source and ">out</td>" not in source


def test_params_makes_parameters(capsys):
    assert main(["step", *NEURON, "--params", "w1, w2,b", "--all"]) == 0
    out = capsys.readouterr().out
    assert "w1 = -3  (parameter)" in out and "x1 = 2  (input)" in out
    assert "b = 6.881 is a parameter (a leaf)" in out


def test_params_without_a_value_is_an_error(capsys):
    assert main(["step", *NEURON, "--params", "w9", "--all"]) == 2
    assert "--params names 'w9', which has no value" in capsys.readouterr().err


def test_width_folds_every_line(capsys):
    assert main(["step", STATEMENTS, *NEURON[1:], "--all", "--width", "40"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 40
    assert "\n    = 0.5 × -3 = -1.5" in out or "= 0.5 × -3 = -1.5" in out


def test_digits_prints_that_many_significant_digits(capsys):
    assert main(["step", STATEMENTS, *NEURON[1:], "--all", "--digits", "6"]) == 0
    out = capsys.readouterr().out
    assert "o = tanh(n) = 0.707107" in out and "b = 6.88137  (input)" in out


@pytest.mark.parametrize(
    "option, words",
    [
        (["--width", "10"], "at least 30"),
        (["--width", "wide"], "not a whole number"),
        (["--digits", "0"], "from 1 to 17"),
        (["--digits", "4.5"], "not a whole number"),
    ],
)
def test_bad_projector_options_are_usage_errors(option, words, capsys):
    with pytest.raises(SystemExit) as info:
        main(["step", *NEURON, *option])
    assert info.value.code == 2 and words in capsys.readouterr().err


def test_clear_is_accepted_and_only_clears_an_interactive_screen(capsys):
    assert main(["step", *NEURON, "--all", "--clear"]) == 0
    assert CLEAR_SCREEN not in capsys.readouterr().out  # printing every step: nothing to clear


# --------------------------------------------------------------------------------------------
# --html
# --------------------------------------------------------------------------------------------


def test_html_writes_the_player(tmp_path, capsys):
    draw = pytest.importorskip("engine.draw")
    if not draw.find_renderers():
        pytest.skip("no Graphviz renderer (dot or graphviz-pure)")
    assert main(["step", *NEURON, "--html", str(tmp_path / "neuron")]) == 0
    page = (tmp_path / "neuron" / "index.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 1  # the graph once; the steps are data (test_player.py)
    assert "out = tanh(x1*w1 + x2*w2 + b)" in page  # the title
    assert f"wrote {tmp_path / 'neuron' / 'index.html'} (10 steps)" in capsys.readouterr().out


def test_html_into_a_file_is_an_error(tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("keep")
    assert main(["step", *NEURON, "--html", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule step: error: ") and "file.txt" in err
    assert target.read_text() == "keep"


# --------------------------------------------------------------------------------------------
# Interactive: the key loop, then the real thing in a pseudo-terminal
# --------------------------------------------------------------------------------------------


def neuron_stepper() -> Stepper:
    from engine.cli.expr import build, parse_assignments

    root, _ = build(NEURON[0], parse_assignments(NEURON[1:]))
    root.label = "out"
    return Stepper(root)


def test_the_key_loop_moves_undoes_and_quits():
    stepper = neuron_stepper()
    keys = iter(["n", "\n", "b", "?", "b", "b", "\x1b[C", "q", "n"])
    out = io.StringIO()
    assert interactive(stepper, out, read_key=lambda: next(keys)) == 0
    text = out.getvalue()
    assert stepper.position == 1  # "q" stopped it before the last "n"
    assert next(keys) == "n"
    order = [
        m for m in re.findall(r"^(\[\d+/10\]|undid step \d|\(at the start|Enter/n|bye)", text, re.M)
    ]
    assert order == [
        "[1/10]",
        "[2/10]",
        "undid step 2",
        "[1/10]",
        "Enter/n",
        "undid step 1",
        "(at the start",
        "[1/10]",
        "bye",
    ]


def test_the_key_loop_stops_at_end_of_input_and_says_when_at_the_end():
    stepper = neuron_stepper()
    keys = iter(["n"] * 11 + [None])
    out = io.StringIO()
    assert interactive(stepper, out, read_key=lambda: next(keys)) == 0
    text = out.getvalue()
    assert stepper.done and "end of the backward pass" in text
    assert "(at the end: b goes back, q quits)" in text
    assert_hand_derivation(text)


@pytest.mark.skipif(
    not hasattr(os, "fork") or sys.platform == "win32",
    reason="pseudo-terminals need a POSIX system",
)
def test_interactive_stepping_in_a_real_pseudo_terminal():
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: the command, with the pty as its terminal
        try:
            os.execv(sys.executable, [sys.executable, "-m", "engine", "step", *NEURON])
        finally:
            os._exit(127)
    term = Terminal(pid, fd)
    try:
        head = term.expect("backward pass: 10 steps. Enter/n: next step")
        assert "forward pass (inputs first):" in head and "[1/10]" not in head
        term.send("n")
        first = term.expect("gradients so far")
        assert "[1/10] out = tanh(" in first
        assert "upstream ∂⁺out/∂out = 1 (the seed)" in first
        assert re.search(r"1 - tanh\(\S+\)² = 0\.5;", first)
        term.send("\r")  # Enter
        assert "[2/10]" in term.expect("gradients so far")
        term.send("b")
        undone = term.expect("gradients so far")
        assert "undid step 2" in undone and "[1/10]" in undone
        term.send("b")
        assert "(before the first step)" in term.expect("gradients so far: none yet")
        term.send("b")
        term.expect("(at the start: nothing to undo)")
        term.send("\x1b[C")  # the right arrow
        assert "[1/10]" in term.expect("gradients so far")
        seen = ""
        for k in range(2, 11):
            term.send("n")
            chunk = term.expect("gradients so far")
            assert f"[{k}/10]" in chunk
            seen += chunk
        term.expect("end of the backward pass: every gradient is computed")
        assert_hand_derivation(first + seen)
        term.send("n")
        term.expect("(at the end: b goes back, q quits)")
        term.send("q")
        term.expect("bye")
    except BaseException:
        os.kill(pid, 9)
        term.finish()
        raise
    assert term.finish() == 0


def test_a_reader_that_stops_early_gets_no_traceback():
    terms = " + ".join(f"x*{i}" for i in range(1, 301))  # far more output than a pipe holds
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "step", terms, "x=0.5"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout.readline() == b"forward pass (inputs first):\n"
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0 and "Traceback" not in err, err


@pytest.mark.parametrize(
    "argv",
    [
        ["step", " + ".join(f"tanh(x*{i})" for i in range(1, 120)), "x=0.5"],
        ["delta", "--sizes", "12,12,12,1", "--all"],
        ["practice", "x*y", "x=2", "y=3"],
        ["demo", "neuron"],
        ["draw", " + ".join(f"tanh(x*{i})" for i in range(1, 80)), "x=0.5", "-o", "-"],
    ],
    ids=["step", "delta", "practice", "demo", "draw"],
)
def test_every_command_ends_quietly_when_the_reader_stops(argv):
    """``chainrule ... | head -2``: every command ends quietly when the pipe closes."""
    with subprocess.Popen(
        [sys.executable, "-m", "engine.cli", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # the reader goes away before the command writes anything
        err = proc.stderr.read().decode()
        code = proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert code == 0, err


def test_a_result_of_numbers_only_is_a_constant_not_an_input(capsys):
    """``chainrule step '2*3'`` called the result "(input)": it is a number, not differentiated."""
    assert main(["step", "2*3", "--all"]) == 0
    out = capsys.readouterr().out
    assert "(constant)" in out and "(input)" not in out and "not differentiated" in out
