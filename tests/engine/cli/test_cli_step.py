"""``chainrule step``: every step at once, errors, the HTML player, and the interactive stepper
driven for real through a pseudo-terminal (engine/cli_step.py)."""

from __future__ import annotations

import io
import os
import re
import select
import subprocess
import sys
import time

import pytest

from engine.cli import main
from engine.step import Stepper
from engine.step.terminal import interactive

pytest.importorskip("engine.cli.expr")  # the whitelist parser the command is built on

NEURON = ["tanh(x1*w1 + x2*w2 + b)", "x1=2", "w1=-3", "x2=0", "w2=1", "b=6.881373587019543"]
HAND_DERIVED = {"x1": "-1.5000", "w1": "1.0000", "x2": "0.5000", "w2": "0.0000", "b": "0.5000"}


def run_step(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """``python -m engine step ARGV`` with pipes for stdin and stdout (not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "engine", "step", *argv],
        input=stdin or "",
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_hand_derivation(text: str) -> None:
    assert "out = tanh(" in text and ") = 0.7071" in text
    assert re.search(r"∂out/∂(\S+) = 1 - tanh\(\1\)² = 0\.5000", text), text  # do/dn = 0.5
    for name, grad in HAND_DERIVED.items():
        assert f"∂out/∂{name} = {grad}" in text, name


# --------------------------------------------------------------------------------------------
# --all and pipes
# --------------------------------------------------------------------------------------------


def test_all_prints_the_forward_pass_every_step_and_the_gradients(capsys):
    assert main(["step", *NEURON, "--all"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("forward pass (inputs first):\n")
    assert [int(k) for k in re.findall(r"^\[(\d+)/10\]", out, re.M)] == list(range(1, 11))
    assert "upstream ∂out/∂out = 1.0000 (the seed)" in out
    assert_hand_derivation(out)
    tail = out.split("gradients of the inputs:\n")[1]
    assert {line.split(" = ")[0].strip() for line in tail.splitlines()} == {
        f"∂out/∂{name}" for name in HAND_DERIVED
    }


def test_b_rounded_as_in_the_issue_gives_the_same_numbers_to_four_decimals(capsys):
    argv = [a if not a.startswith("b=") else "b=6.8814" for a in NEURON]
    assert main(["step", *argv, "--all"]) == 0
    tail = capsys.readouterr().out.split("gradients of the inputs:\n")[1]
    grads = {m[0]: float(m[1]) for m in re.findall(r"∂out/∂(\w+) = (-?\d+\.\d+)", tail)}
    for name, grad in HAND_DERIVED.items():
        assert grads[name] == pytest.approx(float(grad), abs=1e-4), name


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
    assert err.startswith("chainrule step: error: ") and err.count("\n") == 1, err
    assert fragment in err and "Traceback" not in err


def test_a_derivative_that_is_not_finite_is_an_error_not_a_traceback(capsys):
    assert main(["step", "sqrt(x)", "x=0", "--all"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule step: error: backward through sqrt(x=0.0)")
    assert err.count("\n") == 1


# --------------------------------------------------------------------------------------------
# --html
# --------------------------------------------------------------------------------------------


def test_html_writes_the_player(tmp_path, capsys):
    draw = pytest.importorskip("engine.draw.dot")
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


class Terminal:
    """The parent side of a pseudo-terminal: send keys, wait for text (with a generous limit)."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid, self.fd = pid, fd
        self.buffer = ""
        self.seen = 0  # everything before this offset has been matched already

    def send(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def expect(self, text: str, limit: float = 60.0) -> str:
        """Wait until `text` appears after the last match; returns the output up to it."""

        deadline = time.monotonic() + limit
        while text not in self.buffer[self.seen :]:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._read(remaining):
                raise AssertionError(
                    f"never saw {text!r}; the terminal shows:\n{self.buffer[self.seen :]}"
                )
        end = self.buffer.index(text, self.seen) + len(text)
        chunk, self.seen = self.buffer[self.seen : end], end
        return chunk

    def _read(self, timeout: float) -> bool:
        if not select.select([self.fd], [], [], timeout)[0]:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.buffer += data.decode("utf-8", "replace").replace("\r\n", "\n")
        return bool(data)

    def finish(self) -> int:
        while self._read(5.0):
            pass
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)


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
        first = term.expect("gradients: ")
        assert "[1/10] out = tanh(" in first
        assert "upstream ∂out/∂out = 1.0000 (the seed)" in first
        assert re.search(r"1 - tanh\(\S+\)² = 0\.5000", first)
        term.send("\r")  # Enter
        assert "[2/10]" in term.expect("gradients: ")
        term.send("b")
        undone = term.expect("gradients: ")
        assert "undid step 2" in undone and "[1/10]" in undone
        term.send("b")
        assert "(before the first step)" in term.expect("gradients: none yet")
        term.send("b")
        term.expect("(at the start: nothing to undo)")
        term.send("\x1b[C")  # the right arrow
        assert "[1/10]" in term.expect("gradients: ")
        seen = ""
        for k in range(2, 11):
            term.send("n")
            chunk = term.expect("gradients: ")
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
