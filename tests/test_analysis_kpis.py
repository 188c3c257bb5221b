"""crmlab.analysis.kpis: hand-computed values on tiny tables, and planted truths recovered
on the course's database (`crm`) and on a larger one (`big_crm`, less noise)."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab.analysis import kpis
from crmlab.datasets import TABLES
from crmlab.datasets.synthetic.pipeline import ADVANCE
from crmlab.errors import SchemaError


def _utc(*stamps):
    return pd.to_datetime(list(stamps), utc=True, format="ISO8601")


@pytest.fixture
def tickets():
    """Five tickets: two call-centre tickets solved at first contact, one in 3 contacts, one open; one web."""
    return pd.DataFrame({
        "channel": ["call_centre", "call_centre", "call_centre", "call_centre", "web"],
        "created_at": _utc("2025-01-01 08:00", "2025-01-01 08:00", "2025-01-01 08:00", "2025-01-01 08:00",
                           "2025-01-01 08:00"),
        "first_response_at": _utc("2025-01-01 09:00", "2025-01-01 10:00", "2025-01-01 14:00", None,
                                  "2025-01-02 08:00"),
        "resolved_at": _utc("2025-01-01 11:00", "2025-01-01 12:00", "2025-01-03 14:00", None,
                            "2025-01-02 09:00"),
        "contacts_to_resolve": pd.array([1, 1, 3, None, 2], dtype="Int16"),
        "satisfaction": pd.array([5, 4, 1, None, None], dtype="Int8"),
    })  # fmt: skip


# ---------------------------------------------------------------- service and call centre


def test_service_kpis_by_hand(tickets):
    assert kpis.response_time(tickets) == pytest.approx(4.0)  # 1, 2, 6, 24 hours -> median 4
    assert kpis.resolution_time(tickets) == pytest.approx((4 + 25) / 2)  # 3, 4, 54, 25 hours
    assert kpis.satisfaction(tickets) == pytest.approx(10 / 3)


def test_service_kpis_by_group(tickets):
    by = kpis.response_time(tickets, by="channel")
    assert by.loc["call_centre", "response_time"] == pytest.approx(2.0)
    assert by.loc["web", "response_time"] == pytest.approx(24.0)
    assert by["n"].to_dict() == {"call_centre": 3, "web": 1}  # the unanswered ticket does not count


def test_first_contact_resolution_leaves_open_tickets_out(tickets):
    assert kpis.first_contact_resolution(tickets) == pytest.approx(2 / 4)
    assert kpis.first_contact_resolution(tickets, channel="call_centre") == pytest.approx(2 / 3)
    by = kpis.first_contact_resolution(tickets, by="channel")
    assert by.loc["web", "first_contact_resolution"] == 0.0
    assert by.loc["call_centre", "n"] == 3


def test_handling_time_runs_from_first_answer_to_solution(tickets):
    assert kpis.handling_time(tickets, channel="call_centre") == pytest.approx(2.0)  # 2, 2, 48 hours
    assert kpis.handling_time(tickets, channel="web") == pytest.approx(1.0)


def test_service_kpis_by_several_columns(tickets):
    t = tickets.assign(priority=["high", "low", "low", "low", "high"])
    by = kpis.first_contact_resolution(t, by=["channel", "priority"])
    assert by.index.names == ["channel", "priority"]
    assert by["first_contact_resolution"].to_dict() == {("call_centre", "high"): 1.0, ("call_centre", "low"): 0.5,
                                                        ("web", "high"): 0.0}  # fmt: skip
    assert by.loc[("call_centre", "low"), "n"] == 2  # the open ticket does not count


def _sla_tickets():
    return pd.DataFrame({
        "ticket_id": [1, 2, 3, 4, 5],
        "channel": ["web", "mail", "web", "web", "mail"],
        "created_at": _utc("2025-06-01 08:00", "2025-06-01 08:00", "2025-06-02 08:00", "2025-12-30 08:00",
                           "2025-12-31 18:00"),
        "first_response_at": _utc("2025-06-01 09:00", "2025-06-02 09:00", "2025-06-02 12:00", None, None),
        "resolved_at": _utc("2025-06-01 12:00", "2025-06-03 09:00", None, None, None),
        "sla_hours": pd.array([4, 8, 24, 24, 24], dtype="int16"),
    })


def test_ticket_sla_handles_open_and_unanswered_tickets():
    out = kpis.ticket_sla(_sla_tickets())
    assert out.index.name == "ticket_id"
    assert out["response_hours"].tolist()[:3] == [1.0, 25.0, 4.0]
    # 3: answered in time, not resolved -> no breach; 4: no answer, deadline passed -> breach;
    # 5: no answer, deadline after the export (2025-12-31 20:30 UTC) -> unknown
    assert out["sla_breached"].tolist() == [False, True, False, True, pd.NA]
    assert out.loc[4, "deadline"] == pd.Timestamp("2025-12-31 08:00", tz="UTC")
    earlier = kpis.ticket_sla(_sla_tickets(), pd.Timestamp("2025-12-30 20:00", tz="UTC"))
    assert earlier["sla_breached"].tolist()[3:] == [pd.NA, pd.NA]  # ticket 4's deadline still ahead


def test_sla_breach_rate_counts_known_outcomes_only():
    assert kpis.sla_breach_rate(_sla_tickets()) == pytest.approx(2 / 4)
    by = kpis.sla_breach_rate(_sla_tickets(), by="channel")
    assert by["sla_breach_rate"].to_dict() == pytest.approx({"mail": 1.0, "web": 1 / 3})
    assert by["n"].to_dict() == {"mail": 1, "web": 3}


def test_kpis_on_no_rows_are_nan(tickets):
    empty = tickets.iloc[:0]
    assert pd.isna(kpis.response_time(empty))
    assert pd.isna(kpis.first_contact_resolution(empty))
    assert pd.isna(kpis.sla_breach_rate(_sla_tickets().iloc[:0]))


def test_clear_errors(tickets):
    with pytest.raises(ValueError, match=r"The value for `channel` must be one of \['call_centre', 'web'\], "
                                         r"but 'phone' was passed"):  # fmt: skip
        kpis.first_contact_resolution(tickets, channel="phone")
    with pytest.raises(ValueError, match="The value for `by` must be one of"):
        kpis.satisfaction(tickets, by="region")
    with pytest.raises(SchemaError, match=r"no column\(s\) \['contacts_to_resolve'\].*crm.tickets"):
        kpis.first_contact_resolution(tickets.drop(columns="contacts_to_resolve"))
    with pytest.raises(TypeError, match="You passed the whole CRM"):
        kpis.response_time({"tickets": tickets})
    with pytest.raises(TypeError, match="must be a DataFrame"):
        kpis.response_time([1, 2])


# ---------------------------------------------------------------- cross-selling, deals, funnel


@pytest.fixture
def shop():
    orders = pd.DataFrame({"order_id": [1, 2, 3, 4], "customer_id": [7, 7, 8, 9],
                           "status": ["completed", "completed", "completed", "cancelled"]})  # fmt: skip
    lines = pd.DataFrame({"order_id": [1, 2, 2, 3, 3, 4, 4], "product_id": [10, 20, 30, 10, 11, 20, 30]})
    products = pd.DataFrame({"product_id": [10, 11, 20, 30], "category_id": [1, 1, 2, 3]})
    return orders, lines, products


def test_categories_per_buyer(shop):
    out = kpis.categories_per_buyer(*shop)
    assert out["n_categories"].to_dict() == {7: 3, 8: 1}  # customer 9's only order was cancelled
    assert kpis.categories_per_buyer(*shop, statuses="cancelled")["n_categories"].to_dict() == {9: 2}


def test_multi_category_share_is_over_buyers(shop):
    assert kpis.multi_category_share(*shop) == pytest.approx(0.5)
    assert kpis.multi_category_share(*shop, min_categories=3) == pytest.approx(0.5)
    assert kpis.multi_category_share(*shop, min_categories=4) == 0.0


def test_sales_cycle_counts_won_deals_only():
    opps = pd.DataFrame({"stage": ["closed_won", "closed_won", "closed_lost", "proposal"],
                         "rep_id": [1, 2, 1, 1],
                         "created_at": _utc("2025-01-01", "2025-01-01", "2025-01-01", "2025-01-01"),
                         "closed_at": _utc("2025-01-11", "2025-01-31 12:00", "2025-01-02", None)})  # fmt: skip
    assert kpis.sales_cycle_days(opps) == pytest.approx(20.25)
    assert kpis.sales_cycle_days(opps, by="rep_id")["sales_cycle_days"].to_dict() == {1: 10.0, 2: 30.5}


def test_funnel_conversion_by_hand():
    h = pd.DataFrame({
        "opportunity_id": [1, 1, 1, 1, 2, 2, 3, 3, 3],
        "stage": ["prospecting", "qualification", "proposal", "closed_won",
                  "prospecting", "closed_lost", "prospecting", "qualification", "proposal"],
        "entered_at": _utc("2025-01-01", "2025-01-03", "2025-01-07", "2025-01-10",
                           "2025-01-01", "2025-01-11", "2025-02-01", "2025-02-02", "2025-02-05"),
    }).sample(frac=1, random_state=3)  # order must not matter
    out = kpis.funnel_conversion(h, funnel=["prospecting", "qualification", "proposal", "closed_won"])
    assert out.index.tolist() == ["prospecting", "qualification", "proposal"]
    assert out["next_stage"].tolist() == ["qualification", "proposal", "closed_won"]
    assert out["entered"].tolist() == [3, 2, 2]
    assert out["decided"].tolist() == [3, 2, 1]  # deal 3 still sits in proposal
    # deal 3 is open, yet it did move on from prospecting and qualification: it counts there
    assert out["advanced"].tolist() == [2, 2, 1]
    assert out["conversion"].tolist() == pytest.approx([2 / 3, 1.0, 1.0])
    assert out["median_days"].tolist() == pytest.approx([2.0, 3.5, 3.0])  # (2, 10, 1); (4, 3); (3)


def test_funnel_conversion_a_stage_nobody_entered_and_bad_funnels():
    h = pd.DataFrame({"opportunity_id": [1, 1], "stage": ["prospecting", "closed_lost"],
                      "entered_at": _utc("2025-01-01", "2025-01-04")})  # fmt: skip
    out = kpis.funnel_conversion(h)
    assert out["entered"].tolist() == [1, 0, 0, 0] and out["conversion"].iloc[0] == 0.0
    assert out["conversion"].iloc[1:].isna().all() and out["median_days"].iloc[1:].isna().all()
    with pytest.raises(ValueError, match="at least two stages"):
        kpis.funnel_conversion(h, funnel=["won"])
    with pytest.raises(SchemaError, match=r"no column\(s\) \['entered_at'\]"):
        kpis.funnel_conversion(h.drop(columns="entered_at"))


def test_funnel_recovers_the_planted_step_rates(big_crm):
    out = kpis.funnel_conversion(big_crm.opportunity_stages)
    assert out["conversion"].to_numpy() == pytest.approx(ADVANCE, abs=0.015)
    assert out["conversion"].idxmin() == "negotiation"
    assert out["median_days"].idxmax() == "proposal"


def test_funnel_on_the_course_data(crm):
    out = kpis.funnel_conversion(crm.opportunity_stages)
    assert out["conversion"].round(3).tolist() == [0.691, 0.647, 0.678, 0.523]  # snapshot of the course data
    # closed deals only would drop the open deals that already moved on, and give 0.678 for the first step
    closed = crm.opportunities.loc[crm.opportunities["stage"].str.startswith("closed"), "opportunity_id"]
    reached = crm.opportunity_stages[crm.opportunity_stages["opportunity_id"].isin(closed)]
    share = reached["stage"].eq("qualification").sum() / reached["stage"].eq("prospecting").sum()
    assert round(share, 3) == 0.678 < out.loc["prospecting", "conversion"]


# ---------------------------------------------------------------- acquisition and revenue


def test_new_customers_per_month_fills_empty_months():
    c = pd.DataFrame({"signup_date": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-03-02"]),
                      "acquisition_channel": ["web", "store", "web"]})  # fmt: skip
    total = kpis.new_customers_per_month(c, by=None)
    assert total["new_customers"].tolist() == [2, 0, 1]
    split = kpis.new_customers_per_month(c)
    assert len(split) == 6  # 3 months x 2 channels
    assert split.set_index(["month", "acquisition_channel"])["new_customers"].sum() == 3
    assert split.loc[split["acquisition_channel"] == "web", "new_customers"].tolist() == [1, 0, 1]


def test_revenue_per_buyer_uses_the_local_calendar():
    o = pd.DataFrame({"customer_id": [1, 2, 1, 3], "status": ["completed", "completed", "completed", "returned"],
                      "total_cents": [100_00, 300_00, 600_00, 999_00],
                      # 22:00 UTC on 31 December is already 1 January in Tehran
                      "ordered_at": _utc("2024-03-01", "2024-05-01", "2024-12-31 22:00", "2025-02-01")})  # fmt: skip
    out = kpis.revenue_per_buyer(o)  # the course's conventions: whole rials, nothing to divide by 100
    assert out.index.tolist() == [2024, 2025]
    assert out.loc[2024, "revenue_per_buyer"] == pytest.approx((10_000 + 30_000) / 2)
    assert out.loc[2025, "revenue_per_buyer"] == pytest.approx(60_000.0)
    assert out.loc[2025, "per_buyer_growth"] == pytest.approx(2.0)
    assert out.loc[2025, "revenue_growth"] == pytest.approx(0.5)


# ---------------------------------------------------------------- the scorecard


def test_scorecard_gathers_the_kpis(crm):
    card = kpis.goal_scorecard(crm)
    assert list(card.columns) == ["goal", "kpi", "value", "unit"]
    assert card["goal"].nunique() == 7 and len(card) == 10
    value = card.set_index("kpi")["value"]
    fcr = kpis.first_contact_resolution(crm.tickets, channel="call_centre")
    assert value["first-contact resolution, call centre"] == pytest.approx(100 * fcr, abs=0.005)
    assert value["median sales cycle of won deals"] == pytest.approx(kpis.sales_cycle_days(crm.opportunities),
                                                                     abs=0.005)  # fmt: skip
    funnel = kpis.funnel_conversion(crm.opportunity_stages)
    assert value["deals won from prospecting"] == pytest.approx(100 * funnel["conversion"].prod(), abs=0.005)
    signups_2025 = (crm.customers["signup_date"].dt.year == 2025).sum()
    assert value["new customers per month, 2025"] == pytest.approx(signups_2025 / 12, abs=0.005)
    done = crm.orders[crm.orders["status"] == "completed"]
    year = done["ordered_at"].dt.tz_convert("Asia/Tehran").dt.year
    per_buyer = done.groupby(year)["total_cents"].sum() / done.groupby(year)["customer_id"].nunique()
    growth = 100 * (per_buyer[2025] / per_buyer[2024] - 1)
    assert value["revenue per buyer, 2025 vs 2024"] == pytest.approx(growth, abs=0.005)
    # the Iranian company's prices rise by a planted ~42 %/yr: nominal revenue per buyer grows at least that
    # much less a little noise (the generic company's, in steady dollars, grew by under 20 %)
    assert 30 < value["revenue per buyer, 2025 vs 2024"] < 75


def test_scorecard_values_on_the_course_data(crm):
    value = kpis.goal_scorecard(crm).set_index("kpi")["value"]
    assert value["median hours to first response"] == pytest.approx(2.1, abs=0.5)
    assert value["mean satisfaction score"] == pytest.approx(3.9, abs=0.2)
    assert value["first-contact resolution, call centre"] == pytest.approx(62, abs=3)
    assert value["buyers buying from 2+ categories"] == pytest.approx(88, abs=3)
    assert value["median sales cycle of won deals"] == pytest.approx(56, abs=6)
    # snapshot of the course data; the planted rate is 17.5 (this seed draws 15.83)
    assert value["deals won from prospecting"] == pytest.approx(15.83, abs=0.005)


def test_scorecard_errors(crm):
    with pytest.raises(TypeError, match="must be the whole CRM"):
        kpis.goal_scorecard(crm.orders)
    with pytest.raises(SchemaError, match=r"needs the tables \['tickets'\]"):
        kpis.goal_scorecard({k: v for k, v in crm.items() if k != "tickets"})
    with pytest.raises(ValueError, match="The value for `year` must be one of"):
        kpis.goal_scorecard(crm, year=2022)  # no year before it to compare with
    assert "2024 vs 2023" in kpis.goal_scorecard(crm, year=2024)["kpi"].iloc[-1]


# ---------------------------------------------------------------- information, life events


def test_data_map_covers_every_clean_table(crm):
    full = kpis.data_map()
    clean = {name for name in TABLES if not name.startswith("raw_")}
    assert set(full.index) == clean
    assert full.notna().all().all()
    assert full["kept_by"].str.split(", ").explode().nunique() >= 6  # the whole organisation
    with_rows = kpis.data_map(crm)
    assert with_rows.loc["tickets", "rows"] == len(crm.tickets)


def test_life_events_by_hand():
    o = pd.DataFrame({"customer_id": [1, 1, 2, 3], "status": ["completed", "completed", "completed", "cancelled"],
                      "total_cents": [100_000, 300_000, 900_000, 900_000],
                      "ordered_at": _utc("2025-01-01", "2025-02-01", "2025-01-05", "2025-01-06")})  # fmt: skip
    c = pd.DataFrame({"customer_id": [1, 2, 3], "segment": ["small_business", "consumer", "enterprise"]})
    w = pd.DataFrame({"customer_id": [2, 3], "registered_at": _utc("2025-03-01", "2025-01-02")})
    out = kpis.life_events(o, c, w, big_order=200_000)  # whole rials, the course's currency
    assert out[["customer_id", "event"]].values.tolist() == [
        [3, "web_registration"], [1, "first_big_order"], [2, "web_registration"]]  # fmt: skip
    assert out.loc[out["event"] == "first_big_order", "occurred_at"].iloc[0] == pd.Timestamp("2025-02-01", tz="UTC")
    assert kpis.life_events(o, c, w, big_order=500_000)["event"].tolist() == ["web_registration"] * 2


def test_life_events_on_the_course_data(crm):
    threshold = 400_000_000  # rials (40 million toman)
    events = kpis.life_events(crm.orders, crm.customers, crm.web_registrations, big_order=threshold)
    registrations = events[events["event"] == "web_registration"]
    assert len(registrations) == len(crm.web_registrations)
    big = events[events["event"] == "first_big_order"]
    assert big["customer_id"].is_unique
    segments = crm.customers.set_index("customer_id").loc[big["customer_id"], "segment"]
    assert (segments != "consumer").all()
    # oracle, plain pandas: business customers with a completed order of at least the threshold
    business = crm.customers.loc[crm.customers["segment"] != "consumer", "customer_id"]
    o = crm.orders
    hand = o.loc[(o["status"] == "completed") & (o["total_cents"] >= threshold) & o["customer_id"].isin(business)]
    assert set(big["customer_id"]) == set(hand["customer_id"])
    assert 0 < len(big) < len(business)


def test_life_events_need_a_threshold_in_the_datas_currency(crm):
    with pytest.raises(TypeError, match="big_order"):
        kpis.life_events(crm.orders, crm.customers, crm.web_registrations)


# ---------------------------------------------------------------- channels and the single customer view


@pytest.fixture
def touches():
    interactions = pd.DataFrame({
        "customer_id": [1, 1, 2, 3, 3],
        "channel": ["mail", "web", "mail", "store", "mail"],
        "outcome": ["replied", "browsed", "opened", "browsed", "no_response"],
        "occurred_at": _utc("2025-01-01", "2025-08-01", "2025-01-01", "2025-02-01", "2025-08-01"),
    })
    orders = pd.DataFrame({"customer_id": [1, 3], "channel": ["store", "store"],
                           "ordered_at": _utc("2025-02-01", "2025-01-15")})  # fmt: skip
    return interactions, orders


def test_channels_per_customer(touches):
    out = kpis.channels_per_customer(*touches)
    assert out["n_channels"].to_dict() == {1: 3, 2: 1, 3: 2}  # an unanswered mailing still reached customer 3
    assert out.loc[1, "channels"] == "mail, store, web"


def test_customer_timeline(touches):
    interactions = touches[0].assign(interaction_type=["mailing", "visit", "mailing", "visit", "mailing"])
    orders = touches[1].assign(status=["completed", "returned"], total_cents=[129_900, 5_000])
    out = kpis.customer_timeline(interactions, orders, 1)
    assert out["channel"].tolist() == ["mail", "store", "web"]
    assert out["event"].tolist() == ["mailing: replied", "order completed, IRR 129,900", "visit: browsed"]
    assert kpis.customer_timeline(interactions, orders, 3, since="2025-07-01")["event"].tolist() == [
        "mailing: no_response"]  # fmt: skip
    assert kpis.customer_timeline(interactions, orders, 99).empty


def test_looks_inactive(touches):
    out = kpis.looks_inactive(*touches, since="2025-07-01")
    rows = {(r.customer_id, r.channel): r.active_elsewhere for r in out.itertuples()}
    # customer 1: silent by mail and in store, busy on the web; 2: silent; 3: an unanswered mailing is not activity
    assert rows == {(1, "mail"): True, (1, "store"): True, (2, "mail"): False, (3, "store"): False}
    assert out.loc[out["customer_id"] == 3, "last_seen"].iloc[0] == pd.Timestamp("2025-02-01", tz="UTC")
    summary = kpis.single_view_summary(out)
    assert summary.loc["mail"].tolist() == [2, 1, 0.5]
    assert summary.loc["store", "share_active_elsewhere"] == 0.5


def test_single_view_on_the_course_data(crm):
    per_customer = kpis.channels_per_customer(crm.interactions, crm.orders)
    assert per_customer["n_channels"].between(1, len(crm.channels)).all()
    assert (per_customer["n_channels"] >= 2).mean() > 0.8
    inactive = kpis.looks_inactive(crm.interactions, crm.orders, since="2025-07-01")
    summary = kpis.single_view_summary(inactive)
    assert summary.loc["store", "active_elsewhere"] == 152  # the exercise's answer, computed another way (snapshot)
    assert inactive.loc[inactive["active_elsewhere"], "customer_id"].nunique() > 500


def test_planted_silent_here_active_there(big_crm):
    """Planted: a customer silent in one channel is often active in another."""
    inactive = kpis.looks_inactive(big_crm.interactions, big_crm.orders, since="2025-07-01")
    share = kpis.single_view_summary(inactive)["share_active_elsewhere"]
    assert share["mail"] > 0.5
    assert share.min() > 0.2


# ---------------------------------------------------------------- project reality: volume and data entry


def test_records_per_year():
    crm = {"orders": pd.DataFrame({"ordered_at": _utc("2024-05-01", "2024-12-31 21:00", "2025-06-01")}),
           "shipments": pd.DataFrame({"shipped_at": _utc("2025-01-02", None)})}  # fmt: skip
    out = kpis.records_per_year(crm)
    assert out.to_dict(orient="index") == {2024: {"orders": 1, "shipments": 0, "total": 1},
                                           2025: {"orders": 2, "shipments": 1, "total": 3}}  # fmt: skip


def test_data_volume_grows_every_year(crm):
    total = kpis.records_per_year(crm)["total"]
    assert total.index.tolist() == [2022, 2023, 2024, 2025]
    assert total.is_monotonic_increasing and total[2025] > 4 * total[2022]


@pytest.fixture
def activity():
    weeks = pd.date_range("2025-01-06", periods=4, freq="7D")
    return pd.DataFrame({
        "rep_id": [1] * 4 + [2] * 4,
        "week_start": list(weeks) * 2,
        "records_entered": [10, 10, 5, 5, 10, 10, 10, 10],
        "required_fields_total": [60, 60, 30, 30, 60, 60, 60, 60],
        "required_fields_filled": [54, 48, 12, 15, 40, 44, 42, 46],
    })


def test_pooled_completeness_is_a_ratio_of_sums():
    act = pd.DataFrame({"rep_id": [7, 7, 7, 8], "required_fields_total": [6, 18, 0, 30],
                        "required_fields_filled": [6, 9, 0, 15], "records_entered": [1, 3, 0, 5]})  # fmt: skip
    out = kpis.pooled_completeness(act)
    # rep 7: (6 + 9) / (6 + 18) = 0.625, not the mean of 1.0 and 0.5; the empty week adds nothing
    assert out["completeness"].to_dict() == {7: 0.625, 8: 0.5}
    assert out["weeks"].to_dict() == {7: 3, 8: 1}
    assert out["records_per_week"].to_dict() == {7: 4 / 3, 8: 5.0}
    by_two = kpis.pooled_completeness(act.assign(after=[False, True, True, True]), ["rep_id", "after"])
    assert by_two["completeness"].to_dict() == {(7, False): 1.0, (7, True): 0.5, (8, True): 0.5}
    assert "records_per_week" not in kpis.pooled_completeness(act.drop(columns="records_entered"))
    with pytest.raises(SchemaError, match=r"no column\(s\) \['after'\]"):
        kpis.pooled_completeness(act, by=["rep_id", "after"])


def test_weekly_completeness(activity):
    out = kpis.weekly_completeness(activity)
    assert out.loc[out["rep_id"] == 1, "completeness"].tolist() == pytest.approx([0.9, 0.8, 0.4, 0.5])


def test_data_entry_trend_weighs_busy_weeks_more():
    act = pd.DataFrame({
        "rep_id": [7] * 4 + [8] * 4,
        "week_start": pd.to_datetime(["2025-01-06", "2025-01-13", "2025-01-20", "2025-01-27"] * 2),
        "records_entered": [1, 3, 2, 2, 5, 5, 5, 5],
        "required_fields_total": [6, 18, 12, 12, 30, 30, 30, 30],
        "required_fields_filled": [6, 12, 3, 9, 15, 15, 30, 30],
    })
    out = kpis.data_entry_trend(act, weeks=2)
    # rep 7: before (6+12)/(6+18) = 0.75 (a mean of weekly shares would say 0.83), recent (3+9)/(12+12) = 0.5
    assert out.loc[7, ["completeness_before", "completeness_recent", "change"]].tolist() == [0.75, 0.5, -0.25]
    assert out.loc[8, "change"] == pytest.approx(0.5)
    assert out["records_recent"].to_dict() == {7: 2.0, 8: 5.0}


def test_data_entry_trend_pools_the_weeks(activity):
    trend = kpis.data_entry_trend(activity, weeks=2)
    assert trend.loc[1, "completeness_before"] == pytest.approx(102 / 120)
    assert trend.loc[1, "completeness_recent"] == pytest.approx(27 / 60)
    assert trend.loc[1, "change"] == pytest.approx(27 / 60 - 102 / 120)
    assert trend.loc[1, ["records_before", "records_recent"]].tolist() == [10.0, 5.0]
    assert trend.loc[2, "change"] == pytest.approx(88 / 120 - 84 / 120)


def test_disengaged_reps_by_hand(activity):
    assert kpis.disengaged_reps(activity, weeks=2).index.tolist() == [1]
    assert kpis.disengaged_reps(activity, weeks=2, min_drop=0.5).empty
    with pytest.raises(ValueError, match="`min_drop` must be between 0 and 1"):
        kpis.disengaged_reps(activity, min_drop=35)
    with pytest.raises(ValueError, match="`weeks` must be a whole number"):
        kpis.data_entry_trend(activity, weeks=0)


@pytest.mark.parametrize("data", ["crm", "big_crm"])
def test_planted_disengaged_reps_are_found(data, request):
    """Planted: two sales reps' data entry fades in the last six months (completeness -0.35, records halved)."""
    crm = request.getfixturevalue(data)
    flagged = kpis.disengaged_reps(crm.rep_activity)
    assert sorted(flagged.index) == sorted(crm.truth["disengaged_rep_ids"])
    assert flagged["change"].to_numpy() == pytest.approx([-0.35, -0.35], abs=0.07)
    ratio = flagged["records_recent"] / flagged["records_before"]
    assert ratio.to_numpy() == pytest.approx([0.5, 0.5], abs=0.12)
    others = kpis.data_entry_trend(crm.rep_activity).drop(flagged.index)
    assert others["change"].abs().max() < 0.1


def test_planted_weak_support_region_shows_in_the_service_kpis(big_crm):
    """Planted: bad service (slow, many contacts, low scores) is commoner in the South."""
    t = big_crm.tickets.merge(big_crm.customers[["customer_id", "region"]], on="customer_id")
    fcr = kpis.first_contact_resolution(t, by="region")["first_contact_resolution"]
    score = kpis.satisfaction(t, by="region")["satisfaction"]
    wait = kpis.response_time(t, by="region")["response_time"]
    assert fcr.idxmin() == "South" and score.idxmin() == "South" and wait.idxmax() == "South"
    assert fcr.drop("South").min() - fcr["South"] > 0.05
