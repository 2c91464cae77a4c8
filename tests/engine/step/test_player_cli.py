"""``chainrule step --html``: where the page goes, the size limit, progress on stderr, and the
messages for paths that cannot be written (engine/cli/step.py's --html handling)."""

from __future__ import annotations

import shutil

import pytest

from engine.cli import main

pytest.importorskip("engine.cli.expr")
needs_renderer = pytest.mark.skipif(
    not any(shutil.which(r) for r in ("dot", "graphviz-pure")),
    reason="no Graphviz renderer on PATH (dot or graphviz-pure)",
)
NEURON = ["tanh(x1*w1 + x2*w2 + b)", "x1=2", "w1=-3", "x2=0", "w2=1", "b=6.881373587019543"]


@needs_renderer
def test_an_html_name_is_the_page_itself(tmp_path, capsys):
    target = tmp_path / "player.html"
    assert main(["step", *NEURON, "--html", str(target)]) == 0
    assert target.is_file() and target.read_text(encoding="utf-8").count("<svg") == 1
    out, err = capsys.readouterr()
    assert out == f"wrote {target} (10 steps); open it in a browser\n"
    assert err == ""  # small graphs write quietly


@needs_renderer
def test_a_big_graph_reports_progress_on_stderr(tmp_path, capsys):
    expression = "x" + "*1.001" * 200  # x, 200 constants, 200 products: 401 values, 201 steps
    assert main(["step", expression, "x=1.001", "--html", str(tmp_path / "big.html")]) == 0
    err = capsys.readouterr().err
    assert "chainrule step: recording 201 steps" in err
    assert "chainrule step: laying out the graph (once)" in err


def test_max_nodes_refuses_and_says_how_to_override(tmp_path, capsys):
    target = tmp_path / "p.html"
    assert main(["step", *NEURON, "--html", str(target), "--max-nodes", "5"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule step: error: this graph has 10 values")
    assert "--max-nodes 10" in err and err.count("\n") == 1
    assert not target.exists()
    assert main(["step", *NEURON, "--html", str(target), "--max-nodes", "0"]) == 2
    assert "--max-nodes must be a positive number" in capsys.readouterr().err


def test_an_unwritable_place_gets_a_message_not_errno_text(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["step", *NEURON, "--html", str(blocker / "sub" / "p.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule step: error: cannot write the player page to ")
    assert "choose a folder you can write to" in err and "[Errno" not in err
    assert blocker.read_text() == "x"
