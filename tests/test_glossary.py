"""docs/glossary.md (issue 12): a bilingual glossary whose rows are checked against the lessons themselves."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from crmlab.persian_text import normalise_persian

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "docs" / "glossary.md"
PERSIAN_LETTER = re.compile(r"[\u0622-\u063a\u0641-\u064a\u067e\u0686\u0698\u06a9\u06af\u06cc]")
ARABIC_KEYBOARD = re.compile(r"[\u064a\u0643]")  # ي and ك: Persian text uses ی and ک
LINK = re.compile(r"\[(\d\d)\]\((\.\./notebooks/(\d\d)_[a-z_]+\.ipynb)\)")
#: Terms every lesson reader meets; the glossary must hold each.
KEY_TERMS = ["CRM", "KPI", "RFM", "churn", "cohort", "retention", "customer lifetime value", "pipeline", "uplift",
             "national code", "Jalali", "Nowruz", "fiscal year", "duplicate", "SLA", "cross-selling"]  # fmt: skip


def _rows() -> list[list[str]]:
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("| ") else []
        if len(cells) == 4 and cells[0] != "English":
            rows.append(cells)
    return rows


def _lesson_text(path: Path) -> str:
    cells = nbformat.read(path, as_version=4).cells
    return " ".join(c.source for c in cells).lower()


ROWS = _rows()


def test_the_glossary_is_big_enough_and_holds_the_key_terms():
    english = [r[0] for r in ROWS]
    assert len(ROWS) >= 100
    assert [t for t in KEY_TERMS if t not in english] == []
    assert len(english) == len({e.lower() for e in english}), "a term appears twice"
    assert english == sorted(english, key=str.lower), "rows are in alphabetical order"


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_each_row_is_bilingual_and_linked_to_lessons_that_use_the_term(row):
    english, persian, meaning, lessons = row
    assert english and persian and meaning and lessons
    assert not PERSIAN_LETTER.search(english + meaning), "Persian letters belong in the Persian column"
    assert PERSIAN_LETTER.search(persian), "the Persian column holds no Persian"
    assert not ARABIC_KEYBOARD.search(persian), "Arabic-keyboard ي/ك instead of Persian ی/ک"
    assert normalise_persian(persian) == persian, "not in the display form the course writes"
    links = LINK.findall(lessons)
    assert links and ", ".join(f"[{n}]({p})" for n, p, _ in links) == lessons
    uses = []
    for number, path, prefix in links:
        target = (GLOSSARY.parent / path).resolve()
        assert number == prefix and target.is_file(), f"broken lesson link {path}"
        uses.append(english.lower() in _lesson_text(target))
    assert any(uses), f"none of the linked lessons mentions {english!r}"


def test_lesson_00_and_the_readme_link_the_glossary():
    lesson = _lesson_text(ROOT / "notebooks" / "00_welcome.ipynb")
    assert "../docs/glossary.md" in lesson
    assert "(docs/glossary.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
