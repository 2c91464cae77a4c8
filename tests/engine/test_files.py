"""engine.files: write_atomic (the one way chainrule writes files) and read_bytes."""

from __future__ import annotations

import ast
import errno
import os
import pickle
import stat
import threading
from pathlib import Path

import pytest

from engine import files
from engine.files import (
    FileReadError,
    FileTooLargeError,
    FileWriteError,
    read_bytes,
    write_atomic,
)

ROOT = Path(__file__).resolve().parents[2]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _in_thread(fn, timeout: float = 10.0) -> BaseException | None:
    """Run `fn` in a thread; its exception (or None). Fails the test if it blocks."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            fn()
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout)
    assert outcome, f"{fn} blocked for {timeout} s"
    return outcome[0]


# --------------------------------------------------------------------------------------------
# Writing: content, permissions, links
# --------------------------------------------------------------------------------------------


def test_writes_bytes_and_text_with_ordinary_permissions(tmp_path):
    assert write_atomic(tmp_path / "a.bin", b"\x00\x01").read_bytes() == b"\x00\x01"
    path = write_atomic(str(tmp_path / "b.txt"), "∂L/∂w")
    assert isinstance(path, Path) and path.read_text(encoding="utf-8") == "∂L/∂w"
    assert _mode(path) == 0o666 & ~_umask()
    assert write_atomic(tmp_path / "c", bytearray(b"ab")).read_bytes() == b"ab"
    assert write_atomic(tmp_path / "d", memoryview(b"cd")).read_bytes() == b"cd"
    with pytest.raises(TypeError, match="bytes or str, got int"):
        write_atomic(tmp_path / "e", 3)  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin", "b.txt", "c", "d"]


def test_a_new_file_gets_the_umask_default(tmp_path):
    old = os.umask(0o077)
    try:
        path = write_atomic(tmp_path / "private.json", "{}")
    finally:
        os.umask(old)
    assert _mode(path) == 0o600


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444, 0o755])
def test_an_existing_file_keeps_its_permission_bits(tmp_path, mode):
    path = tmp_path / "model.json"
    path.write_text("old")
    os.chmod(path, mode)
    write_atomic(path, "new", force=mode == 0o444)
    assert path.read_text() == "new" and _mode(path) == mode


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o555])
def test_a_read_only_file_is_refused_unless_forced_even_for_root(tmp_path, mode):
    """The mode bits decide (as root, permission bits do not stop a write)."""
    path = tmp_path / "model.json"
    path.write_text("old")
    os.chmod(path, mode)
    link = tmp_path / "link.json"
    link.symlink_to(path)
    for given in (path, link):
        with pytest.raises(
            FileWriteError,
            match=rf"read-only \(mode 0{mode:o}\): make it writable first \(chmod u\+w\), "
            r"or pass force=True",
        ):
            write_atomic(given, "new")
        with pytest.raises(PermissionError):
            write_atomic(given, "new")
    assert path.read_text() == "old" and sorted(os.listdir(tmp_path)) == ["link.json", "model.json"]
    write_atomic(path, "new", force=True)
    assert path.read_text() == "new" and _mode(path) == mode
    with pytest.raises(TypeError, match="force"):
        write_atomic(path, "x", force="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize("call", [lambda p: write_atomic(p, "x"), read_bytes])
def test_a_nul_byte_in_the_path_is_worded(tmp_path, call):
    with pytest.raises(ValueError, match="the path contains a NUL byte") as info:
        call(str(tmp_path / "a\x00b.json"))
    assert "a\\x00b.json" in str(info.value)


def test_a_private_file_is_never_readable_by_others_while_it_is_written(tmp_path, monkeypatch):
    path = tmp_path / "secret.json"
    path.write_text("old")
    os.chmod(path, 0o600)
    seen: list[int] = []
    real_write = os.write

    def spying_write(fd, data):
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", spying_write)
    write_atomic(path, "new")
    assert seen and set(seen) == {0o600}


def test_a_symlink_stays_a_link_and_its_target_gets_the_content(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("old")
    os.chmod(target, 0o600)
    link = tmp_path / "latest.json"
    link.symlink_to(target)  # absolute link
    assert write_atomic(link, "new") == link
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new" and _mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.json", "real.json"]


def test_relative_and_chained_links_into_another_folder(tmp_path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "out").mkdir()
    target = tmp_path / "runs" / "model.json"
    target.write_text("old")
    first = tmp_path / "out" / "link1"
    first.symlink_to("../runs/model.json")  # relative to the link's folder, not the cwd
    second = tmp_path / "link2"
    second.symlink_to("out/link1")
    write_atomic(second, "new")
    assert target.read_text() == "new"
    assert os.readlink(first) == "../runs/model.json" and os.readlink(second) == "out/link1"
    # the temporary file was made next to the target (same file system) and is gone
    assert os.listdir(tmp_path / "runs") == ["model.json"]
    assert os.listdir(tmp_path / "out") == ["link1"]


def test_a_dangling_link_creates_its_target_and_stays_a_link(tmp_path):
    link = tmp_path / "latest.json"
    link.symlink_to("new-target.json")
    write_atomic(link, "made")
    assert link.is_symlink() and (tmp_path / "new-target.json").read_text() == "made"
    broken = tmp_path / "broken.json"
    broken.symlink_to("no such folder/x.json")
    with pytest.raises(FileNotFoundError) as info:
        write_atomic(broken, "x")
    assert "(a link to " in str(info.value) and "does not exist" in str(info.value)
    assert broken.is_symlink()


def test_a_link_loop_is_a_clear_error(tmp_path):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(FileWriteError, match="too many levels of symbolic links"):
        write_atomic(tmp_path / "a", "x")


def test_a_long_file_name_still_gets_a_temporary_file(tmp_path):
    path = tmp_path / ("n" * 250)
    assert write_atomic(path, "x").read_text() == "x"


# --------------------------------------------------------------------------------------------
# Writing: refused targets
# --------------------------------------------------------------------------------------------


def test_a_fifo_is_refused_without_opening_it(tmp_path):
    fifo = tmp_path / "pipe.svg"
    os.mkfifo(fifo)
    error = _in_thread(lambda: write_atomic(fifo, "x"))
    if error is None or not isinstance(error, FileWriteError):
        raise AssertionError(f"expected FileWriteError, got {error!r}")
    assert "named pipe (FIFO), not a regular file" in str(error) and str(fifo) in str(error)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still the FIFO
    assert os.listdir(tmp_path) == ["pipe.svg"]  # nothing written next to it


def test_a_device_is_refused(tmp_path, monkeypatch):
    if not os.path.exists("/dev/null"):
        pytest.skip("no /dev/null on this system")

    def guard(src, dst):  # a regression must fail this test, not replace the real /dev/null
        raise AssertionError(f"write_atomic tried to replace {dst!r}")

    monkeypatch.setattr(os, "replace", guard)
    with pytest.raises(FileWriteError, match="'/dev/null': it is a character device"):
        write_atomic("/dev/null", "x")
    link = tmp_path / "null.svg"
    link.symlink_to("/dev/null")
    with pytest.raises(FileWriteError, match=r"a link to '/dev/null'\): it is a character"):
        write_atomic(link, "x")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode) and link.is_symlink()


def test_a_folder_is_refused_with_a_message_that_says_what_to_do(tmp_path):
    with pytest.raises(IsADirectoryError) as info:
        write_atomic(tmp_path, "x")
    assert isinstance(info.value, FileWriteError)
    assert str(info.value) == (
        f"cannot write {str(tmp_path)!r}: it is a folder, not a regular file; "
        "give a file name inside it"
    )


def test_an_empty_path_is_refused(tmp_path):
    with pytest.raises(FileWriteError, match="the path is empty"):
        write_atomic("", "x")


def test_a_missing_folder_names_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        write_atomic(tmp_path / "no such folder" / "m.json", "x")
    assert str(info.value).endswith(
        f"the folder {str(tmp_path / 'no such folder')!r} does not exist (create it first)"
    )
    file_as_folder = write_atomic(tmp_path / "plain", "x")
    with pytest.raises(FileWriteError, match="not a folder"):
        write_atomic(file_as_folder / "m.json", "x")


def test_parents_true_creates_missing_folders_with_the_same_clear_errors(tmp_path):
    path = tmp_path / "out" / "run 1" / "graph.svg"
    assert write_atomic(path, "<svg/>", parents=True).read_text() == "<svg/>"
    blocker = write_atomic(tmp_path / "plain", "x")
    with pytest.raises(FileWriteError) as info:
        write_atomic(blocker / "sub" / "x.svg", "x", parents=True)
    assert "Errno" not in str(info.value) and str(blocker / "sub" / "x.svg") in str(info.value)


def test_a_system_folder_gives_words_not_errno_text():
    if not os.path.isdir("/proc/self"):
        pytest.skip("no /proc on this system")
    with pytest.raises(FileWriteError) as info:
        write_atomic("/proc/x.svg", "x")
    message = str(info.value)
    assert message.startswith("cannot write '/proc/x.svg': ") and "Errno" not in message
    assert info.value.strerror and "Errno" not in info.value.strerror


# --------------------------------------------------------------------------------------------
# Writing: failures leave the old file and no temporary
# --------------------------------------------------------------------------------------------


def _broken(*exceptions: BaseException):
    def fail(*args, **kwargs):
        raise exceptions[0]

    return fail


@pytest.mark.parametrize("where", ["replace", "write", "fsync", "fchmod"])
def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch, where):
    target = write_atomic(tmp_path / "model.json", "old")
    os.chmod(target, 0o640)
    monkeypatch.setattr(os, where, _broken(OSError(errno.ENOSPC, "No space left on device")))
    with pytest.raises(FileWriteError) as info:
        write_atomic(target, "new")
    monkeypatch.undo()
    assert str(info.value) == f"cannot write {str(target)!r}: no space left on the disk"
    assert info.value.errno == errno.ENOSPC and isinstance(info.value.__cause__, OSError)
    assert target.read_text() == "old" and _mode(target) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_an_interrupt_mid_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = write_atomic(tmp_path / "model.json", "old")
    monkeypatch.setattr(os, "write", _broken(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["model.json"]


def test_the_file_and_its_folder_are_fsynced(tmp_path, monkeypatch):
    synced: list[str] = []
    real_fsync = os.fsync

    def spying_fsync(fd):
        synced.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spying_fsync)
    write_atomic(tmp_path / "m.json", "x")
    expected = ["file", "folder"] if hasattr(os, "O_DIRECTORY") else ["file"]
    assert synced == expected


def test_errors_are_oserrors_of_the_right_kind_and_pickle(tmp_path):
    with pytest.raises(OSError) as info:
        write_atomic(tmp_path / "missing" / "x", "x")
    error = info.value
    assert isinstance(error, FileWriteError) and isinstance(error, FileNotFoundError)
    assert type(error).__name__ == "FileWriteError" and error.errno == errno.ENOENT
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) and str(again) == str(error)
    assert not isinstance(error, FileReadError)


def test_the_package_writes_files_only_through_write_atomic():
    """No other module writes a file itself: open(..., 'w'), write_text, savefig to a path, ..."""
    offenders = []
    for path in sorted((ROOT / "engine").rglob("*.py")) + sorted((ROOT / "nn").rglob("*.py")):
        offenders += _direct_writes(path)
    for path in sorted((ROOT / "demos").rglob("*.py")):
        offenders += _direct_writes(path)
    assert offenders == []


def _direct_writes(path: Path) -> list[str]:
    if path.name == "files.py" and path.parent.name == "engine":
        return []
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = (
            node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        )
        where = f"{path.relative_to(ROOT)}:{node.lineno} {name}"
        modes = [a.value for a in node.args[1:2] if isinstance(a, ast.Constant)]
        modes += [
            k.value.value
            for k in node.keywords
            if k.arg == "mode" and isinstance(k.value, ast.Constant)
        ]
        if name in ("write_text", "write_bytes", "render", "dump"):
            found.append(where)
        elif name == "open" and any(isinstance(m, str) and set(m) & set("wax+") for m in modes):
            found.append(where)
        elif name == "savefig" and not (
            node.args and isinstance(node.args[0], ast.Name) and node.args[0].id == "buffer"
        ):
            found.append(where)
    return found


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------


def test_read_bytes_reads_a_regular_file_through_links(tmp_path):
    target = write_atomic(tmp_path / "m.json", b"{}")
    link = tmp_path / "link"
    link.symlink_to("m.json")
    assert read_bytes(target) == b"{}" and read_bytes(link, max_bytes=2) == b"{}"


def test_read_bytes_refuses_a_file_over_the_limit_before_reading(tmp_path, monkeypatch):
    path = write_atomic(tmp_path / "m.json", b"x" * 100)
    monkeypatch.setattr(os, "read", _broken(AssertionError("read a file over the limit")))
    with pytest.raises(FileTooLargeError) as info:
        read_bytes(path, max_bytes=99)
    assert str(info.value) == (
        f"cannot read {str(path)!r}: the file is 100 bytes, over the limit of 99 bytes"
    )
    assert isinstance(info.value, FileReadError) and isinstance(info.value, OSError)


def test_read_bytes_refuses_a_fifo_without_blocking_and_a_folder(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    error = _in_thread(lambda: read_bytes(fifo))
    assert isinstance(error, FileReadError) and "named pipe (FIFO)" in str(error)
    with pytest.raises(IsADirectoryError, match="it is a folder"):
        read_bytes(tmp_path)


def test_read_bytes_of_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="there is no such file") as info:
        read_bytes(tmp_path / "nope.json")
    assert isinstance(info.value, FileReadError)


def test_module_lists_its_public_names():
    assert set(files.__all__) == {
        "write_atomic",
        "read_bytes",
        "FileWriteError",
        "FileReadError",
        "FileTooLargeError",
    }
