"""Notation profiles (engine/step/notation.py): one lecture's symbols in every face of one run,
and total derivatives (∂⁺) written apart from local ones (∂)."""

from __future__ import annotations

import re

import pytest

from engine import Value
from engine.cli import main
from engine.step import backward_steps
from engine.step.derivation import derivation
from engine.step.notation import DEFAULT, NOTATIONS, Notation, notation

PROFILES = sorted(NOTATIONS)


def test_every_lecture_has_a_profile_and_the_default_is_lecture_004():
    assert PROFILES == [f"lecture-00{k}" for k in range(5)]
    assert DEFAULT == "lecture-004" and notation() is NOTATIONS["lecture-004"]
    assert notation("lecture-000") is notation(NOTATIONS["lecture-000"])
    p = notation("lecture-004")
    assert (p.pre, p.act, p.weight, p.input_first) == ("s", "x", "w", True)
    assert (notation("lecture-000").pre, notation("lecture-000").act) == ("z", "h")
    assert (notation("lecture-002").pre, notation("lecture-002").act) == ("a", "h")
    assert not notation("lecture-001").input_first and notation("lecture-001").weight == "β"


def test_an_unknown_name_is_refused_with_the_good_ones_listed():
    with pytest.raises(ValueError, match=r"unknown notation 'lecture-9'.*lecture-000.*lecture-004"):
        notation("lecture-9")
    with pytest.raises(ValueError, match="unknown notation 4"):
        notation(4)  # type: ignore[arg-type]


def test_symbols_follow_the_profile():
    p = notation("lecture-004")
    assert p.weight_name(2, 1, layer=1) == "w₂₁⁽¹⁾"  # input 2 -> output 1
    assert notation("lecture-001").weight_name(2, 1) == "β₁₂"  # the row is the output
    assert p.pre_name(1, 2) == "s₁⁽²⁾" and notation("lecture-003").act_name(1, 2) == "a₁²"
    assert p.weight_name(2, 12, layer=1) == "w₂,₁₂⁽¹⁾"
    assert p.total("L", "x") == "∂⁺L/∂x" and p.local("L", "x") == "∂L/∂x"
    assert p.total("L", "-3") == "∂⁺L/∂(-3)"
    assert p.class_index(0) == 1 and Notation("mine", first_class=0).class_index(0) == 0
    assert r"\partial^{+}" in p.total_latex("L", "x")


def test_derive_writes_the_total_derivative_apart_from_the_local_one(capsys):
    assert main(["derive", "x*y + x", "x=2", "y=3", "--wrt", "x"]) == 0
    out = capsys.readouterr().out
    assert "∂⁺out/∂x = ∂out/∂mul₁ · ∂mul₁/∂x + ∂out/∂x\n" in out  # not X = A + X
    lhs, rhs = out.split("∂⁺out/∂x = ", 1)[1].split("\n")[0], "∂⁺out/∂x"
    assert rhs not in lhs
    assert main(["derive", "x*y + x", "x=2", "y=3", "--wrt", "x", "--latex"]) == 0
    latex = capsys.readouterr().out
    total = r"\frac{\partial^{+} {\mathrm{out}}}{\partial {x}}"
    local = r"\frac{\partial {\mathrm{out}}}{\partial {x}}"
    assert latex.count(total) == 1 and local in latex


def test_the_seed_step_writes_total_and_local_apart():
    x = Value(2.0, label="x")
    loss = (x**2) * 0.5
    loss.label = "L"
    first = str(next(backward_steps(loss)))
    assert "∂L/∂pow₁ = 0.5;  ∂⁺L/∂pow₁ += ∂⁺L/∂L · ∂L/∂pow₁ = 1 × 0.5 = 0.5" in first
    assert "upstream ∂⁺L/∂L = 1 (the seed)" in first


def test_a_total_mark_of_the_profile_is_used_in_the_narration():
    x = Value(2.0, label="x")
    y = x * 3
    y.label = "y"
    mine = Notation("mine", total_mark="ᵗ")
    assert "∂ᵗy/∂x += ∂ᵗy/∂y · ∂y/∂x" in str(next(backward_steps(y, notation=mine)))
    d = derivation(y, x, notation=mine)
    assert str(d).splitlines()[0].startswith("∂ᵗy/∂x by the chain rule")


def test_the_cli_takes_notation_and_refuses_a_bad_one(capsys):
    for command in (["step", "x*y", "x=2", "y=3", "--all"], ["derive", "x*y", "x=2", "y=3"]):
        with pytest.raises(SystemExit) as info:
            main([*command, "--notation", "lecture-42"])
        assert info.value.code == 2 and "lecture-42" in capsys.readouterr().err
        assert main([*command, "--notation", "lecture-000"]) == 0
        assert "∂⁺out/∂x" in capsys.readouterr().out


# --------------------------------------------------------------------------------------------
# One run, one notation: δ mode, its practice, the network view, narration and derivation
# --------------------------------------------------------------------------------------------


def _symbols(text: str, p: Notation) -> dict[str, set[str]]:
    """Every pre-activation, activation, δ and weight symbol with a layer mark in `text`."""
    sub, sup = "[₀-₉,]+", "[⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾]+"
    found = {}
    for kind, letter in (("pre", p.pre), ("act", p.act), ("delta", p.delta), ("w", p.weight)):
        found[kind] = set(re.findall(rf"(?<![A-Za-zα-ω]){re.escape(letter)}{sub}{sup}", text))
    return found


def _wrong_letters(text: str, p: Notation) -> set[str]:
    """Neuron symbols with a layer mark whose letter is not the profile's."""
    sub, sup = "[₀-₉,]+", "[⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾]+"
    allowed = {p.pre, p.act, p.delta, p.weight, "b", "x"}
    used = re.findall(rf"(?<![A-Za-zα-ω])([A-Za-zα-ωβδ]){sub}{sup}", text)
    return set(used) - allowed


@pytest.mark.parametrize("name", [n for n in PROFILES if notation(n).layer_style != "sub"])
def test_every_face_of_one_run_prints_the_same_symbols(name):
    import html

    import nn
    from nn.teaching.delta_mode import DeltaStepper

    p = notation(name)
    model = nn.MLP(2, [3, 1], activation="tanh", output_activation="tanh", seed=0)
    loss = nn.losses.mse(model([0.5, -0.2]), 0.3)
    loss.label = p.loss
    loss.backward()
    d = DeltaStepper(model, loss, notation=p, target=0.3, loss_kind="mse")
    delta_text = d.forward_trace() + "\n" + "\n".join(str(s) for s in d.run())
    practice = DeltaStepper(model, loss, notation=p, practice=True, target=0.3, loss_kind="mse")
    prompts = []
    while not practice.practice.done:
        prompts.append(practice.practice.prompt)
        practice.practice.reveal()
    practice_text = "\n".join(prompts)
    view = html.unescape(d.draw().source)

    faces = {"δ mode": delta_text, "δ practice": practice_text, "network view": view}
    for face, text in faces.items():
        assert not _wrong_letters(text, p), (face, _wrong_letters(text, p))
    delta_symbols = _symbols(delta_text, p)
    view_symbols = _symbols(view, p)
    practice_symbols = _symbols(practice_text, p)
    for kind in ("pre", "act"):  # what the δ mode names, the view and practice name alike
        assert delta_symbols[kind] and delta_symbols[kind] <= view_symbols[kind], kind
    assert practice_symbols["delta"] <= delta_symbols["delta"]
    assert practice_symbols["w"] <= view_symbols["w"] and practice_symbols["w"]
    for text in (delta_text, practice_text):  # ∂L/∂x written as the total it is
        assert f"∂{p.total_mark}{p.loss}/∂" in text
        assert not re.search(rf"(?<!\w)∂{re.escape(p.loss)}/∂", text)

    narration = "\n".join(str(s) for s in backward_steps(loss, notation=p))
    derived = str(derivation(loss, model.parameters()[0], notation=p))
    for text in (narration, derived):
        assert f"∂{p.total_mark}{p.loss}/∂" in text


def test_delta_mode_prints_the_target_the_loss_derivative_and_the_update():
    import nn
    from nn.teaching.delta_mode import DeltaStepper

    model = nn.MLP(2, [3, 1], activation="tanh", output_activation="tanh", seed=0)
    out = model([0.5, -0.2])
    loss = nn.losses.mse(out, 0.3)
    loss.backward()
    d = DeltaStepper(model, loss, target=0.3, loss_kind="mse", lr=0.5)
    first = str(d.next())
    a = out.data
    line = next(x for x in first.splitlines() if x.strip().startswith("target"))
    assert line.strip().startswith("target y₁ = 0.3;  ∂⁺L/∂x₁⁽²⁾ = 2(x₁⁽²⁾ − y₁) = 2(")
    shown = float(line.rsplit("= ", 1)[1])
    assert shown == pytest.approx(2 * (a - 0.3), rel=1e-3)
    assert shown == pytest.approx(out.grad, rel=1e-3)  # the engine's ∂L/∂a
    update = next(x for x in first.splitlines() if "update" in x)
    w = model.layers[1].neurons[0].w[0]
    assert "update (η = 0.5): w₁₁⁽²⁾ ← w₁₁⁽²⁾ − η·x₁⁽¹⁾·δ₁⁽²⁾ = " in update
    assert float(update.rsplit("= ", 1)[1]) == pytest.approx(w.data - 0.5 * w.grad, rel=1e-3)
    with pytest.raises(ValueError, match="lr=.*-1"):
        DeltaStepper(model, loss, lr=-1)
    with pytest.raises(ValueError, match="loss_kind=.*'hinge'"):
        DeltaStepper(model, loss, loss_kind="hinge")


def test_softmax_cross_entropy_output_delta_is_p_minus_t(capsys):
    argv = ["delta", "--sizes", "2,3", "--loss", "cross_entropy", "--x", "1,0.5", "--y", "2"]
    assert main([*argv, "--output-activation", "softmax", "--all"]) == 0
    out = capsys.readouterr().out
    assert "softmax + cross-entropy" in out and "(k = 3)" in out  # class 2 counted from 1
    lines = [x.strip() for x in out.splitlines() if re.match(r"\s*δ[₀-₉]⁽¹⁾ = p", x)]
    assert len(lines) == 3 and "p₃ − y₃" in lines[2] and " − 1 = " in lines[2]
    import nn

    model = nn.MLP(2, [3], activation="tanh", output_activation="linear", seed=0)
    z = model([1.0, 0.5])
    loss = nn.losses.cross_entropy(z, 2)
    loss.backward()
    for line, node in zip(lines, z):
        assert float(line.rsplit("= ", 1)[1]) == pytest.approx(node.grad, rel=1e-3, abs=1e-4)
    assert main(["delta", "--output-activation", "softmax", "--loss", "mse", "--all"]) == 2
    assert "cross_entropy" in capsys.readouterr().err
