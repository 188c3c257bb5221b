"""Lesson 08's exercises: the right answer passes, known mistakes get their message,
junk gets feedback (never a traceback), and the blank is "not attempted"."""

from __future__ import annotations

import pytest

import crmlab
from crmlab.analysis import churn, clv
from crmlab.datasets import load_cdnow
from crmlab.exercises import lesson
from crmlab.exercises.feedback import Status

CHECKED = ["q1", "q2", "q3", "q4", "q5"]  # q10 has its own tests below


@pytest.fixture
def ex():
    return lesson("08_clv_churn")


@pytest.fixture(scope="module")
def crm():
    return crmlab.practice_crm(tables=["customers", "orders", "tickets", "interactions"])


@pytest.fixture(scope="module")
def cdnow():
    master, sample = load_cdnow(), load_cdnow("sample")
    others = master[~master["customer_id"].isin(sample["customer_id"])]  # the customers the lesson did not fit
    cal, hold = clv.calibration_holdout(others, "1997-09-30", "1998-06-30", period_days=7)
    return cal, hold, clv.BetaGeoModel().fit(cal["frequency"], cal["recency"], cal["T"])


@pytest.fixture(scope="module")
def churned(crm):
    train, test = churn.time_split(crm, "2023-12-31", "2024-12-31", stable_fields=["consent_sms", "segment"])
    model = churn.churn_model("logistic").fit(train, train["churned"])
    return test, model, model.predict_proba(test)[:, 1]


def _alive(cdnow, scale=1.0, swap=False):
    cal, _, model = cdnow
    c = cal.loc[797]
    recency, t = (c["T"], c["recency"]) if swap else (c["recency"], c["T"])
    return model.probability_alive(c["frequency"], recency * scale, t * scale)[0]


def _expected(cdnow, horizon=39):
    cal, _, model = cdnow
    return model.expected_purchases(horizon, cal["frequency"], cal["recency"], cal["T"]).sum()


def _spend(crm, upper=True, statuses=("completed",), divide=1, fill=True):
    import pandas as pd

    end = pd.Timestamp("2025-01-01", tz="Asia/Tehran")
    o = crm.orders
    keep = (o["ordered_at"] >= end - pd.Timedelta(days=90)) & o["status"].isin(statuses)
    if upper:
        keep &= o["ordered_at"] < end
    spend = o[keep].groupby("customer_id")["total_cents"].sum() / divide
    index = churn.churn_features(crm, "2024-12-31").index
    return spend.reindex(index, fill_value=0) if fill else spend[spend.index.isin(index)]


def _lift(churned, ascending=False, divide=True, share_caught=False):
    test, _, proba = churned
    ranked = test.assign(p=proba).sort_values("p", ascending=ascending)
    top = ranked.head(round(len(ranked) * 0.1))
    if share_caught:
        return top["churned"].sum() / test["churned"].sum()
    return top["churned"].mean() / test["churned"].mean() if divide else top["churned"].mean()


def _drivers(crm):
    """The practice company's planted drivers, read from its answer key (an Iranian company: SMS consent)."""
    return churn.drivers_from_truth(crm.truth)


def _planted_filter(churned, crm):
    """The NaN trap, as a learner writes it: `planted > 1` drops bad_tickets, whose planted value is NaN."""
    check = churn.planted_drivers(churn.odds_ratios(churned[1], planted=_drivers(crm)), planted=_drivers(crm))
    return check[check["planted"] > 1]["odds_ratio"].idxmax()


def _right_answers(cdnow, crm, churned):
    odds = churn.odds_ratios(churned[1])
    return {
        "q1": _alive(cdnow),
        "q2": _expected(cdnow),
        "q3": _spend(crm),
        "q4": _lift(churned),
        "q5": odds.loc[list(_drivers(crm)), "odds_ratio"].idxmax(),
    }


@pytest.mark.parametrize("qid", CHECKED)
def test_solution_passes(ex, cdnow, crm, churned, qid):
    feedback = getattr(ex, qid).check(_right_answers(cdnow, crm, churned)[qid])
    assert feedback.status is Status.CORRECT, str(feedback)


def test_expected_values_are_what_the_lesson_says(cdnow, crm, churned):
    right = _right_answers(cdnow, crm, churned)
    assert right["q1"] == pytest.approx(0.468, abs=0.001)  # snapshot: a frequent buyer, silent for ten weeks
    assert right["q2"] == pytest.approx(15_225, abs=1)  # snapshot; the 21,213 customers made 17,802 in the holdout,
    assert 0.8 < right["q2"] / cdnow[1]["frequency_holdout"].sum() < 0.9  # as short as on the sample: 1,653 of 1,882
    assert 1.5 < right["q4"] < 2.5  # the riskiest tenth churns about twice as often (a range: data may be regenerated)
    assert right["q5"] == "bad_tickets"
    # the course's company markets by SMS: its answer key plants the lack of SMS consent, not of e-mail consent
    assert crm.truth["planted"]["churn_hazard_ratios"]["no_sms_consent"] == 1.3
    assert "no_email_consent" not in crm.truth["planted"]["churn_hazard_ratios"]


def test_solution_variants_pass(ex, cdnow, crm, churned):
    right = _right_answers(cdnow, crm, churned)
    assert ex.q1.check(float(right["q1"])).status is Status.CORRECT
    assert ex.q3.check(right["q3"].rename("whatever").sample(frac=1, random_state=1)).status is Status.CORRECT
    assert ex.q5.check("  Bad_Tickets ").status is Status.CORRECT
    test, _, proba = churned
    assert ex.q4.check(churn.lift_at(test["churned"], proba, 0.1)).status is Status.CORRECT
    # the top decile taken as 156 customers instead of 155 (a tenth of 1,553) is close enough
    ranked = test.assign(p=proba).sort_values("p", ascending=False)
    assert len(test) == 1_553  # snapshot of the practice company's active customers on 2024-12-31
    assert ex.q4.check(ranked.head(156)["churned"].mean() / test["churned"].mean()).status is Status.CORRECT
    # a model fitted in days gives the same probability (BG/NBD does not depend on the time unit)
    cal = cdnow[0]
    days = clv.BetaGeoModel().fit(cal["frequency"], cal["recency"] * 7, cal["T"] * 7)
    c = cal.loc[797]
    in_days = days.probability_alive(c["frequency"], c["recency"] * 7, c["T"] * 7)[0]
    assert ex.q1.check(in_days).status is Status.CORRECT


@pytest.mark.parametrize(
    ("qid", "wrong", "message"),
    [
        ("q1", lambda cd, crm, ch: 1 - _alive(cd), "already dropped out"),
        ("q1", lambda cd, crm, ch: _alive(cd, scale=7), "in days"),
        ("q1", lambda cd, crm, ch: _alive(cd, swap=True), "swapped recency and T"),
        ("q2", lambda cd, crm, ch: _expected(cd, 273), "horizon in days"),
        ("q2", lambda cd, crm, ch: float(cd[1]["frequency_holdout"].sum()), "actually did"),
        ("q2", lambda cd, crm, ch: _expected(cd, 78), "not the 78 weeks"),
        ("q3", lambda cd, crm, ch: _spend(crm, upper=False), "placed after the cutoff"),
        ("q3", lambda cd, crm, ch: _spend(crm, statuses=("completed", "cancelled", "returned")),
         "cancelled and returned"),
        ("q3", lambda cd, crm, ch: _spend(crm, divide=100), "100 times too small"),  # cents thinking, on rials
        ("q3", lambda cd, crm, ch: _spend(crm, divide=10), "in toman"),
        ("q3", lambda cd, crm, ch: _spend(crm, fill=False), "spent 0"),
        ("q4", lambda cd, crm, ch: _lift(ch, ascending=True), "*least* likely"),
        ("q4", lambda cd, crm, ch: _lift(ch, divide=False), "divides it by the churn rate"),
        ("q4", lambda cd, crm, ch: _lift(ch, share_caught=True), "share of all churners"),
        ("q5", lambda cd, crm, ch: "segment_enterprise", "makes churn *less* likely"),
        ("q5", lambda cd, crm, ch: "recency_days", "not one of the planted drivers"),
        ("q1", lambda cd, crm, ch: cd[2].probability_alive(*cd[0].iloc[797][["frequency", "recency", "T"]])[0],
         "`cal.iloc[797]` counts rows from 0"),
        ("q1", lambda cd, crm, ch: 0.5, "not this model's for this customer"),
        ("q1", lambda cd, crm, ch: 1.5, "between 0 and 1"),
        ("q2", lambda cd, crm, ch: _expected(cd) * 1.1, "Not this model's expectation"),
        ("q5", lambda cd, crm, ch: _planted_filter(ch, crm), "comparison with NaN is False"),
        ("q5", lambda cd, crm, ch: churn.planted_drivers(churn.odds_ratios(ch[1]), planted=_drivers(crm))[
            "planted"].idxmax(), "generator's `planted` value"),
    ],
)
def test_known_mistakes_get_their_message(ex, cdnow, crm, churned, qid, wrong, message):
    feedback = getattr(ex, qid).check(wrong(cdnow, crm, churned))
    assert feedback.status is Status.INCORRECT
    assert message in feedback.message, feedback.message


def test_q1_takes_what_probability_alive_returns(ex, cdnow):
    """`probability_alive` returns an array even for one customer: a one-element array, Series or
    list is that customer's number; the whole array of every customer gets told which value to pick."""
    import numpy as np
    import pandas as pd

    cal, _, model = cdnow
    c = cal.loc[797]
    one = model.probability_alive(c["frequency"], c["recency"], c["T"])
    assert isinstance(one, np.ndarray) and one.shape == (1,)
    for answer in (one, pd.Series(one, index=[797]), one.tolist(), one.reshape(1, 1)):
        assert ex.q1.check(answer).status is Status.CORRECT, type(answer)
    assert ex.q1.check(1 - one).message.startswith("That is the probability the customer has already dropped out")
    every = model.probability_alive(cal["frequency"], cal["recency"], cal["T"])
    feedback = ex.q1.check(every)
    assert feedback.status is Status.INCORRECT
    assert "21,213 values, one per customer" in feedback.message and ".loc[797]" in feedback.message
    assert "aggregated" not in ex.q1.check(np.array([0.2, 0.3])).message
    for junk in (np.array([]), [None], pd.DataFrame({"p": [0.1, 0.2]}), np.array(["a"])):
        assert ex.q1.check(junk).status in (Status.INCORRECT, Status.LEARNER_ERROR)


def test_a_wrong_series_says_what_is_wrong_without_the_answer(ex, crm):
    wrong = _spend(crm) * 2
    feedback = ex.q3.check(wrong)
    assert feedback.status is Status.INCORRECT
    text = str(feedback)
    assert "values" in text
    right = _spend(crm)
    shown = right[right > 0].iloc[0]
    for form in (f"{shown:.2f}", f"{shown:.1f}", f"{shown:,.0f}", f"{shown:.0f}"):  # whole rials, however printed
        assert form not in text  # the expected values are never shown


def test_learner_code_that_raises_is_explained(ex, crm):
    feedback = ex.q3.check_code(lambda: crm.orders.groupby("customer")["total_cents"].sum())
    assert feedback.status is Status.LEARNER_ERROR
    assert "customer_id" in feedback.message  # the closest column name is suggested


@pytest.mark.parametrize(("qid", "answer", "status", "text"), [
    ("q6", "c", Status.CORRECT, "used on the future"),
    ("q6", "a", Status.INCORRECT, "The size of the test set is your choice"),
    ("q6", "b", Status.INCORRECT, "train_test_split"),
    ("q8", "b", Status.CORRECT, "no chance to drop out"),
    ("q8", "a", Status.INCORRECT, "not a bug"),
    ("q9", "a", Status.CORRECT, "contains the label"),
    ("q9", "c", Status.INCORRECT, "does not fix a leak"),
    ("q11", "b", Status.CORRECT, "today's value"),
    ("q11", "a", Status.INCORRECT, "may come from the future"),
    ("q11", "c", Status.INCORRECT, "the problem is the feature's date"),
])
def test_quizzes(ex, qid, answer, status, text):
    feedback = ex.quiz(qid, answer=answer)
    assert feedback.status is status and text in feedback.message


def test_hints_get_more_specific_and_solution_is_recorded(ex):
    first, third = str(ex.q4.hint()), str(ex.q4.hint(3))
    assert "proba" in first and "mean()" in third
    assert "ascending=False" in str(ex.q4.solution())
    assert "q4" in str(ex.progress())


def test_reflection_is_recorded_unchecked(ex):
    feedback = ex.q7.check("Support calls the customer and fixes the ticket.")
    assert feedback.status is Status.UNCHECKED


# ---------------------------------------------------------------- q10: contractual churn on the telco data


@pytest.fixture(scope="module")
def telco():
    from crmlab.datasets import load_telco_churn

    return load_telco_churn()


def _km_by_hand(telco, payment="Electronic check", months=24):
    """Kaplan-Meier in plain pandas: the product over tenures up to ``months`` of 1 - cancellations / still there."""
    part = telco[telco["payment_method"] == payment]
    retained = 1.0
    for tenure in sorted(part.loc[part["churn"] == "Yes", "tenure"].unique()):
        if tenure > months:
            break
        at_risk = (part["tenure"] >= tenure).sum()
        left = ((part["tenure"] == tenure) & (part["churn"] == "Yes")).sum()
        retained *= 1 - left / at_risk
    return retained


def test_q10_right_answer_is_kaplan_meier_by_hand(ex, telco):
    right = _km_by_hand(telco)
    assert 0.55 < right < 0.7
    assert ex.q10.check(right).status is Status.CORRECT
    curves = churn.tenure_survival(telco, "payment_method")
    assert ex.q10.check(churn.retention_at(curves, [24]).loc["Electronic check", 24]).status is Status.CORRECT


def test_q10_is_not_the_lessons_answer(ex, telco):
    """The lesson reads retention by contract at 12, 24, 48 and 72 months: none of its numbers answers q10."""
    lesson_table = churn.retention_at(churn.tenure_survival(telco, "contract"), [12, 24, 48, 72])
    for value in lesson_table.to_numpy().ravel():
        assert ex.q10.check(float(value)).status is Status.INCORRECT


@pytest.mark.parametrize(("wrong", "message"), [
    (lambda t, e: (e["churn"] == "No").mean(), "ignores time"),
    (lambda t, e: (e["tenure"] > 24).mean(), "counts everyone who joined less than 24 months ago as gone"),
    (lambda t, e: (e.loc[e["churn"] == "Yes", "tenure"] > 24).mean(), "kept only the customers who cancelled"),
    (lambda t, e: 1 - _km_by_hand(t), "(1 - retention)"),
    (lambda t, e: churn.retention_at(churn.tenure_survival(t, None), [24]).iloc[0, 0], "all customers together"),
    (lambda t, e: _km_by_hand(t, "Mailed check"), "not the Kaplan-Meier retention of these customers"),
])  # fmt: skip
def test_q10_known_mistakes(ex, telco, wrong, message):
    paying = telco[telco["payment_method"] == "Electronic check"]
    feedback = ex.q10.check(float(wrong(telco, paying)))
    assert feedback.status is Status.INCORRECT
    assert message in feedback.message, feedback.message


def test_clv_questions_use_customers_the_lesson_did_not_fit():
    master, sample = load_cdnow(), load_cdnow("sample")
    others = master[~master["customer_id"].isin(sample["customer_id"])]
    assert others["customer_id"].nunique() == 23_570 - 2_357  # Fader and Hardie: 23,570 customers, a 1/10th sample
    assert not set(others["customer_id"]) & set(sample["customer_id"])
