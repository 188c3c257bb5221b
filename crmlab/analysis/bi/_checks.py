"""Constants and helpers of the BI modules; the shared ones (time zone, export end, funnel,
input checks) come from :mod:`crmlab.analysis.kpis`."""

from __future__ import annotations

import pandas as pd

from crmlab.analysis.kpis._checks import LOCAL_TZ, _table

#: The last local calendar day of the export.
LAST_DAY = pd.Timestamp("2025-12-31")
#: For each metric of :func:`region_scorecard`: is a higher value good news?
HIGHER_IS_BETTER = {
    "revenue_per_customer_usd": True,
    "sla_breach_rate": False,
    "unhappy_rate": False,
    "late_delivery_rate": False,
    "days_to_pay": False,
}
#: The KPIs of :func:`kpi_table` and their units (count, usd, share, score, days).
KPI_UNITS = {
    "Orders": "count",
    "Customers who bought": "count",
    "Revenue (US$)": "usd",
    "Average order (US$)": "usd",
    "SLA compliance": "share",
    "Satisfaction (1-5)": "score",
    "Late deliveries": "share",
    "Days to pay (business)": "days",
}


# ------------------------------------------------------------------ helpers


def _with_columns(df: pd.DataFrame, by: list[str], customers: pd.DataFrame | None, table: str) -> pd.DataFrame:
    """``df`` with the customer columns among ``by`` joined in (on ``customer_id``)."""
    wanted = [c for c in by if c not in df.columns]
    if not wanted:
        return df
    if customers is None:
        raise ValueError(f"To group `{table}` by {wanted}, also pass `customers` (e.g. `customers=crm.customers`).")
    _table(customers, "customers", ["customer_id", *wanted])
    return df.merge(customers[["customer_id", *wanted]], on="customer_id", how="left", validate="many_to_one")


def _local_day(instants: pd.Series) -> pd.Series:
    """Local calendar day (Asia/Tehran, naive midnight) of UTC instants."""
    return instants.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None).dt.normalize()
