"""BG/NBD and Gamma-Gamma: the published CDNOW parameters, and the models' predictions."""

from __future__ import annotations

import numpy as np
import pytest

from crmlab.analysis.clv import BetaGeoModel, GammaGammaModel, lifetime_value
from crmlab.analysis.rfm import rfm_summary
from crmlab.datasets import load_cdnow

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
