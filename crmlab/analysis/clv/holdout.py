"""Test a CLV model the honest way: fit on a calibration period, predict a holdout period.

:func:`calibration_holdout` cuts a purchase log in two at a date: the per-customer
summary of the calibration period (what the model learns from) and what the same
customers did in the holdout period (what it must predict). :func:`holdout_predictions`
puts the model's expectations next to the actual purchases, customer by customer, and
:func:`holdout_by_frequency` averages them by number of calibration purchases, as in
Fader, Hardie & Lee's (2005) figure of conditional expectations.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlab.analysis.rfm import rfm_summary
from crmlab.conventions import COURSE, local_day, to_major
from crmlab.engines.sources import kind_of, reader_of
from crmlab.engines.spill import customer_parts
from crmlab.validation import require_table

from .models import BetaGeoModel, _as_summary

__all__ = ["calibration_holdout", "holdout_by_frequency", "holdout_predictions", "order_transactions"]


def order_transactions(
    orders: pd.DataFrame,
    statuses: Sequence[str] | None = COURSE.purchase_statuses,
    tz: str = COURSE.timezone,
    minor_unit: int = COURSE.minor_unit,
) -> pd.DataFrame:
    """The CRM's orders as a purchase log for CLV models: customer, local date, amount in major units.

    Parameters
    ----------
    orders : DataFrame
        The ``orders`` table (``customer_id``, ``ordered_at`` in UTC, ``status``, ``total_cents``).
    statuses : sequence of str or None
        Order statuses that count as purchases; None: every order counts (for an export
        without a ``status`` column).
    tz : str
        Time zone whose calendar days count (the company's).
    minor_unit : int
        Digits after the decimal point of the currency, e.g. ``conventions.minor_unit``:
        ``total_cents`` is converted by :func:`crmlab.conventions.to_major` (2: cents to
        dollars; 0: rials stay rials; 3: fils to dinars).

    Returns
    -------
    DataFrame
        ``customer_id``, ``date`` (the local calendar day, no time zone) and ``amount`` (in the
        currency's major unit, rials on the course's data), one row per order.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": [1, 1, 2], "status": ["completed", "cancelled", "completed"],
    ...     "ordered_at": pd.to_datetime(["2025-03-20 21:10", "2025-03-21 09:00", "2025-03-22 10:00"], utc=True),
    ...     "total_cents": [12_990_000, 500_000, 250_000]})  # whole rials
    >>> order_transactions(orders)
       customer_id       date      amount
    0            1 2025-03-21  12990000.0
    2            2 2025-03-22    250000.0
    >>> new_york = order_transactions(orders.drop(columns="status"), None, "America/New_York")
    >>> new_york["date"].dt.strftime("%d %b").tolist()
    ['20 Mar', '21 Mar', '22 Mar']
    >>> [order_transactions(orders, minor_unit=digits)["amount"].tolist() for digits in (2, 3)]  # cents, fils
    [[129900.0, 2500.0], [12990.0, 250.0]]
    """
    if statuses is None:
        require_table(orders, "orders", ["customer_id", "ordered_at", "total_cents"])
        kept = orders
    else:
        require_table(orders, "orders", ["customer_id", "ordered_at", "status", "total_cents"])
        kept = orders[orders["status"].isin(list(statuses))]
    amount = to_major(kept["total_cents"], minor_unit)  # checks minor_unit first
    return pd.DataFrame({"customer_id": kept["customer_id"], "date": local_day(kept["ordered_at"], tz),
                         "amount": amount})  # fmt: skip


def _day(value, argument: str) -> pd.Timestamp:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"The value for `{argument}` must be a date such as '1997-09-30', "
                         f"but {value!r} was passed.") from err  # fmt: skip
    return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp


def calibration_holdout(
    transactions: pd.DataFrame,
    calibration_end,
    holdout_end,
    *,
    customer_id_col: str = "customer_id",
    datetime_col: str = "date",
    monetary_value_col: str | None = None,
    period_days: float = 1.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a purchase log into a calibration summary and the holdout purchases of the same customers.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase (several on a day count as one purchase, as in lifetimes).
    calibration_end, holdout_end : date-like
        Last day of the calibration period and of the holdout period (inclusive).
    customer_id_col, datetime_col, monetary_value_col : str
        Columns of ``transactions``; with a money column both summaries get a monetary value.
    period_days : float
        Length of the model's time unit in days: 1 for days, 7 for weeks (Fader & Hardie's unit).

    Returns
    -------
    calibration : DataFrame
        :func:`~crmlab.analysis.rfm.rfm_summary` of the purchases up to ``calibration_end``,
        with ``recency`` and ``T`` in periods; only customers who bought by then.
    holdout : DataFrame
        Same index: ``frequency_holdout`` (purchase days in the holdout), ``duration_holdout``
        (its length in periods) and, with money, ``monetary_value_holdout`` (mean per purchase day, 0 if none).

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2, 3], "date": pd.to_datetime(
    ...     ["2024-01-01", "2024-01-15", "2024-02-05", "2024-01-08", "2024-02-01"])})
    >>> cal, hold = calibration_holdout(tx, "2024-01-28", "2024-02-25", period_days=7)
    >>> cal
                 frequency  recency    T
    customer_id
    1                  1.0      2.0  3.857143
    2                  0.0      0.0  2.857143
    >>> hold
                 frequency_holdout  duration_holdout
    customer_id
    1                            1               4.0
    2                            0               4.0
    """
    if not isinstance(period_days, (int, float)) or not period_days > 0:
        raise ValueError(f"The value for `period_days` must be a positive number of days, "
                         f"but {period_days!r} was passed.")  # fmt: skip
    start, end = _day(calibration_end, "calibration_end"), _day(holdout_end, "holdout_end")
    if end <= start:
        raise ValueError(f"`holdout_end` ({end.date()}) must come after `calibration_end` ({start.date()}).")
    if kind_of(transactions) == "spark":
        from crmlab.engines import spark

        return spark.calibration_holdout(transactions, calibration_end, holdout_end, customer_id_col=customer_id_col,
                                         datetime_col=datetime_col, monetary_value_col=monetary_value_col,
                                         period_days=period_days)  # fmt: skip
    if kind_of(transactions) in ("arrow", "parquet", "duckdb"):
        columns = [c for c in (customer_id_col, datetime_col, monetary_value_col) if c]
        return _by_parts(reader_of(transactions, columns, "transactions"), calibration_end, holdout_end,
                         customer_id_col=customer_id_col, datetime_col=datetime_col,
                         monetary_value_col=monetary_value_col, period_days=period_days)  # fmt: skip
    if not isinstance(transactions, pd.DataFrame) or datetime_col not in transactions.columns:
        raise KeyError(f"`transactions` must be a DataFrame with the column `{datetime_col}` (`datetime_col`).")
    days = _local_days(transactions[datetime_col]).to_numpy()
    calibration = rfm_summary(transactions[days <= start.to_datetime64()], customer_id_col, datetime_col,
                              monetary_value_col, observation_period_end=start)  # fmt: skip
    calibration[["recency", "T"]] = calibration[["recency", "T"]] / period_days
    later = (days > start.to_datetime64()) & (days <= end.to_datetime64())
    per_day = pd.DataFrame({"c": transactions[customer_id_col].to_numpy()[later], "d": days[later]})
    if monetary_value_col is not None:
        per_day["v"] = transactions[monetary_value_col].to_numpy(dtype="float64")[later]
    per_day = per_day.groupby(["c", "d"]).sum() if monetary_value_col else per_day.drop_duplicates().set_index("c")
    holdout = pd.DataFrame(index=calibration.index)
    counts = per_day.groupby(level="c").size()
    holdout["frequency_holdout"] = counts.reindex(calibration.index, fill_value=0).astype("int64")
    if monetary_value_col is not None:
        mean_value = per_day["v"].groupby(level="c").mean()
        holdout["monetary_value_holdout"] = mean_value.reindex(calibration.index, fill_value=0.0)
    holdout["duration_holdout"] = (end - start).days / period_days
    return calibration, holdout


def _by_parts(reader, calibration_end, holdout_end, **options) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`calibration_holdout` of a log read batch by batch, whole customers at a time
    (:mod:`crmlab.engines.spill`): the same rows per customer, so the same numbers."""
    calibrations, holdouts, dropped, total = [], [], 0, 0
    for frame in customer_parts(reader, options["customer_id_col"]):
        total += len(frame)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # one report for the whole log, below
            calibration, holdout = calibration_holdout(frame, calibration_end, holdout_end, **options)
        dropped += calibration.attrs.get("dropped_rows", 0)
        calibrations.append(calibration)
        holdouts.append(holdout)
    if len(calibrations) == 1:
        calibration, holdout = calibrations[0], holdouts[0]
    else:
        calibration = pd.concat(calibrations).sort_index(kind="stable")
        holdout = pd.concat(holdouts).loc[calibration.index]
    calibration.attrs["dropped_rows"] = dropped
    if dropped:
        warnings.warn(f"rfm_summary dropped {dropped:,} of {total:,} transactions: missing values or dated "
                      f"after `observation_period_end`. Their count is in result.attrs['dropped_rows'].",
                      stacklevel=3)  # fmt: skip
    return calibration, holdout


def _local_days(values: pd.Series) -> pd.Series:
    """Calendar day of each value, on the wall clock of its own time zone."""
    values = pd.to_datetime(values)
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    return values.dt.normalize()


def holdout_predictions(model: BetaGeoModel, calibration: pd.DataFrame, holdout: pd.DataFrame) -> pd.DataFrame:
    """Each customer's expected purchases in the holdout next to what they actually did.

    Parameters
    ----------
    model : BetaGeoModel
        Fitted on ``calibration``.
    calibration, holdout : DataFrame
        As returned by :func:`calibration_holdout`.

    Returns
    -------
    DataFrame
        Indexed by customer: ``frequency`` (calibration repeat purchases), ``p_alive``
        (at the end of calibration), ``predicted`` and ``actual`` holdout purchases.

    Examples
    --------
    >>> cal = pd.DataFrame({"frequency": [0.0, 2.0], "recency": [0.0, 30.43], "T": [38.86, 38.86]})
    >>> hold = pd.DataFrame({"frequency_holdout": [0, 2], "duration_holdout": [39.0, 39.0]})
    >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> holdout_predictions(model, cal, hold).round(2)
       frequency  p_alive  predicted  actual
    0        0.0     1.00       0.20       0
    1        2.0     0.73       1.23       2
    """
    _as_summary(calibration, ["frequency", "recency", "T"])
    _as_summary(holdout, ["frequency_holdout", "duration_holdout"])
    if not calibration.index.equals(holdout.index):
        raise ValueError("`calibration` and `holdout` must hold the same customers in the same order: "
                         "pass both tables returned by calibration_holdout.")  # fmt: skip
    x, tx, t = calibration["frequency"], calibration["recency"], calibration["T"]
    duration = float(holdout["duration_holdout"].iloc[0]) if len(holdout) else 0.0
    return pd.DataFrame({
        "frequency": x,
        "p_alive": model.probability_alive(x, tx, t),
        "predicted": model.expected_purchases(duration, x, tx, t),
        "actual": holdout["frequency_holdout"],
    }, index=calibration.index)  # fmt: skip


def holdout_by_frequency(predictions: pd.DataFrame, max_frequency: int = 7) -> pd.DataFrame:
    """Mean actual and predicted holdout purchases by number of repeat purchases in calibration.

    The check of Fader, Hardie & Lee (2005, figure 4): customers grouped by how often they
    bought in the calibration period (``max_frequency`` and more in one group).

    Parameters
    ----------
    predictions : DataFrame
        As returned by :func:`holdout_predictions`.
    max_frequency : int
        The last group holds every customer with at least this many repeat purchases.

    Returns
    -------
    DataFrame
        Indexed by ``calibration_purchases`` (labels ``"0"``, ``"1"``, ..., ``"7+"``):
        ``customers``, ``actual`` and ``predicted`` (means per customer).

    Examples
    --------
    >>> pred = pd.DataFrame({"frequency": [0, 0, 1, 3], "predicted": [0.2, 0.2, 0.9, 2.0], "actual": [0, 1, 1, 2]})
    >>> holdout_by_frequency(pred, max_frequency=2)
                           customers  actual  predicted
    calibration_purchases
    0                              2     0.5        0.2
    1                              1     1.0        0.9
    2+                             1     2.0        2.0
    """
    _as_summary(predictions, ["frequency", "predicted", "actual"])
    if not isinstance(max_frequency, (int, np.integer)) or max_frequency < 1:
        raise ValueError(f"The value for `max_frequency` must be a whole number >= 1, "
                         f"but {max_frequency!r} was passed.")  # fmt: skip
    group = predictions["frequency"].clip(upper=max_frequency).astype(int)
    out = predictions.groupby(group).agg(customers=("actual", "size"), actual=("actual", "mean"),
                                         predicted=("predicted", "mean"))  # fmt: skip
    labels = [str(k) if k < max_frequency else f"{max_frequency}+" for k in out.index]
    return out.set_axis(pd.Index(labels, name="calibration_purchases"))
