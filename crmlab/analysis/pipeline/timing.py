"""The chance that an open deal is won *within a period*, given its stage and how long it has sat there.

A stage's eventual win probability (:func:`~crmlab.analysis.pipeline.win_probability`) answers
"will this deal ever be won?". A quarter's forecast needs "will it be won *before the quarter
ends*?": a deal that needs four more months counts for nothing this quarter, and a deal that
has sat in its stage far longer than the deals that went on to win is going stale.

The answer is counted from past deals, like a life table: of the deals that had sat in the
same stage at least as long as this one (and whose next ``horizon_days`` are fully known by
``as_of``), the share that were won within the next ``horizon_days``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.analysis.kpis.measures import DAY
from crmlab.conventions import COURSE

from .snapshot import CLOSED, WON, _like, as_of_instant, history_as_of

__all__ = ["stage_spells", "win_within"]


def stage_spells(opportunity_stages: pd.DataFrame, as_of: object, *, tz: str = COURSE.timezone) -> pd.DataFrame:
    """Every open-stage spell known at ``as_of``: when it began, how long it lasted, when the deal was won.

    Parameters
    ----------
    opportunity_stages : DataFrame
        The ``opportunity_stages`` table.
    as_of : str, date or Timestamp
        Only the history entered before this moment is used.
    tz : str, optional
        The company's time zone, for a date given without one (default ``COURSE.timezone``).

    Returns
    -------
    DataFrame
        ``opportunity_id``, ``stage``, ``entered_at``, ``stay_days`` (to the next entry, or to
        ``as_of`` for a deal still in the stage), ``known_days`` (from entering to ``as_of``) and
        ``won_after_days`` (from entering the stage to the win; empty if not won by ``as_of``).

    Examples
    --------
    >>> h = pd.DataFrame({"opportunity_id": [1, 1, 2],
    ...                   "stage": ["proposal", "closed_won", "proposal"],
    ...                   "entered_at": pd.to_datetime(["2025-01-01", "2025-01-11", "2025-01-21"], utc=True)})
    >>> stage_spells(h, pd.Timestamp("2025-01-31", tz="UTC"))[["opportunity_id", "stay_days", "won_after_days"]]
       opportunity_id  stay_days  won_after_days
    0               1       10.0            10.0
    1               2       10.0             NaN
    """
    when = as_of_instant(as_of, tz=tz)
    h = history_as_of(opportunity_stages, when, tz=tz).reset_index(drop=True)
    when = _like(when, h["entered_at"], tz)
    nxt = h.groupby("opportunity_id")["entered_at"].shift(-1).fillna(when)
    won_at = h[h["stage"].eq(WON)].groupby("opportunity_id")["entered_at"].min()
    spells = h[~h["stage"].isin(CLOSED)][["opportunity_id", "stage", "entered_at"]]
    nxt = nxt.loc[spells.index]
    return spells.assign(
        stay_days=(nxt - spells["entered_at"]) / DAY,
        known_days=(when - spells["entered_at"]) / DAY,
        won_after_days=(spells["opportunity_id"].map(won_at) - spells["entered_at"]) / DAY,
    ).reset_index(drop=True)


def _one(spells: pd.DataFrame, age: float, horizon: float, min_deals: int) -> tuple[float, float, int]:
    """(chance, age used, reference deals) for one deal of ``age`` days in the spells' stage."""
    # a past spell can speak for age a if the deal was still in the stage at a, and its
    # next `horizon` days after a are known: min(stay, known - horizon) >= a
    reach = np.minimum(spells["stay_days"].to_numpy(), spells["known_days"].to_numpy() - horizon)
    if not (reach >= 0).any():
        return float("nan"), float("nan"), 0
    ordered = np.sort(reach[reach >= 0])[::-1]
    used = min(age, ordered[min(min_deals, len(ordered)) - 1])  # older than all but a few: read at that age
    won_after = spells["won_after_days"].to_numpy()[reach >= used]
    won = (won_after >= used) & (won_after <= used + horizon)
    return float(won.mean()), float(used), int(won.size)


def win_within(
    opportunity_stages: pd.DataFrame, deals: pd.DataFrame, as_of: object, horizon_days: float, *,
    min_deals: int = 20, tz: str = COURSE.timezone,
) -> pd.DataFrame:
    """The chance that each open deal is won within ``horizon_days`` of ``as_of``, given its stage and age in it.

    For a deal that has sat ``a`` days in stage *s*, the reference deals are the past deals
    that also sat at least ``a`` days in *s* and whose following ``horizon_days`` are known
    by ``as_of``; the chance is the share of them won within those days. Stale deals decay on
    their own: few past deals that sat so long were won soon after. When fewer than
    ``min_deals`` past deals sat as long, the deal is read at the oldest age that still has
    ``min_deals`` of them (the column ``age_used``).

    Parameters
    ----------
    opportunity_stages : DataFrame
        The ``opportunity_stages`` table; only the history entered before ``as_of`` is used.
    deals : DataFrame
        The open deals, indexed by ``opportunity_id``, with ``stage`` and ``days_in_stage``
        (the open rows of :func:`~crmlab.analysis.pipeline.pipeline_as_of`).
    as_of : str, date or Timestamp
        The moment.
    horizon_days : float
        The period's length in days (a quarter from 1 October: 92).
    min_deals : int
        The fewest past deals a chance may rest on.
    tz : str, optional
        The company's time zone, for a date given without one (default ``COURSE.timezone``).

    Returns
    -------
    DataFrame
        Indexed like ``deals``: ``stage``, ``days_in_stage``, ``age_used``, ``reference_deals``
        and ``win_within`` (empty when the stage has no past deal to learn from).

    Examples
    --------
    Four past proposals, won 10, 20 and 200 days after entering it, and one lost; a
    proposal 15 days old on 1 July, with a 30-day horizon: of the three past proposals still
    open at 15 days (won at 20, won at 200, lost at 40), one was won within days 15 to 45.

    >>> t = lambda *d: pd.to_datetime(list(d), utc=True)
    >>> h = pd.DataFrame({"opportunity_id": [1, 1, 2, 2, 3, 3, 4, 4, 5],
    ...                   "stage": ["proposal", "closed_won"] * 3 + ["proposal", "closed_lost", "proposal"],
    ...                   "entered_at": t("2024-01-01", "2024-01-11", "2024-01-01", "2024-01-21",
    ...                                   "2024-01-01", "2024-07-19", "2024-01-01", "2024-02-10", "2025-06-16")})
    >>> open_ = pd.DataFrame({"stage": ["proposal"], "days_in_stage": [15.0]},
    ...                      index=pd.Index([5], name="opportunity_id"))
    >>> win_within(h, open_, pd.Timestamp("2025-07-01", tz="UTC"), 30, min_deals=2)
                       stage  days_in_stage  age_used  reference_deals  win_within
    opportunity_id
    5               proposal           15.0      15.0                3    0.333333
    """
    if not isinstance(min_deals, (int, np.integer)) or min_deals < 1:
        raise ValueError(f"The value for `min_deals` must be a whole number, at least 1, but {min_deals!r} was passed.")
    if not np.isfinite(horizon_days) or horizon_days <= 0:
        raise ValueError(f"The value for `horizon_days` must be a positive number of days, but {horizon_days!r} "
                         "was passed.")  # fmt: skip
    spells = stage_spells(opportunity_stages, as_of, tz=tz)
    by_stage = dict(tuple(spells.groupby("stage")))
    rows = [_one(by_stage[s], a, horizon_days, min_deals) if s in by_stage else (float("nan"), float("nan"), 0)
            for s, a in zip(deals["stage"], deals["days_in_stage"], strict=True)]  # fmt: skip
    out = pd.DataFrame(rows, index=deals.index, columns=["win_within", "age_used", "reference_deals"])
    return pd.concat([deals[["stage", "days_in_stage"]], out[["age_used", "reference_deals", "win_within"]]], axis=1)
