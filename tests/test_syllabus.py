"""Every idea of the source material is taught somewhere, under a heading that exists, and practised
by at least one checked exercise on data."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import nbformat
import pytest

from crmlab.exercises import lesson

ROOT = Path(__file__).resolve().parents[1]
SYLLABUS = [f"T{i}" for i in range(1, 5)] + [f"B{i}" for i in range(1, 10)] + [f"P{i}" for i in range(1, 10)]
_ID = re.compile(r"[TBP]\d")


def _table_rows(width: int) -> list[list[str]]:
    rows = []
    for line in (ROOT / "docs" / "syllabus.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and len(cells) == width and _ID.fullmatch(cells[0]):
            rows.append(cells)
    return rows


def _rows() -> list[tuple[str, str, str]]:
    """The 'taught' table: ID, idea, lesson, heading."""
    return [(c[0], c[2], c[3]) for c in _table_rows(4)]


def _practice() -> list[tuple[str, str, str]]:
    """The 'practised' table: ID, lesson, question (its id first: ``q11: what it asks``)."""
    rows = []
    for idea, number, text in _table_rows(3):
        match = re.match(r"(q\d+)\b", text)
        rows.append((idea, number, match.group(1) if match else text))
    return rows


def _stem(number: str) -> str:
    [path] = (ROOT / "notebooks").glob(f"{number}_*.ipynb")
    return path.stem


def _headings(number: str) -> set[str]:
    nb = nbformat.read(ROOT / "notebooks" / f"{_stem(number)}.ipynb", as_version=4)
    return {line.lstrip("#").strip() for c in nb.cells if c.cell_type == "markdown"
            for line in c.source.splitlines() if line.startswith("#")}


@cache
def _exercise_code(path: Path) -> str:
    return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")


def test_every_syllabus_id_has_a_lesson():
    taught = {row[0] for row in _rows()}
    assert sorted(set(SYLLABUS) - taught) == []
    assert sorted(taught - set(SYLLABUS)) == []


@pytest.mark.parametrize(("idea", "lesson_number", "heading"), _rows(), ids=lambda v: str(v)[:30])
def test_the_section_exists(idea, lesson_number, heading):
    assert heading in _headings(lesson_number), f"{idea}: lesson {lesson_number} has no heading {heading!r}"


def test_every_syllabus_id_is_practised():
    practised = {row[0] for row in _practice()}
    assert sorted(set(SYLLABUS) - practised) == [], "IDs with no checked exercise in docs/syllabus.md"
    assert sorted(practised - set(SYLLABUS)) == [], "unknown IDs in the practice table"


@pytest.mark.parametrize(("idea", "lesson_number", "qid"), _practice(), ids=lambda v: str(v))
def test_the_practice_is_a_checked_question_in_the_exercises(idea, lesson_number, qid):
    assert re.fullmatch(r"q\d+", qid), f"{idea}: the question column must start with its id (q3: ...), not {qid!r}"
    stem = _stem(lesson_number)
    items = {item.id: item for item in lesson(stem).items}
    assert qid in items, f"{idea}: lesson {stem} has no item {qid} (it has {sorted(items)})"
    kind = getattr(items[qid], "kind", "quiz")
    assert kind == "question", f"{idea}: {stem} {qid} is a {kind}, not a checked question"
    for folder in (ROOT / "exercises" / "source", ROOT / "exercises"):
        path = folder / f"{stem}_exercises.ipynb"
        assert f"ex.{qid}.check(" in _exercise_code(path), f"{idea}: {path.relative_to(ROOT)} never checks {qid}"


def test_a_reflection_or_a_quiz_is_refused():
    """The check above can fail: a reflection and a quiz of lesson 01 are not checked questions."""
    items = {item.id: item for item in lesson("01_crm_goals").items}
    assert items["q7"].kind == "reflection"
    assert getattr(items["q6"], "kind", "quiz") != "question"
