"""Compare pandas tables: DataFrames and Series, the way a teacher would.

Lenient where a beginner's answer is right in substance: row order, a named index
versus a column of the same name (``customer_id``), int64 versus Int64 versus whole
floats, float noise, and, where the question allows it, column-name case. Strict
and explicit about the rest: a Series where a table was asked, missing or extra
columns, two-level column names, the wrong number of rows, text where numbers are
expected. Messages name the learner's columns and rows, never expected values.
"""

from __future__ import annotations

import difflib
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from crmlab.exercises.compare_values import is_number, values_equal
from crmlab.exercises.comparison import CompareOptions, Report, describe
from crmlab.exercises.safe_text import is_exactly, quote, quote_items

__all__ = ["compare_frame", "compare_series"]

_VALUES = "__values__"  # the column holding a Series' values once turned into a table

_KINDS = {
    "integer": "number", "floating": "number", "mixed-integer-float": "number",
    "decimal": "number", "complex": "number", "integer-na": "number",
    "boolean": "bool", "string": "text", "bytes": "text",
    "datetime64": "datetime", "datetime": "datetime", "date": "datetime",
    "timedelta64": "timedelta", "timedelta": "timedelta", "empty": "empty", "interval": "interval",
}  # fmt: skip
_KIND_WORDS = {
    "number": "numbers", "bool": "True/False values", "text": "text",
    "datetime": "dates", "timedelta": "durations", "mixed": "a mix of types",
    "interval": "bins (pandas Intervals, as `pd.cut` and `pd.qcut` give by default)",
}  # fmt: skip
# Bins cannot be converted by pd.to_numeric: ask the binning function for labels instead.
_FROM_BINS = (" Ask `pd.cut` or `pd.qcut` for labels instead of bins: `labels=False` gives numbers"
              " from 0, `labels=[...]` your own.")
_CONVERT = {
    "number": " Convert it with `pd.to_numeric(...)`.",
    "datetime": " Convert it with `pd.to_datetime(...)`.",
    "text": " Convert it with `.astype(str)`.",
}


def compare_frame(
    actual: Any, expected: pd.DataFrame, options: CompareOptions, report: Report
) -> None:
    """Check that ``actual`` is a DataFrame matching ``expected``."""
    if not report.check(
        "answer is a DataFrame", is_exactly(actual, pd.DataFrame), _not_a_frame(actual, expected)
    ):
        return
    if isinstance(actual.columns, pd.MultiIndex):
        report.check(
            "has one level of column names",
            False,
            "Your table has two-level column names (a MultiIndex), e.g. "
            f"{quote(actual.columns[0])}. Name each result column with named aggregation, "
            "e.g. `.agg(total=('amount', 'sum'))`.",
        )
        return
    if not options.index_as_column and not _check_index(actual, expected, options, report):
        return
    exp, keys = _flatten(expected)
    act, _ = _flatten(actual)
    chosen = _match_columns(act, exp, keys, actual, options, report)
    if chosen is None:
        return
    act = act[chosen].set_axis(list(exp.columns), axis=1)
    _compare_table(act, exp, keys, options, report, noun="table")


def compare_series(
    actual: Any, expected: pd.Series, options: CompareOptions, report: Report
) -> None:
    """Check that ``actual`` is a Series matching ``expected`` (values and index)."""
    if not report.check(
        "answer is a Series", is_exactly(actual, pd.Series), _not_a_series(actual, expected)
    ):
        return
    if _is_default_index(expected.index):
        act = actual.rename(_VALUES).reset_index(drop=True).to_frame()
        exp = expected.rename(_VALUES).reset_index(drop=True).to_frame()
        _compare_table(act, exp, (), options, report, noun="Series")
        return
    if not _check_index(actual, expected, options, report):
        return
    names = [n if n is not None else f"level_{i}" for i, n in enumerate(expected.index.names)]
    act = actual.rename(_VALUES).rename_axis(names).reset_index()
    exp = expected.rename(_VALUES).rename_axis(names).reset_index()
    _compare_table(act, exp, tuple(names), options, report, noun="Series")


def _compare_table(act, exp, keys, options, report, noun) -> None:
    n_act, n_exp = len(act), len(exp)
    if not report.check(
        "has the expected number of rows", n_act == n_exp, _rows_message(n_act, n_exp, keys, noun)
    ):
        return
    if not _check_kinds(act, exp, options, report):
        return
    if keys and exp.duplicated(subset=list(keys)).any():
        keys = ()  # the expected table is not keyed by unique ids: compare rows as they are
    if keys:
        order = _align(act, exp, keys, report)
        if order is None:
            return
        act = act.iloc[order].reset_index(drop=True)
    elif options.ignore_order:
        act, exp = _sorted_rows(act), _sorted_rows(exp)
    _check_values(act, exp.reset_index(drop=True), keys, options, report, noun)


def _flatten(frame: pd.DataFrame) -> tuple[pd.DataFrame, tuple]:
    """Turn named index levels into columns and drop unnamed ones."""
    named = [name for name in frame.index.names if name is not None]
    levels = [name for name in named if name not in frame.columns]
    out = frame.reset_index(level=levels) if levels else frame
    return out.reset_index(drop=True), tuple(named)


def _check_index(actual, expected, options, report) -> bool:
    wanted = [n for n in expected.index.names if n is not None]
    if not wanted:
        return True
    have = list(actual.index.names)
    fold = (lambda n: str(n).casefold()) if options.ignore_column_case else (lambda n: n)
    ok = [fold(n) for n in have] == [fold(n) for n in expected.index.names]
    shown = " and ".join(f"`{n}`" for n in wanted)
    if all(n is None for n in have):
        detail = (
            "its index has no name. If it already holds those values, name it with "
            f"`.rename_axis({wanted[0]!r})`; otherwise group by it or use `.set_index(...)`."
        )
    else:
        detail = f"it is indexed by {' and '.join(f'`{n}`' for n in have)}. Use `.set_index(...)`."
    message = f"The question expects your answer indexed by {shown}, but {detail}"
    return report.check(f"is indexed by {shown}", ok, message)


def _match_columns(act, exp, keys, original, options, report) -> list | None:
    fold = (lambda c: str(c).casefold()) if options.ignore_column_case else (lambda c: c)
    have = list(act.columns)
    duplicated = [c for c, n in Counter(have).items() if n > 1]
    if duplicated:
        message = f"Your table has more than one column named `{duplicated[0]}`: rename or drop one."
        report.check("column names are unique", False, message)
        return None
    lookup = {fold(c): c for c in have}
    missing = [c for c in exp.columns if fold(c) not in lookup]
    if missing:
        report.check("has the expected columns", False, _missing_message(missing[0], have, keys, original))
        return None
    wanted = {fold(c) for c in exp.columns}
    extra = [c for c in have if fold(c) not in wanted]
    if extra and not options.allow_extra_columns:
        listed = ", ".join(f"`{c}`" for c in exp.columns)
        report.check(
            "has the expected columns",
            False,
            f"Your table has extra column(s) {quote_items(extra)}; the question asks for {listed}. "
            f"Select what you need, or drop the rest with `.drop(columns={quote_items(extra)})`.",
        )
        return None
    report.check("has the expected columns", True)
    return [lookup[fold(c)] for c in exp.columns]


def _missing_message(column, have, keys, original) -> str:
    message = f"Expected a column named `{column}`; your table has columns {quote_items(have)}."
    names = [str.__str__(c) for c in have[:1000] if is_exactly(c, str) and str.__len__(c) <= 200]
    close = difflib.get_close_matches(str(column), names, n=1, cutoff=0.6)
    same_case = [c for c in names if c.casefold() == str(column).casefold()]
    if same_case:
        message += f" Column names are case-sensitive: rename `{same_case[0]}`."
    elif close:
        message += f" Did you mean `{close[0]}`? Names must match exactly."
    if column in keys and all(n is None for n in original.index.names):
        message += (
            f" If your index holds the `{column}` values, name it with "
            f"`.rename_axis({column!r})`."
        )
    return message


def _rows_message(n_act: int, n_exp: int, keys: tuple, noun: str) -> str:
    if n_act > n_exp:
        where = f"answer[{keys[0]!r}]" if keys and noun == "table" else "answer"
        if noun == "Series" and keys:
            where = "answer.index"
        return (
            f"Your {noun} has {n_act} rows, more than expected. Look for duplicates with "
            f"`{where}.duplicated().sum()`, or a filter you missed."
        )
    return (
        f"Your {noun} has {n_act} rows, fewer than expected. Did you filter out too much, "
        "or lose rows in an inner join or `dropna()`?"
    )


def _kind(series: pd.Series) -> str:
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(series.cat.categories.dtype)
    return _KINDS.get(infer_dtype(series, skipna=True), "mixed")


def _label(column) -> str:
    return "your values" if column == _VALUES else f"column `{column}`"


def _check_kinds(act, exp, options, report) -> bool:
    for column in exp.columns:
        kind_act, kind_exp = _kind(act[column]), _kind(exp[column])
        if "empty" in (kind_act, kind_exp) or kind_exp == "mixed" or kind_act == kind_exp:
            continue
        subject = "Your values hold" if column == _VALUES else f"Column `{column}` holds"
        message = (
            f"{subject} {_KIND_WORDS[kind_act]}, but the question expects "
            f"{_KIND_WORDS[kind_exp]}. Look at `answer.dtypes` and a few values with "
            f"`.head()`.{_FROM_BINS if kind_act == 'interval' else _CONVERT.get(kind_exp, '')}"
        )
        return report.check("values have the right types", False, message)
    if options.strict_dtype:
        bad = [c for c in exp.columns if act[c].dtype != exp[c].dtype]
        message = (
            f"{_label(bad[0]).capitalize()} has dtype {act[bad[0]].dtype}, which this question "
            "does not accept. Convert it with `.astype(...)`." if bad else ""
        )
        return report.check("values have the right dtypes", not bad, message)
    report.check("values have the right types", True)
    return True


def _align(act, exp, keys, report) -> list | None:
    """Row positions of ``act`` in the order of ``exp``, matched on ``keys``."""
    act_keys = list(zip(*(act[k].tolist() for k in keys), strict=True))
    exp_keys = list(zip(*(exp[k].tolist() for k in keys), strict=True))
    shown = " and ".join(f"`{k}`" for k in keys)
    seen: set = set()
    duplicates = [k for k in act_keys if k in seen or seen.add(k)]
    if duplicates:
        message = (
            f"Some {shown} values appear more than once in your answer, e.g. "
            f"{_key_text(duplicates[:3])}. Group by {shown} so there is one row each."
        )
        report.check(f"each {shown} appears once", False, message)
        return None
    expected_set = set(exp_keys)
    unexpected = [k for k in act_keys if k not in expected_set]
    message = (
        f"Your answer has {len(unexpected)} {shown} value(s) that should not be there, e.g. "
        f"{_key_text(unexpected[:3])}. Check your filter and which table you started from."
    )
    if not report.check(f"has the expected {shown} values", not unexpected, message):
        return None
    position = {key: i for i, key in enumerate(act_keys)}
    return [position[key] for key in exp_keys]


def _key_text(keys: list) -> str:
    return ", ".join(quote(k[0]) if len(k) == 1 else quote(tuple(k)) for k in keys)


def _sorted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    try:
        return frame.sort_values(
            list(frame.columns), kind="mergesort", na_position="last", ignore_index=True
        )
    except TypeError:  # values that cannot be ordered: compare rows as given
        return frame.reset_index(drop=True)


def _column_equal(act: pd.Series, exp: pd.Series, options: CompareOptions) -> np.ndarray:
    if _kind(act) == "number" and _kind(exp) == "number":
        a = pd.to_numeric(act, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        e = pd.to_numeric(exp, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return np.isclose(a, e, rtol=options.rtol, atol=options.atol, equal_nan=True)
    pairs = zip(act.tolist(), exp.tolist(), strict=True)
    return np.array([values_equal(a, e, options) for a, e in pairs], dtype=bool)


def _check_values(act, exp, keys, options, report, noun) -> None:
    columns = [c for c in exp.columns if c not in keys]
    equal = {c: _column_equal(act[c], exp[c], options) for c in columns}
    bad = [c for c in columns if not equal[c].all()]
    message = ""
    if bad:
        differs = np.logical_or.reduce([~equal[c] for c in bad])
        message = _values_message(bad, int(differs.sum()), len(act), keys, noun)
        report.rows = _differing_rows(act, differs, keys, bad, options.max_rows)
    for column in columns:
        name = "values are right" if column == _VALUES else f"values of {_label(column)}"
        report.check(name, column not in bad, message)


def _values_message(bad, n_bad, n_rows, keys, noun) -> str:
    if bad == [_VALUES]:
        what = "Your values differ"
    elif len(bad) == 1:
        what = f"Values in column `{bad[0]}` differ"
    else:
        what = "Values in columns " + ", ".join(f"`{c}`" for c in bad) + " differ"
    matched = " (rows matched by " + ", ".join(f"`{k}`" for k in keys) + ")" if keys else ""
    return (
        f"{what} in {n_bad} of {n_rows} rows{matched}. Look at those rows of your {noun} "
        "(below) and re-check how you computed them."
    )


def _differing_rows(act, differs, keys, bad, max_rows) -> str:
    shown = act.loc[differs, [*keys, *bad] if keys else list(act.columns)]
    shown = shown.rename(columns={_VALUES: "your value"})
    n = len(shown)
    try:
        table = shown.head(max_rows).to_string(index=False, max_colwidth=60)
    except Exception:  # a learner's cell values may not render
        return ""
    body = "\n".join("    " + line for line in table.splitlines())
    return f"Rows of your answer that differ ({min(n, max_rows)} of {n} shown):\n{body}"


def _is_default_index(index: pd.Index) -> bool:
    return (
        isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
        and index.name is None
    )  # fmt: skip


def _not_a_frame(actual: Any, expected: pd.DataFrame) -> str:
    columns = [*(n for n in expected.index.names if n is not None), *expected.columns]
    asked = f"the question asks for a DataFrame (a table with columns {columns!r})"
    if is_exactly(actual, pd.Series):
        return (
            f"You gave a Series (a single column of values), but {asked}. Turn it into a "
            "table with `.reset_index()` or `.to_frame()`, or select several columns with "
            "double brackets, e.g. `df[['a', 'b']]`."
        )
    if actual is None:
        return (
            f"Your answer is None, but {asked}. A method with `inplace=True` returns None: "
            "assign the result instead."
        )
    return f"You gave {describe(actual)}, but {asked}."


def _not_a_series(actual: Any, expected: pd.Series) -> str:
    keys = [n for n in expected.index.names if n is not None]
    per = f" indexed by `{keys[0]}`" if keys else ""
    asked = f"the question asks for a Series (one column of values{per})"
    if is_exactly(actual, pd.DataFrame):
        if actual.shape[1] == 1:
            return (
                f"You gave a DataFrame with one column, but {asked}. Select the column "
                "with `answer[name]`, or use `.squeeze()`."
            )
        tip = f"`.set_index({keys[0]!r})[name]`" if keys else "`answer[name]`"
        return f"You gave {describe(actual)}, but {asked}. Select one column, e.g. {tip}."
    if is_number(actual):
        return (
            f"You gave a single number, but {asked}. Did you aggregate the whole table "
            "instead of grouping with `.groupby(...)`?"
        )
    if actual is None:
        return f"Your answer is None, but {asked}. Assign the result instead of `inplace=True`."
    return f"You gave {describe(actual)}, but {asked}."
