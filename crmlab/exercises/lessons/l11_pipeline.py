"""Exercises of lesson 11, *The sales pipeline*: win rate, the sales cycle, velocity, ageing deals, the forecast.

Expected values are computed from the course's database with :mod:`crmlab.analysis.pipeline`
on the first check, never typed in; each known mistake is computed the wrong way, as a learner
would: counting open deals, mixing in lost ones, or looking past the date. Money is in the practice
company's currency, whole rials (``amount_cents`` holds rials despite its name: nothing to divide by 100);
dividing by 100 out of habit, or giving toman (a tenth), are known mistakes.
"""

from functools import cache

import pandas as pd

from crmlab.analysis import kpis, pipeline
from crmlab.datasets import practice_crm
from crmlab.exercises import AnswerError, CompareOptions, Mistake, Question, Reflection
from crmlab.exercises.lessons import shown_by
from crmlab.exercises.lessons.money_mistakes import unit_mistakes

TITLE = "The sales pipeline: closing faster"

#: The date every as-of question is asked on: the start of Q4 2025, Tehran time.
AS_OF = "2025-10-01"
REGION = "West"
LOOKBACK = pd.Timedelta(days=365)
_DAY = pd.Timedelta(days=1)
_DAYS = CompareOptions(atol=1.0)  # whole days (`.dt.days`) are fine
_RIALS = CompareOptions(rtol=1e-6, atol=1.0)  # money to the rial (a float sum may differ in its last digits)
_TODAY = ("These are the deals stuck *today*, at the end of the export, not on the date. "
          "Use the stage each deal was in on the date, and the days it had sat there: `snap`.")  # fmt: skip


@cache
def _crm():
    return practice_crm(tables=["opportunities", "opportunity_stages", "customers", "reps"])


@cache
def _deals() -> pd.DataFrame:
    crm = _crm()
    return pipeline.label_deals(crm.opportunities, crm.customers, crm.reps)


def _when() -> pd.Timestamp:
    return pipeline.as_of_instant(AS_OF)


# ---------------------------------------------------------------- q1: win rate


def _stages() -> pd.Series:
    return _crm().opportunities["stage"]


# ---------------------------------------------------------------- q2: median cycle


def _cycle(rows: pd.Series | None = None, how: str = "median") -> float:
    o = _crm().opportunities
    days = (o["closed_at"] - o["created_at"]) / _DAY
    return float(days[rows].agg(how) if rows is not None else days.agg(how))


# ---------------------------------------------------------------- q3: velocity of a region


def _snapshot() -> pd.DataFrame:
    return pipeline.pipeline_as_of(_deals(), _crm().opportunity_stages, AS_OF)


def _leaky_snapshot() -> pd.DataFrame:
    """Every deal with today's stage and close date: what the raw table gives without the as-of step."""
    d = _deals().set_index("opportunity_id")
    return d.assign(is_open=~d["stage"].isin(pipeline.CLOSED))


def _major() -> int:
    """How many ``amount_cents`` make one unit of the practice company's currency (1: whole rials)."""
    return 10 ** _crm().conventions.minor_unit


def _velocity(deals: pd.DataFrame, *, divide: float = 1, open_in_rate: bool = False,
              lookback: bool = True, cycle: str = "mean") -> float:  # fmt: skip
    d = deals[deals["region"] == REGION]
    open_ = d[d["is_open"]]
    closed = d[d["closed_at"].notna()]
    if lookback:
        closed = closed[closed["closed_at"] >= _when() - LOOKBACK]
    won = closed[closed["stage"] == pipeline.WON]
    rate = len(won) / (len(closed) + (len(open_) if open_in_rate else 0))
    days = ((won["closed_at"] - won["created_at"]) / _DAY).agg(cycle)
    return float(len(open_) * (open_["amount_cents"].mean() / _major() / divide) * rate / days)


# ---------------------------------------------------------------- q4: stuck deals


def _stuck(as_of=AS_OF, quantile: float = 0.8) -> list[int]:
    ageing = pipeline.ageing_deals(_deals(), _crm().opportunity_stages, as_of, quantile=quantile)
    return sorted(int(i) for i in ageing.index[ageing["is_stuck"]])


def _stuck_today_with_limits_of_the_date() -> list[int]:
    """Today's open deals and days in stage (at the export), against the date's limits."""
    crm = _crm()
    limits = pipeline.stage_limits(pipeline.stage_durations(crm.opportunity_stages, AS_OF))["limit_days"]
    today = pipeline.pipeline_as_of(_deals(), crm.opportunity_stages, kpis.EXPORT_END)
    today = today[today["is_open"]]
    return sorted(int(i) for i in today.index[today["days_in_stage"] > today["stage"].map(limits)])


def _empty(ids) -> bool:
    return isinstance(ids, (list, tuple, set, pd.Index)) and len(ids) == 0


def _ids(answer):
    """Opportunity ids from a list, an Index, a Series of ids or of True/False, or a table of deals."""
    if isinstance(answer, pd.DataFrame):
        if answer.index.name == "opportunity_id":
            return list(answer.index)
        if "opportunity_id" in answer.columns:
            return list(answer["opportunity_id"])
        raise AnswerError("Your table has no `opportunity_id` (neither as its index nor as a column): "
                          "give the ids of the stuck deals, e.g. `stuck.index.tolist()`.")  # fmt: skip
    if isinstance(answer, pd.Series) and answer.dtype == bool:
        return list(answer.index[answer])
    return answer


# ---------------------------------------------------------------- q5: weighted pipeline


def _weighted(deals: pd.DataFrame | None = None, chance: pd.Series | None = None, divide: float = 1) -> float:
    crm = _crm()
    d = _snapshot() if deals is None else deals
    chance = pipeline.win_probability(crm.opportunity_stages, AS_OF)["win_probability"] if chance is None else chance
    open_ = d[d["is_open"]]
    return float((open_["amount_cents"] / _major() / divide * open_["stage"].map(chance)).sum())


def _weighted_today() -> float:
    d = _deals().set_index("opportunity_id")
    return _weighted(d.assign(is_open=~d["stage"].isin(pipeline.CLOSED)))


QUESTIONS = [
    Question(
        "q1",
        "The win rate of all deals closed by the end of the export (`crm.opportunities`): a share between 0 and 1.",
        expected=lambda: pipeline.win_rate(_crm().opportunities),
        hints=[
            "A win rate judges decided deals only: won ones against won plus lost ones.",
            "Count `stage == 'closed_won'` and `stage == 'closed_lost'`; open deals count in neither.",
            "`won / (won + lost)`",
        ],
        solution="stage = crm.opportunities['stage']\n"
        "won, lost = (stage == 'closed_won').sum(), (stage == 'closed_lost').sum()\n"
        "rate = won / (won + lost)",
        mistakes=[
            Mistake("You divided by every deal, open ones included. An open deal is not lost yet: "
                    "divide by the closed deals (won + lost) only.",
                    expected=lambda: float((_stages() == pipeline.WON).mean())),  # fmt: skip
            Mistake("You divided the won deals by the lost ones (odds), not by all closed deals.",
                    expected=lambda: float((_stages() == pipeline.WON).sum() / (_stages() == pipeline.LOST).sum())),
            Mistake("That is the share of closed deals that were *lost*.",
                    expected=lambda: 1 - pipeline.win_rate(_crm().opportunities)),  # fmt: skip
        ],
    ),
    Question(
        "q2",
        "The median sales cycle in days: from `created_at` to `closed_at`, over the deals that were won.",
        expected=lambda: kpis.sales_cycle_days(_crm().opportunities),
        hints=[
            "Keep the won deals only: `stage == 'closed_won'`.",
            "Subtract `created_at` from `closed_at` and turn the time spans into days "
            "(`/ pd.Timedelta(days=1)` or `.dt.days`).",
            "`won = o[o['stage'] == 'closed_won']`, then `((won['closed_at'] - won['created_at']) / "
            "pd.Timedelta(days=1)).median()`",
        ],
        solution="o = crm.opportunities\n"
        "won = o[o['stage'] == 'closed_won']\n"
        "median_cycle = ((won['closed_at'] - won['created_at']) / pd.Timedelta(days=1)).median()",
        mistakes=[
            Mistake("You included lost deals: a deal lost in its first week is not a fast sale. "
                    "Keep only `stage == 'closed_won'`.",
                    expected=lambda: _cycle()),  # fmt: skip
            Mistake("That is the mean; the question asks for the median, which a few very long deals cannot drag.",
                    expected=lambda: _cycle(_stages() == pipeline.WON, "mean")),  # fmt: skip
        ],
        compare=_DAYS,
    ),
    Question(
        "q3",
        f"The pipeline velocity of the {REGION} region on {AS_OF}, in rials per day: open deals x their average "
        "value (rials) x win rate / mean cycle of won deals, the last two over the deals closed in the 365 days "
        "before the date. Start from `snap`, the pipeline as of that date.",
        expected=lambda: float(pipeline.pipeline_velocity(_deals(), _crm().opportunity_stages, AS_OF,
                                                          by="region").loc[REGION, "velocity_per_day"]),
        hints=[
            f"Keep `snap['region'] == '{REGION}'`. Open deals: `is_open`; recently closed: "
            "`closed_at >= AS_OF - pd.Timedelta(days=365)`.",
            "The win rate and the cycle come from the recently closed deals; the number of deals and "
            "their average value from the open ones. `amount_cents` holds whole rials, despite its name.",
            "`len(open_) * open_['amount_cents'].mean() * rate / cycle`",
        ],
        solution="west = snap[snap['region'] == 'West']\n"
        "open_ = west[west['is_open']]\n"
        "closed = west[west['closed_at'] >= AS_OF - pd.Timedelta(days=365)]\n"
        "won = closed[closed['stage'] == 'closed_won']\n"
        "rate = len(won) / len(closed)\n"
        "cycle = ((won['closed_at'] - won['created_at']) / pd.Timedelta(days=1)).mean()\n"
        "velocity = len(open_) * open_['amount_cents'].mean() * rate / cycle  # amount_cents: whole rials",
        mistakes=[
            *unit_mistakes("amount_cents", lambda divide: _velocity(_snapshot(), divide=divide), what="velocity"),
            Mistake("Your win rate counts the open deals as if they were lost: divide the won deals by the "
                    "closed ones only.",
                    expected=lambda: _velocity(_snapshot(), open_in_rate=True)),  # fmt: skip
            Mistake("You used the deals' stage *today* (`crm.opportunities`), not on the date: deals that "
                    "were open then and closed later drop out, and later wins leak in. Start from `snap`.",
                    expected=lambda: _velocity(_leaky_snapshot())),  # fmt: skip
            Mistake("Your win rate and cycle use every deal ever closed; the question keeps the 365 days "
                    "before the date.",
                    expected=lambda: _velocity(_snapshot(), lookback=False)),  # fmt: skip
            Mistake("You took the median cycle; the velocity formula uses the average (mean) cycle.",
                    expected=lambda: _velocity(_snapshot(), cycle="median")),  # fmt: skip
        ],
        compare=_RIALS,
    ),
    Question(
        "q4",
        f"The deals stuck on {AS_OF}: open deals that had sat in their stage longer than the limit of "
        "`limits` (the 80th percentile of closed deals' time in that stage). Give their `opportunity_id`s.",
        expected=_stuck,
        prepare=_ids,
        hints=[
            "Start from `snap`: the stage each deal was in *on the date*, and `days_in_stage` counted to the date.",
            "Keep the open deals, look up each one's limit with `snap['stage'].map(limits['limit_days'])`.",
            "`open_ = snap[snap['is_open']]`, then the ids where `open_['days_in_stage'] > "
            "open_['stage'].map(limits['limit_days'])`.",
        ],
        solution="open_ = snap[snap['is_open']]\n"
        "limit = open_['stage'].map(limits['limit_days'])\n"
        "stuck_ids = open_.index[open_['days_in_stage'] > limit].tolist()",
        mistakes=[
            Mistake(_TODAY, expected=lambda: _stuck(kpis.EXPORT_END)),
            Mistake(_TODAY, expected=_stuck_today_with_limits_of_the_date),
            Mistake("No stuck deal at all? If you took each deal's stage from the whole history or from "
                    "`crm.opportunities` (today's stage), the deals that moved on after the date look fresh. "
                    "Use only the history before the date: the stage in `snap`, and `days_in_stage`.",
                    when=shown_by(_empty, example=list)),  # the learner's empty list  # fmt: skip
            Mistake("You compared with the typical (median) time; the limit is the 80th percentile.",
                    expected=lambda: _stuck(quantile=0.5)),  # fmt: skip
        ],
    ),
    Question(
        "q5",
        f"The weighted pipeline on {AS_OF}, in rials: for each deal open on the date, its amount times the "
        "chance that a deal in its stage is won (`chance`, learnt from the history known then); summed.",
        expected=_weighted,
        hints=[
            "Open deals on the date: `snap[snap['is_open']]`.",
            "Map each deal's stage to its chance of winning: `open_['stage'].map(chance['win_probability'])`.",
            "`(open_['amount_cents'] * open_['stage'].map(chance['win_probability'])).sum()`: "
            "`amount_cents` holds whole rials.",
        ],
        solution="open_ = snap[snap['is_open']]\n"
        "weighted = (open_['amount_cents'] * open_['stage'].map(chance['win_probability'])).sum()  # whole rials",
        mistakes=[
            *unit_mistakes("amount_cents", lambda divide: _weighted(divide=divide), what="weighted pipeline"),
            Mistake("You weighted by the chance of moving to the *next* stage (`conversion`); a deal is "
                    "worth its chance of being *won*: `win_probability`.",
                    expected=lambda: _weighted(chance=pipeline.win_probability(
                        _crm().opportunity_stages, AS_OF)["conversion"])),  # fmt: skip
            Mistake("You weighted today's open deals (their stage at the export), not those open on the date.",
                    expected=_weighted_today),  # fmt: skip
            Mistake("Your chances were learnt from the whole history, including what happened after the "
                    "date: a forecast may only use what was known then (`win_probability(..., AS_OF)`).",
                    expected=lambda: _weighted(chance=pipeline.win_probability(
                        _crm().opportunity_stages)["win_probability"])),  # fmt: skip
        ],
        compare=_RIALS,
    ),
    Reflection(
        "q7",
        "Reps who fill in more of the CRM close their deals faster. In two or three sentences: why "
        "might that be, other than complete data entry speeding up the sale, and how could you find out?",
        solution="A third factor can drive both: an organised, experienced or keen rep fills in the fields "
        "*and* follows up promptly; the easier accounts or territories may go to the better reps; and a "
        "rep who closes fast has fewer stale records to fill in. To find out, run an experiment: make the "
        "required fields easier to fill (or coach data entry) for a random half of the reps, and compare the "
        "change in their cycles with the other half's.",
        rubric=[
            "Names a third factor that could drive both (the rep's organisation or experience, easier accounts).",
            "Or names reverse causation: a fast close leaves fewer stale fields to fill in.",
            "Proposes a way to find out that rules these out: a randomised test over reps (lesson 09), "
            "not a bigger correlation.",
        ],
    ),
]
