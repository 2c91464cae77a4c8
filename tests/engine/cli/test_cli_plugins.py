"""Subcommands other packages add to ``chainrule`` through the ``chainrule.commands`` entry
points (engine/cli/__init__.py): nn's ``delta`` is found without the engine importing nn, a
broken plugin does not break the other commands, and a plugin cannot replace a built-in."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

import engine.cli as cli


def fake_entry_points(*points: EntryPoint):
    def entry_points(group: str):
        assert group == cli.PLUGIN_GROUP
        return list(points)

    return entry_points


def test_nn_adds_delta_through_its_entry_point():
    assert ("delta", "nn.teaching.delta_cli") in cli.plugins()
    assert "delta" not in cli.SUBCOMMANDS  # the engine's own list never names nn
    parser = cli.build_parser(["delta", "--all"])
    args = parser.parse_args(["delta", "--all"])
    from nn.teaching import delta_cli

    assert args._run is delta_cli.run
    listing = cli.build_parser(["--help"]).format_help()
    assert delta_cli.SUMMARY in " ".join(listing.split())  # chainrule --help lists it


def test_a_broken_plugin_is_an_error_of_its_own_not_of_every_command(monkeypatch, capsys):
    broken = EntryPoint("bogus", "no_such_package.command", cli.PLUGIN_GROUP)
    monkeypatch.setattr("importlib.metadata.entry_points", fake_entry_points(broken))
    assert cli.main(["bogus"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("chainrule bogus: error: cannot load no_such_package.command: ")
    assert "No module named 'no_such_package'" in err
    assert cli.main(["derive", "x*y", "x=2", "y=3", "--wrt", "x"]) == 0  # the others still work
    assert "∂out/∂x" in capsys.readouterr().out


def test_a_plugin_cannot_replace_a_built_in_command(monkeypatch):
    impostor = EntryPoint("step", "no_such_package.step", cli.PLUGIN_GROUP)
    monkeypatch.setattr("importlib.metadata.entry_points", fake_entry_points(impostor))
    assert cli.plugins() == []
    argv = ["step", "x*y", "x=2", "y=3", "--all"]
    args = cli.build_parser(argv).parse_args(argv)
    from engine.cli import step

    assert args._run is step.run


def test_without_plugins_there_is_no_delta_command(monkeypatch, capsys):
    monkeypatch.setattr("importlib.metadata.entry_points", fake_entry_points())
    with pytest.raises(SystemExit) as info:
        cli.main(["delta"])
    assert info.value.code == 2 and "invalid choice: 'delta'" in capsys.readouterr().err


def test_a_plugin_is_imported_only_when_it_runs_or_the_commands_are_listed():
    import subprocess
    import sys

    check = (
        "import sys, engine.cli as c; c.build_parser({argv}); "
        "print('nn.teaching.delta_cli' in sys.modules)"
    )
    for argv, imported in (
        (["draw", "x*y", "x=1", "y=2"], "False"),
        ([], "False"),
        (["delta", "--all"], "True"),
        (["--help"], "True"),
        (["delta", "--help"], "True"),
    ):
        code = check.format(argv=argv)
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.stdout.strip() == imported, (argv, done.stderr)
