"""Alerts tied to response times: which open tickets breached their SLA, which are about to.

A rule-based monitor a support lead can run at any moment (``as_of``). A ticket is **waiting**
when it was opened before ``as_of`` and had no first answer by then (an answer that came later
does not count yet: this is what the desk saw at that moment). Its deadline is ``created_at``
plus ``sla_hours`` (the same rule as :func:`crmlab.analysis.kpis.ticket_sla`). A waiting ticket
is

* ``breached`` when ``as_of`` is past its deadline;
* ``at_risk`` when less than a share of its SLA is left (25% by default: 1 hour of an urgent
  ticket's 4, 6 hours of a normal ticket's 24), or less than a number of hours set per priority;
* ``on_track`` otherwise.

Instants are compared in UTC; ``as_of`` must carry its time zone, because the same clock
reading is 3.5 hours apart in Tehran and in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from crmlab.conventions import COURSE
from crmlab.validation import fraction, require_table, timestamp

__all__ = ["PRIORITIES", "STATUSES", "agents_with_breaches", "alert_counts", "alert_report", "response_alerts"]

#: Ticket priorities, most urgent first (``tickets.priority``).
PRIORITIES = ("urgent", "high", "normal", "low")
#: Alert statuses, most urgent first.
STATUSES = ("breached", "at_risk", "on_track")
_COLUMNS = ["ticket_id", "created_at", "first_response_at", "sla_hours", "priority", "channel", "agent_id"]
_HOUR = pd.Timedelta(hours=1)


def _at_risk_hours(tickets: pd.DataFrame, at_risk: float | Mapping[str, float]) -> pd.Series:
    """Hours left below which a ticket is at risk, per ticket."""
    if isinstance(at_risk, Mapping):
        missing = sorted(set(tickets["priority"]) - set(at_risk))
        if missing:
            raise ValueError(f"The value for `at_risk` must give hours for every priority; {missing} "
                             f"{'is' if len(missing) == 1 else 'are'} missing from {dict(at_risk)!r}.")  # fmt: skip
        return tickets["priority"].map(at_risk).astype("float64")
    return tickets["sla_hours"].astype("float64") * fraction("at_risk", at_risk, "0.8 for 80%")


def response_alerts(
    tickets: pd.DataFrame,
    as_of: pd.Timestamp | str,
    *,
    at_risk: float | Mapping[str, float] = 0.25,
    include_on_track: bool = False,
) -> pd.DataFrame:
    """The tickets waiting for a first answer at ``as_of`` that breached their SLA or are at risk.

    Parameters
    ----------
    tickets : DataFrame
        The ``tickets`` table (``ticket_id``, ``created_at``, ``first_response_at``, ``sla_hours``,
        ``priority``, ``channel``, ``agent_id``), instants tz-aware.
    as_of : Timestamp or str
        The moment the monitor runs, with its time zone, e.g.
        ``pd.Timestamp("2025-06-15 10:00", tz="Asia/Tehran")``; a naive time is refused.
    at_risk : float or mapping
        A share of the SLA (0.25: less than a quarter of the allowed hours left), or hours left
        per priority, e.g. ``{"urgent": 1, "high": 2, "normal": 4, "low": 8}``.
    include_on_track : bool
        Also list the waiting tickets that are on track.

    Returns
    -------
    DataFrame
        Indexed by ``ticket_id``, most urgent first (breached, then at risk; within each, by
        priority from urgent to low, then by least time left): ``status``, ``priority``,
        ``channel``, ``agent_id``, ``created_at``, ``deadline`` (UTC), ``waited_hours`` and
        ``hours_left`` (negative: hours overdue).

    Examples
    --------
    >>> t = pd.DataFrame({
    ...     "ticket_id": [1, 2, 3, 4],
    ...     "created_at": pd.to_datetime(["2025-06-15 05:00", "2025-06-15 00:00",
    ...                                   "2025-06-14 08:00", "2025-06-15 05:30"], utc=True),
    ...     "first_response_at": pd.to_datetime([None, None, "2025-06-14 09:00", None], utc=True),
    ...     "sla_hours": [4, 8, 24, 24], "priority": ["urgent", "high", "normal", "normal"],
    ...     "channel": ["web", "mail", "web", "mail"], "agent_id": [7, 8, 7, 9]})
    >>> as_of = pd.Timestamp("2025-06-15 10:00", tz="Asia/Tehran")  # 06:30 UTC
    >>> response_alerts(t, as_of)[["status", "priority", "waited_hours", "hours_left"]]
                 status priority  waited_hours  hours_left
    ticket_id
    2          at_risk     high           6.5         1.5
    """
    require_table(tickets, "tickets", _COLUMNS)
    now = timestamp("as_of", as_of)
    created = tickets["created_at"]
    if getattr(created.dt, "tz", None) is None:
        raise ValueError("The `created_at` column of `tickets` must be time-zone aware (the CRM stores UTC): "
                         "use `tickets['created_at'].dt.tz_localize('UTC')` if your export dropped the zone.")
    threshold = _at_risk_hours(tickets, at_risk)
    waiting = (created <= now) & ~(tickets["first_response_at"] <= now)
    t = tickets[waiting]
    deadline = t["created_at"] + t["sla_hours"].astype("int64") * _HOUR
    left = (deadline - now) / _HOUR
    status = np.select([now > deadline, left < threshold[waiting]], ["breached", "at_risk"], "on_track")
    out = pd.DataFrame({
        "status": status,
        "priority": t["priority"].to_numpy(),
        "channel": t["channel"].to_numpy(),
        "agent_id": t["agent_id"].to_numpy(),
        "created_at": t["created_at"].dt.tz_convert("UTC").array,
        "deadline": deadline.dt.tz_convert("UTC").array,
        "waited_hours": ((now - t["created_at"]) / _HOUR).to_numpy(),
        "hours_left": left.to_numpy(),
    }, index=pd.Index(t["ticket_id"].to_numpy(), name="ticket_id"))  # fmt: skip
    if not include_on_track:
        out = out[out["status"] != "on_track"]
    rank = {"status": {s: i for i, s in enumerate(STATUSES)}, "priority": {p: i for i, p in enumerate(PRIORITIES)}}
    order = pd.DataFrame({
        "status": out["status"].map(rank["status"]),
        "priority": out["priority"].map(rank["priority"]).fillna(len(PRIORITIES)),
        "left": out["hours_left"],
        "id": out.index,
    })  # fmt: skip
    return out.iloc[np.lexsort([order["id"], order["left"], order["priority"], order["status"]])]


def alert_counts(alerts: pd.DataFrame, by: str = "priority") -> pd.DataFrame:
    """How many tickets breached and how many are at risk, per priority or channel (or agent).

    Parameters
    ----------
    alerts : DataFrame
        The result of :func:`response_alerts`.
    by : str
        ``"priority"`` (rows from urgent to low), ``"channel"`` or ``"agent_id"``.

    Returns
    -------
    DataFrame
        Indexed by ``by``: ``breached`` and ``at_risk`` counts; every priority appears, with zeros.

    Examples
    --------
    >>> alerts = pd.DataFrame({"status": ["breached", "at_risk", "breached"],
    ...                        "priority": ["high", "urgent", "high"], "channel": ["web", "web", "mail"]})
    >>> alert_counts(alerts)
              breached  at_risk
    priority
    urgent           0        1
    high             2        0
    normal           0        0
    low              0        0
    """
    require_table(alerts, "alerts", ["status", by], fix="Pass the table returned by `response_alerts`.")
    table = pd.crosstab(alerts[by], alerts["status"]).reindex(columns=["breached", "at_risk"], fill_value=0)
    if by == "priority":
        extra = [p for p in table.index if p not in PRIORITIES]
        table = table.reindex([*PRIORITIES, *extra], fill_value=0)
    table.index.name, table.columns.name = by, None
    return table.astype("int64")


def agents_with_breaches(alerts: pd.DataFrame, reps: pd.DataFrame | None = None, n: int = 3) -> pd.DataFrame:
    """The agents with the most open breaches, and the longest their customers have been kept overdue.

    Parameters
    ----------
    alerts : DataFrame
        The result of :func:`response_alerts`.
    reps : DataFrame, optional
        The ``reps`` table, to add each agent's ``name``.
    n : int
        How many agents to list.

    Returns
    -------
    DataFrame
        Indexed by ``agent_id``, most breaches first (then the longest overdue):
        ``breached`` and ``max_overdue_hours``, and ``name`` when ``reps`` is given.

    Examples
    --------
    >>> alerts = pd.DataFrame({"status": ["breached", "breached", "at_risk", "breached"],
    ...                        "agent_id": [7, 8, 8, 7], "hours_left": [-2.0, -30.0, 1.0, -5.0]})
    >>> agents_with_breaches(alerts)
              breached  max_overdue_hours
    agent_id
    7                2                5.0
    8                1               30.0
    """
    require_table(alerts, "alerts", ["status", "agent_id", "hours_left"],
                  fix="Pass the table returned by `response_alerts`.")  # fmt: skip
    late = alerts[alerts["status"] == "breached"]
    table = late.groupby("agent_id").agg(breached=("status", "size"), max_overdue_hours=("hours_left", "min"))
    table["max_overdue_hours"] = -table["max_overdue_hours"]
    table = table.sort_values(["breached", "max_overdue_hours"], ascending=False, kind="stable").head(n)
    if reps is not None:
        require_table(reps, "reps", ["rep_id", "first_name", "last_name"])
        names = reps.set_index("rep_id")
        table["name"] = (names["first_name"] + " " + names["last_name"]).reindex(table.index).to_numpy()
    return table


def _top_table(alerts: pd.DataFrame, top: int, tz: str) -> pd.DataFrame:
    head = alerts.head(top)
    return pd.DataFrame({
        "status": head["status"].str.replace("_", " "),
        "priority": head["priority"],
        "channel": head["channel"],
        "agent": head["agent_id"],
        "opened (local)": head["created_at"].dt.tz_convert(tz).dt.strftime("%d %b %H:%M"),
        "waited h": head["waited_hours"].round(1),
        "left h": head["hours_left"].round(1),
    }, index=head.index)  # fmt: skip


def alert_report(
    tickets: pd.DataFrame,
    as_of: pd.Timestamp | str,
    *,
    at_risk: float | Mapping[str, float] = 0.25,
    top: int = 5,
    reps: pd.DataFrame | None = None,
    tz: str = COURSE.timezone,
    html: bool = False,
) -> str:
    """The message a support lead receives: what breached, what is at risk, what to act on first.

    Parameters
    ----------
    tickets : DataFrame
        The ``tickets`` table.
    as_of : Timestamp or str
        The moment of the report, tz-aware (see :func:`response_alerts`).
    at_risk : float or mapping
        The at-risk rule (see :func:`response_alerts`).
    top : int
        How many tickets to list under "act first", and agents under "agents".
    reps : DataFrame, optional
        The ``reps`` table, to name the agents.
    tz : str
        Time zone of the clock times shown.
    html : bool
        An HTML fragment (for an e-mail or a dashboard) instead of plain text.

    Returns
    -------
    str
        The report; the same inputs always give the same text.

    Examples
    --------
    >>> t = pd.DataFrame({
    ...     "ticket_id": [1, 2], "created_at": pd.to_datetime(["2025-06-15 00:00", "2025-06-14 00:00"], utc=True),
    ...     "first_response_at": pd.to_datetime([None, None], utc=True), "sla_hours": [8, 24],
    ...     "priority": ["high", "normal"], "channel": ["mail", "web"], "agent_id": [8, 9]})
    >>> print(alert_report(t, pd.Timestamp("2025-06-15 10:00", tz="Asia/Tehran")))  # doctest: +NORMALIZE_WHITESPACE
    Response-time alerts, 2025-06-15 10:00 (Asia/Tehran)
    2 tickets await a first answer: 1 breached the SLA, 1 at risk.
    <BLANKLINE>
    By priority
              breached  at_risk
    priority
    urgent           0        0
    high             0        1
    normal           1        0
    low              0        0
    <BLANKLINE>
    By channel
             breached  at_risk
    channel
    mail            0        1
    web             1        0
    <BLANKLINE>
    Act first
                 status priority channel  agent opened (local)  waited h  left h
    ticket_id
    2          breached   normal     web      9   14 Jun 03:30      30.5    -6.5
    1           at risk     high    mail      8   15 Jun 03:30       6.5     1.5
    <BLANKLINE>
    Agents with the most open breaches
              breached  max_overdue_hours
    agent_id
    9                1                6.5
    """
    now = timestamp("as_of", as_of)
    alerts = response_alerts(tickets, now, at_risk=at_risk, include_on_track=True)
    waiting = len(alerts)
    alerts = alerts[alerts["status"] != "on_track"]
    counts = alerts["status"].value_counts()
    title = f"Response-time alerts, {now.tz_convert(tz):%Y-%m-%d %H:%M} ({tz})"
    summary = (f"{waiting} ticket{'s' * (waiting != 1)} await{'s' * (waiting == 1)} a first answer: "
               f"{counts.get('breached', 0)} breached the SLA, {counts.get('at_risk', 0)} at risk.")  # fmt: skip
    if alerts.empty:
        sections = []
    else:
        sections = [
            ("By priority", alert_counts(alerts, "priority")),
            ("By channel", alert_counts(alerts, "channel")),
            ("Act first", _top_table(alerts, top, tz)),
            ("Agents with the most open breaches", agents_with_breaches(alerts, reps, n=top).round(1)),
        ]
    sections = [(name, table) for name, table in sections if not table.empty]  # no breach: no agent to name
    if html:
        body = "".join(f"<h4>{name}</h4>\n{table.to_html()}\n" for name, table in sections)
        return f"<h3>{title}</h3>\n<p>{summary}</p>\n{body}"
    body = "".join(f"\n{name}\n{table.to_string()}\n" for name, table in sections)
    return f"{title}\n{summary}\n{body}".rstrip("\n")
