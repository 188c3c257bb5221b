"""Totals typed in the wrong unit (toman for rials): found only when exact, corrected only then.

Every expected value is worked out by hand from the small tables here.
"""

from __future__ import annotations

import pandas as pd
import pytest

from crmlab.analysis.quality import line_totals, unit_mixups

LINES = pd.DataFrame({
    "order_id": [1, 1, 2, 3, 4, 5],
    "quantity": [2, 1, 1, 3, 1, 1],
    "unit_price_cents": [150_000, 70_000, 90_000, 10_000, 80_000, 500_000],
    "discount_cents": [20_000, 0, 0, 0, 0, 0],
})  # order 1: 2 x 150,000 + 70,000 - 20,000 = 350,000; 2: 90,000; 3: 30,000; 4: 80,000; 5: 500,000


def test_line_totals_by_hand():
    assert line_totals(LINES).to_dict() == {1: 350_000, 2: 90_000, 3: 30_000, 4: 80_000, 5: 500_000}
    assert line_totals(LINES, discount=None)[1] == 370_000


def test_a_tenth_and_ten_times_are_mixups_anything_else_is_not():
    orders = pd.DataFrame({"order_id": [1, 2, 3, 4, 5, 9],
                           "total_cents": [35_000, 90_000, 300_000, 80_001, 5_000_000, 123]})  # fmt: skip
    found = unit_mixups(orders, LINES)
    assert found["order_id"].tolist() == [1, 3, 4, 5]  # 2 agrees; 9 has no lines (a test order, say)
    assert found["problem"].tolist() == ["typed in a unit 10x larger", "typed in a unit 10x smaller",
                                         "other difference", "typed in a unit 10x smaller"]  # fmt: skip
    assert found["corrected"].tolist() == [350_000, 30_000, pd.NA, 500_000]
    assert found.loc[0, "ratio"] == 10.0 and found.loc[1, "ratio"] == 0.1


def test_other_factors_and_column_names():
    lines = LINES.rename(columns={"unit_price_cents": "price", "discount_cents": "off"})
    orders = pd.DataFrame({"order_id": [1, 2], "amount": [350, 900]})
    found = unit_mixups(orders, lines, factors=(1000, 10), total="amount", price="price", discount="off")
    # 350,000 / 350 = 1000: a factor asked for; 90,000 / 900 = 100: not one
    assert found["problem"].tolist() == ["typed in a unit 1000x larger", "other difference"]
    assert found["corrected"].tolist() == [350_000, pd.NA]


def test_an_order_whose_total_is_zero_is_another_difference():
    found = unit_mixups(pd.DataFrame({"order_id": [2], "total_cents": [0]}), LINES)
    assert found["problem"].tolist() == ["other difference"]


@pytest.mark.parametrize("factors", [(), (1,), (0, 10), (-10,)])
def test_factors_must_be_at_least_two(factors):
    with pytest.raises(ValueError, match="`factors` must be whole numbers of at least 2"):
        unit_mixups(pd.DataFrame({"order_id": [1], "total_cents": [1]}), LINES, factors=factors)


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="total_cents"):
        unit_mixups(pd.DataFrame({"order_id": [1]}), LINES)
    with pytest.raises(ValueError, match="discount_cents"):
        unit_mixups(pd.DataFrame({"order_id": [1], "total_cents": [1]}), LINES.drop(columns="discount_cents"))


def test_the_course_data_has_exactly_the_planted_mixups(crm):
    found = unit_mixups(crm.raw_orders, crm.order_lines)
    assert found["order_id"].tolist() == crm.truth["unit_mixup_order_ids"]
    assert (found["problem"] == "typed in a unit 10x larger").all()
