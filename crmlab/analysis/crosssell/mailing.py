"""How many customers to mail: profit by depth of mailing, the best depth, and a budget.

Mail customers from the top of the score list down. Each letter costs ``cost``; each
customer who responds brings ``margin`` (a fixed margin per sale, or each customer's own
amount, such as a donor's gift). Going one customer deeper pays while that customer's
chance of responding times the margin beats the cost of the letter: the **break-even
probability** is ``cost / margin``. Profit therefore rises, peaks and falls; the response
rate, highest at the very top, is not the goal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.validation import binary_outcomes, non_negative, require_table, scores

__all__ = ["best_depth", "break_even_probability", "expected_profit_by_depth", "profit_by_depth"]


def break_even_probability(cost: float, margin: float) -> float:
    """The response probability at which one more letter just pays for itself: ``cost / margin``.

    Parameters
    ----------
    cost : float
        Cost of one letter.
    margin : float
        What one response brings (same currency).

    Returns
    -------
    float
        Mail a customer when their probability of responding is above this.

    Examples
    --------
    >>> break_even_probability(cost=5, margin=60)
    0.08333333333333333
    """
    cost, margin = non_negative("cost", cost), non_negative("margin", margin)
    if margin == 0:
        raise ValueError("The value for `margin` must be above 0: with nothing earned per sale, no letter pays.")
    return cost / margin


def _by_depth(outcome: np.ndarray, score: np.ndarray, cost: float, margin) -> pd.DataFrame:
    """Cumulative buyers, cost, revenue and profit, mailing the highest scores first."""
    cost = non_negative("cost", cost)
    if np.ndim(margin) == 0:
        value = np.full(len(outcome), non_negative("margin", margin))
    else:
        value = scores(margin, len(outcome), "margin")
        if (value < 0).any():
            raise ValueError("`margin` must not hold negative amounts.")
    order = np.argsort(-score, kind="stable")
    mailed = np.arange(1, len(outcome) + 1)
    buyers = np.cumsum(outcome[order])
    table = pd.DataFrame({
        "share_mailed": mailed / len(outcome),
        "buyers": buyers,
        "response_rate": buyers / mailed,
        "cost": cost * mailed,
        "revenue": np.cumsum((outcome * value)[order]),
    }, index=pd.Index(mailed, name="mailed"))
    table["profit"] = table["revenue"] - table["cost"]
    return table


def profit_by_depth(y_true, score, *, cost: float, margin) -> pd.DataFrame:
    """Mail the best-scored customers first: buyers, cost, revenue and profit at every depth.

    Use it on customers whose response is known (a test set, or out-of-fold scores): it says
    what each depth of mailing *did* earn. :func:`expected_profit_by_depth` says what it
    *should* earn on a new list, from the model's probabilities alone.

    Parameters
    ----------
    y_true : array-like of 0/1
        Who responded (on customers the model did not learn from).
    score : array-like of float
        The model's score; customers are mailed from the highest down (ties keep their order).
    cost : float
        Cost of one letter.
    margin : float or array-like of float
        What a response brings: one number for every customer (the margin of a sale), or one
        per customer (e.g. the gift each donor gave).

    Returns
    -------
    DataFrame
        Indexed by ``mailed`` (1 to the number of customers): ``share_mailed``, ``buyers``
        (responses so far), ``response_rate`` (buyers / mailed), ``cost``, ``revenue`` and
        ``profit`` (revenue - cost), all cumulative.

    Examples
    --------
    >>> profit_by_depth([1, 0, 1, 0, 0], [0.9, 0.8, 0.7, 0.2, 0.1], cost=10, margin=30)
            share_mailed  buyers  response_rate  cost  revenue  profit
    mailed
    1                0.2       1       1.000000  10.0     30.0    20.0
    2                0.4       1       0.500000  20.0     30.0    10.0
    3                0.6       2       0.666667  30.0     60.0    30.0
    4                0.8       2       0.500000  40.0     60.0    20.0
    5                1.0       2       0.400000  50.0     60.0    10.0
    """
    y = binary_outcomes(y_true)
    table = _by_depth(y, scores(score, len(y)), cost, margin)
    return table.astype({"buyers": "int64"})


def expected_profit_by_depth(proba, *, cost: float, margin) -> pd.DataFrame:
    """What each depth of mailing should earn, from the model's probabilities alone.

    The same table as :func:`profit_by_depth`, with expected buyers (the sum of the
    probabilities) in place of counted ones. It is only as good as the probabilities: check
    them against :func:`profit_by_depth` on held-out customers first (a model trained with
    class weights, for instance, promises far too many buyers).

    Parameters
    ----------
    proba : array-like of float
        Each customer's probability of responding, from 0 to 1.
    cost : float
        Cost of one letter.
    margin : float or array-like of float
        What a response brings, for every customer or one amount per customer.

    Returns
    -------
    DataFrame
        Indexed by ``mailed``, columns as in :func:`profit_by_depth`.

    Examples
    --------
    >>> expected_profit_by_depth([0.5, 0.1, 0.3], cost=10, margin=30)["profit"].tolist()
    [5.0, 4.0, -3.0]
    """
    try:
        p = np.asarray(proba, dtype="float64").ravel()
    except (TypeError, ValueError) as err:
        raise ValueError("`proba` must hold probabilities: use `model.predict_proba(X)[:, 1]`.") from err
    if len(p) == 0 or np.isnan(p).any() or ((p < 0) | (p > 1)).any():
        raise ValueError("`proba` must hold probabilities between 0 and 1, none missing: "
                         "use `model.predict_proba(X)[:, 1]`.")  # fmt: skip
    return _by_depth(p, p, cost, margin)


def best_depth(table: pd.DataFrame, *, budget: float | None = None) -> pd.Series:
    """The depth of mailing with the highest profit; with a budget, no more letters than it pays for.

    Parameters
    ----------
    table : DataFrame
        From :func:`profit_by_depth` or :func:`expected_profit_by_depth`.
    budget : float, optional
        The most that may be spent on letters. When it pays for fewer letters than the best
        depth, mail the top customers it pays for (down to the best depth, each extra letter
        is expected to earn more than it costs). A larger budget is no reason to mail more
        than the best depth.

    Returns
    -------
    Series
        The chosen row of ``table``, with ``mailed`` first. When no depth makes money, a row
        of zeros: mail nobody.

    Examples
    --------
    >>> table = profit_by_depth([1, 0, 1, 0, 0], [0.9, 0.8, 0.7, 0.2, 0.1], cost=10, margin=30)
    >>> int(best_depth(table)["mailed"]), int(best_depth(table, budget=25)["mailed"])
    (3, 2)
    >>> int(best_depth(table, budget=1_000)["mailed"])
    3
    """
    table = require_table(table, "table", ["cost", "profit"])
    best = int(table["profit"].idxmax())
    if table.loc[best, "profit"] <= 0:
        return pd.Series(0.0, index=["mailed", *table.columns], name="best")
    if budget is not None:
        budget = non_negative("budget", budget)
        per_letter = float(table["cost"].iloc[0])
        affordable = int(budget // per_letter) if per_letter > 0 else len(table)
        if affordable < 1:
            raise ValueError(f"A budget of {budget:g} does not pay for a single letter (one costs {per_letter:g}).")
        best = min(best, affordable)
    row = table.loc[best].astype(float)
    return pd.concat([pd.Series({"mailed": float(best)}), row]).rename("best")
