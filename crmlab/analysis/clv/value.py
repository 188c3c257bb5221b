"""Customer lifetime value: expected purchases x expected value, discounted month by month."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .models import BetaGeoModel, GammaGammaModel, _as_summary

__all__ = ["clv_ranking", "lifetime_value", "retention_budget"]


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
        Share of revenue that is profit; 1 (the default) gives the value in *revenue*, which
        is not what an offer may cost (see :func:`retention_budget`).

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


def retention_budget(clv: pd.Series, margin: float, save_rate: float = 1.0) -> pd.Series:
    """The most a retention offer may cost per customer before it loses money.

    A revenue CLV (``margin=1`` in :func:`lifetime_value`) is not what an offer may cost:
    the offer is paid from profit, so the ceiling is ``margin x clv``. And an offer only
    earns what it changes: if it keeps ``save_rate`` of the customers who would otherwise
    leave, the ceiling is ``save_rate x margin x clv`` (``save_rate=1``, the default, is the
    upper bound: an offer that surely keeps a customer who would surely leave).

    Parameters
    ----------
    clv : Series
        Each customer's lifetime value in *revenue* (e.g. ``clv_ranking(...)["clv"]``).
    margin : float
        Share of revenue that is profit, in (0, 1].
    save_rate : float
        Share of would-be leavers the offer keeps, in (0, 1].

    Returns
    -------
    Series
        ``offer_budget`` per customer, in the money unit of ``clv``.

    Examples
    --------
    >>> retention_budget(pd.Series([200.0, 50.0], index=[7, 9]), margin=0.3)
    7    60.0
    9    15.0
    Name: offer_budget, dtype: float64
    >>> retention_budget(pd.Series([200.0]), margin=0.3, save_rate=0.25).iloc[0]
    np.float64(15.0)
    """
    if not isinstance(clv, pd.Series):
        raise TypeError(f"`clv` must be a Series of lifetime values, such as ranking['clv'], "
                        f"but a {type(clv).__name__} was passed.")  # fmt: skip
    for name, value in (("margin", margin), ("save_rate", save_rate)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not 0 < value <= 1:
            raise ValueError(f"The value for `{name}` must be a share between 0 and 1, such as 0.3, "
                             f"but {value!r} was passed.")  # fmt: skip
    return (clv * margin * save_rate).rename("offer_budget")
