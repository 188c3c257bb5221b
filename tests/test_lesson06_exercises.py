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
FOUR_CHANNELS = list(clusters.FEATURES)  # the course's four original channels: what the exercises used before
LOG = list(clusters.LOG_FEATURES)


@pytest.fixture(scope="module")
def crm():
    return crmlab.practice_crm(tables=["orders", "order_lines", "products", "categories"])


@pytest.fixture(scope="module")
def features(crm):
    return clusters.customer_features(crm)


@pytest.fixture(scope="module")
def columns(features):
    """The lesson's model columns, listed by hand: RFM, every channel share of the data, the add-on share."""
    return [*LOG, *(c for c in features.columns if c.startswith("share_")), "addon_share"]


@pytest.fixture
def ex():
    return lesson("06_clusters")


# ---------------------------------------------------------------- the learner's way, written independently


def _kmeans(data, k):
    with threadpool_limits(1):
        return KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(data)


def _scale(data, log=LOG):
    logged = data.copy()
    logged[log] = np.log1p(logged[log])
    return (logged - logged.mean()) / logged.std(ddof=0)


def _best_k(scaled):
    with threadpool_limits(1):
        return max(range(2, 10), key=lambda k: silhouette_score(scaled, _kmeans(scaled, k)))


def _web_share(crm, labels, features, statuses=("completed",)):
    done = crm.orders[crm.orders["status"].isin(statuses)]
    cluster = done["customer_id"].map(pd.Series(labels, index=features.index))
    return (done["channel"] == "web").groupby(cluster).mean().rename("web_share").reset_index()


def test_the_exercises_cluster_on_the_lessons_columns(features, columns):
    assert tuple(columns) == clusters.model_columns(features)
    assert len(columns) == 10 and {"share_instagram", "share_telegram"} <= set(columns)  # snapshot: six channels
    assert set(FOUR_CHANNELS) < set(columns)


@pytest.fixture(scope="module")
def right(crm, features, columns):
    logged = features[columns].copy()
    logged[LOG] = np.log1p(logged[LOG])
    scaled = (logged - logged.mean()) / logged.std()  # pandas' sample std: accepted too
    with threadpool_limits(1):
        silhouettes = pd.Series({k: silhouette_score(scaled, _kmeans(scaled, k)) for k in range(2, 10)})
    best_k = int(silhouettes.idxmax())
    labels = _kmeans(scaled, best_k)
    return {
        "q1": scaled,
        "q2": best_k,
        "q3": features[columns].groupby(labels).mean(),
        "q4": _web_share(crm, labels, features),
        "labels": labels,
        "scaled": scaled,
        "columns": columns,
        "silhouettes": silhouettes,
    }


@pytest.mark.parametrize("qid", QUESTIONS)
def test_solution_passes(ex, right, qid):
    feedback = getattr(ex, qid).check(right[qid])
    assert feedback.status is Status.CORRECT, str(feedback)


def test_solution_variants_pass(ex, features, columns, right):
    assert ex.q1.check(clusters.preprocessor(columns).fit_transform(features)).status is Status.CORRECT
    assert ex.q2.check(np.int64(right["q2"])).status is Status.CORRECT
    assert right["q2"] == 7  # snapshot of the oracle's best k on ten columns (it was 5 on clusters.FEATURES)
    renumbered = right["q3"].iloc[::-1].reset_index(drop=True)  # cluster numbers are arbitrary
    assert ex.q3.check(renumbered).status is Status.CORRECT
    with_counts = right["q3"].assign(customers=1).rename_axis("cluster").reset_index()
    assert ex.q3.check(with_counts).status is Status.CORRECT
    assert ex.q4.check(right["q4"].sample(frac=1, random_state=3)).status is Status.CORRECT


def _logged_only(features, columns):
    return features[columns].assign(**{c: np.log1p(features[c]) for c in LOG})


def _scaled_no_log(features, columns):
    raw = features[columns]
    return (raw - raw.mean()) / raw.std(ddof=0)


def _with_np_log(features, columns):
    with np.errstate(divide="ignore"):  # the learner's log(0): minus infinity
        logged = features[columns].assign(**{c: np.log(features[c]) for c in LOG})
    return (logged - logged.mean()) / logged.std(ddof=0)


def _all_logged(features, columns):
    logged = np.log1p(features[columns])
    return (logged - logged.mean()) / logged.std(ddof=0)


@pytest.mark.parametrize(
    ("qid", "wrong", "message"),
    [
        ("q1", lambda c, f, r: f[r["columns"]], "clusters would follow monetary value only"),
        ("q1", lambda c, f, r: _logged_only(f, r["columns"]), "You forgot to scale"),
        ("q1", lambda c, f, r: _scaled_no_log(f, r["columns"]), "did not log-transform the skewed columns"),
        ("q1", lambda c, f, r: _all_logged(f, r["columns"]), "log-transformed the shares too"),
        ("q1", lambda c, f, r: _with_np_log(f, r["columns"]), "np.log1p"),
        ("q1", lambda c, f, r: _scale(f[FOUR_CHANNELS]), "left out the Instagram and Telegram shares"),
        ("q2", lambda c, f, r: 9, "Inertia always falls"),
        ("q2", lambda c, f, r: _best_k(f[r["columns"]]), "one of the lowest silhouettes"),
        ("q2", lambda c, f, r: _best_k(_scale(f[FOUR_CHANNELS])), "four original channels"),
        ("q3", lambda c, f, r: r["scaled"].groupby(r["labels"]).mean(), "You averaged the scaled features"),
        ("q3", lambda c, f, r: f[r["columns"]].groupby(_kmeans(f[r["columns"]], r["q2"])).mean(),
         "come from the unscaled"),
        ("q3", lambda c, f, r: f[r["columns"]].groupby(r["labels"]).median(), "medians"),
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


def test_the_best_k_of_raw_features_is_named(ex, features, columns, right):
    best_raw = _best_k(features[columns])
    assert right["silhouettes"].rank()[best_raw] <= 2, "one of the lowest silhouettes, as the mistake's message says"
    feedback = ex.q2.check(best_raw)
    assert feedback.status is Status.INCORRECT
    assert "raw" in feedback.message


def test_the_best_k_of_the_four_original_channels_differs(ex, features, right):
    four = _best_k(_scale(features[FOUR_CHANNELS]))
    assert four != right["q2"]
    assert four == 5  # snapshot: the exercises' old answer, on clusters.FEATURES
    feedback = ex.q2.check(four)
    assert feedback.status is Status.INCORRECT and "four original channels" in feedback.message


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
