"""Sales KPIs: cross-selling, deal speed, the funnel, acquisition and revenue growth."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from crmlab.analysis.kpis.measures import DAY, FUNNEL, aggregate, local_year, ratio
from crmlab.calendars import calendar_of, calendar_periods, period_start
from crmlab.conventions import COURSE, Conventions
from crmlab.validation import choice, require_table

# ------------------------------------------------------------------ cross-selling


def _revenue_orders(orders: pd.DataFrame, statuses: Sequence[str]) -> pd.DataFrame:
    if isinstance(statuses, str):
        statuses = [statuses]
    return orders[orders["status"].isin(statuses)]


def categories_per_buyer(
    orders: pd.DataFrame,
    order_lines: pd.DataFrame,
    products: pd.DataFrame,
    *,
    statuses: Sequence[str] = COURSE.purchase_statuses,
) -> pd.DataFrame:
    """How many product categories each buyer bought from, over all their orders.

    Parameters
    ----------
    orders, order_lines, products : DataFrame
        The CRM tables of those names.
    statuses : sequence of str
        Order statuses that count as a purchase.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id`` (buyers only), column ``n_categories``.

    Examples
    --------
    >>> orders = pd.DataFrame({"order_id": [1, 2, 3], "customer_id": [7, 7, 8],
    ...                        "status": ["completed", "completed", "cancelled"]})
    >>> lines = pd.DataFrame({"order_id": [1, 2, 3], "product_id": [10, 20, 20]})
    >>> products = pd.DataFrame({"product_id": [10, 20], "category_id": [1, 2]})
    >>> categories_per_buyer(orders, lines, products)
                 n_categories
    customer_id
    7                       2
    """
    o = _revenue_orders(require_table(orders, "orders", ["order_id", "customer_id", "status"]), statuses)
    lines = require_table(order_lines, "order_lines", ["order_id", "product_id"])
    cats = require_table(products, "products", ["product_id", "category_id"])[["product_id", "category_id"]]
    bought = lines[["order_id", "product_id"]].merge(o[["order_id", "customer_id"]], on="order_id")
    bought = bought.merge(cats, on="product_id")
    return bought.groupby("customer_id")["category_id"].nunique().to_frame("n_categories")


def multi_category_share(
    orders: pd.DataFrame,
    order_lines: pd.DataFrame,
    products: pd.DataFrame,
    *,
    min_categories: int = 2,
    statuses: Sequence[str] = COURSE.purchase_statuses,
) -> float:
    """Share of buyers who bought from at least ``min_categories`` categories (the *cross-selling* goal).

    The denominator is the customers who bought something: a customer who never bought
    is a matter for acquisition, not for cross-selling.

    Parameters
    ----------
    orders, order_lines, products : DataFrame
        The CRM tables of those names.
    min_categories : int
        How many categories make a cross-sold customer.
    statuses : sequence of str
        Order statuses that count as a purchase.

    Returns
    -------
    float
        A share between 0 and 1.

    Examples
    --------
    >>> orders = pd.DataFrame({"order_id": [1, 2, 3], "customer_id": [7, 7, 8], "status": ["completed"] * 3})
    >>> lines = pd.DataFrame({"order_id": [1, 2, 3], "product_id": [10, 20, 20]})
    >>> products = pd.DataFrame({"product_id": [10, 20], "category_id": [1, 2]})
    >>> multi_category_share(orders, lines, products)
    0.5
    """
    n = categories_per_buyer(orders, order_lines, products, statuses=statuses)["n_categories"]
    return float((n >= min_categories).mean()) if len(n) else float("nan")


# ------------------------------------------------------------------ deals and the funnel


def sales_cycle_days(opportunities: pd.DataFrame, *, by: str | None = None) -> float | pd.DataFrame:
    """Median days from opening a deal to winning it (the *closing deals faster* goal).

    Only won deals count: a lost deal that dies early is not a fast sale, and open deals
    have no end yet.

    Parameters
    ----------
    opportunities : DataFrame
        The ``opportunities`` table.
    by : str, optional
        A column of ``opportunities`` (e.g. ``"rep_id"``): one median per value.

    Returns
    -------
    float or DataFrame
        Days; with ``by``, a table with ``sales_cycle_days`` and ``n``.

    Examples
    --------
    >>> o = pd.DataFrame({
    ...     "stage": ["closed_won", "closed_lost", "closed_won"],
    ...     "created_at": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-02-01"], utc=True),
    ...     "closed_at": pd.to_datetime(["2025-01-31", "2025-01-03", "2025-02-11"], utc=True)})
    >>> sales_cycle_days(o)
    20.0
    """
    o = require_table(opportunities, "opportunities", ["stage", "created_at", "closed_at"])
    days = ((o["closed_at"] - o["created_at"]) / DAY).where(o["stage"] == "closed_won")
    return aggregate(days, o, by, "median", "sales_cycle_days")


def funnel_conversion(opportunity_stages: pd.DataFrame, *, funnel: Sequence[str] = FUNNEL) -> pd.DataFrame:
    """Stage-to-stage conversion of the sales funnel, and the days deals spend in each stage (*smoother processes*).

    Of the deals that have *left* a stage (moved on, or were lost), the share that
    entered the next one. A deal still sitting in a stage at the export has not had its
    chance there yet: it counts as ``entered`` but not ``decided``, and leaves no gap in
    the stages it has already passed. (Keeping only closed deals instead would drop the
    open deals that already moved on, and make the early stages look worse than they are.)

    Parameters
    ----------
    opportunity_stages : DataFrame
        The ``opportunity_stages`` table (one row per stage a deal entered, ``closed_lost`` included).
    funnel : sequence of str
        The stages in order; the last one is the goal (``closed_won``).

    Returns
    -------
    DataFrame
        Indexed by ``stage`` (every stage of ``funnel`` but the last): ``next_stage``,
        ``entered``, ``decided`` (left the stage), ``advanced`` (entered ``next_stage``),
        ``conversion`` = advanced / decided, and ``median_days`` in the stage (decided deals).
        The product of ``conversion`` is the share of new deals that end up won.

    Examples
    --------
    >>> h = pd.DataFrame({
    ...     "opportunity_id": [1, 1, 1, 2, 2, 3],
    ...     "stage": ["prospecting", "qualification", "closed_lost", "prospecting", "closed_lost",
    ...               "prospecting"],
    ...     "entered_at": pd.to_datetime(["2025-01-01", "2025-01-05", "2025-01-08", "2025-01-01",
    ...                                   "2025-01-03", "2025-02-01"], utc=True)})
    >>> funnel = funnel_conversion(h, funnel=["prospecting", "qualification", "closed_won"])
    >>> funnel[["entered", "decided", "advanced", "conversion", "median_days"]]
                   entered  decided  advanced  conversion  median_days
    stage
    prospecting          3        2         1         0.5          3.0
    qualification        1        1         0         0.0          3.0
    """
    h = require_table(opportunity_stages, "opportunity_stages", ["opportunity_id", "stage", "entered_at"])
    funnel = list(funnel)
    if len(funnel) < 2:
        raise ValueError(f"The value for `funnel` needs at least two stages in order, but {funnel!r} was passed.")
    moves = h.sort_values(["opportunity_id", "entered_at"], kind="stable")
    following = moves.groupby("opportunity_id")[["stage", "entered_at"]].shift(-1)
    moves = moves.assign(
        next_seen=following["stage"],
        days=(following["entered_at"] - moves["entered_at"]) / DAY,
        next_stage=moves["stage"].map(dict(zip(funnel[:-1], funnel[1:], strict=True))),
    )
    moves = moves[moves["stage"].isin(funnel[:-1])]
    moves = moves.assign(decided=moves["next_seen"].notna(), advanced=moves["next_seen"] == moves["next_stage"])
    out = moves.groupby("stage").agg(
        entered=("opportunity_id", "size"),
        decided=("decided", "sum"),
        advanced=("advanced", "sum"),
        median_days=("days", "median"),
    )
    out = out.reindex(funnel[:-1]).rename_axis("stage")  # a stage no deal entered: 0 deals, no days
    counts = ["entered", "decided", "advanced"]
    out[counts] = out[counts].fillna(0).astype("int64")
    out.insert(0, "next_stage", funnel[1:])
    out.insert(4, "conversion", ratio(out["advanced"], out["decided"]))
    return out


# ------------------------------------------------------------------ acquisition and revenue growth


def new_customers_per_month(customers: pd.DataFrame, *, by: str | None = "acquisition_channel",
                            calendar: str | Conventions = "gregorian") -> pd.DataFrame:
    """New customers per month (by ``signup_date``), split by ``by`` (the *finding new customers* goal).

    Every month from the first sign-up to the last appears, with 0 where nobody signed up.

    Parameters
    ----------
    customers : DataFrame
        The ``customers`` table.
    by : str or None
        A column of ``customers`` to split by; None for one total per month.
    calendar : {"gregorian", "jalali"} or Conventions
        The calendar of the months: Gregorian (the default) or Jalali (from 1 Farvardin).

    Returns
    -------
    DataFrame
        Columns ``month`` (first day of the month), ``by`` (unless None) and ``new_customers``.

    Examples
    --------
    >>> c = pd.DataFrame({"signup_date": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-03-02"]),
    ...                   "acquisition_channel": ["web", "store", "web"]})
    >>> new_customers_per_month(c, by=None)
           month  new_customers
    0 2025-01-01              2
    1 2025-02-01              0
    2 2025-03-01              1
    >>> new_customers_per_month(c, by=None, calendar="jalali")  # 1 Dey, 1 Bahman, 1 Esfand 1403
           month  new_customers
    0 2024-12-21              1
    1 2025-01-20              1
    2 2025-02-19              1
    """
    c = require_table(customers, "customers", ["signup_date"])
    jalali = calendar_of(calendar) == "jalali"
    if jalali:
        month = period_start(c["signup_date"].dt.normalize(), "month", calendar)
        months = pd.DatetimeIndex(calendar_periods(month.min(), month.max(), "month", calendar).index)
    else:
        month = c["signup_date"].dt.to_period("M")
        months = pd.period_range(month.min(), month.max(), freq="M")
    if by is None:
        counts = month.value_counts().reindex(months, fill_value=0).rename_axis("month")
    else:
        choice("by", by, list(c.columns))
        groups = sorted(c[by].dropna().unique())
        counts = c.groupby([month, c[by]]).size()
        counts = counts.reindex(pd.MultiIndex.from_product([months, groups]), fill_value=0)
        counts = counts.rename_axis(["month", by])
    out = counts.rename("new_customers").reset_index()
    if not jalali:
        out["month"] = out["month"].dt.to_timestamp()
    return out


def revenue_per_buyer(
    orders: pd.DataFrame,
    *,
    statuses: Sequence[str] = COURSE.purchase_statuses,
    tz: str = COURSE.timezone,
    calendar: str | Conventions = "gregorian",
    minor_unit: int = COURSE.minor_unit,
) -> pd.DataFrame:
    """Revenue, buyers and revenue per buyer by (fiscal) year, with the yearly growth (*customer revenue*).

    Growing customer revenue means each customer buys more, not just that there are more
    customers: compare ``revenue_growth`` (the business) with ``per_buyer_growth``
    (the customer).

    Parameters
    ----------
    orders : DataFrame
        The ``orders`` table.
    statuses : sequence of str
        Order statuses that count as revenue.
    tz : str
        Time zone of the company's calendar.
    calendar : {"gregorian", "jalali"} or Conventions
        The year: from 1 January (the default), or the Jalali fiscal year from 1 Farvardin.
    minor_unit : int, optional
        Digits after the decimal point of ``total_cents``: revenue comes out in major units,
        ``total_cents / 10**minor_unit`` (default ``COURSE.minor_unit``: 0, whole rials; 2 for cents).

    Returns
    -------
    DataFrame
        Indexed by ``year``: ``revenue``, ``buyers``, ``revenue_per_buyer`` (in the currency),
        ``revenue_growth`` and ``per_buyer_growth`` (shares: 0.1 is +10%).

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": [1, 2, 1], "status": ["completed"] * 3,
    ...                   "total_cents": [1_000_000, 3_000_000, 6_000_000],  # whole rials
    ...                   "ordered_at": pd.to_datetime(["2024-03-01", "2024-05-01", "2025-02-01"], utc=True)})
    >>> by_year = revenue_per_buyer(o)
    >>> by_year[["revenue", "buyers", "revenue_per_buyer"]]
            revenue  buyers  revenue_per_buyer
    year
    2024  4000000.0       2          2000000.0
    2025  6000000.0       1          6000000.0
    >>> by_year.loc[2025, ["revenue_growth", "per_buyer_growth"]].tolist()
    [0.5, 2.0]
    >>> revenue_per_buyer(o, calendar="jalali")[["buyers"]]  # 1 March 2024 is in 1402
          buyers
    year
    1402       1
    1403       2
    """
    require_table(orders, "orders", ["customer_id", "status", "total_cents", "ordered_at"])
    o = _revenue_orders(orders, statuses)
    year = local_year(o["ordered_at"], tz, calendar).rename("year")
    out = o.groupby(year).agg(revenue=("total_cents", "sum"), buyers=("customer_id", "nunique"))
    out["revenue"] = out["revenue"] / 10**minor_unit
    out["revenue_per_buyer"] = out["revenue"] / out["buyers"]
    out["revenue_growth"] = out["revenue"].pct_change()
    out["per_buyer_growth"] = out["revenue_per_buyer"].pct_change()
    return out


