"""What a run of a notebook says about itself: the executed copy, its widgets, how its kernel ended.

The course runner (:mod:`crmlab.runner`) turns these into one verdict line per notebook.
"Cell N" always counts the code cells a run executes (blank cells and cells tagged
``skip-execution`` are skipped), so it is the ``In [N]`` number of a fresh run.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path

import nbformat

__all__ = [
    "code_cells", "forget_kernel_deaths", "how_the_kernel_died", "kernel_manager_class", "last_started",
    "read_executed", "stopped_early", "widget_errors",
]


def widget_errors(nb: nbformat.NotebookNode) -> list[str]:
    """Error messages stored in the saved widget state of an executed notebook.

    papermill passes a notebook whose ipywidgets callback raised: the traceback is kept in
    the Output widget's state, not in a cell.

    Examples
    --------
    >>> from nbformat.v4 import new_notebook
    >>> nb = new_notebook()
    >>> nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"m1": {"state": {
    ...     "outputs": [{"output_type": "error", "ename": "ValueError", "evalue": "boom"}]}}}}}
    >>> widget_errors(nb)
    ['widget callback raised ValueError: boom']
    """
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    errors = []
    for model in state.get("state", {}).values():
        for out in model.get("state", {}).get("outputs", []) or []:
            if out.get("output_type") == "error":
                errors.append(f"widget callback raised {out.get('ename')}: {out.get('evalue')}")
    return errors


def code_cells(nb: nbformat.NotebookNode) -> list:
    """The cells a run executes (papermill and nbclient skip blank ones and ``skip-execution`` tags).

    Their 1-based position is the ``In [N]`` number a fresh run gives them: "cell N" below.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    >>> skipped = new_code_cell("slow()", metadata={"tags": ["skip-execution"]})
    >>> nb = new_notebook(cells=[new_markdown_cell("# Title"), new_code_cell("x = 1"), new_code_cell("  "), skipped])
    >>> [c.source for c in code_cells(nb)]
    ['x = 1']
    """
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()
            and "skip-execution" not in c.metadata.get("tags", [])]


def _never_ran(cells: list, after: int) -> str:
    count = sum(c.get("execution_count") is None for c in cells[after:])
    return f"{count} cell{'s' * (count != 1)} never ran" if count else ""


def stopped_early(nb: nbformat.NotebookNode) -> str:
    """Why an executed notebook stopped before its last code cell, or ``""`` if every code cell ran.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_notebook, new_output
    >>> cells = [new_code_cell("x = 1", execution_count=1),
    ...          new_code_cell("sys.exit(0)", execution_count=2,
    ...                        outputs=[new_output("error", ename="SystemExit", evalue="0", traceback=[])]),
    ...          new_code_cell("print(x)"), new_code_cell("x += 1")]
    >>> stopped_early(new_notebook(cells=cells))
    'cell 2 stopped the run with sys.exit(0); 2 cells never ran'
    """
    cells = code_cells(nb)
    ran = [i for i, c in enumerate(cells) if c.get("execution_count") is not None]
    never = _never_ran(cells, ran[-1] + 1 if ran else 0)
    if not never:
        return ""
    if not ran:
        return f"no cell ran; {never}"
    last = ran[-1]
    for out in cells[last].get("outputs", []):
        if out.get("output_type") == "error" and out.get("ename") == "SystemExit":
            value = out.get("evalue", "")
            how = (f"sys.exit({value})" if re.fullmatch(r"-?\d+|None", value)
                   else f"SystemExit: {value}" if value else "SystemExit")
            return f"cell {last + 1} stopped the run with {how}; {never}"
    return f"the run stopped after cell {last + 1}; {never}"


def last_started(nb: nbformat.NotebookNode | None, template: str) -> str:
    """``template`` filled with the last cell a papermill run started (``{cell}``), + cells never run.

    papermill stamps ``start_time`` on a cell (and saves) before running it, so the saved
    copy names the cell a kernel died in, or was running when its time ran out.

    Examples
    --------
    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> cells = [new_code_cell("x = 1", execution_count=1), new_code_cell("while True: pass"),
    ...          new_code_cell("print(x)")]
    >>> cells[1].metadata["papermill"] = {"start_time": "2026-12-02T11:00:00"}
    >>> last_started(new_notebook(cells=cells), "cell {cell} was still running")
    'cell 2 was still running; 1 cell never ran'
    """
    if nb is None:
        return ""
    cells = code_cells(nb)
    started = [i for i, c in enumerate(cells) if c.metadata.get("papermill", {}).get("start_time")
               or c.get("execution_count") is not None]
    if not started:
        return ""
    never = len(cells) - started[-1] - 1
    return template.format(cell=started[-1] + 1) + (f"; {never} cell{'s' * (never != 1)} never ran" if never else "")


_KERNEL_EXITS: list[int] = []  # exit codes of kernels that died on their own, in this process


def kernel_manager_class():
    """A jupyter_client kernel manager that notes how a kernel died, for :func:`how_the_kernel_died`.

    It also hands the kernel's process id to the runner's worker (:func:`crmlab.workers.adopt`):
    the kernel runs in a session of its own, so it is killed with its worker at a time limit.
    """
    from jupyter_client.manager import AsyncKernelManager

    from . import warm_kernels
    from .workers import adopt

    class RecordingKernelManager(AsyncKernelManager):
        @property
        def kernel_spec(self):
            # With a warm process serving (crmlab.warm_kernels.serving), kernels are forked from it.
            spec = super().kernel_spec
            if spec is not None and warm_kernels.served() and "kernel_provisioner" not in spec.metadata:
                spec.metadata["kernel_provisioner"] = {"provisioner_name": warm_kernels.PROVISIONER}
            return spec

        async def cleanup_resources(self, restart: bool = False) -> None:
            process = getattr(self.provisioner, "process", None)
            if process is not None and process.poll() is not None:  # it died on its own
                _KERNEL_EXITS.append(process.returncode)
            await super().cleanup_resources(restart=restart)

        async def start_kernel(self, **kw) -> None:
            await super().start_kernel(**kw)
            process = getattr(self.provisioner, "process", None)
            if process is not None:  # the kernel runs in a session of its own: kill it with its worker
                adopt(process.pid)

    return RecordingKernelManager


def forget_kernel_deaths() -> None:
    """Forget the kernels noted so far (call before a run)."""
    _KERNEL_EXITS.clear()


def how_the_kernel_died() -> str:
    """`` (killed by SIGKILL)``, `` (it exited with code 0: ...)`` for the last kernel that died, or ``""``.

    Examples
    --------
    >>> forget_kernel_deaths()
    >>> how_the_kernel_died()
    ''
    """
    if not _KERNEL_EXITS:
        return ""
    code = _KERNEL_EXITS[-1]
    if code < 0:
        try:
            return f" (killed by {signal.Signals(-code).name})"
        except ValueError:
            return f" (killed by signal {-code})"
    return f" (it exited with code {code}: os._exit or a crash)"


def read_executed(path: Path) -> nbformat.NotebookNode | None:
    """The executed copy at ``path``, or ``None`` if it is missing or was cut short by a kill.

    Examples
    --------
    >>> read_executed(Path("no/such/notebook.ipynb")) is None
    True
    """
    try:
        return nbformat.read(path, as_version=4)
    except Exception:  # missing, or cut short by a kill
        return None
