"""compare(): pandas-aware checks whose messages never reveal expected values."""

import numpy as np
import pandas as pd
import pytest

from crmlab.exercises import CompareOptions, compare


@pytest.fixture
def want():
    return pd.DataFrame(
        {"customer_id": [1, 2, 3], "frequency": [3, 1, 0], "total": [10.5, 3.0, 1.25]}
    ).set_index("customer_id")


def _labels(result):
    return [(c.label, c.passed) for c in result.checks]


def test_index_or_column_row_order_and_dtypes_are_lenient(want):
    as_column = want.reset_index().iloc[[2, 0, 1]]
    assert compare(as_column, want).ok
    assert compare(want.astype({"frequency": "Int64"}), want).ok
    assert compare(want.astype({"frequency": float}), want).ok
    assert compare(want.assign(total=want["total"] + 1e-12), want).ok


def test_row_order_matters_when_asked(want):
    shuffled = want.reset_index().iloc[[2, 0, 1]].reset_index(drop=True)
    unkeyed = want.reset_index(drop=True)
    strict = CompareOptions(ignore_order=False)
    assert compare(unkeyed, unkeyed, strict).ok
    assert not compare(shuffled.drop(columns="customer_id"), unkeyed, strict).ok
    assert compare(shuffled.drop(columns="customer_id"), unkeyed).ok


def test_wrong_values_name_the_column_and_show_only_learner_rows(want):
    got = want.assign(frequency=[4, 2, 0])
    result = compare(got, want)
    assert not result.ok
    assert result.message.startswith("Values in column `frequency` differ in 2 of 3 rows")
    assert ("values of column `frequency`", False) in _labels(result)
    assert ("values of column `total`", True) in _labels(result)
    assert result.rows.splitlines()[0] == "Rows of your answer that differ (2 of 2 shown):"
    assert "4" in result.rows and "3" not in result.rows.split("\n", 1)[1].replace("customer_id", "")


def test_missing_column_lists_learner_columns_and_closest(want):
    got = want.rename(columns={"frequency": "freq"})
    result = compare(got, want)
    assert result.message.startswith(
        "Expected a column named `frequency`; your table has columns "
        "['customer_id', 'freq', 'total']."
    )
    assert "Did you mean `freq`?" in result.message


def test_column_case_only_when_allowed(want):
    got = want.rename(columns={"total": "Total"})
    assert "case-sensitive" in compare(got, want).message
    assert compare(got, want, CompareOptions(ignore_column_case=True)).ok


def test_extra_columns(want):
    got = want.assign(note="x")
    assert "extra column(s) ['note']" in compare(got, want).message
    assert compare(got, want, CompareOptions(allow_extra_columns=True)).ok


def test_series_where_table_was_asked_is_explained(want):
    result = compare(want["frequency"], want)
    assert _labels(result) == [("answer is a DataFrame", False)]
    assert "You gave a Series" in result.message and ".reset_index()" in result.message


def test_table_shape_problems(want):
    assert "fewer than expected" in compare(want.iloc[:2], want).message
    dup = pd.concat([want.iloc[:2], want.iloc[:1]])
    assert "appear more than once" in compare(dup, want).message
    assert "should not be there, e.g. 9" in compare(want.rename(index={3: 9}), want).message
    texty = want.assign(frequency=want["frequency"].astype(str))
    message = compare(texty, want).message
    assert "holds text, but the question expects numbers" in message
    assert "pd.to_numeric" in message
    multi = pd.DataFrame({"customer_id": [1], "amount": [2]}).groupby("customer_id").agg(
        ["sum", "count"]
    )
    assert "two-level column names" in compare(multi, want).message


def test_unnamed_index_gets_a_rename_axis_tip(want):
    message = compare(want.rename_axis(None), want).message
    assert ".rename_axis('customer_id')" in message


def test_strict_dtype(want):
    opts = CompareOptions(strict_dtype=True)
    assert compare(want, want, opts).ok
    assert "dtype float64" in compare(want.astype({"frequency": float}), want, opts).message


def test_series_checks():
    want = pd.Series([5.0, 7.5], index=pd.Index([10, 20], name="customer_id"), name="revenue")
    assert compare(want.rename("anything").iloc[::-1], want).ok
    assert "indexed by `customer_id`" in compare(want.reset_index(drop=True), want).message
    assert ".squeeze()" in compare(want.to_frame(), want).message
    assert "single number" in compare(12.5, want).message
    wrong = compare(want * 2, want)
    assert wrong.message.startswith("Your values differ in 2 of 2 rows")
    assert "your value" in wrong.rows


@pytest.mark.parametrize(
    ("actual", "expected", "ok"),
    [(3, 3, True), (np.int64(3), 3, True), (3.0, 3, True), (0.1 + 0.2, 0.3, True),
     (4, 3, False), (True, 1, False), ("3", 3, False), (float("nan"), 2.0, False),
     ([3, 1, 2], [1, 2, 3], True), ({2, 1}, [1, 2], True), ([1, 2, 2], [1, 2, 3], False),
     ("abc", "abc", True), ("Abc", "abc", False), (True, True, True), (1, True, False),
     ({"a": 1}, {"a": 1.0}, True), ({"a": 2}, {"a": 1}, False), ({"b": 1}, {"a": 1}, False),
     (np.ones((2, 2)), np.ones((2, 2)), True), (np.ones((2, 3)), np.ones((2, 2)), False)],
)  # fmt: skip
def test_plain_values(actual, expected, ok):
    assert compare(actual, expected).ok is ok


def test_scalar_messages_guide_without_revealing():
    assert "`.item()`" in compare(pd.Series([42]), 42).message
    assert "forget to aggregate" in compare(pd.Series([1, 2]), 42).message
    assert "without quotes" in compare("42", 42).message
    assert "NaN" in compare(float("nan"), 42.0).message
    message = compare(41, 42).message
    assert "41" in message and "42" not in message
    assert "only in upper/lower case" in compare("Orders ", "orders").message
    assert "Write `True` or `False`" in compare(1, True).message


def test_lists():
    strict = CompareOptions(ignore_order=False)
    assert compare([1, 2, 3], [1, 2, 3], strict).ok
    assert "position 0" in compare([3, 2, 1], [1, 2, 3], strict).message
    assert "a set, which has no order" in compare({1, 2, 3}, [1, 2, 3], strict).message
    assert "more than expected" in compare([1, 2, 3, 4], [1, 2, 3]).message
    assert "not in quotes" in compare("1, 2", [1, 2]).message
    big = list(range(800))
    assert compare(big[::-1], big).ok


def test_bins_get_advice_that_works():
    """pd.to_numeric cannot turn Intervals into numbers; the advice names what does, and it works."""
    values = pd.Series([5.0, 1.0, 3.0, 2.0, 4.0])
    expected = pd.DataFrame({"score": pd.qcut(values, 5, labels=False) + 1})
    binned = pd.DataFrame({"score": pd.qcut(values, 5)})
    result = compare(binned, expected, CompareOptions())
    assert not result.ok
    assert "labels=False" in result.message and "to_numeric" not in result.message
    with pytest.raises((TypeError, ValueError)):
        pd.to_numeric(binned["score"])
    assert compare(pd.DataFrame({"score": pd.qcut(values, 5, labels=False) + 1}), expected, CompareOptions()).ok
