"""Fader and Hardie's own checks of a BG/NBD fit: three pictures to read before trusting it.

A model that reproduces published parameters can still fit a company's data badly. Fader,
Hardie & Lee (2005) check a BG/NBD fit three ways, each comparing what the model expects
with what happened:

1. :func:`period_transactions`: how many customers made 0, 1, 2, ... repeat purchases in
   the calibration period, against the number the model expects given how long each one
   was observed (their figure 2);
2. :func:`cumulative_tracking`: the repeat purchases of the whole cohort, period by period
   and cumulated, over the calibration period *and* the holdout (their figures 3 and 5);
   this is what a forecast of total sales rests on;
3. :func:`frequency_recency_matrix`: the probability of being alive (or the expected
   purchases in the next periods) for every frequency and recency, a table a retention
   team can read customers off (the iso-value view of Fader, Hardie & Lee 2005b).

:func:`~crmlab.analysis.clv.holdout_by_frequency` is the fourth check (their figure 4).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import special

from .holdout import _day, _local_days
from .models import BetaGeoModel, _as_summary

__all__ = ["cumulative_tracking", "frequency_recency_matrix", "period_transactions"]


def _whole(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"The value for `{name}` must be a whole number >= {low}, but {value!r} was passed.")
    return int(value)


def period_transactions(model: BetaGeoModel, calibration: pd.DataFrame, max_frequency: int = 7) -> pd.DataFrame:
    """Customers by number of repeat purchases in the calibration period: actual against expected.

    The expected number of customers with ``n`` repeat purchases sums, over the customers,
    the model's probability of exactly ``n`` purchases in their own observation time ``T``
    (:meth:`BetaGeoModel.probability_of_purchases`). The last group holds ``max_frequency``
    and more, so both columns add up to the number of customers.

    Parameters
    ----------
    model : BetaGeoModel
        Fitted on ``calibration``.
    calibration : DataFrame
        As returned by :func:`~crmlab.analysis.clv.calibration_holdout`: ``frequency`` and ``T``.
    max_frequency : int
        The last group, e.g. 7 for "7+" as in the paper.

    Returns
    -------
    DataFrame
        Indexed by ``repeat_purchases`` (``"0"``, ``"1"``, ..., ``"7+"``): ``actual`` and
        ``expected`` numbers of customers.

    Examples
    --------
    >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> cal = pd.DataFrame({"frequency": [0, 0, 1, 3], "T": [38.0, 30.0, 38.0, 20.0]})
    >>> period_transactions(model, cal, max_frequency=2).round(2)
                      actual  expected
    repeat_purchases
    0                      2      2.42
    1                      1      0.77
    2+                     1      0.80
    """
    _as_summary(calibration, ["frequency", "T"])
    top = _whole("max_frequency", max_frequency, 1)
    t = calibration["T"].to_numpy(dtype="float64")
    expected = [float(model.probability_of_purchases(n, t).sum()) for n in range(top)]
    expected.append(len(t) - sum(expected))
    actual = np.bincount(np.minimum(calibration["frequency"].to_numpy(dtype="int64"), top), minlength=top + 1)
    labels = [str(n) for n in range(top)] + [f"{top}+"]
    return pd.DataFrame({"actual": actual, "expected": expected}, index=pd.Index(labels, name="repeat_purchases"))


def _expected_new(model: BetaGeoModel, t: np.ndarray) -> np.ndarray:
    """E[X(t)] of Fader, Hardie & Lee (2005), equation 9, for an array of times (0 where t is 0)."""
    model._check_fitted()
    r, alpha, a, b = model.r_, model.alpha_, model.a_, model.b_
    hyp = special.hyp2f1(r, b, a + b - 1, t / (alpha + t))
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp)


def cumulative_tracking(
    model: BetaGeoModel,
    transactions: pd.DataFrame,
    calibration_end,
    holdout_end,
    *,
    customer_id_col: str = "customer_id",
    datetime_col: str = "date",
    period_days: float = 7.0,
) -> pd.DataFrame:
    """Repeat purchases of the calibration cohort, period by period: actual against the model's expectation.

    The cohort is every customer whose first purchase came by ``calibration_end``. A repeat
    purchase is a purchase day after a customer's first (several on a day count once, as in
    :func:`~crmlab.analysis.clv.calibration_holdout`). The model expects ``E[X(t)]`` repeat
    purchases from a customer ``t`` periods after their first purchase (Fader, Hardie & Lee
    2005, equation 9), summed over the cohort. It knows nothing of the holdout: a gap that opens
    after ``calibration_end`` is a forecast error.

    Parameters
    ----------
    model : BetaGeoModel
        Fitted on the calibration summary of the same purchases, in the same time unit.
    transactions : DataFrame
        The purchase log, e.g. :func:`~crmlab.analysis.clv.order_transactions`.
    calibration_end, holdout_end : date-like
        Last days of the calibration period and of the holdout (inclusive).
    customer_id_col, datetime_col : str
        Columns of ``transactions``.
    period_days : float
        Length of a period in days, the model's time unit (7: weeks).

    Returns
    -------
    DataFrame
        Indexed by ``period`` (1, 2, ... counted from the cohort's first purchase day):
        ``ends_on`` (its last day), ``actual`` and ``expected`` repeat purchases in the period,
        ``cumulative_actual`` and ``cumulative_expected``, and ``holdout`` (True for periods
        after ``calibration_end``). Periods end on ``calibration_end`` and every ``period_days``
        before and after it; the first one (from the cohort's first purchase) and the last one (cut
        by ``holdout_end``) may be shorter.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2], "date": pd.to_datetime(
    ...     ["2024-01-01", "2024-01-09", "2024-01-20", "2024-01-03", "2024-01-16"])})
    >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> track = cumulative_tracking(model, tx, "2024-01-14", "2024-01-21")
    >>> track[["cumulative_actual", "cumulative_expected", "holdout"]].round(2)
            cumulative_actual  cumulative_expected  holdout
    period
    1                       0                 0.08    False
    2                       1                 0.18    False
    3                       3                 0.28     True
    >>> track["ends_on"].dt.strftime("%d %b").tolist()
    ['07 Jan', '14 Jan', '21 Jan']
    """
    if not isinstance(period_days, (int, float)) or isinstance(period_days, bool) or not period_days > 0:
        raise ValueError(f"The value for `period_days` must be a positive number of days, "
                         f"but {period_days!r} was passed.")  # fmt: skip
    start, end = _day(calibration_end, "calibration_end"), _day(holdout_end, "holdout_end")
    if end <= start:
        raise ValueError(f"`holdout_end` ({end.date()}) must come after `calibration_end` ({start.date()}).")
    missing = [c for c in (customer_id_col, datetime_col) if c not in getattr(transactions, "columns", [])]
    if missing:
        raise KeyError(f"`transactions` must be a DataFrame with the column(s) {missing}.")
    days = pd.DataFrame({"c": transactions[customer_id_col].to_numpy(),
                         "d": _local_days(transactions[datetime_col]).to_numpy()}).drop_duplicates()  # fmt: skip
    first = days.groupby("c")["d"].transform("min")
    cohort = first <= start
    days, first = days[cohort & (days["d"] <= end)], first[cohort & (days["d"] <= end)]
    if days.empty:
        raise ValueError(f"No customer made a first purchase by `calibration_end` ({start.date()}).")
    # periods end on calibration_end and every period_days before and after it, so none straddles it;
    # the first (from the cohort's first purchase) and the last (cut by holdout_end) may be shorter
    origin = first.min()
    steps = range(-math.floor((start - origin).days / period_days), math.ceil((end - start).days / period_days) + 1)
    ends_on = pd.DatetimeIndex([min(start + pd.Timedelta(days=round(k * period_days)), end) for k in steps])
    n_periods = len(ends_on)
    repeat_days = days.loc[days["d"] > first, "d"].to_numpy()
    cumulative_actual = np.searchsorted(np.sort(repeat_days), ends_on.to_numpy(), side="right")
    starts, weight = np.unique(days.groupby("c")["d"].min().to_numpy(), return_counts=True)  # customers by first day
    elapsed = (ends_on.to_numpy()[None, :] - starts[:, None]) / np.timedelta64(1, "D") / period_days
    expected = np.where(elapsed > 0, _expected_new(model, np.maximum(elapsed, 0.0)), 0.0)
    cumulative_expected = weight @ expected
    out = pd.DataFrame({
        "ends_on": ends_on,
        "actual": np.diff(cumulative_actual, prepend=0),
        "expected": np.diff(cumulative_expected, prepend=0.0),
        "cumulative_actual": cumulative_actual,
        "cumulative_expected": cumulative_expected,
        "holdout": ends_on > start,
    }, index=pd.RangeIndex(1, n_periods + 1, name="period"))  # fmt: skip
    return out


def frequency_recency_matrix(
    model: BetaGeoModel,
    T: float,  # noqa: N803 (T is the model's name)
    max_frequency: int,
    recency=None,
    *,
    horizon: float | None = None,
) -> pd.DataFrame:
    """The probability of being alive (or the expected purchases) for each frequency and recency.

    Every customer observed for ``T`` periods is a cell: rows are repeat purchases (0 to
    ``max_frequency``), columns the recency of the last one. Read a row from right to left:
    the same buyer, silent for longer. A customer without a repeat purchase has recency 0
    (other cells of row 0 are empty).

    Parameters
    ----------
    model : BetaGeoModel
        A fitted model.
    T : float
        How long the customers were observed, in the model's periods (e.g. the calibration's 39 weeks).
    max_frequency : int
        The last row.
    recency : array-like, optional
        The columns; default every whole period from 0 to ``T``.
    horizon : float, optional
        None: the probability of being alive. A number of periods: the expected purchases in
        them (the conditional expectation of Fader, Hardie & Lee 2005, equation 10).

    Returns
    -------
    DataFrame
        Indexed by ``frequency``, columns ``recency``.

    Examples
    --------
    The paper's customer (2 repeat purchases, the last at 30.43 weeks, observed 38.86) expects
    1.226 purchases in the next 39 weeks:

    >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> frequency_recency_matrix(model, 38.86, 2, [10, 30.43], horizon=39).round(3)
    recency    10.00  30.43
    frequency
    0            NaN    NaN
    1          0.420  0.671
    2          0.453  1.226
    >>> frequency_recency_matrix(model, 4, 1).round(2)
    recency       0     1     2     3     4
    frequency
    0          1.00   NaN   NaN   NaN   NaN
    1          0.58  0.64  0.69  0.72  0.75
    """
    top = _whole("max_frequency", max_frequency, 0)
    if isinstance(T, bool) or not isinstance(T, (int, float, np.number)) or not T > 0:
        raise ValueError(f"The value for `T` must be a positive number of periods, but {T!r} was passed.")
    columns = np.arange(0, math.floor(T) + 1, dtype="float64") if recency is None else np.asarray(recency, float)
    if columns.ndim != 1 or (columns < 0).any() or (columns > T).any():
        raise ValueError(f"`recency` must be numbers between 0 and T ({T}): a last purchase cannot come after it.")
    x, tx = np.meshgrid(np.arange(top + 1, dtype="float64"), columns, indexing="ij")
    t = np.full(x.size, float(T))
    if horizon is None:
        values = model.probability_alive(x.ravel(), tx.ravel(), t)
    else:
        values = model.expected_purchases(float(horizon), x.ravel(), tx.ravel(), t)
    values = values.reshape(x.shape)
    values[(x == 0) & (tx > 0)] = np.nan
    labels = columns.astype(int) if recency is None else columns
    return pd.DataFrame(values, index=pd.RangeIndex(top + 1, name="frequency"),
                        columns=pd.Index(labels, name="recency"))  # fmt: skip
