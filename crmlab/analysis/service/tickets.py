"""Tickets ready for service analysis: SLA compliance per group, and one row of facts per ticket.

The measures themselves are lesson 01's (:mod:`crmlab.analysis.kpis`): this module only
arranges them for lesson 10's questions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlab.analysis.bi.questions import with_customer_columns
from crmlab.analysis.kpis import ticket_sla
from crmlab.analysis.kpis.measures import as_list
from crmlab.conventions import COURSE
from crmlab.validation import choice, require_table

__all__ = ["sla_compliance", "ticket_factors"]


def sla_compliance(
    tickets: pd.DataFrame,
    by: str | Sequence[str] = "channel",
    *,
    customers: pd.DataFrame | None = None,
    as_of: pd.Timestamp = COURSE.end,
) -> pd.DataFrame:
    """Share of tickets answered within their SLA, per group: on-time tickets / tickets whose outcome is known.

    The outcome of each ticket is :func:`crmlab.analysis.kpis.ticket_sla`'s: a ticket still
    waiting within its deadline at ``as_of`` is neither on time nor late yet and is left out;
    one waiting past its deadline counts as a breach. A ratio of sums: each ticket weighs the same.

    Parameters
    ----------
    tickets : DataFrame
        The ``tickets`` table.
    by : str or list of str
        Columns of ``tickets`` (``channel``, ``priority`` ...) or of ``customers`` (``region``).
    customers : DataFrame, optional
        The ``customers`` table, to group by a customer column.
    as_of : Timestamp
        The end of the export (tz-aware).

    Returns
    -------
    DataFrame
        Indexed by ``by``: ``tickets`` (outcome known), ``on_time``, ``breached`` and ``sla_compliance``.

    Examples
    --------
    >>> t = pd.DataFrame({
    ...     "ticket_id": [1, 2, 3], "channel": ["web", "web", "mail"],
    ...     "created_at": pd.to_datetime(["2025-12-01 08:00", "2025-12-01 08:00", "2025-12-31 18:00"], utc=True),
    ...     "first_response_at": pd.to_datetime(["2025-12-01 10:00", "2025-12-02 08:00", None], utc=True),
    ...     "sla_hours": [4, 8, 24]})
    >>> sla_compliance(t, "channel")
             tickets  on_time  breached  sla_compliance
    channel
    web            2        1         1             0.5
    """
    keys = as_list(by)
    require_table(tickets, "tickets", ["ticket_id"])
    df = with_customer_columns(tickets, keys, customers, "tickets")
    for key in keys:
        choice("by", key, list(df.columns))
    breached = ticket_sla(df, as_of=as_of)["sla_breached"].to_numpy()
    known = ~pd.isna(breached)
    late = pd.Series(np.where(known, breached, False).astype(bool), index=df.index)[known]
    groups = [df.loc[known, key] for key in keys]
    out = late.groupby(groups).agg(tickets="size", breached="sum")
    out.insert(1, "on_time", out["tickets"] - out["breached"])
    out["sla_compliance"] = out["on_time"] / out["tickets"]
    return out.astype({"tickets": "int64", "on_time": "int64", "breached": "int64"})


def ticket_factors(
    tickets: pd.DataFrame, customers: pd.DataFrame, *, as_of: pd.Timestamp = COURSE.end, tz: str = COURSE.timezone
) -> pd.DataFrame:
    """One row per ticket with what might drive its satisfaction score, in hours and local time.

    Parameters
    ----------
    tickets : DataFrame
        The ``tickets`` table.
    customers : DataFrame
        The ``customers`` table (for ``region``).
    as_of : Timestamp
        The end of the export, for the SLA outcome of tickets still waiting.
    tz : str
        The company's time zone, for ``local_hour``.

    Returns
    -------
    DataFrame
        Indexed by ``ticket_id``: ``customer_id``, ``channel``, ``priority``, ``region``,
        ``local_hour`` (hour the ticket was opened, local clock), ``response_hours``,
        ``resolution_hours``, ``sla_breached`` (boolean, ``<NA>`` when not known yet),
        ``contacts`` (``"1"``, ``"2"``, ``"3"``, ``"4+"``; ``<NA>`` while open),
        ``extra_contacts`` (contacts beyond the first) and ``satisfaction`` (``<NA>`` without a survey).

    Examples
    --------
    >>> from crmlab import load_crm
    >>> crm = load_crm(tables=["tickets", "customers"])
    >>> facts = ticket_factors(crm.tickets, crm.customers)
    >>> facts.groupby("region")["sla_breached"].mean().idxmax()
    'South'
    >>> facts.loc[3, ["channel", "local_hour", "response_hours", "sla_breached", "contacts"]].to_dict()
    {'channel': 'mail', 'local_hour': 12, 'response_hours': 12.87..., 'sla_breached': True, 'contacts': '1'}
    """
    require_table(tickets, "tickets", ["ticket_id", "customer_id", "channel", "priority", "created_at",
                                "first_response_at", "resolved_at", "sla_hours", "contacts_to_resolve",
                                "satisfaction"])  # fmt: skip
    df = with_customer_columns(tickets, ["region"], customers, "tickets")
    sla = ticket_sla(df, as_of=as_of)
    contacts = df["contacts_to_resolve"].astype("Float64")
    labels = contacts.clip(upper=4).astype("Int64").astype("string").replace("4", "4+")
    out = pd.DataFrame({
        "customer_id": df["customer_id"].to_numpy(),
        "channel": df["channel"].to_numpy(),
        "priority": df["priority"].to_numpy(),
        "region": df["region"].to_numpy(),
        "local_hour": df["created_at"].dt.tz_convert(tz).dt.hour.to_numpy(),
        "response_hours": sla["response_hours"].to_numpy(),
        "resolution_hours": ((df["resolved_at"] - df["created_at"]) / pd.Timedelta(hours=1)).to_numpy(),
        "sla_breached": sla["sla_breached"].array,
        "contacts": labels.array,
        "extra_contacts": (contacts - 1).array,
        "satisfaction": df["satisfaction"].astype("Float64").array,
    }, index=pd.Index(df["ticket_id"].to_numpy(), name="ticket_id"))  # fmt: skip
    return out
