"""Who belongs to which acquisition cohort, and what each customer did in each month after."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from crmlab.conventions import COURSE, Conventions

from ._orders import ACTIVE_STATUSES, AGE, Prepared, prepare, to_periods


def _months(prepared: Prepared, ordinals, first: int):
    """Monthly Periods, or Jalali month labels from month ``first`` to the last observed month."""
    return to_periods(ordinals, prepared.calendar, (first, prepared.end_month))

__all__ = ["acquisition_cohorts", "cohort_activity", "cohort_sizes"]


def _first_month(prepared: Prepared) -> pd.DataFrame:
    frame = prepared.frame
    first = frame.groupby("customer", sort=True).agg(first_order=("day", "min"), cohort=("month", "min"))
    return first


def acquisition_cohorts(
    orders: pd.DataFrame,
    *,
    customer: str = "customer_id",
    time: str = "ordered_at",
    status: str | None = "status",
    active: Sequence[str] = ACTIVE_STATUSES,
    tz: str = COURSE.timezone,
    end=None,
    calendar: str | Conventions = "gregorian",
) -> pd.DataFrame:
    """Each customer's acquisition cohort: the local month of their first active order.

    Parameters
    ----------
    orders : DataFrame
        One row per order (or transaction), in any order.
    customer, time : str
        Columns holding the customer id and the order time. Times with a time zone
        (the CRM's ``ordered_at`` is UTC) are converted to ``tz``; times without one
        are taken as already local.
    status : str or None
        Column holding the order status; None when every row is a purchase.
    active : sequence of str
        Statuses that count (default: ``completed``; cancelled orders acquire no one).
    tz : str
        The business's time zone, whose calendar months make the cohorts.
    end : date-like, optional
        Last day observed (local); orders after it are ignored. Default: the last order's day.
    calendar : {"gregorian", "jalali"} or Conventions
        The calendar whose months make the cohorts and count their ages: Gregorian
        months (the default), or Jalali months from 1 Farvardin (``"jalali"``, or a
        company's conventions with that calendar).

    Returns
    -------
    DataFrame
        Indexed by customer id: ``first_order`` (local date) and ``cohort`` (a monthly
        Period; on the Jalali calendar an ordered label such as "Farvardin 1403").

    Examples
    --------
    An order at 22:00 UTC on 31 January is already 1 February in Tehran:

    >>> orders = pd.DataFrame({
    ...     "customer_id": [1, 1, 2, 3],
    ...     "ordered_at": pd.to_datetime(["2025-01-31 22:00", "2025-03-05 09:00",
    ...                                   "2025-01-10 09:00", "2025-01-02 09:00"], utc=True),
    ...     "status": ["completed", "completed", "completed", "cancelled"]})
    >>> acquisition_cohorts(orders)
                first_order   cohort
    customer_id
    1            2025-02-01  2025-02
    2            2025-01-10  2025-01

    On the Jalali calendar, customer 2 (10 January, 20 Dey 1403) is in Dey's cohort:

    >>> acquisition_cohorts(orders, calendar="jalali")["cohort"].tolist()
    ['Bahman 1403', 'Dey 1403']
    """
    prepared = prepare(orders, customer, time, None, status, active, tz, end, calendar)
    first = _first_month(prepared)
    cohorts = _months(prepared, first["cohort"], int(first["cohort"].min())) if len(first) else to_periods([])
    out = pd.DataFrame({"first_order": first["first_order"], "cohort": cohorts}, index=first.index)
    out.index.name = customer
    return out


def cohort_activity(
    orders: pd.DataFrame,
    *,
    customer: str = "customer_id",
    time: str = "ordered_at",
    amount: str | None = "total_cents",
    status: str | None = "status",
    active: Sequence[str] = ACTIVE_STATUSES,
    tz: str = COURSE.timezone,
    end=None,
    calendar: str | Conventions = "gregorian",
) -> pd.DataFrame:
    """One row per customer and month with an active order: the raw material of every cohort matrix.

    Parameters
    ----------
    orders : DataFrame
        One row per order (or transaction).
    customer, time, amount : str
        Columns holding the customer id, the order time and the order amount
        (``amount=None``: no revenue).
    status, active, tz, end, calendar
        As in :func:`acquisition_cohorts`.

    Returns
    -------
    DataFrame
        Columns ``customer`` (named as in ``orders``), ``cohort`` and ``month`` (monthly
        Periods, or Jalali month labels), ``months_since_acquisition`` (months of the
        calendar; 0 is the cohort's own month), ``orders`` and ``revenue`` (sum of
        ``amount`` in its unit). ``attrs["end_month"]`` is the
        last month observed.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": [1, 1, 1], "total_cents": [500, 700, 100],
    ...                        "ordered_at": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-03-01"]),
    ...                        "status": "completed"})
    >>> cohort_activity(orders)
       customer_id   cohort    month  months_since_acquisition  orders  revenue
    0            1  2025-01  2025-01                         0       2   1200.0
    1            1  2025-01  2025-03                         2       1    100.0
    """
    prepared = prepare(orders, customer, time, amount, status, active, tz, end, calendar)
    return _activity(prepared)


def _activity(prepared: Prepared) -> pd.DataFrame:
    frame = prepared.frame
    per_month = frame.groupby(["customer", "month"], sort=True).agg(orders=("day", "size"), revenue=("amount", "sum"))
    per_month = per_month.reset_index()
    cohort = per_month.groupby("customer")["month"].transform("min")
    first = int(cohort.min()) if len(cohort) else prepared.end_month
    out = pd.DataFrame({
        prepared.customer: per_month["customer"],
        "cohort": _months(prepared, cohort, first),
        "month": _months(prepared, per_month["month"], first),
        AGE: (per_month["month"] - cohort).astype("int64"),
        "orders": per_month["orders"].astype("int64"),
        "revenue": per_month["revenue"].astype("float64"),
    })  # fmt: skip
    out.attrs["end_month"] = _months(prepared, [prepared.end_month], first)[0]
    return out


def cohort_sizes(
    orders: pd.DataFrame,
    *,
    customer: str = "customer_id",
    time: str = "ordered_at",
    status: str | None = "status",
    active: Sequence[str] = ACTIVE_STATUSES,
    tz: str = COURSE.timezone,
    end=None,
    calendar: str | Conventions = "gregorian",
) -> pd.Series:
    """How many customers each monthly cohort acquired.

    Parameters
    ----------
    orders : DataFrame
        One row per order (or transaction).
    customer, time, status, active, tz, end, calendar
        As in :func:`acquisition_cohorts`.

    Returns
    -------
    Series
        ``customers`` per ``cohort`` (monthly Periods, or Jalali month labels; sorted;
        months without a new customer are left out).

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": [1, 2, 2, 3],
    ...                        "ordered_at": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-02-01", "2025-02-03"])})
    >>> cohort_sizes(orders, status=None)
    cohort
    2025-01    2
    2025-02    1
    Freq: M, Name: customers, dtype: int64
    """
    cohorts = acquisition_cohorts(orders, customer=customer, time=time, status=status, active=active, tz=tz, end=end,
                                  calendar=calendar)  # fmt: skip
    sizes = cohorts["cohort"].value_counts().sort_index()
    sizes = sizes[sizes > 0]  # a Jalali month without a new customer is still a category
    sizes.index.name = "cohort"
    return sizes.rename("customers").astype("int64")
