"""Exercises of lesson 10, *Service and the call centre*: the SLA, response-time alerts, Erlang C, call peaks.

Expected values are computed with :mod:`crmlab.analysis.service` (and lesson 01's
:mod:`crmlab.analysis.kpis`) on the first check, never typed in; each known mistake is
computed the wrong way.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import cache

import numpy as np
import pandas as pd

from crmlab.analysis import service
from crmlab.analysis.kpis import ticket_sla
from crmlab.datasets import load_bank_calls, practice_crm
from crmlab.exercises import AnswerError, CompareOptions, Mistake, Question, Reflection
from crmlab.exercises.lessons import shown_by

TITLE = "Service and the call centre"
LOCAL = "Asia/Tehran"
#: Question 2's moment, as the support lead reads it on the office clock.
MOMENT = "2025-10-09 09:00"  # a Thursday morning; two tickets at risk on the practice company
#: Question 3: calls per half hour, handling time, agents, answer-time target.
Q3_CALLS, Q3_AHT, Q3_AGENTS = 360, 240, 55
#: Question 4: calls per half hour and handling time; the target is 80% within 20 seconds.
Q4_CALLS, Q4_AHT = 125, 300
_TABLES = CompareOptions(allow_extra_columns=True, ignore_column_case=True)


@cache
def _crm():
    return practice_crm(tables=["tickets"])


#: Question 5's month: the lesson found the peak of all eight months (Monday 10:00); August's differs.
#: (August's busiest single half-hour is also Monday 10:00: one message covers both mistakes.)
MONTH = "2003-08"


@cache
def _all_calls() -> pd.DataFrame:
    return load_bank_calls()


def _calls(month: str | None = MONTH) -> pd.DataFrame:
    calls = _all_calls()
    return calls if month is None else calls[calls["timestamp"].dt.strftime("%Y-%m") == month]


# ---------------------------------------------------------------- q1: SLA compliance by priority


def _compliance(breached: pd.Series, keep: pd.Series | None = None) -> pd.DataFrame:
    t = _crm().tickets
    keep = pd.Series(True, index=t.index) if keep is None else keep
    on_time = 1 - breached[keep].astype(float)
    return on_time.groupby(t.loc[keep, "priority"]).mean().rename("sla_compliance").rename_axis("priority").to_frame()


def _by_priority() -> pd.DataFrame:
    return service.sla_compliance(_crm().tickets, "priority")[["sla_compliance"]]


def _sla() -> pd.DataFrame:
    return ticket_sla(_crm().tickets).reset_index(drop=True)


def _open_as_breach() -> pd.DataFrame:
    t, sla = _crm().tickets, _sla()
    known = sla["sla_breached"].notna()
    return _compliance(sla["sla_breached"].fillna(False).astype(bool) | t["resolved_at"].isna(), known)


def _waiting_as_breach() -> pd.DataFrame:
    return _compliance(_sla()["sla_breached"].fillna(True).astype(bool))


def _mean_of_channels() -> pd.DataFrame:
    table = service.sla_compliance(_crm().tickets, ["priority", "channel"])["sla_compliance"]
    return table.groupby("priority").mean().rename("sla_compliance").to_frame()


def _breach_rate() -> pd.DataFrame:
    return _by_priority().assign(sla_compliance=lambda d: 1 - d["sla_compliance"])


def _resolution() -> pd.DataFrame:
    t = _crm().tickets
    hours = (t["resolved_at"] - t["created_at"]) / pd.Timedelta(hours=1)
    return _compliance(hours > t["sla_hours"], t["resolved_at"].notna())


# ---------------------------------------------------------------- q2: tickets at risk at a moment


def _moment(tz: str = LOCAL) -> pd.Timestamp:
    return pd.Timestamp(MOMENT, tz=tz)


def _at_risk(tickets: pd.DataFrame | None = None, tz: str = LOCAL, statuses=("at_risk",)) -> list[int]:
    alerts = service.response_alerts(_crm().tickets if tickets is None else tickets, _moment(tz))
    return sorted(int(i) for i in alerts.index[alerts["status"].isin(statuses)])


def _never_answered() -> list[int]:
    """Waiting only when never answered at all, as if every answer had come at once: nobody is at risk."""
    t = _crm().tickets
    answered = t["first_response_at"].notna()
    return _at_risk(t.assign(first_response_at=t["first_response_at"].where(~answered, t["created_at"])))


def _at_risk_from_resolution() -> list[int]:
    t = _crm().tickets
    return _at_risk(t.assign(first_response_at=t["resolved_at"]))


def _empty(answer) -> bool:
    return isinstance(answer, list) and not answer


def _ids(answer):
    """Ticket ids as a sorted list of ints, from a list, a set, an Index, a Series or the alerts table."""
    if isinstance(answer, pd.DataFrame):
        if answer.index.name == "ticket_id":
            answer = answer.index
        elif "ticket_id" in answer.columns:
            answer = answer["ticket_id"]
        else:
            raise AnswerError("Your table has no `ticket_id` (neither as its index nor as a column): give the ids "
                              "of the tickets at risk, e.g. `at_risk.index.tolist()`.")  # fmt: skip
    if isinstance(answer, pd.Series) and answer.dtype == bool:
        answer = answer.index[answer]
    if isinstance(answer, (str, bytes)) or not isinstance(answer, (list, tuple, set, pd.Index, pd.Series, np.ndarray)):
        raise AnswerError("Give the ticket ids as a list of numbers, e.g. `[101, 205]`.")
    try:
        return sorted(int(i) for i in list(answer))
    except (TypeError, ValueError) as exc:
        raise AnswerError("Give the ticket ids as a list of whole numbers, e.g. `[101, 205]`.") from exc


# ---------------------------------------------------------------- q3, q4: Erlang C


def _traffic(calls: float = Q3_CALLS, aht: float = Q3_AHT, minutes: float = 30) -> float:
    return calls * aht / (minutes * 60)


def _p_wait() -> float:
    return service.erlang_c(_traffic(), Q3_AGENTS)


def _agents(traffic: float | None = None) -> int:
    a = _traffic(Q4_CALLS, Q4_AHT) if traffic is None else traffic
    return int(service.agents_needed(a, aht_seconds=Q4_AHT, target_seconds=20, level=0.8))


# ---------------------------------------------------------------- q5: the busiest half-hour


def _label(peaks: pd.DataFrame) -> str:
    return f"{peaks.loc[0, 'weekday']} {peaks.loc[0, 'period']}"


def _busiest(how: str = "mean", freq: str = "30min", month: str | None = MONTH) -> str:
    return _label(service.peak_periods(service.weekly_pattern(_calls(month), freq=freq, how=how), n=1))


def _half_hour_text(answer) -> object:
    """'Weekday HH:MM' from text or a (weekday, time) pair; anything else is compared as it is."""
    if isinstance(answer, tuple) and len(answer) == 2:
        day, period = answer
        if isinstance(period, (dt.time, pd.Timestamp, dt.datetime)):
            period = period.strftime("%H:%M")
        answer = f"{day} {period}"
    if isinstance(answer, str):
        return " ".join(answer.split()).casefold()
    if isinstance(answer, (pd.Series, pd.DataFrame)):
        raise AnswerError("Give one half-hour as text, e.g. 'Tuesday 14:30', not a whole table: pick the row "
                          "with the most calls.")  # fmt: skip
    return answer


def _text(expected):
    return lambda: expected().casefold()


QUESTIONS = [
    Question(
        "q1",
        "SLA compliance by priority: a table with one row per `priority` and a column `sla_compliance`, the "
        "share of tickets whose first response came within `sla_hours` of `created_at`, among the tickets "
        "whose outcome is known at `EXPORT_END` (a ticket with no answer yet has breached if its deadline "
        "passed before `EXPORT_END`; if the deadline is still ahead, leave it out).",
        expected=_by_priority,
        hints=[
            "The deadline is `created_at + pd.to_timedelta(sla_hours, unit='h')`; the SLA is about the *first "
            "response*, not the solution.",
            "A ticket not answered yet compares as if answered at `EXPORT_END`: "
            "`first_response_at.fillna(EXPORT_END) > deadline` is a breach. Keep the tickets answered or "
            "whose deadline is before `EXPORT_END`.",
            "Compliance is `1 - breached`, averaged over all the tickets of a priority at once: "
            "`(~breached[known]).groupby(tickets['priority'][known]).mean()`.",
        ],
        solution="t = crm.tickets\n"
        "deadline = t['created_at'] + pd.to_timedelta(t['sla_hours'], unit='h')\n"
        "breached = t['first_response_at'].fillna(EXPORT_END) > deadline\n"
        "known = t['first_response_at'].notna() | (deadline < EXPORT_END)\n"
        "by_priority = (~breached[known]).groupby(t['priority'][known]).mean().rename('sla_compliance').reset_index()",
        mistakes=[
            Mistake("You counted tickets not yet *resolved* as breaches. The SLA is about the first answer: a "
                    "ticket answered in time but still open has kept it.", expected=_open_as_breach),  # fmt: skip
            Mistake("You counted a ticket still within its deadline at `EXPORT_END` as a breach. Its outcome is "
                    "not known yet: leave it out of the share.", expected=_waiting_as_breach),  # fmt: skip
            Mistake("You averaged the compliance of each channel within a priority (a mean of ratios): a channel "
                    "with 20 tickets weighs as much as one with 800. Divide the on-time tickets of the priority "
                    "by all its tickets (a ratio of sums).", expected=_mean_of_channels),  # fmt: skip
            Mistake("That is the share of breaches; compliance is the share answered *on time* (1 - breaches).",
                    expected=_breach_rate),  # fmt: skip
            Mistake("You compared the time to *resolve* a ticket with `sla_hours`; the SLA allows those hours "
                    "until the *first response* (`first_response_at`).", expected=_resolution),  # fmt: skip
        ],
        compare=_TABLES,
    ),
    Question(
        "q2",
        "The support lead looks at the desk on 9 October 2025 at 09:00, Tehran time. Which tickets are *at "
        "risk* then: waiting for a first answer (opened before that moment, not answered by it), not breached "
        "yet, but with less than 25% of their SLA hours left? Give their `ticket_id`s as a list.",
        expected=lambda: _at_risk(),
        prepare=_ids,
        hints=[
            "Write the moment with its time zone: `pd.Timestamp('2025-10-09 09:00', tz='Asia/Tehran')`; the "
            "CRM's instants are UTC, and pandas compares instants correctly across zones.",
            "Waiting at the moment: `created_at <= moment` and not `first_response_at <= moment` (an answer that "
            "came later did not exist yet). Hours left: `(deadline - moment) / pd.Timedelta(hours=1)`.",
            "At risk: `0 <= hours_left < 0.25 * sla_hours`. Or use "
            "`service.response_alerts(crm.tickets, moment)` and keep `status == 'at_risk'`.",
        ],
        solution="moment = pd.Timestamp('2025-10-09 09:00', tz='Asia/Tehran')\n"
        "alerts = service.response_alerts(crm.tickets, moment)\n"
        "at_risk = alerts.index[alerts['status'] == 'at_risk'].tolist()",
        mistakes=[
            Mistake("Your moment is 09:00 in UTC, which is 12:30 in Tehran. The lead read 09:00 on the office "
                    "clock: write `pd.Timestamp('2025-10-09 09:00', tz='Asia/Tehran')`.",
                    expected=lambda: _at_risk(tz="UTC")),  # fmt: skip
            Mistake("Your list includes tickets that have already breached their SLA (less than 25% left includes "
                    "a negative time left). At risk means not breached *yet*: keep `hours_left >= 0`.",
                    expected=lambda: _at_risk(statuses=("at_risk", "breached"))),  # fmt: skip
            Mistake("You measured time to `resolved_at`; the SLA is about the first answer (`first_response_at`).",
                    expected=_at_risk_from_resolution),  # fmt: skip
            Mistake("Your list is empty. Every ticket has been answered by the end of the export, but not by that "
                    "moment: a ticket is waiting when `first_response_at` is missing *or later than* the moment.",
                    when=shown_by(_empty, example=_never_answered)),  # fmt: skip
        ],
    ),
    Question(
        "q3",
        f"A call centre receives {Q3_CALLS} calls per half hour; a call takes {Q3_AHT // 60} minutes on average. "
        f"With {Q3_AGENTS} agents, what is the probability that a caller has to wait (Erlang C)? A share "
        f"between 0 and 1.",
        expected=_p_wait,
        hints=[
            "First the traffic in Erlangs: calls per minute x minutes per call (calls per half hour / 30 x 4).",
            "`service.erlang_c(traffic, agents)` gives the probability of waiting.",
            f"`service.erlang_c({Q3_CALLS} / 30 * {Q3_AHT // 60}, {Q3_AGENTS})`",
        ],
        solution=f"traffic = {Q3_CALLS} / 30 * {Q3_AHT // 60}  # Erlangs: calls per minute x minutes per call\n"
        f"p_wait = service.erlang_c(traffic, {Q3_AGENTS})",
        mistakes=[
            Mistake("Your traffic counts the calls per *hour*: they arrive per half hour, so divide by 30 "
                    "minutes, not 60.",
                    expected=lambda: service.erlang_c(_traffic(minutes=60), Q3_AGENTS)),  # fmt: skip
            Mistake("That is Erlang B, the share of calls *lost* when nobody can wait. Callers here queue: use "
                    "Erlang C.", expected=lambda: service.erlang_b(_traffic(), Q3_AGENTS)),  # fmt: skip
            Mistake("That is the share of callers answered at once, 1 - P(wait); the question asks for the "
                    "probability of waiting.", expected=lambda: 1 - _p_wait()),  # fmt: skip
            Mistake("A probability of 1 means your agents are no more than your traffic (N <= A): the queue would "
                    "never empty. Check the traffic: calls *per minute* x minutes per call.",
                    when=shown_by(lambda x: float(x) == 1.0,
                                  example=lambda: service.erlang_c(_traffic(minutes=1), Q3_AGENTS))),  # fmt: skip
            Mistake("Give a share between 0 and 1, not a percentage.", expected=lambda: 100 * _p_wait()),
        ],
        compare=CompareOptions(rtol=1e-4),
    ),
    Question(
        "q4",
        f"{Q4_CALLS} calls arrive per half hour and each takes {Q4_AHT // 60} minutes. How many agents are needed "
        f"so that 80% of callers are answered within 20 seconds? A whole number.",
        expected=_agents,
        hints=[
            "Traffic in Erlangs: calls per minute x minutes per call. Keep its decimals.",
            "Agents must be more than the traffic, and then enough for the target: try N = 22, 23, ... with "
            "`service.service_level(traffic, N, aht_seconds=300, target_seconds=20)`.",
            "`service.agents_needed(traffic, aht_seconds=300, target_seconds=20, level=0.8)` does the search.",
        ],
        solution=f"traffic = {Q4_CALLS} / 30 * {Q4_AHT // 60}\n"
        f"agents = service.agents_needed(traffic, aht_seconds={Q4_AHT}, target_seconds=20, level=0.8)",
        mistakes=[
            Mistake("You rounded the traffic *down* to whole Erlangs: that plans for fewer calls than come. "
                    "Use the traffic with its decimals.",
                    expected=lambda: _agents(math.floor(_traffic(Q4_CALLS, Q4_AHT)))),  # fmt: skip
            Mistake("That is just enough agents to be more than the traffic (N > A): the queue empties, but most "
                    "callers still wait long. Add agents until 80% are answered within 20 seconds.",
                    expected=lambda: math.ceil(_traffic(Q4_CALLS, Q4_AHT))),  # fmt: skip
            Mistake("Your traffic counts the calls per *hour*; they arrive per half hour (divide by 30 minutes).",
                    expected=lambda: _agents(_traffic(Q4_CALLS, Q4_AHT, minutes=60))),  # fmt: skip
        ],
    ),
    Question(
        "q5",
        "In the bank's call data (`load_bank_calls()`), which half-hour of the week was the busiest on average "
        "in August 2003? Keep August's counts, sum the 5-minute counts into half-hours, average each weekday "
        "and half-hour over August's weeks, and give the busiest as text, e.g. 'Tuesday 14:30'.",
        expected=_text(_busiest),
        prepare=_half_hour_text,
        hints=[
            "August first: `calls[calls['timestamp'].dt.month == 8]`. Then `calls['timestamp'].dt.floor('30min')` "
            "gives each count's half-hour; sum the calls per half-hour of each day.",
            "Then group by weekday (`.dt.day_name()`) and time of day (`.dt.strftime('%H:%M')`) and take the mean.",
            "Or: `service.peak_periods(service.weekly_pattern(calls), n=1)`.",
        ],
        solution="calls = load_bank_calls()\n"
        "august = calls[calls['timestamp'].dt.month == 8]\n"
        "peaks = service.peak_periods(service.weekly_pattern(august), n=1)\n"
        "busiest = f\"{peaks.loc[0, 'weekday']} {peaks.loc[0, 'period']}\"",
        mistakes=[
            Mistake("That is the lesson's peak, over all eight months (and also the busiest half-hour of one single "
                    "August day). The question asks for August's typical week: keep August, then average each "
                    "weekday and half-hour over its weeks.",
                    expected=_text(lambda: _busiest(month=None))),  # fmt: skip
            Mistake("That is a 5-minute interval: sum the counts into half-hours first (`dt.floor('30min')`).",
                    expected=_text(lambda: _busiest(freq="5min"))),  # fmt: skip
            Mistake("That is the busiest by the *median* over the weeks; the question asks for the mean.",
                    expected=_text(lambda: _busiest(how="median"))),  # fmt: skip
        ],
        compare=CompareOptions(ignore_text_case=True),
    ),
    Reflection(
        "q6",
        "E-mail tickets breach their SLA far more often than calls, and the model says a breach costs more than "
        "a point of satisfaction. In two or three sentences: what would you change in the e-mail workflow, and "
        "how would you use the response-time monitor to check that it worked?",
        solution="Put e-mails into the same queue as the other channels with an automatic acknowledgement and a "
        "priority rule, and staff it at the hours e-mails arrive. Run the monitor every hour: the number of "
        "breached and at-risk e-mail tickets (and the SLA compliance of mail) should fall within weeks; if "
        "it does not, look at which agents hold the open breaches.",
        rubric=[
            "Proposes a concrete change to how e-mails are handled (queue, priority, acknowledgement, staffing hours).",
            "Uses the monitor with a number to watch: breached or at-risk e-mail tickets, or mail's SLA compliance.",
            "Says how often to look and what result would show the change worked (or what to do if it did not).",
        ],
    ),
]
