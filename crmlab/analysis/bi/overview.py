"""The KPI table behind the dashboard, filtered by region, period and channel."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from crmlab.analysis.kpis import EXPORT_END, LOCAL_TZ, satisfaction, sla_breach_rate
from crmlab.analysis.kpis._checks import _choice, _table

from ._checks import KPI_UNITS, LAST_DAY, _local_day
from .systems import invoice_payments, shipment_lateness

# ------------------------------------------------------------------ the KPI dashboard


def kpi_table(
    crm: Mapping[str, pd.DataFrame],
    region: str | None = None,
    start=None,
    end=None,
    channel: str | None = None,
    *,
    as_of: pd.Timestamp = EXPORT_END,
    last_day: pd.Timestamp = LAST_DAY,
) -> pd.DataFrame:
    """The dashboard's KPIs for a region, a period and a channel (``None``: all).

    Sales, delivery and payment KPIs follow the orders placed in the period (local
    date, Asia/Tehran) through the channel, by customers of the region; service KPIs
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
    as_of, last_day : Timestamp
        The end of the export (see :func:`~crmlab.analysis.kpis.ticket_sla` and :func:`shipment_lateness`).

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
    _table(customers, "customers", ["customer_id", "region", "segment"])
    _table(orders, "orders", ["order_id", "customer_id", "ordered_at", "channel", "status", "total_cents"])
    _table(tickets, "tickets", ["ticket_id", "customer_id", "created_at", "channel", "satisfaction"])
    start, end = _period(start, end)
    if region is not None:
        _choice(region, sorted(customers["region"].dropna().unique()), "region")
    if channel is not None:
        _choice(channel, sorted(set(orders["channel"]) | set(tickets["channel"])), "channel")
    who = customers.set_index("customer_id")
    mine = _select(orders, who, _local_day(orders["ordered_at"]), region, start, end, channel)
    done = mine[mine["status"] == "completed"]
    revenue = done["total_cents"].sum() / 100
    my_tickets = _select(tickets, who, _local_day(tickets["created_at"]), region, start, end, channel)
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
    _table(invoices, "invoices", ["invoice_id", "order_id", "customer_id"])
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


def _period(start, end) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
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
        return (stamp.tz_convert(LOCAL_TZ).tz_localize(None) if stamp.tzinfo else stamp).normalize()

    start, end = day("start", start), day("end", end)
    if start is not None and end is not None and start > end:
        raise ValueError(f"`start` ({start.date()}) is after `end` ({end.date()}): swap them.")
    return start, end
