"""Benchmark: ``make test`` itself -- ruff, ``nbstripout --verify`` and the whole pytest suite.

Issue 14's target: ``make test`` under 5 minutes on 2 cores, the browser and Spark suites
included. The case is ``make test`` in this checkout, once installed (the install is not timed:
its stamps are up to date, so make runs only the checks). Its peer is the same command with
pytest-xdist's default order of files, by their number of tests (``--loadscope-reorder``), the
order before ``tests/conftest.py`` put the slowest files first. Each takes about 5 minutes on
2 cores, so each runs once, without a warm-up call.

Run with the others by ``make benchmark`` (``benchmarks/run.py``), or alone:
``python benchmarks/harness.py bench_tests --rounds 1``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
XDIST_ORDER = "-n auto --maxprocesses=4 --dist loadfile --loadscope-reorder"


def _make_test(parallel: str | None = None):
    """``make test`` (with ``PARALLEL=parallel`` when given); a failing suite fails the case."""
    more = [f"PARALLEL={parallel}"] if parallel else []

    def prepare(size: int):
        return lambda: subprocess.run(["make", "-s", "test", *more], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)

    return prepare


FIGURES = {
    "make test (the whole suite)": {
        "sizes": (1,),
        "unit": "suite",
        "in_child": True,
        "warmup": False,
        "rounds": 1,
        "tools": {"crmlab": _make_test(), "xdist's order of files": _make_test(XDIST_ORDER)},
    },
}
