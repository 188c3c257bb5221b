"""Catalogue: every value of an export loads exactly, or the load fails and says how to fix it.

Each case gives the values as read (text from a CSV, or typed as from Parquet), the schema
type and the read options, and either the exact values expected, computed by an
independent oracle (decimal, datetime, zoneinfo, hand-counted calendars), or the error:
its message must name the file, the column, the line, the bad value and the fix.
"""

from __future__ import annotations

import datetime as dt
import pickle
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from crmlab.datasets.datevalues import jalali_to_gregorian
from crmlab.datasets.options import ReadOptions
from crmlab.datasets.values import cast_column
from crmlab.errors import SchemaError, ValueLoadError

TS, DATE = "datetime64[s, UTC]", "datetime64[s]"
UTC = dt.UTC
TEHRAN, LONDON = ZoneInfo("Asia/Tehran"), ZoneInfo("Europe/London")
EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 61 = 1900-03-01 in Excel's 1900 system


def text(*values) -> pd.Series:
    """A column as the CSV reader gives it: text, nothing converted."""
    return pd.Series(list(values), dtype="str")


def cents(*amounts: str, places: int = 2) -> list[int]:
    out = []
    for a in amounts:
        exact = Decimal(a).scaleb(places)
        assert exact == exact.to_integral_value()
        out.append(int(exact))
    return out


def local(zone, *args) -> dt.datetime:
    """A wall-clock time in ``zone``, as a UTC instant (zoneinfo is the oracle)."""
    return dt.datetime(*args, tzinfo=zone).astimezone(UTC)


def cast(values, dtype, where="orders.total_cents", **options) -> pd.Series:
    table, column = where.split(".")
    return cast_column(values, dtype, table=table, column=column, source="export.csv",
                       options=ReadOptions(**options))


def plain(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series.tolist()]


# (id, "table.column", dtype, values, options, expected values)
GOOD = [
    ("int-text", "orders.customer_id", "int64", text("17850", "-3", " 42 "), {}, [17850, -3, 42]),
    ("int-zero-decimals-in-an-id", "orders.customer_id", "int64", text("17850.0", "12.00"), {}, [17850, 12]),
    ("nullable-int-blank", "tickets.contacts_to_resolve", "Int16", text("1", "", "  "), {}, [1, None, None]),
    ("nullable-int-from-floats", "tickets.contacts_to_resolve", "Int16", pd.Series([1.0, np.nan]), {}, [1, None]),
    ("int16-bounds", "tickets.sla_hours", "int16", text("32767", "-32768"), {}, [2**15 - 1, -(2**15)]),
    ("int64-max", "orders.order_id", "int64", text("9223372036854775807"), {}, [2**63 - 1]),
    ("int-persian-digits", "orders.customer_id", "int64", text("۱۲۳", "٤٥"), {}, [123, 45]),
    ("int-typed", "orders.customer_id", "int64", pd.Series([5, 6], dtype="int32"), {}, [5, 6]),
    ("cents-minor", "orders.total_cents", "int64", text("13912", "0"), {}, [13912, 0]),
    ("cents-major-text", "orders.total_cents", "int64", text("139.12", "0.5", "7", "-0.01", "1.10", "+.25"),
     {"units": {"orders.total_cents": "major"}}, cents("139.12", "0.5", "7", "-0.01", "1.10", ".25")),
    ("cents-major-trailing-zeros", "orders.total_cents", "int64", text("139.1200"),
     {"units": {"orders.total_cents": "major"}}, cents("139.12")),
    ("cents-major-floats", "orders.total_cents", "int64", pd.Series([139.12, 0.1, 1000000.07, 11.77]),
     {"units": {"orders.total_cents": "major"}}, cents(*(repr(x) for x in (139.12, 0.1, 1000000.07, 11.77)))),
    ("cents-major-parquet-decimals", "orders.total_cents", "int64",
     pd.Series([Decimal("139.12"), Decimal("-0.10")], dtype=object), {"units": {"orders.total_cents": "major"}},
     cents("139.12", "-0.10")),
    ("date-parquet-date32", "reps.hired_on", DATE, pd.Series([dt.date(2011, 3, 5), None], dtype=object), {},
     [dt.datetime(2011, 3, 5), None]),
    ("cents-major-ints", "orders.total_cents", "int64", pd.Series([139, 2]),
     {"units": {"orders.total_cents": "major"}}, [13900, 200]),
    ("rial-minor-unit-0", "orders.total_cents", "int64", text("1500000"),
     {"units": {"orders.total_cents": "major"}, "minor_unit": 0}, [1500000]),
    ("bool-vocabulary", "customers.consent_email", "bool",
     text("true", "FALSE", " Yes ", "no", "Y", "n", "T", "f", "1", "0"), {},
     [True, False, True, False, True, False, True, False, True, False]),
    ("bool-persian", "customers.consent_email", "bool", text("بله", "خیر", "آری", "نه", "خير", "۱"), {},
     [True, False, True, False, False, True]),
    ("bool-parquet-text", "customers.consent_email", "bool", text("False", "True"), {}, [False, True]),
    ("bool-typed", "customers.consent_email", "bool", pd.Series([False, True]), {}, [False, True]),
    ("bool-numbers", "customers.consent_email", "bool", pd.Series([1, 0]), {}, [True, False]),
    ("text-na-words-stay", "customers.city", "str", text("NA", "None", "NULL", "", "nan"), {},
     ["NA", "None", "NULL", None, "nan"]),
    ("text-declared-missing", "customers.city", "str", text("NA", "None", ""), {"missing": ("", "NA")},
     [None, "None", None]),
    ("text-exact", "customers.phone", "str", text(" +98 912 ", "0021"), {}, [" +98 912 ", "0021"]),
    ("text-from-objects", "customers.phone", "str", pd.Series([17850, "x", None], dtype=object), {},
     ["17850", "x", None]),
    ("date-iso", "reps.hired_on", DATE, text("2011-03-05", ""), {}, [dt.datetime(2011, 3, 5), None]),
    ("date-dayfirst", "reps.hired_on", DATE, text("05/03/2011", "25.12.2010"), {"dayfirst": True},
     [dt.datetime(2011, 3, 5), dt.datetime(2010, 12, 25)]),
    ("date-monthfirst", "reps.hired_on", DATE, text("05/03/2011"), {"dayfirst": False}, [dt.datetime(2011, 5, 3)]),
    ("date-format", "reps.hired_on", DATE, text("05.03.2011"), {"date_format": "%d.%m.%Y"},
     [dt.datetime(2011, 3, 5)]),
    ("date-format-per-column", "reps.hired_on", DATE, text("2011|03|05"),
     {"date_format": "%d/%m/%Y", "date_formats": {"reps.hired_on": "%Y|%m|%d"}}, [dt.datetime(2011, 3, 5)]),
    ("iso-despite-day-first-format", "reps.hired_on", DATE, text("2011-03-05"), {"date_format": "%d/%m/%Y"},
     [dt.datetime(2011, 3, 5)]),
    ("instant-offset", "orders.ordered_at", TS, text("2024-03-01T12:00:00+03:30", "2024-03-01 12:00+0330"), {},
     [dt.datetime(2024, 3, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=3, minutes=30)))] * 2),
    ("instant-z", "orders.ordered_at", TS, text("2024-03-01T12:00:00Z", "2024-03-01T12:00:00.000-05:00"), {},
     [dt.datetime(2024, 3, 1, 12, tzinfo=UTC), dt.datetime(2024, 3, 1, 17, tzinfo=UTC)]),
    ("instant-naive-tehran", "orders.ordered_at", TS, text("2024-03-01 12:00:00", "2020-06-01 12:00:00"),
     {"timezone": "Asia/Tehran"}, [local(TEHRAN, 2024, 3, 1, 12), local(TEHRAN, 2020, 6, 1, 12)]),
    ("instant-naive-london-dst", "orders.ordered_at", TS, text("2024-07-01 12:00:00", "2024-01-01 12:00:00"),
     {"timezone": "Europe/London"}, [local(LONDON, 2024, 7, 1, 12), local(LONDON, 2024, 1, 1, 12)]),
    ("instant-dayfirst-time", "orders.ordered_at", TS, text("05/03/2011 08:26"),
     {"dayfirst": True, "timezone": "Europe/London"}, [local(LONDON, 2011, 3, 5, 8, 26)]),
    ("epoch-seconds-text", "orders.ordered_at", TS, text("1300000000"),
     {"date_formats": {"orders.ordered_at": "epoch_s"}}, [dt.datetime.fromtimestamp(1300000000, UTC)]),
    ("epoch-ms-typed", "orders.ordered_at", TS, pd.Series([1300000000000, np.nan]),
     {"date_formats": {"orders.ordered_at": "epoch_ms"}}, [dt.datetime.fromtimestamp(1300000000, UTC), None]),
    ("excel-date", "reps.hired_on", DATE, pd.Series([40607, 61]), {"date_formats": {"reps.hired_on": "excel"}},
     [dt.datetime.combine(EXCEL_EPOCH + dt.timedelta(days=d), dt.time()) for d in (40607, 61)]),
    ("excel-instant", "orders.ordered_at", TS, text("40607.5"),
     {"date_formats": {"orders.ordered_at": "excel"}, "timezone": "UTC"},
     [dt.datetime.combine(EXCEL_EPOCH + dt.timedelta(days=40607), dt.time(12), UTC)]),
    ("jalali-date", "reps.hired_on", DATE, text("1402/05/17", "1402-1-1"), {"calendar": "jalali"},
     [dt.datetime(2023, 8, 8), dt.datetime(2023, 3, 21)]),
    ("jalali-direction-marks", "reps.hired_on", DATE, text("\u200f۱۴۰۲/۰۵/۱۷\u200e"), {"calendar": "jalali"},
     [dt.datetime(2023, 8, 8)]),
    ("jalali-persian-digits", "reps.hired_on", DATE, text("۱۴۰۲/۰۱/۰۱", "١٤٠٣/٠١/٠١"), {"calendar": "jalali"},
     [dt.datetime(2023, 3, 21), dt.datetime(2024, 3, 20)]),
    ("jalali-instant", "orders.ordered_at", TS, text("1404/01/01 10:00"),
     {"calendar": "jalali", "timezone": "Asia/Tehran"}, [local(TEHRAN, 2025, 3, 21, 10)]),
    ("date-aware-to-local-day", "reps.hired_on", DATE, text("2024-03-01T00:00:00+03:30", "2024-02-29T20:30:00Z"),
     {"timezone": "Asia/Tehran"}, [dt.datetime(2024, 3, 1)] * 2),
    ("instant-parquet", "orders.ordered_at", TS,
     pd.Series(pd.to_datetime(["2024-03-01 08:30:00", None], utc=True)).dt.as_unit("ms"), {},
     [dt.datetime(2024, 3, 1, 8, 30, tzinfo=UTC), None]),
    ("date-parquet", "reps.hired_on", DATE, pd.Series(pd.to_datetime(["2011-03-05"])).dt.as_unit("ms"), {},
     [dt.datetime(2011, 3, 5)]),
]


@pytest.mark.parametrize(("where", "dtype", "values", "options", "expected"),
                         [pytest.param(*case[1:], id=case[0]) for case in GOOD])
def test_value_loads_exactly(where, dtype, values, options, expected):
    out = cast(values, dtype, where, **options)
    assert str(out.dtype) == dtype
    assert plain(out) == expected


MAJOR = {"units": {"orders.total_cents": "major"}}
NO_DAY_ORDER = "dayfirst=True for day/month/year or dayfirst=False"

# (id, "table.column", dtype, values, options, position of a bad value, what the fix must say)
BAD = [
    ("money-decimals", "orders.total_cents", "int64", text("100", "139.12"), {}, 1,
     "units={'orders.total_cents': 'major'}"),
    ("money-float-decimals", "orders.total_cents", "int64", pd.Series([100.0, 139.12]), {}, 1,
     "units={'orders.total_cents': 'major'}"),
    ("money-written-with-point", "orders.total_cents", "int64", text("139.00"), {}, 0, "'major'"),
    ("fractional-id", "orders.customer_id", "int64", text("17850", "17850.7"), {}, 1, "whole numbers"),
    ("fractional-id-float", "orders.customer_id", "int64", pd.Series([17850.7]), {}, 0, "whole numbers"),
    ("int16-overflow", "tickets.sla_hours", "int16", text("24", "70000"), {}, 1, "-32,768 to 32,767"),
    ("Int16-overflow-float", "tickets.contacts_to_resolve", "Int16", pd.Series([70000.0]), {}, 0, "32,767"),
    ("Int8-overflow-typed", "tickets.satisfaction", "Int8", pd.Series([5, 300]), {}, 1, "-128 to 127"),
    ("int-missing", "orders.customer_id", "int64", text("1", ""), {}, 1, "fill in the values"),
    ("int-missing-float", "orders.customer_id", "int64", pd.Series([1.0, np.nan]), {}, 1, "fill in the values"),
    ("thousands-separator", "orders.customer_id", "int64", text("1,234"), {}, 0, "thousands separators"),
    ("stray-text", "orders.total_cents", "int64", text("$5"), {}, 0, "currency signs"),
    ("scientific", "orders.customer_id", "int64", text("1e5"), {}, 0, "1e5 -> 100000"),
    ("na-word-in-int", "orders.rep_id", "Int64", text("7", "NA"), {}, 1, "missing=('', 'NA')"),
    ("major-too-many-decimals", "orders.total_cents", "int64", text("1.005"), MAJOR, 0, "minor_unit"),
    ("major-float-too-many-decimals", "orders.total_cents", "int64", pd.Series([1.005]), MAJOR, 0, "minor_unit"),
    ("rial-decimals", "orders.total_cents", "int64", text("1500.5"),
     {**MAJOR, "minor_unit": 0}, 0, "minor_unit"),
    ("int64-overflow", "orders.order_id", "int64", text("9223372036854775808"), {}, 0, "wrong column"),
    ("bool-unknown-word", "customers.consent_email", "bool", text("yes", "maybe"), {}, 1, "yes, y, t, 1"),
    ("bool-two", "customers.consent_email", "bool", text("2"), {}, 0, "no, n, f, 0"),
    ("bool-blank", "customers.consent_sms", "bool", text("y", ""), {}, 1, "fill in the value"),
    ("bool-number-two", "customers.consent_sms", "bool", pd.Series([0, 2]), {}, 1, "use 1 and 0"),
    ("bool-null-typed", "customers.consent_sms", "bool", pd.Series([True, None], dtype="boolean"), {}, 1,
     "fill in the value"),
    ("ambiguous-day-order", "reps.hired_on", DATE, text("05/03/2011"), {}, 0, NO_DAY_ORDER),
    ("day-order-evident-still-stated", "reps.hired_on", DATE, text("05/03/2011", "25/03/2011"), {}, 0,
     "dayfirst=True"),
    ("month-order-evident-still-stated", "reps.hired_on", DATE, text("05/03/2011", "03/25/2011"), {}, 0,
     "dayfirst=False"),
    ("mixed-day-orders", "reps.hired_on", DATE, text("25/03/2011", "03/25/2011"), {}, 0, "same order"),
    ("epoch-undeclared", "orders.ordered_at", TS, text("1300000000"), {}, 0, "'epoch_s'"),
    ("excel-undeclared", "reps.hired_on", DATE, pd.Series([40607]), {}, 0, "'excel'"),
    ("jalali-in-gregorian", "reps.hired_on", DATE, text("2023-01-01", "1402/05/17"), {}, 1, "calendar='jalali'"),
    ("gregorian-in-jalali", "reps.hired_on", DATE, text("2023/08/08"), {"calendar": "jalali"}, 0,
     "calendar='gregorian'"),
    ("jalali-not-leap", "reps.hired_on", DATE, text("1403/12/30", "1402/12/30"), {"calendar": "jalali"}, 1,
     "correct the values"),
    ("naive-without-zone", "orders.ordered_at", TS, text("2024-03-01T08:30:00Z", "2024-03-01 12:00:00"), {}, 1,
     "timezone="),
    ("dst-gap", "orders.ordered_at", TS, text("2024-03-31 00:30:00", "2024-03-31 01:30:00"),
     {"timezone": "Europe/London"}, 1, "UTC offset"),
    ("dst-repeat", "orders.ordered_at", TS, text("2024-10-27 01:30:00"), {"timezone": "Europe/London"}, 0,
     "UTC offset"),
    ("date-with-offset-no-zone", "reps.hired_on", DATE, text("2024-03-01T00:00:00+03:30"), {}, 0, "timezone="),
    ("date-with-time", "reps.hired_on", DATE, text("2024-03-01", "2024-03-01 15:00"), {}, 1, "dates only"),
    ("impossible-offset", "orders.ordered_at", TS, text("2024-03-01 12:00:00+25:00"), {}, 0, "+03:30"),
    ("sub-second", "orders.ordered_at", TS, text("2024-03-01 12:00:00.5Z"), {}, 0, "whole seconds"),
    ("sub-second-parquet", "orders.ordered_at", TS,
     pd.Series(pd.to_datetime(["2024-03-01 12:00:00.250"], utc=True)), {}, 0, "whole seconds"),
    ("not-a-real-date", "reps.hired_on", DATE, text("31/02/2011"), {"dayfirst": True}, 0, "dayfirst=True"),
    ("month-name", "reps.hired_on", DATE, text("5 Mar 2011"), {}, 0, "date_format"),
    ("two-digit-year", "reps.hired_on", DATE, text("05/03/11"), {"dayfirst": True}, 0, "'%d/%m/%y'"),
    ("persian-date-with-direction-marks", "reps.hired_on", DATE, text("\u200f۱۴۰۲/۰۵/۱۷"), {}, 0,
     "calendar='jalali'"),
    ("format-mismatch", "reps.hired_on", DATE, text("05/03/2011", "5 Mar 2011"), {"date_format": "%d/%m/%Y"}, 1,
     "%d/%m/%Y"),
    ("year-first-format-is-honoured", "reps.hired_on", DATE, text("2011-03-05"), {"date_format": "%Y/%m/%d"}, 0,
     "%Y/%m/%d"),
    ("epoch-ms-sub-second", "orders.ordered_at", TS, text("1300000000123"),
     {"date_formats": {"orders.ordered_at": "epoch_ms"}}, 0, "whole seconds"),
    ("excel-before-march-1900", "reps.hired_on", DATE, pd.Series([60]), {"date_formats": {"reps.hired_on": "excel"}},
     0, "YYYY-MM-DD"),
    ("epoch-wrong-unit", "orders.ordered_at", TS, text("1300000000000"),
     {"date_formats": {"orders.ordered_at": "epoch_s"}}, 0, "milliseconds"),
    ("text-as-floats", "customers.phone", "str", pd.Series([989121234567.0]), {}, 0, "as text"),
    ("jalali-year-as-parquet-date", "reps.hired_on", DATE, pd.Series(pd.to_datetime(["1402-05-17"])), {}, 0,
     "calendar='jalali'"),
]


@pytest.mark.parametrize(("where", "dtype", "values", "options", "position", "fix"),
                         [pytest.param(*case[1:], id=case[0]) for case in BAD])
def test_value_is_refused_with_an_actionable_message(where, dtype, values, options, position, fix):
    table, column = where.split(".")
    with pytest.raises(ValueLoadError) as caught:
        cast(values, dtype, where, **options)
    message = str(caught.value)
    shown = values.iloc[position]
    shown = repr(shown) if isinstance(shown, str) else str(shown)
    assert f"Column `{column}` of table `{table}` in export.csv cannot be read as {dtype}" in message
    assert f"line {position + 2}: {shown}" in message
    assert fix in message.split("How to fix it:")[1]
    assert isinstance(caught.value, SchemaError)  # callers catching SchemaError still catch it


def test_catalogue_is_large_enough():
    assert len(GOOD) + len(BAD) >= 80


def test_lines_come_from_the_file_and_at_most_five_are_shown():
    values = text(*[f"1.{i + 1}" for i in range(8)])
    with pytest.raises(ValueLoadError) as caught:
        cast_column(values, "int64", table="orders", column="customer_id", lines=np.arange(8) * 3 + 10)
    message = str(caught.value)
    assert "line 10: '1.1'" in message and "line 22: '1.5'" in message and "line 25" not in message
    assert "... and 3 more rows" in message and "(8 of 8 rows)" in message
    assert caught.value.examples[1] == (13, "1.2") and caught.value.count == 8
    assert str(pickle.loads(pickle.dumps(caught.value))) == message  # errors survive worker processes


def test_money_agrees_with_decimal_on_random_amounts():
    rng = random.Random(10)
    amounts = [f"{rng.choice('-+ ')}{rng.randrange(10**9)}.{rng.randrange(100):02d}".strip() for _ in range(2000)]
    out = cast(text(*amounts), "int64", **MAJOR)
    assert out.tolist() == [int(Decimal(a) * 100) for a in amounts]
    floats = pd.Series([float(a) for a in amounts])
    assert cast(floats, "int64", **MAJOR).tolist() == [int(Decimal(repr(x)) * 100) for x in floats]


def test_dates_agree_with_datetime_on_random_days():
    rng = random.Random(11)
    days = [dt.datetime(1900, 3, 1) + dt.timedelta(days=rng.randrange(100_000), seconds=rng.randrange(86400))
            for _ in range(2000)]
    written = text(*[d.strftime("%d/%m/%Y %H:%M:%S") for d in days])
    out = cast(written, TS, "orders.ordered_at", dayfirst=True, timezone="UTC")
    assert plain(out) == [d.replace(tzinfo=UTC) for d in days]
    out = cast(text(*[d.strftime("%m-%d-%Y") for d in days]), DATE, "reps.hired_on", dayfirst=False)
    assert plain(out) == [dt.datetime(d.year, d.month, d.day) for d in days]


# Published Gregorian dates of Jalali dates: Nowruz of several years, and well-known days.
JALALI = [
    ((1300, 1, 1), dt.date(1921, 3, 21)),
    ((1332, 5, 28), dt.date(1953, 8, 19)),
    ((1342, 3, 15), dt.date(1963, 6, 5)),
    ((1357, 11, 22), dt.date(1979, 2, 11)),
    ((1358, 1, 12), dt.date(1979, 4, 1)),
    ((1398, 1, 1), dt.date(2019, 3, 21)),
    ((1399, 1, 1), dt.date(2020, 3, 20)),
    ((1402, 1, 1), dt.date(2023, 3, 21)),
    ((1402, 9, 30), dt.date(2023, 12, 21)),
    ((1403, 1, 1), dt.date(2024, 3, 20)),
    ((1403, 12, 30), dt.date(2025, 3, 20)),
    ((1404, 1, 1), dt.date(2025, 3, 21)),
]


@pytest.mark.parametrize(("jalali", "gregorian"), JALALI)
def test_jalali_matches_published_dates(jalali, gregorian):
    assert jalali_to_gregorian(*jalali) == gregorian


def test_jalali_days_run_on_without_gaps():
    """Consecutive Jalali days are consecutive Gregorian days over 1300-1500 (months of 31, 30, 29/30)."""
    days = []
    for year in range(1300, 1501):
        leap = jalali_to_gregorian(year + 1, 1, 1) - jalali_to_gregorian(year, 1, 1) == dt.timedelta(days=366)
        for month in range(1, 13):
            length = 31 if month <= 6 else 30 if month <= 11 else 30 if leap else 29
            days += [jalali_to_gregorian(year, month, d) for d in range(1, length + 1)]
    assert all(b - a == dt.timedelta(days=1) for a, b in zip(days, days[1:], strict=False))
    with pytest.raises(ValueError, match="not a date of the Jalali calendar"):
        jalali_to_gregorian(1402, 12, 30)


def test_read_options_validate_with_clear_errors():
    with pytest.raises(ValueError, match=r"Unknown read options \['day_first'\]"):
        ReadOptions.from_mapping({"day_first": True})
    with pytest.raises(ValueError, match=r"`calendar` must be one of \['gregorian', 'jalali'\], but 'persian'"):
        ReadOptions(calendar="persian")
    with pytest.raises(ValueError, match=r"must be one of \['minor', 'major', 'toman'\], but 'dollars'"):
        ReadOptions(units={"orders.total_cents": "dollars"})
    with pytest.raises(ValueError, match="IANA time zone"):
        ReadOptions(timezone="Tehran")
    with pytest.raises(ValueError, match="'table.column'"):
        ReadOptions(date_formats={"ordered_at": "epoch_s"})
    opts = ReadOptions.from_mapping({"missing": ["", "NA"], "units": {"orders.total_cents": "major"}})
    assert opts.missing == ("", "NA") and opts.unit("orders", "total_cents") == "major"
    with pytest.raises(TypeError):
        opts.units["orders.total_cents"] = "minor"  # options cannot change after the check


def test_jalali_leap_years_match_the_official_calendar():
    """Leap years (Esfand has 30 days) 1370-1408 as published by the Iranian calendar authority."""
    def length(y):
        return (jalali_to_gregorian(y + 1, 1, 1) - jalali_to_gregorian(y, 1, 1)).days

    leap = [y for y in range(1370, 1409) if length(y) == 366]
    assert leap == [1370, 1375, 1379, 1383, 1387, 1391, 1395, 1399, 1403, 1408]


def test_a_date_means_the_start_of_its_local_day_even_when_midnight_is_skipped():
    """Iran's clocks jumped from 00:00 to 01:00 on 22 March 1997: that day starts at 01:00 (+04:30)."""
    tehran = ZoneInfo("Asia/Tehran")
    got = cast_column(pd.Series(["1997-03-22", "1997-03-21"]), "datetime64[s, UTC]", table="orders",
                      column="ordered_at", options=ReadOptions(timezone="Asia/Tehran"))
    first_instant = dt.datetime(1997, 3, 22, 1, 0, tzinfo=tehran).astimezone(dt.UTC)
    assert dt.datetime(1997, 3, 22, 0, 0, tzinfo=tehran).utcoffset() != first_instant.astimezone(tehran).utcoffset()
    assert got[0].to_pydatetime() == first_instant
    assert got[1].to_pydatetime() == dt.datetime(1997, 3, 21, tzinfo=tehran).astimezone(dt.UTC)
    with pytest.raises(ValueLoadError, match="occur twice or never"):  # a real time in the gap is still refused
        cast_column(pd.Series(["1997-03-22 00:30"]), "datetime64[s, UTC]", table="orders", column="ordered_at",
                    options=ReadOptions(timezone="Asia/Tehran"))


# ---------------------------------------------------------------- amounts written in toman (ten rials)

TOMAN = {"units": {"orders.total_cents": "toman"}, "minor_unit": 0}


@pytest.mark.parametrize("values", [text("1500", "2500.5", "-0.5", "۱۲۳٬۴۵۶"),
                                    pd.Series([1500.0, 2500.5, -0.5, 123456.0])])  # fmt: skip
def test_toman_become_exact_rials(values):
    got = cast(values, "int64", **TOMAN).tolist()
    assert got == [int(Decimal(v).scaleb(1)) for v in ("1500", "2500.5", "-0.5", "123456")]  # ten rials a toman


def test_whole_toman_in_an_integer_column_become_rials():
    assert cast(pd.Series([1500, 0, 123456]), "int64", **TOMAN).tolist() == [15_000, 0, 1_234_560]


@pytest.mark.parametrize("values", [text("2500.55"), pd.Series([2500.55])])
def test_a_hundredth_of_a_toman_is_refused(values):
    with pytest.raises(ValueLoadError, match="more than 1 decimals") as err:
        cast(values, "int64", **TOMAN)
    assert "read in toman" in str(err.value)
