"""Constants and argument checks shared by the BI modules."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlab.errors import SchemaError

TIMEZONE = "Asia/Tehran"
#: The instant the course's export ends: midnight in Tehran at the end of 2025-12-31, in UTC.
EXPORT_END = pd.Timestamp("2026-01-01", tz=TIMEZONE).tz_convert("UTC")
#: The last local calendar day of the export.
LAST_DAY = pd.Timestamp("2025-12-31")
#: The stages of the sales funnel, in order; a deal that passes the last open stage is won.
FUNNEL = ("prospecting", "qualification", "proposal", "negotiation", "closed_won")
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
_HOUR = pd.Timedelta(hours=1)
_DAY = pd.Timedelta(days=1)


# ------------------------------------------------------------------ helpers


def _require(df: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    """Raise a SchemaError naming the table and the missing columns."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(
            f"`{table}` must be a pandas DataFrame (the `{table}` table), but a {type(df).__name__} was passed."
        )
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(
            f"The `{table}` table needs the column(s) {missing}, but it has {list(df.columns)}. "
            f"Pass the CRM's `{table}` table (e.g. `crm.{table}`)."
        )


def _choice(argument: str, value, allowed) -> None:
    allowed = sorted(map(str, allowed))
    if value not in allowed:
        raise ValueError(f"The value for `{argument}` must be one of {allowed}, but {value!r} was passed.")


def _as_list(by: str | Sequence[str]) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


def _with_columns(df: pd.DataFrame, by: list[str], customers: pd.DataFrame | None, table: str) -> pd.DataFrame:
    """``df`` with the customer columns among ``by`` joined in (on ``customer_id``)."""
    wanted = [c for c in by if c not in df.columns]
    if not wanted:
        return df
    if customers is None:
        raise ValueError(f"To group `{table}` by {wanted}, also pass `customers` (e.g. `customers=crm.customers`).")
    _require(customers, ["customer_id", *wanted], "customers")
    return df.merge(customers[["customer_id", *wanted]], on="customer_id", how="left", validate="many_to_one")


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return numerator.astype(float) / denominator.where(denominator > 0).astype(float)


def _floats(values: pd.Series) -> np.ndarray:
    """Numbers, True/False or missing values as a float array (missing: NaN)."""
    return pd.array(values, dtype="Float64").to_numpy(dtype=float, na_value=np.nan)


def _local_day(instants: pd.Series) -> pd.Series:
    """Local calendar day (Asia/Tehran, naive midnight) of UTC instants."""
    return instants.dt.tz_convert(TIMEZONE).dt.tz_localize(None).dt.normalize()


