"""Command-line entry points: ``crmlab handin`` and ``crmlab gradebook DIR``.

``crmlab.cli`` wires these functions as subcommands; each takes the arguments after the
subcommand name and returns an exit status. Usage errors are one line on stderr with exit
status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from crmlab.classroom.gradebook import GradebookError, build_gradebook, write_gradebook
from crmlab.classroom.handin import MAX_FILE_BYTES, HandinError, make_handin
from crmlab.exercises.progress_log import ENV_PROGRESS_DIR

__all__ = ["gradebook_main", "handin_main"]


class _OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def handin_main(argv: Sequence[str] | None = None) -> int:
    """Bundle your progress and exercise notebooks into one zip for your instructor.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``handin``.

    Returns
    -------
    int
        0 when the file is written; 2 when it cannot be (no name set, a notebook too large,
        nothing to hand in), with the reason and the fix on stderr.

    Examples
    --------
    >>> import tempfile
    >>> handin_main(["--dir", tempfile.mkdtemp(), "--out", tempfile.mkdtemp()])
    2
    """
    parser = _OneLineParser(
        prog="crmlab handin",
        description="Bundle your progress logs and exercise notebooks into one file to send to your instructor.",
    )
    parser.add_argument("--out", default=".", metavar="DIR", help="folder for the zip file (default: here)")
    parser.add_argument("--notebooks", default="exercises", metavar="DIR",
                        help="folder of your *_exercises.ipynb notebooks (default: exercises)")  # fmt: skip
    parser.add_argument("--dir", metavar="DIR", help=f"the progress folder (default: ${ENV_PROGRESS_DIR} "
                        "or ~/.crmlab/progress)")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        made = make_handin(args.out, notebooks=args.notebooks, progress=args.dir)
    except (HandinError, OSError) as exc:
        print(f"crmlab handin: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    for note in made.notes:
        print(f"Note: {note}")
    print(f"Handed in {len(made.lessons)} lesson log(s) and {len(made.notebooks)} notebook(s) of "
          f"{made.learner} (notebooks up to {MAX_FILE_BYTES // 2**20} MB each).")  # fmt: skip
    print(f"Send this file to your instructor: {made.path}")
    return 0


def gradebook_main(argv: Sequence[str] | None = None) -> int:
    """Merge a folder of hand-ins into ``gradebook.csv`` and ``gradebook.html``.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``gradebook``.

    Returns
    -------
    int
        0 when every file was read; 1 when the gradebook was written but some files were
        rejected (each is named with the reason); 2 for a usage error.

    Examples
    --------
    >>> import tempfile
    >>> gradebook_main([tempfile.mkdtemp()])
    2
    """
    parser = _OneLineParser(
        prog="crmlab gradebook",
        description="Merge a folder of hand-ins (made with crmlab handin) into gradebook.csv and gradebook.html. "
        "Exit status: 0 all read, 1 written but some files rejected, 2 usage error.",
    )
    parser.add_argument("folder", metavar="DIR", help="the folder of hand-in zips")
    parser.add_argument("--out", metavar="DIR", help="where to write the gradebook (default: DIR)")
    args = parser.parse_args(argv)
    try:
        book = build_gradebook(args.folder)
        csv_path, html_path = write_gradebook(book, args.out or args.folder)
    except (GradebookError, OSError) as exc:
        print(f"crmlab gradebook: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    for older in book.superseded:
        print(f"Kept the latest hand-in of {older.learner} ({_shown(older.kept)}); older: {_shown(older.older)}")
    for rejected in book.rejected:
        print(f"Rejected {_shown(rejected.file)}: {_shown(rejected.reason)}")
    learners = book.table["learner"].nunique()
    print(f"Gradebook of {learners} learner(s) written to {csv_path} and {html_path}")
    return 1 if book.rejected else 0


def _shown(text: str) -> str:
    """``text`` with control characters escaped: a file name must not drive the terminal."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
