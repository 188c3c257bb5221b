"""Benchmark: generate the synthetic CRM at scale (issue 14: linear in customers, 1e6 in under 15 s).

Run it alone with ``python benchmarks/harness.py bench_generate [--sizes 100000 ...] [--rounds N]``,
or with the others by ``make benchmark``; ``python benchmarks/bench_generate.py [SIZE ...] [--rounds N]``
also prints how time and peak memory grow from one size to the next (:func:`growth`). Each case runs
in a fresh process (see ``harness.py``); the digest says whether every round made the same tables.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

SIZES = (10_000, 100_000, 1_000_000)
SEED = 2024


def prepare(size: int) -> Callable[[], object]:
    """The timed work: ``generate_crm(size)`` with the course's seed and market (imports not timed)."""
    from crmlab.datasets import generate_crm

    return lambda: generate_crm(n_customers=size, seed=SEED)


def digest(figure: str, crm) -> str:
    """A hash of every table (values, index, column names, dtypes) and the truths."""
    import json

    import pandas as pd

    h = hashlib.sha256()
    for name in sorted(crm):
        df = crm[name]
        h.update(json.dumps([name, list(map(str, df.columns)), [str(t) for t in df.dtypes]]).encode())
        h.update(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
    h.update(json.dumps(crm.truth, sort_keys=True, default=repr).encode())
    return h.hexdigest()[:16]


FIGURES = {
    "generate_crm": {
        "sizes": SIZES,
        "unit": "customers",
        "tools": {"crmlab": prepare},
    },
}


def growth(points: Iterable[tuple[int, float]]) -> list[tuple[int, int, float]]:
    """The growth exponent between consecutive sizes: ``log(y2 / y1) / log(n2 / n1)``.

    ``points`` are (size, measure) pairs, e.g. the best seconds at each size; 1.0 is linear,
    2.0 quadratic. Sizes are taken in increasing order; a measure of 0 or less gives NaN.

    >>> [(a, b, round(k, 2)) for a, b, k in growth([(10, 1.0), (100, 10.0), (1000, 1000.0)])]
    [(10, 100, 1.0), (100, 1000, 2.0)]
    """
    ordered = sorted(points)
    out = []
    for (n1, y1), (n2, y2) in itertools.pairwise(ordered):
        k = math.log(y2 / y1) / math.log(n2 / n1) if y1 > 0 and y2 > 0 and n2 != n1 else float("nan")
        out.append((n1, n2, k))
    return out


def growth_table(results) -> str:
    """Markdown rows of :func:`growth` for each tool, from the harness's results (best time, largest peak)."""
    lines = ["| tool | from | to | time exponent | peak memory exponent |", "|---|---:|---:|---:|---:|"]
    tools: dict[str, list] = {}
    for r in results:
        if r.seconds:
            tools.setdefault(r.tool, []).append(r)
    for tool, rows in tools.items():
        times = growth((r.size, r.best) for r in rows)
        peaks = growth((r.size, max(r.peak_mb)) for r in rows)
        for (n1, n2, kt), (_, _, km) in zip(times, peaks, strict=True):
            lines.append(f"| {tool} | {n1:,} | {n2:,} | {kt:.2f} | {km:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import harness

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, help=f"customers (default: {', '.join(map(str, SIZES))})")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    results = harness.plan(["bench_generate"])
    if args.sizes:  # any size, not only the figure's
        results = [harness.Result("bench_generate", "generate_crm", "crmlab", n) for n in args.sizes]
    results = harness.measure(results, args.rounds)
    print(harness.machine() + "\n")
    print(harness.table(results, args.rounds) + "\n")
    print(growth_table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
