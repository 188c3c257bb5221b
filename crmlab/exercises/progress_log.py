"""The progress log: one JSON Lines file per lesson, appended atomically.

Every check, hint, solution view and quiz answer becomes one line in
``<progress dir>/<lesson_id>.jsonl``. The folder is ``~/.crmlab/progress`` unless
the environment variable ``CRMLAB_PROGRESS_DIR`` names another. The learner's
name, once set, lives next to the logs in ``learner.json`` and is added to every
new line (older lines without it read as before).

An append is one ``os.write`` of a whole line on a file opened with ``O_APPEND``,
under an exclusive ``fcntl.flock``: two kernels writing at once never interleave,
and a process killed mid-write can at worst leave a torn last line. The next
append starts on a fresh line, and the reader skips (and counts, with the reason)
lines that are not valid entries, so earlier entries are never lost.

Only regular files are opened, without blocking: a folder, a named pipe, a link
loop or a file without read permission in place of a log gives a
:class:`ProgressLogError` that names the file and the fix, never a hang.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from crmlab.errors import DataFileError

try:
    import fcntl
except ImportError:  # Windows: O_APPEND alone keeps whole-line appends
    fcntl = None

__all__ = [
    "ENV_PROGRESS_DIR",
    "LEARNER_FILE",
    "MAX_LINE_BYTES",
    "LogContents",
    "ProgressLog",
    "ProgressLogError",
    "progress_dir",
]

ENV_PROGRESS_DIR = "CRMLAB_PROGRESS_DIR"
LEARNER_FILE = "learner.json"
#: Longer lines are skipped when reading and refused when writing (answers are cut far shorter).
MAX_LINE_BYTES = 1 << 20
_SCHEMA = 1
_LESSON_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_TEXT_KEYS = ("event", "question", "status", "lesson", "time", "learner")
_REQUIRED = ("event", "question")
_MAX_REASONS = 20  # reasons kept per read; the count of skipped lines stays exact
_FIX = (
    "Move it away or delete it (a new log then starts for this lesson), or set the environment "
    f"variable {ENV_PROGRESS_DIR} to another folder."
)


class ProgressLogError(DataFileError):
    """A progress log or the progress folder cannot be read or written.

    The message names the file, what is wrong and how to fix it.
    """


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
        Lines that were not valid entries (e.g. torn by a killed process).
    problems : tuple of str
        Why lines were skipped, e.g. ``"line 3: `status` is 5, not text"`` (the first 20).
    """

    events: list[dict]
    skipped: int = 0
    problems: tuple[str, ...] = ()


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
        if not isinstance(lesson_id, str) or not _LESSON_ID.match(lesson_id):
            raise ValueError(
                f"A lesson id must be letters, digits, '_', '-' or '.', e.g. '00_welcome'; "
                f"got {lesson_id!r}."
            )
        return self.directory / f"{lesson_id}.jsonl"

    def append(self, lesson_id: str, event: dict[str, Any]) -> None:
        """Append one event, atomically, with the schema version, lesson, time and learner added.

        Raises
        ------
        ProgressLogError
            When the log or its folder is not a writable regular file / folder.
        ValueError
            For a bad lesson id, or an event longer than :data:`MAX_LINE_BYTES`.
        """
        record = {
            "v": _SCHEMA,
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "lesson": lesson_id,
            **event,
        }
        learner = self._learner_for_log()
        if learner and "learner" not in record:
            record["learner"] = learner
        data = (json.dumps(record, ensure_ascii=False, sort_keys=True, default=str) + "\n").encode(
            "utf-8", "backslashreplace"
        )
        if len(data) > MAX_LINE_BYTES:
            raise ValueError(
                f"A progress event of {len(data):,} bytes is longer than the log keeps "
                f"({MAX_LINE_BYTES:,}); cut long answers before recording them."
            )
        path = self.path(lesson_id)
        self._make_folder()
        fd = _open_regular(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, "write to")
        try:
            with _locked(fd, exclusive=True):
                if _ends_torn(fd):
                    data = b"\n" + data  # never glue onto a line torn by a killed writer
                _write_all(fd, data)
        finally:
            os.close(fd)

    def read(self, lesson_id: str) -> LogContents:
        """All valid events of one lesson; invalid lines are skipped, counted and explained.

        Raises
        ------
        ProgressLogError
            When the log is a folder, a pipe, a link loop or cannot be read.
        """
        path = self.path(lesson_id)
        if not os.path.lexists(path):
            return LogContents([])
        fd = _open_regular(path, os.O_RDONLY, "read")
        try:
            with _locked(fd, exclusive=False):
                return _parse(_lines(fd, path))
        finally:
            os.close(fd)

    def lessons(self) -> list[str]:
        """The lesson ids that have a log file, sorted.

        Raises
        ------
        ProgressLogError
            When the progress folder is a file or cannot be listed.
        """
        folder = self.directory
        try:
            with os.scandir(folder) as entries:
                names = [entry.name for entry in entries]
        except FileNotFoundError:
            return []
        except NotADirectoryError:
            raise ProgressLogError(folder, "The progress folder is a file, not a folder",
                                   _folder_fix(folder)) from None  # fmt: skip
        except OSError as exc:
            raise ProgressLogError(folder, f"The progress folder cannot be listed ({_reason(exc)})",
                                   _folder_fix(folder, blocked=True)) from None  # fmt: skip
        stems = [name[: -len(".jsonl")] for name in names if name.endswith(".jsonl")]
        return sorted(stem for stem in stems if _LESSON_ID.match(stem))

    def read_learner(self) -> str | None:
        """The learner's name as stored in ``learner.json``, or None when none is set.

        The name's rules are checked by :func:`crmlab.exercises.learner.learner_name`.

        Raises
        ------
        ProgressLogError
            When the file cannot be read or does not hold ``{"name": "..."}``.
        """
        path = self.directory / LEARNER_FILE
        if not os.path.lexists(path):
            return None
        fd = _open_regular(path, os.O_RDONLY, "read")
        try:
            raw = os.read(fd, 64 * 1024)
        finally:
            os.close(fd)
        try:
            stored = json.loads(raw)
        except ValueError:
            stored = None
        if not isinstance(stored, dict) or not isinstance(stored.get("name"), str):
            raise ProgressLogError(
                path, 'The learner file does not hold {"name": "..."}',
                'Set your name again: set_learner_name("Your Name") in a notebook, or '
                'crmlab name "Your Name" in a terminal.',
            )  # fmt: skip
        return stored["name"]

    def write_learner(self, name: str) -> Path:
        """Store the learner's name in ``learner.json``, replacing the file atomically.

        The name's rules are checked by :func:`crmlab.exercises.learner.set_learner_name`.
        """
        self._make_folder()
        path = self.directory / LEARNER_FILE
        if os.path.lexists(path) and not path.is_file():
            raise ProgressLogError(path, "The learner file is not a regular file",
                                   f"Move it away or delete it: {path}")  # fmt: skip
        data = json.dumps({"v": _SCHEMA, "name": name}, ensure_ascii=False) + "\n"
        try:
            fd, temp = tempfile.mkstemp(dir=self.directory, prefix=".learner-", suffix=".tmp")
        except OSError as exc:
            raise ProgressLogError(path, f"Cannot write the learner file ({_reason(exc)})",
                                   _folder_fix(self.directory, blocked=True)) from None  # fmt: skip
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return path

    def _learner_for_log(self) -> str | None:
        try:
            name = self.read_learner()
        except Exception:  # a broken learner file must never stop a check from being recorded
            return None
        return name if name and len(name) <= 200 else None

    def _make_folder(self) -> None:
        folder = self.directory
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise ProgressLogError(folder, "The progress folder is a file, not a folder",
                                   _folder_fix(folder)) from None  # fmt: skip
        except OSError as exc:
            raise ProgressLogError(folder, f"The progress folder cannot be created ({_reason(exc)})",
                                   _folder_fix(folder, blocked=True)) from None  # fmt: skip


def _folder_fix(folder: Path, blocked: bool = False) -> str:
    first = f"Give yourself access to {folder} (chmod u+rwx)" if blocked else f"Move {folder} away"
    return f"{first}, or set the environment variable {ENV_PROGRESS_DIR} to a folder you can write to."


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _open_regular(path: Path, flags: int, action: str) -> int:
    """Open ``path`` without blocking and only if it is a regular file (or a link to one)."""
    try:
        fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0), 0o600)
    except IsADirectoryError:
        raise ProgressLogError(path, f"Cannot {action} the progress log: it is a folder, not a file",
                               _FIX) from None  # fmt: skip
    except PermissionError:
        raise ProgressLogError(
            path, f"Cannot {action} the progress log: permission denied",
            f"Give yourself access (chmod u+rw {path}) or set {ENV_PROGRESS_DIR} to another folder.",
        ) from None  # fmt: skip
    except FileNotFoundError:
        raise ProgressLogError(path, f"Cannot {action} the progress log: it is a link to a file "
                               "that does not exist", _FIX) from None  # fmt: skip
    except OSError as exc:
        problem = ("it is a symbolic link that loops back on itself" if exc.errno == errno.ELOOP
                   else _reason(exc))  # fmt: skip
        raise ProgressLogError(path, f"Cannot {action} the progress log: {problem}", _FIX) from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise ProgressLogError(path, f"Cannot {action} the progress log: it is {_kind(mode)}, "
                               "not a regular file", _FIX)  # fmt: skip
    return fd


def _kind(mode: int) -> str:
    for test, name in [(stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device")]:  # fmt: skip
        if test(mode):
            return name
    return "not a file"


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


def _lines(fd: int, path: Path) -> Iterator[bytes | None]:
    """The file's lines without their newline; None for a line over MAX_LINE_BYTES."""
    pending, dropping = bytearray(), False
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError as exc:
            raise ProgressLogError(path, f"Cannot read the progress log ({_reason(exc)})", _FIX) from None
        if not chunk:
            break
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            if not dropping:
                pending += chunk[start:end]
            yield None if dropping or len(pending) > MAX_LINE_BYTES else bytes(pending)
            pending.clear()
            dropping, start = False, end + 1
        if not dropping:
            pending += chunk[start:]
            if len(pending) > MAX_LINE_BYTES:
                pending.clear()
                dropping = True
    if dropping:
        yield None
    elif pending:
        yield bytes(pending)


def _parse(lines: Iterator[bytes | None]) -> LogContents:
    events, skipped, problems = [], 0, []
    for number, line in enumerate(lines, start=1):
        if line is not None and not line.strip():
            continue
        problem = None if line is not None else f"longer than {MAX_LINE_BYTES:,} bytes"
        event = None
        if problem is None:
            try:
                event = json.loads(line.decode("utf-8"))
            except UnicodeDecodeError:
                problem = "not UTF-8 text"
            except ValueError:
                problem = "not valid JSON (e.g. cut short by a stopped kernel)"
            else:
                problem = _entry_problem(event)
        if problem is None:
            events.append(event)
        else:
            skipped += 1
            if len(problems) < _MAX_REASONS:
                problems.append(f"line {number}: {problem}")
    return LogContents(events, skipped, tuple(problems))


def _entry_problem(event: Any) -> str | None:
    if not isinstance(event, dict):
        return f"a JSON {type(event).__name__}, not an entry {{...}}"
    for key in _REQUIRED:
        if key not in event:
            return f"no `{key}`"
    for key in _TEXT_KEYS:
        if key in event and not isinstance(event[key], str):
            return f"`{key}` is {_short(event[key])}, not text"
    hint = event.get("hint", 0)
    if isinstance(hint, bool) or not isinstance(hint, int) or hint < 0:
        return f"`hint` is {_short(hint)}, not a hint number"
    return None


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."
