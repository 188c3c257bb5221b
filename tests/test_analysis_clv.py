"""BG/NBD and Gamma-Gamma: the published CDNOW parameters, the holdout test, and the CLV ranking."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from crmlab.analysis.clv import (
    BetaGeoModel,
    GammaGammaModel,
    calibration_holdout,
    clv_ranking,
    holdout_by_frequency,
    holdout_predictions,
    lifetime_value,
    order_transactions,
    retention_budget,
)
from crmlab.analysis.rfm import rfm_summary
from crmlab.datasets import load_cdnow
from crmlab.errors import SchemaError

PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # Fader, Hardie & Lee (2005)
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "v": 15.44}  # Fader, Hardie & Lee (2005), JMR


@pytest.fixture(scope="module")
def calibration():
    """The 2,357-customer CDNOW sample, first 39 weeks (to 1997-09-30), in weeks."""
    days = rfm_summary(load_cdnow("sample"), monetary_value_col="amount", observation_period_end="1997-09-30")
    return days.assign(recency=days["recency"] / 7, T=days["T"] / 7)


@pytest.fixture(scope="module")
def bgnbd(calibration):
    return BetaGeoModel().fit(calibration["frequency"], calibration["recency"], calibration["T"])


def test_calibration_data_is_fader_hardies(calibration):
    """The same summary as the one Fader & Hardie published (shipped in lifetimes, rounded to 0.01 week)."""
    import importlib.util
    from pathlib import Path

    import pandas as pd

    folder = Path(importlib.util.find_spec("lifetimes").submodule_search_locations[0])
    published = pd.read_csv(folder / "datasets" / "cdnow_customers_summary.csv", index_col="ID")
    assert len(calibration) == len(published) == 2357
    assert calibration["frequency"].sum() == published["frequency"].sum() == 2457
    ours = calibration.sort_values(["frequency", "recency", "T"])[["frequency", "recency", "T"]].round(2)
    theirs = published.sort_values(["frequency", "recency", "T"])
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), atol=0.006)


@pytest.mark.parametrize("name", list(PUBLISHED_BGNBD))
def test_bgnbd_reproduces_the_published_parameters(bgnbd, name):
    assert bgnbd.params_[name] == pytest.approx(PUBLISHED_BGNBD[name], rel=0.01)


def test_bgnbd_log_likelihood_is_published_value(bgnbd):
    assert bgnbd.log_likelihood_ == pytest.approx(-9582.4, abs=0.1)


def test_bgnbd_predicts_the_holdout_period(bgnbd, calibration):
    sample = load_cdnow("sample")
    holdout = sample[(sample["date"] > "1997-09-30") & (sample["date"] <= "1998-06-30")]
    actual = holdout.groupby("customer_id")["date"].nunique().reindex(calibration.index, fill_value=0)
    predicted = bgnbd.expected_purchases(39, calibration["frequency"], calibration["recency"], calibration["T"])
    assert actual.sum() == 1882
    assert predicted.sum() == pytest.approx(actual.sum(), rel=0.15)  # 1,653 predicted: BG/NBD is conservative
    group = calibration["frequency"].clip(upper=7).to_numpy()
    by_x = actual.groupby(group).mean()
    pred_x = np.array([predicted[group == k].mean() for k in by_x.index])
    assert np.corrcoef(by_x.to_numpy(), pred_x)[0, 1] > 0.95


def test_probability_alive_by_hand(bgnbd):
    assert bgnbd.probability_alive([0], [0], [38])[0] == 1.0  # no repeat purchase: never seen to drop out
    recent, stale = bgnbd.probability_alive([5, 5], [37, 5], [38, 38])
    assert recent == pytest.approx(0.877, abs=0.001) and stale == pytest.approx(0.003, abs=0.001)


def test_new_customer_expectation_grows_with_horizon(bgnbd):
    one, two = bgnbd.expected_purchases_new_customer(52), bgnbd.expected_purchases_new_customer(104)
    assert 0 < one < two < 2 * one


def test_gamma_gamma_reproduces_the_published_parameters(calibration):
    repeat = calibration[calibration["frequency"] > 0]
    assert len(repeat) == 946
    model = GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    for name, value in PUBLISHED_GG.items():
        assert getattr(model, f"{name}_") == pytest.approx(value, rel=0.01)
    expected = model.expected_average_value(repeat["frequency"], repeat["monetary_value"])
    assert expected.mean() == pytest.approx(repeat["monetary_value"].mean(), rel=0.05)


def test_lifetime_value_is_positive_and_ordered(bgnbd, calibration):
    repeat = calibration[calibration["frequency"] > 0]
    gg = GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    clv = lifetime_value(bgnbd, gg, calibration, months=12, periods_per_month=4.348)
    assert (clv >= 0).all() and clv.index.equals(calibration.index)
    best = calibration.loc[clv.idxmax()]
    assert best["frequency"] >= 5


@pytest.mark.parametrize(("args", "match"), [
    (([1, 2], [5, 1], [4, 3]), "`recency` cannot exceed `T`"),
    (([1, -1], [1, 1], [4, 3]), "non-negative"),
    (([1], [1, 2], [4, 3]), "must have the same length"),
])
def test_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        BetaGeoModel().fit(*args)


def test_not_fitted():
    with pytest.raises(RuntimeError, match="not fitted yet"):
        BetaGeoModel().probability_alive([1], [1], [2])
    with pytest.raises(ValueError, match="frequency > 0"):
        GammaGammaModel().fit([0, 1], [10.0, 12.0])


# ---------------------------------------------------------------- the calibration / holdout split


@pytest.fixture(scope="module")
def tiny_log():
    """Three customers; customer 1 buys twice on 15 January (one purchase day), customer 3 only in the holdout."""
    import pandas as pd

    return pd.DataFrame({
        "customer_id": [1, 1, 1, 1, 2, 3, 2],
        "date": pd.to_datetime(["2024-01-01", "2024-01-15", "2024-01-15", "2024-02-05", "2024-01-08",
                                "2024-02-01", "2024-02-20"]),
        "amount": [10.0, 20.0, 5.0, 40.0, 8.0, 99.0, 12.0],
    })


def test_calibration_holdout_by_hand(tiny_log):
    cal, hold = calibration_holdout(tiny_log, "2024-01-28", "2024-02-25", monetary_value_col="amount", period_days=7)
    assert list(cal.index) == [1, 2]  # customer 3 first bought in the holdout: not in the calibration
    assert cal.loc[1].tolist() == pytest.approx([1.0, 2.0, 27 / 7, 25.0])  # 15 Jan: 20 + 5 on one day
    assert cal.loc[2].tolist() == pytest.approx([0.0, 0.0, 20 / 7, 0.0])
    assert hold["frequency_holdout"].tolist() == [1, 1]
    assert hold["monetary_value_holdout"].tolist() == [40.0, 12.0]
    assert hold["duration_holdout"].tolist() == pytest.approx([4.0, 4.0])


def test_calibration_holdout_counts_days_not_lines(tiny_log):
    doubled = pd.concat([tiny_log, tiny_log.assign(amount=1.0)], ignore_index=True)
    _, hold = calibration_holdout(doubled, "2024-01-28", "2024-02-25", monetary_value_col="amount")
    assert hold["frequency_holdout"].tolist() == [1, 1]
    assert hold["monetary_value_holdout"].tolist() == [41.0, 13.0]
    assert hold["duration_holdout"].iloc[0] == 28.0  # in days by default


def test_calibration_holdout_is_lifetimes_data_on_cdnow(calibration):
    cal, hold = calibration_holdout(load_cdnow("sample"), "1997-09-30", "1998-06-30", monetary_value_col="amount",
                                    period_days=7)
    pd.testing.assert_frame_equal(cal, calibration)
    assert hold["frequency_holdout"].sum() == 1882 and hold.index.equals(cal.index)
    assert hold["duration_holdout"].iloc[0] == 39.0


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"calibration_end": "2024-02-25", "holdout_end": "2024-01-28"}, ValueError, "must come after"),
    ({"calibration_end": "someday", "holdout_end": "2024-01-28"}, ValueError, "`calibration_end` must be a date"),
    ({"calibration_end": "2024-01-28", "holdout_end": "2024-02-25", "period_days": 0}, ValueError, "`period_days`"),
    ({"calibration_end": "2024-01-28", "holdout_end": "2024-02-25", "datetime_col": "when"}, KeyError, "`when`"),
])
def test_calibration_holdout_bad_input(tiny_log, kwargs, error, match):
    with pytest.raises(error, match=match):
        calibration_holdout(tiny_log, **kwargs)


def test_order_transactions_uses_the_local_day_and_completed_orders():
    orders = pd.DataFrame({
        "customer_id": [1, 1, 2],
        "status": ["completed", "returned", "completed"],
        "ordered_at": pd.to_datetime(["2025-03-20 21:10", "2025-03-21 09:00", "2025-03-22 10:00"], utc=True),
        "total_cents": [129900, 5000, 2500],
    })
    tx = order_transactions(orders)
    assert tx["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-03-21", "2025-03-22"]  # 21:10 UTC is 00:40 in Tehran
    assert tx["amount"].tolist() == [129900.0, 2500.0]  # the course's currency, whole rials: nothing divided
    assert len(order_transactions(orders, statuses=("completed", "returned"))) == 3
    with pytest.raises(SchemaError, match=r"`orders` has no column\(s\) \['total_cents'\]"):
        order_transactions(orders.drop(columns="total_cents"))


@pytest.mark.parametrize(("minor_unit", "expected"), [
    (2, [1234.57, 0.05]),      # pence (or cents) to pounds: 123,457 / 100
    (0, [123457.0, 5.0]),      # rials have no minor unit: never divided by 100
    (3, [123.457, 0.005]),     # fils to dinars: 123,457 / 1,000
])  # fmt: skip
def test_order_transactions_amounts_in_the_major_unit_by_hand(minor_unit, expected):
    orders = pd.DataFrame({"customer_id": [1, 2], "ordered_at": pd.to_datetime(["2025-03-01", "2025-03-02"], utc=True),
                           "total_cents": [123_457, 5]})  # fmt: skip
    assert order_transactions(orders, None, "Europe/London", minor_unit)["amount"].tolist() == expected
    with pytest.raises(ValueError, match=r"`minor_unit` must be the digits after the decimal point, 0 to 4 .* but 2.0"):
        order_transactions(orders, None, "Europe/London", 2.0)


# ---------------------------------------------------------------- predictions against the holdout


PUBLISHED = BetaGeoModel.from_params(**PUBLISHED_BGNBD)


def test_holdout_predictions_by_hand():
    cal = pd.DataFrame({"frequency": [0.0, 2.0], "recency": [0.0, 30.43], "T": [38.86, 38.86]}, index=[7, 9])
    hold = pd.DataFrame({"frequency_holdout": [0, 3], "duration_holdout": [39.0, 39.0]}, index=[7, 9])
    pred = holdout_predictions(PUBLISHED, cal, hold)
    r, alpha, a, b = PUBLISHED_BGNBD.values()
    by_hand = 1 / (1 + a / (b + 1) * ((alpha + 38.86) / (alpha + 30.43)) ** (r + 2))
    assert pred.loc[9, "p_alive"] == pytest.approx(by_hand) and by_hand == pytest.approx(0.7265, abs=1e-4)
    assert pred.loc[7, "p_alive"] == 1.0
    assert pred["actual"].tolist() == [0, 3] and list(pred.index) == [7, 9]
    assert pred.loc[9, "predicted"] == pytest.approx(1.23, abs=0.005)
    with pytest.raises(ValueError, match="same customers"):
        holdout_predictions(PUBLISHED, cal, hold.iloc[::-1])


def test_holdout_by_frequency_by_hand():
    pred = pd.DataFrame({"frequency": [0, 0, 1, 3, 9], "predicted": [0.2, 0.4, 0.9, 2.0, 4.0],
                         "actual": [0, 1, 1, 2, 6]})
    table = holdout_by_frequency(pred, max_frequency=2)
    assert list(table.index) == ["0", "1", "2+"]
    assert table["customers"].tolist() == [2, 1, 2]
    assert table["actual"].tolist() == [0.5, 1.0, 4.0] and table["predicted"].tolist() == pytest.approx([0.3, 0.9, 3.0])
    with pytest.raises(ValueError, match="max_frequency"):
        holdout_by_frequency(pred, max_frequency=0)


def test_cdnow_conditional_expectations_follow_the_actuals(bgnbd, calibration):
    """Fader, Hardie & Lee's figure: mean holdout purchases by calibration purchases, 0 to 7+."""
    _, hold = calibration_holdout(load_cdnow("sample"), "1997-09-30", "1998-06-30", period_days=7)
    table = holdout_by_frequency(holdout_predictions(bgnbd, calibration, hold))
    assert table["customers"].tolist() == [1411, 439, 214, 100, 62, 38, 29, 64]
    assert table["actual"].iloc[0] == pytest.approx(0.24, abs=0.01) and table["actual"].iloc[-1] > 6
    assert table["predicted"].is_monotonic_increasing
    assert np.abs(table["predicted"] / table["actual"] - 1).max() < 0.3  # each group within 30%


def test_fit_does_not_depend_on_the_time_unit(calibration):
    weeks = BetaGeoModel().fit(calibration["frequency"], calibration["recency"], calibration["T"])
    days = BetaGeoModel().fit(calibration["frequency"], calibration["recency"] * 7, calibration["T"] * 7)
    assert days.alpha_ == pytest.approx(7 * weeks.alpha_, rel=1e-4) and days.r_ == pytest.approx(weeks.r_, rel=1e-4)
    np.testing.assert_allclose(
        days.probability_alive(calibration["frequency"], calibration["recency"] * 7, calibration["T"] * 7),
        weeks.probability_alive(calibration["frequency"], calibration["recency"], calibration["T"]), atol=1e-4)


def test_from_params():
    assert PUBLISHED.params_ == PUBLISHED_BGNBD
    with pytest.raises(ValueError, match="`alpha` must be a positive number"):
        BetaGeoModel.from_params(r=0.2, alpha=-1, a=0.8, b=2.4)


def test_gamma_gamma_expectation_by_hand():
    model = GammaGammaModel()
    model.p_, model.q_, model.v_ = 6.25, 3.74, 15.44
    x, m = np.array([0.0, 1.0, 10.0]), np.array([0.0, 100.0, 100.0])
    by_hand = 6.25 * (15.44 + x * m) / (6.25 * x + 3.74 - 1)
    np.testing.assert_allclose(model.expected_average_value(x, m), by_hand)
    assert by_hand[0] == pytest.approx(35.22, abs=0.01)  # no repeat purchase: the population mean p v / (q - 1)


# ---------------------------------------------------------------- lifetime value and the ranking


def test_one_month_lifetime_value_by_hand():
    gg = GammaGammaModel()
    gg.p_, gg.q_, gg.v_ = 6.25, 3.74, 15.44
    summary = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86], "monetary_value": [40.0]})
    purchases = PUBLISHED.expected_purchases(4.348, [2.0], [30.43], [38.86])[0]
    value = gg.expected_average_value([2.0], [40.0])[0]
    clv = lifetime_value(PUBLISHED, gg, summary, months=1, periods_per_month=4.348, monthly_discount=0.01, margin=0.3)
    assert clv.iloc[0] == pytest.approx(purchases * value * 0.3 / 1.01)


def test_clv_ranking_is_sorted_and_consistent(bgnbd, calibration):
    repeat = calibration[calibration["frequency"] > 0]
    gg = GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    ranking = clv_ranking(bgnbd, gg, calibration, months=12, periods_per_month=4.348)
    assert ranking["rank"].tolist() == list(range(1, len(calibration) + 1))
    assert ranking["clv"].is_monotonic_decreasing
    value = lifetime_value(bgnbd, gg, calibration, months=12, periods_per_month=4.348)
    pd.testing.assert_series_equal(ranking["clv"], value.loc[ranking.index])
    assert ranking["p_alive"].between(0, 1).all()
    assert ranking["expected_purchases"].iloc[0] > 5 * ranking["expected_purchases"].median()
    with pytest.raises(KeyError, match="monetary_value"):
        clv_ranking(bgnbd, gg, calibration.drop(columns="monetary_value"))


def test_bgnbd_on_the_course_crm_ranks_customers(crm):
    """The synthetic CRM (the course's Iranian retailer): fitted on 2022-2024, tested on 2025, in weeks."""
    cal, hold = calibration_holdout(order_transactions(crm.orders), "2024-12-31", "2025-12-31", period_days=7)
    model = BetaGeoModel().fit(cal["frequency"], cal["recency"], cal["T"])
    pred = holdout_predictions(model, cal, hold)
    assert len(cal) == 1936  # snapshot: customers who had bought by the calibration end
    assert hold["duration_holdout"].iloc[0] == pytest.approx(365 / 7, abs=0.01)  # 2025 in weeks
    assert pred["predicted"].sum() == pytest.approx(pred["actual"].sum(), rel=0.25)  # about 3% too many (snapshot)
    table = holdout_by_frequency(pred)
    assert np.corrcoef(table["actual"], table["predicted"])[0, 1] > 0.9
    repeat = cal[cal["frequency"] > 0]
    assert repeat["frequency"].corr(pred.loc[repeat.index, "actual"]) > 0.3  # the past predicts the future


# ---------------------------------------------------------------- what Gamma-Gamma gives customers left out of its fit


def test_gamma_gamma_values_customers_outside_its_fit_as_lifetimes_does():
    """Lesson 13's model on the whole CDNOW log: one-time buyers get the population average, but a
    customer whose repeat purchases average 0 gets far less (lifetimes' conditional expectation)."""
    lifetimes = pytest.importorskip("lifetimes")
    log = load_cdnow()
    cal, _ = calibration_holdout(log[~log.duplicated()], "1997-09-30", log["date"].max(), monetary_value_col="amount",
                                 period_days=7)  # fmt: skip
    repeat = cal[(cal["frequency"] > 0) & (cal["monetary_value"] > 0)]
    ours = GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    theirs = lifetimes.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    np.testing.assert_allclose([ours.p_, ours.q_, ours.v_], theirs.params_[["p", "q", "v"]], rtol=1e-3)
    theirs.params_ = pd.Series({"p": ours.p_, "q": ours.q_, "v": ours.v_})  # the same model, to compare the formula
    x = pd.Series([0.0, 1.0, 2.0, 5.0, 1.0, 0.0])
    m = pd.Series([0.0, 0.0, 0.0, 0.0, 40.0, 0.0])
    np.testing.assert_allclose(ours.expected_average_value(x, m), theirs.conditional_expected_average_profit(x, m))
    population = theirs.params_["p"] * theirs.params_["v"] / (theirs.params_["q"] - 1)
    assert ours.population_average_ == pytest.approx(population)
    assert ours.expected_average_value([0], [0.0])[0] == pytest.approx(population)  # x = 0: exactly the average
    left_out = cal[(cal["frequency"] > 0) & (cal["monetary_value"] == 0)]
    assert len(left_out) >= 1
    values = ours.expected_average_value(left_out["frequency"], left_out["monetary_value"])
    assert (values < 0.35 * population).all()  # not the population average: about 29% of it for x = 1
    w = ours.weight_on_own_average(left_out["frequency"])
    np.testing.assert_allclose(values, (1 - w) * population)


def test_gamma_gamma_weight_by_hand():
    model = GammaGammaModel()
    model.p_, model.q_, model.v_ = 6.25, 3.74, 15.44
    np.testing.assert_allclose(model.weight_on_own_average([0, 1, 4]), [0, 6.25 / 8.99, 25 / 27.74])
    with pytest.raises(RuntimeError, match="not fitted"):
        GammaGammaModel().weight_on_own_average([1])


def test_lesson_13_no_longer_gives_the_left_out_customers_the_population_average():
    path = Path(__file__).resolve().parents[1] / "notebooks" / "13_capstone.ipynb"
    cells = nbformat.read(path, as_version=4).cells
    text = " ".join(" ".join(c.source.split()) for c in cells if c.cell_type == "markdown")
    assert "they still get a value, the population average" not in text
    assert "does **not** get the population average" in text
    assert "(`x = 0`) gets exactly the population average" in text


# ---------------------------------------------------------------- what a retention offer may cost


def test_retention_budget_by_hand():
    revenue = pd.Series([200.0, 50.0, 0.0], index=[3, 1, 2], name="clv")
    budget = retention_budget(revenue, margin=0.3)
    assert budget.tolist() == pytest.approx([60.0, 15.0, 0.0])  # 0.3 x 200, 0.3 x 50
    assert budget.index.tolist() == [3, 1, 2] and budget.name == "offer_budget"
    assert retention_budget(revenue, margin=0.3, save_rate=0.25).tolist() == pytest.approx([15.0, 3.75, 0.0])
    for bad in ({"margin": 30}, {"margin": 0}, {"margin": 0.3, "save_rate": 1.5}, {"margin": True}):
        with pytest.raises(ValueError, match="must be a share between 0 and 1"):
            retention_budget(revenue, **bad)
    with pytest.raises(TypeError, match="`clv` must be a Series"):
        retention_budget(revenue.to_frame(), margin=0.3)


def test_budget_from_revenue_clv_equals_the_profit_clv(bgnbd, calibration):
    """margin x revenue CLV is the CLV computed on profit per purchase: the offer is paid from profit."""
    repeat = calibration[calibration["frequency"] > 0]
    gg = GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    revenue = lifetime_value(bgnbd, gg, calibration, periods_per_month=4.348)
    profit = lifetime_value(bgnbd, gg, calibration, periods_per_month=4.348, margin=0.3)
    pd.testing.assert_series_equal(retention_budget(revenue, margin=0.3), profit.rename("offer_budget"))
    assert (profit <= revenue).all() and profit.sum() == pytest.approx(0.3 * revenue.sum())


def _parameters(name: str) -> dict[str, object]:
    path = Path(__file__).resolve().parents[1] / "notebooks" / name
    cell = next(c for c in nbformat.read(path, as_version=4).cells if "parameters" in c.metadata.get("tags", []))
    values: dict[str, object] = {}
    exec(cell.source, {}, values)  # the parameters cell holds only assignments of literals
    return values


def test_lesson_08_pays_offers_from_the_margin_of_lesson_13():
    """Item 4 of issue 11: CLV is revenue; the offer budget is MARGIN x CLV, with lesson 13's margin."""
    assert _parameters("08_clv_churn.ipynb")["MARGIN"] == _parameters("13_capstone.ipynb")["MARGIN"] == 0.30
    path = Path(__file__).resolve().parents[1] / "notebooks" / "08_clv_churn.ipynb"
    cells = nbformat.read(path, as_version=4).cells
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    text = " ".join(" ".join(c.source.split()) for c in cells if c.cell_type == "markdown")
    assert 'clv.retention_budget(ranking["clv"], margin=MARGIN)' in code
    assert "That decides how much a retention call or a discount may cost" not in text
    assert "`MARGIN x clv`" in text and "**revenue**, not profit" in text
