"""One row per customer of a campaign: the group, the response, and the customer's history.

:func:`campaign_frame` is where an experiment's analysis starts. It joins a campaign's
groups (:func:`campaign_groups`) with what the CRM knew about each customer on the
campaign's first day (:func:`customer_history`): pre-treatment covariates, measured before
anything the campaign could change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from crmlab.conventions import COURSE, Conventions
from crmlab.validation import choice, require_table

__all__ = ["campaign_frame", "campaign_groups", "customer_history"]

_CONTACT_COLUMNS = ("campaign_id", "customer_id", "group", "responded")
_ORDER_COLUMNS = ("customer_id", "ordered_at", "status", "total_cents")
_PROFILE = ("segment", "region", "consent_email", "consent_sms")


def campaign_groups(campaign_contacts: pd.DataFrame, campaign_id: int) -> pd.DataFrame:
    """The customers of one campaign, their group and whether they responded.

    Parameters
    ----------
    campaign_contacts : DataFrame
        The ``campaign_contacts`` table.
    campaign_id : int
        The campaign, e.g. 4 for the randomised spring mailing.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``: ``group`` (e.g. treatment / control) and
        ``responded`` (True/False).

    Examples
    --------
    >>> contacts = pd.DataFrame({"campaign_id": [4, 4, 3], "customer_id": [1, 2, 1],
    ...     "group": ["treatment", "control", "opted_in"], "responded": [True, False, False]})
    >>> campaign_groups(contacts, 4)
                     group  responded
    customer_id
    1            treatment       True
    2              control      False
    """
    require_table(campaign_contacts, "campaign_contacts", _CONTACT_COLUMNS)
    choice("campaign_id", campaign_id, sorted(int(i) for i in campaign_contacts["campaign_id"].unique()))
    rows = campaign_contacts[campaign_contacts["campaign_id"] == campaign_id]
    out = rows.set_index("customer_id")[["group", "responded"]]
    return out.astype({"responded": bool})


def customer_history(
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    as_of: str | pd.Timestamp,
    days: int = 365,
    recent_days: int = 60,
    statuses: Sequence[str] = COURSE.purchase_statuses,
    *,
    conventions: Conventions = COURSE,
) -> pd.DataFrame:
    """What each customer looked like on the day ``as_of``: pre-treatment covariates.

    Only orders placed *before* ``as_of`` (local calendar days) count, so nothing
    a campaign starting that day could change leaks in.

    Parameters
    ----------
    customers : DataFrame
        The ``customers`` table: ``customer_id``, ``signup_date`` and, when present,
        ``segment``, ``region``, ``consent_email``, ``consent_sms`` (kept as they are).
    orders : DataFrame
        The ``orders`` table.
    as_of : str or Timestamp
        The first day of the campaign (local date).
    days : int
        Length of the look-back window for ``orders_before`` and ``spend_before``.
    recent_days : int
        Length of the window for ``bought_recently``; give it the campaign window's
        length to get a *placebo outcome*, the same question asked before the campaign.
    statuses : sequence of str
        Order statuses that count as purchases.
    conventions : Conventions
        The company's conventions; days are local days on ``conventions.timezone``
        (default :data:`crmlab.conventions.COURSE`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``: the profile columns, ``tenure_days`` (days since
        sign-up), ``orders_before`` and ``spend_before`` (in the ``days`` before
        ``as_of``) and ``bought_recently`` (an order in the ``recent_days`` before).

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": [1, 2], "segment": ["consumer", "enterprise"],
    ...     "signup_date": pd.to_datetime(["2024-01-01", "2024-03-01"])})
    >>> orders = pd.DataFrame({"customer_id": [1, 1, 2],
    ...     "ordered_at": pd.to_datetime(["2024-02-01 08:00", "2024-03-20 08:00", "2024-04-02 08:00"], utc=True),
    ...     "status": ["completed"] * 3, "total_cents": [1_000_000, 2_500_000, 9_900_000]})  # whole rials
    >>> history = customer_history(customers, orders, "2024-04-01", recent_days=30)
    >>> history[["tenure_days", "orders_before", "spend_before", "bought_recently"]]
                 tenure_days  orders_before  spend_before  bought_recently
    customer_id
    1                     91              2     3500000.0             True
    2                     31              0           0.0            False
    """
    require_table(customers, "customers", ["customer_id", "signup_date"])
    require_table(orders, "orders", _ORDER_COLUMNS)
    as_of = pd.Timestamp(as_of)
    day = conventions.local_day(orders["ordered_at"])
    bought = orders["status"].isin(list(statuses)) & (day < as_of)
    window = orders[bought & (day >= as_of - pd.Timedelta(days=days))]
    recent = orders[bought & (day >= as_of - pd.Timedelta(days=recent_days))]
    keep = [c for c in _PROFILE if c in customers.columns]
    out = customers.set_index("customer_id")[keep].copy()
    out["tenure_days"] = (as_of - customers.set_index("customer_id")["signup_date"]).dt.days
    out["orders_before"] = window.groupby("customer_id").size().reindex(out.index, fill_value=0)
    spend = window.groupby("customer_id")["total_cents"].sum().reindex(out.index, fill_value=0)
    out["spend_before"] = conventions.major(spend)  # in the currency's major unit
    out["bought_recently"] = out.index.isin(recent["customer_id"])
    return out


def campaign_frame(crm: Mapping[str, pd.DataFrame], campaign_id: int, days: int = 365,
                   recent_days: int | None = None) -> pd.DataFrame:  # fmt: skip
    """A campaign's groups joined with each customer's history on the campaign's first day.

    Parameters
    ----------
    crm : CRM or dict of DataFrames
        Needs the tables ``campaigns``, ``campaign_contacts``, ``customers`` and ``orders``.
    campaign_id : int
        The campaign.
    days : int
        Look-back window of :func:`customer_history`.
    recent_days : int, optional
        Window of ``bought_recently``; by default the campaign's own length
        (``ends_on - starts_on``, both days counted), the window in which
        ``responded`` is measured.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id``: ``group``, ``responded`` and the columns of
        :func:`customer_history`.

    Examples
    --------
    >>> from crmlab.datasets import load_crm
    >>> crm = load_crm(tables=["campaigns", "campaign_contacts", "customers", "orders"])
    >>> frame = campaign_frame(crm, 4)
    >>> frame["group"].value_counts().to_dict()
    {'treatment': 930, 'control': 912}
    """
    tables = ["campaigns", "campaign_contacts", "customers", "orders"]
    missing = [t for t in tables if t not in crm] if isinstance(crm, Mapping) else tables
    if missing:
        raise ValueError(
            f"`crm` must hold the tables {tables}; {missing} are missing. "
            f"Load them with `crmlab.load_crm(tables={tables})`."
        )
    groups = campaign_groups(crm["campaign_contacts"], campaign_id)
    campaign = crm["campaigns"].set_index("campaign_id").loc[campaign_id]
    start = campaign["starts_on"]
    if recent_days is None:
        recent_days = (campaign["ends_on"] - start).days + 1
    conventions = getattr(crm, "conventions", None) or COURSE
    history = customer_history(crm["customers"], crm["orders"], start, days, recent_days, conventions=conventions)
    return groups.join(history, how="left")
