"""Lesson 07's exercises: the right answer passes, known mistakes get their message,
junk gets feedback (never a traceback), and the blank is "not attempted"."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from persiantools.jdatetime import JalaliDate
from statsmodels.duration.survfunc import SurvfuncRight

import crmlab
from crmlab.analysis import cohorts as co
from crmlab.exercises import lesson
from crmlab.exercises.feedback import Status
from crmlab.exercises.lessons.l07_cohorts import CUSTOMER, JALALI_AGE, JALALI_COHORT, RETENTION_COHORT, SIZE_MONTH

END = "2025-12-31"
TZ = "Asia/Tehran"
QUESTIONS = ["q1", "q2", "q3", "q4", "q5", "q11"]


@pytest.fixture(scope="module")
def crm():
    return crmlab.practice_crm(tables=["customers", "orders"])


@pytest.fixture
def ex():
    return lesson("07_cohorts")


def _local_month(orders):
    return orders["ordered_at"].dt.tz_convert(TZ).dt.tz_localize(None).dt.to_period("M")


def _completed(crm):
    return crm.orders[crm.orders["status"] == "completed"]


def _purchase_days(orders):
    """Distinct local purchase days of the completed orders, per customer, sorted."""
    done = orders[orders["status"] == "completed"]
    day = done["ordered_at"].dt.tz_convert(TZ).dt.tz_localize(None).dt.normalize()
    days = pd.DataFrame({"customer_id": done["customer_id"], "day": day}).drop_duplicates()
    return days.sort_values(["customer_id", "day"]).reset_index(drop=True)


def _km_window(orders, share=0.9, censor_open=True):
    """The learner's way with statsmodels' Kaplan-Meier: each wait from a purchase day to the next one, the
    last one open to the end of the data (censored); the first day by which ``share`` of the returns seen
    have happened."""
    days = _purchase_days(orders)
    following = days.groupby("customer_id")["day"].shift(-1)
    length = (following.fillna(pd.Timestamp(END)) - days["day"]).dt.days
    returned = following.notna() if censor_open else pd.Series(True, index=days.index)
    fit = SurvfuncRight(length.to_numpy(), returned.to_numpy().astype(int))
    share_returned = 1 - fit.surv_prob
    return int(fit.surv_times[np.argmax(share_returned / share_returned[-1] >= share - 1e-12)])


def _pooled(orders):
    """The 90th percentile of the closed gaps only, as the lesson used to teach."""
    gaps = _purchase_days(orders).groupby("customer_id")["day"].diff().dt.days.dropna()
    return math.ceil(gaps.quantile(0.9))


def _window(crm):
    return _km_window(crm.orders)


def _lapsed_share(crm, orders, window=None):
    """The learner's way: last completed order per customer, days to the end, share by channel."""
    window = _window(crm) if window is None else window
    last = orders.groupby("customer_id")["ordered_at"].max().dt.tz_convert(TZ).dt.tz_localize(None)
    lapsed = (pd.Timestamp(END) - last.dt.normalize()).dt.days > window
    channel = crm.customers.set_index("customer_id")["acquisition_channel"]
    return lapsed.groupby(channel).mean().rename("lapsed_share").reset_index()


def _jalali_month_number(days: pd.Series) -> pd.Series:
    """Jalali months as year * 12 + month - 1, by persiantools directly (the learner's way, no crmlab)."""
    unique = {d: JalaliDate.to_jalali(d.date()) for d in days.unique()}
    return days.map(lambda d: unique[d].year * 12 + unique[d].month - 1)


def _month_retention(orders, month_of, cohort, age, statuses=("completed",)):
    """Brute force: members of ``cohort`` (a month number) by their first completed order; the share with an
    order of ``statuses`` in month ``cohort + age``."""
    day = orders["ordered_at"].dt.tz_convert(TZ).dt.tz_localize(None).dt.normalize()
    month = month_of(day)
    done = orders["status"] == "completed"
    first = month[done].groupby(orders.loc[done, "customer_id"]).min()
    members = set(first.index[first == cohort])
    active = orders["customer_id"].isin(members) & orders["status"].isin(statuses) & (month == cohort + age)
    return orders.loc[active, "customer_id"].nunique() / len(members)


def _jalali_cohort_number():
    name, year = JALALI_COHORT.split()
    months = ["Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar", "Mehr", "Aban", "Azar", "Dey",
              "Bahman", "Esfand"]  # fmt: skip
    return int(year) * 12 + months.index(name)


def _q11(crm, age=JALALI_AGE, statuses=("completed",)):
    return _month_retention(crm.orders, _jalali_month_number, _jalali_cohort_number(), age, statuses)


def _gregorian_number(day: pd.Series) -> pd.Series:
    return day.dt.year * 12 + day.dt.month - 1


def _right_answers(crm):
    done = _completed(crm)
    mine = done[done["customer_id"] == CUSTOMER]
    return {
        "q1": mine["ordered_at"].min().tz_convert(TZ).strftime("%Y-%m"),
        "q2": co.cohort_sizes(crm.orders, end=END)[pd.Period(SIZE_MONTH, "M")],
        "q3": co.retention_matrix(crm.orders, end=END).loc[pd.Period(RETENTION_COHORT, "M"), 3],
        "q4": _km_window(crm.orders),
        "q5": _lapsed_share(crm, done),
        "q11": _q11(crm),
    }


@pytest.mark.parametrize("qid", QUESTIONS)
def test_solution_passes(ex, crm, qid):
    feedback = getattr(ex, qid).check(_right_answers(crm)[qid])
    assert feedback.status is Status.CORRECT, str(feedback)


def test_solution_variants_pass(ex, crm):
    """By hand, with the helpers, as a Period, with a window up to 3 days off (q4's tolerance): all right."""
    cohort = co.acquisition_cohorts(crm.orders, end=END).loc[CUSTOMER, "cohort"]
    assert ex.q1.check(cohort).status is Status.CORRECT
    done = _completed(crm)
    first = done.groupby("customer_id")["ordered_at"].min()
    by_hand = int((_local_month(first.to_frame()) == pd.Period(SIZE_MONTH, "M")).sum())
    assert ex.q2.check(by_hand).status is Status.CORRECT
    spells = co.purchase_spells(crm.orders, end=END)
    assert ex.q4.check(co.survival_lapse_window(co.next_purchase_survival(spells))).status is Status.CORRECT
    status = co.lapse_status(crm.orders, _window(crm), end=END)
    channel = crm.customers.set_index("customer_id")["acquisition_channel"]
    helper = status["lapsed"].groupby(channel).mean().rename("lapsed_share").to_frame()
    assert ex.q5.check(helper).status is Status.CORRECT  # the channel as the index
    for off in (-3, -1, 1, 3):  # a window q4 accepts gives shares q5 accepts
        assert ex.q5.check(_lapsed_share(crm, done, _window(crm) + off)).status is Status.CORRECT, off


def _cohort_size(crm, orders, tz=TZ):
    first = orders.groupby("customer_id")["ordered_at"].min().dt.tz_convert(tz).dt.tz_localize(None)
    return int((first.dt.to_period("M") == pd.Period(SIZE_MONTH, "M")).sum())


def _month3_active(crm, statuses):
    cohort = pd.Period(RETENTION_COHORT, "M")
    members = co.acquisition_cohorts(crm.orders, end=END).query("cohort == @cohort").index
    orders = crm.orders[crm.orders["customer_id"].isin(members) & crm.orders["status"].isin(statuses)]
    return orders.loc[_local_month(orders) == cohort + 3, "customer_id"].nunique(), len(members)


def _q3_cancelled(crm):
    active, size = _month3_active(crm, ["completed", "cancelled", "returned"])
    return active / size


def _q3_all_customers(crm):
    active, _ = _month3_active(crm, ["completed"])
    return active / len(crm.customers)


MISTAKES = [
    ("q1", lambda crm: _completed(crm).query("customer_id == @CUSTOMER")["ordered_at"].min().strftime("%Y-%m"),
     "That is the month in UTC"),
    ("q2", lambda crm: _cohort_size(crm, _completed(crm), tz="UTC"), "You took the months in UTC"),
    ("q2", lambda crm: _cohort_size(crm, crm.orders), "include cancelled and returned"),
    ("q2", lambda crm: int((crm.customers["signup_date"].dt.to_period("M") == pd.Period(SIZE_MONTH, "M")).sum()),
     "You counted sign-ups"),
    ("q2", lambda crm: int((_local_month(_completed(crm)) == pd.Period(SIZE_MONTH, "M")).sum()),
     "You counted the month's orders"),
    ("q3", _q3_cancelled, "You counted cancelled or returned orders as activity"),
    ("q3", _q3_all_customers, "You divided by every customer in the CRM"),
    ("q3", lambda crm: co.retention_matrix(crm.orders, end=END).loc[pd.Period(RETENTION_COHORT, "M"), 2],
     "Off by one month"),
    ("q3", lambda crm: 100 * co.retention_matrix(crm.orders, end=END).loc[pd.Period(RETENTION_COHORT, "M"), 3],
     "not a percentage"),
    ("q4", lambda crm: _completed(crm)["ordered_at"].diff().dt.days.quantile(0.9), "within* each customer"),
    ("q4", lambda crm: _pooled(crm.orders), "closed gaps only"),
    ("q4", lambda crm: co.lapse_window(co.purchase_gaps(crm.orders, end=END)), "closed gaps only"),
    ("q4", lambda crm: _km_window(crm.orders, censor_open=False), "counted every open gap as a return"),
    ("q4", lambda crm: _km_window(crm.orders.assign(status="completed")), "include cancelled and returned"),
    ("q4", lambda crm: _km_window(crm.orders, share=0.5), "*half* of the returns"),
    ("q5", lambda crm: _lapsed_share(crm, crm.orders), "include cancelled and returned"),
    # Nowruz 1402 was on 21 March 2023 (published; checked with persiantools below): the learner's Gregorian cohorts
    ("q11", lambda crm: _month_retention(crm.orders, _gregorian_number, 2023 * 12 + 2, JALALI_AGE),
     "You took a Gregorian cohort"),
    ("q11", lambda crm: _month_retention(crm.orders, _gregorian_number, 2023 * 12 + 3, JALALI_AGE),
     "You took a Gregorian cohort"),
    ("q11", lambda crm: _month_retention(crm.orders, _gregorian_number, (1402 + 621) * 12 + 0, JALALI_AGE),
     "You added 621 to the year"),
    ("q11", lambda crm: co.retention_matrix(crm.orders, end=END, status=None, calendar="jalali").loc[
        JALALI_COHORT, JALALI_AGE], "include cancelled and returned"),
    ("q11", lambda crm: _q11(crm, age=JALALI_AGE - 1), "Off by one month"),
    ("q11", lambda crm: 100 * _q11(crm), "not a percentage"),
    ("q5", lambda crm: _lapsed_share(crm, _completed(crm)).assign(lapsed_share=lambda d: 1 - d["lapsed_share"]),
     "still active, not lapsed"),
    ("q5", lambda crm: _lapsed_share(crm, _completed(crm)).assign(lapsed_share=lambda d: 100 * d["lapsed_share"]),
     "not percentages"),
]


@pytest.mark.parametrize(("qid", "wrong", "message"), MISTAKES, ids=[f"{q}-{m[:20]}" for q, _, m in MISTAKES])
def test_known_mistakes_get_their_message(ex, crm, qid, wrong, message):
    feedback = getattr(ex, qid).check(wrong(crm))
    assert feedback.status is Status.INCORRECT, str(feedback)
    assert message in feedback.message


def test_never_buyers_counted_as_lapsed(ex, crm):
    status = co.lapse_status(crm.orders, _window(crm), end=END)["lapsed"]
    customers = crm.customers.set_index("customer_id")
    everyone = status.reindex(customers.index, fill_value=True)
    wrong = everyone.groupby(customers["acquisition_channel"]).mean().rename("lapsed_share").reset_index()
    feedback = ex.q5.check(wrong)
    assert feedback.status is Status.INCORRECT and "never completed an order" in feedback.message


def test_the_censored_window_is_longer_than_the_closed_gaps_alone(crm):
    """The reasoning q4 practises: leaving the open gaps out biases the window short, on this data by more than
    the question's tolerance; counting open gaps as returns is a different, wrong answer."""
    right, pooled = _km_window(crm.orders), _pooled(crm.orders)
    assert right > pooled + 3
    assert abs(_km_window(crm.orders, censor_open=False) - right) > 3


def test_the_quiz_on_kaplan_meier_by_hand_agrees_with_the_estimator(ex):
    """q10's four waits: the chance of still waiting after 20 days is 0.375 by the package and by statsmodels."""
    spells = pd.DataFrame({"days": [10, 20, 15, 30], "returned": [True, True, False, True]})
    ours = co.next_purchase_survival(spells).loc[20, "survival"]
    theirs = SurvfuncRight(spells["days"].to_numpy(), spells["returned"].to_numpy().astype(int))
    assert ours == pytest.approx(0.375) == theirs.surv_prob[list(theirs.surv_times).index(20)]
    assert "0.375" in str(ex.quiz("q10", answer="c"))


def test_the_prompted_cases_really_differ(crm):
    """Each targeted mistake of q1-q3 gives a value different from the right one on this data."""
    cohorts = co.acquisition_cohorts(crm.orders, end=END)
    in_utc = co.acquisition_cohorts(crm.orders, tz="UTC", end=END)
    assert cohorts.loc[CUSTOMER, "cohort"] != in_utc.loc[CUSTOMER, "cohort"]
    sizes = {_cohort_size(crm, _completed(crm)), _cohort_size(crm, _completed(crm), "UTC"),
             _cohort_size(crm, crm.orders)}  # fmt: skip
    assert len(sizes) == 3
    right = co.retention_matrix(crm.orders, end=END).loc[pd.Period(RETENTION_COHORT, "M"), 3]
    assert abs(_q3_cancelled(crm) - right) > 0.01


def test_the_jalali_cohort_differs_from_every_shortcut(crm):
    """q11's right answer, counted by hand with persiantools, equals crmlab's Jalali matrix, and each shortcut
    (Gregorian March or April, year + 621) lands more than the tolerance away."""
    right = _q11(crm)
    matrix = co.retention_matrix(crm.orders, end=END, calendar="jalali")
    assert matrix.loc[JALALI_COHORT, JALALI_AGE] == pytest.approx(right)
    assert JalaliDate(1402, 1, 1).to_gregorian() == dt.date(2023, 3, 21)
    for wrong in (2023 * 12 + 2, 2023 * 12 + 3, 2023 * 12):
        assert abs(_month_retention(crm.orders, _gregorian_number, wrong, JALALI_AGE) - right) > 0.01


def test_a_wrong_table_says_what_is_wrong_without_the_answer(ex, crm):
    right = _right_answers(crm)["q5"]
    wrong = right.assign(lapsed_share=right["lapsed_share"] / 2)
    feedback = ex.q5.check(wrong)
    assert feedback.status is Status.INCORRECT
    assert "lapsed_share" in str(feedback)
    assert f"{right['lapsed_share'].iloc[0]:.4f}" not in str(feedback)


def test_a_series_for_q5_is_told_to_make_a_table(ex, crm):
    series = _right_answers(crm)["q5"].set_index("acquisition_channel")["lapsed_share"]
    feedback = ex.q5.check(series)
    assert feedback.status is Status.INCORRECT and feedback.message


def test_a_whole_column_for_q1_is_explained(ex, crm):
    feedback = ex.q1.check(co.acquisition_cohorts(crm.orders, end=END)["cohort"])
    assert feedback.status is Status.INCORRECT
    assert ".loc[customer_id]" in feedback.message


def test_learner_code_that_raises_is_explained(ex, crm):
    feedback = ex.q2.check_code(lambda: co.cohort_sizes(crm.orders, time="orderd_at"))
    assert feedback.status is Status.LEARNER_ERROR
    assert "ordered_at" in feedback.message


def test_reflection_is_recorded_unchecked(ex):
    assert ex.q6.check("Too many false churns; use the Kaplan-Meier window.").status is Status.UNCHECKED


@pytest.mark.parametrize(("qid", "answer", "status", "text"), [
    ("q7", "b", Status.CORRECT, "March 2026"),
    ("q7", "a", Status.INCORRECT, "real 0%"),
    ("q8", "b", Status.CORRECT, "too short"),
    ("q8", "a", Status.INCORRECT, "only unfinished"),
    ("q8", "c", Status.INCORRECT, "longer, not shorter"),
    ("q8", "d", Status.INCORRECT, "pulls the window down"),
    ("q10", "c", Status.CORRECT, "0.375"),
    ("q10", "a", Status.INCORRECT, "only watched for 15 days"),
    ("q10", "b", Status.INCORRECT, "drops the open wait"),
    ("q10", "d", Status.INCORRECT, "as a return on day 15"),
    ("q9", "b", Status.CORRECT, "no later cohort"),
    ("q9", "a", Status.INCORRECT, "three rows"),
])
def test_quizzes(ex, qid, answer, status, text):
    feedback = ex.quiz(qid, answer=answer)
    assert feedback.status is status and text in feedback.message


def test_hints_get_more_specific_and_solution_is_recorded(ex):
    first, third = str(ex.q4.hint()), str(ex.q4.hint(3))
    assert "open wait" in first and "survival_lapse_window" in third
    assert "next_purchase_survival" in str(ex.q4.solution())
    assert "q4" in str(ex.progress())
