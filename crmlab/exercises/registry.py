"""Find a lesson's questions by id: ``lesson("00_welcome")``.

Lesson ``NN_slug`` is the module ``crmlab.exercises.lessons.lNN_slug`` (see that
package's docstring for what a lesson module defines). An author drafting a lesson
outside the package passes ``path=``, a folder holding ``lNN_slug.py`` and, if the
lesson has quizzes, ``NN_slug.toml``.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
from pathlib import Path
from types import ModuleType

from crmlab.exercises.lesson import Lesson, LessonError
from crmlab.exercises.progress_log import ProgressLog
from crmlab.exercises.quiz import load_quizzes, packaged_quizzes

__all__ = ["LESSON_PACKAGE", "available_lessons", "lesson"]

LESSON_PACKAGE = "crmlab.exercises.lessons"


def lesson(
    lesson_id: str, *, path: str | Path | None = None, log: ProgressLog | None = None
) -> Lesson:
    """The exercises of lesson ``lesson_id``, ready for ``ex.q1.check(answer)``.

    Parameters
    ----------
    lesson_id : str
        The lesson's number and slug, e.g. ``"00_welcome"``.
    path : str or Path, optional
        A folder with the lesson module ``l<lesson_id>.py`` (for drafts and tests);
        by default the lessons shipped in :mod:`crmlab.exercises.lessons`.
    log : ProgressLog, optional
        Where progress goes; by default ``$CRMLAB_PROGRESS_DIR`` or ``~/.crmlab/progress``.

    Returns
    -------
    Lesson

    Raises
    ------
    LessonError
        When no such lesson exists; the message lists the lessons there are.

    Examples
    --------
    >>> lesson("no_such_lesson")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlab.exercises.lesson.LessonError: There is no lesson 'no_such_lesson'. ...
    """
    module = _load_module(lesson_id, path)
    questions = getattr(module, "QUESTIONS", None)
    if not isinstance(questions, (list, tuple)):
        raise LessonError(
            f"The lesson module for {lesson_id!r} must define QUESTIONS, a list of Question."
        )
    quizzes = getattr(module, "QUIZZES", None)
    if quizzes is None:
        quizzes = _quizzes_for(lesson_id, path)
    return Lesson(lesson_id, questions, quizzes, title=getattr(module, "TITLE", ""), log=log)


def available_lessons(path: str | Path | None = None) -> list[str]:
    """The ids of the lessons with questions, sorted.

    Examples
    --------
    >>> isinstance(available_lessons(), list)
    True
    """
    folder = Path(path) if path is not None else _package_folder()
    return sorted(p.stem[1:] for p in folder.glob("l[0-9]*.py"))


def _package_folder() -> Path:
    package = importlib.import_module(LESSON_PACKAGE)
    return Path(package.__file__).parent


def _load_module(lesson_id: str, path: str | Path | None) -> ModuleType:
    if lesson_id not in available_lessons(path):
        known = available_lessons(path)
        close = difflib.get_close_matches(lesson_id, known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise LessonError(
            f"There is no lesson {lesson_id!r}. The lessons with exercises are "
            f"{known}.{hint}"
        )
    if path is None:
        return importlib.import_module(f"{LESSON_PACKAGE}.l{lesson_id}")
    file = Path(path) / f"l{lesson_id}.py"
    spec = importlib.util.spec_from_file_location(f"_crmlab_draft_lesson_{lesson_id}", file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _quizzes_for(lesson_id: str, path: str | Path | None) -> list:
    if path is not None:
        file = Path(path) / f"{lesson_id}.toml"
        return list(load_quizzes(file).values()) if file.is_file() else []
    return list(packaged_quizzes(lesson_id).values())
