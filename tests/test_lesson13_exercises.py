"""Lesson 13's exercises, the practice company's win-back case: the right decisions pass, known wrong
decisions get their message, junk gets feedback (never a traceback), and the facts the feedback states hold.

The answers are recomputed here without the exercise module's helpers: the export cleaned with the
generator's planted truths (test customers, duplicate map, the orders typed in toman) and plain pandas,
the lapse window by statsmodels' Kaplan-Meier, the expected profit by lifetimes' BG/NBD and Gamma-Gamma,
summed month by month by hand. Money is in whole rials, the practice company's currency."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data
from statsmodels.duration.survfunc import SurvfuncRight

import crmlab
from crmlab.exercises import lesson
from crmlab.exercises.feedback import Status
from crmlab.exercises.lessons import l13_capstone as l13

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ["q1", "q2", "q3", "q5", "q6", "q7"]
ALL = ("completed", "cancelled", "returned")
# The manager's brief, as the exercise notebook states it; money in whole rials.
MARGIN, LIFT, COST, BUDGET = 0.25, 0.15, 10_000_000, 8_000_000_000
MILLION = 1e6


@pytest.fixture
def ex():
    return lesson("13_capstone")


@pytest.fixture(scope="module")
def crm():
    return crmlab.practice_crm(tables=["raw_orders", "customers"])


def _purchases(crm, statuses=("completed",), drop_tests=True, fix_units=True):
    """The raw orders cleaned with the planted truths: test customers out, duplicates on their master, the
    totals typed in toman (a tenth of the rials) multiplied by ten. Whole rials: the amount is the total."""
    assert crm.conventions.minor_unit == 0
    raw = crm.raw_orders
    if fix_units:
        typed = raw["order_id"].isin(crm.truth["unit_mixup_order_ids"])
        raw = raw.assign(total_cents=raw["total_cents"].where(~typed, raw["total_cents"] * 10))
    if drop_tests:
        raw = raw[~raw["customer_id"].isin(crm.truth["test_customer_ids"])]
    master = {int(dup): int(keep) for dup, keep in crm.truth["duplicates"].items()}
    kept = raw[raw["status"].isin(statuses)]
    day = kept["ordered_at"].dt.tz_convert(crm.conventions.timezone).dt.tz_localize(None).dt.normalize()
    return pd.DataFrame({"customer_id": kept["customer_id"].replace(master), "date": day,
                         "amount": kept["total_cents"].astype(float)})  # fmt: skip


@pytest.fixture(scope="module")
def purchases(crm):
    return _purchases(crm)


def _km_window(purchases, share=0.9):
    """statsmodels' Kaplan-Meier on every wait after a purchase day, the last one open to the end (censored)."""
    days = purchases[["customer_id", "date"]].drop_duplicates().sort_values(["customer_id", "date"])
    following = days.groupby("customer_id")["date"].shift(-1)
    length = (following.fillna(purchases["date"].max()) - days["date"]).dt.days
    fit = SurvfuncRight(length.to_numpy(), following.notna().to_numpy().astype(int))
    returned = 1 - fit.surv_prob
    return int(fit.surv_times[np.argmax(returned / returned[-1] >= share - 1e-12)])


def _pooled_window(purchases):
    days = purchases[["customer_id", "date"]].drop_duplicates().sort_values(["customer_id", "date"])
    return int(np.ceil(days.groupby("customer_id")["date"].diff().dt.days.dropna().quantile(0.9)))


def _lapsed(purchases, window):
    last = purchases.groupby("customer_id")["date"].max()
    return (purchases["date"].max() - last).dt.days > window


def _value(purchases):
    """Each buyer's expected purchases over the next 12 months, value per purchase and p_alive (lifetimes)."""
    per_day = purchases.groupby(["customer_id", "date"], as_index=False)["amount"].sum()
    summary = summary_data_from_transaction_data(per_day, "customer_id", "date", "amount", freq="D",
                                                 observation_period_end=purchases["date"].max())  # fmt: skip
    summary[["recency", "T"]] = summary[["recency", "T"]] / 7
    bgf = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    # lifetimes' optimiser does not converge on amounts of hundreds of millions of rials; Gamma-Gamma is
    # scale-equivariant (p, q unchanged, v and the expected spend scale with the unit), so fit in millions
    ggf = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"] / MILLION)
    spend = MILLION * ggf.conditional_expected_average_profit(summary["frequency"], summary["monetary_value"] / MILLION)
    clv = pd.Series(0.0, index=summary.index)
    previous = 0.0
    for month in range(1, 13):
        cumulative = bgf.conditional_expected_number_of_purchases_up_to_time(
            month * 365.25 / 12 / 7, summary["frequency"], summary["recency"], summary["T"])
        clv += (cumulative - previous) * spend / 1.01**month
        previous = cumulative
    alive = bgf.conditional_probability_alive(summary["frequency"], summary["recency"], summary["T"])
    return pd.DataFrame({"revenue": clv, "p_alive": alive, "frequency": summary["frequency"]})


@pytest.fixture(scope="module")
def value(purchases):
    return _value(purchases)


@pytest.fixture(scope="module")
def toman_revenue(crm):
    """The 12-month revenue when the totals typed in toman are left as they are (the q5, q7 mistake)."""
    return _value(_purchases(crm, fix_units=False))["revenue"]


@pytest.fixture(scope="module")
def pool(crm, purchases, value):
    """Every buyer with profit value, the net of one offer, and whether lapsed (both windows) and consenting
    (the offer goes by SMS: `sms` is the consent that counts)."""
    consent = crm.customers.set_index("customer_id")
    out = value.assign(clv=MARGIN * value["revenue"])
    out["net"] = LIFT * out["clv"] - COST
    out["lapsed"] = _lapsed(purchases, _km_window(purchases))
    out["lapsed_pooled"] = _lapsed(purchases, _pooled_window(purchases))
    out["email"] = consent["consent_email"].reindex(out.index).astype(bool)
    out["sms"] = consent["consent_sms"].reindex(out.index).astype(bool)
    return out


def _reachable(pool, consent="sms"):
    return pool["lapsed"] & pool[consent]


def _plan(pool, lapsed="lapsed", consent="sms", positive=True):
    chosen = pool[pool[lapsed] & (pool[consent] if consent else True)].sort_values("net", ascending=False)
    if positive:
        chosen = chosen[chosen["net"] > 0]
    return chosen.head(int(BUDGET // COST))


@pytest.fixture(scope="module")
def right(purchases, pool):
    return {
        "q1": len(purchases),
        "q2": _km_window(purchases),
        "q3": int((pool["lapsed"] & pool["sms"]).sum()),
        "q5": pool.loc[pool["lapsed"] & pool["sms"], "clv"].max(),
        "q6": len(_plan(pool)),
        "q7": _plan(pool)["net"].sum(),
    }


@pytest.mark.parametrize("qid", CHECKED)
def test_solution_passes(ex, right, qid):
    feedback = getattr(ex, qid).check(right[qid])
    assert feedback.status is Status.CORRECT, str(feedback)


def test_the_right_answers_are_the_practice_companys_numbers(right):
    """Snapshots of the case on the practice company: a change of data or helper that moves them must be noticed."""
    assert right["q1"] == 12049  # snapshot
    assert right["q2"] == 356  # snapshot
    assert right["q3"] == 595  # snapshot
    assert right["q5"] == pytest.approx(208_375_000, rel=1e-4)  # snapshot, rials
    assert right["q6"] == 340  # snapshot
    assert right["q7"] == pytest.approx(1_791_827_000, rel=1e-4)  # snapshot, rials


def test_the_oracle_cleaning_is_the_lessons_cleaning(crm):
    """The planted truths clean the export as lesson 03's clean_export does: the same orders count."""
    clean = l13._export().orders
    assert sorted(clean["order_id"]) == sorted(crm.raw_orders.loc[
        ~crm.raw_orders["customer_id"].isin(crm.truth["test_customer_ids"]), "order_id"])  # fmt: skip
    assert not clean["customer_id"].isin([int(k) for k in crm.truth["duplicates"]]).any()
    # the totals typed in toman, and only they, are corrected: ten times what was typed
    raw = crm.raw_orders.set_index("order_id")["total_cents"]
    fixed = clean.set_index("order_id")["total_cents"]
    changed = fixed.index[fixed != raw.reindex(fixed.index)]
    planted = [i for i in crm.truth["unit_mixup_order_ids"] if i in fixed.index]
    assert sorted(changed) == sorted(planted) and len(planted) > 0
    assert (fixed[planted] == 10 * raw[planted]).all()


def test_rounded_answers_pass(ex, right):
    assert ex.q5.check(round(right["q5"], 2)).status is Status.CORRECT
    assert ex.q7.check(round(right["q7"])).status is Status.CORRECT
    assert ex.q1.check(float(right["q1"])).status is Status.CORRECT


WRONG = [
    ("q1", lambda d: len(_purchases(d["crm"], ALL)), "every order of the clean"),
    ("q1", lambda d: len(_purchases(d["crm"], ("completed", "returned"))), "kept the returned orders"),
    ("q1", lambda d: len(_purchases(d["crm"], drop_tests=False)), "test records' orders are still in"),
    ("q1", lambda d: len(d["crm"].raw_orders), "every row of the raw export"),
    ("q2", lambda d: _pooled_window(d["purchases"]), "closed gaps"),
    ("q2", lambda d: _km_window(d["purchases"], share=0.5), "median wait"),
    ("q2", lambda d: _km_window(_purchases(d["crm"], ALL)), "cancelled and returned"),
    ("q3", lambda d: int(d["pool"]["lapsed"].sum()), "did not agree to marketing SMS"),
    ("q3", lambda d: int(_reachable(d["pool"], "email").sum()), "You used `consent_email`"),
    ("q3", lambda d: int((d["pool"]["lapsed_pooled"] & d["pool"]["sms"]).sum()), "closed gaps"),
    ("q5", lambda d: d["pool"].loc[_reachable(d["pool"]), "revenue"].max(), "in revenue"),
    ("q5", lambda d: MARGIN * d["toman"][_reachable(d["pool"])].max(), "typed in toman"),
    ("q5", lambda d: d["pool"]["clv"].max(), "whole company"),
    ("q5", lambda d: MARGIN * d["pool"].loc[_reachable(d["pool"]), "clv"].max(), "margin twice"),
    ("q5", lambda d: d["pool"].loc[_reachable(d["pool"]), "clv"].max() / 10, "value in toman"),
    ("q6", lambda d: int(BUDGET // COST), "ceiling, not a target"),
    ("q6", lambda d: int(_reachable(d["pool"]).sum()), "every customer of question 3"),
    ("q6", lambda d: len(_plan(d["pool"].assign(net=LIFT * d["pool"]["revenue"] - COST))), "in revenue"),
    ("q6", lambda d: len(_plan(d["pool"].assign(net=LIFT * MARGIN * d["pool"]["clv"] - COST))), "margin twice"),
    ("q6", lambda d: len(_plan(d["pool"], consent=None)), "did not agree to marketing SMS"),
    ("q6", lambda d: len(_plan(d["pool"], consent="email")), "You used `consent_email`"),
    ("q6", lambda d: len(_plan(d["pool"], lapsed="lapsed_pooled")), "closed gaps"),
    ("q7", lambda d: (LIFT * _plan(d["pool"])["clv"]).sum(), "before the offers are paid for"),
    ("q7", lambda d: _plan(d["pool"].assign(net=LIFT * d["pool"]["revenue"] - COST))["net"].sum(), "in revenue"),
    ("q7", lambda d: _plan(d["pool"].assign(net=LIFT * MARGIN * d["toman"] - COST))["net"].sum(), "typed in toman"),
    ("q7", lambda d: _plan(d["pool"], consent=None)["net"].sum(), "did not agree to marketing SMS"),
    ("q7", lambda d: _plan(d["pool"], consent="email")["net"].sum(), "You used `consent_email`"),
    ("q7", lambda d: _plan(d["pool"], lapsed="lapsed_pooled")["net"].sum(), "closed gaps"),
    ("q7", lambda d: _by_p_alive(d["pool"])["net"].sum(), "probability of being alive"),
    ("q7", lambda d: _plan(d["pool"])["net"].mean(), "per customer"),
]


def _by_p_alive(pool):
    reachable = pool[_reachable(pool)]
    return reachable.sort_values("p_alive", ascending=False, kind="stable").head(len(_plan(pool)))


@pytest.fixture(scope="module")
def data(crm, purchases, pool, toman_revenue):
    return {"crm": crm, "purchases": purchases, "pool": pool, "toman": toman_revenue.reindex(pool.index)}


@pytest.mark.parametrize(("qid", "wrong", "message"), WRONG, ids=[f"{q}-{m[:20]}" for q, _, m in WRONG])
def test_known_mistakes_get_their_message(ex, data, qid, wrong, message):
    feedback = getattr(ex, qid).check(wrong(data))
    assert feedback.status is Status.INCORRECT
    assert message in feedback.message, feedback.message


def test_q6_margin_twice_is_no_mailing_at_all(pool):
    """With the margin applied twice even the best reachable customer is worth less than the offer's cost."""
    assert len(_plan(pool.assign(net=LIFT * MARGIN * pool["clv"] - COST))) == 0


def test_wrong_answers_never_show_the_expected_value(ex, right):
    feedback = ex.q6.check(123)
    assert feedback.status is Status.INCORRECT
    assert str(right["q6"]) not in str(feedback)


def test_learner_code_that_raises_is_explained(ex, purchases):
    feedback = ex.q1.check_code(lambda: purchases.groupby("customer")["date"].nunique())
    assert feedback.status is Status.LEARNER_ERROR
    assert "customer_id" in feedback.message


@pytest.mark.parametrize(("qid", "answer", "status", "text"), [
    ("q4", "c", Status.CORRECT, "Consent is not a score"),
    ("q4", "a", Status.INCORRECT, "Value does not buy consent"),
    ("q4", "b", Status.INCORRECT, "with or without a voucher"),
    ("q10", "c", Status.CORRECT, "holds no customer acquired later"),
    ("q11", "a", Status.CORRECT, "already seen the weeks"),
])
def test_quizzes(ex, qid, answer, status, text):
    feedback = ex.quiz(qid, answer=answer)
    assert feedback.status is status and text in feedback.message


def test_hints_get_more_specific_and_solutions_are_recorded(ex):
    assert "clean_export" in str(ex.q1.hint()) and "order_transactions" in str(ex.q1.hint(3))
    assert "survival_lapse_window" in str(ex.q2.solution())
    assert "q2" in str(ex.progress())


@pytest.mark.parametrize("qid", ["q8", "q9"])
def test_reflections_are_recorded_unchecked_with_their_rubric(ex, qid):
    feedback = getattr(ex, qid).check("Plan with 25%, show 20% and 30%, and keep a random control group.")
    assert feedback.status is Status.UNCHECKED
    assert len(feedback.rubric) >= 3 and "Rubric" in str(feedback)


# ---------------------------------------------------------------- the facts the feedback states


def test_the_lapse_window_is_lesson_07s_censored_one(purchases, pool):
    """The case's lapsed customers come from the Kaplan-Meier window, longer than the closed-gap percentile."""
    window, pooled = _km_window(purchases), _pooled_window(purchases)
    assert window == l13._window() and pooled == l13._pooled_window() and window > pooled
    assert sorted(l13._lapsed()) == sorted(pool.index[pool["lapsed"]])
    assert not (pool["lapsed"] & ~pool["lapsed_pooled"]).any()  # a longer window only removes customers


def test_the_value_is_lifetimes_value(pool):
    """The module's profit ranking (crmlab's models) agrees with lifetimes' to a tenth of a percent."""
    ours = l13._ranking()["clv"]
    theirs = pool["clv"].reindex(ours.index)
    assert np.allclose(ours, theirs, rtol=2e-3, atol=0.05)


def test_p_alive_targets_include_every_one_time_buyer(pool):
    """q7's message: the most 'alive' reachable customers are the one-time buyers (p_alive 1); some cost more
    than they bring."""
    top = _by_p_alive(pool)
    one_time = pool[_reachable(pool) & (pool["frequency"] == 0)]
    assert set(one_time.index) <= set(top.index) and np.allclose(one_time["p_alive"], 1.0)
    assert (top["net"] < 0).any() and top["net"].sum() < _plan(pool)["net"].sum()


def test_the_budget_is_not_spent(right):
    """q7's correct message: part of the budget left unspent."""
    assert right["q6"] * COST < BUDGET and right["q7"] > 0


def _parameters(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "MARGIN, WIN_BACK_LIFT" in c.source)
    values: dict = {}
    exec(cell.source.splitlines()[0], {}, values)  # the literals of our own notebook
    return values


def test_the_notebook_states_the_brief_the_checks_use():
    values = _parameters(ROOT / "exercises" / "source" / "13_capstone_exercises.ipynb")
    assert (values["MARGIN"], values["WIN_BACK_LIFT"], values["COST_PER_CUSTOMER"], values["BUDGET"]) == (
        l13.MARGIN, l13.WIN_BACK_LIFT, l13.COST_PER_CUSTOMER, l13.BUDGET) == (MARGIN, LIFT, COST, BUDGET)  # fmt: skip


def test_the_exercises_read_no_course_data():
    """A new case: the practice company, not CDNOW (the lesson's data) nor the course's company."""
    text = (ROOT / "crmlab" / "exercises" / "lessons" / "l13_capstone.py").read_text()
    text += (ROOT / "exercises" / "source" / "13_capstone_exercises.ipynb").read_text()
    assert "load_cdnow" not in text and "load_crm" not in text and "practice_crm" in text
