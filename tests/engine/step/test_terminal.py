"""The terminal stepper (engine/step/terminal.py): folding to a projector's width, clearing the
screen, digits, and the inputs' gradients of this pass."""

from __future__ import annotations

import io

import pytest

from engine import Value
from engine.step import Stepper
from engine.step.terminal import CLEAR_SCREEN, MIN_WIDTH, fold, interactive, print_all
from tests.engine.step.graphs import neuron
from tests.equations import wrong_equations


def unfold(text: str) -> str:
    """Undo `fold`: a continuation line (indented deeper than the line before) joins it."""
    lines: list[str] = []
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip())
        if lines and line.strip() and indent > len(lines[-1]) - len(lines[-1].lstrip()):
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    return "\n".join(lines)


@pytest.mark.parametrize("width", [MIN_WIDTH, 50, 75])
def test_every_line_fits_the_width_and_nothing_is_lost(width):
    a = Value(2.0, label="a")
    y = a * a + a
    y.label = "y"
    o, _ = neuron()
    o.backward()  # the leaf lines about an earlier backward() are the longest
    for root in (y, o):
        wide, narrow = io.StringIO(), io.StringIO()
        print_all(Stepper(root), wide)
        root.zero_grad()
        if root is o:
            o.backward()
        print_all(Stepper(root), narrow, width=width)
        text = narrow.getvalue()
        assert max(len(line) for line in text.splitlines()) <= width
        assert unfold(text).split() == wide.getvalue().split()  # the same words, folded
        assert not wrong_equations(unfold(text))


def test_fold_breaks_after_semicolons_first():
    line = "  ∂n/∂s = 1;  ∂⁺o/∂s += ∂⁺o/∂n · ∂n/∂s = 0.5 × 1 = 0.5"
    assert fold(line, 45) == "  ∂n/∂s = 1;\n    ∂⁺o/∂s += ∂⁺o/∂n · ∂n/∂s = 0.5 × 1 = 0.5"
    assert fold(line, 40) == "  ∂n/∂s = 1;\n    ∂⁺o/∂s += ∂⁺o/∂n · ∂n/∂s = 0.5 × 1\n    = 0.5"
    assert fold(line, None) == line and fold(line, 200) == line


def test_fold_keeps_a_partial_note_together():
    line = "  ∂y/∂a = 1;  ∂⁺y/∂a += ∂⁺y/∂y · ∂y/∂a = 1 × 1 = 1 (partial: 1 of 3 edges)"
    assert fold(line, 55).splitlines()[-1] == "    1 × 1 = 1 (partial: 1 of 3 edges)" or (
        fold(line, 55).splitlines()[-1] == "    (partial: 1 of 3 edges)"
    )


@pytest.mark.parametrize("width", [0, MIN_WIDTH - 1, 40.0, "75"])
def test_a_width_too_narrow_or_not_an_int_is_refused(width):
    with pytest.raises(ValueError, match="width"):
        fold("x", width)


def test_the_final_gradients_are_this_pass_derivatives():
    o, v = neuron()
    o.backward()
    out = io.StringIO()
    print_all(Stepper(o), out)
    tail = out.getvalue().split("gradients of the inputs:\n")[1]
    assert "∂⁺o/∂x1 = -1.5\n" in tail and "∂⁺o/∂w1 = 1\n" in tail
    assert v["x1"].grad == pytest.approx(-3.0)


def test_interactive_clears_the_screen_before_each_step_when_asked():
    o, _ = neuron()
    keys = iter(["n", "n", "b", "q"])
    out = io.StringIO()
    assert interactive(Stepper(o), out, lambda: next(keys), width=60, clear=True) == 0
    text = out.getvalue()
    assert text.count(CLEAR_SCREEN) == 4  # the start, and before each of the three moves
    screens = text.split(CLEAR_SCREEN)
    assert "[1/10]" in screens[2] and "[2/10]" in screens[3] and "[1/10]" in screens[4]
    assert "undid step 2" in screens[4]
    assert max(len(line) for line in text.replace(CLEAR_SCREEN, "").splitlines()) <= 60


def test_interactive_does_not_clear_unless_asked():
    o, _ = neuron()
    keys = iter(["n", "q"])
    out = io.StringIO()
    interactive(Stepper(o), out, lambda: next(keys))
    assert CLEAR_SCREEN not in out.getvalue() and "[1/10]" in out.getvalue()


def test_interactive_refuses_a_bad_width_before_touching_the_terminal():
    o, _ = neuron()
    with pytest.raises(ValueError, match="width"):
        interactive(Stepper(o), io.StringIO(), lambda: "q", width=5)
