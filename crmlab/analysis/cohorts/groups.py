"""Retention compared between groups of customers: acquisition channel, channels used, service.

:func:`retention_by_group` pools the cohorts of each group into one retention curve;
:func:`channels_used` and :func:`bad_service_tickets` make the groups the planted churn
drivers call for; :func:`reorders_after` asks whether customers bought again after an
event such as a support ticket.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlab.analysis.kpis import ticket_sla  # the SLA rule of lessons 01 and 04, reused
from crmlab.conventions import COURSE, Conventions

from ._orders import ACTIVE_STATUSES, AGE, check_columns, prepare

__all__ = ["bad_service_tickets", "channels_used", "reorders_after", "retention_by_group"]


def retention_by_group(
    orders: pd.DataFrame,
    groups: pd.Series,
    *,
    customer: str = "customer_id",
    time: str = "ordered_at",
    status: str | None = "status",
    active: Sequence[str] = ACTIVE_STATUSES,
    tz: str = COURSE.timezone,
    end=None,
    max_age: int = 12,
    lapse_days: int | None = None,
    calendar: str | Conventions = "gregorian",
) -> pd.DataFrame:
    """One retention curve per group, every cohort of the group pooled.

    Two definitions of "retained k months after acquisition":

    * ``lapse_days=None``: active *in* month k (an order that calendar month), as in
      :func:`retention_matrix`;
    * ``lapse_days=N``: not lapsed *at* month k: an order within the N days before the
      day k months (k x 30.44 days) after the first order. Smoother, and it falls as
      customers leave for good, but no one can lapse before N days.

    At month k only the customers acquired at least k months before the end count (the
    others have not got there yet).

    Parameters
    ----------
    orders : DataFrame
        One row per order (or transaction).
    groups : Series
        The group of each customer, indexed by customer id (e.g.
        ``customers.set_index("customer_id")["acquisition_channel"]``). Customers
        without a group are left out. Its name names the output's group column.
    customer, time, status, active, tz, end
        As in :func:`retention_matrix`.
    max_age : int
        Last month since acquisition to compute.
    lapse_days : int, optional
        The lapse window, for the "not lapsed" definition.
    calendar : {"gregorian", "jalali"} or Conventions
        The calendar of the months of the "active in month k" definition (Jalali months
        from 1 Farvardin for ``"jalali"``); the "not lapsed" definition counts days.

    Returns
    -------
    DataFrame
        Tidy, one row per group and month: the group column, ``months_since_acquisition``,
        ``customers`` (who reached that month), ``active`` and ``retention`` (active / customers).

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": [1, 2, 1, 3],
    ...                        "ordered_at": pd.to_datetime(["2025-01-03", "2025-01-09", "2025-02-02", "2025-01-11"])})
    >>> groups = pd.Series(["web", "web", "store"], index=[1, 2, 3], name="channel")
    >>> retention_by_group(orders, groups, status=None, max_age=1)
      channel  months_since_acquisition  customers  active  retention
    0   store                         0          1       1        1.0
    1   store                         1          1       0        0.0
    2     web                         0          2       2        1.0
    3     web                         1          2       1        0.5
    >>> lapse = retention_by_group(orders, groups, status=None, max_age=2, lapse_days=45, end="2025-03-31")
    >>> lapse["retention"].tolist()
    [1.0, 1.0, 0.0, 1.0, 1.0, 0.5]
    """
    if not isinstance(groups, pd.Series):
        raise TypeError(f"The value for `groups` must be a Series of group labels indexed by customer id "
                        f"(e.g. `customers.set_index('customer_id')['acquisition_channel']`), but a "
                        f"{type(groups).__name__} was passed.")  # fmt: skip
    name = groups.name if groups.name is not None else "group"
    if name in ("customers", "active", "retention", AGE):
        raise ValueError(f"The Series passed as `groups` is named {name!r}, a column of the result: "
                         f"rename it, e.g. `groups.rename('segment')`.")  # fmt: skip
    prepared = prepare(orders, customer, time, None, status, active, tz, end, calendar)
    if lapse_days is None:
        cells = _monthly_cells(prepared, max_age)
    else:
        cells = _not_lapsed_cells(prepared, max_age, int(lapse_days))
    label = groups[~groups.index.duplicated()]
    cells["group"] = cells["customer"].map(label)
    cells = cells[cells["group"].notna()]
    out = cells.groupby(["group", "age"]).agg(customers=("active", "size"), active=("active", "sum"))
    out = out.rename_axis([name, AGE]).reset_index().astype({"customers": "int64", "active": "int64"})
    out["retention"] = out["active"] / out["customers"]
    return out


def _monthly_cells(prepared, max_age: int) -> pd.DataFrame:
    """One row per customer and month k they reached: ``active`` if they bought in month k."""
    months = prepared.frame[["customer", "month"]].drop_duplicates()
    cohort = months.groupby("customer")["month"].min()
    reach = (prepared.end_month - cohort).clip(upper=max_age).to_numpy()
    cells = pd.DataFrame({"customer": np.repeat(cohort.index.to_numpy(), reach + 1),
                          "age": np.concatenate([np.arange(r + 1) for r in reach])})  # fmt: skip
    bought = pd.DataFrame({"customer": months["customer"], "age": months["month"] - months["customer"].map(cohort)})
    cells = cells.merge(bought.assign(active=True), on=["customer", "age"], how="left")
    return cells.assign(active=cells["active"].notna())


def _not_lapsed_cells(prepared, max_age: int, lapse_days: int) -> pd.DataFrame:
    """One row per customer and month k they reached: ``active`` if they bought in the N days before."""
    days = prepared.frame[["customer", "day"]].drop_duplicates().astype({"day": "datetime64[s]"})
    first = days.groupby("customer")["day"].min()
    ages = np.arange(max_age + 1)
    cells = pd.DataFrame({"customer": np.repeat(first.index.to_numpy(), len(ages)),
                          "age": np.tile(ages, len(first))})  # fmt: skip
    offset = pd.to_timedelta(np.round(cells["age"].to_numpy() * 30.4375), unit="D")
    cells["at"] = (first.reindex(cells["customer"]).to_numpy() + offset).astype("datetime64[s]")
    cells = cells[cells["at"] <= prepared.end_day].sort_values("at", kind="stable")
    last = days.rename(columns={"day": "at"}).assign(last=lambda d: d["at"]).sort_values("at", kind="stable")
    cells = pd.merge_asof(cells, last, on="at", by="customer", direction="backward")
    cells["active"] = (cells["at"] - cells["last"]).dt.days <= lapse_days
    return cells[["customer", "age", "active"]]


def channels_used(
    orders: pd.DataFrame,
    interactions: pd.DataFrame | None = None,
    *,
    customer: str = "customer_id",
    channel: str = "channel",
    company_initiated: Sequence[str] = ("mailing",),
) -> pd.Series:
    """Through how many channels each customer reached the company themselves.

    Counts the distinct channels of a customer's orders and, if given, of their
    interactions, leaving out the touches the company starts on its own (mailings
    reach every consenting customer, whether or not they use mail).

    Parameters
    ----------
    orders : DataFrame
        One row per order, with the customer and channel columns.
    interactions : DataFrame, optional
        The CRM's ``interactions`` (needs ``interaction_type`` to leave mailings out).
    customer, channel : str
        Column names, the same in both tables.
    company_initiated : sequence of str
        Interaction types that do not count.

    Returns
    -------
    Series
        ``n_channels`` per customer id.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": [1, 1, 2], "channel": ["web", "web", "store"]})
    >>> i = pd.DataFrame({"customer_id": [2, 2], "channel": ["call_centre", "mail"],
    ...                   "interaction_type": ["call", "mailing"]})
    >>> channels_used(o, i).to_dict()
    {1: 1, 2: 2}
    """
    check_columns(orders, "orders", {"customer": customer, "channel": channel})
    touches = [orders[[customer, channel]]]
    if interactions is not None:
        check_columns(interactions, "interactions", {"customer": customer, "channel": channel})
        own = interactions
        if "interaction_type" in interactions.columns:
            own = interactions[~interactions["interaction_type"].isin(list(company_initiated))]
        touches.append(own[[customer, channel]])
    both = pd.concat(touches, ignore_index=True).dropna().drop_duplicates()
    return both.groupby(customer).size().rename("n_channels").astype("int64")


def bad_service_tickets(tickets: pd.DataFrame, as_of: pd.Timestamp = COURSE.end) -> pd.Series:
    """Whether each ticket was bad service: it breached its SLA or its survey scored 1-2.

    Parameters
    ----------
    tickets : DataFrame
        The CRM's ``tickets`` table.
    as_of : Timestamp
        The end of the export (tz-aware), for tickets still waiting for an answer.

    Returns
    -------
    Series
        ``bad_service`` (bool) per ``ticket_id``.

    Examples
    --------
    >>> t = pd.DataFrame({"ticket_id": [1, 2, 3],
    ...                   "created_at": pd.to_datetime(["2025-06-01 08:00"] * 3, utc=True),
    ...                   "first_response_at": pd.to_datetime(["2025-06-01 09:00", "2025-06-02 09:00",
    ...                                                        "2025-06-01 09:00"], utc=True),
    ...                   "sla_hours": [4, 4, 4], "satisfaction": pd.array([5, 4, 2], dtype="Int8")})
    >>> bad_service_tickets(t).tolist()
    [False, True, True]
    """
    check_columns(tickets, "tickets", {"satisfaction": "satisfaction"})
    breached = ticket_sla(tickets, as_of)["sla_breached"].fillna(False).to_numpy(dtype=bool)
    unhappy = tickets["satisfaction"].astype("Float64").le(2).fillna(False).to_numpy(dtype=bool)
    return pd.Series(breached | unhappy, index=tickets["ticket_id"].to_numpy(), name="bad_service").rename_axis(
        "ticket_id"
    )


def reorders_after(
    events: pd.DataFrame,
    orders: pd.DataFrame,
    days: int = 180,
    *,
    when: str = "created_at",
    customer: str = "customer_id",
    time: str = "ordered_at",
    status: str | None = "status",
    active: Sequence[str] = ACTIVE_STATUSES,
    end=COURSE.end,
    tz: str = COURSE.timezone,
) -> pd.Series:
    """Whether the customer bought again within ``days`` after each event (a ticket, a complaint...).

    Events closer than ``days`` to ``end`` get ``<NA>``: their answer is not known yet.

    Parameters
    ----------
    events : DataFrame
        One row per event, with the customer and ``when`` columns (e.g. ``crm.tickets``).
    orders : DataFrame
        One row per order.
    days : int
        How long to wait for the next order.
    when : str
        Column of ``events`` holding the event's time (same time zone handling as the orders').
    customer, time, status, active
        As in :func:`retention_matrix`.
    end : Timestamp
        The end of the observation (default: the end of the course's export).
    tz : str
        The company's time zone, to compare a naive ``end`` with aware times (and back).

    Returns
    -------
    Series
        ``reordered`` (nullable boolean), indexed like ``events``; ``<NA>`` when not known yet.

    Examples
    --------
    >>> t = pd.DataFrame({"customer_id": [1, 2, 1],
    ...                   "created_at": pd.to_datetime(["2025-01-10", "2025-01-20", "2025-11-01"])})
    >>> o = pd.DataFrame({"customer_id": [1, 2], "ordered_at": pd.to_datetime(["2025-03-01", "2025-12-01"])})
    >>> reorders_after(t, o, 180, status=None, end="2025-12-31").tolist()
    [True, False, <NA>]
    """
    check_columns(events, "events", {"customer": customer, "when": when})
    check_columns(orders, "orders", {"customer": customer, "time": time, "status": status})
    bought = orders if status is None else orders[orders[status].isin(list(active))]
    wait = pd.Timedelta(days=days)
    known = events[events[when] <= _like(end, events[when], tz) - wait]
    pairs = known[[customer, when]].reset_index(names="_event").merge(bought[[customer, time]], on=customer)
    hit = (pairs[time] > pairs[when]) & (pairs[time] <= pairs[when] + wait)
    out = pd.Series(pd.NA, index=events.index, name="reordered", dtype="boolean")
    out[known.index] = known.index.isin(pairs.loc[hit, "_event"])
    return out


def _like(end, values: pd.Series, tz: str) -> pd.Timestamp:
    """``end`` as a Timestamp comparable with ``values`` (aware or naive)."""
    stamp = pd.Timestamp(end)
    aware = getattr(values.dt, "tz", None) is not None
    if aware and stamp.tzinfo is None:
        return stamp.tz_localize(tz)
    if not aware and stamp.tzinfo is not None:
        return stamp.tz_convert(tz).tz_localize(None)
    return stamp
