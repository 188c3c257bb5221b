"""explain_exception(): a learner's error in plain language."""

import pandas as pd
import pytest

from crmlab.exercises import explain_error, explain_exception
from crmlab.exercises.explain import learner_line, raised_in

orders = pd.DataFrame({"customer_id": [1, 2], "amount": [9.5, 3.0]})


def _raise(code):
    with pytest.raises(Exception) as info:
        code()
    return info.value


def test_misspelled_column_lists_columns_and_closest_match():
    text = explain_exception(_raise(lambda: orders["amout"]))
    first = text.splitlines()[0]
    assert first.startswith("There is no column `amout`: a column name is misspelled.")
    assert "['customer_id', 'amount']" in first and "Did you mean `amount`?" in first
    assert text.splitlines()[-1] == "Python said: KeyError: 'amout'"


def test_column_errors_from_lists_and_groupby():
    text = explain_exception(_raise(lambda: orders[["amount", "Customer_id"]]))
    assert "no column `Customer_id`" in text and "Did you mean `customer_id`?" in text
    text = explain_exception(_raise(lambda: orders.groupby("customerid")["amount"].sum()))
    assert "no column `customerid`" in text


def test_row_label_is_not_called_a_column():
    text = explain_exception(_raise(lambda: orders.loc[7]))
    assert text.startswith("There is no row labelled `7` in the index.")
    assert "`.iloc[...]`" in text


def test_plain_dict_key():
    text = explain_exception(_raise(lambda: {"a": 1}["b"]))
    assert text.startswith("The key `b` was not found.")


def test_name_error_suggests_a_defined_name():
    text = explain_exception(_raise(lambda: ordrs))  # noqa: F821
    assert text.startswith("Python does not know the name `ordrs`.")
    assert "Did you mean `orders`?" in text
    assert "Run All Above" in text


def test_attribute_errors():
    text = explain_exception(_raise(lambda: orders.amout))
    assert "select it with `df['amount']`" in text
    text = explain_exception(_raise(lambda: orders.nuniq()))
    assert "Did you mean `.nunique`?" in text
    text = explain_exception(_raise(lambda: [].append(1).append(2)))
    assert text.startswith("A value is None")


@pytest.mark.parametrize(
    ("code", "start"),
    [(lambda: "a" + 1, "You combined text and numbers"),
     (lambda: orders.shape(), "You used parentheses after something that is not a function"),
     (lambda: orders.head[3], "You used square brackets"),
     (lambda: orders[(orders.amount > 1) and (orders.amount < 5)], "`and`, `or`, `not`"),
     (lambda: float("abc"), "Some text could not be read as a number"),
     (lambda: 1 / 0, "You divided by zero"),
     (lambda: [1][3], "You asked for a position that does not exist"),
     (lambda: {}.fromkeys(1), "A value has the wrong type"),
     (lambda: exec("raise RuntimeError('x')"), "Your code raised RuntimeError.")],
)  # fmt: skip
def test_common_errors(code, start):
    assert explain_exception(_raise(code)).startswith(start)


def test_failing_line_is_the_learners_and_stable():
    exc = _raise(lambda: orders["amout"])
    assert learner_line(exc) == 'exc = _raise(lambda: orders["amout"])'
    assert "The line that failed: `exc = _raise" in explain_exception(exc)
    assert "0x" not in explain_exception(exc) and "/" not in learner_line(exc)


def test_raised_in_names_the_function():
    class Weird:
        def __len__(self):
            raise RuntimeError("no length")

    assert raised_in(_raise(lambda: len(Weird()))).endswith("Weird.__len__")


def test_explain_error_returns_a_message():
    assert explain_error(ZeroDivisionError()).title == "What went wrong"
