"""The company calendar (crmlab.calendars) and Jalali cohorts, against published and hand-counted dates."""

from __future__ import annotations

import datetime as dt

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from crmlab import load_crm  # noqa: E402
from crmlab.analysis import cohorts  # noqa: E402
from crmlab.calendars import (  # noqa: E402
    calendar_periods,
    format_jalali,
    from_jalali,
    parse_jalali,
    period_labels,
    period_number,
    period_of,
    period_start,
    to_jalali,
)
from crmlab.conventions import COURSE, from_mapping  # noqa: E402
from crmlab.datasets import generate_crm  # noqa: E402
from crmlab.datasets.datevalues import jalali_to_gregorian  # noqa: E402
from crmlab.datasets.real import load_cdnow  # noqa: E402

# 1 Farvardin (Nowruz) of each Jalali year 1375-1405, as published in the Iranian calendar
# of the Calendar Center of the University of Tehran's Institute of Geophysics (and on
# timeanddate.com's "Nowruz" pages for each year). Written by hand, not computed.
NOWRUZ = {
    1375: dt.date(1996, 3, 20), 1376: dt.date(1997, 3, 21), 1377: dt.date(1998, 3, 21),
    1378: dt.date(1999, 3, 21), 1379: dt.date(2000, 3, 20), 1380: dt.date(2001, 3, 21),
    1381: dt.date(2002, 3, 21), 1382: dt.date(2003, 3, 21), 1383: dt.date(2004, 3, 20),
    1384: dt.date(2005, 3, 21), 1385: dt.date(2006, 3, 21), 1386: dt.date(2007, 3, 21),
    1387: dt.date(2008, 3, 20), 1388: dt.date(2009, 3, 21), 1389: dt.date(2010, 3, 21),
    1390: dt.date(2011, 3, 21), 1391: dt.date(2012, 3, 20), 1392: dt.date(2013, 3, 21),
    1393: dt.date(2014, 3, 21), 1394: dt.date(2015, 3, 21), 1395: dt.date(2016, 3, 20),
    1396: dt.date(2017, 3, 21), 1397: dt.date(2018, 3, 21), 1398: dt.date(2019, 3, 21),
    1399: dt.date(2020, 3, 20), 1400: dt.date(2021, 3, 21), 1401: dt.date(2022, 3, 21),
    1402: dt.date(2023, 3, 21), 1403: dt.date(2024, 3, 20), 1404: dt.date(2025, 3, 21),
    1405: dt.date(2026, 3, 21),
}  # fmt: skip
#: Leap years (Esfand has 30 days) among 1375-1404, from the same published calendar.
LEAP = {1375, 1379, 1383, 1387, 1391, 1395, 1399, 1403}


def days(*values) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values)))


@pytest.mark.parametrize(("year", "nowruz"), NOWRUZ.items())
def test_nowruz_each_year_both_ways(year, nowruz):
    assert from_jalali(year, 1, 1).dt.date.tolist() == [nowruz]
    assert to_jalali(days(nowruz)).iloc[0].tolist() == [year, 1, 1]
    assert to_jalali(days(nowruz - dt.timedelta(days=1))).iloc[0].tolist() == [year - 1, 12, 30 if year - 1 in LEAP
                                                                                 else 29]  # fmt: skip
    assert jalali_to_gregorian(year, 1, 1) == nowruz  # the loader's conversion agrees
    assert format_jalali(days(nowruz)).tolist() == [f"{year}/01/01"]


def _round_trip(local: pd.Series) -> None:
    unique = pd.Series(local.dropna().unique()).sort_values(ignore_index=True)
    parts = to_jalali(unique)
    back = from_jalali(parts["year"].astype(int), parts["month"].astype(int), parts["day"].astype(int))
    pd.testing.assert_series_equal(back.astype("datetime64[ns]"), unique.astype("datetime64[ns]"), check_names=False)
    text = format_jalali(unique)
    assert parse_jalali(text).astype("datetime64[ns]").tolist() == unique.astype("datetime64[ns]").tolist()
    first = unique[(parts["month"] == 1) & (parts["day"] == 1)]
    firsts = dict(zip(parts.loc[first.index, "year"].astype(int), first.dt.date, strict=True))
    assert firsts and all(NOWRUZ[y] == d for y, d in firsts.items())
    # consecutive days are consecutive Jalali days (no gap, no repeat)
    daily = pd.Series(pd.date_range(unique.min(), unique.max(), freq="D"))
    p = to_jalali(daily)
    step = (p["day"].diff() == 1) | ((p["day"].shift() >= 29) & (p["day"] == 1))
    assert step.iloc[1:].all()
    return firsts


def test_cdnow_dates_round_trip_and_hold_nowruz_1376_and_1377():
    cdnow = load_cdnow()["date"]
    assert (cdnow.min(), cdnow.max()) == (pd.Timestamp("1997-01-01"), pd.Timestamp("1998-06-30"))
    firsts = _round_trip(cdnow)
    assert sorted(firsts) == [1376, 1377]
    assert to_jalali(days("1997-01-01", "1998-06-30")).to_numpy().tolist() == [[1375, 10, 12], [1377, 4, 9]]


def _nowruz_years(local: pd.Series) -> list[int]:
    return list(range(to_jalali(days(local.min()))["year"].iloc[0] + 1,
                      to_jalali(days(local.max()))["year"].iloc[0] + 1))  # fmt: skip


def test_synthetic_order_days_round_trip_and_every_nowruz_is_published():
    # the generic company trades every day of the year: every Nowruz inside the data has orders, and matches the table
    generic = generate_crm(market="generic").orders
    local = COURSE.local_day(generic["ordered_at"])
    assert sorted(_round_trip(local)) == _nowruz_years(local) == [1401, 1402, 1403, 1404]
    # the course's (Iranian) company shuts for Nowruz: its order days still round-trip, the Nowruz days it has
    # match the table (checked in _round_trip), and the first four days of Farvardin (x0.1) sell far less a day
    # than the four weeks of Esfand before them (the year's peak, x1.9)
    local = COURSE.local_day(load_crm().orders["ordered_at"])
    firsts = _round_trip(local)
    assert set(firsts) <= set(_nowruz_years(local))
    for year in _nowruz_years(local):
        nowruz = pd.Timestamp(NOWRUZ[year])
        closed = local.between(nowruz, nowruz + pd.Timedelta(days=3)).sum() / 4
        esfand = local.between(nowruz - pd.Timedelta(days=28), nowruz - pd.Timedelta(days=1)).sum() / 28
        assert closed < 0.25 * esfand, year


def test_month_lengths_and_leap_esfand():
    daily = pd.Series(pd.date_range(NOWRUZ[1375], NOWRUZ[1405] - dt.timedelta(days=1), freq="D"))
    lengths = to_jalali(daily).groupby(["year", "month"]).size()
    for (year, month), n in lengths.items():
        expected = 31 if month <= 6 else 30 if month <= 11 else 30 if year in LEAP else 29
        assert n == expected, (year, month)
    assert len(lengths) == 30 * 12
    for year in range(1375, 1405):
        assert (NOWRUZ[year + 1] - NOWRUZ[year]).days == (366 if year in LEAP else 365)


def test_quarter_and_fiscal_year_boundaries_of_1403():
    """1403 starts on 20 March 2024; Tir is 93 days later, Mehr 186, Dey 276 (counted by hand)."""
    quarters = calendar_periods("2024-03-20", "2025-03-20", "quarter", "jalali")
    assert quarters.index.date.tolist() == [dt.date(2024, 3, 20), dt.date(2024, 6, 21), dt.date(2024, 9, 22),
                                            dt.date(2024, 12, 21)]  # fmt: skip
    assert quarters["end"].dt.date.tolist() == [dt.date(2024, 6, 20), dt.date(2024, 9, 21), dt.date(2024, 12, 20),
                                                dt.date(2025, 3, 20)]  # fmt: skip
    assert quarters["label"].tolist() == ["1403 Q1", "1403 Q2", "1403 Q3", "1403 Q4"]
    edges = days("2024-03-19", "2024-03-20", "2024-06-20", "2024-06-21", "2025-03-20", "2025-03-21")
    assert period_of(edges, "quarter", "jalali").tolist() == ["1402 Q4", "1403 Q1", "1403 Q1", "1403 Q2", "1403 Q4",
                                                              "1404 Q1"]  # fmt: skip
    assert period_of(edges, "year", "jalali").tolist() == ["FY 1402"] + ["FY 1403"] * 4 + ["FY 1404"]
    assert period_of(edges, "year").tolist() == ["FY 2024"] * 4 + ["FY 2025"] * 2  # Gregorian: from 1 January
    months = period_of(edges, "month", from_mapping({"timezone": "Asia/Tehran", "currency": "IRR",
                                                     "calendar": "jalali", "as_of": "2025-03-21"}))  # fmt: skip
    assert months.tolist() == ["Esfand 1402", "Farvardin 1403", "Khordad 1403", "Tir 1403", "Esfand 1403",
                               "Farvardin 1404"]  # fmt: skip
    assert months.cat.ordered and months.cat.categories[0] == "Esfand 1402" and len(months.cat.categories) == 14
    starts = [dt.date(2023, 3, 21)] + [dt.date(2024, 3, 20)] * 4 + [dt.date(2025, 3, 21)]
    assert period_start(edges, "year", "jalali").dt.date.tolist() == starts


def test_gregorian_period_tables_by_hand():
    quarters = calendar_periods("2024-01-15", "2024-05-02", "quarter")
    assert quarters.index.date.tolist() == [dt.date(2024, 1, 1), dt.date(2024, 4, 1)]
    assert quarters["end"].dt.date.tolist() == [dt.date(2024, 3, 31), dt.date(2024, 6, 30)]
    assert quarters["label"].tolist() == ["2024 Q1", "2024 Q2"]
    months = calendar_periods("2024-02-10", "2024-03-01")
    assert months["end"].dt.date.tolist() == [dt.date(2024, 2, 29), dt.date(2024, 3, 31)]  # a leap February
    assert months["label"].tolist() == ["Feb 2024", "Mar 2024"]
    years = calendar_periods("2023-12-31", "2024-01-01", "year")
    assert years.index.date.tolist() == [dt.date(2023, 1, 1), dt.date(2024, 1, 1)]
    assert years["label"].tolist() == ["FY 2023", "FY 2024"]


def test_gregorian_periods_are_pandas_periods():
    d = pd.Series(pd.date_range("1999-11-15", "2026-02-10", freq="17D"))
    for period, freq in (("month", "M"), ("quarter", "Q"), ("year", "Y")):
        ordinals = d.dt.to_period(freq).map(lambda p: p.ordinal).to_numpy()
        assert (period_number(d, period) == ordinals).all()
        assert (period_start(d, period) == d.dt.to_period(freq).dt.to_timestamp()).all()
    assert period_labels(period_number(days("2025-01-31", "2025-11-01"), "quarter"), "quarter") == ["2025 Q1",
                                                                                                     "2025 Q4"]


def test_refusals_name_the_value():
    with pytest.raises(ValueError, match=r"1402/12/30 is not a date of the Jalali calendar \(Esfand 1402 has 29 d"):
        from_jalali([1403, 1402], [12, 12], [30, 30])
    with pytest.raises(ValueError, match="1403/13/01 is not a date of the Jalali calendar; correct"):
        parse_jalali(["1403/01/01", "1403/13/01"])
    with pytest.raises(ValueError, match="'14030101' is not a Jalali date"):
        parse_jalali(["14030101"])
    with pytest.raises(ValueError, match=r"`calendar` must be one of \['gregorian', 'jalali'\].*'persian'"):
        period_of(days("2024-01-01"), "month", "persian")
    with pytest.raises(ValueError, match=r"`period` must be one of \['month', 'quarter', 'year'\]"):
        period_of(days("2024-01-01"), "week")
    with pytest.raises(ValueError, match="local days"):
        period_of(pd.Series(pd.to_datetime(["2024-03-19 21:00"], utc=True)), "month", "jalali")
    assert parse_jalali(["", None]).isna().all() and format_jalali(days(None)).tolist() == [None]


# A tiny order log counted by hand on the Jalali calendar. Month starts used (published):
# 1 Esfand 1402 = 2024-02-20, 1 Farvardin 1403 = 2024-03-20, 1 Ordibehesht = 2024-04-20,
# 1 Khordad = 2024-05-21, 1 Tir = 2024-06-21.
TINY = pd.DataFrame({
    "customer_id": ["a", "a", "b", "b", "c", "c", "d", "e", "e"],
    "ordered_at": pd.to_datetime(["2024-03-19", "2024-04-25", "2024-03-20", "2024-04-19",
                                  "2024-03-25", "2024-05-21", "2024-04-20", "2024-03-01", "2024-03-10"]),
    "status": "completed",
})  # fmt: skip


def test_jalali_retention_matrix_matches_a_hand_count():
    """a: Esfand 1402 (19 Mar), again Ordibehesht (age 2). b: Farvardin (20 Mar), again 19 Apr, still Farvardin.
    c: Farvardin, again 21 May = 1 Khordad (age 2). d: Ordibehesht. e: Esfand twice (age 0 only).
    Observed to 2024-06-20 = 31 Khordad 1403 (month 3 after Esfand)."""
    got = cohorts.retention_matrix(TINY, end="2024-06-20", tz="UTC", calendar="jalali")
    nan = np.nan
    expected = pd.DataFrame([[1.0, 0.0, 0.5, 0.0], [1.0, 0.0, 0.5, nan], [1.0, 0.0, nan, nan]],
                            index=pd.CategoricalIndex(["Esfand 1402", "Farvardin 1403", "Ordibehesht 1403"],
                                                      categories=["Esfand 1402", "Farvardin 1403", "Ordibehesht 1403",
                                                                  "Khordad 1403"], ordered=True, name="cohort"),
                            columns=pd.RangeIndex(4, name="months_since_acquisition"))  # fmt: skip
    pd.testing.assert_frame_equal(got, expected)
    sizes = cohorts.cohort_sizes(TINY, tz="UTC", calendar="jalali", end="2024-06-20")
    assert sizes.to_dict() == {"Esfand 1402": 2, "Farvardin 1403": 2, "Ordibehesht 1403": 1}
    # On Gregorian months the same log splits differently: b, a and e in March, d in April.
    greg = cohorts.cohort_sizes(TINY, tz="UTC", end="2024-06-20")
    assert {str(k): v for k, v in greg.items()} == {"2024-03": 4, "2024-04": 1}
    activity = cohorts.cohort_activity(TINY, amount=None, tz="UTC", calendar="jalali", end="2024-06-20")
    assert activity.loc[activity["customer_id"] == "c", "months_since_acquisition"].tolist() == [0, 2]
    assert activity.attrs["end_month"] == "Khordad 1403"


def test_pooled_jalali_curve_matches_the_hand_count():
    """The tiny log pooled: month 0 all 5; month 1 nobody; month 2 a and c of the 4 observed that far."""
    everyone = pd.Series("all", index=list("abcde"), name="group")
    curve = cohorts.retention_by_group(TINY, everyone, tz="UTC", end="2024-06-20", max_age=3, calendar="jalali")
    assert curve[["customers", "active"]].to_numpy().tolist() == [[5, 5], [5, 0], [4, 2], [2, 0]]


def test_jalali_retention_equals_a_brute_force_count_on_the_course_data():
    orders = load_crm().orders
    got = cohorts.retention_matrix(orders, calendar="jalali")
    done = orders[orders["status"].isin(COURSE.purchase_statuses)]
    local = COURSE.local_day(done["ordered_at"])
    j = to_jalali(local)
    month = (j["year"].astype(int) * 12 + j["month"].astype(int) - 1).to_numpy()
    first = pd.Series(month).groupby(done["customer_id"].to_numpy()).transform("min").to_numpy()
    pairs = pd.DataFrame({"c": done["customer_id"].to_numpy(), "cohort": first, "age": month - first}).drop_duplicates()
    counts = pairs.groupby(["cohort", "age"]).size().unstack(fill_value=0)
    shares = counts.div(counts[0], axis=0)
    values = got.to_numpy()
    assert values.shape[0] == len(shares)
    for i, (_, row) in enumerate(shares.iterrows()):
        seen = ~np.isnan(values[i])
        assert np.allclose(values[i][seen], row.reindex(range(seen.sum()), fill_value=0).to_numpy())
    names = ["Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar", "Mehr", "Aban", "Azar", "Dey",
             "Bahman", "Esfand"]  # fmt: skip
    labels = [f"{names[c % 12]} {c // 12}" for c in shares.index]
    assert got.index.tolist() == labels


def test_gregorian_default_is_unchanged_and_equals_plain_pandas():
    orders = load_crm().orders
    got = cohorts.retention_matrix(orders)
    pd.testing.assert_frame_equal(got, cohorts.retention_matrix(orders, calendar=COURSE))
    done = orders[orders["status"].isin(COURSE.purchase_statuses)]
    month = COURSE.local_day(done["ordered_at"]).dt.to_period("M")
    pairs = pd.DataFrame({"c": done["customer_id"].to_numpy(), "m": month.to_numpy()})
    pairs["cohort"] = pairs.groupby("c")["m"].transform("min")
    pairs["age"] = [(m - c).n for m, c in zip(pairs["m"], pairs["cohort"], strict=True)]
    counts = pairs.drop_duplicates(["c", "age"]).groupby(["cohort", "age"]).size().unstack(fill_value=0)
    assert got.index.tolist() == counts.index.tolist()
    assert np.allclose(got[1].dropna().to_numpy(), (counts[1] / counts[0]).iloc[: got[1].notna().sum()].to_numpy())


def test_heatmap_labels_jalali_months_and_refuses_relabelling_gregorian():
    import matplotlib.pyplot as plt

    matrix = cohorts.retention_matrix(TINY, end="2024-06-20", tz="UTC", calendar="jalali")
    ax = cohorts.cohort_heatmap(matrix, calendar="jalali")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Esfand 1402", "Farvardin 1403", "Ordibehesht 1403"]
    assert ax.get_ylabel() == "acquisition cohort (Jalali month)"
    plt.close("all")
    with pytest.raises(ValueError, match="cannot be relabelled as Jalali"):
        cohorts.cohort_heatmap(cohorts.retention_matrix(TINY, tz="UTC"), calendar="jalali")


# ---------------------------------------------------------------- the lessons' other groupings take the calendar

# the course's company on the Jalali calendar: whole rials, as the course data are since the flip
JALALI = from_mapping({"timezone": "Asia/Tehran", "currency": "IRR", "calendar": "jalali", "as_of": "2025-12-31"})


def _fiscal_1403(days: pd.Series) -> pd.Series:
    """Inside Jalali year 1403, by the published Nowruz dates (20 March 2024 to 20 March 2025)."""
    return (days >= pd.Timestamp(NOWRUZ[1403])) & (days < pd.Timestamp(NOWRUZ[1404]))


def test_kpis_count_jalali_months_and_fiscal_years_by_hand():
    from crmlab.analysis import kpis

    crm = load_crm(tables=["customers", "orders", "order_lines", "products", "tickets", "opportunities",
                           "opportunity_stages"])  # fmt: skip
    signups = crm.customers["signup_date"]
    monthly = kpis.new_customers_per_month(crm.customers, by=None, calendar="jalali").set_index("month")
    farvardin = (signups >= pd.Timestamp(NOWRUZ[1403])) & (signups < pd.Timestamp(NOWRUZ[1403]) + pd.Timedelta(days=31))
    assert monthly.loc[pd.Timestamp(NOWRUZ[1403]), "new_customers"] == farvardin.sum()
    assert monthly["new_customers"].sum() == signups.notna().sum()
    done = crm.orders[crm.orders["status"] == "completed"]
    local = COURSE.local_day(done["ordered_at"])
    by_year = kpis.revenue_per_buyer(crm.orders, calendar="jalali")
    assert by_year.loc[1403, "buyers"] == done.loc[_fiscal_1403(local), "customer_id"].nunique()
    assert by_year.loc[1403, "revenue"] == done.loc[_fiscal_1403(local), "total_cents"].sum()  # whole rials
    card = kpis.goal_scorecard(crm, year=1403, calendar="jalali").set_index("kpi")
    assert card.loc["new customers per month, FY 1403", "value"] == round(_fiscal_1403(signups).sum() / 12, 2)
    assert "revenue per buyer, FY 1403 vs FY 1402" in card.index


def test_bi_counts_jalali_years_and_months_by_hand():
    from crmlab.analysis import bi
    from crmlab.analysis.bi.impact import late_delivery_impact
    from crmlab.widgets.dashboard import KpiDashboard

    crm = load_crm(tables=["customers", "orders", "shipments", "tickets", "invoices", "payments"])
    region = sorted(crm.customers["region"].unique())[0]
    impact = late_delivery_impact(crm.shipments, crm.orders, crm.customers, [region], cost_per_late=1.0,
                                  conventions=JALALI)  # fmt: skip
    known = bi.shipment_lateness(crm.shipments, JALALI.as_of)["late"].notna()
    promised = crm.shipments.set_index("shipment_id")["promised_date"]
    assert impact.loc[1403, "shipments"] == (_fiscal_1403(promised) & known.reindex(promised.index)).sum()
    assert impact.index.max() == 1404  # 2025-12-31 is in Dey 1404
    sales = bi.monthly_sales(crm, conventions=JALALI)
    row = sales.loc[pd.Timestamp(NOWRUZ[1404])]
    local = COURSE.local_day(crm.orders.loc[crm.orders["status"] == "completed", "ordered_at"])
    in_farvardin = (local >= pd.Timestamp(NOWRUZ[1404])) & (local < pd.Timestamp(NOWRUZ[1404]) + pd.Timedelta(days=31))
    assert row["label"] == "Farvardin 1404" and row["orders"] == in_farvardin.sum()
    dash = KpiDashboard(crm, calendar="jalali")
    labels = [label for label, _ in dash.period.options]
    assert labels[-1] == "Dey 1404" and "Farvardin 1404" in labels
    dash.period.value = (pd.Timestamp(NOWRUZ[1404]), pd.Timestamp(NOWRUZ[1404]))
    assert dash.filters["end"] == pd.Timestamp("2025-04-20")  # 31 Farvardin 1404


def test_the_monthly_sales_chart_labels_jalali_months():
    from crmlab.analysis import bi
    from crmlab.widgets.sales import _chart_axes

    crm = load_crm(tables=["customers", "orders"])
    ax = _chart_axes(bi.monthly_sales(crm, start="2025-03-01", end="2025-06-30", conventions=JALALI), JALALI)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Esfand 1403", "Farvardin 1404", "Ordibehesht 1404",
                                                            "Khordad 1404", "Tir 1404"]  # fmt: skip
    assert ax.get_title() == "Revenue per month (Jalali months)"
    ax = _chart_axes(bi.monthly_sales(crm, start="2025-03-01", end="2025-04-30"), COURSE)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Mar 2025", "Apr 2025"]
    assert ax.get_title() == "Revenue per month"
