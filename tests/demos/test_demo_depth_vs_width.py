"""The depth-vs-width demo: equal parameter budgets, both nets learn, the winner only reported."""

from __future__ import annotations

from demos import depth_vs_width as dw
from tests.demos.conftest import check_pictures, check_story


def test_depth_vs_width_counts_match_and_both_learn(out, capsys):
    result = dw.run(out, seed=0, quick=True)
    story = capsys.readouterr().out
    check_story(story)
    assert result["ok"] and result["learnt"]
    assert result["counts"] == {"wide (shallow)": 109, "narrow (deep)": 109}
    for name, finals in result["finals"].items():
        assert len(finals) == 2, name
        for loss, acc in finals:
            assert acc > dw.LEARNT_ACCURACY and loss < 0.5, (name, loss, acc)
    assert sum(result["wins"].values()) == 2
    if result["winner"] is None:
        assert "no robust winner" in story
    else:
        assert result["wins"][result["winner"]] == 2 and "won every run" in story
    check_pictures(result, out, {"depth_vs_width.png"})


def test_parameter_count_formula_matches_the_models():
    from nn import MLP

    for widths in ([27, 1], [6, 6, 6, 1], [24, 1], [3, 5, 2]):
        assert dw.parameter_count(2, widths) == len(MLP(2, widths, seed=0).parameters())
    assert dw.parameter_count(2, [24, 1]) == 97 and dw.parameter_count(2, [6, 6, 6, 1]) == 109
