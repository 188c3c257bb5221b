"""The training-plan calculator shows the model's numbers, follows its inputs, and never raises."""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd
import pytest

from crmlab.analysis.training import TrainingPlan, cost_by_method
from crmlab.widgets import training as view
from crmlab.widgets.training import training_calculator


@pytest.fixture
def calc():
    return training_calculator(chart=False)


def test_it_is_a_widget_with_one_input_per_plan_field(calc):
    assert isinstance(calc, widgets.VBox)
    assert set(calc.controls) == set(TrainingPlan.__dataclass_fields__) - {"currency"}  # a number input each
    assert calc.currency == "USD"
    assert isinstance(calc.controls["n_users"], widgets.IntText)
    assert isinstance(calc.controls["trainer_day_rate"], widgets.FloatText)


def test_it_starts_with_the_models_numbers(calc):
    pd.testing.assert_frame_equal(calc.table, cost_by_method(TrainingPlan()))
    assert "USD 27,900" in calc.table_view.value and "USD 697.50" in calc.table_view.value
    assert "Cheapest per trained user: <b>e-learning</b> (USD 390)" in calc.message.value


def test_it_starts_from_a_given_plan():
    plan = TrainingPlan(n_users=200, n_sites=9, trainer_day_rate=1200)
    calc = training_calculator(plan, chart=False)
    assert calc.controls["n_sites"].value == 9
    pd.testing.assert_frame_equal(calc.table, cost_by_method(plan))


@pytest.mark.parametrize(
    ("name", "value"),
    [("n_users", 100), ("n_sites", 6), ("travel_per_site", 2000.0), ("licence_per_user", 90.0),
     ("users_per_superuser", 4), ("hourly_cost", 55.5), ("classroom_hours", 7.0)],
)
def test_changing_an_input_shows_the_new_numbers(calc, name, value):
    before = calc.table
    calc.controls[name].value = value
    expected = cost_by_method(TrainingPlan(**{name: value}))
    pd.testing.assert_frame_equal(calc.table, expected)
    assert not calc.table.equals(before)
    assert f"USD {expected['total'].iloc[0]:,.0f}" in calc.table_view.value


def test_face_to_face_by_hand_after_changes(calc):
    calc.controls["n_users"].value = 30
    calc.controls["n_sites"].value = 2
    calc.controls["class_size"].value = 10
    calc.controls["trainer_day_rate"].value = 1000.0
    calc.controls["travel_per_site"].value = 800.0
    calc.controls["hourly_cost"].value = 25.0
    # 3 classes x 2 days x 1,000 + 2 x 800 + 30 x 16 h x 25 = 19,600, i.e. 653.33 per user
    assert calc.table.loc["face_to_face", "total"] == 19600
    assert "USD 653.33" in calc.table_view.value


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [("n_users", 0, "`n_users` must be a whole number of at least 1"),
     ("n_sites", 99, "`n_sites` (99) cannot be more than `n_users` (40)"),
     ("classroom_hours", -2.0, "`classroom_hours` must be more than 0 hours"),
     ("trainer_day_rate", -1.0, "`trainer_day_rate` must be 0 or more")],
)
def test_invalid_input_gives_a_plain_message(calc, name, value, words):
    calc.controls[name].value = value  # must not raise
    assert calc.table is None and calc.table_view.value == ""
    assert calc.message.value.startswith('<span style="color:#b00020">Check the inputs:')
    assert words in calc.message.value.replace("&#x27;", "'")
    assert "Traceback" not in calc.message.value


def test_fixing_the_input_brings_the_numbers_back(calc):
    calc.controls["n_sites"].value = 0
    assert calc.table is None
    calc.controls["n_sites"].value = 4
    pd.testing.assert_frame_equal(calc.table, cost_by_method(TrainingPlan(n_sites=4)))
    assert "color:#b00020" not in calc.message.value


def test_an_unexpected_error_is_caught_and_told(calc, monkeypatch):
    def broken(plan):
        raise RuntimeError("the model broke")

    monkeypatch.setattr(view, "cost_by_method", broken)
    calc.controls["n_users"].value = 41  # must not raise
    assert calc.table is None
    assert "could not price this plan (RuntimeError: the model broke)" in calc.message.value


def test_the_message_is_escaped(calc, monkeypatch):
    def broken(plan):
        raise RuntimeError("<b>bold</b>")

    monkeypatch.setattr(view, "cost_by_method", broken)
    calc.refresh()
    assert "&lt;b&gt;bold&lt;/b&gt;" in calc.message.value and "<b>" not in calc.message.value


def test_the_chart_follows_the_inputs():
    calc = training_calculator()
    first = calc.chart.value
    assert first[:8] == b"\x89PNG\r\n\x1a\n"
    calc.controls["n_users"].value = 400
    assert calc.chart.value != first and calc.chart.layout.display is None
    calc.controls["n_users"].value = 0
    assert calc.chart.layout.display == "none"


def test_draw_costs_draws_stacked_components():
    ax = view.draw_costs(cost_by_method())
    widths = {}
    for bar in ax.patches:
        y = round(bar.get_y() + bar.get_height() / 2)
        widths[y] = widths.get(y, 0) + bar.get_width()
    # bottom to top: in-house, e-learning, face-to-face; totals in thousand US$
    assert [round(widths[y], 2) for y in sorted(widths)] == [20.64, 15.6, 27.9]
    labels = [t.get_text() for t in ax.texts]
    assert "  USD 516 per user" in labels and "  USD 698 per user" in labels
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "trainer", "travel", "licences", "superusers' time", "trainees' time away"
    ]


def test_a_plan_in_rials_is_shown_in_rials():
    calc = training_calculator(TrainingPlan(currency="IRR"), chart=False)
    assert "IRR 27,900" in calc.table_view.value and "USD" not in calc.table_view.value
    assert "(IRR 390)" in calc.message.value
    calc.controls["n_users"].value = 41
    assert calc.plan().currency == "IRR"


def test_a_plan_at_rial_prices_keeps_whole_rials_and_a_readable_axis():
    # the lesson's prices: the dollar ones at 300,000 rials a dollar
    plan = TrainingPlan(hourly_cost=9_000_000, trainer_day_rate=270_000_000, travel_per_site=150_000_000,
                        licence_per_user=45_000_000, currency="IRR")  # fmt: skip
    costs = cost_by_method(plan)
    # by hand: the per-user costs are the dollar plan's (698 face-to-face) times 300,000, in whole rials
    assert costs.loc["face_to_face", "per_user"] == pytest.approx(697.5 * 300_000)
    page = training_calculator(plan, chart=False).table_view.value
    assert "IRR 209,250,000<" in page and "209,250,000.00" not in page  # rials have no minor unit
    ax = view.draw_costs(costs, currency="IRR")
    assert ax.get_xlabel() == "cost (billion IRR)"
    widths = {}
    for bar in ax.patches:
        y = round(bar.get_y() + bar.get_height() / 2)
        widths[y] = widths.get(y, 0) + bar.get_width()
    # the dollar chart's thousands (20.64, 15.6, 27.9) times 300,000 rials, in billions
    assert [round(widths[y], 3) for y in sorted(widths)] == [6.192, 4.68, 8.37]
