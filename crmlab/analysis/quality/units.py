"""Amounts typed in the wrong unit: an order total ten times too small or too large.

An Iranian clerk who types toman (ten rials) into a rial field enters a tenth of the
amount; one who types rials where toman are expected enters ten times too much. Neither
looks wrong on its own. An order's lines give the amount it should have: when the order
total differs from the sum of its lines by exactly the unit's factor, the total was typed
in the other unit, and the lines' sum is the correction. Any other difference is a
different problem and is reported as such, never corrected.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlab.validation import require_table

__all__ = ["line_totals", "unit_mixups"]


def line_totals(
    order_lines: pd.DataFrame,
    *,
    price: str = "unit_price_cents",
    quantity: str = "quantity",
    discount: str | None = "discount_cents",
) -> pd.Series:
    """Each order's amount from its lines: quantity times price, less the discount, summed.

    Returns
    -------
    Series
        Whole amounts (int64) indexed by ``order_id``.

    Examples
    --------
    >>> lines = pd.DataFrame({"order_id": [1, 1, 2], "quantity": [2, 1, 1],
    ...                       "unit_price_cents": [500, 250, 90], "discount_cents": [0, 50, 0]})
    >>> line_totals(lines).to_dict()
    {1: 1200, 2: 90}
    """
    columns = ["order_id", price, quantity] + ([discount] if discount else [])
    require_table(order_lines, "order_lines", columns)
    amount = order_lines[quantity].astype("int64") * order_lines[price].astype("int64")
    if discount:
        amount = amount - order_lines[discount].fillna(0).astype("int64")
    return amount.groupby(order_lines["order_id"]).sum().astype("int64").rename("lines_total")


def unit_mixups(
    orders: pd.DataFrame,
    order_lines: pd.DataFrame,
    *,
    factors: Sequence[int] = (10,),
    total: str = "total_cents",
    price: str = "unit_price_cents",
    quantity: str = "quantity",
    discount: str | None = "discount_cents",
) -> pd.DataFrame:
    """Orders whose total disagrees with their lines, and which disagreements are a unit mix-up.

    The comparison is exact, in whole stored units: a total is a unit mix-up only when the
    lines' sum is exactly ``factor`` times it (typed in a unit ``factor`` times larger, e.g.
    toman for rials) or exactly a ``factor``-th of it (typed in a unit that many times smaller).

    Parameters
    ----------
    orders : DataFrame
        With ``order_id`` and the ``total`` column, e.g. ``crm.raw_orders``.
    order_lines : DataFrame
        With ``order_id``, ``quantity``, the ``price`` and ``discount`` columns.
    factors : sequence of int, default (10,)
        Ratios between the units that get mixed up (10: rial and toman).
    total, price, quantity, discount : str
        Column names; ``discount=None`` when the lines have no discount.

    Returns
    -------
    DataFrame
        One row per order with lines whose total differs from them, in ``order_id`` order:
        ``order_id``, ``total`` (as typed), ``lines_total``, ``ratio`` (lines over total),
        ``problem`` (``"typed in a unit 10x larger"``, ``"typed in a unit 10x smaller"`` or
        ``"other difference"``) and ``corrected`` (the lines' sum for a unit mix-up, else missing).
        Orders without lines (test orders, say) are not compared.

    Examples
    --------
    >>> orders = pd.DataFrame({"order_id": [1, 2, 3, 4], "total_cents": [1200, 9, 900, 7]})
    >>> lines = pd.DataFrame({"order_id": [1, 2, 3, 4], "quantity": 1,
    ...                       "unit_price_cents": [1200, 90, 90, 8], "discount_cents": 0})
    >>> unit_mixups(orders, lines)[["order_id", "ratio", "problem", "corrected"]].round(3)
       order_id   ratio                      problem  corrected
    0         2  10.000   typed in a unit 10x larger         90
    1         3   0.100  typed in a unit 10x smaller         90
    2         4   1.143             other difference       <NA>
    """
    require_table(orders, "orders", ["order_id", total])
    factors = [int(f) for f in factors]
    if not factors or any(f < 2 for f in factors):
        raise ValueError(f"`factors` must be whole numbers of at least 2, such as (10,), but {factors!r} was passed.")
    expected = line_totals(order_lines, price=price, quantity=quantity, discount=discount)
    typed = orders[["order_id", total]].dropna(subset=[total])
    typed = typed[typed["order_id"].isin(expected.index)]
    typed_total = typed[total].astype("int64").to_numpy()
    lines_total = expected.reindex(typed["order_id"]).to_numpy()
    differs = typed_total != lines_total
    order_id = typed["order_id"].to_numpy()[differs]
    typed_total, lines_total = typed_total[differs], lines_total[differs]
    problem = np.full(len(order_id), "other difference", dtype=object)
    for f in factors:
        problem[lines_total == f * typed_total] = f"typed in a unit {f}x larger"
        problem[typed_total == f * lines_total] = f"typed in a unit {f}x smaller"
    mixup = problem != "other difference"
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = lines_total / typed_total
    out = pd.DataFrame({
        "order_id": order_id,
        "total": typed_total,
        "lines_total": lines_total,
        "ratio": ratio,
        "problem": problem,
        "corrected": pd.arrays.IntegerArray(lines_total.astype("int64"), ~mixup),  # missing unless a mix-up
    })
    return out.sort_values("order_id", ignore_index=True)
