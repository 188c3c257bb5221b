"""The benchmark harness: each case timed in its own process, in interleaved rounds, with its peak memory.

A benchmark module (``bench_*.py`` beside this file) declares its cases in ``FIGURES``::

    FIGURES = {
        "RFM summary": {                      # one figure: one row group of the table
            "sizes": (100_000, 1_000_000, 10_000_000),
            "unit": "rows",
            "tools": {"crmlab": prepare_crmlab, "DuckDB SQL": prepare_duckdb, ...},
        },
    }

``prepare(size)`` builds the input (not timed) and returns a function of no arguments, the
work that is timed. A figure's ``"memory_cap_gb"`` runs its children under that limit on
their address space (``RLIMIT_AS``; a child that needs more fails, and the table says so).
The work is called once untimed first (unless the figure says ``"warmup": False``): in a
fresh process the first touch of memory costs more than the work on some virtual machines
(measured here: 4.5 s of system time for an RFM summary whose second call takes 0.6 s),
while in a notebook the kernel has touched its memory long before.
Its return value may be passed to the module's optional
``digest(figure, value) -> str``: the table says whether crmlab's digest was the same in every
round (the whole string) and whether each peer's agrees with crmlab's (the part before the
first ``|``, so a digest can be "rounded|exact").

Why by hand: pytest-benchmark and asv time functions inside one process, so a case's peak
memory includes every earlier case's and an import done by one tool is free for the next;
here each (figure, tool, size, round) runs in a fresh interpreter, and rounds interleave the
tools so a slow minute of the machine hits all of them alike. Peak memory is the process's
resident high-water mark (``VmHWM``), reset after the input is built (Linux
``/proc/self/clear_refs``), so it counts what the timed work adds on top of its input plus the
input itself; elsewhere it is ``ru_maxrss`` for the whole child.

Run a module alone with ``python benchmarks/harness.py bench_rfm [--sizes 100000 ...]``;
``benchmarks/run.py`` (``make benchmark``) runs them all into one table.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHILD_TIMEOUT = 1800


@dataclass
class Result:
    module: str
    figure: str
    tool: str
    size: int
    cap_gb: float | None = None
    rounds: int | None = None
    in_child: bool = False  # the work runs in a process of its own: its memory is not the case's
    seconds: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    digests: set[str] = field(default_factory=set)
    error: str | None = None

    @property
    def best(self) -> float:
        return min(self.seconds) if self.seconds else float("nan")

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")


def _peak_reset() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_mb(reset_worked: bool) -> float:
    if reset_worked:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale / 1024


def child(module: str, figure: str, tool: str, size: int) -> dict:
    """Run one case in this process (called in a fresh interpreter) and return its measures."""
    sys.path.insert(0, str(HERE))
    mod = importlib.import_module(module)
    spec = mod.FIGURES[figure]
    work = spec["tools"][tool](size)
    import gc

    if spec.get("warmup", True):  # once untimed: the memory a long-lived kernel has touched before
        work()
    gc.collect()
    reset = _peak_reset()
    start = time.perf_counter()
    value = work()
    seconds = time.perf_counter() - start
    peak = _peak_mb(reset)
    digest = mod.digest(figure, value) if hasattr(mod, "digest") and value is not None else None
    return {"seconds": seconds, "peak_mb": peak, "digest": digest}


CGROUP_V1 = Path("/sys/fs/cgroup/memory")
CGROUP_V2 = Path("/sys/fs/cgroup")


def _memory_group(gb: float) -> Path | None:
    """A cgroup limiting resident memory to ``gb`` (v1 or v2, where this user may make one), else None."""
    limit = str(int(gb * 2**30))
    for parent, setting in ((CGROUP_V1, "memory.limit_in_bytes"), (CGROUP_V2, "memory.max")):
        group = parent / f"crmlab-bench-{os.getpid()}"
        try:
            group.mkdir(exist_ok=True)
            (group / setting).write_text(limit)
            if parent == CGROUP_V1 and (group / "memory.memsw.limit_in_bytes").exists():
                (group / "memory.memsw.limit_in_bytes").write_text(limit)  # no escape into swap
            return group
        except OSError:
            try:
                group.rmdir()
            except OSError:
                pass
    return None


def _cap(gb: float | None):
    """A ``preexec_fn`` capping the child's memory at ``gb``: its resident memory in a cgroup where one
    can be made (the cap a container or a laptop's memory imposes), else its address space
    (``RLIMIT_AS``, stricter: reserved but untouched memory counts too). None: no cap."""
    if gb is None or not sys.platform.startswith("linux"):
        return None
    group = _memory_group(gb)
    if group is not None:
        return lambda: (group / "cgroup.procs").write_text(str(os.getpid()))
    limit = int(gb * 2**30)
    return lambda: resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def cap_kind(gb: float) -> str:
    group = _memory_group(gb)
    if group is None:
        return "address space (RLIMIT_AS)"
    group.rmdir()
    return "resident memory (cgroup)"


def run_case(module: str, figure: str, tool: str, size: int, cap_gb: float | None = None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", module, figure, tool, str(size)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=CHILD_TIMEOUT, cwd=HERE.parent,
                             preexec_fn=_cap(cap_gb))  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {CHILD_TIMEOUT} s"}
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or [f"exit status {out.returncode}"])[-1]
        return {"error": last[:200]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def plan(modules: list[str], sizes: list[int] | None = None, figures: list[str] | None = None) -> list[Result]:
    """Every (module, figure, tool, size) to measure, in the table's order."""
    sys.path.insert(0, str(HERE))
    results = []
    for module in modules:
        mod = importlib.import_module(module)
        for figure, spec in mod.FIGURES.items():
            if figures and figure not in figures:
                continue
            for size in spec["sizes"]:
                if sizes and size not in sizes:
                    continue
                for tool in spec["tools"]:
                    if tool in spec.get("skip", {}).get(size, ()):
                        continue
                    results.append(Result(module, figure, tool, size, spec.get("memory_cap_gb"), spec.get("rounds"),
                                          spec.get("in_child", False)))
    return results


def measure(results: list[Result], rounds: int, progress: bool = True) -> list[Result]:
    """Interleaved rounds: round 1 of every case, then round 2 of every case ..."""
    from tqdm import tqdm

    total = sum(min(rounds, r.rounds or rounds) for r in results)
    bar = tqdm(total=total, desc="benchmarks", unit="case", disable=not progress)
    for number in range(rounds):
        for r in results:
            if r.rounds is not None and number >= r.rounds:
                continue
            if r.error:
                bar.update()
                continue
            bar.set_postfix_str(f"{r.figure} · {r.tool} · {r.size:,}")
            got = run_case(r.module, r.figure, r.tool, r.size, r.cap_gb)
            if "error" in got:
                r.error = got["error"]
            else:
                r.seconds.append(got["seconds"])
                r.peak_mb.append(got["peak_mb"])
                if got.get("digest") is not None:
                    r.digests.add(got["digest"])
            bar.update()
    bar.close()
    for parent in (CGROUP_V1, CGROUP_V2):  # the memory caps' groups, empty now
        try:
            (parent / f"crmlab-bench-{os.getpid()}").rmdir()
        except OSError:
            pass
    return results


def _seconds(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def table(results: list[Result], rounds: int) -> str:
    """A Markdown table: per figure and size, each tool's min, median, peak memory and ratio to crmlab."""
    lines = ["| figure | size | tool | min | median | peak memory | time / crmlab's | same result |",
             "|---|---:|---|---:|---:|---:|---:|---|"]
    groups: dict[tuple[str, int], list[Result]] = {}
    for r in results:
        groups.setdefault((r.figure, r.size), []).append(r)
    for (figure, size), rows in groups.items():
        if rows[0].cap_gb:
            figure = f"{figure} (memory capped at {rows[0].cap_gb:g} GB)"
        ours = next((r for r in rows if r.tool.startswith("crmlab")), None)
        reference = next(iter(ours.digests), None) if ours and len(ours.digests) == 1 else None
        for r in rows:
            if r.error:
                lines.append(f"| {figure} | {size:,} | {r.tool} | failed: {r.error} | | | | |")
                continue
            ratio = f"{r.best / ours.best:.2f}x" if ours and ours.seconds else ""
            if not r.digests:
                same = ""
            elif len(r.digests) > 1:
                same = "differs between rounds"
            elif r is ours:
                same = "stable across rounds"
            else:
                same = "yes" if reference.split("|")[0] == next(iter(r.digests)).split("|")[0] else "no"
            memory = "—" if r.in_child else f"{max(r.peak_mb):,.0f} MB"
            lines.append(f"| {figure} | {size:,} | {r.tool} | {_seconds(r.best)} | {_seconds(r.median)} | "
                         f"{memory} | {ratio} | {same} |")
    return "\n".join(lines)


def machine() -> str:
    """One line naming the machine and the versions that matter."""
    from importlib.metadata import PackageNotFoundError, version

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        mem = float("nan")
    versions = []
    for name in ("numpy", "pandas", "pyarrow", "duckdb", "polars", "lifetimes", "scipy"):
        try:
            versions.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            pass
    return (f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GB RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}; " + ", ".join(versions))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="benchmark modules, e.g. bench_rfm")
    parser.add_argument("--child", nargs=4, metavar=("MODULE", "FIGURE", "TOOL", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--sizes", nargs="*", type=int)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if args.child:
        module, figure, tool, size = args.child
        print(json.dumps(child(module, figure, tool, int(size))))
        return 0
    results = measure(plan(args.modules, args.sizes), args.rounds)
    print(machine() + "\n")
    print(table(results, args.rounds))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
