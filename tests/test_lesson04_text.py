"""What lesson 04's optional section says about real and nominal revenue holds, against the planted inflation.

The oracle is the generator's planted price path (42 % a year, re-set each Jalali month), averaged
over each Gregorian month by hand, and revenue and buyers counted with plain pandas; the lesson
uses ``bi.price_index`` (measured from the order lines) and ``bi.deflate``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from crmlab.analysis import bi, kpis
from crmlab.conventions import COURSE
from crmlab.datasets import generate_crm
from crmlab.datasets.synthetic.markets import IRAN


@pytest.fixture(scope="module")
def iran():
    return generate_crm(market="iran")


def _by_hand(crm) -> pd.DataFrame:
    done = crm.orders[crm.orders["status"] == "completed"]
    day = done["ordered_at"].dt.tz_convert("Asia/Tehran").dt.tz_localize(None).dt.normalize()
    planted = pd.Series(IRAN.price_index, index=pd.date_range("2022-01-01", periods=len(IRAN.price_index)))
    level = planted.groupby(planted.index.to_period("M")).mean()  # the month's average price level
    month = day.dt.to_period("M")
    real = done["total_cents"] / month.map(level).to_numpy()
    out = pd.DataFrame({"nominal": done["total_cents"].groupby(day.dt.year).sum(),
                        "real": real.groupby(day.dt.year).sum(),
                        "buyers": done["customer_id"].groupby(day.dt.year).nunique()})  # fmt: skip
    return out[["nominal", "real"]].div(out["buyers"], axis=0).pct_change().dropna()


def test_prices_rise_about_40_percent_a_year(iran):
    prices = bi.price_index(iran.orders, iran.order_lines, conventions=replace(COURSE, currency="IRR", minor_unit=0))
    level = prices["index"].to_numpy()
    yearly = level[12::12] / level[:-12:12]
    assert yearly == pytest.approx(1.42, abs=0.02)  # "about 40 % a year"; planted 42 %


def test_nominal_growth_is_about_half_and_real_growth_5_to_15_percent(iran):
    growth = _by_hand(iran)
    assert growth["nominal"].between(0.4, 0.65).all()  # "about half every year"
    assert growth["real"].between(0.03, 0.16).all()  # "by 5 to 15 %"
    in_rials = replace(COURSE, currency="IRR", minor_unit=0)
    prices = bi.price_index(iran.orders, iran.order_lines, conventions=in_rials)
    monthly = bi.monthly_sales(iran, conventions=in_rials)
    real = bi.deflate(monthly["revenue"], prices)
    per_year = pd.DataFrame({"nominal": monthly["revenue"], "real": real}).groupby(monthly.index.year).sum()
    lesson = per_year.div(kpis.revenue_per_buyer(iran.orders, minor_unit=0)["buyers"], axis=0).pct_change().dropna()
    np.testing.assert_allclose(lesson["nominal"], growth["nominal"], rtol=1e-9)  # the same orders counted
    np.testing.assert_allclose(lesson["real"], growth["real"], atol=0.03)  # measured index vs the planted path
    assert lesson["real"].between(0.05, 0.15).all()
