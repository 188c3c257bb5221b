"""Strict checking for CI: the ``CRMLAB_CHECK_MODE`` environment variable.

- unset or empty: checks never raise (a learner's notebook);
- ``solution``: a check raises AssertionError unless the answer is correct
  (run the authors' solution notebooks: every check must pass);
- ``learner``: a check raises unless the answer is "not attempted"
  (run the student copies: every blank must still be a blank, and nothing may error).
"""

from __future__ import annotations

import os

from crmlab.exercises.feedback import Feedback, Status

__all__ = ["ENV_CHECK_MODE", "MODES", "check_mode", "enforce"]

ENV_CHECK_MODE = "CRMLAB_CHECK_MODE"
MODES = ("", "solution", "learner")
# A reflection is never checked automatically: in solution mode, a written answer (unchecked) is enough.
_ALLOWED = {"solution": {Status.CORRECT, Status.UNCHECKED}, "learner": {Status.NOT_ATTEMPTED}}


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
