"""The learner's name: set once, printed on certificates, added to the progress log.

A learner sets it in a notebook with ``set_learner_name("Sara Ahmadi")`` or in a
terminal with ``crmlab name "Sara Ahmadi"``. It is stored as ``learner.json`` in the
progress folder (``$CRMLAB_PROGRESS_DIR`` or ``~/.crmlab/progress``), never taken
from the computer's login name.

A name is one line of 1 to 80 characters: letters of any script, spaces and
punctuation. Control characters, line breaks and the invisible characters that
reverse the direction of text are refused, so the name reads the same everywhere.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from crmlab.errors import CrmlabError
from crmlab.exercises.feedback import Message
from crmlab.exercises.progress_log import ProgressLog, ProgressLogError

__all__ = [
    "ENV_LEARNER_NAME",
    "MAX_NAME_LENGTH",
    "LearnerNameError",
    "check_learner_name",
    "learner_name",
    "set_learner_name",
]

#: Used when no name was set with :func:`set_learner_name` (e.g. by an instructor's setup).
ENV_LEARNER_NAME = "CRMLAB_LEARNER_NAME"
MAX_NAME_LENGTH = 80
HOW_TO_SET = (
    'Set your name once: set_learner_name("Your Name") in a notebook '
    '(from crmlab.exercises import set_learner_name), or crmlab name "Your Name" in a terminal.'
)
# Characters that change the direction of the text around them: they could make a name read
# differently from what is stored. Zero-width joiners (used in Persian) stay allowed.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_REFUSED_CATEGORIES = {"Cc": "a control character", "Zl": "a line break", "Zp": "a paragraph break",
                       "Cs": "an unpaired surrogate", "Co": "a private-use character",
                       "Cn": "an unassigned character"}  # fmt: skip


class LearnerNameError(CrmlabError, ValueError):
    """A learner name that cannot be printed on a certificate, or a broken learner file."""


def check_learner_name(name: object, argument: str = "name") -> str:
    """Return ``name`` without surrounding spaces, or explain why it cannot be used.

    Parameters
    ----------
    name : str
        The learner's name as typed.
    argument : str
        How the name was given, for the message.

    Returns
    -------
    str
        The name, stripped of leading and trailing spaces.

    Raises
    ------
    LearnerNameError
        For text that is empty, longer than 80 characters or holds a control character.

    Examples
    --------
    >>> check_learner_name("  Sara Ahmadi ")
    'Sara Ahmadi'
    >>> check_learner_name("سارا احمدی")
    'سارا احمدی'
    """
    if not isinstance(name, str):
        raise LearnerNameError(
            f'`{argument}` must be text in quotes, e.g. "Sara Ahmadi", but a {type(name).__name__} '
            f"was passed."
        )
    text = name.strip()
    if not text:
        raise LearnerNameError(f'`{argument}` is empty. Give the name to print, e.g. "Sara Ahmadi".')
    if len(text) > MAX_NAME_LENGTH:
        raise LearnerNameError(
            f"`{argument}` has {len(text)} characters; a name may have at most {MAX_NAME_LENGTH}. "
            "Shorten it, e.g. leave out middle names."
        )
    for position, char in enumerate(text, start=1):
        what = _refused(char)
        if what:
            raise LearnerNameError(
                f"`{argument}` holds {what} (U+{ord(char):04X}) at character {position}. Type the "
                "name with letters, spaces and punctuation only, on one line."
            )
    return text


def set_learner_name(name: str, *, directory: str | Path | None = None) -> Message:
    """Store the name printed on your certificates (once; call again to change it).

    Parameters
    ----------
    name : str
        Your name as it should appear, e.g. ``"Sara Ahmadi"``.
    directory : str or Path, optional
        The progress folder; by default ``$CRMLAB_PROGRESS_DIR`` or ``~/.crmlab/progress``.

    Returns
    -------
    Message
        What was stored and where.

    Raises
    ------
    LearnerNameError
        For a name that cannot be used (see :func:`check_learner_name`).

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> set_learner_name("Sara Ahmadi", directory=folder).body.split(".")[0]
    'Saved "Sara Ahmadi"'
    >>> learner_name(directory=folder)
    'Sara Ahmadi'
    """
    text = check_learner_name(name)
    try:
        path = ProgressLog(directory).write_learner(text)
    except ProgressLogError as exc:
        raise LearnerNameError(str(exc)) from None
    return Message(
        "Learner name",
        f'Saved "{text}". Your certificates will show this name; it is stored in {path}. '
        "To change it, call set_learner_name again.",
    )


def learner_name(*, directory: str | Path | None = None) -> str | None:
    """The name set with :func:`set_learner_name`, else ``$CRMLAB_LEARNER_NAME``, else None.

    Parameters
    ----------
    directory : str or Path, optional
        The progress folder; by default ``$CRMLAB_PROGRESS_DIR`` or ``~/.crmlab/progress``.

    Returns
    -------
    str or None
        None when no name was set: never the computer's login name.

    Raises
    ------
    LearnerNameError
        When the stored file is broken or holds a name that breaks the rules.

    Examples
    --------
    >>> import tempfile
    >>> learner_name(directory=tempfile.mkdtemp()) is None or "CRMLAB_LEARNER_NAME" in os.environ
    True
    """
    try:
        stored = ProgressLog(directory).read_learner()
    except ProgressLogError as exc:
        raise LearnerNameError(str(exc)) from None
    if stored is not None:
        try:
            return check_learner_name(stored)
        except LearnerNameError as exc:
            raise LearnerNameError(f"The stored learner name cannot be used: {exc} {HOW_TO_SET}") from None
    from_env = os.environ.get(ENV_LEARNER_NAME)
    if from_env is None or not from_env.strip():
        return None
    return check_learner_name(from_env, argument=f"${ENV_LEARNER_NAME}")


def _refused(char: str) -> str:
    if char in _BIDI_CONTROLS:
        return "a text-direction control character"
    return _REFUSED_CATEGORIES.get(unicodedata.category(char), "")
