"""Cohort matrices: the share of a cohort still buying, and its revenue, month by month."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlab.analysis.grouping import customer_codes, customer_periods, customer_sums
from crmlab.conventions import COURSE, Conventions
from crmlab.engines.sources import kind_of

from ._orders import ACTIVE_STATUSES, AGE, Prepared, prepare, to_periods

__all__ = ["retention_matrix", "revenue_matrix"]


def _grid(prepared: Prepared, value: str, max_age: int | None) -> tuple[pd.DataFrame, pd.Series]:
    """``value`` ("customers" or "revenue") per cohort (rows) and age (columns), NaN where not observed yet.

    On arrays (:mod:`crmlab.analysis.grouping`): one sort of (customer, month) keys gives each
    customer's cohort and active months; cells are ``bincount`` s, revenue summed in row order.
    """
    frame = prepared.frame
    codes, uniques = customer_codes(frame["customer"].to_numpy())
    months = frame["month"].to_numpy()
    pairs = customer_periods(codes, months, len(uniques))
    first_cohort = int(pairs.first.min())
    n_cohorts = int(pairs.first.max()) - first_cohort + 1
    last_age = int(prepared.end_month) - first_cohort
    n_ages = last_age + 1 if max_age is None else min(last_age, max_age) + 1
    sizes = np.bincount(pairs.first - first_cohort, minlength=n_cohorts)
    if value == "customers":
        cohort = pairs.first[pairs.pair_customer]
        age = pairs.pair_period - cohort
        weights = None
    else:
        cohort = pairs.first[codes]
        age = months - cohort
        weights = frame["amount"].to_numpy(dtype="float64")
    keep = age < n_ages
    cell = (cohort[keep] - first_cohort) * n_ages + age[keep]
    if weights is None:
        counts = np.bincount(cell, minlength=n_cohorts * n_ages).astype("float64")
    else:
        counts = customer_sums(cell, weights[keep], n_cohorts * n_ages)
    grid = counts.reshape(n_cohorts, n_ages)
    observed = sizes > 0  # months in which nobody was acquired are no cohort
    labels = np.flatnonzero(observed) + first_cohort
    grid = grid[observed]
    unseen = labels[:, None] + np.arange(n_ages)[None, :] > prepared.end_month
    grid[unseen] = np.nan
    index = to_periods(labels, prepared.calendar, (first_cohort, prepared.end_month))
    cells = pd.DataFrame(grid, index=pd.Index(index, name="cohort"), columns=pd.RangeIndex(n_ages, name=AGE))
    return cells, pd.Series(sizes[observed], index=cells.index, name="customers")


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
    if kind_of(orders) == "spark":
        from crmlab.engines import spark

        return spark.retention_matrix(orders, customer=customer, time=time, status=status, active=active, tz=tz,
                                      end=end, max_age=max_age, calendar=calendar)  # fmt: skip
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
    if kind_of(orders) == "spark":
        from crmlab.engines import spark

        return spark.revenue_matrix(orders, customer=customer, time=time, amount=amount, status=status,
                                    active=active, tz=tz, end=end, max_age=max_age, per_customer=per_customer,
                                    cumulative=cumulative, calendar=calendar)  # fmt: skip
    prepared = prepare(orders, customer, time, amount, status, active, tz, end, calendar)
    revenue, sizes = _grid(prepared, "revenue", max_age)
    if per_customer:
        revenue = revenue.div(sizes, axis=0)
    if cumulative:
        revenue = revenue.cumsum(axis=1).where(revenue.notna())
    return revenue
