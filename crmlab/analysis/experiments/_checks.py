"""Argument checks and small helpers shared by the experiment modules."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from crmlab.errors import SchemaError

#: The company's time zone: campaign and launch days are local calendar days.
TIMEZONE = "Asia/Tehran"


def require(df: object, columns: Iterable[str], table: str) -> None:
    """Raise a clear error unless ``df`` is a DataFrame holding ``columns``."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(
            f"`{table}` must be a pandas DataFrame (the `{table}` table), "
            f"but a {type(df).__name__} was passed."
        )
    columns = list(columns)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(
            f"The `{table}` table needs the column(s) {missing}, but it has {list(df.columns)}. "
            f"Pass the CRM's `{table}` table (e.g. `crm.{table}`), or rename your columns."
        )


def choice(argument: str, value: object, allowed: Iterable) -> None:
    """Raise a ValueError naming ``argument`` unless ``value`` is one of ``allowed``."""
    allowed = list(allowed)
    if value not in allowed:
        raise ValueError(f"The value for `{argument}` must be one of {allowed}, but {value!r} was passed.")


def probability(argument: str, value: object) -> float:
    """``value`` as a float strictly between 0 and 1, or a ValueError naming ``argument``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not 0 < number < 1:
        raise ValueError(
            f"The value for `{argument}` must be a share strictly between 0 and 1 "
            f"(e.g. 0.05 for 5%), but {value!r} was passed."
        )
    return number


def positive(argument: str, value: object) -> float:
    """``value`` as a float above 0, or a ValueError naming ``argument``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not number > 0:
        raise ValueError(f"The value for `{argument}` must be a number above 0, but {value!r} was passed.")
    return number


def local_day(instants: pd.Series) -> pd.Series:
    """Local calendar day (naive midnight, Asia/Tehran) of UTC instants."""
    return instants.dt.tz_convert(TIMEZONE).dt.tz_localize(None).dt.normalize()
