"""Benchmark: ``crmlab grade`` on 100 small hand-ins against a plain papermill run of the same notebooks.

Run ``python benchmarks/bench_grading.py [--submissions N] [--workers W] [--quick] [--no-docs]``.
It writes N hand-in zips (``make_handin``, one learner each) holding one small exercise notebook
of lesson 00: the opening cell, the practice company, a first question answered right or wrong
and two quiz answers, varied by learner. Then, each in a fresh process:

- **crmlab grade**: :func:`crmlab.classroom.grading.grade` on the folder of zips (checking and
  unpacking them, a sandbox per kernel, W workers);
- **plain papermill**: the same notebooks, already unpacked, each through
  ``papermill.execute_notebook`` in a pool of W processes, with nothing around it but a fresh
  progress folder per notebook (``CRMLAB_PROGRESS_DIR``), so its checks can be compared.

Each row gives the wall time of the whole run, the median time per notebook (as each run
measures it: kernel start to kernel end) and the peak memory of the whole process tree (resident
memory of every process of the run summed, sampled every 0.1 s), and the ratios to papermill.
The status of every check must be the same in both runs (papermill is the oracle) and every
grade verdict ``ok``, or the script fails. The table replaces the text between the markers in
``docs/benchmarks.md`` unless ``--quick`` (6 hand-ins) or ``--no-docs`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import psutil
from nbformat.v4 import new_code_cell, new_notebook

DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench_grading:begin -->", "<!-- bench_grading:end -->"
NOTEBOOK = "00_welcome_exercises.ipynb"


# -- the submissions --------------------------------------------------------------------------


def cells(i: int) -> list[str]:
    """Learner ``i``'s answers: q1 right two times in three, quiz answers cycling through the options."""
    q1 = 'completed["customer_id"].nunique()' if i % 3 else "len(completed)"
    return [
        'import crmlab\nfrom crmlab.exercises import lesson\nex = lesson("00_welcome")',
        'crm = crmlab.practice_crm()\ncompleted = crm.orders[crm.orders["status"] == "completed"]',
        f"n_buyers = {q1}\nex.q1.check(n_buyers)",
        f'ex.quiz("q4", answer="{"abc"[i % 3]}")',
        f'ex.quiz("q7", answer="{"ab"[i % 2]}")',
    ]


def write_submissions(folder: Path, plain: Path, n: int) -> None:
    """``n`` hand-in zips in ``folder``, and their notebooks unpacked in ``plain/<learner>.ipynb``."""
    from crmlab.classroom.handin import make_handin
    from crmlab.exercises import set_learner_name

    folder.mkdir()
    plain.mkdir()
    for i in range(n):
        work = folder.parent / "work" / f"{i:03d}"
        nb = new_notebook(cells=[new_code_cell(c) for c in cells(i)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        (work / "exercises").mkdir(parents=True)
        nbformat.write(nb, work / "exercises" / NOTEBOOK)
        nbformat.write(nb, plain / f"Learner {i:03d}.ipynb")
        set_learner_name(f"Learner {i:03d}", directory=work / "progress")
        make_handin(folder, notebooks=work / "exercises", progress=work / "progress",
                    now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # fmt: skip


# -- the two runs, each in a child process ----------------------------------------------------


def run_grade(folder: Path, workers: int) -> dict:
    from crmlab.classroom.grading import grade

    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        table = grade(folder, out, workers=workers)
    wall = time.perf_counter() - start
    notebooks = table[table["verdict"].notna()]
    questions = table[table["question"].notna()]
    statuses = {f"{r.learner}/{r.question}": [r.status, int(r.checks)] for r in questions.itertuples()}
    return {"wall": wall, "seconds": notebooks["seconds"].tolist(), "verdicts": notebooks["verdict"].tolist(),
            "isolation": table.attrs["isolation"], "statuses": statuses}  # fmt: skip


def _papermill_one(path: str) -> tuple[str, float, dict]:
    """One notebook through plain papermill, with its own progress folder; its time and last statuses."""
    import papermill as pm

    from crmlab.exercises import ProgressLog

    with tempfile.TemporaryDirectory() as progress, tempfile.TemporaryDirectory() as out:
        os.environ["CRMLAB_PROGRESS_DIR"] = progress
        start = time.perf_counter()
        pm.execute_notebook(path, os.path.join(out, "out.ipynb"), kernel_name="python3", progress_bar=False)
        seconds = time.perf_counter() - start
        statuses: dict[str, list] = {}
        for event in ProgressLog(progress).read("00_welcome").events:
            if event["event"] in ("check", "quiz"):
                previous = statuses.get(event["question"], [None, 0])
                statuses[event["question"]] = [event["status"], previous[1] + 1]
    return Path(path).stem, seconds, statuses


def run_papermill(plain: Path, workers: int) -> dict:
    from concurrent.futures import ProcessPoolExecutor

    paths = sorted(str(p) for p in plain.glob("*.ipynb"))
    start = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(_papermill_one, paths))
    wall = time.perf_counter() - start
    statuses = {f"{learner}/{q}": s for learner, _, found in results for q, s in found.items()}
    return {"wall": wall, "seconds": [s for _, s, _ in results], "statuses": statuses}


def measure(kind: str, path: Path, workers: int) -> dict:
    """Run ``kind`` in a fresh process while summing the resident memory of its whole process tree."""
    command = [sys.executable, __file__, "--child", kind, "--path", str(path), "--workers", str(workers)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, done = [0], threading.Event()

    def sample() -> None:
        root = psutil.Process(child.pid)
        while not done.wait(0.1):
            try:
                family = [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
            total = 0
            for process in family:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass
            peak[0] = max(peak[0], total)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    done.set()
    sampler.join()
    if child.returncode:
        raise SystemExit(f"{kind} failed:\n{err[-3000:]}")
    return {**json.loads(out.splitlines()[-1]), "peak_mb": peak[0] / 2**20}


# -- the report -------------------------------------------------------------------------------


def check(grade: dict, baseline: dict) -> None:
    bad = [v for v in grade["verdicts"] if v != "ok"]
    if bad:
        raise SystemExit(f"{len(bad)} notebook(s) were not ok under crmlab grade: {sorted(set(bad))}")
    if grade["statuses"] != baseline["statuses"]:
        differ = sorted(k for k in grade["statuses"].keys() | baseline["statuses"].keys()
                        if grade["statuses"].get(k) != baseline["statuses"].get(k))  # fmt: skip
        raise SystemExit(f"crmlab grade and papermill disagree on {len(differ)} check(s), e.g. {differ[:5]}")


def table(grade: dict, baseline: dict) -> str:
    rows = [("crmlab grade", grade), ("plain papermill", baseline)]
    lines = ["| run | wall (s) | median per notebook (s) | peak memory (MB) | wall / papermill | "
             "median / papermill | peak / papermill |", "|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    base_median = statistics.median(baseline["seconds"])
    for name, r in rows:
        median = statistics.median(r["seconds"])
        lines.append(f"| {name} | {r['wall']:.1f} | {median:.2f} | {r['peak_mb']:,.0f} | "
                     f"{r['wall'] / baseline['wall']:.2f}x | {median / base_median:.2f}x | "
                     f"{r['peak_mb'] / baseline['peak_mb']:.2f}x |")  # fmt: skip
    return "\n".join(lines)


def machine() -> str:
    from importlib.metadata import version

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    pkgs = ", ".join(f"{p} {version(p)}" for p in ("papermill", "nbclient", "ipykernel", "pandas"))
    return (f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; {pkgs}; "
            f"load average {load:.1f} at the start")  # fmt: skip


def report(grade: dict, baseline: dict, n: int, workers: int, host: str) -> str:
    checks = sum(s[1] for s in grade["statuses"].values())
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return "\n".join([
        BEGIN,
        f"Measured {time.strftime('%Y-%m-%d', time.gmtime())} on {host}, {load:.1f} at the end.",
        "",
        f"{n} hand-ins, one notebook each ({checks} checks in all), {workers} at a time in both runs; "
        f"crmlab grade with isolation `{grade['isolation']}`. Every verdict `ok`, every check's status and "
        "count equal to papermill's.",
        "",
        table(grade, baseline),
        END,
    ])  # fmt: skip


def write_docs(text: str, path: Path = DOCS) -> None:
    """Put ``text`` (markers included) in place of the previous result, or at the end the first time."""
    doc = path.read_text()
    if BEGIN in doc and END in doc:
        doc = doc[: doc.index(BEGIN)] + text + doc[doc.index(END) + len(END) :]
    else:
        doc = doc.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(doc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, help="hand-ins to grade (default 100; 6 with --quick)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="notebooks at once (default: CPUs)")
    parser.add_argument("--quick", action="store_true", help="a smoke test: 6 hand-ins, no docs")
    parser.add_argument("--no-docs", action="store_true", help="print the table only")
    parser.add_argument("--child", choices=["grade", "papermill"], help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run = run_grade if args.child == "grade" else run_papermill
        print(json.dumps(run(Path(args.path), args.workers)))
        return 0
    n = args.submissions or (6 if args.quick else 100)
    host = machine()
    print(host, flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_grading_") as tmp:
        folder, plain = Path(tmp) / "handins", Path(tmp) / "plain"
        write_submissions(folder, plain, n)
        baseline = measure("papermill", plain, args.workers)
        grade = measure("grade", folder, args.workers)
    check(grade, baseline)
    text = report(grade, baseline, n, args.workers, host)
    print(text)
    if not (args.quick or args.no_docs):
        write_docs(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
