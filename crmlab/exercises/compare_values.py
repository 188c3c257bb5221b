"""Compare plain values: numbers, True/False, text, lists and sets.

Each ``compare_*`` function adds checks to a :class:`~crmlab.exercises.comparison.Report`.
Messages describe the learner's answer and how to inspect it; they never print the
expected value.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import pandas as pd

from crmlab.exercises.comparison import CompareOptions, Report, describe, format_value
from crmlab.exercises.safe_text import is_exactly

__all__ = [
    "compare_bool",
    "compare_collection",
    "compare_number",
    "compare_text",
    "is_number",
    "values_equal",
]


_GREEDY_LIMIT = 500  # longer unordered lists are matched after sorting


def is_number(value: Any) -> bool:
    """True for ints, floats and NumPy numbers, False for bools."""
    return is_exactly(value, numbers.Number, np.number) and not is_exactly(value, bool, np.bool_)


def values_equal(actual: Any, expected: Any, options: CompareOptions) -> bool:
    """Compare two single values with the question's tolerance.

    Examples
    --------
    >>> values_equal(0.1 + 0.2, 0.3, CompareOptions()), values_equal("A ", "a", CompareOptions())
    (True, False)
    """
    if is_number(expected) and is_number(actual):
        return _numbers_equal(actual, expected, options)
    if is_exactly(expected, str) and is_exactly(actual, str):
        return str.__eq__(_text_key(actual, options), _text_key(expected, options))
    if _is_missing(expected) or _is_missing(actual):
        return _is_missing(expected) and _is_missing(actual)
    result = actual == expected
    if is_exactly(result, bool, np.bool_):
        return bool(result)
    return False


def compare_number(actual: Any, expected: Any, options: CompareOptions, report: Report) -> None:
    """Check that ``actual`` is a number equal to ``expected`` within tolerance."""
    if not report.check("answer is a number", is_number(actual), _not_a_number(actual)):
        return
    if _is_missing(actual) and not _is_missing(expected):
        report.check(
            "value is right",
            False,
            "Your answer is NaN (not a number). That usually comes from an empty selection, "
            "a missing value or 0/0. Look for missing values with `.isna().sum()` and check "
            "your filter keeps some rows.",
        )
        return
    if _is_infinite(actual) and not _is_infinite(expected):
        report.check(
            "value is right",
            False,
            "Your answer is infinite (inf): somewhere a number was divided by zero. Look for "
            "zero counts or totals in what you divided by.",
        )
        return
    report.check(
        "value is right",
        _numbers_equal(actual, expected, options),
        f"Your number, {format_value(actual)}, is not the expected value. Re-read the "
        "question: which rows should count, and which column is aggregated how?",
    )


def compare_bool(actual: Any, expected: Any, options: CompareOptions, report: Report) -> None:
    """Check that ``actual`` is True or False and equals ``expected``."""
    is_bool = is_exactly(actual, bool, np.bool_)
    message = f"The question asks for True or False; you gave {describe(actual)}."
    if is_number(actual) and actual in (0, 1):
        message += " Write `True` or `False` rather than 1 or 0."
    if not report.check("answer is True or False", is_bool, message):
        return
    report.check(
        "value is right",
        bool(actual) == bool(expected),
        "That is not the right truth value. Test the condition on a few rows to see why.",
    )


def compare_text(actual: Any, expected: str, options: CompareOptions, report: Report) -> None:
    """Check that ``actual`` is text equal to ``expected``."""
    message = f"The question asks for text (a str); you gave {describe(actual)}."
    if not report.check("answer is text", is_exactly(actual, str), message):
        return
    if str.__eq__(_text_key(actual, options), _text_key(expected, options)):
        report.check("text is right", True)
        return
    loose = CompareOptions(ignore_text_case=True)
    message = f"Your text, {format_value(actual)}, is not the expected one."
    if str.__eq__(_text_key(actual, loose), _text_key(expected, loose)):
        message = (
            "Your text differs only in upper/lower case or surrounding spaces: "
            "text must match exactly."
        )
    report.check("text is right", False, message)


def compare_collection(actual: Any, expected: Any, options: CompareOptions, report: Report) -> None:
    """Check a list, tuple, set or 1-d array, in order or as a collection."""
    items = _as_items(actual)
    if not report.check(
        "answer is a list of values", items is not None, _not_a_list(actual, expected)
    ):
        return
    wanted = list(expected)
    ordered = not options.ignore_order and not isinstance(expected, (set, frozenset))
    if ordered and is_exactly(actual, set, frozenset):
        report.check(
            "items are in order",
            False,
            "You gave a set, which has no order; the question asks for the items in order: "
            "use a list.",
        )
        return
    n_act, n_exp = len(items), len(wanted)
    if not report.check(
        "has the expected number of items", n_act == n_exp, _count_message(n_act, n_exp)
    ):
        return
    if ordered:
        wrong = [i for i, (a, e) in enumerate(zip(items, wanted, strict=True)) if not values_equal(a, e, options)]
        shown = ", ".join(f"position {i}: {format_value(items[i])}" for i in wrong[:3])
        message = f"{len(wrong)} of your {n_act} items are not the expected ones ({shown})."
        report.check("items are right and in order", not wrong, message)
        return
    unexpected = _unmatched(items, wanted, options)
    shown = ", ".join(format_value(item) for item in unexpected[:3])
    message = f"{len(unexpected)} of your {n_act} items should not be there, e.g. {shown}."
    report.check("items are right", not unexpected, message)


def _numbers_equal(actual: Any, expected: Any, options: CompareOptions) -> bool:
    integers = (numbers.Integral, np.integer)
    if is_exactly(actual, int, np.integer) and isinstance(expected, integers):
        return int(actual) == int(expected)  # exact, and no overflow for huge ints
    try:
        a, e = complex(actual), complex(expected)
    except OverflowError:  # too large for a float: not the expected value
        return False
    if a.imag or e.imag:
        return a == e
    a_f, e_f = a.real, e.real
    if math.isnan(a_f) or math.isnan(e_f):
        return math.isnan(a_f) and math.isnan(e_f)
    if isinstance(expected, (numbers.Integral, np.integer)) and a_f.is_integer():
        return int(a_f) == int(expected)
    return math.isclose(a_f, e_f, rel_tol=options.rtol, abs_tol=options.atol)


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return is_exactly(value, float, np.floating) and math.isnan(value)


def _is_infinite(value: Any) -> bool:
    return is_exactly(value, float, np.floating) and math.isinf(value)


def _text_key(text: str, options: CompareOptions) -> str:
    """The text compared, read with ``str``'s own methods (a subclass may override them)."""
    plain = str.__str__(text)
    return str.casefold(str.strip(plain)) if options.ignore_text_case else plain


def _not_a_number(actual: Any) -> str:
    if actual is None:
        return (
            "Your answer is None. A method with `inplace=True`, or a function that prints "
            "instead of returning, gives None: make the last line produce the number."
        )
    if is_exactly(actual, bool, np.bool_):
        return "You gave True/False; the question asks for a number."
    if is_exactly(actual, pd.Series, pd.DataFrame, np.ndarray):
        size = actual.size
        kind = type(actual).__name__
        if size == 1:
            return (
                f"You gave a {kind} holding one value; the question asks for the number "
                "itself. Take it out with `.item()` (or `.iloc[0]` for a Series)."
            )
        return (
            f"You gave a {kind} with {size} values; the question asks for a single number. "
            "Did you forget to aggregate, e.g. with `.sum()`, `.mean()` or `.nunique()`?"
        )
    if is_exactly(actual, str):
        try:
            float(str.__str__(actual) if str.__len__(actual) <= 100 else "not a number")
        except ValueError:
            return f"You gave text ({format_value(actual)}); the question asks for a number."
        return f"You gave the text {format_value(actual)}; give the number itself, without quotes."
    return f"The question asks for a number; you gave {describe(actual)}."


def _as_items(actual: Any) -> list | None:
    if is_exactly(actual, list, tuple, set, frozenset, range, pd.Index, pd.Series):
        return list(actual)
    if is_exactly(actual, np.ndarray) and actual.ndim == 1:
        return actual.tolist()
    return None


def _not_a_list(actual: Any, expected: Any) -> str:
    kind = type(expected).__name__
    message = f"The question asks for a {kind} of values; you gave {describe(actual)}."
    if is_exactly(actual, str):
        message += " Put the values in brackets, e.g. `[1, 2, 3]`, not in quotes."
    elif is_exactly(actual, pd.DataFrame):
        message += " Select one column, e.g. `answer['name'].tolist()`."
    return message


def _count_message(n_actual: int, n_expected: int) -> str:
    if n_actual > n_expected:
        return (
            f"Your answer has {n_actual:,} items, more than expected. Look for duplicates "
            "(`len(set(answer))`) or a filter you missed."
        )
    return (
        f"Your answer has {n_actual:,} items, fewer than expected. Did you filter out too "
        "much, or stop too early?"
    )


def _unmatched(items: list, wanted: list, options: CompareOptions) -> list:
    """Items of ``items`` with no equal partner in ``wanted`` (as multisets)."""
    if len(items) > _GREEDY_LIMIT:
        try:
            pairs = zip(sorted(items), sorted(wanted), strict=True)
        except TypeError:
            pass
        else:
            return [a for a, e in pairs if not values_equal(a, e, options)]
    remaining = list(wanted)
    unmatched = []
    for item in items:
        for i, candidate in enumerate(remaining):
            if values_equal(item, candidate, options):
                del remaining[i]
                break
        else:
            unmatched.append(item)
    return unmatched
