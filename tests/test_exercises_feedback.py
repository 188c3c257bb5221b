"""Feedback and Message: stable plain text, colour-coded HTML."""

import re

from crmlab.exercises import Check, Feedback, Message, Status
from crmlab.exercises.blank import BLANK, ____, is_blank

UNSTABLE = re.compile(r"0x[0-9a-fA-F]{4,}|\d{2}:\d{2}:\d{2}|/tmp/|\bat 0x")


def _feedback():
    return Feedback(
        Status.INCORRECT,
        "Values in column `frequency` differ in 2 of 4 rows.",
        (Check("answer is a DataFrame", True), Check("values of column `frequency`", False)),
        rows="Rows of your answer that differ (2 of 2 shown):\n    customer_id  frequency",
        question="q3",
    )


def test_plain_text_is_message_then_checks_then_rows():
    assert str(_feedback()).splitlines() == [
        "q3 · Not quite: Values in column `frequency` differ in 2 of 4 rows.",
        "1 of 2 checks passed: ✓ answer is a DataFrame; ✗ values of column `frequency`",
        "Rows of your answer that differ (2 of 2 shown):",
        "    customer_id  frequency",
    ]


def test_repr_equals_str_and_is_stable():
    first, second = _feedback(), _feedback()
    assert repr(first) == str(first) == repr(second)
    assert not UNSTABLE.search(repr(first))


def test_summary_counts_checks():
    assert _feedback().summary() == "1 of 2 checks passed"
    assert Feedback(Status.CORRECT, "Well done.").summary() == ""


def test_passed_only_when_correct():
    assert Feedback(Status.CORRECT, "ok").passed
    assert not any(Feedback(s, "x").passed for s in Status if s is not Status.CORRECT)


def test_html_is_colour_coded_and_escaped():
    page = Feedback(Status.CORRECT, "Use <b> and `df.head()`", question="q1")._repr_html_()
    assert "#2e7d32" in page  # green for correct
    assert "&lt;b&gt;" in page and "<code>df.head()</code>" in page
    wrong = _feedback()._repr_html_()
    assert "#c62828" in wrong and "crmlab-incorrect" in wrong
    colours = {Feedback(s, "x")._repr_html_().split("solid ")[1][:7] for s in Status}
    assert len(colours) == len(Status)


def test_message_text_and_code():
    msg = Message("q1 · Solution", "", "n = orders['customer_id'].nunique()")
    assert str(msg) == "q1 · Solution:\n    n = orders['customer_id'].nunique()"
    assert "<pre" in msg._repr_html_()


def test_blank_survives_arithmetic_and_containers():
    assert ____ is BLANK and repr(____) == "____"
    assert is_blank(____ / 3) and is_blank(2 - ____) and is_blank(-____)
    assert is_blank([1, ____]) and is_blank({"a": ____})
    assert not is_blank(0) and not is_blank(None) and not is_blank("____")
