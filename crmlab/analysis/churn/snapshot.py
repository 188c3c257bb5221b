"""Rewind the CRM to a cutoff day: what the company knew then, and nothing it learnt later.

A churn model is trained on the past to predict the future. Its features must be
computed from what was known *at the cutoff*: orders placed after it, tickets opened
after it, and answers, resolutions and survey scores that came later are all hidden.
:func:`crm_as_of` does that once, for every feature, so no feature can leak the future.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from crmlab.conventions import COURSE, Conventions
from crmlab.validation import require_tables

__all__ = ["NEEDED", "crm_as_of"]

#: The columns each table needs, for the churn features and labels (``consent_sms``, ``consent_email`` and
#: ``segment`` only when declared stable, see :func:`~crmlab.analysis.churn.churn_features`).
NEEDED = {
    "customers": ("customer_id", "signup_date"),
    "orders": ("order_id", "customer_id", "ordered_at", "channel", "status", "total_cents"),
    "tickets": ("ticket_id", "customer_id", "created_at", "first_response_at", "resolved_at", "sla_hours",
                "contacts_to_resolve", "satisfaction"),  # fmt: skip
    "interactions": ("interaction_id", "customer_id", "channel", "occurred_at"),
}


def crm_as_of(
    crm: Mapping[str, pd.DataFrame], cutoff, *, conventions: Conventions = COURSE
) -> dict[str, pd.DataFrame]:
    """The customers, orders, tickets and interactions tables as they stood at the end of ``cutoff``.

    Parameters
    ----------
    crm : mapping of DataFrames
        The CRM (``crmlab.load_crm()``) with the tables ``customers``, ``orders``,
        ``tickets`` and ``interactions``.
    cutoff : date-like
        The last day that counts, on the company's calendar (``conventions.timezone``):
        everything up to its end is known, nothing after.
    conventions : Conventions, optional
        The company's clock and purchase statuses (default :data:`crmlab.conventions.COURSE`).

    Returns
    -------
    dict of DataFrames
        The four tables: rows created after the cutoff dropped (customers who signed up
        later, orders, tickets, interactions); for tickets opened before it, a first
        response, a resolution, the contacts it took and the survey score that came
        later are blanked, since the company did not know them yet.

    Notes
    -----
    An order's ``status`` (completed, cancelled, returned) has no date in the CRM, so it
    is taken as known when the order was placed; a real export should keep the date
    of each status change.

    Examples
    --------
    >>> from crmlab.datasets import load_crm
    >>> crm = load_crm(tables=["customers", "orders", "tickets", "interactions"])
    >>> past = crm_as_of(crm, "2024-12-31")
    >>> str(past["orders"]["ordered_at"].max().tz_convert("Asia/Tehran").date())
    '2024-12-31'
    >>> bool(past["tickets"]["resolved_at"].max() < pd.Timestamp("2024-12-31 20:30", tz="UTC"))
    True
    """
    names = ["customers", "orders", "tickets", "interactions"]
    tables = require_tables(crm, names, NEEDED)
    day = conventions.local_date(cutoff, "cutoff")
    end = conventions.end_of_day(day)
    customers = tables["customers"]
    orders = tables["orders"]
    interactions = tables["interactions"]
    return {
        "customers": customers[customers["signup_date"] <= day],
        "orders": orders[orders["ordered_at"] < end],
        "tickets": _tickets_as_of(tables["tickets"], end),
        "interactions": interactions[interactions["occurred_at"] < end],
    }


def _tickets_as_of(tickets: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Tickets opened before ``end``, with what happened to them later blanked."""
    past = tickets[tickets["created_at"] < end].copy()
    answered_later = ~(past["first_response_at"] < end)
    resolved_later = ~(past["resolved_at"] < end)
    past.loc[answered_later, "first_response_at"] = pd.NaT
    past.loc[resolved_later, "resolved_at"] = pd.NaT
    past.loc[resolved_later, ["contacts_to_resolve", "satisfaction"]] = pd.NA
    return past
