"""A learner's hand-in: their progress logs and exercise notebooks in one zip file.

``crmlab handin`` (or :func:`make_handin`) writes
``<learner-slug>-<UTC yyyymmdd-HHMMSS>.crmlab-handin.zip``, holding exactly:

``manifest.json``
    ``{"format": "crmlab-handin", "version": 1, "learner": <name>, "created": <ISO UTC>,
    "crmlab_version": <version>, "files": {<member path>: <sha256 hex>}}``; ``files``
    lists every other member.
``progress/<lesson_id>.jsonl`` and ``progress/learner.json``
    The progress folder's logs and name file, byte for byte.
``notebooks/<name>.ipynb``
    Each exercise notebook (``exercises/*_exercises.ipynb`` by default), byte for byte.

Nothing else goes in: no other file of the folders, nothing reached through a link that
leads out of them, no notebook over :data:`MAX_FILE_BYTES` (clear its outputs first).

:func:`read_handin` and :func:`extract_handin` check a hand-in before anything in it is
used: a zip that cannot be read, a member with another name (``../x``), a member larger
than the caps (a zip bomb), a missing or malformed manifest, or a member whose sha256
differs from the manifest's raise :class:`HandinError` with the reason. The checksums show
a file changed after the hand-in was made; they do not prove who made it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from crmlab import __version__
from crmlab.errors import CrmlabError
from crmlab.exercises.learner import LearnerNameError, check_learner_name, learner_name
from crmlab.exercises.progress_log import LEARNER_FILE, ProgressLog

__all__ = [
    "FORMAT",
    "MAX_FILE_BYTES",
    "MAX_HANDIN_BYTES",
    "SUFFIX",
    "VERSION",
    "Handin",
    "HandinError",
    "extract_handin",
    "handin_name",
    "learner_slug",
    "make_handin",
    "read_handin",
]

FORMAT = "crmlab-handin"
VERSION = 1
SUFFIX = ".crmlab-handin.zip"
MANIFEST = "manifest.json"
#: The largest notebook or log a hand-in takes (uncompressed).
MAX_FILE_BYTES = 20 * 1024 * 1024
#: The largest total of a hand-in's members (uncompressed), and of the zip file itself.
MAX_HANDIN_BYTES = 400 * 1024 * 1024
_MAX_MANIFEST_BYTES = 1024 * 1024
_MAX_MEMBERS = 1000
_NOTEBOOK_PATTERN = "*_exercises.ipynb"
_LESSON = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}"
_MEMBER = re.compile(
    rf"^(?:progress/{_LESSON}\.jsonl|progress/{re.escape(LEARNER_FILE)}|notebooks/{_LESSON}\.ipynb)$"
)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 16
_READ_FAILURES = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError,
                  zlib.error, OSError, ValueError, KeyError)  # fmt: skip


class HandinError(CrmlabError, ValueError):
    """A hand-in that cannot be made, or a file that is not a valid hand-in; the message says why."""


@dataclass(frozen=True)
class Handin:
    """A hand-in file, as made or as read.

    Parameters
    ----------
    path : Path
        The zip file.
    learner : str
        The learner's name from the manifest.
    created : datetime
        When it was made (UTC), from the manifest.
    crmlab_version : str
        The version of crmlab that made it.
    files : dict of str to str
        Member path to sha256 hex digest, manifest excluded.
    notes : tuple of str
        What :func:`make_handin` left out and why (e.g. a link leading out of the folder).
    """

    path: Path
    learner: str
    created: datetime
    crmlab_version: str
    files: dict[str, str]
    notes: tuple[str, ...] = field(default=())

    @property
    def lessons(self) -> list[str]:
        """The lesson ids with a progress log, sorted."""
        return sorted(m[len("progress/"):-len(".jsonl")] for m in self.files if m.endswith(".jsonl"))

    @property
    def notebooks(self) -> list[str]:
        """The notebooks' file names, sorted."""
        return sorted(m[len("notebooks/"):] for m in self.files if m.startswith("notebooks/"))


def learner_slug(name: str) -> str:
    """The learner's name as a file-name part: lower case, words joined by ``-``.

    Letters of any script are kept; anything else becomes ``-``.

    Examples
    --------
    >>> learner_slug("Sara Ahmadi"), learner_slug("<script>alert(1)</script>"), learner_slug("...")
    ('sara-ahmadi', 'script-alert-1-script', 'learner')
    """
    text = unicodedata.normalize("NFC", name).casefold()
    slug = re.sub(r"[\W_]+", "-", text).strip("-")[:40].strip("-")
    return slug or "learner"


def handin_name(learner: str, created: datetime) -> str:
    """The hand-in's file name: ``<learner-slug>-<UTC yyyymmdd-HHMMSS>.crmlab-handin.zip``.

    Examples
    --------
    >>> handin_name("Sara Ahmadi", datetime(2025, 3, 20, 21, 10, 5, tzinfo=UTC))
    'sara-ahmadi-20250320-211005.crmlab-handin.zip'
    """
    return f"{learner_slug(learner)}-{created.astimezone(UTC):%Y%m%d-%H%M%S}{SUFFIX}"


def make_handin(
    out_dir: str | os.PathLike = ".",
    *,
    notebooks: str | os.PathLike = "exercises",
    progress: str | os.PathLike | None = None,
    now: datetime | None = None,
) -> Handin:
    """Write the learner's hand-in zip: progress logs, name file and exercise notebooks.

    Parameters
    ----------
    out_dir : str or Path, default "."
        An existing folder for the zip file.
    notebooks : str or Path, default "exercises"
        The folder of the exercise notebooks; its ``*_exercises.ipynb`` files go in.
    progress : str or Path, optional
        The progress folder; by default ``$CRMLAB_PROGRESS_DIR`` or ``~/.crmlab/progress``.
    now : datetime, optional
        The time to stamp (UTC); by default the current time.

    Returns
    -------
    Handin
        What was written; ``notes`` lists the files left out, with the reason.

    Raises
    ------
    HandinError
        No learner name set, nothing to hand in, a notebook over :data:`MAX_FILE_BYTES`,
        an unusable ``out_dir``, or a file with that name already there.

    Examples
    --------
    >>> import tempfile
    >>> from crmlab.exercises import set_learner_name
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = set_learner_name("Sara Ahmadi", directory=folder / "progress")
    >>> ProgressLog(folder / "progress").append("00_welcome", {"event": "hint", "question": "q1", "hint": 1})
    >>> made = make_handin(folder, notebooks=folder / "exercises", progress=folder / "progress",
    ...                    now=datetime(2025, 3, 20, 21, 10, 5, tzinfo=UTC))
    >>> made.path.name, sorted(made.files)
    ('sara-ahmadi-20250320-211005.crmlab-handin.zip', ['progress/00_welcome.jsonl', 'progress/learner.json'])
    >>> read_handin(made.path).learner
    'Sara Ahmadi'
    """
    log = ProgressLog(progress)
    name = _learner(log.directory)
    created = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    out = Path(out_dir)
    if not out.is_dir():
        raise HandinError(f"The folder for the hand-in does not exist: {str(out)!r}. Create it first, or give "
                          "another with --out DIR.")  # fmt: skip
    notes: list[str] = []
    sources = [*_progress_files(log.directory, notes), *_notebook_files(Path(notebooks), notes)]
    if not any(member.endswith((".jsonl", ".ipynb")) for member, _ in sources):
        raise HandinError(
            f"There is nothing to hand in: no progress log in {str(log.directory)!r} and no "
            f"{_NOTEBOOK_PATTERN} notebook in {str(notebooks)!r}. Run the exercises' checks first, and run "
            "crmlab handin from the course folder (or give --notebooks DIR)."
        )
    target = out / handin_name(name, created)
    files = _write_zip(target, sources, name, created)
    return Handin(target, name, created, __version__, files, tuple(notes))


def read_handin(path: str | os.PathLike) -> Handin:
    """Check a hand-in zip and return what its manifest says; nothing is extracted.

    Raises
    ------
    HandinError
        When the file is not a hand-in this version reads, or was changed after it was made.
    """
    return _checked(Path(path), None)


def extract_handin(path: str | os.PathLike, dest: str | os.PathLike) -> Handin:
    """Check a hand-in zip and write its members under ``dest`` (``progress/``, ``notebooks/``).

    Parameters
    ----------
    path : str or Path
        The hand-in zip.
    dest : str or Path
        An existing, empty folder, e.g. a :class:`tempfile.TemporaryDirectory`. On an
        error its contents are incomplete: throw it away.

    Returns
    -------
    Handin

    Raises
    ------
    HandinError
        As :func:`read_handin`; also when ``dest`` is not a folder.
    """
    target = Path(dest)
    if not target.is_dir():
        raise HandinError(f"`dest` must be an existing folder, but {str(target)!r} is not one.")
    return _checked(Path(path), target)


# --- making -----------------------------------------------------------------------------------


def _learner(progress: Path) -> str:
    try:
        name = learner_name(directory=progress)
    except LearnerNameError as exc:
        raise HandinError(f"{exc} Then run crmlab handin again.") from None
    if not name:
        raise HandinError('No learner name is set, so the hand-in would be anonymous. Run crmlab name "Your Name" '
                          '(or set_learner_name("Your Name") in a notebook), then crmlab handin again.')
    return name


def _progress_files(folder: Path, notes: list[str]) -> Iterator[tuple[str, Path]]:
    stems = ProgressLog(folder).lessons()
    for name in [*(f"{stem}.jsonl" for stem in stems), LEARNER_FILE]:
        path = folder / name
        if not os.path.lexists(path):
            continue
        if not _MEMBER.match(f"progress/{name}"):
            notes.append(f"Left out {str(path)!r}: a lesson id of at most 100 characters is expected.")
        elif _usable(path, folder, notes):
            yield f"progress/{name}", path


def _notebook_files(folder: Path, notes: list[str]) -> Iterator[tuple[str, Path]]:
    if not folder.is_dir():
        notes.append(f"No notebook folder {str(folder)!r}: only the progress is handed in (give --notebooks DIR).")
        return
    for path in sorted(folder.glob(_NOTEBOOK_PATTERN)):
        member = f"notebooks/{path.name}"
        if not _MEMBER.match(member):
            notes.append(f"Left out {path.name!r}: rename it to letters, digits, '_', '-' and '.' only.")
        elif _usable(path, folder, notes):
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raise HandinError(
                    f"The notebook {str(path)!r} is {size / 2**20:.1f} MB, more than the {MAX_FILE_BYTES // 2**20} MB "
                    "a hand-in takes. Open it, clear its outputs (Edit > Clear Outputs of All Cells), save, and "
                    "run crmlab handin again."
                )
            yield member, path


def _usable(path: Path, folder: Path, notes: list[str]) -> bool:
    """True for a regular file inside ``folder`` (links are followed only if they stay inside)."""
    try:
        real = path.resolve(strict=True)
        inside = real.is_relative_to(folder.resolve(strict=True))
        regular = stat.S_ISREG(os.stat(real).st_mode)
    except (OSError, RuntimeError):
        notes.append(f"Left out {str(path)!r}: it cannot be read (a broken link?).")
        return False
    if not inside:
        notes.append(f"Left out {str(path)!r}: it is a link to a file outside {str(folder)!r}.")
    elif not regular:
        notes.append(f"Left out {str(path)!r}: it is not a regular file.")
    return inside and regular


def _read_source(path: Path) -> bytes:
    """The file's bytes; read from its real path, refusing anything but a regular file."""
    real = path.resolve(strict=True)
    fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise HandinError(f"{str(path)!r} is not a regular file; move it away and run crmlab handin again.")
        chunks, size = [], 0
        while chunk := os.read(fd, _CHUNK):
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                raise HandinError(f"{str(path)!r} is larger than the {MAX_FILE_BYTES // 2**20} MB a hand-in takes. "
                                  "Clear a notebook's outputs, or move a log away, and run crmlab handin again.")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _write_zip(target: Path, sources: list[tuple[str, Path]], name: str, created: datetime) -> dict[str, str]:
    try:
        handle = open(target, "xb")  # closed below; never overwrites a hand-in
    except FileExistsError:
        raise HandinError(f"{str(target)!r} already exists: wait a second and run crmlab handin again.") from None
    except OSError as exc:
        raise HandinError(f"Cannot write {str(target)!r} ({exc.strerror}); give a folder you can write to "
                          "with --out DIR.") from None  # fmt: skip
    files: dict[str, str] = {}
    try:
        with handle, zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for member, path in sources:
                data = _read_source(path)
                files[member] = hashlib.sha256(data).hexdigest()
                archive.writestr(_info(member, created), data)
            manifest = {"format": FORMAT, "version": VERSION, "learner": name, "created": created.isoformat(),
                        "crmlab_version": __version__, "files": files}  # fmt: skip
            text = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
            archive.writestr(_info(MANIFEST, created), text.encode("utf-8"))
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return files


def _info(member: str, created: datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(member, date_time=created.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | 0o644) << 16
    return info


# --- reading ----------------------------------------------------------------------------------


def _checked(path: Path, dest: Path | None) -> Handin:
    try:
        info = os.stat(path)
    except OSError as exc:
        raise HandinError(f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    if not stat.S_ISREG(info.st_mode):
        raise HandinError("not a regular file")
    if info.st_size > MAX_HANDIN_BYTES:
        raise HandinError(f"the file is larger than {MAX_HANDIN_BYTES // 2**20} MB")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = _checked_members(archive)
            manifest = _manifest(archive, infos)
            _check_files(archive, infos, manifest["files"], dest)
    except HandinError:
        raise
    except _READ_FAILURES as exc:
        raise HandinError(f"not a readable zip file ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})") \
            from None
    return Handin(path, manifest["learner"], manifest["created"], manifest["crmlab_version"], manifest["files"])


def _checked_members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > _MAX_MEMBERS:
        raise HandinError(f"{len(infos):,} members, more than a hand-in holds ({_MAX_MEMBERS})")
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise HandinError(f"the member {twice[0]!r} appears twice")
    total = 0
    for info in infos:
        if info.filename != MANIFEST and not _MEMBER.match(info.filename):
            raise HandinError(f"unexpected member {info.filename!r} (a hand-in holds only manifest.json, "
                              "progress/<lesson>.jsonl, progress/learner.json and notebooks/<name>.ipynb)")
        if info.flag_bits & 0x1:
            raise HandinError(f"the member {info.filename!r} is encrypted")
        kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the zip tool stored no file type
        if kind and kind != stat.S_IFREG:
            raise HandinError(f"the member {info.filename!r} is not a regular file (a link?)")
        cap = _MAX_MANIFEST_BYTES if info.filename == MANIFEST else MAX_FILE_BYTES
        if info.file_size > cap:
            raise HandinError(f"the member {info.filename!r} unpacks to {info.file_size:,} bytes, more than "
                              f"{cap:,} (a zip bomb?)")  # fmt: skip
        total += info.file_size
    if total > MAX_HANDIN_BYTES:
        raise HandinError(f"the members unpack to {total:,} bytes, more than {MAX_HANDIN_BYTES:,} (a zip bomb?)")
    if MANIFEST not in names:
        raise HandinError("no manifest.json: not a crmlab hand-in (make one with crmlab handin)")
    return {info.filename: info for info in infos}


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> Iterator[bytes]:
    """The member's bytes in chunks, stopping past ``cap`` whatever its header claims."""
    size = 0
    with archive.open(info) as handle:
        while chunk := handle.read(_CHUNK):
            size += len(chunk)
            if size > cap:
                raise HandinError(f"the member {info.filename!r} unpacks to more than {cap:,} bytes (a zip bomb?)")
            yield chunk


def _manifest(archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo]) -> dict:
    raw = b"".join(_read_member(archive, infos[MANIFEST], _MAX_MANIFEST_BYTES))
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except ValueError:
        raise HandinError("manifest.json is not valid JSON (UTF-8)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise HandinError(f'manifest.json does not say "format": "{FORMAT}": not a crmlab hand-in')
    version = manifest.get("version")
    if version != VERSION:
        raise HandinError(f"hand-in format version {version!r}; this crmlab reads version {VERSION} "
                          "(update crmlab, or ask for a new hand-in)")  # fmt: skip
    try:
        learner = check_learner_name(manifest.get("learner"), argument="learner")
    except LearnerNameError as exc:
        raise HandinError(f"manifest.json: {exc}") from None
    created = _created(manifest.get("created"))
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) and _SHA256.match(v)
                                              for k, v in files.items()):  # fmt: skip
        raise HandinError('manifest.json: "files" must map each member to its sha256 (64 hex digits)')
    version_text = manifest.get("crmlab_version")
    return {"learner": learner, "created": created, "files": dict(files),
            "crmlab_version": version_text if isinstance(version_text, str) else ""}  # fmt: skip


def _created(value: object) -> datetime:
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise HandinError(f'manifest.json: "created" must be an ISO time with its UTC offset, but {value!r} '
                          "was found")  # fmt: skip
    return when.astimezone(UTC)


def _check_files(archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], files: dict[str, str],
                 dest: Path | None) -> None:  # fmt: skip
    members = set(infos) - {MANIFEST}
    unlisted, missing = sorted(members - set(files)), sorted(set(files) - members)
    if unlisted:
        raise HandinError(f"the member {unlisted[0]!r} is not listed in manifest.json")
    if missing:
        raise HandinError(f"manifest.json lists {missing[0]!r}, which is not in the zip")
    for name in sorted(members):
        digest = hashlib.sha256()
        out = _open_target(dest, name) if dest is not None else None
        try:
            for chunk in _read_member(archive, infos[name], MAX_FILE_BYTES):
                digest.update(chunk)
                if out is not None:
                    out.write(chunk)
        finally:
            if out is not None:
                out.close()
        if digest.hexdigest() != files[name]:
            raise HandinError(f"the sha256 of {name!r} does not match manifest.json: the file was changed "
                              "after the hand-in was made")  # fmt: skip


def _open_target(dest: Path, member: str):
    """A new file for ``member`` under ``dest``; the name was checked against the member pattern."""
    folder, name = member.split("/")
    (dest / folder).mkdir(exist_ok=True)
    return open(dest / folder / name, "xb")  # closed by the caller; never follows a link
