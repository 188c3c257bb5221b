"""The retention matrix from a Parquet file, Arrow data or a DuckDB relation larger than memory.

The log is forced onto disk in parts (``crmlab.engines.spill``); the result must equal the
DataFrame's exactly, and the DataFrame's must equal a plain pandas count written here.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from crmlab.analysis.cohorts import matrices, retention_matrix
from crmlab.engines import spill

COLUMNS = {"customer": "customer_id", "time": "ordered_at", "status": "status", "tz": "UTC"}


def _orders(n_rows: int = 60_000, n_customers: int = 6_000, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    customer = rng.integers(1, n_customers + 1, size=n_rows)
    start = np.datetime64("2023-01-01T00:00:00", "s")
    status = np.where(rng.random(n_rows) < 0.85, "completed", "cancelled").astype(object)
    status[customer % 7 == 3] = "cancelled"  # every customer of one part has no active order
    return pd.DataFrame({
        "customer_id": customer,
        "ordered_at": start + rng.integers(0, 540 * 86_400, size=n_rows).astype("timedelta64[s]"),
        "status": status,
        "note": "not read",
    })


def _by_hand(orders: pd.DataFrame, end: str) -> pd.DataFrame:
    """Shares active per cohort and month since acquisition, in plain pandas."""
    done = orders[orders["status"] == "completed"]
    done = done[done["ordered_at"] < pd.Timestamp(end) + pd.Timedelta(days=1)]
    month = done["ordered_at"].dt.to_period("M")
    cohort = month.groupby(done["customer_id"]).transform("min")
    age = (month - cohort).map(lambda offset: offset.n)
    pairs = pd.DataFrame({"customer": done["customer_id"], "cohort": cohort, "age": age}).drop_duplicates()
    counts = pairs.groupby(["cohort", "age"]).size().unstack(fill_value=0)
    sizes = pairs[pairs["age"] == 0].groupby("cohort").size()
    shares = counts.div(sizes, axis=0).astype("float64")
    last = pd.Period(end, "M")
    for label in shares.index:
        shares.loc[label, [a for a in shares.columns if label + a > last]] = np.nan
    return shares


@pytest.fixture
def on_disk(tmp_path, monkeypatch):
    """The orders as Parquet, and a spill forced past 15,000 rows into 7 parts; the parts seen."""
    monkeypatch.setattr(spill, "IN_MEMORY_ROWS", 15_000)
    monkeypatch.setattr(spill, "N_PARTS", 7)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    orders = _orders()
    path = tmp_path / "orders.parquet"
    orders.to_parquet(path, row_group_size=10_000)
    seen = []
    real = matrices.customer_parts

    def counting(*args, **kwargs):
        for part in real(*args, **kwargs):
            seen.append(len(part))
            yield part

    monkeypatch.setattr(matrices, "customer_parts", counting)
    return orders, path, seen


@pytest.mark.parametrize("options", [
    {}, {"end": "2024-03-31"}, {"max_age": 5}, {"calendar": "jalali"}, {"end": "2024-01-15", "max_age": 3},
], ids=["default", "end", "max_age", "jalali", "end_and_max_age"])
def test_parts_on_disk_give_the_dataframes_matrix(on_disk, options):
    orders, path, seen = on_disk
    expected = retention_matrix(orders, **COLUMNS, **options)
    for data in (path, pa.Table.from_pandas(orders, preserve_index=False)):
        seen.clear()
        pd.testing.assert_frame_equal(retention_matrix(data, **COLUMNS, **options), expected, check_exact=True)
        assert len(seen) == 7 and sum(seen) == len(orders)  # every row read, in 7 parts (one without a purchase)
    assert list(expected.index.astype(str))[:1] == (["Dey 1401"] if options.get("calendar") else ["2023-01"])


def test_the_dataframes_matrix_is_a_plain_pandas_count(on_disk):
    orders, path, _ = on_disk
    got = retention_matrix(path, **COLUMNS, end="2024-05-31")
    want = _by_hand(orders, "2024-05-31")
    assert list(got.index) == list(want.index)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=0, atol=1e-15)


def test_text_ids_and_a_duckdb_relation(on_disk):
    orders, path, seen = on_disk
    text = orders.assign(customer_id="c" + orders["customer_id"].astype(str))
    relation = duckdb.connect().from_df(text)
    pd.testing.assert_frame_equal(retention_matrix(relation, **COLUMNS), retention_matrix(text, **COLUMNS),
                                  check_exact=True)  # fmt: skip
    assert len(seen) > 1


def test_no_purchase_anywhere_is_the_same_error_as_for_a_dataframe(on_disk, tmp_path):
    orders, _, _ = on_disk
    none = orders.assign(status="cancelled")
    none.to_parquet(tmp_path / "none.parquet")
    with pytest.raises(ValueError) as from_frame:
        retention_matrix(none, **COLUMNS)
    with pytest.raises(ValueError) as from_file:
        retention_matrix(tmp_path / "none.parquet", **COLUMNS)
    assert str(from_file.value) == str(from_frame.value)
    assert "the statuses found are ['cancelled']" in str(from_file.value)
