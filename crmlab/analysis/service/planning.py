"""Plan for the busy days, not the average one: staffing to a quantile of the calls, and how often a plan holds.

The calls in one half-hour differ from week to week. A plan sized for the *mean* Monday 10:00
is short of agents on every Monday busier than the mean: about half of them. Sized for the
90th percentile of past Mondays, it is short on about one Monday in ten. :func:`planned_calls`
gives the calls to plan for in each period of the week (the mean or a quantile of past days),
:func:`plan_outcomes` replays a plan on real days (the service level each day's calls get from
the agents planned), and :func:`compare_plans` puts plans side by side: agent-hours per week
against the share of half-hours that meet the target.

**Calls handled are not demand.** Staffing needs the calls *offered* (handled + abandoned):
a caller who hangs up in the queue is missing from a count of calls handled, and hang-ups are
most frequent exactly when the centre was short of agents, so a handled count flattens the peaks
a plan must cover. When the abandoned calls are not recorded, :func:`offered_calls` scales the
handled calls by an assumed abandonment share (state it next to the plan).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlab.validation import numbers, require_table

from .erlang import service_level, traffic_erlangs
from .staffing import agents_needed

__all__ = ["compare_plans", "offered_calls", "plan_outcomes", "planned_calls"]

_KEYS = ["weekday", "period"]
_FIX = "Pass `calls_per_period(load_bank_calls())`: one row per day and period with `weekday`, `period` and `calls`."


def _how(how: str | float) -> str | float:
    if isinstance(how, str) and how in ("mean", "median"):
        return how
    if isinstance(how, (int, float)) and not isinstance(how, bool) and 0 < how < 1:
        return float(how)
    raise ValueError(f"The value for `how` must be 'mean', 'median' or a quantile strictly between 0 and 1 "
                     f"(0.9 for the 90th percentile), but {how!r} was passed.")  # fmt: skip


def _label(how: str | float) -> str:
    return how if isinstance(how, str) else f"q{round(100 * how):g}"


def planned_calls(per_period: pd.DataFrame, how: str | float = "mean") -> pd.Series:
    """The calls to plan for in each weekday and period: the mean or a quantile of past days.

    Parameters
    ----------
    per_period : DataFrame
        One row per day and period with ``weekday``, ``period`` and ``calls``, as returned by
        :func:`~crmlab.analysis.service.calls_per_period`.
    how : str or float
        ``"mean"`` (the average day: about half the days are busier), ``"median"``, or a
        quantile strictly between 0 and 1: with ``0.9`` about one day in ten is busier than the plan.

    Returns
    -------
    Series
        Calls, indexed by ``weekday`` and ``period``.

    Examples
    --------
    >>> days = pd.DataFrame({"weekday": ["Monday"] * 5, "period": ["10:00"] * 5,
    ...                      "calls": [100, 110, 120, 130, 200]})
    >>> planned_calls(days)
    weekday  period
    Monday   10:00     132.0
    Name: calls, dtype: float64
    >>> planned_calls(days, how=0.9).item()  # numpy's linear interpolation between 130 and 200
    172.0
    """
    days = require_table(per_period, "per_period", [*_KEYS, "calls"], fix=_FIX)
    how = _how(how)
    grouped = days.groupby(_KEYS, sort=False)["calls"]
    out = grouped.agg(how) if isinstance(how, str) else grouped.quantile(how)
    return out.astype("float64").rename("calls")


def plan_outcomes(
    per_period: pd.DataFrame,
    agents: pd.Series,
    *,
    period_minutes: float = 30,
    aht_seconds: float = 240,
    target_seconds: float = 20,
    level: float = 0.8,
) -> pd.DataFrame:
    """Replay a staffing plan on real days: the service level each day's calls get from the agents planned.

    Each day and period, the calls that actually came are turned into traffic and given the
    agents the plan put on the phones for that weekday and period; Erlang C gives the service
    level they reach (0 when the traffic is at or above the agents). Within a period the calls
    are taken to arrive at a steady rate, as in the plan itself.

    Parameters
    ----------
    per_period : DataFrame
        The days to replay: ``weekday``, ``period`` and ``calls`` (see
        :func:`~crmlab.analysis.service.calls_per_period`).
    agents : Series
        Agents on the phones, indexed by ``weekday`` and ``period`` (any order), e.g. the
        ``agents`` column of :func:`~crmlab.analysis.service.staffing_table`.
    period_minutes, aht_seconds, target_seconds : float
        As in :func:`~crmlab.analysis.service.staffing_table`.
    level : float
        The service level to reach, e.g. 0.8 for 80% answered within ``target_seconds``.

    Returns
    -------
    DataFrame
        ``per_period`` with ``agents``, ``service_level`` and ``met`` (``service_level >= level``);
        periods the plan does not cover get no agents and a service level of 0.

    Examples
    --------
    A plan of 14 agents (enough for 100 calls of 3 minutes in a half-hour) on a quiet and a busy Monday:

    >>> days = pd.DataFrame({"weekday": ["Monday", "Monday"], "period": ["10:00", "10:00"],
    ...                      "calls": [100, 120]})
    >>> plan = pd.Series([14], index=pd.MultiIndex.from_tuples([("Monday", "10:00")], names=["weekday", "period"]))
    >>> plan_outcomes(days, plan, aht_seconds=180).round(3)
      weekday period  calls  agents  service_level    met
    0  Monday  10:00    100      14          0.888   True
    1  Monday  10:00    120      14          0.614  False
    """
    days = require_table(per_period, "per_period", [*_KEYS, "calls"], fix=_FIX)
    if not isinstance(agents, pd.Series) or not set(_KEYS) <= set(agents.index.names):
        raise TypeError("`agents` must be a pandas Series indexed by `weekday` and `period`, e.g. "
                        "`staffing_table(...)['agents']`, but something else was passed.")  # fmt: skip
    plan = agents.reorder_levels(_KEYS) if list(agents.index.names) != _KEYS else agents
    keys = pd.MultiIndex.from_frame(days[_KEYS])
    n = plan.reindex(keys).fillna(0).to_numpy(dtype="int64")
    a = np.asarray(traffic_erlangs(days["calls"].to_numpy(dtype="float64"), period_minutes=period_minutes,
                                   aht_seconds=aht_seconds))  # fmt: skip
    staffed = n > 0
    reached = np.where(staffed, service_level(a, np.maximum(n, 1), aht_seconds=aht_seconds,
                                              target_seconds=target_seconds), 0.0)  # fmt: skip
    reached = np.where(a == 0, 1.0, reached)  # no calls: nobody waits
    out = days.copy()
    out["agents"] = n
    out["service_level"] = reached
    out["met"] = reached >= float(numbers("level", level, above=0).item())
    return out


def compare_plans(
    per_period: pd.DataFrame,
    hows: Sequence[str | float] = ("mean", 0.8, 0.9),
    *,
    check: pd.DataFrame | None = None,
    period_minutes: float = 30,
    aht_seconds: float = 240,
    target_seconds: float = 20,
    level: float = 0.8,
) -> pd.DataFrame:
    """Plans sized for the mean day or for a quantile of days, side by side: their cost and how often they hold.

    For each ``how``, the calls to plan for (:func:`planned_calls` of ``per_period``) become agents
    (:func:`~crmlab.analysis.service.agents_needed`), and the plan is replayed on the days of
    ``check`` (:func:`plan_outcomes`).

    Parameters
    ----------
    per_period : DataFrame
        The past days the plans are built from (``weekday``, ``period``, ``calls``).
    hows : sequence of str or float
        Plans to compare: ``"mean"``, ``"median"`` or quantiles such as ``0.8`` and ``0.9``.
    check : DataFrame, optional
        The days to replay the plans on; by default ``per_period`` itself. Pass later weeks
        to test the plans on days they were not built from.
    period_minutes, aht_seconds, target_seconds, level : float
        As in :func:`~crmlab.analysis.service.staffing_table`.

    Returns
    -------
    DataFrame
        Indexed by ``plan`` (``"mean"``, ``"q80"``, ``"q90"`` ...): ``agent_hours`` (on the phones
        per week), ``met`` (share of the replayed day-periods that reach the target) and
        ``missed`` (``1 - met``).

    Examples
    --------
    Twenty Mondays of Poisson calls, 400 per half-hour on average:

    >>> rng = np.random.default_rng(1)
    >>> days = pd.DataFrame({"weekday": "Monday", "period": "10:00", "calls": rng.poisson(400, 20)})
    >>> compare_plans(days, ["mean", 0.9]).round(2)
          agent_hours   met  missed
    plan
    mean         30.0  0.65    0.35
    q90          31.0  0.90    0.10
    """
    days = require_table(per_period, "per_period", [*_KEYS, "calls"], fix=_FIX)
    replay = days if check is None else require_table(check, "check", [*_KEYS, "calls"], fix=_FIX)
    rows = {}
    for how in hows:
        calls = planned_calls(days, how)
        a = traffic_erlangs(calls.to_numpy(), period_minutes=period_minutes, aht_seconds=aht_seconds)
        n = pd.Series(np.atleast_1d(agents_needed(a, aht_seconds=aht_seconds, target_seconds=target_seconds,
                                                  level=level)), index=calls.index)  # fmt: skip
        met = plan_outcomes(replay, n, period_minutes=period_minutes, aht_seconds=aht_seconds,
                            target_seconds=target_seconds, level=level)["met"].mean()  # fmt: skip
        rows[_label(_how(how))] = {"agent_hours": n.sum() * period_minutes / 60, "met": met, "missed": 1 - met}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("plan")


def offered_calls(handled: float | np.ndarray | pd.Series, abandoned_share: float) -> float | np.ndarray | pd.Series:
    """Calls offered (handled + abandoned) from calls handled, when a share ``abandoned_share`` of callers hung up.

    ``offered = handled / (1 - abandoned_share)``: with 5% of callers hanging up, 1,900 calls
    handled were 2,000 offered. Use the abandonment share the phone system reports for the same
    periods; when it is not recorded, state the share you assume.

    Parameters
    ----------
    handled : float, array or Series
        Calls answered by an agent.
    abandoned_share : float
        Share of the offered calls abandoned (callers who hung up before an answer), from 0
        up to (not including) 1.

    Returns
    -------
    float, array or Series
        Calls offered, the same shape as ``handled``.

    Examples
    --------
    >>> offered_calls(1900, 0.05)
    2000.0
    """
    share = float(numbers("abandoned_share", abandoned_share, at_least=0).item())
    if share >= 1:
        raise ValueError(f"The value for `abandoned_share` must be a share from 0 up to (not including) 1, "
                         f"but {abandoned_share!r} was passed.")  # fmt: skip
    if isinstance(handled, pd.Series):
        return handled.astype("float64") / (1 - share)
    values = numbers("handled", handled, at_least=0) / (1 - share)
    return values.item() if np.ndim(handled) == 0 else values
