"""Smoke test of benchmarks/bench_load.py: a small run in quick mode, its export and its table."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_load.py"


def _module():
    spec = importlib.util.spec_from_file_location("bench_load", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_load"] = module
    spec.loader.exec_module(module)
    return module


def test_export_matches_its_truth_read_by_python_csv(tmp_path):
    """The truth the crmlab child compares against, recomputed from the bytes with csv, decimal, datetime."""
    bench = _module()
    truth = bench.write_export(tmp_path, 2_000)
    with open(tmp_path / "orders.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    cents = [int(Decimal(r["total"]) * 100) for r in rows]
    assert all(Decimal(r["total"]) * 100 == c for r, c in zip(rows, cents, strict=True))
    utc = [int(dt.datetime.fromisoformat(r["ordered_at"]).timestamp()) for r in rows]
    assert len(rows) == truth["rows"] == 2_000
    assert sum(cents) == truth["cents_sum"]
    assert sum(c * int(r["order_id"]) for c, r in zip(cents, rows, strict=True)) % 1_000_000_007 == truth["cents_hash"]
    assert (utc[0], utc[-1], sum(utc) % 1_000_000_007) == (truth["utc_first"], truth["utc_last"], truth["utc_hash"])
    assert any("," in r["note"] for r in rows)  # some values need quotes
    with open(tmp_path / "customers.csv", newline="", encoding="utf-8") as f:
        customers = {int(r["customer_id"]) for r in csv.DictReader(f)}
    assert {int(r["customer_id"]) for r in rows} <= customers == set(range(1, truth["customers"] + 1))


def test_quick_run_prints_one_row_per_method():
    out = subprocess.run([sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    table = [line for line in out.stdout.splitlines() if line.startswith("| ") and not line.startswith("| method")]
    names = [line.split(" | ")[0].removeprefix("| ") for line in table]
    assert names == _module().methods()
    cells = {name: line.strip(" |").split(" | ")[1:] for name, line in zip(names, table, strict=True)}
    for minimum, median, peak, ratio in cells.values():
        assert 0 < float(minimum) <= float(median)
        assert float(peak.replace(",", "")) > 50  # a Python process with pandas loaded
        assert float(ratio.removesuffix("x")) > 0
    assert min(float(c[3].removesuffix("x")) for n, c in cells.items() if n != "crmlab load_crm") == 1.0
    assert "20,000 orders" in out.stdout and "<!-- bench_load:begin -->" in out.stdout


def test_rerun_replaces_the_previous_result(tmp_path):
    bench = _module()
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## Other\n\nkept\n")
    bench.write_docs(f"{bench.BEGIN}\nfirst\n{bench.END}", doc)
    bench.write_docs(f"{bench.BEGIN}\nsecond\n{bench.END}", doc)
    text = doc.read_text()
    assert text.count(bench.BEGIN) == 1 and "second" in text and "first" not in text and "kept" in text
