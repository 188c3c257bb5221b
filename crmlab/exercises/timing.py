"""How long a lesson takes: one documented rule, applied to the notebook's own cells.

The rule (``docs/timing.md`` explains each number):

- prose: every word of the Markdown cells, read at :data:`WORDS_PER_MINUTE`;
- code: each code cell costs :data:`CELL_SECONDS` (run it, wait, read its output) plus
  :data:`LINE_SECONDS` per non-blank line (read the code before running it);
- charts: each figure shown (``plt.show()``) adds :data:`CHART_SECONDS` to study it;
- exercises are timed separately (:func:`exercise_estimate`): :data:`QUESTION_MINUTES` per
  checked question, :data:`REFLECTION_MINUTES` per reflection, :data:`QUIZ_MINUTES` per quiz,
  plus the notebook's prose at the same reading speed.

A lesson's first cell states "**Time**: about N minutes"; :func:`stated_minutes` reads it,
and ``tests/test_timing.py`` holds every lesson to within :data:`TOLERANCE_MINUTES` of the
estimate and under :data:`MAX_LESSON_MINUTES`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd

__all__ = [
    "CELL_SECONDS",
    "CHART_SECONDS",
    "LINE_SECONDS",
    "MAX_LESSON_MINUTES",
    "QUESTION_MINUTES",
    "QUIZ_MINUTES",
    "REFLECTION_MINUTES",
    "TOLERANCE_MINUTES",
    "WORDS_PER_MINUTE",
    "ExerciseTime",
    "LessonTime",
    "exercise_estimate",
    "lesson_estimate",
    "rounded",
    "stated_minutes",
    "timing_table",
]

WORDS_PER_MINUTE = 150  # reading to learn, technical English, often a second language
CELL_SECONDS = 30  # run a cell, wait for it, read what it printed or drew
LINE_SECONDS = 6  # read one line of code before running it
CHART_SECONDS = 60  # study a figure: axes, legend, what it shows
QUESTION_MINUTES = 4  # a checked exercise question: write code, check, maybe one hint
REFLECTION_MINUTES = 3  # a free-text reflection, then its rubric
QUIZ_MINUTES = 1  # one multiple-choice question
TOLERANCE_MINUTES = 5  # a stated time may differ from the estimate by this much
MAX_LESSON_MINUTES = 45  # one sitting; a longer lesson is split

_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
_STATED = re.compile(r"\*\*Time\*\*: about (\d+) minutes")
_CHART = re.compile(r"\bplt\.show\(\)")


@dataclass(frozen=True)
class LessonTime:
    """What the rule counts in one notebook, and the minutes it gives.

    Attributes
    ----------
    words : int
        Words of prose in the Markdown cells.
    code_cells, code_lines, charts : int
        Code cells, their non-blank lines, figures shown.
    """

    words: int
    code_cells: int
    code_lines: int
    charts: int

    @property
    def reading(self) -> float:
        """Minutes reading the prose."""
        return self.words / WORDS_PER_MINUTE

    @property
    def running(self) -> float:
        """Minutes reading, running and looking at the code cells and their figures."""
        seconds = self.code_cells * CELL_SECONDS + self.code_lines * LINE_SECONDS + self.charts * CHART_SECONDS
        return seconds / 60

    @property
    def minutes(self) -> float:
        """The estimate: reading plus running."""
        return self.reading + self.running


@dataclass(frozen=True)
class ExerciseTime:
    """The counts behind an exercise notebook's estimate."""

    words: int
    questions: int
    reflections: int
    quizzes: int

    @property
    def minutes(self) -> float:
        """Reading the prose plus the time per question, reflection and quiz."""
        return (self.words / WORDS_PER_MINUTE + self.questions * QUESTION_MINUTES
                + self.reflections * REFLECTION_MINUTES + self.quizzes * QUIZ_MINUTES)  # fmt: skip


def _cells(path: str | Path) -> list:
    return nbformat.read(Path(path), as_version=4).cells


def _words(cells: list) -> int:
    return sum(len(_WORD.findall(c.source)) for c in cells if c.cell_type == "markdown")


def lesson_estimate(path: str | Path) -> LessonTime:
    """Count a lesson notebook's prose, code and charts.

    Parameters
    ----------
    path : str or Path
        A notebook, e.g. ``notebooks/05_rfm.ipynb``.

    Returns
    -------
    LessonTime

    Examples
    --------
    >>> import tempfile
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("word " * 300),
    ...                                      nbformat.v4.new_code_cell("x = 1\\n\\nplt.show()")])
    >>> path = Path(tempfile.mkdtemp()) / "99_demo.ipynb"
    >>> nbformat.write(nb, path)
    >>> t = lesson_estimate(path)
    >>> (t.words, t.code_cells, t.code_lines, t.charts), round(t.minutes, 2)
    ((300, 1, 2, 1), 3.7)
    """
    cells = _cells(path)
    code = [c.source for c in cells if c.cell_type == "code"]
    return LessonTime(
        words=_words(cells),
        code_cells=len(code),
        code_lines=sum(1 for source in code for line in source.splitlines() if line.strip()),
        charts=sum(len(_CHART.findall(source)) for source in code),
    )


def exercise_estimate(path: str | Path, questions: int, reflections: int, quizzes: int) -> ExerciseTime:
    """The exercise notebook's prose, with the lesson's numbers of questions, reflections and quizzes.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "99_demo_exercises.ipynb"
    >>> nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("word " * 150)]), path)
    >>> exercise_estimate(path, questions=2, reflections=1, quizzes=3).minutes
    15.0
    """
    return ExerciseTime(_words(_cells(path)), questions, reflections, quizzes)


def stated_minutes(path: str | Path) -> int | None:
    """The minutes the first cell promises ("**Time**: about N minutes"), or None.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "99_demo.ipynb"
    >>> nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
    ...     "# 99 · Demo\\n\\n**Time**: about 20 minutes.")]), path)
    >>> stated_minutes(path)
    20
    """
    cells = _cells(path)
    found = _STATED.search(cells[0].source) if cells else None
    return int(found.group(1)) if found else None


def rounded(minutes: float) -> int:
    """The estimate as a lesson states it: to the nearest 5 minutes, at least 5.

    Examples
    --------
    >>> rounded(42.4), rounded(42.6), rounded(1.0)
    (40, 45, 5)
    """
    return max(5, 5 * math.floor(minutes / 5 + 0.5))


def timing_table(root: str | Path = ".") -> pd.DataFrame:
    """Every lesson of a course folder: stated and estimated minutes, lesson and exercises.

    Parameters
    ----------
    root : str or Path
        The course folder, holding ``notebooks/`` and ``exercises/source/``.

    Returns
    -------
    DataFrame
        Indexed by ``lesson`` (e.g. ``"12_cross_selling"``): ``stated``, ``estimate``,
        ``rounded``, ``words``, ``code_cells``, ``code_lines``, ``charts``,
        ``exercises_stated`` and ``exercises_estimate``.

    Examples
    --------
    >>> table = timing_table()  # doctest: +SKIP
    >>> table.loc["12_cross_selling", "estimate"] <= MAX_LESSON_MINUTES  # doctest: +SKIP
    True
    """
    from crmlab.exercises.quiz import Quiz
    from crmlab.exercises.registry import lesson

    rows = {}
    for path in sorted((Path(root) / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        t = lesson_estimate(path)
        kinds = ["quiz" if isinstance(item, Quiz) else item.kind for item in lesson(path.stem).items]
        source = Path(root) / "exercises" / "source" / f"{path.stem}_exercises.ipynb"
        ex = exercise_estimate(source, kinds.count("question"), kinds.count("reflection"), kinds.count("quiz"))
        rows[path.stem] = {"stated": stated_minutes(path), "estimate": round(t.minutes, 1),
                           "rounded": rounded(t.minutes), "words": t.words, "code_cells": t.code_cells,
                           "code_lines": t.code_lines, "charts": t.charts,
                           "exercises_stated": stated_minutes(source),
                           "exercises_estimate": round(ex.minutes, 1)}  # fmt: skip
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("lesson")
