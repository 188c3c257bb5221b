"""crmlab.analysis.bi.impact: the impact of punctual deliveries, per year on a growing base, in money,
checked by hand; the old "four years / 4" on one pooled rate gives another answer."""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab.analysis.bi.impact import late_delivery_impact
from crmlab.conventions import COURSE


def _tiny():
    """Year 2024: 10 shipments, 5 to S (3 late), none late elsewhere. Year 2025: 30 shipments (the base
    tripled), 10 to S (4 late), 2 late elsewhere. Every order is worth IRR 5,000,000 (whole rials, the
    course's currency)."""
    rows = []
    for year, n, s_n, s_late, other_late in [(2024, 10, 5, 3, 0), (2025, 30, 10, 4, 2)]:
        for i in range(n):
            in_s = i < s_n
            late = i < s_late if in_s else i - s_n < other_late
            rows.append({"year": year, "region": "S" if in_s else "N", "late": late})
    t = pd.DataFrame(rows).reset_index(names="shipment_id")
    promised = pd.to_datetime(t["year"].astype(str) + "-06-01")
    shipments = pd.DataFrame({"shipment_id": t["shipment_id"], "order_id": t["shipment_id"], "carrier": "Post",
                              "shipped_at": promised.dt.tz_localize("UTC") - pd.Timedelta(days=3),
                              "promised_date": promised,
                              "delivered_date": promised + pd.to_timedelta(t["late"].astype(int) * 2, unit="D")})
    orders = pd.DataFrame({"order_id": t["shipment_id"], "customer_id": t["shipment_id"], "total_cents": 5_000_000})
    customers = pd.DataFrame({"customer_id": t["shipment_id"], "region": t["region"]})
    return shipments, orders, customers


def test_impact_per_year_by_hand():
    got = late_delivery_impact(*_tiny(), ["S"], cost_per_late=200_000.0)
    assert got.index.tolist() == [2024, 2025]
    assert got["shipments"].tolist() == [10, 30]
    assert got["company_late_rate"].tolist() == pytest.approx([0.3, 0.2])
    # 2024: 3 late in S against 5 x 30% = 1.5 expected; 2025: 4 against 10 x 20% = 2
    assert got["avoided"].tolist() == pytest.approx([1.5, 2.0])
    assert got["avoided_per_1000"].tolist() == pytest.approx([150.0, 2000 / 30])
    assert got["cost_saved"].tolist() == pytest.approx([300_000.0, 400_000.0])  # IRR 200,000 each
    assert got["order_value"].tolist() == pytest.approx([7_500_000.0, 10_000_000.0])  # IRR 5,000,000 orders
    assert COURSE.money_major(got["cost_saved"].iloc[-1], decimals=0) == "IRR 400,000"


def test_the_pooled_average_is_not_a_year():
    """The old way: one rate over both years, the total divided by the years. It matches neither year."""
    shipments, orders, customers = _tiny()
    pooled_rate = 6 / 40 + 3 / 40  # 9 late of 40 shipments
    pooled = (7 - 15 * pooled_rate) / 2  # S: 7 late of 15, per year on average
    assert pooled == pytest.approx(1.8125)
    got = late_delivery_impact(shipments, orders, customers, ["S"], cost_per_late=20.0)
    assert pooled not in (pytest.approx(v) for v in got["avoided"])
    # the rate relative to each year's base falls while the count rises: the average hides both
    assert got["avoided"].is_monotonic_increasing and got["avoided_per_1000"].is_monotonic_decreasing


def test_unknown_region_is_named():
    with pytest.raises(ValueError, match="`regions` must name regions"):
        late_delivery_impact(*_tiny(), ["Capital"], cost_per_late=20.0)
