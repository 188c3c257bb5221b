"""The questions of each lesson, one module per lesson: ``l<NN>_<slug>.py``.

A lesson module is declarative. It defines ``QUESTIONS`` (a list of
:class:`~crmlab.exercises.Question` and :class:`~crmlab.exercises.Reflection`),
optionally ``TITLE``, and optionally ``QUIZZES`` (a list of
:class:`~crmlab.exercises.Quiz`). Without ``QUIZZES``, the lesson's quizzes are read
from ``crmlab/exercises/quizzes/<NN>_<slug>.toml`` when that file exists.
Expected values are functions of the data, computed on the first check.
"""
