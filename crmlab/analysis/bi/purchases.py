"""Sales KPIs from a purchases table alone, for any company's export: the own-data dashboard's numbers.

:func:`kpi_table` (lesson 04) needs the six tables of the course's schema. A company's
export may hold only purchases (customer, time, amount; optionally order id, status,
channel) and a customers table; :func:`sales_kpis` computes what those can answer, on the
company's clock, calendar days and currency (:class:`~crmlab.conventions.Conventions`),
and :func:`monthly_sales` the same per local month for a chart. Region and channel filters
exist only when the data has those columns (:func:`filter_options`).

Definitions (the period is a range of local days, both ends included):

- purchases are the orders whose ``status`` is one of ``conventions.purchase_statuses``
  (every order when the export has no status);
- *new customers* made their first purchase ever (any channel, any region) in the period;
- *returning customers* bought in the period and also before it; their share is of the
  customers who bought in the period.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from crmlab.conventions import COURSE, Conventions
from crmlab.validation import choice, require_table

from .calendar import calendar_months, month_of

__all__ = ["SALES_KPIS", "filter_options", "monthly_sales", "period_days", "purchases_of", "sales_kpis",
           "selected_orders"]

#: The KPIs of :func:`sales_kpis` and their units (count, money, share, ratio).
SALES_KPIS = {
    "Orders": "count",
    "Customers who bought": "count",
    "Revenue": "money",
    "Average order": "money",
    "Orders per customer": "ratio",
    "New customers": "count",
    "Returning customers": "share",
}
_FORMATS = {"count": "{:,.0f}", "share": "{:.1%}", "ratio": "{:.2f}"}


def purchases_of(orders: pd.DataFrame, conventions: Conventions = COURSE) -> pd.DataFrame:
    """The orders that count as purchases, with ``day``, their local calendar day.

    Parameters
    ----------
    orders : DataFrame
        ``customer_id``, ``ordered_at`` (UTC instants) and ``total_cents`` (minor units);
        ``status`` optional.
    conventions : Conventions
        The company's clock and purchase statuses.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": [1, 2], "total_cents": [100, 200], "status": ["completed", "cancelled"],
    ...                   "ordered_at": pd.to_datetime(["2025-03-20 21:00", "2025-03-20 10:00"], utc=True)})
    >>> purchases_of(o)[["customer_id", "day"]]
       customer_id        day
    0            1 2025-03-21
    """
    require_table(orders, "orders", ["customer_id", "ordered_at", "total_cents"])
    if "status" in orders:
        orders = orders[orders["status"].isin(conventions.purchase_statuses)]
    return orders.assign(day=conventions.local_day(orders["ordered_at"]))


def filter_options(crm: Mapping[str, pd.DataFrame]) -> dict[str, list[str]]:
    """The region and channel values the data offers as filters (a key only when the data has the column).

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": [1], "channel": ["web"]})
    >>> filter_options({"orders": o})
    {'channel': ['web']}
    """
    options = {}
    customers = crm.get("customers")
    if customers is not None and "region" in customers:
        options["region"] = sorted(customers["region"].dropna().astype(str).unique())
    if "channel" in crm["orders"]:
        options["channel"] = sorted(crm["orders"]["channel"].dropna().astype(str).unique())
    return options


def selected_orders(crm: Mapping[str, pd.DataFrame], region: str | None = None, channel: str | None = None,
                    first: pd.Timestamp | None = None, last: pd.Timestamp | None = None,
                    conventions: Conventions = COURSE, *, purchases_only: bool = True) -> pd.DataFrame:
    """The orders of the region's customers through the channel on local days ``first`` to ``last``, with ``day``.

    Parameters
    ----------
    crm : CRM or dict of DataFrames
        ``orders``; ``customers`` with ``region`` for a region.
    region, channel : str, optional
        A value of :func:`filter_options` (``None``: all); a filter the data lacks is refused.
    first, last : Timestamp, optional
        Local days (see :func:`period_days`), both included; None: no bound.
    conventions : Conventions
        The clock and the purchase statuses.
    purchases_only : bool
        Keep only the purchases (see :func:`purchases_of`); False keeps every status.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": [1, 2], "total_cents": [100, 200], "channel": ["web", "shop"],
    ...                   "ordered_at": pd.to_datetime(["2025-03-20 10:00", "2025-03-21 10:00"], utc=True)})
    >>> selected_orders({"orders": o}, channel="web")["customer_id"].tolist()
    [1]
    >>> selected_orders({"orders": o}, region="North")
    Traceback (most recent call last):
    ...
    ValueError: The value for `region` must be None: this data has no customers.region.
    """
    options = filter_options(crm)
    orders = crm["orders"]
    if purchases_only:
        orders = purchases_of(orders, conventions)
    else:
        require_table(orders, "orders", ["customer_id", "ordered_at", "total_cents"])
        orders = orders.assign(day=conventions.local_day(orders["ordered_at"]))
    if region is not None:
        if "region" not in options:
            raise ValueError("The value for `region` must be None: this data has no customers.region.")
        choice("region", region, options["region"])
        customers = crm["customers"]
        mine = customers.loc[customers["region"].astype(str).eq(region), "customer_id"]
        orders = orders[orders["customer_id"].isin(mine)]
    if channel is not None:
        if "channel" not in options:
            raise ValueError("The value for `channel` must be None: this data has no orders.channel.")
        choice("channel", channel, options["channel"])
        orders = orders[orders["channel"].astype(str).eq(channel)]
    if first is not None:
        orders = orders[orders["day"] >= first]
    if last is not None:
        orders = orders[orders["day"] <= last]
    return orders


def period_days(start, end, conventions: Conventions = COURSE) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """``start`` and ``end`` as local days (None stays None); a start after the end is refused.

    Examples
    --------
    >>> period_days("2025-01-01", pd.Timestamp("2025-01-31 21:00", tz="UTC"))
    (Timestamp('2025-01-01 00:00:00'), Timestamp('2025-02-01 00:00:00'))
    """
    first = None if start is None else conventions.local_date(start, "start")
    last = None if end is None else conventions.local_date(end, "end")
    if first is not None and last is not None and first > last:
        raise ValueError(f"`start` ({first.date()}) is after `end` ({last.date()}): swap them.")
    return first, last


def sales_kpis(crm: Mapping[str, pd.DataFrame], region: str | None = None, channel: str | None = None,
               start=None, end=None, *, conventions: Conventions = COURSE) -> pd.DataFrame:
    """Sales KPIs for a period, a region and a channel (``None``: all), from purchases alone.

    Parameters
    ----------
    crm : CRM or dict of DataFrames
        ``orders`` (``customer_id``, ``ordered_at``, ``total_cents``; ``status`` and
        ``channel`` optional); ``customers`` with ``region`` only for the region filter.
    region, channel : str, optional
        A value of ``customers.region`` / ``orders.channel`` (see :func:`filter_options`).
    start, end : date-like, optional
        First and last local day of the period, both included; None: the data's first / last.
    conventions : Conventions
        Clock, purchase statuses and currency (default the course's).

    Returns
    -------
    DataFrame
        Indexed by ``kpi`` (the keys of :data:`SALES_KPIS`): ``value`` (money in the
        currency's major unit; NaN when there is nothing to measure), ``unit`` and ``text``
        (the value as a manager reads it, money with the currency code).

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": [1, 1, 2], "total_cents": [1_000_000, 3_050_000, 999_000],  # rials
    ...                   "ordered_at": pd.to_datetime(["2025-01-05", "2025-02-10", "2025-02-11"], utc=True)})
    >>> sales_kpis({"orders": o}, start="2025-02-01", end="2025-02-28")["text"]
    kpi
    Orders                              2
    Customers who bought                2
    Revenue                 IRR 4,049,000
    Average order           IRR 2,024,500
    Orders per customer              1.00
    New customers                       1
    Returning customers             50.0%
    Name: text, dtype: str
    """
    first, last = period_days(start, end, conventions)
    inside = selected_orders(crm, region, channel, first, last, conventions)
    orders, buyers = len(inside), inside["customer_id"].nunique()
    revenue = int(inside["total_cents"].sum())
    debut = purchases_of(crm["orders"], conventions).groupby("customer_id")["day"].min()
    mine = debut.reindex(inside["customer_id"].unique())
    new = int(((mine >= first) if first is not None else mine.notna()).sum())
    returning = int((mine < first).sum()) if first is not None else 0
    values = [orders, buyers, conventions.major(revenue), conventions.major(revenue) / orders if orders else np.nan,
              orders / buyers if buyers else np.nan, new, returning / buyers if buyers else np.nan]
    texts = [_text(v, u, conventions) for v, u in zip(values, SALES_KPIS.values(), strict=True)]
    return pd.DataFrame({"value": [float(v) for v in values], "unit": list(SALES_KPIS.values()), "text": texts},
                        index=pd.Index(list(SALES_KPIS), name="kpi"))  # fmt: skip


def _text(value: float, unit: str, conventions: Conventions) -> str:
    if value is None or pd.isna(value):
        return "–"
    if unit == "money":
        return conventions.money_major(value, decimals=conventions.minor_unit)
    return _FORMATS[unit].format(value)


def monthly_sales(crm: Mapping[str, pd.DataFrame], region: str | None = None, channel: str | None = None,
                  start=None, end=None, *, conventions: Conventions = COURSE) -> pd.DataFrame:
    """Orders, customers who bought and revenue per month of the company's calendar (Gregorian or Jalali).

    Returns
    -------
    DataFrame
        Indexed by ``month`` (its first local day), every month of the period even without a
        purchase: ``orders``, ``customers``, ``revenue`` (major unit) and ``label`` (the
        month's name on the company's calendar, see :func:`~crmlab.analysis.bi.calendar_months`).

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": [1, 1, 2], "total_cents": [1_000_000, 3_050_000, 999_000],  # rials
    ...                   "ordered_at": pd.to_datetime(["2025-01-05", "2025-03-10", "2025-03-11"], utc=True)})
    >>> monthly_sales({"orders": o}, conventions=COURSE)
                orders  customers    revenue     label
    month
    2025-01-01       1          1  1000000.0  Jan 2025
    2025-02-01       0          0        0.0  Feb 2025
    2025-03-01       2          2  4049000.0  Mar 2025
    """
    first, last = period_days(start, end, conventions)
    inside = selected_orders(crm, region, channel, first, last, conventions)
    grouped = inside.groupby(month_of(inside["day"], conventions))
    out = pd.DataFrame({"orders": grouped.size(), "customers": grouped["customer_id"].nunique(),
                        "revenue": grouped["total_cents"].sum()})  # fmt: skip
    lo = first if first is not None else inside["day"].min()
    hi = last if last is not None else inside["day"].max()
    months = calendar_months(lo, hi, conventions) if not (pd.isna(lo) or pd.isna(hi)) else None
    if months is not None:
        out = out.reindex(months.index, fill_value=0)
    out["revenue"] = conventions.major(out["revenue"].astype("int64")).round(conventions.minor_unit)
    out["label"] = months["label"] if months is not None else pd.Series(dtype=str)
    out.index.name = "month"
    return out.astype({"orders": "int64", "customers": "int64"})
