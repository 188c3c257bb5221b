"""What lesson 04 says about real and nominal revenue holds on the course's data, against the planted inflation.

Since the flip the course's company is the Iranian retailer, so the section runs on ``load_crm()`` (3,000
customers), no longer on a second generated company. The oracle is the generator's planted price path
(42 % a year, re-set each Jalali month), averaged over each Gregorian month by hand, and revenue and
buyers counted with plain pandas; the lesson uses ``bi.price_index`` (measured from the order lines)
and ``bi.deflate``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from crmlab.analysis import bi, kpis
from crmlab.datasets import load_crm
from crmlab.datasets.synthetic.markets import IRAN

LESSON = Path(__file__).resolve().parents[1] / "notebooks" / "04_bi_questions.ipynb"


@pytest.fixture(scope="module")
def crm():
    return load_crm(tables=["orders", "order_lines"])


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


def test_the_course_data_is_in_whole_rials(crm):
    assert crm.conventions.currency == "IRR" and crm.conventions.minor_unit == 0


def test_prices_rise_about_40_percent_a_year(crm):
    prices = bi.price_index(crm.orders, crm.order_lines, conventions=crm.conventions)
    level = prices["index"].to_numpy()
    yearly = level[12::12] / level[:-12:12]
    assert yearly == pytest.approx(1.42, abs=0.02)  # "about 40 % a year"; planted 42 %


def test_nominal_growth_is_about_half_and_real_growth_5_to_15_percent(crm):
    growth = _by_hand(crm)
    assert growth["nominal"].between(0.4, 0.65).all()  # "about half every year"
    assert growth["real"].between(0.03, 0.16).all()  # "by 5 to 15 %"
    prices = bi.price_index(crm.orders, crm.order_lines, conventions=crm.conventions)
    monthly = bi.monthly_sales(crm, conventions=crm.conventions)
    real = bi.deflate(monthly["revenue"], prices)
    per_year = pd.DataFrame({"nominal": monthly["revenue"], "real": real}).groupby(monthly.index.year).sum()
    buyers = kpis.revenue_per_buyer(crm.orders, minor_unit=crm.conventions.minor_unit)["buyers"]
    lesson = per_year.div(buyers, axis=0).pct_change().dropna()
    np.testing.assert_allclose(lesson["nominal"], growth["nominal"], rtol=1e-9)  # the same orders counted
    np.testing.assert_allclose(lesson["real"], growth["real"], atol=0.03)  # measured index vs the planted path
    assert lesson["real"].between(0.05, 0.15).all()


def test_the_section_is_on_the_main_path_and_uses_no_second_company():
    """The section is no longer optional: no '## Optional' heading, no second generated company."""
    cells = nbformat.read(LESSON, as_version=4).cells
    text = "\n".join(c.source for c in cells)
    assert "## Optional" not in text and "generate_crm" not in text
    assert "bi.price_index(crm.orders, crm.order_lines" in text


def test_the_late_delivery_cost_is_in_rials_and_the_prose_quotes_it():
    """The lesson's budget: 15,000,000 rials a late delivery (a parameter), quoted so in its text;
    the saving the prose rounds (IRR 3.8 billion) is the last year's avoided deliveries (counted by hand)
    times that cost."""
    cells = nbformat.read(LESSON, as_version=4).cells
    parameters = next(c.source for c in cells if "parameters" in c.metadata.get("tags", []))
    assert "LATE_DELIVERY_COST = 15_000_000" in parameters
    text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    assert "15,000,000 rials" in text and "IRR 3.8 billion" in text and "USD" not in text

    crm = load_crm(tables=["shipments", "orders", "customers"])
    s = crm.shipments.merge(crm.orders[["order_id", "customer_id"]], on="order_id")
    s = s.merge(crm.customers[["customer_id", "region"]], on="customer_id")
    last = pd.Timestamp("2025-12-31")
    s["late"] = s["delivered_date"].fillna(last + pd.Timedelta(days=1)) > s["promised_date"]
    s = s[(s["delivered_date"].notna() | (s["promised_date"] <= last)) & (s["promised_date"].dt.year == 2025)]
    worst = s.groupby("region")["late"].mean().nlargest(2).index  # 2025 alone; the lesson ranks on all years
    assert set(worst) == {"South", "East"}
    inside = s[s["region"].isin(worst)]
    avoided = inside["late"].sum() - len(inside) * s["late"].mean()
    assert round(avoided * 15_000_000 / 1e8) / 10 == 3.8  # billions of rials, as the prose rounds
