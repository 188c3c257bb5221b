"""Re-execute handed-in exercise notebooks and record every check: ``crmlab grade DIR``.

DIR holds hand-ins (``*.crmlab-handin.zip``, made by ``crmlab handin``; checked and unpacked by
:func:`crmlab.classroom.handin.extract_handin`) and/or plain ``*.ipynb`` notebooks (the learner is
the file's stem). Each notebook runs once, top to bottom, in a worker process of its own
(:func:`crmlab.workers.run_in_workers`: a time limit for the whole notebook, the kernel's process
tree killed at the limit) with a fresh, empty progress folder (``CRMLAB_PROGRESS_DIR``): what its
``ex.qN.check(...)`` calls write there is the record of every check. Nothing the learner's own
progress logs say is used.

``grades.csv`` and ``grades.json`` (in ``--out``, default DIR) hold one row per notebook with its
verdict, and one row per (learner, notebook, lesson, question) with the status of the last check
and the number of checks. Verdicts:

- ``ok``: every code cell ran and nothing raised;
- ``timeout``: the notebook was still running after ``--timeout`` seconds;
- ``memory``: a cell raised ``MemoryError`` (the kernel's address space is limited to ``--memory`` MB);
- ``kernel died``: the kernel process ended during the run (``os._exit``, a signal, a crash);
- ``output too large``: the kernel sent more than ``--max-output`` MB of output; it was stopped;
- ``error in cell N: Name: message``: code cell N raised (``sys.exit`` included);
- ``rejected: reason``: a zip that is not a valid hand-in, or a file that is not a readable notebook;
- ``error in the grader: reason``: the worker running the notebook failed (should not happen).

``detail`` adds where (the cell running at a time limit, the signal that killed a kernel) and
anything odd in the log the run wrote (lines failing their checksum).

What the sandbox prevents, where Linux namespaces are available (checked once per run, by
starting the sandbox; recorded in ``grades.json``):

- the network: the kernel runs in a new, empty network namespace (loopback down), so any
  connection fails at once. Its own messages to the grader go through Unix sockets in its folder.
- changes to files: in a new mount namespace every mount is read-only but the kernel's folder.
- seeing files and sockets: the grader's temporary folder (the other submissions), DIR, ``--out``,
  the homes, ``/tmp``, ``/var/tmp`` and ``/run`` are hidden behind empty read-only folders, and
  only what Python needs inside them (a Python installed in a home) is shown again, read-only.
  Read-only does not stop a ``connect()`` to a Unix socket: hiding those folders keeps the
  usual ones (Docker, D-Bus, tmux, X11, ssh-agent) out of reach. ``/dev`` holds only null,
  zero, full, random, urandom and tty; ``/proc`` and ``/sys`` are read-only.
- other processes: a new PID namespace with its own ``/proc``: the kernel sees and can signal only
  its own processes, and all of them are killed when it ends.
- privileges: the kernel runs as an ordinary user without capabilities, with ``no_new_privs``,
  in a nested user namespace, so it cannot undo any of the above. A grader running as root does
  the mounting as root and runs the kernel as ``nobody``: root's files and devices are not lent.
- resources: ``RLIMIT_AS`` (``--memory``), ``RLIMIT_FSIZE`` (256 MB per file), no core files,
  the time limit, and the output cap: the grader counts the output it receives and refuses any
  single message part over the cap (ZeroMQ drops it unread), so a kernel printing gigabytes
  costs the grader at most about the cap. The working folder, ``HOME`` and ``TMPDIR`` are on a
  private 512 MB tmpfs, and ``/dev/shm`` on a private 64 MB one; both vanish with the kernel.

Not prevented: reading what the sandbox's user may read elsewhere (read-only: the course, Python,
system files such as ``/etc``), and connecting to a Unix socket left in a visible folder; burning
CPU or forking many processes until the time limit (there are no cgroups); writing many files of
up to 256 MB each into the progress folder, which is on disk; and forging checks. A check runs in
the same process as the learner's code, which can write to the progress log directly:
re-execution makes grades reproducible from the notebook, not unforgeable.

Without namespaces (macOS, or Linux that forbids unprivileged user namespaces, e.g. Ubuntu
24.04's default AppArmor policy) only the limits, the output cap and the temporary working copy
remain: the notebook can reach the network and change or delete any file of the grader's user
(as root: any file). The grader says so on stderr and in ``grades.json`` (``"isolation":
"none"``); macOS does not enforce ``RLIMIT_AS`` either. Pass ``--isolation namespaces`` to refuse
to run without them. Windows is not supported: the kernel's sockets are Unix sockets.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import IO, NoReturn

import nbformat
import pandas as pd

from crmlab.classroom.handin import MAX_FILE_BYTES, SUFFIX, HandinError, extract_handin
from crmlab.errors import CrmlabError
from crmlab.exercises.progress_log import ProgressLog, ProgressLogError
from crmlab.exercises.safe_text import cut
from crmlab.export import to_safe_csv
from crmlab.progress_bars import progress_bar
from crmlab.verdicts import (
    code_cells,
    forget_kernel_deaths,
    how_the_kernel_died,
    kernel_manager_class,
    last_started,
    read_executed,
    stopped_early,
    widget_errors,
)
from crmlab.workers import Task, run_in_workers, usable_cores

__all__ = [
    "COLUMNS",
    "DEFAULT_MEMORY_MB",
    "DEFAULT_OUTPUT_MB",
    "DEFAULT_TIMEOUT",
    "ISOLATIONS",
    "GradingError",
    "grade",
    "grade_main",
]

DEFAULT_TIMEOUT = 120.0
"""Seconds a whole notebook may run (``--timeout``)."""
DEFAULT_MEMORY_MB = 1500
"""The kernel's address space in MB (``--memory``); an exercise notebook reserves about 650 MB."""
DEFAULT_OUTPUT_MB = 20
"""Output a kernel may send, in MB (``--max-output``): the size cap of a handed-in notebook."""
ISOLATIONS = ("auto", "namespaces", "none")
_VERDICT_ORDER = ("ok", "error in cell", "memory", "timeout", "kernel died", "output too large", "error",
                  "error in the grader", "rejected")  # fmt: skip
COLUMNS = ["learner", "file", "notebook", "lesson", "question", "status", "checks", "verdict", "detail",
           "seconds"]  # fmt: skip

_FILE_BYTES = 256 * 2**20  # RLIMIT_FSIZE: the largest file the kernel may write
_SCRATCH_BYTES = 512 * 2**20  # the private tmpfs holding the kernel's cwd, HOME and TMPDIR
_MAX_LOGS = 50  # progress logs read per notebook
_HIDDEN = ("/home", "/root", "/tmp", "/var/tmp", "/run", "/var/run")  # and the grader's own folders
_DEVICES = ("null", "zero", "full", "random", "urandom", "tty")  # the kernel's whole /dev (with shm, fd)
# A grader running as root must not lend root's files and devices to the kernel: it runs as nobody.
_SANDBOX_USER = 65534 if hasattr(os, "getuid") and os.getuid() == 0 else None
_ROOT_NOTE = " (root: any file)" if _SANDBOX_USER is not None else ""
_CHECK_EVENTS = ("check", "quiz")
# Passed through to the kernel; everything else of the grader's environment (keys, tokens) is not.
_KEPT_ENV = ("PATH", "LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "TZ", "PYTHONPATH", "VIRTUAL_ENV",
             "PYTHONDONTWRITEBYTECODE", "CRMLAB_DATA", "CRMLAB_API_DUMP", "SYSTEMROOT")  # fmt: skip
# One thread per library and a small allocator footprint: a notebook's address space stays near 650 MB.
# JPY_PARENT_PID=1: the kernel does not watch its parent (PID 1 in its namespace), nor prints a banner.
_KERNEL_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "MALLOC_ARENA_MAX": "2", "ARROW_DEFAULT_MEMORY_POOL": "system", "CRMLAB_CHECK_MODE": "",
               "PYDEVD_DISABLE_FILE_VALIDATION": "1", "JPY_PARENT_PID": "1", "USER": "learner",
               "LOGNAME": "learner"}  # fmt: skip


class GradingError(CrmlabError, ValueError):
    """Grading cannot start (a missing folder, nothing to grade, a bad limit); the message says why."""


@dataclass(frozen=True)
class _Limits:
    timeout: float
    memory_mb: int
    output_mb: float


@dataclass(frozen=True)
class _Sandbox:
    """How kernels are isolated: ``mode`` is ``"namespaces"`` or ``"none"`` (``note`` says why)."""

    mode: str
    note: str = ""
    hide: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()  # inside hidden folders, shown again (read-only)
    seeds: tuple[tuple[str, str], ...] = ()  # (file to copy, path under the kernel's HOME)


@dataclass(frozen=True)
class _Notebook:
    """One notebook to run, or a rejected file (``source`` None, ``problem`` says why)."""

    learner: str
    file: str
    name: str | None
    source: Path | None = None
    problem: str = ""


@dataclass(frozen=True)
class _Outcome:
    verdict: str
    detail: str
    seconds: float
    checks: dict = field(default_factory=dict)  # (lesson, question) -> statuses, oldest first


# --- the command line ---------------------------------------------------------------------------


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def grade_main(argv: Sequence[str] | None = None) -> int:
    """``crmlab grade DIR``: re-execute the notebooks in DIR and write ``grades.csv`` and ``grades.json``.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``grade``.

    Returns
    -------
    int
        0 when every notebook got a verdict; 1 when the grades were written but a file was
        rejected or the grader failed on a notebook; 2 for a usage error (one line on stderr).

    Examples
    --------
    >>> import tempfile
    >>> grade_main([tempfile.mkdtemp()])  # an empty folder: nothing to grade
    2
    """
    parser = _OneLineParser(
        prog="crmlab grade",
        description="Re-execute handed-in notebooks (*.crmlab-handin.zip, *.ipynb) each in its own sandbox and "
        "record every check in grades.csv and grades.json. Exit status: 0 graded, 1 graded but some files "
        "rejected, 2 usage error.",
    )
    parser.add_argument("folder", metavar="DIR", help="the folder of hand-ins and notebooks")
    parser.add_argument("--out", metavar="DIR", help="where to write grades.csv and grades.json (default: DIR)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                        help=f"seconds per notebook (default: {DEFAULT_TIMEOUT:g})")  # fmt: skip
    parser.add_argument("--memory", type=int, default=DEFAULT_MEMORY_MB, metavar="MB",
                        help=f"address space of each kernel (default: {DEFAULT_MEMORY_MB})")  # fmt: skip
    parser.add_argument("--max-output", type=float, default=DEFAULT_OUTPUT_MB, metavar="MB",
                        help=f"output a notebook may print (default: {DEFAULT_OUTPUT_MB})")  # fmt: skip
    parser.add_argument("--workers", type=int, metavar="N", help="notebooks at once (default: CPU count)")
    parser.add_argument("--isolation", choices=ISOLATIONS, default="auto",
                        help="namespaces: refuse to run without them; none: limits only (default: auto)")  # fmt: skip
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--progress", action="store_true",
                       help="a progress bar on stderr even when it is not a terminal (default: only on a terminal)")
    shown.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    progress = False if args.quiet else True if args.progress else None  # None: when stderr is a terminal
    try:
        table = grade(args.folder, args.out, timeout=args.timeout, memory=args.memory, workers=args.workers,
                      max_output=args.max_output, isolation=args.isolation, progress=progress)  # fmt: skip
    except (GradingError, OSError) as exc:
        print(f"crmlab grade: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    out = Path(args.out or args.folder)
    print(_summary(table, time.perf_counter() - started))
    print(f"Grades written to {out / 'grades.csv'} and {out / 'grades.json'}")
    troubles = table["verdict"].fillna("").str.startswith(("rejected", "error in the grader"))
    return 1 if troubles.any() else 0


def _summary(table: pd.DataFrame, seconds: float) -> str:
    """``Ran 3 notebook(s) of 2 learner(s) in 9.1 s: 2 ok, 1 timeout``."""
    rows = table[table["verdict"].notna()]
    kinds = rows["verdict"].str.replace(r"^(error in cell|error in the grader|error|rejected)\b.*$", r"\1", regex=True)
    counts = kinds.value_counts()
    order = [k for k in _VERDICT_ORDER if k in counts.index] + sorted(set(counts.index) - set(_VERDICT_ORDER))
    ran = (kinds != "rejected").sum()
    return (f"Ran {ran} notebook(s) of {rows['learner'].nunique()} learner(s) in {seconds:.1f} s: "
            + ", ".join(f"{counts[k]} {k}" for k in order))  # fmt: skip


# --- grading ------------------------------------------------------------------------------------


def grade(
    folder: str | os.PathLike,
    out: str | os.PathLike | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    memory: int = DEFAULT_MEMORY_MB,
    workers: int | None = None,
    max_output: float = DEFAULT_OUTPUT_MB,
    isolation: str = "auto",
    progress: bool | IO[str] | None = False,
) -> pd.DataFrame:
    """Re-execute every notebook in ``folder``; write and return the grades.

    Parameters
    ----------
    folder : str or Path
        Hand-in zips (``*.crmlab-handin.zip``; any ``*.zip`` is tried) and ``*.ipynb`` files.
    out : str or Path, optional
        Where ``grades.csv`` and ``grades.json`` go (default: ``folder``).
    timeout : float, default 120
        Seconds each notebook may run, kernel start included.
    memory : int, default 1500
        Address space of each kernel, in MB (``RLIMIT_AS``).
    workers : int, optional
        Notebooks run at once; by default the number of CPUs.
    max_output : float, default 20
        MB of output a kernel may send before it is stopped.
    isolation : {"auto", "namespaces", "none"}
        ``auto`` uses Linux namespaces when they work here, and warns when they do not.
    progress : bool, stream or None, default False
        A progress bar (notebooks graded of all, those running, time elapsed and left):
        ``True`` on stderr, a stream to draw it on, ``None`` when stderr is a terminal.

    Returns
    -------
    DataFrame
        :data:`COLUMNS`: a row per notebook (``verdict`` set, ``question`` empty) followed by a
        row per question it checked (``status`` of the last check, ``checks`` made).
        ``attrs["isolation"]`` says how the kernels were isolated.

    Raises
    ------
    GradingError
        When ``folder`` is not a folder or holds nothing to grade, or an argument is out of range.

    Examples
    --------
    Not run here (it starts kernels); ``tests/test_classroom_grading.py`` runs it.

    >>> table = grade("handins", timeout=60)  # doctest: +SKIP
    >>> table[table["verdict"].notna()][["learner", "notebook", "verdict"]]  # doctest: +SKIP
    """
    folder = Path(folder)
    limits = _limits(timeout, memory, max_output)
    workers = _workers(workers)
    if isolation not in ISOLATIONS:
        raise GradingError(f"The value for `isolation` must be one of {list(ISOLATIONS)}, but {isolation!r} "
                           "was passed.")  # fmt: skip
    paths = _submission_files(folder)
    target = Path(out) if out is not None else folder
    _check_out(target)
    root = Path(tempfile.mkdtemp(prefix="crmlab-grade-"))
    try:
        sandbox = _choose_sandbox(isolation, root, folder, target)
        if sandbox.mode != "namespaces":
            print(f"crmlab grade: warning: {sandbox.note}", file=sys.stderr)
        notebooks = _unpack(paths, root)
        outcomes = _run(notebooks, root, limits, sandbox, workers, progress)
    finally:
        _remove_tree(root)
    table = _table(notebooks, outcomes)
    table.attrs["isolation"] = sandbox.mode
    _write(table, target, limits, workers, sandbox)
    return table


def _limits(timeout: float, memory: int, max_output: float) -> _Limits:
    for name, value, low in (("timeout", timeout, 1), ("memory", memory, 200), ("max_output", max_output, 0.01)):
        if not isinstance(value, int | float) or isinstance(value, bool) or not value >= low:
            raise GradingError(f"The value for `{name}` must be a number of at least {low}, but {value!r} "
                               "was passed.")  # fmt: skip
    return _Limits(float(timeout), int(memory), float(max_output))


def _workers(workers: int | None) -> int:
    if workers is None:
        return usable_cores()
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise GradingError(f"The value for `workers` must be a whole number of at least 1, but {workers!r} "
                           "was passed.")  # fmt: skip
    return workers


def _submission_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise GradingError(f"{str(folder)!r} is not a folder. Give the folder holding the hand-ins "
                           "(*.crmlab-handin.zip) or notebooks (*.ipynb), e.g. crmlab grade handins/.")  # fmt: skip
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".zip", ".ipynb"))
    if not paths:
        raise GradingError(f"There is nothing to grade in {str(folder)!r}: no hand-in ({'*' + SUFFIX}) and no "
                           "notebook (*.ipynb). Put the learners' files there.")  # fmt: skip
    return paths


def _check_out(target: Path) -> None:
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GradingError(f"Cannot create the output folder {str(target)!r} ({exc.strerror}); choose "
                           "another with --out DIR.") from None  # fmt: skip
    if not os.access(target, os.W_OK):
        raise GradingError(f"Cannot write to the output folder {str(target)!r}; choose another with --out DIR.")


# --- the submissions ----------------------------------------------------------------------------


def _unpack(paths: list[Path], root: Path) -> list[_Notebook]:
    """Every notebook to run, and every rejected file, in the order of the file names."""
    notebooks = []
    for index, path in enumerate(paths):
        dest = root / f"s{index:04d}"
        dest.mkdir()
        try:
            notebooks += _from_zip(path, dest) if path.suffix.lower() == ".zip" else [_from_ipynb(path, dest)]
        except HandinError as exc:
            notebooks.append(_Notebook(_stem(path), path.name, None, problem=_one_line(str(exc))))
        except Exception as exc:  # noqa: BLE001 - one bad file never stops the batch
            notebooks.append(
                _Notebook(
                    _stem(path),
                    path.name,
                    None,
                    problem=f"could not be read ({type(exc).__name__}: {_one_line(str(exc))})",
                )
            )
    return notebooks


def _stem(path: Path) -> str:
    name = path.name
    return name[: -len(SUFFIX)] if name.endswith(SUFFIX) else path.stem


def _from_zip(path: Path, dest: Path) -> list[_Notebook]:
    handin = extract_handin(path, dest)  # checks members, sizes and every sha256 first
    if not handin.notebooks:
        return [_Notebook(handin.learner, path.name, None, problem="the hand-in holds no notebook to run")]
    return [_checked(_Notebook(handin.learner, path.name, name, dest / "notebooks" / name))
            for name in handin.notebooks]  # fmt: skip


def _from_ipynb(path: Path, dest: Path) -> _Notebook:
    target = dest / "notebooks" / "notebook.ipynb"
    target.parent.mkdir()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a named pipe must not block
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise HandinError("not a regular file")
        chunks, size = [], 0
        while (chunk := os.read(fd, 1 << 20)) and size <= MAX_FILE_BYTES:
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > MAX_FILE_BYTES:
        raise HandinError(f"the notebook is larger than {MAX_FILE_BYTES // 2**20} MB; clear its outputs")
    target.write_bytes(b"".join(chunks))
    return _checked(_Notebook(path.stem, path.name, path.name, target))


def _checked(notebook: _Notebook) -> _Notebook:
    try:
        nbformat.read(notebook.source, as_version=4)
    except Exception as exc:  # noqa: BLE001 - any unreadable notebook is rejected, with the reason
        problem = f"not a readable notebook ({type(exc).__name__}: {_one_line(str(exc))})"
        return _Notebook(notebook.learner, notebook.file, notebook.name, None, problem)
    return notebook


# --- isolation ----------------------------------------------------------------------------------


def _choose_sandbox(isolation: str, root: Path, folder: Path, out: Path) -> _Sandbox:
    if isolation == "none":
        return _Sandbox("none", "--isolation none: notebooks run with time, memory and output limits only; they "
                        f"can reach the network and change or delete files of this user{_ROOT_NOTE}.")  # fmt: skip
    hide, keep = _visibility(root, folder, out)
    sandbox = _Sandbox("namespaces", "", hide, keep, _seeds())
    problem = _namespaces_problem(root, sandbox) if sys.platform == "linux" else f"{sys.platform} has no namespaces"
    if problem and isolation == "namespaces":
        raise GradingError(f"--isolation namespaces, but the sandbox does not work here: {problem}. Allow "
                           "unprivileged user namespaces, or use --isolation auto.")  # fmt: skip
    if problem:
        return _Sandbox("none", f"no sandbox here ({problem}): notebooks run with time, memory and output "
                        "limits only; they can reach the network and change or delete files of this "
                        f"user{_ROOT_NOTE}.")  # fmt: skip
    return sandbox


def _visibility(root: Path, folder: Path, out: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Folders hidden from the kernel, and what Python needs inside them (shown again, read-only).

    Hidden: the grader's temporary folder, DIR, ``--out``, the homes and the folders that hold
    sockets (``/tmp``, ``/run``...): read-only mounts do not stop a ``connect()`` to a Unix socket.
    """
    import crmlab

    hide = {os.path.realpath(p) for p in (root, folder, out, os.path.expanduser("~"), *_HIDDEN)}
    hide = sorted(p for p in hide if p != "/" and os.path.isdir(p))
    needed = [sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable)),
              os.path.dirname(os.path.dirname(crmlab.__file__)), *(p for p in sys.path if p),
              *(os.environ[k] for k in ("CRMLAB_DATA", "CRMLAB_API_DUMP") if os.environ.get(k))]  # fmt: skip
    needed = sorted({os.path.realpath(p) for p in needed if os.path.exists(p)}, key=len)
    keep: list[str] = []
    for path in needed:
        if any(_under(path, h) for h in hide) and not any(_under(path, k) or path == k for k in keep):
            keep.append(path)
    return tuple(hide), tuple(keep)


def _under(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip("/") + "/")


def _seeds() -> tuple[tuple[str, str], ...]:
    """matplotlib's font list, copied into each kernel's HOME (building it takes each kernel 0.5 s)."""
    try:
        import matplotlib

        fonts = sorted(Path(matplotlib.get_cachedir()).glob("fontlist-*.json"))
    except Exception:  # noqa: BLE001 - a missing cache only costs time
        return ()
    return tuple((str(p), f".cache/matplotlib/{p.name}") for p in fonts)


def _namespaces_problem(root: Path, sandbox: _Sandbox) -> str:
    """``""`` when ``sandbox`` works on this machine, else the reason."""
    probe = root / "probe"
    _make_workspace(probe)
    config = _launch_config(probe, _Limits(30, 512, 1), sandbox)
    command = [*_launcher(config), sys.executable, "-c", "pass"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{type(exc).__name__}: {exc}"
    if done.returncode == 0:
        return ""
    return _one_line((done.stderr.strip().splitlines() or [f"exit code {done.returncode}"])[-1])


def _launch_config(ws: Path, limits: _Limits, sandbox: _Sandbox) -> dict:
    box = ws / "box"
    env = {k: os.environ[k] for k in _KEPT_ENV if k in os.environ}
    env.update(_KERNEL_ENV, HOME=str(box / "home"), TMPDIR=str(box / "tmp"),
               CRMLAB_PROGRESS_DIR=str(ws / "progress"))  # fmt: skip
    return {"namespaces": sandbox.mode == "namespaces", "workspace": str(ws), "box": str(box), "env": env,
            "hide": list(sandbox.hide), "keep": list(sandbox.keep), "seeds": [list(s) for s in sandbox.seeds],
            "memory": limits.memory_mb * 2**20, "file_size": _FILE_BYTES, "scratch": _SCRATCH_BYTES,
            "user": _SANDBOX_USER, "connection_file": str(ws / "kernel.json"), "devices": list(_DEVICES),
            "uid": os.getuid() or 1000, "gid": os.getgid() or 1000}  # fmt: skip


def _make_workspace(ws: Path) -> None:
    """The kernel's folder: its progress log, its sockets, the mount point of its tmpfs.

    A grader running as root runs the sandbox as ``nobody``, which must own these.
    """
    for sub in ("progress", "ipc", "box"):
        (ws / sub).mkdir(parents=True)
        if _SANDBOX_USER is not None:
            os.chown(ws / sub, _SANDBOX_USER, _SANDBOX_USER)
    if _SANDBOX_USER is not None:
        os.chown(ws, _SANDBOX_USER, _SANDBOX_USER)


def _launcher(config: dict) -> list[str]:
    return [sys.executable, "-c", _launcher_source(), json.dumps(config)]


# --- running ------------------------------------------------------------------------------------


def _run(notebooks: list[_Notebook], root: Path, limits: _Limits, sandbox: _Sandbox, workers: int,
         progress: bool | IO[str] | None) -> dict[int, _Outcome]:  # fmt: skip
    """Run the notebooks that have a source; their outcomes by index in ``notebooks``."""
    runnable = [i for i, nb in enumerate(notebooks) if nb.source is not None]
    jobs = {i: root / f"j{i:04d}" for i in runnable}
    tasks = [Task((str(notebooks[i].source), str(jobs[i]), limits, sandbox), jobs[i] / "kernel.log")
             for i in runnable]  # fmt: skip
    for job in jobs.values():
        _make_workspace(job / "ws")
    outcomes: dict[int, _Outcome] = {}
    bar = progress_bar(len(tasks), progress, desc="grading", unit="notebook")

    def running() -> list[str]:
        # run_in_workers starts tasks in order as others end: the first unfinished ones are those running
        waiting = [notebooks[i] for i in runnable if i not in outcomes][: max(1, workers)]
        return [f"{nb.learner}: {Path(nb.name or nb.file).stem}" for nb in waiting]

    def lost(k: int, seconds: float, why: str | None) -> _Outcome:
        if why is not None:
            return _Outcome("error in the grader", _one_line(why), seconds)
        executed = read_executed(jobs[runnable[k]] / "executed.ipynb")
        where = last_started(executed, "cell {cell} was still running")
        return _Outcome("timeout", f"stopped after {limits.timeout:g} s" + (f": {where}" if where else ""), seconds)

    def finished(k: int, outcome: _Outcome) -> None:
        i = runnable[k]
        checks, notes = _read_checks(jobs[i] / "ws" / "progress")
        detail = "; ".join(filter(None, [outcome.detail, *notes]))
        outcomes[i] = _Outcome(outcome.verdict, detail, outcome.seconds, checks)
        _remove_tree(jobs[i])
        bar.now(running())
        bar.advance()

    with bar:
        bar.now(running())
        run_in_workers(_grade_notebook, tasks, finished, lost, workers, limits.timeout,
                       preload=["papermill", "crmlab.papermill_engine", __name__])  # fmt: skip
    return outcomes


def _grade_notebook(source: str, job: str, limits: _Limits, sandbox: _Sandbox) -> _Outcome:
    """In a worker process: run one notebook in its sandbox and give its verdict."""
    import papermill as pm

    start = time.perf_counter()
    ws, output = Path(job) / "ws", Path(job) / "executed.ipynb"
    sent = {"bytes": 0, "too_large": False, "done": False}
    cap = int(limits.output_mb * 2**20)
    launcher = _launcher(_launch_config(ws, limits, sandbox))
    forget_kernel_deaths()
    failure: BaseException | None = None
    try:
        pm.execute_notebook(
            source, str(output), kernel_name="python3", progress_bar=False, log_output=False,
            engine_name=_output_capped_engine(cap, sent),
            kernel_manager_class=_sandboxed_kernel_manager(launcher, ws, max_message=cap + 2**20),
        )  # fmt: skip
    except Exception as exc:  # noqa: BLE001 - every way a run ends is a verdict
        failure = exc
    verdict, detail = _verdict(failure, read_executed(output), sent["too_large"], limits, Path(job) / "kernel.log")
    return _Outcome(verdict, detail, time.perf_counter() - start)


def _verdict(failure: BaseException | None, executed, too_large: bool, limits: _Limits,
             log: Path) -> tuple[str, str]:  # fmt: skip
    """``(verdict, detail)`` of a finished run."""
    from nbclient.exceptions import DeadKernelError

    where = last_started(executed, "in cell {cell}")
    if too_large:
        return "output too large", f"more than {limits.output_mb:g} MB of output {where}".strip()
    if isinstance(failure, DeadKernelError):
        return "kernel died", f"{how_the_kernel_died().strip().strip('()')} {where}".strip()
    cell, ename, evalue = _first_error(executed)
    if not ename:  # papermill saw the error, but the saved copy lacks it
        cell, ename, evalue = _raised_error(failure, executed)
    place = f"in cell {cell}" if cell else where  # where: the cell the run last started, or ""
    if ename and ("MemoryError" in ename or "OutOfMemory" in ename):
        return "memory", " ".join(filter(None, [ename, place, f"(limit {limits.memory_mb} MB)"]))
    if ename:
        what = _one_line(f"{ename}: {evalue}" if evalue else ename)
        return " ".join(filter(None, ["error", place])) + f": {what}", ""
    if failure is not None and "Kernel died before replying" in str(failure):
        return "kernel died", f"it did not start: {_last_line(log)}"
    if failure is not None or executed is None:
        what = f"{type(failure).__name__}: {_one_line(str(failure))}" if failure else "no executed notebook"
        return "error in the grader", what
    problem = stopped_early(executed) or "; ".join(widget_errors(executed))
    return (f"error: {_one_line(problem)}", "") if problem else ("ok", "")


def _raised_error(failure: BaseException | None, executed) -> tuple[int, str, str]:
    """``(cell, ename, evalue)`` of the error papermill raised, or ``(0, "", "")`` for any other failure.

    For a run whose saved copy lacks the error output (seen with a notebook that printed gigabytes
    under the output cap and the memory limit). The cell is the code cell with papermill's execution
    count, 0 when no saved cell has it.
    """
    from papermill.exceptions import PapermillExecutionError

    if not isinstance(failure, PapermillExecutionError):
        return 0, "", ""
    counts = [cell.get("execution_count") for cell in code_cells(executed)] if executed is not None else []
    found = failure.exec_count is not None and failure.exec_count in counts
    cell = counts.index(failure.exec_count) + 1 if found else 0
    return cell, str(failure.ename or ""), str(failure.evalue or "")


def _first_error(executed) -> tuple[int, str, str]:
    """``(cell, ename, evalue)`` of the first error output in a code cell, or ``(0, "", "")``."""
    for number, cell in enumerate(code_cells(executed) if executed is not None else [], start=1):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return number, str(out.get("ename", "")), str(out.get("evalue", ""))
    return 0, "", ""


def _sandboxed_kernel_manager(launcher: list[str], ws: Path, max_message: int):
    """The runner's kernel manager, starting the kernel through the launcher, on Unix sockets in ``ws``.

    Unix sockets reach a kernel inside its own network namespace, and two kernels starting at once
    can never pick the same port. Its clients refuse any message part over ``max_message`` bytes
    (ZeroMQ drops the connection before reading it), so the grader never holds a larger one.
    """
    import zmq.asyncio

    base = kernel_manager_class()

    class SandboxedKernelManager(base):
        def __init__(self, **kw) -> None:
            super().__init__(**kw)
            self.connection_file = str(ws / "kernel.json")
            self.transport = "ipc"
            self.ip = str(ws / "ipc" / "k")

        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            return [*launcher, *super().format_kernel_cmd(extra_arguments)]

        def client(self, **kw):
            context = zmq.asyncio.Context()
            context.setsockopt(zmq.MAXMSGSIZE, max_message)  # for every socket the client opens
            return super().client(context=context, **kw)

    return SandboxedKernelManager


def _output_capped_engine(limit: int, sent: dict) -> str:
    """Register (in this worker) a papermill engine that stops the kernel past ``limit`` bytes of output.

    Every message of the running cell counts, stored or not; past the limit nothing more is
    kept. A single message too large for the client (see :func:`_sandboxed_kernel_manager`) cuts
    the kernel's output connection: a cut while the kernel runs stops it the same way.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import papermill_engines

    from ..papermill_engine import QuickSaveEngine  # its saves between cells are cheap; the last is papermill's

    class CappedClient(PapermillNotebookClient):
        def too_large(self) -> None:
            sent["too_large"] = True
            process = getattr(getattr(self.km, "provisioner", None), "process", None)
            if process is not None:
                with suppress(OSError):
                    process.kill()  # the launcher; the PID namespace takes the kernel with it

        def start_new_kernel_client(self):
            client = super().start_new_kernel_client()
            process = getattr(getattr(self.km, "provisioner", None), "process", None)
            alive = lambda: process is not None and process.poll() is None  # noqa: E731
            _watch_for_cuts(self.kc.iopub_channel.socket, lambda: not sent["done"] and alive(), self.too_large)
            return client

        def papermill_execute_cells(self):
            try:
                super().papermill_execute_cells()
            finally:
                sent["done"] = True  # the connection closes with the kernel from here on

        def process_message(self, msg, cell, cell_index):
            if not sent["too_large"]:
                sent["bytes"] += _text_bytes(msg.get("content"))
                if sent["bytes"] > limit:
                    self.too_large()
            if sent["too_large"]:
                return None
            return super().process_message(msg, cell, cell_index)

    class CappedEngine(QuickSaveEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):  # fmt: skip
            kwargs.pop("input_path", None)
            return CappedClient(nb_man, kernel_name=kernel_name, timeout=execution_timeout,
                                startup_timeout=start_timeout, log_output=log_output, stdout_file=stdout_file,
                                stderr_file=stderr_file, **kwargs).execute()  # fmt: skip

    papermill_engines.register("crmlab-grading", CappedEngine)
    return "crmlab-grading"


def _watch_for_cuts(socket, running: Callable[[], bool], stop: Callable[[], None]) -> None:
    """Call ``stop()`` when ``socket`` loses its peer while ``running()``, from a watching thread.

    The kernel's output socket only loses the kernel when a message is over the size limit, or
    when the kernel ends; half a second later, a kernel still running was cut off for its output.
    """
    import threading

    import zmq
    from zmq.utils.monitor import recv_monitor_message

    address = f"inproc://crmlab-grading-{id(socket)}"
    socket.monitor(address, zmq.EVENT_DISCONNECTED)
    context = zmq.Context.shadow(socket.context.underlying)

    def watch() -> None:
        monitor = context.socket(zmq.PAIR)
        monitor.connect(address)
        while running():
            if monitor.poll(200) and recv_monitor_message(monitor)["event"] == zmq.EVENT_DISCONNECTED:
                time.sleep(0.5)
                if running():
                    stop()
                    break
        monitor.close(linger=0)

    threading.Thread(target=watch, name="crmlab-grading-output", daemon=True).start()


def _text_bytes(value) -> int:
    """Characters of text in a message's content (nested dicts and lists included)."""
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, dict):
            stack += item.values()
        elif isinstance(item, list | tuple):
            stack += item
    return total


# --- reading the checks -------------------------------------------------------------------------


def _read_checks(progress: Path) -> tuple[dict[tuple[str, str], list[str]], list[str]]:
    """The statuses of every check per (lesson, question), oldest first, and notes on odd logs.

    Only regular files are read (a link the notebook left in the folder is not followed), and
    no more than :data:`MAX_FILE_BYTES` in all: a real notebook's logs hold a few kilobytes.
    """
    checks: dict[tuple[str, str], list[str]] = {}
    notes: list[str] = []
    budget = MAX_FILE_BYTES
    try:
        with os.scandir(progress) as entries:
            logs = sorted((e for e in entries if e.name.endswith(".jsonl")), key=lambda e: e.name)
    except OSError:
        return checks, ["its progress folder was deleted during the run"]
    for entry in logs[:_MAX_LOGS]:
        lesson = entry.name[: -len(".jsonl")]
        info = entry.stat(follow_symlinks=False)
        if not stat.S_ISREG(info.st_mode) or info.st_size > budget:
            notes.append(f"{cut(entry.name, 60)} ignored: not a regular file, or over "
                         f"{MAX_FILE_BYTES // 2**20} MB of logs")  # fmt: skip
            continue
        budget -= info.st_size
        try:
            contents = ProgressLog(progress).read(lesson)
        except (ProgressLogError, ValueError) as exc:
            notes.append(f"{cut(entry.name, 60)} unreadable: {_one_line(str(exc))}")
            continue
        for event in contents.events:
            if event.get("event") in _CHECK_EVENTS and isinstance(event.get("status"), str):
                checks.setdefault((lesson, event["question"]), []).append(event["status"])
        if contents.tampered:
            notes.append(f"{contents.tampered} line(s) of {lesson}'s log fail their checksum")
    return checks, notes


# --- the table ----------------------------------------------------------------------------------


def _table(notebooks: list[_Notebook], outcomes: dict[int, _Outcome]) -> pd.DataFrame:
    rows = []
    for i, nb in enumerate(notebooks):
        base = {"learner": nb.learner, "file": nb.file, "notebook": nb.name}
        if nb.source is None:
            rows.append({**base, "checks": 0, "verdict": f"rejected: {nb.problem}"})
            continue
        outcome = outcomes.get(i) or _Outcome("error in the grader", "no result came back", float("nan"))
        total = sum(len(statuses) for statuses in outcome.checks.values())
        rows.append({**base, "checks": total, "verdict": outcome.verdict, "detail": outcome.detail or None,
                     "seconds": round(outcome.seconds, 2)})  # fmt: skip
        for (lesson, question), statuses in sorted(outcome.checks.items(), key=lambda kv: _natural(kv[0])):
            rows.append({**base, "lesson": lesson, "question": question, "status": statuses[-1],
                         "checks": len(statuses)})  # fmt: skip
    table = pd.DataFrame(rows, columns=COLUMNS)
    table["checks"] = table["checks"].astype("int64")
    table["seconds"] = table["seconds"].astype("float64")
    return table


def _natural(key: tuple[str, str]) -> list:
    return [[int(p) if p.isdigit() else p for p in re.split(r"(\d+)", part)] for part in key]


def _write(table: pd.DataFrame, out: Path, limits: _Limits, workers: int, sandbox: _Sandbox) -> None:
    from crmlab import __version__

    to_safe_csv(table, out / "grades.csv")
    meta = {"format": "crmlab-grades", "version": 1, "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "crmlab_version": __version__, "timeout_s": limits.timeout, "memory_mb": limits.memory_mb,
            "max_output_mb": limits.output_mb, "workers": workers, "isolation": sandbox.mode,
            "isolation_note": sandbox.note, "rows": json.loads(table.to_json(orient="records"))}  # fmt: skip
    temp = out / ".grades.json.tmp"
    temp.write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(temp, out / "grades.json")


# --- small helpers ------------------------------------------------------------------------------


def _one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line of printable characters, cut to ``limit``."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return cut(flat, limit)


def _last_line(log: Path) -> str:
    try:
        with open(log, "rb") as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - 4096))
            lines = handle.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return "no log"
    return _one_line(lines[-1]) if lines else "nothing in its log"


def _remove_tree(path: Path) -> None:
    """Remove a job's folder whatever the notebook did to it (folders made unreadable included)."""

    def retry(function, name, _info) -> None:
        parent = os.path.dirname(name)
        with suppress(OSError):
            if not os.path.islink(parent):
                os.chmod(parent, stat.S_IRWXU)
            if not os.path.islink(name) and os.path.isdir(name):
                os.chmod(name, stat.S_IRWXU)
        with suppress(OSError):
            function(name)

    shutil.rmtree(path, onerror=retry)
    if os.path.lexists(path):
        shutil.rmtree(path, ignore_errors=True)


# --- the kernel's launcher: standard library only; its source runs with ``python -c`` -----------


@cache
def _launcher_source() -> str:
    """The launcher as a script: these functions' source, then a call to :func:`_launch`.

    It runs as the kernel's command (before ``python -m ipykernel_launcher ...``), so it must not
    import crmlab or pandas: each kernel would pay for them twice.
    """
    parts = [
        inspect.getsource(f)
        for f in (_launch, _enter_sandbox, _arrange_mounts, _map_ids, _read_only_except, _wait_and_exit)
    ]
    return "import sys\n\n" + "\n\n".join(parts) + "\n_launch(sys.argv[1], sys.argv[2:])\n"


def _launch(config_text: str, kernel: list) -> None:
    """Set the limits, enter the sandbox (if asked), then become the kernel."""
    import json
    import os
    import signal

    config = json.loads(config_text)
    try:
        import resource

        for name, value in (("RLIMIT_AS", config["memory"]), ("RLIMIT_FSIZE", config["file_size"]),
                            ("RLIMIT_CORE", 0)):  # fmt: skip
            try:
                resource.setrlimit(getattr(resource, name), (value, value))
            except (OSError, ValueError):
                if config["namespaces"]:  # Linux takes them all; elsewhere (macOS) they are best effort
                    raise
        if config["namespaces"]:
            _enter_sandbox(config)  # returns only in the kernel's process
        else:
            for sub in ("work", "home", "tmp"):
                os.makedirs(os.path.join(config["box"], sub), exist_ok=True)
        os.chdir(os.path.join(config["box"], "work"))
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execve(kernel[0], kernel, config["env"])
    except (OSError, ImportError, ValueError) as exc:
        sys.stderr.write(f"crmlab grade sandbox: {exc}\n")
        sys.stderr.flush()
        os._exit(70)


def _enter_sandbox(config: dict) -> None:
    """Namespaces and mounts (see the module docstring); returns in the kernel's process only.

    The launcher waits for a process that is PID 1 of the new PID namespace, which waits for the
    kernel: when the kernel ends, PID 1 ends and takes every process the notebook started along.
    """
    import ctypes
    import os
    import signal

    libc = ctypes.CDLL(None, use_errno=True)
    new_ns, new_user, new_net, new_pid, new_ipc = 0x20000, 0x10000000, 0x40000000, 0x20000000, 0x8000000

    def call(result: int, what: str) -> None:
        if result != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"{what}: {os.strerror(err)}")

    def mount(source, target: str, fstype, flags: int, data=None) -> None:
        encode = lambda s: None if s is None else s.encode()  # noqa: E731
        call(libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data)),
             f"mount {target}")  # fmt: skip

    seeds = []
    for source, dest in config["seeds"]:  # read with the grader's rights, before its home is hidden
        try:
            with open(source, "rb") as handle:
                seeds.append((dest, handle.read()))
        except OSError:
            pass
    user, uid, gid = config["user"], os.getuid(), os.getgid()
    if user is None:  # an ordinary grader: a user namespace gives it the right to mount
        call(libc.unshare(new_user | new_ns | new_net | new_pid | new_ipc), "unshare")
        _map_ids(0, uid, gid)
    else:  # a root grader mounts as root; only the kernel becomes nobody, below
        if os.path.exists(config["connection_file"]):
            os.chown(config["connection_file"], user, user)
        call(libc.unshare(new_ns | new_net | new_pid | new_ipc), "unshare")
    _arrange_mounts(config, mount)
    for dest, data in seeds:
        path = os.path.join(config["box"], "home", dest)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(data)
    if user is not None:
        for folder, subs, files in os.walk(config["box"]):
            for name in [folder, *(os.path.join(folder, n) for n in subs + files)]:
                os.chown(name, user, user)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupts are for the kernel
    init = os.fork()
    if init:
        _wait_and_exit(init, mirror=True)
    libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG: die with the launcher
    mount("proc", "/proc", "proc", 2 | 4 | 8)  # nosuid, nodev, noexec: its own processes only
    kernel = os.fork()
    if kernel:
        _wait_and_exit(kernel, mirror=False)
    if user is not None:
        os.setgroups([])
        os.setresgid(user, user, user)
        os.setresuid(user, user, user)
        libc.prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: changing uid made /proc/self root's
    uid, gid = os.getuid(), os.getgid()
    call(libc.unshare(new_user | new_ns), "unshare")  # the mounts made above are now locked
    _map_ids(config["uid"], uid, gid)
    mount(None, "/proc", None, 32 | 4096 | 1 | 2 | 4 | 8)  # read-only too (no sysctl), whoever the user
    call(libc.prctl(38, 1, 0, 0, 0), "prctl")  # PR_SET_NO_NEW_PRIVS


def _arrange_mounts(config: dict, mount) -> None:
    """Everything read-only, then: folders hidden, what Python needs shown again, a minimal /dev,
    the workspace writable, and a private tmpfs for the kernel's cwd, HOME and TMPDIR.
    """
    import os

    read_only, nosuid, nodev, remount, bind, recursive, private = 1, 2, 4, 32, 4096, 1 << 14, 1 << 18
    ws, box = config["workspace"], config["box"]
    mount(None, "/", None, recursive | private)  # nothing mounted here shows outside
    shown = {path: os.open(path, os.O_PATH) for path in [*config["keep"], ws]}
    devices = {name: os.open(f"/dev/{name}", os.O_PATH) for name in config["devices"] if os.path.exists(f"/dev/{name}")}
    _read_only_except(["/proc"], lambda target, flags: mount(None, target, None, remount | bind | read_only | flags))
    covers = []  # tmpfs mounted to hide a folder: read-only once the mount points inside are made

    def hide(path: str) -> None:
        if os.path.isdir(path):  # not when inside a folder hidden already
            mount("tmpfs", path, "tmpfs", nosuid | nodev, "size=64k,mode=755")
            covers.append(path)

    def show(path: str, flags: int) -> None:
        if os.path.isdir(f"/proc/self/fd/{shown[path]}"):
            os.makedirs(path, exist_ok=True)  # inside a hiding tmpfs
        elif not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "w").close()  # a mount point for a file
        mount(f"/proc/self/fd/{shown[path]}", path, None, bind | flags)  # read-only, as its source now is
        os.close(shown[path])

    in_kept = lambda path: any(path.startswith(k.rstrip("/") + "/") for k in config["keep"])  # noqa: E731
    hidden = sorted(config["hide"], key=len)
    for path in [p for p in hidden if not in_kept(p)]:
        hide(path)
    for path in sorted(config["keep"], key=len):
        show(path, recursive)
    for path in [p for p in hidden if in_kept(p)]:  # e.g. DIR inside the course folder shown for crmlab
        hide(path)
    show(ws, 0)  # last: nothing covers it
    mount(None, ws, None, remount | bind | nosuid | nodev)  # the one writable folder
    hide("/dev")  # harmless devices only
    for name, handle in devices.items():
        open(f"/dev/{name}", "w").close()
        mount(f"/proc/self/fd/{handle}", f"/dev/{name}", None, bind)
        os.close(handle)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):  # fmt: skip
        os.symlink(target, f"/dev/{name}")
    os.mkdir("/dev/shm")
    for path in covers:
        mount(None, path, None, remount | bind | read_only | nosuid | nodev)
    owner = "" if config["user"] is None else f",uid={config['user']},gid={config['user']}"
    mount("tmpfs", box, "tmpfs", nosuid | nodev, f"size={config['scratch']},mode=700{owner}")
    for sub in ("work", "home", "tmp"):
        os.mkdir(os.path.join(box, sub))
    mount("tmpfs", "/dev/shm", "tmpfs", nosuid | nodev, "size=64m")


def _map_ids(inside: int, uid: int, gid: int) -> None:
    """Map one user and group id in a new user namespace: ``inside`` is ``uid``/``gid`` outside."""
    for name, text in (("setgroups", "deny"), ("uid_map", f"{inside} {uid} 1"), ("gid_map", f"{inside} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as handle:
            handle.write(text)


def _read_only_except(writable: list, remount) -> None:
    """Remount every mount read-only (keeping its nosuid/nodev/noexec), but those under ``writable``.

    A mount the host itself covers with another is not a mount point any more (EINVAL): it is out
    of sight, and left alone.
    """
    import errno
    import re

    flags = {"nosuid": 2, "nodev": 4, "noexec": 8}
    with open("/proc/self/mountinfo") as handle:
        lines = handle.read().splitlines()
    for line in lines:
        fields = line.split()
        target = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4])
        if any(target == top or target.startswith(top.rstrip("/") + "/") for top in writable):
            continue
        try:
            remount(target, sum(flags.get(option, 0) for option in set(fields[5].split(","))))
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.ENOENT, errno.EACCES):
                raise


def _wait_and_exit(child: int, mirror: bool) -> None:
    """Wait for ``child`` (reaping any orphan meanwhile), then exit as it did.

    PID 1 of a namespace cannot die of its own signal: it exits with 128 + the signal, and the
    launcher (``mirror``) turns that back into the signal, so the grader sees how the kernel ended.
    """
    import os
    import signal

    while True:
        pid, status = os.wait()
        if pid == child:
            break
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        code = 128 - code
    if mirror and 128 < code < 128 + signal.NSIG:
        if code - 128 != signal.SIGKILL:
            signal.signal(code - 128, signal.SIG_DFL)
        os.kill(os.getpid(), code - 128)
    os._exit(code)
