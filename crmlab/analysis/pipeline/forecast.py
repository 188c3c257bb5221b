"""A simple forecast of the quarter's won revenue, as of a date, and its backtest on past quarters.

``forecast = weighted pipeline + run-rate baseline``

* the **weighted pipeline**: each deal open on ``as_of`` counts its amount times the chance
  that it is won *within the quarter*, given its stage and how long it has sat there
  (:func:`~crmlab.analysis.pipeline.timing.win_within`), learnt from the history known then.
  The older rule, amount times the chance that a deal in its stage is *ever* won
  (:func:`win_probability`, ``method="eventual"``), counts wins that come after the quarter
  and keeps stale deals at full weight: it overstates the quarter;
* the **run-rate baseline**: deals not opened yet will also be opened *and* won within the
  quarter; estimate them by what the last few quarters brought in that way (:func:`run_rate`).

Only history entered before ``as_of`` is used. :func:`backtest` then compares forecasts made on
past dates with what was actually won (:func:`won_between`), which is the only honest way to
know how far to trust the next one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from crmlab.analysis import kpis
from crmlab.analysis.kpis.measures import FUNNEL
from crmlab.conventions import COURSE

from .snapshot import WON, add_months, as_of_instant, history_as_of, pipeline_as_of
from .timing import win_within

METHODS = ("in_quarter", "eventual")


def _local_day(when: pd.Timestamp, tz: str) -> pd.Timestamp:
    """The local date and time of an instant (naive); kept as is, as the index of the forecasts."""
    return when.tz_convert(tz).tz_localize(None)


def win_probability(
    opportunity_stages: pd.DataFrame, as_of: object = None, *, funnel: Sequence[str] = FUNNEL, tz: str = COURSE.timezone
) -> pd.DataFrame:
    """The chance that a deal sitting in each stage is eventually won, from the history known at ``as_of``.

    The product of the stage-to-stage conversions from that stage on
    (:func:`crmlab.analysis.kpis.funnel_conversion`): a proposal is won if it reaches
    negotiation and then wins.

    Parameters
    ----------
    opportunity_stages : DataFrame
        The ``opportunity_stages`` table.
    as_of : str, date or Timestamp, optional
        Use only the history entered before this moment; None for all of it.
    funnel : sequence of str
        The stages in order; the last one is the win.
    tz : str, optional
        The company's time zone, for a date given without one (default ``COURSE.timezone``).

    Returns
    -------
    DataFrame
        Indexed by ``stage``: ``decided``, ``conversion`` (to the next stage) and ``win_probability``.

    Examples
    --------
    >>> h = pd.DataFrame({"opportunity_id": [1, 1, 1, 2, 2, 3, 3],
    ...                   "stage": ["prospecting", "proposal", "closed_won", "prospecting", "proposal",
    ...                             "prospecting", "closed_lost"],
    ...                   "entered_at": pd.to_datetime(["2025-01-01", "2025-01-05", "2025-01-09", "2025-01-01",
    ...                                                 "2025-01-06", "2025-01-01", "2025-01-02"], utc=True)})
    >>> win_probability(h, funnel=["prospecting", "proposal", "closed_won"]).round(3)
                 decided  conversion  win_probability
    stage
    prospecting        3       0.667            0.667
    proposal           1       1.000            1.000
    """
    history = history_as_of(opportunity_stages, as_of, tz=tz) if as_of is not None else opportunity_stages
    f = kpis.funnel_conversion(history, funnel=funnel)
    chance = f["conversion"].iloc[::-1].cumprod().iloc[::-1]
    return f[["decided", "conversion"]].assign(win_probability=chance)


def weighted_pipeline(
    opportunities: pd.DataFrame, opportunity_stages: pd.DataFrame, as_of: object, *, months: int | None = None,
    min_deals: int = 20, tz: str = COURSE.timezone, minor_unit: int = COURSE.minor_unit,
) -> pd.DataFrame:
    """The deals open on ``as_of``, each weighted by its chance of being won (within ``months``, if given).

    Without ``months``, the weight is the stage's eventual :func:`win_probability`. With
    ``months``, it is the chance of being won within that many months of ``as_of``, given the
    stage and the days in it (:func:`~crmlab.analysis.pipeline.timing.win_within`).

    Parameters
    ----------
    opportunities, opportunity_stages : DataFrame
        The CRM tables.
    as_of : str, date or Timestamp
        The moment.
    months : int, optional
        The period the wins must fall in (3 for a quarter); None for "ever".
    min_deals : int
        With ``months``: the fewest past deals a chance may rest on (see ``win_within``).
    tz : str, optional
        The company's time zone, for a date given without one (default ``COURSE.timezone``).
    minor_unit : int, optional
        Digits after the decimal point of ``amount_cents`` in the company's currency: money
        comes out in major units, ``amount_cents / 10**minor_unit`` (default
        ``COURSE.minor_unit``, 0: whole rials; 2 for cents).

    Returns
    -------
    DataFrame
        Indexed by ``opportunity_id``: ``stage``, ``amount``, ``win_probability`` (eventual);
        with ``months`` also ``days_in_stage`` and ``win_in_period``; and ``weighted_amount``
        (amount x the chance used); their sum is the weighted pipeline.

    Examples
    --------
    >>> import crmlab
    >>> crm = crmlab.load_crm(tables=["opportunities", "opportunity_stages"])
    >>> w = weighted_pipeline(crm.opportunities, crm.opportunity_stages, "2025-10-01")
    >>> len(w), round(float(w["weighted_amount"].sum()) / 1e9, 1)  # billion rials
    (54, 265.5)
    >>> w.groupby("stage")["win_probability"].first().round(3).sort_values().tolist()
    [0.16, 0.23, 0.359, 0.533]
    >>> q = weighted_pipeline(crm.opportunities, crm.opportunity_stages, "2025-10-01", months=3)
    >>> round(float(q["weighted_amount"].sum()) / 1e9, 1)
    267.9
    """
    when = as_of_instant(as_of, tz=tz)
    deals = pipeline_as_of(opportunities, opportunity_stages, when, tz=tz)
    chance = win_probability(opportunity_stages, when, tz=tz)["win_probability"]
    open_ = deals[deals["is_open"]]
    out = pd.DataFrame({"stage": open_["stage"], "amount": open_["amount_cents"] / 10**minor_unit,
                        "win_probability": open_["stage"].map(chance)})  # fmt: skip
    if months is None:
        return out.assign(weighted_amount=out["amount"] * out["win_probability"])
    horizon = (add_months(when, months, tz=tz) - when) / pd.Timedelta(days=1)
    timed = win_within(opportunity_stages, open_, when, horizon, min_deals=min_deals, tz=tz)
    out = out.assign(days_in_stage=open_["days_in_stage"], win_in_period=timed["win_within"].fillna(0.0))
    return out.assign(weighted_amount=out["amount"] * out["win_in_period"])


def run_rate(
    opportunities: pd.DataFrame, opportunity_stages: pd.DataFrame, as_of: object, *, quarters: int = 4,
    tz: str = COURSE.timezone, minor_unit: int = COURSE.minor_unit,
) -> pd.DataFrame:
    """Deals opened *and* won within each of the ``quarters`` quarters (3-month windows) before ``as_of``.

    Their mean is the run-rate baseline: the new business a quarter brings that is not in
    the pipeline at its start.

    Parameters
    ----------
    opportunities, opportunity_stages : DataFrame
        The CRM tables.
    as_of : str, date or Timestamp
        The moment; the windows end there.
    quarters : int
        How many past windows to average.
    tz : str, optional
        The company's time zone, for a date given without one (default ``COURSE.timezone``).
    minor_unit : int, optional
        Digits after the decimal point of ``amount_cents`` in the company's currency: money
        comes out in major units, ``amount_cents / 10**minor_unit`` (default
        ``COURSE.minor_unit``, 0: whole rials; 2 for cents).

    Returns
    -------
    DataFrame
        Indexed by ``quarter_start`` (local date), oldest first: ``won_deals``, ``won_amount``.

    Examples
    --------
    >>> o = pd.DataFrame({"opportunity_id": [1, 2], "amount_cents": [800_000_000, 500_000_000],  # whole rials
    ...                   "created_at": pd.to_datetime(["2025-08-01", "2025-06-25"], utc=True)})
    >>> h = pd.DataFrame({"opportunity_id": [1, 1, 2, 2],
    ...                   "stage": ["prospecting", "closed_won", "prospecting", "closed_won"],
    ...                   "entered_at": pd.to_datetime(["2025-08-01", "2025-09-01", "2025-06-25",
    ...                                                 "2025-07-05"], utc=True)})
    >>> run_rate(o, h, "2025-10-01", quarters=2)
                   won_deals   won_amount
    quarter_start
    2025-04-01             0          0.0
    2025-07-01             1  800000000.0
    """
    if not isinstance(quarters, int) or quarters < 1:
        raise ValueError(f"The value for `quarters` must be a whole number, at least 1, but {quarters!r} was passed.")
    when = as_of_instant(as_of, tz=tz)
    won = pipeline_as_of(opportunities, opportunity_stages, when, tz=tz)
    won = won[won["stage"].eq(WON)]
    rows = {}
    for back in range(quarters, 0, -1):
        start, end = add_months(when, -3 * back, tz=tz), add_months(when, -3 * (back - 1), tz=tz)
        inside = won[(won["created_at"] >= start) & (won["closed_at"] < end)]
        won_amount = inside["amount_cents"].sum() / 10**minor_unit
        rows[_local_day(start, tz)] = {"won_deals": len(inside), "won_amount": won_amount}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("quarter_start")


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"The value for `method` must be one of {list(METHODS)}, but {method!r} was passed.")


def forecast_quarter(
    opportunities: pd.DataFrame, opportunity_stages: pd.DataFrame, as_of: object, *, quarters: int = 4,
    method: str = "in_quarter", tz: str = COURSE.timezone, minor_unit: int = COURSE.minor_unit,
) -> pd.DataFrame:
    """Forecast the revenue won in the three months from ``as_of``: weighted pipeline plus run rate.

    Parameters
    ----------
    opportunities, opportunity_stages : DataFrame
        The CRM tables; only history entered before ``as_of`` is used.
    as_of : str, date or Timestamp
        The first day of the quarter, e.g. ``"2025-10-01"``.
    quarters : int
        Past quarters averaged for the run rate (:func:`run_rate`).
    method : {"in_quarter", "eventual"}
        How an open deal is weighted: its chance of being won *within the quarter* given its
        stage and age in it (the default), or its stage's chance of *ever* being won (the
        older rule, which overstates the quarter).
    tz : str, optional
        The company's time zone, for a date given without one (default ``COURSE.timezone``).
    minor_unit : int, optional
        Digits after the decimal point of ``amount_cents`` in the company's currency: money
        comes out in major units, ``amount_cents / 10**minor_unit`` (default
        ``COURSE.minor_unit``, 0: whole rials; 2 for cents).

    Returns
    -------
    DataFrame
        One row indexed by ``as_of`` (local date): ``open_deals``, ``pipeline_value``,
        ``weighted_pipeline``, ``run_rate``, ``forecast`` (the last two summed
        with the weighted pipeline) and ``expected_wins`` (deals).

    Examples
    --------
    >>> import crmlab
    >>> crm = crmlab.load_crm(tables=["opportunities", "opportunity_stages"])
    >>> f = forecast_quarter(crm.opportunities, crm.opportunity_stages, "2025-10-01")
    >>> f[["open_deals", "expected_wins"]].round().iloc[0].tolist()
    [54.0, 22.0]
    >>> (f[["pipeline_value", "weighted_pipeline", "run_rate", "forecast"]] / 1e9).round(1).T  # billion rials
    as_of              2025-10-01
    pipeline_value          892.3
    weighted_pipeline       267.9
    run_rate                111.8
    forecast                379.8
    """
    _check_method(method)
    when = as_of_instant(as_of, tz=tz)
    months = 3 if method == "in_quarter" else None
    weighted = weighted_pipeline(opportunities, opportunity_stages, when, months=months, tz=tz, minor_unit=minor_unit)
    chance = weighted["win_in_period"] if method == "in_quarter" else weighted["win_probability"]
    base = run_rate(opportunities, opportunity_stages, when, quarters=quarters, tz=tz, minor_unit=minor_unit).mean()
    row = {
        "open_deals": len(weighted),
        "pipeline_value": weighted["amount"].sum(),
        "weighted_pipeline": weighted["weighted_amount"].sum(),
        "run_rate": base["won_amount"],
        "forecast": weighted["weighted_amount"].sum() + base["won_amount"],
        "expected_wins": chance.sum() + base["won_deals"],
    }
    return pd.DataFrame(row, index=pd.Index([_local_day(when, tz)], name="as_of"))


def won_between(
    opportunities: pd.DataFrame, opportunity_stages: pd.DataFrame, start: object, end: object, *,
    tz: str = COURSE.timezone, minor_unit: int = COURSE.minor_unit,
) -> pd.DataFrame:
    """The deals actually won from ``start`` to ``end`` (the truth a forecast is judged by).

    This looks *after* ``start`` on purpose: use it to score a forecast, never to make one.

    Parameters
    ----------
    opportunities, opportunity_stages : DataFrame
        The CRM tables.
    start, end : str, date or Timestamp
        The period, ``start`` included, ``end`` excluded.
    tz : str, optional
        The company's time zone, for a date given without one (default ``COURSE.timezone``).
    minor_unit : int, optional
        Digits after the decimal point of ``amount_cents`` in the company's currency: money
        comes out in major units, ``amount_cents / 10**minor_unit`` (default
        ``COURSE.minor_unit``, 0: whole rials; 2 for cents).

    Returns
    -------
    DataFrame
        Indexed by ``opportunity_id``: ``closed_at``, ``amount`` and ``in_pipeline``
        (already open at ``start``).

    Examples
    --------
    >>> o = pd.DataFrame({"opportunity_id": [1, 2], "amount_cents": [800_000_000, 500_000_000],  # whole rials
    ...                   "created_at": pd.to_datetime(["2025-08-01", "2025-10-15"], utc=True)})
    >>> h = pd.DataFrame({"opportunity_id": [1, 1, 2, 2],
    ...                   "stage": ["prospecting", "closed_won", "prospecting", "closed_won"],
    ...                   "entered_at": pd.to_datetime(["2025-08-01", "2025-10-20", "2025-10-15",
    ...                                                 "2025-11-05"], utc=True)})
    >>> won_between(o, h, "2025-10-01", "2026-01-01")[["amount", "in_pipeline"]]
                         amount  in_pipeline
    opportunity_id
    1               800000000.0         True
    2               500000000.0        False
    """
    first, last = as_of_instant(start, tz=tz), as_of_instant(end, tz=tz)
    deals = pipeline_as_of(opportunities, opportunity_stages, last, tz=tz)
    won = deals[deals["stage"].eq(WON) & (deals["closed_at"] >= first)]
    return pd.DataFrame({"closed_at": won["closed_at"], "amount": won["amount_cents"] / 10**minor_unit,
                         "in_pipeline": won["created_at"] < first})  # fmt: skip


def backtest(
    opportunities: pd.DataFrame, opportunity_stages: pd.DataFrame, as_of: Iterable[object], *, quarters: int = 4,
    method: str = "in_quarter", tz: str = COURSE.timezone, minor_unit: int = COURSE.minor_unit,
) -> pd.DataFrame:
    """Forecasts made on past dates next to what was actually won in the three months after each.

    Parameters
    ----------
    opportunities, opportunity_stages : DataFrame
        The CRM tables.
    as_of : iterable of str, date or Timestamp
        The dates forecasts are made on (first days of quarters).
    quarters, method
        See :func:`forecast_quarter`.
    tz : str, optional
        The company's time zone, for a date given without one (default ``COURSE.timezone``).
    minor_unit : int, optional
        Digits after the decimal point of ``amount_cents`` in the company's currency: money
        comes out in major units, ``amount_cents / 10**minor_unit`` (default
        ``COURSE.minor_unit``, 0: whole rials; 2 for cents).

    Returns
    -------
    DataFrame
        Indexed by ``as_of``: the columns of :func:`forecast_quarter`, ``actual``,
        ``actual_wins``, ``actual_from_pipeline`` (won from deals already open on ``as_of``: what
        the weighted pipeline predicts), ``error`` (forecast minus actual) and ``error_pct`` (of the actual).

    Examples
    --------
    >>> import crmlab
    >>> crm = crmlab.load_crm(tables=["opportunities", "opportunity_stages"])
    >>> test = backtest(crm.opportunities, crm.opportunity_stages, ["2025-07-01", "2025-10-01"])
    >>> (test[["forecast", "actual"]] / 1e9).round(1).assign(error_pct=test["error_pct"].round(2))  # billion rials
                forecast  actual  error_pct
    as_of
    2025-07-01     270.6   134.9       1.01
    2025-10-01     379.8   423.6      -0.10
    """
    rows = []
    for date in as_of:
        when = as_of_instant(date, tz=tz)
        row = forecast_quarter(opportunities, opportunity_stages, when, quarters=quarters, method=method, tz=tz,
                               minor_unit=minor_unit)  # fmt: skip
        actual = won_between(opportunities, opportunity_stages, when, add_months(when, 3, tz=tz), tz=tz,
                             minor_unit=minor_unit)  # fmt: skip
        rows.append(row.assign(actual=actual["amount"].sum(), actual_wins=len(actual),
                               actual_from_pipeline=actual.loc[actual["in_pipeline"], "amount"].sum()))
    out = pd.concat(rows)
    out["error"] = out["forecast"] - out["actual"]
    out["error_pct"] = out["error"] / out["actual"]
    return out
