"""The course runner: execute notebooks headlessly with papermill and give each one a verdict.

``crmlab run`` (behind ``make course``) runs every lesson, every exercise source in
*solution* mode (each check must be correct) and every student copy in *learner* mode
(each blank must still be "not attempted", and nothing may raise). Executed notebooks and
what the kernel printed on its own (``NAME.log``) go to ``build/``; ``--html`` adds an HTML
copy of each (nbconvert's, about 0.4-1 s of CPU a notebook, as much as many lessons' cells;
``make site`` and ``make answer-key`` are the course's HTML for people).

Each notebook gets one line, printed as soon as it finishes:

- ``ok``: every code cell ran and nothing raised;
- ``FAILED``: a cell raised; a cell stopped the run early (``sys.exit``, ``raise SystemExit``);
  the kernel died (``os._exit``, a crash, a kill); or an ipywidgets callback raised
  (papermill alone passes that one: the traceback is stored in the Output widget's
  state, not in a cell, so the saved widget state is scanned too);
- ``TIMEOUT after N s``: the notebook ran longer than its time limit; its worker process
  and kernel are killed and the other notebooks carry on.

Every notebook runs in a worker process of its own (see :mod:`crmlab.workers`), and an
executed copy is never written over a notebook being run or one that is not an executed copy.
On Linux its kernel is forked from a process that has imported the course's libraries once
(:mod:`crmlab.warm_kernels`; ``CRMLAB_WARM_KERNELS=off`` starts every kernel cold).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

import nbformat

from . import warm_kernels
from .progress_bars import progress_bar
from .verdicts import (
    forget_kernel_deaths,
    how_the_kernel_died,
    kernel_manager_class,
    last_started,
    read_executed,
    stopped_early,
    widget_errors,
)
from .workers import usable_cores

__all__ = [
    "DEFAULT_JOBS", "DEFAULT_TIMEOUT", "Job", "RunResult", "RunnerError", "check_outputs", "course_jobs", "discover",
    "run_jobs", "run_notebook", "stopped_early", "summary", "widget_errors",
]

MODES = ("lesson", "solution", "learner")
_STILL_RUNNING = "cell {cell} was still running"
_KERNEL_STARTS = 3  # attempts to start a kernel that dies before it answers (see _execute)
_NO_KERNEL_INFO = "Kernel died before replying to kernel_info"
DEFAULT_TIMEOUT = 600.0
"""Seconds a whole notebook may run before it is stopped (``crmlab run --timeout``)."""


DEFAULT_JOBS = min(8, usable_cores() + 2)
"""Notebooks run at once (``crmlab run --jobs``): two more than the cores, at most 8. A notebook
waits part of its time (its kernel starting, messages between kernel and runner), so more notebooks
than cores keep them busy: ``make course`` on 2 cores took 65.3 s two at a time, 59.5 s three,
55.0 s four."""


class RunnerError(ValueError):
    """A run that cannot start: a missing notebook, an output over a source... The message is one line."""


@dataclass(frozen=True)
class Job:
    """One notebook to run, and how: ``lesson``, ``solution`` or ``learner`` mode."""

    notebook: Path
    mode: str = "lesson"

    def output(self, out_dir: str | os.PathLike, cwd: str | os.PathLike | None = None) -> Path:
        """Where the executed notebook goes (an absolute path).

        A notebook inside ``cwd`` (default: the current folder) keeps its path relative to
        it; a notebook elsewhere (an absolute path, ``../``) goes straight into ``out_dir``.

        Examples
        --------
        >>> Job(Path("notebooks/00_welcome.ipynb")).output("build", cwd="/course").as_posix()
        '/course/build/notebooks/00_welcome.ipynb'
        >>> Job(Path("/home/ana/00_mine.ipynb")).output("build", cwd="/course").as_posix()
        '/course/build/00_mine.ipynb'
        """
        base = Path(os.path.abspath(os.getcwd() if cwd is None else cwd))
        source = Path(os.path.normpath(base / self.notebook))
        inside = source.is_relative_to(base) and source != base
        return Path(os.path.normpath(base / out_dir)) / (source.relative_to(base) if inside else source.name)


@dataclass(frozen=True)
class RunResult:
    """How one notebook run went: ``error`` says why it failed, ``timeout`` is the limit it hit."""

    notebook: Path
    output: Path
    seconds: float
    error: str = ""
    mode: str = "lesson"
    html: Path | None = field(default=None, compare=False)
    timeout: float | None = None
    log: Path | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        return not self.error and self.timeout is None

    @property
    def verdict(self) -> str:
        """``ok``, ``FAILED`` or ``TIMEOUT after N s``."""
        if self.timeout is not None:
            return f"TIMEOUT after {self.timeout:g} s"
        return "FAILED" if self.error else "ok"

    def line(self, width: int = 40) -> str:
        """One line of the runner's table: notebook, mode, seconds, verdict (+ the first line of the reason)."""
        text = f"{self.notebook.as_posix():<{width}} {self.mode:<8} {self.seconds:6.1f} s  {self.verdict}"
        reason = (self.error.strip().splitlines() or [""])[0]
        return f"{text}  {reason[:160]}" if reason else text


def summary(results: Sequence[RunResult], seconds: float) -> str:
    """The runner's last line: how many notebooks passed, failed and timed out, and the time taken.

    Examples
    --------
    >>> ok = RunResult(Path("00_a.ipynb"), Path("build/00_a.ipynb"), 3.0)
    >>> slow = RunResult(Path("01_b.ipynb"), Path("build/01_b.ipynb"), 5.0, timeout=5)
    >>> summary([ok, slow], 5.2)
    '1 passed, 0 failed, 1 timed out in 5.2 s'
    """
    timed_out = sum(r.timeout is not None for r in results)
    passed = sum(r.ok for r in results)
    return f"{passed} passed, {len(results) - passed - timed_out} failed, {timed_out} timed out in {seconds:.1f} s"


def discover(folders: Sequence[str | os.PathLike] = ("notebooks",), strict: bool = False) -> list[Path]:
    """Numbered notebooks (``NN_slug.ipynb``) in ``folders`` (or the files themselves), in course order.

    With ``strict=True`` (the command line) a path that does not exist, a file that is not
    an ``.ipynb`` notebook or a folder without numbered notebooks raises :class:`RunnerError`.

    Examples
    --------
    >>> [p.as_posix() for p in discover(["notebooks"])][:1]
    ['notebooks/00_welcome.ipynb']
    >>> discover(["README.md"], strict=True)
    Traceback (most recent call last):
    ...
    crmlab.runner.RunnerError: README.md is not a notebook: pass .ipynb files or folders holding ...
    """
    found = []
    for folder in map(Path, folders):
        if strict and not folder.exists():
            raise RunnerError(f"{folder} does not exist: check the path (pass notebooks or folders of notebooks).")
        if strict and folder.is_file() and folder.suffix != ".ipynb":
            raise RunnerError(f"{folder} is not a notebook: pass .ipynb files or folders holding NN_name.ipynb "
                              "notebooks.")
        numbered = [folder] if folder.is_file() else sorted(folder.glob("[0-9][0-9]_*.ipynb"))
        if strict and not numbered:
            raise RunnerError(f"No numbered notebooks (NN_name.ipynb) in the folder {folder}.")
        found += numbered
    return found


def course_jobs(root: str | os.PathLike = ".") -> list[Job]:
    """Every run of the course: lessons, exercise sources (solution mode), student copies (learner mode)."""
    root = Path(root)
    rel = lambda p: p.relative_to(root) if root != Path(".") else p  # noqa: E731
    jobs = [Job(rel(p), "lesson") for p in discover([root / "notebooks"])]
    jobs += [Job(rel(p), "solution") for p in discover([root / "exercises" / "source"])]
    jobs += [Job(rel(p), "learner") for p in discover([root / "exercises"])]
    return jobs


def check_outputs(jobs: Sequence[Job], out_dir: str | os.PathLike, cwd: str | os.PathLike | None = None) -> list[Path]:
    """The output path of each job; :class:`RunnerError` if any would overwrite something it must not.

    Refused: an ``out_dir`` or an output folder that holds notebooks being run (executed
    copies would mix with the sources), an output that is one of the notebooks being run,
    two jobs with one output, and an existing file that is not an executed copy from an
    earlier run (papermill's metadata marks those).

    Examples
    --------
    >>> (out,) = check_outputs([Job(Path("notebooks/00_welcome.ipynb"))], "build")
    >>> out.relative_to(Path.cwd()).as_posix()
    'build/notebooks/00_welcome.ipynb'
    >>> check_outputs([Job(Path("notebooks/00_welcome.ipynb"))], out_dir="notebooks/..")
    Traceback (most recent call last):
    ...
    crmlab.runner.RunnerError: Refusing to write the executed copy of notebooks/00_welcome.ipynb over the notebook
    itself (...): choose an --out folder apart from the notebooks (default: build).
    """
    base = Path(os.path.abspath(os.getcwd() if cwd is None else cwd))
    target = Path(os.path.normpath(base / out_dir))
    if target.exists() and not target.is_dir():
        raise RunnerError(f"The output folder {out_dir} is a file: pass --out a folder (default: build).")
    sources = {(base / job.notebook).resolve(): job.notebook for job in jobs}
    folders = {source.parent for source in sources}
    if target.resolve() in folders:
        raise RunnerError(f"The output folder {out_dir} holds notebooks being run: choose an --out folder apart "
                          "from the notebooks (default: build).")
    outputs, seen = [], {}
    for job in jobs:
        output = job.output(out_dir, base)
        real = output.resolve()
        where = f"executed copy of {job.notebook.as_posix()}"
        if real in sources:
            victim = "itself" if sources[real] == job.notebook else sources[real].as_posix()
            raise RunnerError(f"Refusing to write the {where} over the notebook {victim} ({output}): "
                              "choose an --out folder apart from the notebooks (default: build).")
        if real.parent in folders:
            raise RunnerError(f"Refusing to write the {where} into {output.parent}, a folder of notebooks being run: "
                              "choose an --out folder apart from the notebooks (default: build).")
        if real in seen and (base / seen[real]).resolve() == (base / job.notebook).resolve():
            raise RunnerError(f"{job.notebook.as_posix()} is given twice: give each notebook once.")
        if real in seen:
            raise RunnerError(f"{seen[real].as_posix()} and {job.notebook.as_posix()} would both be written to "
                              f"{output}: run them separately, with different --out folders.")
        if real.exists() and not _executed_copy(real):
            raise RunnerError(f"Refusing to overwrite {output} with the {where}: it is not an executed copy "
                              "from an earlier run. Move it away or choose another --out folder.")
        seen[real] = job.notebook
        outputs.append(output)
    return outputs


def _executed_copy(path: Path) -> bool:
    try:
        return "papermill" in nbformat.read(path, as_version=nbformat.NO_CONVERT).metadata
    except Exception:  # unreadable, a folder, not JSON: not ours to overwrite
        return False


def _mode_env(mode: str, progress_dir: str) -> dict[str, str]:
    # Notebooks run side by side: one BLAS/OpenMP thread each keeps 2 cores from thrashing.
    env = {"CRMLAB_PROGRESS_DIR": progress_dir, "CRMLAB_CHECK_MODE": "",
           "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    if mode in ("solution", "learner"):
        env["CRMLAB_CHECK_MODE"] = mode
    return env


@contextmanager
def _environment(values: dict[str, str], drop: Sequence[str] = ()):
    """Set (and drop) environment variables for the kernel; restore the old values afterwards."""
    keys = [*values, *drop]
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update(values)
    for key in drop:
        os.environ.pop(key, None)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def run_notebook(
    notebook: str | os.PathLike,
    out_dir: str | os.PathLike = "build",
    mode: str = "lesson",
    parameters: dict | None = None,
    html: bool = False,
    cwd: str | os.PathLike | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> RunResult:
    """Execute one notebook, in this process, into ``out_dir`` and return how it went.

    The kernel gets ``CRMLAB_CHECK_MODE`` for the mode and a private, temporary
    ``CRMLAB_PROGRESS_DIR``, so runs never touch a learner's saved progress. The variables
    are set for the run only. Here ``timeout`` limits each cell; :func:`run_jobs` runs
    notebooks in worker processes and limits each whole notebook.
    """
    if mode not in MODES:
        raise ValueError(f"The value for `mode` must be one of {list(MODES)}, but {mode!r} was passed.")
    job = Job(Path(notebook), mode)
    base = Path(cwd) if cwd is not None else Path.cwd()
    (output,) = check_outputs([job], out_dir, base)
    return _execute(job, base / job.notebook, output, parameters, html, timeout)


def _execute(job: Job, source: Path, output: Path, parameters: dict | None, html: bool,
             timeout: float | None) -> RunResult:
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from . import papermill_engine

    start = time.perf_counter()
    try:
        nbformat.read(source, as_version=4)
    except Exception as err:
        text = (str(err).strip().splitlines() or [type(err).__name__])[0]
        return RunResult(job.notebook, output, time.perf_counter() - start, f"not a readable notebook: {text}",
                         job.mode)
    output.parent.mkdir(parents=True, exist_ok=True)
    error, limit = "", None
    forget_kernel_deaths()
    with tempfile.TemporaryDirectory(prefix="crmlab-progress-") as progress_dir, _environment(
        _mode_env(job.mode, progress_dir), drop=["MPLBACKEND"]  # Agg would silently drop every figure
    ):
        try:
            for attempt in range(_KERNEL_STARTS):
                try:
                    pm.execute_notebook(
                        str(source), str(output), parameters=parameters or {}, cwd=str(source.parent),
                        progress_bar=False, log_output=False, kernel_name="python3", execution_timeout=timeout,
                        kernel_manager_class=kernel_manager_class(), engine_name=papermill_engine.register(),
                    )
                    break
                except RuntimeError as err:
                    # A kernel that dies before its first reply ran no cell of the notebook: most often two
                    # kernels started at once picked the same free port (jupyter_client chooses ports before
                    # the kernel binds them). Start another; a kernel that cannot start at all fails again.
                    if _NO_KERNEL_INFO not in str(err) or attempt == _KERNEL_STARTS - 1:
                        raise
        except pm.PapermillExecutionError as err:
            error = "" if err.ename == "SystemExit" else f"cell {err.exec_count}: {err.ename}: {err.evalue}"
        except CellTimeoutError:
            limit = timeout
        except DeadKernelError:
            error = "the kernel died"
        except Exception as err:
            error = f"{type(err).__name__}: {err}"
    executed = read_executed(output)
    if limit is not None:
        error = last_started(executed, _STILL_RUNNING)
    elif error == "the kernel died":
        how = how_the_kernel_died()
        error = last_started(executed, "the kernel died in cell {cell}" + how) or error + how
    elif executed is not None and not error:
        error = stopped_early(executed) or "; ".join(widget_errors(executed))
    page = None
    if html and executed is not None:
        try:
            page = _to_html(output)
        except Exception as err:
            error = error or f"the HTML copy failed: {type(err).__name__}: {err}"
    return RunResult(job.notebook, output, time.perf_counter() - start, error, job.mode, page, limit)


def _to_html(notebook: Path) -> Path:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(notebook, as_version=4))
    page = notebook.with_suffix(".html")
    page.write_text(body, encoding="utf-8")
    return page


def run_jobs(
    jobs: Iterable[Job | str | os.PathLike],
    out_dir: str | os.PathLike = "build",
    jobs_at_once: int = DEFAULT_JOBS,
    echo: Callable[[str], object] = print,
    html: bool = False,
    timeout: float | None = DEFAULT_TIMEOUT,
    progress: bool | IO[str] | None = False,
) -> list[RunResult]:
    """Run notebooks ``jobs_at_once`` at a time, each in its own worker process, with a time limit each.

    A line ``[k/n] notebook  mode  seconds  verdict`` is echoed as each notebook finishes.
    ``progress`` adds a bar (:mod:`crmlab.progress_bars`): notebooks done of all, those
    running, time elapsed and left; ``True`` on stderr, a stream to draw it on, ``None`` when
    stderr is a terminal; none by default.
    A notebook still running after ``timeout`` seconds (the whole notebook) is stopped with
    its kernel, and the batch goes on. What the kernels print goes to ``NAME.log`` beside
    each executed copy. Raises :class:`RunnerError` before running anything if an output
    would overwrite a source (see :func:`check_outputs`). Results come back in job order.
    """
    from .workers import Task, run_in_workers  # looked up when called: tests put instant workers in its place

    jobs = [j if isinstance(j, Job) else Job(Path(j)) for j in jobs]
    base = Path.cwd()
    outputs = check_outputs(jobs, out_dir, base)
    try:
        for folder in {out.parent for out in outputs}:
            folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RunnerError(f"Cannot create the output folder {err.filename}: {err.strerror}. "
                          "Choose another --out folder (default: build).") from None
    tasks = [Task((job, base / job.notebook, out, html, timeout), out.with_suffix(".log"))
             for job, out in zip(jobs, outputs, strict=True)]
    width = max([len(j.notebook.as_posix()) for j in jobs] + [10])
    results: list[RunResult | None] = [None] * len(jobs)
    bar = progress_bar(len(jobs), progress, desc="notebooks", unit="notebook")

    def running() -> list[str]:
        # run_in_workers starts tasks in order as others end: the first unfinished ones are those running
        waiting = [j for j, r in zip(jobs, results, strict=True) if r is None][: max(1, jobs_at_once)]
        return [j.notebook.stem if j.mode == "lesson" else f"{j.notebook.stem} ({j.mode})" for j in waiting]

    def lost(i: int, seconds: float, why: str | None) -> RunResult:
        if why is not None:
            return RunResult(jobs[i].notebook, outputs[i], seconds, why, jobs[i].mode)
        where = last_started(read_executed(outputs[i]), _STILL_RUNNING)
        return RunResult(jobs[i].notebook, outputs[i], seconds, where, jobs[i].mode, timeout=timeout)

    def finished(i: int, result: RunResult) -> None:
        log = tasks[i].log
        if log.exists() and log.stat().st_size == 0:
            log.unlink()
        results[i] = replace(result, log=log if log.exists() else None)
        done = sum(r is not None for r in results)
        bar.echo(f"[{done:>{len(str(len(jobs)))}}/{len(jobs)}] {result.line(width)}", echo)
        bar.now(running())
        bar.advance()

    # The kernels fork from one warm process that has imported the course's libraries (crmlab.warm_kernels),
    # started with the environment _execute gives them, so that their import-time settings match. For one
    # notebook, starting that process costs more than it saves (measured: 7.7-11.0 s against 6.2-6.5 s cold).
    kernel_env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"} | _mode_env("lesson", "")
    warm = warm_kernels.serving(kernel_env) if len(jobs) > 1 else nullcontext()
    # what every worker imports: once, in the fork server it is forked from
    preload = ["papermill", f"{__package__}.papermill_engine", __name__]
    preload += ["nbconvert.exporters.html"] if html else []
    with bar, warm:
        bar.now(running())
        run_in_workers(_in_worker, tasks, finished, lost, jobs_at_once, timeout, preload=preload)
    return results


def _in_worker(job: Job, source: Path, output: Path, html: bool, timeout: float | None) -> RunResult:
    """Run one job inside a worker process: the notebook's whole time limit is the runner's to enforce."""
    return _execute(job, source, output, None, html, timeout)
