"""B1, ask first: are reps using the CRM, is support working, where do deals get stuck?"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._checks import _DAY, _HOUR, EXPORT_END, FUNNEL, _as_list, _floats, _ratio, _require, _with_columns

# ------------------------------------------------------------------ B1: adoption


def rep_adoption(
    rep_activity: pd.DataFrame, reps: pd.DataFrame | None = None, *, recent_weeks: int = 26
) -> pd.DataFrame:
    """Data-entry completeness of each rep: the last ``recent_weeks`` weeks against the weeks before.

    Completeness is filled required fields / required fields (a ratio of sums over
    the weeks). A rep whose completeness drops is a rep who stops using the CRM.

    Parameters
    ----------
    rep_activity : DataFrame
        The ``rep_activity`` table (one row per rep and week).
    reps : DataFrame, optional
        The ``reps`` table, to add each rep's ``team`` and ``region``.
    recent_weeks : int
        Length of the recent window and of the window before it, ending with the last week.

    Returns
    -------
    DataFrame
        Indexed by ``rep_id``, sorted by ``change`` (largest drop first):
        ``completeness_prior``, ``completeness_recent``, ``change`` and
        ``records_per_week`` (recent window); ``team`` and ``region`` with ``reps``.

    Examples
    --------
    >>> act = pd.DataFrame({
    ...     "rep_id": [1, 1, 2, 2],
    ...     "week_start": pd.to_datetime(["2025-01-06", "2025-01-13"] * 2),
    ...     "records_entered": [10, 10, 5, 5],
    ...     "required_fields_total": [60, 60, 30, 30],
    ...     "required_fields_filled": [48, 18, 15, 21]})
    >>> rep_adoption(act, recent_weeks=1)
            completeness_prior  completeness_recent  change  records_per_week
    rep_id
    1                      0.8                  0.3    -0.5              10.0
    2                      0.5                  0.7     0.2               5.0
    """
    _require(rep_activity, ["rep_id", "week_start", "records_entered", "required_fields_total",
                            "required_fields_filled"], "rep_activity")  # fmt: skip
    if not isinstance(recent_weeks, (int, np.integer)) or recent_weeks < 1:
        raise ValueError(
            f"The value for `recent_weeks` must be a whole number of weeks >= 1, but {recent_weeks!r} was passed."
        )
    age = (rep_activity["week_start"].max() - rep_activity["week_start"]) // pd.Timedelta(weeks=1)
    prior, _ = _completeness(rep_activity[(age >= recent_weeks) & (age < 2 * recent_weeks)])
    recent, per_week = _completeness(rep_activity[age < recent_weeks])
    out = pd.DataFrame({"completeness_prior": prior, "completeness_recent": recent})
    out["change"] = out["completeness_recent"] - out["completeness_prior"]
    out["records_per_week"] = per_week
    if reps is not None:
        _require(reps, ["rep_id", "team", "region"], "reps")
        out = reps.set_index("rep_id")[["team", "region"]].join(out, how="right")
    return out.sort_values("change", kind="stable").rename_axis("rep_id")


def _completeness(activity: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per rep: filled / required fields (ratio of sums), and records entered per week."""
    by_rep = activity.groupby("rep_id")
    sums = by_rep[["required_fields_filled", "required_fields_total", "records_entered"]].sum()
    complete = _ratio(sums["required_fields_filled"], sums["required_fields_total"])
    return complete, _ratio(sums["records_entered"], by_rep.size())


# ------------------------------------------------------------------ B1: support quality


def ticket_sla(tickets: pd.DataFrame, as_of: pd.Timestamp = EXPORT_END) -> pd.DataFrame:
    """Whether each ticket breached its SLA: first response later than ``sla_hours`` after opening.

    A ticket with no response yet breached when its deadline passed before ``as_of``;
    while the deadline is still ahead its outcome is unknown (``<NA>``). A ticket that
    is answered but not yet *resolved* is not a breach: the SLA is about the first answer.

    Parameters
    ----------
    tickets : DataFrame
        The ``tickets`` table.
    as_of : Timestamp
        The end of the export, tz-aware (default: the course's export, 2025-12-31 20:30 UTC).

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
    _require(tickets, ["ticket_id", "created_at", "first_response_at", "sla_hours"], "tickets")
    deadline = tickets["created_at"] + tickets["sla_hours"].astype("int64") * _HOUR
    answered = tickets["first_response_at"].notna()
    late = tickets["first_response_at"].where(answered, as_of) > deadline
    known = answered | (deadline < as_of)
    return pd.DataFrame({
        "response_hours": (tickets["first_response_at"] - tickets["created_at"]) / _HOUR,
        "deadline": deadline,
        "sla_breached": pd.array(late.where(known, None), dtype="boolean"),
    }).set_axis(tickets["ticket_id"]).rename_axis("ticket_id")  # fmt: skip


def support_quality(
    tickets: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    by: str | Sequence[str] = "region",
    as_of: pd.Timestamp = EXPORT_END,
) -> pd.DataFrame:
    """Is support working? SLA breaches, satisfaction and first-contact resolution per group.

    Parameters
    ----------
    tickets : DataFrame
        The ``tickets`` table.
    customers : DataFrame, optional
        The ``customers`` table; needed to group by a customer column such as ``region``.
    by : str or list of str
        Columns of ``tickets`` (``channel``, ``priority``, ``topic`` ...) or of ``customers``.
    as_of : Timestamp
        The end of the export (see :func:`ticket_sla`).

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
    by = _as_list(by)
    _require(tickets, ["ticket_id", "customer_id", "satisfaction", "contacts_to_resolve"], "tickets")
    df = _with_columns(tickets, by, customers, "tickets")
    sla = ticket_sla(tickets, as_of)
    contacts = df["contacts_to_resolve"].astype("Float64")
    df = df.assign(
        _breach=_floats(sla["sla_breached"]),
        _response=sla["response_hours"].to_numpy(),
        _score=_floats(df["satisfaction"]),
        _unhappy=_floats(df["satisfaction"].astype("Float64").le(2)),
        _fcr=_floats(contacts.eq(1).where(contacts.notna())),
    )
    return df.groupby(by, sort=True).agg(
        tickets=("ticket_id", "size"),
        sla_breach_rate=("_breach", "mean"),
        satisfaction=("_score", "mean"),
        unhappy_rate=("_unhappy", "mean"),
        first_contact_resolution=("_fcr", "mean"),
        median_response_hours=("_response", "median"),
    )


# ------------------------------------------------------------------ B1: the funnel


def stage_conversion(opportunity_stages: pd.DataFrame, funnel: Sequence[str] = FUNNEL) -> pd.DataFrame:
    """Stage-to-stage conversion of the sales funnel and the time deals spend in each stage.

    Of the deals that have *left* a stage (moved on, or were lost), the share that
    entered the next one. Deals still sitting in a stage at the export are not
    counted as lost: they are ``entered`` but not ``decided``.

    Parameters
    ----------
    opportunity_stages : DataFrame
        The ``opportunity_stages`` table (one row per stage a deal entered).
    funnel : sequence of str
        The stages in order; the last one is the goal (``closed_won``).

    Returns
    -------
    DataFrame
        Indexed by ``stage`` (every stage of ``funnel`` but the last): ``next_stage``,
        ``entered``, ``decided`` (left the stage), ``advanced`` (entered ``next_stage``),
        ``conversion`` = advanced / decided, and ``median_days`` in the stage (decided deals).

    Examples
    --------
    >>> h = pd.DataFrame({
    ...     "opportunity_id": [1, 1, 1, 2, 2, 3],
    ...     "stage": ["prospecting", "qualification", "closed_lost", "prospecting", "closed_lost",
    ...               "prospecting"],
    ...     "entered_at": pd.to_datetime(["2025-01-01", "2025-01-05", "2025-01-08", "2025-01-01",
    ...                                   "2025-01-03", "2025-02-01"], utc=True)})
    >>> funnel = stage_conversion(h, funnel=["prospecting", "qualification", "closed_won"])
    >>> funnel[["entered", "decided", "advanced", "conversion", "median_days"]]
                   entered  decided  advanced  conversion  median_days
    stage
    prospecting          3        2         1         0.5          3.0
    qualification        1        1         0         0.0          3.0
    """
    _require(opportunity_stages, ["opportunity_id", "stage", "entered_at"], "opportunity_stages")
    funnel = list(funnel)
    if len(funnel) < 2:
        raise ValueError(f"`funnel` needs at least two stages in order, but {funnel!r} was passed.")
    moves = opportunity_stages.sort_values(["opportunity_id", "entered_at"], kind="stable")
    following = moves.groupby("opportunity_id")[["stage", "entered_at"]].shift(-1)
    moves = moves.assign(
        next_seen=following["stage"],
        days=(following["entered_at"] - moves["entered_at"]) / _DAY,
        next_stage=moves["stage"].map(dict(zip(funnel[:-1], funnel[1:], strict=True))),
    )
    moves = moves[moves["stage"].isin(funnel[:-1])]
    moves = moves.assign(decided=moves["next_seen"].notna(), advanced=moves["next_seen"] == moves["next_stage"])
    out = moves.groupby("stage").agg(
        entered=("opportunity_id", "size"),
        decided=("decided", "sum"),
        advanced=("advanced", "sum"),
        median_days=("days", "median"),
    )
    out = out.reindex(funnel[:-1], fill_value=0).rename_axis("stage")
    out.insert(0, "next_stage", funnel[1:])
    out.insert(4, "conversion", _ratio(out["advanced"], out["decided"]))
    return out.astype({"entered": "int64", "decided": "int64", "advanced": "int64"})


