"""The classroom: what an instructor runs a class with (hand-ins, the gradebook, the answer key).

A class in three commands, simpler than nbgrader or otter-grader (no course database, no
release/collect server, no Docker: files a learner sends by mail or through a learning platform):

1. each learner runs ``crmlab handin`` (:func:`make_handin`): one zip of their progress logs
   and exercise notebooks, with a manifest of sha256 checksums (format in
   :mod:`crmlab.classroom.handin`);
2. the instructor puts the zips in one folder and runs ``crmlab gradebook DIR``
   (:func:`build_gradebook`, :func:`write_gradebook`): ``gradebook.csv`` and
   ``gradebook.html``, one row per learner and lesson, and what the class got wrong;
3. ``crmlab grade DIR`` re-executes the handed-in notebooks (:mod:`crmlab.classroom.grading`),
   when the logs alone are not trusted enough.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from crmlab.exercises import ProgressLog, set_learner_name
>>> from crmlab.classroom import build_gradebook, make_handin
>>> folder = Path(tempfile.mkdtemp())
>>> _ = set_learner_name("Sara Ahmadi", directory=folder)
>>> ProgressLog(folder).append("00_welcome", {"event": "check", "question": "q1", "status": "correct"})
>>> made = make_handin(folder, notebooks=folder, progress=folder)
>>> book = build_gradebook(folder)
>>> book.table[["learner", "lesson", "questions_right", "questions"]].to_numpy().tolist()
[['Sara Ahmadi', '00_welcome', 1, 4]]
"""

from typing import TYPE_CHECKING

from crmlab.lazy import lazy_names

# each name is imported on first use (crmlab.lazy); the TYPE_CHECKING imports say the same for type checkers
__getattr__, __dir__ = lazy_names(__name__, {
    ".gradebook": ["Gradebook", "GradebookError", "build_gradebook", "write_gradebook"],
    ".handin": ["Handin", "HandinError", "extract_handin", "make_handin", "read_handin"],
})

if TYPE_CHECKING:
    from crmlab.classroom.gradebook import Gradebook, GradebookError, build_gradebook, write_gradebook
    from crmlab.classroom.handin import Handin, HandinError, extract_handin, make_handin, read_handin

__all__ = [
    "Gradebook",
    "GradebookError",
    "Handin",
    "HandinError",
    "build_gradebook",
    "extract_handin",
    "make_handin",
    "read_handin",
    "write_gradebook",
]
