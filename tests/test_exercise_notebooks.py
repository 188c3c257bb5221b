"""The exercise notebooks: student copies generated from their sources and up to date,
solutions all correct (solution mode), student copies all blank and error-free (learner mode).

Lessons themselves run under nbval; this runs the exercises the way `make course` does.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from crmlab.exercises import Quiz
from crmlab.exercises.registry import available_lessons, lesson
from crmlab.exercises.release import stale_copies
from crmlab.runner import course_jobs, run_jobs

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "exercises" / "source").glob("*.ipynb"))
SUFFIX = "_exercises"
_ASKED = re.compile(r"""ex\.(q\d+)\.check(?:_code)?\(|ex\.quiz\(\s*["'](q\d+)["']""")


def _lesson_id(path: Path) -> str:
    return path.stem.removesuffix(SUFFIX)


def _asked(path: Path) -> set[str]:
    """The question and quiz ids a notebook's code cells check."""
    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    return {a or b for a, b in _ASKED.findall(code)}


def test_every_lesson_has_exercises():
    lessons = {p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert lessons == {_lesson_id(p) for p in SOURCES}
    assert lessons <= set(available_lessons())


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_exercise_names_differ_from_lesson_names(path):
    """Same-named notebooks give JupyterLab tabs that look alike: the exercises say so in their name."""
    assert path.stem.endswith(SUFFIX) and (ROOT / "exercises" / path.name).is_file()
    assert not (ROOT / "exercises" / f"{_lesson_id(path)}.ipynb").exists()


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_the_exercise_notebook_asks_everything_progress_counts(path):
    """One rule for every lesson: the exercise notebook asks every item of the lesson's exercises,
    its closing quiz included, so finishing the exercise notebook gives 100 %."""
    items = lesson(_lesson_id(path)).items
    assert _asked(path) == {item.id for item in items}
    assert _asked(ROOT / "exercises" / path.name) == {item.id for item in items}
    lesson_notebook = ROOT / "notebooks" / f"{_lesson_id(path)}.ipynb"
    quizzes = {item.id for item in items if isinstance(item, Quiz)}
    assert _asked(lesson_notebook) <= quizzes, "a lesson notebook asks only quizzes of its exercises"


def test_student_copies_are_up_to_date():
    assert stale_copies(ROOT / "exercises" / "source", ROOT / "exercises") == []


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_no_solution_leaks_into_the_student_copy(path):
    student = nbformat.read(ROOT / "exercises" / path.name, as_version=4)
    text = "\n".join(c.source for c in student.cells)
    assert "answer=" not in text
    assert "____" in text
    source = nbformat.read(path, as_version=4)
    for cell in source.cells:
        if "solution" in cell.metadata.get("tags", []):
            for line in cell.source.splitlines():
                if "=" in line and len(line.strip()) > 25:
                    assert line.strip() not in text, f"solution line left in {path.name}: {line}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_each_question_has_a_check_cell(path):
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
    lesson_id = _lesson_id(path)
    assert f'lesson("{lesson_id}")' in text
    assert len(re.findall(r"ex\.q\d+\.check\(|ex\.quiz\(", text)) >= 4


@pytest.fixture(scope="module")
def runs(tmp_path_factory, monkeypatch_module):
    monkeypatch_module.chdir(ROOT)
    jobs = [j for j in course_jobs() if j.mode in ("solution", "learner")]
    return run_jobs(jobs, out_dir=tmp_path_factory.mktemp("build"), jobs_at_once=2, echo=lambda _: None)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_solutions_pass_and_blanks_stay_blank(runs):
    assert {r.mode for r in runs} == {"solution", "learner"}
    assert len(runs) == 2 * len(SOURCES)
    failed = [r.line() for r in runs if not r.ok]
    assert not failed, "\n".join(failed)


def test_learner_mode_reports_not_attempted(runs):
    learner = [r for r in runs if r.mode == "learner"]
    for result in learner:
        nb = nbformat.read(result.output, as_version=4)
        shown = [o.get("text") or o.get("data", {}).get("text/plain", "") for c in nb.cells
                 if c.cell_type == "code" for o in c.outputs]
        assert any("Not attempted yet" in s for s in shown)
