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

Checksums: every line carries ``"sum"``, a hash chain. A line's sum is the first 16
hex digits of ``sha256(previous_sum + canonical)``, where ``previous_sum`` is the
``sum`` of the last earlier valid line that has one (``""`` for the first) and
``canonical`` is the entry without ``sum`` as ``json.dumps(entry, sort_keys=True,
separators=(",", ":"))``. When the instructor sets ``CRMLAB_CLASS_KEY``, sums are
``"k"`` + the first 16 hex digits of ``HMAC-SHA256(key, previous_sum + canonical)``.
The writer reads the last sum under the same exclusive lock as its write, so
concurrent writers still make one chain. :meth:`ProgressLog.read` counts entries
whose sum does not match, or that lack one after lines that have one, as
``tampered``: a line edited, inserted, moved or removed (the line after a gap is
flagged) by hand. Lines written before checksums existed (at the start of a log)
count as ``unverified``, as do keyed lines read without the key and plain lines
read with one. Torn or invalid lines are skipped, as before, and do not break the chain.

What this is, honestly: a check against hand edits, not a proof. The rule is in
this file: anyone who reads it can recompute the sums after editing, or cut lines
off the end of the log (nothing comes after them to notice). Stripping every sum
makes the log read as an old, unverified one: it is shown, but it gets no
certificate and the gradebook counts its lines as ``unverified_lines``. A class key only moves the secret
to the learner's machine, where the environment variable can be read. Writers on
a system without ``fcntl`` (Windows) take no lock, and two kernels appending at
the same instant may then break the chain.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Mapping
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
    "ENV_CLASS_KEY",
    "ENV_PROGRESS_DIR",
    "LEARNER_FILE",
    "MAX_LINE_BYTES",
    "LogContents",
    "ProgressLog",
    "ProgressLogError",
    "chain_sum",
    "class_key",
    "progress_dir",
]

ENV_PROGRESS_DIR = "CRMLAB_PROGRESS_DIR"
ENV_CLASS_KEY = "CRMLAB_CLASS_KEY"
LEARNER_FILE = "learner.json"
#: Longer lines are skipped when reading and refused when writing (answers are cut far shorter).
MAX_LINE_BYTES = 1 << 20
_SCHEMA = 1
_LESSON_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_TEXT_KEYS = ("event", "question", "status", "lesson", "time", "learner", "sum")
_SUM_DIGITS = 16
_KEYED = "k"  # keyed sums start with it (never a hex digit)
_SUM_ROOM = len(', "sum": "k"') + _SUM_DIGITS  # bytes the sum adds to a line
_CHUNK = 1 << 16
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


def class_key() -> str | None:
    """The class key from ``$CRMLAB_CLASS_KEY``, or None when it is unset or blank.

    Examples
    --------
    >>> import os
    >>> class_key() == (os.environ.get("CRMLAB_CLASS_KEY", "").strip() or None)
    True
    """
    return os.environ.get(ENV_CLASS_KEY, "").strip() or None


def chain_sum(previous: str, entry: Mapping[str, Any], key: str | None = None) -> str:
    """The checksum of one log entry, chained to the previous line's sum.

    Parameters
    ----------
    previous : str
        The ``sum`` of the last earlier line that has one; ``""`` for the first.
    entry : mapping
        The entry as read back from JSON; a ``sum`` in it is left out.
    key : str, optional
        The class key: the sum is then an HMAC, marked by a leading ``"k"``.

    Returns
    -------
    str
        16 hex digits, or ``"k"`` and 16 hex digits with a key.

    Examples
    --------
    >>> import hashlib
    >>> entry = {"event": "hint", "question": "q1", "hint": 1}
    >>> s = chain_sum("", entry)
    >>> s == hashlib.sha256(b'{"event":"hint","hint":1,"question":"q1"}').hexdigest()[:16]
    True
    >>> chain_sum(s, entry) != s, chain_sum("", entry, key="class-2025")[0]
    (True, 'k')
    """
    body = {name: value for name, value in entry.items() if name != "sum"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))  # ASCII: non-ASCII is escaped
    message = (previous + canonical).encode("utf-8", "surrogatepass")
    if key is None:
        return hashlib.sha256(message).hexdigest()[:_SUM_DIGITS]
    return _KEYED + hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()[:_SUM_DIGITS]


@dataclass(frozen=True)
class LogContents:
    """What a read of one lesson's log found.

    Parameters
    ----------
    events : list of dict
        The valid entries, oldest first (tampered ones included: see ``tampered``).
    skipped : int
        Lines that were not valid entries (e.g. torn by a killed process).
    problems : tuple of str
        Why lines were skipped, e.g. ``"line 3: `status` is 5, not text"`` (the first 20).
    tampered : int
        Entries whose checksum does not match (edited, or next to a line inserted,
        moved or removed by hand), or without one after lines that have one.
    unverified : int
        Entries whose checksum could not be checked: written before checksums
        existed, keyed while no class key is set, or plain while one is.
    flagged : tuple of str
        Why entries count as tampered, e.g. ``"line 4: its checksum does not match ..."``
        (the first 20).
    """

    events: list[dict]
    skipped: int = 0
    problems: tuple[str, ...] = ()
    tampered: int = 0
    unverified: int = 0
    flagged: tuple[str, ...] = ()


class ProgressLog:
    """Append to and read the per-lesson progress files.

    Parameters
    ----------
    directory : str or Path, optional
        Where the files live; by default :func:`progress_dir`, looked up at each use.
    key : str, optional
        The class key for the checksums; by default :func:`class_key`, looked up at each use;
        ``""`` for plain sums whatever the environment says.

    Examples
    --------
    >>> import tempfile
    >>> log = ProgressLog(tempfile.mkdtemp(), key="")
    >>> log.append("00_welcome", {"event": "hint", "question": "q1", "hint": 1})
    >>> contents = log.read("00_welcome")
    >>> [e["event"] for e in contents.events], contents.tampered, contents.unverified
    (['hint'], 0, 0)
    """

    def __init__(self, directory: str | Path | None = None, key: str | None = None) -> None:
        self._directory = Path(directory) if directory is not None else None
        self._key = key

    @property
    def key(self) -> str | None:
        """The class key the checksums use, or None for plain sums."""
        return class_key() if self._key is None else (self._key.strip() or None)

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
        """Append one event, atomically, with the schema version, lesson, time, learner and sum added.

        The sum chains to the last line's, read under the same exclusive lock as the write.

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
        record.pop("sum", None)
        data = _encode(record)
        if len(data) + _SUM_ROOM > MAX_LINE_BYTES:
            raise ValueError(
                f"A progress event of {len(data):,} bytes is longer than the log keeps "
                f"({MAX_LINE_BYTES:,}); cut long answers before recording them."
            )
        entry = json.loads(data)  # the sum covers the entry exactly as a reader parses it
        path = self.path(lesson_id)
        key = self.key
        self._make_folder()
        fd = _open_regular(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, "write to")
        try:
            with _locked(fd, exclusive=True):
                data = _encode({**entry, "sum": chain_sum(_last_sum(fd), entry, key)})
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
                return _parse(_lines(fd, path), self.key)
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


def _encode(record: Mapping[str, Any]) -> bytes:
    text = json.dumps(record, ensure_ascii=False, sort_keys=True, default=str) + "\n"
    return text.encode("utf-8", "backslashreplace")


def _pread(fd: int, size: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # Windows: appends still go to the end (O_APPEND)
    return os.read(fd, size)


def _ends_torn(fd: int) -> bool:
    size = os.fstat(fd).st_size
    if not hasattr(os, "pread"):
        return False
    return size > 0 and os.pread(fd, 1, size - 1) != b"\n"


def _last_sum(fd: int) -> str:
    """The ``sum`` of the last valid entry that has one, read backwards; ``""`` when none has.

    Lines are judged as :meth:`ProgressLog.read` judges them, so writer and reader agree
    on the chain: torn, invalid or over-long lines and lines without a sum are passed over.
    """
    position, pending, dropping = os.fstat(fd).st_size, b"", False
    while position > 0:
        start = max(0, position - _CHUNK)
        parts: list[bytes | None] = list(_pread(fd, position - start, start).split(b"\n"))
        position = start
        if dropping:  # inside a line too long to keep: pass over it up to its start
            if len(parts) == 1:
                continue
            parts[-1], dropping = None, False
        else:
            parts[-1] += pending
        for line in reversed(parts[1:]):
            found = _sum_of(line)
            if found is not None:
                return found
        pending = parts[0]
        if len(pending) > MAX_LINE_BYTES:
            pending, dropping = b"", True
    return "" if dropping else (_sum_of(pending) or "")


def _sum_of(line: bytes | None) -> str | None:
    if line is None or len(line) > MAX_LINE_BYTES or not line.strip():
        return None
    entry, problem = _entry(line)
    return entry.get("sum") if problem is None else None


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


def _parse(lines: Iterator[bytes | None], key: str | None) -> LogContents:
    events, skipped, problems, chain = [], 0, [], _Chain(key)
    for number, line in enumerate(lines, start=1):
        if line is not None and not line.strip():
            continue
        event, problem = _entry(line)
        if problem is None:
            events.append(event)
            chain.verify(number, event)
        else:
            skipped += 1
            if len(problems) < _MAX_REASONS:
                problems.append(f"line {number}: {problem}")
    return LogContents(events, skipped, tuple(problems), chain.tampered, chain.unverified, tuple(chain.flagged))


def _entry(line: bytes | None) -> tuple[Any, str | None]:
    """The parsed entry and None, or what makes the line unusable."""
    if line is None:
        return None, f"longer than {MAX_LINE_BYTES:,} bytes"
    try:
        event = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "not UTF-8 text"
    except ValueError:
        return None, "not valid JSON (e.g. cut short by a stopped kernel)"
    return event, _entry_problem(event)


class _Chain:
    """Checks the sums of a log's valid entries in order (see the module's docstring)."""

    def __init__(self, key: str | None) -> None:
        self.key, self.previous, self.started = key, "", False
        self.tampered, self.unverified, self.flagged = 0, 0, []

    def verify(self, number: int, entry: dict) -> None:
        stated = entry.get("sum")
        if stated is None:
            if self.started:
                self._flag(number, "it has no checksum, after lines that have one (added by hand, or by a "
                           "kernel still running a crmlab older than checksums)")  # fmt: skip
            else:
                self.unverified += 1  # written before checksums existed
            return
        self.started = True
        keyed = stated.startswith(_KEYED)
        if keyed and self.key is None:
            self.unverified += 1  # cannot be checked without the class key
        elif chain_sum(self.previous, entry, self.key if keyed else None) != stated:
            self._flag(number, "its checksum does not match: the line was edited, or a line just before "
                       "it was removed, added or moved")  # fmt: skip
        elif self.key is not None and not keyed:
            self.unverified += 1  # anyone can make a plain sum; the class expects keyed ones
        self.previous = stated  # the next line is checked against what this one states

    def _flag(self, number: int, reason: str) -> None:
        self.tampered += 1
        if len(self.flagged) < _MAX_REASONS:
            self.flagged.append(f"line {number}: {reason}")


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
