"""A one-page report for a manager: findings, a recommendation, the numbers behind it, the risks.

An analysis ends when someone who did not run it can act on it. A manager reads one page:
what we found (three findings), what to do (one recommendation), the numbers it rests on,
and what could make it wrong (the risks). :class:`ManagerReport` holds those four parts,
checks that they fit on a page, and renders them as Markdown (in a notebook) or as a
standalone HTML page (to send).

Write every number into the text from the variable that holds it, with an f-string and
the formatters :func:`money`, :func:`percent` and :func:`count`: a typed-in number goes
stale the day the data changes, a computed one cannot. The report refuses text that still
holds a ``{placeholder}``, the sign of a forgotten ``f`` before the quotes.
"""

from __future__ import annotations

import html
import math
import numbers
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from crmlab.conventions import COURSE, Conventions

__all__ = ["ManagerReport", "count", "money", "percent"]

_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_.\[\]'\"]*(![rsa])?(:[^{}]*)?\}")
_MAX_ITEMS = 5
_STYLE = (
    "body{font-family:Helvetica,Arial,sans-serif;max-width:46em;margin:2em auto;line-height:1.4;color:#222}"
    "h1{font-size:1.4em;margin-bottom:0}p.subtitle{color:#666;margin-top:.2em}"
    "h2{font-size:1.05em;margin:1.2em 0 .4em;border-bottom:1px solid #ddd}"
    "table{border-collapse:collapse}td{padding:.15em .8em .15em 0;border-bottom:1px solid #eee}"
    "td.value{text-align:right;font-weight:bold}@page{size:A4;margin:1.5cm}"
)


def _finite(value: object, argument: str) -> float:
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(float(value)):
        raise ValueError(f"The value for `{argument}` must be a finite number, but {value!r} was passed.")
    return float(value)


def money(value: float, decimals: int = 0, currency: str | None = None, *, conventions: Conventions = COURSE) -> str:
    """An amount of money as a manager reads it, with its currency: ``IRR 1,583,480``, ``GBP -1,018``.

    The amount is in the currency's major unit (dollars, pounds, rials), as an analysis
    computes it (a mean order, a lifetime value, a budget); an amount read from a money
    column (``total_cents``) is in minor units: write it with ``conventions.money``. Both
    write the currency's code, never a sign such as "$" (which dollar?).

    Parameters
    ----------
    value : float
        The amount, in the major unit of the currency.
    decimals : int, default 0
        Digits after the decimal point (0 to 4), rounded half away from zero.
    currency : str, optional
        An ISO 4217 code written instead of ``conventions.currency``, e.g. ``"GBP"``;
        passing ``conventions=`` says the same and more.
    conventions : Conventions, optional
        The company's conventions; default :data:`crmlab.conventions.COURSE` (Iranian rials).

    Returns
    -------
    str

    Examples
    --------
    >>> money(1_583_480.4), money(-1017.5)  # the course's rials
    ('IRR 1,583,480', 'IRR -1,018')
    >>> money(0.675, decimals=2, currency="USD")
    'USD 0.68'
    >>> from crmlab.conventions import from_mapping
    >>> shop = from_mapping({"timezone": "Europe/London", "currency": "GBP", "as_of": "2011-12-09"})
    >>> money(2_500_315.63, conventions=shop), money(12.5, 2, currency="IRR")
    ('GBP 2,500,316', 'IRR 12.50')
    """
    amount = _finite(value, "value")
    if currency is not None:
        conventions = _in_currency(conventions, currency)
    return conventions.money_major(value if isinstance(value, numbers.Integral) else amount, decimals)


def _in_currency(conventions: Conventions, currency: object) -> Conventions:
    code = currency.strip() if isinstance(currency, str) else currency
    if not isinstance(code, str) or not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError(f"The value for `currency` must be an ISO 4217 code such as 'USD', 'GBP' or 'IRR' "
                         f"(or pass `conventions=`), but {currency!r} was passed: a sign such as '$' does not "
                         "say which currency.")  # fmt: skip
    return replace(conventions, currency=code)


def percent(share: float, decimals: int = 0) -> str:
    """A share between 0 and 1 written as a percentage: ``0.5114`` gives ``51%``.

    Parameters
    ----------
    share : float
        The share (0.25 is a quarter), not a percentage already.
    decimals : int, default 0
        Digits after the decimal point.

    Returns
    -------
    str

    Examples
    --------
    >>> percent(0.5114), percent(0.09245, decimals=1), percent(-0.14)
    ('51%', '9.2%', '-14%')
    """
    return f"{_finite(share, 'share'):.{decimals}%}"


def count(value: float) -> str:
    """A whole number with thousands separators: ``23570`` gives ``23,570``.

    Examples
    --------
    >>> count(23570), count(1594.0)
    ('23,570', '1,594')
    """
    return f"{round(_finite(value, 'value')):,}"


def _texts(value: object, argument: str, example: str) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError(f"`{argument}` must be a list of sentences, but one text was passed. "
                        f"Put it in brackets: {argument}=[{example!r}, ...].")  # fmt: skip
    if not isinstance(value, Sequence) or not value:
        raise TypeError(f"`{argument}` must be a non-empty list of sentences, e.g. {argument}=[{example!r}], "
                        f"but {type(value).__name__} was passed.")  # fmt: skip
    if len(value) > _MAX_ITEMS:
        raise ValueError(f"`{argument}` holds {len(value)} items; a one-page report has at most {_MAX_ITEMS} "
                         "(three is usual). Keep the ones that change the decision.")  # fmt: skip
    for item in value:
        _text(item, argument, entry=True)
    return tuple(value)


def _text(value: object, argument: str, entry: bool = False) -> str:
    if not isinstance(value, str) or not value.strip():
        what = f"Each entry of `{argument}`" if entry else f"`{argument}`"
        raise TypeError(f"{what} must be a non-empty text, but {value!r} was passed.")
    found = _PLACEHOLDER.search(value)
    if found:
        raise ValueError(f"The text of `{argument}` still holds the placeholder {found.group()}: "
                         f"write the string as an f-string (f\"...\") so Python puts the number in.")  # fmt: skip
    return value


def _cell(value: object) -> str:
    if isinstance(value, str):
        return _text(value, "numbers", entry=True)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"The values of `numbers` must be text or numbers, but {value!r} was passed. "
                        "Format it first, e.g. with money(...) or percent(...).")  # fmt: skip
    if isinstance(value, numbers.Integral):
        return count(value)
    return f"{_finite(value, 'numbers'):,.2f}"


def _md(text: str) -> str:
    """Text safe in Jupyter's Markdown: no math between dollar signs, no raw HTML."""
    return text.replace("\\", "\\\\").replace("$", "\\$").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class ManagerReport:
    """A one-page report: findings, the recommendation, the numbers behind it, the risks.

    Parameters
    ----------
    title : str
        What the page decides, e.g. "Reactivation mailing, July 1998".
    findings : sequence of str
        What the analysis found, one sentence or two each; three is usual, at most five.
    recommendation : str
        What to do, with its cost and expected return.
    numbers : mapping of str to str or number
        The numbers behind it, by label: text is shown as is (format it with :func:`money`,
        :func:`percent`, :func:`count`), whole numbers get thousands separators, other
        numbers two decimals.
    risks : sequence of str
        What could make the recommendation wrong, and how to find out; at least one.
    subtitle : str, optional
        The data and the day it describes.
    max_words : int, default 450
        The page's limit: a longer report raises, because a manager will not read it.

    Raises
    ------
    TypeError, ValueError
        When a part is missing or empty, text still holds a ``{placeholder}`` (a forgotten
        f-string), or the report is longer than ``max_words``.

    Examples
    --------
    >>> report = ManagerReport(
    ...     title="Win-back mailing",
    ...     findings=["Half of the customers bought once.", "Lapsed customers are 75% of the base."],
    ...     recommendation="Mail the 1,594 lapsed customers worth more than a letter.",
    ...     numbers={"letters": 1594, "cost": money(1594, currency="USD"), "net": money(1583.5, currency="USD")},
    ...     risks=["The 20% lift is assumed: keep a control group."],
    ...     subtitle="Data to 30 June 1998")
    >>> print(report.to_markdown())
    ## Win-back mailing
    *Data to 30 June 1998*
    <BLANKLINE>
    **Findings**
    <BLANKLINE>
    1. Half of the customers bought once.
    2. Lapsed customers are 75% of the base.
    <BLANKLINE>
    **Recommendation.** Mail the 1,594 lapsed customers worth more than a letter.
    <BLANKLINE>
    **The numbers behind it**
    <BLANKLINE>
    | | |
    |---|---:|
    | letters | 1,594 |
    | cost | USD 1,594 |
    | net | USD 1,584 |
    <BLANKLINE>
    **Risks**
    <BLANKLINE>
    - The 20% lift is assumed: keep a control group.
    >>> report.words
    47
    """

    title: str
    findings: Sequence[str]
    recommendation: str
    numbers: Mapping[str, object]
    risks: Sequence[str]
    subtitle: str = ""
    max_words: int = 450

    def __post_init__(self) -> None:
        _text(self.title, "title")
        _texts(self.findings, "findings", "Half of the customers bought once.")
        _text(self.recommendation, "recommendation")
        _texts(self.risks, "risks", "The lift is assumed: keep a control group.")
        if self.subtitle:
            _text(self.subtitle, "subtitle")
        if not isinstance(self.numbers, Mapping) or not self.numbers:
            raise TypeError("`numbers` must be a non-empty dict of label: value, e.g. {'customers': 23570}, "
                            f"but {type(self.numbers).__name__} was passed.")  # fmt: skip
        for label, value in self.numbers.items():
            _text(label, "numbers", entry=True)
            _cell(value)
        if self.words > self.max_words:
            raise ValueError(f"The report has {self.words} words, more than fits on one page (`max_words`="
                             f"{self.max_words}). Shorten the findings and risks, or move detail to an "
                             "appendix.")  # fmt: skip

    def _rows(self) -> list[tuple[str, str]]:
        return [(label, _cell(value)) for label, value in self.numbers.items()]

    @property
    def words(self) -> int:
        """Number of words on the page (title, text and table)."""
        parts = [self.title, self.subtitle, *self.findings, self.recommendation, *self.risks]
        parts += [f"{label} {value}" for label, value in self._rows()]
        return sum(len(part.split()) for part in parts)

    def to_markdown(self) -> str:
        """The page as Markdown, for a notebook cell (dollar signs escaped so they are not read as math)."""
        lines = [f"## {_md(self.title)}"]
        if self.subtitle:
            lines.append(f"*{_md(self.subtitle)}*")
        lines += ["", "**Findings**", ""]
        lines += [f"{i}. {_md(text)}" for i, text in enumerate(self.findings, start=1)]
        lines += ["", f"**Recommendation.** {_md(self.recommendation)}", "", "**The numbers behind it**", ""]
        lines += ["| | |", "|---|---:|"]
        lines += [f"| {_md(label).replace('|', '&#124;')} | {_md(value).replace('|', '&#124;')} |"
                  for label, value in self._rows()]  # fmt: skip
        lines += ["", "**Risks**", ""]
        lines += [f"- {_md(text)}" for text in self.risks]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def to_html(self) -> str:
        """The page as a standalone HTML document, every text escaped, ready to print or e-mail.

        Examples
        --------
        >>> page = ManagerReport("Plan <draft>", ["A & B."], "Do it.", {"n": 3}, ["None known."]).to_html()
        >>> "<h1>Plan &lt;draft&gt;</h1>" in page, "<li>A &amp; B.</li>" in page
        (True, True)
        """
        esc = html.escape
        parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
                 f"<title>{esc(self.title)}</title><style>{_STYLE}</style></head><body>",
                 f"<h1>{esc(self.title)}</h1>"]  # fmt: skip
        if self.subtitle:
            parts.append(f'<p class="subtitle">{esc(self.subtitle)}</p>')
        parts += ["<h2>Findings</h2>", "<ol>", *(f"<li>{esc(t)}</li>" for t in self.findings), "</ol>"]
        parts += ["<h2>Recommendation</h2>", f"<p>{esc(self.recommendation)}</p>", "<h2>The numbers behind it</h2>"]
        rows = (f'<tr><td>{esc(label)}</td><td class="value">{esc(value)}</td></tr>' for label, value in self._rows())
        parts += ["<table>", *rows, "</table>", "<h2>Risks</h2>", "<ul>", *(f"<li>{esc(t)}</li>" for t in self.risks)]
        parts += ["</ul>", "</body></html>"]
        return "\n".join(parts)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the page: HTML for a ``.html`` file, Markdown for ``.md``.

        Examples
        --------
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> report = ManagerReport("Plan", ["One finding."], "Do it.", {"n": 3}, ["None known."])
        >>> report.save(f"{folder}/plan.html").read_text(encoding="utf-8")[:15]
        '<!DOCTYPE html>'
        """
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"`path` must be a file name (str or pathlib.Path), but {type(path).__name__} was passed.")
        target = Path(path)
        writers = {".html": self.to_html, ".htm": self.to_html, ".md": self.to_markdown}
        if target.suffix.lower() not in writers:
            raise ValueError(f"The value for `path` must end in one of {list(writers)}, "
                             f"but {str(target)!r} was passed.")  # fmt: skip
        if not target.parent.is_dir():
            raise FileNotFoundError(f"The folder of `path` does not exist: {str(target.parent)!r}. Create it first.")
        target.write_text(writers[target.suffix.lower()]() + "\n", encoding="utf-8")
        return target
