"""Lesson 10's exercises: the right answer passes, known mistakes get their message,
junk gets feedback (never a traceback), and the blank is "not attempted"."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

import crmlab
from crmlab.analysis.kpis import EXPORT_END
from crmlab.datasets import load_bank_calls
from crmlab.exercises import lesson
from crmlab.exercises.feedback import Status

QUESTIONS = ["q1", "q2", "q3", "q4", "q5"]
MOMENT = "2025-10-09 09:00"


@pytest.fixture(scope="module")
def crm():
    return crmlab.practice_crm(tables=["tickets", "customers"])


@pytest.fixture(scope="module")
def all_calls():
    return load_bank_calls()


@pytest.fixture(scope="module")
def calls(all_calls):
    """Question 5's month, August 2003: not the eight months the lesson charted."""
    return all_calls[(all_calls["timestamp"] >= "2003-08-01") & (all_calls["timestamp"] < "2003-09-01")]


@pytest.fixture
def ex():
    return lesson("10_service")


# ---------------------------------------------------------------- the learner's way, written independently


def _deadline(t):
    return t["created_at"] + pd.to_timedelta(t["sla_hours"], unit="h")


def _compliance(t, breached, known):
    return (~breached[known]).groupby(t["priority"][known]).mean().rename("sla_compliance").reset_index()


def _by_priority(crm):
    t = crm.tickets
    breached = t["first_response_at"].fillna(EXPORT_END) > _deadline(t)
    known = t["first_response_at"].notna() | (_deadline(t) < EXPORT_END)
    return _compliance(t, breached, known)


def _waiting(t, moment):
    answered = t["first_response_at"].notna() & (t["first_response_at"] <= moment)
    w = t[(t["created_at"] <= moment) & ~answered]
    left = (_deadline(w) - moment) / pd.Timedelta(hours=1)
    return w.assign(left=left)


def _at_risk(t, moment, breached_too=False):
    w = _waiting(t, moment)
    risky = w["left"] < 0.25 * w["sla_hours"]
    if not breached_too:
        risky &= w["left"] >= 0
    return sorted(w.loc[risky, "ticket_id"].tolist())


def _erlang_c(a: Fraction, n: int) -> float:
    top = a**n / math.factorial(n) * n / (n - a)
    return float(top / (sum(a**k / math.factorial(k) for k in range(n)) + top))


def _service_level(a: float, n: int, aht: float, t: float = 20) -> float:
    return 1 - _erlang_c(Fraction(a).limit_denominator(10**6), n) * math.exp(-(n - a) * t / aht)


def _agents(a: float, aht: float) -> int:
    n = math.floor(a) + 1
    while _service_level(a, n, aht) < 0.8:
        n += 1
    return n


def _busiest(calls, freq="30min", how="mean"):
    c = calls.assign(start=calls["timestamp"].dt.floor(freq))
    per = c.groupby("start")["calls"].agg(["sum", "size"])
    per = per[per["size"] == pd.Timedelta(freq) // pd.Timedelta("5min")]
    start = per.index.to_series()
    table = per["sum"].groupby([start.dt.day_name(), start.dt.strftime("%H:%M")]).agg(how)
    day, period = table.idxmax()
    return f"{day} {period}"


def _right_answers(crm, calls):
    tehran = pd.Timestamp(MOMENT, tz="Asia/Tehran")
    return {
        "q1": _by_priority(crm),
        "q2": _at_risk(crm.tickets, tehran),
        "q3": _erlang_c(Fraction(360 * 4, 30), 55),
        "q4": _agents(125 * 5 / 30, 300),
        "q5": _busiest(calls),
    }


@pytest.fixture(scope="module")
def right(crm, calls):
    return _right_answers(crm, calls)


@pytest.mark.parametrize("qid", QUESTIONS)
def test_solution_passes(ex, right, qid):
    feedback = getattr(ex, qid).check(right[qid])
    assert feedback.status is Status.CORRECT, str(feedback)


def test_the_answers_are_the_lessons_findings(right):
    rate = right["q1"].set_index("priority")["sla_compliance"]
    assert rate.idxmin() == "urgent"  # the tightest SLA is missed most often (e-mail)
    assert right["q2"] == [2781, 2782]  # snapshot of the practice company
    assert round(right["q3"], 4) == 0.2387
    assert right["q4"] == 26
    assert right["q5"] == "Monday 10:30"


def test_solution_variants_pass(ex, crm, right):
    assert ex.q1.check(right["q1"].set_index("priority")).status is Status.CORRECT
    assert ex.q1.check(right["q1"].assign(tickets=1).rename(columns=str.upper)).status is Status.CORRECT
    assert ex.q2.check(list(reversed(right["q2"]))).status is Status.CORRECT
    assert ex.q2.check(pd.Index(right["q2"], name="ticket_id")).status is Status.CORRECT
    assert ex.q2.check(set(right["q2"])).status is Status.CORRECT
    alerts = crm.tickets[crm.tickets["ticket_id"].isin(right["q2"])]
    assert ex.q2.check(alerts).status is Status.CORRECT  # the table of the tickets, with a ticket_id column
    assert ex.q3.check(np.float64(right["q3"])).status is Status.CORRECT
    assert ex.q4.check(float(right["q4"])).status is Status.CORRECT
    assert ex.q5.check("  monday   10:30 ").status is Status.CORRECT
    assert ex.q5.check(("Monday", "10:30")).status is Status.CORRECT
    assert ex.q5.check(("Monday", pd.Timestamp("2003-03-03 10:30").time())).status is Status.CORRECT


def _open_as_breaches(crm):
    t = crm.tickets
    known = t["first_response_at"].notna() | (_deadline(t) < EXPORT_END)
    breached = (t["first_response_at"].fillna(EXPORT_END) > _deadline(t)) | t["resolved_at"].isna()
    return _compliance(t, breached, known)


def _waiting_as_breaches(crm):
    t = crm.tickets
    breached = t["first_response_at"].isna() | (t["first_response_at"] > _deadline(t))
    return _compliance(t, breached, pd.Series(True, index=t.index))


def _mean_of_channel_rates(crm):
    t = crm.tickets
    breached = t["first_response_at"].fillna(EXPORT_END) > _deadline(t)
    known = t["first_response_at"].notna() | (_deadline(t) < EXPORT_END)
    per_channel = (~breached[known]).groupby([t["priority"][known], t["channel"][known]]).mean()
    return per_channel.groupby(level=0).mean().rename("sla_compliance").reset_index()


def _breach_share(crm):
    return _by_priority(crm).assign(sla_compliance=lambda d: 1 - d["sla_compliance"])


def _utc_moment(crm):
    return _at_risk(crm.tickets, pd.Timestamp(MOMENT, tz="UTC"))


def _naive_compare(crm):
    """Naive local clock compared with UTC instants stripped of their zone: the UTC mistake again."""
    t = crm.tickets.assign(created_at=crm.tickets["created_at"].dt.tz_localize(None),
                           first_response_at=crm.tickets["first_response_at"].dt.tz_localize(None))  # fmt: skip
    return _at_risk(t, pd.Timestamp(MOMENT))


@pytest.mark.parametrize(
    ("qid", "wrong", "message"),
    [
        ("q1", _open_as_breaches, "not yet *resolved* as breaches"),
        ("q1", _waiting_as_breaches, "still within its deadline"),
        ("q1", _mean_of_channel_rates, "a mean of ratios"),
        ("q1", _breach_share, "share of breaches"),
        ("q2", _utc_moment, "09:00 in UTC"),
        ("q2", _naive_compare, "09:00 in UTC"),
        ("q2", lambda crm: _at_risk(crm.tickets, pd.Timestamp(MOMENT, tz="Asia/Tehran"), breached_too=True),
         "already breached"),
        ("q2", lambda crm: [], "Your list is empty"),
        ("q3", lambda crm: _erlang_c(Fraction(360 * 4, 60), 55), "calls per *hour*"),
        ("q3", lambda crm: float(Fraction(48) ** 55 / math.factorial(55)
                                 / sum(Fraction(48) ** k / math.factorial(k) for k in range(56))), "Erlang B"),
        ("q3", lambda crm: 1 - _erlang_c(Fraction(48), 55), "answered at once"),
        ("q3", lambda crm: 1.0, "N <= A"),
        ("q3", lambda crm: 100 * _erlang_c(Fraction(48), 55), "not a percentage"),
        ("q4", lambda crm: _agents(math.floor(125 * 5 / 30), 300), "rounded the traffic *down*"),
        ("q4", lambda crm: math.ceil(125 * 5 / 30), "just enough agents"),
        ("q4", lambda crm: _agents(125 * 5 / 60, 300), "calls per *hour*"),
    ],
)
def test_known_mistakes_get_their_message(ex, crm, qid, wrong, message):
    feedback = getattr(ex, qid).check(wrong(crm))
    assert feedback.status is Status.INCORRECT, str(feedback)
    assert message in feedback.message


@pytest.mark.parametrize(("wrong", "message"), [
    (lambda calls: _busiest(calls, freq="5min"), "5-minute interval"),
    (lambda calls: _busiest(calls, how="median"), "*median*"),
    (lambda calls: "Monday 10:00", "the lesson's peak"),  # by hand: the busiest Monday of August, 10:00
])  # fmt: skip
def test_q5_mistakes(ex, calls, wrong, message):
    feedback = ex.q5.check(wrong(calls))
    assert feedback.status is Status.INCORRECT, str(feedback)
    assert message in feedback.message


def test_q5_is_not_the_lessons_answer(ex, all_calls, calls):
    """The lesson charted all eight months; August's typical week peaks elsewhere."""
    assert _busiest(all_calls) == "Monday 10:00" != _busiest(calls)
    feedback = ex.q5.check(_busiest(all_calls))
    assert feedback.status is Status.INCORRECT, str(feedback)
    assert "the lesson's peak" in feedback.message


def test_a_wrong_table_says_what_is_wrong_without_the_answer(ex, right):
    wrong = right["q1"].assign(sla_compliance=lambda d: d["sla_compliance"] - 0.01)
    feedback = ex.q1.check(wrong)
    assert feedback.status is Status.INCORRECT
    text = str(feedback)
    assert "sla_compliance" in text
    assert f"{right['q1']['sla_compliance'].iloc[0]:.4f}" not in text  # expected values are never shown


def test_a_wrong_list_is_incorrect(ex, right):
    assert ex.q2.check([*right["q2"], 3121]).status is Status.INCORRECT
    assert ex.q2.check(["a", "b"]).status is Status.INCORRECT


def test_learner_code_that_raises_is_explained(ex, crm):
    feedback = ex.q1.check_code(lambda: crm.tickets.groupby("priorty")["sla_hours"].mean())
    assert feedback.status is Status.LEARNER_ERROR
    assert "priorty" in feedback.message


@pytest.mark.parametrize(("qid", "answer", "status", "text"), [
    ("q7", "b", Status.CORRECT, "grows without end"),
    ("q7", "a", Status.INCORRECT, "never get worked off"),
    ("q7", "c", Status.INCORRECT, "spare capacity"),
    ("q8", "b", Status.CORRECT, "comparing a customer with themselves"),
    ("q8", "a", Status.INCORRECT, "less precise, not biased"),
    ("q9", "c", Status.CORRECT, "87 agents"),
    ("q9", "a", Status.INCORRECT, "Erlang C gives 87"),
])  # fmt: skip
def test_quizzes(ex, qid, answer, status, text):
    feedback = ex.quiz(qid, answer=answer)
    assert feedback.status is status and text in feedback.message


def test_hints_get_more_specific_and_solution_is_recorded(ex):
    first, third = str(ex.q2.hint()), str(ex.q2.hint(3))
    assert "tz='Asia/Tehran'" in first and "response_alerts" in third
    assert "response_alerts" in str(ex.q2.solution())
    assert "q2" in str(ex.progress())


def test_reflection_is_recorded_unchecked(ex):
    assert ex.q6.check("One queue for e-mails, then watch the monitor.").status is Status.UNCHECKED


def test_every_item_of_the_lesson_is_in_the_exercises():
    source = Path(__file__).resolve().parents[1] / "exercises" / "source" / "10_service_exercises.ipynb"
    text = "\n".join(c.source for c in nbformat.read(source, as_version=4).cells)
    for item in lesson("10_service").items:
        assert f'"{item.id}"' in text or f"ex.{item.id}.check(" in text, item.id
