"""Every lesson states an honest time (docs/timing.md), and every sitting fits 45 minutes.

The rule lives in :mod:`crmlab.exercises.timing`. A lesson over 45 minutes is taught in parts, each
opened by a ``## Part N`` heading cell; the first cell states the total and each part, and README's
lesson table repeats them. Three temporary allow-lists name the lessons that do not meet the rule
yet (issue 11, deliverable 6); each entry is a known gap, to be emptied, not grown. An entry that is
no longer needed is reported as a warning.
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

# Issue 11 emptied these lists; a lesson that needs an entry again is a defect to fix, not to list.
LESSONS_TO_SPLIT: set[str] = set()
# TEMPORARY (issue 11): lessons whose first cell states a time more than 5 minutes from the estimate;
# their notebooks are being edited by others, who set the line when their content settles.
STATED_TIME_TO_FIX: set[str] = set()
# TEMPORARY (issue 11): exercise notebooks others are editing now; their stated time is reported in the
# skip reason, not enforced, until reconciled (no warning when one happens to meet the rule).
EXERCISES_IN_FLUX: set[str] = set()


def _stale(allowed: set[str], name: str, still_needed: bool) -> None:
    if name in allowed and not still_needed:
        warnings.warn(f"{name} meets the timing rule now: remove it from the allow-list in tests/test_timing.py "
                      "and docs/timing.md", UserWarning, stacklevel=2)  # fmt: skip


def _counts(stem: str) -> tuple[int, int, int]:
    kinds = ["quiz" if isinstance(item, Quiz) else item.kind for item in lesson(stem).items]
    return kinds.count("question"), kinds.count("reflection"), kinds.count("quiz")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_stated_time_is_the_estimate(path):
    """The total the first cell states: the lesson without its optional sections."""
    stated, estimate = timing.stated_minutes(path), timing.core_minutes(path)
    assert stated is not None, "the first cell states **Time**: about N minutes"
    off = abs(stated - estimate) > timing.TOLERANCE_MINUTES
    _stale(STATED_TIME_TO_FIX, path.stem, off)
    if path.stem in STATED_TIME_TO_FIX:
        pytest.skip(f"allow-listed: states {stated} min, the rule gives {estimate:.1f}")
    assert not off, (f"{path.name} states {stated} minutes; the rule (docs/timing.md) gives {estimate:.1f}: "
                     f"write about {timing.rounded(estimate)} minutes")  # fmt: skip


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_fits_one_sitting(path):
    """Every sitting (a part, or an optional section) is at most 45 minutes by the rule and as stated."""
    sittings = timing.lesson_parts(path)
    parts = [s for s in sittings if not s.optional]
    stated = timing.stated_parts(path) or [timing.stated_minutes(path) or 0]
    too_long = max(max(s.minutes for s in sittings), *stated) > timing.MAX_LESSON_MINUTES
    _stale(LESSONS_TO_SPLIT, path.stem, too_long)
    if path.stem in LESSONS_TO_SPLIT:
        pytest.skip(f"allow-listed to be split: the rule gives {timing.core_minutes(path):.1f} min")
    assert not too_long, (f"{path.name}: sittings of {[round(s.minutes, 1) for s in sittings]} minutes by the rule, "
                          f"stated {stated}: split it with a '## Part 2 · ...' heading cell or trim it")  # fmt: skip
    assert len(parts) <= 3, f"{path.name} has {len(parts)} parts: a lesson is at most three sittings"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_each_stated_part_is_its_estimate(path):
    parts = [s for s in timing.lesson_parts(path) if not s.optional]
    stated = timing.stated_parts(path)
    if len(parts) == 1:
        assert stated == [], f"{path.name} states parts {stated} but has no '## Part 2' heading cell"
        return
    if path.stem in STATED_TIME_TO_FIX:
        pytest.skip(f"allow-listed: states parts {stated}, the rule gives {[round(p.minutes, 1) for p in parts]}")
    words = {2: "two", 3: "three"}[len(parts)]
    assert len(stated) == len(parts), (f"{path.name} has {len(parts)} parts: its first cell states "
                                       f"'in {words} parts (...)', one number per part")  # fmt: skip
    for part, minutes in zip(parts, stated, strict=True):
        assert abs(minutes - part.minutes) <= timing.TOLERANCE_MINUTES, (
            f"{path.name} states {minutes} minutes for {part.title}; the rule gives {part.minutes:.1f}: "
            f"write {timing.rounded(part.minutes)}")


_README_ROW = re.compile(r"\| \[\d\d [^\]]*\]\(notebooks/(\d\d_[a-z_]+)\.ipynb\) \|.*\| ([^|]*) \|$")


def _readme_times() -> dict[str, str]:
    """README's lesson table: the time column of each row, keyed by the lesson's notebook stem."""
    rows = {}
    for line in (ROOT / "README.md").read_text().splitlines():
        found = _README_ROW.match(line)
        if found:
            rows[found.group(1)] = found.group(2).strip()
    return rows


def test_readme_repeats_each_lessons_stated_time():
    """The README's time column copies each first cell: the total, and the parts if any."""
    times = _readme_times()
    assert sorted(times) == [p.stem for p in LESSONS]
    for path in LESSONS:
        found = re.match(r"(\d+) min\b", times[path.stem])
        assert found, f"README.md's row {path.stem}: write the time as 'N min', got {times[path.stem]!r}"
        assert int(found.group(1)) == timing.stated_minutes(path), (
            f"README.md says {times[path.stem]!r} for {path.stem}; its first cell states "
            f"{timing.stated_minutes(path)} minutes")
        parts = re.search(r"in (?:two|three) parts \(([\d, and]+)\)", times[path.stem])
        in_readme = [int(m) for m in re.findall(r"\d+", parts.group(1))] if parts else []
        assert in_readme == timing.stated_parts(path), (
            f"README.md's row {path.stem} says parts {in_readme}; the notebook states {timing.stated_parts(path)}")


def test_readme_table_is_read():
    """The parser above on two hand-written rows, so a changed layout cannot make the check vacuous."""
    rows = ["| [05 RFM](notebooks/05_rfm.ipynb) | what | B8 | 50 min in two parts (20 and 30) |",
            "| [00 Welcome](notebooks/00_welcome.ipynb) | how | | 20 min |"]  # fmt: skip
    found = [_README_ROW.match(r) for r in rows]
    assert [(f.group(1), f.group(2).strip()) for f in found] == [("05_rfm", "50 min in two parts (20 and 30)"),
                                                                  ("00_welcome", "20 min")]  # fmt: skip


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
    lesson08 = table.loc["08_clv_churn"]  # two parts and two optional sections, which the total leaves out
    path08 = ROOT / "notebooks" / "08_clv_churn.ipynb"
    optional = sum(s.minutes for s in timing.lesson_parts(path08) if s.optional)
    assert lesson08["estimate"] == pytest.approx(timing.lesson_estimate(path08).minutes - optional, abs=0.051)
    assert lesson08["stated_parts"] == " + ".join(map(str, timing.stated_parts(path08))) and lesson08["optional"] > 0
    assert row["code_cells"] == sum(c.cell_type == "code" for c in nbformat.read(path, as_version=4).cells)


def _parts_notebook(tmp_path, first="# 99 · Demo\n\n**Time**: about 5 minutes in two parts (5 and 5)."):
    """Twelve words in the first cell (99, Demo, Time, about, 5, minutes, in, two, parts, 5, and, 5)."""
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [md(first),
             md("word " * 288),                        # Part 1: 12 + 288 = 300 words, 2 minutes
             code("a = 1\nb = 2\n\nplt.show()"),    # 30 s + 3 lines x 6 s + 60 s chart = 1.8 minutes
             md("## Part 2 · Lift\n\n" + "word " * 147),  # Part 2: Part, 2, Lift + 147 = 150 words, 1 minute
             code("x = 1"),                            # 30 + 6 = 36 s = 0.6 minutes
             md("## Optional · Extra\n\n" + "word " * 148),  # Optional, Extra + 148 = 150 words, 1 minute
             code("y = 2\nz = 3"),                    # 30 + 2 x 6 = 42 s = 0.7 minutes
             md("## Recap\n\n" + "word " * 149),     # back to Part 2: 150 words, 1 minute
             md("In one cell.\n\n## Part 3 · not a sitting: the heading does not open its cell")]  # fmt: skip
    path = tmp_path / "99_demo.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def test_parts_of_a_hand_made_notebook(tmp_path):
    """Hand count: Part 1 = 2 + 1.8 = 3.8 minutes; Part 2 = 1 + 0.6 + 1 (recap) + the last cell's 15 words
    (In, one, cell; Part, 3, not, a, sitting, the, heading, does, not, open, its, cell) / 150;
    the optional section 1 + 0.7 = 1.7 minutes, left out of the lesson's total."""
    path = _parts_notebook(tmp_path)
    sittings = timing.lesson_parts(path)
    assert [(s.title, s.optional) for s in sittings] == [("Part 1", False), ("Part 2", False),
                                                         ("## Optional · Extra", True)]  # fmt: skip
    assert sittings[0].minutes == pytest.approx(3.8)
    assert sittings[1].minutes == pytest.approx(2.6 + 15 / 150)
    assert sittings[2].minutes == pytest.approx(1.7)
    assert timing.core_minutes(path) == pytest.approx(3.8 + 2.6 + 15 / 150)
    assert timing.lesson_estimate(path).minutes == pytest.approx(3.8 + 2.6 + 15 / 150 + 1.7)
    assert timing.stated_parts(path) == [5, 5]


def test_stated_parts_both_wordings(tmp_path):
    def states(text):
        path = tmp_path / "99_demo.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text)]), path)
        return timing.stated_parts(path)

    assert states("**Time**: about 55 minutes in three\nparts (15, 20 and 25).") == [15, 20, 25]
    assert states("**Time**: about 65 minutes: take\nPart 1 (lifetime value, about 30 minutes) and Part 2 "
                  "(churn, about 35 minutes) separately.") == [30, 35]  # fmt: skip
    assert states("**Time**: about 20 minutes.") == []
    with pytest.raises(ValueError, match="one number per part"):
        states("**Time**: about 55 minutes in three parts (25 and 30).")


def test_parts_are_numbered_in_order(tmp_path):
    md = nbformat.v4.new_markdown_cell
    path = tmp_path / "99_demo.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[md("# 99"), md("## Part 3 · Too soon")]), path)
    with pytest.raises(ValueError, match="number the parts"):
        timing.lesson_parts(path)
