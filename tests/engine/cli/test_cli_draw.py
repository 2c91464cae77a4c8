"""``chainrule draw``: through `engine.cli.main`, and once through the installed script."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import engine.cli
from engine.draw import COLOURS, find_renderers, renderers
from engine.draw.style import name_cell

NEURON = ["tanh(x1*w1 + x2*w2 + b)", "x1=2", "w1=-3", "x2=0", "w2=1", "b=6.881373587"]
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def cli(monkeypatch, capsys):
    """Run ``chainrule ARGS`` in-process; returns (status, stdout, stderr).

    Subcommands whose module another engineer has not written yet are left out of the parser,
    so these tests do not depend on them.
    """
    present = {
        name: text
        for name, text in engine.cli.SUBCOMMANDS.items()
        if importlib.util.find_spec(f"engine.cli.{name}") is not None
    }
    monkeypatch.setattr(engine.cli, "SUBCOMMANDS", present)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            status = engine.cli.main(["draw", *args])
        except SystemExit as exit_:  # argparse usage errors
            status = exit_.code
        out, err = capsys.readouterr()
        return status, out, err

    return run


@pytest.fixture(autouse=True)
def _default_renderer_choice(monkeypatch):
    monkeypatch.delenv(renderers.ENV_VAR, raising=False)


@pytest.fixture
def no_renderer(monkeypatch, tmp_path_factory):
    empty = tmp_path_factory.mktemp("empty-bin")
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(renderers, "_script_dirs", lambda: [])


@pytest.fixture
def only_graphviz_pure(monkeypatch, tmp_path_factory):
    pure = renderers._which("graphviz-pure")
    if pure is None:
        pytest.skip("graphviz-pure is not installed")
    empty = tmp_path_factory.mktemp("empty-bin")
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setattr(renderers, "_script_dirs", lambda: [pure.parent])
    return pure


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def needs_renderer():
    if not find_renderers():
        pytest.skip("no Graphviz renderer installed")


def test_draw_writes_the_svg(cli, tmp_path):
    needs_renderer()
    out = tmp_path / "neuron.svg"
    status, stdout, stderr = cli(*NEURON, "-o", str(out), "--local", "--params", "w1,w2,b")
    assert status == 0, stderr
    assert f"wrote {out}" in stdout and stderr == ""
    texts = [t.text for t in ET.parse(out).getroot().iter(f"{SVG}text")]
    for expected in [
        "x1",
        "w1",
        "b",
        "out",
        "data 2",
        "data 6.881",
        "grad -1.5",
        "grad 1",
        "data 0.7071",
        "tanh",
    ]:
        assert expected in texts, expected
    assert listing(tmp_path) == ["neuron.svg"]


def test_draw_options_reach_the_graph(cli, tmp_path):
    out = tmp_path / "g.dot"
    status, _, stderr = cli(
        "x*y + y", "x=2", "y=3", "-o", str(out), "--rankdir", "TB", "--no-grad", "--params", "y"
    )
    assert status == 0, stderr
    source = out.read_text(encoding="utf-8")
    assert "rankdir=TB" in source and "<td>grad" not in source
    assert "before backward() every grad is 0" in source
    assert f'bgcolor="{COLOURS["parameter"]}"><tr><td>y</td>' in source
    assert name_cell("mul₁") in source  # named as `chainrule step` names it
    assert "label=2]" not in source  # no --local: no derivatives on edges


def test_draw_dot_output_needs_no_renderer(cli, tmp_path, no_renderer):
    out = tmp_path / "neuron.dot"
    status, stdout, stderr = cli(*NEURON, "-o", str(out))
    assert status == 0, stderr
    source = out.read_text(encoding="utf-8")
    assert source.startswith("digraph") and "grad -1.5<" in source


def test_draw_to_stdout(cli):
    needs_renderer()
    status, stdout, stderr = cli("-o", "-", "--", "-x*y", "x=1", "y=2")
    assert status == 0, stderr
    assert ET.fromstring(stdout.encode()).tag == f"{SVG}svg"


def test_unused_values_are_warned_about(cli, tmp_path):
    status, _, stderr = cli("x", "x=1", "zz=2", "-o", str(tmp_path / "g.dot"))
    assert status == 0 and "warning" in stderr and "zz" in stderr


HOSTILE = [
    ['__import__("os").system("touch pwned")', "x=1"],
    ["__import__('os')", "x=1"],
    ["x.__class__.__bases__[0].__subclasses__()", "x=1"],
    ["open('pwned', 'w')", "x=1"],
    ["(lambda: 1)()", "x=1"],
    ["[c for c in ()]", "x=1"],
    ["exec('1')", "x=1"],
    ["x if 1 else 2", "x=1"],
    ["tanh(x, beta=1)", "x=1"],
    ["'pwned'", "x=1"],
    ["10 ** 400 * x", "x=1"],
    ["x +", "x=1"],
    ["x * y", "x=1"],  # missing variable
    ["x * y", "x=1", "y=two"],  # bad number
    ["x * y", "x=1", "y=nan"],
    ["x", "x=1", "x=2"],  # given twice
    ["x", "x=1", "--params", "w"],  # a parameter with no value
    ["x", "x=1", "--max-nodes", "0"],
    ["x", "x=1", "--timeout", "0"],
    ["x", "x=1", "--timeout", "nan"],
    ["x", "x=1", "--font-size", "2"],
    ["x", "x=1", "--digits", "0"],
    ["x", "x=1", "-o", "pwned.txt"],  # unknown suffix
    ["x", "x=1", "-o", "pwned.xdot"],  # a renderer format chainrule does not offer as a file
]


@pytest.mark.parametrize("args", HOSTILE, ids=lambda a: a[0][:30])
def test_hostile_input_is_one_error_and_writes_nothing(cli, tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    before = listing(tmp_path)
    status, stdout, stderr = cli(*args)
    assert status == 2
    assert stdout == ""
    lines = stderr.splitlines()
    assert lines[0].startswith("chainrule draw: error: ")
    assert "Traceback" not in stderr
    assert len(lines) == 1 or (len(lines) == 3 and lines[2].lstrip().startswith("^"))
    assert listing(tmp_path) == before


def test_expression_errors_point_at_the_offending_text(cli, tmp_path):
    status, _, stderr = cli("tanh(x) + __import__('os')", "x=1", "-o", str(tmp_path / "g.svg"))
    assert status == 2
    first, shown, carets = stderr.splitlines()
    assert (
        first == "chainrule draw: error: '__import__' is not allowed here: the functions "
        "you can call are " + first.split("you can call are ")[1]
    )
    assert shown == "  tanh(x) + __import__('os')"
    assert carets == "  " + " " * 10 + "^" * len("__import__")


@pytest.mark.parametrize("where", ["missing-folder/g.svg", "a-file/g.svg", "folder", "."])
def test_unwritable_output_paths(cli, tmp_path, monkeypatch, where):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    (tmp_path / "folder.svg").mkdir()
    target = "folder.svg" if where == "folder" else where
    before = listing(tmp_path)
    status, _, stderr = cli("x*2", "x=1", "-o", target)
    assert status == 2
    assert stderr.startswith("chainrule draw: error: cannot ") or "suffix" in stderr
    assert len(stderr.splitlines()) == 1
    assert listing(tmp_path) == before


def test_read_only_folder(cli, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root can write into read-only folders")
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        status, _, stderr = cli("x", "x=1", "-o", str(folder / "g.dot"))
    finally:
        folder.chmod(0o755)
    assert status == 2 and "not writable" in stderr


def test_no_renderer_is_one_line_and_exit_status_1(cli, tmp_path, no_renderer):
    out = tmp_path / "g.svg"
    status, stdout, stderr = cli(*NEURON, "-o", str(out))
    assert status == 1
    lines = stderr.splitlines()
    assert len(lines) == 1
    assert "pip install graphviz-pure" in lines[0] and "apt-get install graphviz" in lines[0]
    assert "-o " + str(tmp_path / "g.dot") in lines[0]
    assert not out.exists() and listing(tmp_path) == []


def test_too_big_is_one_line_and_exit_status_1(cli, tmp_path):
    status, _, stderr = cli(*NEURON, "-o", str(tmp_path / "g.svg"), "--max-nodes", "3")
    assert status == 1
    assert "10 values" in stderr and "max_nodes=3" in stderr and len(stderr.splitlines()) == 1
    assert listing(tmp_path) == []


def test_the_601_value_sum_of_products_is_refused_at_once(cli, tmp_path):
    """Issue 15: it laid out for 60 s and then failed under graphviz-pure."""
    expression = " + ".join(["x*w"] * 300)
    out = tmp_path / "sop.svg"
    status, _, stderr = cli(expression, "x=1.5", "w=-2", "-o", str(out))
    assert status == 1 and "601 values" in stderr and "skip many ranks" in stderr
    assert f"-o {tmp_path / 'sop.dot'}" in stderr and listing(tmp_path) == []
    status, _, stderr = cli(expression, "x=1.5", "w=-2", "-o", str(tmp_path / "sop.dot"))
    assert status == 0 and listing(tmp_path) == ["sop.dot"]


def test_a_non_finite_backward_is_an_error_not_a_traceback(cli, tmp_path):
    status, _, stderr = cli("sqrt(x)", "x=0", "-o", str(tmp_path / "g.dot"))
    assert status == 2 and "sqrt" in stderr and "Traceback" not in stderr
    assert listing(tmp_path) == []


def test_the_installed_script(tmp_path):
    script = shutil.which("chainrule") or str(Path(sys.executable).parent / "chainrule")
    if not Path(script).exists():
        pytest.skip("the chainrule console script is not installed (pip install -e .)")
    missing = [
        name
        for name in engine.cli.SUBCOMMANDS
        if importlib.util.find_spec(f"engine.cli.{name}") is None
    ]
    if missing:
        pytest.skip(f"engine/cli.py lists subcommands not written yet: {missing}")
    out = tmp_path / "neuron.svg"
    done = subprocess.run(
        [script, "draw", *NEURON, "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    if not find_renderers():
        assert done.returncode == 1 and "graphviz-pure" in done.stderr
        return
    assert done.returncode == 0, done.stderr
    assert ET.parse(out).getroot().tag == f"{SVG}svg"
    bad = subprocess.run(
        [script, "draw", "__import__('os').getcwd()", "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.startswith("chainrule draw: error:")
    assert listing(tmp_path) == ["neuron.svg"]


# --------------------------------------------------------------------------------------------
# Formats, renderers and the projector options
# --------------------------------------------------------------------------------------------


def test_help_lists_the_formats_each_renderer_writes(cli):
    status, stdout, _ = cli("--help")
    assert status == 0
    text = " ".join(stdout.split())
    assert ".svg, .png, .jpg, .jpeg with either renderer" in text
    assert ".pdf, .gif, .webp, .ps, .eps, .svgz with the system dot only" in text
    assert ".dot, .gv the DOT text" in text
    for option in ("--renderer", "--timeout", "--max-nodes", "--font-size", "--digits"):
        assert option in stdout


def test_pdf_without_a_system_dot_names_the_fix(cli, tmp_path, only_graphviz_pure):
    status, _, stderr = cli(*NEURON, "-o", str(tmp_path / "n.pdf"))
    assert status == 2 and len(stderr.splitlines()) == 1
    assert "cannot write pdf" in stderr and "apt-get install graphviz" in stderr
    assert listing(tmp_path) == []


@pytest.mark.parametrize("suffix, magic", [("jpg", b"\xff\xd8"), ("png", b"\x89PNG")])
def test_graphviz_pure_alone_writes_png_and_jpg(cli, tmp_path, only_graphviz_pure, suffix, magic):
    status, stdout, stderr = cli(*NEURON, "-o", str(tmp_path / f"n.{suffix}"))
    assert status == 0, stderr
    assert (tmp_path / f"n.{suffix}").read_bytes().startswith(magic)


def test_renderer_option_chooses_and_checks(cli, tmp_path):
    pure = renderers._which("graphviz-pure")
    dot = renderers._which("dot")
    if pure is None or dot is None:
        pytest.skip("needs both graphviz-pure and the system dot")
    status, _, stderr = cli(*NEURON, "-o", str(tmp_path / "a.pdf"), "--renderer", "dot")
    assert status == 0, stderr
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF")
    status, _, stderr = cli(*NEURON, "-o", str(tmp_path / "b.pdf"), "--renderer", str(pure))
    assert status == 2 and "graphviz-pure cannot write pdf" in stderr and "--renderer dot" in stderr
    status, _, stderr = cli(*NEURON, "-o", str(tmp_path / "c.svg"), "--renderer", "nosuch")
    assert status == 1 and "'nosuch' is not installed" in stderr
    assert listing(tmp_path) == ["a.pdf"]


def test_font_size_and_digits_reach_the_drawing(cli, tmp_path):
    out = tmp_path / "slide.dot"
    status, _, stderr = cli(
        *NEURON, "--local", "--font-size", "18", "--digits", "3", "-o", str(out)
    )
    assert status == 0, stderr
    source = out.read_text(encoding="utf-8")
    assert "fontsize=18" in source and "data 0.707" in source and "grad -1.5<" in source
    assert "label=0.5]" in source  # the edge numbers too


def test_timeout_stops_a_hanging_renderer(cli, tmp_path):
    slow = tmp_path / "bin" / "slowdot"
    slow.parent.mkdir()
    slow.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(30)\n", encoding="utf-8")
    slow.chmod(0o755)
    out = tmp_path / "g.svg"
    status, _, stderr = cli("x*2", "x=1", "-o", str(out), "--renderer", str(slow), "--timeout", "1")
    assert status == 1 and "did not finish" in stderr and "within 1 s" in stderr
    assert not out.exists()


def test_an_existing_folder_as_output_says_so(cli, tmp_path):
    status, _, stderr = cli("x", "x=1", "-o", str(tmp_path))
    assert status == 2 and "it is a folder" in stderr and "graph.svg" in stderr


def test_no_arguments_asks_for_an_expression_only(cli):
    status, stdout, stderr = cli()
    assert status == 2 and stdout == "" and len(stderr.splitlines()) == 1
    assert "give an expression" in stderr and "NAME=NUMBER" not in stderr
