"""The perceptron-logic demo: hand-set gates, the perceptron rule on AND/OR/XOR, XOR by a hidden
layer."""

from __future__ import annotations

import pytest

from demos import perceptron_logic as pl
from tests.demos.conftest import check_pictures, check_story


def test_perceptron_logic_claims(out, capsys):
    result = pl.run(out, seed=0, quick=True)
    story = capsys.readouterr().out
    check_story(story)
    assert result["ok"] and result["agree"]
    assert result["tables"] == {
        "AND": True,
        "OR": True,
        "NAND": True,
        "NOT": True,
        "XOR network": True,
    }
    for name in ("AND", "OR"):
        assert result["learned"][name]["converged"] is not None, name
    assert result["learned"]["XOR"]["converged"] is None
    assert result["xor_best"] < 4 and result["xor_epochs"] == 25
    assert "contradiction" in story
    check_pictures(result, out, {"perceptron_logic.png"})


@pytest.mark.parametrize("name", ["AND", "OR", "NAND"])
def test_hand_set_gates_truth_tables(name):
    assert pl.truth_table(pl.perceptron(*pl.GATES[name])) == pl.TABLES[name]


def test_not_and_xor_network_truth_tables():
    assert pl.truth_table(pl.perceptron((-1.0,), 0.5), ((0,), (1,))) == (1, 0)
    assert pl.truth_table(pl.xor_network()) == (0, 1, 1, 0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rule_learns_separable_tables_and_never_xor(seed):
    for name in ("AND", "OR", "NAND"):
        r = pl.learn(pl.TABLES[name], 100, seed)
        assert r["converged"] is not None, (name, seed)
        assert pl.correct(r["w"], r["b"], pl.TABLES[name]) == 4
        assert r["agreed"] == r["checked"]
    xor = pl.learn(pl.TABLES["XOR"], 300, seed)
    assert xor["converged"] is None and xor["best"] < 4 and len(xor["history"]) == 300


def test_no_line_gets_xor_right():
    """A brute-force check of the printed argument over a grid of (w₁, w₂, b)."""
    values = [v / 2 for v in range(-8, 9)]
    best = max(
        pl.correct([a, c], b, pl.TABLES["XOR"]) for a in values for c in values for b in values
    )
    assert best == 3


def test_undecided_score_is_an_error():
    with pytest.raises(ValueError, match="exactly 0"):
        pl.bit(pl.perceptron((0.0, 0.0), 0.0), (1, 1))
