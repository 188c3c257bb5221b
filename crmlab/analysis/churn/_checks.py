"""Constants and input checks shared by the churn modules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from crmlab.errors import SchemaError

#: The company's time zone: a cutoff day ends at midnight on its calendar.
LOCAL_TZ = "Asia/Tehran"
#: The columns each table needs, for the churn features and labels.
NEEDED = {
    "customers": ("customer_id", "segment", "signup_date", "consent_email"),
    "orders": ("order_id", "customer_id", "ordered_at", "channel", "status", "total_cents"),
    "tickets": ("ticket_id", "customer_id", "created_at", "first_response_at", "resolved_at", "sla_hours",
                "contacts_to_resolve", "satisfaction"),  # fmt: skip
    "interactions": ("interaction_id", "customer_id", "channel", "occurred_at"),
}


def _tables(crm: Mapping[str, pd.DataFrame], names: Sequence[str]) -> dict[str, pd.DataFrame]:
    """The named tables of ``crm``, checked for their columns."""
    if isinstance(crm, pd.DataFrame):
        raise TypeError("You passed one table; pass the whole CRM (`crm = crmlab.load_crm()`), "
                        f"which holds the tables {list(names)}.")  # fmt: skip
    if not isinstance(crm, Mapping):
        raise TypeError(f"The value for `crm` must be the CRM (`crmlab.load_crm()`), but a {type(crm).__name__} "
                        "was passed.")  # fmt: skip
    out = {}
    for name in names:
        if name not in crm:
            raise SchemaError(f"The CRM needs the `{name}` table; load it with "
                              f"`crmlab.load_crm(tables=[..., '{name}'])`.")  # fmt: skip
        table = crm[name]
        missing = [c for c in NEEDED[name] if c not in table.columns]
        if missing:
            raise SchemaError(f"The `{name}` table needs the column(s) {missing}, but it has {list(table.columns)}.")
        out[name] = table
    return out


def _cutoff_day(cutoff, argument: str = "cutoff") -> pd.Timestamp:
    """The cutoff as a local calendar day (naive midnight)."""
    try:
        day = pd.Timestamp(cutoff)
    except (TypeError, ValueError) as err:
        raise ValueError(f"The value for `{argument}` must be a day such as '2024-12-31', "
                         f"but {cutoff!r} was passed.") from err  # fmt: skip
    if day is pd.NaT:
        raise ValueError(f"The value for `{argument}` must be a day such as '2024-12-31', but {cutoff!r} was passed.")
    if day.tzinfo is not None:
        day = day.tz_convert(LOCAL_TZ).tz_localize(None)
    return day.normalize()


def _end_of(day: pd.Timestamp) -> pd.Timestamp:
    """The UTC instant at which the local ``day`` ends (midnight after it, in Tehran)."""
    return (day + pd.Timedelta(days=1)).tz_localize(LOCAL_TZ).tz_convert("UTC")


def _positive_days(value, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"The value for `{argument}` must be a whole number of days >= 1, but {value!r} was passed.")
    return int(value)
