"""A papermill engine that saves the executed copy cheaply while the notebook runs.

papermill writes the whole notebook to its output path before and after every cell, so that
a notebook stopped half-way shows where it stopped (the runner reads that to say which cell
timed out). Each of those writes goes through ``nbformat.writes``: a deep copy, a JSON Schema
validation and an indented pure-Python JSON encoding, 10-20 ms for a lesson with figures,
twice per cell; for the course's 42 notebooks that was more CPU than some lessons' own cells.

This engine (``engine_name=register()``, which registers it with papermill in the calling process)
keeps every one of those saves and papermill's metadata, but writes the intermediate ones as compact
JSON with the standard library's C encoder. The last save, when the notebook is complete (or
stopped by an error), is papermill's own: validated and formatted by nbformat, so the executed
copy on disk is byte for byte what the default engine writes. A copy read half-way (after a
timeout or a kill) is ordinary notebook JSON that ``nbformat.read`` accepts.

papermill offers no switch for this, and its engine builds its execution manager itself, so the
engine's ``execute_notebook`` repeats papermill's few lines with this module's manager. It is
registered by a call, not a ``papermill.engine`` entry point: papermill loads its entry points
while ``papermill.engines`` is being imported, and this module imports that module, so an entry
point here would import this module half-way.
"""

from __future__ import annotations

import json
import os
from typing import Any

from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

__all__ = ["ENGINE", "QuickSaveEngine", "QuickSaveManager", "register"]

ENGINE = "crmlab"
"""The engine's name in papermill's registry (see :func:`register`)."""


class QuickSaveManager(NotebookExecutionManager):
    """papermill's execution manager; saves before the end are compact JSON written directly."""

    def save(self, **kwargs: Any) -> None:
        if kwargs.get("nb"):
            self.nb = kwargs["nb"]
        path = self.output_path
        if self.end_time is not None or not isinstance(path, str | os.PathLike) or "://" in os.fspath(path):
            return super().save(**kwargs)  # the final save, or a path papermill's I/O layer must handle
        text = json.dumps(self.nb, ensure_ascii=False)  # dumps, not dump: only dumps uses the C encoder
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)
        self.last_save_time = self.now()
        return None


class QuickSaveEngine(NBClientEngine):
    """papermill's nbclient engine with :class:`QuickSaveManager`."""

    @classmethod
    def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                         autosave_cell_every=30, **kwargs):
        manager = QuickSaveManager(nb, output_path=output_path, progress_bar=progress_bar,
                                   log_output=log_output, autosave_cell_every=autosave_cell_every)
        manager.notebook_start()
        try:
            cls.execute_managed_notebook(manager, kernel_name, log_output=log_output, **kwargs)
        finally:
            manager.cleanup_pbar()
            manager.notebook_complete()
        return manager.nb


def register() -> str:
    """Register the engine with papermill in this process; return its name for ``engine_name=``.

    >>> import papermill.engines
    >>> papermill.engines.papermill_engines.get_engine(register()) is QuickSaveEngine
    True
    """
    papermill_engines.register(ENGINE, QuickSaveEngine)
    return ENGINE
