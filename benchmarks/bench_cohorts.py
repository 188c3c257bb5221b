"""Benchmark: the cohort retention matrix (lesson 07's ``retention_matrix``) against pandas and polars,
and the retention and revenue matrices of a Parquet file against DuckDB's SQL on the file.

Issue 14's target: at 1e7 orders, crmlab no slower than polars. Every tool gets the same seeded
orders (ten per customer on average over two years, a tenth cancelled or returned, naive
local times) and computes the same matrix: completed orders only, each customer's cohort is
the month of their first completed order, a cell is the share of the cohort with a completed
order in that month since acquisition. Building the orders and converting them for polars are
not timed.

Run with the others by ``make benchmark`` (``benchmarks/run.py``), or alone:
``python benchmarks/harness.py bench_cohorts [--sizes 1000000] [--rounds 3]``.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd


def synthetic_orders(n_rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-01-01T00:00:00", "s")
    return pd.DataFrame({
        "customer_id": rng.integers(1, max(1, n_rows // 10) + 1, size=n_rows),
        "ordered_at": start + rng.integers(0, 730 * 86_400, size=n_rows).astype("timedelta64[s]"),
        "status": pd.Categorical(rng.choice(["completed", "cancelled", "returned"], p=[0.9, 0.07, 0.03], size=n_rows)),
    })


def crmlab(n: int):
    from crmlab.analysis.cohorts import retention_matrix

    orders = synthetic_orders(n)
    return lambda: retention_matrix(orders, status="status")


def pandas_(n: int):
    orders = synthetic_orders(n)

    def run():
        done = orders[orders["status"] == "completed"]
        month = done["ordered_at"].dt.year * 12 + done["ordered_at"].dt.month - 1
        active = pd.DataFrame({"customer": done["customer_id"].to_numpy(), "month": month.to_numpy()}).drop_duplicates()
        cohort = active.groupby("customer")["month"].transform("min")
        counts = pd.crosstab(cohort, active["month"] - cohort)
        shares = counts.div(counts[0], axis=0).astype("float64")
        unseen = shares.index.to_numpy()[:, None] + shares.columns.to_numpy()[None, :] > month.max()
        return shares.mask(unseen)

    return run


def polars_(n: int):
    import polars as pl

    orders = pl.from_pandas(synthetic_orders(n).assign(status=lambda d: d["status"].astype(str)))

    def run():
        done = orders.filter(pl.col("status") == "completed").select(
            pl.col("customer_id"), (pl.col("ordered_at").dt.year() * 12 + pl.col("ordered_at").dt.month() - 1)
            .alias("month"))
        active = done.unique()
        active = active.with_columns(pl.col("month").min().over("customer_id").alias("cohort"))
        cells = active.group_by("cohort", (pl.col("month") - pl.col("cohort")).alias("age")).len()
        end = done["month"].max()
        return _shares(cells.to_pandas(), end)

    return run


def _shares(cells: pd.DataFrame, end: int) -> pd.DataFrame:
    """The matrix from (cohort, age, len) counts: shares of the cohort's size, NaN where unseen."""
    counts = cells.pivot_table(index="cohort", columns="age", values="len", aggfunc="sum", fill_value=0)
    counts = counts.reindex(columns=range(int(end - counts.index.min()) + 1), fill_value=0)
    grid = (counts.to_numpy(dtype="float64") / counts[0].to_numpy(dtype="float64")[:, None])
    cohorts, ages = counts.index.to_numpy(), counts.columns.to_numpy()
    grid[cohorts[:, None] + ages[None, :] > end] = np.nan
    return pd.DataFrame(grid, index=cohorts, columns=ages)


# From a Parquet file (bench_rfm's log: customer_id, date, amount; every row a purchase, UTC).
_DUCKDB_CELLS = """
WITH pairs AS (SELECT DISTINCT customer_id, year(date) * 12 + month(date) - 1 AS month FROM read_parquet('{path}')),
     aged AS (SELECT month, min(month) OVER (PARTITION BY customer_id) AS cohort FROM pairs)
SELECT cohort, month - cohort AS age, count(*) AS len FROM aged GROUP BY ALL
"""


def crmlab_parquet(n: int):
    from bench_rfm import parquet_log

    from crmlab.analysis.cohorts import retention_matrix

    path = parquet_log(n)
    return lambda: retention_matrix(path, time="date", status=None, tz="UTC")


def duckdb_parquet(n: int):
    import duckdb
    from bench_rfm import parquet_log

    path = parquet_log(n)

    def run():
        cells = duckdb.connect().sql(_DUCKDB_CELLS.format(path=path)).df()
        return _shares(cells, int((cells["cohort"] + cells["age"]).max()))

    return run


# The revenue matrix of the same file: each customer's cohort, then the amounts summed by cohort and age.
_DUCKDB_REVENUE = """
WITH orders AS (SELECT customer_id, year(date) * 12 + month(date) - 1 AS month, amount FROM read_parquet('{path}')),
     firsts AS (SELECT customer_id, min(month) AS cohort FROM orders GROUP BY customer_id)
SELECT cohort, month - cohort AS age, sum(amount) AS total FROM orders JOIN firsts USING (customer_id) GROUP BY ALL
"""


def crmlab_revenue_parquet(n: int):
    from bench_rfm import parquet_log

    from crmlab.analysis.cohorts import revenue_matrix

    path = parquet_log(n)
    return lambda: revenue_matrix(path, time="date", amount="amount", status=None, tz="UTC")


def duckdb_revenue_parquet(n: int):
    import duckdb
    from bench_rfm import parquet_log

    path = parquet_log(n)

    def run():
        cells = duckdb.connect().sql(_DUCKDB_REVENUE.format(path=path)).df()
        return _sums(cells, int((cells["cohort"] + cells["age"]).max()))

    return run


def _sums(cells: pd.DataFrame, end: int) -> pd.DataFrame:
    """The matrix from (cohort, age, total) sums: 0 where no order, NaN where unseen."""
    totals = cells.pivot_table(index="cohort", columns="age", values="total", aggfunc="sum", fill_value=0.0)
    totals = totals.reindex(columns=range(int(end - totals.index.min()) + 1), fill_value=0.0)
    grid = totals.to_numpy(dtype="float64", copy=True)
    cohorts, ages = totals.index.to_numpy(), totals.columns.to_numpy()
    grid[cohorts[:, None] + ages[None, :] > end] = np.nan
    return pd.DataFrame(grid, index=cohorts, columns=ages)


def digest(figure: str, value: pd.DataFrame) -> str:
    """The shares to 12 significant digits (NaN where unseen), then "|" and every bit."""
    grid = np.asarray(value, dtype="float64")
    rounded = np.where(np.isnan(grid), np.nan, np.vectorize(lambda x: float(f"{x:.12g}"))(np.nan_to_num(grid)))
    short = hashlib.sha256(rounded.tobytes() + str(grid.shape).encode()).hexdigest()[:12]
    return f"{short}|{hashlib.sha256(grid.tobytes()).hexdigest()[:12]}"


FIGURES = {
    "cohort retention matrix": {
        "sizes": (100_000, 1_000_000, 10_000_000),
        "unit": "orders",
        "tools": {"crmlab": crmlab, "pandas": pandas_, "polars": polars_},
    },
    "cohort retention matrix from a Parquet file": {
        "sizes": (10_000_000, 100_000_000),
        "unit": "rows",
        "warmup": False,  # a minute a call at 1e8; the file is in the page cache from being written
        "rounds": 1,
        "memory_cap_gb": 4,
        "tools": {"crmlab": crmlab_parquet, "DuckDB SQL on the file": duckdb_parquet},
    },
    "cohort revenue matrix from a Parquet file": {
        "sizes": (10_000_000, 100_000_000),
        "unit": "rows",
        "warmup": False,  # as the retention matrix from the file
        "rounds": 1,
        "memory_cap_gb": 4,
        "tools": {"crmlab": crmlab_revenue_parquet, "DuckDB SQL on the file": duckdb_revenue_parquet},
    },
}
