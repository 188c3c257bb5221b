"""Probabilistic customer lifetime value: the BG/NBD and Gamma-Gamma models.

Estimators follow scikit-learn: ``fit`` returns ``self``, fitted parameters end in ``_``,
nothing happens in ``__init__``. Both are fitted by maximum likelihood (scipy) on the
per-customer summary of :func:`crmlab.analysis.rfm.rfm_summary`.

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

__all__ = ["BetaGeoModel", "GammaGammaModel", "lifetime_value"]


def _arrays(**columns) -> dict[str, np.ndarray]:
    out = {}
    for name, values in columns.items():
        arr = np.asarray(values, dtype="float64")
        if arr.ndim != 1 or np.isnan(arr).any() or (arr < 0).any():
            raise ValueError(f"`{name}` must be a one-dimensional array of non-negative numbers, none missing.")
        out[name] = arr
    lengths = {len(a) for a in out.values()}
    if len(lengths) != 1:
        raise ValueError(f"{', '.join(f'`{n}`' for n in out)} must have the same length.")
    return out


class BetaGeoModel:
    """BG/NBD: how often customers buy while "alive", and how likely they are to drop out.

    Attributes (after ``fit``)
    --------------------------
    r_, alpha_ : float
        Gamma distribution of the purchase rates across customers.
    a_, b_ : float
        Beta distribution of the dropout probability after each purchase.

    Examples
    --------
    >>> from crmlab.datasets import load_cdnow
    >>> from crmlab.analysis.rfm import rfm_summary
    >>> days = rfm_summary(load_cdnow("sample"), observation_period_end="1997-09-30")
    >>> model = BetaGeoModel().fit(days["frequency"], days["recency"] / 7, days["T"] / 7)  # in weeks
    >>> [round(float(v), 3) for v in model.params_.values()]
    [0.243, 4.414, 0.793, 2.426]
    """

    def fit(self, frequency, recency, T) -> BetaGeoModel:  # noqa: N803 (T is the model's name)
        """Fit by maximum likelihood; ``frequency`` = repeat purchases, ``recency`` and ``T`` in periods."""
        data = _arrays(frequency=frequency, recency=recency, T=T)
        if (data["recency"] > data["T"]).any():
            raise ValueError("`recency` cannot exceed `T`: a last purchase cannot come after the end of observation.")
        x, tx, t = data["frequency"], data["recency"], data["T"]

        def loss(log_params):
            return -self._log_likelihood(np.exp(log_params), x, tx, t).sum()

        start = np.log([1.0, max(t.mean(), 1.0), 1.0, 1.0])
        result = optimize.minimize(loss, start, method="Nelder-Mead",
                                   options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20_000, "maxfev": 40_000})
        self.r_, self.alpha_, self.a_, self.b_ = np.exp(result.x)
        self.log_likelihood_ = -result.fun
        self.n_customers_ = len(x)
        return self

    @property
    def params_(self) -> dict[str, float]:
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
        """Probability that each customer has not dropped out by the end of observation."""
        self._check_fitted()
        d = _arrays(frequency=frequency, recency=recency, T=T)
        x, tx, t = d["frequency"], d["recency"], d["T"]
        ratio = np.where(x > 0, self.a_ / np.maximum(self.b_ + x - 1, 1e-12), 0.0)
        return 1.0 / (1.0 + ratio * ((self.alpha_ + t) / (self.alpha_ + tx)) ** (self.r_ + x))

    def expected_purchases(self, horizon: float, frequency, recency, T) -> np.ndarray:  # noqa: N803
        """Expected number of purchases of each customer in the next ``horizon`` periods."""
        self._check_fitted()
        d = _arrays(frequency=frequency, recency=recency, T=T)
        x, tx, t = d["frequency"], d["recency"], d["T"]
        r, alpha, a, b = self.r_, self.alpha_, self.a_, self.b_
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, horizon / (alpha + t + horizon))
        first = (a + b + x - 1) / (a - 1) * (1 - ((alpha + t) / (alpha + t + horizon)) ** (r + x) * hyp)
        return first * self.probability_alive(x, tx, t)

    def expected_purchases_new_customer(self, horizon: float) -> float:
        """Expected purchases in ``horizon`` periods of a customer just acquired."""
        self._check_fitted()
        r, alpha, a, b = self.r_, self.alpha_, self.a_, self.b_
        hyp = special.hyp2f1(r, b, a + b - 1, horizon / (alpha + horizon))
        return float((a + b - 1) / (a - 1) * (1 - (alpha / (alpha + horizon)) ** r * hyp))


class GammaGammaModel:
    """Gamma-Gamma: the average order value each customer tends to, shrunk towards the mean.

    Fitted on customers with at least one repeat purchase; assumes that value and
    frequency are independent (check their correlation first).

    Attributes (after ``fit``)
    --------------------------
    p_, q_, v_ : float

    Examples
    --------
    >>> from crmlab.datasets import load_cdnow
    >>> from crmlab.analysis.rfm import rfm_summary
    >>> s = rfm_summary(load_cdnow("sample"), monetary_value_col="amount", observation_period_end="1997-09-30")
    >>> repeat = s[s["frequency"] > 0]
    >>> model = GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    >>> [round(float(v), 2) for v in (model.p_, model.q_, model.v_)]
    [6.25, 3.74, 15.44]
    """

    def fit(self, frequency, monetary_value) -> GammaGammaModel:
        """Fit on customers with ``frequency > 0`` and their mean repeat-purchase value."""
        d = _arrays(frequency=frequency, monetary_value=monetary_value)
        x, m = d["frequency"], d["monetary_value"]
        if (x <= 0).any() or (m <= 0).any():
            raise ValueError("GammaGammaModel needs customers with frequency > 0 and monetary_value > 0 only: "
                             "filter with `summary[summary['frequency'] > 0]`.")

        def loss(log_params):
            p, q, v = np.exp(log_params)
            ll = (special.gammaln(p * x + q) - special.gammaln(p * x) - special.gammaln(q) + q * np.log(v)
                  + (p * x - 1) * np.log(m) + p * x * np.log(x) - (p * x + q) * np.log(v + m * x))
            return -ll.sum()

        result = optimize.minimize(loss, np.log([1.0, 1.0, max(m.mean(), 1.0)]), method="Nelder-Mead",
                                   options={"xatol": 1e-10, "fatol": 1e-10, "maxiter": 20_000, "maxfev": 40_000})
        self.p_, self.q_, self.v_ = np.exp(result.x)
        return self

    def expected_average_value(self, frequency, monetary_value) -> np.ndarray:
        """Expected value per purchase of each customer (the population mean for ``frequency == 0``)."""
        if not hasattr(self, "p_"):
            raise RuntimeError("This GammaGammaModel is not fitted yet: call `fit(frequency, monetary_value)` first.")
        d = _arrays(frequency=frequency, monetary_value=monetary_value)
        x, m = d["frequency"], d["monetary_value"]
        p, q, v = self.p_, self.q_, self.v_
        return (p * (v + x * m)) / (p * x + q - 1)


def lifetime_value(
    bgnbd: BetaGeoModel,
    gamma_gamma: GammaGammaModel,
    summary: pd.DataFrame,
    months: int = 12,
    periods_per_month: float = 30.4375,
    monthly_discount: float = 0.01,
    margin: float = 1.0,
) -> pd.Series:
    """Discounted expected value of each customer over the next ``months`` (the period unit of the summary)."""
    x, tx, t = summary["frequency"], summary["recency"], summary["T"]
    value = gamma_gamma.expected_average_value(x, summary["monetary_value"]) * margin
    total = np.zeros(len(summary))
    previous = bgnbd.expected_purchases(0.0, x, tx, t)
    for month in range(1, months + 1):
        cumulative = bgnbd.expected_purchases(month * periods_per_month, x, tx, t)
        total += (cumulative - previous) * value / (1 + monthly_discount) ** month
        previous = cumulative
    return pd.Series(total, index=summary.index, name="clv")
