"""The effect of training on calendar time: trained reps against reps not yet trained in the same weeks.

Lining reps up on their own training day (before vs after, then one method's gain minus
another's) leaves in anything that happened to everyone on a calendar date: a new CRM screen, a
data-quality drive, the year-end rush. Reps trained at different times meet such a shock on
different sides of their training day, so it leaks into their gains.

Here each trained week of a rep is compared with what that rep would have filled in *that same
week* without training: the rep's own usual level, plus the week's shift common to all reps,
both learnt only from weeks **before** training (the reps not yet trained are the controls). The
difference, averaged per rep and then per method, is the effect; an interval comes from
resampling reps (a seeded bootstrap), because 30 reps are few.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy.linalg import solve
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from .adoption import _weeks

__all__ = ["calendar_time_effect"]


def _fit(unit: np.ndarray, week: np.ndarray, y: np.ndarray, base: np.ndarray, n_units: int,
         n_weeks: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Rep level + week shift, least squares on the ``base`` (untrained) weeks (NaN where not identified).

    Also each rep's and week's linked group: a level plus a shift is known only within one group, so
    one node of each group is fixed at 0 and the others solve the normal equations, which are then
    positive definite (a Cholesky solve, 20 times faster than the least-norm ``lstsq`` on the whole
    singular system; the sums level + shift are the same up to rounding).
    """
    u, w, v = unit[base], week[base] + n_units, y[base]
    size = n_units + n_weeks
    normal = np.zeros((size, size))
    np.add.at(normal, (u, u), 1.0)
    np.add.at(normal, (w, w), 1.0)
    np.add.at(normal, (u, w), 1.0)
    np.add.at(normal, (w, u), 1.0)
    rhs = np.bincount(u, v, minlength=size) + np.bincount(w, v, minlength=size)
    seen = np.diag(normal) > 0
    _, group = connected_components(csr_matrix((np.ones(len(u)), (u, w)), shape=(size, size)), directed=False)
    group = np.where(seen, group, -1)
    nodes = np.flatnonzero(seen)
    anchors = nodes[np.unique(group[nodes], return_index=True)[1]]  # the first node of each group
    free = np.setdiff1d(nodes, anchors)
    coef = np.full(size, np.nan)
    coef[anchors] = 0.0
    if len(free):
        coef[free] = solve(normal[np.ix_(free, free)], rhs[free], assume_a="pos")
    return coef[:n_units], coef[n_units:], group


def _per_rep(unit: np.ndarray, week: np.ndarray, y: np.ndarray, after: np.ndarray, n_units: int,
             n_weeks: int) -> np.ndarray:  # fmt: skip
    """Each unit's mean of (filled - what it would have filled untrained) over its trained weeks."""
    level, shift, group = _fit(unit, week, y, ~after, n_units, n_weeks)
    gap = y - level[unit] - shift[week]
    use = after & np.isfinite(gap) & (group[unit] == group[n_units + week])
    total = np.bincount(unit[use], gap[use], minlength=n_units)
    count = np.bincount(unit[use], minlength=n_units)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def calendar_time_effect(
    reps: pd.DataFrame,
    rep_activity: pd.DataFrame,
    *,
    reference: str = "e_learning",
    exclude: Iterable[int] = (),
    n_boot: int = 500,
    seed: int = 0,
    level: float = 0.95,
) -> pd.DataFrame:
    """The rise in data-entry completeness each training method caused, on calendar time, with intervals.

    For every rep and week, completeness is ``required_fields_filled / required_fields_total``.
    A rep's level and each calendar week's common shift are fitted on the weeks *before*
    training only; a trained week's effect is its completeness minus that rep's level plus that
    week's shift. Weeks after every rep was trained have no control and are left out. Effects are
    averaged per rep, then per method; ``vs_reference`` subtracts the reference method's effect
    (a difference in differences whose controls are the same weeks). Intervals are percentiles of
    ``n_boot`` bootstrap samples of reps, drawn within each method.

    Parameters
    ----------
    reps : DataFrame
        The ``reps`` table: ``rep_id``, ``training_method``, ``trained_on``.
    rep_activity : DataFrame
        The ``rep_activity`` table: one row per rep and week.
    reference : str
        The method the others are compared with.
    exclude : iterable of int
        Rep ids to leave out (e.g. :func:`disengaged_reps`).
    n_boot : int
        Bootstrap samples for the intervals.
    seed : int
        Seed of the bootstrap.
    level : float
        Coverage of the intervals.

    Returns
    -------
    DataFrame
        Indexed by ``training_method``: ``reps``, ``effect`` with ``effect_low`` and ``effect_high``,
        and ``vs_reference`` with ``vs_low`` and ``vs_high`` (shares: 0.1 is 10 points).

    Examples
    --------
    Two reps of each method; the CRM got easier for everyone from the 5th week (+0.1), which
    rep 1 and 2 (trained in week 3) meet after their training and reps 3 and 4 (trained in week
    7) before it. Training added 0.2 (a) and 0.1 (b).

    >>> weeks = pd.date_range("2024-01-01", periods=10, freq="W-MON")
    >>> rows = [(r, w, 0.5 + 0.01 * r + 0.1 * (i >= 4) + (0.2 if m == "a" else 0.1) * (w >= t))
    ...         for r, m, t in [(1, "a", weeks[2]), (2, "b", weeks[2]), (3, "a", weeks[6]), (4, "b", weeks[6])]
    ...         for i, w in enumerate(weeks)]
    >>> act = pd.DataFrame(rows, columns=["rep_id", "week_start", "share"]).assign(
    ...     required_fields_total=100, required_fields_filled=lambda d: (100 * d["share"]).round())
    >>> reps = pd.DataFrame({"rep_id": [1, 2, 3, 4], "training_method": ["a", "b", "a", "b"],
    ...                      "trained_on": [weeks[2], weeks[2], weeks[6], weeks[6]]})
    >>> calendar_time_effect(reps, act, reference="b", n_boot=50)[["reps", "effect", "vs_reference"]].round(2)
                     reps  effect  vs_reference
    training_method
    a                   2     0.2           0.1
    b                   2     0.1           0.0
    """
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 10:
        raise ValueError(f"The value for `n_boot` must be a whole number, at least 10, but {n_boot!r} was passed.")
    if not 0 < level < 1:
        raise ValueError(f"The value for `level` must be between 0 and 1 (e.g. 0.95), but {level!r} was passed.")
    weeks = _weeks(reps, rep_activity, exclude)
    weeks = weeks[weeks["required_fields_total"] > 0]
    methods = weeks.groupby("rep_id")["training_method"].first()
    if reference not in set(methods):
        raise ValueError(f"The value for `reference` must be one of {sorted(set(methods))}, but {reference!r} "
                         "was passed.")  # fmt: skip
    rep_codes, rep_ids = pd.factorize(weeks["rep_id"])
    week_codes, week_ids = pd.factorize(weeks["week_start"])
    y = (weeks["required_fields_filled"] / weeks["required_fields_total"]).to_numpy(float)
    after = weeks["after"].to_numpy(bool)
    method_of = methods.reindex(rep_ids).to_numpy()
    rows_of = [np.flatnonzero(rep_codes == i) for i in range(len(rep_ids))]

    method_code, names = pd.factorize(method_of, sort=True)  # each rep's method (-1: none), methods sorted

    def summarise(per_rep: np.ndarray, code: np.ndarray) -> np.ndarray:
        """Each method's mean over its reps that have an effect (NaN for none); reps without a method left out."""
        known = np.isfinite(per_rep) & (code >= 0)
        total = np.bincount(code[known], per_rep[known], minlength=len(names))
        count = np.bincount(code[known], minlength=len(names))
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)

    per_rep = _per_rep(rep_codes, week_codes, y, after, len(rep_ids), len(week_ids))
    point = pd.Series(summarise(per_rep, method_code), index=pd.Index(names.tolist()))
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(method_code == i) for i in range(len(names))]
    draws = np.empty((n_boot, len(names)))
    for b in range(n_boot):
        picked = np.concatenate([rng.choice(g, size=len(g), replace=True) for g in groups])
        idx = np.concatenate([rows_of[r] for r in picked])
        unit = np.repeat(np.arange(len(picked)), [len(rows_of[r]) for r in picked])
        boot = _per_rep(unit, week_codes[idx], y[idx], after[idx], len(picked), len(week_ids))
        draws[b] = summarise(boot, method_code[picked])
    draws = pd.DataFrame(draws, columns=point.index)
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    vs = draws.sub(draws[reference], axis=0)
    out = pd.DataFrame({
        "reps": pd.Series(method_of).value_counts().reindex(point.index),
        "effect": point, "effect_low": draws.quantile(lo), "effect_high": draws.quantile(hi),
        "vs_reference": point - point[reference], "vs_low": vs.quantile(lo), "vs_high": vs.quantile(hi),
    })  # fmt: skip
    return out.rename_axis("training_method")
