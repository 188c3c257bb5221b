"""A lesson's exercises as the learner uses them: ``ex.q1.check(answer)`` and friends.

:class:`Lesson` binds questions and quizzes to the progress log and to strict
mode. ``ex.q1`` is a :class:`QuestionView` with ``check``, ``check_code``,
``hint`` and ``solution``; ``ex.quiz("q4")`` shows a quiz; ``ex.progress()``
summarizes; ``ex.certificate()`` writes a certificate once everything is correct.

A check is logged as ``{"event": "check", "question": "q1", "status": ...}``, plus
``"mistake": "m<k>"`` when the answer shows the question's k-th known mistake (1-based).
In an assessed session (:func:`~crmlab.exercises.mode.assessed`) ``hint`` and
``solution`` return :data:`~crmlab.exercises.mode.ASSESSED_MESSAGE` and log nothing.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from crmlab.errors import CrmlabError
from crmlab.exercises.certificate import CertificateError, write_certificate
from crmlab.exercises.explain import explain_error
from crmlab.exercises.feedback import Feedback, Message, Status
from crmlab.exercises.mode import ASSESSED_MESSAGE, assessed, check_mode, enforce
from crmlab.exercises.progress import Item, LessonProgress, summarize
from crmlab.exercises.progress_log import ProgressLog
from crmlab.exercises.question import NO_ANSWER, Question
from crmlab.exercises.quiz import Quiz
from crmlab.exercises.quiz_widget import QuizView
from crmlab.exercises.safe_text import is_exactly, quote

__all__ = ["Lesson", "QuestionView"]

_ANSWER_LOG_LIMIT = 2000  # characters of a free-text or quiz answer kept in the log


class QuestionView:
    """One question of a lesson, as ``ex.q1``: check, hints and solution, all recorded."""

    def __init__(self, lesson: Lesson, question: Question) -> None:
        self._lesson = lesson
        self.question = question

    @property
    def prompt(self) -> str:
        """The question text."""
        return self.question.prompt

    def __repr__(self) -> str:
        q = self.question.id
        return (
            f"{q}. {self.prompt}\nCheck your answer with ex.{q}.check(answer); "
            f"hints: ex.{q}.hint(); solution: ex.{q}.solution()"
        )

    def check(self, answer: Any = NO_ANSWER) -> Feedback:
        """Check ``answer`` (a value, or a function of no arguments computing it).

        Never raises, except in strict mode (``CRMLAB_CHECK_MODE``).

        Parameters
        ----------
        answer : object
            The learner's answer.

        Returns
        -------
        Feedback
        """
        feedback = self.question.evaluate(answer)
        event = {"event": "check", "question": self.question.id, "status": feedback.status.value}
        if feedback.mistake_id:
            event["mistake"] = feedback.mistake_id
        if feedback.status is Status.UNCHECKED:  # a reflection: text, read with str's own methods
            event["answer"] = _answer_text(answer)[:_ANSWER_LOG_LIMIT]
        self._lesson._record(event)
        return enforce(feedback)

    def check_code(self, code: Callable[[], Any]) -> Feedback:
        """Run ``code()`` and check its result; errors it raises are explained.

        Example: ``ex.q1.check_code(lambda: orders["amount"].sum())``.
        """
        return self.check(code)

    def hint(self, n: int = 1) -> Message:
        """Show hint ``n`` (1 is the gentlest); recorded in the progress log.

        In an assessed session it says hints are off and records nothing.
        """
        q, hints = self.question.id, list(self.question.hints)
        if self._lesson.assessed:
            return self._refused("Hint")
        if not hints:
            return Message(f"{q} · Hint", f"There are no hints for {q}; see `ex.{q}.solution()`.")
        if not isinstance(n, int) or n < 1:
            return Message(f"{q} · Hint", f"Ask for hint 1 to {len(hints)}, e.g. `ex.{q}.hint(2)`.")
        note = ""
        if n > len(hints):
            n, note = len(hints), f"There are only {len(hints)} hints; here is the last. "
        self._lesson._record({"event": "hint", "question": q, "hint": n})
        return Message(f"{q} · Hint {n} of {len(hints)}", note + hints[n - 1])

    def solution(self) -> Message:
        """Show the solution; recorded as viewed.

        In an assessed session it says solutions are off and records nothing.
        """
        q, code = self.question.id, self.question.solution
        if self._lesson.assessed:
            return self._refused("Solution")
        self._lesson._record({"event": "solution", "question": q})
        if not code:
            return Message(f"{q} · Solution", "No solution is written for this question.")
        return Message(f"{q} · Solution", "", code)

    def _refused(self, what: str) -> Message:
        q = self.question.id
        return Message(f"{q} · {what}", f"{ASSESSED_MESSAGE} Your checks still work: `ex.{q}.check(answer)`.")


class Lesson:
    """The exercises of one lesson.

    Parameters
    ----------
    lesson_id : str
        E.g. ``"00_welcome"``; names the progress log file.
    questions : sequence of Question
        Checked questions and reflections.
    quizzes : iterable of Quiz
        Multiple-choice questions.
    title : str
        Shown in progress and on the certificate.
    log : ProgressLog, optional
        Where events go; by default ``$CRMLAB_PROGRESS_DIR`` or ``~/.crmlab/progress``.

    Examples
    --------
    >>> import tempfile
    >>> ex = Lesson("99_demo", [Question("q1", "6 * 7?", expected=lambda: 42)],
    ...             log=ProgressLog(tempfile.mkdtemp()))
    >>> ex.q1.check(42).passed, ex.progress().score_text()
    (True, 'Score: 1 of 1 (100%)')
    """

    def __init__(
        self,
        lesson_id: str,
        questions: Sequence[Question],
        quizzes: Iterable[Quiz] = (),
        *,
        title: str = "",
        log: ProgressLog | None = None,
    ) -> None:
        self.id = lesson_id
        self.title = title
        self._log = log or ProgressLog()
        items = sorted([*questions, *quizzes], key=lambda item: _natural(item.id))
        _validate_ids(lesson_id, [item.id for item in items])
        self._items: dict[str, Question | Quiz] = {item.id: item for item in items}
        self._views = {q.id: QuestionView(self, q) for q in items if isinstance(q, Question)}
        self._warned = False

    def __getattr__(self, name: str) -> QuestionView | QuizView:
        items = self.__dict__.get("_items", {})
        if name in items:
            item = items[name]
            return self.__dict__["_views"][name] if isinstance(item, Question) else self.quiz(name)
        raise AttributeError(
            f"Lesson {self.__dict__.get('id')} has no question `{name}`; "
            f"it has {', '.join(items) or 'none'}."
        )

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self._items]

    def __repr__(self) -> str:
        parts = [f"{i.id} ({'quiz' if isinstance(i, Quiz) else i.kind})" for i in self.items]
        title = f" · {self.title}" if self.title else ""
        return f"Lesson {self.id}{title}: {', '.join(parts)}"

    @property
    def items(self) -> list[Question | Quiz]:
        """The questions and quizzes, in order."""
        return list(self._items.values())

    @property
    def assessed(self) -> bool:
        """True in an assessed session: hints and solutions are off (see :mod:`crmlab.exercises.mode`)."""
        return assessed(self._log.directory)

    def quiz(self, quiz_id: str, answer: Any = NO_ANSWER) -> QuizView | Feedback:
        """Show quiz ``quiz_id``, or check ``answer`` directly (``answer="b"``).

        Parameters
        ----------
        quiz_id : str
            E.g. ``"q4"``.
        answer : str or list of str, optional
            The chosen option key(s); without it an interactive quiz is shown.

        Returns
        -------
        QuizView or Feedback
        """
        quiz = self._items.get(quiz_id)
        if not isinstance(quiz, Quiz):
            quizzes = [i.id for i in self.items if isinstance(i, Quiz)]
            raise LessonError(
                f"Lesson {self.id} has no quiz {quiz_id!r}; its quizzes are {quizzes}."
            )
        if answer is not NO_ANSWER:
            return enforce(self._answer_quiz(quiz, answer))
        if check_mode() == "solution":
            enforce(Feedback(Status.NOT_ATTEMPTED, "Solution mode needs `answer=`.", question=quiz_id))
        call = f'ex.quiz("{quiz_id}", answer="...")'
        return QuizView(quiz, lambda choice: self._answer_quiz(quiz, choice), call)

    def progress(self) -> LessonProgress:
        """This lesson's progress: status, attempts, hints and solutions per question, score."""
        contents = self._log.read(self.id)
        items = [Item(i.id, i.kind, i.points) for i in self.items]
        return summarize(self.id, contents, items, self.title)

    def certificate(self, path: str | Path | None = None, name: str | None = None, language: str = "en") -> Message:
        """Write an HTML certificate once every question is correct (never for a log edited by hand).

        Parameters
        ----------
        path : str or Path, optional
            Where to write; by default ``certificates/<lesson>.html`` in the progress folder.
        name : str, optional
            The learner's name; by default the one set with ``set_learner_name`` (never the login name).
        language : {"en", "fa"}
            ``"fa"`` prints it in Persian: right to left, Jalali date, Persian digits.
        """
        progress = self.progress()
        try:
            written = write_certificate(progress, path, name=name, directory=self._log.directory, language=language)
        except (CertificateError, ValueError) as exc:
            return Message("Certificate", str(exc))
        return Message("Certificate", f"Well done! Your certificate is at {written}")

    def explain_error(self, exc: BaseException | None = None) -> Message:
        """Explain the last error raised in this notebook, in plain language."""
        return explain_error(exc)

    def _answer_quiz(self, quiz: Quiz, answer: Any) -> Feedback:
        feedback = quiz.evaluate(answer)
        shown = _answer_text(answer)
        self._record(
            {"event": "quiz", "question": quiz.id, "status": feedback.status.value,
             "answer": shown[:_ANSWER_LOG_LIMIT]}
        )  # fmt: skip
        return feedback

    def _record(self, event: dict) -> None:
        try:
            self._log.append(self.id, event)
        except Exception as exc:  # recording must never break a learner's check
            if not self._warned:
                self._warned = True
                warnings.warn(
                    f"Progress could not be saved ({type(exc).__name__}: {exc}). Set "
                    "CRMLAB_PROGRESS_DIR to a folder you can write to.",
                    RuntimeWarning,
                    stacklevel=3,
                )


class LessonError(CrmlabError, LookupError):
    """A lesson, question or quiz that does not exist, or a malformed lesson."""


def _answer_text(answer: Any) -> str:
    """The answer as logged: text, option keys joined, or a short safe quote; never raises."""
    try:
        if is_exactly(answer, str):
            return str.__str__(answer)[:_ANSWER_LOG_LIMIT]
        if type(answer) in (list, tuple, set, frozenset) and len(answer) <= 50:
            return ",".join(sorted(_answer_text(item)[:100] for item in answer))
    except Exception:  # e.g. MemoryError
        pass
    return quote(answer)


def _natural(text: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _validate_ids(lesson_id: str, ids: list[str]) -> None:
    reserved = {name for name in dir(Lesson) if not name.startswith("__")} | {"id", "title"}
    for item_id in ids:
        if not item_id.isidentifier() or item_id in reserved or item_id.startswith("_"):
            raise LessonError(
                f"Lesson {lesson_id}: question id {item_id!r} must be a Python name such as "
                f"'q1', and not one of {sorted(reserved)}."
            )
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise LessonError(f"Lesson {lesson_id}: question ids {duplicated} are used twice.")
