"""The one-page manager report: formatting, structure, escaping, and the checks that keep it a page."""

from __future__ import annotations

import math
import re

import pytest

from crmlab.analysis.report import ManagerReport, count, money, percent
from crmlab.conventions import Conventions, from_mapping


def _report(**changes):
    parts = {
        "title": "Win-back mailing",
        "findings": ["Half of the customers bought once.", "A third bring three quarters of the revenue."],
        "recommendation": "Mail the 1,594 lapsed customers worth more than a letter.",
        "numbers": {"letters": 1594, "cost": money(1594), "return per rial": 0.993},
        "risks": ["The lift is assumed: keep a control group."],
        "subtitle": "Data to 30 June 1998",
    }
    return ManagerReport(**(parts | changes))


# ---------------------------------------------------------------- formatters


# The course's currency is the rial (IRR) since the flip; the roundings are by hand, half away from zero.
@pytest.mark.parametrize(("value", "decimals", "text"), [
    (1583.48, 0, "IRR 1,583"), (-1017.48, 0, "IRR -1,017"), (2_500_315.63, 0, "IRR 2,500,316"),
    (0.675, 2, "IRR 0.68"), (-0.004, 2, "IRR 0.00"), (5, 2, "IRR 5.00"), (1583.5, 0, "IRR 1,584"),
    (48_250_000, 0, "IRR 48,250,000"), (-1_234_567.5, 0, "IRR -1,234,568"),
])  # fmt: skip
def test_money_in_the_course_currency_by_default(value, decimals, text):
    assert money(value, decimals) == text


def _shop(currency: str) -> Conventions:
    return from_mapping({"timezone": "UTC", "currency": currency, "as_of": "2025-01-01"})


@pytest.mark.parametrize(("currency", "value", "decimals", "text"), [
    ("GBP", 1234.5, 0, "GBP 1,235"),           # pounds: half a pound rounds up
    ("GBP", -1017.48, 2, "GBP -1,017.48"),
    ("IRR", 1_500_000, 0, "IRR 1,500,000"),    # rial, no minor unit: whole rials
    ("IRR", 2_499_999.5, 0, "IRR 2,500,000"),
    ("BHD", 1234.5675, 3, "BHD 1,234.568"),    # dinar, three decimals (fils)
    ("BHD", 0.0005, 3, "BHD 0.001"),
    ("BHD", 1234.5675, 0, "BHD 1,235"),
])  # fmt: skip
def test_money_in_the_data_currency_by_hand(currency, value, decimals, text):
    assert money(value, decimals, conventions=_shop(currency)) == text
    assert money(value, decimals, currency=currency) == text  # the code alone says the same
    assert money(value, decimals, currency=f"{currency} ") == text  # as lesson 13 wrote it


@pytest.mark.parametrize("sign", ["$", "\u20ac", "US$", "usd", 12])
def test_money_refuses_a_sign_instead_of_a_currency_code(sign):
    with pytest.raises(ValueError, match=rf"`currency` must be an ISO 4217 code.*but {re.escape(repr(sign))} was"):
        money(1234.5, currency=sign)


@pytest.mark.parametrize(("share", "decimals", "text"), [
    (0.5114, 0, "51%"), (1 / 3, 1, "33.3%"), (-0.1427, 0, "-14%"), (0.0017, 1, "0.2%"), (1, 0, "100%"),
])
def test_percent(share, decimals, text):
    assert percent(share, decimals) == text


def test_count():
    assert (count(23570), count(1594.0), count(1e6), count(-255)) == ("23,570", "1,594", "1,000,000", "-255")


@pytest.mark.parametrize("bad", [math.nan, math.inf, "12", None, True])
@pytest.mark.parametrize("formatter", [money, percent, count])
def test_formatters_refuse_what_is_not_a_finite_number(formatter, bad):
    with pytest.raises(ValueError, match="must be a finite number"):
        formatter(bad)


# ---------------------------------------------------------------- the page


def test_markdown_has_the_four_parts_in_order():
    text = _report().to_markdown()
    assert text.splitlines()[:2] == ["## Win-back mailing", "*Data to 30 June 1998*"]
    positions = [text.index(h) for h in ("**Findings**", "**Recommendation.**", "**The numbers behind it**",
                                         "**Risks**")]  # fmt: skip
    assert positions == sorted(positions)
    assert "1. Half of the customers bought once.\n2. A third bring three quarters of the revenue." in text
    assert "- The lift is assumed: keep a control group." in text


def test_markdown_table_formats_each_kind_of_number():
    rows = [line for line in _report().to_markdown().splitlines() if line.startswith("| ") and "---" not in line]
    assert rows == ["| | |", "| letters | 1,594 |", "| cost | IRR 1,594 |", "| return per rial | 0.99 |"]


def test_markdown_escapes_dollars_pipes_and_html():
    report = _report(findings=["Spend $5 to earn $20 <b>now</b>."], numbers={"a | b": "x | y"})
    text = report.to_markdown()
    assert "Spend \\$5 to earn \\$20 &lt;b&gt;now&lt;/b&gt;." in text  # no math between $ signs, no raw HTML
    assert "| a &#124; b | x &#124; y |" in text
    assert report._repr_markdown_() == text


def test_html_is_a_standalone_escaped_page():
    page = _report(findings=["<script>alert(1)</script>", "A & B"], title="Plan <v2>").to_html()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<h1>Plan &lt;v2&gt;</h1>" in page and "<title>Plan &lt;v2&gt;</title>" in page
    assert page.count("<li>") == 3  # two findings, one risk
    assert '<tr><td>letters</td><td class="value">1,594</td></tr>' in page


def test_word_count():
    report = ManagerReport("Two words", ["Three words here."], "One.", {"n": 3}, ["Four words are here."])
    assert report.words == 2 + 3 + 1 + 2 + 4


def test_subtitle_is_optional():
    text = ManagerReport("Plan", ["One finding."], "Do it.", {"n": 3}, ["None known."]).to_markdown()
    assert text.splitlines()[:2] == ["## Plan", ""]


# ---------------------------------------------------------------- the checks


def test_a_forgotten_f_string_is_refused():
    with pytest.raises(ValueError, match=r"placeholder \{n_target\}.*f-string"):
        _report(recommendation="Mail the {n_target} customers.")
    with pytest.raises(ValueError, match=r"\{share:.0%\}"):
        _report(findings=["{share:.0%} bought once."])


def test_braces_that_are_not_placeholders_are_fine():
    assert "{1, 2}" in _report(findings=["The set {1, 2} is fine."]).to_markdown()


def test_one_text_instead_of_a_list_is_explained():
    with pytest.raises(TypeError, match="Put it in brackets"):
        _report(findings="Half of the customers bought once.")


@pytest.mark.parametrize(("part", "value", "error"), [
    ("risks", [], TypeError), ("findings", None, TypeError), ("findings", ["ok", ""], TypeError),
    ("findings", ["one"] * 6, ValueError), ("title", "  ", TypeError), ("recommendation", 3, TypeError),
    ("numbers", {}, TypeError), ("numbers", [("a", 1)], TypeError), ("numbers", {"flag": True}, TypeError),
    ("numbers", {"x": math.nan}, ValueError), ("numbers", {"x": [1, 2]}, TypeError),
])
def test_missing_or_malformed_parts_are_refused(part, value, error):
    with pytest.raises(error, match=part):
        _report(**{part: value})


def test_a_report_longer_than_a_page_is_refused():
    long = ["word " * 120] * 4
    with pytest.raises(ValueError, match=r"has \d+ words, more than fits on one page"):
        _report(findings=long)
    assert _report(findings=long, max_words=1_000).words > 450


def test_save_writes_html_or_markdown(tmp_path):
    report = _report()
    html_path = report.save(tmp_path / "report.html")
    assert html_path.read_text(encoding="utf-8") == report.to_html() + "\n"
    md_path = report.save(str(tmp_path / "report.md"))
    assert md_path.read_text(encoding="utf-8") == report.to_markdown() + "\n"


def test_save_refuses_unknown_suffixes_and_missing_folders(tmp_path):
    with pytest.raises(ValueError, match=r"\.html"):
        _report().save(tmp_path / "report.pdf")
    with pytest.raises(FileNotFoundError, match="Create it first"):
        _report().save(tmp_path / "missing" / "report.html")
    with pytest.raises(TypeError, match="file name"):
        _report().save(None)
