"""Command-line entry points: ``crmlab progress`` and ``crmlab release``.

``crmlab.cli`` wires these functions as subcommands; each takes the arguments after
the subcommand name and returns an exit status.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from crmlab.exercises.lesson import LessonError
from crmlab.exercises.progress import Item, course_progress
from crmlab.exercises.progress_log import ENV_PROGRESS_DIR, ProgressLog
from crmlab.exercises.registry import available_lessons, lesson
from crmlab.exercises.release import ReleaseError, release, stale_copies

__all__ = ["progress_main", "release_main"]


def progress_main(argv: Sequence[str] | None = None) -> int:
    """Print progress for every lesson, or one lesson (``crmlab progress [LESSON]``).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``progress``.

    Returns
    -------
    int
        0, or 2 for an unknown lesson.

    Examples
    --------
    >>> import tempfile
    >>> progress_main(["--dir", tempfile.mkdtemp()])
    No progress recorded yet.
    0
    """
    parser = argparse.ArgumentParser(
        prog="crmlab progress", description="Show your progress through the exercises."
    )
    parser.add_argument("lesson", nargs="?", help="one lesson, e.g. 00_welcome")
    parser.add_argument("--dir", help=f"the progress folder (default: ${ENV_PROGRESS_DIR} "
                        "or ~/.crmlab/progress)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    log = ProgressLog(args.dir) if args.dir else ProgressLog()
    if args.lesson:
        try:
            summary = lesson(args.lesson, log=log).progress()
        except LessonError as exc:
            print(exc)
            return 2
        print(json.dumps(_as_dict(summary), indent=1) if args.json else summary)
        return 0
    summary = course_progress(log, _describe)
    if args.json:
        print(json.dumps([_as_dict(p) for p in summary.lessons], indent=1))
    else:
        print(summary)
    return 0


def release_main(argv: Sequence[str] | None = None) -> int:
    """Build the student notebooks, or check they are up to date (``--check``).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``release``.

    Returns
    -------
    int
        0 on success; 1 when ``--check`` finds stale copies or a source is malformed.
    """
    parser = argparse.ArgumentParser(
        prog="crmlab release",
        description="Build exercises/NN_slug.ipynb from exercises/source/NN_slug.ipynb.",
    )
    parser.add_argument("--source", default="exercises/source", help="the authors' notebooks")
    parser.add_argument("--out", default="exercises", help="where the student copies go")
    parser.add_argument("--check", action="store_true",
                        help="only report stale copies; exit 1 if there are any")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = stale_copies(args.source, args.out)
            for problem in problems:
                print(problem)
            print("Student copies are up to date." if not problems else "")
            return 1 if problems else 0
        written = release(args.source, args.out)
    except ReleaseError as exc:
        print(f"Cannot release: {exc}")
        return 1
    for path in written:
        print(f"wrote {path}")
    print(f"{len(written)} student notebook(s) updated.")
    return 0


def _describe(lesson_id: str):
    if lesson_id not in available_lessons():
        return None
    ex = lesson(lesson_id)
    return ex.title, [Item(i.id, i.kind, i.points) for i in ex.items]


def _as_dict(summary) -> dict:
    return {
        "lesson": summary.lesson,
        "title": summary.title,
        "score": summary.score,
        "max_score": summary.max_score,
        "complete": summary.complete,
        "questions": [
            {"id": i.id, "kind": i.kind, "status": i.status, "attempts": i.attempts,
             "hints_used": i.hints_used, "solution_viewed": i.solution_viewed}
            for i in summary.items
        ],  # fmt: skip
        "skipped_lines": summary.skipped_lines,
    }
