"""Multiple-choice questions and the TOML files they ship in.

Quizzes live in the package as data, one file per lesson,
``crmlab/exercises/quizzes/<lesson_id>.toml``::

    [q4]
    prompt = "Which table has one row per purchase?"
    correct = "b"                 # or a list, e.g. ["a", "c"], for "choose all that apply"
    explanation = "Each order is one purchase."   # optional, shown after a right answer

    [q4.options]                  # key = option text, in display order
    a = "customers"
    b = "orders"

    [q4.why]                      # optional: why a wrong option is wrong
    a = "customers has one row per customer, whatever they bought."
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from crmlab.errors import CrmlabError
from crmlab.exercises.blank import is_blank
from crmlab.exercises.feedback import Check, Feedback, Status
from crmlab.exercises.guard import Budget, check_timeout
from crmlab.exercises.safe_text import cut, is_exactly

__all__ = ["Quiz", "QuizFormatError", "load_quizzes", "packaged_quizzes"]


_ANSWER_CHARS = 1000  # characters of a text answer read: option texts are short


class QuizFormatError(CrmlabError, ValueError):
    """A quiz file or definition is malformed."""


@dataclass
class Quiz:
    """A multiple-choice question.

    Parameters
    ----------
    id : str
        Identifier within the lesson, e.g. ``"q4"``.
    prompt : str
        The question.
    options : mapping of str to str
        Option key (``"a"``) to option text, in display order.
    correct : str or iterable of str
        The right key, or keys when several options are right.
    why : mapping of str to str
        For wrong options: why they are wrong.
    explanation : str
        Shown after a right answer.

    Examples
    --------
    >>> quiz = Quiz("q4", "2 + 2?", {"a": "3", "b": "4"}, "b", why={"a": "Count again."})
    >>> quiz.evaluate("B").status.value, quiz.evaluate("a").message
    ('correct', 'Count again.')
    """

    id: str
    prompt: str
    options: Mapping[str, str]
    correct: str | Iterable[str]
    why: Mapping[str, str] = field(default_factory=dict)
    explanation: str = ""
    points: int = 1

    def __post_init__(self) -> None:
        self.options = {str(k).lower(): str(v) for k, v in self.options.items()}
        keys = [self.correct] if isinstance(self.correct, str) else list(self.correct)
        self.correct = frozenset(str(k).lower() for k in keys)
        self.why = {str(k).lower(): str(v) for k, v in self.why.items()}
        _validate(self)

    @property
    def kind(self) -> str:
        """Always ``"quiz"``."""
        return "quiz"

    @property
    def multiple(self) -> bool:
        """True when several options are right ("choose all that apply")."""
        return len(self.correct) > 1

    def as_text(self) -> str:
        """The question and its options as plain text."""
        lines = [f"{self.id}. {self.prompt}"]
        if self.multiple:
            lines.append("(Choose all that apply.)")
        lines += [f"  {key}) {text}" for key, text in self.options.items()]
        return "\n".join(lines)

    def evaluate(self, answer: Any) -> Feedback:
        """Check a choice: ``"b"``, ``"a, c"``, ``["a", "c"]`` or an option's text.

        Never raises; gives up on an answer that takes over the time limit to read.
        """
        try:
            chosen = Budget(check_timeout()).run(lambda: self._parse(answer))
        except BaseException:  # noqa: BLE001 - e.g. __iter__ or __str__ raises, or never ends
            message = "Give the option's key as text, e.g. `answer='b'`."
            return self._feedback(Status.INCORRECT, message, Check("is one of the options", False))
        if not chosen:
            return self._feedback(Status.NOT_ATTEMPTED, "Choose an option, e.g. `answer='a'`.")
        unknown = sorted(chosen - set(self.options))
        if unknown:
            keys = ", ".join(self.options)
            message = f"`{cut(unknown[0], 40)}` is not one of the options ({keys})."
            return self._feedback(Status.INCORRECT, message, Check("is one of the options", False))
        valid = Check("is one of the options", True)
        if chosen == self.correct:
            message = "Well done." + (f" {self.explanation}" if self.explanation else "")
            return self._feedback(Status.CORRECT, message, valid, Check("right choice", True))
        return self._feedback(
            Status.INCORRECT, self._wrong_message(chosen), valid, Check("right choice", False)
        )

    def _feedback(self, status: Status, message: str, *checks: Check) -> Feedback:
        return Feedback(status, message, tuple(checks), question=self.id)

    def _parse(self, answer: Any) -> frozenset[str]:
        if answer is None or is_blank(answer):
            return frozenset()
        if is_exactly(answer, str):
            text = str.strip(_plain(answer))  # str's own methods: a subclass may override them
            by_text = {option.casefold(): key for key, option in self.options.items()}
            if text.casefold() in by_text:
                return frozenset({by_text[text.casefold()]})
            parts = text.replace(";", ",").split(",")
        elif type(answer) in (list, tuple, set, frozenset):  # a table or an iterator is no choice
            parts = [_plain(part) for part in itertools.islice(answer, len(self.options) + 1)]
        elif is_exactly(answer, Iterable):
            raise TypeError("a choice is text or a list of keys")
        else:
            parts = [_plain(answer)]
        return frozenset(p.strip().strip(")").lower() for p in parts if p.strip())

    def _wrong_message(self, chosen: frozenset[str]) -> str:
        reasons = [self.why[key] for key in sorted(chosen - self.correct) if key in self.why]
        if reasons:
            return " ".join(reasons)
        if chosen < self.correct:
            return "Right so far, but more than one option is correct: choose all that apply."
        return "That is not the right choice. Re-read the question and the options."


def _plain(part: Any) -> str:
    """Text of the learner's answer, read without calling its methods; only short text will do."""
    if is_exactly(part, str) and str.__len__(part) <= _ANSWER_CHARS:
        return str.__str__(part)
    if is_exactly(part, int) and not is_exactly(part, bool) and int.bit_length(part) < 64:
        return int.__repr__(part)  # `answer=2`: not a key, but said so
    raise TypeError("a choice is the text of an option's key")


def _validate(quiz: Quiz) -> None:
    where = f"quiz `{quiz.id}`"
    if not quiz.prompt.strip():
        raise QuizFormatError(f"{where} has an empty prompt: write the question in `prompt`.")
    if len(quiz.options) < 2:
        raise QuizFormatError(f"{where} needs at least two options in `[{quiz.id}.options]`.")
    for name, keys in (("correct", quiz.correct), ("why", set(quiz.why))):
        bad = sorted(set(keys) - set(quiz.options))
        if bad or (name == "correct" and not keys):
            raise QuizFormatError(
                f"{where}: `{name}` names {bad or 'no option'}, but the options are "
                f"{list(quiz.options)}. Use option keys."
            )


def load_quizzes(source: str | Path) -> dict[str, Quiz]:
    """Read the quizzes of one lesson from a TOML file or TOML text.

    Parameters
    ----------
    source : str or Path
        A path to a ``.toml`` file, or the TOML text itself.

    Returns
    -------
    dict of str to Quiz
        In file order.

    Examples
    --------
    >>> text = '[q1]\\nprompt = "Pick b"\\ncorrect = "b"\\n[q1.options]\\na = "A"\\nb = "B"\\n'
    >>> load_quizzes(text)["q1"].evaluate("b").passed
    True
    """
    text = Path(source).read_text(encoding="utf-8") if isinstance(source, Path) else source
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise QuizFormatError(f"The quiz file is not valid TOML: {exc}.") from exc
    return {quiz_id: _quiz_from_table(quiz_id, table) for quiz_id, table in data.items()}


def _quiz_from_table(quiz_id: str, table: Any) -> Quiz:
    allowed = {"prompt", "options", "correct", "why", "explanation", "points"}
    if not isinstance(table, dict):
        raise QuizFormatError(f"`{quiz_id}` must be a table: write it as `[{quiz_id}]`.")
    unknown = sorted(set(table) - allowed)
    if unknown or "prompt" not in table or "correct" not in table:
        raise QuizFormatError(
            f"quiz `{quiz_id}` has keys {sorted(table)}; it needs `prompt`, `options` and "
            f"`correct`, and may have {sorted(allowed - {'prompt', 'options', 'correct'})}."
        )
    return Quiz(id=quiz_id, **table)


def packaged_quizzes(lesson_id: str) -> dict[str, Quiz]:
    """The quizzes shipped with the package for ``lesson_id`` ({} when there are none).

    Examples
    --------
    >>> packaged_quizzes("no_such_lesson")
    {}
    """
    resource = resources.files("crmlab.exercises").joinpath("quizzes", f"{lesson_id}.toml")
    if not resource.is_file():
        return {}
    return load_quizzes(resource.read_text(encoding="utf-8"))
