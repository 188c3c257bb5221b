"""P5's calculator against hand computations, month by month."""

from __future__ import annotations

import math

import pytest

from crmlab.analysis.kpis import project_roi


def test_a_plan_by_hand():
    # 50,000 up front, 1,000 a month, 5,000 a month of benefit from month 4 (build 3), 12 months.
    out = project_roi(one_off=50_000, monthly_cost=1_000, monthly_benefit=5_000, months=12, build_months=3)
    assert out["cost"] == 50_000 + 12 * 1_000
    assert out["benefit"] == 9 * 5_000
    assert out["net"] == 45_000 - 62_000
    assert out["roi"] == pytest.approx(-17_000 / 62_000)
    assert out["live_month"] == 4
    assert math.isnan(out["payback_month"])  # 53,000 behind after month 3, +4,000 a month: month 17


def test_payback_month_by_hand():
    out = project_roi(one_off=50_000, monthly_cost=1_000, monthly_benefit=5_000, months=24, build_months=3)
    # cumulative after month m >= 4: -53,000 + 4,000 (m - 3) >= 0 first at m = 17 (250 over).
    assert out["payback_month"] == 17


def test_overrun_and_delay_move_cost_and_time():
    base = dict(one_off=100_000, monthly_cost=0, monthly_benefit=10_000, months=30, build_months=6)
    late = project_roi(**base, overrun=0.5, delay_months=4)
    assert late["cost"] == 150_000  # the overrun is on the one-off cost only
    assert late["benefit"] == (30 - 10) * 10_000  # live from month 11 instead of 7
    assert late["payback_month"] == 10 + 15  # 150,000 / 10,000 = 15 months after going live
    assert project_roi(**base)["payback_month"] == 6 + 10


@pytest.mark.parametrize(("name", "value", "text"), [
    ("one_off", -1, "must be 0 or more"),
    ("months", 6.5, "whole number of months"),
    ("overrun", "50%", "finite number"),
    ("delay_months", True, "finite number"),
])
def test_errors_name_the_input(name, value, text):
    args = dict(one_off=1, monthly_cost=1, monthly_benefit=1, months=12) | {name: value}
    with pytest.raises(ValueError, match=text) as err:
        project_roi(**args)
    assert f"`{name}`" in str(err.value)
