"""The KPI dashboard is a thin view: the numbers it shows are kpi_table's, and callbacks never raise."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import crmlab
from crmlab.analysis import bi
from crmlab.widgets.dashboard import KpiDashboard, format_kpis, format_value, month_options

TABLES = ["customers", "orders", "tickets", "shipments", "invoices", "payments"]


@pytest.fixture(scope="module")
def crm():
    return crmlab.load_crm(tables=TABLES)


@pytest.fixture
def dash(crm):
    return KpiDashboard(crm)


def _shown(dash) -> str:
    return dash.view.value


def _assert_shows(dash, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(dash.table, expected)
    page = _shown(dash)
    for kpi, row in expected.iterrows():
        assert f"<b>{format_value(row['value'], row['unit'])}</b>" in page, kpi


@pytest.mark.parametrize(("value", "unit", "text"), [
    (13186.0, "count", "13,186"),
    (9430067.2, "money", "IRR 9,430,067"),  # the course's conventions: whole rials
    (0.8956, "share", "89.6%"),
    (3.916, "score", "3.92"),
    (28.28, "days", "28.3 days"),
    (float("nan"), "share", "–"),
    (None, "money", "–"),
    (1234.5, "furlongs", "1.23e+03"),
])
def test_format_value(value, unit, text):
    assert format_value(value, unit) == text


def test_format_value_speaks_the_conventions_currency():
    from dataclasses import replace

    from crmlab.conventions import COURSE

    assert format_value(9430067.2, "money", replace(COURSE, currency="USD", minor_unit=2)) == "USD 9,430,067"


def test_format_kpis_keeps_the_kpi_index(crm):
    table = bi.kpi_table(crm, region="North")
    text = format_kpis(table)
    assert text.index.equals(table.index)
    assert text.loc["SLA compliance", "value"].endswith("%")


def test_month_options_cover_the_orders():
    months = month_options(pd.Timestamp("2022-01-01 10:00"), pd.Timestamp("2025-12-31 23:00"))
    assert len(months) == 48
    assert months[0] == ("Jan 2022", pd.Timestamp("2022-01-01"))
    assert months[-1] == ("Dec 2025", pd.Timestamp("2025-12-01"))


def test_starts_with_the_whole_company(crm, dash):
    assert dash.filters == {"region": None, "start": pd.Timestamp("2022-01-01"),
                            "end": pd.Timestamp("2025-12-31"), "channel": None}
    _assert_shows(dash, bi.kpi_table(crm, start="2022-01-01", end="2025-12-31"))
    pd.testing.assert_frame_equal(dash.table, bi.kpi_table(crm))  # the period spans all the data
    assert "KPI dashboard" in dash.widget.children[0].value
    assert dash.status.value == ""


def test_setting_the_filters_shows_the_functions_numbers(crm, dash):
    dash.region.value = "South"
    _assert_shows(dash, bi.kpi_table(crm, region="South", start="2022-01-01", end="2025-12-31"))
    dash.channel.value = "web"
    dash.period.value = (pd.Timestamp("2025-01-01"), pd.Timestamp("2025-06-01"))
    expected = bi.kpi_table(crm, region="South", start="2025-01-01", end="2025-06-30", channel="web")
    _assert_shows(dash, expected)
    assert dash.filters["end"] == pd.Timestamp("2025-06-30")
    baseline = bi.kpi_table(crm, region=None, start="2025-01-01", end="2025-06-30", channel="web")
    pd.testing.assert_frame_equal(dash.baseline, baseline)
    assert "<th style='padding:2px 12px;text-align:right'>South</th>" in _shown(dash)
    # the planted truth shows in the dashboard: the South delivers late more often than all regions
    assert dash.table.loc["Late deliveries", "value"] > dash.baseline.loc["Late deliveries", "value"]


def test_a_channel_without_orders_shows_dashes(crm, dash):
    dash.channel.value = "mail"  # support tickets only
    _assert_shows(dash, bi.kpi_table(crm, start="2022-01-01", end="2025-12-31", channel="mail"))
    assert dash.table.loc["Orders", "value"] == 0
    assert math.isnan(dash.table.loc["Average order", "value"])
    assert "<b>–</b>" in _shown(dash)


def test_a_failing_computation_is_shown_not_raised(crm):
    calls = []

    def flaky(crm, **filters):
        calls.append(filters)
        if filters["region"] == "East":
            raise RuntimeError("the warehouse is down")
        return bi.kpi_table(crm, **filters)

    dash = KpiDashboard(crm, kpis=flaky)
    before = dash.table.copy()
    dash.region.value = "East"  # the callback runs here: it must not raise
    assert "the warehouse is down" in dash.status.value and "RuntimeError" in dash.status.value
    pd.testing.assert_frame_equal(dash.table, before)  # the last good numbers stay
    dash.region.value = "West"
    assert dash.status.value == ""
    assert dash.table.loc["Orders", "value"] == bi.kpi_table(crm, region="West")["value"]["Orders"]
    assert calls[-1]["region"] is None  # the all-regions column of the last refresh


def test_bad_data_is_reported_in_the_dashboard(crm):
    broken = dict(crm)
    broken["tickets"] = crm["tickets"].drop(columns="created_at")
    dash = KpiDashboard(broken)
    assert dash.table is None
    assert "created_at" in dash.status.value


def test_displays_as_a_widget(dash):
    bundle = dash._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "KpiDashboard(filters=" in repr(dash)


def test_money_is_shown_in_the_data_s_currency_and_clock():
    """A company in rials shown in toman: the KPI table in whole rials, the dashboard's text in toman."""
    from dataclasses import replace

    from crmlab.conventions import COURSE
    from crmlab.datasets import generate_crm

    crm = generate_crm(300, seed=3, market="iran")
    crm.conventions = replace(COURSE, currency="IRR", minor_unit=0, display_unit="toman")
    dash = KpiDashboard(crm)
    done = crm.orders[crm.orders["status"] == "completed"]
    revenue = dash.table.loc["Revenue", "value"]
    assert revenue == done["total_cents"].sum()  # rials have no minor unit: the stored sum itself
    toman = int(revenue) // 10 + (1 if int(revenue) % 10 >= 5 else 0)  # ten rials a toman, rounded half up
    assert f"<b>{toman:,} toman</b>" in dash.view.value and "$" not in dash.view.value and "USD" not in dash.view.value
    assert format_value(revenue, "money", crm.conventions) == f"{toman:,} toman"
