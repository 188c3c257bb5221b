"""Command-line entry points: ``crmlab progress``, ``crmlab name``, ``crmlab assessed`` and ``crmlab release``.

``crmlab.cli`` wires these functions as subcommands; each takes the arguments after
the subcommand name and returns an exit status.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from crmlab.exercises.learner import HOW_TO_SET, LearnerNameError, learner_name, set_learner_name
from crmlab.exercises.lesson import LessonError
from crmlab.exercises.mode import ENV_ASSESSED, assessed, set_assessed
from crmlab.exercises.progress import Item, LessonProgress, course_progress, summarize
from crmlab.exercises.progress_log import ENV_PROGRESS_DIR, ProgressLog, ProgressLogError
from crmlab.exercises.registry import available_lessons, lesson
from crmlab.exercises.release import ReleaseError, release, stale_copies

__all__ = ["assessed_main", "name_main", "progress_main", "release_main"]


def progress_main(argv: Sequence[str] | None = None) -> int:
    """Print progress for every lesson, or one lesson (``crmlab progress [LESSON]``).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``progress``.

    Returns
    -------
    int
        0; 1 when a log or the progress folder cannot be read (each one is named with
        the fix, after the readable lessons); 2 for an unknown lesson. A ``--dir`` that holds a
        class's hand-ins or several learners' logs is named as such, pointing to
        ``crmlab gradebook``: 2 when it holds no log of its own, else 1.

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
        return _one_lesson(args.lesson, log, args.json)
    try:
        summary = course_progress(log, _describe)
    except ProgressLogError as exc:
        print(f"crmlab progress: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([_as_dict(p) for p in summary.lessons], indent=1))
        for lesson_id, reason in summary.unreadable:
            print(f"crmlab progress: lesson {lesson_id}: {reason}", file=sys.stderr)
    else:
        print(summary)  # unreadable logs are named after the table
    class_folder = _class_material(Path(args.dir)) if args.dir else ""
    if class_folder:
        print(f"crmlab progress: {args.dir} holds {class_folder}: `crmlab progress` shows one learner's own "
              f"progress folder. For a class, run `crmlab gradebook {args.dir}` on a folder of hand-ins "
              "(`crmlab handin` makes them).", file=sys.stderr)  # fmt: skip
        return 2 if not summary.lessons else 1
    return 1 if summary.unreadable else 0


def _class_material(folder: Path) -> str:
    """What in ``folder`` belongs to a class rather than to one learner, in words, or ``""``.

    Hand-in zips, learner folders holding logs, and logs whose entries name another lesson than
    their file (one learner's log renamed after the learner) are what instructors mistake for a
    progress folder.
    """
    found = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return ""
    zips = [e for e in entries if e.name.endswith(".zip") and e.is_file()]
    if zips:
        found.append(f"{len(zips)} zip file(s)")
    folders = [e for e in entries if e.is_dir() and not e.is_symlink() and any(e.glob("*.jsonl"))]
    if folders:
        found.append(f"{len(folders)} folder(s) of logs")
    renamed = [e for e in entries if e.suffix == ".jsonl" and e.is_file() and _first_lesson(e) not in (None, e.stem)]
    if renamed:
        found.append(f"{len(renamed)} log(s) named after something other than their lesson")
    return ", ".join(found)


def _first_lesson(path: Path) -> str | None:
    """The ``lesson`` of a log's first line, or None when it cannot be read."""
    try:
        with path.open("rb") as handle:
            entry = json.loads(handle.readline(65536) or b"null")
    except (OSError, ValueError):
        return None
    lesson_id = entry.get("lesson") if isinstance(entry, dict) else None
    return lesson_id if isinstance(lesson_id, str) else None


def assessed_main(argv: Sequence[str] | None = None) -> int:
    """Show, or switch on or off, the assessed session (``crmlab assessed [on|off]``).

    In an assessed session hints and solutions are off and checks keep working
    (:mod:`crmlab.exercises.mode`). The switch is a file, ``assessed.json``, in the progress
    folder: the instructor runs ``crmlab assessed on`` in each learner's account before an exam.

    Returns
    -------
    int
        0; 2 for a bad argument or a folder that cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> assessed_main(["on", "--dir", folder])
    Assessed session: on (hints and solutions are off).
    0
    >>> assessed_main(["off", "--dir", folder])
    Assessed session: off.
    0
    """
    parser = argparse.ArgumentParser(
        prog="crmlab assessed", description="Show or switch the assessed session (hints and solutions off)."
    )
    parser.add_argument("switch", nargs="?", choices=["on", "off"], help="on or off; nothing: show the state")
    parser.add_argument("--dir", help=f"the progress folder (default: ${ENV_PROGRESS_DIR} "
                        "or ~/.crmlab/progress)")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        if args.switch:
            set_assessed(args.switch == "on", args.dir)
    except OSError as exc:
        print(f"crmlab assessed: cannot write to the progress folder: {exc}", file=sys.stderr)
        return 2
    if assessed(args.dir):
        print("Assessed session: on (hints and solutions are off).")
        if args.switch == "off":
            print(f"${ENV_ASSESSED} is set in this environment: unset it too.", file=sys.stderr)
    else:
        print("Assessed session: off.")
    return 0


def name_main(argv: Sequence[str] | None = None) -> int:
    """Show or set the name printed on your certificates (``crmlab name ["Your Name"]``).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``name``.

    Returns
    -------
    int
        0, or 2 for a name that cannot be used (the reason is printed on stderr).

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> name_main(["--dir", folder, "Sara Ahmadi"])  # doctest: +ELLIPSIS
    Learner name: Saved "Sara Ahmadi". Your certificates will show this name; ...
    0
    >>> name_main(["--dir", folder])
    Your name on certificates: Sara Ahmadi
    0
    """
    parser = argparse.ArgumentParser(
        prog="crmlab name", description="Show or set the name printed on your certificates."
    )
    parser.add_argument("name", nargs="*", help='your name, in quotes: crmlab name "Sara Ahmadi"')
    parser.add_argument("--dir", help=f"the progress folder (default: ${ENV_PROGRESS_DIR} "
                        "or ~/.crmlab/progress)")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        if args.name:
            print(set_learner_name(" ".join(args.name), directory=args.dir))
            return 0
        current = learner_name(directory=args.dir)
    except LearnerNameError as exc:
        print(f"crmlab name: {exc}", file=sys.stderr)
        return 2
    print(f"Your name on certificates: {current}" if current else f"No name set yet. {HOW_TO_SET}")
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
        description="Build exercises/NN_slug_exercises.ipynb from exercises/source/NN_slug_exercises.ipynb.",
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


def _one_lesson(lesson_id: str, log: ProgressLog, as_json: bool) -> int:
    try:
        ex = lesson(lesson_id, log=log)
    except (LessonError, ValueError) as exc:
        print(f"crmlab progress: {exc}", file=sys.stderr)
        return 2
    try:
        contents = log.read(ex.id)
    except ProgressLogError as exc:
        print(f"crmlab progress: {exc}", file=sys.stderr)
        return 1
    items = [Item(i.id, i.kind, i.points) for i in ex.items]
    summary = summarize(ex.id, contents, items, ex.title)  # counts skipped, tampered and unverified lines too
    print(json.dumps(_as_dict(summary), indent=1) if as_json else summary)
    return 0


def _describe(lesson_id: str):
    if lesson_id not in available_lessons():
        return None
    ex = lesson(lesson_id)
    return ex.title, [Item(i.id, i.kind, i.points) for i in ex.items]


def _as_dict(summary: LessonProgress) -> dict:
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
        "skipped_reasons": list(summary.problems),
        "tampered_lines": summary.tampered_lines,
        "unverified_lines": summary.unverified_lines,
        "flagged": list(summary.flagged),
    }
