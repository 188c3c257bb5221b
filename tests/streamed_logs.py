"""Order logs for the tests of the streamed cohort matrices, and the same log as every kind of source.

Shared by ``test_analysis_cohorts_streamed.py`` (retention) and ``test_analysis_revenue_streamed.py``
(revenue): a log over 14 months with orders at the instants where a UTC month and a local month
differ or the clocks change (:data:`EDGES`), latest orders first, so that a customer's first order
comes in a later batch.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["EDGES", "orders_log", "sources"]

# Instants where the UTC month and the local month differ, or the clocks change.
EDGES = ["2023-03-26T00:30:00", "2023-03-31T22:30:00", "2023-10-29T00:30:00", "2023-10-31T23:30:00",
         "2023-11-05T05:30:00", "2023-12-31T23:59:59", "2024-03-20T20:45:00", "2024-02-29T21:00:00"]  # fmt: skip


def orders_log(n_rows: int, n_customers: int, seed: int, aware: str | None = "UTC",
               amounts: str | None = None) -> pd.DataFrame:  # fmt: skip
    """Orders over 14 months, later orders first; with ``amounts`` ("float": values whose sum depends on
    the order of the additions; "cents": integers) a ``total_cents`` column too."""
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-01-01T00:00:00", "s")
    times = start + rng.integers(0, 425 * 86_400, size=n_rows).astype("timedelta64[s]")
    times[: len(EDGES) * 20] = np.repeat(np.array(EDGES, dtype="datetime64[s]"), 20)
    columns = {}
    if amounts == "float":  # the order of the additions matters
        values = rng.choice([0.1, 0.2, 0.3, 1e16, -1e16, 2.5e-3, 7.77], size=n_rows)
    elif amounts is not None:  # cents
        values = rng.integers(0, 100_000, size=n_rows)
    columns["customer_id"] = rng.integers(1, n_customers + 1, size=n_rows)
    columns["ordered_at"] = times
    columns["status"] = rng.choice(["completed", "cancelled", "returned"], p=[0.8, 0.15, 0.05], size=n_rows)
    if amounts is not None:
        columns["total_cents"] = values
    orders = pd.DataFrame(columns)
    if aware is not None:
        orders["ordered_at"] = orders["ordered_at"].dt.tz_localize("UTC").dt.tz_convert(aware)
    return orders.sort_values("ordered_at", ascending=False, kind="stable", ignore_index=True)


def sources(orders: pd.DataFrame, tmp_path, batch_rows: int) -> dict:
    """The orders as a Parquet file and folder, an Arrow table, a stream of batches and a DuckDB relation."""
    table = pa.Table.from_pandas(orders, preserve_index=False)
    path = tmp_path / "orders.parquet"
    orders.to_parquet(path, row_group_size=batch_rows)
    folder = tmp_path / "orders"
    folder.mkdir(exist_ok=True)
    half = len(orders) // 2
    orders.iloc[:half].to_parquet(folder / "part-0.parquet", row_group_size=batch_rows)
    orders.iloc[half:].to_parquet(folder / "part-1.parquet", row_group_size=batch_rows)
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=batch_rows))
    return {"parquet": path, "folder": folder, "arrow": chunked, "batches": chunked.to_reader(),
            "duckdb": duckdb.connect().from_arrow(table)}  # fmt: skip
