"""The course runner: execute notebooks headlessly with papermill and report each one.

papermill alone reports success when an ipywidgets callback raised (the traceback is
stored in the Output widget's state, not in a cell), so the runner also scans the
saved widget state for errors.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat

__all__ = ["RunResult", "discover", "run_notebook", "run_notebooks", "widget_errors"]


@dataclass(frozen=True)
class RunResult:
    """How one notebook run went."""

    notebook: Path
    output: Path
    seconds: float
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    def line(self, width: int = 40) -> str:
        """One line of the runner's table: name, seconds, ok/failed (+ the first error line)."""
        status = "ok" if self.ok else "FAILED"
        text = f"{self.notebook.as_posix():<{width}} {self.seconds:7.1f} s  {status}"
        if self.error:
            text += f"  {self.error.splitlines()[0][:120]}"
        return text


def discover(folders: Sequence[str | os.PathLike] = ("notebooks",)) -> list[Path]:
    """Numbered notebooks (``NN_slug.ipynb``) in ``folders``, in course order."""
    found = []
    for folder in folders:
        folder = Path(folder)
        if folder.is_file():
            found.append(folder)
            continue
        found += sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    return found


def widget_errors(nb: nbformat.NotebookNode) -> list[str]:
    """Error messages stored in the saved widget state of an executed notebook."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    errors = []
    for model in state.get("state", {}).values():
        for out in model.get("state", {}).get("outputs", []) or []:
            if out.get("output_type") == "error":
                errors.append(f"widget callback raised {out.get('ename')}: {out.get('evalue')}")
    return errors


def run_notebook(
    notebook: str | os.PathLike, out_dir: str | os.PathLike = "build", parameters: dict | None = None
) -> RunResult:
    """Execute one notebook into ``out_dir`` (same relative path) and return how it went."""
    import papermill as pm

    notebook = Path(notebook)
    output = Path(out_dir) / notebook
    output.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    error = ""
    try:
        pm.execute_notebook(
            str(notebook), str(output), parameters=parameters or {}, cwd=str(notebook.parent),
            progress_bar=False, log_output=False, kernel_name="python3",
        )
    except pm.PapermillExecutionError as err:
        error = f"cell {err.exec_count}: {err.ename}: {err.evalue}"
    except Exception as err:  # a kernel that died, a notebook that is not JSON ...
        error = f"{type(err).__name__}: {err}"
    if not error and output.exists():
        found = widget_errors(nbformat.read(output, as_version=4))
        error = "; ".join(found)
    return RunResult(notebook, output, time.perf_counter() - start, error)


def run_notebooks(
    notebooks: Iterable[str | os.PathLike], out_dir: str | os.PathLike = "build", jobs: int = 2, echo=print
) -> list[RunResult]:
    """Execute notebooks ``jobs`` at a time; print one line per notebook as it finishes."""
    os.environ.pop("MPLBACKEND", None)  # Agg here would silently drop every figure
    notebooks = [Path(n) for n in notebooks]
    width = max([len(n.as_posix()) for n in notebooks] + [10])
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(run_notebook, nb, out_dir) for nb in notebooks]
        results = []
        for fut in futures:
            res = fut.result()
            echo(res.line(width))
            results.append(res)
    return results
