"""Was the draw fair? The randomisation checks, and drawing lots for the next test.

A randomised experiment is only as good as its draw. Before reading any result, check
that the groups have the sizes the plan promised (:func:`sample_ratio_test`) and that
they looked alike *before* the campaign (:func:`balance_table`: standardised mean
differences of pre-treatment covariates). :func:`random_split` draws the lots.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from crmlab.validation import choice, fraction, require_table

__all__ = ["SampleRatioCheck", "balance_table", "random_split", "sample_ratio_test"]


@dataclass(frozen=True)
class SampleRatioCheck:
    """The result of :func:`sample_ratio_test`.

    Attributes
    ----------
    table : DataFrame
        Per group: ``customers``, ``share``, ``planned_share``, ``expected``.
    chi2, p_value : float
        The chi-square goodness-of-fit statistic and its p-value.
    alpha : float
        The p-value below which the split counts as a mismatch.
    """

    table: pd.DataFrame
    chi2: float
    p_value: float
    alpha: float

    @property
    def mismatch(self) -> bool:
        """True when the group sizes are too far from the plan to be chance."""
        return bool(self.p_value < self.alpha)

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{group} {row.customers:,.0f} ({row.share:.1%}, planned {row.planned_share:.0%})"
            for group, row in self.table.iterrows()
        )
        verdict = (
            "MISMATCH: do not trust this experiment's results until the cause is found"
            if self.mismatch else "no sign of a mismatch"
        )  # fmt: skip
        return f"Sample ratio check: {parts}. Chi-square {self.chi2:.2f}, p = {self.p_value:.3f}: {verdict}."


def sample_ratio_test(
    groups: pd.DataFrame,
    planned: Mapping[str, float] | None = None,
    alpha: float = 0.01,
    group_col: str = "group",
) -> SampleRatioCheck:
    """Do the group sizes match the planned split? A sample-ratio-mismatch (SRM) test.

    A chi-square goodness-of-fit test (:func:`scipy.stats.chisquare`) of the observed
    group sizes against the sizes the planned shares promise. A small p-value means
    customers were lost or added unevenly (a broken draw, a filter applied to one
    group only...): then no result of the experiment can be trusted.

    Parameters
    ----------
    groups : DataFrame
        One row per customer, with the group in ``group_col``.
    planned : dict, optional
        Group -> planned share; by default equal shares for the groups present.
    alpha : float
        The p-value below which the split is called a mismatch. Stricter than the usual
        0.05 because this check runs on every experiment.
    group_col : str
        The column holding the group.

    Returns
    -------
    SampleRatioCheck

    Examples
    --------
    >>> groups = pd.DataFrame({"group": ["treatment"] * 890 + ["control"] * 835})
    >>> check = sample_ratio_test(groups)
    >>> round(check.chi2, 3), round(check.p_value, 3), check.mismatch
    (1.754, 0.185, False)
    """
    require_table(groups, "groups", [group_col])
    alpha = fraction("alpha", alpha)
    counts = groups[group_col].value_counts().sort_index()
    if planned is None:
        planned = {g: 1 / len(counts) for g in counts.index}
    if not isinstance(planned, Mapping):
        raise TypeError(f"`planned` must be a dict of group -> share, e.g. {{'treatment': 0.5, 'control': 0.5}}, "
                        f"but a {type(planned).__name__} was passed.")  # fmt: skip
    unplanned = sorted(set(counts.index) - set(planned))
    if unplanned:
        raise ValueError(f"The groups {unplanned} are in the data but not in `planned` ({sorted(planned)}).")
    shares = pd.Series(planned, dtype=float)
    if not np.isclose(shares.sum(), 1.0) or (shares <= 0).any():
        raise ValueError(
            f"The shares in `planned` must be above 0 and add up to 1, but they add up to {shares.sum():g}."
        )
    counts = counts.reindex(shares.index, fill_value=0)
    expected = shares * counts.sum()
    chi2, p_value = stats.chisquare(counts.to_numpy(), expected.to_numpy())
    table = pd.DataFrame({
        "customers": counts, "share": counts / counts.sum(), "planned_share": shares, "expected": expected,
    }).rename_axis(group_col)
    return SampleRatioCheck(table, float(chi2), float(p_value), alpha)


def _indicators(frame: pd.DataFrame, covariates: Iterable[str]) -> pd.DataFrame:
    """Numbers and True/False as they are; each level of a text column as a 0/1 column."""
    parts = {}
    for name in covariates:
        values = frame[name]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            parts[name] = values.astype(float)
        else:
            for level in sorted(values.dropna().unique()):
                parts[f"{name}: {level}"] = (values == level).astype(float)
    return pd.DataFrame(parts, index=frame.index)


def balance_table(
    frame: pd.DataFrame,
    covariates: Sequence[str],
    treatment: str = "treatment",
    control: str = "control",
    group_col: str = "group",
    threshold: float = 0.1,
) -> pd.DataFrame:
    """Did the groups look alike before the campaign? Standardised mean differences.

    For each covariate, the difference between the groups' means divided by the
    pooled standard deviation, ``(mean_t - mean_c) / sqrt((var_t + var_c) / 2)``
    (sample variances). Unlike a p-value it does not grow with the sample size; the
    usual rule of thumb calls ``|smd| < 0.1`` balanced. A text column gives one row
    per level (the share of customers at that level).

    Parameters
    ----------
    frame : DataFrame
        One row per customer: the group and the covariates (e.g. :func:`campaign_frame`).
    covariates : sequence of str
        Columns measured *before* the campaign.
    treatment, control : str
        The two groups compared.
    group_col : str
        The column holding the group.
    threshold : float
        Largest ``|smd|`` still called balanced.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``covariate``: ``treatment_mean``, ``control_mean``, ``smd``, ``balanced``.

    Examples
    --------
    >>> frame = pd.DataFrame({"group": ["treatment", "treatment", "control", "control"],
    ...     "orders_before": [1, 3, 1, 1], "segment": ["consumer", "enterprise", "consumer", "consumer"]})
    >>> balance_table(frame, ["orders_before", "segment"])
                         treatment_mean  control_mean  smd  balanced
    covariate
    orders_before                   2.0           1.0  1.0     False
    segment: consumer               0.5           1.0 -1.0     False
    segment: enterprise             0.5           0.0  1.0     False
    """
    require_table(frame, "frame", [group_col, *covariates])
    present = sorted(map(str, frame[group_col].unique()))
    choice("treatment", treatment, present)
    choice("control", control, present)
    values = _indicators(frame, covariates)
    t = values[frame[group_col] == treatment]
    c = values[frame[group_col] == control]
    pooled = np.sqrt((t.var() + c.var()) / 2)
    diff = t.mean() - c.mean()
    smd = (diff / pooled.where(pooled > 0)).where(diff != 0, 0.0)
    out = pd.DataFrame({"treatment_mean": t.mean(), "control_mean": c.mean(), "smd": smd})
    out["balanced"] = out["smd"].abs() < threshold
    return out.rename_axis("covariate")


def random_split(
    frame: pd.DataFrame,
    share: float = 0.5,
    seed: int = 0,
    labels: tuple[str, str] = ("treatment", "control"),
    group_col: str = "group",
) -> pd.DataFrame:
    """Draw lots: put ``share`` of the rows in the first group, the rest in the second.

    Exactly ``round(share * len(frame))`` rows get the first label, chosen at random
    with a seeded generator, so the same seed always gives the same draw.

    Parameters
    ----------
    frame : DataFrame
        One row per customer.
    share : float
        Share of rows in the first group.
    seed : int
        Seed of the random draw.
    labels : pair of str
        Names of the two groups.
    group_col : str
        The column the group is written to (replaced if it exists).

    Returns
    -------
    pandas.DataFrame
        A copy of ``frame`` with the new ``group_col``.

    Examples
    --------
    >>> split = random_split(pd.DataFrame({"customer_id": range(10)}), share=0.3, seed=1)
    >>> split["group"].value_counts().to_dict()
    {'control': 7, 'treatment': 3}
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"`frame` must be a pandas DataFrame, but a {type(frame).__name__} was passed.")
    share = fraction("share", share)
    first = np.zeros(len(frame), dtype=bool)
    first[np.random.default_rng(seed).permutation(len(frame))[: round(share * len(frame))]] = True
    out = frame.copy()
    out[group_col] = np.where(first, labels[0], labels[1])
    return out
