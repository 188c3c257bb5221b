"""Exercises of lesson 06, *Clustering and targeting*: scaling, choosing k, profiles, web share.

Expected values are computed from the practice company's data with :mod:`crmlab.analysis.clusters`
on the first check, never typed in; each known mistake is computed the wrong way. The model's
columns are those the lesson clusters on, ``clusters.model_columns(features)``: RFM, a share for
every channel the orders came through (Instagram and Telegram included) and the add-on share.
Cluster numbers depend on k-means' start, so profiles are compared as sets of rows, whatever each
cluster's number.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from crmlab.analysis import clusters
from crmlab.datasets import practice_crm
from crmlab.exercises import CompareOptions, Mistake, Question, Reflection
from crmlab.exercises.lessons import shown_by

TITLE = "Clustering and targeting"
#: The course's four original channels only: what the exercises used before the lesson took every channel.
FOUR_CHANNELS = list(clusters.FEATURES)
LOG_FEATURES = list(clusters.LOG_FEATURES)
KS = range(2, 10)
SEED, N_INIT = 0, 10
#: Scaled values: StandardScaler (population std) and pandas' .std() (sample std) both pass.
_SCALED = CompareOptions(rtol=1e-3, atol=1e-6)
#: Profiles: rows compared as a set (cluster numbers are arbitrary), extra columns allowed; the same
#: tolerance as _SCALED, so that a profile of scaled features made with either std is recognised.
_ROWS = CompareOptions(rtol=1e-3, allow_extra_columns=True, ignore_column_case=True)


@cache
def _crm():
    return practice_crm(tables=["orders", "order_lines", "products", "categories"])


@cache
def _features() -> pd.DataFrame:
    return clusters.customer_features(_crm())


def _columns() -> list[str]:
    """The model's columns, as the lesson takes them: every channel share of the data included."""
    return list(clusters.model_columns(_features()))


def _completed(statuses=("completed",)) -> pd.DataFrame:
    orders = _crm().orders
    return orders[orders["status"].isin(statuses)]


# ---------------------------------------------------------------- q1: scaled features


def _scaled(columns: list[str] | None = None) -> pd.DataFrame:
    return clusters.preprocessor(columns or _columns()).fit_transform(_features())


def _standardise(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(StandardScaler().fit_transform(frame), index=frame.index, columns=frame.columns)


def _logged(columns=LOG_FEATURES, log=np.log1p) -> pd.DataFrame:
    raw = _features()[_columns()]
    return raw.assign(**{c: log(raw[c]) for c in columns})


def _has_infinite(answer) -> bool:
    values = answer.select_dtypes("number").to_numpy()
    return bool(np.isinf(values).any() or np.isnan(values).any())


# ---------------------------------------------------------------- q2: the best k


def _silhouettes(data: pd.DataFrame) -> pd.Series:
    with threadpool_limits(1):
        scores = {k: silhouette_score(data, KMeans(k, n_init=N_INIT, random_state=SEED).fit_predict(data)) for k in KS}
    return pd.Series(scores)


@cache
def _k_scores(columns: tuple[str, ...] | None = None) -> pd.DataFrame:
    columns = columns or tuple(_columns())
    return clusters.k_scores(_features(), ks=KS, random_state=SEED, n_init=N_INIT, columns=columns)


def _best_k() -> int:
    return int(_k_scores()["silhouette"].idxmax())


def _best_k_four_channels() -> int:
    return int(_k_scores(tuple(FOUR_CHANNELS))["silhouette"].idxmax())


def _largest_k(answer) -> bool:
    return answer == max(KS) and answer != _best_k()


@cache
def _best_k_unscaled() -> int:
    return int(_silhouettes(_features()[_columns()]).idxmax())


# ---------------------------------------------------------------- q3: a cluster profile


def _labels(data: pd.DataFrame | None = None, k: int | None = None) -> np.ndarray:
    data = _scaled() if data is None else data
    with threadpool_limits(1):
        return KMeans(k or _best_k(), n_init=N_INIT, random_state=SEED).fit_predict(data)


def _profile() -> pd.DataFrame:
    return _features()[_columns()].groupby(_labels()).mean().reset_index(drop=True)


def _profile_scaled() -> pd.DataFrame:
    return _scaled()[_columns()].groupby(_labels()).mean().reset_index(drop=True)


def _profile_unscaled_clusters() -> pd.DataFrame:
    raw = _features()[_columns()]
    return raw.groupby(_labels(raw)).mean().reset_index(drop=True)


def _profile_medians() -> pd.DataFrame:
    return _features()[_columns()].groupby(_labels()).median().reset_index(drop=True)


# ---------------------------------------------------------------- q4: the web share of each cluster


def _web_share(orders: pd.DataFrame | None = None, among=None) -> pd.DataFrame:
    orders = _completed() if orders is None else orders
    cluster = orders["customer_id"].map(pd.Series(_labels(), index=_features().index))
    kept = orders["channel"].isin(among) if among else pd.Series(True, index=orders.index)
    web = (orders["channel"] == "web")[kept]
    return web.groupby(cluster[kept]).mean().rename("web_share").reset_index(drop=True).to_frame()


def _web_share_mean_of_customers() -> pd.DataFrame:
    share = _features()["share_web"].groupby(_labels()).mean()
    return share.rename("web_share").reset_index(drop=True).to_frame()


QUESTIONS = [
    Question(
        "q1",
        "The features as k-means should see them: a DataFrame `scaled`, indexed by `customer_id`, with the "
        "columns of `FEATURES` (the lesson's `clusters.model_columns(features)`: RFM, the share of every "
        "channel, Instagram and Telegram included, and the add-on share): first `np.log1p` of the skewed columns "
        "`LOG_FEATURES`, then every column standardised to mean 0 and standard deviation 1.",
        expected=_scaled,
        hints=[
            "Start from `features[FEATURES]`; replace each column of `LOG_FEATURES` by its `np.log1p`.",
            "Then standardise every column: `(x - x.mean()) / x.std()`, or scikit-learn's `StandardScaler`.",
            "`logged = features[FEATURES].assign(**{c: np.log1p(features[c]) for c in LOG_FEATURES})`, then "
            "`scaled = (logged - logged.mean()) / logged.std()`; or "
            "`clusters.preprocessor(FEATURES).fit_transform(features)`.",
        ],
        solution="logged = features[FEATURES].assign(**{c: np.log1p(features[c]) for c in LOG_FEATURES})\n"
        "scaled = (logged - logged.mean()) / logged.std(ddof=0)",
        mistakes=[
            Mistake("You forgot to scale (and to log-transform): unscaled, total spend (billions of rials) "
                    "outweighs every share (0 to 1), and the clusters would follow monetary value only.",
                    expected=lambda: _features()[_columns()]),  # fmt: skip
            Mistake("You forgot to scale: after the log, days and spend still spread over several units while the "
                    "shares stay between 0 and 1, so the RFM columns would decide the clusters. Standardise every "
                    "column to mean 0 and standard deviation 1.",
                    expected=_logged),  # fmt: skip
            Mistake("You scaled, but did not log-transform the skewed columns first: a few customers with "
                    "many times the usual orders stretch the scale for everyone. "
                    "Apply `np.log1p` to `LOG_FEATURES`, then scale.",
                    expected=lambda: _standardise(_features()[_columns()])),  # fmt: skip
            Mistake("You log-transformed the shares too; only the skewed counts and amounts in `LOG_FEATURES` need it.",
                    expected=lambda: _standardise(_logged(_columns()))),  # fmt: skip
            Mistake("You left out the Instagram and Telegram shares: `clusters.FEATURES` holds the course's four "
                    "original channels only. Take the columns of `FEATURES`, `clusters.model_columns(features)`, "
                    "as the lesson does: every channel the orders came through.",
                    expected=lambda: _scaled(FOUR_CHANNELS)),  # fmt: skip
            Mistake("Your table holds infinite or missing values: `np.log(0)` is minus infinity, and some customers "
                    "ordered 0 days ago. Use `np.log1p`, the logarithm of 1 + x.",
                    when=shown_by(_has_infinite, example=lambda: _logged(log=np.log))),  # fmt: skip
        ],
        compare=_SCALED,
    ),
    Question(
        "q2",
        "The best number of clusters by the silhouette: for k from 2 to 9, fit "
        "`KMeans(n_clusters=k, n_init=10, random_state=0)` on `scaled` and compute the silhouette; give the k "
        "with the highest silhouette, as a whole number.",
        expected=_best_k,
        hints=[
            "Loop over `range(2, 10)`; in each step `labels = KMeans(...).fit_predict(scaled)`.",
            "`silhouette_score(scaled, labels)` gives one number per k: collect them in a dict {k: score}.",
            "`best_k = max(silhouettes, key=silhouettes.get)`, or `pd.Series(silhouettes).idxmax()`.",
        ],
        solution="silhouettes = {k: silhouette_score(scaled, KMeans(n_clusters=k, n_init=10, random_state=0)"
        ".fit_predict(scaled))\n               for k in range(2, 10)}\n"
        "best_k = max(silhouettes, key=silhouettes.get)",
        mistakes=[
            Mistake("That is the largest k you tried. Inertia always falls as k grows, so it cannot choose k by "
                    "itself; take the k with the highest *silhouette*.",
                    when=shown_by(_largest_k, example=lambda: max(KS))),  # fmt: skip
            Mistake("Your k is the best for the raw, unscaled features, and on the scaled features it has one of "
                    "the lowest silhouettes: on raw features k-means only splits by spend. Cluster `scaled`, the "
                    "features of question 1, then take the k with the highest silhouette.",
                    expected=_best_k_unscaled),  # fmt: skip
            Mistake("Your k is the best on the course's four original channels (`clusters.FEATURES`), without the "
                    "Instagram and Telegram shares. Cluster `scaled` of question 1, on all the columns of "
                    "`FEATURES`, as the lesson does.",
                    expected=_best_k_four_channels),  # fmt: skip
        ],
    ),
    Question(
        "q3",
        "A cluster profile: fit `KMeans(n_clusters=best_k, n_init=10, random_state=0)` on `scaled`, then give "
        "a table `profile` with one row per cluster and the average of each column of `FEATURES` in its "
        "original units (days, orders, rials, shares).",
        expected=_profile,
        hints=[
            "`labels = KMeans(n_clusters=best_k, n_init=10, random_state=0).fit_predict(scaled)`.",
            "A profile speaks the business's units: average `features[FEATURES]`, not `scaled`.",
            "`profile = features[FEATURES].groupby(labels).mean()`.",
        ],
        solution="labels = KMeans(n_clusters=best_k, n_init=10, random_state=0).fit_predict(scaled)\n"
        "profile = features[FEATURES].groupby(labels).mean()",
        mistakes=[
            Mistake("You averaged the scaled features: a manager cannot read '0.4 standard deviations of log orders'. "
                    "Fit on `scaled`, but average the original `features[FEATURES]`.",
                    expected=_profile_scaled),  # fmt: skip
            Mistake("Your clusters come from the unscaled features, where spend decides alone. "
                    "Fit k-means on `scaled`.",
                    expected=_profile_unscaled_clusters),  # fmt: skip
            Mistake("You took medians; the question asks for averages (`.mean()`).",
                    expected=_profile_medians),  # fmt: skip
        ],
        compare=_ROWS,
    ),
    Question(
        "q4",
        "The share of web purchases of each cluster: a table `web_share` with one row per cluster of question 3 "
        "and a column `web_share`: of all the completed orders of the cluster's customers, the share placed on "
        "the web (`channel == 'web'`).",
        expected=_web_share,
        hints=[
            "Give each completed order its customer's cluster: "
            "`completed['customer_id'].map(pd.Series(labels, index=features.index))`.",
            "Pool the orders: the share of a cluster is its web orders / all its orders, so that a customer with "
            "twenty orders counts twenty times.",
            "`(completed['channel'] == 'web').groupby(cluster).mean()`, named `web_share`, then `.reset_index()`.",
        ],
        solution="cluster = completed['customer_id'].map(pd.Series(labels, index=features.index))\n"
        "web_share = (completed['channel'] == 'web').groupby(cluster).mean().rename('web_share').reset_index()",
        mistakes=[
            Mistake("You averaged each customer's web share: a customer with one order weighs as much as one with "
                    "twenty. Pool the cluster's orders: web orders / all orders (a ratio of sums).",
                    expected=_web_share_mean_of_customers),  # fmt: skip
            Mistake("You divided by web and store orders only; the question asks for the share of *all* completed "
                    "orders, call centre, field sales, Instagram and Telegram included.",
                    expected=lambda: _web_share(among=["web", "store"])),  # fmt: skip
            Mistake("Your orders include cancelled and returned ones: count the completed orders only.",
                    expected=lambda: _web_share(_completed(("completed", "cancelled", "returned")))),  # fmt: skip
        ],
        compare=_ROWS,
    ),
    Reflection(
        "q8",
        "Pick one cluster: give it a name for a campaign brief, and say which channel and which offer you would "
        "use to reach its customers, and why.",
        solution="Store shoppers: 'Shop-floor regulars'. They place most of their orders in a store, so an "
        "e-mail coupon for the web shop misses them: invite them by text message to an in-store event or a "
        "store-only offer on accessories for the devices they bought.",
        rubric=[
            "The name describes the cluster's behaviour (what, how often, where they buy), not a number.",
            "The channel follows from the data: where the cluster's customers place their orders.",
            "The offer fits what they buy (or do not buy yet), with a reason from the cluster's profile.",
        ],
    ),
]
