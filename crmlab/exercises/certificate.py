"""A small, self-contained HTML certificate for a completed lesson.

One file, inline CSS, no scripts, fonts or images from elsewhere: it opens
offline and can be mailed as is. It states honestly how many hints were used and
which solutions were viewed, and carries the name the learner set with
:func:`~crmlab.exercises.learner.set_learner_name` (never the computer's login name).
No certificate is written for a log edited by hand (lines whose checksums fail, see
:mod:`~crmlab.exercises.progress_log`), nor for one with lines that cannot be verified:
a log with its sums stripped reads like one written before checksums existed, so a
certificate cannot tell the two apart.

``language="fa"`` prints it in Persian, right to left, with the date in the Jalali
calendar and Persian digits (through ``persiantools``); lesson titles and question ids
stay as the course writes them. The page names no font: the reader's system font
renders Persian (every current desktop has one), so nothing is fetched.
"""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

from persiantools.digits import en_to_fa
from persiantools.jdatetime import JalaliDate

from crmlab.errors import CrmlabError
from crmlab.exercises.learner import HOW_TO_SET, LearnerNameError, check_learner_name, learner_name
from crmlab.exercises.progress import LessonProgress
from crmlab.exercises.progress_log import progress_dir

__all__ = ["LANGUAGES", "CertificateError", "render_certificate", "write_certificate"]

#: The languages a certificate can be printed in.
LANGUAGES = ("en", "fa")
#: The Persian words of the certificate: statuses and kinds of the progress log, yes/no.
_FA = {
    "correct": "درست", "incorrect": "نادرست", "not_attempted": "پاسخ داده نشده", "learner_error": "خطا در کد",
    "checker_error": "خطای بررسی‌کننده", "unchecked": "ثبت شد", "question": "پرسش", "quiz": "آزمونک",
    "reflection": "تأمل", "yes": "بله", "no": "خیر",
}  # fmt: skip

_STYLE = """
body{font-family:Georgia,serif;background:#f7f4ec;margin:0;padding:2em}
.card{max-width:40em;margin:auto;background:#fff;border:6px double #2e7d32;padding:2em 3em;
text-align:center}
h1{font-size:1.8em;margin:0.2em 0;color:#2e7d32}
.name{font-size:1.6em;margin:0.6em 0;border-bottom:1px solid #999;display:inline-block}
table{margin:1em auto;border-collapse:collapse;font-family:sans-serif;font-size:0.9em}
td,th{border-bottom:1px solid #ddd;padding:0.2em 0.8em}
.small{font-family:sans-serif;font-size:0.8em;color:#555}
"""


class CertificateError(CrmlabError, ValueError):
    """The lesson is not complete yet, or the learner has not set a usable name."""


def render_certificate(progress: LessonProgress, name: str, on: date, language: str = "en") -> str:
    """The certificate's HTML.

    Parameters
    ----------
    progress : LessonProgress
        A complete lesson.
    name : str
        The learner's name.
    on : date
        The date printed.
    language : {"en", "fa"}
        English, or Persian (right to left, Jalali date, Persian digits).

    Returns
    -------
    str
        A whole HTML document with no external assets.

    Examples
    --------
    >>> from crmlab.exercises.progress import summarize, Item
    >>> p = summarize("00_demo", [{"event": "check", "question": "q1", "status": "correct"}],
    ...               [Item("q1")], title="Demo")
    >>> "Demo" in render_certificate(p, "Ada", date(2026, 1, 2))
    True
    >>> page = render_certificate(p, "سارا", date(2025, 3, 21), language="fa")
    >>> 'dir="rtl"' in page, "۱۴۰۴/۰۱/۰۱" in page, "امتیاز: ۱ از ۱ (۱۰۰٪)" in page
    (True, True, True)
    """
    if language not in LANGUAGES:
        raise ValueError(f"The value for `language` must be one of {list(LANGUAGES)}, but {language!r} was passed.")
    if language == "fa":
        return _render_persian(progress, name, on)
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(i.id)}</td><td>{esc(i.kind)}</td><td>{esc(i.status.replace('_', ' '))}"
        f"</td><td>{i.hints_used}</td><td>{'yes' if i.solution_viewed else 'no'}</td></tr>"
        for i in progress.items
    )
    title = esc(progress.title or progress.lesson)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Certificate: {title}</title><style>{_STYLE}</style></head><body>"
        '<div class="card"><p class="small">crmlab · CRM analytics course</p>'
        "<h1>Certificate of completion</h1><p>This certifies that</p>"
        f'<div class="name">{esc(name)}</div>'
        f"<p>completed lesson <b>{esc(progress.lesson)}</b>: {title}</p>"
        f"<p>{esc(progress.score_text())}</p>"
        "<table><thead><tr><th>question</th><th>kind</th><th>status</th><th>hints</th>"
        f"<th>solution viewed</th></tr></thead><tbody>{rows}</tbody></table>"
        f'<p class="small">{on.isoformat()}</p></div></body></html>\n'
    )


def _render_persian(progress: LessonProgress, name: str, on: date) -> str:
    esc = html.escape
    rows = "".join(
        f"<tr><td dir=\"ltr\">{esc(i.id)}</td><td>{_FA.get(i.kind, esc(i.kind))}</td>"
        f"<td>{_FA.get(i.status, esc(i.status))}</td><td>{en_to_fa(str(i.hints_used))}</td>"
        f"<td>{_FA['yes' if i.solution_viewed else 'no']}</td></tr>"
        for i in progress.items
    )
    title = esc(progress.title or progress.lesson)
    percent = round(100 * progress.score / progress.max_score) if progress.max_score else 0
    score = en_to_fa(f"امتیاز: {progress.score} از {progress.max_score} ({percent}٪)")
    jalali = en_to_fa(JalaliDate(on).strftime("%Y/%m/%d"))
    return (
        "<!DOCTYPE html>\n<html lang=\"fa\" dir=\"rtl\"><head><meta charset=\"utf-8\">"
        f"<title>گواهی پایان درس: {title}</title><style>{_STYLE}</style></head><body>"
        '<div class="card"><p class="small">crmlab · دورهٔ تحلیل داده‌های مدیریت ارتباط با مشتری</p>'
        "<h1>گواهی پایان درس</h1><p>گواهی می‌شود که</p>"
        f'<div class="name">{esc(name)}</div>'
        f"<p>درس <b dir=\"ltr\">{esc(progress.lesson)}</b> را به پایان رساند: <span dir=\"auto\">{title}</span></p>"
        f"<p>{score}</p>"
        "<table><thead><tr><th>پرسش</th><th>نوع</th><th>وضعیت</th><th>راهنمایی</th>"
        f"<th>دیدن پاسخ</th></tr></thead><tbody>{rows}</tbody></table>"
        f'<p class="small">{jalali}</p></div></body></html>\n'
    )


def write_certificate(
    progress: LessonProgress,
    path: str | Path | None = None,
    *,
    name: str | None = None,
    directory: Path | None = None,
    language: str = "en",
) -> Path:
    """Write the certificate of a completed lesson.

    Parameters
    ----------
    progress : LessonProgress
        The lesson's progress; every checked question must be correct.
    path : str or Path, optional
        The file to write; by default ``<directory>/certificates/<lesson>.html``.
    name : str, optional
        The learner's name; by default the one set with
        :func:`~crmlab.exercises.learner.set_learner_name` (or ``$CRMLAB_LEARNER_NAME``).
    directory : Path, optional
        The progress folder; by default :func:`~crmlab.exercises.progress_log.progress_dir`.
    language : {"en", "fa"}
        The certificate's language (see :func:`render_certificate`).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    CertificateError
        When the log was edited by hand (its checksums fail) or holds lines that cannot be
        verified; when the lesson is not complete, naming what is left; or when no name is set,
        saying how to set one.
    """
    log = (directory or progress_dir()) / f"{progress.lesson}.jsonl"
    if progress.tampered_lines:
        problem = (f"this log was edited by hand. {progress.tampered_lines} line(s) of {log} do not match their "
                   "checksums, so the lesson's score cannot be trusted")  # fmt: skip
    elif progress.unverified_lines:
        problem = (f"{progress.unverified_lines} line(s) of {log} carry no checksum this course can verify (lines "
                   "with their sums removed, lines written by a course version before checksums, or with another "
                   "class key setting), so the lesson's score cannot be certified")  # fmt: skip
    else:
        problem = ""
    if problem:
        raise CertificateError(
            f"No certificate: {problem}. If you did not edit the log, show this message to your instructor. To "
            "start the lesson's record afresh, move that file out of the folder and run the lesson's checks again."
        )
    if not progress.complete:
        left = ", ".join(progress.remaining) or "its questions"
        raise CertificateError(
            f"Not yet: lesson {progress.lesson} needs every question correct first. "
            f"Still to do: {left}. {progress.score_text()}."
        )
    learner = _learner(name, directory)
    if path is None:
        path = (directory or progress_dir()) / "certificates" / f"{progress.lesson}.html"
    page = render_certificate(progress, learner, date.today(), language)  # checks `language` before writing
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def _learner(name: str | None, directory: Path | None) -> str:
    try:
        learner = check_learner_name(name) if name is not None else learner_name(directory=directory)
    except LearnerNameError as exc:
        raise CertificateError(f"Your certificate is ready except for your name: {exc}") from None
    if learner is None:
        raise CertificateError(f"Your certificate is ready except for your name. {HOW_TO_SET} "
                               "Then ask for the certificate again.")  # fmt: skip
    return learner
