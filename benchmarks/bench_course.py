"""Benchmark: start-up and the course itself -- ``import crmlab``, ``make course``.

Issue 14's targets: ``import crmlab`` under 0.3 s (pandas alone took 0.25 s on the reference
machine), ``make course`` under 60 s on 2 cores. ``import`` is timed as a fresh interpreter
running ``python -c "import X"`` (so Python's own start-up, timed alone as a peer, is in every
row); the course is ``crmlab run`` into a temporary folder (every lesson and exercise notebook,
as many at a time as ``make course`` runs: the cores + 2), with its kernels forked from a warm
process (:mod:`crmlab.warm_kernels`); its peers are the same run two at a time, and with
every kernel started cold.

Run with the others by ``make benchmark`` (``benchmarks/run.py``), or alone:
``python benchmarks/harness.py bench_course``. The per-notebook times are printed by
``python benchmarks/bench_course.py --notebooks``.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET_SECONDS = 20.0


def _python(code: str):
    def prepare(size: int):
        return lambda: subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)

    return prepare


def _course(warm: bool, jobs: int | None = None):
    """``crmlab run`` of the whole course; ``warm=False`` starts every kernel cold (``CRMLAB_WARM_KERNELS=off``),
    ``jobs`` notebooks at a time (default: the runner's)."""
    env = {k: v for k, v in os.environ.items() if k != "CRMLAB_WARM_KERNELS"}
    if not warm:
        env["CRMLAB_WARM_KERNELS"] = "off"
    more = ["--jobs", str(jobs)] if jobs else []

    def prepare(size: int):
        def run():
            with tempfile.TemporaryDirectory() as out:
                subprocess.run([str(Path(sys.executable).with_name("crmlab")), "run", "--out", out, *more], check=True,
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL)  # fmt: skip

        return run

    return prepare


course = _course(warm=True)

LESSON_IMPORTS = "import matplotlib.pyplot, pandas, seaborn, sklearn.cluster, crmlab"


def _kernel(warm: bool):
    """Start a kernel, run the lessons' first cell (their imports), shut it down; warm: forked (crmlab.warm_kernels)."""

    def prepare(size: int):
        from jupyter_client.manager import KernelManager

        from crmlab import warm_kernels

        if warm:  # the warm process is started before the timing, as crmlab run starts it once for the course
            _server, path = warm_kernels.start_server(
                {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", warm_kernels.ENV)})
            os.environ[warm_kernels.ENV] = path
        else:
            os.environ[warm_kernels.ENV] = "off"

        def run():
            km = KernelManager(kernel_name="python3")
            km.kernel_spec.metadata["kernel_provisioner"] = {"provisioner_name": warm_kernels.PROVISIONER}
            km.start_kernel(env={k: v for k, v in os.environ.items() if k != "MPLBACKEND"})
            kc = km.client()
            kc.start_channels()
            kc.wait_for_ready(timeout=60)
            reply = kc.execute_interactive(LESSON_IMPORTS, timeout=60)
            kc.stop_channels()
            km.shutdown_kernel(now=True)
            assert reply["content"]["status"] == "ok", reply["content"]

        return run

    return prepare


FIGURES = {
    "import (fresh interpreter)": {
        "sizes": (1,),
        "unit": "import",
        "in_child": True,
        "tools": {"crmlab": _python("import crmlab"), "pandas": _python("import pandas"),
                  "Python alone": _python("pass")},  # fmt: skip
    },
    "kernel start and the lessons' imports": {
        "sizes": (1,),
        "unit": "kernel",
        "in_child": True,
        "tools": {"crmlab": _kernel(warm=True), "cold kernel": _kernel(warm=False)},
    },
    "make course (every notebook)": {
        "sizes": (1,),
        "unit": "course",
        "in_child": True,
        "warmup": False,
        "rounds": 1,
        "tools": {"crmlab": course, "crmlab, 2 at a time": _course(warm=True, jobs=2),
                  "crmlab, cold kernels": _course(warm=False)},
    },
}


def notebooks() -> int:
    """Each notebook alone under papermill, one at a time, against the 20 s budget of the lesson issues."""
    from crmlab.runner import course_jobs, run_jobs

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
    raise SystemExit(notebooks() if "--notebooks" in sys.argv else 0)
