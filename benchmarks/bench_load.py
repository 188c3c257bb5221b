"""Benchmark: load and validate a company's 1M-row orders export (issue 10 asks < 3 s and < 1 GB on 2 cores).

Run ``python benchmarks/bench_load.py [--rows N] [--rounds R] [--naive] [--quick] [--no-docs]``
(or ``make benchmark``). It writes a seeded export to a temporary folder: ``orders.csv``
(order ids, customer ids, times with a UTC offset, or naive with ``--naive`` and a declared
time zone, channel, rep and campaign ids with blanks, status, the total in major units such
as ``139.12``, and a free-text ``note`` with quoted commas) and ``customers.csv`` (one row
per tenth order, every column of the schema), so the foreign key from orders to customers
is checked too.

Then it times, in interleaved rounds and each in a fresh process, reading both files with
``crmlab.datasets.load_crm`` (end to end: exact parsing, casting, key checks) and with its
peers, which parse types but check nothing: ``pandas.read_csv`` (C engine, dtypes and
``parse_dates``), ``pandas.read_csv(engine="pyarrow")``, ``duckdb.read_csv(...).df()`` and
``polars.read_csv`` when polars is installed. Each cell of the table is the minimum and the
median over the rounds, the peak resident memory of the child process (``ru_maxrss``,
imports included) and the ratio of the minimum to the fastest peer's. The crmlab child also
checks its result against the generator's own integers (every total in cents, every
instant), so a fast wrong answer cannot pass.

The table and the machine (cores, Python, package versions) replace the text between the
markers in ``docs/benchmarks.md``, unless ``--quick`` or ``--no-docs`` is given.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench_load:begin -->", "<!-- bench_load:end -->"
TIMEZONE, OFFSET, OFFSET_SECONDS = "Asia/Tehran", "+03:30", 12_600  # Iran has kept +03:30 since 2022
CHANNELS = np.array(["web", "store", "call_centre", "field_sales"])
STATUSES = np.array(["completed", "cancelled", "returned"])
NOTES = np.array(["", "", "", "", "", "", "gift wrap, please", "call before delivery", 'said "urgent"'])
SEGMENTS = np.array(["consumer", "small_business", "enterprise"])
REGIONS = np.array(["Capital", "Central", "West", "East", "South", "North"])
CITIES = np.array(["Tehran", "Isfahan", "Kermanshah", "Mashhad", "Shiraz", "Rasht"])
FIRST = np.array(["Golnaz", "Ali", "Sara", "Reza", "Maryam", "Hossein", "Niloufar", "Amir"])
LAST = np.array(["Jafari", "Bagheri", "Karimi", "Ahmadi", "Hosseini", "Rahimi"])
METHODS = ("crmlab load_crm", "pandas read_csv", "pandas read_csv (pyarrow)", "duckdb read_csv", "polars read_csv")
ORDER_TYPES = {"order_id": "int64", "customer_id": "int64", "channel": "str", "rep_id": "Int64",
               "campaign_id": "Int64", "status": "str", "total": "float64", "note": "str"}
CUSTOMER_TYPES = {"customer_id": "int64", "first_name": "str", "last_name": "str", "company_name": "str",
                  "email": "str", "phone": "str", "segment": "str", "region": "str", "city": "str",
                  "acquisition_channel": "str", "birth_year": "Int16", "consent_email": "bool", "consent_sms": "bool"}


# -- the export -------------------------------------------------------------------------------


def _text(values) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def _blank_where(values: np.ndarray, blank: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(blank), "", _text(values))


def _write_csv(table: pa.Table, file: Path, quote_all: bool) -> None:
    """Quotes only where needed, as Excel, pandas and Python's csv write; or around every text (``quote_all``)."""
    if quote_all:
        pacsv.write_csv(table, file, pacsv.WriteOptions(quoting_style="needed"))  # Arrow's "needed": every string
    else:
        table.to_pandas().to_csv(file, index=False)


def write_export(folder: Path, rows: int, *, naive: bool = False, extra: bool = True, quote_all: bool = False,
                 seed: int = 10) -> dict:
    """Write ``orders.csv`` (with a ``note`` column when ``extra``) and ``customers.csv``; return the truth."""
    rng = np.random.default_rng(seed)
    n_customers = max(1, rows // 10)
    start = np.datetime64("2023-01-01T00:00:00", "s").astype(np.int64)
    utc = np.sort(start + rng.integers(0, 730 * 86_400, size=rows))
    channel = rng.integers(0, len(CHANNELS), size=rows)
    cents = np.rint(rng.gamma(2.0, 7_000.0, size=rows)).astype(np.int64) + 1
    local = (utc + OFFSET_SECONDS).astype("datetime64[s]")
    stamp = _text(np.datetime_as_string(local, unit="s"))
    if not naive:
        stamp = pc.binary_join_element_wise(stamp, OFFSET, "")
    total = pc.binary_join_element_wise(_text(cents // 100), pc.utf8_lpad(_text(cents % 100), 2, "0"), ".")
    orders = pa.table({
        "order_id": pa.array(np.arange(1, rows + 1)),
        "customer_id": pa.array(rng.integers(1, n_customers + 1, size=rows)),
        "ordered_at": stamp,
        "channel": pa.array(CHANNELS[channel]),
        "rep_id": _blank_where(rng.integers(1, 60, size=rows), channel < 2),
        "campaign_id": _blank_where(rng.integers(1, 40, size=rows), rng.random(rows) > 0.2),
        "status": pa.array(STATUSES[rng.choice(3, size=rows, p=[0.9, 0.06, 0.04])]),
        "total": total,
        "note": pa.array(NOTES[rng.integers(0, len(NOTES), size=rows)]),
    })
    if not extra:
        orders = orders.drop_columns(["note"])
    _write_csv(orders, folder / "orders.csv", quote_all)
    ids = np.arange(1, n_customers + 1)
    segment = rng.choice(3, size=n_customers, p=[0.8, 0.15, 0.05])
    first, last = FIRST[rng.integers(0, len(FIRST), n_customers)], LAST[rng.integers(0, len(LAST), n_customers)]
    region = rng.integers(0, len(REGIONS), n_customers)
    signup = np.datetime64("2020-01-01") + rng.integers(0, 1_800, n_customers).astype("timedelta64[D]")
    customers = pa.table({
        "customer_id": pa.array(ids),
        "first_name": pa.array(first), "last_name": pa.array(last),
        "company_name": _blank_where(np.char.add(last, np.char.add(" & Sons, ", ids.astype(str))), segment == 0),
        "email": pa.array(np.char.add(np.char.add(np.char.lower(first), ids.astype(str)), "@example.com")),
        "phone": pa.array(np.char.add("+989", rng.integers(100_000_000, 999_999_999, n_customers).astype(str))),
        "segment": pa.array(SEGMENTS[segment]),
        "region": pa.array(REGIONS[region]), "city": pa.array(CITIES[region]),
        "acquisition_channel": pa.array(CHANNELS[rng.integers(0, len(CHANNELS), n_customers)]),
        "signup_date": _text(np.datetime_as_string(signup, unit="D")),
        "birth_year": _blank_where(rng.integers(1945, 2006, n_customers), segment != 0),
        "consent_email": pa.array(np.where(rng.random(n_customers) < 0.6, "true", "false")),
        "consent_sms": pa.array(np.where(rng.random(n_customers) < 0.3, "true", "false")),
    })
    _write_csv(customers, folder / "customers.csv", quote_all)
    return {"rows": rows, "customers": n_customers, "cents_sum": int(cents.sum()),
            "cents_hash": int((cents * np.arange(1, rows + 1)).sum() % 1_000_000_007),
            "utc_first": int(utc[0]), "utc_last": int(utc[-1]), "utc_hash": int(utc.sum() % 1_000_000_007)}


# -- one method, in its own process -----------------------------------------------------------


def _crmlab(folder: Path, naive: bool, truth: dict | None) -> None:
    from crmlab.datasets import load_crm
    from crmlab.datasets.options import ReadOptions

    options = ReadOptions(units={"orders.total_cents": "major"}, timezone=TIMEZONE if naive else None)
    crm = load_crm(folder, tables=["customers", "orders"], columns={"orders": {"total": "total_cents"}},
                   options=options)
    orders = crm.orders
    cents = orders["total_cents"].to_numpy()
    utc = orders["ordered_at"].dt.tz_convert(None).dt.as_unit("s").to_numpy().view(np.int64)
    got = {"rows": len(orders), "customers": len(crm.customers), "cents_sum": int(cents.sum()),
           "cents_hash": int((cents * orders["order_id"].to_numpy()).sum() % 1_000_000_007),
           "utc_first": int(utc[0]), "utc_last": int(utc[-1]), "utc_hash": int(utc.sum() % 1_000_000_007)}
    if truth is not None and got != truth:
        raise SystemExit(f"load_crm returned other values than the generator wrote: {got} != {truth}")


def _pandas(folder: Path, engine: str) -> None:
    import pandas as pd

    def types(names: dict[str, str]) -> dict[str, str] | None:
        # pandas 3.1's pyarrow engine fails on any dtype dict when an int column has blanks
        # ("cannot convert NA to integer"): it infers the same types from Arrow's own inference
        return None if engine == "pyarrow" else {c: t for c, t in names.items() if c in header}

    # the pyarrow engine parses the dates itself; the C engine needs the format to be fast
    dates = {} if engine == "pyarrow" else {"date_format": "ISO8601"}
    for name, names, when in (("orders", ORDER_TYPES, "ordered_at"), ("customers", CUSTOMER_TYPES, "signup_date")):
        header = (folder / f"{name}.csv").open().readline().rstrip("\n").split(",")
        pd.read_csv(folder / f"{name}.csv", engine=engine, dtype=types(names), parse_dates=[when], **dates)


def _duckdb(folder: Path) -> None:
    import duckdb

    con = duckdb.connect()
    for name in ("orders", "customers"):
        con.read_csv(str(folder / f"{name}.csv")).df()


def _polars(folder: Path) -> None:
    import polars as pl

    for name in ("orders", "customers"):
        pl.read_csv(folder / f"{name}.csv", try_parse_dates=True)


def run_one(method: str, folder: Path, naive: bool, truth: dict) -> dict:
    """Time one method here (after its imports); return seconds and this process's peak memory."""
    runners = {
        "crmlab load_crm": lambda: _crmlab(folder, naive, truth),
        "pandas read_csv": lambda: _pandas(folder, "c"),
        "pandas read_csv (pyarrow)": lambda: _pandas(folder, "pyarrow"),
        "duckdb read_csv": lambda: _duckdb(folder),
        "polars read_csv": lambda: _polars(folder),
    }
    modules = {"crmlab load_crm": "crmlab.datasets", "duckdb read_csv": "duckdb", "polars read_csv": "polars"}
    importlib.import_module(modules.get(method, "pandas"))  # imports are not timed
    start = time.perf_counter()
    runners[method]()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _child(method: str, folder: Path, naive: bool, truth: dict) -> dict:
    args = [sys.executable, __file__, "--one", method, "--folder", str(folder), "--truth", json.dumps(truth)]
    out = subprocess.run(args + (["--naive"] if naive else []), capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{method} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.splitlines()[-1])


# -- the table --------------------------------------------------------------------------------


def methods() -> list[str]:
    """The methods that can run here: polars only when it is installed."""
    return [m for m in METHODS if m != "polars read_csv" or importlib.util.find_spec("polars")]


def keeps_extra_columns() -> bool:
    """Whether ``load_crm`` loads an export with a column the schema lacks (issue 10 asks it to keep it)."""
    from crmlab.errors import SchemaError

    with tempfile.TemporaryDirectory(prefix="bench_load_") as tmp:
        write_export(Path(tmp), 20)
        try:
            _crmlab(Path(tmp), False, None)
        except SchemaError as err:
            if "unexpected columns ['note']" in str(err):
                return False
            raise
    return True


def measure(rows: int, rounds: int, naive: bool, quote_all: bool = False) -> tuple[list[dict], dict]:
    """Interleaved rounds of every method on one export; one result per method."""
    extra = keeps_extra_columns()
    with tempfile.TemporaryDirectory(prefix="bench_load_") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        truth = write_export(folder, rows, naive=naive, extra=extra, quote_all=quote_all)
        info = {"write_s": time.perf_counter() - start, "extra": extra,
                "orders_mb": (folder / "orders.csv").stat().st_size / 2**20,
                "customers_mb": (folder / "customers.csv").stat().st_size / 2**20, **truth}
        names = methods()
        seen: dict[str, list[dict]] = {m: [] for m in names}
        for r in range(rounds):
            for method in names if r % 2 == 0 else names[::-1]:
                seen[method].append(_child(method, folder, naive, truth))
    results = [{"method": m, "min_s": min(x["seconds"] for x in runs),
                "median_s": statistics.median(x["seconds"] for x in runs),
                "peak_mb": max(x["peak_mb"] for x in runs)} for m, runs in seen.items()]
    fastest = min(r["min_s"] for r in results if r["method"] != "crmlab load_crm")
    for r in results:
        r["ratio"] = r["min_s"] / fastest
    return results, info


def table(results: list[dict]) -> str:
    lines = ["| method | min (s) | median (s) | peak memory (MB) | min / fastest peer |",
             "|---|---:|---:|---:|---:|"]
    lines += [f"| {r['method']} | {r['min_s']:.2f} | {r['median_s']:.2f} | {r['peak_mb']:,.0f} | {r['ratio']:.1f}x |"
              for r in results]
    return "\n".join(lines)


def machine() -> str:
    from importlib.metadata import PackageNotFoundError, version

    def v(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    pkgs = ", ".join(f"{p} {v(p)}" for p in ("pandas", "pyarrow", "numpy", "duckdb", "polars"))
    return (f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; {pkgs}; "
            f"load average {load:.1f} at the start")


def report(results: list[dict], info: dict, rounds: int, naive: bool, host: str, quote_all: bool = False) -> str:
    stamp = "naive local times with `timezone='Asia/Tehran'`" if naive else "times with the offset `+03:30`"
    return "\n".join([
        BEGIN,
        f"Measured {time.strftime('%Y-%m-%d', time.gmtime())} on {host}.",
        "",
        f"Export: {info['rows']:,} orders ({info['orders_mb']:.0f} MB, {stamp}, totals in major units"
        f"{', an extra free-text column' if info['extra'] else ''}"
        f"{', every text in quotes' if quote_all else ''}) and "
        f"{info['customers']:,} customers ({info['customers_mb']:.1f} MB); {rounds} interleaved rounds, "
        f"each method in a fresh process.",
        "",
        table(results),
        END,
    ])


def write_docs(text: str, path: Path = DOCS) -> None:
    """Put ``text`` (markers included) in place of the previous result, or at the end the first time."""
    doc = path.read_text()
    if BEGIN in doc and END in doc:
        doc = doc[:doc.index(BEGIN)] + text + doc[doc.index(END) + len(END):]
    else:
        doc = doc.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(doc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, help="orders in the export (default 1,000,000; 20,000 with --quick)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 5; 1 with --quick)")
    parser.add_argument("--naive", action="store_true", help="times without offset, with a declared time zone")
    parser.add_argument("--quote-all", action="store_true", help="every text in double quotes, not only where needed")
    parser.add_argument("--quick", action="store_true", help="a smoke test: small export, one round, no docs")
    parser.add_argument("--no-docs", action="store_true", help="print the table only")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--truth", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, Path(args.folder), args.naive, json.loads(args.truth))))
        return 0
    rows = args.rows or (20_000 if args.quick else 1_000_000)
    rounds = args.rounds or (1 if args.quick else 5)
    host = machine()
    print(host, flush=True)
    results, info = measure(rows, rounds, args.naive, args.quote_all)
    text = report(results, info, rounds, args.naive, host, args.quote_all)
    print(text)
    if not (args.quick or args.no_docs):
        write_docs(text)
        print(f"written to {DOCS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
