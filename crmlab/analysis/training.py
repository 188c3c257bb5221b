"""Training CRM users: what each method costs, whether it worked, and how to choose.

Three parts, one question each (lesson 02):

- **cost**: :class:`TrainingPlan` holds a plan's inputs (users, sites, rates, hours) and
  checks them; :func:`cost_by_method` prices face-to-face, e-learning and in-house
  training, component by component, in total and per trained user;
- **adoption**: :func:`adoption_by_rep` measures each rep's data-entry completeness
  before and after training, :func:`gain_by_method` compares the methods (the gain, and
  the gain over a reference method: a difference in differences), :func:`disengaged_reps`
  finds reps whose data entry fades, :func:`completeness_by_week` draws the curve around
  the training day, :func:`randomise_methods` makes the next comparison an experiment;
- **choice**: :func:`recommend_method`, a small decision aid with its reasons, and
  :func:`value_for_money`, cost per point of completeness gained.

Completeness is the share of required fields filled in:
``sum(required_fields_filled) / sum(required_fields_total)`` over a rep's weeks.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

import numpy as np
import pandas as pd

from crmlab.errors import CrmlabError

__all__ = [
    "COMPONENTS",
    "LEVELS",
    "METHODS",
    "Recommendation",
    "TrainingPlan",
    "TrainingPlanError",
    "adoption_by_rep",
    "completeness_by_week",
    "cost_by_method",
    "disengaged_reps",
    "gain_by_method",
    "randomise_methods",
    "recommend_method",
    "value_for_money",
]

#: The three ways of training CRM users, as ``reps.training_method`` spells them.
METHODS = ("face_to_face", "e_learning", "in_house")
#: The cost components of :func:`cost_by_method`, in US dollars.
COMPONENTS = ("trainer_usd", "travel_usd", "licence_usd", "superuser_usd", "time_away_usd")
#: The levels of the decision aid's factors.
LEVELS = ("low", "medium", "high")
HOURS_PER_DAY = 8
MANY_SITES = 5  # from this many sites on, travelling to each one weighs on face-to-face


class TrainingPlanError(CrmlabError, ValueError):
    """A training plan's input is missing, of the wrong kind or out of range."""


# ---------------------------------------------------------------- the cost model

_WHOLE = {"n_users", "n_sites", "class_size", "users_per_superuser"}
_POSITIVE = {"classroom_hours", "elearning_hours", "in_house_hours"}


@dataclass(frozen=True)
class TrainingPlan:
    """The inputs of a training plan; checked when the plan is made.

    Money is in US dollars, time in hours. Defaults describe Nima Home & Office's next
    wave: 40 new CRM users in 3 branches.

    Parameters
    ----------
    n_users : int
        People to train.
    n_sites : int
        Branches they work in (1 to ``n_users``).
    hourly_cost_usd : float
        What one hour of a trainee's or superuser's time costs the company (wage and
        overheads): the price of time away from work.
    classroom_hours : float
        Length of the face-to-face course per trainee; the external trainer is paid
        for whole days of 8 hours.
    class_size : int
        Trainees per classroom session; every site gets at least one session.
    trainer_day_rate_usd : float
        The external trainer's fee per day.
    travel_per_site_usd : float
        Travel and lodging for the trainer's visit to one site.
    elearning_hours : float
        Time each trainee spends on the e-learning course.
    licence_per_user_usd : float
        E-learning licence per trainee.
    in_house_hours : float
        Length of the in-house course per trainee.
    users_per_superuser : int
        Trainees one superuser teaches; every site gets at least one superuser.
    superuser_prep_hours : float
        Time a superuser needs to master the CRM and prepare before teaching.

    Raises
    ------
    TrainingPlanError
        When an input is not a number, not whole where it must be, or out of range;
        the message names the input and the fix.

    Examples
    --------
    >>> TrainingPlan(n_users=40, n_sites=3).n_sites
    3
    >>> TrainingPlan(n_users=2, n_sites=5)
    Traceback (most recent call last):
    ...
    crmlab.analysis.training.TrainingPlanError: `n_sites` (5) cannot be more than `n_users` (2): ...
    """

    n_users: int = 40
    n_sites: int = 3
    hourly_cost_usd: float = 30.0
    classroom_hours: float = 16.0
    class_size: int = 12
    trainer_day_rate_usd: float = 900.0
    travel_per_site_usd: float = 500.0
    elearning_hours: float = 8.0
    licence_per_user_usd: float = 150.0
    in_house_hours: float = 12.0
    users_per_superuser: int = 10
    superuser_prep_hours: float = 40.0

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _checked(f.name, getattr(self, f.name)))
        if self.n_sites > self.n_users:
            raise TrainingPlanError(
                f"`n_sites` ({self.n_sites}) cannot be more than `n_users` ({self.n_users}): "
                "every site needs at least one user to train."
            )


def _checked(name: str, value: object) -> int | float:
    """``value`` as a number valid for input ``name``, or a TrainingPlanError saying why not."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        shown = f"{value!r} ({type(value).__name__})"
        fix = f" Write it without quotes: {name}={value}." if isinstance(value, str) else ""
        raise TrainingPlanError(f"The value for `{name}` must be a number, but {shown} was passed.{fix}")
    if not math.isfinite(value):
        raise TrainingPlanError(f"The value for `{name}` must be a finite number, but {value!r} was passed.")
    if name in _WHOLE:
        if value < 1 or value != int(value):
            raise TrainingPlanError(
                f"The value for `{name}` must be a whole number of at least 1, but {value!r} was passed."
            )
        return int(value)
    if name in _POSITIVE and value <= 0:
        raise TrainingPlanError(f"The value for `{name}` must be more than 0 hours, but {value!r} was passed.")
    if value < 0:
        raise TrainingPlanError(f"The value for `{name}` must be 0 or more, but {value!r} was passed.")
    return float(value)


def cost_by_method(plan: TrainingPlan | None = None) -> pd.DataFrame:
    """Price the three training methods for one plan.

    Face-to-face: ``max(n_sites, ceil(n_users / class_size))`` sessions, each paid as
    ``ceil(classroom_hours / 8)`` trainer days, plus one trip per site. E-learning: a
    licence per user. In-house: ``max(n_sites, ceil(n_users / users_per_superuser))``
    superusers, each paid for preparing and teaching. Every method also costs the
    trainees' hours away from work.

    Parameters
    ----------
    plan : TrainingPlan, optional
        The inputs; the default plan when omitted.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``training_method`` (face_to_face, e_learning, in_house), with the
        components of :data:`COMPONENTS`, ``total_usd`` and ``per_user_usd``.

    Examples
    --------
    >>> costs = cost_by_method(TrainingPlan(n_users=40, n_sites=3))
    >>> costs[["trainer_usd", "travel_usd", "time_away_usd", "total_usd", "per_user_usd"]].loc["face_to_face"].tolist()
    [7200.0, 1500.0, 19200.0, 27900.0, 697.5]
    >>> costs["per_user_usd"].tolist()
    [697.5, 390.0, 516.0]
    """
    plan = TrainingPlan() if plan is None else plan
    if not isinstance(plan, TrainingPlan):
        raise TrainingPlanError(
            f"`plan` must be a TrainingPlan, e.g. TrainingPlan(n_users=40, n_sites=3), but "
            f"{type(plan).__name__} was passed."
        )
    rows = {
        "face_to_face": _face_to_face(plan),
        "e_learning": {"licence_usd": plan.n_users * plan.licence_per_user_usd,
                       "time_away_usd": _time_away(plan, plan.elearning_hours)},  # fmt: skip
        "in_house": _in_house(plan),
    }
    costs = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=list(COMPONENTS)).fillna(0.0)
    costs = costs.astype(float).rename_axis("training_method")
    costs["total_usd"] = costs.sum(axis=1)
    costs["per_user_usd"] = costs["total_usd"] / plan.n_users
    return costs


def _time_away(plan: TrainingPlan, hours: float) -> float:
    return plan.n_users * hours * plan.hourly_cost_usd


def _face_to_face(plan: TrainingPlan) -> dict[str, float]:
    sessions = max(plan.n_sites, math.ceil(plan.n_users / plan.class_size))
    days = sessions * math.ceil(plan.classroom_hours / HOURS_PER_DAY)
    return {
        "trainer_usd": days * plan.trainer_day_rate_usd,
        "travel_usd": plan.n_sites * plan.travel_per_site_usd,
        "time_away_usd": _time_away(plan, plan.classroom_hours),
    }


def _in_house(plan: TrainingPlan) -> dict[str, float]:
    superusers = max(plan.n_sites, math.ceil(plan.n_users / plan.users_per_superuser))
    hours = superusers * (plan.superuser_prep_hours + plan.in_house_hours)
    return {"superuser_usd": hours * plan.hourly_cost_usd, "time_away_usd": _time_away(plan, plan.in_house_hours)}


# ---------------------------------------------------------------- adoption

_REP_COLUMNS = ("rep_id", "training_method", "trained_on")
_ACTIVITY_COLUMNS = ("rep_id", "week_start", "required_fields_total", "required_fields_filled")


def _require(table: object, name: str, columns: Iterable[str]) -> None:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"`{name}` must be a DataFrame (the `{name}` table), but {type(table).__name__} was passed.")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise KeyError(
            f"`{name}` has no column(s) {missing}; it needs {list(columns)}. Pass the CRM's "
            f"`{name}` table (crm.{name}), or rename your columns to these names."
        )


def _weeks(reps: pd.DataFrame, rep_activity: pd.DataFrame, exclude: Iterable[int] = ()) -> pd.DataFrame:
    """Weekly activity joined with each rep's method and training day; ``after`` marks trained weeks."""
    _require(reps, "reps", _REP_COLUMNS)
    _require(rep_activity, "rep_activity", _ACTIVITY_COLUMNS)
    keep = ["rep_id", "training_method", "trained_on", *(["region"] if "region" in reps else [])]
    weeks = rep_activity.merge(reps[keep], on="rep_id", how="inner", validate="many_to_one")
    weeks = weeks[~weeks["rep_id"].isin(list(exclude))]
    return weeks.assign(after=weeks["week_start"] >= weeks["trained_on"])


def _completeness(weeks: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    sums = weeks.groupby(by)[["required_fields_filled", "required_fields_total"]].sum()
    share = sums["required_fields_filled"] / sums["required_fields_total"].where(sums["required_fields_total"] > 0)
    return sums.assign(completeness=share, weeks=weeks.groupby(by).size())


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
    by_period = _completeness(weeks, ["rep_id", "after"])
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
    _require(per_rep, "per_rep", ("training_method", "before", "after"))
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

    For each rep, completeness over the last ``last_weeks`` weeks is compared with their
    completeness after training and before that window.

    Parameters
    ----------
    reps, rep_activity : DataFrame
        The CRM's ``reps`` and ``rep_activity`` tables.
    last_weeks : int
        Length of the recent window, in weeks.
    min_drop : float
        Fall in completeness (as a share, 0.15 = 15 points) that flags a rep.

    Returns
    -------
    pandas.DataFrame
        The flagged reps, indexed by ``rep_id``, largest drop first: ``training_method``,
        ``earlier``, ``recent`` and ``drop``.

    Examples
    --------
    >>> import crmlab
    >>> crm = crmlab.load_crm(tables=["reps", "rep_activity"])
    >>> sorted(disengaged_reps(crm.reps, crm.rep_activity).index)
    [1, 23]
    """
    weeks = _weeks(reps, rep_activity)
    weeks = weeks[weeks["after"]]
    start = weeks["week_start"].max() - pd.Timedelta(weeks=last_weeks)
    shares = _completeness(weeks.assign(recent=weeks["week_start"] > start), ["rep_id", "recent"])
    table = shares["completeness"].unstack("recent").reindex(columns=[False, True])
    table = table.set_axis(["earlier", "recent"], axis=1).assign(drop=lambda t: t["earlier"] - t["recent"])
    flagged = table[table["drop"] >= min_drop].sort_values("drop", ascending=False)
    methods = reps.set_index("rep_id")["training_method"]
    return flagged.assign(training_method=methods.reindex(flagged.index))[
        ["training_method", "earlier", "recent", "drop"]
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
    curve = _completeness(weeks, ["training_method", "weeks_since"])
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
    _require(reps, "reps", ["rep_id"] + ([by] if by else []))
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


# ---------------------------------------------------------------- choosing a method

# Points each factor level gives each method: (face_to_face, e_learning, in_house), with the reason.
_RULES: dict[str, dict[str, tuple[tuple[int, int, int], str]]] = {
    "in_house_resources": {
        "low": ((0, 0, 0), "nobody in-house can prepare and give the training: in-house is ruled out"),
        "medium": ((0, 0, 1), "some staff know the CRM and the processes: superusers are possible"),
        "high": ((0, 0, 2), "skilled superusers who know the company's processes favour in-house"),
    },
    "data_entry": {
        "low": ((0, 2, 1), "light data entry: a self-paced course is enough"),
        "medium": ((1, 0, 1), "moderate data entry: some guided practice helps"),
        "high": ((2, -1, 1), "demanding data entry needs supervised hands-on practice; alone online, "
                             "users have no one to ask"),  # fmt: skip
    },
    "process_heaviness": {
        "low": ((0, 1, 0), "few company-specific processes: a generic course fits"),
        "medium": ((1, 0, 0), "some processes to learn: a classroom session covers them best"),
        "high": ((2, -2, 0), "a process-heavy system has many points of failure: e-learning copes worst"),
    },
}


@dataclass(frozen=True)
class Recommendation:
    """What :func:`recommend_method` advises, and why.

    Attributes
    ----------
    method : str
        The recommended method (one of :data:`METHODS`).
    scores : DataFrame
        Indexed by ``training_method``: ``score``, ``total_usd``, ``per_user_usd``,
        ``allowed`` (False when ruled out), best first.
    reasons : list of str
        The reasons, factor by factor, in plain words.
    """

    method: str
    scores: pd.DataFrame = field(repr=False)
    reasons: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"Recommended: {self.method}"] + [f"- {r}" for r in self.reasons]
        return "\n".join(lines)

    def _repr_pretty_(self, p, cycle) -> None:  # IPython shows the reasons, not the dataclass
        p.text(str(self))


def _level(name: str, value: object) -> str:
    if not isinstance(value, str) or value.strip().lower() not in LEVELS:
        raise ValueError(f"The value for `{name}` must be one of {list(LEVELS)}, but {value!r} was passed.")
    return value.strip().lower()


def recommend_method(
    in_house_resources: str,
    data_entry: str,
    process_heaviness: str,
    plan: TrainingPlan | None = None,
    budget_usd: float | None = None,
) -> Recommendation:
    """Recommend a training method from the company's situation, with the reasons.

    Each factor gives points to the methods (the rules below); methods are ruled out
    when nobody in-house can teach (in-house) or when they cost more than the budget.
    The highest score among the methods left wins; a tie goes to the cheaper one.

    ====================  =======  ==========================================
    factor                level    points: face-to-face, e-learning, in-house
    ====================  =======  ==========================================
    in_house_resources    low      in-house ruled out
    \\                     medium   0, 0, +1
    \\                     high     0, 0, +2
    data_entry            low      0, +2, +1
    \\                     medium   +1, 0, +1
    \\                     high     +2, -1, +1
    process_heaviness     low      0, +1, 0
    \\                     medium   +1, 0, 0
    \\                     high     +2, -2, 0
    plan.n_sites >= 5     \\        -1, +1, 0 (the trainer travels to every site)
    ====================  =======  ==========================================

    Parameters
    ----------
    in_house_resources : {"low", "medium", "high"}
        Staff who know the CRM and the processes well enough to teach them, and have time.
    data_entry : {"low", "medium", "high"}
        How demanding the system's data entry is for its users.
    process_heaviness : {"low", "medium", "high"}
        How much the system is built around the company's own processes.
    plan : TrainingPlan, optional
        Users, sites and prices (for the site count and the costs); the default plan when omitted.
    budget_usd : float, optional
        Most the company will spend, all costs included; no limit when omitted.

    Returns
    -------
    Recommendation
        ``method``, ``scores`` and ``reasons``.

    Examples
    --------
    >>> rec = recommend_method("high", "medium", "medium", TrainingPlan(n_users=40, n_sites=3))
    >>> rec.method, rec.scores["score"].to_dict()
    ('in_house', {'in_house': 3, 'face_to_face': 2, 'e_learning': 0})
    >>> recommend_method("low", "high", "high", budget_usd=20_000).method
    'e_learning'
    """
    levels = {name: _level(name, value) for name, value in
              (("in_house_resources", in_house_resources), ("data_entry", data_entry),
               ("process_heaviness", process_heaviness))}  # fmt: skip
    costs = cost_by_method(plan)
    plan = TrainingPlan() if plan is None else plan
    score = pd.Series(0, index=list(METHODS))
    reasons = []
    for name, level in levels.items():
        points, reason = _RULES[name][level]
        score += list(points)
        reasons.append(f"{name.replace('_', ' ')} {level}: {reason}")
    if plan.n_sites >= MANY_SITES:
        score += [-1, 1, 0]
        reasons.append(f"{plan.n_sites} sites: a trainer travelling to each one costs time and money")
    allowed = pd.Series(True, index=list(METHODS))
    allowed["in_house"] = levels["in_house_resources"] != "low"
    if budget_usd is not None:
        within = costs["total_usd"] <= _checked("budget_usd", budget_usd)
        over = [m for m in METHODS if allowed[m] and not within[m]]
        if over:
            reasons.append(f"over the budget of ${budget_usd:,.0f}: {', '.join(over)}")
        allowed = allowed & within if (allowed & within).any() else allowed
    table = costs[["total_usd", "per_user_usd"]].assign(score=score, allowed=allowed)
    table = table.sort_values(["allowed", "score", "total_usd"], ascending=[False, False, True])
    best = str(table.index[0])
    if budget_usd is not None and costs.loc[best, "total_usd"] > budget_usd:
        reasons.append(f"no allowed method fits the budget: {best} scores best; train in waves or raise it")
    else:
        left = int(table["allowed"].sum())
        reasons.append(f"{best} has the best score ({table.loc[best, 'score']}) of the {left} method(s) left")
    reasons.append("whichever method: measure adoption afterwards (data-entry completeness per rep)")
    return Recommendation(best, table[["score", "total_usd", "per_user_usd", "allowed"]], reasons)


def value_for_money(costs: pd.DataFrame, gains: pd.DataFrame) -> pd.DataFrame:
    """Cost per trained user for each point of completeness it bought.

    Parameters
    ----------
    costs : DataFrame
        The result of :func:`cost_by_method`.
    gains : DataFrame
        The result of :func:`gain_by_method` (or any table indexed by
        ``training_method`` with a ``gain`` column, as a share).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``training_method``: ``per_user_usd``, ``gain_points`` (the gain in
        percentage points) and ``usd_per_point``, cheapest per point first.

    Examples
    --------
    >>> gains = pd.DataFrame({"gain": [0.2, 0.08, 0.14]}, index=pd.Index(METHODS, name="training_method"))
    >>> value_for_money(cost_by_method(), gains)["usd_per_point"].round(2).tolist()
    [34.88, 36.86, 48.75]
    """
    _require(costs, "costs", ["per_user_usd"])
    _require(gains, "gains", ["gain"])
    out = costs[["per_user_usd"]].join(gains["gain"].mul(100).rename("gain_points"), how="inner")
    out = out.assign(usd_per_point=out["per_user_usd"] / out["gain_points"].where(out["gain_points"] > 0))
    return out.sort_values("usd_per_point")
