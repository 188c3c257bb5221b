"""The course runner: execute notebooks headlessly with papermill and report each one.

``crmlab run`` (behind ``make course``) runs every lesson, every exercise source in
*solution* mode (each check must be correct) and every student copy in *learner* mode
(each blank must still be "not attempted", and nothing may raise). Executed notebooks
and their HTML go to ``build/``.

papermill alone reports success when an ipywidgets callback raised (the traceback is
stored in the Output widget's state, not in a cell), so the runner also scans the
saved widget state for errors.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

__all__ = ["Job", "RunResult", "course_jobs", "discover", "run_jobs", "run_notebook", "widget_errors"]

MODES = ("lesson", "solution", "learner")


@dataclass(frozen=True)
class Job:
    """One notebook to run, and how: ``lesson``, ``solution`` or ``learner`` mode."""

    notebook: Path
    mode: str = "lesson"

    def output(self, out_dir: str | os.PathLike) -> Path:
        """Where the executed notebook goes: ``out_dir`` / the notebook's relative path."""
        return Path(out_dir) / self.notebook


@dataclass(frozen=True)
class RunResult:
    """How one notebook run went."""

    notebook: Path
    output: Path
    seconds: float
    error: str = ""
    mode: str = "lesson"
    html: Path | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        return not self.error

    def line(self, width: int = 40) -> str:
        """One line of the runner's table: notebook, mode, seconds, ok/FAILED (+ the first error line)."""
        status = "ok" if self.ok else "FAILED"
        text = f"{self.notebook.as_posix():<{width}} {self.mode:<8} {self.seconds:6.1f} s  {status}"
        if self.error:
            text += f"  {self.error.splitlines()[0][:160]}"
        return text


def discover(folders: Sequence[str | os.PathLike] = ("notebooks",)) -> list[Path]:
    """Numbered notebooks (``NN_slug.ipynb``) in ``folders`` (or the files themselves), in course order."""
    found = []
    for folder in map(Path, folders):
        found += [folder] if folder.is_file() else sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    return found


def course_jobs(root: str | os.PathLike = ".") -> list[Job]:
    """Every run of the course: lessons, exercise sources (solution mode), student copies (learner mode)."""
    root = Path(root)
    rel = lambda p: p.relative_to(root) if root != Path(".") else p  # noqa: E731
    jobs = [Job(rel(p), "lesson") for p in discover([root / "notebooks"])]
    jobs += [Job(rel(p), "solution") for p in discover([root / "exercises" / "source"])]
    jobs += [Job(rel(p), "learner") for p in discover([root / "exercises"])]
    return jobs


def widget_errors(nb: nbformat.NotebookNode) -> list[str]:
    """Error messages stored in the saved widget state of an executed notebook."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    errors = []
    for model in state.get("state", {}).values():
        for out in model.get("state", {}).get("outputs", []) or []:
            if out.get("output_type") == "error":
                errors.append(f"widget callback raised {out.get('ename')}: {out.get('evalue')}")
    return errors


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
) -> RunResult:
    """Execute one notebook into ``out_dir`` and return how it went.

    The kernel gets ``CRMLAB_CHECK_MODE`` for the mode and a private, temporary
    ``CRMLAB_PROGRESS_DIR``, so runs never touch a learner's saved progress.
    The variables are set for the run only; run several notebooks at once in separate
    processes (:func:`run_jobs` does).
    """
    import papermill as pm

    if mode not in MODES:
        raise ValueError(f"The value for `mode` must be one of {list(MODES)}, but {mode!r} was passed.")
    job = Job(Path(notebook), mode)
    base = Path(cwd) if cwd is not None else Path.cwd()
    source, output = base / job.notebook, job.output(base / out_dir)
    output.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    error = ""
    with tempfile.TemporaryDirectory(prefix="crmlab-progress-") as progress_dir, _environment(
        _mode_env(mode, progress_dir), drop=["MPLBACKEND"]  # Agg would silently drop every figure
    ):
        try:
            pm.execute_notebook(
                str(source), str(output), parameters=parameters or {}, cwd=str(source.parent),
                progress_bar=False, log_output=False, kernel_name="python3",
            )
        except pm.PapermillExecutionError as err:
            error = f"cell {err.exec_count}: {err.ename}: {err.evalue}"
        except Exception as err:  # a kernel that died, a notebook that is not JSON ...
            error = f"{type(err).__name__}: {err}"
    if not error and output.exists():
        error = "; ".join(widget_errors(nbformat.read(output, as_version=4)))
    page = _to_html(output) if html and output.exists() else None
    return RunResult(job.notebook, output, time.perf_counter() - start, error, mode, page)


def _to_html(notebook: Path) -> Path:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(nbformat.read(notebook, as_version=4))
    page = notebook.with_suffix(".html")
    page.write_text(body, encoding="utf-8")
    return page


def _run_job(job: Job, out_dir: str, html: bool, cwd: str) -> RunResult:
    return run_notebook(job.notebook, out_dir, job.mode, html=html, cwd=cwd)


def run_jobs(
    jobs: Iterable[Job | str | os.PathLike],
    out_dir: str | os.PathLike = "build",
    jobs_at_once: int = 2,
    echo: Callable[[str], object] = print,
    html: bool = False,
) -> list[RunResult]:
    """Run notebooks ``jobs_at_once`` at a time, each in its own process; print a line as each finishes."""
    jobs = [j if isinstance(j, Job) else Job(Path(j)) for j in jobs]
    width = max([len(j.notebook.as_posix()) for j in jobs] + [10])
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=max(1, jobs_at_once), mp_context=context) as pool:
        futures = [pool.submit(_run_job, job, str(out_dir), html, os.getcwd()) for job in jobs]
        results = []
        for fut in futures:
            res = fut.result()
            echo(res.line(width))
            results.append(res)
    return results
