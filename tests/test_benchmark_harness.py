"""The benchmark harness: ratios, digests and rounds computed as documented, cases run in their own process."""

from __future__ import annotations

import sys

import harness  # benchmarks/ is on pytest's pythonpath (pyproject.toml)
import pytest


def _result(tool, seconds, digests, size=10, figure="F"):
    r = harness.Result("m", figure, tool, size, seconds=list(seconds), peak_mb=[100.0, 120.0][: len(seconds)])
    r.digests = set(digests)
    return r


def test_the_table_gives_min_median_ratio_and_agreement():
    rows = [_result("crmlab", [2.0, 1.0, 3.0], {"a|x"}), _result("peer", [4.0, 5.0], {"a|y"}),
            _result("wrong", [0.5], {"b|z"}), _result("flaky", [1.5, 1.6], {"a|1", "a|2"})]  # fmt: skip
    lines = harness.table(rows, 3).splitlines()[2:]
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    assert cells[0][2:] == ["crmlab", "1.00 s", "2.00 s", "120 MB", "1.00x", "stable across rounds"]
    assert cells[1][2:] == ["peer", "4.00 s", "4.50 s", "120 MB", "4.00x", "yes"]  # 4.0 / 1.0; same rounded digest
    assert cells[2][5:] == ["100 MB", "0.50x", "no"]
    assert cells[3][-1] == "differs between rounds"


def test_a_failed_case_is_a_row_that_says_why():
    failed = harness.Result("m", "F", "peer", 10, error="MemoryError")
    out = harness.table([_result("crmlab", [1.0], set()), failed], 1)
    assert "| F | 10 | peer | failed: MemoryError |" in out


def test_plan_and_a_real_case_in_its_own_process():
    planned = harness.plan(["bench_course"], figures=["import (fresh interpreter)"])
    assert [r.tool for r in planned] == ["crmlab", "pandas", "Python alone"]
    got = harness.run_case("bench_course", "import (fresh interpreter)", "Python alone", 1)
    assert 0 < got["seconds"] < 10 and got["peak_mb"] > 1
    bad = harness.run_case("bench_course", "no such figure", "crmlab", 1)
    assert "KeyError" in bad["error"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the memory cap is Linux-only")
def test_a_capped_case_that_needs_more_fails_and_says_so(tmp_path):
    measured = harness.measure([harness.Result("bench_course", "import (fresh interpreter)", "pandas", 1,
                                               cap_gb=0.05)], rounds=1, progress=False)  # fmt: skip
    assert measured[0].error and not measured[0].seconds
