"""The questions of each lesson, one module per lesson: ``l<NN>_<slug>.py``.

A lesson module is declarative. It defines ``QUESTIONS`` (a list of
:class:`~crmlab.exercises.Question` and :class:`~crmlab.exercises.Reflection`),
optionally ``TITLE``, and optionally ``QUIZZES`` (a list of
:class:`~crmlab.exercises.Quiz`). Without ``QUIZZES``, the lesson's quizzes are read
from ``crmlab/exercises/quizzes/<NN>_<slug>.toml`` when that file exists.
Expected values are functions of the data, computed on the first check.

Every known mistake must be reachable by its own wrong answer (a test feeds each one
to its question): a ``Mistake(expected=...)`` by the value it computes, a
``Mistake(when=...)`` by a sample answer given with :func:`shown_by`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

__all__ = ["shown_by"]


def shown_by(test: Callable[[Any], bool], *, example: Callable[[], Any]) -> Callable[[Any], bool]:
    """A mistake's ``when=`` test, carrying a sample answer that shows the mistake.

    Parameters
    ----------
    test : callable
        ``test(answer)`` is True when the answer shows the mistake.
    example : callable
        ``example()`` computes one such answer, the wrong way; the test suite feeds it to
        the question and expects the mistake's message back.

    Returns
    -------
    callable
        ``test`` itself, as far as checking goes, with the attribute ``example``.

    Examples
    --------
    >>> when = shown_by(lambda a: 0 < a < 1, example=lambda: 42 / 100)
    >>> when(0.42), when.example()
    (True, 0.42)
    """

    @functools.wraps(test)
    def when(answer: Any) -> bool:
        return test(answer)

    when.example = example
    return when
