"""Grade a class's answer files against an exercise sheet's key.

    chainrule grade sheet/key.json answers/ -o results/
    chainrule grade sheet/key.json ada.csv bob.json -o results/

ANSWERS are files or folders (a folder's .csv, .tsv, .txt and .json files). Each answer is graded
by practice mode's rule: no known mistake is ever right, and a wrong answer is matched to the
mistake it looks like. Writes into RESULTS: students/<name>.csv (one row per question: the
answer, the verdict right/wrong/unanswered/unreadable, the mistake it looks like, the correct
value), students.csv (per student: score, right, wrong, unanswered, unreadable), questions.csv
(per question: how many got it right, the most common mistake), problems.csv (what could not be
read: student, file, line, problem) and chart.svg (the share of the class right per question).
"""

from __future__ import annotations

import argparse
import csv
import io
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from engine.cli.common import fail

if TYPE_CHECKING:
    from engine.step.grade_files import AnswerKey, Marked, QuestionSummary

PROG = "chainrule grade"
_fail = partial(fail, PROG)

STUDENT_COLUMNS = ("question", "answer", "read_as", "verdict", "mistake", "off_by", "correct")
SUMMARY_COLUMNS = (
    "student",
    "file",
    "score",
    "right",
    "wrong",
    "unanswered",
    "unreadable",
    "results",
)
QUESTION_COLUMNS = (
    "question",
    "exercise",
    "kind",
    "level",
    "score",
    "right",
    "wrong",
    "unanswered",
    "unreadable",
    "common_mistake",
    "common_mistake_count",
)
PROBLEM_COLUMNS = ("student", "file", "line", "problem")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("key", metavar="KEY.json", help="the key.json `chainrule exercises` wrote")
    parser.add_argument("answers", nargs="+", metavar="ANSWERS", help="answer files or folders")
    parser.add_argument(
        "-o", "--output", default="results", help="folder to write (default results)"
    )


# --------------------------------------------------------------------------------------------
# The files
# --------------------------------------------------------------------------------------------


def _cell(value: object) -> str:
    """A CSV cell; text a spreadsheet would run as a formula (``=...``, ``@...``, a sign that
    does not start a number) gets a leading ``'`` (student files are not to be trusted)."""
    from engine.step.answers import AnswerError, parse_answer

    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        try:
            parse_answer(text)
        except AnswerError:
            return "'" + text
    return text


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A header and `rows` as CSV text (``,``-separated, ``\\n`` line ends, quoted as needed)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def _percent(x: float) -> str:
    return f"{x:.1f}"


def student_csv(marked: Marked) -> str:
    """One student's rows: `STUDENT_COLUMNS`."""
    rows = [
        (r.question, r.answer, r.read_as, r.verdict, r.mistake, r.off_by, r.correct)
        for r in marked.rows
    ]
    return csv_text(STUDENT_COLUMNS, rows)


def students_csv(marked: Sequence[Marked], files: Sequence[str]) -> str:
    """One row per student: `SUMMARY_COLUMNS` (score in percent of the questions)."""
    rows = [
        (m.student, m.file, _percent(m.score), m.right, m.wrong, m.unanswered, m.unreadable, f)
        for m, f in zip(marked, files)
    ]
    return csv_text(SUMMARY_COLUMNS, rows)


def questions_csv(summaries: Sequence[QuestionSummary]) -> str:
    """One row per question: `QUESTION_COLUMNS` (score in percent of the students)."""
    rows = []
    for s in summaries:
        q, c = s.question, s.counts
        rows.append(
            (q.id, q.exercise, q.kind, q.level, _percent(s.score), c["right"], c["wrong"])
            + (c["unanswered"], c["unreadable"], s.common_mistake, s.common_count or "")
        )
    return csv_text(QUESTION_COLUMNS, rows)


def problems_csv(marked: Sequence[Marked]) -> str:
    """One row per problem found: `PROBLEM_COLUMNS` (line empty for the whole file)."""
    rows = [
        (m.student, m.file, "" if p.line is None else p.line, p.text)
        for m in marked
        for p in m.problems
    ]
    return csv_text(PROBLEM_COLUMNS, rows)


CHART_FONT = 16
"""Font size (px) of the chart's text: readable on a slide."""


def chart_svg(summaries: Sequence[QuestionSummary], students: int) -> str:
    """A bar chart of the per-question score (percent of the students right), as SVG text.

    Bar height = score / 100 · plot height; each bar is labelled with its question id below and
    its score above.
    """
    from html import escape

    bar, gap, plot_h = 44, 14, 240
    left, top, bottom, right = 64, 56, 44, 20
    width = left + len(summaries) * (bar + gap) + right
    height = top + plot_h + bottom
    base = top + plot_h
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif" '
        f'font-size="{CHART_FONT}">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="24" font-weight="bold">Right answers per question '
        f"({students} student{'s' if students != 1 else ''})</text>",
    ]
    for tick in (0, 50, 100):
        y = base - plot_h * tick / 100
        parts.append(
            f'<line x1="{left - 4}" y1="{y:g}" x2="{width - right}" y2="{y:g}" '
            f'stroke="#ccc" stroke-width="1"/>'
        )
        parts.append(f'<text x="{left - 8}" y="{y + 5:g}" text-anchor="end">{tick}%</text>')
    for i, s in enumerate(summaries):
        x = left + gap / 2 + i * (bar + gap)
        h = plot_h * s.score / 100
        mid = x + bar / 2
        parts.append(
            f'<rect x="{x:g}" y="{base - h:g}" width="{bar}" height="{h:g}" fill="#3a7bd5">'
            f"<title>{escape(s.question.id)}: {_percent(s.score)}% right</title></rect>"
        )
        parts.append(
            f'<text x="{mid:g}" y="{base - h - 6:g}" text-anchor="middle">{s.score:.0f}</text>'
        )
        parts.append(
            f'<text x="{mid:g}" y="{base + 22:g}" text-anchor="middle">'
            f"{escape(s.question.id)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _student_names(marked: Sequence[Marked]) -> list[str]:
    """students/<slug>.csv for each student, a number added when two share a name."""
    from engine.step.grade_files import slug

    names: list[str] = []
    used: set[str] = set()
    for m in marked:
        base = slug(m.student)
        name, k = base, 2
        while name.lower() in used:
            name, k = f"{base}-{k}", k + 1
        used.add(name.lower())
        names.append(f"students/{name}.csv")
    return names


def write_results(key: AnswerKey, marked: Sequence[Marked], folder: str | Path) -> list[Path]:
    """Write every result file into `folder` (created if missing), each atomically; returns
    their paths: the students' files, students.csv, questions.csv, problems.csv, chart.svg."""
    from engine.files import write_atomic
    from engine.step.grade_files import summarise_questions

    folder = Path(folder)
    names = _student_names(marked)
    summaries = summarise_questions(marked, key)
    contents = {name: student_csv(m) for name, m in zip(names, marked)}
    contents["students.csv"] = students_csv(marked, names)
    contents["questions.csv"] = questions_csv(summaries)
    contents["problems.csv"] = problems_csv(marked)
    contents["chart.svg"] = chart_svg(summaries, len(marked))
    return [write_atomic(folder / name, text, parents=True) for name, text in contents.items()]


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


def _table(marked: Sequence[Marked]) -> str:
    """The students' scores as a small text table."""
    head = ("student", "score", "right", "wrong", "unanswered", "unreadable", "problems")
    rows = [
        (m.student, f"{m.score:.0f}%", m.right, m.wrong, m.unanswered, m.unreadable)
        + (len(m.problems),)
        for m in marked
    ]
    cells = [head] + [tuple(str(v) for v in row) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(head))]
    lines = []
    for row in cells:
        first = row[0].ljust(widths[0])
        rest = [value.rjust(w) for value, w in zip(row[1:], widths[1:])]
        lines.append("  ".join([first, *rest]).rstrip())
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from engine.step.grade_files import answer_files, grade, load_key, read_answers

    try:
        key = load_key(args.key)
        files = answer_files(args.answers, skip=[args.key])
        if not files:
            raise ValueError(
                f"no answer files in {', '.join(repr(a) for a in args.answers)} "
                f"(looked for .csv, .tsv, .txt and .json files)"
            )
        output = Path(args.output)
        if output.exists() and not output.is_dir():
            raise ValueError(f"-o {str(output)!r} is a file: give a folder for the results")
    except (ValueError, OSError) as exc:
        return _fail(exc)
    marked = [grade(read_answers(path, key), key) for path in files]
    try:
        paths = write_results(key, marked, output)
    except (ValueError, OSError) as exc:
        return _fail(exc, status=1)
    problems = sum(len(m.problems) for m in marked)
    print(f"graded {len(marked)} students on {len(key.questions)} questions")
    print(_table(marked))
    if problems:
        print(f"{problems} problem{'s' if problems != 1 else ''}: see {output / 'problems.csv'}")
    print(f"wrote {len(paths)} files into {output}")
    return 0
