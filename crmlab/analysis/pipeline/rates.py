"""Win rate, the length of won deals' cycles, and pipeline velocity: how fast the pipeline turns into money."""

from __future__ import annotations

import pandas as pd

from crmlab.analysis.kpis.measures import DAY, ratio
from crmlab.conventions import COURSE
from crmlab.validation import require_table

from .snapshot import LOST, WON, _group_keys, as_of_instant, pipeline_as_of

_FIX = "Pass `crm.opportunities` or the result of `pipeline_as_of`."


def _deals(deals: object, columns: list[str]) -> pd.DataFrame:
    d = require_table(deals, "deals", columns, fix=_FIX)
    return d.set_index("opportunity_id") if "opportunity_id" in d.columns else d


def _by_group(values: pd.DataFrame, keys: list[str], how: dict) -> pd.DataFrame:
    """``values`` aggregated per group of ``keys``, or as one row called ``all`` when there are none."""
    if keys:
        return values.groupby(keys).agg(**how)
    return values.assign(_all="all").groupby("_all").agg(**how).rename_axis(None)


def win_rate(deals: pd.DataFrame, *, by: str | list[str] | None = None) -> float | pd.DataFrame:
    """Share of *closed* deals that were won: won / (won + lost).

    Open deals are left out: they have not been decided, and counting them as losses
    makes a young pipeline look like a bad one.

    Parameters
    ----------
    deals : DataFrame
        ``crm.opportunities`` (stages at the export) or :func:`pipeline_as_of` (stages on a date).
    by : str or list of str, optional
        Columns to group by, e.g. ``"rep_id"`` or ``"region"``.

    Returns
    -------
    float or DataFrame
        The share; with ``by``, a table of ``won``, ``lost``, ``open`` and ``win_rate``.

    Examples
    --------
    >>> d = pd.DataFrame({"rep_id": [1, 1, 1, 2], "stage": ["closed_won", "closed_lost", "proposal", "closed_won"]})
    >>> win_rate(d)
    0.6666666666666666
    >>> win_rate(d, by="rep_id")
            won  lost  open  win_rate
    rep_id
    1         1     1     1       0.5
    2         1     0     0       1.0
    """
    d = _deals(deals, ["stage"])
    keys = _group_keys(d, by)
    flags = pd.DataFrame({"won": d["stage"].eq(WON), "lost": d["stage"].eq(LOST)}, index=d.index)
    flags["open"] = ~(flags["won"] | flags["lost"])
    if not keys:
        closed = int(flags["won"].sum() + flags["lost"].sum())
        return float(flags["won"].sum() / closed) if closed else float("nan")
    counts = flags.astype("int64").groupby([d[k] for k in keys]).sum()
    return counts.assign(win_rate=ratio(counts["won"], counts["won"] + counts["lost"]))


def cycle_days(deals: pd.DataFrame) -> pd.DataFrame:
    """The won deals, each with its sales cycle: days from opening to winning.

    Lost deals are left out (a deal lost in a week is not a fast sale) and so are open
    ones (they have no end yet). For the median per group, see
    :func:`crmlab.analysis.kpis.sales_cycle_days`.

    Parameters
    ----------
    deals : DataFrame
        ``crm.opportunities`` or :func:`pipeline_as_of`.

    Returns
    -------
    DataFrame
        The won deals, indexed by ``opportunity_id``, with a ``cycle_days`` column.

    Examples
    --------
    >>> d = pd.DataFrame({"opportunity_id": [1, 2], "stage": ["closed_won", "closed_lost"],
    ...                   "created_at": pd.to_datetime(["2025-01-01", "2025-01-01"], utc=True),
    ...                   "closed_at": pd.to_datetime(["2025-01-31", "2025-01-03"], utc=True)})
    >>> cycle_days(d)["cycle_days"]
    opportunity_id
    1    30.0
    Name: cycle_days, dtype: float64
    """
    d = _deals(deals, ["stage", "created_at", "closed_at"])
    won = d[d["stage"].eq(WON)]
    return won.assign(cycle_days=(won["closed_at"] - won["created_at"]) / DAY)


def pipeline_velocity(
    opportunities: pd.DataFrame,
    opportunity_stages: pd.DataFrame,
    as_of: object,
    *,
    by: str | list[str] | None = None,
    lookback_days: int | None = 365,
    tz: str = COURSE.timezone,
    minor_unit: int = COURSE.minor_unit,
) -> pd.DataFrame:
    """Pipeline velocity on ``as_of``: the money the open pipeline is expected to bring in per day.

    ``velocity = open deals x average deal value x win rate / average cycle length``

    The first two factors are the open pipeline's value on ``as_of`` (open deals and their
    mean ``amount_cents``); the win rate and the mean cycle of won deals come from the deals
    closed in the ``lookback_days`` before ``as_of``. More deals, bigger deals, a higher win
    rate or a shorter cycle each speed the pipeline up by the same proportion.

    Parameters
    ----------
    opportunities, opportunity_stages : DataFrame
        The CRM tables; ``opportunities`` may carry columns to group by (:func:`label_deals`).
    as_of : str, date or Timestamp
        The moment; only the stage history known then is used.
    by : str or list of str, optional
        Columns to group by, e.g. ``"rep_id"`` or ``"region"``; None for the whole pipeline.
    lookback_days : int or None
        Window of closed deals for the win rate and the cycle; None for all known history.
    tz : str, optional
        The company's time zone, for a date given without one (default ``COURSE.timezone``).
    minor_unit : int, optional
        Digits after the decimal point of ``amount_cents`` in the company's currency: money
        comes out in major units, ``amount_cents / 10**minor_unit`` (default
        ``COURSE.minor_unit``, 0: whole rials; 2 for cents).

    Returns
    -------
    DataFrame
        One row per group (or one row ``all``): ``open_deals``, ``avg_value``,
        ``pipeline_value``, ``closed_deals``, ``win_rate``, ``cycle_days`` and
        ``velocity_per_day``.

    Examples
    --------
    >>> o = pd.DataFrame({"opportunity_id": [1, 2, 3, 4], "amount_cents": [100_000_000, 300_000_000,
    ...                                                                    200_000_000, 900_000_000],  # rials
    ...                   "created_at": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-08-01",
    ...                                                 "2025-09-01"], utc=True)})
    >>> h = pd.DataFrame({"opportunity_id": [1, 1, 2, 2, 3, 4],
    ...                   "stage": ["prospecting", "closed_won", "prospecting", "closed_lost",
    ...                             "prospecting", "proposal"],
    ...                   "entered_at": pd.to_datetime(["2025-01-01", "2025-02-10", "2025-02-01",
    ...                                                 "2025-03-01", "2025-08-01", "2025-09-01"], utc=True)})
    >>> v = pipeline_velocity(o, h, "2025-10-01")
    >>> v[["open_deals", "avg_value", "win_rate", "cycle_days", "velocity_per_day"]]
         open_deals    avg_value  win_rate  cycle_days  velocity_per_day
    all           2  550000000.0       0.5        40.0        13750000.0
    """
    deals = pipeline_as_of(opportunities, opportunity_stages, as_of, tz=tz)
    keys = _group_keys(deals, by)
    closed = deals[deals["closed_at"].notna()]
    if lookback_days is not None:
        closed = closed[closed["closed_at"] >= as_of_instant(as_of, tz=tz) - pd.Timedelta(days=lookback_days)]
    open_ = _by_group(deals[deals["is_open"]], keys, {"open_deals": ("amount_cents", "size"),
                                                       "pipeline_value": ("amount_cents", "sum")})  # fmt: skip
    rates = _by_group(closed.assign(w=closed["stage"].eq(WON)), keys,
                      {"closed_deals": ("w", "size"), "win_rate": ("w", "mean")})  # fmt: skip
    cycle = _by_group(cycle_days(closed), keys, {"cycle_days": ("cycle_days", "mean")})
    out = pd.concat([open_, rates, cycle], axis=1).sort_index()
    counts = ["open_deals", "pipeline_value", "closed_deals"]
    out[counts] = out[counts].fillna(0).astype("int64")
    out["pipeline_value"] = out["pipeline_value"] / 10**minor_unit
    out.insert(1, "avg_value", ratio(out["pipeline_value"], out["open_deals"]))
    out["velocity_per_day"] = out["pipeline_value"] * out["win_rate"] / out["cycle_days"]
    return out
