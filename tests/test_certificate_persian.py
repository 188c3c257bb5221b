"""The certificate in Persian (issue 12): right to left, Jalali date, Persian digits; English unchanged."""

from __future__ import annotations

import re
import subprocess
import types
from datetime import date
from pathlib import Path

import pytest

from crmlab.exercises import Lesson, Question
from crmlab.exercises.certificate import render_certificate, write_certificate
from crmlab.exercises.learner import set_learner_name
from crmlab.exercises.progress import Item, summarize
from crmlab.exercises.progress_log import ProgressLog

ROOT = Path(__file__).resolve().parents[1]
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"


def _progress():
    events = [{"event": "check", "question": "q1", "status": "correct"},
              {"event": "hint", "question": "q1", "hint": 1},
              {"event": "check", "question": "q2", "status": "incorrect"},
              {"event": "check", "question": "q2", "status": "correct"},
              {"event": "solution", "question": "q2"},
              {"event": "check", "question": "r1", "status": "unchecked"}]  # fmt: skip
    return summarize("07_cohorts", events, [Item("q1"), Item("q2"), Item("r1", "reflection")], title="Cohorts")


def _text(page: str) -> str:
    """The words a reader sees: tags and the style sheet removed."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", " ", page, flags=re.S))


@pytest.mark.parametrize(("day", "jalali"), [
    (date(2025, 3, 21), "۱۴۰۴/۰۱/۰۱"),  # Nowruz 1404 (the published calendar)
    (date(2024, 3, 20), "۱۴۰۳/۰۱/۰۱"),  # Nowruz 1403
    (date(2025, 3, 20), "۱۴۰۳/۱۲/۳۰"),  # 1403 is a leap year: Esfand has 30 days
    (date(2026, 12, 3), "۱۴۰۵/۰۹/۱۲"),  # 12 Azar 1405, counted by hand from Nowruz 1405 (21 March 2026)
])  # fmt: skip
def test_the_date_is_jalali_in_persian_digits(day, jalali):
    page = render_certificate(_progress(), "سارا احمدی", day, language="fa")
    assert f'<p class="small">{jalali}</p>' in page
    assert day.isoformat() not in page


def test_the_page_reads_right_to_left_in_persian_with_persian_digits():
    page = render_certificate(_progress(), "سارا احمدی", date(2025, 3, 21), language="fa")
    assert page.startswith('<!DOCTYPE html>\n<html lang="fa" dir="rtl">')
    text = _text(page)
    assert "گواهی پایان درس" in text and "سارا احمدی" in text
    assert "امتیاز: ۲ از ۲ (۱۰۰٪)" in text  # two scored questions, both right; the reflection is not scored
    # no Latin digit outside the lesson and question ids (kept as the course writes them, left to right)
    latin = re.sub(r'<(td|b) dir="ltr">[^<]*</\1>', "", page)
    assert not re.search(r"[0-9]", _text(latin).replace("crmlab", ""))
    rows = re.findall(r"<tr><td dir=\"ltr\">(\w+)</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>",
                      page)
    assert rows == [("q1", "پرسش", "درست", "۱", "خیر"), ("q2", "پرسش", "درست", "۰", "بله"),
                    ("r1", "تأمل", "ثبت شد", "۰", "خیر")]  # fmt: skip
    assert not re.search(r"[يك]", text)  # Persian ی and ک, not the Arabic-keyboard letters
    assert "http" not in page and "url(" not in page and "@font-face" not in page  # nothing fetched


def test_the_english_certificate_is_byte_for_byte_what_it_was():
    """The oracle is the module as it stood before the Persian option (commit 4a31ac0)."""
    old = subprocess.run(["git", "show", "4a31ac0:crmlab/exercises/certificate.py"], cwd=ROOT, capture_output=True,
                         text=True, check=False)  # fmt: skip
    if old.returncode != 0:
        pytest.skip("the commit is not in this clone's history")
    module = types.ModuleType("old_certificate")
    exec(compile(old.stdout, "old_certificate.py", "exec"), module.__dict__)  # noqa: S102 - our own past source
    for name in ("Ada", "Sara <b>Ahmadi</b> & co", "سارا احمدی"):
        assert render_certificate(_progress(), name, date(2026, 1, 2)) == module.render_certificate(
            _progress(), name, date(2026, 1, 2))


def test_a_language_the_certificate_has_not_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match=r"`language` must be one of \['en', 'fa'\], but 'de' was passed"):
        render_certificate(_progress(), "Ada", date(2026, 1, 2), language="de")
    complete = summarize("00_demo", [{"event": "check", "question": "q1", "status": "correct"}], [Item("q1")])
    with pytest.raises(ValueError, match="`language`"):
        write_certificate(complete, tmp_path / "c.html", name="Ada", language="FA")
    assert not (tmp_path / "c.html").exists()


def test_a_notebook_asks_for_it_in_persian(tmp_path):
    ex = Lesson("99_demo", [Question("q1", "6 * 7?", expected=lambda: 42)], title="Demo", log=ProgressLog(tmp_path))
    ex.q1.check(42)
    set_learner_name("سارا احمدی", directory=tmp_path)
    target = tmp_path / "certificates" / "99_demo.html"
    assert str(ex.certificate(language="fa")) == f"Certificate: Well done! Your certificate is at {target}"
    page = target.read_text(encoding="utf-8")
    assert 'dir="rtl"' in page and '<div class="name">سارا احمدی</div>' in page
    assert any(d in page for d in PERSIAN_DIGITS)
    assert "must be one of" in str(ex.certificate(language="xx"))  # feedback, not a traceback
