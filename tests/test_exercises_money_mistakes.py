"""The unit mistakes on money columns: dividing whole rials by 100 (the cents habit) or by 10 (toman).

One factory, :func:`crmlab.exercises.lessons.money_mistakes.unit_mistakes`, writes both for every
question whose answer is rials; here by hand on a tiny example, then on each question that uses it.
"""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab.exercises import CompareOptions, Question, lesson
from crmlab.exercises.feedback import Status
from crmlab.exercises.lessons.money_mistakes import unit_mistakes

RIALS = pd.Series([12_990_000, 500], index=["web", "store"], name="revenue_rial")


def _revenue(divide: float) -> pd.Series:
    return RIALS / divide


def test_the_two_wrong_answers_by_hand():
    cents, toman = unit_mistakes("total_cents", _revenue)
    pd.testing.assert_series_equal(cents.expected(), pd.Series([129_900.0, 5.0], index=["web", "store"],
                                                                name="revenue_rial"))  # fmt: skip
    pd.testing.assert_series_equal(toman.expected(), pd.Series([1_299_000.0, 50.0], index=["web", "store"],
                                                                name="revenue_rial"))  # fmt: skip


def test_each_matches_its_own_wrong_answer_only():
    cents, toman = unit_mistakes("total_cents", _revenue)
    options = CompareOptions()
    assert cents.matches(RIALS / 100, options) and not cents.matches(RIALS / 10, options)
    assert toman.matches(RIALS / 10, options) and not toman.matches(RIALS / 100, options)
    assert not cents.matches(RIALS, options) and not toman.matches(RIALS, options)


def test_the_wrong_answers_are_computed_lazily():
    calls = []
    cents, toman = unit_mistakes("total_cents", lambda divide: calls.append(divide) or 1.0)
    assert calls == []
    cents.prime()
    toman.prime()
    cents.prime()  # computed once
    assert calls == [100, 10]


def test_messages_name_the_column_the_quantity_and_the_note():
    cents, toman = unit_mistakes("amount_cents", _revenue, what="velocity", note="A particular detail.")
    assert cents.message.startswith("Your velocity is 100 times too small: you divided `amount_cents` by 100")
    assert "as if it held cents" in cents.message and "whole rials" in cents.message
    assert toman.message.startswith("Your velocity is in toman, a tenth of the rials")
    assert "`amount_cents` holds rials" in toman.message
    assert cents.message.endswith(" A particular detail.") and toman.message.endswith(" A particular detail.")
    plain = unit_mistakes("total_cents", _revenue)
    assert plain[0].message.startswith("Your revenue is") and plain[0].message.endswith("as they are.")


# The questions that use the factory: (lesson, question, column, quantity, note).
USES = [
    ("00_welcome", "q2", "total_cents", "revenue", ""),
    ("01_crm_goals", "q11", "total_cents", "revenue",
     "The vendor's quote is in rials too: benefit and cost must be in the same unit."),
    ("08_clv_churn", "q3", "total_cents", "spend", ""),
    ("11_pipeline", "q3", "amount_cents", "velocity", ""),
    ("11_pipeline", "q5", "amount_cents", "weighted pipeline", ""),
]  # fmt: skip


@pytest.mark.parametrize(("lesson_id", "qid", "column", "what", "note"), USES, ids=lambda v: str(v))
def test_each_question_reports_both_unit_mistakes(lesson_id, qid, column, what, note):
    question = next(q for q in lesson(lesson_id).items if isinstance(q, Question) and q.id == qid)
    wording = [m.message for m in unit_mistakes(column, lambda divide: None, what=what, note=note)]
    found = [m for m in question.mistakes if m.message in wording]
    assert [m.message for m in found] == wording
    for mistake in found:
        feedback = question.evaluate(mistake.expected())
        assert feedback.status is Status.INCORRECT and feedback.message == mistake.message
