"""The managers' dashboards over exports the project did not make, checked against recounts from the raw files.

Two real exports (see tests/foreign_exports.py for sources and licences): CDNOW as a US
shop's CSV (semicolons, day-first dates, dollars with decimals, a customers file) and a
year of pizza sales as a Persian till's UTF-16 export with Jalali dates, every sale booked
to one guest account. The expected numbers are recounted from the written files with the
csv module and ``decimal`` (or from the source rows), never with crmlab. Region and
channel filters, which neither export has, are checked on the course's data against a
plain pandas recount.
"""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from foreign_exports import (
    CDNOW_FILE,
    gregorian_to_jalali,
    load_pizzaplace,
    pizza_orders,
    write_cdnow_shop,
    write_pizza_pos,
)

import crmlab
from crmlab.analysis import bi
from crmlab.conventions import COURSE
from crmlab.dashboards import DATA_VARIABLE, MAPPING_VARIABLE, app, dashboard_data, voila_command
from crmlab.dashboards.serve import voila_environment
from crmlab.datasets import load_cdnow
from crmlab.widgets.sales import SalesDashboard, stated_filters
from crmlab.widgets.segments import LISTED, SegmentExplorer

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    return write_cdnow_shop(tmp_path_factory.mktemp("shop"), load_cdnow())


@pytest.fixture(scope="module")
def shop_rows(shop) -> list[tuple[str, dt.date, Decimal]]:
    """(customer, day, amount) of every line of the shop's file, read with the csv module."""
    with open(shop.parent / "export" / CDNOW_FILE, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    return [(r["Cust. No"], dt.datetime.strptime(r["Order Date"], "%d/%m/%Y").date(), Decimal(r["Amount (USD)"]))
            for r in rows]


@pytest.fixture(scope="module")
def shop_crm(shop):
    return dashboard_data(shop)


@pytest.fixture(scope="module")
def pizza() -> pd.DataFrame:
    return pizza_orders(load_pizzaplace())


@pytest.fixture(scope="module")
def till(tmp_path_factory, pizza) -> Path:
    return write_pizza_pos(tmp_path_factory.mktemp("till"), pizza)


def _exact(value: float) -> Decimal:
    """The decimal a float prints as (its shortest repr): 40.49, not 40.4900000000000019...."""
    return Decimal(repr(float(value)))


def _recount(rows, first: dt.date, last: dt.date) -> dict[str, object]:
    inside = [r for r in rows if first <= r[1] <= last]
    debut: dict[str, dt.date] = {}
    for customer, day, _ in rows:
        debut[customer] = min(day, debut.get(customer, day))
    buyers = {r[0] for r in inside}
    revenue = sum((r[2] for r in inside), Decimal(0))
    return {"Orders": len(inside), "Customers who bought": len(buyers), "Revenue": revenue,
            "Average order": revenue / len(inside), "New customers": sum(first <= debut[c] for c in buyers),
            "Returning customers": sum(debut[c] < first for c in buyers) / len(buyers)}


@pytest.mark.parametrize(("first", "last"), [("1997-03-01", "1997-06-30"), ("1998-01-01", "1998-06-30"),
                                             ("1997-01-01", "1997-01-01")])
def test_sales_kpis_of_the_shop_equal_a_recount_of_its_file(shop_crm, shop_rows, first, last):
    kpis = bi.sales_kpis(shop_crm, start=first, end=last, conventions=shop_crm.conventions)
    expected = _recount(shop_rows, dt.date.fromisoformat(first), dt.date.fromisoformat(last))
    for kpi in ("Orders", "Customers who bought", "New customers"):
        assert kpis.loc[kpi, "value"] == expected[kpi], kpi
    assert _exact(kpis.loc["Revenue", "value"]) == expected["Revenue"]
    assert kpis.loc["Revenue", "text"] == f"USD {expected['Revenue']:,.2f}"
    assert kpis.loc["Average order", "value"] == pytest.approx(float(expected["Average order"]), rel=1e-12)
    assert kpis.loc["Returning customers", "value"] == pytest.approx(expected["Returning customers"], rel=1e-12)
    assert kpis.loc["Orders per customer", "value"] == pytest.approx(
        expected["Orders"] / expected["Customers who bought"], rel=1e-12)


def test_monthly_sales_of_the_shop_equal_a_recount(shop_crm, shop_rows):
    months = bi.monthly_sales(shop_crm, conventions=shop_crm.conventions)
    by_month: dict[dt.date, list] = defaultdict(list)
    for row in shop_rows:
        by_month[row[1].replace(day=1)].append(row)
    assert len(months) == 18 and months.index[0] == pd.Timestamp("1997-01-01")  # January 1997 to June 1998
    for month, rows in by_month.items():
        got = months.loc[pd.Timestamp(month)]
        assert got["orders"] == len(rows) and got["customers"] == len({r[0] for r in rows})
        assert _exact(got["revenue"]) == sum((r[2] for r in rows), Decimal(0))


def test_the_till_export_gives_its_sales_kpis_and_refuses_segments(till, pizza):
    crm = dashboard_data(till)
    assert crm.conventions.calendar == "jalali" and crm.conventions.timezone == "Asia/Tehran"
    kpis = bi.sales_kpis(crm, conventions=crm.conventions)
    total = sum((Decimal(int(c)) for c in pizza["cents"]), Decimal(0)) / 100
    assert kpis.loc["Orders", "value"] == len(pizza) == 21350
    assert kpis.loc["Customers who bought", "value"] == 1
    assert _exact(kpis.loc["Revenue", "value"]) == total
    explorer = SegmentExplorer(crm)
    assert explorer.segment is None and explorer.problem.startswith("RFM segments need customer ids")
    assert "all belong to one customer (customer_id 0" in explorer.problem and "Lessons" not in explorer.problem
    assert explorer.status.value.count("RFM segments need customer ids") == 1
    assert "Traceback" not in explorer.status.value
    page = app("segments", {MAPPING_VARIABLE: str(till)})  # what Voila shows: the heading and the one message
    assert [type(w).__name__ for w in page.children] == ["HTML", "HTML"]
    assert page.children[1].value == explorer.status.value


def test_the_till_is_counted_in_jalali_months(till, pizza):
    """The till's company counts Jalali months: recounted with the test's own calendar (published Nowruz days)."""
    crm = dashboard_data(till)
    months = bi.monthly_sales(crm, conventions=crm.conventions)
    jalali = pizza["date"].map(lambda d: gregorian_to_jalali(dt.date.fromisoformat(d))[:2])
    expected = pizza.groupby(jalali.to_numpy())["cents"].agg(["size", "sum"])
    names = ["Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar", "Mehr", "Aban", "Azar", "Dey",
             "Bahman", "Esfand"]
    assert months["label"].tolist() == [f"{names[m - 1]} {y}" for y, m in expected.index]  # Dey 1393 to Dey 1394
    assert months["orders"].tolist() == expected["size"].tolist()
    assert [_exact(r) for r in months["revenue"]] == [Decimal(int(c)) / 100 for c in expected["sum"]]
    assert months.index[0] == pd.Timestamp("2014-12-22") and months.index[3] == pd.Timestamp("2015-03-21")  # Nowruz
    dash = SalesDashboard(crm)
    assert [o[0] for o in dash.period.options][:4] == ["Dey 1393", "Bahman 1393", "Esfand 1393", "Farvardin 1394"]
    dash.period.index = (3, 3)  # Farvardin 1394: 21 March to 20 April 2015
    in_farvardin = pizza[pizza["date"].between("2015-03-21", "2015-04-20")]
    assert dash.table.loc["Orders", "value"] == len(in_farvardin)
    assert "Showing: 1 Farvardin 1394 – 31 Farvardin 1394 · " in dash.stated.value
    assert "data up to 10 Dey 1394 (clock Asia/Tehran)" in dash.stated.value  # 31 December 2015


def test_region_and_channel_filters_equal_a_pandas_recount_on_the_course_data():
    crm = crmlab.load_crm(tables=["orders", "customers"])
    assert bi.filter_options(crm)["region"] == sorted(crm.customers["region"].unique())
    kpis = bi.sales_kpis(crm, region="South", channel="web", start="2025-01-01", end="2025-06-30")
    orders = crm.orders.merge(crm.customers[["customer_id", "region"]], on="customer_id")
    day = orders["ordered_at"].dt.tz_convert("Asia/Tehran").dt.tz_localize(None).dt.normalize()
    mine = orders[orders["status"].eq("completed") & orders["region"].eq("South") & orders["channel"].eq("web")
                  & day.between(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-06-30"))]
    assert kpis.loc["Orders", "value"] == len(mine) > 0
    # the course's money columns hold whole rials (IRR has no minor unit): nothing to divide by
    assert kpis.loc["Revenue", "value"] == pytest.approx(mine["total_cents"].sum(), rel=1e-12)
    with pytest.raises(ValueError, match="`region`"):
        bi.sales_kpis(crm, region="Atlantis")
    with pytest.raises(ValueError, match="no orders.channel"):
        bi.sales_kpis({"orders": crm.orders.drop(columns="channel")}, channel="web")


def test_the_sales_dashboard_states_its_filters_and_follows_them(shop_crm, shop_rows):
    dash = SalesDashboard(shop_crm)
    assert dash.region is None and dash.channel is None  # the shop's export has neither
    assert dash.stated.value.count("Showing: 1 Jan 1997 – 30 Jun 1998 · no channels in this data") == 1
    assert "money in USD" in dash.stated.value and "clock America/New_York" in dash.stated.value
    dash.period.index = (2, 5)  # March to June 1997
    expected = _recount(shop_rows, dt.date(1997, 3, 1), dt.date(1997, 6, 30))
    assert dash.table.loc["Orders", "value"] == expected["Orders"]
    assert "1 Mar 1997 – 30 Jun 1997" in dash.stated.value
    assert "crmlab-sales" in dash.view.value and "data:image/png;base64," in dash.chart.value


def test_a_dashboard_callback_never_raises(shop_crm):
    dash = SalesDashboard(shop_crm)
    dash.conventions = None  # anything a callback could meet
    dash.refresh()
    assert "could not be computed" in dash.status.value


def test_stated_filters_name_every_choice():
    f = {"region": "South", "channel": None, "start": pd.Timestamp("2025-01-01"), "end": pd.Timestamp("2025-01-31")}
    text = stated_filters(f, COURSE, {"region": ["South"], "channel": ["web"]})
    assert text == ("Showing: 1 Jan 2025 – 31 Jan 2025 · all channels · region South · money in IRR · "
                    "data up to 31 Dec 2025 (clock Asia/Tehran)")


def test_the_segment_explorer_counts_every_customer_and_penny(shop_crm, shop_rows):
    explorer = SegmentExplorer(shop_crm)
    largest = explorer.profile["customers"].idxmax()
    assert explorer.segment.value == largest and explorer.status.value == ""  # shown at once, no error
    assert explorer.stated.value.count(f"Showing: segment {largest} · ") == 1
    customers = {r[0] for r in shop_rows}
    total = sum((r[2] for r in shop_rows), Decimal(0))
    assert explorer.profile["customers"].sum() == len(customers)
    assert Decimal(int(explorer.profile["revenue"].sum())) / 100 == total
    spend: dict[str, Decimal] = defaultdict(Decimal)
    last: dict[str, dt.date] = {}
    for customer, day, amount in shop_rows:
        spend[customer] += amount
        last[customer] = max(day, last.get(customer, day))
    table = explorer.table
    for customer in ("1", "3", "23570"):
        assert Decimal(int(table.loc[int(customer), "total_spend"])) / 100 == spend[customer]
        assert table.loc[int(customer), "days_since_last_order"] == (dt.date(1998, 6, 30) - last[customer]).days
    explorer.segment.value = "At risk"
    mine = table[table["segment"].eq("At risk")]
    assert f"segment At risk · {len(mine):,} of {len(customers):,} customers" in explorer.stated.value
    assert len(explorer.members) == min(LISTED, len(mine))
    assert explorer.members["total_spend"].tolist() == sorted(mine["total_spend"], reverse=True)[:LISTED]
    assert "email" not in explorer.detail.value.lower() and "USD" in explorer.detail.value
    size = explorer.profile.loc["At risk", "customers"]
    assert "font-weight:bold'><td style='padding:2px 10px;text-align:left'>At risk</td>" in explorer.view.value
    assert f">{size:,}<" in explorer.view.value  # counts as whole numbers, not 50.0


def test_app_shows_one_message_when_the_data_does_not_load(tmp_path):
    bad = tmp_path / "mapping.toml"
    bad.write_text('[tables.orders]\nfile = "nothing.csv"\n', encoding="utf-8")
    widget = app("kpi", {MAPPING_VARIABLE: str(bad)})
    assert "could not be opened" in widget.value and "nothing.csv" in widget.value
    assert "Traceback" not in widget.value


def test_voila_command_and_environment(shop):
    command = voila_command("segments", 9123, browser=False)
    assert command[:3] == [sys.executable, "-m", "voila"] and command[3].endswith("segments.ipynb")
    assert "--Voila.ip=127.0.0.1" in command and "--no-browser" in command
    env = voila_environment(shop, None, base={"JUPYTER_PATH": "/x"})
    assert env[MAPPING_VARIABLE] == str(shop.resolve()) and DATA_VARIABLE not in env
    assert env["JUPYTER_PATH"].endswith(":/x")
    assert (Path(env["JUPYTER_PATH"].split(":")[0]) / "voila" / "templates" / "crmlab" / "conf.json").is_file()


def test_the_dashboard_command_refuses_data_that_does_not_load_in_one_line(tmp_path):
    bad = tmp_path / "mapping.toml"
    bad.write_text('[tables.orders]\nfile = "nothing.csv"\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "crmlab.cli", "dashboard", "kpi", "--mapping", str(bad),
                           "--no-browser"], capture_output=True, text=True, timeout=60, cwd=ROOT)  # fmt: skip
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("crmlab dashboard: error: ") and done.stderr.count("\n") == 1
    assert "nothing.csv" in done.stderr


CD_SHOP = ROOT / "datasets" / "examples" / "cd_shop" / "mapping.toml"


def test_the_shipped_example_export_holds_exactly_its_source_rows_and_feeds_everything():
    """datasets/examples/cd_shop: CDNOW customers 1-500 as written by a shop (see its README)."""
    from crmlab.datasets import check_export, load_export

    source = load_cdnow()
    source = source[source["customer_id"] <= 500].reset_index(drop=True)
    with open(CD_SHOP.parent / "export" / "purchases.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(source) == 1766
    assert [int(r["Customer"]) for r in rows] == source["customer_id"].tolist()
    assert [dt.datetime.strptime(r["Date"], "%d/%m/%Y") for r in rows] == source["date"].dt.to_pydatetime().tolist()
    assert [int(r["Qty"]) for r in rows] == source["quantity"].tolist()
    assert [Decimal(r["Paid"]) for r in rows] == [Decimal(repr(a)).quantize(Decimal("0.01")) for a in source["amount"]]
    crm = load_export(CD_SHOP)
    assert crm.orders["total_cents"].tolist() == [int(Decimal(r["Paid"]) * 100) for r in rows]
    report = check_export(CD_SHOP)
    assert all(report.can_run(lesson) for lesson in ("05_rfm", "06_clusters", "07_cohorts", "08_clv_churn",
                                                       "13_capstone"))


def test_check_says_which_reports_and_dashboards_an_export_feeds(till):
    from crmlab.datasets import check_export
    from crmlab.datasets.checkup import render_text

    shop = render_text(check_export(CD_SHOP))
    assert "  crmlab report: 05_rfm, 06_clusters, 07_cohorts, 08_clv_churn, 13_capstone\n" in shop
    assert "  crmlab dashboard segments: can run\n" in shop
    pos = render_text(check_export(till))
    assert "  crmlab report: none (the lessons with reports cannot run)\n" in pos
    assert "  crmlab dashboard kpi: can run (it needs only purchases)\n" in pos
    assert "  crmlab dashboard segments: cannot run (see the lessons above)\n" in pos


# -- service, delivery and payment KPIs: shown when the export has the tables, else stated with why ---------------


def test_an_export_of_purchases_alone_states_each_absent_kpi(shop_crm):
    kpis = bi.operations_kpis(shop_crm, conventions=shop_crm.conventions)
    assert kpis["value"].isna().all()
    assert kpis["missing"].to_dict() == {
        "SLA compliance": "no tickets table in this data", "Satisfaction (1-5)": "no tickets table in this data",
        "Late deliveries": "no shipments table in this data", "Days to pay": "no invoices table in this data"}
    dash = SalesDashboard(shop_crm)
    assert dash.operations_view.value.count("not shown, no tickets table in this data") == 2
    assert "Late deliveries: not shown, no shipments table in this data" in dash.operations_view.value
    no_sla = {"orders": shop_crm["orders"], "tickets": pd.DataFrame({"ticket_id": [1], "customer_id": [1],
                                                                     "created_at": shop_crm["orders"]["ordered_at"][:1],
                                                                     "satisfaction": [4]})}
    kpis = bi.operations_kpis(no_sla, conventions=shop_crm.conventions)
    assert kpis.loc["SLA compliance", "missing"] == "tickets have no column first_response_at, sla_hours"
    assert kpis.loc["Satisfaction (1-5)", "text"] == "4.00"


@pytest.fixture(scope="module")
def course_crm():
    return crmlab.load_crm(tables=["customers", "orders", "tickets", "shipments", "invoices", "payments"])


def test_service_delivery_and_payment_kpis_equal_a_pandas_recount(course_crm):
    crm, first, last = course_crm, pd.Timestamp("2025-01-01"), pd.Timestamp("2025-06-30")
    kpis = bi.operations_kpis(crm, region="South", channel="web", start=first, end=last)
    assert (kpis["missing"] == "").all()
    south = crm.customers.loc[crm.customers["region"].eq("South"), "customer_id"]

    def local(instants):
        return instants.dt.tz_convert("Asia/Tehran").dt.tz_localize(None).dt.normalize()

    end = pd.Timestamp("2026-01-01", tz="Asia/Tehran")  # the course's data ends with 31 December 2025
    t = crm.tickets[crm.tickets["customer_id"].isin(south) & crm.tickets["channel"].eq("web")
                    & local(crm.tickets["created_at"]).between(first, last)]
    deadline = t["created_at"] + pd.to_timedelta(t["sla_hours"].astype(int), unit="h")
    answered = t["first_response_at"].notna()
    known = answered | (deadline < end)
    late = (t["first_response_at"].where(answered, end) > deadline)[known]
    assert len(late) > 20
    assert kpis.loc["SLA compliance", "value"] == pytest.approx(1 - late.mean(), rel=1e-12)
    assert kpis.loc["Satisfaction (1-5)", "value"] == pytest.approx(t["satisfaction"].dropna().astype(float).mean())

    o = crm.orders[crm.orders["customer_id"].isin(south) & crm.orders["channel"].eq("web")
                   & local(crm.orders["ordered_at"]).between(first, last)]
    s = crm.shipments[crm.shipments["order_id"].isin(o["order_id"])]
    due = s["promised_date"] <= pd.Timestamp("2025-12-31")
    late = pd.concat([s.loc[s["delivered_date"].notna(), "delivered_date"] > s["promised_date"],
                      pd.Series(True, index=s.index[s["delivered_date"].isna() & due])])
    assert kpis.loc["Late deliveries", "value"] == pytest.approx(late.mean(), rel=1e-12)

    days = []
    for invoice in crm.invoices[crm.invoices["order_id"].isin(o["order_id"])].itertuples():
        paid = 0
        payments = crm.payments[crm.payments["invoice_id"].eq(invoice.invoice_id)]
        for pay in payments.sort_values("paid_date", kind="stable").itertuples():
            paid += pay.amount_cents
            if paid >= invoice.amount_cents:
                days.append((pay.paid_date - invoice.issued_date).days)
                break
    assert len(days) > 20
    assert kpis.loc["Days to pay", "value"] == pytest.approx(sum(days) / len(days), rel=1e-12)


def test_tickets_without_a_channel_cannot_follow_a_channel_filter(course_crm):
    crm = {**course_crm, "tickets": course_crm["tickets"].drop(columns="channel")}
    kpis = bi.operations_kpis(crm, channel="web", start="2025-01-01", end="2025-03-31")
    assert kpis.loc["SLA compliance", "missing"] == "tickets have no channel, so they cannot follow the channel web"
    assert not np.isnan(kpis.loc["Late deliveries", "value"])
    with pytest.raises(ValueError, match="`region`"):
        bi.operations_kpis(crm, region="Atlantis")


# -- the segment explorer's scoring option ---------------------------------------------------------------------


def test_equal_values_share_a_score_unless_asked_to_split_them_by_id(shop_crm, shop_rows):
    explorer = SegmentExplorer(shop_crm)
    orders: dict[str, int] = defaultdict(int)
    for customer, _, _ in shop_rows:
        orders[customer] += 1
    ones = [int(c) for c, n in orders.items() if n == 1]  # most CDNOW customers bought once
    assert explorer.ties.value == "min"  # the default: segments do not depend on the customer ids
    assert explorer.table.loc[ones, "f_score"].unique().tolist() == [1]
    assert explorer.table.groupby("n_orders")["f_score"].nunique().eq(1).all()
    assert "equal values share a score" in explorer.stated.value
    assert explorer.notes and "crmlab-note" in explorer.view.value  # the scores left empty are named
    shared = explorer.table["segment"].astype(str)
    explorer.segment.value = "At risk"
    explorer.ties.value = "first"
    assert explorer.table.loc[ones, "f_score"].nunique() > 1  # split by id: equal-sized scores
    assert explorer.profile["customers"].sum() == len(orders)
    assert "equal values split by customer id" in explorer.stated.value
    assert any("decided by their id" in note for note in explorer.notes)  # the explorer says what the ids decided
    assert (explorer.table["segment"].astype(str) != shared).any()
    if "At risk" in explorer.profile.index:
        assert explorer.segment.value == "At risk"


def test_on_the_course_data_the_dashboard_shows_lesson_04s_numbers():
    """Fed the course's six tables, the own-data dashboard agrees with lesson 04's kpi_table on every shared KPI."""
    dash = SalesDashboard(dashboard_data())
    dash.region.value, dash.channel.value = "South", "web"
    labels = [o[0] for o in dash.period.options]
    dash.period.index = (labels.index("Jan 2025"), labels.index("Jun 2025"))
    assert "Showing: 1 Jan 2025 – 30 Jun 2025 · channel web · region South · money in IRR" in dash.stated.value
    lesson = bi.kpi_table(dash.crm, region="South", channel="web", start="2025-01-01", end="2025-06-30")["value"]
    assert dash.table.loc["Orders", "value"] == lesson["Orders"] > 0
    assert dash.table.loc["Revenue", "value"] == pytest.approx(lesson["Revenue"], rel=1e-12)
    for kpi in ("SLA compliance", "Satisfaction (1-5)", "Late deliveries"):
        assert dash.operations.loc[kpi, "value"] == pytest.approx(lesson[kpi], rel=1e-12), kpi
    assert (dash.operations["missing"] == "").all() and "crmlab-absent" not in dash.operations_view.value
