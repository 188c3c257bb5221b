"""Churn when customers never say goodbye: lapse windows, the gaps between orders, false churns.

A retailer's customers do not cancel a contract: they just stop buying. So churn has to
be *defined*: a customer has "lapsed" after ``window`` days without an order. Too short a
window calls loyal customers lost (they come back: *false churns*); too long a window
notices real losses late. The gaps between a customer's orders say what is normal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from crmlab.analysis.rfm import customer_summary
from crmlab.conventions import COURSE

from ._orders import ACTIVE_STATUSES, Prepared, prepare

__all__ = ["churn_by_window", "lapse_status", "lapse_window", "purchase_gaps"]


def _days(prepared: Prepared) -> pd.DataFrame:
    """Distinct purchase days per customer, sorted: two orders on one day are one visit."""
    days = prepared.frame[["customer", "day"]].drop_duplicates()
    return days.sort_values(["customer", "day"], kind="stable").reset_index(drop=True)


def _gaps(days: pd.DataFrame) -> pd.DataFrame:
    previous = days.groupby("customer", sort=False)["day"].shift()
    gaps = days.assign(gap_days=(days["day"] - previous).dt.days)
    return gaps.dropna(subset=["gap_days"]).astype({"gap_days": "int64"})


def purchase_gaps(
    orders: pd.DataFrame,
    *,
    customer: str = "customer_id",
    time: str = "ordered_at",
    status: str | None = "status",
    active: Sequence[str] = ACTIVE_STATUSES,
    tz: str = COURSE.timezone,
    end=None,
) -> pd.DataFrame:
    """The inter-purchase times: days between each purchase day and the customer's previous one.

    Parameters
    ----------
    orders : DataFrame
        One row per order (or transaction).
    customer, time : str
        Columns holding the customer id and the order time (aware times are converted to ``tz``).
    status : str or None
        Column holding the order status; None when every row is a purchase.
    active : sequence of str
        Statuses that count as a purchase (default: ``completed``).
    tz : str
        The business's time zone: days are its calendar days.
    end : date-like, optional
        Ignore orders after this local day.

    Returns
    -------
    DataFrame
        One row per repeat purchase day: the customer column, ``ordered_on`` (local date)
        and ``gap_days`` (whole calendar days since the previous purchase day). Several
        orders on one day count as one purchase; a one-time buyer has no row.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": [1, 1, 1, 2],
    ...                        "ordered_at": pd.to_datetime(["2025-01-01", "2025-01-31", "2025-01-31", "2025-02-01"])})
    >>> purchase_gaps(orders, status=None)
       customer_id ordered_on  gap_days
    0            1 2025-01-31        30
    """
    prepared = prepare(orders, customer, time, None, status, active, tz, end)
    gaps = _gaps(_days(prepared))
    return gaps.rename(columns={"customer": customer, "day": "ordered_on"}).reset_index(drop=True)


def lapse_window(gaps: pd.DataFrame | pd.Series, quantile: float = 0.9) -> int:
    """A lapse window from the gap distribution: the ``quantile`` of the gaps, rounded up to whole days.

    With ``quantile=0.9``, nine in ten returns come sooner than the window: a customer
    silent for longer is unusual enough to call lapsed.

    Parameters
    ----------
    gaps : DataFrame or Series
        :func:`purchase_gaps` (its ``gap_days`` column is used) or gap lengths in days.
    quantile : float
        Between 0 and 1.

    Returns
    -------
    int
        The window in days.

    Examples
    --------
    >>> lapse_window(pd.Series([10, 20, 30, 40, 100]), quantile=0.5)
    30
    """
    if not 0 < quantile < 1:
        raise ValueError(f"The value for `quantile` must be between 0 and 1 (0.9 is usual), "
                         f"but {quantile!r} was passed.")  # fmt: skip
    if isinstance(gaps, pd.DataFrame):
        if "gap_days" not in gaps.columns:
            raise KeyError(f"`gaps` must have a column 'gap_days' (from purchase_gaps), but its columns are "
                           f"{list(gaps.columns)}. Pass the gaps Series itself, e.g. `gaps['days']`.")  # fmt: skip
        gaps = gaps["gap_days"]
    values = pd.Series(gaps, dtype="float64").dropna()
    if values.empty:
        raise ValueError("There are no gaps: no customer bought twice, so no window can be read from them.")
    return int(math.ceil(values.quantile(quantile)))


def lapse_status(
    orders: pd.DataFrame,
    window: int,
    *,
    customer: str = "customer_id",
    time: str = "ordered_at",
    status: str | None = "status",
    active: Sequence[str] = ACTIVE_STATUSES,
    tz: str = COURSE.timezone,
    end=None,
) -> pd.DataFrame:
    """Whether each customer has lapsed: no purchase in the last ``window`` days before ``end``.

    Parameters
    ----------
    orders : DataFrame
        One row per order (or transaction).
    window : int
        Days without a purchase after which a customer counts as lapsed.
    customer, time, status, active, tz
        As in :func:`purchase_gaps`.
    end : date-like, optional
        The day the status is taken (local); default: the last order's day.

    Returns
    -------
    DataFrame
        Indexed by customer id: ``first_order``, ``last_order`` (local dates),
        ``days_since_last_order``, ``n_orders`` (purchase days) and ``lapsed``.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": [1, 2, 2],
    ...                        "ordered_at": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-06-01"])})
    >>> lapse_status(orders, 90, status=None, end="2025-06-30")[["days_since_last_order", "lapsed"]]
                 days_since_last_order  lapsed
    customer_id
    1                              180    True
    2                               29   False
    """
    _check_window(window)
    prepared = prepare(orders, customer, time, None, status, active, tz, end)
    days = _days(prepared)
    summary = customer_summary(days.assign(one=1), customer_id_col="customer", datetime_col="day",
                               amount_col="one", as_of=prepared.end_day)  # fmt: skip
    out = summary.drop(columns="total_spend").assign(lapsed=summary["days_since_last_order"] > window)
    out.index.name = customer
    return out


def _check_window(window) -> None:
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"The value for `window` must be a whole number of days (e.g. 90), but {window!r} was passed.")


def churn_by_window(
    orders: pd.DataFrame,
    windows: Iterable[int] = (30, 60, 90, 120, 180, 270, 365),
    *,
    customer: str = "customer_id",
    time: str = "ordered_at",
    status: str | None = "status",
    active: Sequence[str] = ACTIVE_STATUSES,
    tz: str = COURSE.timezone,
    end=None,
) -> pd.DataFrame:
    """How the churn rate, and the false churns, depend on the lapse window.

    For each window: who is lapsed at ``end``, and who would have been called lapsed
    at some moment (a silence longer than the window) yet bought again: a *false churn*.

    Parameters
    ----------
    orders : DataFrame
        One row per order (or transaction).
    windows : iterable of int
        Lapse windows to try, in days.
    customer, time, status, active, tz, end
        As in :func:`lapse_status`.

    Returns
    -------
    DataFrame
        Indexed by ``window_days``: ``customers`` who could have lapsed (acquired more
        than the window before ``end``), ``lapsed`` (of them, silent for longer than the
        window at ``end``), ``churn_rate`` (lapsed / customers), ``false_churns``
        (customers who were silent for longer than the window and then bought again),
        and ``false_alarm_rate``: false churns / customers ever flagged (lapsed now or
        once). Lapsed customers may still come back after the export, so the false
        alarm rate is a lower bound.

    Examples
    --------
    Customer 1 buys every 40 days; customer 2 bought once, long ago:

    >>> orders = pd.DataFrame({"customer_id": [1, 1, 1, 2],
    ...                        "ordered_at": pd.to_datetime(["2025-01-01", "2025-02-10", "2025-03-22", "2025-01-05"])})
    >>> churn_by_window(orders, [30, 60], status=None, end="2025-03-31")
                 customers  lapsed  churn_rate  false_churns  false_alarm_rate
    window_days
    30                   2       1         0.5             1               0.5
    60                   2       1         0.5             0               0.0
    """
    windows = sorted({int(w) for w in windows})
    for window in windows:
        _check_window(window)
    prepared = prepare(orders, customer, time, None, status, active, tz, end)
    days = _days(prepared)
    by_customer = days.groupby("customer")["day"].agg(["min", "max"])
    since_last = (prepared.end_day - by_customer["max"]).dt.days.to_numpy()
    since_first = (prepared.end_day - by_customer["min"]).dt.days.to_numpy()
    gaps = _gaps(days)
    longest = gaps.groupby("customer")["gap_days"].max().reindex(by_customer.index, fill_value=0).to_numpy()
    rows = []
    for window in windows:
        could = since_first > window
        lapsed = could & (since_last > window)
        returned = longest > window
        flagged = int((lapsed | returned).sum())
        rows.append((window, int(could.sum()), int(lapsed.sum()), int(returned.sum()), flagged))
    out = pd.DataFrame(rows, columns=["window_days", "customers", "lapsed", "false_churns", "flagged"])
    out["churn_rate"] = out["lapsed"] / out["customers"].where(out["customers"] > 0)
    out["false_alarm_rate"] = out["false_churns"] / out["flagged"].where(out["flagged"] > 0)
    return out.set_index("window_days")[["customers", "lapsed", "churn_rate", "false_churns", "false_alarm_rate"]]
