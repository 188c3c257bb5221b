"""Judging a new product phase by phase, against the curve of earlier launches.

A launch is a change too, and it can be judged like an experiment: in phases of a
few weeks (weeks 1-4, 5-8 ...), each ending with a decision, **go** (back it), **continue**
(keep watching) or **stop** (withdraw it).

How a launch is measured. Raw sales grow with the customer base and swing with the
seasons, so each phase counts the product's share of its category's orders in the
same weeks (distinct completed orders holding the product / holding any product of
the category). A launch is compared with the **typical curve**: the pooled share of the
earlier launches of the same category, phase for phase; a category's first launch
is compared with an average product of the category (one over the number of products
that sold in those weeks).

The rule, at the end of each phase, on the sales *to date* (cumulative, so each
decision uses all the evidence): the ratio of the product's share to the typical share
gets a confidence interval (statsmodels: a log interval for a ratio of two
proportions; a Wilson interval against an average product). With ``floor`` the least
share of a typical launch worth backing:

- **stop** when even the interval's upper end is below ``floor``: clearly a laggard;
- **go** when the interval's lower end is at or above ``floor``: clearly not one;
- **continue** otherwise: not enough evidence yet either way, so do not kill (or
  celebrate) a launch on one noisy month.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from crmlab.conventions import COURSE, Conventions
from crmlab.validation import fraction, positive, require_table

__all__ = ["DECISIONS", "judge_launches", "launch_phases", "launched_products"]

#: The decisions of :func:`judge_launches`, from worst to best.
DECISIONS = ("stop", "continue", "go")
_PHASE_COLUMNS = ("name", "category_id", "launched_on", "phase", "weeks", "orders", "category_orders",
                  "products_on_sale")  # fmt: skip


def _product_sales(products, orders, order_lines, statuses, conventions: Conventions) -> pd.DataFrame:
    """One row per product and order holding it (kept statuses): the local day and category."""
    require_table(products, "products", ["product_id", "category_id", "name", "launched_on"])
    require_table(orders, "orders", ["order_id", "ordered_at", "status"])
    require_table(order_lines, "order_lines", ["order_id", "product_id"])
    kept = orders.loc[orders["status"].isin(list(statuses)), ["order_id", "ordered_at"]]
    lines = order_lines[["order_id", "product_id"]].drop_duplicates()
    sales = lines.merge(kept, on="order_id").merge(products[["product_id", "category_id"]], on="product_id")
    sales = sales.assign(day=conventions.local_day(sales["ordered_at"]))
    return sales[["order_id", "product_id", "category_id", "day"]]


def launched_products(
    products: pd.DataFrame,
    orders: pd.DataFrame,
    order_lines: pd.DataFrame,
    statuses: Sequence[str] = COURSE.purchase_statuses,
    *,
    conventions: Conventions = COURSE,
) -> pd.DataFrame:
    """The products launched after the data begin, with a sanity count of sales before launch.

    Parameters
    ----------
    products, orders, order_lines : DataFrame
        The CRM tables of the same names.
    statuses : sequence of str
        Order statuses that count as sales.
    conventions : Conventions
        The company's conventions; days are local days on ``conventions.timezone``
        (default :data:`crmlab.conventions.COURSE`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``product_id``, in launch order: ``name``, ``category_id``,
        ``launched_on``, ``orders_before_launch`` (should be 0: anything else means a
        wrong launch date or wrongly coded order lines) and ``orders_since_launch``.

    Examples
    --------
    >>> products = pd.DataFrame({"product_id": [1, 2], "category_id": [1, 1], "name": ["Old", "New"],
    ...                          "launched_on": pd.to_datetime(["2020-01-01", "2024-01-10"])})
    >>> orders = pd.DataFrame({"order_id": [1, 2, 3], "status": ["completed"] * 3,
    ...     "ordered_at": pd.to_datetime(["2024-01-02", "2024-01-05", "2024-01-20"], utc=True)})
    >>> lines = pd.DataFrame({"order_id": [1, 2, 3], "product_id": [1, 2, 2]})
    >>> launched_products(products, orders, lines)[["name", "orders_before_launch", "orders_since_launch"]]
               name  orders_before_launch  orders_since_launch
    product_id
    2           New                     1                    1
    """
    sales = _product_sales(products, orders, order_lines, statuses, conventions)
    first_day = conventions.local_day(orders["ordered_at"]).min()
    launched = products[products["launched_on"] > first_day].sort_values(["launched_on", "product_id"])
    mine = sales.merge(launched[["product_id", "launched_on"]], on="product_id")
    early = mine["day"] < mine["launched_on"]
    out = launched.set_index("product_id")[["name", "category_id", "launched_on"]].copy()
    out["orders_before_launch"] = mine[early].groupby("product_id").size().reindex(out.index, fill_value=0)
    out["orders_since_launch"] = mine[~early].groupby("product_id").size().reindex(out.index, fill_value=0)
    return out


def launch_phases(
    products: pd.DataFrame,
    orders: pd.DataFrame,
    order_lines: pd.DataFrame,
    phase_weeks: int = 4,
    n_phases: int = 4,
    statuses: Sequence[str] = COURSE.purchase_statuses,
    *,
    conventions: Conventions = COURSE,
) -> pd.DataFrame:
    """Each launched product's sales in successive phases after its launch day.

    Phase ``k`` covers the days ``launched_on + (k - 1) * phase_weeks`` weeks up to
    (not including) ``launched_on + k * phase_weeks`` weeks. Phases that end after
    the last day of the data are left out: they are not over yet.

    Parameters
    ----------
    products, orders, order_lines : DataFrame
        The CRM tables of the same names.
    phase_weeks : int
        Length of a phase in weeks.
    n_phases : int
        Number of phases to follow.
    statuses : sequence of str
        Order statuses that count as sales.
    conventions : Conventions
        The company's conventions; days are local days on ``conventions.timezone``
        (default :data:`crmlab.conventions.COURSE`).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``product_id`` and ``phase`` (1, 2, ...): ``name``, ``category_id``,
        ``launched_on``, ``weeks`` (e.g. ``"1-4"``), ``starts_on``, ``ends_on`` (last
        day), ``orders`` (orders holding the product), ``category_orders`` (orders
        holding any product of its category), ``share`` and ``products_on_sale``
        (products of the category that sold in those weeks, the new one included).

    Examples
    --------
    >>> products = pd.DataFrame({"product_id": [1, 2], "category_id": [1, 1], "name": ["Old", "New"],
    ...                          "launched_on": pd.to_datetime(["2020-01-01", "2024-01-08"])})
    >>> days = pd.to_datetime(["2024-01-01", "2024-01-09", "2024-01-10", "2024-01-16", "2024-01-17",
    ...                        "2024-01-22"])
    >>> orders = pd.DataFrame({"order_id": range(1, 7), "status": "completed",
    ...                        "ordered_at": (days + pd.Timedelta(hours=8)).tz_localize("UTC")})
    >>> lines = pd.DataFrame({"order_id": range(1, 7), "product_id": [1, 2, 1, 1, 2, 1]})
    >>> launch_phases(products, orders, lines, phase_weeks=1, n_phases=3)[
    ...     ["weeks", "orders", "category_orders", "share", "products_on_sale"]]
                     weeks  orders  category_orders  share  products_on_sale
    product_id phase
    2          1       1-1       1                2    0.5                 2
               2       2-2       1                2    0.5                 2
    """
    phase_weeks, n_phases = int(positive("phase_weeks", phase_weeks)), int(positive("n_phases", n_phases))
    launched = launched_products(products, orders, order_lines, statuses, conventions=conventions)
    sales = _product_sales(products, orders, order_lines, statuses, conventions)
    last_day = conventions.local_day(orders["ordered_at"]).max()
    length = pd.Timedelta(weeks=phase_weeks)
    rows = []
    for product_id, p in launched.iterrows():
        category = sales[sales["category_id"] == p["category_id"]]
        for k in range(1, n_phases + 1):
            start = p["launched_on"] + (k - 1) * length
            end = start + length
            if end - pd.Timedelta(days=1) > last_day:
                break
            window = category[(category["day"] >= start) & (category["day"] < end)]
            mine = window["product_id"] == product_id
            rows.append({
                "product_id": product_id, "phase": k, "name": p["name"], "category_id": p["category_id"],
                "launched_on": p["launched_on"], "weeks": f"{(k - 1) * phase_weeks + 1}-{k * phase_weeks}",
                "starts_on": start, "ends_on": end - pd.Timedelta(days=1),
                "orders": window.loc[mine, "order_id"].nunique(), "category_orders": window["order_id"].nunique(),
                "products_on_sale": window.loc[~mine, "product_id"].nunique() + 1,
            })  # fmt: skip
    out = pd.DataFrame(rows, columns=["product_id", "phase", *_PHASE_COLUMNS[:3], "weeks", "starts_on", "ends_on",
                                      *_PHASE_COLUMNS[5:]])  # fmt: skip
    out["share"] = out["orders"] / out["category_orders"].where(out["category_orders"] > 0)
    order = ["name", "category_id", "launched_on", "weeks", "starts_on", "ends_on", "orders", "category_orders",
             "share", "products_on_sale"]  # fmt: skip
    return out.set_index(["product_id", "phase"])[order]


def _judge(x: int, n: int, bench_x: float, bench_n: float, fair: float, alpha: float) -> tuple:
    """(benchmark share, ratio, low, high) for one product and phase, to date."""
    if n == 0:
        return np.nan, np.nan, np.nan, np.nan
    if bench_n > 0:  # earlier launches of the category: a ratio of two proportions
        share = bench_x / bench_n
        low, high = confint_proportions_2indep(x, n, bench_x, bench_n, compare="ratio", method="log-adjusted",
                                               alpha=alpha)  # fmt: skip
    else:  # the category's first launch: against an average product
        share = fair
        low, high = (np.asarray(proportion_confint(x, n, alpha=alpha, method="wilson")) / share).tolist()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (x / n) / share
    return share, float(ratio), float(low), float(high)


def judge_launches(phases: pd.DataFrame, floor: float = 0.8, confidence: float = 0.8) -> pd.DataFrame:
    """A go / continue / stop decision for each launch at the end of each phase.

    See the module's description for the rule. A decision at phase ``k`` uses the
    sales of phases 1 to ``k``; the typical curve pools the earlier launches of the
    same category over the same phases.

    Parameters
    ----------
    phases : DataFrame
        The result of :func:`launch_phases`.
    floor : float
        Least share of a typical launch's sales worth backing (0.8: 80%).
    confidence : float
        Confidence level of the intervals. 0.8 means each of the two decisions is
        wrong at most about one time in ten for a launch sitting exactly at the floor.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``product_id`` and ``phase``: ``name``, ``category_id``,
        ``launched_on``, ``weeks``, ``orders_to_date``, ``expected_to_date`` (what a typical launch would have
        sold in the same category weeks), ``ratio`` with ``ratio_low`` and
        ``ratio_high``, ``benchmark`` (what it was compared with) and ``decision``.

    Examples
    --------
    >>> phases = pd.DataFrame({"product_id": [1, 2, 3], "phase": 1, "name": ["A", "B", "C"],
    ...     "category_id": 1, "launched_on": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-05-01"]),
    ...     "weeks": "1-4", "orders": [50, 10, 60], "category_orders": 200, "products_on_sale": 4}
    ...     ).set_index(["product_id", "phase"])
    >>> judged = judge_launches(phases)
    >>> judged[["expected_to_date", "ratio", "decision"]]
                      expected_to_date  ratio decision
    product_id phase
    1          1                  50.0    1.0       go
    2          1                  50.0    0.2     stop
    3          1                  30.0    2.0       go
    >>> judged["benchmark"].tolist()
    ['an average product', '1 earlier launch', '2 earlier launches']
    """
    floor = positive("floor", floor)
    alpha = 1 - fraction("confidence", confidence)
    df = phases.reset_index() if "product_id" not in phases.columns else phases.copy()
    require_table(df, "phases", ["product_id", *_PHASE_COLUMNS])
    df = df.sort_values(["product_id", "phase"]).reset_index(drop=True)
    by_product = df.groupby("product_id")
    df["orders_to_date"] = by_product["orders"].cumsum()
    df["category_to_date"] = by_product["category_orders"].cumsum()
    fair = df["category_orders"] / df["products_on_sale"]
    df["fair_to_date"] = fair.groupby(df["product_id"]).cumsum()
    rows = []
    for row in df.itertuples(index=False):
        earlier = df[(df["category_id"] == row.category_id) & (df["launched_on"] < row.launched_on)
                     & (df["phase"] == row.phase)]  # fmt: skip
        n_earlier = earlier["product_id"].nunique()
        fair_share = row.fair_to_date / row.category_to_date if row.category_to_date else np.nan
        share, ratio, low, high = _judge(row.orders_to_date, row.category_to_date, earlier["orders_to_date"].sum(),
                                         earlier["category_to_date"].sum(), fair_share, alpha)  # fmt: skip
        if n_earlier:
            benchmark = f"{n_earlier} earlier launch{'es' if n_earlier > 1 else ''}"
        else:
            benchmark = "an average product"
        decision = "stop" if high < floor else "go" if low >= floor else "continue"
        rows.append((row.product_id, row.phase, row.name, row.category_id, row.launched_on, row.weeks,
                     row.orders_to_date,
                     share * row.category_to_date, ratio, low, high, benchmark, decision))  # fmt: skip
    columns = ["product_id", "phase", "name", "category_id", "launched_on", "weeks", "orders_to_date",
               "expected_to_date", "ratio", "ratio_low", "ratio_high", "benchmark", "decision"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns).set_index(["product_id", "phase"])
