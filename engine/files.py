"""Writing files safely: every file chainrule writes (SVG, DOT, HTML, checkpoints, plots) goes
through `write_atomic`, so a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_atomic"]


def _file_mode() -> int:
    """0666 minus the umask: the mode `open()` gives a new file (mkstemp gives 0600)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write `data` (bytes, or text as UTF-8) to `path` and return the path.

    The bytes go to a temporary file in the same folder, are flushed to disk, and the file is then
    renamed over `path` with `os.replace` (atomic on POSIX and Windows). On any error the temporary
    file is removed and an existing `path` is left as it was.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _file_mode())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path
