"""crmlab.analysis.bi: hand-computed values on tiny tables, and the planted truths on generated data."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import crmlab
from crmlab.analysis import bi, kpis
from crmlab.conventions import COURSE

UTC = "UTC"


def _utc(*stamps):
    return pd.to_datetime(list(stamps), utc=True)


@pytest.fixture(scope="module")
def course():
    return crmlab.load_crm()


# ------------------------------------------------------------------ support


def _tickets():
    return pd.DataFrame({
        "ticket_id": [1, 2, 3, 4, 5, 6],
        "customer_id": [1, 1, 2, 2, 3, 3],
        "channel": ["web", "mail", "web", "web", "mail", "mail"],
        "created_at": _utc("2025-06-01 08:00", "2025-06-01 08:00", "2025-06-02 08:00", "2025-12-30 08:00",
                           "2025-12-31 18:00", "2025-06-03 08:00"),
        "first_response_at": _utc("2025-06-01 09:00", "2025-06-02 09:00", "2025-06-02 12:00", None, None,
                                  "2025-06-03 08:30"),
        "resolved_at": _utc("2025-06-01 12:00", "2025-06-03 09:00", None, None, None, "2025-06-04 08:00"),
        "sla_hours": np.array([4, 8, 24, 24, 24, 4], dtype="int16"),
        "contacts_to_resolve": pd.array([1, 2, None, None, None, 1], dtype="Int16"),
        "satisfaction": pd.array([5, 1, None, None, None, 2], dtype="Int8"),
    })


def _customers():
    return pd.DataFrame({"customer_id": [1, 2, 3], "region": ["North", "South", "South"],
                         "segment": ["consumer", "enterprise", "small_business"]})


def test_ticket_sla_is_lesson_01s():
    assert bi.ticket_sla is kpis.ticket_sla  # one SLA rule for every lesson (tested in test_analysis_kpis)


def test_support_quality_by_region_by_hand():
    out = bi.support_quality(_tickets(), _customers(), by="region")
    assert out["tickets"].tolist() == [2, 4]
    north, south = out.loc["North"], out.loc["South"]
    assert north["sla_breach_rate"] == pytest.approx(0.5)  # 1 of 2
    assert south["sla_breach_rate"] == pytest.approx(1 / 3)  # tickets 3, 4, 6 known; 4 breached
    assert north["satisfaction"] == pytest.approx(3.0) and south["satisfaction"] == pytest.approx(2.0)
    assert north["unhappy_rate"] == pytest.approx(0.5) and south["unhappy_rate"] == pytest.approx(1.0)
    assert north["first_contact_resolution"] == pytest.approx(0.5)
    assert south["first_contact_resolution"] == pytest.approx(1.0)
    assert north["median_response_hours"] == pytest.approx(13.0)


def test_support_quality_by_a_ticket_column_needs_no_customers():
    out = bi.support_quality(_tickets(), by=["channel"])
    assert out.loc["mail", "sla_breach_rate"] == pytest.approx(0.5)  # tickets 2 and 6 known
    assert out.loc["web", "sla_breach_rate"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="also pass `customers`"):
        bi.support_quality(_tickets(), by="region")
    with pytest.raises(TypeError, match="`tickets` must be a DataFrame"):
        bi.support_quality(_tickets().to_dict(), _customers())


def test_weak_support_region_is_found(course, big_crm):
    for crm in (course, big_crm):
        out = bi.support_quality(crm.tickets, crm.customers)
        weak = crm.truth["weak_support_region"]
        assert out["sla_breach_rate"].idxmax() == weak
        assert out["satisfaction"].idxmin() == weak
        assert out["unhappy_rate"].idxmax() == weak
        assert out.loc[weak, "sla_breach_rate"] > 1.3 * out["sla_breach_rate"].drop(weak).mean()
    out = bi.support_quality(course.tickets, course.customers)
    assert out["sla_breach_rate"].round(3).to_dict() == {  # snapshot of the course data (the Iranian company)
        "Capital": 0.092, "Central": 0.115, "East": 0.097, "North": 0.106, "South": 0.146, "West": 0.085}


# ------------------------------------------------------------------ finance and logistics


def test_invoice_payments_with_parts_by_hand():
    inv = pd.DataFrame({
        "invoice_id": [1, 2, 3, 4], "customer_id": [1, 1, 2, 2],
        "issued_date": pd.to_datetime(["2025-01-01"] * 4), "due_date": pd.to_datetime(["2025-01-31"] * 4),
        "amount_cents": [1000, 500, 300, 700],
    })
    pay = pd.DataFrame({
        "payment_id": [1, 2, 3, 4, 5], "invoice_id": [1, 2, 1, 4, 4],
        "paid_date": pd.to_datetime(["2025-01-20", "2025-01-02", "2025-02-04", "2025-01-10", "2025-01-05"]),
        "amount_cents": [600, 500, 400, 400, 300],
    })
    out = bi.invoice_payments(inv, pay)
    assert out["paid_cents"].tolist() == [1000, 500, 0, 700]
    assert out["n_payments"].tolist() == [2, 1, 0, 2]
    assert out["paid_in_full"].tolist() == [True, True, False, True]
    assert out["days_to_pay"].tolist()[:2] == [34.0, 1.0] and np.isnan(out.loc[3, "days_to_pay"])
    assert out.loc[4, "days_to_pay"] == 9.0  # parts arrive out of order: full on the later one
    assert out.loc[1, "days_late"] == 4.0


def test_business_invoices_paid_late_or_not_at_all(course, big_crm):
    for crm in (course, big_crm):
        out = bi.invoice_payments(crm.invoices, crm.payments)
        assert out["paid_cents"].sum() == crm.payments["amount_cents"].sum()
    out = bi.invoice_payments(big_crm.invoices, big_crm.payments)
    segment = out["customer_id"].map(big_crm.customers.set_index("customer_id")["segment"])
    consumer, business = out[segment == "consumer"], out[segment != "consumer"]
    assert (consumer.loc[consumer["paid_in_full"], "days_to_pay"] == 0).all()
    assert business["paid_in_full"].mean() < consumer["paid_in_full"].mean()
    # planted: 5% of business invoices are never paid (older ones: recent ones may still be paid);
    # delays average 2 x 14 = 28 days
    older = business[business["issued_date"] < "2025-07-01"]
    assert 1 - older["paid_in_full"].mean() == pytest.approx(0.05, abs=0.01)
    assert business["days_to_pay"].mean() == pytest.approx(28.5, abs=1.5)
    assert (business["n_payments"] == 2).mean() > 0.05


def _shipments():
    return pd.DataFrame({
        "shipment_id": [1, 2, 3, 4, 5], "order_id": [10, 11, 12, 13, 14],
        "carrier": ["Post", "Tipax", "Post", "Post", "Tipax"],
        "promised_date": pd.to_datetime(["2025-06-03", "2025-06-03", "2025-12-31", "2026-01-02", "2025-05-01"]),
        "delivered_date": pd.to_datetime(["2025-06-05", "2025-06-02", None, None, "2025-05-01"]),
    })


def test_shipment_lateness_by_hand():
    out = bi.shipment_lateness(_shipments())
    assert out["late"].tolist() == [True, False, True, pd.NA, False]
    assert out["days_late"].tolist()[:2] == [2.0, -1.0]


def test_delivery_quality_by_hand():
    orders = pd.DataFrame({"order_id": [10, 11, 12, 13, 14], "customer_id": [1, 2, 2, 3, 3],
                           "channel": ["web"] * 5})
    out = bi.delivery_quality(_shipments(), orders, _customers(), by="region")
    assert out.loc["North"].tolist() == [1, 1, 1.0, 2.0]
    assert out.loc["South", "shipments"] == 4 and out.loc["South", "late"] == 1
    assert out.loc["South", "late_rate"] == pytest.approx(1 / 3)  # shipment 4 not known yet
    by_carrier = bi.delivery_quality(_shipments(), orders, by="carrier")
    assert by_carrier["late_rate"].to_dict() == pytest.approx({"Post": 1.0, "Tipax": 0.0})


def test_far_regions_and_post_deliver_late(course, big_crm):
    for crm in (course, big_crm):
        by_region = bi.delivery_quality(crm.shipments, crm.orders, crm.customers)
        assert set(by_region["late_rate"].nlargest(2).index) == {"South", "East"}
        assert by_region["late_rate"].idxmin() == "Capital"
        by_carrier = bi.delivery_quality(crm.shipments, crm.orders, by="carrier")
        assert by_carrier["late_rate"].idxmax() == "Post"
    course_rates = bi.delivery_quality(course.shipments, course.orders, course.customers)["late_rate"]
    assert course_rates["South"] == pytest.approx(0.520, abs=0.001)  # snapshot of the course data
    assert course_rates["Capital"] == pytest.approx(0.115, abs=0.001)  # snapshot too


# ------------------------------------------------------------------ regions


def test_region_scorecard(course):
    card = bi.region_scorecard(course)
    assert card["customers"].sum() == len(course.customers)
    done = course.orders[course.orders["status"] == "completed"]
    south = course.customers.loc[course.customers["region"] == "South", "customer_id"]
    # the course's money columns hold whole rials (IRR has no minor unit): nothing to divide by
    by_hand = done.loc[done["customer_id"].isin(south), "total_cents"].sum() / len(south)
    assert card.loc["South", "revenue_per_customer"] == pytest.approx(by_hand)
    assert card["sla_breach_rate"].idxmax() == "South" and card["unhappy_rate"].idxmax() == "South"
    assert set(card["late_delivery_rate"].nlargest(2).index) == {"South", "East"}
    assert card["days_to_pay"].between(25, 32).all()
    assert set(bi.HIGHER_IS_BETTER) <= set(card.columns)


def test_relative_to_average_signs_good_news_positive():
    card = pd.DataFrame({"late_delivery_rate": [0.1, 0.2, 0.3], "revenue_per_customer": [90.0, 100, 110]},
                        index=["A", "B", "C"])
    out = bi.relative_to_average(card, bi.HIGHER_IS_BETTER)
    assert out["late_delivery_rate"].tolist() == pytest.approx([0.5, 0.0, -0.5])
    assert out["revenue_per_customer"].tolist() == pytest.approx([-0.1, 0.0, 0.1])
    with pytest.raises(ValueError, match="higher_is_better"):
        bi.relative_to_average(card, {"nothing": True})


def test_scorecard_heatmap_colours_and_labels(course):
    card = bi.region_scorecard(course)
    ax = bi.scorecard_heatmap(card)
    mesh = ax.collections[0]
    expected = bi.relative_to_average(card, bi.HIGHER_IS_BETTER)
    assert np.asarray(mesh.get_array()).reshape(expected.shape) == pytest.approx(expected.to_numpy())
    assert [t.get_text() for t in ax.get_yticklabels()] == card.index.tolist()
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == expected.size and "52%" in texts  # the South's late deliveries
    south = expected.loc["South"]
    assert south["sla_breach_rate"] < -0.3 and south["late_delivery_rate"] < -0.5


# ------------------------------------------------------------------ the dashboard's KPIs


@pytest.fixture
def tiny():
    customers = _customers()
    orders = pd.DataFrame({
        "order_id": [10, 11, 12, 13, 14, 15],
        "customer_id": [1, 2, 2, 3, 3, 1],
        # order 15 is placed at 21:00 UTC on 31 January: 1 February in Tehran
        "ordered_at": _utc("2025-01-05 10:00", "2025-01-10 10:00", "2025-01-20 10:00", "2025-02-03 10:00",
                           "2025-02-04 10:00", "2025-01-31 21:00"),
        "channel": ["web", "store", "web", "field_sales", "web", "web"],
        "status": ["completed", "completed", "cancelled", "completed", "completed", "completed"],
        "total_cents": [10_000, 20_000, 5_000, 100_000, 30_000, 40_000],
    })
    shipments = pd.DataFrame({
        "shipment_id": [1, 2, 3, 4], "order_id": [10, 13, 14, 15], "carrier": ["Post"] * 4,
        "promised_date": pd.to_datetime(["2025-01-08", "2025-02-07", "2025-02-07", "2025-02-05"]),
        "delivered_date": pd.to_datetime(["2025-01-09", "2025-02-06", "2025-02-09", "2025-02-04"]),
    })
    invoices = pd.DataFrame({
        "invoice_id": [1, 2, 3, 4, 5], "order_id": [10, 11, 13, 14, 15], "customer_id": [1, 2, 3, 3, 1],
        "issued_date": pd.to_datetime(["2025-01-05", "2025-01-10", "2025-02-03", "2025-02-04", "2025-02-01"]),
        "due_date": pd.to_datetime(["2025-01-05", "2025-02-09", "2025-03-05", "2025-03-06", "2025-02-01"]),
        "amount_cents": [10_000, 20_000, 100_000, 30_000, 40_000],
    })
    payments = pd.DataFrame({
        "payment_id": [1, 2, 3, 4, 5], "invoice_id": [1, 2, 3, 3, 5],
        "paid_date": pd.to_datetime(["2025-01-05", "2025-01-30", "2025-02-13", "2025-02-23", "2025-02-01"]),
        "amount_cents": [10_000, 20_000, 50_000, 50_000, 40_000],
    })
    return {"customers": customers, "orders": orders, "tickets": _tickets(), "shipments": shipments,
            "invoices": invoices, "payments": payments}


def test_kpi_table_by_hand(tiny):
    out = bi.kpi_table(tiny)
    assert out.index.tolist() == list(bi.KPI_UNITS) and out["unit"].tolist() == list(bi.KPI_UNITS.values())
    v = out["value"]
    assert v["Orders"] == 5 and v["Customers who bought"] == 3
    # amounts are whole rials in the course's conventions: 10,000 + 20,000 + 100,000 + 30,000 + 40,000
    assert v["Revenue"] == pytest.approx(200_000.0) and v["Average order"] == pytest.approx(40_000.0)
    assert v["SLA compliance"] == pytest.approx(1 - 2 / 5)  # tickets 1-4 and 6 known; 2 and 4 breached
    assert v["Satisfaction (1-5)"] == pytest.approx(8 / 3)
    assert v["Late deliveries"] == pytest.approx(0.5)  # shipments 1 and 3 of 4
    assert v["Days to pay (business)"] == pytest.approx((20 + 20) / 2)  # invoices 2 and 3; 4 is unpaid


def test_kpi_table_reads_the_money_in_the_conventions_minor_unit(tiny):
    # the same toy amounts read as US cents (the course's currency before the flip) are a hundredth in dollars
    usd = dataclasses.replace(COURSE, currency="USD", minor_unit=2)
    v = bi.kpi_table(tiny, conventions=usd)["value"]
    assert v["Revenue"] == pytest.approx(2000.0) and v["Average order"] == pytest.approx(400.0)
    assert v["Orders"] == 5


def test_kpi_table_filters(tiny):
    south = bi.kpi_table(tiny, region="South")["value"]
    assert south["Orders"] == 3 and south["Revenue"] == pytest.approx(150_000.0)  # whole rials
    assert south["SLA compliance"] == pytest.approx(2 / 3)  # tickets 3, 4, 6
    january = bi.kpi_table(tiny, start="2025-01-01", end="2025-01-31")["value"]
    assert january["Orders"] == 2  # order 15 is 1 February, local time
    february = bi.kpi_table(tiny, start=pd.Timestamp("2025-02-01"), end="2025-02-28")["value"]
    assert february["Orders"] == 3 and february["Late deliveries"] == pytest.approx(1 / 3)
    web = bi.kpi_table(tiny, channel="web")["value"]
    assert web["Orders"] == 3 and web["SLA compliance"] == pytest.approx(2 / 3)  # web tickets 1, 3, 4
    mail_orders = bi.kpi_table(tiny, channel="mail")["value"]
    assert mail_orders["Orders"] == 0 and np.isnan(mail_orders["Average order"])
    assert np.isnan(mail_orders["Days to pay (business)"])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"region": "Mars"}, r"The value for `region` must be one of \['North', 'South'\], but 'Mars' was passed"),
    ({"channel": "fax"}, r"The value for `channel` must be one of \[.*'web'\], but 'fax' was passed"),
    ({"start": "2025-03-01", "end": "2025-01-01"}, r"`start` \(2025-03-01\) is after `end` \(2025-01-01\)"),
    ({"start": "last tuesday"}, r"`start` must be a date such as '2025-01-31'"),
])
def test_kpi_table_explains_bad_filters(tiny, kwargs, message):
    with pytest.raises(ValueError, match=message):
        bi.kpi_table(tiny, **kwargs)


def test_kpi_table_on_the_course_data(course):
    total = bi.kpi_table(course)["value"]
    done = course.orders[course.orders["status"] == "completed"]
    assert total["Orders"] == len(done)
    assert total["Revenue"] == pytest.approx(done["total_cents"].sum())  # whole rials: no minor unit
    by_region = [bi.kpi_table(course, region=r)["value"] for r in sorted(course.customers["region"].unique())]
    assert sum(t["Orders"] for t in by_region) == total["Orders"]
    south = bi.kpi_table(course, region="South")["value"]
    assert south["Late deliveries"] > 0.45 and south["SLA compliance"] < total["SLA compliance"]
    year = bi.kpi_table(course, start="2025-01-01", end="2025-12-31")["value"]
    local_year = done["ordered_at"].dt.tz_convert(bi.LOCAL_TZ).dt.year == 2025
    assert year["Orders"] == local_year.sum()
