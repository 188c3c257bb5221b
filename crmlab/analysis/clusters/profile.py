"""Reading clusters: their profile, a name for each, and their channel shares.

A cluster is only useful once someone can say what its customers have in common.
:func:`cluster_profile` gives each cluster's size and average features next to the
average of all customers; :func:`standardised_profile` says the same in standard
deviations from the average (what k-means actually compares), and :func:`name_clusters`
turns its strongest trait into a name a marketer can use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .features import FEATURES, LOG_FEATURES, PURCHASE_CHANNELS
from .model import _check_features, preprocessor

__all__ = ["QUALIFIERS", "TRAITS", "channel_share_by_cluster", "cluster_profile", "name_clusters",
           "standardised_profile"]  # fmt: skip

#: The name a cluster gets when this feature is its most above-average one.
TRAITS: Mapping[str, str] = {
    "share_web": "Web shoppers",
    "share_store": "Store shoppers",
    "share_call_centre": "Phone orderers",
    "share_field_sales": "Field-sales accounts",
    "share_instagram": "Instagram shoppers",
    "share_telegram": "Telegram shoppers",
    "addon_share": "Add-on buyers",
    "n_orders": "Frequent buyers",
    "total_spend": "Big spenders",
    "days_since_last_order": "Lapsed customers",
}
#: Words that tell apart two clusters with the same name: (above average, below average).
QUALIFIERS: Mapping[str, tuple[str, str]] = {
    "days_since_last_order": ("lapsed", "recent"),
    "n_orders": ("frequent", "occasional"),
    "total_spend": ("high spend", "low spend"),
}


def _labels(labels, index: pd.Index) -> pd.Series:
    values = np.asarray(labels)
    if values.ndim != 1 or len(values) != len(index):
        raise ValueError(f"`labels` has {values.size} values but `features` has {len(index)} rows: one label per row.")
    return pd.Series(values, index=index, name="cluster")


def cluster_profile(features: pd.DataFrame, labels) -> pd.DataFrame:
    """Size and average features of each cluster, with a last row for all customers.

    Parameters
    ----------
    features : DataFrame
        One row per customer (e.g. :func:`customer_features`); every numeric column is averaged
        (missing values are skipped).
    labels : array-like
        The cluster of each row, e.g. ``model.predict(features)``.

    Returns
    -------
    DataFrame
        Indexed by cluster, then ``"all"``: ``customers``, ``share_of_customers`` and the averages.

    Examples
    --------
    >>> X = pd.DataFrame({"n_orders": [1, 3, 10, 12]}, index=pd.Index([5, 6, 7, 8], name="customer_id"))
    >>> cluster_profile(X, [0, 0, 1, 1])
             customers  share_of_customers  n_orders
    cluster
    0                2                 0.5       2.0
    1                2                 0.5      11.0
    all              4                 1.0       6.5
    """
    if not isinstance(features, pd.DataFrame):
        raise TypeError(f"`features` must be a pandas DataFrame, but a {type(features).__name__} was passed.")
    labels = _labels(labels, features.index)
    numeric = features.select_dtypes("number")
    means = numeric.groupby(labels).mean()
    means.loc["all"] = numeric.mean()
    sizes = labels.value_counts().reindex(means.index[:-1])
    out = pd.DataFrame({"customers": [*sizes.tolist(), len(labels)]}, index=means.index)
    out["share_of_customers"] = out["customers"] / len(labels)
    out = out.join(means)
    out.index.name = "cluster"
    return out


def standardised_profile(
    features: pd.DataFrame, labels, columns: Iterable[str] = FEATURES, log_features: Iterable[str] = LOG_FEATURES
) -> pd.DataFrame:
    """Each cluster's average of the model's features, in standard deviations from the average customer.

    The features are log-transformed and scaled as the model sees them (:func:`preprocessor`),
    so +1 means "one standard deviation above the average customer".

    Examples
    --------
    >>> X = pd.DataFrame({"n_orders": [1.0, 1.0, 9.0, 9.0], "share_web": [0.0, 0.0, 1.0, 1.0]})
    >>> standardised_profile(X, [0, 0, 1, 1], columns=["n_orders", "share_web"], log_features=["n_orders"])
             n_orders  share_web
    cluster
    0            -1.0       -1.0
    1             1.0        1.0
    """
    columns = tuple(columns)
    _check_features(features, columns)
    scaled = preprocessor(columns, log_features).fit_transform(features)
    out = scaled.groupby(_labels(labels, features.index).to_numpy()).mean()
    out.index.name = "cluster"
    return out


def name_clusters(
    z: pd.DataFrame, traits: Mapping[str, str] = TRAITS, qualifiers: Mapping[str, tuple[str, str]] = QUALIFIERS
) -> pd.Series:
    """A name for each cluster: its most above-average trait; a qualifier when two would share a name.

    Parameters
    ----------
    z : DataFrame
        From :func:`standardised_profile`: clusters by features, in standard deviations.
    traits : mapping
        Feature -> name, for the features that can name a cluster.
    qualifiers : mapping
        Feature -> (word above average, word below average), to tell apart clusters with
        the same name: the qualifier feature on which the cluster is furthest from average.

    Returns
    -------
    Series
        The name of each cluster, indexed like ``z``.

    Examples
    --------
    >>> z = pd.DataFrame({"share_web": [2.0, -1.0, -1.0], "share_store": [-1.0, 1.5, 1.2],
    ...                   "days_since_last_order": [0.1, 0.9, -0.8]})
    >>> name_clusters(z).tolist()
    ['Web shoppers', 'Store shoppers (lapsed)', 'Store shoppers (recent)']
    """
    usable = [c for c in traits if c in z.columns]
    if not usable:
        raise KeyError(f"`z` has none of the trait columns {list(traits)}: pass standardised_profile(...).")
    names = {i: traits[c] for i, c in z[usable].idxmax(axis=1).items()}
    qualify = [c for c in qualifiers if c in z.columns]
    shared = [i for i in names if list(names.values()).count(names[i]) > 1]
    for i in shared if qualify else []:
        strongest = z.loc[i, qualify].abs().idxmax()
        names[i] += f" ({qualifiers[strongest][0 if z.loc[i, strongest] > 0 else 1]})"
    for i in [i for i in names if list(names.values()).count(names[i]) > 1]:
        names[i] += f" #{i}"
    names = pd.Series(names, dtype=object).reindex(z.index)
    return names.rename("name")


def channel_share_by_cluster(
    orders: pd.DataFrame, labels: pd.Series, channels: Iterable[str] = PURCHASE_CHANNELS
) -> pd.DataFrame:
    """The share of each cluster's orders placed through each channel: all its orders pooled.

    A ratio of sums (a cluster's web orders / its orders), not the average of its customers'
    shares: a customer with twenty orders weighs twenty times one with one.

    Parameters
    ----------
    orders : DataFrame
        ``customer_id`` and ``channel`` of the orders to count (filter statuses first).
    labels : Series
        The cluster (or any group) of each customer, indexed by ``customer_id``.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": [1, 1, 1, 2], "channel": ["web", "web", "web", "store"]})
    >>> channel_share_by_cluster(orders, pd.Series({1: "A", 2: "A"}), ["web", "store"])
             web  store
    cluster
    A        0.75   0.25
    """
    if not isinstance(labels, pd.Series):
        raise TypeError("`labels` must be a pandas Series indexed by customer_id, e.g. pd.Series(labels, index=...).")
    cluster = orders["customer_id"].map(labels)
    kept = cluster.notna()
    table = pd.crosstab(cluster[kept].rename("cluster"), orders.loc[kept, "channel"], normalize="index")
    table = table.reindex(columns=list(channels), fill_value=0.0)
    table.columns.name = None
    return table
