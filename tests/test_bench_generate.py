"""benchmarks/bench_generate.py: its peer reads back the same tables, its size table adds up."""

from __future__ import annotations

import bench_generate  # benchmarks/ is on pytest's pythonpath (pyproject.toml)
import pandas as pd

from crmlab.datasets import generate_crm


def test_the_tables_read_back_have_the_generated_digest(tmp_path, monkeypatch):
    monkeypatch.setattr(bench_generate, "DATA", tmp_path)
    monkeypatch.setattr(bench_generate, "SEED", 7)
    made = bench_generate.digest("generate_crm", bench_generate.prepare(300)())
    read = bench_generate.digest("generate_crm", bench_generate.read_back(300)())
    assert (tmp_path / "crm-300-7" / "orders.parquet").exists()
    assert read.split("|")[0] == made.split("|")[0]  # every table, value and type, as generated
    other = bench_generate.digest("generate_crm", generate_crm(300, seed=8))
    assert other.split("|")[0] != made.split("|")[0]  # the digest sees the tables


def test_the_sizes_add_up_to_what_pandas_counts(monkeypatch):
    monkeypatch.setattr(bench_generate, "SEED", 3)
    kinds = bench_generate.sizes(400)
    crm = generate_crm(400, seed=3)
    columns = [df[c] for df in crm.values() for c in df.columns]
    assert sum(k[0] for k in kinds.values()) == len(columns)
    held = sum(df.memory_usage(deep=True, index=False).sum() for df in crm.values())
    assert sum(k[1] for k in kinds.values()) == held
    texts = [c for c in columns if c.dtype == "str"]
    assert kinds["str"][:2] == (len(texts), sum(t.memory_usage(deep=True, index=False) for t in texts))
    as_category, short = 0, 0
    for t in texts:  # a category column: a code a row (int8 up to 127 categories) and each text once
        labels = pd.Index(t.dropna().unique())
        if t.nunique(dropna=False) > 255:
            as_category += t.memory_usage(deep=True, index=False)
        else:
            as_category += len(t) * (1 if len(labels) <= 127 else 2) + labels.memory_usage(deep=True)
            short += 1
    assert short > 20 and kinds["str"][2] < kinds["str"][1]
    assert abs(kinds["str"][2] - as_category) <= 8 * short  # Arrow's padding of the labels: a few bytes a column
    assert all(k[1] == k[2] for name, k in kinds.items() if name != "str")
    table = bench_generate.sizes_table(400).splitlines()
    assert table[-1].startswith(f"| all | {len(columns)} |")
