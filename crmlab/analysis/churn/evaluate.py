"""Is the churn model useful, and can its probabilities be taken at face value?

:func:`gains_table` answers the retention team's question: if we call the top 10%, 20%,
... of customers by churn score, what share of the churners do we reach, and how many
times better than calling at random is that (the *lift*)? :func:`reliability_table`
checks calibration: among customers given about 30%, do about 30% churn?
:func:`brier_difference` says whether one model's probabilities are really better than
another's on the same customers, or only by the noise of a finite test set.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["brier_difference", "gains_table", "lift_at", "reliability_table"]


def _outcomes_and_scores(y_true, score) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype="float64").ravel()
    s = np.asarray(score, dtype="float64").ravel()
    if len(y) != len(s) or len(y) == 0:
        raise ValueError(f"`y_true` and `score` must be non-empty and of the same length, "
                         f"but they have {len(y)} and {len(s)} values.")  # fmt: skip
    if np.isnan(y).any() or np.isnan(s).any() or not np.isin(y, [0.0, 1.0]).all():
        raise ValueError("`y_true` must hold only 0/1 (or False/True) and `score` only numbers, none missing.")
    if y.sum() == 0:
        raise ValueError("`y_true` holds no churner: gains and lift are not defined.")
    return y, s


def gains_table(y_true, score, n_groups: int = 10) -> pd.DataFrame:
    """Customers sorted by score (highest first) in equal groups: churners caught and lift.

    Parameters
    ----------
    y_true : array-like of bool
        Whether each customer churned.
    score : array-like of float
        The model's churn probability (or any score where higher means riskier).
    n_groups : int
        Number of groups: 10 gives deciles.

    Returns
    -------
    DataFrame
        Indexed by ``group`` (1 = riskiest): ``customers``, ``churners``, ``churn_rate``,
        ``lift`` (churn rate of the group / overall churn rate), ``share_contacted`` and
        ``share_caught`` (cumulative shares of customers and of churners, top group first).

    Examples
    --------
    >>> gains_table([1, 1, 0, 1, 0, 0, 0, 0], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2], n_groups=4)
           customers  churners  churn_rate  lift  share_contacted  share_caught
    group
    1              2         2         1.0  2.67             0.25      0.666667
    2              2         1         0.5  1.33             0.50      1.000000
    3              2         0         0.0  0.00             0.75      1.000000
    4              2         0         0.0  0.00             1.00      1.000000
    """
    y, s = _outcomes_and_scores(y_true, score)
    if isinstance(n_groups, bool) or not isinstance(n_groups, (int, np.integer)) or not 1 <= n_groups <= len(y):
        raise ValueError(f"The value for `n_groups` must be a whole number from 1 to {len(y)}, "
                         f"but {n_groups!r} was passed.")  # fmt: skip
    order = np.argsort(-s, kind="stable")
    group = np.arange(len(y)) * n_groups // len(y) + 1
    frame = pd.DataFrame({"group": group, "churned": y[order]})
    out = frame.groupby("group")["churned"].agg(customers="size", churners="sum")
    out["churners"] = out["churners"].astype("int64")
    out["churn_rate"] = out["churners"] / out["customers"]
    out["lift"] = (out["churn_rate"] / y.mean()).round(2)
    out["share_contacted"] = out["customers"].cumsum() / len(y)
    out["share_caught"] = out["churners"].cumsum() / y.sum()
    return out


def lift_at(y_true, score, share: float = 0.1) -> float:
    """Lift of the riskiest ``share`` of customers: their churn rate / the overall churn rate.

    Examples
    --------
    >>> lift_at([1, 1, 0, 1, 0, 0, 0, 0], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2], share=0.25)
    2.6666666666666665
    """
    y, s = _outcomes_and_scores(y_true, score)
    if not isinstance(share, (int, float, np.floating)) or not 0 < share <= 1:
        raise ValueError(f"The value for `share` must be a number in (0, 1], such as 0.1, but {share!r} was passed.")
    top = max(1, int(round(share * len(y))))
    order = np.argsort(-s, kind="stable")
    return float(y[order[:top]].mean() / y.mean())


def reliability_table(y_true, proba, n_bins: int = 10) -> pd.DataFrame:
    """Predicted probability against the observed churn rate, in bins of equal size.

    A well calibrated model has ``observed`` close to ``predicted`` in every bin; that
    is what lets a manager read "30%" as "3 in 10 such customers will leave".

    Returns
    -------
    DataFrame
        Indexed by ``bin`` (1 = lowest probabilities): ``customers``, ``predicted``
        (mean probability) and ``observed`` (churn rate).

    Examples
    --------
    >>> reliability_table([0, 0, 1, 0, 1, 1], [0.1, 0.2, 0.3, 0.6, 0.7, 0.9], n_bins=2)
         customers  predicted  observed
    bin
    1            3   0.200000  0.333333
    2            3   0.733333  0.666667
    """
    y, p = _outcomes_and_scores(y_true, proba)
    if ((p < 0) | (p > 1)).any():
        raise ValueError("`proba` must hold probabilities between 0 and 1: use `model.predict_proba(X)[:, 1]`.")
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or not 1 <= n_bins <= len(y):
        raise ValueError(f"The value for `n_bins` must be a whole number from 1 to {len(y)}, "
                         f"but {n_bins!r} was passed.")  # fmt: skip
    order = np.argsort(p, kind="stable")
    bins = np.empty(len(y), dtype="int64")
    bins[order] = np.arange(len(y)) * n_bins // len(y) + 1
    frame = pd.DataFrame({"bin": bins, "p": p, "y": y})
    return frame.groupby("bin").agg(customers=("y", "size"), predicted=("p", "mean"), observed=("y", "mean"))


def brier_difference(y_true, proba_a, proba_b, n_boot: int = 2_000, seed: int = 0) -> pd.Series:
    """Brier scores of two models on the same customers, their difference and its 95% interval.

    The Brier score is the mean squared gap between predicted probability and outcome
    (lower is better). A small difference on one test set may be noise: the interval
    comes from a paired bootstrap, resampling customers (both models' predictions for
    the same customers together) ``n_boot`` times.

    Parameters
    ----------
    y_true : array-like of bool
        Whether each customer churned.
    proba_a, proba_b : array-like of float
        The two models' churn probabilities for the same customers, in the same order.
    n_boot : int
        Bootstrap resamples.
    seed : int
        Seed of the resampling, so every run gives the same interval.

    Returns
    -------
    Series
        ``brier_a``, ``brier_b``, ``difference`` (``brier_b - brier_a``: negative when
        ``b`` is better) and ``low``, ``high`` (its 95% percentile interval). An interval
        that contains 0 means this test set cannot tell the two models apart.

    Examples
    --------
    >>> y = [0, 0, 1, 1, 0, 1, 0, 0]
    >>> brier_difference(y, [0.5] * 8, [0.1, 0.2, 0.8, 0.7, 0.3, 0.9, 0.2, 0.1], n_boot=200).round(3)
    brier_a       0.250
    brier_b       0.041
    difference   -0.209
    low          -0.229
    high         -0.186
    dtype: float64
    """
    y, a = _outcomes_and_scores(y_true, proba_a)
    _, b = _outcomes_and_scores(y_true, proba_b)
    for name, p in (("proba_a", a), ("proba_b", b)):
        if ((p < 0) | (p > 1)).any():
            raise ValueError(f"`{name}` must hold probabilities between 0 and 1: use `model.predict_proba(X)[:, 1]`.")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 100:
        raise ValueError(f"The value for `n_boot` must be a whole number of at least 100, but {n_boot!r} was passed.")
    gap = (b - y) ** 2 - (a - y) ** 2
    draws = np.random.default_rng(seed).integers(0, len(y), size=(n_boot, len(y)))
    low, high = np.percentile(gap[draws].mean(axis=1), [2.5, 97.5])
    return pd.Series({"brier_a": float(((a - y) ** 2).mean()), "brier_b": float(((b - y) ** 2).mean()),
                      "difference": float(gap.mean()), "low": float(low), "high": float(high)})  # fmt: skip
