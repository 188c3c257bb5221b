"""Dates and instants of an export, read exactly: never a guessed day order, zone, unit or calendar.

Used by :func:`crmlab.datasets.values.cast_column` for the schema's two time types:
``datetime64[s, UTC]`` (an instant) and ``datetime64[s]`` (a local calendar date).
Text is split into year, month, day, time and UTC offset with pyarrow's regular
expressions and assembled with integer arithmetic, so a million rows take well under
a second and nothing is parsed by a heuristic.

The Jalali (Persian) calendar is converted by ``persiantools`` (its leap years follow the
official calendar's astronomical rule), once per distinct date of a column; the result
is tested against published Nowruz dates.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from persiantools.jdatetime import JalaliDate

from .options import NUMERIC_DATE_FORMATS
from .values import _arrow_text, _blank, _Column, _is_text, _normalise, _np

__all__ = ["jalali_to_gregorian"]

_TIME = (r"(?:[T ]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d+))?)?)?"
         r"\s*(?P<z>Z|UTC|[+-]\d{2}(?::?\d{2})?)?$")
_YMD = r"^(?P<a>\d{4})[-/.](?P<b>\d{1,2})[-/.](?P<c>\d{1,2})" + _TIME
_DMY = r"^(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<c>\d{4})" + _TIME
_NUMBER = r"^[+-]?\d+(?:\.\d+)?$"
_ISO_DIGITS = {  # length of a fixed ISO 8601 layout -> positions of its digits
    10: [0, 1, 2, 3, 5, 6, 8, 9],
    19: [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18],
    20: [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18],
    25: [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 23, 24],
}
_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}
_FIRST, _AFTER_LAST = (int(np.datetime64(f"{y}-01-01T00:00:00", "s").astype(np.int64)) for y in (1700, 2201))
_EXCEL_1970 = 25569  # Excel's serial number of 1970-01-01 (1900 date system)
_ORDINAL_1970 = _dt.date(1970, 1, 1).toordinal()


def to_datetime(s: pd.Series, col: _Column) -> pd.Series:
    """Cast ``s`` to ``col.dtype`` (an instant in UTC, or a local date); see :func:`cast_column`."""
    fmt = col.options.date_format_for(col.table, col.column)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        secs, aware, missing = _from_typed(s, col)
    elif _is_text(s):
        secs, aware, missing = _from_text(s, col, fmt)
    elif pd.api.types.is_numeric_dtype(s.dtype) and s.dtype != bool:
        x = s.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(x)
        secs, aware = _from_numbers(x, missing, fmt, col)
    else:
        col.fail(s.notna().to_numpy(), f"values of type {s.dtype} are not dates", "map a date column here.")
    return _finish(secs, aware, missing, col, s.index)


def _from_typed(s: pd.Series, col: _Column) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    missing = s.isna().to_numpy()
    aware = s.dt.tz is not None
    arr = (s.dt.tz_convert("UTC").dt.tz_localize(None) if aware else s).to_numpy()
    per = _PER_SECOND[np.datetime_data(arr.dtype)[0]]
    ints = arr.view(np.int64)
    cut = ~missing & (ints % per != 0)
    if cut.any():
        col.fail(cut, "values have fractions of a second, which this column of whole seconds would cut off",
                 "round the times to whole seconds in the export.")
    return np.where(missing, 0, ints // per), np.full(len(s), aware), missing


def _numbers_fix(col: _Column) -> str:
    return (f"if they are seconds since 1970-01-01 UTC pass date_formats={{{col.key!r}: 'epoch_s'}}; "
            "milliseconds: 'epoch_ms'; Excel serial day numbers: 'excel'; digits such as 20110305: '%Y%m%d'.")


def _from_numbers(x: np.ndarray, missing: np.ndarray, fmt: str | None, col: _Column) -> tuple[np.ndarray, np.ndarray]:
    if fmt not in NUMERIC_DATE_FORMATS:
        col.fail(~missing, "values are numbers, not dates, and no date format declares what they count",
                 _numbers_fix(col))
    x = np.where(missing, 0.0, x)
    huge = ~missing & (np.abs(x) > 2.0**53)
    if huge.any():
        col.fail(huge, "values are too large to be dates", _numbers_fix(col))
    if fmt == "excel":
        early = ~missing & (x < 61)
        if early.any():
            col.fail(early, "Excel serial numbers below 61 fall before 1 March 1900, where Excel counts "
                     "a 29 February 1900 that never existed", "write these dates as text (YYYY-MM-DD) in the export.")
        seconds = (x - _EXCEL_1970) * 86400.0
        whole = np.rint(seconds)
        cut = ~missing & (np.abs(seconds - whole) > 1e-3)
        secs, aware = whole, np.zeros(len(x), dtype=bool)  # Excel serials are local wall-clock times
    else:
        per = 1 if fmt == "epoch_s" else 1000
        whole = np.rint(x)
        cut = ~missing & ((whole != x) | (whole % per != 0))
        secs, aware = whole // per, np.ones(len(x), dtype=bool)  # epochs count from 1970-01-01 UTC
    if cut.any():
        col.fail(cut, "values have fractions of a second, which this column of whole seconds would cut off",
                 f"round the times to whole seconds in the export, or check that {fmt!r} is the right unit.")
    return secs.astype(np.int64), aware


def _from_text(s: pd.Series, col: _Column, fmt: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    arr = _normalise(_arrow_text(s))
    missing = _blank(arr, col)
    if fmt in NUMERIC_DATE_FORMATS:
        bad = ~missing & ~_np(pc.match_substring_regex(arr, _NUMBER))
        if bad.any():
            col.fail(bad, f"values are not numbers, but date_formats declares {fmt!r}",
                     "correct the values, or the date format of this column.")
        x = np.asarray(pc.cast(pc.if_else(pa.array(missing), "0", arr), pa.float64()), dtype=float)
        secs, aware = _from_numbers(x, missing, fmt, col)
        return secs, aware, missing
    if fmt is not None and not fmt.startswith("%Y") and _all_iso(arr, missing):
        fmt = None  # ISO 8601 is unambiguous: a day-first format for other columns does not apply
    if fmt is not None:
        if col.options.calendar == "jalali":
            col.fail(~missing, "a strftime date_format cannot read Jalali dates",
                     "leave date_format unset: Jalali dates are read as year/month/day (1402/05/17).")
        zoned = "%z" in fmt or "%Z" in fmt
        text = pd.Series(pc.if_else(pa.array(missing), None, arr).to_pandas(), dtype=object)
        parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=zoned)
        bad = ~missing & parsed.isna().to_numpy()
        if bad.any():
            col.fail(bad, f"values do not match date_format {fmt!r}, or are not real dates",
                     f"correct the declared format {fmt!r} (date_format, or date_formats[{col.key!r}]; strftime "
                     "codes such as %d/%m/%Y %H:%M), or the values.")
        secs, aware, _ = _from_typed(parsed, col)
        return secs, aware, missing
    return _from_parts(arr, missing, col)


def _all_iso(arr: pa.Array, missing: np.ndarray) -> bool:
    iso = _np(pc.match_substring_regex(arr, r"^\d{4}-\d{2}-\d{2}([T ]|$)"))
    return bool((iso | missing).all())


def _iso_parts(arr: pa.Array, missing: np.ndarray) -> dict | None:
    """The parts ``_YMD`` would extract, read by position when every value has one fixed ISO 8601 layout.

    The layouts are 2011-03-05, 2011-03-05T14:30:00 (or a space for T), the same with Z or with an
    offset such as +03:30. Returns None when any present value has another layout: the regular
    expression then reads the column (several times slower on a million rows).
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    values = pc.filter(arr, pa.array(~missing))
    if not len(values) or values.null_count:
        return None
    lengths = np.asarray(pc.binary_length(values))
    width = int(lengths[0])
    if width not in _ISO_DIGITS or (lengths != width).any():
        return None
    offsets = np.frombuffer(values.buffers()[1], np.int64 if pa.types.is_large_string(values.type) else np.int32)
    offsets = offsets[values.offset:values.offset + len(values) + 1]
    data = np.frombuffer(values.buffers()[2], np.uint8)[offsets[0]:offsets[-1]].reshape(-1, width)
    digit = {i: data[:, i] - np.uint8(48) for i in _ISO_DIGITS[width]}  # a byte not 0-9 wraps round above 9
    ok = all((v < 10).all() for v in digit.values()) and (data[:, [4, 7]] == ord("-")).all()
    if width > 10:
        ok = ok and np.isin(data[:, 10], [ord("T"), ord(" ")]).all() and (data[:, [13, 16]] == ord(":")).all()
    if width == 20:
        ok = ok and (data[:, 19] == ord("Z")).all()
    if width == 25:
        ok = ok and np.isin(data[:, 19], [ord("+"), ord("-")]).all() and (data[:, 22] == ord(":")).all()
    if not ok:
        return None
    parts = {}
    for name, places in (("a", (0, 1, 2, 3)), ("b", (5, 6)), ("c", (8, 9)), ("H", (11, 12)), ("M", (14, 15)),
                         ("S", (17, 18))):
        full = np.zeros(len(arr), np.int64)
        if places[0] < width:
            number = np.zeros(len(values), np.int64)
            for i in places:
                number = number * 10 + digit[i]
            full[~missing] = number
        parts[name] = full
    blank = pc.fill_null(pa.nulls(len(arr), pa.string()), "")
    parts["f"] = blank
    parts["z"] = pc.if_else(pa.array(missing), "", pc.utf8_slice_codeunits(arr, 19, 25)) if width > 19 else blank
    return parts


def _from_parts(arr: pa.Array, missing: np.ndarray, col: _Column) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    iso = _iso_parts(arr, missing)
    if iso is not None:
        ymd, is_ymd = None, ~missing
    else:
        ymd = pc.extract_regex(arr, _YMD)
        is_ymd = ~missing & _np(pc.is_valid(ymd))
    dmy = pc.extract_regex(arr, _DMY) if (~missing & ~is_ymd).any() else ymd  # most exports: ISO only
    is_dmy = ~missing & ~is_ymd & _np(pc.is_valid(dmy)) if dmy is not None else np.zeros(len(missing), bool)
    other = ~missing & ~is_ymd & ~is_dmy
    if other.any():
        numbers = other & _np(pc.match_substring_regex(arr, _NUMBER))
        if numbers.any():
            col.fail(numbers, "values are numbers, not dates, and no date format declares what they count",
                     _numbers_fix(col))
        col.fail(other, "values are not dates in a form read without a format "
                 "(2011-03-05, 2011-03-05 14:30:00+03:30, 05/03/2011)",
                 "pass date_format (for example '%d %b %Y' for '5 Mar 2011', '%d/%m/%y' for two-digit years), "
                 f"or date_formats={{{col.key!r}: ...}} for this column only.")
    chosen = pa.array(is_ymd)

    def part(name: str, text: bool = False):
        if iso is not None:
            return iso[name]
        value = pc.struct_field(ymd, name)
        if is_dmy.any():
            value = pc.if_else(chosen, value, pc.struct_field(dmy, name))
        value = pc.fill_null(value, "")
        if text:
            return value
        return np.asarray(pc.cast(pc.if_else(pc.equal(value, ""), "0", value), pa.int64()), dtype=np.int64)

    a, b, c = part("a"), part("b"), part("c")
    year, month, day = a.copy(), b.copy(), c.copy()
    if is_dmy.any():
        dayfirst = col.options.dayfirst
        if dayfirst is None:
            _refuse_ambiguous(col, is_dmy, a, b)
        year[is_dmy] = c[is_dmy]
        day[is_dmy] = (a if dayfirst else b)[is_dmy]
        month[is_dmy] = (b if dayfirst else a)[is_dmy]
    cut = ~missing & _np(pc.greater(pc.utf8_length(pc.utf8_rtrim(part("f", True), characters="0")), 0))
    if cut.any():
        col.fail(cut, "values have fractions of a second, which this column of whole seconds would cut off",
                 "round the times to whole seconds in the export.")
    if col.options.calendar == "jalali":
        modern = ~missing & (year >= 1700)
        if modern.any():
            col.fail(modern, "years of 1700 and later are Gregorian, but calendar='jalali' was passed",
                     "pass calendar='gregorian' for this export, or correct the values.")
        days, invalid = _jalali_days(np.where(missing, 1400, year), month, day)
    else:
        old = ~missing & (year < 1700)
        if old.any():
            hint = (" They look like Jalali (Persian) years: pass calendar='jalali'."
                    if ((year >= 1300) & (year < 1500))[old].all() else "")
            col.fail(old, "years before 1700 are not plausible Gregorian dates",
                     f"correct the values, or state the calendar.{hint}")
        days, invalid = _gregorian_days(year, month, day)
    hour, minute, second = part("H"), part("M"), part("S")
    invalid = ~missing & (invalid | (hour > 23) | (minute > 59) | (second > 59))
    if invalid.any():
        order = "" if not is_dmy.any() else f" With dayfirst={col.options.dayfirst}, check the day and month order."
        col.fail(invalid, "values are not real dates or times (such as 31 February or 25:00)",
                 f"correct the values in the export.{order}")
    secs = days * 86400 + hour * 3600 + minute * 60 + second
    zone = part("z", True)
    aware = ~missing & _np(pc.not_equal(zone, ""))
    if not aware.any():
        return secs, aware, missing
    hours, minutes = _offset(zone)
    wrong = aware & ((hours > 14) | (minutes > 59))
    if wrong.any():
        col.fail(wrong, "values have UTC offsets that no time zone uses (beyond +-14:00)",
                 "correct the offsets in the export (such as +03:30 or -05:00).")
    sign = np.where(_np(pc.starts_with(zone, "-")), -1, 1)
    return secs - sign * (hours * 60 + minutes) * 60, aware, missing


def _offset(zone: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Hours and minutes of offsets such as ``+03:30``, ``-0500``, ``+03``; 0 for ``Z`` and ``UTC``.

    An export has few distinct offsets: each is read once, then spread to its rows.
    """
    if isinstance(zone, pa.ChunkedArray):
        zone = zone.combine_chunks()
    coded = pc.dictionary_encode(zone)
    rows = np.asarray(coded.indices.fill_null(0), dtype=np.int64)
    digits = pc.replace_substring_regex(coded.dictionary, r"^(Z|UTC)$|:", "")

    def number(t):
        return np.asarray(pc.cast(pc.if_else(pc.equal(t, ""), "0", t), pa.int64()), dtype=np.int64)

    return number(pc.utf8_slice_codeunits(digits, 1, 3))[rows], number(pc.utf8_slice_codeunits(digits, 3, 5))[rows]


def _refuse_ambiguous(col: _Column, is_dmy: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    first, second = is_dmy & (a > 12), is_dmy & (b > 12)
    if first.any() and second.any():
        col.fail(first | second, "the column mixes day-first (25/03/2011) and month-first (03/25/2011) dates",
                 "correct the export so that every date has the same order.")
    if first.any() or second.any():
        line = int(col.lines[np.flatnonzero(first | second)[0]])
        order = "day" if first.any() else "month"
        col.fail(is_dmy, f"the day and month order was not stated; line {line} can only be {order} first, "
                 "but the order is never guessed", f"pass dayfirst={first.any()} (or date_format='%d/%m/%Y' "
                 "with your separator) to confirm it.")
    col.fail(is_dmy, "dates such as 05/03/2011 could be 5 March or 3 May, and the order was not stated",
             "pass dayfirst=True for day/month/year or dayfirst=False for month/day/year "
             "(or date_format='%d/%m/%Y').")


def _finish(secs: np.ndarray, aware: np.ndarray, missing: np.ndarray, col: _Column, index: pd.Index) -> pd.Series:
    secs = np.where(missing, 0, secs).astype(np.int64)
    odd = ~missing & ((secs < _FIRST) | (secs >= _AFTER_LAST))
    if odd.any():
        years = secs.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
        jalali = " If they are Jalali years stored as dates, export them as text and pass calendar='jalali'."
        hint = jalali if ((years >= 1300) & (years < 1500))[odd].any() else ""
        col.fail(odd, "values fall before 1700 or after 2200, which is not a plausible date",
                 f"correct the values; for numbers check the unit in date_formats (seconds or milliseconds).{hint}")
    tz = col.options.timezone
    if "UTC" in col.dtype:
        naive = ~missing & ~aware
        if naive.any():
            if tz is None:
                col.fail(naive, "times have no UTC offset (such as +03:30 or Z), so the instant is unknown",
                         "pass timezone= the IANA zone where they were recorded (for example timezone='Asia/Tehran' "
                         "or 'Europe/London'; 'UTC' if they are UTC already).")
            secs[naive] = _shift(secs[naive], tz, col, naive, to_utc=True)
    else:
        shifted = ~missing & aware
        if shifted.any():
            if tz is None:
                col.fail(shifted, "values are instants (with a UTC offset, or counted from 1970 in UTC), "
                         "so their local calendar day is unknown",
                         "pass timezone= the zone whose calendar days the column holds (for example "
                         "timezone='Asia/Tehran'), or write plain dates (YYYY-MM-DD) in the export.")
            secs[shifted] = _shift(secs[shifted], tz, col, shifted, to_utc=False)
        timed = ~missing & (secs % 86400 != 0)
        if timed.any():
            col.fail(timed, "values have a time of day, but the column holds calendar days",
                     "write dates only (YYYY-MM-DD) in the export, or map a time column here.")
    values = secs.astype("datetime64[s]")
    values[missing] = np.datetime64("NaT")
    out = pd.Series(values, index=index)
    return out.dt.tz_localize("UTC") if "UTC" in col.dtype else out


def _shift(secs: np.ndarray, tz: str, col: _Column, rows: np.ndarray, *, to_utc: bool) -> np.ndarray:
    """Local wall-clock seconds to UTC (refusing DST gaps and repeats), or UTC to local."""
    values = pd.Series(secs.astype("datetime64[s]"))
    if to_utc:
        local = values.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        lost = local.isna().to_numpy()
        midnight = lost & (secs % 86400 == 0)
        if midnight.any():
            # A date without a time (midnight) means the start of that local day. Where a clock
            # change skips midnight (Iran until 2022: 00:00 -> 01:00) the day starts at the first
            # instant that exists; where midnight repeats, at its first occurrence. Documented in
            # ReadOptions, tested in tests/test_load_values.py.
            starts = values[midnight].dt.tz_localize(tz, ambiguous=np.ones(midnight.sum(), dtype=bool),
                                                     nonexistent="shift_forward")
            local = local.copy()
            local[midnight] = starts.to_numpy()
            lost = local.isna().to_numpy()
        if lost.any():
            bad = np.zeros(len(rows), dtype=bool)
            bad[np.flatnonzero(rows)[lost]] = True
            col.fail(bad, f"these local times occur twice or never in {tz} (a daylight-saving change)",
                     "write these times with their UTC offset (such as +01:00) in the export.")
        moved = local.dt.tz_convert("UTC").dt.tz_localize(None)
    else:
        moved = values.dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None)
    return moved.dt.as_unit("s").to_numpy().view(np.int64)


def _gregorian_days(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970-01-01 (Howard Hinnant's days_from_civil) and which dates do not exist."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    lengths = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    m = np.clip(month, 1, 12)
    invalid = (month < 1) | (month > 12) | (day < 1) | (day > lengths[m - 1] + (leap & (m == 2)))
    y = year - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + day - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468, invalid


def _jalali_day(key: int) -> tuple[int, bool]:
    """Days since 1970-01-01 of the Jalali date ``yyyymmdd``, and whether it does not exist."""
    year, month, day = key // 10_000, key // 100 % 100, key % 100
    if not JalaliDate.check_date(year, month, day):
        return 0, True
    return JalaliDate(year, month, day).to_gregorian().toordinal() - _ORDINAL_1970, False


def _jalali_days(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Days since 1970-01-01 of Jalali dates, and which do not exist; each distinct date converted once."""
    year, month, day = (np.asarray(a, dtype=np.int64) for a in (year, month, day))
    inside = (year >= 1) & (year < 10_000) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
    keys, inverse = np.unique(np.where(inside, year * 10_000 + month * 100 + day, 0), return_inverse=True)
    table = np.array([_jalali_day(int(k)) for k in keys], dtype=np.int64).reshape(-1, 2)  # 0: no such date
    return table[inverse, 0].reshape(year.shape), table[inverse, 1].astype(bool).reshape(year.shape)


def jalali_to_gregorian(year: int, month: int, day: int) -> _dt.date:
    """Return the Gregorian date of a Jalali (Persian calendar) date.

    Parameters
    ----------
    year, month, day : int
        The Jalali date; months 1-6 have 31 days, 7-11 have 30, Esfand 29 (30 in leap years).

    Raises
    ------
    ValueError
        When the date does not exist.

    Examples
    --------
    >>> jalali_to_gregorian(1402, 1, 1)  # Nowruz 1402
    datetime.date(2023, 3, 21)
    >>> jalali_to_gregorian(1402, 5, 17)
    datetime.date(2023, 8, 8)
    """
    days, invalid = _jalali_days(np.array([year]), np.array([month]), np.array([day]))
    if invalid[0]:
        raise ValueError(f"{year}/{month:02d}/{day:02d} is not a date of the Jalali calendar.")
    return _dt.date(1970, 1, 1) + _dt.timedelta(days=int(days[0]))
