"""Progress summaries: per question, per lesson and for the whole course.

Built from the events of the :mod:`~crmlab.exercises.progress_log`. A question's
status is ``correct`` once any check was correct, otherwise the last real attempt's
status; attempts count checks that were not "not attempted"; hints used is the
highest hint number viewed. The score counts checked questions and quizzes (not
reflections), weighted by their points.

The summaries count what the log says, and say when it was edited by hand: lines
whose checksum fails (see :mod:`~crmlab.exercises.progress_log`) are reported, and a
lesson with any is never ``complete`` (so no certificate). The checksums catch hand
edits, not a determined learner who recomputes them. Lines that are not valid entries
are skipped and reported with their reasons; a log that cannot be read at all is
reported by name, and the other lessons still show.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from crmlab.exercises.progress_log import LogContents, ProgressLog, ProgressLogError

__all__ = [
    "CourseProgress",
    "Item",
    "LessonProgress",
    "QuestionProgress",
    "course_progress",
    "summarize",
]

_SCORED = ("question", "quiz")


@dataclass(frozen=True)
class Item:
    """One thing a lesson asks: a question, a quiz or a reflection."""

    id: str
    kind: str = "question"
    points: int = 1


@dataclass(frozen=True)
class QuestionProgress:
    """Where a learner stands on one item of a lesson."""

    id: str
    kind: str
    status: str
    attempts: int
    hints_used: int
    solution_viewed: bool
    points: int = 1

    @property
    def correct(self) -> bool:
        """True once the item was answered correctly."""
        return self.status == "correct"


@dataclass(frozen=True)
class LessonProgress:
    """Progress on one lesson, shown as a table.

    Examples
    --------
    >>> events = [{"event": "check", "question": "q1", "status": "correct"},
    ...           {"event": "hint", "question": "q2", "hint": 2}]
    >>> p = summarize("00_demo", events, [Item("q1"), Item("q2")])
    >>> p.score, p.max_score, p.remaining
    (1, 2, ['q2'])
    >>> edited = summarize("00_demo", events[:1], [Item("q1")], tampered_lines=1)
    >>> edited.complete, edited.log_text()  # doctest: +ELLIPSIS
    (False, 'Warning: this log was edited by hand: 1 line(s) do not match their checksums, ...')
    """

    lesson: str
    title: str
    items: tuple[QuestionProgress, ...]
    skipped_lines: int = 0
    problems: tuple[str, ...] = ()
    tampered_lines: int = 0
    unverified_lines: int = 0
    flagged: tuple[str, ...] = ()

    @property
    def score(self) -> int:
        """Points earned on checked questions and quizzes."""
        return sum(i.points for i in self.items if i.kind in _SCORED and i.correct)

    @property
    def max_score(self) -> int:
        """Points available on checked questions and quizzes."""
        return sum(i.points for i in self.items if i.kind in _SCORED)

    @property
    def remaining(self) -> list[str]:
        """Checked items not yet correct."""
        return [i.id for i in self.items if i.kind in _SCORED and not i.correct]

    @property
    def complete(self) -> bool:
        """True when every checked question and quiz is correct and the log was not edited by hand."""
        return self.max_score > 0 and not self.remaining and not self.tampered_lines

    def score_text(self) -> str:
        """E.g. ``"Score: 3 of 4 (75%)"``."""
        percent = round(100 * self.score / self.max_score) if self.max_score else 0
        return f"Score: {self.score} of {self.max_score} ({percent}%)"

    def rows(self) -> list[list[str]]:
        """The table rows: question, kind, status, attempts, hints, solution."""
        return [
            [i.id, i.kind, i.status.replace("_", " "), str(i.attempts), str(i.hints_used),
             "viewed" if i.solution_viewed else "-"]
            for i in self.items
        ]  # fmt: skip

    def __str__(self) -> str:
        title = f"Lesson {self.lesson}" + (f" · {self.title}" if self.title else "")
        lines = [title, _table(_HEADERS, self.rows()), self.score_text()]
        if self.remaining:
            lines[-1] += ". Still to do: " + ", ".join(self.remaining) + "."
        if self.skipped_lines:
            lines.append(self.skipped_text())
        if self.log_text():
            lines.append(self.log_text())
        return "\n".join(lines)

    def log_text(self) -> str:
        """What the checksums found: a warning for hand-edited lines, a note for unverified ones, or ``""``."""
        parts = []
        if self.tampered_lines:
            shown = "; ".join(self.flagged[:_REASONS_SHOWN])
            more = ", ..." if self.tampered_lines > min(len(self.flagged), _REASONS_SHOWN) else ""
            detail = f" ({shown}{more})" if shown else ""
            parts.append(
                f"Warning: this log was edited by hand: {self.tampered_lines} line(s) do not match their "
                f"checksums, so the score above cannot be trusted and no certificate is issued{detail}."
            )
        if self.unverified_lines:
            parts.append(
                f"Note: {self.unverified_lines} line(s) of the log carry no checksum this course can verify "
                "(sums removed, written by a course version before checksums, or with another class key "
                "setting), so no certificate is issued for this lesson."
            )
        return "\n".join(parts)

    def skipped_text(self) -> str:
        """E.g. ``"(1 unreadable line(s) in the log were skipped: line 3: not valid JSON.)"``."""
        if not self.skipped_lines:
            return ""
        shown = "; ".join(self.problems[:_REASONS_SHOWN])
        more = ", ..." if shown and self.skipped_lines > min(len(self.problems), _REASONS_SHOWN) else ""
        detail = f": {shown}{more}" if shown else ""
        return f"({self.skipped_lines} unreadable line(s) in the log were skipped{detail}{'' if more else '.'})"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        title = html.escape(f"Lesson {self.lesson}" + (f" · {self.title}" if self.title else ""))
        skipped = f"<p>{html.escape(self.skipped_text())}</p>" if self.skipped_lines else ""
        flagged = "".join(
            f'<p style="color:#c62828;font-weight:{"bold" if line.startswith("Warning") else "normal"}">'
            f"{html.escape(line)}</p>"
            for line in self.log_text().splitlines()
        )
        return (
            f'<div class="crmlab-progress"><b>{title}</b>'
            f"{_html_table(_HEADERS, self.rows())}<p>{html.escape(self.score_text())}</p>{skipped}{flagged}</div>"
        )


@dataclass(frozen=True)
class CourseProgress:
    """Progress over every lesson with a log (and every known lesson).

    ``unreadable`` pairs each lesson whose log could not be read with the reason.
    """

    lessons: tuple[LessonProgress, ...]
    unreadable: tuple[tuple[str, str], ...] = ()

    def rows(self) -> list[list[str]]:
        """One row per lesson: lesson, title, score, complete ("edited by hand" for a flagged log,
        "unverified" for a complete one with lines no checksum covers)."""
        return [
            [p.lesson, p.title, f"{p.score}/{p.max_score}",
             "edited by hand" if p.tampered_lines else "unverified" if p.unverified_lines and p.complete
             else "yes" if p.complete else "no"]
            for p in self.lessons
        ]  # fmt: skip

    def unreadable_text(self) -> str:
        """One paragraph per log that could not be read, or ``""``."""
        return "\n".join(f"Lesson {lesson}: {reason}" for lesson, reason in self.unreadable)

    def __str__(self) -> str:
        if not self.lessons:
            text = "No progress could be read." if self.unreadable else "No progress recorded yet."
        else:
            done = sum(p.complete for p in self.lessons)
            score = sum(p.score for p in self.lessons)
            total = sum(p.max_score for p in self.lessons)
            table = _table(["lesson", "title", "score", "complete"], self.rows())
            text = f"{table}\nLessons complete: {done} of {len(self.lessons)}; points: {score} of {total}"
            text += "".join(f"\nLesson {p.lesson}: {p.skipped_lines} unreadable line(s) in the log were skipped "
                            f"(crmlab progress {p.lesson} lists them)." for p in self.lessons if p.skipped_lines)
            text += "".join(f"\nLesson {p.lesson}: warning, the log was edited by hand: {p.tampered_lines} line(s) "
                            "do not match their checksums; its score cannot be trusted."
                            for p in self.lessons if p.tampered_lines)  # fmt: skip
        return text + ("\n" + self.unreadable_text() if self.unreadable else "")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        edited = [f"Lesson {p.lesson}: warning, the log was edited by hand: {p.tampered_lines} line(s) do not "
                  "match their checksums; its score cannot be trusted." for p in self.lessons if p.tampered_lines]
        problems = "".join(f"<p>{html.escape(line)}</p>" for line in [*edited, *self.unreadable_text().splitlines()])
        return _html_table(["lesson", "title", "score", "complete"], self.rows()) + problems


def summarize(
    lesson_id: str,
    events: Iterable[dict] | LogContents,
    items: Sequence[Item] | None = None,
    title: str = "",
    skipped_lines: int = 0,
    problems: Sequence[str] = (),
    *,
    tampered_lines: int = 0,
    unverified_lines: int = 0,
    flagged: Sequence[str] = (),
) -> LessonProgress:
    """Summarize one lesson's events.

    Parameters
    ----------
    lesson_id : str
        The lesson.
    events : iterable of dict, or LogContents
        Its log entries, oldest first; or what :meth:`ProgressLog.read
        <crmlab.exercises.progress_log.ProgressLog.read>` returned, which also gives the
        skipped, tampered and unverified counts and reasons (the arguments below are then ignored).
    items : sequence of Item, optional
        What the lesson asks, in order; by default the items seen in the log.
    title : str
        The lesson's title.
    skipped_lines : int
        Unreadable log lines, reported in the summary.
    problems : sequence of str
        Why they were skipped (:attr:`LogContents.problems <crmlab.exercises.progress_log.LogContents>`).
    tampered_lines, unverified_lines : int
        Entries whose checksum fails, and entries whose checksum could not be checked.
    flagged : sequence of str
        Why entries count as tampered.

    Returns
    -------
    LessonProgress
        Never ``complete`` when ``tampered_lines`` is not 0.
    """
    if isinstance(events, LogContents):
        contents = events
        events, skipped_lines, problems = contents.events, contents.skipped, contents.problems
        tampered_lines, unverified_lines, flagged = contents.tampered, contents.unverified, contents.flagged
    events = [e for e in events if isinstance(e, dict) and isinstance(e.get("question"), str)]
    if items is None:
        items = _items_from_events(events)
    by_item: dict[str, list[dict]] = {item.id: [] for item in items}
    for event in events:
        if event["question"] in by_item:
            by_item[event["question"]].append(event)
    summaries = tuple(_summarize_item(item, by_item[item.id]) for item in items)
    return LessonProgress(lesson_id, title, summaries, skipped_lines, tuple(problems),
                          tampered_lines, unverified_lines, tuple(flagged))  # fmt: skip


def course_progress(
    log: ProgressLog | None = None,
    describe: Callable[[str], tuple[str, Sequence[Item]] | None] | None = None,
    lesson_ids: Iterable[str] = (),
) -> CourseProgress:
    """Summarize every lesson with a log file, plus ``lesson_ids``.

    Parameters
    ----------
    log : ProgressLog, optional
        Where to read; the default folder otherwise.
    describe : callable, optional
        ``describe(lesson_id)`` returns ``(title, items)`` or None when unknown.
    lesson_ids : iterable of str
        Lessons to include even without a log (e.g. every lesson of the course).

    Returns
    -------
    CourseProgress
        A lesson whose log cannot be read is left out of ``lessons`` and listed, with
        the reason, in ``unreadable``.

    Raises
    ------
    ProgressLogError
        When the progress folder itself is a file or cannot be listed.
    """
    log = log or ProgressLog()
    summaries, unreadable = [], []
    for lesson_id in sorted(set(log.lessons()) | set(lesson_ids)):
        try:
            contents = log.read(lesson_id)
        except ProgressLogError as exc:
            unreadable.append((lesson_id, str(exc)))
            continue
        known = describe(lesson_id) if describe else None
        title, items = known if known else ("", None)
        summaries.append(summarize(lesson_id, contents, items, title))
    return CourseProgress(tuple(summaries), tuple(unreadable))


_HEADERS = ["question", "kind", "status", "attempts", "hints", "solution"]
_REASONS_SHOWN = 3


def _items_from_events(events: list[dict]) -> list[Item]:
    kinds: dict[str, str] = {}
    for event in events:
        kind = "quiz" if event.get("event") == "quiz" else "question"
        if event.get("status") == "unchecked":
            kind = "reflection"
        kinds.setdefault(event["question"], kind)
        if kind != "question":
            kinds[event["question"]] = kind
    return [Item(question, kind) for question, kind in kinds.items()]


def _summarize_item(item: Item, events: list[dict]) -> QuestionProgress:
    answers = [e for e in events if e.get("event") in ("check", "quiz")]
    statuses = [e.get("status") for e in answers]
    real = [s for s in statuses if isinstance(s, str) and s and s != "not_attempted"]
    if "correct" in real:
        status = "correct"
    else:
        status = real[-1] if real else "not_attempted"
    hints = [e.get("hint", 0) for e in events if e.get("event") == "hint"]
    return QuestionProgress(
        id=item.id,
        kind=item.kind,
        status=status,
        attempts=len(real),
        hints_used=max((h for h in hints if isinstance(h, int) and not isinstance(h, bool)), default=0),
        solution_viewed=any(e.get("event") == "solution" for e in events),
        points=item.points,
    )


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in [headers, *rows]]  # fmt: skip
    return "\n".join(lines)


def _html_table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
