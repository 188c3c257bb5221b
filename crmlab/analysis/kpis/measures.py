"""Small computations shared by the KPI measures and the analyses built on them (BI, pipeline).

Examples
--------
>>> import pandas as pd
>>> ratio(pd.Series([1, 2]), pd.Series([2, 0])).tolist()
[0.5, nan]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlab.calendars import calendar_of, year_of
from crmlab.conventions import COURSE, Conventions
from crmlab.validation import choice

__all__ = ["DAY", "EXPORT_END", "FUNNEL", "HOUR", "LOCAL_TZ", "aggregate", "as_list", "floats", "hours_between",
           "local_year", "ratio"]  # fmt: skip

#: The course company's time zone (``COURSE.timezone``), kept for the lessons that name it.
LOCAL_TZ = COURSE.timezone
#: The instant the course's export ends (``COURSE.end``): midnight in Tehran after 2025-12-31, in UTC.
EXPORT_END = COURSE.end
#: The steps of the sales funnel, in order (``opportunity_stages.stage``); the last one is a win.
FUNNEL = ("prospecting", "qualification", "proposal", "negotiation", "closed_won")
#: One hour and one day, to turn time differences into numbers.
HOUR, DAY = pd.Timedelta(hours=1), pd.Timedelta(days=1)


def as_list(by: str | Sequence[str]) -> list[str]:
    """One column name or several, as a list.

    Examples
    --------
    >>> as_list("region"), as_list(("region", "channel"))
    (['region'], ['region', 'channel'])
    """
    return [by] if isinstance(by, str) else list(by)


def aggregate(values: pd.Series, frame: pd.DataFrame, by: str | Sequence[str] | None, how: str, name: str):
    """``values`` (one per row of ``frame``, NaN = not counted) as one number, or one per group of ``by``.

    Examples
    --------
    >>> frame = pd.DataFrame({"region": ["N", "N", "S"]})
    >>> aggregate(pd.Series([1.0, 3.0, None]), frame, None, "mean", "hours")
    2.0
    """
    values = values.astype("float64").dropna()
    if by is None:
        return float(values.agg(how)) if len(values) else float("nan")
    keys = as_list(by)
    for key in keys:
        choice("by", key, list(frame.columns))
    out = values.groupby([frame.loc[values.index, key] for key in keys]).agg([how, "size"])
    return out.rename(columns={how: name, "size": "n"})


def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """``numerator / denominator``, NaN where the denominator is 0 (nothing to measure)."""
    return numerator.astype(float) / denominator.where(denominator > 0).astype(float)


def floats(values: pd.Series) -> np.ndarray:
    """Numbers, True/False or missing values as a float array (missing: NaN).

    Examples
    --------
    >>> floats(pd.Series([1, None, 2.5])).tolist()
    [1.0, nan, 2.5]
    """
    return pd.array(values, dtype="Float64").to_numpy(dtype=float, na_value=np.nan)


def hours_between(later: pd.Series, earlier: pd.Series) -> pd.Series:
    """Hours from ``earlier`` to ``later``, row by row."""
    return (later - earlier) / HOUR


def local_year(when: pd.Series, tz: str, calendar: str | Conventions = "gregorian") -> pd.Series:
    """The year of each time on the clock of ``tz`` (naive times: as they are), on ``calendar``:
    the calendar year, or the Jalali (fiscal) year from 1 Farvardin for ``"jalali"``.

    Examples
    --------
    >>> t = pd.Series(pd.to_datetime(["2025-03-20 21:00"], utc=True))
    >>> local_year(t, "Asia/Tehran").tolist(), local_year(t, "Asia/Tehran", "jalali").tolist()
    ([2025], [1404])
    """
    if calendar_of(calendar) == "gregorian":
        return when.dt.tz_convert(tz).dt.year if when.dt.tz is not None else when.dt.year
    local = when.dt.tz_convert(tz).dt.tz_localize(None) if when.dt.tz is not None else when
    return year_of(local.dt.normalize(), calendar)
