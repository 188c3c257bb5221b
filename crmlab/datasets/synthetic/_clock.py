"""Time helpers for the generator: local business time in, typed UTC columns out.

The generator works in float days since :data:`~.truths.START` (local time), which
keeps every step vectorised; these helpers turn those numbers into the column types
the schema promises.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .truths import END, START, TIMEZONE

SECONDS_PER_DAY = 86_400
#: Days from START to the end of the export (exclusive upper bound).
HORIZON = float((END - START).days + 1)


def to_utc(days: np.ndarray) -> pd.DatetimeIndex:
    """Turn local days since START into tz-aware UTC timestamps (second resolution)."""
    seconds = np.round(np.asarray(days, dtype=float) * SECONDS_PER_DAY).astype("int64")
    local = pd.DatetimeIndex(START.to_datetime64() + seconds.astype("timedelta64[s]"))
    aware = local.tz_localize(
        TIMEZONE, ambiguous=np.zeros(len(local), dtype=bool), nonexistent="shift_forward"
    )
    return aware.tz_convert("UTC").as_unit("s")


def to_date(days: np.ndarray) -> pd.DatetimeIndex:
    """Turn local days since START into naive calendar dates (midnight, local)."""
    whole = np.floor(np.asarray(days, dtype=float)).astype("int64")
    return pd.DatetimeIndex(START.to_datetime64() + whole.astype("timedelta64[D]")).as_unit("s")


def business_hours(rng: np.random.Generator, n: int, open_: float = 8, close: float = 20) -> np.ndarray:
    """Draw times of day (as fractions of a day) with a late-morning peak inside opening hours."""
    peak = open_ + (close - open_) * 0.35
    hours = rng.triangular(open_, peak, close, size=n)
    return hours / 24.0


def seasonal_days(
    rng: np.random.Generator, start: np.ndarray, end: np.ndarray, rate_per_day: np.ndarray, factors: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Draw event days for each entity from a seasonal Poisson process.

    Parameters
    ----------
    start, end : ndarray of float
        Each entity's active window, in days since START.
    rate_per_day : ndarray of float
        Each entity's average rate at a seasonal factor of 1.
    factors : ndarray of float
        The seasonal factor of each day since START (:attr:`.markets.Market.day_factors`).

    Returns
    -------
    owner : ndarray of int
        Index of the entity each event belongs to, sorted.
    day : ndarray of float
        Day of each event (whole days; add a time of day separately).
    """
    peak = factors.max()
    span = np.clip(end - start, 0.0, None)
    counts = rng.poisson(rate_per_day * span * peak)
    owner = np.repeat(np.arange(len(start)), counts)
    day = np.floor(start[owner] + rng.random(len(owner)) * span[owner])
    keep = rng.random(len(owner)) < factors[day.astype("int64")] / peak
    return owner[keep], day[keep]
