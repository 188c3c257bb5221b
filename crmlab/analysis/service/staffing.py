"""How many agents does a call centre need? Erlang C turned into a staffing plan.

:func:`agents_needed` searches, for every period at once, the fewest agents ``N > A`` whose
service level (:func:`~crmlab.analysis.service.erlang.service_level`) reaches the target;
:func:`erlang_table` shows what each number of agents gives for one traffic level, and
:func:`staffing_table` turns the calls expected per period (a typical week) into agents on
the phones and agents to roster. The model and its sources are described in
:mod:`crmlab.analysis.service.erlang`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.validation import fraction, numbers, whole_numbers

from .erlang import _out, average_speed_of_answer, erlang_c, occupancy, service_level, traffic_erlangs

__all__ = ["agents_needed", "erlang_table", "staffing_table"]


def agents_needed(
    traffic: float | np.ndarray, *, aht_seconds: float, target_seconds: float = 20, level: float = 0.8
) -> int | np.ndarray:
    """The fewest agents whose service level reaches ``level`` (e.g. 80% answered within 20 s).

    The search starts above the traffic (``N > A``; with fewer agents the queue never empties)
    and adds one agent at a time, for every element of ``traffic`` at once.

    Parameters
    ----------
    traffic : float or array
        Offered traffic ``A`` in Erlangs; fractional traffic is used as it is, never rounded.
    aht_seconds : float
        Average handling time in seconds.
    target_seconds : float
        Answer-time target in seconds.
    level : float
        Required service level, strictly between 0 and 1 (0.8 for 80%).

    Returns
    -------
    int or ndarray of int
        Agents needed; 0 where the traffic is 0 (no calls, nobody needed).

    Examples
    --------
    >>> agents_needed(10, aht_seconds=180, target_seconds=20, level=0.8)
    14
    >>> agents_needed([0, 2.5, 10, 250], aht_seconds=240)
    array([  0,   5,  14, 260])
    """
    a = numbers("traffic", traffic, at_least=0)
    aht = float(numbers("aht_seconds", aht_seconds, above=0).item())
    t = float(numbers("target_seconds", target_seconds, at_least=0).item())
    goal = fraction("level", level, "0.8 for 80%")
    flat = a.reshape(-1)
    needed = np.zeros(flat.shape, dtype="int64")
    done = flat == 0
    blocked = np.ones(flat.shape)
    k = 0
    while not done.all():
        k += 1
        step = flat * blocked
        blocked = step / (k + step)
        stable = k > flat
        with np.errstate(divide="ignore", invalid="ignore"):
            waiting = k * blocked / (k - flat * (1 - blocked))
            reached = stable & (1 - waiting * np.exp(-(k - flat) * t / aht) >= goal)
        hit = reached & ~done
        needed[hit] = k
        done |= hit
    return _out(needed.reshape(a.shape), traffic)


def erlang_table(
    traffic: float, agents: int | np.ndarray, *, aht_seconds: float, target_seconds: float = 20
) -> pd.DataFrame:
    """What each number of agents gives for one traffic level: the table a planner reads.

    Parameters
    ----------
    traffic : float
        Offered traffic ``A`` in Erlangs.
    agents : int or array of int
        The numbers of agents to compare, e.g. ``range(11, 16)``.
    aht_seconds : float
        Average handling time in seconds.
    target_seconds : float
        Answer-time target in seconds.

    Returns
    -------
    DataFrame
        Indexed by ``agents``: ``p_wait``, ``service_level``, ``asa_seconds`` and ``occupancy``.

    Examples
    --------
    >>> erlang_table(10, range(11, 15), aht_seconds=180).round(3)
            p_wait  service_level  asa_seconds  occupancy
    agents
    11       0.682          0.390      122.781      0.909
    12       0.449          0.640       40.445      0.833
    13       0.285          0.796       17.116      0.769
    14       0.174          0.888        7.836      0.714
    """
    a = numbers("traffic", traffic, at_least=0)
    if a.size != 1:
        raise ValueError(f"The value for `traffic` must be one number of Erlangs, but {a.size} values were passed; "
                         "use `staffing_table` for many periods.")  # fmt: skip
    n = np.atleast_1d(whole_numbers("agents", np.asarray(agents)))
    a = float(a.item())
    return pd.DataFrame({
        "p_wait": erlang_c(a, n),
        "service_level": service_level(a, n, aht_seconds=aht_seconds, target_seconds=target_seconds),
        "asa_seconds": average_speed_of_answer(a, n, aht_seconds=aht_seconds),
        "occupancy": occupancy(a, n),
    }, index=pd.Index(n, name="agents"))  # fmt: skip


def staffing_table(
    calls: pd.Series,
    *,
    period_minutes: float = 30,
    aht_seconds: float = 240,
    target_seconds: float = 20,
    level: float = 0.8,
    shrinkage: float = 0.0,
) -> pd.DataFrame:
    """Agents needed in each period for a service-level target, from the calls expected in it.

    Parameters
    ----------
    calls : Series
        Calls expected per period (e.g. the mean of past weeks), indexed by the period
        (weekday and half-hour, say); the index is kept.
    period_minutes : float
        Length of a period in minutes.
    aht_seconds : float
        Average handling time in seconds: an assumption to state next to the table.
    target_seconds, level : float
        The target: ``level`` of the calls answered within ``target_seconds``.
    shrinkage : float
        Share of paid time agents are not on the phones (breaks, training, absence), from 0
        up to but not including 1; ``rostered = ceil(agents / (1 - shrinkage))``.

    Returns
    -------
    DataFrame
        Indexed like ``calls``: ``calls``, ``traffic_erlangs``, ``agents``, ``service_level``
        (reached with those agents), ``asa_seconds``, ``occupancy`` and ``rostered``.

    Examples
    --------
    >>> calls = pd.Series([100.0, 400.0], index=pd.Index(["09:00", "10:00"], name="period"))
    >>> table = staffing_table(calls, aht_seconds=180, shrinkage=0.3)
    >>> table[["traffic_erlangs", "agents", "service_level", "rostered"]].round(3)
            traffic_erlangs  agents  service_level  rostered
    period
    09:00              10.0      14          0.888        20
    10:00              40.0      45          0.805        65
    """
    if not isinstance(calls, pd.Series):
        raise TypeError(f"`calls` must be a pandas Series of calls per period (e.g. a column of the weekly "
                        f"pattern, stacked), but a {type(calls).__name__} was passed.")  # fmt: skip
    if not 0 <= float(shrinkage) < 1:
        raise ValueError(f"The value for `shrinkage` must be a share from 0 up to (not including) 1, "
                         f"but {shrinkage!r} was passed.")  # fmt: skip
    expected = calls.astype("float64")
    a = np.asarray(traffic_erlangs(expected.to_numpy(), period_minutes=period_minutes, aht_seconds=aht_seconds))
    n = np.asarray(agents_needed(a, aht_seconds=aht_seconds, target_seconds=target_seconds, level=level))
    safe = np.maximum(n, 1)
    busy = n > 0
    out = pd.DataFrame({
        "calls": expected.to_numpy(),
        "traffic_erlangs": a,
        "agents": n,
        "service_level": np.where(busy, service_level(a, safe, aht_seconds=aht_seconds,
                                                      target_seconds=target_seconds), 1.0),
        "asa_seconds": np.where(busy, average_speed_of_answer(a, safe, aht_seconds=aht_seconds), 0.0),
        "occupancy": np.where(busy, occupancy(a, safe), 0.0),
        "rostered": np.ceil(n / (1 - float(shrinkage)) - 1e-9).astype("int64"),
    }, index=calls.index)  # fmt: skip
    return out
