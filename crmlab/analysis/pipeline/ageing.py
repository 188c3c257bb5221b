"""Ageing deals and where deals stall: time in each stage, deals stuck too long, the weakest step per group."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from crmlab.analysis import kpis
from crmlab.analysis.kpis.measures import DAY, FUNNEL
from crmlab.conventions import COURSE
from crmlab.validation import require_table

from .snapshot import CLOSED, _group_keys, history_as_of, pipeline_as_of


def _check_quantile(quantile: float) -> None:
    if not isinstance(quantile, (int, float)) or not 0 < quantile < 1:
        raise ValueError(f"The value for `quantile` must be a share between 0 and 1 (e.g. 0.8 for the "
                         f"80th percentile), but {quantile!r} was passed.")  # fmt: skip


def stage_durations(
    opportunity_stages: pd.DataFrame, as_of: object = None, *, closed_only: bool = True, tz: str = COURSE.timezone
) -> pd.DataFrame:
    """Days each deal spent in each stage it has left, from the history known at ``as_of``.

    Parameters
    ----------
    opportunity_stages : DataFrame
        The ``opportunity_stages`` table.
    as_of : str, date or Timestamp, optional
        Use only the history entered before this moment; None for all of it.
    closed_only : bool
        Keep only deals that were closed (won or lost) by ``as_of``: their whole path is known.
    tz : str, optional
        The company's time zone, for a date given without one (default ``COURSE.timezone``).

    Returns
    -------
    DataFrame
        ``opportunity_id``, ``stage``, ``entered_at`` and ``days`` (to the next entry).

    Examples
    --------
    >>> h = pd.DataFrame({"opportunity_id": [1, 1, 1, 2, 2],
    ...                   "stage": ["prospecting", "proposal", "closed_won", "prospecting", "proposal"],
    ...                   "entered_at": pd.to_datetime(["2025-01-01", "2025-01-11", "2025-01-15",
    ...                                                 "2025-01-01", "2025-01-03"], utc=True)})
    >>> stage_durations(h)
       opportunity_id        stage                entered_at  days
    0               1  prospecting 2025-01-01 00:00:00+00:00  10.0
    1               1     proposal 2025-01-11 00:00:00+00:00   4.0
    """
    h = history_as_of(opportunity_stages, as_of, tz=tz) if as_of is not None else (
        require_table(opportunity_stages, "opportunity_stages", ["opportunity_id", "stage", "entered_at"])
        .sort_values(["opportunity_id", "entered_at"], kind="stable"))  # fmt: skip
    nxt = h.groupby("opportunity_id")["entered_at"].shift(-1)
    out = h[["opportunity_id", "stage", "entered_at"]].assign(days=(nxt - h["entered_at"]) / DAY)
    out = out[out["days"].notna() & ~out["stage"].isin(CLOSED)]
    if closed_only:
        out = out[out["opportunity_id"].isin(h.loc[h["stage"].isin(CLOSED), "opportunity_id"])]
    return out.reset_index(drop=True)


def stage_limits(durations: pd.DataFrame, *, quantile: float = 0.8, funnel: Sequence[str] = FUNNEL) -> pd.DataFrame:
    """The typical time in each stage (median) and the limit beyond which a deal counts as stuck.

    Parameters
    ----------
    durations : DataFrame
        The result of :func:`stage_durations` (closed deals).
    quantile : float
        The share of past deals that had left the stage by the limit: 0.8 flags a deal that
        has sat longer than four in five past deals did.
    funnel : sequence of str
        The stages in order.

    Returns
    -------
    DataFrame
        Indexed by ``stage`` (open stages of ``funnel``): ``deals``, ``median_days``, ``limit_days``.

    Examples
    --------
    >>> d = pd.DataFrame({"stage": ["proposal"] * 5, "days": [1.0, 2.0, 3.0, 4.0, 5.0]})
    >>> stage_limits(d, funnel=["proposal", "closed_won"])
              deals  median_days  limit_days
    stage
    proposal      5          3.0         4.2
    """
    _check_quantile(quantile)
    d = require_table(durations, "durations", ["stage", "days"], fix="Pass the result of `stage_durations`.")
    out = d.groupby("stage")["days"].agg(deals="size", median_days="median",
                                         limit_days=lambda s: s.quantile(quantile))  # fmt: skip
    out = out.reindex(list(funnel)[:-1]).rename_axis("stage")
    out["deals"] = out["deals"].fillna(0).astype("int64")
    return out


def ageing_deals(
    opportunities: pd.DataFrame, opportunity_stages: pd.DataFrame, as_of: object, *, quantile: float = 0.8,
    tz: str = COURSE.timezone,
) -> pd.DataFrame:
    """The open deals on ``as_of``, how long each has sat in its stage, and whether it is stuck.

    A deal is *stuck* when it has been in its stage longer than ``quantile`` of the deals
    closed by ``as_of`` spent in that stage (:func:`stage_limits`). Everything comes from the
    history known at ``as_of``: the stage then, the days since entering it, the limits.

    Parameters
    ----------
    opportunities, opportunity_stages : DataFrame
        The CRM tables (``opportunities`` may carry extra columns, e.g. ``region``).
    as_of : str, date or Timestamp
        The moment.
    quantile : float
        See :func:`stage_limits`.
    tz : str, optional
        The company's time zone, for a date given without one (default ``COURSE.timezone``).

    Returns
    -------
    DataFrame
        The open deals, indexed by ``opportunity_id``: the columns of :func:`pipeline_as_of`,
        ``median_days``, ``limit_days``, ``days_over`` (days in stage minus the limit) and
        ``is_stuck``; the most overdue first.

    Examples
    --------
    >>> o = pd.DataFrame({"opportunity_id": [1, 2, 3], "amount_cents": [100, 100, 100],
    ...                   "created_at": pd.to_datetime(["2025-01-01", "2025-09-25", "2025-06-01"], utc=True)})
    >>> h = pd.DataFrame({"opportunity_id": [1, 1, 2, 3],
    ...                   "stage": ["prospecting", "closed_lost", "prospecting", "prospecting"],
    ...                   "entered_at": pd.to_datetime(["2025-01-01", "2025-01-11", "2025-09-25",
    ...                                                 "2025-06-01"], utc=True)})
    >>> ageing_deals(o, h, "2025-10-01")[["stage", "limit_days", "is_stuck"]]
                          stage  limit_days  is_stuck
    opportunity_id
    3               prospecting        10.0      True
    2               prospecting        10.0     False
    """
    limits = stage_limits(stage_durations(opportunity_stages, as_of), quantile=quantile)
    deals = pipeline_as_of(opportunities, opportunity_stages, as_of, tz=tz)
    deals = deals[deals["is_open"]].join(limits[["median_days", "limit_days"]], on="stage")
    deals = deals.assign(days_over=deals["days_in_stage"] - deals["limit_days"])
    deals = deals.assign(is_stuck=deals["days_over"] > 0)
    return deals.sort_values("days_over", ascending=False, kind="stable")


def funnel_by(
    opportunity_stages: pd.DataFrame, deals: pd.DataFrame, by: str | list[str], *, as_of: object = None,
    tz: str = COURSE.timezone,
) -> pd.DataFrame:
    """Stage-to-stage conversion and days per stage (:func:`crmlab.analysis.kpis.funnel_conversion`), per group.

    Parameters
    ----------
    opportunity_stages : DataFrame
        The ``opportunity_stages`` table.
    deals : DataFrame
        Deals with ``opportunity_id`` and the ``by`` columns (:func:`label_deals`).
    by : str or list of str
        E.g. ``"region"``, ``"team"`` or ``"rep_id"``.
    as_of : str, date or Timestamp, optional
        Use only the history entered before this moment; None for all of it.
    tz : str, optional
        The company's time zone, for a date given without one (default ``COURSE.timezone``).

    Returns
    -------
    DataFrame
        Indexed by the ``by`` columns and ``stage``: the columns of ``funnel_conversion``.

    Examples
    --------
    >>> h = pd.DataFrame({"opportunity_id": [1, 1, 2, 2], "stage": ["negotiation", "closed_won", "negotiation",
    ...                   "closed_lost"], "entered_at": pd.to_datetime(["2025-01-01", "2025-01-05",
    ...                   "2025-01-01", "2025-01-03"], utc=True)})
    >>> deals = pd.DataFrame({"opportunity_id": [1, 2], "region": ["West", "East"]})
    >>> funnel_by(h, deals, "region")["conversion"].dropna()
    region  stage
    East    negotiation    0.0
    West    negotiation    1.0
    Name: conversion, dtype: float64
    """
    d = require_table(deals, "deals", ["opportunity_id"], fix="Pass the deals with their labels (`label_deals`).")
    keys = _group_keys(d, by)
    h = history_as_of(opportunity_stages, as_of, tz=tz) if as_of is not None else opportunity_stages
    h = require_table(h, "opportunity_stages", ["opportunity_id", "stage", "entered_at"])
    h = h.merge(d[["opportunity_id", *keys]], on="opportunity_id", validate="many_to_one")
    parts = {name: kpis.funnel_conversion(group) for name, group in h.groupby(keys[0] if len(keys) == 1 else keys)}
    return pd.concat(parts, names=[*keys, "stage"])


def stall_points(funnel: pd.DataFrame, *, min_decided: int = 10) -> pd.DataFrame:
    """Where deals stall in each group: the stage that loses the most deals and the slowest stage.

    Parameters
    ----------
    funnel : DataFrame
        The result of :func:`funnel_by`.
    min_decided : int
        Stages with fewer decided deals in a group are not judged (too few to tell).

    Returns
    -------
    DataFrame
        One row per group: ``weakest_stage`` and its ``conversion``, ``slowest_stage`` and
        its ``median_days``.

    Examples
    --------
    >>> f = pd.DataFrame({"region": ["West"] * 2, "stage": ["proposal", "negotiation"],
    ...                   "decided": [40, 20], "conversion": [0.7, 0.5], "median_days": [15.0, 9.0]})
    >>> stall_points(f.set_index(["region", "stage"]))
           weakest_stage  conversion slowest_stage  median_days
    region
    West     negotiation         0.5      proposal         15.0
    """
    f = require_table(funnel, "funnel", ["decided", "conversion", "median_days"], fix="Pass the result of `funnel_by`.")
    f = f[f["decided"] >= min_decided].reset_index()
    keys = [name for name in funnel.index.names if name != "stage"]
    weak = f.loc[f.groupby(keys)["conversion"].idxmin()].set_index(keys)
    slow = f.loc[f.groupby(keys)["median_days"].idxmax()].set_index(keys)
    return pd.DataFrame({"weakest_stage": weak["stage"], "conversion": weak["conversion"],
                         "slowest_stage": slow["stage"], "median_days": slow["median_days"]})  # fmt: skip

