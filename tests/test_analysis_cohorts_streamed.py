"""The retention matrix of a file, Arrow data or a DuckDB relation read as (customer, month) pairs.

``crmlab.analysis.cohorts._pairs`` never builds a pandas frame of the orders; its matrix must
equal the DataFrame path's exactly (values, index, columns, dtypes), and both must equal a plain
pandas count written here, on logs chosen to break it: local months across DST changes and
month ends, customers whose first order comes in a later batch than their others, missing
ids and times, text ids, a spill to disk, the sort used when ids are too sparse for a bitmap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from streamed_logs import orders_log, sources

from crmlab.analysis.cohorts import _pairs, matrices, retention_matrix
from crmlab.engines import spill


def _log(n_rows: int = 12_000, n_customers: int = 900, seed: int = 5, aware: str | None = "UTC") -> pd.DataFrame:
    return orders_log(n_rows, n_customers, seed, aware)


def _sources(orders: pd.DataFrame, tmp_path, batch_rows: int = 1_500) -> dict:
    return sources(orders, tmp_path, batch_rows)


def _by_hand(orders: pd.DataFrame, tz: str, active=("completed",), end=None) -> pd.DataFrame:
    """Shares of each cohort active per month since acquisition, in plain pandas."""
    times = orders["ordered_at"]
    local = times.dt.tz_convert(tz).dt.tz_localize(None) if times.dt.tz is not None else times
    keep = orders["status"].isin(list(active)) & local.notna() & orders["customer_id"].notna()
    last = pd.Timestamp(end) if end is not None else local.max().normalize()
    keep &= local.dt.normalize() <= last
    month = (local.dt.year - 1970) * 12 + local.dt.month - 1
    pairs = pd.DataFrame({"customer": orders["customer_id"], "month": month})[keep].drop_duplicates()
    pairs["cohort"] = pairs.groupby("customer")["month"].transform("min")
    pairs["age"] = pairs["month"] - pairs["cohort"]
    counts = pairs.groupby(["cohort", "age"]).size().unstack(fill_value=0)
    end_month = (last.year - 1970) * 12 + last.month - 1
    counts = counts.reindex(columns=range(int(end_month - counts.index.min()) + 1), fill_value=0)
    shares = counts.div(counts[0], axis=0).astype("float64")
    unseen = shares.index.to_numpy()[:, None] + shares.columns.to_numpy()[None, :] > end_month
    shares = shares.mask(unseen)
    shares.index = pd.PeriodIndex.from_ordinals(shares.index.to_numpy(), freq="M").rename("cohort")
    shares.columns = pd.RangeIndex(len(shares.columns), name="months_since_acquisition")
    return shares


@pytest.fixture
def rows_route_refused(monkeypatch):
    """Integer ids and Arrow timestamps must be read as pairs, not row by row."""

    def refuse(*args, **kwargs):
        raise AssertionError("took the row-by-row route")

    monkeypatch.setattr(matrices, "_rows_retention", refuse)


@pytest.mark.parametrize(("aware", "tz"), [
    (None, "UTC"), ("UTC", "Europe/Berlin"), ("Europe/Berlin", "America/New_York"), ("UTC", "Asia/Tehran"),
    ("Australia/Sydney", "Asia/Tehran"),
], ids=["naive", "utc-to-berlin", "berlin-to-new-york", "utc-to-tehran", "sydney-to-tehran"])  # fmt: skip
def test_local_months_across_dst_equal_the_dataframes_and_a_plain_count(tmp_path, rows_route_refused, aware, tz):
    orders = _log(aware=aware)
    expected = retention_matrix(orders, tz=tz)
    pd.testing.assert_frame_equal(_by_hand(orders, tz), expected, check_exact=True, check_freq=False)
    for name, data in _sources(orders, tmp_path).items():
        pd.testing.assert_frame_equal(retention_matrix(data, tz=tz), expected, check_exact=True, obj=name)


@pytest.mark.parametrize("options", [
    {"active": ["completed", "returned"]}, {"active": "returned"}, {"status": None}, {"end": "2023-10-31"},
    {"end": pd.Timestamp("2023-11-01T03:00:00", tz="UTC")}, {"max_age": 3}, {"calendar": "jalali"},
], ids=["two-statuses", "one-status-as-text", "no-status", "end", "aware-end", "max-age", "jalali"])  # fmt: skip
def test_filters_and_calendars_equal_the_dataframes(tmp_path, rows_route_refused, options):
    orders = _log(aware="Europe/Berlin")
    expected = retention_matrix(orders, tz="Asia/Tehran", **options)
    for name, data in _sources(orders, tmp_path).items():
        got = retention_matrix(data, tz="Asia/Tehran", **options)
        pd.testing.assert_frame_equal(got, expected, check_exact=True, obj=name)


def test_missing_ids_statuses_and_times_are_left_out_as_from_a_dataframe(tmp_path, rows_route_refused):
    orders = _log(aware="UTC")
    rng = np.random.default_rng(2)
    orders["customer_id"] = orders["customer_id"].astype("Int64").mask(rng.random(len(orders)) < 0.03)
    orders["ordered_at"] = orders["ordered_at"].mask(rng.random(len(orders)) < 0.03)
    orders["status"] = orders["status"].mask(rng.random(len(orders)) < 0.03)
    expected = retention_matrix(orders, tz="Europe/London")
    pd.testing.assert_frame_equal(_by_hand(orders, "Europe/London"), expected, check_exact=True, check_freq=False)
    for name, data in _sources(orders, tmp_path).items():
        pd.testing.assert_frame_equal(retention_matrix(data, tz="Europe/London"), expected, check_exact=True, obj=name)


def test_text_ids_take_the_row_route_with_the_same_result(tmp_path, monkeypatch):
    orders = _log(aware="UTC").assign(customer_id=lambda d: "c" + d["customer_id"].astype(str))
    taken = []
    real = matrices._rows_retention
    monkeypatch.setattr(matrices, "_rows_retention", lambda *a, **k: taken.append(1) or real(*a, **k))
    expected = retention_matrix(orders, tz="Asia/Tehran")
    given = _sources(orders, tmp_path)
    for name, data in given.items():
        pd.testing.assert_frame_equal(retention_matrix(data, tz="Asia/Tehran"), expected, check_exact=True, obj=name)
    assert len(taken) == len(given)  # every source


@pytest.fixture
def spilled(tmp_path, monkeypatch):
    """A spill forced past 4,000 rows into 5 parts; the sizes of the parts read back."""
    monkeypatch.setattr(spill, "IN_MEMORY_ROWS", 4_000)
    monkeypatch.setattr(spill, "N_PARTS", 5)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    seen = []
    real = matrices.customer_parts

    def counting(*args, **kwargs):
        for part in real(*args, **kwargs):
            seen.append(len(part))
            yield part

    monkeypatch.setattr(matrices, "customer_parts", counting)
    return seen


@pytest.mark.parametrize("dense", [True, False], ids=["bitmap", "sort"])
def test_a_log_spilled_to_disk_by_customer_gives_the_same_matrix(tmp_path, spilled, rows_route_refused,
                                                                 monkeypatch, dense):  # fmt: skip
    if not dense:
        monkeypatch.setattr(_pairs, "DENSE_CELLS", 0)
    orders = _log(aware="America/New_York")
    orders.loc[::7, "customer_id"] = orders.loc[::7, "customer_id"] * 1_000_003  # ids far apart
    expected = retention_matrix(orders, tz="America/New_York", end="2024-01-31")
    for name, data in _sources(orders, tmp_path).items():
        spilled.clear()
        got = retention_matrix(data, tz="America/New_York", end="2024-01-31")
        pd.testing.assert_frame_equal(got, expected, check_exact=True, obj=name)
        assert len(spilled) == 5 and sum(spilled) == len(orders)


def test_ids_on_a_step_and_negative_ids_on_the_bitmap(tmp_path, rows_route_refused):
    orders = _log(aware=None)
    for ids in (orders["customer_id"] * 64 - 3, -orders["customer_id"], orders["customer_id"].astype("uint16")):
        moved = orders.assign(customer_id=ids)
        expected = retention_matrix(moved, tz="UTC")
        pd.testing.assert_frame_equal(retention_matrix(_sources(moved, tmp_path)["parquet"], tz="UTC"), expected,
                                      check_exact=True)  # fmt: skip


def test_no_order_that_counts_is_the_same_error_as_before(tmp_path, rows_route_refused):
    orders = _log()
    with pytest.raises(ValueError) as from_frame:
        retention_matrix(orders, active="refunded")
    with pytest.raises(ValueError) as from_file:
        retention_matrix(_sources(orders, tmp_path)["parquet"], active="refunded")
    assert str(from_file.value) == str(from_frame.value)
    assert "the statuses found are ['cancelled', 'completed', 'returned']" in str(from_file.value)
    with pytest.raises(ValueError, match="The value for `active` must hold statuses found in the column 'status'"):
        retention_matrix(_sources(orders, tmp_path)["arrow"], end="2020-01-31")  # every order after `end`


def test_empty_logs_and_times_all_missing_fail_as_from_a_dataframe(tmp_path, rows_route_refused):
    empty = _log().iloc[:0]
    with pytest.raises(ValueError, match="is empty: there is nothing to put into cohorts"):
        retention_matrix(pa.Table.from_pandas(empty, preserve_index=False))
    no_times = _log(aware=None).assign(ordered_at=pd.NaT).astype({"ordered_at": "datetime64[s]"})
    with pytest.raises(AttributeError) as from_frame:
        retention_matrix(no_times)
    with pytest.raises(AttributeError) as from_file:
        retention_matrix(_sources(no_times, tmp_path)["parquet"])
    assert str(from_file.value) == str(from_frame.value)
