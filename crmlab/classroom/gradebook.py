"""The class gradebook: a folder of hand-ins merged into one table and one HTML page.

:func:`build_gradebook` reads every ``*.zip`` in a folder with
:func:`~crmlab.classroom.handin.extract_handin` (each into its own temporary folder, thrown
away after), keeps the latest hand-in of each learner by its ``created`` time (names are
compared ignoring case and spacing; the older ones are listed as superseded), and lists a
file that is not a valid hand-in as rejected, with the reason, without stopping.

One row per learner and lesson (:data:`COLUMNS`):

- ``questions_right`` of ``questions``: checked questions answered correctly at least once,
  of the lesson's checked questions (from the lesson's module when the course has it,
  otherwise those seen in the class's logs); reflections are not counted;
- ``quizzes_right`` of ``quizzes``: the same for multiple-choice quizzes;
  ``quiz_answers_right`` of ``quiz_answers``: every answer given, right or not;
- ``hints``: the highest hint viewed, summed over questions (as ``crmlab progress`` counts);
  ``solutions``: questions whose solution was viewed;
- ``minutes_first_to_last``: from the lesson's first logged event to its last. It is *not*
  focused time: a learner who opened the lesson on Monday and finished on Friday shows days;
- ``skipped_lines``: log lines that could not be read; ``tampered_lines``: lines whose
  checksum fails; ``unverified_lines``: lines with no checksum this course can verify (sums
  removed by hand, a course version before checksums, or a class key other than the one set
  where the gradebook runs: run it with the class's ``CRMLAB_CLASS_KEY``);
- ``events``: valid log lines (0 when the learner has no log for a lesson others did).

The numbers trust the logs: they show what a learner's machine recorded, not a proctored
result (``crmlab grade`` re-executes the notebooks for that).
"""

from __future__ import annotations

import html
import os
import re
import stat
import tempfile
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from crmlab.classroom.handin import Handin, HandinError, extract_handin
from crmlab.errors import CrmlabError
from crmlab.exercises.progress import Item, LessonProgress, summarize
from crmlab.exercises.progress_log import LogContents, ProgressLog, ProgressLogError
from crmlab.exercises.safe_text import cut
from crmlab.export import to_safe_csv

__all__ = [
    "COLUMNS",
    "Gradebook",
    "GradebookError",
    "LessonInfo",
    "Rejected",
    "Superseded",
    "build_gradebook",
    "course_lesson_info",
    "write_gradebook",
]

COLUMNS = [
    "learner", "lesson", "questions_right", "questions", "quizzes_right", "quizzes", "quiz_answers_right",
    "quiz_answers", "hints", "solutions", "minutes_first_to_last", "skipped_lines", "tampered_lines",
    "unverified_lines", "events",
    "handed_in", "handin_file",
]  # fmt: skip
_NOT_WRONG = {"correct", "not_attempted", "unchecked"}
_MISTAKE_ID = re.compile(r"^m([1-9][0-9]{0,3})$")
_LABEL_LIMIT = 300
_SHOWN_MISTAKES = 10


class GradebookError(CrmlabError, ValueError):
    """The folder of hand-ins cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class LessonInfo:
    """What the course says about a lesson: title, items, mistake messages, quiz explanations.

    Parameters
    ----------
    title : str
        The lesson's title.
    items : sequence of Item
        Its questions, quizzes and reflections, in order.
    mistakes : dict of str to tuple of str
        Per question, the messages of its known mistakes (mistake ``"m1"`` is the first).
    why : dict of str to dict of str to str
        Per quiz, why each wrong option is wrong.
    """

    title: str
    items: tuple[Item, ...]
    mistakes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    why: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Rejected:
    """A file of the folder that is not a valid hand-in, and why."""

    file: str
    reason: str


@dataclass(frozen=True)
class Superseded:
    """An older hand-in of a learner, replaced by their latest one."""

    learner: str
    kept: str
    older: str


@dataclass(frozen=True)
class Gradebook:
    """A class's gradebook: the table, what the class got wrong, and the files set aside.

    Parameters
    ----------
    table : DataFrame
        One row per learner and lesson, columns :data:`COLUMNS`.
    questions : DataFrame
        One row per lesson and scored item: ``lesson, question, kind, right, tried, learners``.
    mistakes : DataFrame
        Wrong answers by kind: ``lesson, question, mistake, learners, answers``.
    titles : dict of str to str
        Lesson titles, where the course has the lesson.
    superseded, rejected : tuple
        Older hand-ins replaced by a newer one; files that are not valid hand-ins.
    """

    table: pd.DataFrame
    questions: pd.DataFrame
    mistakes: pd.DataFrame
    titles: dict[str, str]
    superseded: tuple[Superseded, ...] = ()
    rejected: tuple[Rejected, ...] = ()

    def to_html(self) -> str:
        """The whole gradebook as one self-contained HTML page (inline CSS, no script)."""
        return _render(self)


@dataclass
class _Submission:
    handin: Handin
    logs: dict[str, LogContents]


def course_lesson_info(lesson_id: str) -> LessonInfo | None:
    """What the course's lesson module says about ``lesson_id``, or None when it has no such lesson.

    Examples
    --------
    >>> info = course_lesson_info("00_welcome")
    >>> [i.id for i in info.items if i.kind == "quiz"], info.mistakes["q1"][0][:28]
    (['q4', 'q7'], 'You counted orders, not cust')
    >>> course_lesson_info("99_nothing") is None
    True
    """
    from crmlab.exercises.registry import available_lessons, lesson

    if lesson_id not in available_lessons():
        return None
    try:
        ex = lesson(lesson_id)
    except Exception:  # a broken lesson module must not stop the gradebook: fall back on the logs
        return None
    items = tuple(Item(i.id, i.kind, i.points) for i in ex.items)
    mistakes = {i.id: tuple(m.message for m in i.mistakes) for i in ex.items if hasattr(i, "mistakes")}
    why = {i.id: dict(i.why) for i in ex.items if i.kind == "quiz"}
    return LessonInfo(ex.title, items, mistakes, why)


def build_gradebook(
    folder: str | os.PathLike, describe: Callable[[str], LessonInfo | None] = course_lesson_info
) -> Gradebook:
    """Merge the hand-ins in ``folder`` into a gradebook.

    Parameters
    ----------
    folder : str or Path
        A folder of hand-in zips (``*.zip``; other files are ignored).
    describe : callable, default :func:`course_lesson_info`
        ``describe(lesson_id)`` gives the lesson's items and mistakes, or None to take the
        items from the class's logs.

    Returns
    -------
    Gradebook

    Raises
    ------
    GradebookError
        When ``folder`` is not a folder or holds no ``.zip`` file.

    Examples
    --------
    >>> import tempfile
    >>> build_gradebook(tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlab.classroom.gradebook.GradebookError: There is no hand-in (*.zip) in ...
    """
    submissions, rejected = _read_folder(Path(folder))
    kept, superseded = _latest(submissions)
    lessons = sorted({lesson for sub in kept for lesson in sub.logs})
    infos = {lesson: describe(lesson) for lesson in lessons}
    items = {lesson: _items(lesson, infos[lesson], kept) for lesson in lessons}
    rows, progress = [], {}
    for sub in kept:
        for lesson in lessons:
            progress[sub.handin.learner, lesson] = summary = _summary(sub, lesson, items[lesson])
            rows.append(_row(sub, lesson, summary))
    table = pd.DataFrame(rows, columns=COLUMNS)
    questions, mistakes = _class_view(kept, lessons, items, infos, progress)
    titles = {lesson: info.title for lesson, info in infos.items() if info is not None and info.title}
    return Gradebook(table, questions, mistakes, titles, tuple(superseded), tuple(rejected))


def write_gradebook(book: Gradebook, out_dir: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``gradebook.csv`` (safe to open in a spreadsheet) and ``gradebook.html`` in ``out_dir``.

    Returns
    -------
    tuple of Path
        The CSV file and the HTML page.
    """
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GradebookError(f"Cannot create the folder {str(out)!r} ({exc.strerror}); give another with "
                             "--out DIR.") from None  # fmt: skip
    csv_path = to_safe_csv(book.table, out / "gradebook.csv")
    html_path = out / "gradebook.html"
    html_path.write_text(book.to_html(), encoding="utf-8")
    return csv_path, html_path


# --- reading the folder -----------------------------------------------------------------------


def _read_folder(folder: Path) -> tuple[list[_Submission], list[Rejected]]:
    if not folder.is_dir():
        raise GradebookError(f"{str(folder)!r} is not a folder. Give the folder holding the hand-in zips, "
                             "e.g. crmlab gradebook handins/.")  # fmt: skip
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".zip")
    if not paths:
        raise GradebookError(f"There is no hand-in (*.zip) in {str(folder)!r}. Put the learners' "
                             "*.crmlab-handin.zip files there (made with crmlab handin).")  # fmt: skip
    submissions, rejected = [], []
    for path in paths:
        try:
            submissions.append(_read_one(path))
        except HandinError as exc:
            rejected.append(Rejected(path.name, str(exc)))
        except Exception as exc:  # noqa: BLE001 - one bad file never stops the batch
            rejected.append(Rejected(path.name, f"could not be read ({type(exc).__name__}: {cut(str(exc), 200)})"))
    return submissions, rejected


def _read_one(path: Path) -> _Submission:
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise HandinError("not a regular file")
    with tempfile.TemporaryDirectory(prefix="crmlab-handin-") as temp:
        handin = extract_handin(path, temp)
        log = ProgressLog(Path(temp) / "progress")
        logs: dict[str, LogContents] = {}
        for lesson in handin.lessons:
            try:
                logs[lesson] = log.read(lesson)
            except (ProgressLogError, ValueError) as exc:  # the whole log counts as one unreadable line
                logs[lesson] = LogContents([], 1, (str(exc),))
    return _Submission(handin, logs)


def _learner_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def _latest(submissions: list[_Submission]) -> tuple[list[_Submission], list[Superseded]]:
    """The latest hand-in per learner (by ``created``, then file name), and the older ones."""
    groups: dict[str, list[_Submission]] = defaultdict(list)
    for sub in submissions:
        groups[_learner_key(sub.handin.learner)].append(sub)
    kept, superseded = [], []
    for key in sorted(groups):
        ordered = sorted(groups[key], key=lambda s: (s.handin.created, s.handin.path.name))
        latest = ordered[-1]
        kept.append(latest)
        superseded += [Superseded(latest.handin.learner, latest.handin.path.name, s.handin.path.name)
                       for s in ordered[:-1]]  # fmt: skip
    return kept, superseded


# --- the numbers ------------------------------------------------------------------------------


def _events(sub: _Submission, lesson: str) -> list[dict]:
    contents = sub.logs.get(lesson)
    return contents.events if contents is not None else []


def _items(lesson: str, info: LessonInfo | None, kept: list[_Submission]) -> tuple[Item, ...]:
    if info is not None and info.items:
        return tuple(info.items)
    seen = summarize(lesson, [e for sub in kept for e in _events(sub, lesson)]).items
    return tuple(sorted((Item(i.id, i.kind) for i in seen), key=lambda i: _natural(i.id)))


def _natural(text: str) -> list:
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text)]


def _summary(sub: _Submission, lesson: str, items: Sequence[Item]) -> LessonProgress:
    return summarize(lesson, _events(sub, lesson), items)


def _row(sub: _Submission, lesson: str, summary: LessonProgress) -> dict:
    contents = sub.logs.get(lesson)
    events = _events(sub, lesson)
    by_kind = defaultdict(list)
    for item in summary.items:
        by_kind[item.kind].append(item)
    scored = {i.id for i in by_kind["quiz"]}
    answers = [e for e in events if e.get("event") == "quiz" and e.get("question") in scored
               and e.get("status") != "not_attempted"]  # fmt: skip
    return {
        "learner": sub.handin.learner,
        "lesson": lesson,
        "questions_right": sum(i.correct for i in by_kind["question"]),
        "questions": len(by_kind["question"]),
        "quizzes_right": sum(i.correct for i in by_kind["quiz"]),
        "quizzes": len(by_kind["quiz"]),
        "quiz_answers_right": sum(e.get("status") == "correct" for e in answers),
        "quiz_answers": len(answers),
        "hints": sum(i.hints_used for i in summary.items),
        "solutions": sum(i.solution_viewed for i in summary.items),
        "minutes_first_to_last": _minutes(events),
        "skipped_lines": contents.skipped if contents is not None else 0,
        "tampered_lines": int(getattr(contents, "tampered", 0) or 0),
        "unverified_lines": int(getattr(contents, "unverified", 0) or 0),
        "events": len(events),
        "handed_in": sub.handin.created.isoformat(),
        "handin_file": sub.handin.path.name,
    }


def _minutes(events: list[dict]) -> float:
    times = []
    for event in events:
        try:
            when = datetime.fromisoformat(event["time"])
        except (KeyError, TypeError, ValueError):
            continue
        times.append(when if when.tzinfo else when.replace(tzinfo=UTC))
    if not times:
        return float("nan")
    return round((max(times) - min(times)).total_seconds() / 60, 1)


def _class_view(kept, lessons, items, infos, progress) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per lesson and scored item: who got it right, who tried, and the wrong answers by kind."""
    question_rows, mistake_rows = [], []
    for lesson in lessons:
        for item in items[lesson]:
            if item.kind not in ("question", "quiz"):
                continue
            state = [{q.id: q for q in progress[sub.handin.learner, lesson].items}[item.id] for sub in kept]
            question_rows.append({"lesson": lesson, "question": item.id, "kind": item.kind,
                                  "right": sum(q.correct for q in state), "tried": sum(q.attempts > 0 for q in state),
                                  "learners": len(kept)})  # fmt: skip
            mistake_rows += _wrong_answers(kept, lesson, item, infos[lesson])
    questions = pd.DataFrame(question_rows, columns=["lesson", "question", "kind", "right", "tried", "learners"])
    mistakes = pd.DataFrame(mistake_rows, columns=["lesson", "question", "mistake", "learners", "answers"])
    return questions, mistakes


def _wrong_answers(kept, lesson: str, item: Item, info: LessonInfo | None) -> list[dict]:
    answers, learners = Counter(), defaultdict(set)
    for index, sub in enumerate(kept):
        for event in _events(sub, lesson):
            if (event.get("question") == item.id and event.get("event") in ("check", "quiz")
                    and event.get("status") not in _NOT_WRONG):  # fmt: skip
                label = _label(event, item.id, info)
                answers[label] += 1
                learners[label].add(index)
    ranked = sorted(answers, key=lambda label: (-len(learners[label]), -answers[label], label))
    return [{"lesson": lesson, "question": item.id, "mistake": label, "learners": len(learners[label]),
             "answers": answers[label]} for label in ranked]  # fmt: skip


def _label(event: dict, question: str, info: LessonInfo | None) -> str:
    """The known mistake's message, the wrong quiz option (and why it is wrong), else the status."""
    mistake = event.get("mistake")
    if isinstance(mistake, str):
        match = _MISTAKE_ID.match(mistake)
        messages = info.mistakes.get(question, ()) if info else ()
        if match and int(match.group(1)) <= len(messages):
            return cut(messages[int(match.group(1)) - 1], _LABEL_LIMIT)
        return cut(f"mistake {mistake}", _LABEL_LIMIT)
    answer = event.get("answer")
    if event.get("event") == "quiz" and isinstance(answer, str) and answer.strip():
        key = answer.strip().lower()
        why = info.why.get(question, {}).get(key) if info else None
        return cut(f"chose {key}" + (f": {why}" if why else ""), _LABEL_LIMIT)
    status = event.get("status")
    return cut(status, _LABEL_LIMIT) if isinstance(status, str) and status else "no status"


# --- the page ---------------------------------------------------------------------------------

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:80em}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left}
th{background:#f0f0f0}td.n{text-align:right}.note{color:#555}ul{margin:0;padding-left:1.2em}
"""
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; form-action 'none'"


def _e(value: object) -> str:
    return html.escape("" if value is None or (isinstance(value, float) and value != value) else str(value))


def _table(headers: Sequence[str], rows: list[list[object]], numeric: set[int] = frozenset(),
           raw: set[int] = frozenset()) -> str:
    """An HTML table; every cell is escaped except the columns in ``raw`` (HTML built here)."""

    def cell(i: int, value: object) -> str:
        text = value if i in raw else _e(value)
        return f'<td class="n">{text}</td>' if i in numeric else f"<td>{text}</td>"

    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(cell(i, c) for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _render(book: Gradebook) -> str:
    learners = book.table["learner"].nunique()
    parts = [
        "<h1>Gradebook</h1>",
        f'<p>{learners} learner(s); {len(book.superseded)} older hand-in(s) replaced by a newer one; '
        f"{len(book.rejected)} file(s) rejected.</p>",
        '<p class="note">Counts come from the learners\' own progress logs. "minutes first to last" runs from '
        "a lesson's first logged event to its last: it is not focused time.</p>",
        "<h2>By learner and lesson</h2>",
        _table(COLUMNS, book.table.to_numpy().tolist(), set(range(2, 14))),
        "<h2>What the class got wrong</h2>",
        *_question_sections(book),
    ]
    if book.superseded:
        parts += ["<h2>Older hand-ins, replaced by the latest</h2>",
                  _table(["learner", "kept", "older"], [[s.learner, s.kept, s.older] for s in book.superseded])]
    if book.rejected:
        parts += ["<h2>Rejected files</h2>", _table(["file", "reason"], [[r.file, r.reason] for r in book.rejected])]
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
            f"<title>crmlab gradebook</title><style>{_STYLE}</style></head>\n<body>\n{body}\n</body></html>\n")


def _question_sections(book: Gradebook) -> list[str]:
    sections = []
    for lesson, rows in book.questions.groupby("lesson", sort=True):
        title = book.titles.get(lesson, "")
        of_lesson = book.mistakes[book.mistakes["lesson"] == lesson]
        table_rows = [[row.question, row.kind, row.right, row.tried, row.learners,
                       _mistake_list(of_lesson[of_lesson["question"] == row.question])]
                      for row in rows.itertuples(index=False)]  # fmt: skip
        heading = f"<h3>Lesson {_e(lesson)}{' · ' + _e(title) if title else ''}</h3>"
        sections.append(heading + _table(["question", "kind", "right", "tried", "learners", "wrong answers"],
                                         table_rows, numeric={2, 3, 4}, raw={5}))  # fmt: skip
    return sections or ['<p class="note">No lesson logs in the hand-ins.</p>']


def _mistake_list(wrong: pd.DataFrame) -> str:
    """The wrong answers as an HTML list (already escaped)."""
    if wrong.empty:
        return "-"
    items = [f"<li>{int(r.learners)} learner(s), {int(r.answers)} answer(s): {_e(r.mistake)}</li>"
             for r in wrong.head(_SHOWN_MISTAKES).itertuples(index=False)]  # fmt: skip
    more = len(wrong) - _SHOWN_MISTAKES
    if more > 0:
        items.append(f"<li>and {more} more kind(s) of wrong answer</li>")
    return "<ul>" + "".join(items) + "</ul>"
