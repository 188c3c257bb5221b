"""The per-customer purchase summaries: lifetimes' RFM summary and a plain business one.

:func:`rfm_summary` follows lifetimes' ``summary_data_from_transaction_data`` exactly:
purchases are grouped per period (a day or a week) first; ``frequency`` is the number of
*repeat* purchase periods (distinct periods - 1), ``recency`` the periods from the first
to the last purchase, ``T`` the periods from the first purchase to the end of the
observation, and ``monetary_value`` the mean of the per-period totals over the repeat
periods only (0 when there are none). It runs in DuckDB, so ten million transactions
take a second or two.

:func:`customer_summary` is the plain business variant: days since the last order,
number of orders, total spend.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from crmlab.analysis.grouping import customer_codes, customer_periods, customer_sums
from crmlab.engines.sources import kind_of, reader_of
from crmlab.engines.spill import customer_parts
from crmlab.validation import column_arguments

__all__ = ["customer_summary", "rfm_summary"]

_FREQS = ("D", "W")


def _days(values: pd.Series, argument: str) -> np.ndarray:
    """Calendar days since 1970-01-01 of a datetime column (wall clock of its own time zone)."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        try:
            values = pd.to_datetime(values)
        except (TypeError, ValueError) as err:
            raise ValueError(
                f"The column given as `{argument}` must hold dates, but {values.iloc[:1].tolist()} "
                f"cannot be read as a date. Convert it with pd.to_datetime first."
            ) from err
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    return values.to_numpy().astype("datetime64[D]").view("int64")  # a view: no second array of days


def _periods(days: np.ndarray, freq: str) -> np.ndarray:
    # Weeks as pandas' 'W' periods: Monday to Sunday (1970-01-01 was a Thursday).
    return days if freq == "D" else (days + 3) // 7


def _end_day(end, days: np.ndarray) -> int:
    if end is None:
        return int(days.max())
    stamp = pd.Timestamp(end)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return int(np.datetime64(stamp.date(), "D").astype("int64"))


def rfm_summary(
    transactions: pd.DataFrame,
    customer_id_col: str = "customer_id",
    datetime_col: str = "date",
    monetary_value_col: str | None = None,
    observation_period_end=None,
    freq: str = "D",
) -> pd.DataFrame:
    """Frequency, recency, T (and monetary value) per customer, as lifetimes defines them.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase, in any order.
    customer_id_col, datetime_col : str
        Columns holding the customer and the purchase date or time.
    monetary_value_col : str, optional
        Column holding the amount; adds ``monetary_value``.
    observation_period_end : date-like, optional
        End of the observation; default: the last purchase date. Purchases after it
        are dropped, counted in ``result.attrs["dropped_rows"]`` and reported by a warning.
    freq : {"D", "W"}
        The period: days or weeks (Monday to Sunday, as pandas' ``W`` periods).

    Returns
    -------
    DataFrame
        Indexed by customer id (sorted), float columns ``frequency``, ``recency``, ``T``
        and, with a monetary column, ``monetary_value``.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-11", "2024-01-05"]),
    ...                    "amount": [10.0, 5.0, 30.0, 8.0]})
    >>> rfm_summary(tx, monetary_value_col="amount", observation_period_end="2024-01-31")
                 frequency  recency     T  monetary_value
    customer_id
    1                  1.0     10.0  30.0            30.0
    2                  0.0      0.0  26.0             0.0
    """
    if freq not in _FREQS:
        raise ValueError(f"The value for `freq` must be one of {list(_FREQS)}, but {freq!r} was passed.")
    names = {"customer_id_col": customer_id_col, "datetime_col": datetime_col, "monetary_value_col": monetary_value_col}
    if kind_of(transactions) == "spark":
        from crmlab.engines import spark

        return spark.rfm_summary(transactions, customer_id_col, datetime_col, monetary_value_col,
                                 observation_period_end, freq)  # fmt: skip
    if kind_of(transactions) not in (None, "pandas"):
        reader = reader_of(transactions, [c for c in names.values() if c], "transactions")
        return _streamed(reader, customer_id_col, datetime_col, monetary_value_col, observation_period_end, freq)
    column_arguments(transactions, names, "transactions")
    result, dropped, last = _summary_of(transactions, customer_id_col, datetime_col, monetary_value_col,
                                        observation_period_end, freq)  # fmt: skip
    end_day = _end_day(observation_period_end, np.array([last if last is not None else 0]))
    return _finish(result, end_day, freq, customer_id_col, dropped, len(transactions))


def _summary_of(frame, customer, when, money, end, freq) -> tuple[pd.DataFrame, int, int | None]:
    """The summary with each customer's ``first`` period instead of T, the rows dropped, the last day."""
    clean = _clean(frame, customer, when, money)
    days = _days(clean[when], "datetime_col")
    dropped = len(frame) - len(clean)
    ids = clean[customer].to_numpy()
    values = clean[money].to_numpy(dtype="float64") if money is not None else None
    if end is not None:
        keep = days <= _end_day(end, days)
        if not keep.all():
            dropped += int((~keep).sum())
            ids, days = ids[keep], days[keep]
            values = values[keep] if values is not None else None
    last = int(days.max()) if len(days) else None
    return _summarise(ids, _periods(days, freq), values), dropped, last


def _streamed(reader, customer, when, money, end, freq) -> pd.DataFrame:
    """The summary of a log read batch by batch, whole customers at a time (:mod:`crmlab.engines.spill`)."""
    parts, dropped, total, last = [], 0, 0, None
    for frame in customer_parts(reader, customer):
        total += len(frame)
        part, part_dropped, part_last = _summary_of(frame, customer, when, money, end, freq)
        parts.append(part)
        dropped += part_dropped
        if part_last is not None:
            last = part_last if last is None else max(last, part_last)
    result = parts[0] if len(parts) == 1 else pd.concat(parts).sort_index(kind="stable")
    end_day = _end_day(end, np.array([last if last is not None else 0]))
    return _finish(result, end_day, freq, customer, dropped, total)


def _finish(result: pd.DataFrame, end_day: int, freq: str, customer: str, dropped: int, total: int) -> pd.DataFrame:
    end = int(_periods(np.array([end_day]), freq)[0])
    result.insert(2, "T", (end - result.pop("first")).astype("float64"))
    result.index.name = customer
    _report_dropped(result, dropped, total)
    return result


def _clean(df: pd.DataFrame, customer: str, when: str, money: str | None) -> pd.DataFrame:
    """The rows with every needed value (no copy when none is missing)."""
    needed = [c for c in (customer, when, money) if c]
    missing = np.zeros(len(df), dtype=bool)
    for column in needed:
        missing |= df[column].isna().to_numpy()
    return df.loc[~missing, needed] if missing.any() else df


def _summarise(ids: np.ndarray, periods: np.ndarray, values: np.ndarray | None) -> pd.DataFrame:
    """frequency, recency, T (and monetary value) per customer (:mod:`crmlab.analysis.grouping`).

    Every sum runs in one thread, in the rows' order (:func:`~crmlab.analysis.grouping.customer_sums`),
    so the result is the same bit for bit on every run and machine, however many cores there
    are (DuckDB's and polars' parallel float sums are not).
    """
    codes, uniques = customer_codes(ids)
    n = len(uniques)
    pairs = customer_periods(codes, periods, n)
    out = {
        "frequency": (pairs.count - 1).astype("float64"),
        "recency": (pairs.last - pairs.first).astype("float64"),
        "first": pairs.first,
    }
    if values is not None:
        repeat = periods != pairs.first[codes]  # purchases after the customer's first period
        totals = customer_sums(codes, values * repeat, n)  # + 0.0 for the first period's: the same bits
        frequency = pairs.count - 1
        out["monetary_value"] = np.divide(totals, frequency, out=np.zeros(n), where=frequency > 0)
    return pd.DataFrame(out, index=pd.Index(uniques))


def _report_dropped(result: pd.DataFrame, dropped: int, total: int) -> None:
    result.attrs["dropped_rows"] = dropped
    if dropped:
        warnings.warn(
            f"rfm_summary dropped {dropped:,} of {total:,} transactions: missing values or dated after "
            f"`observation_period_end`. Their count is in result.attrs['dropped_rows'].",
            stacklevel=3,
        )


def customer_summary(
    orders: pd.DataFrame,
    customer_id_col: str = "customer_id",
    datetime_col: str = "ordered_at",
    amount_col: str = "total_cents",
    as_of=None,
) -> pd.DataFrame:
    """The plain business summary: days since the last order, number of orders, total spend.

    Parameters
    ----------
    orders : DataFrame
        One row per order.
    customer_id_col, datetime_col, amount_col : str
        Columns holding the customer, the order time and the amount.
    as_of : date-like, optional
        The day the summary is made; default: the day of the last order.

    Returns
    -------
    DataFrame
        Indexed by customer id: ``first_order``, ``last_order`` (dates), ``days_since_last_order``,
        ``n_orders`` and ``total_spend`` (in the unit of ``amount_col``).

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": [7, 7, 9],
    ...                        "ordered_at": pd.to_datetime(["2025-01-01", "2025-03-01", "2025-02-15"]),
    ...                        "total_cents": [1000, 2500, 900]})
    >>> customer_summary(orders, as_of="2025-03-31")[["days_since_last_order", "n_orders", "total_spend"]]
                 days_since_last_order  n_orders  total_spend
    customer_id
    7                               30         2         3500
    9                               44         1          900
    """
    if kind_of(orders) == "spark":
        from crmlab.engines import spark

        return spark.customer_summary(orders, customer_id_col, datetime_col, amount_col, as_of)
    if kind_of(orders) not in (None, "pandas"):
        reader = reader_of(orders, [customer_id_col, datetime_col, amount_col], "orders")
        parts = [_per_customer(frame, customer_id_col, datetime_col, amount_col)
                 for frame in customer_parts(reader, customer_id_col)]  # fmt: skip
        out = parts[0] if len(parts) == 1 else pd.concat(parts).sort_index(kind="stable")
        return _business_columns(out, as_of, customer_id_col)
    column_arguments(orders, {"customer_id_col": customer_id_col, "datetime_col": datetime_col,
                              "amount_col": amount_col}, "orders")
    return _business_columns(_per_customer(orders, customer_id_col, datetime_col, amount_col), as_of,
                             customer_id_col)  # fmt: skip


def _per_customer(orders: pd.DataFrame, customer_id_col: str, datetime_col: str, amount_col: str) -> pd.DataFrame:
    days = _days(orders[datetime_col], "datetime_col")
    frame = pd.DataFrame({"c": orders[customer_id_col].to_numpy(), "d": days,
                          "a": orders[amount_col].to_numpy()})
    grouped = frame.groupby("c", sort=True)
    return pd.DataFrame({
        "first_order": grouped["d"].min(),
        "last_order": grouped["d"].max(),
        "n_orders": grouped.size(),
        "total_spend": grouped["a"].sum(),
    })


def _business_columns(out: pd.DataFrame, as_of, customer_id_col: str) -> pd.DataFrame:
    end = _end_day(as_of, out["last_order"].to_numpy() if len(out) else np.array([0]))
    out["days_since_last_order"] = end - out["last_order"]
    for col in ("first_order", "last_order"):
        out[col] = pd.to_datetime(out[col].to_numpy().astype("datetime64[D]")).as_unit("s")
    out.index.name = customer_id_col
    return out[["first_order", "last_order", "days_since_last_order", "n_orders", "total_spend"]]
