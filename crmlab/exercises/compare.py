"""Compare a learner's answer with the expected value: one entry point, :func:`compare`.

The kind of the *expected* value decides how to compare: tables and Series in
:mod:`~crmlab.exercises.compare_frames`, numbers, text and lists in
:mod:`~crmlab.exercises.compare_values`, dicts and arrays here. The result lists the
checks run and, when one failed, a message that says what is wrong and how to look
at it without revealing the expected value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crmlab.exercises.compare_frames import compare_frame, compare_series
from crmlab.exercises.compare_values import (
    compare_bool,
    compare_collection,
    compare_number,
    compare_text,
    is_number,
    values_equal,
)
from crmlab.exercises.comparison import CompareOptions, Comparison, Report, describe
from crmlab.exercises.safe_text import is_exactly, quote, quote_items

__all__ = ["CompareOptions", "Comparison", "compare"]


def compare(actual: Any, expected: Any, options: CompareOptions | None = None) -> Comparison:
    """Compare ``actual`` (the learner's answer) with ``expected``.

    Parameters
    ----------
    actual : object
        The learner's answer. Its own methods may raise; the caller handles that.
    expected : object
        The value computed by the question's checker.
    options : CompareOptions, optional
        How lenient to be; the defaults suit most questions.

    Returns
    -------
    Comparison
        The checks run and, if one failed, what it means.

    Examples
    --------
    >>> import pandas as pd
    >>> want = pd.DataFrame({"customer_id": [1, 2], "n": [3, 1]}).set_index("customer_id")
    >>> got = pd.DataFrame({"customer_id": [2, 1], "n": [1.0, 3.0]})
    >>> compare(got, want).ok
    True
    >>> result = compare(got.rename(columns={"n": "N"}), want)
    >>> print(result.message[:47])
    Expected a column named `n`; your table has col
    """
    options = options or CompareOptions()
    report = Report()
    _dispatch(actual, expected, options, report)
    return report.result()


def _dispatch(actual: Any, expected: Any, options: CompareOptions, report: Report) -> None:
    if isinstance(expected, pd.DataFrame):
        compare_frame(actual, expected, options, report)
    elif isinstance(expected, pd.Series):
        compare_series(actual, expected, options, report)
    elif isinstance(expected, (bool, np.bool_)):
        compare_bool(actual, expected, options, report)
    elif is_number(expected):
        compare_number(actual, expected, options, report)
    elif isinstance(expected, str):
        compare_text(actual, expected, options, report)
    elif isinstance(expected, dict):
        _compare_dict(actual, expected, options, report)
    elif isinstance(expected, np.ndarray) and expected.ndim > 1:
        _compare_array(actual, expected, options, report)
    elif isinstance(expected, (list, tuple, set, frozenset, range, np.ndarray, pd.Index)):
        compare_collection(actual, expected, options, report)
    else:
        _compare_other(actual, expected, options, report)


def _compare_dict(actual: Any, expected: dict, options: CompareOptions, report: Report) -> None:
    message = f"The question asks for a dict ({{key: value}}); you gave {describe(actual)}."
    if not report.check("answer is a dict", is_exactly(actual, dict), message):
        return
    missing = [k for k in expected if k not in actual]
    extra = [k for k in actual if k not in expected]
    message = (
        f"Your dict is missing the key(s) {quote_items(missing)}." if missing
        else f"Your dict has key(s) the question does not ask for: {quote_items(extra)}."
    )  # fmt: skip
    if not report.check("has the expected keys", not missing and not extra, message):
        return
    for key, want in expected.items():
        inner = compare(actual[key], want, options)
        if not inner.ok:
            report.rows = inner.rows
            report.check(f"value for {quote(key)}", False, f"For key {quote(key)}: {inner.message}")
            return
    report.check("values are right", True)


def _compare_array(actual: Any, expected: np.ndarray, options: CompareOptions, report) -> None:
    message = f"The question asks for a NumPy array; you gave {describe(actual)}."
    if not report.check("answer is an array", is_exactly(actual, np.ndarray), message):
        return
    message = f"Your array has shape {actual.shape}; check `answer.shape` against the question."
    if not report.check("has the expected shape", actual.shape == expected.shape, message):
        return
    try:
        same = np.allclose(actual, expected, rtol=options.rtol, atol=options.atol, equal_nan=True)
    except TypeError:  # not numeric: compare exactly
        same = bool(np.array_equal(actual, expected))
    report.check("values are right", same, "Some values of your array differ.")


def _compare_other(actual: Any, expected: Any, options: CompareOptions, report) -> None:
    same_type = is_exactly(actual, type(expected))
    message = f"The question asks for a {type(expected).__name__}; you gave {describe(actual)}."
    if not report.check("answer has the expected type", same_type, message):
        return
    report.check("value is right", values_equal(actual, expected, options), "Not the expected value.")
