"""Service, delivery and payment KPIs of a company's export, each only when the export has its tables.

A company's export always holds purchases (:mod:`.purchases`); it may also hold support
tickets, shipments, invoices and payments. :func:`operations_kpis` computes, for the same
region, channel and period as the sales KPIs, the KPIs those tables answer, and for each
one it cannot compute says why in words ("no tickets table in this data", "tickets have no
column sla_hours"), so a dashboard can state what is missing instead of hiding it.

Definitions (the period is a range of local days, both ends included; ``None``: all):

- *SLA compliance*: the share of the tickets opened in the period whose first answer came
  within ``sla_hours``, among those whose outcome is known at the end of the data (see
  :func:`crmlab.analysis.kpis.ticket_sla`);
- *Satisfaction (1-5)*: the mean survey score of those tickets, where answered;
- *Late deliveries*: the share of the shipments of the orders placed in the period that
  arrived after the promised date (or are overdue at the end of the data);
- *Days to pay*: the mean days from issue to full payment of the invoices of those orders
  that are paid in full.

Tickets follow the region of their customer and, when they have a ``channel``, the channel
filter; shipments and invoices follow their order.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from crmlab.analysis.kpis import satisfaction, sla_breach_rate
from crmlab.conventions import COURSE, Conventions

from .purchases import period_days, selected_orders
from .systems import invoice_payments, shipment_lateness

__all__ = ["OPERATIONS_KPIS", "operations_kpis"]

#: The KPIs of :func:`operations_kpis`: unit, and the ``{table: columns}`` each needs.
OPERATIONS_KPIS = {
    "SLA compliance": ("share", {"tickets": ("ticket_id", "customer_id", "created_at", "first_response_at",
                                             "sla_hours")}),
    "Satisfaction (1-5)": ("score", {"tickets": ("ticket_id", "customer_id", "created_at", "satisfaction")}),
    "Late deliveries": ("share", {"orders": ("order_id",),
                                  "shipments": ("shipment_id", "order_id", "promised_date", "delivered_date")}),
    "Days to pay": ("days", {"orders": ("order_id",),
                             "invoices": ("invoice_id", "order_id", "customer_id", "issued_date", "due_date",
                                          "amount_cents"),
                             "payments": ("invoice_id", "paid_date", "amount_cents")}),
}  # fmt: skip
_FORMATS = {"share": "{:.1%}", "score": "{:.2f}", "days": "{:.1f} days"}


def _missing(crm: Mapping[str, pd.DataFrame], needs: Mapping[str, tuple[str, ...]]) -> str:
    """Why the tables ``needs`` names are not all in ``crm`` ("" when they are); an absent table first."""
    for table in needs:
        if table not in crm or crm[table] is None:
            return f"no {table} table in this data"
    for table, columns in needs.items():
        absent = [c for c in columns if c not in crm[table]]
        if absent:
            return f"{table} have no column {', '.join(absent)}"
    return ""


def operations_kpis(crm: Mapping[str, pd.DataFrame], region: str | None = None, channel: str | None = None,
                    start=None, end=None, *, conventions: Conventions = COURSE) -> pd.DataFrame:
    """Service, delivery and payment KPIs for a region, a channel and a period, where the data has them.

    Parameters
    ----------
    crm : CRM or dict of DataFrames
        ``orders`` (as for :func:`~crmlab.analysis.bi.sales_kpis`); optionally ``tickets``,
        ``shipments``, ``invoices`` and ``payments`` (columns in :data:`OPERATIONS_KPIS`), and
        ``customers`` with ``region`` for the region filter.
    region, channel : str, optional
        As for :func:`~crmlab.analysis.bi.sales_kpis`.
    start, end : date-like, optional
        First and last local day of the period, both included; None: all.
    conventions : Conventions
        The clock (local days), the end of the data and the purchase statuses.

    Returns
    -------
    DataFrame
        Indexed by ``kpi`` (the keys of :data:`OPERATIONS_KPIS`): ``value`` (NaN when it
        cannot be computed or there is nothing to measure), ``unit``, ``text`` (as a manager
        reads it) and ``missing`` (why it cannot be computed; "" when it can).

    Examples
    --------
    >>> o = pd.DataFrame({"order_id": [1, 2], "customer_id": [7, 8], "total_cents": [500, 900],
    ...                   "ordered_at": pd.to_datetime(["2025-05-01", "2025-05-02"], utc=True)})
    >>> s = pd.DataFrame({"shipment_id": [1, 2], "order_id": [1, 2],
    ...                   "promised_date": pd.to_datetime(["2025-05-04", "2025-05-05"]),
    ...                   "delivered_date": pd.to_datetime(["2025-05-04", "2025-05-07"])})
    >>> operations_kpis({"orders": o, "shipments": s})[["text", "missing"]]
                                   text                   missing
    kpi
    SLA compliance                    –  no tickets table in this data
    Satisfaction (1-5)                –  no tickets table in this data
    Late deliveries               50.0%
    Days to pay                       –  no invoices table in this data
    """
    first, last = period_days(start, end, conventions)
    orders = selected_orders(crm, region, channel, first, last, conventions, purchases_only=False)  # checks filters
    rows = {}
    for kpi, (unit, needs) in OPERATIONS_KPIS.items():
        why = _missing(crm, needs)
        if not why and kpi in ("SLA compliance", "Satisfaction (1-5)") and channel is not None \
                and "channel" not in crm["tickets"]:
            why = f"tickets have no channel, so they cannot follow the channel {channel}"
        value = np.nan if why else _value(kpi, crm, orders, region, channel, first, last, conventions)
        rows[kpi] = (value, unit, "–" if pd.isna(value) else _FORMATS[unit].format(value), why)
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["value", "unit", "text", "missing"])
    out["value"] = out["value"].astype(float)
    out.index.name = "kpi"
    return out


def _value(kpi: str, crm, orders: pd.DataFrame, region, channel, first, last, conventions: Conventions) -> float:
    """One KPI over the selection; ``orders`` are the orders of the selection (any status)."""
    if kpi in ("SLA compliance", "Satisfaction (1-5)"):
        tickets = _tickets(crm, region, channel, first, last, conventions)
        if not len(tickets):
            return np.nan
        if kpi == "Satisfaction (1-5)":
            return float(satisfaction(tickets))
        return 1 - float(sla_breach_rate(tickets, as_of=conventions.end))
    if kpi == "Late deliveries":
        shipments = crm["shipments"]
        mine = shipments[shipments["order_id"].isin(orders["order_id"])]
        if "carrier" not in mine:  # shipment_lateness reports it; the KPI does not need it
            mine = mine.assign(carrier=pd.NA)
        late = shipment_lateness(mine, conventions.as_of)["late"].dropna()
        return float(late.astype(float).mean()) if len(late) else np.nan
    invoices = crm["invoices"]
    paid = invoice_payments(invoices[invoices["order_id"].isin(orders["order_id"])], crm["payments"])
    days = paid.loc[paid["paid_in_full"], "days_to_pay"]
    return float(days.mean()) if len(days) else np.nan


def _tickets(crm, region, channel, first, last, conventions: Conventions) -> pd.DataFrame:
    """The tickets opened in the period by customers of the region, through the channel."""
    tickets = crm["tickets"]
    keep = pd.Series(True, index=tickets.index)
    if region is not None:
        customers = crm["customers"]
        keep &= tickets["customer_id"].isin(customers.loc[customers["region"].astype(str).eq(region), "customer_id"])
    if channel is not None:
        keep &= tickets["channel"].astype(str).eq(channel)
    day = conventions.local_day(tickets["created_at"])
    if first is not None:
        keep &= day >= first
    if last is not None:
        keep &= day <= last
    return tickets[keep.to_numpy()]
