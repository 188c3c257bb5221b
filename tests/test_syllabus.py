"""Every idea of the source material is taught somewhere, under a heading that exists."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SYLLABUS = [f"T{i}" for i in range(1, 5)] + [f"B{i}" for i in range(1, 10)] + [f"P{i}" for i in range(1, 10)]


def _rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in (ROOT / "docs" / "syllabus.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"[TBP]\d", cells[0]):
            rows.append((cells[0], cells[2], cells[3]))
    return rows


def _headings(lesson: str) -> set[str]:
    [path] = (ROOT / "notebooks").glob(f"{lesson}_*.ipynb")
    nb = nbformat.read(path, as_version=4)
    return {line.lstrip("#").strip() for c in nb.cells if c.cell_type == "markdown"
            for line in c.source.splitlines() if line.startswith("#")}


def test_every_syllabus_id_has_a_lesson():
    taught = {row[0] for row in _rows()}
    assert sorted(set(SYLLABUS) - taught) == []
    assert sorted(taught - set(SYLLABUS)) == []


@pytest.mark.parametrize(("idea", "lesson", "heading"), _rows(), ids=lambda v: str(v)[:30])
def test_the_section_exists(idea, lesson, heading):
    assert heading in _headings(lesson), f"{idea}: lesson {lesson} has no heading {heading!r}"
