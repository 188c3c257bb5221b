"""The cost model: what face-to-face, e-learning and in-house training cost, in total and per user."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from crmlab.errors import CrmlabError

METHODS = ("face_to_face", "e_learning", "in_house")
#: The cost components of :func:`cost_by_method`, in the plan's currency.
COMPONENTS = ("trainer", "travel", "licence", "superuser", "time_away")
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

    Money is in the plan's ``currency``, time in hours. Defaults describe an example wave
    of 40 new CRM users in 3 branches, priced in US dollars.

    Parameters
    ----------
    n_users : int
        People to train.
    n_sites : int
        Branches they work in (1 to ``n_users``).
    hourly_cost : float
        What one hour of a trainee's or superuser's time costs the company (wage and
        overheads): the price of time away from work.
    classroom_hours : float
        Length of the face-to-face course per trainee; the external trainer is paid
        for whole days of 8 hours.
    class_size : int
        Trainees per classroom session; every site gets at least one session.
    trainer_day_rate : float
        The external trainer's fee per day.
    travel_per_site : float
        Travel and lodging for the trainer's visit to one site.
    elearning_hours : float
        Time each trainee spends on the e-learning course.
    licence_per_user : float
        E-learning licence per trainee.
    in_house_hours : float
        Length of the in-house course per trainee.
    users_per_superuser : int
        Trainees one superuser teaches; every site gets at least one superuser.
    superuser_prep_hours : float
        Time a superuser needs to master the CRM and prepare before teaching.
    currency : str
        ISO 4217 code the prices are in (``"USD"``, ``"IRR"``): shown next to the costs.

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
    crmlab.analysis.training.cost.TrainingPlanError: `n_sites` (5) cannot be more than `n_users` (2): ...
    """

    n_users: int = 40
    n_sites: int = 3
    hourly_cost: float = 30.0
    classroom_hours: float = 16.0
    class_size: int = 12
    trainer_day_rate: float = 900.0
    travel_per_site: float = 500.0
    elearning_hours: float = 8.0
    licence_per_user: float = 150.0
    in_house_hours: float = 12.0
    users_per_superuser: int = 10
    superuser_prep_hours: float = 40.0
    currency: str = "USD"

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name != "currency":
                object.__setattr__(self, f.name, _checked(f.name, getattr(self, f.name)))
        if not (isinstance(self.currency, str) and len(self.currency) == 3 and self.currency.isascii()
                and self.currency.isupper()):  # fmt: skip
            raise TrainingPlanError(
                f"The value for `currency` must be an ISO 4217 code of three capital letters such as 'USD' or "
                f"'IRR', but {self.currency!r} was passed."
            )
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
        components of :data:`COMPONENTS`, ``total`` and ``per_user``.

    Examples
    --------
    >>> costs = cost_by_method(TrainingPlan(n_users=40, n_sites=3))
    >>> costs[["trainer", "travel", "time_away", "total", "per_user"]].loc["face_to_face"].tolist()
    [7200.0, 1500.0, 19200.0, 27900.0, 697.5]
    >>> costs["per_user"].tolist()
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
        "e_learning": {"licence": plan.n_users * plan.licence_per_user,
                       "time_away": _time_away(plan, plan.elearning_hours)},  # fmt: skip
        "in_house": _in_house(plan),
    }
    costs = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=list(COMPONENTS)).fillna(0.0)
    costs = costs.astype(float).rename_axis("training_method")
    costs["total"] = costs.sum(axis=1)
    costs["per_user"] = costs["total"] / plan.n_users
    return costs


def _time_away(plan: TrainingPlan, hours: float) -> float:
    return plan.n_users * hours * plan.hourly_cost


def _face_to_face(plan: TrainingPlan) -> dict[str, float]:
    sessions = max(plan.n_sites, math.ceil(plan.n_users / plan.class_size))
    days = sessions * math.ceil(plan.classroom_hours / HOURS_PER_DAY)
    return {
        "trainer": days * plan.trainer_day_rate,
        "travel": plan.n_sites * plan.travel_per_site,
        "time_away": _time_away(plan, plan.classroom_hours),
    }


def _in_house(plan: TrainingPlan) -> dict[str, float]:
    superusers = max(plan.n_sites, math.ceil(plan.n_users / plan.users_per_superuser))
    hours = superusers * (plan.superuser_prep_hours + plan.in_house_hours)
    return {"superuser": hours * plan.hourly_cost, "time_away": _time_away(plan, plan.in_house_hours)}


