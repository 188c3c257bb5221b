"""Reading an orders table: column checks with errors that say how to fix them, local months.

Every public function of the package takes an orders (or transactions) table and the
*names* of its columns, so an analyst can point it at their own export. They all go
through :func:`prepare`, which checks the columns, keeps the orders that count as
activity, and turns each order time into a local calendar day and month.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlab.analysis.kpis import EXPORT_END, LOCAL_TZ  # the course's export end and time zone
from crmlab.calendars import calendar_of, ordered_periods, period_number
from crmlab.conventions import COURSE
from crmlab.engines.sources import columns_of, kind_of
from crmlab.errors import SchemaError

__all__ = [
    "ACTIVE_STATUSES", "AGE", "EXPORT_END", "LOCAL_TZ", "Prepared",
    "check_columns", "end_of", "local_times", "month_ordinal", "prepare", "to_periods",
]  # fmt: skip

#: Order statuses that count as a customer being active (and as revenue).
ACTIVE_STATUSES = COURSE.purchase_statuses
#: The label of the columns of a cohort matrix.
AGE = "months_since_acquisition"


@dataclass(frozen=True)
class Prepared:
    """The orders that count, one row each, with ``customer``, ``day`` (local date),
    ``month`` (a month number on ``calendar``: a pandas Period ordinal on the Gregorian
    calendar) and ``amount`` (0 without an amount column); ``end_day`` and ``end_month``
    are the last observed local day and month."""

    frame: pd.DataFrame
    end_day: pd.Timestamp
    end_month: int
    customer: str
    calendar: str = "gregorian"


_HINTS = {"time": ("date", "time", "_at"), "customer": ("customer", "client", "_id"),
          "amount": ("amount", "total", "value", "price", "revenue"), "status": ("status", "state")}


def _candidate(df: pd.DataFrame, argument: str, column: str) -> str | None:
    """A column of ``df`` that probably is what ``argument`` should name."""
    names = [str(c) for c in df.columns]
    close = difflib.get_close_matches(str(column), names, n=1, cutoff=0.6)
    if close:
        return close[0]
    if argument == "time":
        dated = [str(c) for c in df.columns if pd.api.types.is_datetime64_any_dtype(df[c])]
        if dated:
            return dated[0]
    return next((n for n in names for word in _HINTS.get(argument, ()) if word in n.lower()), None)


def _fix(df: pd.DataFrame, argument: str, column: str) -> str:
    guess = _candidate(df, argument, column)
    fix = f"pass `{argument}={guess!r}`" if guess else f"pass `{argument}=` the name of your column"
    if argument == "status":
        fix += " (or `status=None` when every row is a purchase)"
    if argument == "amount":
        fix += " (or `amount=None` when there is no amount)"
    return fix


def check_columns(df: object, name: str, columns: Mapping[str, str | None]) -> pd.DataFrame:
    """Return ``df`` if it is a DataFrame holding every named column; else explain the fix."""
    if isinstance(df, Mapping) and not isinstance(df, pd.DataFrame):
        raise TypeError(f"You passed the whole CRM (a dict of tables) as `{name}`; pass one table, e.g. `crm.orders`.")
    if not isinstance(df, pd.DataFrame):
        tip = " You passed one column: pass the whole table." if isinstance(df, pd.Series) else ""
        kind = type(df).__name__
        raise TypeError(f"The value for `{name}` must be a pandas DataFrame, but a {kind} was passed.{tip}")
    missing = {a: c for a, c in columns.items() if c is not None and c not in df.columns}
    if missing:
        what = " and ".join(f"no column {c!r} (passed as `{a}`)" for a, c in missing.items())
        fixes = "; ".join(_fix(df, a, c) for a, c in missing.items())
        raise SchemaError(
            f"`{name}` has {what}. Its columns are {list(df.columns)}. To fix it, {fixes}."
        )
    return df


def local_times(values: pd.Series, tz: str, argument: str = "time") -> pd.Series:
    """Wall-clock times in ``tz`` (naive): aware times are converted, naive ones are taken as local."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        try:
            values = pd.to_datetime(values)
        except (TypeError, ValueError) as err:
            raise SchemaError(
                f"The column given as `{argument}` must hold dates or times, but {values.iloc[:1].tolist()} "
                f"cannot be read as one. Convert it first, e.g. `pd.to_datetime(df[{values.name!r}], "
                "format='%Y%m%d')`."
            ) from err
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert(tz).dt.tz_localize(None)
    return values


def month_ordinal(local: pd.Series | pd.DatetimeIndex, calendar: str = "gregorian") -> np.ndarray:
    """Months since 1970-01 (the ordinal of a monthly pandas Period), or Jalali months since Farvardin 1349."""
    if calendar != "gregorian":
        return period_number(pd.Series(pd.DatetimeIndex(local)).dt.normalize(), "month", calendar)
    local = pd.DatetimeIndex(local)
    return ((local.year - 1970) * 12 + local.month - 1).to_numpy(dtype="int64")


def to_periods(ordinals, calendar: str = "gregorian", span: tuple[int, int] | None = None):
    """Monthly Periods from :func:`month_ordinal` values; on the Jalali calendar an ordered
    categorical of month labels ("Farvardin 1403"), every month of ``span`` (first, last) a category."""
    ordinals = np.asarray(ordinals, dtype="int64")
    if calendar == "gregorian":
        return pd.PeriodIndex.from_ordinals(ordinals, freq="M")
    lo, hi = span if span is not None else (ordinals.min(), ordinals.max())
    every = ordered_periods(np.r_[lo, hi, ordinals], "month", calendar)
    return pd.CategoricalIndex(every[2:])


def end_of(end, tz: str, last: pd.Timestamp) -> pd.Timestamp:
    """The last observed local day: ``end`` (local date, or an aware instant) or the last order's day."""
    if end is None:
        return last.normalize()
    stamp = pd.Timestamp(end)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(tz).tz_localize(None)
    return stamp.normalize()


def _active(df: pd.DataFrame, status: str | None, active: Sequence[str], strict: bool = True) -> np.ndarray:
    """Which rows hold an order that counts as activity (a boolean array).

    ``strict``: a table with rows but no active one is an error (:func:`no_active_order`).
    """
    if status is None:
        return np.ones(len(df), dtype=bool)
    if isinstance(active, str):
        active = [active]
    keep = df[status].isin(list(active)).to_numpy()
    if strict and len(df) and not keep.any():
        raise no_active_order(status, active, set(map(str, df[status].dropna().unique())))
    return keep


def no_active_order(status: str, active: Sequence[str], found: set[str]) -> ValueError:
    """The error for orders none of which has a status in ``active`` (``found``: the statuses seen)."""
    active = [active] if isinstance(active, str) else list(active)
    return ValueError(
        f"The value for `active` must hold statuses found in the column {status!r}, but {active!r} "
        f"was passed and the statuses found are {sorted(found)[:10]}. Pass the statuses that mean a real purchase."
    )


def prepare(
    orders: pd.DataFrame,
    customer: str,
    time: str,
    amount: str | None,
    status: str | None,
    active: Sequence[str],
    tz: str,
    end=None,
    calendar: str = "gregorian",
    strict: bool = True,
) -> Prepared:
    """Check ``orders`` and return the active orders on the local calendar (see :class:`Prepared`).

    ``orders`` may also be a Parquet file or folder, an Arrow table or a DuckDB relation: only
    the named columns are read (:func:`crmlab.engines.sources.columns_of`). With ``strict=False``
    (one part of a larger log) orders without an active one give an empty frame, not an error.
    """
    if kind_of(orders) in ("arrow", "parquet", "duckdb"):
        orders = columns_of(orders, [c for c in (customer, time, amount, status) if c], "orders")
    check_columns(orders, "orders", {"customer": customer, "time": time, "amount": amount, "status": status})
    calendar = calendar_of(calendar)
    if len(orders) == 0:
        raise ValueError("The table passed as `orders` is empty: there is nothing to put into cohorts.")
    local_all = local_times(orders[time], tz)
    times = local_all.to_numpy()
    ok = _active(orders, status, active, strict) & ~np.isnat(times) & orders[customer].notna().to_numpy()
    days = times[ok].astype("datetime64[D]")
    if calendar == "gregorian":
        months = days.astype("datetime64[M]").astype("int64")  # a monthly Period's ordinal
    else:
        months = month_ordinal(pd.DatetimeIndex(days.astype(times.dtype)), calendar)
    frame = pd.DataFrame({
        "customer": orders[customer].to_numpy()[ok],
        "day": days.astype(times.dtype),
        "month": months,
        "amount": orders[amount].astype("float64").to_numpy()[ok] if amount else np.zeros(int(ok.sum())),
    }, copy=False)  # fmt: skip  # new arrays, each its own block: stacking them would copy them all
    end_day = end_of(end, tz, local_all.max())
    late = frame["day"].to_numpy() > end_day.to_datetime64()
    if late.any():
        frame = frame[~late]
    return Prepared(frame, end_day, int(month_ordinal([end_day], calendar)[0]), customer, calendar)
