"""The contract every exercise of every lesson keeps, whatever the learner passes.

- each question's own right answer (its expected value, in the form a learner gives it)
  is "correct": an author's ``prepare`` step may not turn it into an error;
- a checked question answered with junk or with a hostile object (methods that raise,
  endless iterators, a 10 MB text, a huge int, a list holding itself ...) gives feedback,
  "incorrect" or the learner's error explained: never a traceback, never a checker error,
  a message of bounded length, within the time limit;
- objects whose methods sleep are stopped by the time limit (on a sample of questions,
  each costs one limit);
- every question, reflections included, answered with the blank is "not attempted";
- a quiz answered with junk or a hostile object gives feedback, never a traceback.

Each lesson's own test file checks the right answers and the targeted mistakes.
"""

from __future__ import annotations

import copy
import time

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from helpers import CHEAP_HOSTILE, SLOW, Hostile
from helpers import JUNK as BASE_JUNK

from crmlab.exercises import ____, lesson
from crmlab.exercises.feedback import Status
from crmlab.exercises.guard import ENV_TIMEOUT
from crmlab.exercises.question import Question, Reflection
from crmlab.exercises.quiz import Quiz
from crmlab.exercises.registry import available_lessons

JUNK = [*BASE_JUNK, float("nan"), float("inf"), pd.Series([0.5, 0.6])]
QUIZ_JUNK = [None, 3, "z", ["a", "b"], Hostile()]
LESSONS = available_lessons()
MESSAGE_LIMIT = 1500  # characters of a feedback message
TEXT_LIMIT = 4000  # characters of the whole feedback: message, checks and rows
CHEAP_SECONDS = 2.0  # a cheap hostile answer is judged well within this
SLOW_LIMIT = 0.5  # the time limit set for the sleeping objects
MARGIN = 1.0  # seconds a stopped check may take beyond its limit

# Built once: the big ones (10 MB text, a million Nones) would dominate the run otherwise.
HOSTILE = {name: make() for name, make in CHEAP_HOSTILE.items()}


def _items(kind: type, checked_only: bool = False) -> list[tuple[str, str]]:
    out = []
    for lesson_id in LESSONS:
        for item in lesson(lesson_id).items:
            if isinstance(item, kind) and not (checked_only and item.kind != "question"):
                if kind is Question and isinstance(item, Reflection) and checked_only:
                    continue
                out.append((lesson_id, item.id))
    return out


def _question(lesson_id: str, qid: str) -> Question:
    return next(i for i in lesson(lesson_id).items if i.id == qid)


def _kind(lesson_id: str, qid: str) -> tuple[str, bool]:
    question = _question(lesson_id, qid)
    return type(question.expected_value()).__name__, question.prepare is not None


# One checked question per kind of expected answer (its type, and prepared or not), for the
# sleeping answers (0.5 s each). Listed rather than found at import, which would compute every
# expected value in each pytest worker before any test runs (3.4 s);
# test_the_slow_sample_spans_the_kinds_of_answer finds them and fails on a kind missing here.
SAMPLE = [
    ("00_welcome", "q1"),  # int
    ("00_welcome", "q2"),  # DataFrame
    ("00_welcome", "q3"),  # Series, prepared
    ("01_crm_goals", "q1"),  # float
    ("01_crm_goals", "q4"),  # list
    ("02_training_users", "q2"),  # dict
    ("02_training_users", "q5"),  # str, prepared
    ("02_training_users", "q11"),  # str
    ("03_data_quality", "q2"),  # Series
    ("08_clv_churn", "q1"),  # float, prepared
    ("09_experiments", "q3"),  # tuple
    ("10_service", "q2"),  # list, prepared
]


def _assert_feedback(feedback, allowed, seconds, limit):
    assert feedback.status in allowed, str(feedback)[:500]
    assert feedback.message
    assert len(feedback.message) <= MESSAGE_LIMIT
    assert len(str(feedback)) <= TEXT_LIMIT
    assert "Traceback" not in str(feedback)
    assert seconds < limit, f"took {seconds:.2f} s: {feedback}"[:500]


def test_every_lesson_is_covered():
    assert len(LESSONS) == 14
    assert {lesson_id for lesson_id, _ in _items(Question, checked_only=True)} == set(LESSONS)


def test_the_slow_sample_spans_the_kinds_of_answer():
    every_kind = {_kind(*item) for item in _items(Question, checked_only=True)}
    assert sorted(_kind(*item) for item in SAMPLE) == sorted(every_kind)  # each kind once
    assert {"int", "float", "str", "DataFrame", "Series", "list", "dict"} <= {kind for kind, _ in every_kind}


@pytest.mark.parametrize(("lesson_id", "qid"), _items(Question, checked_only=True))
def test_the_right_answer_is_correct(lesson_id, qid):
    """The expected value as a learner would give it: a copy, or the chart of it."""
    question = _question(lesson_id, qid)
    right = copy.deepcopy(question.expected_value())
    feedback = question.evaluate(right)
    if feedback.checks and feedback.checks[0].label in ("answer is a chart", "answer can be read"):
        right = right.plot.bar()  # a chart question: the learner gives the Axes
        feedback = question.evaluate(right)
        plt.close("all")
    assert feedback.status is Status.CORRECT, str(feedback)


@pytest.mark.parametrize(("lesson_id", "qid"), _items(Question, checked_only=True))
@pytest.mark.parametrize("junk", JUNK, ids=lambda j: type(j).__name__)
def test_junk_gets_feedback_not_a_traceback(lesson_id, qid, junk):
    feedback = getattr(lesson(lesson_id), qid).check(junk)
    assert feedback.status in {Status.INCORRECT, Status.LEARNER_ERROR}
    assert feedback.message
    assert "Traceback" not in str(feedback)


def _judge_all(check, allowed: set, limit: float) -> list[str]:
    """Check every hostile answer; the problems found, one line each."""
    problems = []
    for name, answer in HOSTILE.items():
        start = time.perf_counter()
        try:
            feedback = check(answer)
        except BaseException as exc:  # noqa: BLE001 - exactly what the contract forbids
            problems.append(f"{name}: raised {type(exc).__name__}")
            continue
        seconds = time.perf_counter() - start
        try:
            _assert_feedback(feedback, allowed, seconds, limit)
        except AssertionError as exc:
            problems.append(f"{name}: {str(exc)[:300]}")
    return problems


@pytest.mark.parametrize(("lesson_id", "qid"), _items(Question, checked_only=True))
def test_hostile_answers_get_feedback_in_time(lesson_id, qid):
    view = getattr(lesson(lesson_id), qid)
    _question(lesson_id, qid).expected_value()  # the author's part, outside the limit
    allowed = {Status.INCORRECT, Status.LEARNER_ERROR}
    assert _judge_all(view.check, allowed, CHEAP_SECONDS) == []


@pytest.mark.parametrize(("lesson_id", "qid"), _items(Reflection))
def test_hostile_reflections_get_feedback(lesson_id, qid):
    view = getattr(lesson(lesson_id), qid)
    allowed = {Status.INCORRECT, Status.UNCHECKED, Status.NOT_ATTEMPTED, Status.LEARNER_ERROR}
    assert _judge_all(view.check, allowed, CHEAP_SECONDS) == []


@pytest.mark.parametrize(("lesson_id", "qid"), SAMPLE)
@pytest.mark.parametrize("name", list(SLOW))
def test_sleeping_answers_are_stopped_by_the_time_limit(lesson_id, qid, name, monkeypatch):
    monkeypatch.setenv(ENV_TIMEOUT, str(SLOW_LIMIT))
    _question(lesson_id, qid).expected_value()
    start = time.perf_counter()
    feedback = getattr(lesson(lesson_id), qid).check(SLOW[name]())
    seconds = time.perf_counter() - start
    _assert_feedback(feedback, {Status.INCORRECT, Status.LEARNER_ERROR}, seconds, SLOW_LIMIT + MARGIN)
    if seconds >= SLOW_LIMIT:
        assert feedback.message.startswith(f"Checking your answer took longer than {SLOW_LIMIT:g} s")


@pytest.mark.parametrize(("lesson_id", "qid"), _items(Question))
def test_blank_is_not_attempted(lesson_id, qid):
    assert getattr(lesson(lesson_id), qid).check(____).status is Status.NOT_ATTEMPTED


@pytest.mark.parametrize(("lesson_id", "qid"), _items(Quiz))
@pytest.mark.parametrize("junk", QUIZ_JUNK, ids=lambda j: type(j).__name__ if isinstance(j, Hostile) else repr(j))
def test_quiz_junk_gets_feedback(lesson_id, qid, junk):
    feedback = lesson(lesson_id).quiz(qid, answer=junk)
    assert feedback.status in {Status.INCORRECT, Status.LEARNER_ERROR, Status.NOT_ATTEMPTED}
    assert "Traceback" not in str(feedback)


@pytest.mark.parametrize(("lesson_id", "qid"), _items(Quiz))
def test_quiz_hostile_answers_get_feedback(lesson_id, qid):
    ex = lesson(lesson_id)
    allowed = {Status.INCORRECT, Status.NOT_ATTEMPTED}
    assert _judge_all(lambda answer: ex.quiz(qid, answer=answer), allowed, CHEAP_SECONDS) == []
