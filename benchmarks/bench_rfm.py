"""Benchmark: the RFM summary (lesson 05's ``rfm_summary``) against DuckDB SQL, polars, pandas and lifetimes.

Issue 14's target: at 1e7 rows, crmlab at least 1.5x faster than the faster of DuckDB SQL and
polars, the same bits on every run, equal to lifetimes on frequency, recency and T and within
1e-12 relative on the monetary value. Each tool gets the same seeded log of purchases (ten per
customer on average over two years, unsorted); building it and converting it for polars are
not timed. Every tool computes lifetimes' definitions from the same columns.

Run with the others by ``make benchmark`` (``benchmarks/run.py``), or alone:
``python benchmarks/harness.py bench_rfm [--sizes 1000000] [--rounds 3]``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[1] / "build" / "bench-data"

END = "2024-12-31"
END_DAY = int(np.datetime64(END, "D").astype("int64"))


def synthetic_log(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """About ten purchases per customer over two years, in random order."""
    rng = np.random.default_rng(seed)
    n_customers = max(1, n_rows // 10)
    start = np.datetime64("2023-01-01T00:00:00", "s")
    return pd.DataFrame({
        "customer_id": rng.integers(1, n_customers + 1, size=n_rows),
        "date": start + rng.integers(0, 730 * 86_400, size=n_rows).astype("timedelta64[s]"),
        "amount": rng.gamma(2.0, 20.0, size=n_rows).round(2),
    })


def crmlab(n: int):
    from crmlab.analysis.rfm import rfm_summary

    log = synthetic_log(n)
    return lambda: rfm_summary(log, monetary_value_col="amount", observation_period_end=END)


def _query(source: str) -> str:
    return f"""
        WITH per_day AS (SELECT customer_id AS c, CAST(date AS DATE) AS d, sum(amount) AS v
                         FROM {source} GROUP BY 1, 2),
        firsts AS (SELECT c, min(d) AS first, max(d) AS last, count(*) AS n FROM per_day GROUP BY c)
        SELECT f.c AS customer_id, n - 1 AS frequency, last - first AS recency, DATE '{END}' - first AS "T",
               coalesce(sum(CASE WHEN p.d > f.first THEN p.v END) / nullif(n - 1, 0), 0) AS monetary_value
        FROM firsts f JOIN per_day p USING (c) GROUP BY f.c, n, first, last ORDER BY f.c
    """


def duckdb_sql(n: int):
    import duckdb

    log = synthetic_log(n)
    con = duckdb.connect()
    con.register("log", log)
    return lambda: con.sql(_query("log")).df().set_index("customer_id").astype("float64")


def parquet_log(n_rows: int) -> Path:
    """The log of ``n_rows`` as a Parquet file in build/bench-data, written once, 1e7 rows at a time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = DATA / f"rfm-log-{n_rows}.parquet"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        chunk, n_customers = 10_000_000, max(1, n_rows // 10)
        partial = path.with_suffix(".partial")
        with pq.ParquetWriter(partial, pa.schema([("customer_id", pa.int64()), ("date", pa.timestamp("s")),
                                                  ("amount", pa.float64())])) as writer:  # fmt: skip
            for number, start in enumerate(range(0, n_rows, chunk)):
                rows = min(chunk, n_rows - start)
                rng = np.random.default_rng([number, n_rows])
                frame = pd.DataFrame({
                    "customer_id": rng.integers(1, n_customers + 1, size=rows),
                    "date": np.datetime64("2023-01-01T00:00:00", "s")
                    + rng.integers(0, 730 * 86_400, size=rows).astype("timedelta64[s]"),
                    "amount": rng.gamma(2.0, 20.0, size=rows).round(2),
                })
                writer.write_table(pa.Table.from_pandas(frame, preserve_index=False), row_group_size=1 << 20)
        partial.rename(path)
    return path


def crmlab_parquet(n: int):
    from crmlab.analysis.rfm import rfm_summary

    path = parquet_log(n)
    return lambda: rfm_summary(path, monetary_value_col="amount", observation_period_end=END)


def duckdb_parquet(n: int):
    import duckdb

    path = parquet_log(n)
    return lambda: duckdb.connect().sql(_query(f"read_parquet('{path}')")).df().set_index("customer_id").astype(
        "float64")


def polars_(n: int):
    import polars as pl

    frame = pl.from_pandas(synthetic_log(n))
    end = pl.lit(np.datetime64(END, "D")).cast(pl.Date)

    def run():
        per_day = frame.group_by("customer_id", pl.col("date").dt.date().alias("d")).agg(pl.col("amount").sum())
        out = per_day.group_by("customer_id").agg(
            (pl.len() - 1).alias("frequency"),
            (pl.col("d").max() - pl.col("d").min()).dt.total_days().alias("recency"),
            (end - pl.col("d").min()).dt.total_days().alias("T"),
            pl.col("amount").filter(pl.col("d") > pl.col("d").min()).sum().alias("repeat"),
        ).sort("customer_id")
        out = out.with_columns(
            pl.when(pl.col("frequency") > 0).then(pl.col("repeat") / pl.col("frequency")).otherwise(0.0)
            .alias("monetary_value")
        ).drop("repeat")
        return out.to_pandas().set_index("customer_id").astype("float64")

    return run


def pandas_(n: int):
    log = synthetic_log(n)

    def run():
        per_day = log.groupby(["customer_id", log["date"].dt.floor("D")])["amount"].sum().reset_index()
        grouped = per_day.groupby("customer_id")
        first, last, count = grouped["date"].min(), grouped["date"].max(), grouped.size()
        repeat = per_day[per_day["date"] != per_day["customer_id"].map(first)]
        total = repeat.groupby("customer_id")["amount"].sum().reindex(count.index, fill_value=0.0)
        return pd.DataFrame({
            "frequency": (count - 1).astype(float),
            "recency": (last - first).dt.days.astype(float),
            "T": (pd.Timestamp(END) - first).dt.days.astype(float),
            "monetary_value": np.where(count > 1, total / (count - 1).clip(lower=1), 0.0),
        })

    return run


def lifetimes_(n: int):
    from lifetimes.utils import summary_data_from_transaction_data

    log = synthetic_log(n)
    return lambda: summary_data_from_transaction_data(log, "customer_id", "date", monetary_value_col="amount",
                                                      observation_period_end=END)  # fmt: skip


def digest(figure: str, value: pd.DataFrame) -> str:
    """Counts exactly and money to 12 significant digits, then "|" and every bit."""
    value = value[["frequency", "recency", "T", "monetary_value"]]
    rounded = value.assign(monetary_value=value["monetary_value"].map(lambda x: float(f"{x:.12g}")))
    short = hashlib.sha256(pd.util.hash_pandas_object(rounded, index=True).to_numpy().tobytes()).hexdigest()[:12]
    exact = hashlib.sha256(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes()).hexdigest()[:12]
    return f"{short}|{exact}"


FIGURES = {
    "RFM summary": {
        "sizes": (100_000, 1_000_000, 10_000_000),
        "unit": "rows",
        "tools": {"crmlab": crmlab, "DuckDB SQL": duckdb_sql, "polars": polars_, "pandas": pandas_,
                  "lifetimes": lifetimes_},  # fmt: skip
    },
    "RFM summary from a Parquet file": {
        "sizes": (10_000_000, 100_000_000),
        "unit": "rows",
        "warmup": False,  # 20-70 s a call at 1e8; the file is in the page cache from being written
        "rounds": 1,
        "memory_cap_gb": 4,
        "tools": {"crmlab": crmlab_parquet, "DuckDB SQL on the file": duckdb_parquet},
    },
}
