"""crmlab.analysis.service.planning: a plan sized for the mean day misses its target on about half the
days, a plan sized for the q-quantile on about 1 - q. Checked on simulated Poisson calls against an
Erlang C written independently (Erlang B from scipy's Poisson law, itself checked on the published
0.6821), and on the bank's real calls by a pandas recount."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from crmlab.analysis import service
from crmlab.datasets import load_bank_calls

AHT, TARGET, LEVEL = 240, 20, 0.8
RATES = {"09:00": 600, "10:00": 1200, "11:00": 2000}  # true mean calls per half-hour (Poisson)


def _erlang_c(a: float, n: int) -> float:
    """Erlang C from the identity B(N, A) = P(X = N) / P(X <= N), X ~ Poisson(A): no recursion shared with crmlab."""
    if n <= a:
        return 1.0
    b = stats.poisson.pmf(n, a) / stats.poisson.cdf(n, a)
    return n * b / (n - a * (1 - b))


def _meets(calls: int, n: int) -> bool:
    a = calls * AHT / 1800
    return n > a and 1 - _erlang_c(a, n) * np.exp(-(n - a) * TARGET / AHT) >= LEVEL


def _most_calls_met(n: int) -> int:
    """The largest count of calls in a half-hour that ``n`` agents serve at 80/20 (by scanning counts)."""
    c = 0
    while _meets(c + 1, n):
        c += 1
    return c


def _days(rng: np.random.Generator, n_days: int) -> pd.DataFrame:
    frames = [pd.DataFrame({"weekday": "Monday", "period": p, "calls": rng.poisson(lam, n_days)})
              for p, lam in RATES.items()]  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def test_independent_erlang_c_reproduces_the_published_value():
    assert round(_erlang_c(10, 11), 4) == 0.6821  # Call Centre Helper: 100 calls of 180 s per half hour, 11 agents
    assert _erlang_c(10, 11) == pytest.approx(service.erlang_c(10, 11), rel=1e-10)


@pytest.fixture(scope="module")
def simulated():
    rng = np.random.default_rng(2024)
    return _days(rng, 400), _days(rng, 4000)  # past days to plan from, future days to check on


def test_mean_plan_misses_about_half_the_days_quantile_plan_about_one_minus_q(simulated):
    past, future = simulated
    table = service.compare_plans(past, ["mean", 0.8, 0.9], check=future, aht_seconds=AHT,
                                  target_seconds=TARGET, level=LEVEL)  # fmt: skip
    assert list(table.index) == ["mean", "q80", "q90"]
    assert 0.35 <= table.loc["mean", "missed"] <= 0.55
    assert 0.12 <= table.loc["q80", "missed"] <= 0.21
    assert 0.05 <= table.loc["q90", "missed"] <= 0.11
    assert table["agent_hours"].is_monotonic_increasing  # safety is paid in agents


@pytest.mark.parametrize("how", ["mean", 0.9])
def test_misses_match_the_poisson_law(simulated, how):
    # For each period: agents planned; the largest count they serve, by the independent Erlang C;
    # the probability of a busier day, from the Poisson law of the true rate.
    past, future = simulated
    calls = service.planned_calls(past, how)
    traffic = calls.to_numpy() * AHT / 1800  # Erlangs: calls per second x seconds per call
    agents = pd.Series(service.agents_needed(traffic, aht_seconds=AHT, target_seconds=TARGET, level=LEVEL),
                       index=calls.index)  # fmt: skip
    out = service.plan_outcomes(future, agents, aht_seconds=AHT, target_seconds=TARGET, level=LEVEL)
    for period, lam in RATES.items():
        n = int(agents[("Monday", period)])
        law = stats.poisson.sf(_most_calls_met(n), lam)
        seen = 1 - out.loc[out["period"] == period, "met"].mean()
        assert seen == pytest.approx(law, abs=4 * np.sqrt(law * (1 - law) / 4000) + 1e-3), period
        if how == "mean":
            assert 0.3 <= law <= 0.55, period
        else:
            assert law <= 0.1 + 0.01, period


def test_planned_calls_is_a_pandas_recount(simulated):
    past, _ = simulated
    q = past.groupby(["weekday", "period"])["calls"].quantile(0.8)
    assert service.planned_calls(past, 0.8).to_dict() == pytest.approx(q.to_dict())
    mean = past.groupby(["weekday", "period"])["calls"].mean()
    assert service.planned_calls(past).to_dict() == pytest.approx(mean.to_dict())


def test_plan_outcomes_accepts_either_index_order_and_uncovered_periods_fail():
    days = pd.DataFrame({"weekday": ["Monday", "Monday", "Tuesday"], "period": ["10:00"] * 3, "calls": [100, 0, 100]})
    plan = pd.Series([14], index=pd.MultiIndex.from_tuples([("10:00", "Monday")], names=["period", "weekday"]))
    out = service.plan_outcomes(days, plan, aht_seconds=180)
    assert out["agents"].tolist() == [14, 14, 0]
    assert out["met"].tolist() == [True, True, False]  # no calls: nobody waits; Tuesday has no agents


@pytest.mark.parametrize("how", ["max", 0, 1, 1.5, True])
def test_bad_how_is_named(simulated, how):
    with pytest.raises(ValueError, match="`how`"):
        service.planned_calls(simulated[0], how)


def test_handled_calls_understate_demand_and_offered_calls_recovers_it():
    # 2,000 calls offered per half-hour, 6% hang up: the handled count is short by the hang-ups.
    rng = np.random.default_rng(7)
    offered = rng.poisson(2000, 5000)
    handled = rng.binomial(offered, 1 - 0.06)
    assert handled.mean() == pytest.approx(2000 * 0.94, rel=0.005)
    assert service.offered_calls(handled.mean(), 0.06) == pytest.approx(offered.mean(), rel=0.005)
    assert service.offered_calls(pd.Series([1900.0]), 0.05).tolist() == [2000.0]
    with pytest.raises(ValueError, match="abandoned_share"):
        service.offered_calls(100, 1.0)
    # A plan sized on the mean of handled calls misses the offered demand far more than half the time.
    days = pd.DataFrame({"weekday": "Monday", "period": "10:00", "calls": handled})
    check = days.assign(calls=offered)
    assert service.compare_plans(days, ["mean"], check=check).loc["mean", "missed"] > 0.9


@pytest.fixture(scope="module")
def bank_days():
    return service.calls_per_period(load_bank_calls())


def test_on_the_bank_the_mean_plan_misses_about_half_the_mondays(bank_days):
    mondays = bank_days[bank_days["weekday"] == "Monday"]
    table = service.compare_plans(mondays, ["mean", 0.9], aht_seconds=AHT)
    assert 0.35 <= table.loc["mean", "missed"] <= 0.6
    assert table.loc["q90", "missed"] <= 0.12
    # The Monday 10:00 half-hour by a pandas recount: days with more calls than the mean plan's agents serve.
    ten = mondays.loc[mondays["period"] == "10:00", "calls"]
    n = service.agents_needed(ten.mean() * AHT / 1800, aht_seconds=AHT)
    assert (ten > _most_calls_met(n)).sum() == pytest.approx(len(ten) / 2, abs=6)


def test_on_the_bank_the_quantile_plan_holds_on_later_weeks(bank_days):
    cut = pd.Timestamp("2003-08-01")
    past, later = bank_days[bank_days["date"] < cut], bank_days[bank_days["date"] >= cut]
    table = service.compare_plans(past, ["mean", 0.9], check=later, aht_seconds=AHT)
    assert table.loc["mean", "missed"] > 0.35
    assert table.loc["q90", "missed"] < 0.16
