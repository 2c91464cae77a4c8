"""``chainrule lab``: start the lab's local web server, print its URL and open the page.

    chainrule lab                      # http://127.0.0.1:8765/?token=... (opens the browser)
    chainrule lab --no-browser --port 0          # any free port
    chainrule lab --host 0.0.0.0                 # other machines may connect (a warning says so)

Every request needs the random token in the printed URL (a new one each start), as Jupyter does.
If the default port is taken (a second lab on the machine), another free port is used and the
URL says which; a port given with --port (8765 too) is insisted on. Ctrl-C stops the server
cleanly (exit status 0).

Exit status: 0 stopped; 2 bad options or a port that is taken; 1 the ``lab`` extra is missing.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import secrets
import socket
import sys
from functools import partial
from typing import Any

from engine.cli.common import fail

PROG = "chainrule lab"
SUMMARY = "the lab: a local web page to build, step, practise and train, live"
DEFAULT_PORT = 8765
DEFAULT_HOST = "127.0.0.1"
INSTALL = 'the lab needs its extra: pip install -e ".[lab]"'
_fail = partial(fail, PROG)

__all__ = ["PROG", "SUMMARY", "add_arguments", "run", "bind", "is_loopback", "lab_url"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``chainrule lab``."""
    parser.description = __doc__.split("\n\n", 1)[1] if __doc__ else None
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"the port (default {DEFAULT_PORT}, or a free one if it is taken; 0 = any free port)",
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"the address to listen on (default {DEFAULT_HOST}: this machine only)",
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="print the URL but do not open a browser"
    )


def is_loopback(host: str) -> bool:
    """Is `host` this machine only (127.x.x.x, ::1 or localhost)?"""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port); port 0 gets a free port. Raises OSError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def lab_url(host: str, port: int, token: str) -> str:
    """``http://host:port/?token=...`` (IPv6 hosts in brackets; 0.0.0.0 shown as 127.0.0.1)."""
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/?token={token}"


def _open_socket(
    host: str, port: int, *, fallback: bool = False
) -> tuple[socket.socket | None, str]:
    """The socket, and a note when another port had to be used (or an error message). Only
    with `fallback` (no --port given) does a taken port give way to a free one."""
    try:
        return bind(host, port), ""
    except OSError as exc:
        taken = exc.errno == errno.EADDRINUSE
        if taken and fallback:
            sock = bind(host, 0)
            return sock, f"port {port} is taken (another lab?); using {sock.getsockname()[1]}"
        if taken:
            return None, f"port {port} is taken; choose another with --port, or --port 0"
        return None, f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def run(args: argparse.Namespace) -> int:
    """Start the server and serve until Ctrl-C."""
    try:
        import uvicorn

        from nn.lab.app import create_app
    except ImportError:
        return _fail(INSTALL, status=1)
    fallback = args.port is None
    port = DEFAULT_PORT if fallback else args.port
    if not 0 <= port <= 65535:
        return _fail(f"--port must be from 0 to 65535, got {port}")
    try:
        sock, note = _open_socket(args.host, port, fallback=fallback)
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}: {exc.strerror or exc}")
    if sock is None:
        return _fail(note)
    if note:
        print(f"{PROG}: {note}", file=sys.stderr)
    if not is_loopback(args.host):
        print(
            f"{PROG}: warning: listening on {args.host}, so other machines can reach the lab; "
            f"anyone with the URL's token can use it",
            file=sys.stderr,
        )
    token = secrets.token_urlsafe(24)
    url = lab_url(args.host, sock.getsockname()[1], token)
    server = uvicorn.Server(uvicorn.Config(create_app(token), log_level="warning", lifespan="off"))
    print(f"The lab is running at {url}\nPress Ctrl-C to stop it.", flush=True)
    if not args.no_browser:
        _open_browser(url)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    print(f"{PROG}: stopped", file=sys.stderr)
    return 0


def _open_browser(url: str) -> Any:
    import webbrowser

    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        print(f"{PROG}: could not open a browser; open the URL above", file=sys.stderr)
        return False
