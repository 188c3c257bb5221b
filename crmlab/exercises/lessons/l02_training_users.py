"""Exercises of lesson 02, *Training your CRM users*: cost, adoption, the self-selection trap, choosing;
the three methods' cost and measured gain per learner together (T1-T3).

Expected values are computed from the cost model and the course's database on the first
check, never typed in. Money is in rials, the practice company's currency: :data:`PRICES` are the
lesson's prices (the company's 2022 prices), since ``TrainingPlan``'s own defaults are US dollars.
"""

import dataclasses
from functools import cache

import pandas as pd

from crmlab.analysis import kpis, training
from crmlab.conventions import COURSE
from crmlab.datasets import practice_crm
from crmlab.exercises import CompareOptions, Mistake, Question, Reflection
from crmlab.exercises.lessons import shown_by

TITLE = "Training your CRM users"

#: The lesson's prices, in whole rials at the company's 2022 prices (the lesson notebook's parameters and the
#: exercises' ``prices`` cell hold the same values; tests/test_lesson02_exercises.py checks it). The plan's other
#: inputs are hours and head counts, which keep ``TrainingPlan``'s defaults.
PRICES = {"hourly_cost": 9_000_000, "trainer_day_rate": 270_000_000, "travel_per_site": 150_000_000,
          "licence_per_user": 45_000_000, "currency": "IRR"}  # fmt: skip
#: The company's conventions showing rials in toman (ten rials), for the price quoted in toman.
TOMAN = dataclasses.replace(COURSE, display_unit="toman")
#: q1: the face-to-face plan priced by hand (the other inputs keep their defaults); the trainer's fee is
#: quoted in toman, as Iranian vendors often do, and must be turned into rials.
SCENARIO = {"n_users": 30, "n_sites": 2, "class_size": 10, "classroom_hours": 16, "trainer_day_rate": 300_000_000,
            "travel_per_site": 240_000_000, "hourly_cost": 7_500_000, "currency": "IRR"}  # fmt: skip
#: q5: the call-centre team of the decision-aid question.
CALL_CENTRE = {"in_house_resources": "high", "data_entry": "low", "process_heaviness": "medium"}
CALL_CENTRE_PLAN = {"n_users": 60, "n_sites": 1, **PRICES}
CALL_CENTRE_BUDGET = 7_500_000_000
COLUMNS = ["before", "after", "gain"]
#: q10, q11: a larger company than the lesson's plan (40 users at 3 sites), at the lesson's prices.
LESSON_PLAN = dict(PRICES)
BIG_PLAN = {"n_users": 120, "n_sites": 6, **PRICES}
#: The q10 plan without the prices: ``TrainingPlan``'s defaults, in US dollars (a mistake to recognise).
DOLLAR_BIG_PLAN = {"n_users": 120, "n_sites": 6}


def _f2f_per_user(**changes) -> float:
    plan = training.TrainingPlan(**{**SCENARIO, **changes})
    return float(training.cost_by_method(plan).loc["face_to_face", "per_user"])


@cache
def _crm():
    return practice_crm(tables=["reps", "rep_activity"])


@cache
def _per_rep(exclude_disengaged: bool = True) -> pd.DataFrame:
    crm = _crm()
    fading = training.disengaged_reps(crm.reps, crm.rep_activity).index if exclude_disengaged else []
    return training.adoption_by_rep(crm.reps, crm.rep_activity, exclude=fading)


def _gains(exclude_disengaged: bool = True) -> pd.DataFrame:
    return training.gain_by_method(_per_rep(exclude_disengaged))


def _levels(method: str, exclude_disengaged: bool = True, pooled: bool = False) -> dict:
    if pooled:  # every week of every rep of the method in one pot: busy reps weigh more
        crm = _crm()
        reps = crm.reps[(crm.reps["training_method"] == method) & crm.reps["rep_id"].isin(_per_rep().index)]
        weeks = crm.rep_activity.merge(reps[["rep_id", "trained_on"]], on="rep_id")
        share = kpis.pooled_completeness(weeks.assign(after=weeks["week_start"] >= weeks["trained_on"]), "after")
        return {"before": float(share.loc[False, "completeness"]), "after": float(share.loc[True, "completeness"])}
    rows = _per_rep(exclude_disengaged)
    rows = rows[rows["training_method"] == method]
    return {"before": float(rows["before"].mean()), "after": float(rows["after"].mean())}


def _swapped(answer) -> bool:
    return isinstance(answer, dict) and answer.get("before", 0) > answer.get("after", 1)


def _common_baseline_gains() -> pd.DataFrame:
    """The trap: every method's after level minus one baseline shared by all reps."""
    gains = _gains()[COLUMNS].copy()
    gains["gain"] = gains["after"] - _per_rep()["before"].mean()
    return gains


def _did(column: str = "diff_in_diff", exclude_disengaged: bool = True, scale: float = 1) -> float:
    return float(_gains(exclude_disengaged).loc["face_to_face", column]) * scale


def _recommended(budget: float | None = CALL_CENTRE_BUDGET, plan: dict = CALL_CENTRE_PLAN) -> str:
    plan = training.TrainingPlan(**plan)
    return training.recommend_method(**CALL_CENTRE, plan=plan, budget=budget).method


def _method_name(answer):
    """Accept the Recommendation itself as well as its ``method``."""
    return answer.method if isinstance(answer, training.Recommendation) else answer


def _value(plan: dict = BIG_PLAN, exclude_disengaged: bool = True, per: str = "user", points: bool = True):
    costs = training.cost_by_method(training.TrainingPlan(**plan))
    out = training.value_for_money(costs, _gains(exclude_disengaged))[["per_user", "gain_points", "cost_per_point"]]
    if per == "total":
        out = out.assign(cost_per_point=costs["total"].reindex(out.index) / out["gain_points"])
    if not points:
        out = out.assign(gain_points=out["gain_points"] / 100, cost_per_point=out["cost_per_point"] * 100)
    return out


def _best_value() -> str:
    return str(_value()["cost_per_point"].idxmin())


def _cheapest_per_user() -> str:
    return str(_value()["per_user"].idxmin())


def _names(method: str):
    return lambda answer: str(_method_name(answer)).strip().casefold() == method.casefold()


SHARE = CompareOptions(atol=5e-4, rtol=0)

QUESTIONS = [
    Question(
        "q1",
        "By hand: the face-to-face cost per trained user, in rials, for 30 users at 2 sites, classes of 10, "
        f"a 16-hour course, a trainer who asks {TOMAN.money(SCENARIO['trainer_day_rate'])} a day (a toman is "
        f"ten rials), {COURSE.money(SCENARIO['travel_per_site'])} travel per site, and "
        f"{COURSE.money(SCENARIO['hourly_cost'])} for each hour a user spends away from work.",
        expected=_f2f_per_user,
        hints=[
            "Add up three things: the trainer's days, the trainer's travel, and the users' hours away "
            "from work, all in rials. Then divide by the number of users.",
            "Classes: 30 users in classes of 10 (and at least one per site). Each class lasts 16 hours, "
            "which the trainer bills as 2 days, at 10 rials for every toman of the fee.",
            "`(3 * 2 * 300_000_000 + 2 * 240_000_000 + 30 * 16 * 7_500_000) / 30`",
        ],
        solution="trainer = 3 * 2 * 30_000_000 * 10  # 3 classes of 10, 2 days each; a toman is 10 rials\n"
        "travel = 2 * 240_000_000  # one trip per site\n"
        "time_away = 30 * 16 * 7_500_000  # every user, 16 hours, IRR 7,500,000 an hour\n"
        "f2f_per_user = (trainer + travel + time_away) / 30",
        mistakes=[
            Mistake("You left out travel: face-to-face means the trainer goes to every site "
                    "(or the users come to the trainer), and someone pays for the trips.",
                    expected=lambda: _f2f_per_user(travel_per_site=0)),  # fmt: skip
            Mistake("You counted only the cash paid out. The hours users spend in the classroom "
                    "instead of working cost the company too, and they are the biggest part.",
                    expected=lambda: _f2f_per_user(hourly_cost=0)),  # fmt: skip
            Mistake("You counted one class per site, but a class holds 10 users: 30 users need "
                    "3 classes.",
                    expected=lambda: _f2f_per_user(class_size=30)),  # fmt: skip
            Mistake("That is the cost of the whole plan. The question asks for the cost per trained "
                    "user: divide by the number of users.",
                    expected=lambda: _f2f_per_user() * SCENARIO["n_users"]),  # fmt: skip
            Mistake("You added the trainer's fee in toman to amounts in rials. A toman is ten rials: "
                    "turn the fee into rials before adding it up.",
                    expected=lambda: _f2f_per_user(trainer_day_rate=SCENARIO["trainer_day_rate"] / 10)),  # fmt: skip
            Mistake("That is the answer in toman. The question asks for rials, the unit the company's data "
                    "and prices are kept in: a toman is ten rials.",
                    expected=lambda: _f2f_per_user() / 10),  # fmt: skip
        ],
        compare=CompareOptions(rtol=1e-4),
        correct_message="`training.cost_by_method` does the same sums: try it with a `TrainingPlan` "
        "of these inputs (in rials, with `currency='IRR'`).",
    ),
    Question(
        "q2",
        "The in-house reps' mean data-entry completeness before and after training, the "
        "disengaged reps left out: a dict `{'before': ..., 'after': ...}` of shares (0 to 1).",
        expected=lambda: _levels("in_house"),
        hints=[
            "Start from one row per rep: `training.adoption_by_rep(...)`; leave out the reps of "
            "`training.disengaged_reps(...)` with `exclude=`.",
            "Keep the rows whose `training_method` is 'in_house' and take the mean of `before` "
            "and of `after`.",
            "`{'before': ih['before'].mean(), 'after': ih['after'].mean()}`",
        ],
        solution="fading = training.disengaged_reps(crm.reps, crm.rep_activity)\n"
        "per_rep = training.adoption_by_rep(crm.reps, crm.rep_activity, exclude=fading.index)\n"
        "ih = per_rep[per_rep['training_method'] == 'in_house']\n"
        "ih_levels = {'before': ih['before'].mean(), 'after': ih['after'].mean()}",
        mistakes=[
            Mistake("Your levels include an in-house rep who stopped entering data in "
                    "the last six months. That is a separate problem (adoption fading), not what "
                    "training did: leave the disengaged reps out.",
                    expected=lambda: _levels("in_house", exclude_disengaged=False)),  # fmt: skip
            Mistake("You pooled every week of every in-house rep, so the busiest reps weigh the "
                    "most. Work out each rep's completeness first, then average the reps.",
                    expected=lambda: _levels("in_house", pooled=True)),  # fmt: skip
            Mistake("Your 'before' is higher than your 'after': are the two swapped?",
                    when=shown_by(_swapped, example=lambda: {"before": _levels("in_house")["after"],
                                                             "after": _levels("in_house")["before"]})),  # fmt: skip
        ],
        compare=SHARE,
    ),
    Question(
        "q3",
        "The gain by method: a table with one row per `training_method` and the columns `before`, "
        "`after` and `gain` (means over reps, disengaged reps left out).",
        expected=lambda: _gains()[COLUMNS],
        hints=[
            "Group the per-rep table by `training_method`.",
            "Each rep's gain is their own after minus their own before; average it by method.",
            "`per_rep.groupby('training_method')[['before', 'after', 'gain']].mean()`",
        ],
        solution="gains = per_rep.groupby('training_method')[['before', 'after', 'gain']].mean()",
        mistakes=[
            Mistake("Your gains subtract one baseline shared by all reps from every method's after "
                    "level. The methods' reps did not start at the same level: take each method's "
                    "own before.",
                    expected=_common_baseline_gains),  # fmt: skip
            Mistake("Your table includes the two reps whose data entry fades at the end: leave them "
                    "out, as in question 2.",
                    expected=lambda: _gains(exclude_disengaged=False)[COLUMNS]),  # fmt: skip
        ],
        compare=CompareOptions(atol=5e-4, rtol=0, allow_extra_columns=True),
    ),
    Question(
        "q4",
        "Difference in differences: by how much more did face-to-face raise completeness than "
        "e-learning? A share, e.g. 0.05 for 5 points.",
        expected=_did,
        hints=[
            "Not the difference between the after levels: compare what each method changed.",
            "Face-to-face's gain minus e-learning's gain, from your `gains` table.",
            "`gains.loc['face_to_face', 'gain'] - gains.loc['e_learning', 'gain']`",
        ],
        solution="f2f_vs_el = gains.loc['face_to_face', 'gain'] - gains.loc['e_learning', 'gain']",
        mistakes=[
            Mistake("You compared the after-training levels only: that is the self-selection trap. "
                    "Face-to-face reps were already more complete before training (keener reps "
                    "chose the classroom), so part of that gap has nothing to do with the method. "
                    "Compare the gains instead.",
                    expected=lambda: _did("after_gap")),  # fmt: skip
            Mistake("Give the difference as a share (0.1 for 10 points), not in percentage points.",
                    expected=lambda: _did(scale=100)),  # fmt: skip
            Mistake("You compared the before levels: that is the difference the groups started with, "
                    "not what training did.",
                    expected=lambda: _did("before_gap")),  # fmt: skip
            # No message for keeping the fading reps: on the practice company they move this difference by
            # 0.0004, inside the tolerance (questions 2 and 3 teach leaving them out).
        ],
        compare=CompareOptions(atol=5e-4, rtol=0),
    ),
    Question(
        "q5",
        "A call-centre team of 60 users at one site; the data entry is light (a few fields per call), "
        "the system follows a moderate number of company processes, the company has skilled "
        f"superusers, and the budget is {COURSE.money(CALL_CENTRE_BUDGET)}; the plan is priced at the lesson's "
        "prices (`prices`). Which method does `training.recommend_method` pick? Give its name, e.g. 'in_house'.",
        expected=_recommended,
        prepare=_method_name,
        hints=[
            "Each factor is 'low', 'medium' or 'high': light data entry is 'low', skilled superusers "
            "are 'high' in-house resources.",
            "The site count and the prices come from the plan: "
            "`training.TrainingPlan(n_users=60, n_sites=1, **prices)`; the budget, in rials, is `budget=`.",
            "`training.recommend_method('high', 'low', 'medium', plan=..., budget=7_500_000_000).method`",
        ],
        solution="call_centre = training.TrainingPlan(n_users=60, n_sites=1, **prices)\n"
        "rec = training.recommend_method('high', 'low', 'medium', plan=call_centre, budget=7_500_000_000)\n"
        "pick = rec.method",
        mistakes=[
            # One answer, three ways to reach it: no budget; a plan at TrainingPlan's default prices (US dollars,
            # which any budget in rials covers); a budget typed in toman, which no method fits.
            Mistake("That is what the aid picks when the budget does not decide. Pass "
                    "`budget=7_500_000_000`, in rials (not toman), and price the plan in rials with `**prices`: "
                    "`TrainingPlan`'s default prices are US dollars. What does the in-house plan cost for 60 users?",
                    expected=lambda: _recommended(budget=None)),  # fmt: skip
            Mistake("Give the method's name as the CRM spells it: 'face_to_face', 'e_learning' or "
                    "'in_house' (the `method` of the recommendation).",
                    when=shown_by(lambda answer: isinstance(answer, str) and answer not in training.METHODS,
                                 example=lambda: _recommended().replace("_", " ").title())),  # fmt: skip
        ],
        correct_message="Look at `rec.reasons` and `rec.scores`: in-house scores best, but it costs "
        "more than the budget.",
    ),
    Question(
        "q10",
        f"Cost and outcome per learner (T1-T3) for a bigger company: {BIG_PLAN['n_users']} users at "
        f"{BIG_PLAN['n_sites']} sites, at the lesson's prices (`prices`, in rials), the plan's other inputs at "
        "their defaults. A table with one row per "
        "`training_method` and the columns `per_user` (the cost per trained user), `gain_points` (the "
        "method's mean gain in completeness of question 3, in percentage points) and `cost_per_point` "
        "(cost per user / gain points).",
        expected=_value,
        hints=[
            f"`training.cost_by_method(training.TrainingPlan(n_users={BIG_PLAN['n_users']}, "
            f"n_sites={BIG_PLAN['n_sites']}, **prices))` prices the three methods for this company.",
            "The gains are those of question 3 (disengaged reps left out); x 100 makes them points.",
            "Divide the cost *per user* by the points; `training.value_for_money(costs, gains)` does the "
            "same, to check.",
        ],
        solution=f"costs = training.cost_by_method(training.TrainingPlan(n_users={BIG_PLAN['n_users']}, "
        f"n_sites={BIG_PLAN['n_sites']}, **prices))\n"
        "value = pd.DataFrame({'per_user': costs['per_user'], 'gain_points': gains['gain'] * 100})\n"
        "value['cost_per_point'] = value['per_user'] / value['gain_points']\n"
        "value = value.rename_axis('training_method').reset_index()",
        mistakes=[
            Mistake("These are the lesson's costs (40 users at 3 sites). Price the plan of the question: "
                    "trainer days, trips and superusers do not grow in step with the users.",
                    expected=lambda: _value(plan=LESSON_PLAN)),  # fmt: skip
            Mistake("Your costs are in US dollars: those are `TrainingPlan`'s default prices. Price the plan at "
                    "the lesson's prices, in rials: `training.TrainingPlan(..., **prices)`.",
                    expected=lambda: _value(plan=DOLLAR_BIG_PLAN)),  # fmt: skip
            Mistake("You divided the *total* cost by the points. Compare methods per learner: use "
                    "`per_user`.", expected=lambda: _value(per="total")),  # fmt: skip
            Mistake("Your gains are shares (0.1), not percentage points (10): multiply by 100 before dividing.",
                    expected=lambda: _value(points=False)),  # fmt: skip
            Mistake("Your gains include the reps whose data entry faded for reasons of their own; leave out "
                    "the disengaged reps, as in question 3.",
                    expected=lambda: _value(exclude_disengaged=False)),  # fmt: skip
        ],
        compare=CompareOptions(rtol=1e-6, allow_extra_columns=True),
    ),
    Question(
        "q11",
        "For that company, which method buys a point of completeness most cheaply? Its name as text "
        "('face_to_face', 'e_learning' or 'in_house').",
        expected=_best_value,
        hints=["The smallest `cost_per_point` of question 10.",
               "`value.set_index('training_method')['cost_per_point'].idxmin()`"],  # fmt: skip
        solution="best = value.set_index('training_method')['cost_per_point'].idxmin()",
        mistakes=[
            Mistake("That method is the cheapest per user, but it buys fewer points: weigh the cost against "
                    "the outcome (`cost_per_point`).",
                    when=shown_by(lambda a: _cheapest_per_user() != _best_value() and _names(_cheapest_per_user())(a),
                                  example=_cheapest_per_user)),  # fmt: skip
        ],
        compare=CompareOptions(ignore_text_case=True),
    ),
    Reflection(
        "q7",
        "In two or three sentences: how would you run the next wave of training so that it tells "
        "you which method works best?",
        solution="Randomise: draw lots for each new user's method, within each region (and team), "
        "so keenness and location cannot choose the method. Measure completeness the same way for "
        "everyone, over the same weeks before and after, and decide the comparison (the gain) "
        "before looking at the data.",
        rubric=[
            "Assigns the method by lot (randomises), not by the reps' or managers' choice.",
            "Randomises within regions or teams, so place and team cannot explain the difference.",
            "Fixes the measure (completeness, same weeks before and after) and the comparison in advance.",
            "Weighs the gain against each method's cost per user, not the gain alone.",
        ],
    ),
]
