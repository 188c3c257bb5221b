"""Service and call-centre KPIs: response and resolution times, the SLA, satisfaction, first-contact resolution.

The one home of ticket measures: lesson 04's support table (:func:`crmlab.analysis.bi.support_quality`)
and KPI dashboard are built from these functions. With ``by``, every KPI is computed per group of
one or more columns of ``tickets``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from crmlab.analysis.kpis.measures import HOUR, aggregate, floats, hours_between
from crmlab.conventions import COURSE
from crmlab.validation import choice, require_table

# ------------------------------------------------------------------ service and call centre

_TICKET_TIMES = ["created_at", "first_response_at", "resolved_at"]


def response_time(tickets: pd.DataFrame, *, by: str | Sequence[str] | None = None) -> float | pd.DataFrame:
    """Median hours from a ticket's creation to the first answer (the *service* goal).

    Tickets not answered yet do not count. The median, not the mean: a few tickets that
    wait for days would drag a mean far above what a typical customer sees.

    Parameters
    ----------
    tickets : DataFrame
        The ``tickets`` table.
    by : str or list of str, optional
        Columns of ``tickets`` (e.g. ``"channel"``): one median per group.

    Returns
    -------
    float or DataFrame
        Hours; with ``by``, a table indexed by ``by`` with ``response_time`` and ``n``.

    Examples
    --------
    >>> t = pd.DataFrame({
    ...     "created_at": pd.to_datetime(["2025-01-01 08:00", "2025-01-01 09:00", "2025-01-02 10:00"], utc=True),
    ...     "first_response_at": pd.to_datetime(["2025-01-01 09:00", "2025-01-01 12:00", None], utc=True),
    ...     "resolved_at": pd.to_datetime(["2025-01-01 10:00", "2025-01-02 09:00", None], utc=True),
    ...     "channel": ["web", "mail", "web"]})
    >>> response_time(t)
    2.0
    >>> response_time(t, by="channel")
             response_time  n
    channel
    mail               3.0  1
    web                1.0  1
    """
    t = require_table(tickets, "tickets", _TICKET_TIMES)
    return aggregate(hours_between(t["first_response_at"], t["created_at"]), t, by, "median", "response_time")


def resolution_time(tickets: pd.DataFrame, *, by: str | Sequence[str] | None = None) -> float | pd.DataFrame:
    """Median hours from a ticket's creation to its solution (the *service* goal); open tickets do not count.

    Parameters
    ----------
    tickets : DataFrame
        The ``tickets`` table.
    by : str or list of str, optional
        Columns of ``tickets``: one median per group.

    Returns
    -------
    float or DataFrame
        Hours; with ``by``, a table indexed by ``by`` with ``resolution_time`` and ``n``.

    Examples
    --------
    >>> t = pd.DataFrame({
    ...     "created_at": pd.to_datetime(["2025-01-01 08:00", "2025-01-01 09:00"], utc=True),
    ...     "first_response_at": pd.to_datetime(["2025-01-01 09:00", "2025-01-01 12:00"], utc=True),
    ...     "resolved_at": pd.to_datetime(["2025-01-01 10:00", None], utc=True)})
    >>> resolution_time(t)
    2.0
    """
    t = require_table(tickets, "tickets", _TICKET_TIMES)
    return aggregate(hours_between(t["resolved_at"], t["created_at"]), t, by, "median", "resolution_time")


def ticket_sla(tickets: pd.DataFrame, as_of: pd.Timestamp = COURSE.end) -> pd.DataFrame:
    """Whether each ticket breached its SLA: first response later than ``sla_hours`` after opening.

    A ticket with no response yet breached when its deadline passed before ``as_of``;
    while the deadline is still ahead its outcome is unknown (``<NA>``). A ticket that
    is answered but not yet *resolved* is not a breach: the SLA is about the first answer.

    Parameters
    ----------
    tickets : DataFrame
        The ``tickets`` table.
    as_of : Timestamp
        The end of the export, tz-aware (default :data:`EXPORT_END`, 2025-12-31 20:30 UTC).

    Returns
    -------
    DataFrame
        Indexed by ``ticket_id``: ``response_hours`` (NaN without a response),
        ``deadline`` and ``sla_breached`` (boolean, ``<NA>`` when not known yet).

    Examples
    --------
    >>> t = pd.DataFrame({
    ...     "ticket_id": [1, 2, 3, 4],
    ...     "created_at": pd.to_datetime(["2025-12-01 08:00", "2025-12-01 08:00",
    ...                                   "2025-12-30 08:00", "2025-12-31 18:00"], utc=True),
    ...     "first_response_at": pd.to_datetime(["2025-12-01 10:00", "2025-12-02 08:00", None, None], utc=True),
    ...     "sla_hours": [4, 8, 24, 24]})
    >>> ticket_sla(t)[["response_hours", "sla_breached"]]
               response_hours  sla_breached
    ticket_id
    1                     2.0         False
    2                    24.0          True
    3                     NaN          True
    4                     NaN          <NA>
    """
    t = require_table(tickets, "tickets", ["ticket_id", "created_at", "first_response_at", "sla_hours"])
    deadline = t["created_at"] + t["sla_hours"].astype("int64") * HOUR
    answered = t["first_response_at"].notna()
    late = t["first_response_at"].where(answered, as_of) > deadline
    known = answered | (deadline < as_of)
    return pd.DataFrame({
        "response_hours": hours_between(t["first_response_at"], t["created_at"]),
        "deadline": deadline,
        "sla_breached": pd.array(late.where(known, None), dtype="boolean"),
    }).set_axis(t["ticket_id"]).rename_axis("ticket_id")  # fmt: skip


def sla_breach_rate(
    tickets: pd.DataFrame, *, by: str | Sequence[str] | None = None, as_of: pd.Timestamp = COURSE.end
) -> float | pd.DataFrame:
    """Share of tickets whose first answer came later than their SLA allows (the *service* goal).

    A ratio of sums over the tickets whose outcome is known at ``as_of`` (see
    :func:`ticket_sla`): a ticket still within its deadline is neither on time nor late yet.

    Parameters
    ----------
    tickets : DataFrame
        The ``tickets`` table.
    by : str or list of str, optional
        Columns of ``tickets``: one share per group.
    as_of : Timestamp
        The end of the export (see :func:`ticket_sla`).

    Returns
    -------
    float or DataFrame
        A share between 0 and 1; with ``by``, a table indexed by ``by`` with ``sla_breach_rate`` and ``n``.

    Examples
    --------
    >>> t = pd.DataFrame({
    ...     "ticket_id": [1, 2, 3], "channel": ["web", "web", "mail"],
    ...     "created_at": pd.to_datetime(["2025-12-01 08:00", "2025-12-01 08:00", "2025-12-31 18:00"], utc=True),
    ...     "first_response_at": pd.to_datetime(["2025-12-01 10:00", "2025-12-02 08:00", None], utc=True),
    ...     "sla_hours": [4, 8, 24]})
    >>> sla_breach_rate(t)
    0.5
    >>> sla_breach_rate(t, by="channel")
             sla_breach_rate  n
    channel
    web                  0.5  2
    """
    t = require_table(tickets, "tickets", ["ticket_id"])
    breached = pd.Series(floats(ticket_sla(t, as_of=as_of)["sla_breached"]), index=t.index)
    return aggregate(breached, t, by, "mean", "sla_breach_rate")


def satisfaction(tickets: pd.DataFrame, *, by: str | Sequence[str] | None = None) -> float | pd.DataFrame:
    """Mean survey score, 1 (bad) to 5 (good), of the tickets whose survey was answered (*service*).

    Parameters
    ----------
    tickets : DataFrame
        The ``tickets`` table.
    by : str or list of str, optional
        Columns of ``tickets``: one mean per group.

    Returns
    -------
    float or DataFrame
        The mean score; with ``by``, a table indexed by ``by`` with ``satisfaction`` and ``n``.

    Examples
    --------
    >>> t = pd.DataFrame({"satisfaction": pd.array([5, None, 2], dtype="Int8")})
    >>> satisfaction(t)
    3.5
    """
    t = require_table(tickets, "tickets", ["satisfaction"])
    return aggregate(t["satisfaction"], t, by, "mean", "satisfaction")


def _channel_tickets(tickets: pd.DataFrame, channel: str | None) -> pd.DataFrame:
    if channel is None:
        return tickets
    choice("channel", channel, sorted(tickets["channel"].dropna().unique()))
    return tickets[tickets["channel"] == channel]


def first_contact_resolution(
    tickets: pd.DataFrame, *, channel: str | None = None, by: str | Sequence[str] | None = None
) -> float | pd.DataFrame:
    """Share of resolved tickets solved at the first contact (``contacts_to_resolve == 1``).

    The call-centre efficiency goal: every extra contact costs an agent's time and the
    customer's patience. Open tickets have no ``contacts_to_resolve`` yet and are left
    out: they are neither a success nor a failure so far.

    Parameters
    ----------
    tickets : DataFrame
        The ``tickets`` table.
    channel : str, optional
        Keep only the tickets of this channel, e.g. ``"call_centre"``.
    by : str or list of str, optional
        Columns of ``tickets``: one share per group.

    Returns
    -------
    float or DataFrame
        A share between 0 and 1; with ``by``, a table with ``first_contact_resolution`` and ``n``.

    Examples
    --------
    >>> t = pd.DataFrame({"channel": ["call_centre"] * 4 + ["web"],
    ...                   "contacts_to_resolve": pd.array([1, 2, 1, None, 3], dtype="Int16")})
    >>> first_contact_resolution(t)
    0.5
    >>> round(first_contact_resolution(t, channel="call_centre"), 3)
    0.667
    """
    t = _channel_tickets(require_table(tickets, "tickets", ["channel", "contacts_to_resolve"]), channel)
    contacts = t["contacts_to_resolve"].astype("float64")
    return aggregate((contacts == 1).astype("float64").where(contacts.notna()), t, by, "mean",
                      "first_contact_resolution")  # fmt: skip


def answer_to_solution_time(
    tickets: pd.DataFrame, *, channel: str | None = None, by: str | Sequence[str] | None = None
) -> float | pd.DataFrame:
    """Median **lead time** in hours from the first answer to the solution of resolved tickets.

    Calendar time a case stays open once the agents have answered it: nights, weekends and
    days spent waiting for the customer or a spare part all count. It is *not* a handling
    time. The **average handling time** (AHT) of a call centre is the agent's working time on
    one contact, in seconds (talk, hold and wrap-up): what Erlang C needs (lesson 10's
    ``aht_seconds``). The CRM does not log it, and a lead time in hours cannot stand in for it.

    Parameters
    ----------
    tickets : DataFrame
        The ``tickets`` table.
    channel : str, optional
        Keep only the tickets of this channel, e.g. ``"call_centre"``.
    by : str or list of str, optional
        Columns of ``tickets``: one median per group.

    Returns
    -------
    float or DataFrame
        Hours; with ``by``, a table with ``answer_to_solution_time`` and ``n``.

    See Also
    --------
    response_time : hours from opening to the first answer.
    resolution_time : hours from opening to the solution (response time + this lead time).

    Examples
    --------
    A ticket answered at 09:00 and solved at 13:00 the same day: a lead time of 4 hours,
    however few minutes an agent spent on it.

    >>> t = pd.DataFrame({
    ...     "channel": ["call_centre", "web"],
    ...     "created_at": pd.to_datetime(["2025-01-01 08:00", "2025-01-01 09:00"], utc=True),
    ...     "first_response_at": pd.to_datetime(["2025-01-01 09:00", "2025-01-01 12:00"], utc=True),
    ...     "resolved_at": pd.to_datetime(["2025-01-01 13:00", "2025-01-02 12:00"], utc=True)})
    >>> answer_to_solution_time(t, channel="call_centre")
    4.0
    """
    t = _channel_tickets(require_table(tickets, "tickets", ["channel", *_TICKET_TIMES]), channel)
    return aggregate(hours_between(t["resolved_at"], t["first_response_at"]), t, by, "median",
                     "answer_to_solution_time")  # fmt: skip


def handling_time(
    tickets: pd.DataFrame, *, channel: str | None = None, by: str | Sequence[str] | None = None
) -> float | pd.DataFrame:
    """Old name of :func:`answer_to_solution_time`, kept so existing code runs; prefer the new name.

    The measure is a lead time in hours (first answer to solution), not a handling time: a call
    centre's average handling time (AHT) is an agent's seconds of work per call. With ``by``, the
    column is still called ``handling_time``.

    Examples
    --------
    >>> t = pd.DataFrame({
    ...     "channel": ["call_centre"],
    ...     "created_at": pd.to_datetime(["2025-01-01 08:00"], utc=True),
    ...     "first_response_at": pd.to_datetime(["2025-01-01 09:00"], utc=True),
    ...     "resolved_at": pd.to_datetime(["2025-01-01 13:00"], utc=True)})
    >>> handling_time(t) == answer_to_solution_time(t)
    True
    """
    out = answer_to_solution_time(tickets, channel=channel, by=by)
    if isinstance(out, pd.DataFrame):
        out = out.rename(columns={"answer_to_solution_time": "handling_time"})
    return out
