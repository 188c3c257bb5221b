"""The contract every exercise of every lesson keeps, whatever the learner passes.

- a checked question answered with junk gives feedback (incorrect, or the learner's error
  explained), never a traceback;
- every question, reflections included, answered with the blank is "not attempted";
- a quiz answered with junk gives feedback, never a traceback.

Each lesson's own test file checks the right answers and the targeted mistakes.
"""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import JUNK as BASE_JUNK
from helpers import Hostile

from crmlab.exercises import ____, lesson
from crmlab.exercises.feedback import Status
from crmlab.exercises.question import Question
from crmlab.exercises.quiz import Quiz
from crmlab.exercises.registry import available_lessons

JUNK = [*BASE_JUNK, float("nan"), float("inf"), pd.Series([0.5, 0.6])]
QUIZ_JUNK = [None, 3, "z", ["a", "b"], Hostile()]
LESSONS = available_lessons()


def _items(kind: type, checked_only: bool = False) -> list[tuple[str, str]]:
    out = []
    for lesson_id in LESSONS:
        for item in lesson(lesson_id).items:
            if isinstance(item, kind) and not (checked_only and item.kind != "question"):
                out.append((lesson_id, item.id))
    return out


def test_every_lesson_is_covered():
    assert len(LESSONS) == 14
    assert {lesson_id for lesson_id, _ in _items(Question, checked_only=True)} == set(LESSONS)


@pytest.mark.parametrize(("lesson_id", "qid"), _items(Question, checked_only=True))
@pytest.mark.parametrize("junk", JUNK, ids=lambda j: type(j).__name__)
def test_junk_gets_feedback_not_a_traceback(lesson_id, qid, junk):
    feedback = getattr(lesson(lesson_id), qid).check(junk)
    assert feedback.status in {Status.INCORRECT, Status.LEARNER_ERROR}
    assert feedback.message
    assert "Traceback" not in str(feedback)


@pytest.mark.parametrize(("lesson_id", "qid"), _items(Question))
def test_blank_is_not_attempted(lesson_id, qid):
    assert getattr(lesson(lesson_id), qid).check(____).status is Status.NOT_ATTEMPTED


@pytest.mark.parametrize(("lesson_id", "qid"), _items(Quiz))
@pytest.mark.parametrize("junk", QUIZ_JUNK, ids=repr)
def test_quiz_junk_gets_feedback(lesson_id, qid, junk):
    feedback = lesson(lesson_id).quiz(qid, answer=junk)
    assert feedback.status in {Status.INCORRECT, Status.LEARNER_ERROR, Status.NOT_ATTEMPTED}
    assert "Traceback" not in str(feedback)
