"""Months on a company's calendar: Gregorian months, or Jalali months from 1 Farvardin.

A dashboard counts its periods on the company's calendar (:attr:`Conventions.calendar
<crmlab.conventions.Conventions.calendar>`). Gregorian months start on the 1st; Jalali
months start on 1 Farvardin, 1 Ordibehesht ... (31 days for the first six, 30 for the next
five, Esfand 29 or 30), which fall mid-month in the Gregorian calendar. Every day here is a
local calendar day (naive midnight), as :meth:`Conventions.local_day
<crmlab.conventions.Conventions.local_day>` gives it.
"""

from __future__ import annotations

import pandas as pd

from crmlab.conventions import COURSE, Conventions
from crmlab.datasets.datevalues import jalali_to_gregorian

__all__ = ["JALALI_MONTHS", "calendar_months", "day_label", "month_of"]

#: The names of the Jalali months, Farvardin (month 1) to Esfand (month 12).
JALALI_MONTHS = ("Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar",
                 "Mehr", "Aban", "Azar", "Dey", "Bahman", "Esfand")  # fmt: skip


def _jalali_starts(first: pd.Timestamp, last: pd.Timestamp) -> list[tuple[str, pd.Timestamp]]:
    """(label, first day) of the Jalali months from the year before ``first``'s to the year after ``last``'s."""
    # Nowruz falls on 20 or 21 March: Jalali year y starts in Gregorian year y + 621.
    return [(f"{name} {year}", pd.Timestamp(jalali_to_gregorian(year, month, 1)))
            for year in range(first.year - 622, last.year - 619)
            for month, name in enumerate(JALALI_MONTHS, start=1)]  # fmt: skip


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
    first, last = pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize()
    if first > last:
        raise ValueError(f"`first` ({first.date()}) is after `last` ({last.date()}): swap them.")
    if conventions.calendar == "jalali":
        starts = _jalali_starts(first, last)
    else:
        months = pd.date_range(first.to_period("M").to_timestamp(), last + pd.offsets.MonthBegin(1), freq="MS")
        starts = [(f"{m:%b %Y}", m) for m in months]
    labels, begins = zip(*starts, strict=True)
    index = pd.DatetimeIndex(begins[:-1], name="start")  # the last start only ends the month before it
    out = pd.DataFrame({"end": pd.DatetimeIndex(begins[1:]) - pd.Timedelta(days=1), "label": list(labels[:-1])},
                       index=index)  # fmt: skip
    return out[(out.index <= last) & (out["end"] >= first)]


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
