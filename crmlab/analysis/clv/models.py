"""The BG/NBD and Gamma-Gamma models: how often, how long, and how much each customer buys.

Estimators follow scikit-learn: ``fit`` returns ``self``, fitted parameters end in ``_``,
nothing happens in ``__init__``. Both are fitted by maximum likelihood on the per-customer
summary of :func:`crmlab.analysis.rfm.rfm_summary`: scipy's BFGS on the log of the
parameters, with the exact gradient of the log-likelihood (derived below from the papers'
formulas), so the optimiser stops because the gradient is zero, not because finite
differences ran out of precision. Customers with the same summary share one likelihood
term, and the special functions (``gammaln``, ``digamma``) are evaluated once per distinct
frequency, so the fit stays fast on large customer bases (the 23,570 CDNOW customers
collapse to about 8,700 distinct rows and fewer than 40 distinct frequencies).

Each fit reports how it ended in ``convergence_`` (a :class:`Convergence`) and warns with a
:class:`ConvergenceWarning` when the optimiser failed or the data do not pin the
parameters down (a log-likelihood flat in some direction, or still rising towards zero or
infinity).

References
----------
Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to the
Pareto/NBD model", Marketing Science 24(2). Fader, Hardie & Lee (2005), "RFM and CLV: using
iso-value curves for customer base analysis", Journal of Marketing Research 42(4), and
Fader & Hardie (2013), "The Gamma-Gamma model of monetary value".
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import optimize, special

__all__ = ["BetaGeoModel", "Convergence", "ConvergenceWarning", "GammaGammaModel"]

_GTOL = 1e-6  # BFGS stops when no partial derivative of the mean log-likelihood (log-parameters) exceeds this
_MAX_STEP = 1e-6  # a Newton step still changing a parameter by more than 1e-4 %: not at the maximum
_FLAT = 1e-9  # a Hessian eigenvalue below this share of the largest: the log-likelihood does not curve down


class ConvergenceWarning(UserWarning):
    """A model's fit did not reach a maximum of the likelihood; its parameters are not to be trusted."""


@dataclass(frozen=True)
class Convergence:
    """How a maximum-likelihood fit ended.

    Attributes
    ----------
    success : bool
        True when the optimiser stopped at a clear maximum: zero gradient, a log-likelihood
        curved downwards in every direction, and parameters no longer moving.
    message : str
        The optimiser's message, or why the fit is not trusted.
    iterations : int
        BFGS iterations.
    gradient_norm : float
        Largest partial derivative, in absolute value, of the mean log-likelihood per
        customer with respect to the log of the parameters, at the fitted parameters.

    Examples
    --------
    >>> Convergence(True, "Optimization terminated successfully.", 26, 4.3e-09).success
    True
    """

    success: bool
    message: str
    iterations: int
    gradient_norm: float


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
    """The distinct rows of the stacked arrays, sorted, and how many customers share each.

    A lexicographic sort of the columns: ``np.unique(..., axis=0)`` does the same ten times slower.
    """
    order = np.lexsort(arrays[::-1])
    columns = [a[order] for a in arrays]
    same = np.zeros(len(order), dtype=bool)  # as the row before
    same[1:] = True
    for c in columns:
        same[1:] &= c[1:] == c[:-1]
    starts = np.flatnonzero(~same)
    counts = np.diff(np.append(starts, len(order)))
    return [c[starts] for c in columns], counts.astype("float64")


def _maximise(log_likelihood, start: list[float], names: tuple[str, ...], model: str) -> tuple[np.ndarray, Convergence]:
    """Maximise a log-likelihood over positive parameters: BFGS on their logs with the exact gradient.

    ``log_likelihood(log_params)`` returns the mean log-likelihood per customer and its
    gradient with respect to ``log_params``. BFGS stops at a gradient of ``_GTOL``, where the
    log-likelihood still changes by more than its rounding error (much below, its line search
    fails with "precision loss"); the Hessian, by central differences of the gradient, then
    checks that the point is a clear maximum, and a few Newton steps, which need only the
    gradient, finish the climb. A fit that ends anywhere else warns
    (:class:`ConvergenceWarning`) and says why in the returned :class:`Convergence`.
    """

    def gradient(log_params):  # of minus the log-likelihood, the function minimised
        return -log_likelihood(log_params)[1]

    best = {"value": -np.inf}  # the highest finite point visited, with its gradient

    def objective(log_params):
        value, grad = log_likelihood(log_params)
        if np.isfinite(value) and value > best["value"] and np.isfinite(grad).all() and np.isfinite(log_params).all():
            best.update(value=value, x=np.array(log_params, dtype="float64"), jac=-np.asarray(grad, dtype="float64"))
        return -value, -grad

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        result = optimize.minimize(objective, np.log(start), jac=True, method="BFGS",
                                   options={"gtol": _GTOL, "maxiter": 1_000})  # fmt: skip
        log_params, g = result.x, result.jac
        if not (np.isfinite(log_params).all() and np.isfinite(g).all()) and "x" in best:
            # A degenerate fit can run off to where the log-likelihood overflows: report from the
            # highest finite point reached instead, whose parameters and Hessian say which ones ran off.
            log_params, g = best["x"], best["jac"]
        if np.isfinite(log_params).all() and np.isfinite(g).all():
            hessian = _hessian(gradient, log_params)
            problem = _flat_directions(hessian, names)
            if problem is None:
                log_params, g, problem = _newton_steps(gradient, hessian, log_params, g, names)
        else:
            problem = "the log-likelihood is not finite"
    if problem is None:
        message = str(result.message) if result.success else (
            f"BFGS stopped early ({result.message.rstrip('.')}); Newton steps from there reached the maximum.")
    elif result.success:
        message = problem = f"{problem}: the best values may be zero or infinite"
    else:
        message = problem = f"BFGS stopped early ({result.message.rstrip('.')}) where {problem}"
    convergence = Convergence(problem is None, message, int(result.nit), float(np.max(np.abs(g))))
    if problem is not None:
        warnings.warn(f"{model} did not converge: {problem}. Its parameters are not maximum-likelihood estimates; "
                      "check the data (enough customers, repeat purchases, varied values) before using them.",
                      ConvergenceWarning, stacklevel=3)  # fmt: skip
    return np.exp(log_params), convergence


def _hessian(gradient, log_params: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """The Hessian by central differences of the exact gradient, made symmetric."""
    columns = [(gradient(log_params + h * e) - gradient(log_params - h * e)) / (2 * h) for e in np.eye(len(log_params))]
    hessian = np.column_stack(columns)
    return (hessian + hessian.T) / 2


def _flat_directions(hessian: np.ndarray, names: tuple[str, ...]) -> str | None:
    """Why the log-likelihood has no clear maximum here (minus its Hessian is not positive definite), or None."""
    if not np.isfinite(hessian).all():
        return "the log-likelihood is not finite around the parameters reached"
    values, vectors = np.linalg.eigh(hessian)
    flat = values <= _FLAT * max(values[-1], 0.0)
    if not flat.any():
        return None
    which = [f"`{n}`" for n, big in zip(names, np.abs(vectors[:, flat]).max(axis=1) > 0.3, strict=True) if big]
    listed = " and ".join(which) if len(which) < 3 else ", ".join(which[:-1]) + " and " + which[-1]
    them = "it" if len(which) == 1 else "them"
    return f"the log-likelihood does not curve down along {listed}, so the data cannot pin {them} down"


def _newton_steps(gradient, hessian: np.ndarray, log_params: np.ndarray, g: np.ndarray,
                  names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, str | None]:  # fmt: skip
    """Newton steps to the maximum; the parameters, the gradient there, and why it is not reached (or None).

    The Hessian is kept from the start: near the maximum a few digits of it are enough.
    """
    step = np.linalg.solve(hessian, g)
    for _ in range(5):
        if np.max(np.abs(step)) < 1e-12:
            break
        trial = log_params - step
        g_trial = gradient(trial)
        if not np.max(np.abs(g_trial)) < np.max(np.abs(g)):
            break
        log_params, g, step = trial, g_trial, np.linalg.solve(hessian, g_trial)
    worst = int(np.argmax(np.abs(step)))
    if np.max(np.abs(g)) > _GTOL or abs(step[worst]) > _MAX_STEP:
        change = abs(np.expm1(-step[worst])) * 100
        return log_params, g, f"`{names[worst]}` was still changing (by {change:.2g} % on the next Newton step)"
    return log_params, g, None


class _BgNbdData(NamedTuple):
    """Distinct (x, t_x, T) rows with their weights, and the distinct frequencies they use."""

    x: np.ndarray
    tx: np.ndarray
    t: np.ndarray
    weight: np.ndarray
    unique_x: np.ndarray  # distinct frequencies: the special functions are evaluated once for each
    weight_x: np.ndarray  # customers per distinct frequency
    repeat: slice  # the rows with x > 0 (the last ones), the only customers who may have dropped out
    repeat_x: np.ndarray  # for those rows, the position of their frequency in unique_x


def _bgnbd_data(x: np.ndarray, tx: np.ndarray, t: np.ndarray, weight: np.ndarray) -> _BgNbdData:
    order = np.argsort(x, kind="stable")
    x, tx, t, weight = x[order], tx[order], t[order], weight[order]
    unique_x, where = np.unique(x, return_inverse=True)
    repeat = slice(int(np.searchsorted(x, 0.0, side="right")), None)
    return _BgNbdData(x, tx, t, weight, unique_x, np.bincount(where, weights=weight, minlength=len(unique_x)),
                      repeat, where[repeat])  # fmt: skip


def _bgnbd_log_likelihood(log_params: np.ndarray, data: _BgNbdData) -> tuple[float, np.ndarray]:
    """Mean BG/NBD log-likelihood per customer and its gradient with respect to log(r, alpha, a, b).

    Fader, Hardie & Lee (2005), equation 6, for a customer with ``x`` repeat purchases, the
    last at ``t_x``, observed until ``T``: ``L = A1 * A2 * (1 + [x > 0] * exp(d))`` with

    - ``ln A1 = lnG(r + x) - lnG(r) + r ln(alpha)``
    - ``ln A2 = lnB(a, b + x) - lnB(a, b) - (r + x) ln(alpha + T)`` (alive at ``T``)
    - ``d = ln(a) - ln(b + x - 1) + (r + x) [ln(alpha + T) - ln(alpha + t_x)]``, the log of the
      paper's dropped-out term over the alive one (``B(a + 1, b + x - 1) / B(a, b + x) =
      a / (b + x - 1)``), added as ``softplus(d) = logaddexp(0, d)`` without overflow.

    The gradient differentiates each piece (``psi`` is the digamma function): ``d lnG(z) = psi(z)``,
    ``d lnB(u, w)/du = psi(u) - psi(u + w)``, ``d softplus(d) = expit(d) dd``; then the chain
    rule for logs, ``dL/d ln(r) = r dL/dr``. With ``s = [x > 0] expit(d)``:

    - ``d/dr = psi(r + x) - psi(r) + ln(alpha) - ln(alpha + T) + s [ln(alpha + T) - ln(alpha + t_x)]``
    - ``d/dalpha = r / alpha - (r + x) / (alpha + T) + s (r + x) [1 / (alpha + T) - 1 / (alpha + t_x)]``
    - ``d/da = psi(a + b) - psi(a + b + x) + s / a``
    - ``d/db = psi(b + x) - psi(b) + psi(a + b) - psi(a + b + x) - s / (b + x - 1)``
    """
    r, alpha, a, b = np.exp(log_params)
    ux, wx, n = data.unique_x, data.weight_x, data.weight.sum()
    ab, abx = special.digamma(a + b), special.digamma(a + b + ux)
    value = (wx @ (special.gammaln(r + ux) + special.betaln(a, b + ux))
             + n * (r * np.log(alpha) - special.gammaln(r) - special.betaln(a, b)))  # fmt: skip
    ln_t = np.log(alpha + data.t)
    value -= data.weight @ ((r + data.x) * ln_t)
    d_r = wx @ special.digamma(r + ux) + n * (np.log(alpha) - special.digamma(r)) - data.weight @ ln_t
    d_alpha = n * r / alpha - data.weight @ ((r + data.x) / (alpha + data.t))
    d_a = wx @ (ab - abx)
    d_b = wx @ (special.digamma(b + ux) - special.digamma(b) + ab - abx)

    i = data.repeat  # a slice: views, no copies
    x, w, t, tx = data.x[i], data.weight[i], data.t[i], data.tx[i]
    b_x = np.maximum(b + ux - 1, 1e-12)  # b + x - 1 >= b for whole x >= 1; guards fractional frequencies
    d_b_x = np.where(b + ux - 1 > 1e-12, 1 / b_x, 0.0)[data.repeat_x]
    gap = ln_t[i] - np.log(alpha + tx)
    d = np.log(a) - np.log(b_x)[data.repeat_x] + (r + x) * gap
    value += w @ np.logaddexp(0.0, d)
    s = w * special.expit(d)
    d_r += s @ gap
    d_alpha += s @ ((r + x) * (1 / (alpha + t) - 1 / (alpha + tx)))
    d_a += s.sum() / a
    d_b -= s @ d_b_x
    return value / n, np.array([r * d_r, alpha * d_alpha, a * d_a, b * d_b]) / n


class _GammaGammaData(NamedTuple):
    """Distinct (x, m) rows with weights, the distinct frequencies, and sums that do not depend on the parameters."""

    x: np.ndarray
    m: np.ndarray
    weight: np.ndarray
    unique_x: np.ndarray
    weight_x: np.ndarray
    sum_ln_m: float  # sum of w ln(m)
    sum_x_ln_xm: float  # sum of w x ln(x m)


def _gamma_gamma_data(x: np.ndarray, m: np.ndarray, weight: np.ndarray) -> _GammaGammaData:
    unique_x, where = np.unique(x, return_inverse=True)
    return _GammaGammaData(x, m, weight, unique_x, np.bincount(where, weights=weight, minlength=len(unique_x)),
                           float(weight @ np.log(m)), float(weight @ (x * np.log(x * m))))  # fmt: skip


def _gamma_gamma_log_likelihood(log_params: np.ndarray, data: _GammaGammaData) -> tuple[float, np.ndarray]:
    """Mean Gamma-Gamma log-likelihood per customer and its gradient with respect to log(p, q, v).

    Fader & Hardie (2013), the density of the average ``m`` of ``x`` repeat purchases:
    ``ln f = lnG(px + q) - lnG(px) - lnG(q) + q ln(v) + (px - 1) ln(m) + px ln(x) - (px + q) ln(v + m x)``,
    so (``psi`` the digamma function)

    - ``d/dp = x [psi(px + q) - psi(px) + ln(x m) - ln(v + m x)]``
    - ``d/dq = psi(px + q) - psi(q) + ln(v) - ln(v + m x)``
    - ``d/dv = q / v - (px + q) / (v + m x)``

    and ``d/d ln(p) = p d/dp`` and so on.
    """
    p, q, v = np.exp(log_params)
    ux, wx, n = data.unique_x, data.weight_x, data.weight.sum()
    px = p * ux
    ln_vmx = np.log(v + data.m * data.x)
    value = (wx @ (special.gammaln(px + q) - special.gammaln(px)) + n * (q * np.log(v) - special.gammaln(q))
             + p * data.sum_x_ln_xm - data.sum_ln_m - data.weight @ ((p * data.x + q) * ln_vmx))  # fmt: skip
    psi_pxq = special.digamma(px + q)
    d_p = wx @ (ux * (psi_pxq - special.digamma(px))) + data.sum_x_ln_xm - data.weight @ (data.x * ln_vmx)
    d_q = wx @ psi_pxq + n * (np.log(v) - special.digamma(q)) - data.weight @ ln_vmx
    d_v = n * q / v - data.weight @ ((p * data.x + q) / (v + data.m * data.x))
    return value / n, np.array([p * d_p, q * d_q, v * d_v]) / n


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
    convergence_ : Convergence
        How the fit ended: ``success``, the optimiser's ``message``, ``iterations`` and the
        ``gradient_norm`` at the fitted parameters. A fit that fails also warns.

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

        Warns
        -----
        ConvergenceWarning
            If the fit does not end at a clear maximum of the likelihood; ``convergence_``
            says why. Six customers, say, cannot tell how likely dropping out is.

        Examples
        --------
        >>> from crmlab.datasets import load_cdnow
        >>> from crmlab.analysis.clv import calibration_holdout
        >>> weeks, _ = calibration_holdout(load_cdnow("sample"), "1997-09-30", "1998-06-30", period_days=7)
        >>> model = BetaGeoModel().fit(weeks["frequency"], weeks["recency"], weeks["T"])
        >>> round(model.log_likelihood_, 1), model.n_customers_, model.convergence_.success
        (-9582.4, 2357, True)
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     tiny = BetaGeoModel().fit([0, 2, 5, 1, 0, 3], [0, 20, 30, 4, 0, 35], [40, 38, 36, 39, 40, 37])
        >>> tiny.convergence_.success, caught[0].category.__name__
        (False, 'ConvergenceWarning')
        """
        data = _arrays(frequency=frequency, recency=recency, T=T)
        if len(data["frequency"]) == 0:
            raise ValueError("`frequency`, `recency` and `T` are empty: fitting needs customers.")
        if (data["recency"] > data["T"]).any():
            raise ValueError("`recency` cannot exceed `T`: a last purchase cannot come after the end of observation.")
        (x, tx, t), weight = _distinct_rows(data["frequency"], data["recency"], data["T"])
        rows = _bgnbd_data(x, tx, t, weight)
        params, self.convergence_ = _maximise(lambda p: _bgnbd_log_likelihood(p, rows),
                                              [1.0, max(float(data["T"].mean()), 1.0), 1.0, 1.0],
                                              ("r", "alpha", "a", "b"), "BetaGeoModel")  # fmt: skip
        self.r_, self.alpha_, self.a_, self.b_ = (float(v) for v in params)
        self.log_likelihood_ = float(_bgnbd_log_likelihood(np.log(params), rows)[0] * weight.sum())
        self.n_customers_ = len(data["frequency"])
        return self

    @property
    def params_(self) -> dict[str, float]:
        """The fitted parameters by name: ``r``, ``alpha``, ``a``, ``b``."""
        self._check_fitted()
        return {"r": self.r_, "alpha": self.alpha_, "a": self.a_, "b": self.b_}

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
    log_likelihood_ : float
        Log-likelihood at the fitted parameters (after :meth:`fit`).
    convergence_ : Convergence
        How the fit ended (see :class:`BetaGeoModel`).

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

        Warns
        -----
        ConvergenceWarning
            If the fit does not end at a clear maximum of the likelihood; ``convergence_``
            says why (e.g. too few customers to tell how much their averages vary).

        Examples
        --------
        >>> model = GammaGammaModel().fit([1, 2, 4, 1, 3, 2, 1, 5], [20.0, 35.0, 30.0, 12.0, 50.0, 90.0, 8.0, 25.0])
        >>> bool(model.p_ > 0 and model.q_ > 0 and model.v_ > 0), model.convergence_.success
        (True, True)
        """
        d = _arrays(frequency=frequency, monetary_value=monetary_value)
        x, m = d["frequency"], d["monetary_value"]
        if len(x) == 0:
            raise ValueError("`frequency` and `monetary_value` are empty: fitting needs repeat buyers.")
        if (x <= 0).any() or (m <= 0).any():
            raise ValueError("GammaGammaModel needs customers with frequency > 0 and monetary_value > 0 only: "
                             "filter with `summary[summary['frequency'] > 0]`.")
        (x, m), weight = _distinct_rows(x, m)
        rows = _gamma_gamma_data(x, m, weight)
        params, self.convergence_ = _maximise(lambda p: _gamma_gamma_log_likelihood(p, rows),
                                              [1.0, 1.0, max(float(d["monetary_value"].mean()), 1.0)],
                                              ("p", "q", "v"), "GammaGammaModel")  # fmt: skip
        self.p_, self.q_, self.v_ = (float(v) for v in params)
        self.log_likelihood_ = float(_gamma_gamma_log_likelihood(np.log(params), rows)[0] * weight.sum())
        return self

    @property
    def params_(self) -> dict[str, float]:
        """The fitted parameters by name: ``p``, ``q``, ``v``, as lifetimes' ``GammaGammaFitter.params_``."""
        self._check_fitted()
        return {"p": self.p_, "q": self.q_, "v": self.v_}

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
