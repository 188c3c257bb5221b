"""The pipeline as it stood on a given date: each deal's stage then, from the stage history known then.

Every analysis of lesson 11 starts here. The ``opportunities`` table says where each deal
stands *now* (at the export); to ask what a manager could have known on 1 October, only the
``opportunity_stages`` entries made before that moment count. Using the current ``stage``
or later history is *leakage*: it lets the future answer a question about the past.
"""

from __future__ import annotations

import pandas as pd

from crmlab.analysis.kpis.measures import DAY, FUNNEL
from crmlab.conventions import COURSE
from crmlab.validation import choice, require_table

#: The stage a deal enters when it is won, and the one when it is lost.
WON, LOST = FUNNEL[-1], "closed_lost"
#: Stages that end a deal.
CLOSED = (WON, LOST)

_HISTORY = ["opportunity_id", "stage", "entered_at"]
_DEALS = ["opportunity_id", "created_at", "amount_cents"]


def as_of_instant(as_of: object, *, tz: str = COURSE.timezone) -> pd.Timestamp:
    """The moment ``as_of`` means, in UTC: a date without a time zone is midnight at its start, local time.

    Parameters
    ----------
    as_of : str, date or Timestamp
        E.g. ``"2025-10-01"`` (the start of 1 October in the company's time zone), or a
        Timestamp with a time zone.
    tz : str
        The company's time zone, for dates and times without one.

    Returns
    -------
    Timestamp
        In UTC.

    Examples
    --------
    >>> as_of_instant("2025-10-01")
    Timestamp('2025-09-30 20:30:00+0000', tz='UTC')
    """
    if isinstance(as_of, (pd.DataFrame, pd.Series)):
        raise TypeError("The value for `as_of` must be one date such as '2025-10-01', but a "
                        f"{type(as_of).__name__} was passed.")  # fmt: skip
    try:
        when = pd.Timestamp(as_of)
    except (TypeError, ValueError):
        when = pd.NaT
    if when is pd.NaT:
        raise ValueError(f"The value for `as_of` must be a date such as '2025-10-01', but {as_of!r} was passed.")
    return when.tz_localize(tz).tz_convert("UTC") if when.tzinfo is None else when.tz_convert("UTC")


def add_months(when: pd.Timestamp, months: int, *, tz: str = COURSE.timezone) -> pd.Timestamp:
    """``when`` moved by whole calendar ``months`` on the company's calendar (negative: back), in UTC.

    Examples
    --------
    >>> add_months(as_of_instant("2025-10-01"), 3) == as_of_instant("2026-01-01")
    True
    """
    return (when.tz_convert(tz) + pd.DateOffset(months=months)).tz_convert("UTC")


def _like(when: pd.Timestamp, instants: pd.Series, tz: str) -> pd.Timestamp:
    """``when`` comparable with ``instants``: naive local time when the column has no time zone."""
    return when if getattr(instants.dt, "tz", None) is not None else when.tz_convert(tz).tz_localize(None)


def history_as_of(opportunity_stages: pd.DataFrame, as_of: object, *, tz: str = COURSE.timezone) -> pd.DataFrame:
    """The stage history known at ``as_of``: the entries made before that moment, oldest first.

    Parameters
    ----------
    opportunity_stages : DataFrame
        The ``opportunity_stages`` table.
    as_of : str, date or Timestamp
        The moment, see :func:`as_of_instant`.
    tz : str, optional
        The company's time zone, for a date given without one (default ``COURSE.timezone``).

    Returns
    -------
    DataFrame
        The rows of ``opportunity_stages`` with ``entered_at`` before ``as_of``.

    Examples
    --------
    >>> h = pd.DataFrame({"opportunity_id": [1, 1], "stage": ["prospecting", "closed_lost"],
    ...                   "entered_at": pd.to_datetime(["2025-09-01", "2025-10-15"], utc=True)})
    >>> history_as_of(h, "2025-10-01")["stage"].tolist()
    ['prospecting']
    """
    h = require_table(opportunity_stages, "opportunity_stages", _HISTORY)
    known = h[h["entered_at"] < _like(as_of_instant(as_of, tz=tz), h["entered_at"], tz)]
    return known.sort_values(["opportunity_id", "entered_at"], kind="stable")


def pipeline_as_of(
    opportunities: pd.DataFrame, opportunity_stages: pd.DataFrame, as_of: object, *, tz: str = COURSE.timezone
) -> pd.DataFrame:
    """Every deal opened before ``as_of``, with its stage *at that moment*, from the history known then.

    The ``stage`` and ``closed_at`` columns of ``opportunities`` describe the deal at the
    export, so they are dropped and rebuilt from :func:`history_as_of`: a deal won in
    November was still open on 1 October.

    Parameters
    ----------
    opportunities : DataFrame
        The ``opportunities`` table, with any extra columns to keep (``region``, ``team`` ...).
    opportunity_stages : DataFrame
        The ``opportunity_stages`` table.
    as_of : str, date or Timestamp
        The moment, see :func:`as_of_instant`.
    tz : str, optional
        The company's time zone, for a date given without one (default ``COURSE.timezone``).

    Returns
    -------
    DataFrame
        Indexed by ``opportunity_id``: the columns of ``opportunities`` and ``stage`` (then),
        ``stage_entered_at``, ``is_open``, ``closed_at`` (empty while open) and
        ``days_in_stage`` (open deals: days from entering the stage to ``as_of``).

    Examples
    --------
    >>> o = pd.DataFrame({"opportunity_id": [1, 2], "amount_cents": [500_00, 900_00],
    ...                   "created_at": pd.to_datetime(["2025-09-01", "2025-09-20"], utc=True),
    ...                   "stage": ["closed_won", "closed_lost"]})
    >>> h = pd.DataFrame({"opportunity_id": [1, 1, 2, 2],
    ...                   "stage": ["prospecting", "closed_won", "prospecting", "closed_lost"],
    ...                   "entered_at": pd.to_datetime(["2025-09-01", "2025-10-15", "2025-09-20",
    ...                                                 "2025-09-25"], utc=True)})
    >>> pipeline_as_of(o, h, "2025-10-01")[["stage", "is_open", "days_in_stage"]].round(1)
                          stage  is_open  days_in_stage
    opportunity_id
    1               prospecting     True           29.9
    2               closed_lost    False            NaN
    """
    o = require_table(opportunities, "opportunities", _DEALS)
    when = as_of_instant(as_of, tz=tz)
    last = history_as_of(opportunity_stages, when, tz=tz).groupby("opportunity_id").tail(1).set_index("opportunity_id")
    deals = o[o["created_at"] < _like(when, o["created_at"], tz)]
    deals = deals.drop(columns=["stage", "closed_at"], errors="ignore").set_index("opportunity_id")
    stage = last["stage"].reindex(deals.index).fillna(FUNNEL[0])  # no history yet: the first stage
    entered = last["entered_at"].reindex(deals.index).fillna(deals["created_at"])
    closed = stage.isin(CLOSED)
    days = (_like(when, entered, tz) - entered) / DAY
    return deals.assign(stage=stage, stage_entered_at=entered, is_open=~closed,
                        closed_at=entered.where(closed), days_in_stage=days.where(~closed))  # fmt: skip


def label_deals(
    opportunities: pd.DataFrame, customers: pd.DataFrame | None = None, reps: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``opportunities`` with the customer's sales ``region`` and the rep's ``team``, to group deals by.

    Parameters
    ----------
    opportunities : DataFrame
        The ``opportunities`` table.
    customers : DataFrame, optional
        The ``customers`` table: adds ``region``, the customer's sales region.
    reps : DataFrame, optional
        The ``reps`` table: adds ``team`` (field_sales or inside_sales).

    Returns
    -------
    DataFrame
        One row per opportunity, in the same order.

    Examples
    --------
    >>> o = pd.DataFrame({"opportunity_id": [1], "customer_id": [7], "rep_id": [3]})
    >>> label_deals(o, pd.DataFrame({"customer_id": [7], "region": ["West"]}),
    ...             pd.DataFrame({"rep_id": [3], "team": ["field_sales"]}))
       opportunity_id  customer_id  rep_id region         team
    0               1            7       3   West  field_sales
    """
    out = require_table(opportunities, "opportunities", ["opportunity_id", "customer_id", "rep_id"])
    for table, name, key, column in [(customers, "customers", "customer_id", "region"),
                                     (reps, "reps", "rep_id", "team")]:  # fmt: skip
        if table is not None:
            labels = require_table(table, name, [key, column]).set_index(key)[column]
            out = out.drop(columns=[column], errors="ignore").assign(**{column: out[key].map(labels)})
    return out


def _group_keys(frame: pd.DataFrame, by: str | list[str] | None) -> list[str]:
    """The columns to group by, checked; ``[]`` for one group."""
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    for key in keys:
        choice("by", key, list(frame.columns))
    return keys
