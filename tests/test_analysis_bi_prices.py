"""The company's own price index and deflated revenue, against hand-computed indexes."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from crmlab.analysis import bi
from crmlab.conventions import COURSE


def _shop(rows):
    """Orders and lines from (day, product, unit price, status) rows, one line per order."""
    days, products, prices, statuses = zip(*rows, strict=True)
    n = len(rows)
    orders = pd.DataFrame({"order_id": range(1, n + 1), "customer_id": 1, "total_cents": list(prices),
                           "status": list(statuses),
                           "ordered_at": pd.to_datetime(list(days)).tz_localize(COURSE.timezone).tz_convert("UTC")})
    lines = pd.DataFrame({"order_id": range(1, n + 1), "product_id": list(products), "unit_price_cents": list(prices)})
    return orders, lines


def test_three_months_by_hand():
    """Jan -> Feb: A x1.10, B x1.21 (geometric mean 1.1537); Feb -> Mar: only A (x1.20) is matched:
    C is new in March at any price and B left, so neither moves the index."""
    orders, lines = _shop([
        ("2025-01-10", "A", 100, "completed"), ("2025-01-11", "B", 200, "completed"),
        ("2025-02-10", "A", 110, "completed"), ("2025-02-11", "B", 242, "completed"),
        ("2025-03-10", "A", 132, "completed"), ("2025-03-11", "C", 99_999, "completed"),
    ])  # fmt: skip
    index = bi.price_index(orders, lines)
    feb = math.sqrt(1.10 * 1.21)
    assert index["index"].tolist() == pytest.approx([100, 100 * feb, 100 * feb * 1.20])
    assert index["products"].tolist() == [2, 2, 1]
    assert index["label"].tolist() == ["Jan 2025", "Feb 2025", "Mar 2025"]
    rebased = bi.price_index(orders, lines, base="2025-03-31")
    assert rebased["index"].tolist() == pytest.approx([100 / (feb * 1.2), 100 / 1.2, 100])


def test_only_purchases_and_the_median_price_count():
    """A cancelled order at a silly price is not a price; a month's price is the median of its lines."""
    orders, lines = _shop([
        ("2025-01-03", "A", 100, "completed"),
        ("2025-02-03", "A", 100, "completed"), ("2025-02-04", "A", 130, "completed"),
        ("2025-02-05", "A", 120, "completed"), ("2025-02-06", "A", 5, "cancelled"),
    ])  # fmt: skip
    assert bi.price_index(orders, lines)["index"].tolist() == pytest.approx([100, 120])


def test_jalali_months_split_march():
    """On the Jalali calendar 20 March 2025 is Esfand 1403 and 21 March is Farvardin 1404 (Nowruz)."""
    orders, lines = _shop([("2025-03-01", "A", 100, "completed"), ("2025-03-20", "A", 100, "completed"),
                           ("2025-03-21", "A", 150, "completed"), ("2025-03-30", "A", 150, "completed")])
    gregorian = bi.price_index(orders, lines)
    assert gregorian["index"].tolist() == [100.0]
    jalali = bi.price_index(orders, lines, conventions=replace(COURSE, calendar="jalali"))
    assert jalali["label"].tolist() == ["Esfand 1403", "Farvardin 1404"]
    assert jalali["index"].tolist() == pytest.approx([100, 150])


def test_matches_a_loop_over_random_prices():
    """An independent, loop-based chained Jevons on random data (products entering and leaving)."""
    rng = np.random.default_rng(7)
    rows = []
    for month in range(1, 13):
        for product in range(8):
            if rng.random() < 0.75:
                for _ in range(rng.integers(1, 4)):
                    price = int(1000 * (1 + product) * 1.03 ** month * rng.uniform(0.9, 1.1))
                    rows.append((f"2024-{month:02d}-{rng.integers(1, 28):02d}", product, price, "completed"))
    orders, lines = _shop(rows)
    got = bi.price_index(orders, lines)
    frame = pd.DataFrame(rows, columns=["day", "product", "price", "status"])
    frame["month"] = frame["day"].str[:7]
    medians = {m: g.groupby("product")["price"].median().to_dict() for m, g in frame.groupby("month")}
    level, expected = 1.0, [1.0]
    months = sorted(medians)
    for before, now in zip(months, months[1:], strict=False):
        common = sorted(set(medians[before]) & set(medians[now]))
        level *= math.prod(medians[now][p] / medians[before][p] for p in common) ** (1 / len(common))
        expected.append(level)
    assert got["index"].to_numpy() == pytest.approx(100 * np.array(expected), rel=1e-12)


def test_a_broken_chain_and_an_unsold_base_are_refused():
    orders, lines = _shop([("2025-01-10", "A", 100, "completed"), ("2025-02-10", "B", 200, "completed")])
    with pytest.raises(ValueError, match=r"No product sold in both months of \['2025-01-01 -> 2025-02-01'\]"):
        bi.price_index(orders, lines)
    orders, lines = _shop([("2025-01-10", "A", 100, "completed"), ("2025-03-10", "A", 200, "completed")])
    with pytest.raises(ValueError, match="month starting 2025-02-01, which has no sales"):
        bi.price_index(orders, lines, base="2025-02-15")


def test_deflate_by_hand_and_refuses_a_month_without_index():
    months = pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"])
    index = pd.Series([100.0, 125.0, 150.0], index=months)
    nominal = pd.Series([1000.0, 1500.0, 0.0], index=months, name="revenue")
    assert bi.deflate(nominal, index).tolist() == [1000.0, 1200.0, 0.0]
    with pytest.raises(ValueError, match=r"no value for the month\(s\) \['2025-03-01'\]"):
        bi.deflate(nominal.set_axis(months).where(nominal > 0, 10.0), index.iloc[:2])
