"""Fader and Hardie's checks of a BG/NBD fit, against lifetimes, the paper's formulas and simulated truth."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from crmlab.analysis.clv import (
    BetaGeoModel,
    calibration_holdout,
    cumulative_tracking,
    frequency_recency_matrix,
    period_transactions,
)
from crmlab.datasets import load_cdnow

PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # Fader, Hardie & Lee (2005), CDNOW 1/10th
CAL_END, HOLD_END = "1997-09-30", "1998-06-30"


@pytest.fixture(scope="module")
def cdnow():
    log = load_cdnow("sample")
    cal, hold = calibration_holdout(log, CAL_END, HOLD_END, period_days=7)
    return log, cal, hold, BetaGeoModel().fit(cal["frequency"], cal["recency"], cal["T"])


@pytest.fixture(scope="module")
def theirs(cdnow):
    """lifetimes' BetaGeoFitter holding our fitted parameters: an independent implementation of the formulas."""
    lifetimes = pytest.importorskip("lifetimes")
    fitter = lifetimes.BetaGeoFitter()
    fitter.params_ = pd.Series(cdnow[3].params_)
    return fitter


def _quiet(call, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args)


# ---------------------------------------------------------------- 1. the calibration period's histogram


def test_probability_of_purchases_is_lifetimes(theirs):
    model = BetaGeoModel.from_params(**PUBLISHED)
    theirs = theirs.__class__()
    theirs.params_ = pd.Series(PUBLISHED)
    for n in [0, 1, 2, 5, 12]:
        for t in [0.5, 10.0, 38.86, 78.0]:
            assert model.probability_of_purchases(n, t)[0] == pytest.approx(
                float(_quiet(theirs.probability_of_n_purchases_up_to_time, t, n)), rel=1e-9)  # fmt: skip
    total = sum(model.probability_of_purchases(n, [5.0, 39.0, 78.0]) for n in range(400))
    np.testing.assert_allclose(total, 1.0, atol=1e-9)  # a distribution


def test_period_transactions_on_cdnow(cdnow, theirs):
    _, cal, _, model = cdnow
    table = period_transactions(model, cal)
    assert list(table.index) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    counts = cal["frequency"].astype(int).clip(upper=7).value_counts().sort_index()
    assert table["actual"].tolist() == counts.tolist()
    assert table.loc["0", "actual"] == 1411  # the paper: 1,411 of the 2,357 made no repeat purchase in 39 weeks
    assert table["actual"].sum() == len(cal) and table["expected"].sum() == pytest.approx(len(cal))
    t_values, weight = np.unique(cal["T"].to_numpy(), return_counts=True)
    for n in range(7):
        by_lifetimes = sum(w * float(_quiet(theirs.probability_of_n_purchases_up_to_time, t, n))
                           for t, w in zip(t_values, weight, strict=True))  # fmt: skip
        assert table.iloc[n]["expected"] == pytest.approx(by_lifetimes, rel=1e-9)
    assert (table["expected"] - table["actual"]).abs().max() < 25  # a close fit, as in the paper's figure 2


# ---------------------------------------------------------------- 2. tracking the cohort's repeat purchases


@pytest.fixture(scope="module")
def tracking(cdnow):
    log, _, _, model = cdnow
    return cumulative_tracking(model, log, CAL_END, HOLD_END)


def test_tracking_counts_what_the_summaries_count(cdnow, tracking):
    _, cal, hold, _ = cdnow
    assert len(tracking) == 78 and tracking["ends_on"].iloc[-1] == pd.Timestamp(HOLD_END)
    assert tracking["holdout"].sum() == 39
    at_calibration_end = tracking.loc[~tracking["holdout"], "cumulative_actual"].iloc[-1]
    assert at_calibration_end == cal["frequency"].sum() == 2457
    assert tracking["cumulative_actual"].iloc[-1] == cal["frequency"].sum() + hold["frequency_holdout"].sum()
    np.testing.assert_allclose(tracking["actual"].cumsum(), tracking["cumulative_actual"])
    np.testing.assert_allclose(tracking["expected"].cumsum(), tracking["cumulative_expected"])


def test_tracking_expectation_is_lifetimes(cdnow, tracking, theirs):
    """Sum over the cohort of E[X(t)] at each customer's own age, computed by lifetimes."""
    log, cal, _, _ = cdnow
    first = pd.to_datetime(log["date"]).groupby(log["customer_id"]).min()
    for period in [1, 20, 39, 78]:
        day = tracking.loc[period, "ends_on"]
        age = ((day - first).dt.days.clip(lower=0) / 7).to_numpy()
        ages, weight = np.unique(age, return_counts=True)
        by_lifetimes = sum(w * float(_quiet(theirs.expected_number_of_purchases_up_to_time, a)) if a > 0 else 0.0
                           for a, w in zip(ages, weight, strict=True))  # fmt: skip
        assert tracking.loc[period, "cumulative_expected"] == pytest.approx(by_lifetimes, rel=1e-9)
    calibration_expected = tracking.loc[39, "cumulative_expected"]
    assert calibration_expected == pytest.approx(cal["frequency"].sum(), rel=0.03)  # the fit matches its own data


def _simulate(params: dict, n: int, weeks: int, seed: int) -> pd.DataFrame:
    """A purchase log drawn from BG/NBD itself: first purchases spread over 12 weeks, one purchase a day at most."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(params["r"], 1 / params["alpha"], n)
    drop = rng.beta(params["a"], params["b"], n)
    start = rng.integers(0, 84, n)
    rows = []
    for i in range(n):
        t = 0.0
        rows.append((i, start[i]))
        while True:
            t += rng.exponential(1 / rate[i])
            if start[i] + t * 7 > weeks * 7:
                break
            rows.append((i, start[i] + int(t * 7)))
            if rng.random() < drop[i]:
                break
    log = pd.DataFrame(rows, columns=["customer_id", "day"])
    return log.assign(date=pd.Timestamp("2020-01-01") + pd.to_timedelta(log["day"], unit="D"))


def test_tracking_follows_a_true_bgnbd_world_and_flags_a_wrong_model():
    """Planted truth: on data drawn from BG/NBD the fitted model tracks the holdout within a few percent;
    the control, a model that believes customers never drop out (b huge), misses by far more."""
    log = _simulate({"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5}, n=3000, weeks=104, seed=5)
    cal, _ = calibration_holdout(log, "2020-12-31", "2021-12-25", period_days=7)
    model = BetaGeoModel().fit(cal["frequency"], cal["recency"], cal["T"])
    track = cumulative_tracking(model, log, "2020-12-31", "2021-12-25")
    holdout = track[track["holdout"]]
    gap = holdout["expected"].sum() / holdout["actual"].sum() - 1
    assert abs(gap) < 0.06
    never_leave = BetaGeoModel.from_params(r=model.r_, alpha=model.alpha_, a=model.a_, b=1e6)
    wrong = cumulative_tracking(never_leave, log, "2020-12-31", "2021-12-25")
    wrong_gap = wrong.loc[wrong["holdout"], "expected"].sum() / holdout["actual"].sum() - 1
    assert wrong_gap > 0.3
    table = period_transactions(model, cal)
    assert ((table["expected"] - table["actual"]).abs() / np.sqrt(table["expected"])).max() < 3.5


# ---------------------------------------------------------------- 3. P(alive) and expectations by frequency and recency


def test_matrix_is_lifetimes(cdnow, theirs):
    _, _, _, model = cdnow
    alive = frequency_recency_matrix(model, 39, 7)
    assert alive.shape == (8, 40) and alive.index.name == "frequency" and alive.columns.name == "recency"
    x, tx = np.meshgrid(np.arange(8.0), np.arange(40.0), indexing="ij")
    expected = _quiet(theirs.conditional_probability_alive, x.ravel(), tx.ravel(), np.full(x.size, 39.0))
    expected = np.asarray(expected, dtype=float).reshape(x.shape)
    expected[0, 1:] = np.nan  # no repeat purchase: recency is 0
    np.testing.assert_allclose(alive.to_numpy(), expected, rtol=1e-9)
    purchases = frequency_recency_matrix(model, 39, 3, [5.0, 20.0, 39.0], horizon=39)
    by_lifetimes = _quiet(theirs.conditional_expected_number_of_purchases_up_to_time, 39,
                          np.array([3.0, 3.0, 3.0]), np.array([5.0, 20.0, 39.0]), np.full(3, 39.0))  # fmt: skip
    np.testing.assert_allclose(purchases.loc[3].to_numpy(), np.asarray(by_lifetimes, dtype=float), rtol=1e-8)


def test_matrix_reads_the_papers_example():
    """Fader, Hardie & Lee (2005): x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in the next 39 weeks."""
    model = BetaGeoModel.from_params(**PUBLISHED)
    table = frequency_recency_matrix(model, 38.86, 2, [30.43], horizon=39)
    assert table.loc[2, 30.43] == pytest.approx(1.226, abs=0.0005)


def test_silence_means_more_for_frequent_buyers(cdnow):
    """The reading the lesson gives: across a row P(alive) rises with recency; at a long silence it falls with x."""
    alive = frequency_recency_matrix(cdnow[3], 39, 7)
    assert (alive.loc[1:].diff(axis=1).iloc[:, 1:] > 0).all().all()
    assert alive.loc[1:, 10].is_monotonic_decreasing


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda m, c: period_transactions(m, c, max_frequency=0), ValueError, "`max_frequency` must be a whole number"),
    (lambda m, c: period_transactions(m, c[["frequency"]]), KeyError, r"\['T'\]"),
    (lambda m, c: frequency_recency_matrix(m, 39, 3, [40.0]), ValueError, "between 0 and T"),
    (lambda m, c: frequency_recency_matrix(m, 0, 3), ValueError, "`T` must be a positive number"),
    (lambda m, c: cumulative_tracking(m, load_cdnow("sample"), HOLD_END, CAL_END), ValueError, "must come after"),
    (lambda m, c: cumulative_tracking(m, load_cdnow("sample"), CAL_END, HOLD_END, period_days=0), ValueError,
     "`period_days`"),
    (lambda m, c: cumulative_tracking(m, load_cdnow("sample"), "1990-01-01", HOLD_END), ValueError,
     "No customer made a first purchase"),
])  # fmt: skip
def test_bad_input(cdnow, call, error, match):
    with pytest.raises(error, match=match):
        call(cdnow[3], cdnow[1])


def test_no_period_straddles_the_calibration_end(cdnow):
    """A calibration end 181 days after the first purchase (not a whole number of weeks): the holdout periods
    hold exactly the holdout's repeat purchases, the calibration periods exactly the calibration's."""
    log, _, _, _ = cdnow
    cal, hold = calibration_holdout(log, "1997-06-30", HOLD_END, period_days=7)
    model = BetaGeoModel().fit(cal["frequency"], cal["recency"], cal["T"])
    track = cumulative_tracking(model, log, "1997-06-30", HOLD_END)
    assert pd.Timestamp("1997-06-30") in set(track["ends_on"])
    assert track.loc[track["holdout"], "actual"].sum() == hold["frequency_holdout"].sum()
    assert track.loc[~track["holdout"], "actual"].sum() == cal["frequency"].sum()
    lengths = track["ends_on"].diff().dt.days.iloc[1:]
    assert (lengths.iloc[:-1] == 7).all() and 1 <= lengths.iloc[-1] <= 7
