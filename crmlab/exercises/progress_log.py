"""The progress log: one JSON Lines file per lesson, appended atomically.

Every check, hint, solution view and quiz answer becomes one line in
``<progress dir>/<lesson_id>.jsonl``. The folder is ``~/.crmlab/progress`` unless
the environment variable ``CRMLAB_PROGRESS_DIR`` names another.

An append is one ``os.write`` of a whole line on a file opened with ``O_APPEND``,
under an exclusive ``fcntl.flock``: two kernels writing at once never interleave,
and a process killed mid-write can at worst leave a torn last line. The next
append starts on a fresh line, and the reader skips (and counts) lines that are
not valid JSON, so earlier entries are never lost.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: O_APPEND alone keeps whole-line appends
    fcntl = None

__all__ = ["ENV_PROGRESS_DIR", "LogContents", "ProgressLog", "progress_dir"]

ENV_PROGRESS_DIR = "CRMLAB_PROGRESS_DIR"
_SCHEMA = 1
_LESSON_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def progress_dir() -> Path:
    """The folder of the progress log: ``$CRMLAB_PROGRESS_DIR`` or ``~/.crmlab/progress``.

    Examples
    --------
    >>> progress_dir().name
    'progress'
    """
    override = os.environ.get(ENV_PROGRESS_DIR, "").strip()
    return Path(override).expanduser() if override else Path.home() / ".crmlab" / "progress"


@dataclass(frozen=True)
class LogContents:
    """What a read of one lesson's log found.

    Parameters
    ----------
    events : list of dict
        The valid entries, oldest first.
    skipped : int
        Lines that were not valid JSON objects (e.g. torn by a killed process).
    """

    events: list[dict]
    skipped: int = 0


class ProgressLog:
    """Append to and read the per-lesson progress files.

    Parameters
    ----------
    directory : str or Path, optional
        Where the files live; by default :func:`progress_dir`, looked up at each use.

    Examples
    --------
    >>> import tempfile
    >>> log = ProgressLog(tempfile.mkdtemp())
    >>> log.append("00_welcome", {"event": "hint", "question": "q1", "hint": 1})
    >>> [e["event"] for e in log.read("00_welcome").events]
    ['hint']
    """

    def __init__(self, directory: str | Path | None = None) -> None:
        self._directory = Path(directory) if directory is not None else None

    @property
    def directory(self) -> Path:
        """The folder holding the log files."""
        return self._directory if self._directory is not None else progress_dir()

    def path(self, lesson_id: str) -> Path:
        """The log file of one lesson."""
        if not _LESSON_ID.match(lesson_id):
            raise ValueError(
                f"A lesson id must be letters, digits, '_', '-' or '.', e.g. '00_welcome'; "
                f"got {lesson_id!r}."
            )
        return self.directory / f"{lesson_id}.jsonl"

    def append(self, lesson_id: str, event: dict[str, Any]) -> None:
        """Append one event, atomically, with the schema version, lesson and time added."""
        record = {
            "v": _SCHEMA,
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "lesson": lesson_id,
            **event,
        }
        line = json.dumps(record, ensure_ascii=False, sort_keys=True, default=str) + "\n"
        path = self.path(lesson_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            with _locked(fd, exclusive=True):
                data = line.encode("utf-8")
                if _ends_torn(fd):
                    data = b"\n" + data  # never glue onto a line torn by a killed writer
                _write_all(fd, data)
        finally:
            os.close(fd)

    def read(self, lesson_id: str) -> LogContents:
        """All valid events of one lesson; invalid lines are skipped and counted."""
        path = self.path(lesson_id)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return LogContents([])
        try:
            with _locked(fd, exclusive=False):
                raw = _read_all(fd)
        finally:
            os.close(fd)
        return _parse(raw)

    def lessons(self) -> list[str]:
        """The lesson ids that have a log file, sorted."""
        if not self.directory.is_dir():
            return []
        return sorted(p.stem for p in self.directory.glob("*.jsonl") if _LESSON_ID.match(p.stem))


@contextmanager
def _locked(fd: int, exclusive: bool) -> Iterator[None]:
    if fcntl is None:
        yield
        return
    fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _ends_torn(fd: int) -> bool:
    size = os.fstat(fd).st_size
    if not hasattr(os, "pread"):
        return False
    return size > 0 and os.pread(fd, 1, size - 1) != b"\n"


def _write_all(fd: int, data: bytes) -> None:
    written = os.write(fd, data)
    while written < len(data):  # a short write is rare on regular files; finish the line
        written += os.write(fd, data[written:])


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(raw: bytes) -> LogContents:
    events, skipped = [], 0
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError:
            skipped += 1
            continue
        if isinstance(event, dict):
            events.append(event)
        else:
            skipped += 1
    return LogContents(events, skipped)
