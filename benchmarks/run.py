"""``make benchmark``: every figure of the benchmarks in one run, one table, written into the docs.

Runs the ``FIGURES`` of ``bench_rfm``, ``bench_cohorts``, ``bench_clv``, ``bench_generate``,
``bench_course`` and ``bench_tests`` (``make test`` itself) through :mod:`harness` (each case in
a fresh process, rounds interleaved, minimum and median, peak memory, time as a ratio of
crmlab's), then writes the machine and the table between the ``bench_run`` markers of
docs/benchmarks.md and the ``benchmark`` markers of the README.

    python benchmarks/run.py                 # every figure, 3 rounds (about 25 minutes on 2 cores)
    python benchmarks/run.py --quick         # sizes up to 1e6, 1 round, no course or make test, docs untouched
    python benchmarks/run.py --only "RFM summary" --rounds 5
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from pathlib import Path

import harness

ROOT = Path(__file__).resolve().parents[1]
MODULES = ["bench_rfm", "bench_cohorts", "bench_clv", "bench_generate", "bench_course", "bench_tests"]
PLACES = {ROOT / "docs" / "benchmarks.md": "bench_run", ROOT / "README.md": "benchmark"}


def write(text: str, path: Path, marker: str) -> None:
    begin, end = f"<!-- {marker}:begin -->", f"<!-- {marker}:end -->"
    old = path.read_text(encoding="utf-8")
    if begin not in old:
        raise SystemExit(f"{path} has no {begin} ... {end} markers for the table")
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    path.write_text(pattern.sub(lambda _: f"{begin}\n{text}\n{end}", old), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 1e6, one round, docs untouched")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="figures to run (their names in the table)")
    parser.add_argument("--no-docs", action="store_true", help="print the table only")
    args = parser.parse_args(argv)
    results = harness.plan(MODULES, figures=args.only)
    rounds = args.rounds
    if args.quick:
        results = [r for r in results if r.size <= 1_000_000 and "course" not in r.figure and r.module != "bench_tests"]
        rounds = 1
    harness.measure(results, rounds)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = (f"Measured {when} by `make benchmark` ({rounds} interleaved rounds; min and median per case, each "
            f"in a fresh process):\n{harness.machine()}.\n\n{harness.table(results, rounds)}")
    print(text)
    if not (args.quick or args.no_docs or args.only):
        for path, marker in PLACES.items():
            write(text, path, marker)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
