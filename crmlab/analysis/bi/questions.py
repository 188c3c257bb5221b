"""B1, ask first: is support working? One table of lesson 01's service KPIs per region or channel.

The other two questions of B1 are answered by lesson 01's functions as they are: are reps
using the CRM (:func:`crmlab.analysis.kpis.data_entry_trend`), and where do deals get stuck
(:func:`crmlab.analysis.kpis.funnel_conversion`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from crmlab.analysis.kpis import first_contact_resolution, response_time, satisfaction, sla_breach_rate
from crmlab.analysis.kpis.measures import aggregate, as_list, floats
from crmlab.conventions import COURSE
from crmlab.validation import require_table

__all__ = ["support_quality", "with_customer_columns"]


def with_customer_columns(df: pd.DataFrame, by: list[str], customers: pd.DataFrame | None, table: str) -> pd.DataFrame:
    """``df`` with the customer columns among ``by`` joined in (on ``customer_id``).

    Examples
    --------
    >>> t = pd.DataFrame({"customer_id": [1, 2]})
    >>> c = pd.DataFrame({"customer_id": [1, 2], "region": ["North", "South"]})
    >>> with_customer_columns(t, ["region"], c, "tickets")["region"].tolist()
    ['North', 'South']
    """
    wanted = [c for c in by if c not in df.columns]
    if not wanted:
        return df
    if customers is None:
        raise ValueError(f"To group `{table}` by {wanted}, also pass `customers` (e.g. `customers=crm.customers`).")
    require_table(customers, "customers", ["customer_id", *wanted])
    return df.merge(customers[["customer_id", *wanted]], on="customer_id", how="left", validate="many_to_one")


# ------------------------------------------------------------------ B1: support quality


def support_quality(
    tickets: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    by: str | Sequence[str] = "region",
    as_of: pd.Timestamp = COURSE.end,
) -> pd.DataFrame:
    """Is support working? SLA breaches, satisfaction and first-contact resolution per group.

    Each column is lesson 01's KPI (:mod:`crmlab.analysis.kpis`) computed per group;
    ``unhappy_rate`` is added here.

    Parameters
    ----------
    tickets : DataFrame
        The ``tickets`` table.
    customers : DataFrame, optional
        The ``customers`` table; needed to group by a customer column such as ``region``.
    by : str or list of str
        Columns of ``tickets`` (``channel``, ``priority``, ``topic`` ...) or of ``customers``.
    as_of : Timestamp
        The end of the export (see :func:`~crmlab.analysis.kpis.ticket_sla`).

    Returns
    -------
    DataFrame
        Indexed by ``by``: ``tickets``, ``sla_breach_rate`` (breaches / tickets whose
        outcome is known), ``satisfaction`` (mean score of answered surveys),
        ``unhappy_rate`` (share of answered surveys scoring 1 or 2),
        ``first_contact_resolution`` (share of resolved tickets solved in one contact)
        and ``median_response_hours``.

    Examples
    --------
    >>> from crmlab import load_crm
    >>> crm = load_crm(tables=["tickets", "customers"])
    >>> table = support_quality(crm.tickets, crm.customers, by="region")
    >>> table["sla_breach_rate"].idxmax()
    'South'
    """
    by = as_list(by)
    require_table(tickets, "tickets", ["ticket_id", "customer_id", "satisfaction", "contacts_to_resolve"])
    df = with_customer_columns(tickets, by, customers, "tickets")
    unhappy = pd.Series(floats(df["satisfaction"].astype("Float64").le(2)), index=df.index)
    out = df.groupby(by, sort=True).size().to_frame("tickets")
    out["sla_breach_rate"] = sla_breach_rate(df, by=by, as_of=as_of)["sla_breach_rate"]
    out["satisfaction"] = satisfaction(df, by=by)["satisfaction"]
    out["unhappy_rate"] = aggregate(unhappy, df, by, "mean", "unhappy_rate")["unhappy_rate"]
    out["first_contact_resolution"] = first_contact_resolution(df, by=by)["first_contact_resolution"]
    out["median_response_hours"] = response_time(df, by=by)["response_time"]
    return out
