"""R, F and M scores from 1 to 5: quantile bins that survive ties.

Scoring by quantiles means: sort the customers by a value and cut them into ``bins``
groups of equal size. ``pd.qcut`` does this with bin *edges*, and on real data the edges
collide: on CDNOW half the customers never bought again, so the 0 %, 20 % and 40 %
quantiles of ``frequency`` are all 0 and ``pd.qcut`` raises "Bin edges must be unique"
(with ``duplicates="drop"`` it silently returns 3 bins instead of 5). Scores here come from
*ranks* instead, with a documented rule for ties:

``ties="first"`` (the default)
    Equal values are ranked by the customer id (the index), as ``rank(method="first")``
    on rows sorted by id: of two equal customers, the lower id gets the lower score.
    Every score from 1 to ``bins`` holds the same number of
    customers (give or take one). The price: customers with equal values can get
    neighbouring scores, decided by nothing but their id.
``ties="min"``
    Equal values share one score: the score of the rank where their block starts
    (``rank(method="min")``). Groups are unequal, and when one value covers several
    bins some scores are never used; a warning then says which.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from crmlab.validation import column_arguments

__all__ = ["TIES", "quantile_score", "rfm_scores"]

#: The rules for equal values, see the module's docstring.
TIES = ("first", "min")


def quantile_score(
    values: pd.Series, bins: int = 5, ties: str = "first", higher_is_better: bool = True
) -> pd.Series:
    """Score each value from 1 to ``bins`` by its quantile (rank-based, ties handled).

    Parameters
    ----------
    values : Series
        One number per customer, indexed by customer id; no missing values.
    bins : int, default 5
        Number of scores (quintiles for 5).
    ties : {"first", "min"}, default "first"
        ``"first"``: equal values are ordered by the index, so every score holds the
        same number of customers. ``"min"``: equal values share a score; a warning
        names the scores left empty.
    higher_is_better : bool, default True
        False for "days since the last order": the smallest value gets the top score.

    Returns
    -------
    Series
        Integer scores (int64), same index and name as ``values``.

    Examples
    --------
    >>> orders = pd.Series([3, 2, 1, 1, 1, 1], index=[11, 12, 13, 14, 15, 16], name="n_orders")
    >>> quantile_score(orders, bins=3).tolist()  # four customers tie on 1 order: ids 13-16
    [3, 3, 1, 1, 2, 2]
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     shared = quantile_score(orders, bins=3, ties="min")
    >>> shared.tolist()
    [3, 3, 1, 1, 1, 1]
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    quantile_score('n_orders', ties='min'): scores [2] hold no customer, ... Use ties='first' for 3 equal groups.
    """
    if not isinstance(values, pd.Series):
        raise TypeError(
            f"`values` must be a pandas Series (one number per customer), but a {type(values).__name__} "
            "was passed. Pick one column, e.g. summary['n_orders']."
        )
    if ties not in TIES:
        raise ValueError(f"The value for `ties` must be one of {list(TIES)}, but {ties!r} was passed.")
    if not isinstance(bins, (int, np.integer)) or isinstance(bins, bool) or bins < 2:
        raise ValueError(f"The value for `bins` must be a whole number of at least 2, but {bins!r} was passed.")
    if not pd.api.types.is_numeric_dtype(values) or values.isna().any():
        raise ValueError(
            f"`values` ({values.name!r}) must hold numbers with none missing; fill or drop the gaps first."
        )
    n = len(values)
    if n == 0:
        return values.astype("int64")
    ordered = values.sort_index(kind="stable")
    key = ordered if higher_is_better else -ordered
    rank = key.rank(method=ties).to_numpy()
    scores = pd.Series(1 + ((rank - 1) * bins // n).astype("int64"), index=ordered.index, name=values.name)
    if ties == "min":
        _warn_empty(scores, bins, values.name)
    return scores.reindex(values.index)


def _warn_empty(scores: pd.Series, bins: int, name) -> None:
    empty = sorted(set(range(1, bins + 1)) - set(scores.unique().tolist()))
    if empty:
        warnings.warn(
            f"quantile_score({name!r}, ties='min'): scores {empty} hold no customer, because many customers "
            f"share the same value. Use ties='first' for {bins} equal groups.",
            UserWarning,
            stacklevel=3,
        )


def rfm_scores(
    summary: pd.DataFrame,
    recency: str = "days_since_last_order",
    frequency: str = "n_orders",
    monetary: str = "total_spend",
    bins: int = 5,
    ties: str = "first",
) -> pd.DataFrame:
    """R, F and M scores of every customer, and their three-digit code.

    Parameters
    ----------
    summary : DataFrame
        One row per customer, indexed by customer id, e.g. from :func:`customer_summary`.
    recency : str
        Column of days since the last purchase: *fewer* days score higher. With
        :func:`rfm_summary`, whose ``recency`` runs from the first to the last purchase,
        pass a column ``T - recency`` instead.
    frequency, monetary : str
        Columns of the number of purchases and the money spent: more scores higher.
    bins : int, default 5
        Number of scores per dimension.
    ties : {"first", "min"}, default "first"
        How equal values are scored, see :func:`quantile_score`.

    Returns
    -------
    DataFrame
        Same index: ``r_score``, ``f_score``, ``m_score`` (1 to ``bins``) and ``rfm_code``
        (text such as ``"545"``).

    Examples
    --------
    >>> summary = pd.DataFrame({"days_since_last_order": [5, 300, 40, 90, 700],
    ...                         "n_orders": [9, 1, 4, 2, 1], "total_spend": [900, 20, 350, 80, 15]},
    ...                        index=pd.Index([1, 2, 3, 4, 5], name="customer_id"))
    >>> rfm_scores(summary)
                 r_score  f_score  m_score rfm_code
    customer_id
    1                  5        5        5      555
    2                  2        1        2      212
    3                  4        4        4      444
    4                  3        3        3      333
    5                  1        2        1      121
    """
    column_arguments(summary, {"recency": recency, "frequency": frequency, "monetary": monetary}, "summary")
    out = pd.DataFrame({
        "r_score": quantile_score(summary[recency], bins, ties, higher_is_better=False),
        "f_score": quantile_score(summary[frequency], bins, ties),
        "m_score": quantile_score(summary[monetary], bins, ties),
    })
    digits = out.astype(str)
    out["rfm_code"] = digits["r_score"] + digits["f_score"] + digits["m_score"]
    return out
