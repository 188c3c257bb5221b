"""Adoption: data-entry completeness before and after training, by rep and by method.

Completeness itself, and the reps whose data entry fades, are lesson 01's measures
(:mod:`crmlab.analysis.kpis`); this module lines them up with each rep's training.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from crmlab.analysis import kpis
from crmlab.validation import require_table

from .cost import METHODS

# ---------------------------------------------------------------- adoption

_REP_COLUMNS = ("rep_id", "training_method", "trained_on")
_ACTIVITY_COLUMNS = ("rep_id", "week_start", "required_fields_total", "required_fields_filled")


def _weeks(reps: pd.DataFrame, rep_activity: pd.DataFrame, exclude: Iterable[int] = ()) -> pd.DataFrame:
    """Weekly activity joined with each rep's method and training day; ``after`` marks trained weeks."""
    require_table(reps, "reps", _REP_COLUMNS)
    require_table(rep_activity, "rep_activity", _ACTIVITY_COLUMNS)
    keep = ["rep_id", "training_method", "trained_on", *(["region"] if "region" in reps else [])]
    weeks = rep_activity.merge(reps[keep], on="rep_id", how="inner", validate="many_to_one")
    weeks = weeks[~weeks["rep_id"].isin(list(exclude))]
    return weeks.assign(after=weeks["week_start"] >= weeks["trained_on"])


def adoption_by_rep(
    reps: pd.DataFrame, rep_activity: pd.DataFrame, exclude: Iterable[int] = ()
) -> pd.DataFrame:
    """Each rep's data-entry completeness before and after their training.

    A week counts as *after* when it starts on or after ``trained_on``. Completeness
    pools the rep's weeks: fields filled over fields required.

    Parameters
    ----------
    reps : DataFrame
        The ``reps`` table: ``rep_id``, ``training_method``, ``trained_on`` (and ``region``).
    rep_activity : DataFrame
        The ``rep_activity`` table: one row per rep and week.
    exclude : iterable of int
        Rep ids to leave out, e.g. the reps of :func:`disengaged_reps`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``rep_id``: ``training_method``, ``region`` (when given),
        ``weeks_before``, ``weeks_after``, ``before``, ``after`` and ``gain``
        (after minus before). A rep without weeks on one side gets NaN there.

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": [1], "training_method": ["e_learning"],
    ...                      "trained_on": pd.to_datetime(["2024-01-08"])})
    >>> activity = pd.DataFrame({"rep_id": [1, 1, 1],
    ...     "week_start": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15"]),
    ...     "required_fields_total": [60, 60, 120], "required_fields_filled": [30, 45, 90]})
    >>> adoption_by_rep(reps, activity)[["weeks_before", "weeks_after", "before", "after", "gain"]]
            weeks_before  weeks_after  before  after  gain
    rep_id
    1                  1            2     0.5   0.75  0.25
    """
    weeks = _weeks(reps, rep_activity, exclude)
    by_period = kpis.pooled_completeness(weeks, ["rep_id", "after"])
    share = by_period["completeness"].unstack("after").reindex(columns=[False, True])
    count = by_period["weeks"].unstack("after").reindex(columns=[False, True]).fillna(0).astype(int)
    info = reps.set_index("rep_id").loc[share.index, [c for c in ("training_method", "region") if c in reps]]
    out = info.assign(
        weeks_before=count[False], weeks_after=count[True], before=share[False], after=share[True]
    )
    return out.assign(gain=out["after"] - out["before"]).rename_axis("rep_id")


def gain_by_method(per_rep: pd.DataFrame, reference: str = "e_learning") -> pd.DataFrame:
    """Compare the methods: mean completeness before, after, the gain, and gaps to a reference.

    ``after_gap`` is the naive comparison of after-training levels with the reference
    method; it mixes the gain with where each group started (``before_gap``).
    ``diff_in_diff`` is the gain minus the reference's gain: the baseline cancels out,
    so ``after_gap == before_gap + diff_in_diff``.

    Parameters
    ----------
    per_rep : DataFrame
        The result of :func:`adoption_by_rep`.
    reference : str
        The method the others are compared with.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``training_method``: ``reps``, ``before``, ``after``, ``gain``
        (means over reps), ``before_gap``, ``after_gap`` and ``diff_in_diff``.

    Examples
    --------
    >>> per_rep = pd.DataFrame({"training_method": ["face_to_face", "face_to_face", "e_learning"],
    ...                         "before": [0.6, 0.7, 0.55], "after": [0.8, 0.9, 0.6]})
    >>> gain_by_method(per_rep).round(2)
                     reps  before  after  gain  before_gap  after_gap  diff_in_diff
    training_method
    e_learning          1    0.55   0.60  0.05         0.0       0.00          0.00
    face_to_face        2    0.65   0.85  0.20         0.1       0.25          0.15
    """
    require_table(per_rep, "per_rep", ("training_method", "before", "after"),
                  fix="Pass the result of `adoption_by_rep`.")  # fmt: skip
    rep_gain = per_rep["after"] - per_rep["before"]
    out = per_rep.assign(gain=rep_gain).groupby("training_method").agg(
        reps=("before", "size"), before=("before", "mean"), after=("after", "mean"), gain=("gain", "mean")
    )
    if reference not in out.index:
        raise ValueError(
            f"The value for `reference` must be one of {sorted(out.index)}, but {reference!r} was passed."
        )
    base = out.loc[reference]
    return out.assign(
        before_gap=out["before"] - base["before"],
        after_gap=out["after"] - base["after"],
        diff_in_diff=out["gain"] - base["gain"],
    )


def disengaged_reps(
    reps: pd.DataFrame, rep_activity: pd.DataFrame, last_weeks: int = 26, min_drop: float = 0.15
) -> pd.DataFrame:
    """Reps whose data entry fell in the last weeks of the export: an early sign of failing adoption.

    Lesson 01's :func:`crmlab.analysis.kpis.disengaged_reps` (the last ``last_weeks`` weeks
    against the ``last_weeks`` weeks before), over each rep's weeks *after* training only,
    so that a training inside the windows cannot hide a fade; with the rep's method.

    Parameters
    ----------
    reps, rep_activity : DataFrame
        The CRM's ``reps`` and ``rep_activity`` tables.
    last_weeks : int
        Length of the recent window, and of the window it is compared with, in weeks.
    min_drop : float
        Fall in completeness (as a share, 0.15 = 15 points) that flags a rep.

    Returns
    -------
    pandas.DataFrame
        The flagged reps, indexed by ``rep_id``, largest drop first: ``training_method``
        and the columns of :func:`crmlab.analysis.kpis.data_entry_trend`
        (``completeness_before``, ``completeness_recent``, ``change`` ...).

    Examples
    --------
    >>> import crmlab
    >>> crm = crmlab.load_crm(tables=["reps", "rep_activity"])
    >>> sorted(disengaged_reps(crm.reps, crm.rep_activity).index)
    [1, 23]
    """
    weeks = _weeks(reps, rep_activity)
    trained = weeks.loc[weeks["after"], list(rep_activity.columns)]
    flagged = kpis.disengaged_reps(trained, weeks=last_weeks, min_drop=min_drop)
    methods = reps.set_index("rep_id")["training_method"]
    return flagged.assign(training_method=methods.reindex(flagged.index))[
        ["training_method", *flagged.columns]
    ]


def completeness_by_week(
    reps: pd.DataFrame,
    rep_activity: pd.DataFrame,
    exclude: Iterable[int] = (),
    bin_weeks: int = 4,
    window: tuple[int, int] = (-24, 51),
) -> pd.DataFrame:
    """Completeness by method around the training day, in bins of ``bin_weeks`` weeks.

    Parameters
    ----------
    reps, rep_activity : DataFrame
        The CRM's ``reps`` and ``rep_activity`` tables.
    exclude : iterable of int
        Rep ids to leave out.
    bin_weeks : int
        Weeks per point of the curve.
    window : tuple of int
        First and last week since training to keep (negative: before training).

    Returns
    -------
    pandas.DataFrame
        One row per method and bin: ``training_method``, ``weeks_since`` (start of the
        bin; 0 is the first week after training), ``completeness`` and ``reps``.

    Examples
    --------
    >>> import crmlab
    >>> crm = crmlab.load_crm(tables=["reps", "rep_activity"])
    >>> curve = completeness_by_week(crm.reps, crm.rep_activity, exclude=[1, 23])
    >>> curve["weeks_since"].drop_duplicates().sort_values().tolist()[:3], curve.columns.tolist()
    ([-24, -20, -16], ['training_method', 'weeks_since', 'completeness', 'reps'])
    """
    weeks = _weeks(reps, rep_activity, exclude)
    since = (weeks["week_start"] - weeks["trained_on"]).dt.days // 7  # week 0 starts on or after training
    weeks = weeks[since.between(*window)]
    weeks = weeks.assign(weeks_since=since[since.between(*window)] // bin_weeks * bin_weeks)
    curve = kpis.pooled_completeness(weeks, ["training_method", "weeks_since"])
    reps_per_bin = weeks.groupby(["training_method", "weeks_since"])["rep_id"].nunique()
    return curve.assign(reps=reps_per_bin)[["completeness", "reps"]].reset_index()


def randomise_methods(
    reps: pd.DataFrame, by: str | None = "region", seed: int = 0, methods: Iterable[str] = METHODS
) -> pd.DataFrame:
    """Assign training methods at random, balanced within each group of ``by``: an experiment.

    Within each group (e.g. each region) the reps are shuffled and dealt the methods in
    turn, so every region sends about as many reps to each method and keenness cannot
    choose the method.

    Parameters
    ----------
    reps : DataFrame
        Reps to train, with ``rep_id`` (and the ``by`` column).
    by : str or None
        Column to balance within; None for one group.
    seed : int
        Seed of the random draw (the same seed gives the same assignment).
    methods : iterable of str
        Methods to assign.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``rep_id``: the ``by`` column and the assigned ``training_method``.

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": range(1, 7), "region": ["North"] * 3 + ["South"] * 3})
    >>> plan = randomise_methods(reps, seed=1)
    >>> pd.crosstab(plan["region"], plan["training_method"]).to_numpy().tolist()
    [[1, 1, 1], [1, 1, 1]]
    """
    require_table(reps, "reps", ["rep_id"] + ([by] if by else []))
    methods = list(methods)
    rng = np.random.default_rng(seed)
    groups = reps.groupby(by, sort=True) if by else [(None, reps)]
    parts = []
    for _, group in groups:
        shuffled = group.iloc[rng.permutation(len(group))]
        start = rng.integers(len(methods))  # who gets the odd places varies by group
        dealt = [methods[(start + i) % len(methods)] for i in range(len(group))]
        parts.append(shuffled[["rep_id"] + ([by] if by else [])].assign(training_method=dealt))
    return pd.concat(parts).set_index("rep_id").sort_index()


