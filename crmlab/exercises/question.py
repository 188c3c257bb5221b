"""Questions: what is asked, how the expected answer is computed, and how to check it.

A :class:`Question` holds a prompt, a function computing the expected value from
the data (called once, lazily), hints, a solution, and known :class:`Mistake`\\ s
with targeted messages. :meth:`Question.evaluate` turns any answer into a
:class:`~crmlab.exercises.feedback.Feedback` and never raises: the learner's own
errors become ``learner_error``, the checker's become ``checker_error``; the work
on the answer has a time limit (:mod:`~crmlab.exercises.guard`), and the learner's
objects are shown only through :mod:`~crmlab.exercises.safe_text`. A
:class:`Reflection` is a free-text question: recorded, not checked.
"""

from __future__ import annotations

import copy
import inspect
import numbers
import types
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from crmlab.errors import CrmlabError
from crmlab.exercises.blank import BLANK, is_blank
from crmlab.exercises.compare import compare as _compare
from crmlab.exercises.comparison import CompareOptions, Comparison, describe
from crmlab.exercises.explain import explain_exception, learner_line
from crmlab.exercises.feedback import Check, Feedback, Status
from crmlab.exercises.guard import Budget, CheckTimeout, check_timeout
from crmlab.exercises.safe_text import cut, exception_args, exception_text, is_exactly, type_name

__all__ = ["NO_ANSWER", "AnswerError", "Mistake", "Question", "Reflection", "call_answer"]

_UNSET = object()
_MESSAGE_LIMIT = 1500  # characters of a feedback message, a last bound whatever built it
_ROWS_LIMIT = 2000
_TEXT_LIMIT = 100_000  # longer text answers are refused before any work on them


class AnswerError(CrmlabError, ValueError):
    """Raised by a question's ``prepare`` step: the answer cannot be read; says why."""


@dataclass
class Mistake:
    """A known wrong answer and the message it deserves.

    Give either ``expected`` (a function computing the wrong answer the mistake
    produces, compared like the real answer) or ``when`` (a test on the learner's
    answer).

    Parameters
    ----------
    message : str
        What the learner probably did and how to look at it.
    expected : callable, optional
        ``expected()`` returns the value the mistake gives.
    when : callable, optional
        ``when(answer)`` is True when the answer shows the mistake.

    Examples
    --------
    >>> m = Mistake("You counted orders, not customers.", expected=lambda: 7)
    >>> m.matches(7, CompareOptions()), m.matches(5, CompareOptions())
    (True, False)
    """

    message: str
    expected: Callable[[], Any] | None = None
    when: Callable[[Any], bool] | None = None
    _value: Any = field(default=_UNSET, init=False, repr=False, compare=False)

    def matches(self, answer: Any, options: CompareOptions) -> bool:
        """True when ``answer`` shows this mistake; False also when the test itself fails."""
        try:
            if self.when is not None and bool(self.when(answer)):
                return True
            if self.expected is None:
                return False
            self.prime()
            return self._value is not _UNSET and _compare(answer, self._value, options).ok
        except Exception:  # a broken or inapplicable test is just not a match
            return False

    def prime(self) -> None:
        """Compute the wrong answer now (author code, run outside the check's time limit)."""
        if self.expected is not None and self._value is _UNSET:
            try:
                self._value = self.expected()
            except Exception:  # a broken mistake never matches; the contract test finds it
                self._value = _UNSET


@dataclass
class Question:
    """One checked exercise question.

    Parameters
    ----------
    id : str
        A short identifier, used as ``ex.<id>`` (e.g. ``"q1"``).
    prompt : str
        The question as the learner reads it.
    expected : callable
        ``expected()`` computes the right answer from the data; called once, on
        the first check.
    hints : sequence of str
        From gentle to specific; ``hint(1)``, ``hint(2)``, ...
    solution : str
        Code (or text) shown by ``solution()``.
    mistakes : sequence of Mistake
        Known wrong answers with targeted messages, tried in order.
    compare : CompareOptions
        How lenient the comparison is (row order, column case, tolerance...).
    prepare : callable, optional
        Turns the learner's answer into the form compared, e.g.
        :func:`~crmlab.exercises.charts.chart_data`; it raises :class:`AnswerError`
        with a message when the answer cannot be read.
    expects_function : bool
        The answer is itself a function: do not call it.
    correct_message : str
        Shown after a correct answer, e.g. a remark on the result.
    points : int
        Weight in the lesson score.
    time_limit : float, optional
        Seconds allowed for checking one answer; by default ``$CRMLAB_CHECK_TIMEOUT``
        or 5 (see :mod:`crmlab.exercises.guard`).

    Examples
    --------
    >>> q = Question("q1", "What is 6 * 7?", expected=lambda: 42, hints=["Multiply."],
    ...              mistakes=[Mistake("You added instead of multiplying.", expected=lambda: 13)])
    >>> print(q.evaluate(42))
    q1 · Correct: Well done.
    2 of 2 checks passed: ✓ answer is a number; ✓ value is right
    >>> print(q.evaluate(13).message)
    You added instead of multiplying.
    >>> q.evaluate(13).mistake_id, q.evaluate(12).mistake_id
    ('m1', '')
    """

    id: str
    prompt: str
    expected: Callable[[], Any] | None = None
    hints: Sequence[str] = ()
    solution: str = ""
    mistakes: Sequence[Mistake] = ()
    compare: CompareOptions = field(default_factory=CompareOptions)
    prepare: Callable[[Any], Any] | None = None
    expects_function: bool = False
    correct_message: str = ""
    points: int = 1
    time_limit: float | None = None
    _value: Any = field(default=_UNSET, init=False, repr=False, compare=False)

    @property
    def kind(self) -> str:
        """``"question"`` or ``"reflection"``."""
        return "reflection" if self.expected is None else "question"

    def expected_value(self) -> Any:
        """The expected answer, computed on first use."""
        if self._value is _UNSET:
            self._value = self.expected()
        return self._value

    def evaluate(self, answer: Any, time_limit: float | None = None) -> Feedback:
        """Check ``answer``; never raises, and gives up after a time limit.

        Parameters
        ----------
        answer : object
            The learner's value, or a function of no arguments computing it.
        time_limit : float, optional
            Seconds for the checks that touch the answer; by default the question's
            ``time_limit``, ``$CRMLAB_CHECK_TIMEOUT`` or 5. The learner's own function
            and the expected value are computed outside it.

        Returns
        -------
        Feedback
        """
        try:
            limit = check_timeout(time_limit if time_limit is not None else self.time_limit)
        except ValueError as exc:
            return self._feedback(Status.CHECKER_ERROR, str(exc))
        budget = Budget(limit)
        try:
            answer, error = call_answer(answer, self.expects_function)  # the learner's own warnings show
            if error is not None:
                return budget.run(lambda: self._learner_error(error))
            with warnings.catch_warnings():  # the checker's do not
                warnings.simplefilter("ignore")
                return self._evaluate(answer, budget)
        except CheckTimeout:
            return self._timeout(answer, limit)
        except BaseException as exc:  # noqa: BLE001 - the promise: feedback, never a traceback
            return self._last_resort(answer, exc)

    def _feedback(self, status: Status, message: str, result: Comparison | None = None, mistake_id: str = ""):
        checks = result.checks if result else ()
        rows = cut(result.rows, _ROWS_LIMIT) if result else ""
        return Feedback(status, cut(message, _MESSAGE_LIMIT), checks, rows, question=self.id, mistake_id=mistake_id)

    def _evaluate(self, answer: Any, budget: Budget) -> Feedback:
        if answer is NO_ANSWER:
            return self._feedback(
                Status.NOT_ATTEMPTED, f"Pass your answer to the check: `ex.{self.id}.check(answer)`."
            )
        if is_blank(answer):
            return self._feedback(
                Status.NOT_ATTEMPTED, "Replace the blank `____` with your answer, then run the check."
            )
        if self.expected is None:
            return budget.run(lambda: self._reflect(answer))
        try:
            expected = self.expected_value()
        except Exception as exc:
            return self._checker_error("compute the expected answer", exc)
        too_long = _too_long(answer, expected) or _iterator(answer, expected)
        if too_long:
            unreadable = Comparison((Check("answer can be read", False),), too_long)
            return self._feedback(Status.INCORRECT, too_long, unreadable)
        outcome = budget.run(lambda: self._prepare_and_compare(answer, expected))
        if is_exactly(outcome, Feedback):
            return outcome
        answer, result = outcome
        for number, mistake in enumerate(self.mistakes, start=1):
            mistake.prime()  # the author's wrong answer: outside the time limit
            if budget.run(lambda m=mistake: m.matches(answer, self.compare)):
                return self._feedback(Status.INCORRECT, mistake.message, result, mistake_id=f"m{number}")
        return budget.run(lambda: self._feedback(Status.INCORRECT, result.message, result))

    def _prepare_and_compare(self, answer: Any, expected: Any) -> Feedback | tuple[Any, Comparison]:
        """Feedback when the answer is read and judged at once, else the wrong answer and its comparison."""
        if self.prepare is not None:
            try:
                answer = self.prepare(answer)
            except AnswerError as exc:
                message = exception_text(exc, _MESSAGE_LIMIT)
                unreadable = Comparison((Check("answer can be read", False),), message)
                return self._feedback(Status.INCORRECT, message, unreadable)
            except Exception as exc:
                return self._learner_error(exc, "Your answer could not be read for checking. ")
        try:
            result = _compare(answer, expected, self.compare)
        except Exception as exc:
            if _comparison_broken(expected, self.compare):
                return self._checker_error("compare answers of this kind", exc)
            return self._unusable(answer, exc)
        if result.ok:
            message = "Well done." + (f" {self.correct_message}" if self.correct_message else "")
            return self._feedback(Status.CORRECT, message, result)
        return answer, result

    def _reflect(self, answer: Any) -> Feedback:
        if not is_exactly(answer, str):
            return self._feedback(
                Status.INCORRECT,
                f"Write your answer as text in quotes, e.g. `\"...\"`; you gave {describe(answer)}.",
            )
        if not str.strip(answer):
            return self._feedback(Status.NOT_ATTEMPTED, "Write a sentence or two in the quotes.")
        return self._feedback(
            Status.UNCHECKED,
            f"Your answer is recorded. Compare it with the discussion: `ex.{self.id}.solution()`.",
        )

    def _timeout(self, answer: Any, limit: float) -> Feedback:
        message = (
            f"Checking your answer took longer than {limit:g} s, so the check stopped. Your answer "
            f"is a {type_name(answer)} object; something in it is very slow to compare or to show "
            "(an endless iterator, a huge value, or a method such as `__eq__` that sleeps or loops). "
            "Give a plain value, a list or a pandas table."
        )
        return self._feedback(Status.LEARNER_ERROR, message)

    def _last_resort(self, answer: Any, exc: BaseException) -> Feedback:
        if is_exactly(exc, KeyboardInterrupt):
            message = "The check was interrupted before it finished: run it again."
        else:
            message = (
                f"Your answer (a {type_name(answer)} object) could not be examined: using it raised "
                f"{type_name(exc)}. Give a plain value, a list or a pandas table."
            )
        return self._feedback(Status.LEARNER_ERROR, message)

    def _learner_error(self, exc: BaseException, prefix: str = "") -> Feedback:
        if _mentions_blank(exc):
            return self._feedback(
                Status.NOT_ATTEMPTED, "Replace the blank `____` with your code, then run the check."
            )
        return self._feedback(Status.LEARNER_ERROR, prefix + explain_exception(exc))

    def _unusable(self, answer: Any, exc: BaseException) -> Feedback:
        message = (
            f"Your answer ({describe(answer)}) could not be examined: using it raised "
            f"{type_name(exc)}. Give a plain value, a list or a pandas table."
        )
        line = learner_line(exc)
        if line:
            message += f" The failing line: `{line}`"
        return self._feedback(Status.LEARNER_ERROR, message)

    def _checker_error(self, task: str, exc: BaseException) -> Feedback:
        message = (
            f"The checker could not {task} ({type_name(exc)}: {exception_text(exc)}). This is a fault "
            "in the course, not in your answer: please report it."
        )
        return self._feedback(Status.CHECKER_ERROR, message)


@dataclass
class Reflection(Question):
    """A free-text question: the answer is recorded, not checked, then judged by the learner.

    Parameters
    ----------
    rubric : sequence of str
        What a good answer does, one point per item ("Names the planted cause."). The
        learner sees it only after writing an answer, with the feedback, to judge their
        own text; it is course text, not a secret, and it is not recorded.
    **kwargs
        As for :class:`Question` (``id``, ``prompt``, ``hints``, ``solution``...).

    Examples
    --------
    >>> r = Reflection("q9", "Why might recent customers matter more?", solution="...",
    ...                rubric=["Says recent buyers are likelier to buy again."])
    >>> fb = r.evaluate("Because they are still active.")
    >>> fb.status.value, fb.rubric
    ('unchecked', ('Says recent buyers are likelier to buy again.',))
    >>> r.evaluate("").rubric  # nothing written yet: no rubric
    ()
    """

    expected: None = None
    rubric: Sequence[str] = ()

    def _reflect(self, answer: Any) -> Feedback:
        feedback = super()._reflect(answer)
        if feedback.status is not Status.UNCHECKED or not self.rubric:
            return feedback
        message = (
            "Your answer is recorded. Judge it against the rubric below, then read the discussion: "
            f"`ex.{self.id}.solution()`."
        )
        return replace(feedback, message=message, rubric=tuple(str(item) for item in self.rubric))


class _Missing:
    def __repr__(self) -> str:
        return "<no answer>"


NO_ANSWER = _Missing()


def call_answer(answer: Any, expects_function: bool = False) -> tuple[Any, BaseException | None]:
    """Call ``answer`` if it is a function of no arguments, catching what it raises.

    Returns
    -------
    tuple
        ``(value, None)``, or ``(None, exception)`` when the learner's code raised.

    Examples
    --------
    >>> call_answer(lambda: 1 + 1)
    (2, None)
    >>> call_answer(lambda: 1 / 0)[1].__class__.__name__
    'ZeroDivisionError'
    """
    if expects_function or not _is_thunk(answer):
        return answer, None
    try:
        return answer(), None
    except Exception as exc:
        return None, exc


def _is_thunk(answer: Any) -> bool:
    """True for a function (or lambda) that can be called without arguments."""
    if not is_exactly(answer, types.FunctionType, types.MethodType):
        return False
    try:
        inspect.signature(answer).bind()
    except TypeError:
        return False
    return True


def _mentions_blank(exc: BaseException) -> bool:
    args = exception_args(exc)
    return any(arg is BLANK for arg in args) or any(
        is_exactly(arg, str) and "____" in str.__str__(arg)[:1000] for arg in args
    )


_CONTAINERS = (
    str, bytes, list, tuple, set, frozenset, dict, range, type({}.keys()), type({}.values()),
    type({}.items()), pd.Index, pd.Series, pd.DataFrame, pd.api.extensions.ExtensionArray, np.ndarray,
)  # fmt: skip


def _iterator(answer: Any, expected: Any) -> str:
    """A message when ``answer`` is an iterator or an unknown iterable: it may never end.

    Looking into one (even ``x in answer``) may run for ever in C code, which no time
    limit can stop, so it is refused before any work on it, when the question asks for
    a value, a collection or a table (any other expected value is compared as it is).
    """
    kind = type(answer)
    if not issubclass(kind, Iterable) or issubclass(kind, _CONTAINERS):
        return ""
    if not is_exactly(expected, *_CONTAINERS, numbers.Number, np.generic):
        return ""
    what = "an iterator" if issubclass(kind, Iterator) else "an object you can loop over"
    return (
        f"Your answer is {what} (a {type_name(answer)} object), not the list, table or value "
        "the question asks for: it produces values one at a time, maybe without end, so it is "
        "not checked. If it is finite, turn it into a list first, e.g. `list(answer)`."
    )


def _too_long(answer: Any, expected: Any) -> str:
    """A message when ``answer`` is text far longer than any answer to this question."""
    if not is_exactly(answer, str) or str.__len__(answer) <= _TEXT_LIMIT:
        return ""
    if is_exactly(expected, str) and str.__len__(expected) * 10 >= str.__len__(answer):
        return ""
    return (
        f"Your answer is a text of {str.__len__(answer):,} characters, far longer than this "
        "question's answer; it is not checked. Did you pass a whole file or table as text?"
    )


def _comparison_broken(expected: Any, options: CompareOptions) -> bool:
    """True when comparing the expected value with a copy of itself fails: a checker bug."""
    try:
        return not _compare(copy.deepcopy(expected), expected, options).ok
    except Exception:
        return True

