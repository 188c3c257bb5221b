"""What each lesson needs of the data: the tables and columns it reads.

:data:`LESSON_NEEDS` declares, for each lesson of ``notebooks/``, the columns its
analyses cannot do without; :func:`lesson_verdicts` says which lessons an export can
feed. Columns a lesson uses only for an optional part are not listed: lessons 05 to 08 and
13 run on a purchases table alone and say, in one line each, which parts they skip for want
of other tables. The others are declared from the tables they load and are written for the
course's own company (00-04, 09-12).

Columns are not enough for the lessons of :data:`PER_CUSTOMER`: they analyse customers one
by one, so the purchases must belong to enough distinct customers (:data:`MIN_CUSTOMERS`).
:func:`customer_problem` says when they do not, for ``crmlab check`` and for the lessons
alike (through :func:`crmlab.datasets.load_lesson_data`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

__all__ = ["LESSON_NEEDS", "MIN_CUSTOMERS", "PER_CUSTOMER", "customer_problem", "lesson_verdicts", "missing_for"]

_PURCHASES = ("customer_id", "ordered_at", "total_cents")
_BAD_SERVICE = ("ticket_id", "customer_id", "created_at", "first_response_at", "sla_hours", "satisfaction")

#: Lesson id (the notebook's name) -> {table: columns it needs}.
LESSON_NEEDS: dict[str, dict[str, tuple[str, ...]]] = {
    "00_welcome": {"orders": (*_PURCHASES, "channel"), "customers": ("customer_id", "region")},
    "01_crm_goals": {
        "customers": ("customer_id", "segment", "acquisition_channel"), "orders": _PURCHASES,
        "interactions": ("customer_id", "channel", "occurred_at"), "channels": ("channel", "is_online", "direction"),
        "tickets": ("ticket_id", "customer_id", "created_at", "first_response_at"),
        "opportunities": ("opportunity_id", "stage"), "reps": ("rep_id", "team"),
    },
    "02_training_users": {
        "reps": ("rep_id", "region", "training_method", "trained_on"),
        "rep_activity": ("rep_id", "week_start", "required_fields_total", "required_fields_filled"),
    },
    "03_data_quality": {
        "raw_customers": ("customer_id", "first_name", "last_name", "email", "phone", "segment", "city", "birth_year"),
        "raw_orders": (*_PURCHASES, "status"), "customers": ("customer_id",), "orders": _PURCHASES,
    },
    "04_bi_questions": {
        "customers": ("customer_id", "segment", "region"), "orders": (*_PURCHASES, "channel", "status"),
        "tickets": ("ticket_id", "customer_id", "created_at"),
        "shipments": ("shipment_id", "order_id", "carrier", "promised_date", "delivered_date"),
        "invoices": ("invoice_id", "customer_id", "due_date", "amount_cents"),
        "payments": ("payment_id", "invoice_id", "paid_date", "amount_cents"),
    },
    "05_rfm": {"orders": _PURCHASES},
    # 06-08 run on purchases alone; their other parts (behaviour features, retention by channel,
    # the churn model) each print one "Skipped: ..." line when their tables are absent.
    "06_clusters": {"orders": _PURCHASES},
    "07_cohorts": {"orders": _PURCHASES},
    "08_clv_churn": {"orders": _PURCHASES},
    "09_experiments": {
        "campaigns": ("campaign_id", "is_experiment", "starts_on", "ends_on"),
        "campaign_contacts": ("campaign_id", "customer_id", "group", "responded"),
        "customers": ("customer_id", "consent_email", "region", "segment"),
    },
    "10_service": {
        "tickets": (*_BAD_SERVICE, "channel", "priority", "resolved_at", "agent_id"),
        "customers": ("customer_id", "region"), "reps": ("rep_id",),
    },
    "11_pipeline": {
        "opportunities": ("opportunity_id", "customer_id", "rep_id", "created_at", "amount_cents", "stage",
                          "closed_at"),
        "opportunity_stages": ("opportunity_id", "stage", "entered_at"), "reps": ("rep_id", "team", "region"),
    },
    "12_cross_selling": {
        "orders": ("order_id", "customer_id"), "order_lines": ("order_id", "product_id"),
        "products": ("product_id", "category_id"), "categories": ("category_id", "name"),
    },
    "13_capstone": {"orders": _PURCHASES},
}


def missing_for(lesson: str, available: Mapping[str, Iterable[str]]) -> list[str]:
    """The ``table.column`` names ``lesson`` needs that ``available`` lacks (empty: it can run).

    Parameters
    ----------
    lesson : str
        A key of :data:`LESSON_NEEDS`, e.g. ``"05_rfm"``.
    available : dict
        Table name -> the columns loaded (only tables that loaded without a problem).

    Examples
    --------
    >>> missing_for("05_rfm", {"orders": ["customer_id", "ordered_at", "total_cents"]})
    []
    >>> missing_for("12_cross_selling", {"orders": ["customer_id"]})[:3]
    ['orders.order_id', 'order_lines.order_id', 'order_lines.product_id']
    """
    if lesson not in LESSON_NEEDS:
        raise ValueError(f"The value for `lesson` must be one of {sorted(LESSON_NEEDS)}, but {lesson!r} was passed.")
    have = {table: set(columns) for table, columns in available.items()}
    return [f"{table}.{c}" for table, columns in LESSON_NEEDS[lesson].items() for c in columns
            if c not in have.get(table, ())]


def lesson_verdicts(available: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """For every lesson, what the export lacks for it: ``{lesson: [table.column, ...]}`` (empty: can run).

    Examples
    --------
    >>> v = lesson_verdicts({"orders": ["customer_id", "ordered_at", "total_cents"]})
    >>> v["05_rfm"], v["10_service"][:2]
    ([], ['tickets.ticket_id', 'tickets.customer_id'])
    """
    available = {table: list(columns) for table, columns in available.items()}
    return {lesson: missing_for(lesson, available) for lesson in LESSON_NEEDS}



#: The lessons that analyse customers one by one: segments, clusters, cohorts, lifetime value, the capstone.
PER_CUSTOMER = ("05_rfm", "06_clusters", "07_cohorts", "08_clv_churn", "13_capstone")

#: The fewest distinct customers with a purchase that the lessons of :data:`PER_CUSTOMER` accept.
#: Why 50: RFM ranks the customers into five scores on each axis and names the cells of a 5 x 5
#: grid, k-means compares up to nine clusters and reports their shares in whole percent. With 50
#: customers a score holds 10 of them and one customer moves a share by 2 points; with fewer, a
#: "segment" is a handful of people (call them) and the BG/NBD model's four parameters rest on a
#: handful of histories. What it is there to catch is far below it: a till that books every sale to
#: one guest account (1 customer) or to a few staff or store accounts.
MIN_CUSTOMERS = 50


def customer_problem(orders: pd.DataFrame, purchase_statuses: Sequence[str] | None = None) -> str:
    """Why ``orders`` cannot feed the lessons that analyse customers one by one ("" when it can).

    Parameters
    ----------
    orders : DataFrame
        The orders as loaded, with ``customer_id`` (and ``status``, when the export has it).
    purchase_statuses : sequence of str, optional
        The statuses that count as a purchase; ignored when ``orders`` has no ``status``
        (then every order is a purchase).

    Returns
    -------
    str
        One line: the lessons concerned, what the export holds, and what to do; empty when
        the purchases belong to at least :data:`MIN_CUSTOMERS` customers (or ``customer_id``
        is absent, which :func:`missing_for` reports).

    Examples
    --------
    >>> till = pd.DataFrame({"customer_id": [0, 0, 0]})
    >>> print(customer_problem(till))  # doctest: +ELLIPSIS
    Lessons 05_rfm, 06_clusters, 07_cohorts, 08_clv_churn and 13_capstone analyse customers one by one \
and need the purchases of at least 50 distinct customers, but this export's 3 purchases all belong to one \
customer (customer_id 0, like a till's guest account). Map ...
    >>> customer_problem(pd.DataFrame({"customer_id": range(50)}))
    ''
    """
    if "customer_id" not in orders:
        return ""
    purchases = orders
    if "status" in orders and purchase_statuses is not None:
        purchases = orders[orders["status"].isin(list(purchase_statuses))]
    buyers = purchases["customer_id"].value_counts()
    if len(buyers) >= MIN_CUSTOMERS:
        return ""
    lessons = f"Lessons {', '.join(PER_CUSTOMER[:-1])} and {PER_CUSTOMER[-1]}"
    need = f"{lessons} analyse customers one by one and need the purchases of at least {MIN_CUSTOMERS} distinct " \
           "customers"  # fmt: skip
    if buyers.empty:
        statuses = f", none with a purchase status ({', '.join(purchase_statuses)})" if purchases is not orders else ""
        return (f"{need}, but this export has no purchases: {len(orders):,} orders{statuses}. Check the orders file, "
                "`as_of` and `purchase_statuses` in the mapping, then run `crmlab check` on it.")
    first = buyers.index[0].item() if hasattr(buyers.index[0], "item") else buyers.index[0]  # 0, not np.int64(0)
    if len(buyers) == 1:
        found = f"all belong to one customer (customer_id {first!r}, like a till's guest account)"
    else:
        found = f"belong to {len(buyers)} customers (customer_id {first!r} holds {buyers.iloc[0] / len(purchases):.0%})"
    return (f"{need}, but this export's {len(purchases):,} purchases {found}. Map the column that identifies each "
            "buyer (an account or loyalty card number) to orders.customer_id and run `crmlab check` on the export "
            "again; sales without customers can be followed on the KPI dashboard "
            "(`crmlab dashboard kpi --mapping FILE`).")
