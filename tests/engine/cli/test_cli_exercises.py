"""``chainrule exercises`` end to end."""

from __future__ import annotations

import json

from engine.cli import main


def test_exercises_writes_every_file(tmp_path, capsys) -> None:
    out = tmp_path / "sheet"
    argv = ["exercises", "--seed", "7", "--count", "10", "--levels", "1,2,3"]
    argv += ["--kinds", "local,step,pass,delta", "-o", str(out)]
    assert main(argv) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        ["sheet.md", "sheet.tex", "sheet.html", "key.md", "key.tex", "key.html", "key.json"]
    )
    key = json.loads((out / "key.json").read_text("utf-8"))
    assert key["seed"] == 7 and key["questions"][0]["id"] == "1a"
    assert "10 exercises" in capsys.readouterr().out


def test_bad_level_is_one_line_and_status_2(tmp_path, capsys) -> None:
    assert main(["exercises", "--levels", "1,x", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'x'" in err
