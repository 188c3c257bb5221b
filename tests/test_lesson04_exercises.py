"""Lesson 04's exercises: the right answer passes, known mistakes get their message,
junk gets feedback (never a traceback), and the blank is "not attempted"."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import pytest

import crmlab
from crmlab.analysis.bi import EXPORT_END, FUNNEL, LAST_DAY
from crmlab.datasets import practice_api_dump
from crmlab.exercises import lesson
from crmlab.exercises.feedback import Status

QUESTIONS = ["q1", "q2", "q3", "q4", "q5", "q10", "q11", "q12"]


@pytest.fixture(scope="module")
def crm():
    return crmlab.practice_crm()


@pytest.fixture
def ex():
    return lesson("04_bi_questions")


# ---------------------------------------------------------------- the learner's way, written independently


def _tickets(crm):
    tickets = crm.tickets.merge(crm.customers[["customer_id", "region"]], on="customer_id")
    deadline = tickets["created_at"] + pd.to_timedelta(tickets["sla_hours"], unit="h")
    return tickets, deadline


def _sla(crm, breached=None, keep=None):
    tickets, deadline = _tickets(crm)
    if breached is None:
        breached = tickets["first_response_at"].fillna(EXPORT_END) > deadline
    if keep is None:
        keep = tickets["first_response_at"].notna() | (deadline < EXPORT_END)
    rate = breached[keep].groupby(tickets["region"][keep]).mean()
    return rate.rename("sla_breach_rate").reset_index()


def _shipments(crm):
    s = crm.shipments.merge(crm.orders[["order_id", "customer_id"]], on="order_id")
    return s.merge(crm.customers[["customer_id", "region"]], on="customer_id")


def _late(crm):
    s = _shipments(crm)
    late = s["delivered_date"].fillna(LAST_DAY + pd.Timedelta(days=1)) > s["promised_date"]
    keep = s["delivered_date"].notna() | (s["promised_date"] <= LAST_DAY)
    return late[keep].groupby(s["region"][keep]).mean().rename("late_rate").reset_index()


def _moves(crm):
    stages = crm.opportunity_stages.sort_values(["opportunity_id", "entered_at"])
    stages["next"] = stages.groupby("opportunity_id")["stage"].shift(-1)
    stages["goal"] = stages["stage"].map(dict(zip(FUNNEL[:-1], FUNNEL[1:], strict=True)))
    return stages[stages["goal"].notna()]


def _conversion(crm):
    left = _moves(crm).dropna(subset=["next"])
    return (left["next"] == left["goal"]).groupby(left["stage"]).mean().rename("conversion").reset_index()


def _invoice_rows(crm):
    segment = crm.invoices["customer_id"].map(crm.customers.set_index("customer_id")["segment"])
    business = crm.invoices[segment != "consumer"]
    return business.merge(crm.payments, on="invoice_id", suffixes=("", "_paid"))


def _days_to_pay(crm):
    rows = _invoice_rows(crm)
    per_invoice = rows.groupby("invoice_id").agg(
        amount=("amount_cents", "first"), paid=("amount_cents_paid", "sum"),
        issued=("issued_date", "first"), last=("paid_date", "max"))
    paid = per_invoice[per_invoice["paid"] >= per_invoice["amount"]]
    return (paid["last"] - paid["issued"]).dt.days.mean()


def _buyer_share(crm, statuses=("completed",)):
    """A registration brought a buyer when the customer's last purchase is at or after it."""
    orders = crm.orders[crm.orders["status"].isin(statuses)]
    last = orders.groupby("customer_id")["ordered_at"].max()
    w = crm.web_registrations
    buyer = w["customer_id"].map(last) >= w["registered_at"]  # no purchase: NaT compares False
    return (w.assign(buyer=buyer).groupby("source")
            .agg(registrations=("registration_id", "count"), buyer_share=("buyer", "mean")).reset_index())


#: q11's cost of one late delivery, in rials (whole rials since the flip: no cents to divide by)
COST = 20_000_000


def _saved(crm, region, cost=COST):
    s = _shipments(crm)
    s["late"] = s["delivered_date"].fillna(LAST_DAY + pd.Timedelta(days=1)) > s["promised_date"]
    known = s["delivered_date"].notna() | (s["promised_date"] <= LAST_DAY)
    s = s[known & (s["promised_date"].dt.year == LAST_DAY.year)]
    inside = s[s["region"] == region]
    return max(inside["late"].sum() - len(inside) * s["late"].mean(), 0) * cost


def _shop_revenue(crm):
    """Oracle without the dump: the shop's accounts are the web registrations; an account's e-mail
    reaches every CRM record with that e-mail (a duplicate customer included)."""
    w = crm.web_registrations
    email = w["customer_id"].map(crm.customers.set_index("customer_id")["email"])
    owners = crm.customers.groupby("email")["customer_id"].agg(list)
    accounts = w.assign(owner=email.map(owners)).explode("owner")
    orders = crm.orders[crm.orders["status"] == "completed"]
    rows = accounts.merge(orders, left_on="owner", right_on="customer_id", suffixes=("_w", ""))
    rows = rows[rows["ordered_at"] >= rows["registered_at"]]
    return pd.DataFrame({"accounts": w.groupby("source").size(),
                         "revenue_rials": rows.groupby("source")["total_cents"].sum()}).reset_index()


def _right_answers(crm):
    con = crmlab.connect(crm)
    late_sql = con.sql("""
        SELECT c.region,
               avg(CASE WHEN coalesce(s.delivered_date, DATE '2026-01-01') > s.promised_date THEN 1 ELSE 0 END)
                   AS late_rate
        FROM shipments AS s JOIN orders AS o USING (order_id) JOIN customers AS c USING (customer_id)
        WHERE s.delivered_date IS NOT NULL OR s.promised_date <= DATE '2025-12-31'
        GROUP BY c.region
    """).df()
    return {
        "q1": _sla(crm),
        "q2": late_sql,
        "q3": late_sql.set_index("region")["late_rate"].idxmax(),
        "q4": _conversion(crm),
        "q5": _days_to_pay(crm),
        "q10": _buyer_share(crm),
        "q11": _saved(crm, late_sql.set_index("region")["late_rate"].idxmax()),
        "q12": _shop_revenue(crm),
    }


@pytest.fixture(scope="module")
def right(crm):
    return _right_answers(crm)


@pytest.mark.parametrize("qid", QUESTIONS)
def test_solution_passes(ex, right, qid):
    feedback = getattr(ex, qid).check(right[qid])
    assert feedback.status is Status.CORRECT, str(feedback)


def test_solution_variants_pass(ex, crm, right):
    assert ex.q1.check(right["q1"].set_index("region")).status is Status.CORRECT
    pandas_way = _late(crm).sample(frac=1, random_state=2).rename(columns={"late_rate": "Late_Rate"})
    assert ex.q2.check(pandas_way).status is Status.CORRECT
    with_counts = right["q1"].assign(tickets=1)  # extra columns are allowed
    assert ex.q1.check(with_counts).status is Status.CORRECT
    assert ex.q3.check(" south ").status is Status.CORRECT
    assert ex.q4.check(right["q4"].set_index("stage")).status is Status.CORRECT
    assert ex.q5.check(float(right["q5"])).status is Status.CORRECT
    assert right["q3"] == "South"  # the planted truth


def _open_as_breaches(crm):
    tickets, deadline = _tickets(crm)
    late = (tickets["first_response_at"] - tickets["created_at"]) / pd.Timedelta(hours=1) > tickets["sla_hours"]
    return _sla(crm, breached=late | tickets["resolved_at"].isna(), keep=pd.Series(True, index=tickets.index))


def _resolution_time(crm):
    tickets, _ = _tickets(crm)
    hours = (tickets["resolved_at"] - tickets["created_at"]) / pd.Timedelta(hours=1)
    return _sla(crm, breached=hours > tickets["sla_hours"], keep=pd.Series(True, index=tickets.index))


def _nan_is_on_time(crm):
    tickets, deadline = _tickets(crm)
    return _sla(crm, breached=tickets["first_response_at"] > deadline, keep=pd.Series(True, index=tickets.index))


def _late_per_customer(crm):
    s = _shipments(crm)
    s["late"] = s["delivered_date"].fillna(LAST_DAY + pd.Timedelta(days=1)) > s["promised_date"]
    s = s[s["delivered_date"].notna() | (s["promised_date"] <= LAST_DAY)]
    per_customer = s.groupby(["region", "customer_id"])["late"].mean()
    return per_customer.groupby("region").mean().rename("late_rate").reset_index()


def _late_nan_on_time(crm):
    s = _shipments(crm)
    return (s["delivered_date"] > s["promised_date"]).groupby(s["region"]).mean().rename("late_rate").reset_index()


def _conversion_of_entered(crm):
    moves = _moves(crm)
    return (moves["next"] == moves["goal"]).groupby(moves["stage"]).mean().rename("conversion").reset_index()


def _days_first_payment(crm):
    rows = _invoice_rows(crm)
    first = rows.groupby("invoice_id").agg(issued=("issued_date", "first"), paid=("paid_date", "min"))
    return (first["paid"] - first["issued"]).dt.days.mean()


def _days_per_row(crm):
    rows = _invoice_rows(crm)
    return (rows["paid_date"] - rows["issued_date"]).dt.days.mean()


@pytest.mark.parametrize(
    ("qid", "wrong", "message"),
    [
        ("q1", _open_as_breaches, "You counted open tickets as breaches"),
        ("q1", _resolution_time, "time to *resolve*"),
        ("q1", _nan_is_on_time, "Tickets with no response yet count as on time"),
        ("q1", lambda crm: _sla(crm).assign(sla_breach_rate=lambda d: d["sla_breach_rate"] * 100),
         "look like percentages"),
        ("q2", _late_per_customer, "ratio of sums, not a mean of ratios"),
        ("q2", _late_nan_on_time, "Parcels not delivered by the export count as on time"),
        ("q3", lambda crm: "Capital", "the region with the *fewest* late deliveries"),
        ("q3", lambda crm: "east", "Compare the *rates*"),
        ("q4", _conversion_of_entered, "including those still sitting in it"),
        ("q5", _days_first_payment, "You measured to the *first* payment"),
        ("q5", _days_per_row, "You averaged over *payments*, not invoices"),
    ],
)
def test_known_mistakes_get_their_message(ex, crm, qid, wrong, message):
    feedback = getattr(ex, qid).check(wrong(crm))
    assert feedback.status is Status.INCORRECT, str(feedback)
    assert message in feedback.message


def _flat_dump(pages, normalise=True):
    flat = pd.json_normalize([a for p in pages for a in p["data"]])
    if normalise:
        flat["email"] = flat["email"].str.strip().str.lower()
    return flat.assign(created=pd.to_datetime(flat["created"], utc=True))


def _dump_revenue(crm, pages, normalise=True, statuses=("completed",), after_only=True, divide=1):
    flat = _flat_dump(pages, normalise)
    orders = crm.orders[crm.orders["status"].isin(statuses)]
    rows = flat.merge(crm.customers[["customer_id", "email"]], on="email").merge(orders, on="customer_id")
    if after_only:
        rows = rows[rows["ordered_at"] >= rows["created"]]
    return pd.DataFrame({"accounts": flat.groupby("signup.source")["id"].nunique(),
                         "revenue_rials": rows.groupby("signup.source")["total_cents"].sum() / divide}
                        ).fillna(0).rename_axis("source").reset_index()


def _years_over_four(crm):
    s = _shipments(crm)
    s["late"] = s["delivered_date"].fillna(LAST_DAY + pd.Timedelta(days=1)) > s["promised_date"]
    known = s["delivered_date"].notna() | (s["promised_date"] <= LAST_DAY)
    s = s[known & (s["promised_date"].dt.year <= LAST_DAY.year)]
    worst = _late(crm).set_index("region")["late_rate"].idxmax()
    per_year = []
    for _, year in s.groupby(s["promised_date"].dt.year):
        inside = year[year["region"] == worst]
        per_year.append(max(inside["late"].sum() - len(inside) * year["late"].mean(), 0) * COST)
    return sum(per_year) / len(per_year)


def _every_late(crm):
    s = _shipments(crm)
    worst = _late(crm).set_index("region")["late_rate"].idxmax()
    late = s["delivered_date"].fillna(LAST_DAY + pd.Timedelta(days=1)) > s["promised_date"]
    keep = (s["promised_date"].dt.year == LAST_DAY.year) & (s["region"] == worst)
    keep &= s["delivered_date"].notna() | (s["promised_date"] <= LAST_DAY)
    return float(late[keep].sum() * COST)


@pytest.mark.parametrize(
    ("qid", "wrong", "message"),
    [
        ("q10", lambda crm: _buyer_share(crm, statuses=("completed", "cancelled", "returned")),
         "cancelled and returned"),
        ("q10", lambda crm: _buyer_share(crm).assign(buyer_share=lambda d: d["buyer_share"] * 100),
         "look like percentages"),
        ("q11", _years_over_four, "average over all the years"),
        ("q11", _every_late, "priced *every* late delivery"),
        ("q12", lambda crm: _dump_revenue(crm, practice_api_dump()[:1]), "only the first page"),
        ("q12", lambda crm: _dump_revenue(crm, practice_api_dump(), normalise=False), "typed in capitals"),
        ("q12", lambda crm: _dump_revenue(crm, practice_api_dump(), after_only=False),
         "before the account was created"),
        ("q12", lambda crm: _dump_revenue(crm, practice_api_dump(), divide=100), "Nothing is divided by 100"),
    ],
)
def test_new_mistakes_get_their_message(ex, crm, qid, wrong, message):
    feedback = getattr(ex, qid).check(wrong(crm))
    assert feedback.status is Status.INCORRECT, str(feedback)
    assert message in feedback.message


def test_the_dump_way_equals_the_registrations_way(ex, crm, right):
    """B4: what the learner computes from the API dump equals the oracle computed without it."""
    via_dump = _dump_revenue(crm, practice_api_dump())
    assert ex.q12.check(via_dump).status is Status.CORRECT
    pd.testing.assert_frame_equal(via_dump, right["q12"], check_dtype=False, check_exact=False, rtol=1e-12)


def test_the_impact_is_not_the_lessons_figure(ex, crm, right):
    """q11 prices one region at 20 million rials; the lesson prices the two worst at 15 million."""
    from crmlab.analysis.bi.impact import late_delivery_impact
    delivery = _late(crm).set_index("region")["late_rate"]
    lesson = late_delivery_impact(crm.shipments, crm.orders, crm.customers, delivery.nlargest(2).index.tolist(),
                                  cost_per_late=15_000_000)
    assert right["q11"] > 0
    assert abs(lesson["cost_saved"].iloc[-1] - right["q11"]) > 1


def test_a_wrong_table_says_what_is_wrong_without_the_answer(ex, right):
    wrong = right["q1"].assign(sla_breach_rate=lambda d: d["sla_breach_rate"] + 0.01)
    feedback = ex.q1.check(wrong)
    assert feedback.status is Status.INCORRECT
    text = str(feedback)
    assert "sla_breach_rate" in text
    assert f"{right['q1']['sla_breach_rate'].iloc[0]:.4f}" not in text  # expected values are never shown


def test_a_series_is_told_to_become_a_table(ex, right):
    feedback = ex.q4.check(right["q4"].set_index("stage")["conversion"])
    assert feedback.status is Status.INCORRECT
    assert ".reset_index()" in feedback.message


def test_learner_code_that_raises_is_explained(ex, crm):
    feedback = ex.q2.check_code(lambda: crm.shipments.groupby("regoin")["late"].mean())
    assert feedback.status is Status.LEARNER_ERROR
    assert "regoin" in feedback.message


@pytest.mark.parametrize(("qid", "answer", "status", "text"), [
    ("q6", "b", Status.CORRECT, "ratio of sums"),
    ("q6", "a", Status.INCORRECT, "Averaging the two rates"),
    ("q6", "c", Status.INCORRECT, "Region A's tickets count too"),
    ("q8", "b", Status.CORRECT, "workflow to redesign"),
    ("q8", "a", Status.INCORRECT, "More people everywhere"),
    ("q9", "b", Status.CORRECT, "connector"),
    ("q9", "c", Status.INCORRECT, "Manual exports"),
])
def test_quizzes(ex, qid, answer, status, text):
    feedback = ex.quiz(qid, answer=answer)
    assert feedback.status is status and text in feedback.message


def test_hints_get_more_specific_and_solution_is_recorded(ex):
    first, third = str(ex.q5.hint()), str(ex.q5.hint(3))
    assert "two parts" in first and ".dt.days.mean()" in third
    assert "groupby('invoice_id')" in str(ex.q5.solution())
    assert "q5" in str(ex.progress())


def test_reflection_is_recorded_unchecked(ex):
    assert ex.q7.check("Redesign e-mail support first.").status is Status.UNCHECKED


def test_every_item_of_the_lesson_is_in_the_exercises():
    source = Path(__file__).resolve().parents[1] / "exercises" / "source" / "04_bi_questions_exercises.ipynb"
    text = "\n".join(c.source for c in nbformat.read(source, as_version=4).cells)
    for item in lesson("04_bi_questions").items:
        assert f'"{item.id}"' in text or f"ex.{item.id}.check(" in text, item.id
