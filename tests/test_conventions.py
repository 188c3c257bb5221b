"""A company's conventions, checked against zoneinfo/datetime, decimal and hand computation."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

import crmlab
from crmlab.conventions import COURSE, Conventions, from_mapping, local_day, to_major

ZONES = ["Asia/Tehran", "Europe/London", "America/New_York", "Australia/Adelaide", "Asia/Kathmandu", "UTC"]


def _shop(**changes) -> dict:
    return {"timezone": "Europe/London", "currency": "GBP", "as_of": "2011-12-09", **changes}


# ---------------------------------------------------------------- the course's company


def test_course_holds_the_values_the_course_data_was_made_with():
    from crmlab.datasets.synthetic import truths  # the generator's own constants, read only here

    assert COURSE.timezone == truths.TIMEZONE == "Asia/Tehran"
    assert COURSE.as_of == truths.END == pd.Timestamp("2025-12-31")
    # since the flip the course's company is the Iranian retailer: whole rials, no minor unit
    assert (COURSE.currency, COURSE.minor_unit, COURSE.calendar) == ("IRR", 0, "gregorian")
    assert COURSE.purchase_statuses == ("completed",)
    assert crmlab.COURSE is COURSE and crmlab.Conventions is Conventions


def test_course_end_is_midnight_in_tehran_after_the_last_day():
    # Tehran is UTC+3:30 all year since 2023: local midnight of 2026-01-01 is 20:30 UTC the day before.
    assert COURSE.end == pd.Timestamp("2025-12-31 20:30", tz="UTC")
    oracle = datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Tehran")).astimezone(UTC)
    assert COURSE.end.to_pydatetime() == oracle


def test_conventions_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        COURSE.timezone = "Europe/London"


# ---------------------------------------------------------------- UTC instant -> local day


def test_the_brief_example_tehran_and_london():
    t = pd.Series(pd.to_datetime(["2025-03-20T21:00Z"], utc=True))
    assert local_day(t, "Asia/Tehran").tolist() == [pd.Timestamp("2025-03-21")]  # 00:30 local
    assert local_day(t, "Europe/London").tolist() == [pd.Timestamp("2025-03-20")]  # 21:00 local (GMT)
    assert COURSE.local_day(t).tolist() == [pd.Timestamp("2025-03-21")]


@pytest.mark.parametrize("zone", ZONES)
def test_local_day_matches_zoneinfo_across_daylight_saving_changes(zone):
    rng = np.random.default_rng(7)
    # random instants over 2021-2025 (Iran still moved its clocks in 2021-2022), plus every half hour
    # around the London and New York changes of 2024
    seconds = rng.integers(int(datetime(2021, 1, 1, tzinfo=UTC).timestamp()),
                           int(datetime(2026, 1, 1, tzinfo=UTC).timestamp()), size=2000)  # fmt: skip
    extra = [datetime(2024, m, d, tzinfo=UTC) + timedelta(minutes=30 * k)
             for m, d in [(3, 10), (3, 31), (10, 27), (11, 3)] for k in range(-6, 10)]  # fmt: skip
    instants = [datetime.fromtimestamp(int(s), tz=UTC) for s in seconds] + extra
    got = local_day(pd.Series(pd.to_datetime(instants, utc=True)), zone)
    expected = [pd.Timestamp(i.astimezone(ZoneInfo(zone)).date()) for i in instants]
    assert got.tolist() == expected
    assert got.dt.tz is None and (got == got.dt.normalize()).all()


def test_local_day_keeps_missing_values_and_takes_naive_times_as_local():
    aware = pd.Series(pd.to_datetime(["2025-06-30 20:00", None], utc=True))
    assert local_day(aware, "Asia/Tehran").iloc[0] == pd.Timestamp("2025-06-30")  # 23:30 local
    assert pd.isna(local_day(aware, "Asia/Tehran").iloc[1])
    naive = pd.Series(pd.to_datetime(["2025-06-30 23:59"]))
    assert local_day(naive, "Asia/Tehran").tolist() == [pd.Timestamp("2025-06-30")]


def test_local_day_of_a_timestamp_and_an_index():
    when = pd.Timestamp("2025-12-31 20:30", tz="UTC")
    assert local_day(when, "Asia/Tehran") == pd.Timestamp("2026-01-01")
    index = pd.DatetimeIndex([when, when - pd.Timedelta(minutes=1)])
    assert local_day(index, "Asia/Tehran").tolist() == [pd.Timestamp("2026-01-01"), pd.Timestamp("2025-12-31")]


def test_local_day_refuses_a_time_zone_that_does_not_exist():
    with pytest.raises(ValueError, match=r"`timezone` must be an IANA name .* but 'Tehran' was passed"):
        local_day(pd.Series(pd.to_datetime(["2025-01-01"], utc=True)), "Tehran")


def test_end_of_day_in_summer_time():
    london = from_mapping(_shop())
    oracle = datetime(2025, 7, 2, tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)
    assert london.end_of_day("2025-07-01").to_pydatetime() == oracle  # 23:00 UTC in BST
    assert london.end_of_day(date(2025, 1, 1)) == pd.Timestamp("2025-01-02", tz="UTC")  # GMT = UTC


def test_local_date_converts_aware_times_and_explains_bad_ones():
    assert COURSE.local_date(pd.Timestamp("2025-03-20 21:00", tz="UTC")) == pd.Timestamp("2025-03-21")
    assert COURSE.local_date("2025-03-20 15:00") == pd.Timestamp("2025-03-20")
    with pytest.raises(ValueError, match=r"`cutoff` must be a day such as '2024-12-31', but 'soon' was passed"):
        COURSE.local_date("soon", "cutoff")


# ---------------------------------------------------------------- money


@pytest.mark.parametrize(("currency", "minor", "value", "text"), [
    ("USD", 2, 123456, "USD 1,234.56"),
    ("USD", 2, 5, "USD 0.05"),
    ("USD", 2, -199, "USD -1.99"),
    ("USD", 2, 0, "USD 0.00"),
    ("IRR", 0, 1500000, "IRR 1,500,000"),
    ("BHD", 3, 1234, "BHD 1.234"),
    ("USD", 2, np.int64(100), "USD 1.00"),
    ("USD", 2, 250.0, "USD 2.50"),
])  # fmt: skip
def test_money_by_hand(currency, minor, value, text):
    c = from_mapping({"timezone": "UTC", "currency": currency, "minor_unit": minor, "as_of": "2025-01-01"})
    assert c.money(value) == text


def test_money_is_exact_beyond_float_precision():
    cents = 2**53 + 1  # a float would round it to 2**53
    expected = f"USD {Decimal(cents) / 100:,.2f}"
    assert _money("USD", 2).money(cents) == expected == "USD 90,071,992,547,409.93"
    rials = 2**53 + 1  # the course's currency (IRR, minor unit 0) prints every rial
    assert COURSE.money(rials) == f"IRR {Decimal(rials):,}" == "IRR 9,007,199,254,740,993"


def test_money_of_missing_is_empty_and_of_a_fraction_an_error():
    assert COURSE.money(None) == "" and COURSE.money(float("nan")) == ""
    with pytest.raises(ValueError, match="`minor_units` must be a whole number of minor units of IRR"):
        COURSE.money(12.5)
    with pytest.raises(ValueError, match="`minor_units`"):
        COURSE.money("12")


def _money(currency: str, minor: int) -> Conventions:
    return from_mapping({"timezone": "UTC", "currency": currency, "minor_unit": minor, "as_of": "2025-01-01"})


@pytest.mark.parametrize(("currency", "minor", "value", "decimals", "text"), [
    ("GBP", 2, 123456, 0, "GBP 1,235"),       # 1,234.56 pounds, rounded half away from zero
    ("GBP", 2, 123450, 0, "GBP 1,235"),       # exactly half a pound
    ("GBP", 2, -123450, 0, "GBP -1,235"),
    ("GBP", 2, -49, 0, "GBP 0"),              # -0.49 rounds to 0, written without a sign
    ("IRR", 0, 1_500_000, 0, "IRR 1,500,000"),
    ("IRR", 0, 1_500_000, 2, "IRR 1,500,000.00"),
    ("BHD", 3, 1_234_567, 0, "BHD 1,235"),    # 1,234.567 dinars
    ("BHD", 3, 1_234_567, 2, "BHD 1,234.57"),
    ("BHD", 3, 1_234_565, 2, "BHD 1,234.57"),  # exactly half a hundredth: decimal arithmetic, not float
])  # fmt: skip
def test_money_to_fewer_decimals_by_hand(currency, minor, value, decimals, text):
    assert _money(currency, minor).money(value, decimals=decimals) == text


@pytest.mark.parametrize(("currency", "minor", "amount", "decimals", "text"), [
    ("GBP", 2, 1234.56, None, "GBP 1,234.56"),
    ("GBP", 2, 1234.565, None, "GBP 1,234.57"),  # rounded as printed (float 1234.565 is a hair below)
    ("GBP", 2, 1583.5, 0, "GBP 1,584"),
    ("GBP", 2, -1017.5, 0, "GBP -1,018"),
    ("GBP", 2, np.float64(0.675), None, "GBP 0.68"),
    ("GBP", 2, -0.004, None, "GBP 0.00"),
    ("IRR", 0, 1_299_999.5, None, "IRR 1,300,000"),
    ("IRR", 0, np.int64(2_500_000), None, "IRR 2,500,000"),
    ("IRR", 0, 1e20, None, "IRR 100,000,000,000,000,000,000"),
    ("BHD", 3, 1.2345, None, "BHD 1.235"),
    ("BHD", 3, 12.5, None, "BHD 12.500"),
    ("BHD", 3, 1234.5678, 1, "BHD 1,234.6"),
])  # fmt: skip
def test_money_major_by_hand(currency, minor, amount, decimals, text):
    assert _money(currency, minor).money_major(amount, decimals=decimals) == text


def test_money_major_agrees_with_money_on_whole_minor_units():
    for currency, minor in [("GBP", 2), ("IRR", 0), ("BHD", 3)]:
        c = _money(currency, minor)
        for minor_units in (0, 7, 123456, -98765, 10**9 + 1):
            assert c.money_major(minor_units / 10**minor) == c.money(minor_units), (currency, minor_units)


def test_money_major_refuses_what_is_not_a_finite_number():
    assert COURSE.money_major(None) == "" and COURSE.money_major(float("nan")) == ""
    for bad in (float("inf"), "12", True):
        with pytest.raises(ValueError, match=f"`amount` must be a finite number of IRR, but {bad!r} was passed"):
            COURSE.money_major(bad)
    for bad in (-1, 5, 1.0, True):
        with pytest.raises(ValueError, match=f"`decimals` must be the digits to show.*but {bad!r} was passed"):
            COURSE.money(100, decimals=bad)


@pytest.mark.parametrize(("minor", "values", "expected"), [
    (2, [123456, 5, -199], [1234.56, 0.05, -1.99]),     # pence to pounds
    (0, [1_500_000, 7], [1_500_000.0, 7.0]),           # rial has no minor unit
    (3, [1_234_567, 5, -1], [1234.567, 0.005, -0.001]),  # fils to dinars
])  # fmt: skip
def test_major_by_hand(minor, values, expected):
    c = _money({0: "IRR", 2: "GBP", 3: "BHD"}[minor], minor)
    series = pd.Series(values, name="total_cents")
    assert c.major(series).tolist() == expected  # the float nearest to each exact quotient
    assert [Decimal(v).scaleb(-minor) for v in values] == [Decimal(repr(x)) for x in expected]
    assert c.major(values[0]) == expected[0] and to_major(np.array(values), minor).tolist() == expected
    frame = pd.DataFrame({"a": values})
    pd.testing.assert_frame_equal(c.major(frame), pd.DataFrame({"a": expected}))
    with pytest.raises(ValueError, match="`minor_unit` must be the digits after the decimal point"):
        to_major(series, 5)


# ---------------------------------------------------------------- from_mapping and bad values


def test_from_mapping_fills_the_defaults():
    shop = from_mapping(_shop(purchase_statuses="Complete"))
    assert shop == Conventions("Europe/London", "GBP", 2, "gregorian", pd.Timestamp("2011-12-09"), ("Complete",))
    rial = from_mapping({"timezone": "Asia/Tehran", "currency": "IRR", "calendar": "jalali", "as_of": "2025-03-20"})
    assert (rial.minor_unit, rial.fiscal_year_start, COURSE.fiscal_year_start) == (0, "1 Farvardin", "1 January")
    assert from_mapping(_shop(as_of=date(2011, 12, 9))).as_of == pd.Timestamp("2011-12-09")


@pytest.mark.parametrize(("changes", "message"), [
    ({"timezone": "Tehran"},
     re.escape("The value for `timezone` must be an IANA name such as 'Asia/Tehran' or 'Europe/London', "
               "but 'Tehran' was passed.")),
    ({"timezone": 3.5}, "The value for `timezone` must be an IANA name"),
    ({"currency": "usd"}, "The value for `currency` must be an ISO 4217 code of three capital letters"),
    ({"currency": "US$"}, re.escape("but 'US$' was passed")),
    ({"minor_unit": -1}, "The value for `minor_unit` must be the digits after the decimal point, 0 to 4"),
    ({"minor_unit": True}, "`minor_unit`.*but True was passed"),
    ({"minor_unit": 2.5}, "`minor_unit`.*but 2.5 was passed"),
    ({"calendar": "persian"}, r"The value for `calendar` must be one of \['gregorian', 'jalali'\], but 'persian'"),
    ({"as_of": "yesterday"}, r"The value for `as_of` must be a date such as '2025-12-31'"),
    ({"as_of": "2011-12-09 10:00"}, "with no time of day"),
    ({"as_of": pd.Timestamp("2011-12-09", tz="UTC")}, "without a time zone"),
    ({"as_of": 20111209}, "`as_of` must be a date"),
    ({"purchase_statuses": []}, "`purchase_statuses` must be one or more status spellings"),
    ({"purchase_statuses": [1]}, "`purchase_statuses`.*but \\[1\\] was passed"),
    ({"time_zone": "UTC"}, r"Unknown convention\(s\) \['time_zone'\]: the known ones are \['timezone', "),
    ({"currency": "XAU"}, "The digits after the decimal point of 'XAU' are not known: give `minor_unit`"),
])  # fmt: skip
def test_bad_values_are_refused_with_the_field_named(changes, message):
    with pytest.raises(ValueError, match=message):
        from_mapping(_shop(**changes))


def test_missing_keys_and_wrong_types():
    with pytest.raises(ValueError, match=r"The conventions need \['as_of'\]"):
        from_mapping({"timezone": "UTC", "currency": "USD"})
    with pytest.raises(TypeError, match="must be a mapping such as a dict, but a str was passed"):
        from_mapping("Asia/Tehran")
    assert from_mapping(_shop(currency="XAU", minor_unit=0)).money(3) == "XAU 3"


# ---------------------------------------------------------------- analyses take the conventions


def test_an_analysis_counts_days_and_purchases_by_the_conventions_passed():
    from crmlab.analysis.churn import churn_labels

    # customer 1 ordered at 22:00 UTC on 31 Dec 2024: already 1 January (01:30) in Tehran, still
    # 31 December (22:00) in London, so only in Tehran does the order fall in the window after the cutoff.
    when = pd.to_datetime(["2024-12-31 22:00", "2025-04-15 12:00"], utc=True)
    orders = pd.DataFrame({"customer_id": [1, 2], "status": ["paid", "paid"], "ordered_at": when})
    tehran = from_mapping({"timezone": "Asia/Tehran", "currency": "IRR", "as_of": "2025-04-15",
                           "purchase_statuses": "paid"})  # fmt: skip
    london = from_mapping(_shop(as_of="2025-04-15", purchase_statuses="paid"))
    assert churn_labels(orders, [1], "2024-12-31", 90, conventions=tehran).tolist() == [False]
    assert churn_labels(orders, [1], "2024-12-31", 90, conventions=london).tolist() == [True]
    # with the course's conventions, "paid" is not a purchase: nobody bought in the window
    assert churn_labels(orders, [1, 2], "2024-12-31", 90).tolist() == [True, True]


# ---------------------------------------------------------------- rials shown in toman (issue 12)

TOMAN = from_mapping({"timezone": "Asia/Tehran", "currency": "IRR", "as_of": "2025-12-31", "display_unit": "toman"})


@pytest.mark.parametrize(("rials", "text"), [
    (1_500_000, "150,000 toman"),  # ten rials make a toman
    (15, "1.5 toman"),  # a rial less than a whole toman is shown, never rounded away
    (-1_234_567, "-123,456.7 toman"),
    (0, "0 toman"),
    (10**15, "100,000,000,000,000 toman"),  # exact beyond float precision
])  # fmt: skip
def test_money_in_toman_by_hand(rials, text):
    assert TOMAN.money(rials) == text


def test_toman_rounds_only_when_asked_and_leaves_stored_amounts_alone():
    assert TOMAN.money(15, decimals=0) == "2 toman" and TOMAN.money(-15, decimals=0) == "-2 toman"  # half away
    assert TOMAN.money_major(1299.5) == "130 toman"  # 1,299.5 rials: the whole rial 1,300 first, as IRR shows it
    assert TOMAN.money_major(1299.4) == "129.9 toman"
    amounts = pd.Series([1_500_000, 15, 7])
    assert TOMAN.major(amounts).tolist() == [1_500_000.0, 15.0, 7.0]  # calculations stay in rials
    assert TOMAN.display(amounts).tolist() == [150_000.0, 1.5, 0.7]
    assert TOMAN.unit_label == "toman" and TOMAN.money(None) == "" and TOMAN.money_major(float("nan")) == ""


def test_rial_display_and_no_display_print_the_same_as_before():
    rial = dataclasses.replace(TOMAN, display_unit="rial")
    plain = dataclasses.replace(TOMAN, display_unit=None)
    for c in (rial, plain):
        assert (c.money(1_500_000), c.money_major(1299.5), c.unit_label) == ("IRR 1,500,000", "IRR 1,300", "IRR")
        assert c.display(1_500_000) == 1_500_000.0
    assert COURSE.display_unit is None and COURSE.unit_label == COURSE.currency


@pytest.mark.parametrize(("currency", "unit", "message"), [
    ("USD", "toman", r"`display_unit` must be None: USD is shown as stored .* but 'toman' was passed"),
    ("IRR", "dollar", r"`display_unit` must be one of \['rial', 'toman'\] for IRR, or None, but 'dollar' was passed"),
    ("IRR", "Toman", r"but 'Toman' was passed"),
])  # fmt: skip
def test_a_display_unit_the_currency_has_not_is_refused(currency, unit, message):
    with pytest.raises(ValueError, match=message):
        from_mapping({"timezone": "Asia/Tehran", "currency": currency, "as_of": "2025-12-31", "display_unit": unit})


def test_display_unit_round_trips_through_a_mapping():
    assert TOMAN.display_unit == "toman"
    assert from_mapping({**{f.name: getattr(TOMAN, f.name) for f in dataclasses.fields(TOMAN)}}) == TOMAN


def test_a_mapping_file_sets_the_display_unit_and_names_the_key_when_wrong(tmp_path):
    from crmlab.datasets.mapping import MappingError, read_mapping

    (tmp_path / "sales.csv").write_text("a\n1\n")
    head = 'folder = "."\n[conventions]\ntimezone = "Asia/Tehran"\nas_of = "2025-12-31"\ndisplay_unit = "toman"\n'
    tail = '[tables.orders]\nfile = "sales.csv"\n'
    (tmp_path / "m.toml").write_text(head + 'currency = "IRR"\n' + tail)
    assert read_mapping(tmp_path / "m.toml").conventions.money(1_500_000) == "150,000 toman"
    (tmp_path / "m.toml").write_text(head + 'currency = "USD"\n' + tail)
    with pytest.raises(MappingError, match=r"key `conventions`.*display_unit.*USD is shown as stored"):
        read_mapping(tmp_path / "m.toml")
