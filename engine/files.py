"""Writing and reading files safely.

Every file chainrule writes (SVG, DOT, HTML pages, checkpoints, demo pictures) goes through
`write_atomic`: a reader sees the old file or the new one, never half of one; a symbolic link stays
a link (its target gets the new content); a file's permission bits are kept (a private 0600
checkpoint stays private); a FIFO, device, socket or folder is refused before anything is written.
Every file chainrule reads goes through `read_bytes`, which refuses anything but a regular file
(without opening a FIFO, which would block) and anything over a size limit.

Errors are `OSError` subclasses whose message names the path and the reason in words:
`FileWriteError`, `FileReadError` (and `FileTooLargeError`). Each is also the matching built-in
class where there is one, so ``except FileNotFoundError`` or ``except PermissionError`` still work.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

__all__ = ["write_atomic", "read_bytes", "FileWriteError", "FileReadError", "FileTooLargeError"]

_MAX_LINKS = 40  # symbolic links followed before giving up (Linux's own limit)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class _FileError(OSError):
    """The shared message: ``cannot <verb> 'path' (a link to 'target'): <reason in words>``."""

    verb = "use"

    def __str__(self) -> str:
        where = repr(self.filename)
        if self.filename2 is not None:
            where += f" (a link to {self.filename2!r})"
        return f"cannot {self.verb} {where}: {self.strerror}"

    def __reduce__(self) -> tuple:
        # the per-errno classes below are made at run time: pickle through the factory
        kind = next(k for k in _KINDS if isinstance(self, k))
        return (_make_error, (kind, self.errno, self.strerror, self.filename, self.filename2))


class FileWriteError(_FileError):
    """A file could not be written. ``str(e)``: ``cannot write 'path': <reason in words>``.

    ``e.filename`` is the path as given, ``e.filename2`` the final target when the path is a
    symbolic link, ``e.strerror`` the reason in words, ``e.errno`` the OS error number (None when
    chainrule refused the path itself, e.g. a FIFO).
    """

    verb = "write"


class FileReadError(_FileError):
    """A file could not be read. ``str(e)``: ``cannot read 'path': <reason in words>``."""

    verb = "read"


class FileTooLargeError(FileReadError):
    """A file is larger than the reader's limit (raised before reading it)."""


_KINDS = (FileTooLargeError, FileReadError, FileWriteError)  # most specific first
_BUILTIN = {
    errno.ENOENT: FileNotFoundError,
    errno.EACCES: PermissionError,
    errno.EPERM: PermissionError,
    errno.EISDIR: IsADirectoryError,
    errno.ENOTDIR: NotADirectoryError,
    errno.EEXIST: FileExistsError,
}
_CLASSES: dict[tuple[type, type], type] = {}


def _make_error(
    kind: type, err: int | None, reason: str, path: str, target: str | None = None
) -> OSError:
    """A `kind` error (also the built-in class of `err`, e.g. FileNotFoundError for ENOENT)."""
    builtin = _BUILTIN.get(err) if err is not None else None
    cls = kind
    if builtin is not None and kind is not FileTooLargeError:
        known = _CLASSES.get((kind, builtin))
        if known is None:  # e.g. a FileWriteError that is also a FileNotFoundError
            known = type(kind.__name__, (kind, builtin), {"__module__": __name__})
            known.__qualname__ = kind.__qualname__
            _CLASSES[(kind, builtin)] = known
        cls = known
    return cls(err, reason, path, None, target)


def _folder(path: str) -> str:
    """The folder holding `path`, as the user wrote it (``.`` for a bare name)."""
    return os.path.dirname(path) or os.curdir


def _reason(exc: OSError, path: str, writing: bool) -> str:
    """The OS error `exc` about `path` in words: what went wrong and, where it helps, what to do."""
    folder = _folder(path)
    code = exc.errno
    if code == errno.ENOENT:
        if not writing:
            return "there is no such file"
        if not os.path.exists(folder):
            return f"the folder {folder!r} does not exist (create it first)"
        if not os.path.isdir(folder):
            return f"{folder!r} is a file, not a folder"
        return f"the folder {folder!r} does not accept new files; choose another folder"
    if code in (errno.EACCES, errno.EPERM):
        if writing:
            return f"permission denied: you cannot create or replace files in {folder!r}"
        return "permission denied: you cannot read this file"
    words = {
        errno.EROFS: "the file system is read-only",
        errno.ENOSPC: "no space left on the disk",
        errno.EDQUOT: "the disk quota is exceeded",
        errno.ENAMETOOLONG: "the file name is too long",
        errno.ENOTDIR: "a part of the path is not a folder",
        errno.EISDIR: "it is a folder, not a file",
        errno.ELOOP: "too many levels of symbolic links (a link loop?)",
        errno.EIO: "input/output error (a disk or device problem)",
        errno.EBUSY: "the file is busy (in use by the system)",
    }
    if code in words:
        return words[code]
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]


def _what(mode: int) -> str:
    """What kind of file `mode` describes, for a message."""
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a special file"


def _not_regular(kind: type, path: str, target: str | None, mode: int, hint: str) -> OSError:
    err = errno.EISDIR if stat.S_ISDIR(mode) else None
    return _make_error(kind, err, f"it is {_what(mode)}, not a regular file; {hint}", path, target)


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _final_target(path: str) -> tuple[str, os.stat_result | None]:
    """`path` with symbolic links followed to the end, and its lstat (None if it does not exist).

    A relative link is relative to the folder holding the link. A dangling link gives its
    (missing) target, so writing through it creates the target, as ``open(link, "w")`` does.
    """
    current = path
    for _ in range(_MAX_LINKS):
        try:
            st = os.lstat(current)
        except FileNotFoundError:
            return current, None
        if not stat.S_ISLNK(st.st_mode):
            return current, st
        current = os.path.join(os.path.dirname(current), os.readlink(current))
    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)


def _create_temporary(folder: str, name: str, mode: int) -> tuple[int, str]:
    """A new, empty, exclusive temporary file next to the target: (fd, path)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    stem = name[:100]  # room for the suffix within the file system's name limit
    for _ in range(100):
        tmp = os.path.join(folder, f".{stem}.{os.urandom(4).hex()}.tmp")
        try:
            return os.open(tmp, flags, mode), tmp
        except FileExistsError:
            continue
    raise OSError(errno.EEXIST, "could not find a free temporary file name", folder)


def _fsync_folder(folder: str) -> None:
    """Flush the folder entry of a renamed file to disk, where the platform allows it."""
    if not hasattr(os, "O_DIRECTORY"):  # Windows: folders cannot be opened or fsynced
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot fsync a folder: the data is still written
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _make_folders(folder: str, given: str, target: str | None) -> None:
    """``mkdir -p folder``; an error names the folder that could not be made, in words."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        failed = os.fsdecode(exc.filename) if exc.filename else folder
        raise _make_error(
            FileWriteError, exc.errno, _reason(exc, failed, True), given, target
        ) from exc


def _refuse_nul(given: str, kind: type) -> None:
    """ValueError for a path with a NUL byte, which no OS file name can hold (the OS calls raise
    a bare ``embedded null byte``)."""
    if "\x00" in given:
        verb = "write" if kind is FileWriteError else "read"
        raise ValueError(f"cannot {verb} {given!r}: the path contains a NUL byte")


def _read_only(st: os.stat_result) -> bool:
    """The file's owner has no write permission bit (0444, 0400, 0555). Read off the mode bits,
    not `os.access`: as root every file is writable, and the bits still say "do not replace"."""
    return not st.st_mode & stat.S_IWUSR


def write_atomic(
    path: str | os.PathLike[str], data: bytes | str, *, parents: bool = False, force: bool = False
) -> Path:
    """Write `data` (bytes, or text as UTF-8) to `path` atomically and return ``Path(path)``.

    The bytes go to a temporary file in the target's folder, are fsynced, and the file is renamed
    onto the target with `os.replace` (atomic on POSIX and Windows); then the folder is fsynced.

    - A symbolic link (relative or absolute, chains too) is followed: the link stays a link and
      its final target gets the new content. A dangling link creates its target.
    - An existing file keeps its permission bits (a 0600 file stays 0600); a new file gets the
      umask default, as `open()` gives. (Like every rename-based save, the file gets a new inode:
      a hard link to the old file keeps the old content, and the owner becomes the writer.)
    - A target that is not a regular file (folder, FIFO, device, socket) is refused with a
      `FileWriteError` before anything is written; a FIFO is never opened.
    - A read-only file (no write bit for its owner, e.g. 0444) is refused with a
      `FileWriteError` (also a PermissionError) unless ``force=True``; forced, it stays
      read-only. The mode bits decide, so this holds for root too.
    - ``parents=True`` creates missing folders first (like ``mkdir -p``), with the same errors.
    - A path with a NUL byte is a ValueError saying so.
    - On any failure the old file is left as it was and no temporary file remains. OS errors are
      re-raised as `FileWriteError` (an OSError, also FileNotFoundError, PermissionError, ... as
      the error was) naming the path and the reason in words.
    """
    if isinstance(data, str):
        payload = memoryview(data.encode("utf-8"))
    elif isinstance(data, (bytes, bytearray, memoryview)):
        payload = memoryview(data).cast("B")
    else:
        raise TypeError(f"write_atomic writes bytes or str, got {type(data).__name__}")
    given = os.fspath(path)
    if not isinstance(given, str):
        raise TypeError(f"write_atomic needs a str or os.PathLike[str] path, got {given!r}")
    if given == "":
        raise _make_error(FileWriteError, errno.ENOENT, "the path is empty", given)
    _refuse_nul(given, FileWriteError)
    if type(force) is not bool:
        raise TypeError(f"write_atomic(force=) needs True or False, got {force!r}")
    target: str | None = None
    try:
        final, st = _final_target(given)
        target = final if final != given else None
        if st is not None and not stat.S_ISREG(st.st_mode):
            hint = (
                "give a file name inside it"
                if stat.S_ISDIR(st.st_mode)
                else "chainrule only replaces regular files"
            )
            raise _not_regular(FileWriteError, given, target, st.st_mode, hint)
        if st is not None and not force and _read_only(st):
            raise _make_error(
                FileWriteError,
                errno.EACCES,
                f"the file is read-only (mode {stat.S_IMODE(st.st_mode):04o}): make it writable "
                f"first (chmod u+w), or pass force=True to write_atomic to replace it anyway",
                given,
                target,
            )
        folder = os.path.dirname(final) or os.curdir
        if parents:
            _make_folders(folder, given, target)
        keep = None if st is None else stat.S_IMODE(st.st_mode)
        first_mode = 0o666 if keep is None else 0o600  # a new file: the umask applies, as in open()
        fd, tmp = _create_temporary(folder, os.path.basename(final), first_mode)
    except FileWriteError:
        raise
    except OSError as exc:
        raise _make_error(
            FileWriteError, exc.errno, _reason(exc, target or given, True), given, target
        ) from exc
    try:
        try:
            if keep is not None and hasattr(os, "fchmod"):
                os.fchmod(fd, keep)  # before any byte is written: a 0600 file is never readable
            while payload:
                written = os.write(fd, payload)
                payload = payload[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        if keep is not None and not hasattr(os, "fchmod"):
            os.chmod(tmp, keep)
        os.replace(tmp, final)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and not isinstance(exc, FileWriteError):
            raise _make_error(
                FileWriteError, exc.errno, _reason(exc, final, True), given, target
            ) from exc
        raise
    try:
        _fsync_folder(folder)
    except OSError as exc:
        raise _make_error(
            FileWriteError,
            exc.errno,
            f"the file was written but not flushed to disk: {_reason(exc, final, True)}",
            given,
            target,
        ) from exc
    return Path(path)


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def read_bytes(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> bytes:
    """The content of the regular file at `path` (symbolic links followed), at most `max_bytes`.

    Refused with `FileReadError` (an OSError) before reading: a path that is not a regular file
    (a folder, FIFO, device, socket; a FIFO is never opened in a blocking way). A file larger than
    `max_bytes` raises `FileTooLargeError` (also a FileReadError) without reading it. OS errors
    become `FileReadError` naming the path and the reason (also FileNotFoundError etc.). A path
    with a NUL byte is a ValueError saying so.
    """
    given = os.fspath(path)
    if isinstance(given, str):
        _refuse_nul(given, FileReadError)
    try:
        st = os.stat(given)
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(FileReadError, given, None, st.st_mode, "give the path of a file")
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(given, flags | getattr(os, "O_BINARY", 0))  # O_NONBLOCK: never wait on a FIFO
    except FileReadError:
        raise
    except OSError as exc:
        raise _make_error(FileReadError, exc.errno, _reason(exc, given, False), given) from exc
    try:
        st = os.fstat(fd)  # the file we opened, in case the path changed since the check
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(FileReadError, given, None, st.st_mode, "give the path of a file")
        if max_bytes is not None and st.st_size > max_bytes:
            raise _too_large(given, st.st_size, max_bytes)
        limit = max_bytes if max_bytes is not None else 1 << 62
        chunks = []
        total = 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if max_bytes is not None and total > max_bytes:  # it grew while we read
                raise _too_large(given, total, max_bytes)
    except FileReadError:
        raise
    except OSError as exc:
        raise _make_error(FileReadError, exc.errno, _reason(exc, given, False), given) from exc
    finally:
        os.close(fd)
    return b"".join(chunks)


def _too_large(path: str, size: int, limit: int) -> OSError:
    return _make_error(
        FileTooLargeError,
        errno.EFBIG,
        f"the file is {size:,} bytes, over the limit of {limit:,} bytes",
        path,
    )
