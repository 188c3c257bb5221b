"""Which information to collect and why: the data map and life-event triggers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from crmlab.conventions import COURSE
from crmlab.validation import require_table

from .sales import _revenue_orders

# ------------------------------------------------------------------ which information, and why

#: table -> (the information it holds, the decision it serves, who keeps it)
_DATA_MAP = {
    "customers": (
        "demographics, consent to be contacted",
        "whom to target, and through which channel",
        "sales and marketing",
    ),
    "channels": (
        "the ways customers and the company reach each other",
        "which channels to staff and fund",
        "management",
    ),
    "interactions": (
        "mail responses, visits, calls and meetings",
        "who answers what; when to stop mailing",
        "marketing, call centre, field sales",
    ),
    "web_registrations": (
        "website registrations",
        "welcome offers to new web customers",
        "web shop",
    ),
    "orders": (
        "sales and purchases, online sales",
        "cross-sell offers, revenue per customer",
        "stores, web shop, sales",
    ),
    "order_lines": (
        "what each order held, at which price and discount",
        "cross-sell pairs, pricing",
        "sales",
    ),
    "products": (
        "the catalogue and list prices",
        "pricing inside the system",
        "product management",
    ),
    "categories": (
        "product groups",
        "which categories to offer together",
        "product management",
    ),
    "shipments": (
        "shipping and fulfilment dates",
        "delivery promises, carrier choice",
        "logistics",
    ),
    "invoices": (
        "accounting: what was billed, when due",
        "credit terms",
        "finance",
    ),
    "payments": (
        "accounting: what was paid, when and how",
        "collections, credit risk",
        "finance",
    ),
    "tickets": (
        "after-sales service",
        "support staffing, root causes, churn risk",
        "customer service",
    ),
    "campaigns": (
        "campaigns: channel, target, cost",
        "which campaigns to repeat",
        "marketing",
    ),
    "campaign_contacts": (
        "mail responses to each campaign",
        "whom to contact next time",
        "marketing",
    ),
    "opportunities": (
        "the deals in the sales pipeline",
        "sales forecast, where to coach reps",
        "sales",
    ),
    "opportunity_stages": (
        "when each deal moved on",
        "where deals stall",
        "sales",
    ),
    "reps": (
        "the staff who work in the CRM, and their training",
        "who needs training",
        "management, HR",
    ),
    "rep_activity": (
        "how completely each rep enters data, week by week",
        "early warning of a failing CRM",
        "management",
    ),
}


def data_map(crm: Mapping[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Each table of the CRM: the information it holds, the decision it serves, and who keeps it.

    Parameters
    ----------
    crm : CRM or mapping of str to DataFrame, optional
        When given, only its tables are listed, with their number of rows.

    Returns
    -------
    DataFrame
        Indexed by ``table``: ``information``, ``decision``, ``kept_by`` (and ``rows``).

    Examples
    --------
    >>> data_map().loc["tickets", "information"]
    'after-sales service'
    >>> data_map({"orders": pd.DataFrame({"order_id": [1, 2]})})["rows"].tolist()
    [2]
    """
    out = pd.DataFrame.from_dict(_DATA_MAP, orient="index", columns=["information", "decision", "kept_by"])
    out = out.rename_axis("table")
    if crm is None:
        return out
    out = out[out.index.isin(list(crm))]
    return out.assign(rows=[len(crm[name]) for name in out.index])


def life_events(
    orders: pd.DataFrame,
    customers: pd.DataFrame,
    web_registrations: pd.DataFrame,
    *,
    big_order: float,
    statuses: Sequence[str] = COURSE.purchase_statuses,
    minor_unit: int = COURSE.minor_unit,
) -> pd.DataFrame:
    """Moments that call for an offer: a business customer's first big order, a new web registration.

    Banks watch for life events (a marriage, a new job) to offer a mortgage at the right
    moment; a retailer's equivalents are in its own tables.

    Parameters
    ----------
    orders, customers, web_registrations : DataFrame
        The CRM tables of those names.
    big_order : float
        An order of at least this much money, in the currency's major unit (rials,
        dollars), is big. There is no default: what is big depends on the currency and
        the business, e.g. 400,000,000 rials (40 million toman) at the course company's
        2025 prices.
    statuses : sequence of str
        Order statuses that count as a purchase.
    minor_unit : int, optional
        Digits after the decimal point of ``total_cents`` (default ``COURSE.minor_unit``,
        0: whole rials; 2 for cents).

    Returns
    -------
    DataFrame
        ``customer_id``, ``event`` (``first_big_order`` or ``web_registration``),
        ``occurred_at`` and the ``offer`` it calls for, in time order.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": [1, 1, 2], "status": ["completed"] * 3,
    ...                   "total_cents": [300_000_000, 500_000_000, 900_000_000],  # whole rials
    ...                   "ordered_at": pd.to_datetime(["2025-01-02", "2025-02-01", "2025-01-05"], utc=True)})
    >>> c = pd.DataFrame({"customer_id": [1, 2], "segment": ["enterprise", "consumer"]})
    >>> w = pd.DataFrame({"customer_id": [2], "registered_at": pd.to_datetime(["2025-01-03"], utc=True)})
    >>> life_events(o, c, w, big_order=400_000_000)[["customer_id", "event", "occurred_at"]]
       customer_id             event               occurred_at
    0            2  web_registration 2025-01-03 00:00:00+00:00
    1            1   first_big_order 2025-02-01 00:00:00+00:00
    """
    require_table(orders, "orders", ["customer_id", "status", "total_cents", "ordered_at"])
    o = _revenue_orders(orders, statuses)
    c = require_table(customers, "customers", ["customer_id", "segment"])
    w = require_table(web_registrations, "web_registrations", ["customer_id", "registered_at"])
    business = c.loc[c["segment"] != "consumer", "customer_id"]
    big = o[(o["total_cents"] >= big_order * 10**minor_unit) & o["customer_id"].isin(business)]
    first_big = big.sort_values("ordered_at").drop_duplicates("customer_id")
    events = pd.concat([
        pd.DataFrame({"customer_id": first_big["customer_id"], "event": "first_big_order",
                      "occurred_at": first_big["ordered_at"],
                      "offer": "accessories, software and services for the new equipment"}),
        pd.DataFrame({"customer_id": w["customer_id"], "event": "web_registration",
                      "occurred_at": w["registered_at"], "offer": "a welcome offer in the web shop"}),
    ])  # fmt: skip
    return events.sort_values(["occurred_at", "customer_id"], kind="stable", ignore_index=True)


