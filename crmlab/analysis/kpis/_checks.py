"""Constants, input checks and small helpers shared by the KPI modules, and by the
training (lesson 02) and BI (lesson 04) analyses built on them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from crmlab.errors import SchemaError

#: The company's time zone: years, months and days are counted on its calendar.
LOCAL_TZ = "Asia/Tehran"
#: The instant the course's export ends: midnight in Tehran at the end of 2025-12-31, in UTC.
EXPORT_END = pd.Timestamp("2026-01-01", tz=LOCAL_TZ).tz_convert("UTC")
#: The steps of the sales funnel, in order (``opportunity_stages.stage``); the last one is a win.
FUNNEL = ("prospecting", "qualification", "proposal", "negotiation", "closed_won")

_HOUR, _DAY = pd.Timedelta(hours=1), pd.Timedelta(days=1)


# ------------------------------------------------------------------ checks of the inputs


def _table(df: object, name: str, columns: Sequence[str], *, fix: str | None = None) -> pd.DataFrame:
    """Return ``df`` if it is a DataFrame with ``columns``; else raise an error that says how to fix it.

    ``fix`` replaces the default advice (pass ``crm.<name>``) for tables that are not CRM tables.
    """
    if isinstance(df, Mapping) and any(isinstance(v, pd.DataFrame) for v in df.values()):
        raise TypeError(
            f"You passed the whole CRM (a dict of tables) as `{name}`; pass one table, "
            f"e.g. `crm.{name}`."
        )
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"The value for `{name}` must be a DataFrame (e.g. `crm.{name}`), "
                        f"but a {type(df).__name__} was passed.")  # fmt: skip
    missing = [c for c in columns if c not in df.columns]
    if missing:
        advice = fix or f"Pass `crm.{name}`, or rename your columns to the course's names."
        raise SchemaError(
            f"The table passed as `{name}` has no column(s) {missing}; its columns are "
            f"{list(df.columns)}. {advice}"
        )
    return df


def _choice(value: object, allowed: Sequence, name: str) -> None:
    if value not in allowed:
        raise ValueError(f"The value for `{name}` must be one of {list(allowed)}, but {value!r} was passed.")


def _as_list(by: str | Sequence[str]) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


# ------------------------------------------------------------------ small computations


def _aggregate(values: pd.Series, frame: pd.DataFrame, by: str | Sequence[str] | None, how: str, name: str):
    """``values`` (one per row of ``frame``, NaN = not counted) as one number, or one per group of ``by``."""
    values = values.astype("float64").dropna()
    if by is None:
        return float(values.agg(how)) if len(values) else float("nan")
    keys = _as_list(by)
    for key in keys:
        _choice(key, list(frame.columns), "by")
    out = values.groupby([frame.loc[values.index, key] for key in keys]).agg([how, "size"])
    return out.rename(columns={how: name, "size": "n"})


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """``numerator / denominator``, NaN where the denominator is 0 (nothing to measure)."""
    return numerator.astype(float) / denominator.where(denominator > 0).astype(float)


def _floats(values: pd.Series) -> np.ndarray:
    """Numbers, True/False or missing values as a float array (missing: NaN)."""
    return pd.array(values, dtype="Float64").to_numpy(dtype=float, na_value=np.nan)


def _hours(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (later - earlier) / _HOUR


def _local_year(when: pd.Series, tz: str) -> pd.Series:
    return when.dt.tz_convert(tz).dt.year if when.dt.tz is not None else when.dt.year
