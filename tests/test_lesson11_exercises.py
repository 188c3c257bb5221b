"""Lesson 11's exercises: the right answer passes, known mistakes get their message,
junk gets feedback (never a traceback), and the blank is "not attempted".

The practice company keeps its money in whole rials: the right answers divide `amount_cents` by nothing;
dividing by 100 (cents out of habit) or by 10 (toman) are the known unit mistakes."""

from __future__ import annotations

import pandas as pd
import pytest

import crmlab
from crmlab.analysis import kpis, pipeline
from crmlab.exercises import lesson
from crmlab.exercises.feedback import Status

QUESTIONS = ["q1", "q2", "q3", "q4", "q5"]
DAY = pd.Timedelta(days=1)


@pytest.fixture(scope="module")
def crm():
    return crmlab.practice_crm(tables=["opportunities", "opportunity_stages", "customers", "reps"])


@pytest.fixture
def ex():
    return lesson("11_pipeline")


def test_the_practice_company_counts_whole_rials(crm):
    """The premise of the unit mistakes: rials, no minor unit, so `amount_cents` is the amount itself."""
    assert (crm.conventions.currency, crm.conventions.minor_unit) == ("IRR", 0)


@pytest.fixture(scope="module")
def as_of():
    return pipeline.as_of_instant("2025-10-01")


@pytest.fixture(scope="module")
def deals(crm):
    return pipeline.label_deals(crm.opportunities, crm.customers, crm.reps)


@pytest.fixture(scope="module")
def snap(crm, deals, as_of):
    return pipeline.pipeline_as_of(deals, crm.opportunity_stages, as_of)


@pytest.fixture(scope="module")
def limits(crm, as_of):
    return pipeline.stage_limits(pipeline.stage_durations(crm.opportunity_stages, as_of), quantile=0.8)


@pytest.fixture(scope="module")
def chance(crm, as_of):
    return pipeline.win_probability(crm.opportunity_stages, as_of)


def _velocity(frame, as_of, *, divide=1, open_in_rate=False, days=365, how="mean"):
    west = frame[frame["region"] == "West"]
    open_ = west[west["is_open"]]
    closed = west[west["closed_at"] >= as_of - days * DAY]
    won = closed[closed["stage"] == "closed_won"]
    rate = len(won) / (len(closed) + (len(open_) if open_in_rate else 0))
    cycle = ((won["closed_at"] - won["created_at"]) / DAY).agg(how)
    return len(open_) * open_["amount_cents"].mean() / divide * rate / cycle


def _stuck(snap, limits, quantile_column="limit_days"):
    open_ = snap[snap["is_open"]]
    return open_.index[open_["days_in_stage"] > open_["stage"].map(limits[quantile_column])].tolist()


def _weighted(frame, chance, column="win_probability", divide=1):
    open_ = frame[frame["is_open"]]
    return (open_["amount_cents"] / divide * open_["stage"].map(chance[column])).sum()


@pytest.fixture(scope="module")
def right(crm, snap, limits, chance, as_of):
    o = crm.opportunities
    won = o[o["stage"] == "closed_won"]
    stage = o["stage"]
    return {
        "q1": (stage == "closed_won").sum() / stage.isin(["closed_won", "closed_lost"]).sum(),
        "q2": ((won["closed_at"] - won["created_at"]) / DAY).median(),
        "q3": _velocity(snap, as_of),
        "q4": _stuck(snap, limits),
        "q5": _weighted(snap, chance),
    }


@pytest.mark.parametrize("qid", QUESTIONS)
def test_solution_passes(ex, right, qid):
    feedback = getattr(ex, qid).check(right[qid])
    assert feedback.status is Status.CORRECT, str(feedback)


def test_solution_variants_pass(ex, crm, snap, limits, right):
    won = crm.opportunities[crm.opportunities["stage"] == "closed_won"]
    whole_days = (won["closed_at"] - won["created_at"]).dt.days.median()  # floor days: within a day
    assert ex.q2.check(whole_days).status is Status.CORRECT
    assert ex.q4.check(set(right["q4"])).status is Status.CORRECT
    assert ex.q4.check(pd.Index(right["q4"][::-1])).status is Status.CORRECT
    stuck_table = snap.loc[right["q4"]]
    assert ex.q4.check(stuck_table).status is Status.CORRECT  # a table indexed by opportunity_id
    assert ex.q4.check(stuck_table.reset_index()).status is Status.CORRECT
    open_ = snap[snap["is_open"]]
    flags = open_["days_in_stage"] > open_["stage"].map(limits["limit_days"])
    assert ex.q4.check(flags).status is Status.CORRECT  # True/False per deal


def _today(crm):
    o = crm.opportunities.merge(crm.customers[["customer_id", "region"]], on="customer_id").set_index("opportunity_id")
    return o.assign(is_open=~o["stage"].isin(["closed_won", "closed_lost"]))


@pytest.mark.parametrize(
    ("qid", "wrong", "message"),
    [
        ("q1", lambda c, s, lim, ch, t: (c.opportunities["stage"] == "closed_won").mean(), "open ones included"),
        ("q1", lambda c, s, lim, ch, t: (c.opportunities["stage"] == "closed_won").sum()
            / (c.opportunities["stage"] == "closed_lost").sum(), "(odds)"),
        ("q2", lambda c, s, lim, ch, t: ((c.opportunities["closed_at"] - c.opportunities["created_at"]) / DAY)
            .median(), "You included lost deals"),
        ("q2", lambda c, s, lim, ch, t: ((c.opportunities["closed_at"] - c.opportunities["created_at"]) / DAY)
            [c.opportunities["stage"] == "closed_won"].mean(), "That is the mean"),
        ("q3", lambda c, s, lim, ch, t: _velocity(s, t, divide=100), "100 times too small"),
        ("q3", lambda c, s, lim, ch, t: _velocity(s, t, divide=10), "in toman"),
        ("q3", lambda c, s, lim, ch, t: _velocity(s, t, open_in_rate=True), "counts the open deals"),
        ("q3", lambda c, s, lim, ch, t: _velocity(_today(c), t), "stage *today*"),
        ("q3", lambda c, s, lim, ch, t: _velocity(s, t, days=10_000), "every deal ever closed"),
        ("q3", lambda c, s, lim, ch, t: _velocity(s, t, how="median"), "median cycle"),
        ("q4", lambda c, s, lim, ch, t: _stuck(pipeline.pipeline_as_of(c.opportunities, c.opportunity_stages,
                                                                       kpis.EXPORT_END), lim), "stuck *today*"),
        ("q4", lambda c, s, lim, ch, t: _stuck(s, lim, "median_days"), "typical (median) time"),
        ("q4", lambda c, s, lim, ch, t: [], "No stuck deal at all"),
        ("q5", lambda c, s, lim, ch, t: _weighted(s, ch, divide=100), "100 times too small"),
        ("q5", lambda c, s, lim, ch, t: _weighted(s, ch, divide=10), "in toman"),
        ("q5", lambda c, s, lim, ch, t: _weighted(s, ch, "conversion"), "*next* stage"),
        ("q5", lambda c, s, lim, ch, t: _weighted(_today(c), ch), "today's open deals"),
        ("q5", lambda c, s, lim, ch, t: _weighted(s, pipeline.win_probability(c.opportunity_stages)),
         "whole history"),
    ],
)
def test_known_mistakes_get_their_message(ex, crm, snap, limits, chance, as_of, qid, wrong, message):
    feedback = getattr(ex, qid).check(wrong(crm, snap, limits, chance, as_of))
    assert feedback.status is Status.INCORRECT
    assert message in feedback.message, feedback.message


def test_stuck_today_by_the_lesson_helper_gets_the_message(ex, crm, snap, limits):
    """Asking ageing_deals at the export (today's limits too) is the same mistake."""
    today = pipeline.ageing_deals(crm.opportunities, crm.opportunity_stages, kpis.EXPORT_END)
    flagged = sorted(today.index[today["is_stuck"]])
    assert flagged and flagged != sorted(_stuck(snap, limits))
    feedback = ex.q4.check(flagged)
    assert feedback.status is Status.INCORRECT and "stuck *today*" in feedback.message


def test_a_wrong_number_says_what_is_wrong_without_the_answer(ex, right):
    feedback = ex.q3.check(right["q3"] * 1.3)
    assert feedback.status is Status.INCORRECT
    assert f"{right['q3']:.1f}" not in str(feedback)


def test_a_table_without_ids_is_explained(ex):
    feedback = ex.q4.check(pd.DataFrame({"stage": ["proposal"]}))
    assert feedback.status is Status.INCORRECT
    assert "opportunity_id" in feedback.message


def test_learner_code_that_raises_is_explained(ex, snap):
    feedback = ex.q5.check_code(lambda: snap["amount_cent"].sum())
    assert feedback.status is Status.LEARNER_ERROR
    assert "amount_cents" in feedback.message  # the closest column name is suggested


@pytest.mark.parametrize(("qid", "answer", "status", "text"), [
    ("q6", "b", Status.CORRECT, "only what was known on 1 July"),
    ("q6", "a", Status.INCORRECT, "already knows which July deals were won"),
    ("q6", "c", Status.INCORRECT, "in the forecast's future"),
    ("q8", ["a", "c"], Status.CORRECT, "the cycle divides"),
    ("q8", "d", Status.INCORRECT, ""),
    ("q9", "b", Status.CORRECT, "experiment"),
    ("q9", "a", Status.INCORRECT, "reads a correlation across reps as a cause"),
    ("q9", "c", Status.INCORRECT, "a lead worth testing"),
])
def test_quizzes(ex, qid, answer, status, text):
    feedback = ex.quiz(qid, answer=answer)
    assert feedback.status is status and text in feedback.message


def test_hints_get_more_specific_and_solution_is_recorded(ex):
    first, third = str(ex.q1.hint()), str(ex.q1.hint(3))
    assert "decided" in first and "won + lost" in third
    assert "closed_lost" in str(ex.q1.solution())
    assert "q1" in str(ex.progress())


def test_reflection_is_recorded_unchecked(ex):
    feedback = ex.q7.check("A diligent rep does both; randomise coaching to find out.")
    assert feedback.status is Status.UNCHECKED
