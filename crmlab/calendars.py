"""Periods on a company's calendar: Gregorian or Jalali months, quarters and fiscal years.

A company counts its months, quarters and years on its own calendar
(:attr:`Conventions.calendar <crmlab.conventions.Conventions.calendar>`). On the
Gregorian calendar the year starts on 1 January; on the Jalali (Persian, solar hijri)
calendar it starts on 1 Farvardin, Nowruz, which falls on 20 or 21 March. Jalali months 1-6
have 31 days, 7-11 have 30, and Esfand has 29 (30 in a leap year); its quarters are
Farvardin-Khordad (Q1), Tir-Shahrivar (Q2), Mehr-Azar (Q3) and Dey-Esfand (Q4), and its
fiscal year is the Jalali year.

Every day here is a *local* calendar day (naive midnight), as :meth:`Conventions.local_day
<crmlab.conventions.Conventions.local_day>` gives it: convert UTC instants first. Dates are
converted by ``persiantools``, once per distinct day, so a million orders take a moment.
``persiantools`` rather than ``jdatetime``: both are maintained, pure Python and convert
exactly, but persiantools (MIT, no dependencies, typed) also holds the Persian digit and letter
tables that :mod:`crmlab.persian_text`, the loader and the certificates use, so one small package
serves the calendar and the text.

The month names are transliterated ("Farvardin 1403"): matplotlib draws text left to
right without joining letters, so labels in Persian script would come out broken.

Examples
--------
>>> days = pd.Series(pd.to_datetime(["2024-03-19", "2024-03-20", "2025-03-21"]))
>>> period_of(days, "month", "jalali").tolist()
['Esfand 1402', 'Farvardin 1403', 'Farvardin 1404']
>>> period_of(days, "year", "jalali").tolist(), period_of(days, "quarter").tolist()
(['FY 1402', 'FY 1403', 'FY 1404'], ['2024 Q1', '2024 Q1', '2025 Q1'])
>>> format_jalali(days).tolist()
['1402/12/29', '1403/01/01', '1404/01/01']
"""

from __future__ import annotations

import datetime as _dt
import re

import numpy as np
import pandas as pd
from persiantools.jdatetime import JalaliDate

from crmlab.conventions import CALENDARS, Conventions

__all__ = [
    "JALALI_MONTHS", "PERIODS", "calendar_of", "calendar_periods", "format_jalali", "from_jalali", "parse_jalali",
    "ordered_periods", "period_labels", "period_number", "period_of", "period_start", "to_jalali", "year_of",
]  # fmt: skip

#: The names of the Jalali months, Farvardin (month 1) to Esfand (month 12), transliterated.
JALALI_MONTHS = ("Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar",
                 "Mehr", "Aban", "Azar", "Dey", "Bahman", "Esfand")  # fmt: skip
#: The periods a calendar groups days into; "year" is the fiscal year (1 January or 1 Farvardin).
PERIODS = ("month", "quarter", "year")
_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}
_EPOCH = {"gregorian": 1970, "jalali": 1349}  # period number 0: the year that holds 1970-03-21
_JALALI_DATE = re.compile(r"^\s*(\d{1,4})[/\-.](\d{1,2})[/\-.](\d{1,2})\s*$")


def calendar_of(calendar: str | Conventions) -> str:
    """The calendar's name, ``"gregorian"`` or ``"jalali"``, checked; a Conventions gives its own.

    Examples
    --------
    >>> from crmlab.conventions import COURSE
    >>> calendar_of("jalali"), calendar_of(COURSE)
    ('jalali', 'gregorian')
    """
    value = calendar.calendar if isinstance(calendar, Conventions) else calendar
    if value not in CALENDARS:
        raise ValueError(f"The value for `calendar` must be one of {list(CALENDARS)} (or a Conventions), "
                         f"but {value!r} was passed.")  # fmt: skip
    return value


def _period(period: str) -> str:
    if period not in PERIODS:
        raise ValueError(f"The value for `period` must be one of {list(PERIODS)}, but {period!r} was passed.")
    return period


def _days(days, argument: str = "days") -> pd.Series:
    """``days`` as a Series of naive datetimes; aware instants are refused (which local day?)."""
    series = days if isinstance(days, pd.Series) else pd.Series(days)
    if not pd.api.types.is_datetime64_any_dtype(series):
        try:
            series = pd.to_datetime(series)
        except (TypeError, ValueError) as err:
            raise ValueError(f"The value for `{argument}` must hold dates, but {series.iloc[:1].tolist()} "
                             "cannot be read as one.") from err  # fmt: skip
    if series.dt.tz is not None:
        raise ValueError(f"The value for `{argument}` holds instants with a time zone ({series.dt.tz}); pass local "
                         "days instead, e.g. `conventions.local_day(orders['ordered_at'])`.")  # fmt: skip
    return series


def _ymd(days: pd.Series, calendar: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of each day on ``calendar`` (0 where missing), and which are missing."""
    missing = days.isna().to_numpy()
    values = days.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    if calendar == "gregorian":
        index = pd.DatetimeIndex(values)
        parts = [np.where(missing, 0, p).astype(np.int64) for p in (index.year, index.month, index.day)]
        return (*parts, missing)
    unique, inverse = np.unique(values[~missing], return_inverse=True)
    table = np.array([_jalali_tuple(d) for d in unique.astype(_dt.date)], dtype=np.int64).reshape(-1, 3)
    parts = [np.zeros(len(days), np.int64) for _ in range(3)]
    for part, column in zip(parts, table.T, strict=True):
        part[~missing] = column[inverse]
    return (*parts, missing)


def _jalali_tuple(day: _dt.date) -> tuple[int, int, int]:
    j = JalaliDate.to_jalali(day)
    return j.year, j.month, j.day


def to_jalali(days) -> pd.DataFrame:
    """The Jalali year, month and day of local Gregorian days (Gregorian -> Jalali).

    Parameters
    ----------
    days : Series or list of date-like
        Local days (naive); missing values stay missing.

    Returns
    -------
    DataFrame
        Columns ``year``, ``month``, ``day`` (nullable integers), on the index of ``days``.

    Examples
    --------
    >>> to_jalali(pd.Series(pd.to_datetime(["2024-03-20", None, "2025-03-20"])))
       year  month   day
    0  1403      1     1
    1  <NA>   <NA>  <NA>
    2  1403     12    30
    """
    series = _days(days)
    year, month, day, missing = _ymd(series, "jalali")
    out = pd.DataFrame({"year": year, "month": month, "day": day}, index=series.index).astype("Int64")
    return out.mask(pd.Series(missing, index=series.index), pd.NA)


def from_jalali(year, month, day) -> pd.Series:
    """The Gregorian days of Jalali dates (Jalali -> Gregorian).

    Parameters
    ----------
    year, month, day : int, array or Series
        The Jalali dates' parts, of one length (or scalars).

    Returns
    -------
    Series
        Naive days (``datetime64``), on the index of ``year`` when it is a Series.

    Raises
    ------
    ValueError
        When a date does not exist (such as 1402/12/30: 1402 is not a leap year), naming it.

    Examples
    --------
    >>> from_jalali([1403, 1403], [1, 12], [1, 30]).dt.date.tolist()
    [datetime.date(2024, 3, 20), datetime.date(2025, 3, 20)]
    >>> from_jalali(1402, 12, 30)
    Traceback (most recent call last):
    ...
    ValueError: 1402/12/30 is not a date of the Jalali calendar (Esfand 1402 has 29 days); correct the value.
    """
    from crmlab.datasets.datevalues import _jalali_days

    index = year.index if isinstance(year, pd.Series) else None
    y, m, d = np.broadcast_arrays(*(np.atleast_1d(np.asarray(a, dtype=np.int64)) for a in (year, month, day)))
    days, invalid = _jalali_days(y, m, d)
    if invalid.any():
        i = int(np.flatnonzero(invalid)[0])
        length = (f" ({JALALI_MONTHS[m[i] - 1]} {y[i]} has {JalaliDate.days_in_month(int(m[i]), int(y[i]))} days)"
                  if 1 <= m[i] <= 12 and 1 <= y[i] <= 9377 else "")  # fmt: skip
        raise ValueError(f"{y[i]}/{m[i]:02d}/{d[i]:02d} is not a date of the Jalali calendar{length}; "
                         "correct the value.")  # fmt: skip
    return pd.Series(days.astype("datetime64[D]").astype("datetime64[s]"), index=index)


def format_jalali(days, sep: str = "/") -> pd.Series:
    """Local Gregorian days written as Jalali dates, ``"1403/01/01"`` (missing days give None).

    Examples
    --------
    >>> format_jalali(["2024-03-20", "2024-08-08"], sep="-").tolist()
    ['1403-01-01', '1403-05-18']
    """
    series = _days(days)
    year, month, day, missing = _ymd(series, "jalali")
    text = [None if gone else f"{y:04d}{sep}{m:02d}{sep}{d:02d}"
            for y, m, d, gone in zip(year, month, day, missing, strict=True)]
    return pd.Series(text, index=series.index, dtype=object)


def parse_jalali(text) -> pd.Series:
    """Jalali dates written as ``"1403/01/01"`` (or with ``-`` or ``.``) as Gregorian local days.

    Missing values (None, NaN, "") stay missing (NaT). Persian digits are not read here:
    normalise the text first.

    Raises
    ------
    ValueError
        When a value is not a year/month/day, or not a date of the Jalali calendar, naming it.

    Examples
    --------
    >>> parse_jalali(["1403/01/01", None, "1402-12-29"]).dt.date.tolist()
    [datetime.date(2024, 3, 20), NaT, datetime.date(2024, 3, 19)]
    >>> parse_jalali(["2024-03-20"])
    Traceback (most recent call last):
    ...
    ValueError: The value '2024-03-20' has a year of 1700 or later, which is Gregorian, not Jalali: \
pass Jalali dates such as '1403/01/01'.
    """
    series = text if isinstance(text, pd.Series) else pd.Series(text, dtype=object)
    missing = series.isna() | (series.astype(str).str.strip() == "")
    parts = series[~missing].astype(str).str.extract(_JALALI_DATE)
    unread = parts[0].isna()
    if unread.any():
        raise ValueError(f"The value {series[~missing][unread].iloc[0]!r} is not a Jalali date written as "
                         "year/month/day, such as '1403/01/01'.")  # fmt: skip
    modern = parts[0].astype(np.int64) >= 1700
    if modern.any():
        raise ValueError(f"The value {series[~missing][modern].iloc[0]!r} has a year of 1700 or later, which is "
                         "Gregorian, not Jalali: pass Jalali dates such as '1403/01/01'.")  # fmt: skip
    out = pd.Series(pd.NaT, index=series.index, dtype="datetime64[s]")
    if len(parts):
        out[~missing] = from_jalali(*(parts[i].astype(np.int64).to_numpy() for i in range(3))).to_numpy()
    return out


def _numbers(year: np.ndarray, month: np.ndarray, period: str, calendar: str) -> np.ndarray:
    per = _PER_YEAR[period]
    return (year - _EPOCH[calendar]) * per + (month - 1) // (12 // per)


def period_number(days, period: str = "month", calendar: str | Conventions = "gregorian") -> np.ndarray:
    """Each local day's period, counted from the calendar's period holding 1970-03-21.

    The difference of two numbers is the number of whole periods between them (a
    cohort's age in months). On the Gregorian calendar the number is the ordinal of a
    pandas Period (``"M"``, ``"Q"``, ``"Y"``). Missing days give -2**63 (never a period).

    Examples
    --------
    >>> days = pd.Series(pd.to_datetime(["2024-03-19", "2024-03-20"]))
    >>> period_number(days).tolist(), period_number(days, "month", "jalali").tolist()
    ([650, 650], [647, 648])
    """
    calendar, period = calendar_of(calendar), _period(period)
    year, month, _, missing = _ymd(_days(days), calendar)
    return np.where(missing, np.iinfo(np.int64).min, _numbers(year, month, period, calendar))


def _year_and_first_month(numbers: np.ndarray, period: str, calendar: str) -> tuple[np.ndarray, np.ndarray]:
    per = _PER_YEAR[period]
    numbers = np.asarray(numbers, dtype=np.int64)
    return numbers // per + _EPOCH[calendar], numbers % per * (12 // per) + 1


def period_labels(numbers, period: str = "month", calendar: str | Conventions = "gregorian") -> list[str]:
    """Labels of period numbers (:func:`period_number`): "Farvardin 1403" or "Mar 2024", "1403 Q1", "FY 1403".

    Examples
    --------
    >>> period_labels([648, 659], "month", "jalali"), period_labels([0], "quarter"), period_labels([54], "year")
    (['Farvardin 1403', 'Esfand 1403'], ['1970 Q1'], ['FY 2024'])
    """
    calendar, period = calendar_of(calendar), _period(period)
    years, months = _year_and_first_month(numbers, period, calendar)
    if period == "year":
        return [f"FY {y}" for y in years]
    if period == "quarter":
        return [f"{y} Q{(m - 1) // 3 + 1}" for y, m in zip(years, months, strict=True)]
    names = JALALI_MONTHS if calendar == "jalali" else [f"{_dt.date(2000, m, 1):%b}" for m in range(1, 13)]
    return [f"{names[m - 1]} {y}" for y, m in zip(years, months, strict=True)]


def _starts(numbers, period: str, calendar: str) -> pd.DatetimeIndex:
    """First local day of each period number."""
    years, months = _year_and_first_month(numbers, period, calendar)
    if calendar == "jalali":
        return pd.DatetimeIndex(from_jalali(years, months, 1).to_numpy())
    return pd.DatetimeIndex(pd.to_datetime(pd.DataFrame({"year": years, "month": months, "day": 1})))


def period_start(days, period: str = "month", calendar: str | Conventions = "gregorian") -> pd.Series:
    """The first local day of each day's period (NaT stays NaT).

    Examples
    --------
    >>> days = pd.Series(pd.to_datetime(["2024-08-08", None]))
    >>> period_start(days, "quarter", "jalali").tolist()
    [Timestamp('2024-06-21 00:00:00'), NaT]
    """
    calendar, period = calendar_of(calendar), _period(period)
    series = _days(days)
    numbers = period_number(series, period, calendar)
    present = series.notna().to_numpy()
    out = pd.Series(pd.NaT, index=series.index, dtype=series.dtype)  # the unit of ``days``
    if present.any():
        unique, inverse = np.unique(numbers[present], return_inverse=True)
        out[present] = _starts(unique, period, calendar).to_numpy()[inverse]
    return out


def period_of(days, period: str = "month", calendar: str | Conventions = "gregorian") -> pd.Series:
    """Each local day's period on the calendar, as an ordered label ("Farvardin 1403", "1403 Q1", "FY 1403").

    Parameters
    ----------
    days : Series or list of date-like
        Local days (naive).
    period : {"month", "quarter", "year"}
        "year" is the fiscal year: from 1 January, or from 1 Farvardin on the Jalali calendar.
    calendar : {"gregorian", "jalali"} or Conventions
        The calendar, or a company's conventions (its ``calendar``).

    Returns
    -------
    Series
        An ordered categorical whose categories are every period from the first day's to
        the last day's, in order (so sorting and grouping follow time, not the alphabet).

    Examples
    --------
    >>> s = period_of(["2024-06-20", "2024-03-20", "2024-06-21"], "quarter", "jalali")
    >>> s.tolist(), s.cat.categories.tolist()
    (['1403 Q1', '1403 Q1', '1403 Q2'], ['1403 Q1', '1403 Q2'])
    """
    calendar, period = calendar_of(calendar), _period(period)
    series = _days(days)
    numbers = period_number(series, period, calendar)
    return pd.Series(ordered_periods(numbers, period, calendar, missing=series.isna().to_numpy()), index=series.index)


def ordered_periods(numbers, period: str, calendar: str, missing=None) -> pd.Categorical:
    """Period numbers as an ordered categorical of labels, every period from the first to the last a category."""
    numbers = np.asarray(numbers, dtype=np.int64)
    missing = np.zeros(len(numbers), bool) if missing is None else np.asarray(missing, bool)
    present = numbers[~missing]
    span = np.arange(present.min(), present.max() + 1) if len(present) else np.array([], np.int64)
    codes = np.where(missing, -1, numbers - (span[0] if len(span) else 0))
    return pd.Categorical.from_codes(codes, categories=period_labels(span, period, calendar), ordered=True)


def calendar_periods(first, last, period: str = "month", calendar: str | Conventions = "gregorian") -> pd.DataFrame:
    """Every period of the calendar that holds a day from ``first`` to ``last``.

    Returns
    -------
    DataFrame
        One row per period in order, indexed by ``start`` (its first local day):
        ``end`` (its last day) and ``label``.

    Examples
    --------
    >>> calendar_periods("2024-03-01", "2024-09-21", "quarter", "jalali")
                      end    label
    start
    2023-12-22 2024-03-19  1402 Q4
    2024-03-20 2024-06-20  1403 Q1
    2024-06-21 2024-09-21  1403 Q2
    """
    calendar, period = calendar_of(calendar), _period(period)
    first, last = pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize()
    if first > last:
        raise ValueError(f"`first` ({first.date()}) is after `last` ({last.date()}): swap them.")
    lo, hi = period_number(pd.Series([first, last]), period, calendar)
    numbers = np.arange(lo, hi + 2)
    starts = _starts(numbers, period, calendar)
    labels = period_labels(numbers[:-1], period, calendar)
    return pd.DataFrame({"end": starts[1:] - pd.Timedelta(days=1), "label": labels},
                        index=pd.DatetimeIndex(starts[:-1], name="start"))  # fmt: skip


def year_of(days, calendar: str | Conventions = "gregorian") -> pd.Series:
    """Each local day's (fiscal) year: the calendar year, or the Jalali year from 1 Farvardin.

    Returns
    -------
    Series
        Nullable integers (``Int64``) on the index of ``days``; missing days stay missing.

    Examples
    --------
    >>> year_of(["2024-03-19", "2024-03-20", None], "jalali").tolist()
    [1402, 1403, <NA>]
    >>> year_of(["2024-03-19"]).tolist()
    [2024]
    """
    calendar = calendar_of(calendar)
    series = _days(days)
    year, _, _, missing = _ymd(series, calendar)
    return pd.Series(pd.array(year, dtype="Int64"), index=series.index).mask(missing)
