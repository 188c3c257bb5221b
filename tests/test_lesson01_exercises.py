"""Lesson 01's exercises: the right answer passes, known mistakes get their message,
junk gets feedback (never a traceback), and the blank is "not attempted"."""

from __future__ import annotations

import pandas as pd
import pytest

import crmlab
from crmlab.analysis import kpis
from crmlab.exercises import lesson
from crmlab.exercises.feedback import Status

QUESTIONS = ["q1", "q2", "q3", "q4", "q5", "q10", "q11", "q12", "q13", "q14", "q15"]




@pytest.fixture(scope="module")
def crm():
    return crmlab.practice_crm()


@pytest.fixture
def ex():
    return lesson("01_crm_goals")


# ---------------------------------------------------------------- the learner's computations, right and wrong


def _calls(crm):
    return crm.tickets[crm.tickets["channel"] == "call_centre"]


def _fcr(crm):
    resolved = _calls(crm)[_calls(crm)["contacts_to_resolve"].notna()]
    return (resolved["contacts_to_resolve"] == 1).mean()


def _n_categories(crm, orders):
    lines = crm.order_lines.merge(orders[["order_id", "customer_id"]], on="order_id")
    lines = lines.merge(crm.products[["product_id", "category_id"]], on="product_id")
    return lines.groupby("customer_id")["category_id"].nunique()


def _completed(crm):
    return crm.orders[crm.orders["status"] == "completed"]


def _cycles(crm, stages=("closed_won",)):
    deals = crm.opportunities[crm.opportunities["stage"].isin(stages)]
    return deals["closed_at"] - deals["created_at"]


def _windows(crm):
    act = crm.rep_activity.rename(columns={"required_fields_filled": "filled", "required_fields_total": "total"})
    recent_start = act["week_start"].max() - pd.Timedelta(weeks=25)
    before_start = recent_start - pd.Timedelta(weeks=26)
    recent = act[act["week_start"] >= recent_start].groupby("rep_id")[["filled", "total"]].sum()
    before = act[(act["week_start"] >= before_start) & (act["week_start"] < recent_start)]
    before = before.groupby("rep_id")[["filled", "total"]].sum()
    return recent, before


def _collapsed(crm):
    recent, before = _windows(crm)
    change = recent["filled"] / recent["total"] - before["filled"] / before["total"]
    return change[change <= -0.15].index.tolist()


def _activity(crm, drop_unanswered=True):
    touches = crm.interactions
    if drop_unanswered:
        touches = touches[touches["outcome"] != "no_response"]
    return pd.concat([
        touches[["customer_id", "channel", "occurred_at"]].rename(columns={"occurred_at": "at"}),
        crm.orders[["customer_id", "channel", "ordered_at"]].rename(columns={"ordered_at": "at"}),
    ])  # fmt: skip


def _store_sets(crm, drop_unanswered=True):
    since = pd.Timestamp("2025-07-01", tz="UTC")
    activity = _activity(crm, drop_unanswered)
    before, recent = activity[activity["at"] < since], activity[activity["at"] >= since]
    store_before = set(before.loc[before["channel"] == "store", "customer_id"])
    store_recent = set(recent.loc[recent["channel"] == "store", "customer_id"])
    elsewhere = set(recent.loc[recent["channel"] != "store", "customer_id"])
    return store_before, store_recent, elsewhere


def _hidden(crm, drop_unanswered=True):
    before, recent, elsewhere = _store_sets(crm, drop_unanswered)
    return len((before - recent) & elsewhere)


def _last_year(crm, instants):
    return instants.dt.tz_convert(crm.conventions.timezone).dt.year == crm.conventions.as_of.year


def _roi_by_hand(crm, overrun=0.5, delay=6, revenue_divide=1):
    """IRR 150 billion up front (+ overrun), 2.5 billion a month for 36 months; benefit 3 % of last year's
    revenue / 12 a month from month 6 + delay + 1 to 36. Revenue in whole rials as stored (``revenue_divide``
    100 is the cents habit, 10 the revenue in toman)."""
    completed = _completed(crm)
    revenue = completed.loc[_last_year(crm, completed["ordered_at"]), "total_cents"].sum() / revenue_divide
    cost = 150_000_000_000 * (1 + overrun) + 2_500_000_000 * 36
    benefit = (36 - 6 - delay) * 0.03 * revenue / 12
    return (benefit - cost) / cost


def _discount_by_orders(crm):
    """Paid from the orders' totals (not the lines' arithmetic), list value from the lines."""
    completed = _completed(crm).merge(crm.customers[["customer_id", "segment"]], on="customer_id")
    lines = crm.order_lines.merge(crm.products[["product_id", "list_price_cents"]], on="product_id")
    listed = (lines["list_price_cents"] * lines["quantity"]).groupby(lines["order_id"]).sum()
    completed["list"] = completed["order_id"].map(listed)
    sums = completed.groupby("segment")[["list", "total_cents"]].sum()
    return (1 - sums["total_cents"] / sums["list"]).rename("discount_rate").reset_index()


def _shipped(crm):
    return crm.shipments.merge(crm.orders[["order_id", "customer_id"]], on="order_id")


def _coverage(crm, answered_only=True):
    buyers = set(_completed(crm)["customer_id"])
    sms = crm.interactions[crm.interactions["channel"] == "sms"]  # the company's mailings go by SMS
    sms = sms[sms["outcome"] != "no_response"] if answered_only else sms
    holders = {"sales": crm.orders, "fulfilment": _shipped(crm), "accounting": crm.invoices,
               "website": crm.web_registrations, "after_sales": crm.tickets, "sms_responses": sms}  # fmt: skip
    shares = {kind: len(set(t["customer_id"]) & buyers) / len(buyers) for kind, t in holders.items()}
    return pd.Series(shares, name="share_of_buyers").rename_axis("kind").reset_index()


def _whole_org(crm, departments=True):
    tables = [("orders", crm.orders, "sales"), ("opportunities", crm.opportunities, "sales"),
              ("shipments", _shipped(crm), "logistics"), ("invoices", crm.invoices, "finance"),
              ("web_registrations", crm.web_registrations, "marketing"),
              ("interactions", crm.interactions, "marketing"), ("tickets", crm.tickets, "support")]  # fmt: skip
    kept = pd.concat([t[["customer_id"]].assign(who=dept if departments else name) for name, t, dept in tables])
    n = kept.drop_duplicates().groupby("customer_id").size()
    return (n.reindex(_completed(crm)["customer_id"].unique(), fill_value=0) >= 4).mean()


def _first_big_events(crm, big_order=3_000_000_000):
    """The question's count through kpis.life_events; ``big_order`` in the currency's major unit (rials)."""
    events = kpis.life_events(crm.orders, crm.customers, crm.web_registrations, big_order=big_order,
                              minor_unit=crm.conventions.minor_unit)
    first_big = events[events["event"] == "first_big_order"]
    return int(_last_year(crm, first_big["occurred_at"]).sum())


def _right_answers(crm):
    answered = crm.interactions[crm.interactions["outcome"] != "no_response"]
    return {
        "q10": (kpis.channels_per_customer(answered, crm.orders)["n_channels"] >= 3).mean(),
        "q11": _roi_by_hand(crm),
        "q12": _discount_by_orders(crm),
        "q13": _coverage(crm),
        "q14": _whole_org(crm),
        "q15": _first_big_events(crm),
        "q1": _fcr(crm),
        "q2": (_n_categories(crm, _completed(crm)) >= 2).mean(),
        "q3": (_cycles(crm) / pd.Timedelta(days=1)).median(),
        "q4": _collapsed(crm),
        "q5": _hidden(crm),
    }


@pytest.mark.parametrize("qid", QUESTIONS)
def test_solution_passes(ex, crm, qid):
    feedback = getattr(ex, qid).check(_right_answers(crm)[qid])
    assert feedback.status is Status.CORRECT, str(feedback)


def test_the_answers_agree_with_the_lesson_module(crm):
    """The exercise's pandas and crmlab.analysis.kpis compute the same numbers."""
    right = _right_answers(crm)
    assert right["q1"] == pytest.approx(kpis.first_contact_resolution(crm.tickets, channel="call_centre"))
    assert right["q2"] == pytest.approx(kpis.multi_category_share(crm.orders, crm.order_lines, crm.products))
    assert right["q3"] == pytest.approx(kpis.sales_cycle_days(crm.opportunities))
    assert sorted(right["q4"]) == sorted(kpis.disengaged_reps(crm.rep_activity).index)
    assert sorted(right["q4"]) == sorted(crm.truth["disengaged_rep_ids"])  # the planted ones
    inactive = kpis.looks_inactive(crm.interactions, crm.orders, since="2025-07-01")
    assert right["q5"] == kpis.single_view_summary(inactive).loc["store", "active_elsewhere"]


def test_solution_variants_pass(ex, crm):
    right = _right_answers(crm)
    assert ex.q1.check(round(float(right["q1"]), 4)).status is Status.CORRECT  # rounded to 4 decimals
    assert ex.q2.check(float(right["q2"])).status is Status.CORRECT
    assert ex.q3.check(round(float(right["q3"]), 2)).status is Status.CORRECT
    planted = sorted(crm.truth["disengaged_rep_ids"])
    assert ex.q4.check(pd.Index(planted[::-1])).status is Status.CORRECT  # any order, an Index is fine
    assert ex.q4.check(set(planted)).status is Status.CORRECT
    assert ex.q5.check(float(right["q5"])).status is Status.CORRECT


def _lowest_overall(crm):
    sums = crm.rep_activity.groupby("rep_id")[["required_fields_filled", "required_fields_total"]].sum()
    return (sums["required_fields_filled"] / sums["required_fields_total"]).nsmallest(2).index.tolist()


@pytest.mark.parametrize(
    ("qid", "wrong", "message"),
    [
        ("q1", lambda crm: (_calls(crm)["contacts_to_resolve"].fillna(1) == 1).mean(),
         "You counted open tickets as solved"),
        ("q1", lambda crm: (_calls(crm)["contacts_to_resolve"] == 1).sum() / len(_calls(crm)),
         "Your base includes the open tickets"),
        ("q1", lambda crm: (crm.tickets["contacts_to_resolve"].dropna() == 1).mean(), "rate over every channel"),
        ("q1", lambda crm: 100 * _fcr(crm), "looks like a percentage"),
        ("q2", lambda crm: (_n_categories(crm, _completed(crm)) >= 2).sum() / len(crm.customers),
         "You divided by every customer"),
        ("q2", lambda crm: (_n_categories(crm, crm.orders) >= 2).mean(), "include cancelled and returned"),
        ("q2", lambda crm: round(100 * (_n_categories(crm, _completed(crm)) >= 2).mean(), 1),
         "looks like a percentage"),
        ("q3", lambda crm: (_cycles(crm, ("closed_won", "closed_lost")) / pd.Timedelta(days=1)).median(),
         "You included the lost deals"),
        ("q3", lambda crm: (_cycles(crm) / pd.Timedelta(days=1)).mean(), "That is the mean"),
        ("q3", lambda crm: _cycles(crm).dt.days.median(), "rounded each deal down to whole days"),
        ("q3", lambda crm: (_cycles(crm) / pd.Timedelta(hours=1)).median(), "Your number is in hours"),
        ("q4", _lowest_overall, "poorest overall"),
        ("q5", lambda crm: len(_store_sets(crm)[0] - _store_sets(crm)[1]), "including those quiet everywhere"),
        ("q5", lambda crm: len(_store_sets(crm)[2] - _store_sets(crm)[1]), "never used the store"),
        ("q5", lambda crm: _hidden(crm, drop_unanswered=False), "mailings nobody answered"),
    ],
)
def test_known_mistakes_get_their_message(ex, crm, qid, wrong, message):
    feedback = getattr(ex, qid).check(wrong(crm))
    assert feedback.status is Status.INCORRECT
    assert message in feedback.message


@pytest.mark.parametrize(
    ("qid", "wrong", "message"),
    [
        ("q10", lambda crm: (kpis.channels_per_customer(crm.interactions, crm.orders)["n_channels"] >= 3).mean(),
         "mailings nobody answered"),
        ("q11", lambda crm: _roi_by_hand(crm, overrun=0, delay=0), "the vendor's plan"),
        ("q11", lambda crm: _roi_by_hand(crm, overrun=0), "left out the overrun"),
        ("q11", lambda crm: _roi_by_hand(crm, delay=0), "late go-live"),
        ("q11", lambda crm: _roi_by_hand(crm) + 1, "benefit / cost"),
        ("q11", lambda crm: _roi_by_hand(crm, revenue_divide=100), "as if it held cents"),
        ("q11", lambda crm: _roi_by_hand(crm, revenue_divide=10), "Your revenue is in toman"),
        ("q13", lambda crm: _coverage(crm, answered_only=False), "include mailings nobody answered"),
        ("q15", lambda crm: _first_big_events(crm, big_order=300_000_000), "it is the amount in toman"),
        ("q12", lambda crm: _discount_by_orders(crm).assign(discount_rate=lambda d: d["discount_rate"] * 1.5),
         None),
        ("q14", lambda crm: _whole_org(crm, departments=False), "You counted *tables*"),
    ],
)
def test_new_mistakes_get_their_message(ex, crm, qid, wrong, message):
    feedback = getattr(ex, qid).check(wrong(crm))
    assert feedback.status is Status.INCORRECT
    assert message is None or message in feedback.message


def test_p5_reality_turns_the_vendors_case(crm):
    """The point of q11 on this data: the vendor's plan pays, the realistic one does not."""
    assert _roi_by_hand(crm, overrun=0, delay=0) > 0 > _roi_by_hand(crm)


def test_q15_threshold_is_big_in_rials(crm):
    """IRR 3 billion (300 million toman) is a big order at 2025 prices: above the 90th percentile of the
    business customers' completed orders of 2025, and reached by some of them (so the count is not 0)."""
    done = _completed(crm)
    business = done["customer_id"].isin(crm.customers.loc[crm.customers["segment"] != "consumer", "customer_id"])
    last = done[business & _last_year(crm, done["ordered_at"])]["total_cents"]
    assert last.quantile(0.9) < 3_000_000_000 <= last.max()
    assert 0 < _first_big_events(crm) < _first_big_events(crm, big_order=300_000_000)


def test_a_wrong_list_says_what_is_wrong_without_the_answer(ex):
    feedback = ex.q4.check([1, 2])
    assert feedback.status is Status.INCORRECT
    assert "should not be there" in feedback.message and "23" not in str(feedback)
    assert "more than expected" in ex.q4.check([1, 2, 3]).message


def test_learner_code_that_raises_is_explained(ex, crm):
    feedback = ex.q1.check_code(lambda: crm.tickets["contacts"].mean())
    assert feedback.status is Status.LEARNER_ERROR
    assert "contacts_to_resolve" in feedback.message  # the closest column name is suggested


@pytest.mark.parametrize(("qid", "answer", "status", "text"), [
    ("q6", "b", Status.CORRECT, "About half budgeted under $500,000"),
    ("q6", "a", Status.INCORRECT, "Only some respondents"),
    ("q6", "c", Status.INCORRECT, "what some vendors claim"),
    ("q8", "c", Status.CORRECT, "more channels"),
    ("q8", "a", Status.INCORRECT, "one picture per customer"),
    ("q9", "a", Status.CORRECT, "stop entering data"),
    ("q9", "b", Status.INCORRECT, "Revenue reacts late"),
])
def test_quizzes(ex, qid, answer, status, text):
    feedback = ex.quiz(qid, answer=answer)
    assert feedback.status is status and text in feedback.message


def test_hints_get_more_specific_and_solution_is_recorded(ex):
    first, third = str(ex.q2.hint()), str(ex.q2.hint(3))
    assert "completed" in first and ">= 2" in third
    assert "nunique" in str(ex.q2.solution())
    assert "q2" in str(ex.progress())


def test_reflection_is_recorded_unchecked(ex):
    assert ex.q7.check("First-contact resolution; support must log every contact.").status is Status.UNCHECKED


def test_every_item_is_in_the_progress(ex):
    text = str(ex.progress())
    for item in ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9"]:
        assert item in text
