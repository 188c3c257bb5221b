"""Prices over time: the company's own price index, and revenue in real terms.

When prices rise 40 % a year, a sales chart in nominal money shows growth that is only
inflation. The question "did we sell more, or only dearer?" needs revenue *deflated* by
a price index. An official consumer price index measures the whole economy's basket;
what deflates a shop's revenue best is the index of the shop's own prices, and its order
lines hold them: every line carries its product's unit price on the day it sold.

:func:`price_index` builds that index the way statistical offices build the elementary
aggregates of a CPI: a *chained Jevons* index. For each month, every product sold in
both that month and the month before gives a price relative (this month's median unit
price over last month's); the month's change is their geometric mean, and the index
chains the changes. Matching products month by month keeps a new or discontinued product
from moving the index by itself (a launch at a high price is not inflation). Unit prices
are list prices before the line's discount, so a sale campaign does not read as
deflation. :func:`deflate` then turns nominal amounts into money of one base month.

No pandas or statsmodels function builds a chained matched-product index, which is why
this module computes it; the tests check it against hand-computed indexes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.conventions import COURSE, Conventions
from crmlab.validation import require_series, require_table

from .calendar import calendar_months, month_of
from .purchases import purchases_of

__all__ = ["deflate", "price_index"]


def price_index(orders: pd.DataFrame, order_lines: pd.DataFrame, *, base=None,
                conventions: Conventions = COURSE) -> pd.DataFrame:  # fmt: skip
    """The company's own monthly price index: chained Jevons over the products it sold.

    Parameters
    ----------
    orders : DataFrame
        ``order_id``, ``customer_id``, ``ordered_at`` (UTC instants), ``total_cents``;
        ``status`` optional (only purchases count, see :attr:`Conventions.purchase_statuses`).
    order_lines : DataFrame
        ``order_id``, ``product_id`` and ``unit_price_cents`` (the product's price on the
        line, in minor units, before any discount).
    base : date-like, optional
        A day of the month whose index is 100; default the first month with sales.
    conventions : Conventions
        The company's clock, calendar (Gregorian or Jalali months) and purchase statuses.

    Returns
    -------
    DataFrame
        Indexed by ``month`` (its first local day), every month with a purchase in order:
        ``label``, ``index`` (base month = 100), ``change`` (this month's price change
        against the previous month with sales, NaN for the first) and ``products`` (the
        products matched in both months, which the change is the geometric mean over).

    Raises
    ------
    ValueError
        When a month shares no product with the month before it (the chain breaks), naming
        the months; or when ``base`` is not a month with sales.

    Examples
    --------
    Product 1 rises from 100 to 110 and product 2 from 200 to 242: the relatives are 1.10
    and 1.21, and their geometric mean is 1.1537 (sqrt(1.10 * 1.21)).

    >>> o = pd.DataFrame({"order_id": [1, 2, 3, 4], "customer_id": [1, 2, 1, 2], "total_cents": 0,
    ...                   "ordered_at": pd.to_datetime(["2025-01-05", "2025-01-06", "2025-02-05", "2025-02-06"],
    ...                                                utc=True)})
    >>> lines = pd.DataFrame({"order_id": [1, 2, 3, 4], "product_id": [1, 2, 1, 2],
    ...                       "unit_price_cents": [100, 200, 110, 242]})
    >>> price_index(o, lines).round(4)
                   label    index  change  products
    month
    2025-01-01  Jan 2025  100.000     NaN         2
    2025-02-01  Feb 2025  115.369  0.1537         2
    """
    require_table(orders, "orders", ["order_id", "customer_id", "ordered_at", "total_cents"])
    require_table(order_lines, "order_lines", ["order_id", "product_id", "unit_price_cents"])
    bought = purchases_of(orders, conventions)[["order_id", "day"]]
    lines = order_lines[["order_id", "product_id", "unit_price_cents"]].merge(bought, on="order_id", how="inner")
    lines = lines[lines["unit_price_cents"] > 0]
    if lines.empty:
        raise ValueError("No purchase has an order line with a positive `unit_price_cents`: "
                         "a price index needs the prices of products sold.")  # fmt: skip
    lines = lines.assign(month=month_of(lines["day"], conventions))
    prices = lines.groupby(["month", "product_id"])["unit_price_cents"].median().unstack("product_id")
    months = prices.index
    logs = np.log(prices.to_numpy(dtype=float))
    steps = logs[1:] - logs[:-1]  # NaN unless the product sold in both months
    matched = np.isfinite(steps).sum(axis=1)
    if (matched == 0).any():
        broken = [f"{months[i].date()} -> {months[i + 1].date()}" for i in np.flatnonzero(matched == 0)]
        raise ValueError(f"No product sold in both months of {broken}: the chained index breaks there. "
                         "Compute it on a period with continuous sales, or on a coarser calendar.")  # fmt: skip
    change = np.exp(np.nanmean(np.where(np.isfinite(steps), steps, np.nan), axis=1))
    level = np.concatenate([[1.0], np.cumprod(change)])
    at = 0 if base is None else _base_position(months, base, conventions)
    labels = calendar_months(months[0], months[-1], conventions)["label"]
    out = pd.DataFrame({"label": labels.reindex(months).to_numpy(), "index": 100 * level / level[at],
                        "change": np.concatenate([[np.nan], change - 1]),
                        "products": np.concatenate([[prices.iloc[0].notna().sum()], matched])},
                       index=pd.DatetimeIndex(months, name="month"))  # fmt: skip
    return out.astype({"products": "int64"})


def _base_position(months: pd.DatetimeIndex, base, conventions: Conventions) -> int:
    day = pd.Series([pd.Timestamp(base).normalize()])
    start = month_of(day, conventions).iloc[0]
    if start not in months:
        raise ValueError(f"`base` {pd.Timestamp(base).date()} falls in the month starting {start.date()}, "
                         f"which has no sales; pick a month from {months[0].date()} to {months[-1].date()}.")
    return int(months.get_loc(start))


def deflate(nominal: pd.Series, index: pd.Series | pd.DataFrame) -> pd.Series:
    """Amounts per month in the money of the index's base month: ``nominal * 100 / index``.

    Parameters
    ----------
    nominal : Series
        Amounts indexed by month start (e.g. ``monthly_sales(...)["revenue"]``).
    index : Series or DataFrame
        A price index by month start with base 100 (e.g. :func:`price_index`; a DataFrame's
        ``index`` column is used).

    Returns
    -------
    Series
        Same index as ``nominal``, named ``real_<name>``.

    Raises
    ------
    ValueError
        When a month of ``nominal`` with a non-zero amount has no index value, naming it
        (a month without sales may have no index; its amount is 0 either way).

    Examples
    --------
    >>> months = pd.to_datetime(["2025-01-01", "2025-02-01"])
    >>> deflate(pd.Series([1000.0, 1500.0], index=months, name="revenue"), pd.Series([100.0, 125.0], index=months))
    2025-01-01    1000.0
    2025-02-01    1200.0
    Name: real_revenue, dtype: float64
    """
    require_series(nominal, "nominal")
    levels = index["index"] if isinstance(index, pd.DataFrame) else require_series(index, "index")
    aligned = levels.reindex(nominal.index)
    gap = aligned.isna() & nominal.fillna(0).ne(0)
    if gap.any():
        missing = [str(pd.Timestamp(m).date()) for m in nominal.index[gap.to_numpy()][:5]]
        raise ValueError(f"The price index has no value for the month(s) {missing}, which have amounts: "
                         "compute the index over the same period as the amounts.")  # fmt: skip
    real = (nominal * 100 / aligned).where(nominal.fillna(0).ne(0), 0.0)
    return real.rename(f"real_{nominal.name}" if nominal.name is not None else "real")
