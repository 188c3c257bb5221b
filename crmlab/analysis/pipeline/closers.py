"""Do reps who fill in the CRM close faster? Data-entry completeness against each rep's sales cycle.

Completeness after training is lesson 02's measure (:func:`crmlab.analysis.training.adoption_by_rep`);
the cycle is lesson 01's (:func:`crmlab.analysis.kpis.sales_cycle_days`). This module only lines
them up, rep by rep, and measures how closely they go together.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from crmlab.analysis import kpis, training
from crmlab.validation import require_table


def closing_speed(
    opportunities: pd.DataFrame,
    reps: pd.DataFrame,
    rep_activity: pd.DataFrame,
    *,
    exclude: Iterable[int] = (),
    min_won: int = 3,
) -> pd.DataFrame:
    """Each sales rep's data-entry completeness after training next to the median cycle of their won deals.

    Parameters
    ----------
    opportunities, reps, rep_activity : DataFrame
        The CRM tables of those names.
    exclude : iterable of int
        Reps to leave out, e.g. those whose data entry fades for other reasons
        (:func:`crmlab.analysis.training.disengaged_reps`).
    min_won : int
        Reps with fewer won deals are left out: a median of one or two deals says little.

    Returns
    -------
    DataFrame
        Indexed by ``rep_id``: ``team``, ``region``, ``training_method``, ``completeness``
        (share of required fields filled after training), ``won_deals`` and ``median_cycle_days``.

    Examples
    --------
    >>> import crmlab
    >>> crm = crmlab.load_crm(tables=["opportunities", "reps", "rep_activity"])
    >>> per_rep = closing_speed(crm.opportunities, crm.reps, crm.rep_activity, exclude=[1, 23])
    >>> len(per_rep), per_rep.columns.tolist()[-3:]
    (18, ['completeness', 'won_deals', 'median_cycle_days'])
    """
    if not isinstance(min_won, (int, np.integer)) or min_won < 1:
        raise ValueError(f"The value for `min_won` must be a whole number, at least 1, but {min_won!r} was passed.")
    require_table(reps, "reps", ["rep_id", "team", "region", "training_method", "trained_on"])
    cycle = kpis.sales_cycle_days(require_table(opportunities, "opportunities", ["rep_id"]), by="rep_id")
    after = training.adoption_by_rep(reps, rep_activity, exclude=exclude)["after"]
    info = reps.set_index("rep_id")[["team", "region", "training_method"]]
    out = info.join(after.rename("completeness"), how="inner").join(cycle, how="inner")
    out = out.rename(columns={"sales_cycle_days": "median_cycle_days", "n": "won_deals"})
    out = out[(out["won_deals"] >= min_won) & out["completeness"].notna()]
    out["won_deals"] = out["won_deals"].astype("int64")
    return out[["team", "region", "training_method", "completeness", "won_deals", "median_cycle_days"]]


def closer_correlation(
    per_rep: pd.DataFrame, *, x: str = "completeness", y: str = "median_cycle_days"
) -> pd.Series:
    """How closely ``x`` and ``y`` go together across reps: correlations, a 95% interval, and the slope.

    Parameters
    ----------
    per_rep : DataFrame
        One row per rep, e.g. the result of :func:`closing_speed`.
    x, y : str
        Columns of ``per_rep``.

    Returns
    -------
    Series
        ``reps``; ``pearson_r`` with ``r_low`` and ``r_high`` (95% interval, Fisher's z);
        ``spearman_r`` (ranks only); ``days_per_10_points``: the change in ``y`` per
        +0.10 of ``x``, from a straight-line fit.

    Examples
    --------
    >>> per_rep = pd.DataFrame({"completeness": [0.55, 0.6, 0.7, 0.75, 0.8, 0.9],
    ...                         "median_cycle_days": [75, 80, 62, 66, 50, 48]})
    >>> closer_correlation(per_rep).round(2)
    reps                  6.00
    pearson_r            -0.92
    r_low                -0.99
    r_high               -0.44
    spearman_r           -0.89
    days_per_10_points   -9.24
    dtype: float64
    """
    d = require_table(per_rep, "per_rep", [x, y], fix="Pass the result of `closing_speed`.")[[x, y]].dropna()
    if len(d) < 4:
        raise ValueError(f"At least 4 reps with both `{x}` and `{y}` are needed, but `per_rep` has {len(d)}.")
    r = d[x].corr(d[y])
    half = 1.96 / np.sqrt(len(d) - 3)
    z = np.arctanh(np.clip(r, -0.999999, 0.999999))
    slope = np.polyfit(d[x], d[y], 1)[0]
    return pd.Series({"reps": float(len(d)), "pearson_r": r, "r_low": np.tanh(z - half), "r_high": np.tanh(z + half),
                      "spearman_r": d[x].corr(d[y], method="spearman"), "days_per_10_points": slope / 10})  # fmt: skip
