"""Lesson 12's exercises: the right answer passes, known mistakes get their message,
junk gets feedback (never a traceback), and the blank is "not attempted"."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

import crmlab
from crmlab.analysis import crosssell
from crmlab.datasets import load_caravan
from crmlab.exercises import lesson
from crmlab.exercises.feedback import Status

CHECKED = ["q1", "q2", "q3", "q4", "q5"]
ALL = ["completed", "cancelled", "returned"]


@pytest.fixture
def ex():
    return lesson("12_cross_selling")


@pytest.fixture(scope="module")
def lines():
    crm = crmlab.load_crm(tables=["orders", "order_lines", "products", "categories"])
    return (crm.order_lines[["order_id", "product_id"]]
            .merge(crm.orders[["order_id", "customer_id", "status"]], on="order_id")
            .merge(crm.products[["product_id", "category_id"]], on="product_id")
            .merge(crm.categories.rename(columns={"name": "category"}), on="category_id"))  # fmt: skip


@pytest.fixture(scope="module")
def caravan():
    X, y = crosssell.split_target(load_caravan(), "Purchase", "Yes")
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    model = crosssell.propensity_model(C=0.01).fit(X_train, y_train)
    return model, X_train, X_test, y_train, y_test


def _baskets(lines, statuses=("completed",), key="order_id"):
    kept = lines[lines["status"].isin(statuses)]
    return pd.crosstab(kept[key], kept["category"]) > 0


def _confidence(lines, a="Phones", b="Accessories", statuses=("completed",)):
    baskets = _baskets(lines, statuses)
    return (baskets[a] & baskets[b]).sum() / baskets[a].sum()


def _lift(lines, statuses=("completed",), base="Accessories"):
    return _confidence(lines, statuses=statuses) / _baskets(lines, statuses)[base].mean()


def _support(lines):
    baskets = _baskets(lines)
    return (baskets["Phones"] & baskets["Accessories"]).mean()


def _auc(caravan, on="test", column=1, hard=False):
    model, X_train, X_test, y_train, y_test = caravan
    X, y = (X_test, y_test) if on == "test" else (X_train, y_train)
    return roc_auc_score(y, model.predict(X) if hard else model.predict_proba(X)[:, column])


def _profit(caravan, ascending=False):
    model, _, X_test, _, y_test = caravan
    proba = model.predict_proba(X_test)[:, 1]
    ranked = y_test.to_numpy()[np.argsort(proba if ascending else -proba, kind="stable")]
    k = np.arange(1, len(ranked) + 1)
    return 60 * ranked.cumsum() - 5 * k, ranked.cumsum() / k


def _depth(caravan, **kwargs):
    return int(_profit(caravan, **kwargs)[0].argmax() + 1)


def _right_answers(lines, caravan):
    baskets = _baskets(lines)
    owned = _baskets(lines, key="customer_id")
    offers = crosssell.next_best_offer(owned, crosssell.pair_rules(baskets))
    return {
        "q1": _confidence(lines),
        "q2": _lift(lines),
        "q3": offers.loc[356, "offer"],
        "q4": _auc(caravan),
        "q5": _depth(caravan),
    }


@pytest.mark.parametrize("qid", CHECKED)
def test_solution_passes(ex, lines, caravan, qid):
    feedback = getattr(ex, qid).check(_right_answers(lines, caravan)[qid])
    assert feedback.status is Status.CORRECT, str(feedback)


def test_expected_values_planted_and_snapshot(lines, caravan):
    """q1 against the generator's planted chance (40% of phone orders add an accessory; the course
    data may be regenerated, so a sampling tolerance); the rest are snapshots of our own output
    (q4, q5 on the fixed, real Caravan data)."""
    right = _right_answers(lines, caravan)
    assert right["q1"] == pytest.approx(0.40, abs=0.03)  # planted: 40%
    assert right["q2"] == pytest.approx(1.25, abs=0.05)  # snapshot
    assert right["q3"] == "Software"  # snapshot
    assert right["q4"] == pytest.approx(0.752, abs=0.001)  # snapshot, real data
    assert right["q5"] == 460  # snapshot, real data


def test_solution_variants_pass(ex, lines, caravan):
    right = _right_answers(lines, caravan)
    assert ex.q1.check(float(right["q1"])).status is Status.CORRECT
    assert ex.q3.check("  software ").status is Status.CORRECT
    # the same answers from the course's helpers
    crm = crmlab.load_crm(tables=["orders", "order_lines", "products", "categories"])
    rules = crosssell.pair_rules(crosssell.basket_matrix(crm.orders, crm.order_lines, crm.products, crm.categories))
    rule = rules.set_index(["antecedent", "consequent"]).loc[("Phones", "Accessories")]
    assert ex.q1.check(rule["confidence"]).status is Status.CORRECT
    assert ex.q2.check(rule["lift"]).status is Status.CORRECT
    model, _, X_test, _, y_test = caravan
    table = crosssell.profit_by_depth(y_test, model.predict_proba(X_test)[:, 1], cost=5, margin=60)
    assert ex.q5.check(crosssell.best_depth(table)["mailed"]).status is Status.CORRECT


@pytest.mark.parametrize(
    ("qid", "wrong", "message"),
    [
        ("q1", lambda li, ca: _confidence(li, "Accessories", "Phones"), "other way round"),
        ("q1", lambda li, ca: _confidence(li, statuses=ALL), "cancelled and returned"),
        ("q1", lambda li, ca: _support(li), "support of the pair"),
        ("q1", lambda li, ca: _lift(li), "That is the lift"),
        ("q2", lambda li, ca: _lift(li, base="Phones"), "share of baskets holding a phone"),
        ("q2", lambda li, ca: _lift(li, statuses=ALL), "cancelled and returned"),
        ("q2", lambda li, ca: _confidence(li), "That is the confidence"),
        ("q3", lambda li, ca: "Accessories", "already bought"),
        ("q3", lambda li, ca: "ink & paper", "already bought"),
        ("q3", lambda li, ca: "Printers", "highest lift"),
        ("q4", lambda li, ca: _auc(ca, on="train"), "training customers"),
        ("q4", lambda li, ca: _auc(ca, column=0), "below 0.5"),
        ("q4", lambda li, ca: _auc(ca, hard=True), "yes/no predictions"),
        ("q5", lambda li, ca: int(_profit(ca)[1].argmax() + 1), "highest share of holders per letter"),
        ("q5", lambda li, ca: _depth(ca) - 1, "One short"),
        ("q5", lambda li, ca: len(ca[4]), "Mailing everyone"),
        ("q5", lambda li, ca: int((ca[0].predict_proba(ca[2])[:, 1] > 5 / 60).sum()), "break-even"),
        ("q5", lambda li, ca: _depth(ca, ascending=True), "lowest probability up"),
    ],
)
def test_known_mistakes_get_their_message(ex, lines, caravan, qid, wrong, message):
    feedback = getattr(ex, qid).check(wrong(lines, caravan))
    assert feedback.status is Status.INCORRECT
    assert message in feedback.message, feedback.message


def test_a_wrong_number_does_not_give_the_answer_away(ex, lines, caravan):
    feedback = ex.q1.check(0.5)
    assert feedback.status is Status.INCORRECT
    assert f"{_confidence(lines):.3f}" not in str(feedback)


def test_learner_code_that_raises_is_explained(ex, lines):
    feedback = ex.q1.check_code(lambda: lines.groupby("categroy")["order_id"].nunique())
    assert feedback.status is Status.LEARNER_ERROR
    assert "category" in feedback.message  # the closest column name is suggested


@pytest.mark.parametrize(("qid", "answer", "status", "text"), [
    ("q6", "b", Status.CORRECT, "ceiling, not a target"),
    ("q6", "a", Status.INCORRECT, "how many letters you *may* send"),
    ("q6", "c", Status.INCORRECT, "past the best depth"),
    ("q8", "b", Status.CORRECT, "finds no one"),
    ("q8", "a", Status.INCORRECT, "right about 94%"),
    ("q8", "c", Status.INCORRECT, "do not improve the ranking"),
    ("q9", "a", Status.CORRECT, "not a cross-sell pair"),
    ("q9", "b", Status.INCORRECT, "not a probability"),
])
def test_quizzes(ex, qid, answer, status, text):
    feedback = ex.quiz(qid, answer=answer)
    assert feedback.status is status and text in feedback.message


def test_hints_get_more_specific_and_solution_is_recorded(ex):
    first, third = str(ex.q5.hint()), str(ex.q5.hint(3))
    assert "proba" in first and "argmax() + 1" in third
    assert "np.argsort(-proba" in str(ex.q5.solution())
    assert "q5" in str(ex.progress())


def test_reflection_is_recorded_unchecked(ex):
    feedback = ex.q7.check("Ask the reps first, then test the offer on a random half.")
    assert feedback.status is Status.UNCHECKED
