"""Lesson 05's exercises: the right answer passes, known mistakes get their message,
junk gets feedback (never a traceback), and the blank is "not attempted"."""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import crmlab
from crmlab.exercises import lesson
from crmlab.exercises.feedback import Status
from crmlab.exercises.lessons.l05_rfm import HOSTILE_NAME

QUESTIONS = ["q1", "q2", "q3", "q4", "q5"]


@pytest.fixture(scope="module")
def crm():
    return crmlab.practice_crm(tables=["orders", "customers"])


@pytest.fixture
def ex():
    return lesson("05_rfm")


# ---------------------------------------------------------------- the learner's way, written independently


def _purchases(crm, statuses=("completed",), tz="Asia/Tehran"):
    p = crm.orders[crm.orders["status"].isin(statuses)]
    return p.assign(ordered_local=p["ordered_at"].dt.tz_convert(tz))


def _days(p):
    return p["ordered_local"].dt.date


def _daily(p):
    return p.groupby(["customer_id", _days(p)])["total_cents"].sum()


def _summary(p):
    last = _days(p).groupby(p["customer_id"]).max()
    return pd.DataFrame({
        "days_since_last_order": (pd.Timestamp("2025-12-31") - pd.to_datetime(last)).dt.days,
        "n_orders": p.groupby("customer_id").size(),
        "total_spend": p.groupby("customer_id")["total_cents"].sum(),
    })


def _table(summary):
    from crmlab.analysis import rfm

    return rfm.rfm_table(summary)


def _shared_scores(values, bins=5):
    """By hand, without ranks: 1 + floor(bins * customers with strictly fewer orders / customers)."""
    v = values.to_numpy()
    fewer = (v[None, :] < v[:, None]).sum(axis=1)
    return pd.Series(1 + bins * fewer // len(v), index=values.index)


def _cell(tmp_path, writer):
    path = tmp_path / "signup.csv"
    writer(pd.DataFrame({"first_name": [HOSTILE_NAME], "phone": ["+989121234567"]}), path)
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))[1][0]


@pytest.fixture(scope="module")
def right(crm, tmp_path_factory):
    from crmlab.export import to_safe_csv

    p = _purchases(crm)
    daily = _daily(p)
    repeat = daily[daily.groupby(level="customer_id").cumcount() > 0]
    ids = daily.index.unique("customer_id")
    summary = _summary(p)
    return {
        "q1": _days(p).groupby(p["customer_id"]).nunique() - 1,
        "q2": repeat.groupby(level="customer_id").mean().reindex(ids, fill_value=0),
        "q3": _shared_scores(summary["n_orders"]),
        "q4": int((_table(summary)["segment"] == "At risk").sum()),
        "q5": _cell(tmp_path_factory.mktemp("q5"), to_safe_csv),
    }


@pytest.mark.parametrize("qid", QUESTIONS)
def test_solution_passes(ex, right, qid):
    feedback = getattr(ex, qid).check(right[qid])
    assert feedback.status is Status.CORRECT, str(feedback)


def test_solution_variants_pass(ex, crm, right):
    from crmlab.analysis import rfm

    p = _purchases(crm)
    model = rfm.rfm_summary(p, datetime_col="ordered_local", monetary_value_col="total_cents",
                            observation_period_end="2025-12-31")  # fmt: skip
    assert ex.q1.check(model["frequency"]).status is Status.CORRECT
    assert ex.q2.check(model["monetary_value"].sample(frac=1, random_state=1)).status is Status.CORRECT
    summary = rfm.customer_summary(p, datetime_col="ordered_local", as_of="2025-12-31")
    assert ex.q3.check(rfm.quantile_score(summary["n_orders"])).status is Status.CORRECT
    formula = 1 + (summary["n_orders"].rank(method="min") - 1) * 5 // len(summary)  # floats, as pandas gives them
    assert ex.q3.check(formula).status is Status.CORRECT
    shuffled = summary.sample(frac=1.0, random_state=4)  # rows in another order: the same scores
    assert ex.q3.check(rfm.quantile_score(shuffled["n_orders"])).status is Status.CORRECT
    assert ex.q4.check(float(right["q4"])).status is Status.CORRECT
    assert right["q5"] == "'" + HOSTILE_NAME  # neutralised: a single quote in front


def _utc(crm):
    p = _purchases(crm).assign(ordered_local=lambda d: d["ordered_at"])
    return _days(p).groupby(p["customer_id"]).nunique() - 1


def _all_days_mean(crm):
    return _daily(_purchases(crm)).groupby(level="customer_id").mean()


def _nan_for_one_timers(crm, right):
    return right["q2"].where(right["q1"].reindex(right["q2"].index) > 0)


def _formula(crm, method, ascending=True):
    orders = _summary(_purchases(crm))["n_orders"]
    return 1 + (orders.rank(method=method, ascending=ascending) - 1) * 5 // len(orders)


def _split_by_row_order(crm):
    """Ties broken by a shuffled row order: equal customers get different scores."""
    orders = _summary(_purchases(crm))["n_orders"].sample(frac=1.0, random_state=9)
    return (1 + (orders.rank(method="first") - 1) * 5 // len(orders)).sort_index()


def _lifetimes_recency(crm):
    from crmlab.analysis import rfm

    model = rfm.rfm_summary(_purchases(crm), datetime_col="ordered_local", observation_period_end="2025-12-31",
                            monetary_value_col="total_cents")  # fmt: skip
    table = rfm.rfm_table(model, recency="recency", frequency="frequency", monetary="monetary_value")
    return int((table["segment"] == "At risk").sum())


def _raw_to_csv(tmp_path):
    return _cell(tmp_path, lambda df, path: df.to_csv(path, index=False))


@pytest.mark.parametrize(
    ("qid", "wrong", "message"),
    [
        ("q1", lambda crm, right: right["q1"] + 1, "You counted the first purchase as a repeat purchase"),
        ("q1", lambda crm, right: crm.orders[crm.orders["status"] == "completed"].groupby("customer_id").size() - 1,
         "You counted orders, not purchase days"),
        ("q1", lambda crm, right: _utc(crm), "Your days follow UTC"),
        ("q2", lambda crm, right: _all_days_mean(crm), "the first one included"),
        ("q2", _nan_for_one_timers, "NaN in your Series; lifetimes gives them 0"),
        ("q2", lambda crm, right: right["q2"] / 10, "amounts in toman"),  # rials shown as toman
        ("q3", lambda crm, right: pd.qcut(_summary(_purchases(crm))["n_orders"].rank(method="first"), 5,
                                          labels=False) + 1, "by their customer id (`rank(method='first')`)"),
        ("q3", lambda crm, right: _split_by_row_order(crm), "something other than their orders decided"),
        ("q3", lambda crm, right: _formula(crm, "average"), "`rank(method='average')`"),
        ("q3", lambda crm, right: _formula(crm, "max"), "`rank(method='max')`"),
        ("q3", lambda crm, right: 6 - right["q3"], "wrong way"),
        ("q3", lambda crm, right: right["q3"].clip(upper=3), "fewer than five values"),
        ("q4", lambda crm, right: _lifetimes_recency(crm), "You scored lifetimes' `recency`"),
        ("q4", lambda crm, right: int((_table(_summary(_purchases(crm, ("completed", "cancelled", "returned"))))
                                       ["segment"] == "At risk").sum()), "cancelled and returned"),
        ("q5", lambda crm, right: HOSTILE_NAME, "still starts with `=`"),
        ("q5", lambda crm, right: "+989121234567", "phone number's cell"),
        # the first purchase day (or order) left in, the way learners write it
        ("q1", lambda crm, right: _purchases(crm).groupby("customer_id").size(), "every order, the first one included"),
        ("q2", lambda crm, right: _all_days_mean(crm).where(right["q1"] > 0, 0), "and gave the one-time buyers 0"),
        ("q2", lambda crm, right: _purchases(crm).groupby("customer_id")["total_cents"].mean(),
         "every order, the first one included"),
        # 1 = best instead of 5 = best, and bins instead of scores
        ("q3", lambda crm, right: _formula(crm, "min", ascending=False),
         "1 went to the customers with the most orders"),
        ("q3", lambda crm, right: pd.qcut(_summary(_purchases(crm))["n_orders"].rank(method="first"), 5),
         "pandas Intervals"),
        ("q3", lambda crm, right: pd.qcut(_summary(_purchases(crm))["n_orders"].rank(method="first"), 5).astype(object),
         "pandas Intervals"),
        ("q3", lambda crm, right: right["q3"] - 1, "from 0 to 4"),
    ],
)
def test_known_mistakes_get_their_message(ex, crm, right, qid, wrong, message):
    feedback = getattr(ex, qid).check(wrong(crm, right))
    assert feedback.status is Status.INCORRECT, str(feedback)
    assert message in feedback.message


def _without_first_order(crm, right):
    p = _purchases(crm).sort_values("ordered_at")
    rest = p[p.groupby("customer_id").cumcount() > 0]
    return _daily(rest).groupby(level="customer_id").mean().reindex(right["q2"].index, fill_value=0)


def test_leaving_out_the_first_order_is_no_mistake_on_the_practice_company(ex, crm, right):
    """q2 lost its mistake "the first *order* left out rather than the first *day*": on the practice company
    (the Iranian retailer since the flip) no customer ordered twice on their first local day, counted here by
    hand, so both ways give the same averages and the answer is right."""
    p = _purchases(crm)
    first_day = _days(p).groupby(p["customer_id"]).transform("min")
    assert p[_days(p) == first_day].groupby("customer_id").size().max() == 1
    assert (p.groupby(["customer_id", _days(p)]).size() > 1).any()  # two orders on a later day do occur
    assert ex.q2.check(_without_first_order(crm, right)).status is Status.CORRECT


@pytest.mark.parametrize("spelling", ["At Risk", "at risk", "At-Risk", "at_risk", "AT RISK"])
def test_a_segment_spelled_differently_is_named(ex, crm, spelling):
    table = _table(_summary(_purchases(crm)))
    feedback = ex.q4.check(int((table["segment"] == spelling).sum()))
    assert feedback.status is Status.INCORRECT
    assert "spelled exactly 'At risk'" in feedback.message and "not the expected value" not in feedback.message


def test_interval_advice_works(ex, crm, right):
    """The advice given for bins, followed literally, gives the right answer (pd.to_numeric would not).
    The bins are cut from ranks 'first': over a fifth of the practice company's customers bought once,
    so `pd.qcut` of ranks 'min' stops at equal edges (asserted) and gives no bins to hand in."""
    orders = _summary(_purchases(crm))["n_orders"]
    assert (orders == 1).mean() > 0.2
    with pytest.raises(ValueError, match="Bin edges must be unique"):
        pd.qcut(orders.rank(method="min"), 5)
    message = ex.q3.check(pd.qcut(orders.rank(method="first"), 5)).message
    assert "rank(method='min') - 1" in message and "to_numeric" not in message
    fewer = orders.rank(method="min") - 1
    assert ex.q3.check(1 + fewer * 5 // len(orders)).status is Status.CORRECT
    with pytest.raises((TypeError, ValueError)):
        pd.to_numeric(pd.qcut(orders.rank(method="first"), 5))


def test_the_id_split_is_caught_whatever_the_id_order(ex, crm, right):
    """Equal-sized groups split by id are wrong in either id order, and the answer moves with the ids."""
    orders = _summary(_purchases(crm))["n_orders"]
    by_id = pd.qcut(orders.rank(method="first"), 5, labels=False) + 1
    flipped = (pd.qcut(orders.iloc[::-1].rank(method="first"), 5, labels=False) + 1).reindex(orders.index)
    assert (by_id != flipped).sum() > 0  # the ids decide
    for wrong in (by_id, flipped):
        feedback = ex.q3.check(wrong)
        assert feedback.status is Status.INCORRECT and "Equal values must share a score" in feedback.message


def test_writing_with_plain_to_csv_is_the_targeted_mistake(ex, tmp_path):
    feedback = ex.q5.check(_raw_to_csv(tmp_path))
    assert feedback.status is Status.INCORRECT and "to_safe_csv" in feedback.message


def test_a_wrong_series_says_what_is_wrong_without_the_answer(ex, right):
    wrong = right["q2"] + 1
    feedback = ex.q2.check(wrong)
    assert feedback.status is Status.INCORRECT
    assert f"{right['q2'].iloc[3]:.2f}" not in str(feedback)  # expected values are never shown


def test_a_table_for_a_series(ex, right):
    feedback = ex.q1.check(right["q1"].rename("frequency").reset_index())
    assert feedback.status is Status.INCORRECT
    assert feedback.message


def test_learner_code_that_raises_is_explained(ex, crm):
    feedback = ex.q1.check_code(lambda: crm.orders.groupby("customer_idd")["order_id"].nunique())
    assert feedback.status is Status.LEARNER_ERROR
    assert "customer_idd" in feedback.message


@pytest.mark.parametrize(("qid", "answer", "status", "text"), [
    ("q6", "b", Status.CORRECT, "Half of the customers never came back"),
    ("q6", "a", Status.INCORRECT, "no gaps in the summary"),
    ("q6", "c", Status.INCORRECT, "many equal values"),
    ("q7", "b", Status.CORRECT, "T - recency"),
    ("q7", "a", Status.INCORRECT, "not the time since the last purchase"),
    ("q8", "b", Status.CORRECT, "to_safe_csv"),
    ("q8", "c", Status.INCORRECT, "Quoting numbers turns them into text"),
    ("q8", "d", Status.INCORRECT, "reads a cell starting with = as a formula"),
])
def test_quizzes(ex, qid, answer, status, text):
    feedback = ex.quiz(qid, answer=answer)
    assert feedback.status is status and text in feedback.message


def test_hints_get_more_specific_and_solution_is_recorded(ex):
    first, third = str(ex.q3.hint()), str(ex.q3.hint(3))
    assert "interpolated quantiles" in first and "rank(method='min')" in third
    assert "rank(method='min')" in str(ex.q3.solution())
    assert "q3" in str(ex.progress())


def test_reflection_is_recorded_unchecked(ex):
    assert ex.q9.check("At risk, with a personal win-back message.").status is Status.UNCHECKED


def test_every_item_of_the_lesson_is_in_the_exercises():
    source = Path(__file__).resolve().parents[1] / "exercises" / "source" / "05_rfm_exercises.ipynb"
    text = "\n".join(c.source for c in nbformat.read(source, as_version=4).cells)
    for item in lesson("05_rfm").items:
        assert f'"{item.id}"' in text or f"ex.{item.id}.check(" in text, item.id
