"""Read a class's answer files and grade them against an exercise sheet's key (key.json).

    from engine.step.grade_files import load_key, read_answers, grade
    key = load_key("sheet/key.json")
    marked = grade(read_answers("answers/ada.csv", key), key)
    marked.right, marked.rows[0].verdict, marked.rows[0].mistake

A student's file is CSV or JSON, one answer per question id (``1a``, ``3b``: the ids on the sheet):

- CSV: ``question,answer`` per line (a header line ``question,answer`` is optional; blank lines and
  lines starting with ``#`` are skipped). With decimal commas use ``;`` (``1a;-1,5``); with ``,``
  as the separator the fields after the id are joined again, so ``1a,-1,5`` reads as −1.5. A line
  ``name,Ada Lovelace`` names the student.
- JSON: ``{"name": "Ada", "1a": "-1,5", "1b": 0.25}`` or a list ``[{"question": "1a", "answer":
  "-1,5"}, ...]`` (or either under ``"answers"``).

The student's name is the ``name`` field, else the file's name without its suffix. Each answer is
graded by the one rule of practice mode (`engine.step.answers.grading`, rebuilt from the key's
value, rel, abs_tol and mistakes): right when it lies in the accepted interval, which no known
mistake reaches; a wrong answer is matched to the mistake it looks like, named in words. What
cannot be read (the file, a line, an answer that is not a number, an id not on the sheet, a
question answered twice) becomes a `Problem` naming the line, never an exception; a question with
no answer is ``unanswered``.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path
from typing import Iterable

from engine.core.numfmt import fmt
from engine.files import read_bytes
from engine.step.answers import AnswerError, Grading, graded_check, grading

__all__ = [
    "VERDICTS",
    "KeyError_",
    "KeyQuestion",
    "AnswerKey",
    "Problem",
    "Submission",
    "Row",
    "Marked",
    "QuestionSummary",
    "load_key",
    "read_answers",
    "parse_answers",
    "grade",
    "summarise_questions",
    "answer_files",
    "slug",
    "key_from_data",
]

VERDICTS = ("right", "wrong", "unanswered", "unreadable")
"""What a question's answer can be: right, wrong, not given, or not a number."""

KEY_FORMAT = "chainrule-answer-key"
MAX_ANSWER_BYTES = 1_000_000
"""An answer file larger than this is refused (a class's answers are a few hundred bytes)."""
MAX_KEY_BYTES = 20_000_000
CORRECT_DIGITS = 6
"""Significant digits of the correct value in the results (more when the question needs more)."""

ANSWER_SUFFIXES = (".csv", ".tsv", ".txt", ".json")
"""The files `answer_files` takes from a folder."""

_HEADER_WORDS = {"question", "questions", "id", "question id", "question_id", "frage", "nr"}
_NAME_WORDS = {"name", "student"}


class KeyError_(ValueError):
    """A key.json that is not a chainrule answer key; the message names the bad entry."""


class KeyQuestion:
    """One question of the key: its `id`, `exercise`, `kind`, `level`, `prompt`, the engine's
    `value`, the tolerances and the known `mistakes`; `grading` is practice mode's rule for it."""

    __slots__ = (
        "id",
        "exercise",
        "kind",
        "level",
        "prompt",
        "value",
        "rel",
        "abs_tol",
        "mistakes",
        "grading",
    )

    def __init__(
        self,
        id: str,
        value: float,
        mistakes: dict[str, float],
        rel: float,
        abs_tol: float,
        exercise: int = 0,
        kind: str = "",
        level: int = 0,
        prompt: str = "",
    ) -> None:
        self.id = id
        self.value = value
        self.mistakes = mistakes
        self.rel = rel
        self.abs_tol = abs_tol
        self.exercise = exercise
        self.kind = kind
        self.level = level
        self.prompt = prompt
        self.grading: Grading = grading(value, mistakes, rel=rel, abs_tol=abs_tol)

    @property
    def correct_text(self) -> str:
        """The value as the results show it: `CORRECT_DIGITS` significant digits, or one more
        than the question needs when a known mistake is near."""
        return fmt(self.value, max(CORRECT_DIGITS, (self.grading.digits or 0) + 1))


class AnswerKey:
    """The questions of a key.json, in sheet order (`questions`, and by id in `by_id`)."""

    __slots__ = ("questions", "by_id", "seed", "path")

    def __init__(self, questions: list[KeyQuestion], seed: object = None, path: str = "") -> None:
        self.questions = questions
        self.by_id = {q.id: q for q in questions}
        self.seed = seed
        self.path = path

    def id_range(self) -> str:
        """``1a to 8b``: the first and last ids, for messages."""
        if not self.questions:
            return "no questions"
        return f"{self.questions[0].id} to {self.questions[-1].id}"


class Problem:
    """Something in a student's file that could not be graded: the `line` (1-based; None for the
    whole file) and what is wrong, in words (`text`)."""

    __slots__ = ("line", "text")

    def __init__(self, line: int | None, text: str) -> None:
        self.line = line
        self.text = text

    def __repr__(self) -> str:
        return f"<Problem line {self.line}: {self.text}>"


class Submission:
    """One student's file as read: the `student`'s name, the `file`, the `answers` (question id ->
    (the text as written, its line) and the `problems` found while reading; `readable` is False
    when the file as a whole could not be read (every question is then ``unreadable``)."""

    __slots__ = ("student", "file", "answers", "problems", "readable")

    def __init__(
        self,
        student: str,
        file: str,
        answers: dict[str, tuple[object, int | None]],
        problems: list[Problem],
        readable: bool = True,
    ) -> None:
        self.student = student
        self.file = file
        self.answers = answers
        self.problems = problems
        self.readable = readable


class Row:
    """One graded question: its `question` id, the `answer` as written, the number it was `read_as`,
    the `verdict` (`VERDICTS`), the `mistake` it looks like, how far `off_by`, and the `correct`
    value."""

    __slots__ = ("question", "answer", "read_as", "verdict", "mistake", "off_by", "correct")

    def __init__(
        self,
        question: str,
        answer: str,
        read_as: str,
        verdict: str,
        mistake: str,
        off_by: str,
        correct: str,
    ) -> None:
        self.question = question
        self.answer = answer
        self.read_as = read_as
        self.verdict = verdict
        self.mistake = mistake
        self.off_by = off_by
        self.correct = correct

    def __repr__(self) -> str:
        return f"<Row {self.question}: {self.answer!r} {self.verdict}>"


class Marked:
    """One student's graded answers: `student`, `file`, one `Row` per key question (in sheet
    order) and the `problems`; counts per verdict and the `score` (percent right of all)."""

    __slots__ = ("student", "file", "rows", "problems")

    def __init__(self, student: str, file: str, rows: list[Row], problems: list[Problem]) -> None:
        self.student = student
        self.file = file
        self.rows = rows
        self.problems = problems

    def count(self, verdict: str) -> int:
        """How many questions got `verdict`."""
        return sum(row.verdict == verdict for row in self.rows)

    @property
    def right(self) -> int:
        return self.count("right")

    @property
    def wrong(self) -> int:
        return self.count("wrong")

    @property
    def unanswered(self) -> int:
        return self.count("unanswered")

    @property
    def unreadable(self) -> int:
        return self.count("unreadable")

    @property
    def score(self) -> float:
        """100 · right / questions (0 for a key with no questions)."""
        return 100.0 * self.right / len(self.rows) if self.rows else 0.0


class QuestionSummary:
    """How the class did on one question: counts per verdict, and the most `common_mistake` among
    the wrong answers with the number of students who made it (`common_count`)."""

    __slots__ = ("question", "counts", "common_mistake", "common_count")

    def __init__(
        self, question: KeyQuestion, counts: dict[str, int], common: tuple[str, int] | None
    ) -> None:
        self.question = question
        self.counts = counts
        self.common_mistake = common[0] if common else ""
        self.common_count = common[1] if common else 0

    @property
    def students(self) -> int:
        return sum(self.counts.values())

    @property
    def score(self) -> float:
        """100 · right / students (0 with no students)."""
        return 100.0 * self.counts["right"] / self.students if self.students else 0.0


# --------------------------------------------------------------------------------------------
# The key
# --------------------------------------------------------------------------------------------


def _number(value: object, where: str) -> float:
    """`value` as a float; a KeyError_ names `where` when it is not a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise KeyError_(f"{where} must be a number, got {value!r}")
    return float(value)


def _key_question(entry: object, index: int) -> KeyQuestion:
    """One entry of the key's ``questions`` list, checked."""
    where = f"questions[{index}]"
    if not isinstance(entry, dict):
        raise KeyError_(f"{where} must be an object, got {entry!r}")
    qid = entry.get("id")
    if not isinstance(qid, str) or not qid.strip():
        raise KeyError_(f"{where}.id must be a question id like '1a', got {qid!r}")
    mistakes: dict[str, float] = {}
    raw = entry.get("mistakes", [])
    if not isinstance(raw, list):
        raise KeyError_(f"{where}.mistakes must be a list of [description, number], got {raw!r}")
    for k, pair in enumerate(raw):
        if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
            raise KeyError_(f"{where}.mistakes[{k}] must be [description, number], got {pair!r}")
        mistakes[pair[0]] = _number(pair[1], f"{where}.mistakes[{k}]")
    try:
        return KeyQuestion(
            qid.strip().lower(),
            _number(entry.get("value"), f"{where}.value"),
            mistakes,
            _number(entry.get("rel", 0.01), f"{where}.rel"),
            _number(entry.get("abs_tol", 1e-9), f"{where}.abs_tol"),
            exercise=int(entry.get("exercise") or 0),
            kind=str(entry.get("kind", "")),
            level=int(entry.get("level") or 0),
            prompt=str(entry.get("prompt", "")),
        )
    except (TypeError, ValueError) as exc:
        if isinstance(exc, KeyError_):
            raise
        raise KeyError_(f"{where}: {exc}") from None


def key_from_data(data: object, path: str = "") -> AnswerKey:
    """An `AnswerKey` from parsed key.json data (`engine.step.exercise_sheet.Sheet.key_data`)."""
    if not isinstance(data, dict) or data.get("format") != KEY_FORMAT:
        raise KeyError_(
            f'{path or "the key"} is not a chainrule answer key (no "format": "{KEY_FORMAT}"): '
            f"give the key.json that `chainrule exercises` wrote"
        )
    if data.get("version") != 1:
        raise KeyError_(f"{path or 'the key'} has version {data.get('version')!r}; this reads 1")
    entries = data.get("questions")
    if not isinstance(entries, list) or not entries:
        raise KeyError_(f"{path or 'the key'} has no questions list")
    questions = [_key_question(entry, i) for i, entry in enumerate(entries)]
    seen: set[str] = set()
    for q in questions:
        if q.id in seen:
            raise KeyError_(f"{path or 'the key'} lists the question id {q.id!r} twice")
        seen.add(q.id)
    return AnswerKey(questions, data.get("seed"), path)


def load_key(path: str | Path) -> AnswerKey:
    """Read and check the key.json at `path`. Raises `KeyError_` (a ValueError) for a file that
    is not a key and `engine.files.FileReadError` (an OSError) for one that cannot be read."""
    raw = read_bytes(path, max_bytes=MAX_KEY_BYTES)
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise KeyError_(f"{str(path)!r} is not JSON: {exc}") from None
    return key_from_data(data, str(path))


# --------------------------------------------------------------------------------------------
# Reading a student's file
# --------------------------------------------------------------------------------------------


def _decode(raw: bytes) -> str | None:
    """The file's text (UTF-8, with or without a BOM; else Windows-1252, as Excel saves CSV), or
    None for a file that is not text (NUL bytes: a spreadsheet or a PDF)."""
    if b"\x00" in raw:
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _is_json(path: Path, text: str) -> bool:
    if path.suffix.lower() == ".json":
        return True
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        return False
    return text.lstrip()[:1] in ("{", "[")


def _separator(line: str) -> str:
    """The field separator of one CSV line: ``;`` or a tab when there is one, else ``,``."""
    if ";" in line:
        return ";"
    if "\t" in line:
        return "\t"
    return ","


def _csv_fields(line: str) -> list[str]:
    """The line split at its separator (quotes as CSV has them), trailing empty fields dropped,
    and everything after the first field joined again: ``1a,-1,5`` -> ``["1a", "-1,5"]``."""
    sep = _separator(line)
    fields = next(csv.reader([line], delimiter=sep), [])
    while len(fields) > 1 and not fields[-1].strip():
        fields.pop()
    if len(fields) > 2:
        fields = [fields[0], sep.join(fields[1:])]
    return [field.strip() for field in fields]


class _Reader:
    """Collects one file's answers and problems, whichever format it is in."""

    def __init__(self, key: AnswerKey) -> None:
        self.key = key
        self.name: str | None = None
        self.answers: dict[str, tuple[object, int | None]] = {}
        self.problems: list[Problem] = []
        self.readable = True

    def problem(self, line: int | None, text: str) -> None:
        self.problems.append(Problem(line, text))

    def answer(self, qid: object, answer: object, line: int | None) -> None:
        """Record `answer` for question `qid`, or a problem when the id is not on the sheet."""
        if not isinstance(qid, (str, int)) or isinstance(qid, bool):
            self.problem(line, f"a question id is text like '1a', got {qid!r}")
            return
        wanted = str(qid).strip().lower()
        if wanted not in self.key.by_id:
            self.problem(
                line,
                f"unknown question id {str(qid).strip()!r}: the sheet's ids run "
                f"{self.key.id_range()}",
            )
            return
        if wanted in self.answers:
            first = self.answers[wanted][1]
            where = f" on line {first}" if first is not None else ""
            self.problem(
                line, f"question {wanted} is answered twice (first{where}): the last answer counts"
            )
        self.answers[wanted] = (answer, line)

    def csv(self, text: str) -> None:
        header_done = False
        for number, raw_line in enumerate(text.splitlines(), start=1):
            line = raw_line.strip()
            if not line or line.startswith("#"):
                continue
            fields = _csv_fields(line)
            first = fields[0].strip().lower() if fields else ""
            if not header_done and first in _HEADER_WORDS:
                header_done = True
                continue
            header_done = True
            if first in _NAME_WORDS:
                self.name = fields[1].strip() if len(fields) > 1 else self.name
                continue
            if len(fields) < 2 and first not in self.key.by_id:
                self.problem(
                    number,
                    f"cannot read the line {line[:60]!r}: write the question id, a comma (or a "
                    f"semicolon), then the answer, e.g. 1a;-1,5",
                )
                continue
            self.answer(fields[0], fields[1] if len(fields) > 1 else "", number)

    def json(self, text: str) -> None:
        try:
            data = json.loads(text, object_pairs_hook=_PairDict)
        except ValueError as exc:
            line = getattr(exc, "lineno", None)
            message = getattr(exc, "msg", str(exc))
            self.problem(line, f"not valid JSON: {message}; nothing in this file could be graded")
            self.readable = False
            return
        lines = _JsonLines(text)
        if isinstance(data, dict) and isinstance(data.get("answers"), (dict, list)):
            if isinstance(data.get("name"), str):
                self.name = data["name"].strip()
            data = data["answers"]
        if isinstance(data, dict):
            for name, value in getattr(data, "pairs", list(data.items())):
                if name.strip().lower() in _NAME_WORDS and isinstance(value, str):
                    self.name = value.strip()
                    continue
                self.answer(name, value, lines.find(name))
        elif isinstance(data, list):
            for index, item in enumerate(data):
                self._json_item(item, index, lines)
        else:
            self.problem(
                1,
                'the JSON must be an object {"1a": "-1,5", ...} or a list of {"question", '
                f'"answer"}}, got {type(data).__name__}',
            )

    def _json_item(self, item: object, index: int, lines: _JsonLines) -> None:
        if not isinstance(item, dict):
            self.problem(None, f'item {index + 1} must be {{"question": ..., "answer": ...}}')
            return
        qid = item.get("question", item.get("id"))
        line = lines.find(qid) if isinstance(qid, str) else None
        if qid is None:
            self.problem(line, f'item {index + 1} has no "question"')
            return
        self.answer(qid, item.get("answer"), line)


class _PairDict(dict):
    """A JSON object that also keeps every (key, value) pair in order, a repeated key too (so a
    question answered twice is seen)."""

    def __init__(self, pairs: list[tuple[str, object]]) -> None:
        super().__init__(pairs)
        self.pairs = pairs


class _JsonLines:
    """The line of each id in a JSON text, found in order (json gives no positions)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def find(self, qid: str) -> int | None:
        needle = json.dumps(qid, ensure_ascii=False)
        where = self.text.find(needle, self.at)
        if where < 0:
            where = self.text.find(needle)
        if where < 0:
            return None
        self.at = where + len(needle)
        return self.text.count("\n", 0, where) + 1


def read_answers(path: str | Path, key: AnswerKey) -> Submission:
    """One student's answer file (CSV or JSON: see the module docstring) as a `Submission`.

    Never raises for what is in the file: a file that cannot be read, a line that is not
    ``id,answer``, an id not in `key` or one answered twice becomes a `Problem`.
    """
    path = Path(path)
    try:
        text = _decode(read_bytes(path, max_bytes=MAX_ANSWER_BYTES))
    except (OSError, ValueError) as exc:
        problem = Problem(None, f"unreadable file: {exc}")
        return Submission(path.stem, str(path), {}, [problem], readable=False)
    if text is None:
        problem = Problem(
            None,
            "unreadable file: it is not text (a spreadsheet? save it as CSV), so nothing in it "
            "could be graded",
        )
        return Submission(path.stem, str(path), {}, [problem], readable=False)
    return parse_answers(text, key, student=path.stem, file=str(path), as_json=_is_json(path, text))


def parse_answers(
    text: str, key: AnswerKey, *, student: str = "student", file: str = "", as_json: bool = False
) -> Submission:
    """A student's answers from the `text` of a CSV (or, with ``as_json=True``, a JSON) answer
    file; `student` is the name unless the text gives one."""
    reader = _Reader(key)
    if not text.strip():
        reader.problem(None, "the file is empty")
    elif as_json:
        reader.json(text)
    else:
        reader.csv(text)
    student = reader.name or student
    return Submission(student, file, reader.answers, reader.problems, reader.readable)


# --------------------------------------------------------------------------------------------
# Grading
# --------------------------------------------------------------------------------------------


def _answer_text(answer: object) -> str:
    if answer is None:
        return ""
    if isinstance(answer, float):
        return repr(answer)
    return str(answer).strip()


def _grade_one(q: KeyQuestion, answer: object, line: int | None, problems: list[Problem]) -> Row:
    """One question's `Row`; an answer that is not a number adds a problem."""
    text = _answer_text(answer)
    if answer is None or text == "":
        return Row(q.id, "", "", "unanswered", "", "", q.correct_text)
    if not isinstance(answer, (str, int, float)) or isinstance(answer, bool):
        problems.append(Problem(line, f"question {q.id}: an answer is a number, got {text!r}"))
        return Row(q.id, text, "", "unreadable", "", "", q.correct_text)
    try:
        checked = graded_check(answer, q.grading, q.rel, q.abs_tol)
    except AnswerError as exc:
        problems.append(Problem(line, f"question {q.id}: {exc}"))
        return Row(q.id, text, "", "unreadable", "", "", q.correct_text)
    read_as = repr(checked.answer)
    if checked.ok:
        return Row(q.id, text, read_as, "right", "", "", q.correct_text)
    return Row(q.id, text, read_as, "wrong", checked.mistake or "", checked.off_by, q.correct_text)


def grade(submission: Submission, key: AnswerKey) -> Marked:
    """Grade every question of `key` in `submission` by practice mode's rule (a question with no
    answer is ``unanswered``; one whose answer is not a number is ``unreadable`` and a problem,
    as is every question of a file that could not be read)."""
    problems = list(submission.problems)
    rows = []
    for q in key.questions:
        if not submission.readable:
            rows.append(Row(q.id, "", "", "unreadable", "", "", q.correct_text))
            continue
        answer, line = submission.answers.get(q.id, (None, None))
        rows.append(_grade_one(q, answer, line, problems))
    problems.sort(key=lambda p: (p.line is not None, p.line or 0))
    return Marked(submission.student, submission.file, rows, problems)


def summarise_questions(marked: Iterable[Marked], key: AnswerKey) -> list[QuestionSummary]:
    """Per question of `key`: how many students got each verdict, and the mistake named most
    often among the wrong answers (ties go to the one met first)."""
    marked = list(marked)
    summaries = []
    for index, q in enumerate(key.questions):
        counts = dict.fromkeys(VERDICTS, 0)
        mistakes: Counter[str] = Counter()
        for student in marked:
            row = student.rows[index]
            counts[row.verdict] += 1
            if row.verdict == "wrong" and row.mistake:
                mistakes[row.mistake] += 1
        common = mistakes.most_common(1)[0] if mistakes else None
        summaries.append(QuestionSummary(q, counts, common))
    return summaries


def answer_files(paths: Iterable[str | Path], skip: Iterable[str | Path] = ()) -> list[Path]:
    """The answer files among `paths`: a file as it is, a folder's files ending in
    `ANSWER_SUFFIXES` (not hidden, by name; not descending into sub-folders), leaving out the
    files in `skip` (the key) and any file met twice. Raises FileNotFoundError naming a path
    that does not exist."""
    skipped = {Path(p).resolve() for p in skip}
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            inside = sorted(
                p
                for p in path.iterdir()
                if p.is_file()
                and p.suffix.lower() in ANSWER_SUFFIXES
                and not p.name.startswith(".")
            )
            found.extend(p for p in inside if p.resolve() not in skipped)
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"no answer file or folder {str(path)!r}")
    unique: dict[Path, Path] = {}
    for path in found:  # a file given twice (itself and in its folder) is graded once
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def slug(name: str) -> str:
    """A file name for a student: letters, digits, ``-`` and ``_`` (``Ada L.`` -> ``Ada-L``)."""
    text = re.sub(r"[^\w-]+", "-", name, flags=re.UNICODE).strip("-_")
    return text[:60] or "student"
