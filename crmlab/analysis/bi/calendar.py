"""Months on a company's calendar: Gregorian months, or Jalali months from 1 Farvardin.

A dashboard counts its periods on the company's calendar (:attr:`Conventions.calendar
<crmlab.conventions.Conventions.calendar>`). Gregorian months start on the 1st; Jalali
months start on 1 Farvardin, 1 Ordibehesht ... (31 days for the first six, 30 for the next
five, Esfand 29 or 30), which fall mid-month in the Gregorian calendar. Every day here is a
local calendar day (naive midnight), as :meth:`Conventions.local_day
<crmlab.conventions.Conventions.local_day>` gives it. The calendars themselves (quarters and
fiscal years too) live in :mod:`crmlab.calendars`; this module names them for the dashboards.
"""

from __future__ import annotations

import pandas as pd

from crmlab.calendars import JALALI_MONTHS, calendar_periods
from crmlab.conventions import COURSE, Conventions

__all__ = ["JALALI_MONTHS", "calendar_months", "day_label", "month_of"]


def calendar_months(first, last, conventions: Conventions = COURSE) -> pd.DataFrame:
    """Every month of the company's calendar that holds a day from ``first`` to ``last``.

    Parameters
    ----------
    first, last : date-like
        Local days (naive), ``first`` not after ``last``.
    conventions : Conventions
        Its ``calendar`` decides the months: ``"gregorian"`` or ``"jalali"``.

    Returns
    -------
    DataFrame
        One row per month in order, indexed by ``start`` (its first local day):
        ``end`` (its last day) and ``label`` ("Jan 2025", "Farvardin 1394").

    Examples
    --------
    >>> calendar_months("2025-01-20", "2025-02-03")
                    end     label
    start
    2025-01-01 2025-01-31  Jan 2025
    2025-02-01 2025-02-28  Feb 2025
    >>> from dataclasses import replace
    >>> calendar_months("2015-03-01", "2015-03-31", replace(COURSE, calendar="jalali"))
                    end            label
    start
    2015-02-20 2015-03-20    Esfand 1393
    2015-03-21 2015-04-20  Farvardin 1394
    """
    return calendar_periods(first, last, "month", conventions)


def month_of(days: pd.Series, conventions: Conventions = COURSE) -> pd.Series:
    """The first day of each local day's month on the company's calendar (NaT stays NaT).

    Examples
    --------
    >>> from dataclasses import replace
    >>> days = pd.Series(pd.to_datetime(["2015-03-20", "2015-03-21"]))
    >>> month_of(days).dt.date.tolist(), month_of(days, replace(COURSE, calendar="jalali")).dt.date.tolist()
    ([datetime.date(2015, 3, 1), datetime.date(2015, 3, 1)], [datetime.date(2015, 2, 20), datetime.date(2015, 3, 21)])
    """
    if conventions.calendar != "jalali":
        return days.dt.to_period("M").dt.to_timestamp()
    if days.notna().sum() == 0:
        return pd.Series(pd.NaT, index=days.index, dtype="datetime64[ns]")
    months = calendar_months(days.min(), days.max(), conventions)
    at = months.index.searchsorted(days.to_numpy(), side="right") - 1
    starts = pd.Series(months.index[at.clip(0)], index=days.index)
    return starts.where(days.notna())


def day_label(day, conventions: Conventions = COURSE) -> str:
    """A local day in words on the company's calendar ("1 Mar 2015", "1 Farvardin 1394").

    Examples
    --------
    >>> from dataclasses import replace
    >>> day_label("2015-03-21"), day_label("2015-03-21", replace(COURSE, calendar="jalali"))
    ('21 Mar 2015', '1 Farvardin 1394')
    """
    day = pd.Timestamp(day).normalize()
    if conventions.calendar != "jalali":
        return f"{day.day} {day:%b %Y}"
    month = calendar_months(day, day, conventions)
    return f"{(day - month.index[0]).days + 1} {month['label'].iloc[0]}"
