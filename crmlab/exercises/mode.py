"""Session modes: strict checking for CI (``CRMLAB_CHECK_MODE``) and assessed sessions.

Strict checking, the ``CRMLAB_CHECK_MODE`` environment variable:

- unset or empty: checks never raise (a learner's notebook);
- ``solution``: a check raises AssertionError unless the answer is correct
  (run the authors' solution notebooks: every check must pass);
- ``learner``: a check raises unless the answer is "not attempted"
  (run the student copies: every blank must still be a blank, and nothing may error).

Assessed sessions: hints and solutions are off, checks keep working. An instructor
switches it on in either of two ways (either one is enough):

- the environment variable ``CRMLAB_ASSESSED`` set to ``1`` (any value but empty,
  ``0``, ``false``, ``no`` or ``off``: a typo switches hints off rather than on),
  e.g. in the class's JupyterHub or lab image;
- a file ``assessed.json`` in the learner's progress folder, written by
  :func:`set_assessed` (``set_assessed(False)`` removes it). Its presence is the
  switch; its content only notes when it was written.

Then ``ex.q1.hint()`` and ``ex.q1.solution()`` return :data:`ASSESSED_MESSAGE` and
record nothing in the progress log. A check still shows the message of a known
mistake: it names what went wrong, not the answer. Like the progress log, this is
not a lock: a learner can unset the variable or delete the file; it keeps honest
learners honest during an exam, which a proctor or ``crmlab grade`` must back up.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

from crmlab.exercises.feedback import Feedback, Status
from crmlab.exercises.progress_log import progress_dir

__all__ = [
    "ASSESSED_FILE",
    "ASSESSED_MESSAGE",
    "ENV_ASSESSED",
    "ENV_CHECK_MODE",
    "MODES",
    "assessed",
    "check_mode",
    "enforce",
    "set_assessed",
]

ENV_CHECK_MODE = "CRMLAB_CHECK_MODE"
MODES = ("", "solution", "learner")
ENV_ASSESSED = "CRMLAB_ASSESSED"
ASSESSED_FILE = "assessed.json"
#: What ``hint()`` and ``solution()`` say in an assessed session.
ASSESSED_MESSAGE = "Hints and solutions are off in this assessed session."
# A reflection is never checked automatically: in solution mode, a written answer (unchecked) is enough.
_ALLOWED = {"solution": {Status.CORRECT, Status.UNCHECKED}, "learner": {Status.NOT_ATTEMPTED}}
_OFF = ("", "0", "false", "no", "off")


def check_mode() -> str:
    """The current mode: ``""``, ``"solution"`` or ``"learner"``.

    Raises
    ------
    ValueError
        When the variable holds anything else (a CI misconfiguration).

    Examples
    --------
    >>> check_mode() in MODES
    True
    """
    mode = os.environ.get(ENV_CHECK_MODE, "").strip().lower()
    if mode not in MODES:
        raise ValueError(
            f"The value for {ENV_CHECK_MODE} must be one of 'solution', 'learner' or empty, "
            f"but {mode!r} was set. Unset it for normal (never raising) checks."
        )
    return mode


def enforce(feedback: Feedback) -> Feedback:
    """Raise AssertionError when strict mode does not accept ``feedback``; else return it.

    Examples
    --------
    >>> fb = Feedback(Status.CORRECT, "Well done.", question="q1")
    >>> enforce(fb) is fb
    True
    """
    mode = check_mode()
    if mode and feedback.status not in _ALLOWED[mode]:
        raise AssertionError(f"[{ENV_CHECK_MODE}={mode}] {feedback}")
    return feedback


def assessed(directory: str | Path | None = None) -> bool:
    """True in an assessed session: ``$CRMLAB_ASSESSED`` is set, or ``assessed.json`` exists.

    Parameters
    ----------
    directory : str or Path, optional
        The progress folder to look in; by default
        :func:`~crmlab.exercises.progress_log.progress_dir`.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> _ = set_assessed(True, folder)
    >>> assessed(folder)
    True
    """
    if os.environ.get(ENV_ASSESSED, "").strip().lower() not in _OFF:
        return True
    folder = Path(directory) if directory is not None else progress_dir()
    return os.path.lexists(folder / ASSESSED_FILE)


def set_assessed(on: bool = True, directory: str | Path | None = None) -> Path:
    """Switch the assessed session on (write ``assessed.json``) or off (remove it).

    For the instructor, in the learner's account or image before an exam, e.g.
    ``python -c "from crmlab.exercises.mode import set_assessed; set_assessed()"``.
    It does not switch off ``$CRMLAB_ASSESSED``.

    Parameters
    ----------
    on : bool
        True to switch hints and solutions off, False to switch them back on.
    directory : str or Path, optional
        The progress folder; by default :func:`~crmlab.exercises.progress_log.progress_dir`.

    Returns
    -------
    Path
        The switch file (absent after ``on=False``).

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> set_assessed(True, folder).name
    'assessed.json'
    >>> set_assessed(False, folder).exists()
    False
    """
    folder = Path(directory) if directory is not None else progress_dir()
    path = folder / ASSESSED_FILE
    if not on:
        path.unlink(missing_ok=True)
        return path
    folder.mkdir(parents=True, exist_ok=True)
    note = {"v": 1, "assessed": True, "since": datetime.now(UTC).isoformat(timespec="seconds")}
    path.write_text(json.dumps(note) + "\n", encoding="utf-8")
    return path
