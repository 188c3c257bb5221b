"""Customer lifetime value: expected purchases x expected value, discounted month by month."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .models import BetaGeoModel, GammaGammaModel, _as_summary

__all__ = ["clv_ranking", "lifetime_value"]


def lifetime_value(
    bgnbd: BetaGeoModel,
    gamma_gamma: GammaGammaModel,
    summary: pd.DataFrame,
    months: int = 12,
    periods_per_month: float = 30.4375,
    monthly_discount: float = 0.01,
    margin: float = 1.0,
) -> pd.Series:
    """Discounted expected value of each customer over the next ``months``.

    Parameters
    ----------
    bgnbd, gamma_gamma : BetaGeoModel, GammaGammaModel
        Fitted on ``summary`` (the Gamma-Gamma model on its repeat buyers).
    summary : DataFrame
        ``frequency``, ``recency``, ``T`` (in the models' period) and ``monetary_value``.
    months : int
        Horizon in months.
    periods_per_month : float
        Periods in a month: 30.4375 for days, 4.348 for weeks.
    monthly_discount : float
        Discount rate per month (0.01 is about 12.7% a year).
    margin : float
        Share of revenue that is profit; 1 gives revenue value.

    Returns
    -------
    Series
        ``clv`` per customer, in the money unit of ``monetary_value``.

    Examples
    --------
    >>> bg = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> gg = GammaGammaModel()
    >>> gg.p_, gg.q_, gg.v_ = 6.25, 3.74, 15.44
    >>> summary = pd.DataFrame({"frequency": [0.0, 2.0], "recency": [0.0, 30.43], "T": [38.86, 38.86],
    ...                         "monetary_value": [0.0, 40.0]})
    >>> lifetime_value(bg, gg, summary, periods_per_month=4.348).round(2)
    0     8.37
    1    57.62
    Name: clv, dtype: float64
    """
    _as_summary(summary, ["frequency", "recency", "T", "monetary_value"])
    x, tx, t = summary["frequency"], summary["recency"], summary["T"]
    value = gamma_gamma.expected_average_value(x, summary["monetary_value"]) * margin
    total = np.zeros(len(summary))
    previous = bgnbd.expected_purchases(0.0, x, tx, t)
    for month in range(1, months + 1):
        cumulative = bgnbd.expected_purchases(month * periods_per_month, x, tx, t)
        total += (cumulative - previous) * value / (1 + monthly_discount) ** month
        previous = cumulative
    return pd.Series(total, index=summary.index, name="clv")


def clv_ranking(
    bgnbd: BetaGeoModel,
    gamma_gamma: GammaGammaModel,
    summary: pd.DataFrame,
    months: int = 12,
    periods_per_month: float = 30.4375,
    monthly_discount: float = 0.01,
    margin: float = 1.0,
) -> pd.DataFrame:
    """Customers ranked by lifetime value over the next ``months``, with the parts it is made of.

    Parameters are those of :func:`lifetime_value`.

    Returns
    -------
    DataFrame
        Indexed by customer, best first: ``rank``, ``frequency``, ``recency``, ``T``,
        ``p_alive``, ``expected_purchases`` (next ``months``, undiscounted),
        ``expected_order_value`` and ``clv``.

    Examples
    --------
    >>> bg = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> gg = GammaGammaModel()
    >>> gg.p_, gg.q_, gg.v_ = 6.25, 3.74, 15.44
    >>> summary = pd.DataFrame({"frequency": [0.0, 2.0, 6.0], "recency": [0.0, 30.43, 10.0],
    ...                         "T": [38.86, 38.86, 38.0], "monetary_value": [0.0, 40.0, 30.0]})
    >>> clv_ranking(bg, gg, summary, periods_per_month=4.348)[["rank", "p_alive", "clv"]].round(2)
       rank  p_alive    clv
    1     1     0.73  57.62
    0     2     1.00   8.37
    2     3     0.01   1.82
    """
    clv = lifetime_value(bgnbd, gamma_gamma, summary, months, periods_per_month, monthly_discount, margin)
    x, tx, t = summary["frequency"], summary["recency"], summary["T"]
    out = summary[["frequency", "recency", "T"]].copy()
    out["p_alive"] = bgnbd.probability_alive(x, tx, t)
    out["expected_purchases"] = bgnbd.expected_purchases(months * periods_per_month, x, tx, t)
    out["expected_order_value"] = gamma_gamma.expected_average_value(x, summary["monetary_value"]) * margin
    out["clv"] = clv
    out = out.sort_values("clv", ascending=False, kind="stable")
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out
