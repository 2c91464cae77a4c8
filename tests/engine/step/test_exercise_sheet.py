"""The exercise sheet: deterministic, every key answer the engine's number, decimal commas."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import check
from engine.step.answers import AnswerError, grading, parse_answer
from engine.step.exercise_sheet import make_sheet
from engine.step.exercises import exercise
from engine.step.sheet_formats import to_html, to_latex, to_markdown, write_sheet


def _central(f, x: float, h: float = 1e-6) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def test_same_seed_same_sheet_and_other_seed_differs() -> None:
    a, b = make_sheet(8, 3), make_sheet(8, 3)
    assert to_markdown(a) == to_markdown(b)
    assert a.key_data() == b.key_data()
    assert to_markdown(make_sheet(8, 4)) != to_markdown(a)


def test_ids_are_unique_and_kinds_cycle() -> None:
    sheet = make_sheet(8, 1)
    ids = [q.id for q in sheet.questions]
    assert len(ids) == len(set(ids))
    assert [ex.kind for ex in sheet.exercises[:4]] == ["local", "step", "pass", "delta"]
    assert [ex.level for ex in sheet.exercises] == sorted(ex.level for ex in sheet.exercises)


def test_pass_answers_are_central_differences() -> None:
    sheet = make_sheet(12, 5, kinds=["pass"])
    for ex in sheet.exercises:
        source = exercise(ex.level, ex.seed)
        for name, q in zip(source.values, ex.questions):

            def out(v: float, name: str = name, source=source) -> float:  # type: ignore[no-untyped-def]
                values = dict(source.values, **{name: v})
                return _rebuild(source.text, values)

            assert q.value == pytest.approx(_central(out, source.values[name]), abs=1e-5)


def _rebuild(text: str, values: dict[str, float]) -> float:
    """The exercise's output at `values`, from its text, with engine Values."""
    from engine.core.value import Value

    scope: dict[str, object] = {name: Value(v) for name, v in values.items()}
    funcs = {"tanh": Value.tanh, "sigmoid": Value.sigmoid, "relu": Value.relu}
    for line in text.splitlines():
        name, expr = line.split(" = ", 1)
        scope[name] = eval(expr, {"__builtins__": {}}, {**funcs, **scope})  # test-only text
    return scope["out"].data  # type: ignore[attr-defined]


def test_delta_answers_match_the_formula_and_no_mistake_is_right() -> None:
    sheet = make_sheet(6, 2, kinds=["delta"])
    for ex in sheet.exercises:
        delta, w1 = ex.questions
        for q in (delta, w1):
            graded = grading(q.value, q.mistakes)
            assert graded.accepts(q.value)
            for text, number in q.mistakes.items():
                assert not check(number, q.value, mistakes=q.mistakes), text
        assert any("g′(s) is missing" in t for t in delta.mistakes)


def test_key_json_and_formats(tmp_path) -> None:
    sheet = make_sheet(4, 7)
    paths = write_sheet(sheet, tmp_path / "out")
    assert sorted(p.name for p in paths) == sorted(
        ["sheet.md", "sheet.tex", "sheet.html", "key.md", "key.tex", "key.html", "key.json"]
    )
    key = json.loads((tmp_path / "out" / "key.json").read_text("utf-8"))
    assert [q["id"] for q in key["questions"]] == [q.id for q in sheet.questions]
    assert key["questions"][0]["value"] == sheet.questions[0].value
    assert to_latex(sheet).isascii() and to_latex(sheet, key=True).isascii()
    assert "\\partial" in to_markdown(sheet)
    assert "Answer: <b>" in to_html(sheet, key=True) and "Answer: <b>" not in to_html(sheet)


def test_bad_arguments_name_the_value() -> None:
    with pytest.raises(ValueError, match="'nope'"):
        make_sheet(3, 1, kinds=["nope"])
    with pytest.raises(ValueError, match="0"):
        make_sheet(0, 1)


@given(st.integers(-(10**6), 10**6), st.integers(0, 10**6))
def test_decimal_comma_reads_as_the_point(whole: int, frac: int) -> None:
    text = f"{whole},{frac}"
    assert parse_answer(text) == float(f"{whole}.{frac}")
    assert check(text, float(f"{whole}.{frac}")).ok


@given(st.integers(0, 99), st.integers(0, 99), st.integers(0, 99))
def test_two_commas_are_refused(a: int, b: int, c: int) -> None:
    with pytest.raises(AnswerError, match="could not read"):
        parse_answer(f"{a},{b},{c}")


def test_engine_check_accepts_minus_one_comma_five() -> None:
    assert check("-1,5", -1.5).ok
    assert parse_answer("1,5/2") == 0.75
