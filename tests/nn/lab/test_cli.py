"""``chainrule lab``: options, ports, the warning, a missing extra, and a real start and Ctrl-C."""

from __future__ import annotations

import argparse
import builtins
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from nn.lab import cli

ROOT = Path(__file__).resolve().parents[3]


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=cli.PROG)
    cli.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_defaults():
    args = _args()
    assert (args.port, args.host, args.no_browser) == (None, "127.0.0.1", False)
    assert cli.DEFAULT_PORT == 8765
    assert _args("--port", "0", "--no-browser").port == 0


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("localhost", True),
     ("0.0.0.0", False), ("192.168.1.5", False), ("lab.example", False)],
)  # fmt: skip
def test_is_loopback(host, loopback):
    assert cli.is_loopback(host) is loopback


def test_lab_url():
    assert cli.lab_url("127.0.0.1", 8765, "tok") == "http://127.0.0.1:8765/?token=tok"
    assert cli.lab_url("::1", 9, "t") == "http://[::1]:9/?token=t"


def test_a_taken_default_port_picks_another(monkeypatch):
    taken = cli.bind("127.0.0.1", 0)
    monkeypatch.setattr(cli, "DEFAULT_PORT", taken.getsockname()[1])
    try:
        sock, note = cli._open_socket("127.0.0.1", cli.DEFAULT_PORT, fallback=True)
        assert sock is not None and sock.getsockname()[1] != cli.DEFAULT_PORT
        assert note.startswith(f"port {cli.DEFAULT_PORT} is taken") and "using" in note
        sock.close()
        other = taken.getsockname()[1]
        monkeypatch.setattr(cli, "DEFAULT_PORT", 1)
        sock, note = cli._open_socket("127.0.0.1", other)
        assert sock is None and "choose another with --port" in note
    finally:
        taken.close()


TAKEN = "choose another with --port, or --port 0"


def test_an_explicit_default_port_that_is_taken_is_exit_2(monkeypatch, capsys):
    taken = cli.bind("127.0.0.1", 0)
    port = taken.getsockname()[1]
    monkeypatch.setattr(cli, "DEFAULT_PORT", port)
    try:
        assert cli._open_socket("127.0.0.1", port) == (None, f"port {port} is taken; " + TAKEN)
        assert cli.run(_args("--port", str(port), "--no-browser")) == 2
    finally:
        taken.close()
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"chainrule lab: error: port {port} is taken; {TAKEN}"]


def test_a_bad_port_is_exit_2(capsys):
    assert cli.run(_args("--port", "70000", "--no-browser")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["chainrule lab: error: --port must be from 0 to 65535, got 70000"]


def test_without_the_extra_one_line(monkeypatch, capsys):
    real = builtins.__import__

    def no_uvicorn(name, *args, **kwargs):
        if name == "uvicorn":
            raise ImportError("No module named 'uvicorn'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_uvicorn)
    assert cli.run(_args("--no-browser")) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ['chainrule lab: error: the lab needs its extra: pip install -e ".[lab]"']


def test_it_serves_and_ctrl_c_stops_it_cleanly():
    pytest.importorskip("uvicorn")
    httpx = pytest.importorskip("httpx")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "lab", "--no-browser", "--port", "0",
         "--host", "127.0.0.1"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+/)\?token=(\S+)", line)
        assert match, line
        base, token = match.groups()
        assert httpx.get(base, timeout=10).status_code == 403
        page = httpx.get(f"{base}?token={token}", timeout=10)
        assert page.status_code == 200 and "chainrule lab" in page.text
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert "Traceback" not in err and "Traceback" not in out
    assert line.startswith("The lab is running at http://127.0.0.1:")


def test_a_public_host_warns(monkeypatch, capsys):
    pytest.importorskip("uvicorn")
    import uvicorn

    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: None)
    assert cli.run(_args("--no-browser", "--port", "0", "--host", "0.0.0.0")) == 0
    captured = capsys.readouterr()
    assert "warning: listening on 0.0.0.0, so other machines can reach the lab" in captured.err
    assert re.search(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{20,}", captured.out)
