"""Product launches inside the data window: one hit and one flop, with real ramp-up curves.

Design (chosen so that no other table changes):

* the catalogue's original products were all launched **before** the data begin (a
  launch day drawn after the first day is moved 900 days earlier), so they may sell
  from the first day;
* the two products of ``PLANTED.launches`` are added at the end of the ``products``
  table. After its launch day a new product takes over each order line of its
  category with chance ``peak_share * (1 - exp(-days / ramp_days))``, and never
  before it. A line taken over keeps its quantity, price and discount, so order
  totals, invoices and payments stay exactly as they were (the launch shifts demand
  within the category; its lines carry the price of the model the customer would
  otherwise have bought). The draws come from their own random stream.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .commerce import CATEGORIES
from .markets import GENERIC, Market
from .truths import PLANTED, START

__all__ = ["add_launches", "take_over_lines"]


def add_launches(products: pd.DataFrame, market: Market = GENERIC) -> pd.DataFrame:
    """The catalogue with the planted launches appended (ids after the last product)."""
    first = int(products["product_id"].max()) + 1
    rows = []
    for k, (name, spec) in enumerate(PLANTED.launches.items()):
        product_id = first + k
        rows.append({
            "product_id": product_id, "sku": f"SKU-{product_id * 37 + 10_000:05d}",
            "category_id": CATEGORIES.index(spec["category"]) + 1, "name": name,
            "list_price_cents": market.list_price(spec["list_price"]), "launched_on": pd.Timestamp(spec["launched_on"]),
        })  # fmt: skip
    new = pd.DataFrame(rows).astype(products.dtypes.to_dict())
    return pd.concat([products, new], ignore_index=True)


def take_over_lines(
    rng: np.random.Generator,
    lines: pd.DataFrame,
    order_day: np.ndarray,
    products: pd.DataFrame,
    market: Market = GENERIC,
) -> pd.DataFrame:
    """Give each launched product its share of its category's lines from its launch day on.

    ``order_day`` holds each line's order time in local days since START. In a market with
    :attr:`~.markets.Market.launch_prices` a line taken over gets the launched product's price
    that day, its discount scaled with it (the order totals must then be summed again);
    otherwise it keeps the replaced product's price.
    """
    product = lines["product_id"].to_numpy().copy()
    priced = {column: lines[column].to_numpy() for column in ("unit_price_cents", "discount_cents")}
    if market.launch_prices:  # changed below
        priced = {column: values.copy() for column, values in priced.items()}
    price_now, discount_now = priced["unit_price_cents"], priced["discount_cents"]
    category_of = np.zeros(int(products["product_id"].max()) + 1, dtype=np.int8)  # a few categories
    category_of[products["product_id"].to_numpy()] = products["category_id"].to_numpy()
    category = category_of[product]
    u = rng.random(len(lines))
    for name, spec in PLANTED.launches.items():
        new = products.loc[products["name"] == name].iloc[0]
        rows = np.flatnonzero(category == new["category_id"])  # only these lines can be taken over
        since = order_day[rows] - (pd.Timestamp(spec["launched_on"]) - START).days
        share = np.where(since >= 0, spec["peak_share"] * (1 - np.exp(-np.maximum(since, 0) / spec["ramp_days"])), 0)
        hit = rows[u[rows] < share]
        product[hit] = new["product_id"]
        if market.launch_prices and len(hit):
            old_price = price_now[hit]
            price = market.price(np.full(len(hit), new["list_price_cents"]), order_day[hit])
            discount_now[hit] = market.round_money(discount_now[hit] * price / old_price)
            price_now[hit] = price
    return lines.assign(product_id=product, **priced)
