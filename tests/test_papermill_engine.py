"""The runner's papermill engine (crmlab/papermill_engine.py): the saves while a notebook runs are
cheap and readable, and the executed copy it leaves is what papermill's own engine writes.

Oracles: ``nbformat.writes`` (what papermill's ``write_ipynb`` puts on disk), ``nbformat.read``
and papermill's default engine run on the same notebook.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import nbformat
import papermill
from nbformat.v4 import new_code_cell, new_notebook
from papermill.engines import papermill_engines

from crmlab.papermill_engine import ENGINE, QuickSaveEngine, QuickSaveManager, register


def notebook():
    nb = new_notebook(cells=[new_code_cell("print('één')"), new_code_cell("1 + 1")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def test_papermill_finds_the_engine_once_registered():
    assert register() == ENGINE
    assert papermill_engines.get_engine(ENGINE) is QuickSaveEngine


def test_the_module_imports_before_papermill_in_a_fresh_interpreter():
    """papermill loads its entry points while papermill.engines is imported: the module must not be one."""
    code = ("import crmlab.papermill_engine as m, papermill.engines as e; "
            "print(e.papermill_engines.get_engine(m.register()).__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, "QuickSaveEngine"), done.stderr


def test_saves_before_the_end_are_readable_and_the_last_is_nbformats(tmp_path):
    out = tmp_path / "out.ipynb"
    nb = notebook()
    nb.metadata["papermill"] = {}  # as papermill.execute_notebook prepares it before the engine runs
    manager = QuickSaveManager(nb, output_path=str(out), progress_bar=False)
    manager.notebook_start()
    text = out.read_text(encoding="utf-8")
    assert "\n" not in text and "één" in text  # compact, and not escaped to ASCII
    assert nbformat.read(out, as_version=4).metadata.papermill["end_time"] is None

    manager.cell_start(manager.nb.cells[1], 1)
    on_disk = nbformat.read(out, as_version=4)
    assert [c.metadata.papermill["status"] for c in on_disk.cells] == ["pending", "running"]

    manager.notebook_complete()
    assert out.read_text(encoding="utf-8") == nbformat.writes(manager.nb)


def test_the_executed_copy_matches_papermills_own_engine(tmp_path):
    ours, theirs = tmp_path / "ours.ipynb", tmp_path / "theirs.ipynb"
    source = tmp_path / "in.ipynb"
    nbformat.write(notebook(), source)
    papermill.execute_notebook(str(source), str(ours), progress_bar=False, engine_name=register())
    papermill.execute_notebook(str(source), str(theirs), progress_bar=False)

    def without_times(path):  # times, durations and the output's own path differ between the runs
        text = path.read_text(encoding="utf-8").replace(str(path), "OUT")
        text = re.sub(r'"(\d{4}-\d\d-\d\dT[^"]+)"', '"T"', text)
        return re.sub(r'"duration": [0-9.e-]+', '"duration": 0', text)

    assert without_times(ours) == without_times(theirs)
    outputs = [c["outputs"] for c in json.loads(ours.read_text(encoding="utf-8"))["cells"]]
    assert outputs[0][0]["text"] == ["één\n"] and outputs[1][0]["data"]["text/plain"] == ["2"]
