"""How much did the campaign add? Response rates, the uplift with its interval, and a test.

The **uplift** is the difference in response rates, treatment minus control, in
percentage points (absolute). The **relative uplift** divides it by the control's
rate. Both come with confidence intervals from :mod:`statsmodels`:

- the difference: a Wald interval, ``d ± z * sqrt(p1 (1 - p1) / n1 + p0 (1 - p0) / n0)``;
- the ratio: Katz's log interval, ``exp(log(p1 / p0) ± z * sqrt(1/x1 - 1/n1 + 1/x0 - 1/n0))``;
- the test: the two-proportion z-test with the pooled rate (:func:`proportions_ztest`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint, proportions_ztest

from crmlab.validation import choice, fraction, positive, require_table

__all__ = ["compare_periods", "holdout_gaps", "response_rates", "uplift_test"]


def _outcome(frame: pd.DataFrame, outcome: str) -> pd.Series:
    """The outcome column as 0/1 floats; a clear error for anything else."""
    values = frame[outcome]
    if pd.api.types.is_bool_dtype(values):
        return values.astype(float)
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().any() or not numbers.isin([0, 1]).all():
        raise ValueError(
            f"The column `{outcome}` must hold True/False (or 1/0) for every customer: whether they "
            f"responded. It holds other values, e.g. {values[~numbers.isin([0, 1])].iloc[0]!r}."
        )
    return numbers.astype(float)


def response_rates(
    frame: pd.DataFrame, outcome: str = "responded", group_col: str = "group", confidence: float = 0.95
) -> pd.DataFrame:
    """Customers, responders and the response rate of each group, with Wilson intervals.

    Parameters
    ----------
    frame : DataFrame
        One row per customer: the group and the outcome (True/False).
    outcome : str
        The outcome column, e.g. ``responded``.
    group_col : str
        The column holding the group.
    confidence : float
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Indexed by group: ``customers``, ``responders``, ``rate``, ``ci_low``, ``ci_high``.

    Examples
    --------
    >>> frame = pd.DataFrame({"group": ["treatment"] * 4 + ["control"] * 5,
    ...                       "responded": [True, True, False, False, True, False, False, False, False]})
    >>> response_rates(frame).round(3)
               customers  responders  rate  ci_low  ci_high
    group
    control            5           1   0.2   0.036    0.624
    treatment          4           2   0.5   0.150    0.850
    """
    require_table(frame, "frame", [group_col, outcome])
    confidence = fraction("confidence", confidence)
    y = _outcome(frame, outcome)
    out = y.groupby(frame[group_col]).agg(customers="size", responders="sum")
    out = out.astype({"customers": "int64", "responders": "int64"})
    out["rate"] = out["responders"] / out["customers"]
    low, high = proportion_confint(out["responders"], out["customers"], alpha=1 - confidence, method="wilson")
    return out.assign(ci_low=low, ci_high=high).rename_axis(group_col)


def uplift_test(
    frame: pd.DataFrame,
    treatment: str = "treatment",
    control: str = "control",
    outcome: str = "responded",
    group_col: str = "group",
    confidence: float = 0.95,
) -> pd.Series:
    """The uplift of ``treatment`` over ``control``: difference, ratio, intervals, p-value.

    Parameters
    ----------
    frame : DataFrame
        One row per customer: the group and the outcome (True/False).
    treatment, control : str
        The groups compared (treatment minus control).
    outcome : str
        The outcome column.
    group_col : str
        The column holding the group.
    confidence : float
        Confidence level of the intervals; the test is two-sided.

    Returns
    -------
    pandas.Series
        Named ``"<treatment> vs <control>"``: ``customers_treatment``,
        ``customers_control``, ``rate_treatment``, ``rate_control``, ``uplift``
        (absolute, a share: 0.02 is 2 percentage points), ``ci_low``, ``ci_high``,
        ``relative_uplift`` (uplift / control rate), ``relative_ci_low``,
        ``relative_ci_high``, ``z`` and ``p_value``.

    Examples
    --------
    >>> frame = pd.DataFrame({"group": ["treatment"] * 200 + ["control"] * 200,
    ...                       "responded": [True] * 30 + [False] * 170 + [True] * 20 + [False] * 180})
    >>> uplift_test(frame)[["rate_treatment", "rate_control", "uplift", "ci_low", "ci_high",
    ...                     "relative_uplift", "p_value"]].round(4)
    rate_treatment     0.1500
    rate_control       0.1000
    uplift             0.0500
    ci_low            -0.0146
    ci_high            0.1146
    relative_uplift    0.5000
    p_value            0.1306
    Name: treatment vs control, dtype: float64
    """
    rates = response_rates(frame, outcome, group_col, confidence)
    groups = sorted(map(str, rates.index))
    choice("treatment", treatment, groups)
    choice("control", control, groups)
    if treatment == control:
        raise ValueError(f"`treatment` and `control` must be two different groups, but both are {treatment!r}.")
    x1, n1 = (int(v) for v in rates.loc[treatment, ["responders", "customers"]])
    x0, n0 = (int(v) for v in rates.loc[control, ["responders", "customers"]])
    p1, p0 = x1 / n1, x0 / n0
    alpha = 1 - confidence
    low, high = confint_proportions_2indep(x1, n1, x0, n0, method="wald", compare="diff", alpha=alpha)
    rel_low = rel_high = np.nan
    if x1 > 0 and x0 > 0:
        ratio_low, ratio_high = confint_proportions_2indep(x1, n1, x0, n0, method="log", compare="ratio", alpha=alpha)
        rel_low, rel_high = ratio_low - 1, ratio_high - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        z, p_value = proportions_ztest([x1, x0], [n1, n0]) if 0 < x1 + x0 < n1 + n0 else (np.nan, np.nan)
    values = {
        "customers_treatment": n1, "customers_control": n0, "rate_treatment": p1, "rate_control": p0,
        "uplift": p1 - p0, "ci_low": low, "ci_high": high,
        "relative_uplift": (p1 - p0) / p0 if p0 > 0 else np.nan,
        "relative_ci_low": rel_low, "relative_ci_high": rel_high, "z": z, "p_value": p_value,
    }  # fmt: skip
    return pd.Series({k: float(v) for k, v in values.items()}, name=f"{treatment} vs {control}")


def compare_periods(
    frame: pd.DataFrame,
    treatment: str,
    control: str,
    during: str = "responded",
    before: str = "bought_recently",
    group_col: str = "group",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The same comparison twice: during the campaign, and before it (a placebo test).

    If the gap between the groups is already there *before* the campaign, when it
    could not have caused anything, the campaign cannot take the credit for it: the
    groups differed to begin with (self-selection).

    Parameters
    ----------
    frame : DataFrame
        One row per customer, e.g. :func:`~crmlab.analysis.experiments.campaign_frame`.
    treatment, control : str
        The groups compared.
    during, before : str
        The outcome columns during the campaign and in a window of the same length
        just before it.
    group_col : str
        The column holding the group.
    confidence : float
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``period`` (``before``, ``during``): ``rate_treatment``,
        ``rate_control``, ``gap``, ``ci_low``, ``ci_high``, ``p_value``.

    Examples
    --------
    >>> frame = pd.DataFrame({"group": ["in"] * 4 + ["out"] * 4,
    ...     "responded":       [1, 1, 1, 0, 1, 0, 0, 0],
    ...     "bought_recently": [1, 1, 0, 1, 1, 0, 0, 0]})
    >>> compare_periods(frame, "in", "out")[["rate_treatment", "rate_control", "gap"]]
            rate_treatment  rate_control  gap
    period
    before            0.75          0.25  0.5
    during            0.75          0.25  0.5
    """
    rows = {}
    for period, column in [("before", before), ("during", during)]:
        result = uplift_test(frame, treatment, control, column, group_col, confidence)
        rows[period] = result[["rate_treatment", "rate_control", "uplift", "ci_low", "ci_high", "p_value"]]
    return pd.DataFrame(rows).T.rename(columns={"uplift": "gap"}).rename_axis("period")


def holdout_gaps(
    frame: pd.DataFrame, outcome: str = "responded", share: float = 0.5, n_draws: int = 1000, seed: int = 0
) -> pd.Series:
    """The gaps a randomised holdout could read if the treatment did nothing.

    Draws lots ``n_draws`` times among the rows of ``frame``: each time ``share`` of
    them form a "mailed" group and the rest a "held-back" group, and the gap is the
    difference of their rates of ``outcome``. When everyone in ``frame`` was treated
    alike, this is exactly what a holdout would show for a treatment without effect:
    gaps centred on zero, spread only by the luck of the draw (a randomisation
    distribution).

    Parameters
    ----------
    frame : DataFrame
        One row per customer, e.g. the members of a club.
    outcome : str
        The outcome column (True/False).
    share : float
        Share of the customers in the first group.
    n_draws : int
        Number of draws.
    seed : int
        Seed of the draws.

    Returns
    -------
    pandas.Series
        Named ``gap``, indexed by ``draw``: first group's rate minus the second's.

    Examples
    --------
    >>> members = pd.DataFrame({"responded": [True] * 30 + [False] * 70})
    >>> gaps = holdout_gaps(members, n_draws=2000, seed=1)
    >>> len(gaps), round(float(gaps.mean()), 2), round(float(gaps.std()), 2)
    (2000, 0.0, 0.09)
    """
    require_table(frame, "frame", [outcome])
    share = fraction("share", share)
    n_draws = int(positive("n_draws", n_draws))
    y = _outcome(frame, outcome).to_numpy()
    k = round(share * len(y))
    if not 0 < k < len(y):
        raise ValueError(f"`frame` has {len(y)} rows: too few to split into two groups with share={share}.")
    draws = np.random.default_rng(seed).permuted(np.tile(np.arange(len(y)), (n_draws, 1)), axis=1)
    gaps = y[draws[:, :k]].mean(axis=1) - y[draws[:, k:]].mean(axis=1)
    return pd.Series(gaps, name="gap").rename_axis("draw")
