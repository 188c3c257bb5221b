"""When do customers call? Call counts per period of the day and the week, and the peaks.

Built for :func:`crmlab.datasets.load_bank_calls` (calls per 5 minutes, local clock times)
but works for any table with a ``timestamp`` column (the start of each counting interval, on
the local clock) and a ``calls`` column. Periods are labelled by their local start time,
``"09:30"``; weekdays by name, Monday first.
"""

from __future__ import annotations

import pandas as pd

from crmlab.validation import require_table

__all__ = ["WEEKDAYS", "calls_per_period", "peak_periods", "weekly_pattern"]

#: Weekday names in calendar order, Monday first.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_FIX = "Pass `load_bank_calls()`, or a table with a `timestamp` (interval start, local clock) and a `calls` column."


def _offset(name: str, value: str) -> pd.Timedelta:
    try:
        step = pd.Timedelta(value)
    except (TypeError, ValueError):
        step = pd.Timedelta(0)
    if step <= pd.Timedelta(0):
        raise ValueError(f"The value for `{name}` must be a length of time such as '30min' or '1h', "
                         f"but {value!r} was passed.")  # fmt: skip
    return step


def calls_per_period(calls: pd.DataFrame, *, freq: str = "30min", interval: str = "5min") -> pd.DataFrame:
    """Calls in each period of each day, keeping only the periods fully covered by the data.

    A period is complete when every one of its ``interval``-long counts is present: the bank's
    last count of the day (21:00-21:05) alone would make a half-hour of 21:00 look almost empty,
    so it is dropped.

    Parameters
    ----------
    calls : DataFrame
        Columns ``timestamp`` (start of each counting interval, local clock) and ``calls``.
    freq : str
        Length of a period, e.g. ``"30min"`` or ``"1h"``; a whole number of intervals.
    interval : str
        Length of the counting intervals in ``calls``.

    Returns
    -------
    DataFrame
        One row per day and period: ``date``, ``weekday``, ``period`` (start, ``"HH:MM"``) and ``calls``.

    Examples
    --------
    >>> counts = pd.DataFrame({
    ...     "timestamp": pd.date_range("2003-03-03 09:00", periods=7, freq="5min"),
    ...     "calls": [10, 20, 30, 40, 50, 60, 5]})
    >>> calls_per_period(counts)
            date weekday period  calls
    0 2003-03-03  Monday  09:00    210
    """
    require_table(calls, "calls", ["timestamp", "calls"], fix=_FIX)
    step, period = _offset("interval", interval), _offset("freq", freq)
    if period % step != pd.Timedelta(0):
        raise ValueError(f"The value for `freq` must be a whole number of intervals of {interval}, "
                         f"but {freq!r} was passed.")  # fmt: skip
    when = pd.to_datetime(calls["timestamp"])
    start = when.dt.floor(freq)
    grouped = calls["calls"].groupby([start.rename("start")]).agg(["sum", "size"])
    grouped = grouped[grouped["size"] == period // step]
    start = grouped.index.to_series()
    return pd.DataFrame({
        "date": start.dt.normalize().dt.tz_localize(None) if start.dt.tz is not None else start.dt.normalize(),
        "weekday": start.dt.day_name(),
        "period": start.dt.strftime("%H:%M"),
        "calls": grouped["sum"],
    }).reset_index(drop=True)  # fmt: skip


def weekly_pattern(
    calls: pd.DataFrame, *, freq: str = "30min", interval: str = "5min", how: str = "mean"
) -> pd.DataFrame:
    """The typical week: calls per period of the day (rows) and weekday (columns).

    Parameters
    ----------
    calls : DataFrame
        Columns ``timestamp`` and ``calls`` (see :func:`calls_per_period`).
    freq, interval : str
        Period length and counting interval (see :func:`calls_per_period`).
    how : str
        ``"mean"`` (the typical day: a heatmap, a staffing plan), ``"median"`` or ``"max"``
        (the worst day seen).

    Returns
    -------
    DataFrame
        Indexed by ``period`` (``"HH:MM"``), one column per weekday present, Monday first.

    Examples
    --------
    >>> counts = pd.DataFrame({
    ...     "timestamp": pd.to_datetime(["2003-03-03 09:00", "2003-03-03 09:30",
    ...                                  "2003-03-10 09:00", "2003-03-10 09:30", "2003-03-11 09:00"]),
    ...     "calls": [100, 150, 120, 170, 90]})
    >>> weekly_pattern(counts, interval="30min")
    weekday  Monday  Tuesday
    period
    09:00     110.0     90.0
    09:30     160.0      NaN
    """
    if how not in ("mean", "median", "max"):
        raise ValueError(f"The value for `how` must be one of ['mean', 'median', 'max'], but {how!r} was passed.")
    per_period = calls_per_period(calls, freq=freq, interval=interval)
    table = per_period.pivot_table(index="period", columns="weekday", values="calls", aggfunc=how)
    table = table[[day for day in WEEKDAYS if day in table.columns]].astype("float64")
    table.columns.name = "weekday"
    return table


def peak_periods(pattern: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The ``n`` busiest periods of the week in a :func:`weekly_pattern`, busiest first.

    Parameters
    ----------
    pattern : DataFrame
        Periods (rows) by weekday (columns), as returned by :func:`weekly_pattern`.
    n : int
        How many periods to list.

    Returns
    -------
    DataFrame
        Columns ``weekday``, ``period`` and ``calls``; ties keep calendar order.

    Examples
    --------
    >>> pattern = pd.DataFrame({"Monday": [100.0, 300.0], "Tuesday": [200.0, 250.0]},
    ...                        index=pd.Index(["09:00", "09:30"], name="period"))
    >>> peak_periods(pattern, n=2)
      weekday period  calls
    0  Monday  09:30  300.0
    1 Tuesday  09:30  250.0
    """
    if not isinstance(pattern, pd.DataFrame):
        raise TypeError(f"`pattern` must be the DataFrame returned by `weekly_pattern`, "
                        f"but a {type(pattern).__name__} was passed.")  # fmt: skip
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"The value for `n` must be a whole number of at least 1, but {n!r} was passed.")
    long = pattern.rename_axis(index="period", columns="weekday").T.stack().rename("calls").dropna().reset_index()
    long = long.sort_values("calls", ascending=False, kind="stable").head(n)
    return long[["weekday", "period", "calls"]].reset_index(drop=True)
