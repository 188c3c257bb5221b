"""Every known mistake of every lesson is reachable by its own wrong answer.

For each ``Mistake`` of each checked question, the wrong answer it describes is fed to
the question, and the feedback must be "incorrect" with that mistake's own message. A
mistake fails when its wrong answer is in fact right, when an earlier mistake (or the
comparison itself) catches it first, or when its test does not recognise it. The
wrong answer is the value ``Mistake(expected=...)`` computes; a ``Mistake(when=...)``
carries a sample answer, given with :func:`crmlab.exercises.lessons.shown_by`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from crmlab.exercises import AnswerError, Question
from crmlab.exercises.feedback import Status
from crmlab.exercises.registry import available_lessons, lesson


def _questions() -> dict[tuple[str, str], Question]:
    return {(lesson_id, item.id): item for lesson_id in available_lessons() for item in lesson(lesson_id).items
            if isinstance(item, Question) and item.expected is not None}  # fmt: skip


QUESTIONS = _questions()
CASES = [(lesson_id, qid, index) for (lesson_id, qid), q in QUESTIONS.items() for index in range(len(q.mistakes))]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _wrong_answer(mistake):
    if mistake.expected is not None:
        return mistake.expected()
    example = getattr(mistake.when, "example", None)
    assert example is not None, (
        "this `when=` mistake has no sample answer: write `when=shown_by(test, example=...)`, "
        "with `shown_by` from crmlab.exercises.lessons"
    )
    return example()


def _as_the_learner_gives_it(question: Question, value):
    """A chart question reads the learner's Axes: draw the wrong bar heights as the learner would."""
    if question.prepare is None or not isinstance(value, pd.Series):
        return value
    try:
        question.prepare(value)
    except AnswerError:
        return value.plot.bar()
    return value


def test_every_lesson_has_known_mistakes():
    lessons = {lesson_id for lesson_id, _, _ in CASES}
    assert lessons == set(available_lessons())
    assert len(CASES) > 100


@pytest.mark.parametrize(("lesson_id", "qid", "index"), CASES, ids=lambda v: str(v))
def test_each_mistake_gets_its_own_message(lesson_id, qid, index):
    question = QUESTIONS[lesson_id, qid]
    mistake = question.mistakes[index]
    answer = _as_the_learner_gives_it(question, _wrong_answer(mistake))
    feedback = question.evaluate(answer)
    assert feedback.status is Status.INCORRECT, f"the wrong answer is judged {feedback.status.value}"
    assert feedback.message == mistake.message, (
        f"expected this mistake's message:\n  {mistake.message}\ngot:\n  {feedback.message}"
    )
