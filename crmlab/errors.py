"""Exceptions that crmlab raises, each with a message a beginner can act on.

Every message names the file, table, column or argument concerned, what was
expected, what was found, and how to fix it.
"""

from __future__ import annotations

__all__ = ["CrmlabError", "DataFileError", "SchemaError", "ValueLoadError"]


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


class ValueLoadError(SchemaError):
    """Values of a column cannot take the column's type without being changed.

    Parameters
    ----------
    table, column, dtype : str
        The column concerned and the type it must take.
    source : str
        The file read (may be empty).
    problem : str
        What is wrong with the values, in plain words.
    fix : str
        What the user can do about it (usually which read option to set).
    examples : list of (int, object)
        Up to five ``(file line, value as read)`` pairs; the header is line 1.
    count, total : int
        How many rows are affected, of how many.

    Examples
    --------
    >>> err = ValueLoadError("orders", "total_cents", "int64", "orders.csv", "values have decimals",
    ...                      "pass units={'orders.total_cents': 'major'}", [(2, "139.12")], 1, 3)
    >>> print(err)
    Column `total_cents` of table `orders` in orders.csv cannot be read as int64: values have decimals (1 of 3 rows).
      line 2: '139.12'
    How to fix it: pass units={'orders.total_cents': 'major'}
    """

    def __init__(self, table: str, column: str, dtype: str, source: str, problem: str, fix: str,
                 examples: list, count: int, total: int) -> None:
        self.table, self.column, self.dtype, self.source = table, column, dtype, source
        self.problem, self.fix, self.examples, self.count, self.total = problem, fix, list(examples), count, total
        where = f" in {source}" if source else ""
        shown = "".join(f"\n  line {line}: {_show(value)}" for line, value in self.examples)
        more = f"\n  ... and {count - len(self.examples)} more rows" if count > len(self.examples) else ""
        super().__init__(
            f"Column `{column}` of table `{table}`{where} cannot be read as {dtype}: {problem} "
            f"({count} of {total} rows).{shown}{more}\nHow to fix it: {fix}"
        )

    def __reduce__(self):  # picklable, so errors cross process boundaries intact
        return (type(self), (self.table, self.column, self.dtype, self.source, self.problem, self.fix,
                             self.examples, self.count, self.total))


def _show(value) -> str:
    value = value.item() if hasattr(value, "item") and not isinstance(value, str) else value
    return repr(value) if isinstance(value, str) else str(value)
