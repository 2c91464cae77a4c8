"""write_atomic: the one way chainrule writes files."""

from __future__ import annotations

import os
import stat

import pytest

from engine.files import write_atomic


def test_writes_bytes_and_text_with_ordinary_permissions(tmp_path):
    assert write_atomic(tmp_path / "a.bin", b"\x00\x01").read_bytes() == b"\x00\x01"
    path = write_atomic(str(tmp_path / "b.txt"), "∂L/∂w")
    assert path.read_text(encoding="utf-8") == "∂L/∂w"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = write_atomic(tmp_path / "model.json", "old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["model.json"]
