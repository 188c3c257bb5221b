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
estimate and every sitting under :data:`MAX_LESSON_MINUTES`.

Sittings. A lesson longer than :data:`MAX_LESSON_MINUTES` is taught in two or three sittings
("parts"). A part starts at a Markdown cell whose first line starts with ``## Part N`` (N = 2, 3;
the cells before ``## Part 2``, the title and a ``## Part 1`` heading included, are Part 1). An
optional section starts at a Markdown cell whose first line starts with ``## Optional`` and runs to
the next ``## `` heading cell; it is timed on its own and left out of the lesson's total. A ``## ``
heading that is neither (a recap) continues the part before the optional sections.
:func:`lesson_parts` times each part, :func:`core_minutes` the lesson without its optional
sections, and :func:`stated_parts` reads the parts' minutes the first cell states, as
"**Time**: about 55 minutes in two parts (25 and 30)" or, as lesson 08 words it,
"Part 1 (lifetime value, about 30 minutes) and Part 2 (churn, about 35 minutes)".
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
    "Sitting",
    "core_minutes",
    "exercise_estimate",
    "lesson_estimate",
    "lesson_parts",
    "rounded",
    "stated_minutes",
    "stated_parts",
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
_PART = re.compile(r"## Part (\d+)\b")
_OPTIONAL = "## Optional"
_NUMBERS = {"two": 2, "three": 3}
_STATED_PARTS = re.compile(r"in (two|three) parts \((\d+)(?:, (\d+))? and (\d+)\)")
_STATED_PART = re.compile(r"Part (\d+) \([^()]*?about (\d+) minutes\)")


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
    return _count(_cells(path))


def _count(cells: list) -> LessonTime:
    code = [c.source for c in cells if c.cell_type == "code"]
    return LessonTime(
        words=_words(cells),
        code_cells=len(code),
        code_lines=sum(1 for source in code for line in source.splitlines() if line.strip()),
        charts=sum(len(_CHART.findall(source)) for source in code),
    )


@dataclass(frozen=True)
class Sitting:
    """One part of a lesson, or one optional section, and what the rule counts in it.

    Attributes
    ----------
    title : str
        ``"Part 1"``, ``"Part 2"``, ... or the optional section's heading line.
    optional : bool
        True for a section that starts with ``## Optional``, timed outside the lesson's total.
    time : LessonTime
        The counts of the section's cells.
    """

    title: str
    optional: bool
    time: LessonTime

    @property
    def minutes(self) -> float:
        """The section's estimate by the rule."""
        return self.time.minutes


def _first_line(cell) -> str:
    return cell.source.lstrip().split("\n", 1)[0].strip() if cell.cell_type == "markdown" else ""


def lesson_parts(path: str | Path) -> list[Sitting]:
    """Split a lesson into its parts (sittings) and optional sections, each timed by the rule.

    A Markdown cell whose first line starts with ``## Part N`` opens part N; cells before
    ``## Part 2`` belong to Part 1. A cell starting with ``## Optional`` opens an optional section,
    which ends at the next cell starting with ``## ``; a ``## `` heading cell that is neither a part
    nor an optional section (a recap) goes back to the last part. A lesson without part headings
    is one part.

    Parameters
    ----------
    path : str or Path
        A lesson notebook.

    Returns
    -------
    list of Sitting
        The parts in order (``Part 1``, ``Part 2``, ...), then the optional sections in order.

    Raises
    ------
    ValueError
        If the parts are not numbered 1, 2, 3, ... in the order they appear.

    Examples
    --------
    >>> import tempfile
    >>> md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    >>> cells = [md("word " * 150), code("x = 1"), md("## Part 2 · More"), code("y = 2\\nplt.show()"),
    ...          md("## Optional · Extra"), code("z = 3"), md("## Recap")]
    >>> path = Path(tempfile.mkdtemp()) / "99_demo.ipynb"
    >>> nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    >>> [(s.title, s.optional, round(s.minutes, 2)) for s in lesson_parts(path)]
    [('Part 1', False, 1.6), ('Part 2', False, 1.73), ('## Optional · Extra', True, 0.61)]
    """
    parts: dict[str, list] = {"Part 1": []}
    optional: dict[str, list] = {}
    current = parts["Part 1"]
    last_part = current
    for cell in _cells(path):
        line = _first_line(cell)
        found = _PART.match(line)
        if found and int(found.group(1)) > 1:
            title = f"Part {found.group(1)}"
            if title != f"Part {len(parts) + 1}":
                raise ValueError(f"{Path(path).name}: {line!r} follows Part {len(parts)}; number the parts "
                                 "1, 2, 3 in order")  # fmt: skip
            current = last_part = parts.setdefault(title, [])
        elif line.startswith(_OPTIONAL):
            current = optional.setdefault(line, [])
        elif line.startswith("## ") and current is not last_part and not found:
            current = last_part
        current.append(cell)
    return [Sitting(title, False, _count(cells)) for title, cells in parts.items()] + [
        Sitting(title, True, _count(cells)) for title, cells in optional.items()
    ]


def core_minutes(path: str | Path) -> float:
    """The lesson's estimate without its optional sections: the sum of its parts.

    Examples
    --------
    >>> import tempfile
    >>> md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    >>> path = Path(tempfile.mkdtemp()) / "99_demo.ipynb"
    >>> nbformat.write(nbformat.v4.new_notebook(cells=[code("x = 1"), md("## Optional · More"), code("y = 2")]), path)
    >>> core_minutes(path), round(lesson_estimate(path).minutes, 3)
    (0.6, 1.213)
    """
    return sum(s.minutes for s in lesson_parts(path) if not s.optional)


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


def stated_parts(path: str | Path) -> list[int]:
    """The minutes of each part the first cell states, in order; empty if it states no parts.

    Two wordings are read: "in two parts (25 and 30)" (or "in three parts (15, 20 and 25)"), and
    "Part 1 (lifetime value, about 30 minutes) and Part 2 (churn, about 35 minutes)".

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "99_demo.ipynb"
    >>> nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
    ...     "# 99 · Demo\\n\\n**Time**: about 55 minutes in two\\nparts (25 and 30).")]), path)
    >>> stated_parts(path)
    [25, 30]
    """
    cells = _cells(path)
    text = " ".join(cells[0].source.split()) if cells else ""
    found = _STATED_PARTS.search(text)
    if found:
        minutes = [int(m) for m in found.groups()[1:] if m is not None]
        if len(minutes) != _NUMBERS[found.group(1)]:
            raise ValueError(f"{Path(path).name} says {found.group(0)!r}: give one number per part")
        return minutes
    named = _STATED_PART.findall(text)
    if [int(n) for n, _ in named] != list(range(1, len(named) + 1)):
        raise ValueError(f"{Path(path).name} states parts {[n for n, _ in named]}: number them 1, 2, 3 in order")
    return [int(m) for _, m in named]


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
        Indexed by ``lesson`` (e.g. ``"12_cross_selling"``): ``stated``, ``estimate`` (the lesson
        without its optional sections, :func:`core_minutes`), ``rounded``, ``stated_parts`` and
        ``parts`` (each part's estimate, for a lesson in two or three sittings, as text such as
        ``"20.8 + 31.2"``), ``optional`` (minutes of the optional sections), ``words``,
        ``code_cells``, ``code_lines``, ``charts`` (the whole notebook), ``exercises_stated`` and
        ``exercises_estimate``.

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
        sittings = lesson_parts(path)
        parts = [s.minutes for s in sittings if not s.optional]
        rows[path.stem] = {"stated": stated_minutes(path), "estimate": round(sum(parts), 1),
                           "rounded": rounded(sum(parts)),
                           "stated_parts": " + ".join(map(str, stated_parts(path))),
                           "parts": " + ".join(f"{m:.1f}" for m in parts) if len(parts) > 1 else "",
                           "optional": round(sum(s.minutes for s in sittings if s.optional), 1),
                           "words": t.words, "code_cells": t.code_cells,
                           "code_lines": t.code_lines, "charts": t.charts,
                           "exercises_stated": stated_minutes(source),
                           "exercises_estimate": round(ex.minutes, 1)}  # fmt: skip
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("lesson")
