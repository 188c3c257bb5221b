"""R, F and M scores from 1 to 5: quantile scores that depend on the values only.

Scoring by quantiles means: sort the customers by a value and cut them into ``bins``
groups. ``pd.qcut`` does this with bin *edges*, and on real data the edges collide: on
CDNOW half the customers never bought again, so the 0 %, 20 % and 40 % quantiles of
``frequency`` are all 0 and ``pd.qcut`` raises "Bin edges must be unique" (with
``duplicates="drop"`` it silently returns 3 bins instead of 5). Scores here come from
*ranks* instead, with a written rule for ties:

``ties="min"`` (the default)
    Equal values share one score: a customer's score is ``1 + floor(bins * k / n)``, where
    ``k`` is the number of the ``n`` customers with a strictly worse value (pandas'
    ``rank(method="min") - 1``). The score depends on the values alone, never on the order
    of the rows or on the customer ids, so relabelling or re-sorting the customers moves
    nobody. The lowest value always scores 1. The price: groups are unequal, a tied block
    takes the score of the fifth where it *starts* (on the course's data the customers with
    three orders join those with two in F score 2), and when one value covers more than a
    fifth some scores are never used; a warning then says which.
``ties="first"``
    Equal values are ranked by the customer id (``rank(method="first")`` on rows sorted
    by id): every score holds the same number of customers (give or take one), but
    customers with equal values get neighbouring scores decided by nothing but their id.
    Renumber the customers (a migration, a merge of two systems) and they move: on the
    course's data about one customer in twenty changes segment when only the ids are shuffled
    (:func:`crmlab.analysis.rfm.id_order_moves` counts them). A warning says how
    many customers' scores were decided by their id. Use it only where equal-sized groups
    matter more than treating equal customers alike.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from crmlab.validation import column_arguments

__all__ = ["TIES", "quantile_score", "rfm_scores"]

#: The rules for equal values, the default first; see the module's docstring.
TIES = ("min", "first")


def quantile_score(
    values: pd.Series, bins: int = 5, ties: str = "min", higher_is_better: bool = True
) -> pd.Series:
    """Score each value from 1 to ``bins`` by its quantile (rank-based, equal values share a score).

    Parameters
    ----------
    values : Series
        One number per customer, indexed by customer id; no missing values.
    bins : int, default 5
        Number of scores (quintiles for 5).
    ties : {"min", "first"}, default "min"
        ``"min"``: equal values share a score, ``1 + floor(bins * k / n)`` with ``k`` the
        customers with a strictly worse value; it does not depend on the row order or the
        ids; a warning names the scores left empty. ``"first"``: equal values are ordered
        by the index, so every score holds the same number of customers but the ids decide
        between equal customers; a warning says how many.
    higher_is_better : bool, default True
        False for "days since the last order": the smallest value gets the top score.

    Returns
    -------
    Series
        Integer scores (int64), same index and name as ``values``.

    Examples
    --------
    Six customers, four of them tied on 1 order (ids 13-16). They share score 1; the
    customer with 2 orders has 4 of 6 customers below (``1 + 3 * 4 // 6 = 3``), and so does
    the one with 3 orders (5 below: ``1 + 15 // 6 = 3``). Score 2 is left empty, and said so:

    >>> import warnings
    >>> orders = pd.Series([3, 2, 1, 1, 1, 1], index=[11, 12, 13, 14, 15, 16], name="n_orders")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     shared = quantile_score(orders, bins=3)
    >>> shared.tolist()
    [3, 3, 1, 1, 1, 1]
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    quantile_score('n_orders', ties='min'): scores [2] hold no customer: 4 of the 6 customers share one value, ...

    ``ties="first"`` fills score 2 with two of the four equal customers, chosen by their id:

    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     split = quantile_score(orders, bins=3, ties="first")
    >>> split.tolist()
    [3, 3, 1, 1, 2, 2]
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    quantile_score('n_orders', ties='first'): 4 of the 6 customers got a score decided by their id ... move them. ...
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
        _warn_empty(scores, key, bins, values.name)
    else:
        _warn_split(scores, key, values.name)
    return scores.reindex(values.index)


def _warn_empty(scores: pd.Series, key: pd.Series, bins: int, name) -> None:
    empty = sorted(set(range(1, bins + 1)) - set(scores.unique().tolist()))
    if empty:
        largest = int(key.value_counts().max())
        why = (f"{largest:,} of the {len(key):,} customers share one value, and equal customers share a score"
               if largest > 1 else f"there are only {len(key):,} customers for {bins} scores")  # fmt: skip
        warnings.warn(
            f"quantile_score({name!r}, ties='min'): scores {empty} hold no customer: {why}. That is what the "
            f"values say; write the segment rules for the scores that exist.",
            UserWarning,
            stacklevel=3,
        )


def _warn_split(scores: pd.Series, key: pd.Series, name) -> None:
    """Count the customers whose value is shared by customers with another score: their id decided."""
    spread = scores.groupby(key.to_numpy()).transform("nunique").to_numpy() > 1
    if spread.any():
        warnings.warn(
            f"quantile_score({name!r}, ties='first'): {int(spread.sum()):,} of the {len(key):,} customers got a "
            "score decided by their id (equal values split across scores); renumbering the customers would "
            "move them. ties='min' gives equal values one score.",
            UserWarning,
            stacklevel=3,
        )


def rfm_scores(
    summary: pd.DataFrame,
    recency: str = "days_since_last_order",
    frequency: str = "n_orders",
    monetary: str = "total_spend",
    bins: int = 5,
    ties: str = "min",
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
    ties : {"min", "first"}, default "min"
        How equal values are scored, see :func:`quantile_score`: by default they share a
        score, so the scores do not depend on the row order or the customer ids.

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
    5                  1        1        1      111

    Customers 2 and 5 tie on one order: both score F 1, whatever their ids.
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
