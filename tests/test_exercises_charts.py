"""chart_data(): a chart question compares the data drawn, not the picture."""

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from crmlab.exercises import Question, Status, chart_data

MONTHLY = pd.Series([120.0, 80.5, 99.0], index=["Jan", "Feb", "Mar"])
QUESTION = Question("q3", "Plot monthly revenue as bars.", expected=lambda: MONTHLY,
                    prepare=chart_data)  # fmt: skip


def test_bar_charts_vertical_and_horizontal():
    assert chart_data(MONTHLY.plot.bar()).to_dict() == MONTHLY.to_dict()
    _, ax = plt.subplots()
    assert chart_data(MONTHLY.plot.barh(ax=ax)).to_dict() == MONTHLY.to_dict()
    _, ax = plt.subplots()
    ax.bar(["Jan", "Feb", "Mar"], [120.0, 80.5, 99.0])
    assert chart_data(ax.figure).to_dict() == MONTHLY.to_dict()


def test_line_chart_gives_its_values_in_order():
    _, ax = plt.subplots()
    ax.plot([1, 2, 3], [5, 6, 4])
    assert chart_data(ax).tolist() == [5.0, 6.0, 4.0]


def test_a_chart_question():
    assert QUESTION.evaluate(MONTHLY.plot.bar()).passed
    _, ax = plt.subplots()
    wrong = QUESTION.evaluate((MONTHLY * 2).plot.bar(ax=ax))
    assert wrong.message.startswith("Your values differ in 3 of 3 rows")


@pytest.mark.parametrize(("junk", "start"), [
    (None, "The question asks for a chart (the Axes a plotting call returns); you gave None."),
    ("bars", "The question asks for a chart"),
    (MONTHLY, "The question asks for a chart"),
])  # fmt: skip
def test_non_charts_are_explained(junk, start):
    feedback = QUESTION.evaluate(junk)
    assert feedback.status is Status.INCORRECT
    assert feedback.message.startswith(start)
    assert feedback.summary() == "0 of 1 checks passed"


def test_empty_chart():
    _, ax = plt.subplots()
    assert QUESTION.evaluate(ax).message.startswith("Your chart has no bars or lines")
