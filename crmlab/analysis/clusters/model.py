"""The clustering model as a scikit-learn Pipeline, and the numbers that help choose k.

``log -> scale -> k-means``: :func:`preprocessor` takes the logarithm of the skewed RFM
columns (``log1p``, so 0 stays 0) and scales every feature to mean 0 and standard deviation 1,
so that no feature weighs more just because of its unit (money runs to thousands, shares to 1).
:func:`cluster_pipeline` adds k-means with a fixed ``random_state`` and an explicit ``n_init``,
so the same data always gives the same clusters. Both output pandas DataFrames
(``set_output(transform="pandas")``).

:func:`k_scores` fits k-means for several k and reports the **inertia** (the sum of squared
distances to the centres: it always falls as k grows; look for the elbow where it stops
falling fast) and the **silhouette** (from -1 to 1: how much closer each customer is to its
own cluster than to the next one; higher is better).

The silhouettes of all the k are computed together (:func:`_silhouettes`): scikit-learn's
``silhouette_score`` computes every pairwise distance of the sample again for each k, which on
10,000 customers took 8 s per k; here each block of distances (from scikit-learn's
``pairwise_distances_chunked``) is computed once and summed per cluster for every k. The
scores equal ``silhouette_score``'s, on the same sample, to rounding (the tests compare them).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.compose import ColumnTransformer
from sklearn.metrics import pairwise_distances_chunked
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

from .features import FEATURES, LOG_FEATURES

__all__ = ["cluster_pipeline", "k_scores", "preprocessor"]


def _check_features(features, columns: tuple[str, ...]) -> None:
    if not isinstance(features, pd.DataFrame):
        raise TypeError(f"`features` must be a pandas DataFrame, but a {type(features).__name__} was passed.")
    missing = [c for c in columns if c not in features.columns]
    if missing:
        raise KeyError(
            f"`features` must have the columns {list(columns)}, but {missing} are missing. "
            "Build them with customer_features(crm)."
        )
    if features[list(columns)].isna().any().any():
        raise ValueError("`features` has missing values in the model's columns; fill or drop those customers first.")


def preprocessor(features: Iterable[str] = FEATURES, log_features: Iterable[str] = LOG_FEATURES) -> Pipeline:
    """``log1p`` on the skewed columns, then ``StandardScaler`` on all: a Pipeline that outputs DataFrames.

    Columns of the input that are not in ``features`` are dropped.

    Examples
    --------
    >>> X = pd.DataFrame({"n_orders": [1.0, 3.0, 99.0], "share_web": [0.0, 0.5, 1.0], "note": ["a", "b", "c"]})
    >>> preprocessor(["n_orders", "share_web"], ["n_orders"]).fit_transform(X).round(3)
       n_orders  share_web
    0    -0.901     -1.225
    1    -0.494      0.000
    2     1.395      1.225
    """
    features = list(features)
    logged = [c for c in features if c in set(log_features)]
    kept = [c for c in features if c not in set(logged)]
    steps = [("log", FunctionTransformer(np.log1p, feature_names_out="one-to-one"), logged)] if logged else []
    columns = ColumnTransformer([*steps, ("keep", "passthrough", kept)], remainder="drop",
                                verbose_feature_names_out=False)  # fmt: skip
    pipe = Pipeline([("columns", columns), ("scale", StandardScaler())])
    return pipe.set_output(transform="pandas")


def cluster_pipeline(
    n_clusters: int,
    random_state: int = 0,
    n_init: int = 10,
    features: Iterable[str] = FEATURES,
    log_features: Iterable[str] = LOG_FEATURES,
) -> Pipeline:
    """``log -> scale -> KMeans``: fit it on :func:`customer_features`, read ``.labels`` with ``predict``.

    Parameters
    ----------
    n_clusters : int
        k, the number of clusters.
    random_state : int, default 0
        Seed of k-means' starting centres: the same seed gives the same clusters.
    n_init : int, default 10
        k-means runs from this many starts and keeps the best (lowest inertia).
    features, log_features : iterable of str
        The columns used, and those log-transformed first.

    Examples
    --------
    >>> X = pd.DataFrame({"n_orders": [1.0, 2.0, 30.0, 40.0], "share_web": [0.0, 0.1, 1.0, 0.9]})
    >>> model = cluster_pipeline(2, features=["n_orders", "share_web"], log_features=["n_orders"]).fit(X)
    >>> labels = model.predict(X)
    >>> bool(labels[0] == labels[1] != labels[2] == labels[3])
    True
    """
    if not isinstance(n_clusters, (int, np.integer)) or isinstance(n_clusters, bool) or n_clusters < 2:
        raise ValueError(
            f"The value for `n_clusters` must be a whole number of at least 2, but {n_clusters!r} was passed."
        )
    prep = preprocessor(features, log_features)
    kmeans = KMeans(n_clusters=int(n_clusters), n_init=n_init, random_state=random_state)
    return Pipeline([*prep.steps, ("kmeans", kmeans)]).set_output(transform="pandas")


def k_scores(
    features: pd.DataFrame,
    ks: Iterable[int] = range(2, 10),
    random_state: int = 0,
    n_init: int = 10,
    sample_size: int | None = None,
    columns: Iterable[str] = FEATURES,
    log_features: Iterable[str] = LOG_FEATURES,
) -> pd.DataFrame:
    """Inertia and silhouette of k-means for each k, on the log-transformed, scaled features.

    Parameters
    ----------
    features : DataFrame
        From :func:`customer_features`.
    ks : iterable of int
        The numbers of clusters to try (each at least 2).
    random_state, n_init
        As in :func:`cluster_pipeline`.
    sample_size : int, optional
        Compute the silhouette on a random sample of this many customers (seeded by
        ``random_state``); it needs all pairwise distances, slow beyond ~20,000 customers.
    columns, log_features : iterable of str
        As ``features`` and ``log_features`` of :func:`cluster_pipeline`.

    Returns
    -------
    DataFrame
        Indexed by ``k``: ``inertia`` and ``silhouette``. The fits run on one thread each
        (``threadpoolctl``): on a few thousand customers that is faster than several threads,
        and much faster when other programs keep the cores busy.

    Examples
    --------
    >>> X = pd.DataFrame({"n_orders": [1.0, 2.0, 1.0, 30.0, 40.0, 35.0],
    ...                   "share_web": [0.0, 0.1, 0.05, 1.0, 0.9, 0.95]})
    >>> scores = k_scores(X, ks=[2, 3], columns=["n_orders", "share_web"], log_features=["n_orders"])
    >>> int(scores["silhouette"].idxmax()), bool(scores["inertia"].is_monotonic_decreasing)
    (2, True)
    """
    columns = tuple(columns)
    _check_features(features, columns)
    ks = list(ks)
    bad = [k for k in ks if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 2]
    if bad or not ks:
        raise ValueError(f"The values for `ks` must be whole numbers of at least 2, but {bad or ks!r} was passed.")
    scaled = preprocessor(columns, log_features).fit_transform(features).to_numpy(float)
    with threadpool_limits(1):  # one thread: many small fits run faster than threads fighting over busy cores
        models = [KMeans(n_clusters=int(k), n_init=n_init, random_state=random_state).fit(scaled) for k in ks]
        rows = np.arange(len(scaled))
        if sample_size is not None:  # the sample silhouette_score(..., sample_size, random_state) draws
            rows = check_random_state(random_state).permutation(len(scaled))[:sample_size]
        silhouettes = _silhouettes(scaled[rows], [m.labels_[rows] for m in models])
    return pd.DataFrame({"k": [int(k) for k in ks], "inertia": [float(m.inertia_) for m in models],
                         "silhouette": silhouettes}).set_index("k")


def _silhouettes(points: np.ndarray, labelings: list[np.ndarray]) -> list[float]:
    """The mean silhouette of ``points`` under each labelling, from one pass over their distances.

    As ``sklearn.metrics.silhouette_samples``: a point alone in its cluster scores 0, and clusters
    count only where they have points. Raises ``ValueError`` as it does for fewer than 2 clusters
    or as many clusters as points.
    """
    codes, sizes = [], []
    for labels in labelings:
        _, code = np.unique(labels, return_inverse=True)
        size = np.bincount(code)
        if not 2 <= len(size) <= len(points) - 1:
            raise ValueError(f"The silhouette needs 2 to n_samples - 1 clusters, but {len(size)} were found.")
        codes.append(code)
        sizes.append(size)
    onehot = np.zeros((len(points), sum(len(s) for s in sizes)))
    starts = np.cumsum([0, *(len(s) for s in sizes)])
    for code, start in zip(codes, starts, strict=False):
        onehot[np.arange(len(points)), start + code] = 1.0
    # each row's summed distance to every cluster of every labelling, a block of rows at a time
    totals = np.vstack(list(pairwise_distances_chunked(points, reduce_func=lambda block, _: block @ onehot)))
    scores = []
    for code, size, start in zip(codes, sizes, starts, strict=False):
        total = totals[:, start: start + len(size)]
        own = total[np.arange(len(points)), code]
        alone = size[code] == 1
        a = np.where(alone, 0.0, own / np.maximum(size[code] - 1, 1))
        others = total / size
        others[np.arange(len(points)), code] = np.inf
        b = others.min(axis=1)
        s = np.where(alone, 0.0, (b - a) / np.maximum(a, b))
        scores.append(float(np.mean(np.nan_to_num(s))))
    return scores
