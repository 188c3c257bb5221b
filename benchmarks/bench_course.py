"""Benchmark: how long each lesson and exercise notebook takes under papermill.

The lesson issues ask for every lesson to execute in under 20 seconds on 2 cores. Run
``python benchmarks/bench_course.py`` from the repository root: notebooks run one at a
time (so each time is its own), and a Markdown table is printed for docs/benchmarks.md.
"""

from __future__ import annotations

import os
import platform
import tempfile

from crmlab.runner import course_jobs, run_jobs

BUDGET_SECONDS = 20.0


def main() -> int:
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores\n")
    print("| notebook | mode | seconds | within 20 s |")
    print("|---|---|---:|---|")
    with tempfile.TemporaryDirectory() as out:
        results = run_jobs(course_jobs(), out_dir=out, jobs_at_once=1, echo=lambda _: None)
    for r in results:
        verdict = "yes" if r.ok and r.seconds < BUDGET_SECONDS else (r.verdict if not r.ok else "no")
        print(f"| `{r.notebook.as_posix()}` | {r.mode} | {r.seconds:.1f} | {verdict} |")
    return 0 if all(r.ok and r.seconds < BUDGET_SECONDS for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
