"""B3, the impact of a BI finding in money: late deliveries avoided, year by year, on a growing base."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from crmlab.calendars import year_of
from crmlab.conventions import COURSE, Conventions
from crmlab.validation import require_table

from .systems import shipment_lateness

__all__ = ["late_delivery_impact"]


def _year(days: pd.Series, conventions: Conventions) -> pd.Series:
    """Calendar years, or Jalali fiscal years when the company counts them."""
    return days.dt.year if conventions.calendar == "gregorian" else year_of(days.dt.normalize(), conventions)


def late_delivery_impact(
    shipments: pd.DataFrame,
    orders: pd.DataFrame,
    customers: pd.DataFrame,
    regions: Sequence[str],
    *,
    cost_per_late: float,
    conventions: Conventions = COURSE,
) -> pd.DataFrame:
    """What it would be worth, each year, if ``regions`` were as punctual as the whole company that year.

    A company that grows does not have "a year" of late deliveries: four years divided by
    four is mostly the last, biggest year. So each year is measured on its own base: the
    late deliveries in ``regions`` above that year's company-wide late rate, per 1,000
    shipments of the company, then in money: each avoided late delivery saves
    ``cost_per_late`` (an assumption: a support contact, a goodwill voucher, a re-delivery),
    and the orders it carries are the value that would have arrived on time.

    Parameters
    ----------
    shipments, orders, customers : DataFrame
        The ``shipments``, ``orders`` (``customer_id``, ``total_cents``) and ``customers``
        (``region``) tables.
    regions : sequence of str
        The regions to bring up to the company's punctuality.
    cost_per_late : float
        What one late delivery costs, in the currency's major unit (e.g. rials).
    conventions : Conventions, optional
        The company's currency (minor unit), last day of data and calendar, whose (fiscal)
        years the table counts: from 1 January, or from 1 Farvardin (default ``COURSE``).

    Returns
    -------
    DataFrame
        Indexed by ``year`` (of the promised date): ``shipments`` (whole company),
        ``company_late_rate``, ``region_shipments``, ``region_late``, ``avoided`` (late
        deliveries above the company rate, at least 0), ``avoided_per_1000`` (per 1,000 of the
        company's shipments that year), ``cost_saved`` (avoided x ``cost_per_late``) and
        ``order_value`` (avoided x the mean order of the regions' late deliveries), both in
        the major unit. Shipments whose outcome is not known yet, and years after the last day
        of data, are left out.

    Examples
    --------
    Year 1: 10 shipments, 2 late (company 20%); region S has 4 of them, 2 late, 0.2 x 4 = 0.8
    expected, so 1.2 avoidable. Year 2: 20 shipments, 2 late (10%), all in S's 5: 1.5 avoidable.

    >>> s = pd.DataFrame({"shipment_id": range(30), "order_id": range(30), "carrier": "Post",
    ...                   "shipped_at": pd.Timestamp("2024-01-01", tz="UTC"),
    ...                   "promised_date": pd.to_datetime(["2024-03-01"] * 10 + ["2025-03-01"] * 20),
    ...                   "delivered_date": pd.to_datetime(["2024-03-05"] * 2 + ["2024-03-01"] * 8
    ...                                                    + ["2025-03-04"] * 2 + ["2025-03-01"] * 18)})
    >>> o = pd.DataFrame({"order_id": range(30), "customer_id": [1] * 4 + [2] * 6 + [1] * 5 + [2] * 15,
    ...                   "total_cents": 2_000_000})  # whole rials
    >>> c = pd.DataFrame({"customer_id": [1, 2], "region": ["S", "N"]})
    >>> late_delivery_impact(s, o, c, ["S"], cost_per_late=500_000)[["shipments", "avoided", "avoided_per_1000",
    ...                                                              "cost_saved", "order_value"]].round(2)
          shipments  avoided  avoided_per_1000  cost_saved  order_value
    year
    2024         10      1.2             120.0    600000.0    2400000.0
    2025         20      1.5              75.0    750000.0    3000000.0
    """
    require_table(orders, "orders", ["order_id", "customer_id", "total_cents"])
    require_table(customers, "customers", ["customer_id", "region"])
    if isinstance(regions, str):
        regions = [regions]
    unknown = sorted(set(regions) - set(customers["region"]))
    if unknown:
        raise ValueError(f"The value for `regions` must name regions of the `customers` table "
                         f"({sorted(customers['region'].unique())}), but {unknown} was passed.")  # fmt: skip
    late = shipment_lateness(shipments, conventions.as_of).reset_index()
    late = late[late["late"].notna()].merge(orders[["order_id", "customer_id", "total_cents"]], on="order_id")
    late = late.merge(customers[["customer_id", "region"]], on="customer_id", how="left")
    promised = shipments.set_index("shipment_id")["promised_date"]
    late = late.assign(year=_year(late["shipment_id"].map(promised), conventions), late=late["late"].astype(bool))
    late = late[late["year"] <= _year(pd.Series([conventions.as_of]), conventions).iloc[0]]
    inside = late[late["region"].isin(regions)]
    year = late.groupby("year").agg(shipments=("late", "size"), company_late=("late", "sum"))
    reg = inside.groupby("year").agg(region_shipments=("late", "size"), region_late=("late", "sum"))
    mean_late_order = inside[inside["late"]].groupby("year")["total_cents"].mean()
    out = year.join(reg).fillna({"region_shipments": 0, "region_late": 0}).astype("int64")
    rate = out["company_late"] / out["shipments"]
    avoided = (out["region_late"] - out["region_shipments"] * rate).clip(lower=0)
    return pd.DataFrame({
        "shipments": out["shipments"],
        "company_late_rate": rate,
        "region_shipments": out["region_shipments"],
        "region_late": out["region_late"],
        "avoided": avoided,
        "avoided_per_1000": avoided / out["shipments"] * 1000,
        "cost_saved": avoided * cost_per_late,
        "order_value": avoided * conventions.major(mean_late_order.reindex(out.index).fillna(0)),
    })  # fmt: skip
