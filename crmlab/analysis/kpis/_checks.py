"""Input checks and small helpers shared by the KPI modules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from crmlab.errors import SchemaError

LOCAL_TZ = "Asia/Tehran"
#: The steps of the sales funnel, in order (``opportunity_stages.stage``).
FUNNEL = ("prospecting", "qualification", "proposal", "negotiation", "closed_won")

_HOUR, _DAY = pd.Timedelta(hours=1), pd.Timedelta(days=1)




# ------------------------------------------------------------------ checks of the inputs


def _table(df: object, name: str, columns: Sequence[str]) -> pd.DataFrame:
    """Return ``df`` if it is a DataFrame with ``columns``; else raise an error that says how to fix it."""
    if isinstance(df, Mapping) and not isinstance(df, pd.DataFrame):
        raise TypeError(
            f"You passed the whole CRM (a dict of tables) as `{name}`; pass one table, "
            f"e.g. `crm.{name}`."
        )
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"The value for `{name}` must be a DataFrame (e.g. `crm.{name}`), "
                        f"but a {type(df).__name__} was passed.")  # fmt: skip
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(
            f"The table passed as `{name}` has no column(s) {missing}; its columns are "
            f"{list(df.columns)}. Pass `crm.{name}`, or rename your columns to the course's names."
        )
    return df


def _choice(value: object, allowed: Sequence, name: str) -> None:
    if value not in allowed:
        raise ValueError(f"The value for `{name}` must be one of {list(allowed)}, but {value!r} was passed.")


def _aggregate(values: pd.Series, frame: pd.DataFrame, by: str | None, how: str, name: str):
    """``values`` (one per row of ``frame``, NaN = not counted) as one number, or one per group of ``by``."""
    values = values.astype("float64").dropna()
    if by is None:
        return float(values.agg(how)) if len(values) else float("nan")
    _choice(by, list(frame.columns), "by")
    out = values.groupby(frame.loc[values.index, by]).agg([how, "size"])
    return out.rename(columns={how: name, "size": "n"})


def _hours(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (later - earlier) / _HOUR


def _local_year(when: pd.Series, tz: str) -> pd.Series:
    return when.dt.tz_convert(tz).dt.year if when.dt.tz is not None else when.dt.year


