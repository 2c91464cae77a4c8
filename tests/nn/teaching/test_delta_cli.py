"""``chainrule delta``: the δ mode from the command line (engine/cli/delta.py): every layer at
once, the numbers the engine finds, usage errors, the player page, the network view, and the
key loop in a real pseudo-terminal."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys

import pytest

from engine.cli import main
from nn import MLP, DeltaStepper
from tests.equations import wrong_equations
from tests.pseudo_terminal import Terminal

needs_renderer = pytest.mark.skipif(
    not any(shutil.which(r) for r in ("dot", "graphviz-pure")),
    reason="no Graphviz renderer on PATH (dot or graphviz-pure) to draw the network view",
)


def same_network(sizes, x, y, seed=0, activation="tanh", output="tanh"):
    """What the command builds, built here by hand: the MLP, the square loss, its δ stepper."""
    model = MLP(sizes[0], sizes[1:], activation=activation, output_activation=output, seed=seed)
    loss = (model(x) - y) ** 2
    loss.backward()
    return DeltaStepper(model, loss, target=y, loss_kind="mse")


def test_all_prints_the_forward_pass_then_every_layer_output_first(capsys):
    argv = ["delta", "--sizes", "2,4,4,1", "--x", "0.5,-1", "--y", "1", "--seed", "3", "--all"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    expected = same_network([2, 4, 4, 1], [0.5, -1.0], 1.0, seed=3)
    assert out.startswith(expected.forward_trace() + "\n")
    assert "backward pass, layer by layer (the output layer first):" in out
    for step in expected.run():
        assert str(step) in out
    assert out.rstrip().endswith(expected.summary())
    assert out.index("[1/3] layer 3") < out.index("[2/3] layer 2") < out.index("[3/3] layer 1")
    assert not wrong_equations(out) and "note:" not in out


def test_the_default_is_the_lectures_network_with_seeded_x_and_y(capsys):
    assert main(["delta", "--all"]) == 0
    out = capsys.readouterr().out
    assert "[1/4] layer 4, the output layer" in out and "[4/4] layer 1:" in out
    assert out.count("layer 1 (tanh): x₁⁽¹⁾ = ") == 1
    rng = random.Random("chainrule delta: x and y, seed 0")
    x = [rng.uniform(-1.0, 1.0) for _ in range(3)]
    y = rng.uniform(-0.9, 0.9)
    expected = same_network([3, 3, 3, 3, 1], x, y)
    assert out.startswith(expected.forward_trace())
    assert [w.data for w in MLP(3, [3], seed=0).layers[0].neurons[0].w] != x  # not the weights
    assert main(["delta", "--all", "--seed", "1"]) == 0
    assert capsys.readouterr().out != out  # another seed, another network


def test_width_folds_every_line(capsys):
    assert main(["delta", "--all", "--width", "50"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 50
    assert "δ known: layer 4 [" in out


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--loss", "squared"], "unknown --loss 'squared'; choose one of: mse, "),
        (["--x", "1,2"], "--x has 2 numbers but the network has 3 inputs"),
        (["--y", "1,2"], "--y has 2 numbers but the network has 1 outputs"),
        (["--activation", "tan"], "unknown activation 'tan'"),
        (["--sizes", "2,3", "--loss", "cross_entropy", "--y", "0,1"], "one class index"),
        (["--sizes", "2,3", "--loss", "cross_entropy", "--y", "5"], "from 0 to 2"),
        (["-o", "network.txt"], "cannot tell what to write to 'network.txt'"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(argv, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["delta", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # refused before any work
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chainrule delta: error: ") and words in lines[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--sizes", "3"], "needs the inputs and at least one layer"),
        (["--sizes", "3,0,1"], "each at least 1"),
        (["--sizes", "3,a"], "not a comma-separated list of whole numbers"),
        (["--x", "1,two,3"], "not a comma-separated list of numbers"),
        (["--width", "10"], "at least 30"),
    ],
)
def test_bad_options_are_usage_errors(argv, words, capsys):
    with pytest.raises(SystemExit) as info:
        main(["delta", *argv])
    assert info.value.code == 2 and words in capsys.readouterr().err


def test_cross_entropy_with_a_linear_output_layer(capsys):
    argv = ["delta", "--sizes", "2,3", "--loss", "cross_entropy", "--output-activation"]
    assert main([*argv, "linear", "--x", "1,0.5", "--y", "2", "--all"]) == 0
    out = capsys.readouterr().out
    model = MLP(2, [3], activation="tanh", output_activation="linear", seed=0)
    from nn.losses import cross_entropy

    loss = cross_entropy(model([1.0, 0.5]), 2)
    loss.backward()
    for step in DeltaStepper(model, loss, target=2, loss_kind="cross_entropy").run():
        assert str(step) in out
        assert step.deltas[2] < 0 < step.deltas[0]  # softmax - one-hot: only the target's is < 0


@needs_renderer
def test_html_writes_the_player_and_o_writes_the_network_view(tmp_path, capsys):
    page = tmp_path / "delta.html"
    assert main(["delta", "--html", str(page)]) == 0
    assert capsys.readouterr().out == f"wrote {page} (4 layers); open it in a browser\n"
    text = page.read_text(encoding="utf-8")
    assert '"quizFrames"' in text and "the δ rule, one layer at a time" in text
    svg = tmp_path / "network.svg"
    assert main(["delta", "-o", str(svg)]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith(f"wrote {svg}") and "[4/4] layer 1:" in out
    assert svg.read_text(encoding="utf-8").lstrip().startswith(("<?xml", "<svg", "<!--"))
    assert "δ ?" not in svg.read_text(encoding="utf-8")  # drawn after the whole pass


def test_o_dot_needs_no_renderer_and_the_html_limit_is_an_error(tmp_path, capsys, monkeypatch):
    from engine.draw import renderers

    monkeypatch.setenv("PATH", str(tmp_path))  # no dot, no graphviz-pure anywhere
    monkeypatch.setattr(renderers, "_script_dirs", lambda: [])
    dot = tmp_path / "network.dot"
    assert main(["delta", "-o", str(dot)]) == 0
    source = dot.read_text(encoding="utf-8")
    assert source.startswith("digraph network") and "L4 [label=<" in source
    capsys.readouterr()
    page = tmp_path / "big.html"
    assert main(["delta", "--html", str(page), "--max-weights", "10"]) == 2
    err = capsys.readouterr().err
    assert "30 weights, more than the δ page's max_weights=10" in err  # 3·3 + 3·3 + 3·3 + 3·1
    assert "chainrule delta --max-weights 30" in err and not page.exists()


def test_a_pipe_gets_every_layer_without_asking():
    result = subprocess.run(
        [sys.executable, "-m", "engine", "delta", "--sizes", "2,2,1"],
        input="",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "[1/2] layer 2, the output layer" in result.stdout and "[2/2] layer 1:" in result.stdout


@pytest.mark.skipif(
    not hasattr(os, "fork") or sys.platform == "win32",
    reason="pseudo-terminals need a POSIX system",
)
def test_stepping_layer_by_layer_in_a_real_pseudo_terminal():
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # the child: the command, with the pty as its terminal
        try:
            os.execv(sys.executable, [sys.executable, "-m", "engine", "delta"])
        finally:
            os._exit(127)
    term = Terminal(pid, fd)
    try:
        head = term.expect("Enter/n: next step")
        assert "forward pass (inputs first):" in head and "backward pass: 4 steps." in head
        term.send("n")
        assert "[1/4] layer 4, the output layer" in term.expect("δ known: layer 4 [")
        term.send("n")
        assert "[2/4] layer 3:" in term.expect("δ known: layer 4 [")
        term.send("b")
        undone = term.expect("δ known: layer 4 [")
        assert "undid step 2 (layer 3)" in undone and "[1/4] layer 4" in undone
        for k, layer in ((2, 3), (3, 2), (4, 1)):
            term.send("n")
            assert f"[{k}/4] layer {layer}:" in term.expect("δ known:")
        term.expect("end of the backward pass")
        term.send("q")
        term.expect("bye")
    except BaseException:
        os.kill(pid, 9)
        term.finish()
        raise
    assert term.finish() == 0


def test_practice_reads_answers_line_by_line_and_scores_them():
    rng = random.Random("chainrule delta: x and y, seed 0")
    x = [rng.uniform(-1.0, 1.0) for _ in range(3)]
    y = rng.uniform(-0.9, 0.9)
    answers = [f"{d!r}" for step in same_network([3, 3, 3, 3, 1], x, y).run() for d in step.deltas]
    answers[0] = "1/3"  # one miss, then right
    answers.insert(1, f"{same_network([3, 3, 3, 3, 1], x, y).next().deltas[0]!r}")
    result = subprocess.run(
        [sys.executable, "-m", "engine", "delta", "--practice"],
        input="\n".join(answers) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "step 1/4: layer 4, the output layer" in out and "δ₁⁽⁴⁾ = ?   from ∂⁺L/∂x₁⁽⁴⁾ = " in out
    assert "hint: δ₁⁽⁴⁾ = ∂⁺L/∂x₁⁽⁴⁾ · (1 - tanh(s₁⁽⁴⁾)²) = " in out
    assert out.rstrip().endswith("score: 9/10 right first time, 1 after a hint, 0 shown (95%)"), (
        out[-400:]
    )


@pytest.mark.parametrize(
    "sizes, words",
    [
        ("1500,1500,1", "--sizes asks for a layer of 1,500; each size may be at most 100"),
        ("3000,3000,1", "--sizes asks for a layer of 3,000; each size may be at most 100"),
        ("2," + "99999999999999999999", "each size may be at most 100"),
        (",".join(["2"] * 17), "--sizes has 17 numbers; at most 16 are allowed"),
        ("100,100,100,100,1", "makes 30,100 weights; at most 25,000 are allowed"),
    ],
)
def test_sizes_are_capped_with_an_error_naming_the_flag_and_the_limit(sizes, words, capsys):
    with pytest.raises(SystemExit) as info:
        main(["delta", "--sizes", sizes, "--all"])
    captured = capsys.readouterr()
    assert info.value.code == 2 and captured.out == "" and words in captured.err


def test_sizes_at_the_caps_still_run(capsys):
    from nn.teaching.delta_cli import MAX_SIZES, MAX_WIDTH

    assert main(["delta", "--sizes", f"{MAX_WIDTH},1", "--all"]) == 0
    assert main(["delta", "--sizes", ",".join(["2"] * MAX_SIZES), "--all"]) == 0
    assert "δ known" in capsys.readouterr().out


def test_a_linear_output_layer_prints_its_delta_line_once(capsys):
    argv = ["delta", "--sizes", "2,2,1", "--output-activation", "linear", "--all"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("(a linear output: θ' = 1)") == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["--loss", "mse"],
        ["--loss", "bce_with_logits"],
        ["--loss", "hinge"],
        ["--loss", "perceptron"],
        ["--loss", "cross_entropy", "--sizes", "3,3,2"],
        ["--loss", "cross_entropy", "--sizes", "2,4,3", "--seed", "5"],
    ],
)
def test_every_loss_runs_on_its_own_default_targets(argv, capsys):
    assert main(["delta", "--all", *argv]) == 0
    out = capsys.readouterr().out
    assert "δ known:" in out and "error" not in out


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--loss", "cross_entropy"], "end --sizes with the number of classes"),
        (["--loss", "cross_entropy", "--sizes", "3,2", "--y", "2"], "--y 0 or --y 1"),
        (["--loss", "cross_entropy", "--sizes", "3,2", "--y", "0.5"], "--y 0 or --y 1"),
        (["--loss", "bce_with_logits", "--y", "-0.3"], "--y 0 or --y 1"),
        (["--loss", "hinge", "--y", "0.5"], "--y 1 or --y -1"),
    ],
)
def test_targets_that_do_not_fit_the_loss_name_the_flag(argv, words, capsys):
    assert main(["delta", "--all", *argv]) != 0
    assert words in capsys.readouterr().err


def test_help_is_for_users_not_developers(capsys):
    with pytest.raises(SystemExit):
        main(["delta", "--help"])
    out = capsys.readouterr().out
    assert "entry point" not in out and "``" not in out
