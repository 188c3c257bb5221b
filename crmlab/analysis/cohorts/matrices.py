"""Cohort matrices: the share of a cohort still buying, and its revenue, month by month."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlab.conventions import COURSE, Conventions

from ._orders import ACTIVE_STATUSES, AGE, Prepared, prepare, to_periods

__all__ = ["retention_matrix", "revenue_matrix"]


def _grid(prepared: Prepared, value: str, max_age: int | None) -> tuple[pd.DataFrame, pd.Series]:
    """``value`` ("customers" or "revenue") per cohort (rows) and age (columns), NaN where not observed yet."""
    frame = prepared.frame
    per_month = frame.groupby(["customer", "month"], sort=False)["amount"].sum().reset_index()
    cohort = per_month.groupby("customer")["month"].transform("min")
    per_month = per_month.assign(cohort=cohort, age=per_month["month"] - cohort)
    sizes = per_month.loc[per_month["age"] == 0].groupby("cohort").size()
    how = "size" if value == "customers" else "sum"
    cells = per_month.groupby(["cohort", "age"])["amount"].agg(how).unstack(fill_value=0)
    last_age = int(prepared.end_month - sizes.index.min())
    ages = range(0, last_age + 1 if max_age is None else min(last_age, max_age) + 1)
    cells = cells.reindex(columns=ages, fill_value=0).astype("float64")
    unseen = sizes.index.to_numpy()[:, None] + np.asarray(ages)[None, :] > prepared.end_month
    cells = cells.mask(unseen)
    cells.index = to_periods(cells.index, prepared.calendar, (int(sizes.index.min()), prepared.end_month))
    cells.index.name = "cohort"
    cells.columns = pd.RangeIndex(len(ages), name=AGE)
    return cells, pd.Series(sizes.to_numpy(), index=cells.index, name="customers")


def retention_matrix(
    orders: pd.DataFrame,
    *,
    customer: str = "customer_id",
    time: str = "ordered_at",
    status: str | None = "status",
    active: Sequence[str] = ACTIVE_STATUSES,
    tz: str = COURSE.timezone,
    end=None,
    max_age: int | None = None,
    calendar: str | Conventions = "gregorian",
) -> pd.DataFrame:
    """The share of each acquisition cohort active (with an active order) in each month since acquisition.

    Month 0 is the cohort's own month (always 100%). The denominator is always the
    cohort's size, never the customers left: a customer silent in month 2 who buys
    again in month 5 counts in month 5.

    Parameters
    ----------
    orders : DataFrame
        One row per order (or transaction).
    customer, time : str
        Columns holding the customer id and the order time (aware times are converted to ``tz``).
    status : str or None
        Column holding the order status; None when every row is a purchase.
    active : sequence of str
        Statuses that count as activity (default: ``completed``).
    tz : str
        The business's time zone.
    end : date-like, optional
        Last day observed (local); later months are NaN. Default: the last order's day.
    max_age : int, optional
        Keep months since acquisition 0 to ``max_age`` only.
    calendar : {"gregorian", "jalali"} or Conventions
        The calendar of the months: Gregorian (the default), or Jalali months from
        1 Farvardin, so that a cohort is e.g. every customer whose first order fell in
        Farvardin 1403 and its ages count Jalali months.

    Returns
    -------
    DataFrame
        Shares between 0 and 1; index ``cohort`` (monthly Periods, or ordered Jalali
        month labels), columns ``months_since_acquisition`` (0, 1, ...); NaN where that
        month has not happened yet.

    Examples
    --------
    Two customers join in January; one of them buys again in March:

    >>> orders = pd.DataFrame({"customer_id": [1, 2, 1, 3],
    ...                        "ordered_at": pd.to_datetime(["2025-01-03", "2025-01-09", "2025-03-02", "2025-02-11"]),
    ...                        "status": "completed"})
    >>> retention_matrix(orders, end="2025-03-31")
    months_since_acquisition    0    1    2
    cohort
    2025-01                   1.0  0.0  0.5
    2025-02                   1.0  0.0  NaN

    The same orders on the Jalali calendar: 3 and 9 January fall in Dey 1403, 11 February
    and 2 March in Bahman and Esfand:

    >>> retention_matrix(orders, end="2025-03-31", calendar="jalali")
    months_since_acquisition    0    1    2    3
    cohort
    Dey 1403                  1.0  0.0  0.5  0.0
    Bahman 1403               1.0  0.0  0.0  NaN
    """
    prepared = prepare(orders, customer, time, None, status, active, tz, end, calendar)
    counts, sizes = _grid(prepared, "customers", max_age)
    return counts.div(sizes, axis=0)


def revenue_matrix(
    orders: pd.DataFrame,
    *,
    customer: str = "customer_id",
    time: str = "ordered_at",
    amount: str = "total_cents",
    status: str | None = "status",
    active: Sequence[str] = ACTIVE_STATUSES,
    tz: str = COURSE.timezone,
    end=None,
    max_age: int | None = None,
    per_customer: bool = False,
    cumulative: bool = False,
    calendar: str | Conventions = "gregorian",
) -> pd.DataFrame:
    """Revenue of each acquisition cohort in each month since acquisition.

    Parameters
    ----------
    orders : DataFrame
        One row per order (or transaction).
    customer, time, amount : str
        Columns holding the customer id, the order time and the order amount.
    status, active, tz, end, max_age, calendar
        As in :func:`retention_matrix`.
    per_customer : bool
        Divide by the cohort's size: revenue per acquired customer, so cohorts of
        different sizes compare.
    cumulative : bool
        Add up the months: with ``per_customer``, what an average customer of the
        cohort has brought in so far (the observed side of lifetime value).

    Returns
    -------
    DataFrame
        In the unit of ``amount`` (minor units for the CRM's ``total_cents``:
        ``conventions.major(matrix)`` gives the currency's major unit); index ``cohort``, columns
        ``months_since_acquisition``; NaN where that month has not happened yet.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": [1, 2, 1], "total_cents": [1000, 3000, 500],
    ...                        "ordered_at": pd.to_datetime(["2025-01-03", "2025-01-09", "2025-03-02"]),
    ...                        "status": "completed"})
    >>> revenue_matrix(orders)
    months_since_acquisition       0    1      2
    cohort
    2025-01                   4000.0  0.0  500.0
    >>> revenue_matrix(orders, per_customer=True, cumulative=True)
    months_since_acquisition       0       1       2
    cohort
    2025-01                   2000.0  2000.0  2250.0
    >>> from crmlab.conventions import from_mapping
    >>> usd = from_mapping({"timezone": "America/New_York", "currency": "USD", "as_of": "2025-12-31"})
    >>> usd.major(revenue_matrix(orders))  # a company whose amounts are cents: dollars (whole rials stay as they are)
    months_since_acquisition     0    1    2
    cohort
    2025-01                   40.0  0.0  5.0
    """
    prepared = prepare(orders, customer, time, amount, status, active, tz, end, calendar)
    revenue, sizes = _grid(prepared, "revenue", max_age)
    if per_customer:
        revenue = revenue.div(sizes, axis=0)
    if cumulative:
        revenue = revenue.cumsum(axis=1).where(revenue.notna())
    return revenue
