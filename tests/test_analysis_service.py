"""crmlab.analysis.service: Erlang C against textbook values and exact arithmetic, the response-time
monitor on hand-built tickets (exact lists) and on the course's data at past moments, call-arrival
patterns on the real bank data, and the planted satisfaction drivers."""

from __future__ import annotations

import math
import time
import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

import crmlab
from crmlab.analysis import kpis, service
from crmlab.datasets import load_bank_calls
from crmlab.errors import SchemaError

TEHRAN = "Asia/Tehran"


@pytest.fixture(scope="module")
def course():
    return crmlab.load_crm(tables=["tickets", "customers", "reps"])


@pytest.fixture(scope="module")
def calls():
    return load_bank_calls()


# ================================================================ Erlang C


def _exact_erlang_c(a: Fraction, n: int) -> Fraction:
    """The textbook formula, summed term by term in exact rational arithmetic (no floats, no recursion)."""
    terms = [a**k / math.factorial(k) for k in range(n)]
    top = a**n / math.factorial(n) * Fraction(n) / (n - a)
    return top / (sum(terms) + top)


def _exact_erlang_b(a: Fraction, n: int) -> Fraction:
    return (a**n / math.factorial(n)) / sum(a**k / math.factorial(k) for k in range(n + 1))


def test_textbook_example_ten_erlangs_eleven_agents():
    # Call Centre Helper's worked example: 100 calls per half hour of 180 s -> A = 10 Erlangs, N = 11.
    a = service.traffic_erlangs(100, period_minutes=30, aht_seconds=180)
    assert a == 10.0
    assert round(service.erlang_c(a, 11), 4) == 0.6821
    assert service.erlang_c(a, 11) == pytest.approx(float(_exact_erlang_c(Fraction(10), 11)), rel=1e-12)


@pytest.mark.parametrize(("a", "n"), [
    (Fraction(10), 11), (Fraction(10), 14), (Fraction(5, 2), 3), (Fraction(5, 2), 8), (Fraction(48), 55),
    (Fraction(1, 2), 1), (Fraction(2), 3), (Fraction(2567, 10), 267), (Fraction(99, 10), 10),
])  # fmt: skip
def test_erlang_b_and_c_match_exact_arithmetic(a, n):
    assert service.erlang_b(float(a), n) == pytest.approx(float(_exact_erlang_b(a, n)), rel=1e-10)
    assert service.erlang_c(float(a), n) == pytest.approx(float(_exact_erlang_c(a, n)), rel=1e-10)


def test_small_queues_by_hand():
    assert service.erlang_c(0.5, 1) == pytest.approx(0.5)  # one agent (M/M/1): P(wait) = utilisation
    assert service.erlang_c(2, 3) == pytest.approx(4 / 9)  # 3 agents, 2 Erlangs: (8/6 * 3) / (1 + 2 + 2 + 4) = 4/9
    assert service.erlang_b(2, 1) == pytest.approx(2 / 3)
    # M/M/1 with utilisation 1/2: mean wait = rho / (1 - rho) * h = h
    assert service.average_speed_of_answer(0.5, 1, aht_seconds=60) == pytest.approx(60.0)


def test_service_level_asa_and_occupancy_by_hand():
    c = float(_exact_erlang_c(Fraction(10), 11))
    level = 1 - c * math.exp(-(11 - 10) * 20 / 180)
    assert service.service_level(10, 11, aht_seconds=180, target_seconds=20) == pytest.approx(level, rel=1e-12)
    assert round(level, 3) == 0.390
    assert service.average_speed_of_answer(10, 11, aht_seconds=180) == pytest.approx(c * 180 / 1, rel=1e-12)
    assert service.occupancy(10, 11) == pytest.approx(10 / 11)
    # a target of 0 seconds: the share answered at once, 1 - P(wait)
    assert service.service_level(10, 12, aht_seconds=180, target_seconds=0) == pytest.approx(
        1 - float(_exact_erlang_c(Fraction(10), 12)))


def test_textbook_staffing_fourteen_agents_for_80_20():
    assert service.agents_needed(10, aht_seconds=180, target_seconds=20, level=0.8) == 14
    assert service.service_level(10, 13, aht_seconds=180) < 0.8 <= service.service_level(10, 14, aht_seconds=180)
    table = service.erlang_table(10, range(10, 16), aht_seconds=180)
    assert table.index.tolist() == list(range(10, 16))
    assert table["p_wait"].is_monotonic_decreasing and table["service_level"].is_monotonic_increasing
    assert table.loc[14, "service_level"] == pytest.approx(0.888, abs=5e-4)


def test_unstable_queue_when_agents_do_not_exceed_traffic():
    assert service.erlang_c(10, 10) == 1.0 and service.erlang_c(10, 9) == 1.0
    assert service.service_level(10, 10, aht_seconds=180) == 0.0
    assert service.average_speed_of_answer(10, 10, aht_seconds=180) == math.inf
    assert service.occupancy(10, 8) == 1.0
    table = service.erlang_table(10, [9, 10, 11], aht_seconds=180)
    assert table.loc[10, "asa_seconds"] == math.inf and table.loc[11, "asa_seconds"] < math.inf


def test_agents_needed_is_the_minimum_above_the_traffic():
    traffic = np.array([0.3, 2.5, 10.0, 20.8333, 46.7, 256.73, 999.5])
    needed = service.agents_needed(traffic, aht_seconds=240, target_seconds=20, level=0.8)
    for a, n in zip(traffic, needed, strict=True):
        assert n > a
        assert service.service_level(a, n, aht_seconds=240) >= 0.8
        if n - 1 > a:
            assert service.service_level(a, n - 1, aht_seconds=240) < 0.8
    scalars = [service.agents_needed(a, aht_seconds=240) for a in traffic]
    assert needed.tolist() == scalars  # vectorised = one at a time


def test_fractional_traffic_is_not_rounded_down():
    a = service.traffic_erlangs(125, period_minutes=30, aht_seconds=300)  # 20.83 Erlangs
    assert service.agents_needed(a, aht_seconds=300) == 26
    assert service.agents_needed(math.floor(a), aht_seconds=300) == 25


def test_no_calls_need_no_agents():
    assert service.agents_needed(0, aht_seconds=240) == 0
    plan = service.staffing_table(pd.Series([0.0, 100.0]), aht_seconds=180)
    assert plan["agents"].tolist() == [0, 14]
    assert plan.loc[0, "service_level"] == 1.0 and plan.loc[0, "rostered"] == 0


def test_large_centres_do_not_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow or invalid-value warning either
        p = service.erlang_c(5000.0, 5100)
        n = service.agents_needed(5000.0, aht_seconds=240)
    assert 0 < p < 1
    assert 5000 < n < 5100
    assert service.service_level(5000.0, n, aht_seconds=240) >= 0.8 > service.service_level(5000.0, n - 1,
                                                                                            aht_seconds=240)


def test_bigger_teams_need_fewer_agents_per_erlang():
    needed = service.agents_needed([40, 80, 160], aht_seconds=240)
    assert needed.tolist() == [46, 87, 169]  # the lesson's quiz q9 quotes 46 and 87
    assert needed[1] < 2 * needed[0] and needed[2] < 2 * needed[1]


def test_staffing_table_by_hand_and_fast():
    calls = pd.Series([100.0, 400.0], index=pd.Index(["09:00", "10:00"], name="period"))
    plan = service.staffing_table(calls, aht_seconds=180, shrinkage=0.3)
    assert plan.index.equals(calls.index)
    assert plan["traffic_erlangs"].tolist() == [10.0, 40.0]
    assert plan["agents"].tolist() == [14, 45]
    assert plan["rostered"].tolist() == [math.ceil(14 / 0.7), math.ceil(45 / 0.7)]  # 20, 65
    assert plan.loc["09:00", "occupancy"] == pytest.approx(10 / 14)
    week = pd.Series(np.linspace(300, 2000, 140))
    start = time.perf_counter()
    service.staffing_table(week, aht_seconds=240)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(("call", "word"), [
    (lambda: service.erlang_c(-1, 3), "traffic"),
    (lambda: service.erlang_c(2, 2.5), "agents"),
    (lambda: service.erlang_c(2, 0), "agents"),
    (lambda: service.service_level(2, 3, aht_seconds=0), "aht_seconds"),
    (lambda: service.agents_needed(2, aht_seconds=180, level=80), "level"),
    (lambda: service.agents_needed("many", aht_seconds=180), "traffic"),
    (lambda: service.staffing_table(pd.Series([1.0]), shrinkage=1), "shrinkage"),
    (lambda: service.erlang_table([1, 2], [3], aht_seconds=180), "traffic"),
])  # fmt: skip
def test_bad_arguments_are_named(call, word):
    with pytest.raises(ValueError, match=f"`{word}`"):
        call()


def test_staffing_table_wants_a_series():
    with pytest.raises(TypeError, match="Series"):
        service.staffing_table(pd.DataFrame({"calls": [1.0]}))


# ================================================================ call arrivals


def test_calls_per_period_keeps_complete_periods_only():
    counts = pd.DataFrame({
        "timestamp": pd.date_range("2003-03-03 09:00", periods=13, freq="5min"),
        "calls": np.arange(1, 14),
    })  # fmt: skip
    out = service.calls_per_period(counts)
    assert out["period"].tolist() == ["09:00", "09:30"]  # 10:00 has 1 count of 6
    assert out["calls"].tolist() == [21, 57]
    assert out["weekday"].tolist() == ["Monday", "Monday"]
    hourly = service.calls_per_period(counts, freq="1h")
    assert hourly["calls"].tolist() == [78]


def test_weekly_pattern_means_and_weekday_order():
    counts = pd.DataFrame({
        "timestamp": pd.to_datetime(["2003-03-07 09:00", "2003-03-03 09:00", "2003-03-10 09:00",
                                     "2003-03-10 09:30"]),
        "calls": [5, 100, 120, 170],
    })  # fmt: skip
    pattern = service.weekly_pattern(counts, interval="30min")
    assert pattern.columns.tolist() == ["Monday", "Friday"]
    assert pattern.loc["09:00", "Monday"] == 110.0
    assert service.weekly_pattern(counts, interval="30min", how="max").loc["09:00", "Monday"] == 120.0
    assert pd.isna(pattern.loc["09:30", "Friday"])


def test_peak_periods_ties_keep_calendar_order():
    pattern = pd.DataFrame({"Monday": [300.0, 100.0], "Tuesday": [300.0, 50.0]},
                           index=pd.Index(["09:00", "09:30"], name="period"))  # fmt: skip
    peaks = service.peak_periods(pattern, n=3)
    assert list(zip(peaks["weekday"], peaks["period"], strict=True)) == [
        ("Monday", "09:00"), ("Tuesday", "09:00"), ("Monday", "09:30")]


def test_arrival_errors_are_clear():
    with pytest.raises(SchemaError, match="timestamp"):
        service.weekly_pattern(pd.DataFrame({"calls": [1]}))
    with pytest.raises(ValueError, match="`freq`"):
        service.calls_per_period(pd.DataFrame({"timestamp": pd.to_datetime(["2003-03-03"]), "calls": [1]}),
                                 freq="7min")  # fmt: skip
    with pytest.raises(ValueError, match="`how`"):
        service.weekly_pattern(pd.DataFrame({"timestamp": pd.to_datetime(["2003-03-03"]), "calls": [1]}), how="sum")


def test_bank_calls_typical_week(calls):
    pattern = service.weekly_pattern(calls)
    assert pattern.shape == (28, 5)  # 07:00 to 20:30; the lone 21:00-21:05 count is dropped
    assert pattern.index[0] == "07:00" and pattern.index[-1] == "20:30"
    # independently: Mondays' 10:00-10:29 counts summed per day, averaged over the Mondays
    when = calls["timestamp"]
    monday_ten = calls[(when.dt.day_of_week == 0) & (when.dt.hour == 10) & (when.dt.minute < 30)]
    per_day = monday_ten.groupby(monday_ten["timestamp"].dt.date)["calls"].sum()
    assert pattern.loc["10:00", "Monday"] == pytest.approx(per_day.mean())
    peaks = service.peak_periods(pattern, n=3)
    assert (peaks.loc[0, "weekday"], peaks.loc[0, "period"]) == ("Monday", "10:00")
    assert peaks["calls"].iloc[0] == pytest.approx(1925.48, abs=0.01)
    assert pattern.min().min() == pytest.approx(pattern.loc["20:30", "Friday"])  # Friday evening is quietest


def test_bank_staffing_for_the_week(calls):
    pattern = service.weekly_pattern(calls)
    plan = service.staffing_table(pattern.stack(), aht_seconds=240, target_seconds=20, level=0.8)
    assert len(plan) == 140
    assert (plan["agents"] > plan["traffic_erlangs"]).all()
    assert (plan["service_level"] >= 0.8).all()
    peak = plan.loc[("10:00", "Monday")]
    assert peak["traffic_erlangs"] == pytest.approx(1925.48 / 30 * 4, abs=0.01)
    assert peak["agents"] == 267


# ================================================================ the response-time monitor


def _utc(*stamps):
    return pd.to_datetime(list(stamps), utc=True)


@pytest.fixture
def desk():
    """Eight tickets; the monitor runs at 2025-06-15 10:00 Tehran = 06:30 UTC.

    1 urgent, opened 05:00, waiting: deadline 09:00, 2.5 h left of 4 (> 25%)   -> on track
    2 high, opened 00:00, waiting: deadline 08:00, 1.5 h left of 8 (< 25%)     -> at risk
    3 normal, answered before the moment                                       -> not waiting
    4 normal, opened 2025-06-14 00:00, waiting: deadline 06-15 00:00, 6.5 h over -> breached
    5 low, opened 06-11 00:00, answered only at 12:00 (after the moment): deadline 06-14 00:00 -> breached
    6 urgent, opened 02:00: deadline 06:00, 0.5 h over                          -> breached (first: urgent)
    7 normal, opened after the moment                                          -> not waiting
    8 urgent, opened 02:30: deadline 06:30 exactly, 0 h left                   -> at risk (not breached yet)
    """
    return pd.DataFrame({
        "ticket_id": [1, 2, 3, 4, 5, 6, 7, 8],
        "created_at": _utc("2025-06-15 05:00", "2025-06-15 00:00", "2025-06-15 01:00", "2025-06-14 00:00",
                           "2025-06-11 00:00", "2025-06-15 02:00", "2025-06-15 07:00", "2025-06-15 02:30"),
        "first_response_at": _utc(None, None, "2025-06-15 02:00", None, "2025-06-15 12:00", None, None, None),
        "sla_hours": [4, 8, 24, 24, 72, 4, 24, 4],
        "priority": ["urgent", "high", "normal", "normal", "low", "urgent", "normal", "urgent"],
        "channel": ["web", "mail", "web", "mail", "mail", "web", "web", "store"],
        "agent_id": [7, 8, 7, 9, 9, 7, 8, 8],
    })  # fmt: skip


AS_OF = pd.Timestamp("2025-06-15 10:00", tz=TEHRAN)


def test_monitor_exact_lists(desk):
    alerts = service.response_alerts(desk, AS_OF)
    assert alerts.index.tolist() == [6, 4, 5, 8, 2]  # breached (urgent, normal, low), then at risk (urgent, high)
    assert alerts["status"].tolist() == ["breached"] * 3 + ["at_risk"] * 2
    assert alerts["hours_left"].round(6).tolist() == [-0.5, -6.5, -30.5, 0.0, 1.5]
    assert alerts["waited_hours"].round(6).tolist() == [4.5, 30.5, 102.5, 4.0, 6.5]
    assert (alerts["deadline"] == alerts["created_at"] + pd.to_timedelta(desk.set_index("ticket_id")
            .loc[alerts.index, "sla_hours"].to_numpy(), unit="h")).all()  # fmt: skip
    everything = service.response_alerts(desk, AS_OF, include_on_track=True)
    assert everything.index.tolist() == [6, 4, 5, 8, 2, 1]
    assert everything.loc[1, "status"] == "on_track"


def test_monitor_agrees_with_ticket_sla_on_breaches(desk):
    # at the moment, a ticket breached when ticket_sla (as of that moment, answers not yet known) says so
    seen = desk.assign(first_response_at=desk["first_response_at"].where(desk["first_response_at"] <= AS_OF))
    seen = seen[seen["created_at"] <= AS_OF]
    sla = kpis.ticket_sla(seen, as_of=AS_OF)
    waiting = seen.set_index("ticket_id")["first_response_at"].isna()
    expected = sorted(sla.index[sla["sla_breached"].fillna(False).astype(bool) & waiting])
    alerts = service.response_alerts(desk, AS_OF)
    assert sorted(alerts.index[alerts["status"] == "breached"]) == expected == [4, 5, 6]


def test_monitor_same_clock_in_utc_is_another_moment(desk):
    as_utc = service.response_alerts(desk, pd.Timestamp("2025-06-15 10:00", tz="UTC"))
    # 3.5 hours later every waiting ticket breached
    assert as_utc.index.tolist() == [6, 8, 1, 2, 4, 5]
    assert set(as_utc["status"]) == {"breached"}
    assert service.response_alerts(desk, "2025-06-15 06:30+00:00").index.tolist() == [6, 4, 5, 8, 2]


def test_monitor_refuses_a_naive_moment(desk):
    with pytest.raises(ValueError, match="time zone"):
        service.response_alerts(desk, pd.Timestamp("2025-06-15 10:00"))
    with pytest.raises(ValueError, match="`as_of`"):
        service.response_alerts(desk, "not a date")


def test_monitor_thresholds_per_priority(desk):
    rules = {"urgent": 3, "high": 1, "normal": 4, "low": 8}
    alerts = service.response_alerts(desk, AS_OF, at_risk=rules)
    assert alerts.index.tolist() == [6, 4, 5, 8, 1]  # ticket 1 (2.5 h left < 3) in, ticket 2 (1.5 h > 1) out
    with pytest.raises(ValueError, match="`at_risk`.*'low'"):
        service.response_alerts(desk, AS_OF, at_risk={"urgent": 1, "high": 1, "normal": 1})
    with pytest.raises(ValueError, match="`at_risk`"):
        service.response_alerts(desk, AS_OF, at_risk=25)


def test_alert_counts_and_agents(desk):
    alerts = service.response_alerts(desk, AS_OF)
    counts = service.alert_counts(alerts)
    assert counts.index.tolist() == ["urgent", "high", "normal", "low"]
    assert counts.to_dict("index") == {"urgent": {"breached": 1, "at_risk": 1}, "high": {"breached": 0, "at_risk": 1},
                                       "normal": {"breached": 1, "at_risk": 0}, "low": {"breached": 1, "at_risk": 0}}
    assert service.alert_counts(alerts, "channel").loc["mail"].tolist() == [2, 1]
    reps = pd.DataFrame({"rep_id": [7, 8, 9], "first_name": ["Ali", "Sara", "Reza"],
                         "last_name": ["Amini", "Karimi", "Tehrani"]})  # fmt: skip
    agents = service.agents_with_breaches(alerts, reps)
    assert agents.index.tolist() == [9, 7]
    assert agents["breached"].tolist() == [2, 1]
    assert agents["max_overdue_hours"].round(6).tolist() == [30.5, 0.5]
    assert agents["name"].tolist() == ["Reza Tehrani", "Ali Amini"]


def test_alert_report_text(desk):
    report = service.alert_report(desk, AS_OF, top=2)
    lines = report.splitlines()
    assert lines[0] == "Response-time alerts, 2025-06-15 10:00 (Asia/Tehran)"
    assert lines[1] == "6 tickets await a first answer: 3 breached the SLA, 2 at risk."
    act = report.split("Act first")[1].split("Agents")[0]
    assert [int(line.split()[0]) for line in act.strip().splitlines()[2:]] == [6, 4]  # the top 2 only
    assert "15 Jun 05:30" in act  # ticket 6 opened 02:00 UTC = 05:30 in Tehran
    assert report == service.alert_report(desk, AS_OF, top=2)  # deterministic
    html = service.alert_report(desk, AS_OF, html=True)
    assert html.startswith("<h3>Response-time alerts") and html.count("<table") == 4


def test_alert_report_when_nothing_waits(desk):
    quiet = service.alert_report(desk, pd.Timestamp("2025-06-13 00:00", tz="UTC"))  # ticket 5: 24 h of 72 left
    assert quiet == ("Response-time alerts, 2025-06-13 03:30 (Asia/Tehran)\n"
                     "1 ticket awaits a first answer: 0 breached the SLA, 0 at risk.")  # fmt: skip
    risky = service.alert_report(desk, pd.Timestamp("2025-06-14 00:00", tz="UTC"))  # ticket 5 at its deadline
    assert "2 tickets await a first answer: 0 breached the SLA, 1 at risk." in risky
    assert "Agents with the most open breaches" not in risky  # no breach, no agent to name


def _waiting_independently(tickets, moment):
    """The course's tickets waiting at `moment`, with hours left, computed without crmlab."""
    opened = tickets["created_at"] <= moment
    answered = tickets["first_response_at"].notna() & (tickets["first_response_at"] <= moment)
    w = tickets[opened & ~answered]
    left = (w["created_at"] + pd.to_timedelta(w["sla_hours"].astype(int), unit="h") - moment).dt.total_seconds() / 3600
    return pd.DataFrame({"left": left.to_numpy(), "sla": w["sla_hours"].to_numpy()}, index=w["ticket_id"].to_numpy())


# snapshot ticket ids of the course's data (the Iranian retailer), each checked against the count without crmlab
# below; the busy moments are in the Yalda week (15-21 December), the generic company's were in its November peak
@pytest.mark.parametrize(("moment", "breached", "at_risk"), [
    ("2025-06-15 10:00", [2261], []),
    ("2025-12-17 12:00", [2943, 2975, 2997, 3001, 2973], [3007, 2995]),
    ("2025-12-16 12:00", [2943, 2975, 2997, 2973, 2976], [3001]),
])  # fmt: skip
def test_monitor_on_the_course_data_in_the_past(course, moment, breached, at_risk):
    when = pd.Timestamp(moment, tz=TEHRAN)
    alerts = service.response_alerts(course.tickets, when)
    assert alerts.index[alerts["status"] == "breached"].tolist() == breached
    assert alerts.index[alerts["status"] == "at_risk"].tolist() == at_risk
    mine = _waiting_independently(course.tickets, when)
    assert sorted(mine.index[mine["left"] < 0]) == sorted(breached)
    assert sorted(mine.index[(mine["left"] >= 0) & (mine["left"] < 0.25 * mine["sla"])]) == sorted(at_risk)
    assert alerts["hours_left"].to_dict() == pytest.approx(mine.loc[alerts.index, "left"].to_dict())


# ================================================================ SLA compliance and satisfaction


@pytest.fixture
def tiny():
    """Six surveyed tickets of three customers whose scores follow 4 - 1.3 breach - 0.45 extra exactly."""
    breach = np.array([0, 1, 0, 0, 1, 0])
    extra = np.array([0, 0, 2, 1, 1, 0])
    base = pd.Timestamp("2025-03-01 06:00", tz="UTC")
    created = pd.DatetimeIndex([base + pd.Timedelta(days=i) for i in range(6)])
    response = created + pd.to_timedelta(np.where(breach == 1, 30, 2), unit="h")
    return pd.DataFrame({
        "ticket_id": np.arange(1, 7), "customer_id": [1, 1, 2, 2, 3, 3],
        "channel": ["web", "mail", "web", "web", "mail", "web"], "priority": ["normal"] * 6,
        "created_at": created, "first_response_at": response,
        "resolved_at": response + pd.Timedelta(hours=5), "sla_hours": [24] * 6,
        "contacts_to_resolve": pd.array(1 + extra, dtype="Int16"),
        "satisfaction": pd.array(4 - 1.3 * breach - 0.45 * extra, dtype="Float64"),
    }), pd.DataFrame({"customer_id": [1, 2, 3], "region": ["South", "Capital", "South"]})  # fmt: skip


def test_sla_compliance_by_hand(tiny):
    tickets, customers = tiny
    by_channel = service.sla_compliance(tickets, "channel")
    assert by_channel.loc["web"].tolist() == [4, 4, 0, 1.0]
    assert by_channel.loc["mail"].tolist() == [2, 0, 2, 0.0]
    by_region = service.sla_compliance(tickets, "region", customers=customers)
    assert by_region.loc["South", "sla_compliance"] == pytest.approx(2 / 4)
    with pytest.raises(ValueError, match="customers"):
        service.sla_compliance(tickets, "region")


def test_sla_compliance_is_one_minus_lesson_01s_breach_rate(course):
    mine = service.sla_compliance(course.tickets, ["channel", "priority"])
    rate = kpis.sla_breach_rate(course.tickets, by=["channel", "priority"])
    assert mine["sla_compliance"].to_numpy() == pytest.approx(1 - rate["sla_breach_rate"].to_numpy())
    assert mine["tickets"].tolist() == rate["n"].tolist()
    assert mine.loc[("mail", "urgent"), "sla_compliance"] < 0.5 < mine.loc[("call_centre", "urgent"), "sla_compliance"]


def test_ticket_factors_local_hour_and_contacts(tiny):
    tickets, customers = tiny
    facts = service.ticket_factors(tickets, customers)
    assert facts["local_hour"].tolist() == [9] * 6  # 06:00 UTC is 09:30 in Tehran
    assert facts["contacts"].tolist() == ["1", "1", "3", "2", "2", "1"]
    assert facts["sla_breached"].tolist() == [False, True, False, False, True, False]
    assert facts["response_hours"].tolist() == [2, 30, 2, 2, 30, 2]
    five = tickets.assign(contacts_to_resolve=pd.array([5, 1, 1, 4, None, 1], dtype="Int16"))
    labels = service.ticket_factors(five, customers)["contacts"]
    assert labels.iloc[:4].tolist() == ["4+", "1", "1", "4+"] and pd.isna(labels.iloc[4])


def test_satisfaction_by_hand(tiny):
    tickets, customers = tiny
    table = service.satisfaction_by(tickets, customers, ["sla_breached", "region"])
    assert table.loc[("sla_breached", True), "satisfaction"] == pytest.approx((2.7 + 2.25) / 2)
    assert table.loc[("region", "Capital"), "n"] == 2
    overall = float(tickets["satisfaction"].mean())
    assert table.loc[("region", "South"), "gap"] == pytest.approx((4 + 2.7 + 2.25 + 4) / 4 - overall)
    with pytest.raises(ValueError, match="`factors`"):
        service.satisfaction_by(tickets, customers, ["mood"])


def test_satisfaction_drivers_recover_an_exact_model(tiny):
    tickets, customers = tiny
    pooled = service.satisfaction_drivers(tickets, customers, ["sla_breached", "extra_contacts"])
    assert pooled["effect"].to_dict() == pytest.approx({"intercept": 4.0, "sla_breached": -1.3,
                                                        "extra_contacts": -0.45})  # fmt: skip
    # add a customer trait: customer 3 scores 1 point lower on everything; within-customer removes it
    shifted = tickets.assign(satisfaction=tickets["satisfaction"] - np.where(tickets["customer_id"] == 3, 1.0, 0.0))
    within = service.satisfaction_drivers(shifted, customers, ["sla_breached", "extra_contacts", "region"],
                                          within_customer=True)  # fmt: skip
    assert within.index.tolist() == ["sla_breached", "extra_contacts"]  # region is constant within a customer
    assert within["effect"].to_numpy() == pytest.approx([-1.3, -0.45])
    assert within.attrs == {"n": 6, "customers": 3}
    with pytest.raises(ValueError, match="`terms`"):
        service.satisfaction_drivers(tickets, customers, ["weather"])


def test_planted_satisfaction_drivers_on_the_course_data(course):
    table = service.satisfaction_by(course.tickets, course.customers)
    gap = table.loc[("sla_breached", False), "satisfaction"] - table.loc[("sla_breached", True), "satisfaction"]
    assert 1.5 < gap < 2.1  # the raw gap overstates the planted 1.3
    assert table.xs("region")["satisfaction"].idxmin() == "South"
    within = service.satisfaction_drivers(course.tickets, course.customers, ["sla_breached", "extra_contacts"],
                                          within_customer=True)  # fmt: skip
    assert within.loc["sla_breached", "ci_low"] < -1.3 < within.loc["sla_breached", "ci_high"]
    assert within.loc["extra_contacts", "ci_low"] < -0.45 < within.loc["extra_contacts", "ci_high"]


def test_planted_satisfaction_drivers_on_a_large_crm(big_crm):
    within = service.satisfaction_drivers(big_crm.tickets, big_crm.customers, within_customer=True)
    assert within.loc["sla_breached", "effect"] == pytest.approx(-1.3, abs=0.12)
    assert within.loc["extra_contacts", "effect"] == pytest.approx(-0.45, abs=0.05)
    pooled = service.satisfaction_drivers(big_crm.tickets, big_crm.customers)
    # customers with bad service on every ticket (a hidden trait) inflate the pooled effects
    assert pooled.loc["sla_breached", "effect"] < within.loc["sla_breached", "effect"] - 0.1
    assert pooled.loc["extra_contacts", "effect"] < within.loc["extra_contacts", "effect"]
    # channel and priority have no effect of their own once breaches are held fixed
    others = within.drop(["sla_breached", "extra_contacts"])
    assert (others["effect"].abs() < 0.15).all()
    # the South's raw gap is mostly carried by its breaches and contacts
    raw = service.satisfaction_by(big_crm.tickets, big_crm.customers, ["region"]).loc[("region", "South"), "gap"]
    south = pooled.loc["region=South", "effect"]
    assert raw < -0.2 and raw < south < 0 and pooled.loc["region=South", "ci_high"] < 0
    compliance = service.sla_compliance(big_crm.tickets, "region", customers=big_crm.customers)
    assert compliance["sla_compliance"].idxmin() == "South"
