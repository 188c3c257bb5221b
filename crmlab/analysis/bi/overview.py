"""The KPI table behind the dashboard, filtered by region, period and channel."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from crmlab.analysis.kpis import satisfaction, sla_breach_rate
from crmlab.conventions import COURSE, Conventions
from crmlab.validation import choice, require_table

from .systems import invoice_payments, shipment_lateness

__all__ = ["KPI_UNITS", "kpi_table"]

#: The KPIs of :func:`kpi_table` and their units (count, money, share, score, days). Money is in the
#: major unit of the conventions' currency (dollars, pounds, rials).
KPI_UNITS = {
    "Orders": "count",
    "Customers who bought": "count",
    "Revenue": "money",
    "Average order": "money",
    "SLA compliance": "share",
    "Satisfaction (1-5)": "score",
    "Late deliveries": "share",
    "Days to pay (business)": "days",
}



# ------------------------------------------------------------------ the KPI dashboard


def kpi_table(
    crm: Mapping[str, pd.DataFrame],
    region: str | None = None,
    start=None,
    end=None,
    channel: str | None = None,
    *,
    as_of: pd.Timestamp | None = None,
    last_day: pd.Timestamp | None = None,
    conventions: Conventions = COURSE,
) -> pd.DataFrame:
    """The dashboard's KPIs for a region, a period and a channel (``None``: all).

    Sales, delivery and payment KPIs follow the orders placed in the period (local
    date on ``conventions.timezone``) through the channel, by customers of the region; service KPIs
    follow the tickets opened in the period through the channel.

    Parameters
    ----------
    crm : CRM or dict of DataFrames
        Needs ``customers``, ``orders``, ``tickets``, ``shipments``, ``invoices`` and ``payments``.
    region : str, optional
        A value of ``customers.region``.
    start, end : date-like, optional
        First and last local day of the period, both included (e.g. ``"2025-01-01"``).
    channel : str, optional
        A channel of ``orders`` or ``tickets`` (``web``, ``store``, ``call_centre`` ...).
    as_of, last_day : Timestamp, optional
        The end of the export (see :func:`~crmlab.analysis.kpis.ticket_sla` and :func:`shipment_lateness`);
        default ``conventions.end`` and ``conventions.as_of``.
    conventions : Conventions, optional
        The company's clock (local days), end of data and purchase statuses
        (default :data:`crmlab.conventions.COURSE`).

    Returns
    -------
    DataFrame
        Indexed by ``kpi`` (the keys of :data:`KPI_UNITS`): ``value`` (NaN when there is
        nothing to measure) and ``unit``.

    Examples
    --------
    >>> from crmlab import load_crm
    >>> crm = load_crm(tables=["customers", "orders", "tickets", "shipments", "invoices", "payments"])
    >>> south = kpi_table(crm, region="South", start="2025-01-01", end="2025-12-31")
    >>> capital = kpi_table(crm, region="Capital", start="2025-01-01", end="2025-12-31")
    >>> bool(south.loc["Late deliveries", "value"] > capital.loc["Late deliveries", "value"])
    True
    """
    customers, orders, tickets = crm["customers"], crm["orders"], crm["tickets"]
    require_table(customers, "customers", ["customer_id", "region", "segment"])
    require_table(orders, "orders", ["order_id", "customer_id", "ordered_at", "channel", "status", "total_cents"])
    require_table(tickets, "tickets", ["ticket_id", "customer_id", "created_at", "channel", "satisfaction"])
    start, end = _period(start, end, conventions.timezone)
    as_of = conventions.end if as_of is None else as_of
    last_day = conventions.as_of if last_day is None else last_day
    if region is not None:
        choice("region", region, sorted(customers["region"].dropna().unique()))
    if channel is not None:
        choice("channel", channel, sorted(set(orders["channel"]) | set(tickets["channel"])))
    who = customers.set_index("customer_id")
    mine = _select(orders, who, conventions.local_day(orders["ordered_at"]), region, start, end, channel)
    done = mine[mine["status"].isin(conventions.purchase_statuses)]
    revenue = conventions.major(int(done["total_cents"].sum()))
    my_tickets = _select(tickets, who, conventions.local_day(tickets["created_at"]), region, start, end, channel)
    late = shipment_lateness(crm["shipments"], last_day)
    late = late.loc[late["order_id"].isin(mine["order_id"]), "late"].dropna()
    values = [
        len(done),
        done["customer_id"].nunique(),
        revenue,
        revenue / len(done) if len(done) else np.nan,
        1 - sla_breach_rate(my_tickets, as_of=as_of),
        satisfaction(my_tickets),
        late.astype(float).mean() if len(late) else np.nan,
        _days_to_pay(crm["invoices"], crm["payments"], mine["order_id"], who["segment"]),
    ]
    clean = [np.nan if v is pd.NA else float(v) for v in values]
    return pd.DataFrame({"value": clean, "unit": list(KPI_UNITS.values())}, index=pd.Index(list(KPI_UNITS), name="kpi"))


def _days_to_pay(invoices: pd.DataFrame, payments: pd.DataFrame, order_ids: pd.Series, segment: pd.Series) -> float:
    """Mean days to pay of the business invoices of these orders that are paid in full."""
    require_table(invoices, "invoices", ["invoice_id", "order_id", "customer_id"])
    mine = invoices[invoices["order_id"].isin(order_ids) & invoices["customer_id"].map(segment).ne("consumer")]
    pay = invoice_payments(mine, payments)
    days = pay.loc[pay["paid_in_full"], "days_to_pay"]
    return float(days.mean()) if len(days) else np.nan


def _select(df, who, day, region, start, end, channel) -> pd.DataFrame:
    keep = pd.Series(True, index=df.index)
    if region is not None:
        keep &= df["customer_id"].map(who["region"]).eq(region)
    if start is not None:
        keep &= day >= start
    if end is not None:
        keep &= day <= end
    if channel is not None:
        keep &= df["channel"].eq(channel)
    return df[keep.to_numpy()]


def _period(start, end, tz: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    def day(name, value):
        if value is None:
            return None
        try:
            stamp = pd.Timestamp(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"The value for `{name}` must be a date such as '2025-01-31', but {value!r} was passed."
            ) from None
        if stamp is pd.NaT:
            return None
        return (stamp.tz_convert(tz).tz_localize(None) if stamp.tzinfo else stamp).normalize()

    start, end = day("start", start), day("end", end)
    if start is not None and end is not None and start > end:
        raise ValueError(f"`start` ({start.date()}) is after `end` ({end.date()}): swap them.")
    return start, end
