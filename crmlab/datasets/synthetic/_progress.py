"""Progress of :func:`~crmlab.datasets.generate_crm`, stage by stage: silent unless asked.

The generator reports each of :data:`STAGES` as it finishes. What ``progress`` is decides
where the report goes:

* ``False`` (the default): nowhere;
* ``True``, ``None`` or a stream: a bar drawn by :mod:`crmlab.progress_bars` (``True``: on
  stderr; ``None``: on stderr when it is a terminal; a stream: there);
* a :class:`crmlab.progress_bars.Bar` (what ``crmlab generate`` passes, one step longer for
  writing the files): it names the stage being generated and advances one step per stage;
* a tqdm-like bar (an object with ``update`` and ``set_description``): its total is set to the
  number of stages, it names the stage being generated and advances one step per stage;
* any other callable: called as ``progress(stage, done, total)`` after each stage.
"""

from __future__ import annotations

from typing import Any

__all__ = ["STAGES", "Stages"]

#: The generator's stages, in order.
STAGES = ("customers", "tickets", "campaigns", "orders and lines", "fulfilment", "interactions", "pipeline",
          "raw export", "tables")  # fmt: skip


class Stages:
    """Reports :data:`STAGES` to ``progress`` (see the module's docstring); ``with`` closes a bar it drew."""

    def __init__(self, progress: Any = False) -> None:
        self._bar = self._tqdm = self._call = None
        self._own = False  # a bar made here is closed here
        self._done = 0
        if progress is False:
            return
        if callable(getattr(progress, "now", None)) and callable(getattr(progress, "advance", None)):
            self._bar = progress
        elif callable(getattr(progress, "update", None)) and callable(getattr(progress, "set_description", None)):
            self._tqdm = progress  # before streams: a tqdm bar has a `write` too
            self._tqdm.total = len(STAGES)
        elif progress is None or progress is True or callable(getattr(progress, "write", None)):
            from crmlab.progress_bars import progress_bar

            self._bar, self._own = progress_bar(len(STAGES), progress, desc="generate_crm", unit="stage"), True
        elif callable(progress):
            self._call = progress
        else:
            raise TypeError(
                "The value for `progress` must be False (no report), True (a bar on stderr), None (a bar when "
                "stderr is a terminal), a stream, a tqdm bar or a function called as progress(stage, done, total), "
                f"but {progress!r} was passed."
            )
        self.start(STAGES[0])

    def start(self, stage: str) -> None:
        """Say which stage is being generated now."""
        if self._bar is not None:
            self._bar.now([stage])
        elif self._tqdm is not None:
            self._tqdm.set_description(stage)

    def finish(self, stage: str) -> None:
        """Count ``stage`` (the one under way) done and name the next one."""
        assert stage == STAGES[self._done], f"stage {stage!r} reported out of order"
        self._done += 1
        if self._bar is not None:
            self._bar.advance()
        elif self._tqdm is not None:
            self._tqdm.update(1)
        elif self._call is not None:
            self._call(stage, self._done, len(STAGES))
        if self._done < len(STAGES):
            self.start(STAGES[self._done])

    def __enter__(self) -> Stages:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._own:
            self._bar.close()
