"""The RFM summary at scale: any kind of customer id, any kind of input, the same bits every time.

Oracles: lifetimes' ``summary_data_from_transaction_data`` (the reference implementation) and
a plain pandas groupby written here from lifetimes' definitions.
"""

from __future__ import annotations

import warnings

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crmlab.analysis.rfm import rfm_summary
from crmlab.analysis.rfm import summary as summary_module
from crmlab.engines import columns_of, kind_of, spill

END = "2024-12-31"


def _log(n_rows: int, n_customers: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-01-01T00:00:00", "s")
    return pd.DataFrame({
        "customer_id": rng.integers(1, n_customers + 1, size=n_rows),
        "date": start + rng.integers(0, 730 * 86_400, size=n_rows).astype("timedelta64[s]"),
        "amount": rng.gamma(2.0, 20.0, size=n_rows).round(2),
        "note": "x",
    })


def _by_hand(log: pd.DataFrame, end: str) -> pd.DataFrame:
    """lifetimes' definitions in plain pandas: per day totals, then per customer."""
    day = log["date"].dt.floor("D")
    per_day = log.assign(day=day).groupby(["customer_id", "day"])["amount"].sum().reset_index()
    grouped = per_day.groupby("customer_id")
    first, last, n = grouped["day"].min(), grouped["day"].max(), grouped.size()
    repeat = per_day[per_day["day"] != per_day["customer_id"].map(first)]
    repeat_total = repeat.groupby("customer_id")["amount"].sum().reindex(n.index, fill_value=0.0)
    return pd.DataFrame({
        "frequency": (n - 1).astype(float),
        "recency": (last - first).dt.days.astype(float),
        "T": (pd.Timestamp(end) - first).dt.days.astype(float),
        "monetary_value": np.where(n > 1, repeat_total / (n - 1).clip(lower=1), 0.0),
    })


@pytest.fixture(scope="module")
def log():
    return _log(200_000, 20_000, seed=7)


def test_equals_lifetimes_exactly_on_counts_and_to_1e_12_on_money(log):
    from lifetimes.utils import summary_data_from_transaction_data  # the reference implementation

    expected = summary_data_from_transaction_data(log, "customer_id", "date", monetary_value_col="amount",
                                                  observation_period_end=END)  # fmt: skip
    ours = rfm_summary(log, monetary_value_col="amount", observation_period_end=END)
    assert (ours.index.to_numpy() == expected.index.to_numpy()).all()
    for col in ["frequency", "recency", "T"]:
        assert (ours[col].to_numpy() == expected[col].to_numpy()).all(), col
    np.testing.assert_allclose(ours["monetary_value"], expected["monetary_value"], rtol=1e-12, atol=0)


@pytest.mark.parametrize("ids", ["int64", "int32", "uint64", "sparse", "str"])
def test_every_kind_of_customer_id(log, ids):
    kinds = {
        "int64": lambda c: c,
        "int32": lambda c: c.astype("int32"),
        "uint64": lambda c: c.astype("uint64"),
        "sparse": lambda c: c * 10_000_019 - 5_000_000_000,  # too spread out for offsets: hashed
        "str": lambda c: "C-" + c.astype(str),
    }
    tx = log.assign(customer_id=kinds[ids](log["customer_id"]))
    ours = rfm_summary(tx, monetary_value_col="amount", observation_period_end=END)
    expected = _by_hand(tx, END)
    assert ours.index.dtype == expected.index.dtype
    assert ours.index.tolist() == expected.index.tolist()  # sorted, as lifetimes sorts
    pd.testing.assert_frame_equal(ours[["frequency", "recency", "T"]], expected[["frequency", "recency", "T"]],
                                  check_names=False, check_exact=True)  # fmt: skip
    np.testing.assert_allclose(ours["monetary_value"], expected["monetary_value"].to_numpy(), rtol=1e-12)


def test_the_same_bits_on_every_call(log):
    first = rfm_summary(log, monetary_value_col="amount", observation_period_end=END)
    second = rfm_summary(log, monetary_value_col="amount", observation_period_end=END)
    assert pd.util.hash_pandas_object(first).equals(pd.util.hash_pandas_object(second))


@pytest.mark.parametrize("end", [END, None, "2024-06-30"])
def test_a_log_larger_than_memory_gives_the_same_bits(log, tmp_path, monkeypatch, end):
    """Forced onto disk in 7 parts (crmlab.engines.spill), the summary equals the in-memory one bit for bit."""
    monkeypatch.setattr(spill, "IN_MEMORY_ROWS", 30_000)
    monkeypatch.setattr(spill, "N_PARTS", 7)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    tagged = log.assign(customer_id=log["customer_id"].where(log.index % 997 != 0))  # some ids missing
    tagged.to_parquet(tmp_path / "log.parquet", row_group_size=10_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = rfm_summary(tagged, monetary_value_col="amount", observation_period_end=end)
    seen = []
    real_parts = spill.customer_parts
    monkeypatch.setattr(summary_module, "customer_parts", lambda *a, **k: (seen.append(len(p)) or p
                                                                          for p in real_parts(*a, **k)))
    with pytest.warns(UserWarning, match=f"dropped {expected.attrs['dropped_rows']:,} of {len(log):,}"):
        ours = rfm_summary(tmp_path / "log.parquet", monetary_value_col="amount", observation_period_end=end)
    assert len(seen) == 7 and sum(seen) == len(log)
    pd.testing.assert_frame_equal(ours, expected, check_exact=True)
    assert ours.attrs == expected.attrs
    assert not list(tmp_path.glob("crmlab-parts-*"))  # the parts are removed


def test_parquet_arrow_and_duckdb_inputs_give_the_dataframe_result(log, tmp_path):
    expected = rfm_summary(log, monetary_value_col="amount", observation_period_end=END)
    table = pa.Table.from_pandas(log, preserve_index=False)
    folder = tmp_path / "log"
    folder.mkdir()
    half = len(log) // 2
    pq.write_table(table.slice(0, half), folder / "part-0.parquet")
    pq.write_table(table.slice(half), folder / "part-1.parquet")
    con = duckdb.connect()
    inputs = {"arrow": table, "parquet": folder, "parquet file": str(folder / "part-0.parquet"),
              "duckdb": con.from_arrow(table)}  # fmt: skip
    for name, data in inputs.items():
        ours = rfm_summary(data, monetary_value_col="amount", observation_period_end=END)
        want = expected if name != "parquet file" else rfm_summary(log.iloc[:half], monetary_value_col="amount",
                                                                    observation_period_end=END)  # fmt: skip
        pd.testing.assert_frame_equal(ours, want, check_exact=True, obj=name)


def test_sources_read_only_the_needed_columns_and_say_what_is_wrong(log, tmp_path):
    table = pa.Table.from_pandas(log, preserve_index=False)
    assert [kind_of(x) for x in (log, table, "x.parquet", duckdb.sql("select 1"), 3)] == [
        "pandas", "arrow", "parquet", "duckdb", None]
    assert list(columns_of(table, ["amount", "customer_id"], "tx").columns) == ["amount", "customer_id"]
    with pytest.raises(KeyError, match="'total' is not a column of `transactions`"):
        rfm_summary(table, monetary_value_col="total")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        rfm_summary(tmp_path / "missing.parquet")
    with pytest.raises(TypeError, match="must be a DataFrame, but a list was passed"):
        rfm_summary([1, 2, 3])


def test_empty_and_all_dropped_logs():
    empty = pd.DataFrame({"customer_id": pd.Series([], dtype="int64"), "date": pd.Series([], dtype="datetime64[ns]"),
                          "amount": pd.Series([], dtype="float64")})  # fmt: skip
    out = rfm_summary(empty, monetary_value_col="amount", observation_period_end=END)
    assert out.empty and list(out.columns) == ["frequency", "recency", "T", "monetary_value"]
    late = pd.DataFrame({"customer_id": [1], "date": pd.to_datetime(["2025-02-01"]), "amount": [3.0]})
    with pytest.warns(UserWarning, match="dropped 1 of 1"):
        assert rfm_summary(late, monetary_value_col="amount", observation_period_end=END).empty


def test_the_other_summaries_take_files_and_relations_and_stream(log, tmp_path, monkeypatch):
    """customer_summary and calibration_holdout from Parquet (forced onto disk) and DuckDB equal the DataFrame's;
    the cohort matrices from Parquet, Arrow and DuckDB equal the DataFrame's (the retention matrix streams)."""
    from crmlab.analysis.clv import calibration_holdout
    from crmlab.analysis.cohorts import retention_matrix, revenue_matrix
    from crmlab.analysis.rfm import customer_summary

    monkeypatch.setattr(spill, "IN_MEMORY_ROWS", 30_000)
    monkeypatch.setattr(spill, "N_PARTS", 5)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    path = tmp_path / "log.parquet"
    log.to_parquet(path, row_group_size=20_000)
    relation = duckdb.connect().from_parquet(str(path))
    args = {"datetime_col": "date", "amount_col": "amount"}
    expected = customer_summary(log, **args)
    for data in (path, relation):
        pd.testing.assert_frame_equal(customer_summary(data, **args), expected, check_exact=True)
    pd.testing.assert_frame_equal(customer_summary(path, as_of="2025-01-31", **args),
                                  customer_summary(log, as_of="2025-01-31", **args), check_exact=True)  # fmt: skip
    want = calibration_holdout(log, "2024-06-30", "2024-12-31", monetary_value_col="amount", period_days=7)
    got = calibration_holdout(path, "2024-06-30", "2024-12-31", monetary_value_col="amount", period_days=7)
    for ours, theirs in zip(got, want, strict=True):
        pd.testing.assert_frame_equal(ours, theirs, check_exact=True)
    cohorts = {"customer": "customer_id", "time": "date", "status": None}
    for data in (path, pa.Table.from_pandas(log, preserve_index=False), relation):
        pd.testing.assert_frame_equal(retention_matrix(data, **cohorts), retention_matrix(log, **cohorts))
        pd.testing.assert_frame_equal(revenue_matrix(data, amount="amount", **cohorts),
                                      revenue_matrix(log, amount="amount", **cohorts))  # fmt: skip
