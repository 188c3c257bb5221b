"""The BG/NBD and Gamma-Gamma models: how often, how long, and how much each customer buys.

Estimators follow scikit-learn: ``fit`` returns ``self``, fitted parameters end in ``_``,
nothing happens in ``__init__``. Both are fitted by maximum likelihood (scipy, BFGS on the
log of the parameters) on the per-customer summary of :func:`crmlab.analysis.rfm.rfm_summary`.
Customers with the same summary share one likelihood term, so the fit stays fast on large
customer bases (the 23,570 CDNOW customers collapse to about 8,700 distinct rows).

References
----------
Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to the
Pareto/NBD model", Marketing Science 24(2). Fader, Hardie & Lee (2005), "RFM and CLV: using
iso-value curves for customer base analysis", Journal of Marketing Research 42(4), and
Fader & Hardie (2013), "The Gamma-Gamma model of monetary value".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, special

__all__ = ["BetaGeoModel", "GammaGammaModel"]


def _arrays(**columns) -> dict[str, np.ndarray]:
    out = {}
    for name, values in columns.items():
        arr = np.atleast_1d(np.asarray(values, dtype="float64"))
        if arr.ndim != 1 or np.isnan(arr).any() or (arr < 0).any():
            raise ValueError(f"`{name}` must be a one-dimensional array of non-negative numbers, none missing.")
        out[name] = arr
    lengths = {len(a) for a in out.values()}
    if len(lengths) != 1:
        raise ValueError(f"{', '.join(f'`{n}`' for n in out)} must have the same length.")
    return out


def _distinct_rows(*arrays: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of the stacked arrays and how many customers share each."""
    rows, counts = np.unique(np.column_stack(arrays), axis=0, return_counts=True)
    return [rows[:, i] for i in range(rows.shape[1])], counts.astype("float64")


def _maximise(log_likelihood, start: list[float]) -> tuple[np.ndarray, float]:
    """Maximise a log-likelihood over positive parameters (BFGS on their logs)."""
    result = optimize.minimize(lambda p: -log_likelihood(np.exp(p)), np.log(start), method="BFGS",
                               options={"gtol": 1e-8, "maxiter": 2_000})  # fmt: skip
    return np.exp(result.x), -float(result.fun)


class BetaGeoModel:
    """BG/NBD: how often customers buy while "alive", and how likely they are to drop out.

    While alive, a customer buys at a steady rate (a Poisson process); after each
    purchase they may drop out for good. Rates and dropout chances differ between
    customers, following a Gamma and a Beta distribution.

    Attributes
    ----------
    r_, alpha_ : float
        Gamma distribution of the purchase rates across customers (mean rate ``r / alpha``).
    a_, b_ : float
        Beta distribution of the dropout probability after each purchase (mean ``a / (a + b)``).
    log_likelihood_ : float
        Log-likelihood at the fitted parameters (after :meth:`fit`).

    Examples
    --------
    >>> from crmlab.datasets import load_cdnow
    >>> from crmlab.analysis.clv import calibration_holdout
    >>> weeks, _ = calibration_holdout(load_cdnow("sample"), "1997-09-30", "1998-06-30", period_days=7)
    >>> model = BetaGeoModel().fit(weeks["frequency"], weeks["recency"], weeks["T"])
    >>> [round(float(v), 3) for v in model.params_.values()]
    [0.243, 4.414, 0.793, 2.426]
    """

    @classmethod
    def from_params(cls, r: float, alpha: float, a: float, b: float) -> BetaGeoModel:
        """A model with known parameters, e.g. published ones, without fitting.

        Examples
        --------
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> round(float(model.probability_alive(2, 30.43, 38.86)[0]), 3)
        0.727
        """
        values = {"r": r, "alpha": alpha, "a": a, "b": b}
        for name, value in values.items():
            if not isinstance(value, (int, float, np.number)) or not value > 0:
                raise ValueError(f"The value for `{name}` must be a positive number, but {value!r} was passed.")
        model = cls()
        model.r_, model.alpha_, model.a_, model.b_ = (float(v) for v in values.values())
        return model

    def fit(self, frequency, recency, T) -> BetaGeoModel:  # noqa: N803 (T is the model's name)
        """Fit by maximum likelihood.

        Parameters
        ----------
        frequency : array-like
            Repeat purchases of each customer in the calibration period.
        recency, T : array-like
            Periods from the first to the last purchase, and from the first purchase to
            the end of the calibration period (same unit, e.g. weeks).

        Returns
        -------
        BetaGeoModel
            ``self``, fitted.

        Examples
        --------
        >>> model = BetaGeoModel().fit([0, 2, 5, 1, 0, 3], [0, 20, 30, 4, 0, 35], [40, 38, 36, 39, 40, 37])
        >>> round(model.log_likelihood_, 2) < 0, model.n_customers_
        (True, 6)
        """
        data = _arrays(frequency=frequency, recency=recency, T=T)
        if (data["recency"] > data["T"]).any():
            raise ValueError("`recency` cannot exceed `T`: a last purchase cannot come after the end of observation.")
        (x, tx, t), weight = _distinct_rows(data["frequency"], data["recency"], data["T"])
        params, self.log_likelihood_ = _maximise(
            lambda p: weight @ self._log_likelihood(p, x, tx, t), [1.0, max(float(t.mean()), 1.0), 1.0, 1.0]
        )
        self.r_, self.alpha_, self.a_, self.b_ = (float(v) for v in params)
        self.n_customers_ = len(data["frequency"])
        return self

    @property
    def params_(self) -> dict[str, float]:
        """The fitted parameters by name: ``r``, ``alpha``, ``a``, ``b``."""
        self._check_fitted()
        return {"r": self.r_, "alpha": self.alpha_, "a": self.a_, "b": self.b_}

    @staticmethod
    def _log_likelihood(params, x, tx, t) -> np.ndarray:
        r, alpha, a, b = params
        ln_a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        ln_a2 = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + t)
        ln_a3 = np.where(
            x > 0,
            special.betaln(a + 1, np.maximum(b + x - 1, 1e-12)) - special.betaln(a, b) - (r + x) * np.log(alpha + tx),
            -np.inf,
        )
        return ln_a1 + np.logaddexp(ln_a2, ln_a3)

    def _check_fitted(self) -> None:
        if not hasattr(self, "r_"):
            raise RuntimeError("This BetaGeoModel is not fitted yet: call `fit(frequency, recency, T)` first.")

    def probability_alive(self, frequency, recency, T) -> np.ndarray:  # noqa: N803
        """Probability that each customer has not dropped out by the end of observation.

        A customer with no repeat purchase has never had the chance to drop out (in
        BG/NBD dropout happens right after a purchase), so their probability is 1.
        A frequent buyer silent for a long time is probably gone.

        Examples
        --------
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model.probability_alive([0, 5, 5], [0, 37, 5], [38, 38, 38]).round(3)
        array([1.   , 0.877, 0.003])
        """
        self._check_fitted()
        d = _arrays(frequency=frequency, recency=recency, T=T)
        x, tx, t = d["frequency"], d["recency"], d["T"]
        ratio = np.where(x > 0, self.a_ / np.maximum(self.b_ + x - 1, 1e-12), 0.0)
        return 1.0 / (1.0 + ratio * ((self.alpha_ + t) / (self.alpha_ + tx)) ** (self.r_ + x))

    def expected_purchases(self, horizon: float, frequency, recency, T) -> np.ndarray:  # noqa: N803
        """Expected number of purchases of each customer in the next ``horizon`` periods.

        Examples
        --------
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model.expected_purchases(39, [0, 2], [0, 30.43], [38.86, 38.86]).round(2)
        array([0.2 , 1.23])
        """
        self._check_fitted()
        d = _arrays(frequency=frequency, recency=recency, T=T)
        x, tx, t = d["frequency"], d["recency"], d["T"]
        r, alpha, a, b = self.r_, self.alpha_, self.a_, self.b_
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, horizon / (alpha + t + horizon))
        first = (a + b + x - 1) / (a - 1) * (1 - ((alpha + t) / (alpha + t + horizon)) ** (r + x) * hyp)
        return first * self.probability_alive(x, tx, t)

    def probability_of_purchases(self, n: int, t) -> np.ndarray:
        """Probability of exactly ``n`` repeat purchases in the first ``t`` periods after the first purchase.

        Fader, Hardie & Lee (2005), equation 8: the customer may still be alive after ``n``
        purchases (first term) or have dropped out right after the ``n``-th (second term).
        Summed over customers with their own ``T``, it gives the expected histogram of the
        calibration period (see :func:`crmlab.analysis.clv.period_transactions`).

        Examples
        --------
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> model.probability_of_purchases(0, [38.86, 1e-9]).round(3)
        array([0.574, 1.   ])
        >>> round(float(sum(model.probability_of_purchases(n, 38.86)[0] for n in range(200))), 6)
        1.0
        """
        self._check_fitted()
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"The value for `n` must be a whole number >= 0, but {n!r} was passed.")
        t = _arrays(t=t)["t"]
        r, alpha, a, b = self.r_, self.alpha_, self.a_, self.b_
        share = t / (alpha + t)
        log_first = (special.betaln(a, b + n) - special.betaln(a, b) + special.gammaln(r + n) - special.gammaln(r)
                     - special.gammaln(n + 1) + r * np.log(alpha / (alpha + t)) + special.xlogy(n, share))  # fmt: skip
        if n == 0:
            return np.exp(log_first)
        j = np.arange(n)[:, None]
        terms = np.exp(special.gammaln(r + j) - special.gammaln(r) - special.gammaln(j + 1) + special.xlogy(j, share))
        second = np.exp(special.betaln(a + 1, b + n - 1) - special.betaln(a, b)) * (
            1 - (alpha / (alpha + t)) ** r * terms.sum(axis=0)
        )
        return np.exp(log_first) + second

    def expected_purchases_new_customer(self, horizon: float) -> float:
        """Expected purchases in ``horizon`` periods of a customer just acquired.

        Examples
        --------
        >>> model = BetaGeoModel.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
        >>> round(model.expected_purchases_new_customer(52), 2)
        1.45
        """
        self._check_fitted()
        r, alpha, a, b = self.r_, self.alpha_, self.a_, self.b_
        hyp = special.hyp2f1(r, b, a + b - 1, horizon / (alpha + horizon))
        return float((a + b - 1) / (a - 1) * (1 - (alpha / (alpha + horizon)) ** r * hyp))


class GammaGammaModel:
    """Gamma-Gamma: the average order value each customer tends to, shrunk towards the mean.

    Fitted on customers with at least one repeat purchase; assumes that value and
    frequency are independent (check their correlation first).

    Attributes
    ----------
    p_, q_, v_ : float
        Shape of each customer's order values (``p``) and Gamma distribution of their
        scale across customers (``q``, ``v``); the mean order value is ``p * v / (q - 1)``.

    Examples
    --------
    >>> from crmlab.datasets import load_cdnow
    >>> from crmlab.analysis.clv import calibration_holdout
    >>> s, _ = calibration_holdout(load_cdnow("sample"), "1997-09-30", "1998-06-30", monetary_value_col="amount")
    >>> repeat = s[s["frequency"] > 0]
    >>> model = GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    >>> [round(float(v), 2) for v in (model.p_, model.q_, model.v_)]
    [6.25, 3.74, 15.44]
    """

    def fit(self, frequency, monetary_value) -> GammaGammaModel:
        """Fit on customers with ``frequency > 0`` and their mean repeat-purchase value.

        Examples
        --------
        >>> model = GammaGammaModel().fit([1, 2, 4, 1, 3], [20.0, 35.0, 30.0, 12.0, 50.0])
        >>> bool(model.p_ > 0 and model.q_ > 0 and model.v_ > 0)
        True
        """
        d = _arrays(frequency=frequency, monetary_value=monetary_value)
        x, m = d["frequency"], d["monetary_value"]
        if (x <= 0).any() or (m <= 0).any():
            raise ValueError("GammaGammaModel needs customers with frequency > 0 and monetary_value > 0 only: "
                             "filter with `summary[summary['frequency'] > 0]`.")

        def log_likelihood(params):
            p, q, v = params
            return (special.gammaln(p * x + q) - special.gammaln(p * x) - special.gammaln(q) + q * np.log(v)
                    + (p * x - 1) * np.log(m) + p * x * np.log(x) - (p * x + q) * np.log(v + m * x)).sum()

        params, self.log_likelihood_ = _maximise(log_likelihood, [1.0, 1.0, max(float(m.mean()), 1.0)])
        self.p_, self.q_, self.v_ = (float(v) for v in params)
        return self

    @property
    def population_average_(self) -> float:
        """The mean value per purchase across customers, ``p * v / (q - 1)``.

        Examples
        --------
        >>> model = GammaGammaModel()
        >>> model.p_, model.q_, model.v_ = 6.25, 3.74, 15.44
        >>> round(model.population_average_, 2)
        35.22
        """
        self._check_fitted()
        return self.p_ * self.v_ / (self.q_ - 1)

    def weight_on_own_average(self, frequency) -> np.ndarray:
        """The weight of each customer's own average in :meth:`expected_average_value`.

        The expected value per purchase is ``(1 - w) * population_average_ + w * own average``
        with ``w = p * x / (p * x + q - 1)`` for ``x`` repeat purchases. ``w`` is 0 for a
        customer without a repeat purchase (they get exactly the population average: their
        first purchase is not in ``monetary_value``) and grows towards 1 with ``x``.

        Examples
        --------
        >>> model = GammaGammaModel()
        >>> model.p_, model.q_, model.v_ = 6.25, 3.74, 15.44
        >>> model.weight_on_own_average([0, 1, 2, 10]).round(3)
        array([0.   , 0.695, 0.82 , 0.958])
        """
        self._check_fitted()
        x = _arrays(frequency=frequency)["frequency"]
        return self.p_ * x / (self.p_ * x + self.q_ - 1)

    def _check_fitted(self) -> None:
        if not hasattr(self, "p_"):
            raise RuntimeError("This GammaGammaModel is not fitted yet: call `fit(frequency, monetary_value)` first.")

    def expected_average_value(self, frequency, monetary_value) -> np.ndarray:
        """Expected value per purchase of each customer: their own average shrunk towards the population's.

        A customer's own average is trusted more the more purchases it rests on (see
        :meth:`weight_on_own_average`): with no repeat purchase the value is the population
        average; a customer whose repeat purchases average 0 gets ``(1 - w)`` times it.

        Examples
        --------
        >>> model = GammaGammaModel()
        >>> model.p_, model.q_, model.v_ = 6.25, 3.74, 15.44
        >>> model.expected_average_value([0, 1, 10], [0.0, 100.0, 100.0]).round(1)
        array([35.2, 80.3, 97.3])
        """
        self._check_fitted()
        d = _arrays(frequency=frequency, monetary_value=monetary_value)
        x, m = d["frequency"], d["monetary_value"]
        p, q, v = self.p_, self.q_, self.v_
        return (p * (v + x * m)) / (p * x + q - 1)


def _as_summary(summary: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    if not isinstance(summary, pd.DataFrame):
        raise TypeError(f"`summary` must be a DataFrame like rfm_summary's, but a {type(summary).__name__} was passed.")
    missing = [c for c in columns if c not in summary.columns]
    if missing:
        raise KeyError(f"`summary` needs the column(s) {missing} (as made by rfm_summary), "
                       f"but it has {list(summary.columns)}.")  # fmt: skip
    return summary
