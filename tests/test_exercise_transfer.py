"""Exercises transfer: no exercise can be answered by reading a figure off its lesson.

Each exercise notebook, and the checks behind it, work on data the lesson did not show:
the practice company (:func:`crmlab.practice_crm`, the generator with another seed) or a
real dataset the lesson does not read. Loading the course's company (``load_crm``), or a
real dataset the lesson itself loads, in an exercise is the defect this catches.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "exercises" / "source").glob("*_exercises.ipynb"))
# Lessons whose exercises still read the lesson's own company: each is a known gap of issue 11,
# to be emptied, not grown.
NOT_YET: set[str] = set()  # issue 11 emptied it
# Real data a lesson shows, asked about in a part the lesson did not show; each with the test that
# proves the answer differs from the lesson's.
OTHER_PART = {
    ("10_service", "load_bank_calls"): "q5 asks for August 2003's peak, not the eight months' "
    "(tests/test_lesson10_exercises.py::test_q5_is_not_the_lessons_answer)",
    ("08_clv_churn", "load_cdnow"): "q1-q2 fit the 21,213 customers outside the 1/10th sample the lesson fits "
    "(tests/test_lesson08_exercises.py::test_clv_questions_use_customers_the_lesson_did_not_fit)",
    ("08_clv_churn", "load_telco_churn"): "q10 groups by payment method, the lesson by contract "
    "(tests/test_lesson08_exercises.py::test_q10_is_not_the_lessons_answer)",
}
_LOADER = re.compile(r"\b(load_[a-z_]+)\s*\(")
_REAL = {"load_cdnow", "load_caravan", "load_telco_churn", "load_bank_calls", "load_charity"}


def _stem(path: Path) -> str:
    return path.stem.removesuffix("_exercises")


def _code(path: Path) -> str:
    return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")


def _checks(stem: str) -> Path:
    [path] = (ROOT / "crmlab" / "exercises" / "lessons").glob(f"l{stem}.py")
    return path


def _lesson_data(stem: str) -> list[str]:
    """Where the exercises of ``stem`` read data its lesson showed: ``file: loader``."""
    [lesson] = (ROOT / "notebooks").glob(f"{stem}.ipynb")
    shown = {"load_crm"} | (set(_LOADER.findall(_code(lesson))) & _REAL)
    sources = [(f"{stem}_exercises.ipynb", _code(ROOT / "exercises" / "source" / f"{stem}_exercises.ipynb")),
               (_checks(stem).name, _checks(stem).read_text())]  # fmt: skip
    return [f"{name}: {loader}" for name, text in sources for loader in sorted(set(_LOADER.findall(text)) & shown)
            if (stem, loader) not in OTHER_PART]  # fmt: skip


@pytest.mark.parametrize("path", SOURCES, ids=_stem)
def test_exercises_use_data_the_lesson_did_not_show(path):
    stem = _stem(path)
    used = _lesson_data(stem)
    if stem in NOT_YET:
        pytest.xfail(
            f"{stem}: exercises still on the lesson's data ({'; '.join(used) or 'fixed: remove from NOT_YET'})"
        )
    assert used == [], (
        f"{stem} reads the lesson's data: {'; '.join(used)}; use crmlab.practice_crm() or other real data"
    )


def test_the_gap_list_only_shrinks():
    fixed = {s for s in NOT_YET if not _lesson_data(s)}
    assert not fixed, f"converted, remove from NOT_YET: {sorted(fixed)}"
