"""Exceptions that crmlab raises, each with a message a beginner can act on.

Every message names the file, table, column or argument concerned, what was
expected, what was found, and how to fix it.
"""

from __future__ import annotations

__all__ = ["CrmlabError", "DataFileError", "SchemaError"]


class CrmlabError(Exception):
    """Base class of every error crmlab raises on purpose."""


class DataFileError(CrmlabError, OSError):
    """A data file is missing, unreadable or corrupt.

    Parameters
    ----------
    path : str or os.PathLike
        The file concerned.
    problem : str
        What is wrong, in plain words.
    fix : str
        What the user can do about it.
    """

    def __init__(self, path, problem: str, fix: str) -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem}: {self.path}\nHow to fix it: {fix}")


class SchemaError(CrmlabError, ValueError):
    """A table does not have the columns or types crmlab expects."""
