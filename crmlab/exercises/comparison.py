"""The vocabulary shared by the comparison modules: options, results, descriptions.

:class:`CompareOptions` says how lenient a question is; a comparison fills a
:class:`Report` with named checks and the first failure's message, and returns it
frozen as a :class:`Comparison`. :func:`describe` names a learner's value in plain
words ("a Series with 5 values") without printing it.
"""

from __future__ import annotations

import functools
import numbers
import types
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from crmlab.exercises.feedback import Check
from crmlab.exercises.safe_text import is_exactly, quote, type_name

__all__ = ["CompareOptions", "Comparison", "Report", "describe", "format_value"]


@dataclass(frozen=True)
class CompareOptions:
    """How strictly a learner's answer must match the expected value.

    Parameters
    ----------
    rtol, atol : float
        Relative and absolute tolerance for floats (as in :func:`numpy.isclose`).
    ignore_order : bool
        Row order of tables and item order of lists do not matter.
    index_as_column : bool
        A named index (e.g. ``customer_id``) counts the same as a column of that name.
    ignore_column_case : bool
        ``Amount`` and ``amount`` name the same column.
    allow_extra_columns : bool
        Columns the question did not ask for are ignored instead of failing.
    strict_dtype : bool
        Require identical dtypes (by default int64, Int64 and whole floats all match).
    ignore_text_case : bool
        Text values match regardless of upper/lower case and surrounding spaces.
    max_rows : int
        At most this many differing rows are shown.

    Examples
    --------
    >>> CompareOptions(ignore_order=False).ignore_order
    False
    """

    rtol: float = 1e-6
    atol: float = 1e-9
    ignore_order: bool = True
    index_as_column: bool = True
    ignore_column_case: bool = False
    allow_extra_columns: bool = False
    strict_dtype: bool = False
    ignore_text_case: bool = False
    max_rows: int = 3


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing an answer with the expected value.

    Parameters
    ----------
    checks : tuple of Check
        The checks run, in order; a comparison stops at the first structural failure.
    message : str
        What the first failed check means for the learner; "" when all passed.
    rows : str
        A few rows of the learner's answer that differ, as text.
    """

    checks: tuple[Check, ...]
    message: str = ""
    rows: str = ""

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return bool(self.checks) and all(check.passed for check in self.checks)


class Report:
    """Collects checks while a comparison runs; the first failure sets the message."""

    def __init__(self) -> None:
        self.checks: list[Check] = []
        self.message = ""
        self.rows = ""

    def check(self, label: str, passed: bool, message: str = "") -> bool:
        """Record one check and return whether it passed."""
        passed = bool(passed)
        self.checks.append(Check(label, passed))
        if not passed and not self.message:
            self.message = message
        return passed

    def result(self) -> Comparison:
        """Freeze the report."""
        return Comparison(tuple(self.checks), self.message, self.rows)


def describe(value: Any) -> str:
    """Name what kind of value a learner gave, without showing the value; never raises.

    Parameters
    ----------
    value : object
        Any object.

    Returns
    -------
    str
        E.g. ``"a DataFrame with 3 rows and 2 columns"``.

    Examples
    --------
    >>> describe(None), describe([1, 2]), describe("hi"), describe(3.5)
    ('None', 'a list of 2 items', 'text (a str)', 'a number (float)')
    """
    try:
        return _describe(value)
    except Exception:  # a learner object's __len__ may raise
        return f"a {type_name(value)} object"


def _describe(value: Any) -> str:
    kind = type_name(value)
    if value is None:
        return "None"
    if is_exactly(value, pd.DataFrame):
        return f"a DataFrame with {len(value):,} rows and {value.shape[1]:,} columns"
    if is_exactly(value, pd.Series):
        return f"a Series with {len(value):,} values"
    if is_exactly(value, bool, np.bool_):
        return "True/False (a bool)"
    if is_exactly(value, numbers.Number):
        return f"a number ({kind})"
    if is_exactly(value, str):
        n = str.__len__(value)
        return f"text (a {kind}) of {n:,} characters" if n > 200 else f"text (a {kind})"
    if is_exactly(value, list, tuple, set, frozenset, dict):
        noun = "entries" if is_exactly(value, dict) else "items"
        return f"a {kind} of {len(value):,} {noun}"
    if is_exactly(value, np.ndarray):
        return f"a NumPy array of shape {value.shape}"
    if is_exactly(value, _FUNCTIONS):
        return f"a function ({kind})"
    return f"a {kind} object"


_FUNCTIONS = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, functools.partial)


def format_value(value: Any, limit: int = 60) -> str:
    """Render one of the learner's values briefly, never raising.

    Examples
    --------
    >>> format_value(2.0), format_value("x" * 100, 5)
    ('2.0', "'xxxxx…' (100 characters)")
    """
    return quote(value, limit)
