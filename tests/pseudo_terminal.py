"""A pseudo-terminal for the interactive command tests: a child runs the command with the pty as
its terminal; the test sends keys and waits for text."""

from __future__ import annotations

import os
import select
import time


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
