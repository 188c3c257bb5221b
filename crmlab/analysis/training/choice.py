"""Choosing a method: a small decision aid with its reasons, and value for money."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from crmlab.validation import require_table

from .cost import LEVELS, MANY_SITES, METHODS, TrainingPlan, _checked, cost_by_method

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
        Indexed by ``training_method``: ``score``, ``total``, ``per_user``,
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
    budget: float | None = None,
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
    budget : float, optional
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
    >>> recommend_method("low", "high", "high", budget=20_000).method
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
    if budget is not None:
        within = costs["total"] <= _checked("budget", budget)
        over = [m for m in METHODS if allowed[m] and not within[m]]
        if over:
            reasons.append(f"over the budget of {plan.currency} {budget:,.0f}: {', '.join(over)}")
        allowed = allowed & within if (allowed & within).any() else allowed
    table = costs[["total", "per_user"]].assign(score=score, allowed=allowed)
    table = table.sort_values(["allowed", "score", "total"], ascending=[False, False, True])
    best = str(table.index[0])
    if budget is not None and costs.loc[best, "total"] > budget:
        reasons.append(f"no allowed method fits the budget: {best} scores best; train in waves or raise it")
    else:
        left = int(table["allowed"].sum())
        reasons.append(f"{best} has the best score ({table.loc[best, 'score']}) of the {left} method(s) left")
    reasons.append("whichever method: measure adoption afterwards (data-entry completeness per rep)")
    return Recommendation(best, table[["score", "total", "per_user", "allowed"]], reasons)


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
        Indexed by ``training_method``: ``per_user``, ``gain_points`` (the gain in
        percentage points) and ``cost_per_point``, cheapest per point first.

    Examples
    --------
    >>> gains = pd.DataFrame({"gain": [0.2, 0.08, 0.14]}, index=pd.Index(METHODS, name="training_method"))
    >>> value_for_money(cost_by_method(), gains)["cost_per_point"].round(2).tolist()
    [34.88, 36.86, 48.75]
    """
    require_table(costs, "costs", ["per_user"], fix="Pass the result of `cost_by_method`.")
    require_table(gains, "gains", ["gain"], fix="Pass the result of `gain_by_method`.")
    out = costs[["per_user"]].join(gains["gain"].mul(100).rename("gain_points"), how="inner")
    out = out.assign(cost_per_point=out["per_user"] / out["gain_points"].where(out["gain_points"] > 0))
    return out.sort_values("cost_per_point")
