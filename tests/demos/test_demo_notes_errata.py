"""The activation demo says where the lecture notes are wrong: for each place the notes' form
fails gradcheck and differs from the engine, the correction is the engine's number and passes."""

from __future__ import annotations

import pytest

from demos import activations
from engine import OPS, Value
from tests.demos.conftest import check_story


def test_every_erratum_is_printed_and_holds(out, capsys):
    before = set(OPS)
    result = activations.run(out, quick=True)
    story = capsys.readouterr().out
    check_story(story)
    assert result["ok"]
    assert not [n for n in set(OPS) - before if "erratum" in n]  # gradcheck ops removed
    assert len(result["errata"]) == 5
    for r in result["errata"]:
        assert activations.holds_erratum(r), r
        assert r["notes_gradcheck"] is False and r["correct_gradcheck"] is True
    assert story.count("notes' form FAILS, correct form passes") == 5
    for text in ("βg(βz) + σ(βz)(1 - βg(βz))", "1/[1 + exp(z)]", "+e^(z₁ + z₂)"):
        assert text in story
    assert result["worst_central"] <= activations.CENTRAL_TOLERANCE


@pytest.mark.parametrize("z", [-2.0, -0.3, 0.7, 2.5])
def test_swish_notes_form_fails_gradcheck_at_beta_1_5_and_passes_at_1(z):
    forward_15 = lambda v: v * activations._sigma(1.5 * v)
    forward_1 = lambda v: v * activations._sigma(v)
    notes_15 = lambda v: activations.swish_notes_slope(v, 1.5)
    notes_1 = lambda v: activations.swish_notes_slope(v, 1.0)
    assert not activations.passes_gradcheck("t_notes_swish", (forward_15, notes_15), z)
    assert activations.passes_gradcheck("t_notes_swish", (forward_1, notes_1), z)
    x = Value(z)
    x.swish(1.5).backward()
    assert x.grad == pytest.approx(activations.swish_slope(z, 1.5), abs=1e-12)
    h = 1e-6
    central = (forward_15(z + h) - forward_15(z - h)) / (2 * h)
    assert x.grad == pytest.approx(central, abs=1e-8)


def test_a_correct_notes_form_would_not_count_as_an_erratum():
    """The claim can fail: an 'erratum' whose notes' form is right is rejected."""
    r = activations.check_erratum(activations.errata()[0], 99)
    assert activations.holds_erratum(r)
    assert not activations.holds_erratum({**r, "notes": r["correct"]})
    assert not activations.holds_erratum({**r, "notes_gradcheck": True})
    assert not activations.holds_erratum({**r, "engine": r["correct"] + 1e-3})


def test_corrections_match_torch_float64():
    torch = pytest.importorskip("torch")
    z = torch.tensor(activations.SOFTMAX_Z, dtype=torch.float64)
    jacobian = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, 0), z)
    for i in range(3):
        for k in range(3):
            ours = activations.softmax_slope(activations.SOFTMAX_Z, i, k)
            assert ours == pytest.approx(jacobian[k, i].item(), abs=1e-14)
    for value in (-1.5, 0.4, 2.0):
        t = torch.tensor(value, dtype=torch.float64, requires_grad=True)
        (t * torch.sigmoid(1.5 * t)).backward()
        assert activations.swish_slope(value, 1.5) == pytest.approx(t.grad.item(), abs=1e-14)


def test_notes_forms_agree_only_where_the_notes_say():
    agree = activations.agreements()
    assert all(d <= 1e-12 for d in agree.values())
    z = activations.SOFTMAX_Z
    assert activations.softmax_notes_slope(z, 0, 1) == pytest.approx(
        -activations.softmax_slope(z, 0, 1), abs=1e-15
    )
