"""The exercise engine: instant feedback, hints, solutions, quizzes and progress.

In an exercise notebook::

    from crmlab.exercises import lesson, ____
    ex = lesson("00_welcome")
    answer = ____                 # the learner replaces the blank
    ex.q1.check(answer)           # correct / not quite / not attempted / ... never raises
    ex.q1.hint(); ex.q1.hint(2)   # progressively more specific
    ex.q1.solution()              # recorded as viewed
    ex.quiz("q4")                 # multiple choice (ex.quiz("q4", answer="b") in code)
    ex.progress()                 # status, attempts, hints used, score
    set_learner_name("Sara Ahmadi")  # once: the name on your certificates

Authors write a lesson's questions in ``crmlab/exercises/lessons/lNN_slug.py`` with
:class:`Question`, :class:`Mistake`, :class:`Reflection` and :class:`Quiz`.
"""

from crmlab.exercises.blank import ____, is_blank
from crmlab.exercises.charts import chart_data
from crmlab.exercises.compare import compare
from crmlab.exercises.comparison import CompareOptions, Comparison
from crmlab.exercises.explain import explain_error, explain_exception
from crmlab.exercises.feedback import Check, Feedback, Message, Status
from crmlab.exercises.learner import learner_name, set_learner_name
from crmlab.exercises.lesson import Lesson, LessonError
from crmlab.exercises.mode import assessed, set_assessed
from crmlab.exercises.progress import CourseProgress, LessonProgress, course_progress
from crmlab.exercises.progress_log import LogContents, ProgressLog, progress_dir
from crmlab.exercises.question import AnswerError, Mistake, Question, Reflection
from crmlab.exercises.quiz import Quiz, load_quizzes
from crmlab.exercises.registry import available_lessons, lesson

__all__ = [
    "AnswerError",
    "Check",
    "CompareOptions",
    "Comparison",
    "CourseProgress",
    "Feedback",
    "Lesson",
    "LessonError",
    "LessonProgress",
    "LogContents",
    "Message",
    "Mistake",
    "ProgressLog",
    "Question",
    "Quiz",
    "Reflection",
    "Status",
    "____",
    "assessed",
    "available_lessons",
    "chart_data",
    "compare",
    "course_progress",
    "explain_error",
    "explain_exception",
    "is_blank",
    "learner_name",
    "lesson",
    "load_quizzes",
    "progress_dir",
    "set_assessed",
    "set_learner_name",
]
