"""Lesson 06's exercises: the right answer passes, known mistakes get their message,
junk gets feedback (never a traceback), and the blank is "not attempted"."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

import crmlab
from crmlab.analysis import clusters
from crmlab.exercises import lesson
from crmlab.exercises.feedback import Status

QUESTIONS = ["q1", "q2", "q3", "q4"]
FEATURES = list(clusters.FEATURES)
LOG = list(clusters.LOG_FEATURES)


@pytest.fixture(scope="module")
def crm():
    return crmlab.practice_crm(tables=["orders", "order_lines", "products", "categories"])


@pytest.fixture(scope="module")
def features(crm):
    return clusters.customer_features(crm)


@pytest.fixture
def ex():
    return lesson("06_clusters")


# ---------------------------------------------------------------- the learner's way, written independently


def _kmeans(data, k):
    with threadpool_limits(1):
        return KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(data)


def _web_share(crm, labels, features, statuses=("completed",)):
    done = crm.orders[crm.orders["status"].isin(statuses)]
    cluster = done["customer_id"].map(pd.Series(labels, index=features.index))
    return (done["channel"] == "web").groupby(cluster).mean().rename("web_share").reset_index()


@pytest.fixture(scope="module")
def right(crm, features):
    logged = features[FEATURES].copy()
    logged[LOG] = np.log1p(logged[LOG])
    scaled = (logged - logged.mean()) / logged.std()  # pandas' sample std: accepted too
    with threadpool_limits(1):
        silhouettes = pd.Series({k: silhouette_score(scaled, _kmeans(scaled, k)) for k in range(2, 10)})
    best_k = int(silhouettes.idxmax())
    labels = _kmeans(scaled, best_k)
    return {
        "q1": scaled,
        "q2": best_k,
        "q3": features[FEATURES].groupby(labels).mean(),
        "q4": _web_share(crm, labels, features),
        "labels": labels,
        "scaled": scaled,
    }


@pytest.mark.parametrize("qid", QUESTIONS)
def test_solution_passes(ex, right, qid):
    feedback = getattr(ex, qid).check(right[qid])
    assert feedback.status is Status.CORRECT, str(feedback)


def test_solution_variants_pass(ex, features, right):
    assert ex.q1.check(clusters.preprocessor().fit_transform(features)).status is Status.CORRECT
    assert ex.q2.check(np.int64(right["q2"])).status is Status.CORRECT
    assert right["q2"] == 5
    renumbered = right["q3"].iloc[::-1].reset_index(drop=True)  # cluster numbers are arbitrary
    assert ex.q3.check(renumbered).status is Status.CORRECT
    with_counts = right["q3"].assign(customers=1).rename_axis("cluster").reset_index()
    assert ex.q3.check(with_counts).status is Status.CORRECT
    assert ex.q4.check(right["q4"].sample(frac=1, random_state=3)).status is Status.CORRECT


def _logged_only(features):
    return features[FEATURES].assign(**{c: np.log1p(features[c]) for c in LOG})


def _scaled_no_log(features):
    raw = features[FEATURES]
    return (raw - raw.mean()) / raw.std(ddof=0)


def _with_np_log(features):
    with np.errstate(divide="ignore"):  # the learner's log(0): minus infinity
        logged = features[FEATURES].assign(**{c: np.log(features[c]) for c in LOG})
    return (logged - logged.mean()) / logged.std(ddof=0)


def _all_logged(features):
    logged = np.log1p(features[FEATURES])
    return (logged - logged.mean()) / logged.std(ddof=0)


@pytest.mark.parametrize(
    ("qid", "wrong", "message"),
    [
        ("q1", lambda c, f, r: f[FEATURES], "clusters would follow monetary value only"),
        ("q1", lambda c, f, r: _logged_only(f), "You forgot to scale"),
        ("q1", lambda c, f, r: _scaled_no_log(f), "did not log-transform the skewed columns"),
        ("q1", lambda c, f, r: _all_logged(f), "log-transformed the shares too"),
        ("q1", lambda c, f, r: _with_np_log(f), "np.log1p"),
        ("q2", lambda c, f, r: 9, "Inertia always falls"),
        ("q2", lambda c, f, r: 2, "*lowest* silhouette"),
        ("q3", lambda c, f, r: r["scaled"].groupby(r["labels"]).mean(), "You averaged the scaled features"),
        ("q3", lambda c, f, r: f[FEATURES].groupby(_kmeans(f[FEATURES], 5)).mean(), "come from the unscaled"),
        ("q3", lambda c, f, r: f[FEATURES].groupby(r["labels"]).median(), "medians"),
        ("q4", lambda c, f, r: f["share_web"].groupby(r["labels"]).mean().rename("web_share").reset_index(),
         "ratio of sums"),
        ("q4", lambda c, f, r: _web_share(c, r["labels"], f, ("completed", "cancelled", "returned")),
         "cancelled and returned"),
    ],
)
def test_known_mistakes_get_their_message(ex, crm, features, right, qid, wrong, message):
    feedback = getattr(ex, qid).check(wrong(crm, features, right))
    assert feedback.status is Status.INCORRECT, str(feedback)
    assert message in feedback.message


def test_web_share_among_web_and_store_only(ex, crm, features, right):
    done = crm.orders[(crm.orders["status"] == "completed") & crm.orders["channel"].isin(["web", "store"])]
    cluster = done["customer_id"].map(pd.Series(right["labels"], index=features.index))
    wrong = (done["channel"] == "web").groupby(cluster).mean().rename("web_share").reset_index()
    feedback = ex.q4.check(wrong)
    assert feedback.status is Status.INCORRECT and "web and store orders only" in feedback.message


def test_the_best_k_of_raw_features_is_named(ex, features):
    raw = features[FEATURES]
    with threadpool_limits(1):
        best_raw = max(range(2, 10), key=lambda k: silhouette_score(raw, _kmeans(raw, k)))
    feedback = ex.q2.check(best_raw)
    assert feedback.status is Status.INCORRECT
    assert "raw" in feedback.message


def test_a_wrong_table_says_what_is_wrong_without_the_answer(ex, right):
    feedback = ex.q3.check(right["q3"] * 1.1)
    assert feedback.status is Status.INCORRECT
    assert f"{right['q3'].iloc[0, 0]:.2f}" not in str(feedback)


def test_learner_code_that_raises_is_explained(ex, features):
    feedback = ex.q1.check_code(lambda: features["totl_spend"])
    assert feedback.status is Status.LEARNER_ERROR
    assert "totl_spend" in feedback.message


@pytest.mark.parametrize(("qid", "answer", "status", "text"), [
    ("q5", "b", Status.CORRECT, "agree no more than chance"),
    ("q5", "a", Status.INCORRECT, "had they matched, they would add nothing"),
    ("q5", "c", Status.INCORRECT, "not a share of customers"),
    ("q6", "b", Status.CORRECT, "distance depends on units"),
    ("q6", "c", Status.INCORRECT, "no particular distribution"),
    ("q7", "b", Status.CORRECT, "elbow"),
    ("q7", "a", Status.INCORRECT, "the largest k always 'wins'"),
])
def test_quizzes(ex, qid, answer, status, text):
    feedback = ex.quiz(qid, answer=answer)
    assert feedback.status is status and text in feedback.message


def test_hints_get_more_specific_and_solution_is_recorded(ex):
    first, third = str(ex.q4.hint()), str(ex.q4.hint(3))
    assert "cluster" in first and ".groupby(cluster).mean()" in third
    assert "reset_index" in str(ex.q4.solution())
    assert "q4" in str(ex.progress())


def test_reflection_is_recorded_unchecked(ex):
    assert ex.q8.check("Store shoppers: invite them to a store event by text message.").status is Status.UNCHECKED


def test_every_item_of_the_lesson_is_in_the_exercises():
    source = Path(__file__).resolve().parents[1] / "exercises" / "source" / "06_clusters_exercises.ipynb"
    text = "\n".join(c.source for c in nbformat.read(source, as_version=4).cells)
    for item in lesson("06_clusters").items:
        assert f'"{item.id}"' in text or f"ex.{item.id}.check(" in text, item.id
