"""``chainrule exercises`` then ``chainrule grade``, end to end, with three fake students."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from engine.cli import main

N_QUESTIONS = 15  # seed 1, 8 exercises: every kind, with the mistakes the students make below


def comma(x: float) -> str:
    return repr(x).replace(".", ",")


def _rows(path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8"))))


def _with_mistake(key: dict, words: str) -> tuple[str, float, str]:
    """(id, number, description) of the first question with a known mistake containing `words`."""
    for q in key["questions"]:
        for text, number in q["mistakes"]:
            if words in text:
                return q["id"], number, text
    raise AssertionError(f"no mistake with {words!r} in the key")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Make the sheet, write three students' files, grade them; returns what the test reads."""
    root = tmp_path_factory.mktemp("class")
    sheet = root / "sheet"
    argv = ["exercises", "--seed", "1", "--count", "8", "--levels", "1,2,3", "-o", str(sheet)]
    assert main(argv) == 0
    key = json.loads((sheet / "key.json").read_text("utf-8"))
    ids = [q["id"] for q in key["questions"]]
    value = {q["id"]: q["value"] for q in key["questions"]}
    assert len(ids) == N_QUESTIONS

    answers = root / "answers"
    answers.mkdir()
    # Ada: every answer right, decimal commas, a ';' CSV with a header
    lines = ["question;answer"] + [f"{i};{comma(value[i])}" for i in ids]
    (answers / "ada.csv").write_text("\n".join(lines) + "\n", "utf-8")
    # Bob: three known mistakes from the key, the rest right, in JSON
    mistakes = {
        "g′": _with_mistake(key, "the factor g′(s) is missing"),
        "sign": _with_mistake(key, "is the sign right?"),
        "contribution": _with_mistake(key, "only the contribution through"),
    }
    bob = {"name": "Bob Builder", **{i: comma(value[i]) for i in ids}}
    for qid, number, _ in mistakes.values():
        bob[qid] = comma(number)
    (answers / "bob.json").write_text(json.dumps(bob, ensure_ascii=False, indent=1), "utf-8")
    # Cy: a ',' CSV (fields after the id joined: 1a,-1,0), a malformed line, an unknown id and a
    # missing answer
    malformed, missing = ids[1], ids[2]
    cy = ["name,Cy"]
    for i in ids:
        if i == malformed:
            cy.append(f"{i} {value[i]}")
        elif i != missing:
            cy.append(f"{i},{comma(value[i])}")
    cy.insert(4, "9z,1")
    (answers / "cy.csv").write_text("\n".join(cy) + "\n", "utf-8")

    results = root / "results"
    status = main(["grade", str(sheet / "key.json"), str(answers), "-o", str(results)])
    return {
        "status": status,
        "key": key,
        "ids": ids,
        "value": value,
        "mistakes": mistakes,
        "malformed": malformed,
        "missing": missing,
        "cy_lines": cy,
        "results": results,
        "answers": answers,
        "sheet": sheet,
    }


def test_grade_writes_every_file(graded) -> None:
    assert graded["status"] == 0
    results = graded["results"]
    names = sorted(str(p.relative_to(results)) for p in results.rglob("*") if p.is_file())
    assert names == [
        "chart.svg",
        "problems.csv",
        "questions.csv",
        "students.csv",
        "students/Bob-Builder.csv",
        "students/Cy.csv",
        "students/ada.csv",
    ]


def test_students_csv_scores(graded) -> None:
    rows = _rows(graded["results"] / "students.csv")
    table = {r["student"]: r for r in rows}
    assert list(table) == ["ada", "Bob Builder", "Cy"]  # in file order: ada, bob, cy
    n = N_QUESTIONS
    expect = {
        "ada": (n, 0, 0, 0),
        "Bob Builder": (n - 3, 3, 0, 0),
        "Cy": (n - 2, 0, 2, 0),
    }
    for name, (right, wrong, unanswered, unreadable) in expect.items():
        r = table[name]
        got = (int(r["right"]), int(r["wrong"]), int(r["unanswered"]), int(r["unreadable"]))
        assert got == (right, wrong, unanswered, unreadable), name
        assert r["score"] == f"{100 * right / n:.1f}"
    assert table["ada"]["score"] == "100.0"
    assert table["Cy"]["results"] == "students/Cy.csv"
    assert table["Bob Builder"]["file"].endswith("bob.json")


def test_all_right_student(graded) -> None:
    rows = _rows(graded["results"] / "students" / "ada.csv")
    assert [r["question"] for r in rows] == graded["ids"]
    assert {r["verdict"] for r in rows} == {"right"}
    for r in rows:
        assert "," in r["answer"] or "." not in r["answer"]  # written with decimal commas
        assert float(r["read_as"]) == graded["value"][r["question"]]
        assert r["mistake"] == "" and r["off_by"] == ""
        assert abs(float(r["correct"]) - graded["value"][r["question"]]) <= 1e-5 * max(
            1.0, abs(graded["value"][r["question"]])
        )


def test_known_mistakes_are_wrong_and_named(graded) -> None:
    rows = {r["question"]: r for r in _rows(graded["results"] / "students" / "Bob-Builder.csv")}
    for qid, number, text in graded["mistakes"].values():
        row = rows[qid]
        assert row["verdict"] == "wrong", text
        assert row["mistake"] == text
        assert float(row["read_as"]) == number and row["off_by"].endswith("%")
    wrong = {q for q, r in rows.items() if r["verdict"] == "wrong"}
    assert wrong == {qid for qid, _, _ in graded["mistakes"].values()}
    assert "g′(s) is missing" in rows[graded["mistakes"]["g′"][0]]["mistake"]


def test_problems_csv_names_student_file_and_line(graded) -> None:
    rows = _rows(graded["results"] / "problems.csv")
    assert [r["student"] for r in rows] == ["Cy", "Cy"]
    lines = graded["cy_lines"]
    unknown_line = lines.index("9z,1") + 1
    malformed_line = next(k for k, t in enumerate(lines, 1) if t.startswith(graded["malformed"]))
    by_line = {int(r["line"]): r["problem"] for r in rows}
    assert sorted(by_line) == sorted([unknown_line, malformed_line])
    assert "unknown question id '9z'" in by_line[unknown_line]
    assert "cannot read the line" in by_line[malformed_line]
    assert all(r["file"].endswith("cy.csv") for r in rows)
    cy = {r["question"]: r["verdict"] for r in _rows(graded["results"] / "students" / "Cy.csv")}
    assert cy[graded["missing"]] == "unanswered" and cy[graded["malformed"]] == "unanswered"
    assert list(cy.values()).count("right") == N_QUESTIONS - 2


def test_questions_csv(graded) -> None:
    rows = {r["question"]: r for r in _rows(graded["results"] / "questions.csv")}
    assert list(rows) == graded["ids"]
    for qid, _, text in graded["mistakes"].values():
        row = rows[qid]
        assert row["common_mistake"] == text and row["common_mistake_count"] == "1"
        assert int(row["wrong"]) == 1
    for qid in (graded["missing"], graded["malformed"]):
        assert int(rows[qid]["unanswered"]) == 1
    for qid, row in rows.items():
        right = int(row["right"])
        total = sum(int(row[k]) for k in ("right", "wrong", "unanswered", "unreadable"))
        assert total == 3 and row["score"] == f"{100 * right / 3:.1f}"
        if qid not in {m[0] for m in graded["mistakes"].values()}:
            assert row["common_mistake"] == "" and row["wrong"] == "0"
    kinds = {row["kind"] for row in rows.values()}
    assert kinds == {"local", "step", "pass", "delta"}


def test_chart_has_one_bar_per_question_at_its_score(graded) -> None:
    svg = ET.fromstring((graded["results"] / "chart.svg").read_text("utf-8"))
    ns = "{http://www.w3.org/2000/svg}"
    bars = [r for r in svg.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]
    assert len(bars) == N_QUESTIONS
    rows = _rows(graded["results"] / "questions.csv")
    scores = {r["question"]: 100 * int(r["right"]) / 3 for r in rows}
    full = max(float(b.get("height")) for b in bars)
    for bar in bars:
        qid = bar.find(f"{ns}title").text.split(":")[0]
        assert float(bar.get("height")) == pytest.approx(full * scores[qid] / 100)
    labels = [t.text for t in svg.iter(f"{ns}text")]
    assert set(graded["ids"]) <= set(labels) and "3 students" in labels[0]
    assert int(svg.get("font-size")) >= 16


def test_printed_table(graded, capsys, tmp_path) -> None:
    key = str(graded["sheet"] / "key.json")
    files = [str(graded["answers"] / n) for n in ("ada.csv", "bob.json", "cy.csv")]
    assert main(["grade", key, *files, "-o", str(tmp_path / "again")]) == 0
    out = capsys.readouterr().out
    assert f"graded 3 students on {N_QUESTIONS} questions" in out
    assert "ada" in out and "100%" in out and "Bob Builder" in out
    assert "2 problems" in out
    same = (tmp_path / "again" / "students.csv").read_text("utf-8")
    assert same == (graded["results"] / "students.csv").read_text("utf-8")


@pytest.mark.parametrize(
    "case", ["no key", "not a key", "no answers", "empty folder", "output is a file"]
)
def test_bad_usage_is_one_line_and_status_2(case, graded, tmp_path, capsys) -> None:
    key = str(graded["sheet"] / "key.json")
    answers = str(graded["answers"])
    out = str(tmp_path / "out")
    if case == "no key":
        key = str(tmp_path / "missing.json")
    elif case == "not a key":
        key = str(graded["answers"] / "bob.json")
    elif case == "no answers":
        answers = str(tmp_path / "nobody")
    elif case == "empty folder":
        (tmp_path / "empty").mkdir()
        answers = str(tmp_path / "empty")
    else:
        (tmp_path / "out").write_text("x", "utf-8")
    assert main(["grade", key, answers, "-o", out]) == 2
    err = capsys.readouterr().err
    assert err.startswith("chainrule grade: error: ") and err.count("\n") == 1


def test_cells_a_spreadsheet_would_run_are_quoted_numbers_are_not() -> None:
    from engine.cli.grade import csv_text

    text = csv_text(("a", "b", "c"), [("=HYPERLINK(1)", "-1,5", "@SUM(A1)")])
    assert text.splitlines()[1] == "'=HYPERLINK(1),\"-1,5\",'@SUM(A1)"


def test_an_unreadable_file_is_graded_unreadable_and_reported(graded, tmp_path) -> None:
    (tmp_path / "dee.csv").write_bytes(b"PK\x03\x04\x00binary spreadsheet")
    key = str(graded["sheet"] / "key.json")
    assert main(["grade", key, str(tmp_path / "dee.csv"), "-o", str(tmp_path / "r")]) == 0
    summary = _rows(tmp_path / "r" / "students.csv")
    assert [(r["student"], r["unreadable"], r["score"]) for r in summary] == [
        ("dee", str(N_QUESTIONS), "0.0")
    ]
    problems = _rows(tmp_path / "r" / "problems.csv")
    assert len(problems) == 1 and problems[0]["line"] == "" and "not text" in problems[0]["problem"]
