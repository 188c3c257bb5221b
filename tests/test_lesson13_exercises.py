"""Lesson 13's exercises: the right decisions pass, known wrong decisions get their message, junk
gets feedback (never a traceback), the blank is "not attempted", and the facts the feedback states
about the CDNOW log hold."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from statsmodels.duration.survfunc import SurvfuncRight

from crmlab.analysis import clv
from crmlab.analysis import cohorts as co
from crmlab.analysis.rfm import rfm_summary
from crmlab.datasets import load_cdnow
from crmlab.exercises import lesson
from crmlab.exercises.feedback import Status
from crmlab.exercises.lessons import l13_capstone as l13

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ["q1", "q3", "q4", "q5", "q6", "q7", "q8"]
CDNOW = {"customer": "customer_id", "time": "date", "status": None}
LIFT, COST, BUDGET, MARGIN = 0.20, 1.00, 2_500, 0.30


@pytest.fixture
def ex():
    return lesson("13_capstone")


@pytest.fixture(scope="module")
def raw():
    return load_cdnow()


@pytest.fixture(scope="module")
def clean(raw):
    return raw[~raw.duplicated()]


@pytest.fixture(scope="module")
def summary(clean):
    return rfm_summary(clean, monetary_value_col="amount", observation_period_end="1998-06-30")


@pytest.fixture(scope="module")
def retention(clean):
    return co.retention_matrix(clean, **CDNOW)


@pytest.fixture(scope="module")
def calibrated(clean):
    cal, hold = clv.calibration_holdout(clean, "1997-09-30", "1998-06-30", period_days=7)
    return cal, hold, clv.BetaGeoModel().fit(cal["frequency"], cal["recency"], cal["T"])


@pytest.fixture(scope="module")
def weeks(summary):
    return summary.assign(recency=summary["recency"] / 7, T=summary["T"] / 7)


def _km_window(clean, share=0.9):
    """Lesson 07's lapse window by statsmodels' Kaplan-Meier: every wait after a purchase day, the last one
    open to the end of the log (censored); the first day by which ``share`` of the returns seen have happened."""
    days = clean[["customer_id", "date"]].drop_duplicates().sort_values(["customer_id", "date"])
    following = days.groupby("customer_id")["date"].shift(-1)
    length = (following.fillna(clean["date"].max()) - days["date"]).dt.days
    fit = SurvfuncRight(length.to_numpy(), following.notna().to_numpy().astype(int))
    returned = 1 - fit.surv_prob
    return int(fit.surv_times[np.argmax(returned / returned[-1] >= share - 1e-12)])


def _pooled_window(clean):
    """The 90th percentile of the closed gaps alone, which lesson 07 shows is biased short."""
    days = clean[["customer_id", "date"]].drop_duplicates().sort_values(["customer_id", "date"])
    return math.ceil(days.groupby("customer_id")["date"].diff().dt.days.dropna().quantile(0.9))


def _lapsed(clean, window):
    """Silent for more than ``window`` days on the log's last day."""
    last = clean.groupby("customer_id")["date"].max()
    return (clean["date"].max() - last).dt.days > window


@pytest.fixture(scope="module")
def pool(clean, weeks):
    """The lapsed customers with their 12-month profit value and the expected net of a letter."""
    repeat = weeks[(weeks["frequency"] > 0) & (weeks["monetary_value"] > 0)]
    bgnbd = clv.BetaGeoModel().fit(weeks["frequency"], weeks["recency"], weeks["T"])
    spend = clv.GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    ranking = clv.clv_ranking(bgnbd, spend, weeks, months=12, periods_per_month=365.25 / 12 / 7, margin=MARGIN)
    everyone = ranking.assign(net=LIFT * ranking["clv"] - COST, lapsed=_lapsed(clean, _km_window(clean)))
    return everyone.assign(lapsed_pooled=_lapsed(clean, _pooled_window(clean)))


def _plan(pool, lapsed_only=True, positive=True):
    chosen = pool[pool["lapsed"]] if lapsed_only else pool
    chosen = chosen.sort_values("net", ascending=False)
    if positive:
        chosen = chosen[chosen["net"] > 0]
    return chosen.head(int(BUDGET // COST))


def _expected(calibrated, horizon=39.0):
    cal, _, model = calibrated
    c = cal.loc[15011]
    return model.expected_purchases(horizon, c["frequency"], c["recency"], c["T"])[0]


def _right(raw, clean, summary, retention, calibrated, pool):
    return {
        "q1": int(raw.duplicated().sum()),
        "q3": clean["date"].max(),
        "q4": (summary["frequency"] == 0).mean(),
        "q5": retention.loc[pd.Period("1997-02", "M"), 3],
        "q6": _expected(calibrated),
        "q7": len(_plan(pool)),
        "q8": _plan(pool)["net"].sum(),
    }


@pytest.fixture(scope="module")
def right(raw, clean, summary, retention, calibrated, pool):
    return _right(raw, clean, summary, retention, calibrated, pool)


@pytest.mark.parametrize("qid", CHECKED)
def test_solution_passes(ex, right, qid):
    feedback = getattr(ex, qid).check(right[qid])
    assert feedback.status is Status.CORRECT, str(feedback)


def test_the_right_answers_are_the_real_numbers(right):
    """The decisions on the real log, pinned: a change of data or helper that moves them must be noticed."""
    assert right["q1"] == 255
    assert right["q3"] == pd.Timestamp("1998-06-30")
    assert right["q4"] == pytest.approx(0.5114, abs=1e-4)
    assert right["q5"] == pytest.approx(0.0924, abs=1e-4)
    assert right["q6"] == pytest.approx(2.763, abs=2e-3)
    assert right["q7"] == 1053  # snapshot: with the Kaplan-Meier lapse window of 232 days
    assert right["q8"] == pytest.approx(831.4, abs=1.0)  # snapshot


@pytest.mark.parametrize("answer", ["1998-06-30", " 1998-06-30", pd.Timestamp("1998-06-30 18:00"),
                                    dt.date(1998, 6, 30), np.datetime64("1998-06-30")])
def test_q3_accepts_any_form_of_the_day(ex, answer):
    assert ex.q3.check(answer).status is Status.CORRECT


def test_rounded_answers_pass(ex, right):
    assert ex.q4.check(round(right["q4"], 3)).status is Status.CORRECT
    assert ex.q5.check(round(right["q5"], 3)).status is Status.CORRECT
    assert ex.q6.check(round(right["q6"], 3)).status is Status.CORRECT
    assert ex.q8.check(round(right["q8"])).status is Status.CORRECT
    assert ex.q1.check(255.0).status is Status.CORRECT


def _p_alive(calibrated):
    cal, _, model = calibrated
    c = cal.loc[15011]
    return model.probability_alive(c["frequency"], c["recency"], c["T"])[0]


def _pooled(pool):
    """The pool with the lapsed customers of the closed-gap percentile window."""
    return pool.assign(lapsed=pool["lapsed_pooled"])


def _p_alive_net(pool, n, tie_order):
    lapsed = pool[pool["lapsed"]].sort_values(tie_order)
    return lapsed.sort_values("p_alive", ascending=False, kind="stable")["net"].head(n).sum()


WRONG = [
    ("q1", lambda d: int((d["raw"].duplicated() | d["raw"]["amount"].eq(0)).sum()), "dropped the zero-amount lines"),
    ("q1", lambda d: int(d["raw"].duplicated(keep=False).sum()), "every copy of a repeated line"),
    ("q1", lambda d: int((d["raw"].duplicated(keep=False) | d["raw"]["amount"].eq(0)).sum()), "both go too far"),
    ("q1", lambda d: int(d["raw"].duplicated(["customer_id", "date"]).sum()), "one line per customer and day"),
    ("q1", lambda d: int(d["raw"]["amount"].eq(0).sum()), "only the zero-amount lines"),
    ("q1", lambda d: len(d["clean"]), "rows you KEEP"),
    ("q1", lambda d: 0, "You drop nothing"),
    ("q3", lambda d: pd.Timestamp("2026-11-25"), "after the data ends"),
    ("q3", lambda d: d["clean"]["date"].min(), "first day of the log"),
    ("q3", lambda d: "1997-09-30", "end of the calibration period"),
    ("q4", lambda d: (d["summary"]["frequency"] == 1).mean(), "counted the first purchase as a repeat"),
    ("q4", lambda d: (d["clean"].groupby("customer_id").size() == 1).mean(), "one LINE"),
    ("q4", lambda d: int((d["summary"]["frequency"] == 0).sum()), "number of customers"),
    ("q4", lambda d: 100 * (d["summary"]["frequency"] == 0).mean(), "not a percentage"),
    ("q5", lambda d: d["retention"].loc[pd.Period("1997-02", "M"), 2], "You read month 2"),
    ("q5", lambda d: d["retention"].loc[pd.Period("1997-02", "M"), 4], "you read month 4"),
    ("q5", lambda d: d["retention"].loc[pd.Period("1997-02", "M"), 1], "calendar month March 1997"),
    ("q5", lambda d: d["retention"].loc[pd.Period("1997-01", "M"), 3], "another cohort"),
    ("q5", lambda d: d["retention"].loc[pd.Period("1997-03", "M"), 3], "another cohort"),
    ("q5", lambda d: round(d["retention"].loc[pd.Period("1997-02", "M"), 3] * 8476), "number of customers"),
    ("q5", lambda d: 100 * d["retention"].loc[pd.Period("1997-02", "M"), 3], "not a percentage"),
    ("q6", "leaky", "Leakage"),
    ("q6", lambda d: _expected(d["calibrated"], horizon=273), "horizon in days"),
    ("q6", lambda d: _p_alive(d["calibrated"]), "probability the customer is still alive"),
    ("q6", lambda d: d["calibrated"][1].loc[15011, "frequency_holdout"], "actually did"),
    ("q7", lambda d: int(BUDGET // COST), "ceiling, not a target"),
    ("q7", lambda d: len(_plan(d["pool"], lapsed_only=False)), "ceiling, not a target"),
    ("q7", lambda d: int(((LIFT * MARGIN * d["pool"]["clv"] - COST > 0) & d["pool"]["lapsed"]).sum()), "margin twice"),
    ("q7", lambda d: len(_plan(_pooled(d["pool"]))), "90th percentile of the closed gaps"),
    ("q8", lambda d: _plan(_pooled(d["pool"]))["net"].sum(), "90th percentile of the closed gaps"),
    ("q8", lambda d: _p_alive_net(d["pool"], len(_plan(d["pool"])), "clv"), "probability of being alive"),
    ("q8", lambda d: _p_alive_net(d["pool"], len(_plan(d["pool"])), "customer_id"), "probability of being alive"),
    ("q8", lambda d: _p_alive_net(d["pool"], len(_plan(d["pool"])), "T"), "probability of being alive"),
    ("q8", lambda d: (LIFT * _plan(d["pool"])["clv"]).sum(), "before the letters are paid for"),
    ("q8", lambda d: _plan(d["pool"], positive=False)["net"].sum(), "as many lapsed customers as the budget"),
    ("q8", lambda d: _plan(d["pool"], lapsed_only=False)["net"].sum(), "You included active customers"),
    ("q8", lambda d: _plan(d["pool"])["net"].sum() / len(_plan(d["pool"])), "return per dollar"),
]


@pytest.fixture(scope="module")
def data(raw, clean, summary, retention, calibrated, pool, weeks):
    return {"raw": raw, "clean": clean, "summary": summary, "retention": retention, "calibrated": calibrated,
            "pool": pool, "weeks": weeks}


def _leaky(data):
    """BG/NBD calibrated on the whole log, then asked about the 39 holdout weeks."""
    weeks = data["weeks"]
    model = clv.BetaGeoModel().fit(weeks["frequency"], weeks["recency"], weeks["T"])
    c = weeks.loc[15011]
    return model.expected_purchases(39, c["frequency"], c["recency"], c["T"])[0]


@pytest.mark.parametrize(("qid", "wrong", "message"), WRONG, ids=[f"{q}-{m[:20]}" for q, _, m in WRONG])
def test_known_mistakes_get_their_message(ex, data, qid, wrong, message):
    answer = _leaky(data) if wrong == "leaky" else wrong(data)
    feedback = getattr(ex, qid).check(answer)
    assert feedback.status is Status.INCORRECT
    assert message in feedback.message, feedback.message


def test_wrong_answers_never_show_the_expected_value(ex, right):
    feedback = ex.q7.check(1234)
    assert feedback.status is Status.INCORRECT
    assert str(right["q7"]) not in str(feedback) and f"{right['q7']:,}" not in str(feedback)


def test_q3_explains_a_whole_column(ex, clean):
    feedback = ex.q3.check(clean["date"])
    assert feedback.status is Status.INCORRECT and "not a whole column" in feedback.message


def test_learner_code_that_raises_is_explained(ex, clean):
    feedback = ex.q4.check_code(lambda: clean.groupby("customer")["date"].nunique())
    assert feedback.status is Status.LEARNER_ERROR
    assert "customer_id" in feedback.message


@pytest.mark.parametrize(("qid", "answer", "status", "text"), [
    ("q2", "b", Status.CORRECT, "real transaction that brings no money"),
    ("q2", "a", Status.INCORRECT, "negative amount"),
    ("q2", "c", Status.INCORRECT, "invents revenue"),
    ("q10", "c", Status.CORRECT, "holds no customer acquired later"),
    ("q10", "a", Status.INCORRECT, "exactly what it shows"),
    ("q10", "b", Status.INCORRECT, "one cell of the matrix"),
    ("q11", "a", Status.CORRECT, "already seen the weeks"),
    ("q11", "b", Status.INCORRECT, "not a better check"),
    ("q11", "c", Status.INCORRECT, "must be"),
])
def test_quizzes(ex, qid, answer, status, text):
    feedback = ex.quiz(qid, answer=answer)
    assert feedback.status is status and text in feedback.message


def test_hints_get_more_specific_and_solutions_are_recorded(ex):
    assert "Decide" in str(ex.q1.hint()) and "duplicated()" in str(ex.q1.hint(3))
    assert "calibration_holdout" in str(ex.q6.solution())
    assert "q6" in str(ex.progress())


def test_reflection_is_recorded_unchecked(ex):
    assert ex.q9.check("The lift is assumed: keep a control group.").status is Status.UNCHECKED


# ---------------------------------------------------------------- the facts the feedback states


def test_the_facts_behind_the_feedback_hold(raw, summary, retention):
    zero = raw["amount"].eq(0)
    first_day = raw["date"].eq(raw.groupby("customer_id")["date"].transform("min"))
    assert (int(zero.sum()), int((zero & raw["quantity"].eq(1)).sum()), int((zero & first_day).sum())) == (80, 80, 72)
    assert int(raw["amount"].lt(0).sum()) == 0  # no returns in the file
    assert int(zero.groupby(raw["customer_id"]).all().sum()) == 68  # customers whose only line is a free CD
    first = raw.groupby("customer_id")["date"].min().dt.to_period("M")
    first_paid = raw[~zero].groupby("customer_id")["date"].min().dt.to_period("M")
    assert int((first_paid != first.reindex(first_paid.index)).sum()) == 4  # moved to a later month
    copies = raw.duplicated()
    assert raw.loc[copies, "amount"].sum() / raw["amount"].sum() < 0.002  # "less than 0.2%"
    days = raw[["customer_id", "date"]].drop_duplicates()
    assert len(days) == len(raw[~copies][["customer_id", "date"]].drop_duplicates())  # no purchase day changes
    assert 0.5 < (summary["frequency"] == 0).mean() < 0.52  # "half of the customers"
    assert retention.loc[pd.Period("1997-02", "M"), 3] < 0.1  # "fewer than one in ten"


def test_the_lapse_window_is_lesson_07s_censored_one(clean, pool):
    """The capstone's lapsed customers come from the Kaplan-Meier window (statsmodels here), which is longer
    than the closed-gap percentile, so fewer customers count as lapsed and the mailing changes."""
    window, pooled = _km_window(clean), _pooled_window(clean)
    assert window == l13._window() and pooled == l13._pooled_window() and window > pooled
    assert l13._lapsed().sort_index().equals(pool["lapsed"].sort_index())
    assert pool["lapsed"].sum() < pool["lapsed_pooled"].sum()
    assert not (pool["lapsed"] & ~pool["lapsed_pooled"]).any()  # a longer window only removes customers


def test_p_alive_targets_are_one_time_buyers(pool):
    """q8's message: among lapsed customers the most 'alive' are the one-time buyers, with p_alive 1."""
    lapsed = pool[pool["lapsed"]]
    top = lapsed.sort_values("p_alive", ascending=False).head(len(_plan(pool)))
    assert (top["frequency"] == 0).all() and np.allclose(top["p_alive"], 1.0)
    assert (top["net"] < 0).all()


def _parameters(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    values: dict = {}
    exec(cell.source, {}, values)  # the literals of our own notebook
    return values


def test_the_lesson_and_the_exercises_share_their_assumptions():
    lesson_params = _parameters(ROOT / "notebooks" / "13_capstone.ipynb")
    # The lesson's dates default to the data's (middle day, last day): on CDNOW, the exercises' dates.
    assert (lesson_params["CALIBRATION_END"], lesson_params["HOLDOUT_END"]) == (None, None)
    days = load_cdnow()["date"]
    assert str((days.min() + (days.max() - days.min()) / 2).floor("D").date()) == l13.CALIBRATION_END
    assert str(days.max().date()) == l13.HOLDOUT_END
    assert {k: lesson_params[k] for k in ("MARGIN", "OFFER_LIFT", "COST_PER_CONTACT",
                                          "BUDGET", "LAPSE_QUANTILE", "MONTHS")} == {  # fmt: skip
        "MARGIN": l13.MARGIN,
        "OFFER_LIFT": l13.OFFER_LIFT, "COST_PER_CONTACT": l13.COST_PER_CONTACT, "BUDGET": l13.BUDGET,
        "LAPSE_QUANTILE": l13.LAPSE_QUANTILE, "MONTHS": l13.MONTHS,
    }
    assert (MARGIN, LIFT, COST, BUDGET) == (l13.MARGIN, l13.OFFER_LIFT, l13.COST_PER_CONTACT, l13.BUDGET)
