"""Time helpers for the generator: local business time in, typed UTC columns out.

The generator works in float days since :data:`~.truths.START` (local time), which
keeps every step vectorised; these helpers turn those numbers into the column types
the schema promises.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from ._arrays import elementwise
from .truths import END, START, TIMEZONE

SECONDS_PER_DAY = 86_400
#: Days from START to the end of the export (exclusive upper bound).
HORIZON = float((END - START).days + 1)


def to_utc(days: np.ndarray) -> pd.DatetimeIndex:
    """Turn local days since START into tz-aware UTC timestamps (second resolution).

    Local times are placed in :data:`TIMEZONE` as pandas' ``tz_localize`` places them (a time
    the clocks skipped moves forward; a repeated one is taken in standard time). Days on which
    the offset from UTC is the same all day, nearly all, take the offset from a table of days;
    the few others go through ``tz_localize`` itself: the same instants, without its
    temporaries the size of the column.
    """
    utc = elementwise(_utc_from_local, np.asarray(days, dtype=float), dtype="int64")
    utc += _START_S
    return pd.DatetimeIndex(utc.view("datetime64[s]"), copy=False).tz_localize("UTC")  # no copy of a fresh array


def _utc_from_local(days: np.ndarray) -> np.ndarray:
    """Seconds from START (UTC) of the instants at local ``days`` since START."""
    seconds = days * SECONDS_PER_DAY
    np.round(seconds, out=seconds)
    seconds = seconds.astype("int64")  # local wall-clock seconds since START
    first, offsets = _day_offsets()
    day = seconds // SECONDS_PER_DAY
    day -= first
    plain = (day >= 0) & (day < len(offsets))
    np.clip(day, 0, len(offsets) - 1, out=day)
    offset = offsets[day]
    del day
    plain &= offset != _NO_OFFSET
    utc = seconds - offset
    del offset
    if not plain.all():
        odd = ~plain
        utc[odd] = _utc_seconds(_localize(seconds[odd]))
    return utc


#: Seconds from 1970 to START, and the marker of a day whose offset is not the same all day.
_START_S = int(START.timestamp())  # START read as UTC: whole seconds from 1970
_NO_OFFSET = _NAT = np.iinfo(np.int64).min
#: The days the table of offsets covers, around the data's (others go through tz_localize).
_TABLE_DAYS = (-3 * 366, int(HORIZON) + 3 * 366)


def _localize(seconds: np.ndarray) -> pd.DatetimeIndex:
    """Local wall-clock seconds since START placed in TIMEZONE, as UTC (pandas' rules: see :func:`to_utc`)."""
    local = pd.DatetimeIndex(START.to_datetime64() + seconds.astype("timedelta64[s]"))
    aware = local.tz_localize(TIMEZONE, ambiguous=np.zeros(len(local), dtype=bool), nonexistent="shift_forward")
    return aware.tz_convert("UTC").as_unit("s")


def _utc_seconds(instants: pd.DatetimeIndex) -> np.ndarray:
    """Seconds since START of UTC instants."""
    return instants.tz_convert("UTC").tz_localize(None).as_unit("s").asi8 - _START_S


@functools.cache
def _day_offsets() -> tuple[int, np.ndarray]:
    """The first day of the table and, for each day, local minus UTC seconds, or ``_NO_OFFSET``.

    A day's offset is read at every quarter hour from its midnight to the next (local); a day
    where the zone's rules skip or repeat a time, or change the offset, gets ``_NO_OFFSET``.
    """
    first, last = _TABLE_DAYS
    steps = np.arange(0, SECONDS_PER_DAY + 1, 900)
    local = (np.arange(first, last)[:, None] * SECONDS_PER_DAY + steps[None, :]).ravel()
    placed = pd.DatetimeIndex(START.to_datetime64() + local.astype("timedelta64[s]")).tz_localize(
        TIMEZONE, ambiguous="NaT", nonexistent="NaT"
    )
    utc = placed.tz_convert("UTC").tz_localize(None).as_unit("s").asi8 - _START_S
    offset = np.where(placed.isna(), _NO_OFFSET, local - utc).reshape(last - first, len(steps))
    same = (offset == offset[:, :1]).all(axis=1) & (offset[:, 0] != _NO_OFFSET)
    return first, np.where(same, offset[:, 0], _NO_OFFSET)


def to_date(days: np.ndarray) -> pd.DatetimeIndex:
    """Turn local days since START into naive calendar dates (midnight, local)."""
    seconds = elementwise(_date_seconds, np.asarray(days, dtype=float), dtype="int64")
    return pd.DatetimeIndex(seconds.view("datetime64[s]"), copy=False)


def _date_seconds(days: np.ndarray) -> np.ndarray:
    """Seconds from 1970 to the local midnight of each day since START (NaT for NaN)."""
    seconds = np.floor(days).astype("int64")
    missing = seconds == _NAT  # NaN: no date
    seconds *= SECONDS_PER_DAY
    seconds += _START_S
    seconds[missing] = _NAT
    return seconds


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
    day = elementwise(lambda o, u: np.floor(start[o] + u * span[o]), owner, rng.random(len(owner)), dtype=float)
    chance = factors / peak
    keep = elementwise(lambda d, u: u < chance[d.astype("int64")], day, rng.random(len(owner)), dtype=bool)
    return owner[keep], day[keep]
