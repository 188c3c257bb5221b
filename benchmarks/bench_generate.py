"""Benchmark: generate the synthetic CRM at scale (issue 14: linear in customers, 1e6 in under 15 s and 2 GB).

Its peer reads the same tables back: ``load_crm`` of the folder ``save_crm`` wrote (Parquet, in
build/bench-data, written once per size and not timed). Its peak memory is what the typed tables
take once in memory, the floor under any generator that returns them in the course's types; its
digest says whether the tables read back equal the generated ones, value for value and type for type.

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
DATA = Path(__file__).resolve().parents[1] / "build" / "bench-data"


def prepare(size: int) -> Callable[[], object]:
    """The timed work: ``generate_crm(size)`` with the course's seed and market (imports not timed)."""
    from crmlab.datasets import generate_crm

    return lambda: generate_crm(n_customers=size, seed=SEED)


def read_back(size: int) -> Callable[[], object]:
    """The timed work: ``load_crm`` of the tables ``generate_crm(size)`` made, saved once as Parquet."""
    from crmlab.datasets import generate_crm, load_crm, save_crm

    folder = DATA / f"crm-{size}-{SEED}"
    if not (folder / "truth.json").exists():  # truth.json is written last: a folder without it is unfinished
        save_crm(generate_crm(n_customers=size, seed=SEED), folder)
    return lambda: load_crm(folder)


def digest(figure: str, crm) -> str:
    """A hash of every table (values, index, column names, dtypes), then "|" and a hash of the truths."""
    import json

    import pandas as pd

    h = hashlib.sha256()
    for name in sorted(crm):
        df = crm[name]
        h.update(json.dumps([name, list(map(str, df.columns)), [str(t) for t in df.dtypes]]).encode())
        h.update(pd.util.hash_pandas_object(df, index=True).to_numpy().tobytes())
    truth = hashlib.sha256(json.dumps(getattr(crm, "truth", None), sort_keys=True, default=repr).encode())
    return f"{h.hexdigest()[:16]}|{truth.hexdigest()[:8]}"


FIGURES = {
    "generate_crm": {
        "sizes": SIZES,
        "unit": "customers",
        "tools": {"crmlab": prepare, "load_crm of the same tables": read_back},
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


def sizes(size: int) -> dict[str, tuple[int, int, int]]:
    """The memory the tables of ``generate_crm(size)`` hold, by type of column (pandas' deep count, bytes).

    For each type: (columns, bytes held, bytes they would hold as pandas categories where a text
    column has at most 255 distinct values: a byte a row up to 127 of them, two beyond): the saving
    a schema with categories would make. Largest first.
    """
    from crmlab.datasets import generate_crm

    crm = generate_crm(n_customers=size, seed=SEED)
    kinds: dict[str, list[int]] = {}
    for name in sorted(crm):
        for column in crm[name].columns:
            values = crm[name][column]
            held = as_category = int(values.memory_usage(deep=True, index=False))
            if values.dtype == "str" and values.nunique(dropna=False) <= 255:
                as_category = int(values.astype("category").memory_usage(deep=True, index=False))
            kind = kinds.setdefault(str(values.dtype), [0, 0, 0])
            kind[0] += 1
            kind[1] += held
            kind[2] += as_category
    return {k: (v[0], v[1], v[2]) for k, v in sorted(kinds.items(), key=lambda item: -item[1][1])}


def sizes_table(size: int) -> str:
    """:func:`sizes` as a Markdown table, in MB, with a total."""
    kinds = sizes(size)
    lines = [f"| column type | columns | MB at {size:,} customers | MB with categories for short lists of texts |",
             "|---|---:|---:|---:|"]
    kinds["all"] = tuple(sum(v[i] for v in kinds.values()) for i in range(3))
    for kind, (columns, held, as_category) in kinds.items():
        lines.append(f"| {kind} | {columns} | {held / 1e6:,.0f} | {as_category / 1e6:,.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import harness

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, help=f"customers (default: {', '.join(map(str, SIZES))})")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes-of", type=int, metavar="CUSTOMERS",
                        help="print only the memory the tables of that many customers hold, by type of column")
    args = parser.parse_args(argv)
    if args.sizes_of:
        print(sizes_table(args.sizes_of))
        return 0
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
