"""Every lesson states an honest time (docs/timing.md) and fits one sitting of 45 minutes.

The rule lives in :mod:`crmlab.exercises.timing`. Two temporary allow-lists name the lessons
that do not meet it yet (issue 11, deliverable 6); each entry is a known gap, to be emptied,
not grown. An entry that is no longer needed is reported as a warning.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import nbformat
import pytest

from crmlab.exercises import lesson, timing
from crmlab.exercises.quiz import Quiz

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

# TEMPORARY (issue 11): lessons whose estimate is over 45 minutes; each is to be split or trimmed.
# Measured 3 Dec 2026, 08:02 UTC (estimate in minutes): 01 49.5, 05 52.0, 07 62.6, 08 86.3, 09 57.5,
# 10 49.9, 11 55.7, 13 69.6. See docs/timing.md.
LESSONS_TO_SPLIT = {"01_crm_goals", "05_rfm", "07_cohorts", "08_clv_churn", "09_experiments", "10_service",
                    "11_pipeline", "13_capstone"}  # fmt: skip
# TEMPORARY (issue 11): lessons whose first cell states a time more than 5 minutes from the estimate;
# their notebooks are being edited by others, who set the line when their content settles.
STATED_TIME_TO_FIX = {"01_crm_goals", "02_training_users", "04_bi_questions", "05_rfm", "07_cohorts",
                      "08_clv_churn", "09_experiments", "13_capstone"}  # fmt: skip
# TEMPORARY (issue 11): exercise notebooks others are editing now; their stated time is reported in the
# skip reason, not enforced, until reconciled (no warning when one happens to meet the rule).
EXERCISES_IN_FLUX = {"01_crm_goals", "02_training_users", "03_data_quality", "04_bi_questions", "05_rfm",
                     "07_cohorts", "08_clv_churn", "09_experiments"}  # fmt: skip


def _stale(allowed: set[str], name: str, still_needed: bool) -> None:
    if name in allowed and not still_needed:
        warnings.warn(f"{name} meets the timing rule now: remove it from the allow-list in tests/test_timing.py "
                      "and docs/timing.md", UserWarning, stacklevel=2)  # fmt: skip


def _counts(stem: str) -> tuple[int, int, int]:
    kinds = ["quiz" if isinstance(item, Quiz) else item.kind for item in lesson(stem).items]
    return kinds.count("question"), kinds.count("reflection"), kinds.count("quiz")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_stated_time_is_the_estimate(path):
    stated, estimate = timing.stated_minutes(path), timing.lesson_estimate(path).minutes
    assert stated is not None, "the first cell states **Time**: about N minutes"
    off = abs(stated - estimate) > timing.TOLERANCE_MINUTES
    _stale(STATED_TIME_TO_FIX, path.stem, off)
    if path.stem in STATED_TIME_TO_FIX:
        pytest.skip(f"allow-listed: states {stated} min, the rule gives {estimate:.1f}")
    assert not off, (f"{path.name} states {stated} minutes; the rule (docs/timing.md) gives {estimate:.1f}: "
                     f"write about {timing.rounded(estimate)} minutes")  # fmt: skip


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_fits_one_sitting(path):
    estimate = timing.lesson_estimate(path).minutes
    too_long = max(estimate, timing.stated_minutes(path) or 0) > timing.MAX_LESSON_MINUTES
    _stale(LESSONS_TO_SPLIT, path.stem, too_long)
    if path.stem in LESSONS_TO_SPLIT:
        pytest.skip(f"allow-listed to be split: the rule gives {estimate:.1f} min")
    assert not too_long, f"{path.name} takes {estimate:.1f} minutes by the rule: split or trim it below 45"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_exercises_state_their_own_time(path):
    source = ROOT / "exercises" / "source" / f"{path.stem}_exercises.ipynb"
    stated, estimate = timing.stated_minutes(source), timing.exercise_estimate(source, *_counts(path.stem)).minutes
    off = stated is None or abs(stated - estimate) > timing.TOLERANCE_MINUTES
    if path.stem in EXERCISES_IN_FLUX:
        pytest.skip(f"allow-listed (in flux): exercises state {stated} min, the rule gives {estimate:.1f}")
    assert not off, f"{source.name} states {stated} minutes; the rule gives {estimate:.1f}"


def test_allow_lists_name_real_lessons():
    stems = {p.stem for p in LESSONS}
    listed = LESSONS_TO_SPLIT | STATED_TIME_TO_FIX | EXERCISES_IN_FLUX
    assert listed <= stems
    documented = (ROOT / "docs" / "timing.md").read_text()
    sections = {name: documented.split(f"**`{name}`**")[1].split("\n- ")[0] for name in
                ("LESSONS_TO_SPLIT", "STATED_TIME_TO_FIX", "EXERCISES_IN_FLUX")}  # fmt: skip
    for name, allowed in [("LESSONS_TO_SPLIT", LESSONS_TO_SPLIT), ("STATED_TIME_TO_FIX", STATED_TIME_TO_FIX),
                          ("EXERCISES_IN_FLUX", EXERCISES_IN_FLUX)]:  # fmt: skip
        listed_in_docs = set(re.findall(r"`(\d\d_[a-z_]+)`", sections[name]))
        assert listed_in_docs == allowed, f"docs/timing.md lists {name} differently"


def test_rule_counts_a_hand_made_notebook(tmp_path):
    """Hand computation: 444 words (6 in the title lines, 400 of prose, 7 x 5 with apostrophes and
    hyphens kept inside words, 3 in "e.g. 3.5 words") at 150 a minute; two code cells (30 s each) of
    3 and 1 non-blank lines (6 s each) and one chart (60 s)."""
    prose = "Lift is confidence divided by the base rate. " * 50  # 8 words x 50 = 400
    cells = [nbformat.v4.new_markdown_cell("# 99 · Demo\n\n**Time**: about 5 minutes.\n\n" + prose),
             nbformat.v4.new_code_cell("import x\n\n# a comment\ny = 1"),
             nbformat.v4.new_code_cell("plt.show()"),
             nbformat.v4.new_markdown_cell("don't stop at the well-known half-way mark: " * 5 + "e.g. 3.5 words")]
    path = tmp_path / "99_demo.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    t = timing.lesson_estimate(path)
    assert (t.code_cells, t.code_lines, t.charts) == (2, 4, 1)
    assert t.words == 6 + 400 + 35 + 3
    assert t.minutes == pytest.approx(444 / 150 + (2 * 30 + 4 * 6 + 60) / 60)
    assert timing.stated_minutes(path) == 5


def test_exercise_rule_by_hand(tmp_path):
    path = tmp_path / "99_demo_exercises.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("word " * 300)]), path)
    assert timing.exercise_estimate(path, questions=5, reflections=1, quizzes=2).minutes == 2 + 20 + 3 + 2


def test_timing_table_gathers_the_same_numbers():
    table = timing.timing_table(ROOT)
    assert list(table.index) == [p.stem for p in LESSONS]
    path = ROOT / "notebooks" / "12_cross_selling.ipynb"
    row = table.loc["12_cross_selling"]
    assert row["stated"] == timing.stated_minutes(path)
    assert row["estimate"] == round(timing.lesson_estimate(path).minutes, 1)
    assert row["code_cells"] == sum(c.cell_type == "code" for c in nbformat.read(path, as_version=4).cells)
