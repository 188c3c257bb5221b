"""Benchmark: generate the synthetic CRM at scale (the foundation issue asks < 60 s for 1e6 customers).

Run with ``make benchmark`` or ``python benchmarks/bench_generate.py [N ...]``. Prints a
Markdown table (customers, seconds, peak memory, rows of the big tables) to paste into
docs/benchmarks.md. Each size runs in a fresh process so peak memory is its own.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time

BIG_TABLES = ["orders", "order_lines", "interactions", "tickets", "campaign_contacts"]


def one(n: int) -> dict:
    from crmlab.datasets import generate_crm

    start = time.perf_counter()
    crm = generate_crm(n_customers=n, seed=2024)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"customers": n, "seconds": round(seconds, 2), "peak_mb": round(peak_mb),
            **{t: len(crm[t]) for t in BIG_TABLES}}


def main(sizes: list[int]) -> None:
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}\n")
    print("| customers | seconds | peak memory (MB) | " + " | ".join(BIG_TABLES) + " |")
    print("|---:|---:|---:|" + "---:|" * len(BIG_TABLES))
    for n in sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout)
        cells = [f"{r['customers']:,}", f"{r['seconds']:.1f}", f"{r['peak_mb']:,}"] + [f"{r[t]:,}" for t in BIG_TABLES]
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(one(int(sys.argv[2]))))
    else:
        main([int(a) for a in sys.argv[1:]] or [3_000, 100_000, 1_000_000])
