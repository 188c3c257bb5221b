"""Exercises of lesson 13, *Capstone on real data*: the learner's decisions on the CDNOW log, checked.

Every expected value is computed on the first check from the real CDNOW purchase log with
the course's helpers (:mod:`crmlab.analysis.rfm`, :mod:`crmlab.analysis.cohorts`,
:mod:`crmlab.analysis.clv`), never typed in; each known mistake is the same computation
done the wrong way (zero-amount lines dropped, the first purchase counted as a repeat, the
model calibrated on the whole log, customers targeted by probability alive ...).

The cleaning rule the course defends: drop the 255 lines that repeat another line in every
column (keep one copy), keep the 80 zero-amount lines (free CDs, not returns).
"""

from __future__ import annotations

import datetime as dt
from functools import cache

import numpy as np
import pandas as pd

from crmlab.analysis import clv
from crmlab.analysis import cohorts as co
from crmlab.analysis.rfm import rfm_summary
from crmlab.datasets import load_cdnow
from crmlab.exercises import AnswerError, CompareOptions, Mistake, Question, Reflection
from crmlab.exercises.lessons import shown_by

TITLE = "Capstone on real data"
CALIBRATION_END = "1997-09-30"  # the model learns from the first 39 weeks ...
HOLDOUT_END = "1998-06-30"  # ... and is checked on the next 39
CUSTOMER = 15011  # q6: four repeat purchases in the calibration period
COHORT = "1997-02"  # q5
MONTH = 3  # q5: months since acquisition
COLUMNS = {"customer": "customer_id", "time": "date", "status": None}  # CDNOW for the cohort helpers
LAPSE_QUANTILE = 0.9  # the lapse window: by then, this share of the customers who come back have come back
MONTHS = 12  # CLV horizon
WEEKS_PER_MONTH = 365.25 / 12 / 7
MARGIN = 0.30  # share of revenue that is profit
OFFER_LIFT = 0.20  # the offer adds 20% to a contacted customer's expected purchases (an assumption)
COST_PER_CONTACT = 1.00  # US$ per letter, printing, postage and the coupon included
BUDGET = 2_500.0  # US$

_COUNT = CompareOptions()
_SHARE = CompareOptions(rtol=0, atol=0.0005)
_NUMBER = CompareOptions(rtol=1e-3)
_MONEY = CompareOptions(rtol=1e-3, atol=0.5)


# ---------------------------------------------------------------- q1: what to drop


@cache
def _raw() -> pd.DataFrame:
    return load_cdnow()


@cache
def _clean() -> pd.DataFrame:
    return _raw().drop_duplicates()


def _repeats(keep="first") -> pd.Series:
    return _raw().duplicated(keep=keep)


def _zero() -> pd.Series:
    return _raw()["amount"].eq(0)


def _n_dropped(repeats: bool = True, zeros: bool = False, keep="first") -> int:
    drop = pd.Series(False, index=_raw().index)
    if repeats:
        drop |= _repeats(keep)
    if zeros:
        drop |= _zero()
    return int(drop.sum())


def _one_line_per_day() -> int:
    return int(_raw().duplicated(["customer_id", "date"]).sum())


# ---------------------------------------------------------------- q3: the observation end


def _end() -> pd.Timestamp:
    return _clean()["date"].max()


def _as_day(answer) -> str:
    """A day as 'YYYY-MM-DD' from text, a date or a Timestamp."""
    if isinstance(answer, (pd.Series, pd.DataFrame, pd.Index, np.ndarray, list, tuple)):
        raise AnswerError("Give one day, e.g. \"1997-12-31\" or a pd.Timestamp, not a whole column: "
                          "take the largest value of the column with `.max()`.")  # fmt: skip
    if not isinstance(answer, (str, dt.date, np.datetime64)):
        raise AnswerError("Give the day as text such as \"1997-12-31\" or as a pd.Timestamp.")
    try:
        stamp = pd.Timestamp(answer)
    except (TypeError, ValueError) as err:
        raise AnswerError(f"{answer!r} cannot be read as a day: write it like \"1997-12-31\".") from err
    if pd.isna(stamp):
        raise AnswerError("Your day is empty (NaT): give a day such as \"1997-12-31\".")
    return stamp.strftime("%Y-%m-%d")


def _after_the_data(answer) -> bool:
    try:
        return pd.Timestamp(_as_day(answer)) > _end() + pd.Timedelta(days=31)
    except AnswerError:
        return False


# ---------------------------------------------------------------- q4: one-time buyers


@cache
def _summary() -> pd.DataFrame:
    return rfm_summary(_clean(), monetary_value_col="amount", observation_period_end=_end())


def _share_with(frequency: int) -> float:
    return float((_summary()["frequency"] == frequency).mean())


def _one_line_share() -> float:
    return float((_clean().groupby("customer_id").size() == 1).mean())


def _as_percent(answer, expected: float) -> bool:
    return isinstance(answer, (int, float, np.number)) and abs(float(answer) - 100 * expected) < 0.05


# ---------------------------------------------------------------- q5: retention


@cache
def _retention() -> pd.DataFrame:
    return co.retention_matrix(_clean(), **COLUMNS)


def _retained(cohort: str = COHORT, month: int = MONTH) -> float:
    return float(_retention().loc[pd.Period(cohort, "M"), month])


def _retained_customers() -> float:
    size = co.cohort_sizes(_clean(), **COLUMNS)[pd.Period(COHORT, "M")]
    return _retained() * size


def _calendar_month() -> float:
    """Month 3 read as the calendar month March 1997: the cohort's month 1."""
    age = pd.Period("1997-03", "M").ordinal - pd.Period(COHORT, "M").ordinal
    return _retained(month=age)


def _other_cohort(answer) -> bool:
    cohorts = [str(c) for c in _retention().index if str(c) != COHORT]
    return any(np.isclose(answer, _retained(c), rtol=0, atol=0.0005) for c in cohorts)


# ---------------------------------------------------------------- q6: BG/NBD on a holdout


@cache
def _calibration():
    cal, hold = clv.calibration_holdout(_clean(), CALIBRATION_END, HOLDOUT_END, monetary_value_col="amount",
                                        period_days=7)  # fmt: skip
    return cal, hold, clv.BetaGeoModel().fit(cal["frequency"], cal["recency"], cal["T"])


def _expected(horizon: float | None = None) -> float:
    cal, hold, model = _calibration()
    weeks = float(hold["duration_holdout"].iloc[0]) if horizon is None else horizon
    c = cal.loc[CUSTOMER]
    return float(model.expected_purchases(weeks, c["frequency"], c["recency"], c["T"])[0])


def _p_alive() -> float:
    cal, _, model = _calibration()
    c = cal.loc[CUSTOMER]
    return float(model.probability_alive(c["frequency"], c["recency"], c["T"])[0])


def _actual() -> float:
    return float(_calibration()[1].loc[CUSTOMER, "frequency_holdout"])


@cache
def _in_weeks() -> pd.DataFrame:
    weeks = _summary().copy()
    weeks[["recency", "T"]] = weeks[["recency", "T"]] / 7
    return weeks


@cache
def _whole_log_model() -> clv.BetaGeoModel:
    weeks = _in_weeks()
    return clv.BetaGeoModel().fit(weeks["frequency"], weeks["recency"], weeks["T"])


def _leaky() -> float:
    """Calibrated on the whole log (the holdout included), then asked about the holdout's 39 weeks."""
    c = _in_weeks().loc[CUSTOMER]
    weeks = float(_calibration()[1]["duration_holdout"].iloc[0])
    return float(_whole_log_model().expected_purchases(weeks, c["frequency"], c["recency"], c["T"])[0])


# ---------------------------------------------------------------- q7, q8: the targeting decision


@cache
def _ranking(margin: float = MARGIN) -> pd.DataFrame:
    weeks = _in_weeks()
    repeat = weeks[(weeks["frequency"] > 0) & (weeks["monetary_value"] > 0)]
    spend = clv.GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    return clv.clv_ranking(_whole_log_model(), spend, weeks, months=MONTHS, periods_per_month=WEEKS_PER_MONTH,
                           margin=margin)  # fmt: skip


@cache
def _window() -> int:
    """Lesson 07's lapse window: from the time to the next purchase, each customer's open gap censored."""
    spells = co.purchase_spells(_clean(), **COLUMNS)
    return co.survival_lapse_window(co.next_purchase_survival(spells), share=LAPSE_QUANTILE)


@cache
def _pooled_window() -> int:
    """The window lesson 07 warns against: the 90th percentile of the closed gaps only (biased short)."""
    return co.lapse_window(co.purchase_gaps(_clean(), **COLUMNS), quantile=LAPSE_QUANTILE)


@cache
def _lapsed(window: int | None = None) -> pd.Series:
    return co.lapse_status(_clean(), _window() if window is None else window, **COLUMNS)["lapsed"]


def _pool(lapsed_only: bool = True, margin: float = MARGIN, window: int | None = None) -> pd.DataFrame:
    ranking = _ranking(margin)
    pool = ranking[_lapsed(window).reindex(ranking.index).to_numpy()] if lapsed_only else ranking
    return pool.assign(net=OFFER_LIFT * pool["clv"] - COST_PER_CONTACT)


def _targets(by: str = "net", only_positive: bool = True, **pool) -> pd.DataFrame:
    ranked = _pool(**pool).sort_values(by, ascending=False, kind="stable")
    if only_positive:
        ranked = ranked[ranked["net"] > 0]
    return ranked.head(int(BUDGET // COST_PER_CONTACT))


def _n_target(**kwargs) -> int:
    return len(_targets(**kwargs))


def _net(**kwargs) -> float:
    return float(_targets(**kwargs)["net"].sum())


@cache
def _p_alive_range() -> tuple[float, float]:
    """The expected net of the same number of letters sent to the lapsed customers most likely alive.

    Many customers tie at the top (every one-time buyer has p_alive 1), so the result depends on
    how the ties are ordered: this is the lowest and the highest it can be.
    """
    pool, n = _pool(), _n_target()
    top = pool["p_alive"].sort_values(ascending=False, kind="stable")
    threshold = top.iloc[n - 1]
    sure = pool.loc[pool["p_alive"] > threshold, "net"]
    tied = pool.loc[pool["p_alive"] == threshold, "net"].sort_values()
    rest = n - len(sure)
    return float(sure.sum() + tied.head(rest).sum()), float(sure.sum() + tied.tail(rest).sum())


def _by_p_alive(answer) -> bool:
    low, high = _p_alive_range()
    return isinstance(answer, (int, float, np.number)) and low - 0.5 <= float(answer) <= high + 0.5


_POOLED_WINDOW = (
    "Your lapsed customers come from the 90th percentile of the closed gaps between purchases. That window leaves "
    "out each customer's open gap (last purchase to the end of the data), so it is too short: customers still "
    "inside a normal wait count as lapsed. Use lesson 07's window, with the open gaps censored: "
    "`co.survival_lapse_window(co.next_purchase_survival(co.purchase_spells(clean, **CDNOW)))`."
)


def _double_margin() -> int:
    pool = _pool()
    return int(((OFFER_LIFT * MARGIN * pool["clv"] - COST_PER_CONTACT) > 0).sum())


def _gross() -> float:
    return float((OFFER_LIFT * _targets()["clv"]).sum())


QUESTIONS = [
    Question(
        "q1",
        "Quality check: decide which lines of the raw CDNOW log to drop before any analysis, and give "
        "the number of rows you drop.",
        expected=lambda: _n_dropped(),
        hints=[
            "Two kinds of suspicious lines: lines identical to another line in every column, and lines "
            "with an amount of 0.00. Decide for each kind, and write down why.",
            "A zero-amount line is one CD, most of them on the customer's first day, and the file has no "
            "negative amounts: a return would be negative. What is a free CD: an error or a transaction?",
            "`cdnow.duplicated().sum()` counts the second (third ...) copies of repeated lines; keep the first.",
        ],
        solution="n_dropped = int(cdnow.duplicated().sum())  # the repeats; the zero-amount lines stay",
        mistakes=[
            Mistake("You dropped the zero-amount lines too. They are not returns (a return would be a negative "
                    "amount, and the file has none) nor typing errors: each is one CD, 72 of the 80 on the "
                    "customer's very first day, most likely a free CD for joining. They are real transactions "
                    "that add no money. Dropping them removes 68 customers whose only line is that CD and moves "
                    "4 others to a later acquisition month. The course keeps them; drop only the repeated lines.",
                    expected=lambda: _n_dropped(zeros=True)),  # fmt: skip
            Mistake("You dropped every copy of a repeated line, the first one too (`keep=False`). One copy is a "
                    "real purchase: drop only the extra copies, `cdnow.duplicated()` (keep='first').",
                    expected=lambda: _n_dropped(keep=False)),  # fmt: skip
            Mistake("You dropped every copy of the repeated lines and the zero-amount lines: both go too far. "
                    "Keep one copy of a repeated line, and keep the free CDs (amount 0): they are transactions.",
                    expected=lambda: _n_dropped(zeros=True, keep=False)),  # fmt: skip
            Mistake("You kept one line per customer and day. Several lines on one day are separate orders "
                    "(other CDs, other amounts) and count in the money; drop only lines identical in EVERY column.",
                    expected=_one_line_per_day),  # fmt: skip
            Mistake("You dropped only the zero-amount lines. They are free CDs, real transactions (keep them); "
                    "the lines to drop are those that repeat another line in every column.",
                    expected=lambda: _n_dropped(repeats=False, zeros=True)),  # fmt: skip
            Mistake("That is the number of rows you KEEP, not the number you drop.",
                    expected=lambda: len(_clean())),  # fmt: skip
            Mistake("You drop nothing. 255 lines repeat another line in every column: same customer, day, "
                    "number of CDs and amount. With no order number we cannot tell them apart, and counted twice "
                    "they add revenue nobody can verify. Decide, and count what you drop.",
                    when=shown_by(lambda answer: answer == 0,
                                  example=lambda: _n_dropped(repeats=False, zeros=False))),  # fmt: skip
        ],
        compare=_COUNT,
        correct_message="The repeats go, the free CDs stay: revenue changes by less than 0.2% and no purchase day "
        "changes at all (purchases are counted per day). Write the rule down, with the counts.",
    ),
    Question(
        "q3",
        "RFM as of a date: which day do you take as the end of the observation (the day `T` and the days "
        "since the last purchase are counted to)? Give it as text 'YYYY-MM-DD' or a pd.Timestamp.",
        expected=lambda: _end().strftime("%Y-%m-%d"),
        prepare=_as_day,
        hints=[
            "The observation ends where the data ends, not today.",
            "Look at the last date in the clean log.",
            "`clean['date'].max()`",
        ],
        solution="end_date = clean['date'].max()",
        mistakes=[
            Mistake("That day is after the data ends: every customer would look silent for all the time between "
                    "the end of the file and that day, so everyone looks lost. The observation ends with the data.",
                    when=shown_by(_after_the_data,
                                  example=lambda: (_end() + pd.DateOffset(years=1)).strftime("%Y-%m-%d"))),  # fmt: skip
            Mistake("That is the first day of the log. The observation END is its last day.",
                    expected=lambda: _clean()["date"].min().strftime("%Y-%m-%d")),  # fmt: skip
            Mistake("That is the end of the calibration period of the CLV check, not of the data. RFM describes "
                    "the customers as of the last day you know.",
                    expected=lambda: CALIBRATION_END),  # fmt: skip
        ],
        compare=CompareOptions(),
    ),
    Question(
        "q4",
        "What share of the customers are one-time buyers (never bought on a second day), as of the end "
        "of the observation? A number between 0 and 1.",
        expected=lambda: _share_with(0),
        hints=[
            "`rfm_summary(clean, observation_period_end=end_date)` gives `frequency`: the REPEAT purchase days.",
            "A one-time buyer has no repeat purchase.",
            "`(summary['frequency'] == 0).mean()`",
        ],
        solution="summary = rfm_summary(clean, monetary_value_col='amount', observation_period_end=end_date)\n"
        "one_time_share = (summary['frequency'] == 0).mean()",
        mistakes=[
            Mistake("You counted the first purchase as a repeat. `frequency` counts REPEAT purchase days only: "
                    "a one-time buyer has frequency 0; frequency 1 means two purchase days.",
                    expected=lambda: _share_with(1)),  # fmt: skip
            Mistake("You counted customers with one LINE. Two CDs bought on one day are two lines but one "
                    "purchase: count purchase days, as `rfm_summary`'s `frequency` does.",
                    expected=_one_line_share),  # fmt: skip
            Mistake("That is a number of customers; the question asks for their share of all customers.",
                    expected=lambda: int((_summary()["frequency"] == 0).sum())),  # fmt: skip
            Mistake("Give the share between 0 and 1, not a percentage.",
                    when=shown_by(lambda answer: _as_percent(answer, _share_with(0)),
                                  example=lambda: 100 * _share_with(0))),  # fmt: skip
        ],
        compare=_SHARE,
        correct_message="Half of the customers never came back after their first purchase.",
    ),
    Question(
        "q5",
        f"Cohorts: what share of the {COHORT} acquisition cohort bought in month {MONTH} since acquisition "
        "(month 0 is the acquisition month)? A number between 0 and 1.",
        expected=lambda: _retained(),
        hints=[
            "`co.retention_matrix(clean, customer='customer_id', time='date', status=None)`: CDNOW has no status.",
            "Rows are cohorts (monthly Periods), columns months since acquisition: month 0 is the first month.",
            f"`retention.loc[pd.Period('{COHORT}', 'M'), {MONTH}]`",
        ],
        solution="retention = co.retention_matrix(clean, customer='customer_id', time='date', status=None)\n"
        f"month3 = retention.loc[pd.Period('{COHORT}', 'M'), {MONTH}]",
        mistakes=[
            Mistake("Off by one: month 0 is the acquisition month itself, so month 3 is the THIRD month after it. "
                    "You read month 2 (you counted the acquisition month as month 1).",
                    expected=lambda: _retained(month=MONTH - 1)),  # fmt: skip
            Mistake("Off by one: you read month 4. Columns count months since acquisition from 0.",
                    expected=lambda: _retained(month=MONTH + 1)),  # fmt: skip
            Mistake("You read the calendar month March 1997. Month 3 counts from the cohort's own month: "
                    f"for the {COHORT} cohort it is May 1997.",
                    expected=_calendar_month),  # fmt: skip
            Mistake(f"That is another cohort's month {MONTH}: take the row of {COHORT}.",
                    when=shown_by(_other_cohort, example=lambda: _retained(
                        next(str(c) for c in _retention().index if str(c) != COHORT)))),  # fmt: skip
            Mistake("That is a number of customers; the question asks for the share of the cohort.",
                    expected=_retained_customers),  # fmt: skip
            Mistake("Give the share between 0 and 1, not a percentage.",
                    when=shown_by(lambda answer: _as_percent(answer, _retained()),
                                  example=lambda: 100 * _retained())),  # fmt: skip
        ],
        compare=_SHARE,
        correct_message="Three months in, fewer than one customer in ten buys in a given month.",
    ),
    Question(
        "q6",
        f"CLV, tested honestly: calibrate BG/NBD on the purchases up to {CALIBRATION_END} (in weeks) and "
        f"predict the holdout to {HOLDOUT_END}. How many purchases does the model expect from customer "
        f"{CUSTOMER} in the holdout period?",
        expected=lambda: _expected(),
        hints=[
            "`clv.calibration_holdout(clean, CALIBRATION_END, HOLDOUT_END, period_days=7)` gives the calibration "
            "summary `cal` (and the holdout).",
            "Fit `clv.BetaGeoModel()` on `cal` only: the holdout must stay unseen. Its length is "
            "`hold['duration_holdout']`, in weeks.",
            f"`bgnbd.expected_purchases(39, c['frequency'], c['recency'], c['T'])[0]` with `c = cal.loc[{CUSTOMER}]`",
        ],
        solution="cal = clv.calibration_holdout(clean, CALIBRATION_END, HOLDOUT_END, period_days=7)[0]\n"
        "bgnbd = clv.BetaGeoModel().fit(cal['frequency'], cal['recency'], cal['T'])\n"
        f"c = cal.loc[{CUSTOMER}]\n"
        "expected = bgnbd.expected_purchases(39, c['frequency'], c['recency'], c['T'])[0]",
        mistakes=[
            Mistake("Leakage: your model was calibrated on the whole log, the holdout included, and the "
                    "customer's summary runs to June 1998. A check on the holdout is only honest if the model "
                    "has never seen it: use `cal` from `calibration_holdout`, to the end of September 1997.",
                    expected=_leaky),  # fmt: skip
            Mistake("You gave the horizon in days (273). The model counts time in weeks, like `cal`: the holdout "
                    "lasts 39 weeks.",
                    expected=lambda: _expected(horizon=273)),  # fmt: skip
            Mistake("That is the probability the customer is still alive at the end of calibration, not the "
                    "purchases expected: use `expected_purchases`.",
                    expected=_p_alive),  # fmt: skip
            Mistake("That is what the customer actually did in the holdout (`hold`), the number the prediction "
                    "is checked against. Ask the model: `expected_purchases`.",
                    expected=_actual),  # fmt: skip
        ],
        compare=_NUMBER,
    ),
    Question(
        "q7",
        f"The targeting decision: a reactivation letter costs ${COST_PER_CONTACT:.2f} and is sent to LAPSED "
        f"customers only; it adds {OFFER_LIFT:.0%} to a contacted customer's expected 12-month profit (`clv`, "
        f"already at a {MARGIN:.0%} margin). The budget is ${BUDGET:,.0f}. How many customers do you contact?",
        expected=lambda: _n_target(),
        hints=[
            "The expected net value of one letter is OFFER_LIFT * clv - COST_PER_CONTACT: keep the lapsed "
            "customers for whom it is positive.",
            "The budget pays for at most BUDGET // COST_PER_CONTACT letters. It is a ceiling, not a target.",
            "`pool = ranking.loc[lapsed]`, `net = OFFER_LIFT * pool['clv'] - COST_PER_CONTACT`, then the "
            "smaller of `(net > 0).sum()` and the letters the budget pays for.",
        ],
        solution="pool = ranking.loc[lapsed].assign(net=lambda d: OFFER_LIFT * d['clv'] - COST_PER_CONTACT)\n"
        "targets = pool[pool['net'] > 0].sort_values('net', ascending=False)\n"
        "targets = targets.head(int(BUDGET // COST_PER_CONTACT))\n"
        "n_target = len(targets)",
        mistakes=[
            Mistake("You contact as many customers as the budget pays for. A budget is a ceiling, not a target: "
                    "beyond a point each letter costs more than the profit it brings. Check two things: only "
                    "LAPSED customers (a reactivation offer is for those who went quiet; active ones buy anyway), "
                    "and only those whose expected net, OFFER_LIFT * clv - COST_PER_CONTACT, is positive.",
                    expected=lambda: int(BUDGET // COST_PER_CONTACT)),  # fmt: skip
            Mistake("You applied the margin twice: `clv` is already profit (the ranking was computed with "
                    "`margin=MARGIN`). The extra profit of a letter is OFFER_LIFT * clv.",
                    expected=_double_margin),  # fmt: skip
            Mistake(_POOLED_WINDOW, expected=lambda: _n_target(window=_pooled_window())),
        ],
        compare=_COUNT,
    ),
    Question(
        "q8",
        "And the expected net value of that mailing, in US dollars: the extra profit the letters are "
        "expected to bring, minus what they cost.",
        expected=lambda: _net(),
        hints=[
            "Each letter: OFFER_LIFT * clv - COST_PER_CONTACT. Sum it over the customers you contact.",
            "Rank by value: the customers with the largest expected net first.",
            "`targets['net'].sum()`",
        ],
        solution="expected_net = targets['net'].sum()",
        mistakes=[
            Mistake(_POOLED_WINDOW, expected=lambda: _net(window=_pooled_window())),
            Mistake("You chose the customers by their probability of being alive. Among lapsed customers the "
                    "most 'alive' are the one-time buyers (BG/NBD gives them 1 by construction), and they are "
                    "worth little: the mailing loses money. Rank by value (`clv`, or the expected net), "
                    "not by p_alive.",
                    when=shown_by(_by_p_alive, example=lambda: _p_alive_range()[0])),  # fmt: skip
            Mistake("That is the expected extra profit before the letters are paid for: subtract "
                    "COST_PER_CONTACT for each letter.",
                    expected=_gross),  # fmt: skip
            Mistake("You contacted as many lapsed customers as the budget pays for; the last ones cost more than "
                    "they bring. Keep only those with a positive expected net.",
                    expected=lambda: _net(only_positive=False)),  # fmt: skip
            Mistake("You included active customers: a reactivation offer goes to lapsed customers only.",
                    expected=lambda: _net(lapsed_only=False)),  # fmt: skip
            Mistake("That is the return per dollar spent; the question asks for the net value in dollars.",
                    expected=lambda: _net() / (_n_target() * COST_PER_CONTACT)),  # fmt: skip
        ],
        compare=_MONEY,
        correct_message="A positive expected return, and part of the budget left unspent: that is the decision.",
    ),
    Reflection(
        "q9",
        "Your recommendation goes to the marketing director on one page. Name the two risks you would put "
        "on it, and how to find out whether they bite.",
        solution="1. The 20% lift is an assumption, not a measurement: send the letters as an experiment, with a "
        "random 10-20% of the chosen customers held back as a control group, and measure the real uplift "
        "(lesson 09). 2. The model is not exact: on the holdout it predicted fewer purchases than "
        "happened (it is cautious), and it learned from customers all acquired in early 1997, in a market that "
        "may change; track the mailed customers' purchases against the forecast and refit before the next "
        "campaign. Also: a tenth of the customers carry most of the value, so a few big buyers can swing the result.",
    ),
]
