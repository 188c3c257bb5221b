"""BG/NBD and Gamma-Gamma fits with exact gradients: the formulas, the published CDNOW fits, and honest convergence.

Oracles: the papers' likelihoods written out plainly (no logs, no grouping), finite differences
for the gradients, Fader & Hardie's published parameters, and lifetimes' fits and
log-likelihood functions on the same data.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from scipy import optimize, special

from crmlab.analysis.clv import BetaGeoModel, GammaGammaModel, calibration_holdout, models
from crmlab.analysis.clv.models import Convergence, ConvergenceWarning
from crmlab.datasets import load_cdnow

PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # Fader, Hardie & Lee (2005), table 1
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "v": 15.44}  # Fader, Hardie & Lee (2005), JMR; Fader & Hardie (2013)
CAL_END, HOLD_END = "1997-09-30", "1998-06-30"


def _calibration(kind: str):
    """CDNOW's first 39 weeks, in weeks: Fader and Hardie's calibration period."""
    cal, _ = calibration_holdout(load_cdnow(kind), CAL_END, HOLD_END, period_days=7, monetary_value_col="amount")
    return cal


@pytest.fixture(scope="module", params=["sample", "master"])
def cdnow(request):
    """Each CDNOW file's calibration summary and the fits of crmlab and lifetimes, warnings recorded."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifetimes sets a pandas option that pandas 3 deprecates, on import
        lifetimes = pytest.importorskip("lifetimes")
    cal = _calibration(request.param)
    repeat = cal[(cal["frequency"] > 0) & (cal["monetary_value"] > 0)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bg = BetaGeoModel().fit(cal["frequency"], cal["recency"], cal["T"])
        gg = GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifetimes' own deprecation noise
        their_bg = lifetimes.BetaGeoFitter().fit(cal["frequency"], cal["recency"], cal["T"])
        their_gg = lifetimes.GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    return {
        "cal": cal,
        "repeat": repeat,
        "bg": bg,
        "gg": gg,
        "warnings": caught,
        "their_bg": their_bg,
        "their_gg": their_gg,
        "lifetimes": lifetimes,
    }


# ---------------------------------------------------------------- the likelihoods and their gradients


def _bgnbd_rows(x, tx, t, weight=None):
    x, tx, t = (np.asarray(v, dtype=float) for v in (x, tx, t))
    return models._bgnbd_data(x, tx, t, np.ones_like(x) if weight is None else np.asarray(weight, dtype=float))


def _cdnow_rows():
    cal = _calibration("sample")
    (x, tx, t), weight = models._distinct_rows(*(cal[c].to_numpy(float) for c in ("frequency", "recency", "T")))
    return _bgnbd_rows(x, tx, t, weight)


BGNBD_ROWS = {
    "cdnow": _cdnow_rows,
    "no repeat purchase": lambda: _bgnbd_rows([0] * 5, [0] * 5, [0.5, 1, 10, 39, 80]),
    "large and odd x": lambda: _bgnbd_rows(
        [0, 1, 150, 300, 2, 40], [0, 0, 38.9, 2, 0.01, 20], [0.01, 5, 39, 39, 0.02, 20], [3, 1, 1, 2, 1, 1]
    ),
}
_rng = np.random.default_rng(14)
BGNBD_POINTS = [
    [0.243, 4.414, 0.793, 2.426],  # the published fit
    [1e-4, 1e4, 1e-6, 1e-6],  # tiny r, a and b, huge alpha
    [50, 0.01, 1e4, 1e5],  # huge a and b (no heterogeneity in dropout)
    [1, 1, 1e-6, 3],  # tiny a alone
    *np.exp(_rng.uniform([-3, -1, -3, -3], [3, 5, 3, 3], size=(5, 4))).tolist(),
]


def _bgnbd_plain(params, x, tx, t) -> np.ndarray:
    """Fader, Hardie & Lee (2005), equation 6, as printed: a product of Beta and Gamma functions, no logs."""
    r, alpha, a, b = params
    common = special.gamma(r + x) * alpha**r / special.gamma(r)
    alive = special.beta(a, b + x) / special.beta(a, b) * common / (alpha + t) ** (r + x)
    gone = special.beta(a + 1, b + np.maximum(x, 1) - 1) / special.beta(a, b) * common / (alpha + tx) ** (r + x)
    return alive + np.where(x > 0, gone, 0.0)


def _central_differences(f, p: np.ndarray, h: float = 1e-5) -> np.ndarray:
    return np.array([(f(p + h * e) - f(p - h * e)) / (2 * h) for e in np.eye(len(p))])


def test_bgnbd_log_likelihood_is_the_papers_formula():
    x = np.array([0, 0, 1, 2, 5, 7, 1, 3])
    tx = np.array([0, 0, 30.43, 10.0, 36.0, 2.5, 0.0, 38.86])
    t = np.array([38.86, 0.5, 38.86, 32.0, 37.0, 39.0, 20.0, 38.86])
    rows = _bgnbd_rows(x, tx, t)
    for params in ([0.243, 4.414, 0.793, 2.426], [2.0, 0.5, 3.0, 0.7], [0.05, 40.0, 0.2, 9.0]):
        expected = np.log(_bgnbd_plain(params, x, tx, t)).mean()
        assert models._bgnbd_log_likelihood(np.log(params), rows)[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("rows", list(BGNBD_ROWS))
@pytest.mark.parametrize("point", range(len(BGNBD_POINTS)))
def test_bgnbd_gradient_matches_finite_differences(rows, point):
    data = BGNBD_ROWS[rows]()
    p = np.log(BGNBD_POINTS[point])

    def f(q):
        return models._bgnbd_log_likelihood(q, data)[0]

    gradient = models._bgnbd_log_likelihood(p, data)[1]
    assert np.isfinite(gradient).all()
    scale = 1 + np.abs(gradient)
    np.testing.assert_array_less(np.abs(optimize.approx_fprime(p, f, 1e-7) - gradient) / scale, 1e-3)
    np.testing.assert_array_less(np.abs(_central_differences(f, p) - gradient) / scale, 1e-6)


def _gamma_gamma_rows(x, m, weight=None):
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    return models._gamma_gamma_data(x, m, np.ones_like(x) if weight is None else np.asarray(weight, dtype=float))


def _cdnow_repeat_rows():
    repeat = _calibration("sample").query("frequency > 0 and monetary_value > 0")
    (x, m), weight = models._distinct_rows(repeat["frequency"].to_numpy(float), repeat["monetary_value"].to_numpy())
    return _gamma_gamma_rows(x, m, weight)


GG_ROWS = {
    "cdnow": _cdnow_repeat_rows,
    "large x, tiny and huge m": lambda: _gamma_gamma_rows(
        [1, 1, 60, 200, 3], [0.01, 5000.0, 35.0, 12.5, 1e-3], [2, 1, 1, 1, 4]
    ),
}
GG_POINTS = [
    [6.25, 3.74, 15.44],  # the published fit
    [1e-4, 1e-4, 1e-3],
    [1e3, 1e4, 1e5],
    [0.5, 1e-5, 200.0],
    *np.exp(_rng.uniform([-3, -3, -2], [3, 3, 6], size=(5, 3))).tolist(),
]


def test_gamma_gamma_log_likelihood_is_the_papers_formula():
    """Fader & Hardie (2013), equation 1a, as printed: the density of a customer's average of x purchases."""
    x, m = np.array([1, 2, 4, 1, 3, 6]), np.array([20.0, 35.0, 30.0, 12.0, 50.0, 3.5])
    rows = _gamma_gamma_rows(x, m)
    for p, q, v in ([6.25, 3.74, 15.44], [1.5, 0.7, 80.0], [0.3, 12.0, 2.0]):
        density = (
            special.gamma(p * x + q)
            / (special.gamma(p * x) * special.gamma(q))
            * v**q
            * m ** (p * x - 1)
            * x ** (p * x)
            / (v + m * x) ** (p * x + q)
        )
        value = models._gamma_gamma_log_likelihood(np.log([p, q, v]), rows)[0]
        assert value == pytest.approx(np.log(density).mean(), rel=1e-12)


@pytest.mark.parametrize("rows", list(GG_ROWS))
@pytest.mark.parametrize("point", range(len(GG_POINTS)))
def test_gamma_gamma_gradient_matches_finite_differences(rows, point):
    data = GG_ROWS[rows]()
    p = np.log(GG_POINTS[point])

    def f(q):
        return models._gamma_gamma_log_likelihood(q, data)[0]

    gradient = models._gamma_gamma_log_likelihood(p, data)[1]
    assert np.isfinite(gradient).all()
    scale = 1 + np.abs(gradient)
    np.testing.assert_array_less(np.abs(optimize.approx_fprime(p, f, 1e-7) - gradient) / scale, 1e-3)
    np.testing.assert_array_less(np.abs(_central_differences(f, p) - gradient) / scale, 1e-6)
    assert optimize.check_grad(f, lambda q: models._gamma_gamma_log_likelihood(q, data)[1], p) < 1e-3 * scale.max()


def test_grouping_customers_changes_nothing():
    """Weights of distinct rows give the same log-likelihood and gradient as one row per customer."""
    cal = _calibration("sample")
    arrays = [cal[c].to_numpy(float) for c in ("frequency", "recency", "T")]
    grouped, one_each = _cdnow_rows(), _bgnbd_rows(*arrays)
    assert len(grouped.x) < len(one_each.x) / 2  # snapshot: 1,016 distinct rows for 2,357 customers
    p = np.log([0.3, 5.0, 0.9, 2.0])
    value, gradient = models._bgnbd_log_likelihood(p, grouped)
    assert value == pytest.approx(models._bgnbd_log_likelihood(p, one_each)[0], rel=1e-13)
    np.testing.assert_allclose(gradient, models._bgnbd_log_likelihood(p, one_each)[1], rtol=1e-11, atol=1e-14)


def test_distinct_rows_are_numpys_unique_rows():
    rng = np.random.default_rng(3)
    for n in (1, 2, 7, 1_000):
        columns = [rng.integers(0, 3, n).astype(float), rng.integers(0, 4, n) / 2, rng.integers(0, 2, n) * 0.1]
        rows, counts = np.unique(np.column_stack(columns), axis=0, return_counts=True)
        ours, weight = models._distinct_rows(*columns)
        np.testing.assert_array_equal(np.column_stack(ours), rows)
        np.testing.assert_array_equal(weight, counts)


# ---------------------------------------------------------------- the CDNOW fits


def _bgnbd_params(model) -> np.ndarray:
    return np.array([model.r_, model.alpha_, model.a_, model.b_])


def test_bgnbd_reproduces_the_published_parameters():
    cal = _calibration("sample")
    model = BetaGeoModel().fit(cal["frequency"], cal["recency"], cal["T"])
    for name, published in PUBLISHED_BGNBD.items():
        assert model.params_[name] == pytest.approx(published, abs=5e-4)  # published to 3 decimals
    assert model.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)  # the paper's log-likelihood


def test_gamma_gamma_reproduces_the_published_parameters():
    cal = _calibration("sample")
    repeat = cal[cal["frequency"] > 0]
    model = GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    fitted = {"p": model.p_, "q": model.q_, "v": model.v_}
    for name, published in PUBLISHED_GG.items():
        assert fitted[name] == pytest.approx(published, abs=5e-3)  # published to 2 decimals


def test_bgnbd_matches_lifetimes_and_climbs_at_least_as_high(cdnow):
    theirs = cdnow["their_bg"].params_[["r", "alpha", "a", "b"]].to_numpy()
    np.testing.assert_allclose(_bgnbd_params(cdnow["bg"]), theirs, rtol=1e-4)
    cal = cdnow["cal"]
    args = (*(cal[c].to_numpy(float) for c in ("frequency", "recency", "T")), np.ones(len(cal)), 0.0)
    minus_ll = cdnow["lifetimes"].BetaGeoFitter._negative_log_likelihood  # lifetimes' own function, per customer
    ours, their = -minus_ll(np.log(_bgnbd_params(cdnow["bg"])), *args), -minus_ll(np.log(theirs), *args)
    assert ours >= their - 1e-13 * abs(their)  # at least lifetimes' log-likelihood, up to rounding of the sum
    assert cdnow["bg"].log_likelihood_ == pytest.approx(ours * len(cal), rel=1e-12)


def test_gamma_gamma_matches_lifetimes_and_climbs_at_least_as_high(cdnow):
    gg, repeat = cdnow["gg"], cdnow["repeat"]
    theirs = cdnow["their_gg"].params_[["p", "q", "v"]].to_numpy()
    np.testing.assert_allclose([gg.p_, gg.q_, gg.v_], theirs, rtol=1e-4)
    args = (repeat["frequency"].to_numpy(float), repeat["monetary_value"].to_numpy(float), np.ones(len(repeat)), 0.0)
    minus_ll = cdnow["lifetimes"].GammaGammaFitter._negative_log_likelihood
    ours, their = -minus_ll(np.log([gg.p_, gg.q_, gg.v_]), *args), -minus_ll(np.log(theirs), *args)
    assert ours >= their - 1e-13 * abs(their)
    assert gg.log_likelihood_ == pytest.approx(ours * len(repeat), rel=1e-12)


@pytest.mark.parametrize("name", ["bg", "gg"])
def test_cdnow_fits_converge_cleanly(cdnow, name):
    convergence = cdnow[name].convergence_
    assert isinstance(convergence, Convergence)
    assert convergence.success is True
    assert "terminated successfully" in convergence.message  # scipy's BFGS reached its own gradient tolerance
    assert "precision loss" not in convergence.message
    assert convergence.gradient_norm < 1e-10  # Newton steps take BFGS's 1e-6 down to rounding (snapshot: ~5e-14)
    assert 5 <= convergence.iterations < 100  # snapshot: 14 to 25
    assert not [w for w in cdnow["warnings"] if issubclass(w.category, (ConvergenceWarning, RuntimeWarning))]


def test_the_fitted_point_is_a_maximum(cdnow):
    """Every small step away from the fit lowers the log-likelihood."""
    cal = cdnow["cal"]
    rows = _bgnbd_rows(*(cal[c].to_numpy(float) for c in ("frequency", "recency", "T")))
    best = np.log(_bgnbd_params(cdnow["bg"]))
    top = models._bgnbd_log_likelihood(best, rows)[0]
    for step in np.vstack([np.eye(4), -np.eye(4)]) * 1e-3:
        assert models._bgnbd_log_likelihood(best + step, rows)[0] < top


# ---------------------------------------------------------------- fits that cannot converge say so


@pytest.mark.parametrize(
    ("fit", "reason"),
    [
        (lambda: BetaGeoModel().fit([0] * 50, [0] * 50, np.linspace(10, 40, 50)), "does not curve down along"),
        (
            lambda: BetaGeoModel().fit([0, 2, 5, 1, 0, 3], [0, 20, 30, 4, 0, 35], [40, 38, 36, 39, 40, 37]),
            "(does not curve down along `a` and `b`|`[ab]` was still changing)",
        ),
        (lambda: GammaGammaModel().fit([1, 2, 4, 1, 3], [20.0] * 5), "does not curve down along"),
        (
            lambda: GammaGammaModel().fit([1, 1], [20.0, 30.0]),
            "(does not curve down along `q` and `v`|`[qv]` was still changing)",
        ),
    ],
    ids=["no repeat purchase", "six customers", "identical values", "two customers"],
)
def test_a_degenerate_fit_warns_and_reports_why(fit, reason):
    """The reason names the parameters that run off. Which of the two diagnoses a degenerate fit gets
    (a flat Hessian, or a Newton step still moving one of them) depends on where BFGS stopped along
    the ridge, which differs in the last bits between CPUs (SIMD special functions): both are accepted."""
    with pytest.warns(ConvergenceWarning, match="did not converge: .*" + reason) as caught:
        model = fit()
    assert len([w for w in caught if issubclass(w.category, ConvergenceWarning)]) == 1
    assert caught[0].filename == __file__  # points at the caller's line
    assert model.convergence_.success is False
    assert re.search(reason, model.convergence_.message)
    fitted = list(model.params_.values())  # the highest finite point reached, never an overflow
    assert len(fitted) in (3, 4) and np.isfinite(fitted).all(), fitted


def test_an_optimiser_that_gives_up_warns(monkeypatch):
    """BFGS stopping on its iteration limit, far from the maximum, is reported with its own message."""
    real = optimize.minimize

    def one_iteration(*args, **kwargs):
        kwargs["options"] = {**kwargs["options"], "maxiter": 1}
        return real(*args, **kwargs)

    monkeypatch.setattr(models.optimize, "minimize", one_iteration)
    cal = _calibration("sample")
    with pytest.warns(ConvergenceWarning, match="Maximum number of iterations"):
        model = BetaGeoModel().fit(cal["frequency"], cal["recency"], cal["T"])
    assert model.convergence_.success is False and model.convergence_.iterations == 1


def test_empty_input_is_an_error_not_a_fit():
    with pytest.raises(ValueError, match="empty"):
        BetaGeoModel().fit([], [], [])
    with pytest.raises(ValueError, match="empty"):
        GammaGammaModel().fit([], [])
