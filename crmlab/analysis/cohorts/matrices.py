"""Cohort matrices: the share of a cohort still buying, and its revenue, month by month.

From a DataFrame the orders are prepared in pandas (:func:`._orders.prepare`) and counted on
arrays (:mod:`crmlab.analysis.grouping`). :func:`retention_matrix` of a Parquet file, Arrow data
or a DuckDB relation reads it a batch at a time and keeps only each order's customer and local
month, as integers (:mod:`._pairs`), so that 1e8 orders take seconds in a few hundred MB;
:func:`revenue_matrix` keeps the amount too and adds the amounts in the order read, the
additions a DataFrame's cells are made of (see :func:`_streamed_revenue`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlab.analysis.grouping import customer_codes, customer_periods, customer_sums
from crmlab.conventions import COURSE, Conventions
from crmlab.engines.sources import kind_of, reader_of
from crmlab.engines.spill import customer_parts

from ._orders import ACTIVE_STATUSES, AGE, Prepared, calendar_of, month_ordinal, no_active_order, prepare, to_periods
from ._pairs import cells_of, count_cells, month_pairs, summed_cells

__all__ = ["retention_matrix", "revenue_matrix"]


def _grid(prepared: Prepared, value: str, max_age: int | None) -> tuple[pd.DataFrame, pd.Series]:
    """``value`` ("customers" or "revenue") per cohort (rows) and age (columns), NaN where not observed yet.

    On arrays (:mod:`crmlab.analysis.grouping`): one sort of (customer, month) keys gives each
    customer's cohort and active months; cells are ``bincount`` s, revenue summed in row order.
    """
    return grid_from_cells(*_cells(prepared, value), prepared.end_month, prepared.calendar, max_age)


def _cells(prepared: Prepared, value: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray, None]:
    """What :func:`grid_from_cells` adds up: cohort and age of every (customer, month) pair ("customers")
    or order ("revenue"), the orders' amounts (None for pairs), and every customer's cohort."""
    frame = prepared.frame
    codes, uniques = customer_codes(frame["customer"].to_numpy())
    months = frame["month"].to_numpy()
    pairs = customer_periods(codes, months, len(uniques))
    if value == "customers":
        cohort = pairs.first[pairs.pair_customer]
        return cohort, pairs.pair_period - cohort, None, pairs.first, None
    cohort = pairs.first[codes]
    return cohort, months - cohort, frame["amount"].to_numpy(dtype="float64"), pairs.first, None


def grid_from_cells(cohort: np.ndarray, age: np.ndarray, weights: np.ndarray | None, first: np.ndarray,
              first_weights: np.ndarray | None, end_month: int, calendar: str,
              max_age: int | None) -> tuple[pd.DataFrame, pd.Series]:  # fmt: skip
    """The grid of cells from :func:`_cells` (or from parts of a log, or from Spark, each cell and
    cohort with a count or sum in ``weights`` and ``first_weights``): sums per (cohort, age), sizes
    per cohort, NaN where the month has not happened yet."""
    first_cohort = int(first.min())
    n_cohorts = int(first.max()) - first_cohort + 1
    last_age = int(end_month) - first_cohort
    n_ages = last_age + 1 if max_age is None else min(last_age, max_age) + 1
    sizes = np.bincount(first - first_cohort, weights=first_weights, minlength=n_cohorts).astype(np.int64)
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
    unseen = labels[:, None] + np.arange(n_ages)[None, :] > end_month
    grid[unseen] = np.nan
    index = to_periods(labels, calendar, (first_cohort, int(end_month)))
    cells = pd.DataFrame(grid, index=pd.Index(index, name="cohort"), columns=pd.RangeIndex(n_ages, name=AGE))
    return cells, pd.Series(sizes[observed], index=cells.index, name="customers")


def _streamed_retention(orders, customer: str, time: str, status: str | None, active: Sequence[str], tz: str,
                        end, max_age: int | None, calendar) -> tuple[pd.DataFrame, pd.Series]:  # fmt: skip
    """The retention grid of a file, Arrow data or a DuckDB relation, read a batch at a time.

    Integer ids and Arrow timestamps (the usual export) are cut to their active (customer, local
    month) pairs in Arrow and NumPy, never a pandas frame (:mod:`._pairs`); past
    :data:`~crmlab.engines.spill.IN_MEMORY_ROWS` rows those pairs, 12 bytes a row, are split on
    disk by customer (:mod:`crmlab.engines.spill`). Other columns (text ids or times) take
    :func:`_rows_retention`. Either way each group of whole customers gives its (cohort, age)
    pairs counted, and the counts are added, which is exact (integers): the result is the
    same as from the whole log in memory.
    """
    reader = reader_of(orders, [c for c in (customer, time, status) if c], "orders")
    calendar = calendar_of(calendar)
    pairs = month_pairs(reader, customer, time, status, active, tz, end, calendar)
    if pairs is None:
        return _rows_retention(reader, customer, time, status, active, tz, end, max_age, calendar)
    counted = [cells_of(part) for part in pairs.parts(customer_parts)]
    if pairs.rows == 0:
        raise ValueError("The table passed as `orders` is empty: there is nothing to put into cohorts.")
    end_month = int(month_ordinal([pairs.end_day], calendar)[0])
    counted = [c for c in counted if len(c[0])]
    if not counted:
        raise no_active_order(status, active, pairs.found)
    cohort, age, weights, first, first_weights = (np.concatenate([c[k] for c in counted]) for k in range(5))
    return grid_from_cells(cohort, age, weights, first, first_weights, end_month, calendar, max_age)


def _streamed_revenue(orders, customer: str, time: str, amount: str, status: str | None, active: Sequence[str],
                      tz: str, end, max_age: int | None,
                      calendar) -> tuple[pd.DataFrame, pd.Series] | None:  # fmt: skip
    """The revenue grid of a file, Arrow data or a DuckDB relation, read a batch at a time; None when
    its columns are not read as pairs (text ids or times, amounts that are not numbers).

    Each order is cut to its customer, local month and amount as a float64 (:mod:`._pairs`), the
    orders that count are kept in the order read (on disk past
    :data:`~crmlab.engines.spill.IN_MEMORY_ROWS` rows) and, once every customer's cohort is known,
    added to their cells in that order. Why in that order, and not per group of customers as
    :func:`_streamed_retention` counts: from a DataFrame a cell's revenue is its orders' amounts
    added one after the other in row order (``np.bincount``), across customers. Float addition is
    not associative (``(0.1 + 1e16) - 1e16`` is 0, ``0.1 + (1e16 - 1e16)`` is 0.1), and that sum is
    not the correctly rounded one either, so no other order, and no adding of parts' sums, gives
    its bits in general; the same additions in the same order do, for integer and float amounts.
    """
    reader = reader_of(orders, [c for c in (customer, time, amount, status) if c], "orders")
    calendar = calendar_of(calendar)
    pairs = month_pairs(reader, customer, time, status, active, tz, end, calendar, amount)
    if pairs is None:
        return None
    cells = summed_cells(pairs)
    if pairs.rows == 0:
        raise ValueError("The table passed as `orders` is empty: there is nothing to put into cohorts.")
    end_month = int(month_ordinal([pairs.end_day], calendar)[0])
    if not len(cells[0]):
        raise no_active_order(status, active, pairs.found)
    return grid_from_cells(*cells, end_month, calendar, max_age)


def _rows_retention(reader, customer: str, time: str, status: str | None, active: Sequence[str], tz: str,
                    end, max_age: int | None, calendar: str) -> tuple[pd.DataFrame, pd.Series]:  # fmt: skip
    """The retention grid of a log whose ids or times are text, whole customers at a time, row by row.

    A log of up to :data:`~crmlab.engines.spill.IN_MEMORY_ROWS` rows is one part, summarised as a
    DataFrame would be. A larger one is split on disk by customer (:mod:`crmlab.engines.spill`):
    each part gives its customers' (cohort, age) pairs counted, and the counts are added.
    """
    only, counted, found, rows, end_day = None, [], set(), 0, None
    for number, frame in enumerate(customer_parts(reader, customer)):
        rows += len(frame)
        prepared = prepare(frame, customer, time, None, status, active, tz, end, calendar, strict=False)
        end_day = prepared.end_day if end_day is None else max(end_day, prepared.end_day)
        if status is not None and len(prepared.frame) == 0:
            found |= set(map(str, frame[status].dropna().unique()))
        if number == 0:
            only = prepared
            continue
        if only is not None:
            counted.append(_counted(only))
            only = None
        counted.append(_counted(prepared))
    if rows == 0:
        raise ValueError("The table passed as `orders` is empty: there is nothing to put into cohorts.")
    end_month = int(month_ordinal([end_day], calendar)[0])
    counted = [c for c in counted if len(c[0])] if only is None else []
    if (only is None and not counted) or (only is not None and len(only.frame) == 0):
        raise no_active_order(status, active, found)
    if only is not None:  # the whole log was one part: as from a DataFrame
        return grid_from_cells(*_cells(only, "customers"), end_month, calendar, max_age)
    cohort, age, weights, first, first_weights = (np.concatenate([c[k] for c in counted]) for k in range(5))
    return grid_from_cells(cohort, age, weights, first, first_weights, end_month, calendar, max_age)


def _counted(prepared: Prepared) -> tuple[np.ndarray, ...]:
    """One part's (cohort, age) pairs and its customers' cohorts, each distinct one once with its count."""
    if len(prepared.frame) == 0:
        return count_cells(*(np.array([], dtype=np.int64),) * 3)
    cohort, age, _, first, _ = _cells(prepared, "customers")
    return count_cells(cohort, age, first)


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
    orders : DataFrame, Parquet file or folder, Arrow table, DuckDB relation or Spark DataFrame
        One row per order (or transaction). A file, Arrow data or a relation is read whole
        customers at a time, onto disk past :data:`~crmlab.engines.spill.IN_MEMORY_ROWS` rows,
        with the same result; a Spark DataFrame is summarised on Spark.
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
    if kind_of(orders) in ("arrow", "parquet", "duckdb"):
        counts, sizes = _streamed_retention(orders, customer, time, status, active, tz, end, max_age, calendar)
    else:
        counts, sizes = _grid(prepare(orders, customer, time, None, status, active, tz, end, calendar),
                              "customers", max_age)  # fmt: skip
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
    orders : DataFrame, Parquet file or folder, Arrow table, DuckDB relation or Spark DataFrame
        One row per order (or transaction). A file, Arrow data or a relation is read a batch at a
        time, the orders that count kept onto disk past :data:`~crmlab.engines.spill.IN_MEMORY_ROWS`
        rows, with the same result to the bit; a Spark DataFrame is summarised on Spark.
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
    streamed = None
    if kind_of(orders) in ("arrow", "parquet", "duckdb") and amount is not None:
        streamed = _streamed_revenue(orders, customer, time, amount, status, active, tz, end, max_age, calendar)
    if streamed is None:
        streamed = _grid(prepare(orders, customer, time, amount, status, active, tz, end, calendar), "revenue", max_age)
    revenue, sizes = streamed
    if per_customer:
        revenue = revenue.div(sizes, axis=0)
    if cumulative:
        revenue = revenue.cumsum(axis=1).where(revenue.notna())
    return revenue
