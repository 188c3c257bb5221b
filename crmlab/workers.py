"""Run calls in worker processes, each under a time limit; kill everything a late one started.

The course runner runs each notebook in a worker of its own: a notebook that loops for ever
is stopped with its Jupyter kernel and the others carry on. A kernel runs in a session of
its own (jupyter_client starts it so), out of reach of its worker's process group, so a
worker reports it with :func:`adopt` and it is killed with the worker's own process tree.

Workers come from a fork server (modules imported once, then each worker is a cheap fork),
or are spawned where there is none. A worker's standard output and error (and those of the
kernel, which inherits them) go to a log file, never to the runner's screen.
"""

from __future__ import annotations

import math
import multiprocessing
import multiprocessing.connection
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Task", "adopt", "kill_tree", "run_in_workers", "usable_cores"]

_KILL = getattr(signal, "SIGKILL", signal.SIGTERM)
_TO_PARENT = None  # in a worker: the connection to the runner, for adopt()


@dataclass(frozen=True)
class Task:
    """One call to make in a worker: ``work(*args)``, with its printed output going to ``log``."""

    args: tuple
    log: Path


def usable_cores() -> int:
    """The cores this process may run on: a container's or ``taskset``'s share where the system says it.

    >>> usable_cores() >= 1
    True
    """
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def adopt(pid: int) -> None:
    """In a worker: have the runner kill process ``pid`` (and its group) if the worker is stopped.

    Outside a worker it does nothing.

    Examples
    --------
    >>> adopt(os.getpid())  # not in a worker: nothing happens
    """
    if _TO_PARENT is not None:
        _TO_PARENT.send(("adopt", pid))


def _children() -> dict[int, list[int]]:
    """Every process's children: from /proc on Linux, from ``ps`` elsewhere."""
    children: dict[int, list[int]] = {}
    stats = list(Path("/proc").glob("[0-9]*/stat"))
    if stats:
        pairs = []
        for stat in stats:
            with suppress(OSError, IndexError, ValueError):  # a process that just ended
                pairs.append((int(stat.read_text().rsplit(")", 1)[1].split()[1]), int(stat.parent.name)))
    else:
        text = subprocess.run(["ps", "-A", "-o", "ppid=", "-o", "pid="], capture_output=True, text=True).stdout
        pairs = [tuple(map(int, line.split())) for line in text.splitlines() if line.strip()]
    for parent, child in pairs:
        children.setdefault(parent, []).append(child)
    return children


def _tree(pid: int) -> list[int]:
    children, found = _children(), [pid]
    for current in found:
        found += [c for c in children.get(current, []) if c not in found]
    return found


def kill_tree(pid: int, adopted: Sequence[int] = ()) -> None:
    """Kill process ``pid``, all its descendants, the ``adopted`` ones, and the groups they lead.

    The processes are stopped first, so none can start another while the tree is listed.

    Examples
    --------
    >>> import subprocess, sys
    >>> shell = subprocess.Popen(["sh", "-c", "sleep 60 & sleep 60"])
    >>> time.sleep(0.2)
    >>> kill_tree(shell.pid); shell.wait()
    -9
    """
    family = _tree(pid) + [p for p in adopted if p != pid]
    for member in family:
        with suppress(OSError):
            os.kill(member, signal.SIGSTOP)
    family += [p for member in adopted for p in _tree(member) if p not in family]
    family += [p for p in _tree(pid) if p not in family]
    own_group = os.getpgrp()
    for member in family:
        with suppress(OSError):
            if os.getpgid(member) == member != own_group:  # a session leader, e.g. a kernel
                os.killpg(member, _KILL)
        with suppress(OSError):
            os.kill(member, _KILL)


def _serve(conn, work: Callable, task: Task, env: dict[str, str], cwd: str) -> None:
    """The body of a worker process: output to the log, the runner's environment, one call."""
    global _TO_PARENT
    task.log.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(task.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    _TO_PARENT = conn
    try:
        message = ("done", work(*task.args))
    except BaseException as err:  # noqa: BLE001 - the runner reports it instead
        message = ("lost", f"the worker raised {type(err).__name__}: {err}")
    conn.send(message)
    conn.close()


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        with suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


@dataclass
class _Worker:
    index: int
    process: multiprocessing.process.BaseProcess
    reader: multiprocessing.connection.Connection
    started: float
    deadline: float
    adopted: list[int] = field(default_factory=list)

    def poll(self) -> tuple[str, object] | None:
        """``("done", result)``, ``("lost", reason)``, ``("timeout", None)``; ``None`` while it runs."""
        while self.reader.poll():
            try:
                kind, value = self.reader.recv()
            except (EOFError, OSError):
                break
            if kind == "adopt":
                self.adopted.append(value)
                continue
            self.process.join(10)
            if self.process.is_alive():
                kill_tree(self.process.pid)
            return kind, value
        if not self.process.is_alive():
            self.process.join()
            self.kill()  # its kernel may have outlived it
            return "lost", f"the worker process died ({_describe_exit(self.process.exitcode)}) before reporting"
        if time.monotonic() >= self.deadline:
            self.kill()
            return "timeout", None
        return None

    def kill(self) -> None:
        kill_tree(self.process.pid, self.adopted)
        self.process.join(10)


def _context(preload: Sequence[str]):
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(preload))  # used when the fork server first starts
        return context
    return multiprocessing.get_context("spawn")


def run_in_workers(
    work: Callable,
    tasks: Sequence[Task],
    finished: Callable[[int, object], object],
    lost: Callable[[int, float, str | None], object],
    jobs_at_once: int = 2,
    timeout: float | None = None,
    preload: Sequence[str] = (),
) -> None:
    """Call ``work(*task.args)`` for each task in a worker process, ``jobs_at_once`` at a time.

    ``finished(i, result)`` is called for task ``i`` as soon as it ends, in the order they
    end. A task still running ``timeout`` seconds after its worker started is killed with
    every process it started, and gives ``finished(i, lost(i, seconds, None))``; a worker
    that raised or died gives ``finished(i, lost(i, seconds, reason))``. Whatever happens,
    Ctrl-C included, no worker or kernel is left running. ``work`` must be importable
    (a module-level function); ``preload`` names modules the fork server imports once.

    Examples
    --------
    Not run as a doctest: the fork server starts once per process, and the course runner
    wants it started with papermill preloaded (``tests/test_runner.py`` runs this).

    >>> import tempfile
    >>> logs = Path(tempfile.mkdtemp())
    >>> tasks = [Task((0.01,), logs / "a.log"), Task((60,), logs / "b.log")]
    >>> run_in_workers(time.sleep, tasks, lambda i, r: print(i, r),
    ...                lambda i, s, why: why or "timeout", timeout=2)  # doctest: +SKIP
    0 None
    1 timeout
    """
    context = _context(preload)
    waiting = list(range(len(tasks)))[::-1]
    running: list[_Worker] = []
    try:
        while waiting or running:
            while waiting and len(running) < max(1, jobs_at_once):
                running.append(_start(context, waiting.pop(), work, tasks, timeout))
            wait = min(w.deadline for w in running) - time.monotonic()
            multiprocessing.connection.wait([w.reader for w in running] + [w.process.sentinel for w in running],
                                            timeout=min(max(wait, 0), 5))
            for worker in list(running):
                outcome = worker.poll()
                if outcome is None:
                    continue
                running.remove(worker)
                kind, value = outcome
                seconds = time.monotonic() - worker.started
                result = value if kind == "done" else lost(worker.index, seconds, value)
                finished(worker.index, result)
    finally:
        for worker in running:
            worker.kill()


def _start(context, index: int, work: Callable, tasks: Sequence[Task], timeout: float | None) -> _Worker:
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(target=_serve, args=(writer, work, tasks[index], dict(os.environ), os.getcwd()),
                              daemon=True)
    started = time.monotonic()
    process.start()
    writer.close()
    deadline = started + timeout if timeout else math.inf
    return _Worker(index, process, reader, started, deadline)
