"""Exercises of lesson 13, *Capstone on real data*: a new case, the practice company's win-back mailing.

The lesson runs the whole analysis on CDNOW; the exercises hand the learner another company,
the practice company (:func:`crmlab.datasets.practice_crm`, the course's generator with another
seed), whose manager asks a win-back question with a budget. The learner cleans the raw export
as lesson 03 does (totals typed in toman corrected from their lines) and keeps the orders that count
as purchases, reads the censored (Kaplan-Meier) lapse window, finds the lapsed customers who may get
an SMS, ranks them by expected profit (BG/NBD and Gamma-Gamma at the stated margin) and decides how
many to contact and what the offer is expected to bring. Money is in whole rials, the company's
currency; the brief's cost and budget are rials at the end of 2025. Expected values are computed on
the first check with :mod:`crmlab.analysis` (quality, cohorts, clv), never typed in; each known mistake is the same
computation done the wrong way. The open decisions (which margin, what to tell the manager) are
reflections with a rubric.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from crmlab.analysis import clv, quality
from crmlab.analysis import cohorts as co
from crmlab.analysis.rfm import rfm_summary
from crmlab.conventions import COURSE
from crmlab.datasets import practice_crm
from crmlab.exercises import CompareOptions, Mistake, Question, Reflection
from crmlab.exercises.lessons import shown_by

TITLE = "Capstone on real data"
# The manager's brief (the case's assumptions; the exercise notebook states the same numbers).
MARGIN = 0.25  # share of revenue that is profit
WIN_BACK_LIFT = 0.15  # the offer adds 15% to a contacted lapsed customer's expected 12-month purchases
COST_PER_CUSTOMER = 10_000_000  # rials (1 million toman): the voucher's expected cost and the handling, per SMS
BUDGET = 8_000_000_000  # rials (800 million toman)
LAPSE_SHARE = 0.9  # the lapse window: by then, this share of the customers who come back have come back
MONTHS = 12  # the horizon of the expected profit
WEEKS_PER_MONTH = 365.25 / 12 / 7
COLUMNS = {"customer": "customer_id", "time": "date", "status": None}  # the purchase log for the cohort helpers

_COUNT = CompareOptions()
_MONEY = CompareOptions(rtol=1e-3, atol=0.5)  # the totals left in toman move q5 by 0.4% and q7 by 1.5%: told apart


# ---------------------------------------------------------------- q1: what counts as a purchase


@cache
def _crm():
    return practice_crm(tables=["raw_customers", "raw_orders", "raw_tickets", "order_lines"])


@cache
def _export(correct_units: bool = True):
    """Lesson 03's cleaning; with the order lines, the totals typed in toman are set to their lines' sum."""
    crm = _crm()
    lines = crm.order_lines if correct_units else None
    return quality.clean_export(crm.raw_customers, crm.raw_orders, crm.raw_tickets, order_lines=lines)


def _purchases_from(orders: pd.DataFrame, statuses=None) -> pd.DataFrame:
    conventions = _crm().conventions
    statuses = conventions.purchase_statuses if statuses is None else statuses
    return clv.order_transactions(orders, statuses, conventions.timezone, conventions.minor_unit)


@cache
def _purchases(correct_units: bool = True) -> pd.DataFrame:
    return _purchases_from((_export() if correct_units else _export(False)).orders)


def _n_purchases(raw: bool = False, statuses=None) -> int:
    return len(_purchases_from(_crm().raw_orders if raw else _export().orders, statuses))


def _all_statuses() -> tuple[str, ...]:
    return tuple(sorted(_export().orders["status"].unique()))


def _with_returns() -> tuple[str, ...]:
    return tuple(s for s in _all_statuses() if s != "cancelled")


# ---------------------------------------------------------------- q2, q3: the lapse window, who is lapsed


def _end() -> pd.Timestamp:
    """The end of the data: the day of the last purchase."""
    return _purchases()["date"].max()


@cache
def _window(statuses: tuple[str, ...] | None = None) -> int:
    """Lesson 07's lapse window: the time to the next purchase, each customer's open gap censored."""
    tx = _purchases() if statuses is None else _purchases_from(_export().orders, statuses)
    spells = co.purchase_spells(tx, **COLUMNS, end=_end())
    return co.survival_lapse_window(co.next_purchase_survival(spells), share=LAPSE_SHARE)


@cache
def _pooled_window() -> int:
    """The window lesson 07 warns against: the percentile of the closed gaps only (biased short)."""
    return co.lapse_window(co.purchase_gaps(_purchases(), **COLUMNS), quantile=LAPSE_SHARE)


@cache
def _median_window() -> int:
    spells = co.purchase_spells(_purchases(), **COLUMNS, end=_end())
    return co.survival_lapse_window(co.next_purchase_survival(spells), share=0.5)


@cache
def _lapsed(window: int | None = None) -> pd.Index:
    status = co.lapse_status(_purchases(), _window() if window is None else window, **COLUMNS, end=_end())
    return status.index[status["lapsed"]]


def _consent(column: str = "consent_sms") -> pd.Series:
    return _export().customers.set_index("customer_id")[column].astype(bool)


def _reachable(window: int | None = None, consent: str | None = "consent_sms") -> pd.Index:
    lapsed = _lapsed(window)
    return lapsed if consent is None else lapsed[_consent(consent).reindex(lapsed, fill_value=False).to_numpy()]


# ---------------------------------------------------------------- q5-q7: value, letters, net


@cache
def _ranking(margin: float = MARGIN, correct_units: bool = True) -> pd.DataFrame:
    """Every buyer's expected profit over the next MONTHS, from models fitted on the whole log, in weeks."""
    weeks = rfm_summary(_purchases(correct_units), monetary_value_col="amount", observation_period_end=_end())
    weeks[["recency", "T"]] = weeks[["recency", "T"]] / 7
    repeat = weeks[(weeks["frequency"] > 0) & (weeks["monetary_value"] > 0)]
    bgnbd = clv.BetaGeoModel().fit(weeks["frequency"], weeks["recency"], weeks["T"])
    spend = clv.GammaGammaModel().fit(repeat["frequency"], repeat["monetary_value"])
    return clv.clv_ranking(bgnbd, spend, weeks, months=MONTHS, periods_per_month=WEEKS_PER_MONTH, margin=margin)


def _pool(margin: float = MARGIN, times: float = 1.0, correct_units: bool = True, **reach) -> pd.DataFrame:
    """The reachable lapsed customers with the expected net of one offer: lift x profit - cost."""
    ranking = _ranking(margin) if correct_units else _ranking(margin, False)
    pool = ranking.loc[ranking.index.isin(_reachable(**reach))]
    return pool.assign(net=WIN_BACK_LIFT * times * pool["clv"] - COST_PER_CUSTOMER)


def _top_value(**pool) -> float:
    return float(_pool(**pool)["clv"].max())


def _targets(only_positive: bool = True, **pool) -> pd.DataFrame:
    ranked = _pool(**pool).sort_values("net", ascending=False, kind="stable")
    if only_positive:
        ranked = ranked[ranked["net"] > 0]
    return ranked.head(int(BUDGET // COST_PER_CUSTOMER))


def _n_letters(**kwargs) -> int:
    return len(_targets(**kwargs))


def _net(**kwargs) -> float:
    return float(_targets(**kwargs)["net"].sum())


def _revenue() -> dict:
    """The pool valued in revenue: the margin forgotten (issue 11, item 4)."""
    return {"margin": 1.0}


def _twice() -> dict:
    """The margin applied again to a value that is already profit."""
    return {"times": MARGIN}


def _toman() -> dict:
    """The totals typed in toman left as they are: those orders count a tenth of what was paid."""
    return {"correct_units": False}


@cache
def _p_alive_range() -> tuple[float, float]:
    """The net of as many offers sent to the reachable lapsed customers most likely alive.

    Customers tie on p_alive (every one-time buyer has 1), so the sum depends on how the ties
    are ordered: the lowest and the highest it can be.
    """
    pool, n = _pool(), _n_letters()
    top = pool["p_alive"].sort_values(ascending=False, kind="stable")
    threshold = top.iloc[n - 1]
    sure = pool.loc[pool["p_alive"] > threshold, "net"]
    tied = pool.loc[pool["p_alive"] == threshold, "net"].sort_values()
    rest = n - len(sure)
    return float(sure.sum() + tied.head(rest).sum()), float(sure.sum() + tied.tail(rest).sum())


def _by_p_alive(answer) -> bool:
    low, high = _p_alive_range()
    slack = _MONEY.atol + _MONEY.rtol * max(abs(low), abs(high))  # the tolerance of a money answer
    number = isinstance(answer, (int, float, np.number)) and not isinstance(answer, bool)
    right = np.isclose(float(answer), _net(), rtol=_MONEY.rtol, atol=_MONEY.atol) if number else False
    return number and low - slack <= float(answer) <= high + slack and not right


_POOLED_WINDOW = (
    "Your lapsed customers come from the 90th percentile of the closed gaps between purchases. That leaves out "
    "each customer's open gap (last purchase to the end of the data), so the window is too short and customers "
    "still inside a normal wait count as lapsed. Use lesson 07's window, with the open gaps censored: "
    "`co.survival_lapse_window(co.next_purchase_survival(spells))`."
)
_CONSENT = (
    "You included customers who did not agree to marketing SMS (`consent_sms` False). The offer goes by "
    "SMS: keep only the lapsed customers with `consent_sms` True in the clean customers table."
)
_EMAIL = (
    "You used `consent_email`. The offer goes by SMS, the channel this company's customers agree to: "
    "`consent_sms` is the consent that counts."
)
_TOMAN = (
    "Your values still hold the order totals typed in toman: those orders count a tenth of what the customer "
    "paid. Clean the export as lesson 03 does, with the order lines: `quality.clean_export(..., "
    "order_lines=crm.order_lines)` sets each such total to its lines' sum."
)
_REVENUE = (
    "You valued the customers in revenue: `clv` from `clv_ranking(..., margin=1)` is expected sales, but the "
    "offer is paid from profit. Rank with `margin=MARGIN` (or multiply the revenue by MARGIN once)."
)
_TWICE = (
    "You applied the margin twice: `clv` from `clv_ranking(..., margin=MARGIN)` is already profit. The extra "
    "profit of one offer is WIN_BACK_LIFT * clv."
)


QUESTIONS = [
    Question(
        "q1",
        "Clean the practice company's raw export as lesson 03 does (test records set aside, duplicates merged), "
        "then keep the orders that count as purchases. How many orders are purchases?",
        expected=lambda: _n_purchases(),
        hints=[
            "`quality.clean_export(crm.raw_customers, crm.raw_orders, crm.raw_tickets, order_lines=crm.order_lines)` "
            "returns the clean tables: `.orders` has no test order left, duplicates point to their master, and "
            "totals typed in toman are set to their lines' sum.",
            "A cancelled order was never paid; a returned one was paid back. The company's purchases are the "
            "statuses in `crm.conventions.purchase_statuses`.",
            "`clv.order_transactions(clean.orders, conv.purchase_statuses, conv.timezone, conv.minor_unit)`, "
            "then `len(...)`.",
        ],
        solution="clean = quality.clean_export(crm.raw_customers, crm.raw_orders, crm.raw_tickets,\n"
        "                             order_lines=crm.order_lines)\n"
        "conv = crm.conventions\n"
        "purchases = clv.order_transactions(clean.orders, conv.purchase_statuses, conv.timezone, conv.minor_unit)\n"
        "n_purchases = len(purchases)",
        mistakes=[
            Mistake("You counted every order of the clean export. Cancelled orders were never paid and returned ones "
                    "were paid back: neither is a purchase. Keep the statuses in `crm.conventions.purchase_statuses`.",
                    expected=lambda: _n_purchases(statuses=_all_statuses())),  # fmt: skip
            Mistake("You kept the returned orders. The money went back to the customer: a return is not a purchase "
                    "(it may even be a sign of a lapse). Keep `purchase_statuses` only.",
                    expected=lambda: _n_purchases(statuses=_with_returns())),  # fmt: skip
            Mistake("You counted the raw export: the test records' orders are still in. Clean it first with "
                    "`quality.clean_export` (lesson 03), then keep the purchases.",
                    expected=lambda: _n_purchases(raw=True)),  # fmt: skip
            Mistake("That is every row of the raw export: test orders, cancellations and returns included. Clean the "
                    "export (lesson 03), then keep the orders whose status is a purchase.",
                    expected=lambda: len(_crm().raw_orders)),  # fmt: skip
        ],
        compare=_COUNT,
    ),
    Question(
        "q2",
        f"The lapse window, in days: by then {LAPSE_SHARE:.0%} of the customers who come back have come back, read "
        "from the time to the next purchase with each customer's open gap censored (lesson 07, Kaplan-Meier), on "
        "the purchases of question 1, up to the end of the data.",
        expected=lambda: _window(),
        hints=[
            "A spell is one wait for the next purchase; the last wait of each customer is still open at the end "
            "of the data (censored). `co.purchase_spells(purchases, customer='customer_id', time='date', "
            "status=None, end=END)`.",
            "`co.next_purchase_survival(spells)` is the Kaplan-Meier table; `co.survival_lapse_window(..., "
            "share=0.9)` reads the window from it.",
            "`window = co.survival_lapse_window(co.next_purchase_survival(spells), share=0.9)`",
        ],
        solution="END = purchases['date'].max()\n"
        "spells = co.purchase_spells(purchases, **LOG, end=END)\n"
        "window = co.survival_lapse_window(co.next_purchase_survival(spells), share=LAPSE_SHARE)",
        mistakes=[
            Mistake(_POOLED_WINDOW, expected=_pooled_window),
            Mistake("That is the median wait among those who come back (share 0.5): half of the returns happen "
                    "after it, so ordinary customers would count as lapsed. The case asks for 90% of the returns.",
                    expected=_median_window),  # fmt: skip
            Mistake("Your spells include cancelled and returned orders. A wait ends with a purchase: use the "
                    "purchases of question 1.",
                    expected=lambda: _window(_all_statuses())),  # fmt: skip
        ],
        compare=_COUNT,
    ),
    Question(
        "q3",
        "Who may get the win-back SMS? Count the customers who are lapsed at the end of the data (silent for "
        "longer than the window of question 2) AND agreed to marketing SMS (`consent_sms` in the clean "
        "customers table).",
        expected=lambda: len(_reachable()),
        hints=[
            "`co.lapse_status(purchases, window, **LOG, end=END)` has a True/False column `lapsed`, one row per buyer.",
            "Consent is in `clean.customers` (the duplicates' masters keep theirs): index it by `customer_id`.",
            "`lapsed = status.index[status['lapsed']]`, then keep those with "
            "`consent.reindex(lapsed, fill_value=False)` True.",
        ],
        solution="status = co.lapse_status(purchases, window, **LOG, end=END)\n"
        "lapsed = status.index[status['lapsed']]\n"
        "consent = clean.customers.set_index('customer_id')['consent_sms']\n"
        "reachable = lapsed[consent.reindex(lapsed, fill_value=False).to_numpy()]\n"
        "n_reachable = len(reachable)",
        mistakes=[
            Mistake(_CONSENT, expected=lambda: len(_reachable(consent=None))),
            Mistake(_EMAIL, expected=lambda: len(_reachable(consent="consent_email"))),
            Mistake(_POOLED_WINDOW, expected=lambda: len(_reachable(window=_pooled_window()))),
        ],
        compare=_COUNT,
    ),
    Question(
        "q5",
        f"Rank the customers of question 3 by `clv`, their expected PROFIT over the next {MONTHS} months (BG/NBD "
        f"and Gamma-Gamma fitted on all purchases, in weeks, at the margin of the brief, {MARGIN:.0%}). What is the "
        "expected profit of the first one, in rials?",
        expected=lambda: _top_value(),
        hints=[
            "The summary as of END: `rfm_summary(purchases, monetary_value_col='amount', observation_period_end=END)`, "
            "with `recency` and `T` divided by 7 (weeks).",
            "Fit `clv.BetaGeoModel()` on everyone, `clv.GammaGammaModel()` on repeat buyers with a positive "
            "value, then `clv.clv_ranking(..., months=12, periods_per_month=365.25 / 12 / 7, margin=MARGIN)`.",
            "`ranking.loc[ranking.index.isin(reachable), 'clv'].max()`",
        ],
        solution="weeks = rfm_summary(purchases, monetary_value_col='amount', observation_period_end=END)\n"
        "weeks[['recency', 'T']] = weeks[['recency', 'T']] / 7\n"
        "repeat = weeks[(weeks['frequency'] > 0) & (weeks['monetary_value'] > 0)]\n"
        "bgnbd = clv.BetaGeoModel().fit(weeks['frequency'], weeks['recency'], weeks['T'])\n"
        "spend = clv.GammaGammaModel().fit(repeat['frequency'], repeat['monetary_value'])\n"
        "ranking = clv.clv_ranking(bgnbd, spend, weeks, months=12, periods_per_month=365.25 / 12 / 7, margin=MARGIN)\n"
        "pool = ranking[ranking.index.isin(reachable)]\n"
        "top_profit = pool['clv'].max()",
        mistakes=[
            Mistake(_REVENUE, expected=lambda: _top_value(**_revenue())),
            Mistake(_TOMAN, expected=lambda: _top_value(**_toman())),
            Mistake("That is the best customer of the whole company. The question ranks the customers of question 3: "
                    "lapsed, with SMS consent.",
                    expected=lambda: float(_ranking()["clv"].max())),  # fmt: skip
            Mistake("You applied the margin twice: `clv` from `clv_ranking(..., margin=MARGIN)` is already profit. "
                    "Read it as it is.",
                    expected=lambda: _top_value() * MARGIN),  # fmt: skip
            Mistake("That is the value in toman, a tenth of the rials. The question asks for rials, the unit of the "
                    "company's totals: do not divide by 10.",
                    expected=lambda: _top_value() / 10),  # fmt: skip
        ],
        compare=_MONEY,
    ),
    Question(
        "q6",
        f"The manager's brief: the offer costs {COURSE.money(COST_PER_CUSTOMER)} per customer sent an SMS (the "
        f"voucher's expected cost and the handling) and is expected to add {WIN_BACK_LIFT:.0%} to the customer's "
        f"expected {MONTHS}-month profit (`clv`); the budget is {COURSE.money(BUDGET)}. How many customers of "
        "question 3 do you send the offer?",
        expected=lambda: _n_letters(),
        hints=[
            "The expected net of one offer is WIN_BACK_LIFT * clv - COST_PER_CUSTOMER.",
            "Mail from the top of the list while the expected net is positive; the budget is a ceiling.",
            "`pool.assign(net=WIN_BACK_LIFT * pool['clv'] - COST_PER_CUSTOMER)`, keep `net > 0`, sort by `net`, "
            "`.head(int(BUDGET // COST_PER_CUSTOMER))`.",
        ],
        solution="pool = pool.assign(net=WIN_BACK_LIFT * pool['clv'] - COST_PER_CUSTOMER)\n"
        "targets = pool[pool['net'] > 0].sort_values('net', ascending=False)\n"
        "targets = targets.head(int(BUDGET // COST_PER_CUSTOMER))\n"
        "n_letters = len(targets)",
        mistakes=[
            Mistake("You contact as many customers as the budget pays for. A budget is a ceiling, not a target: "
                    "past a point each offer costs more than the profit it is expected to bring. Keep only those "
                    "whose expected net, WIN_BACK_LIFT * clv - COST_PER_CUSTOMER, is positive.",
                    expected=lambda: int(BUDGET // COST_PER_CUSTOMER)),  # fmt: skip
            Mistake("You contact every customer of question 3. The last ones are expected to bring less than the "
                    "offer costs: keep those with a positive expected net.",
                    expected=lambda: len(_reachable())),  # fmt: skip
            Mistake(_REVENUE, expected=lambda: _n_letters(**_revenue())),
            Mistake(_TWICE, expected=lambda: _n_letters(**_twice())),
            Mistake(_CONSENT, expected=lambda: _n_letters(consent=None)),
            Mistake(_EMAIL, expected=lambda: _n_letters(consent="consent_email")),
            Mistake(_POOLED_WINDOW, expected=lambda: _n_letters(window=_pooled_window())),
        ],
        compare=_COUNT,
    ),
    Question(
        "q7",
        "And the expected net value of those offers, in rials: the extra profit the offers are expected to bring, "
        "minus what they cost.",
        expected=lambda: _net(),
        hints=[
            "Each offer: WIN_BACK_LIFT * clv - COST_PER_CUSTOMER. Add it up over the customers you contact.",
            "Rank by value (the expected net), not by the chance of being alive.",
            "`targets['net'].sum()`",
        ],
        solution="expected_net = targets['net'].sum()",
        mistakes=[
            Mistake("That is the extra profit before the offers are paid for: subtract COST_PER_CUSTOMER for each "
                    "customer contacted.",
                    expected=lambda: float((WIN_BACK_LIFT * _targets()["clv"]).sum())),  # fmt: skip
            Mistake(_REVENUE, expected=lambda: _net(**_revenue())),
            Mistake(_TWICE, expected=lambda: _net(**_twice())),
            Mistake(_TOMAN, expected=lambda: _net(**_toman())),
            Mistake(_CONSENT, expected=lambda: _net(consent=None)),
            Mistake(_EMAIL, expected=lambda: _net(consent="consent_email")),
            Mistake(_POOLED_WINDOW, expected=lambda: _net(window=_pooled_window())),
            Mistake("You chose the customers by their probability of being alive. Among lapsed customers the most "
                    "'alive' are the one-time buyers (BG/NBD gives them 1 by construction), whose expected profit is "
                    "small: some cost more than they bring. Rank by value, the expected net.",
                    when=shown_by(_by_p_alive, example=lambda: _p_alive_range()[0])),  # fmt: skip
            Mistake("That is the net per customer contacted; the question asks for the whole offer's net.",
                    expected=lambda: _net() / _n_letters()),  # fmt: skip
        ],
        compare=_MONEY,
        correct_message="A positive expected return, and part of the budget left unspent: that is the decision.",
    ),
    Reflection(
        "q8",
        f"The brief gave a margin of {MARGIN:.0%}, but finance says it lies between 20% and 30% depending on the "
        "product mix. Which margin do you plan with, and how would you show the manager whether the choice "
        "matters?",
        solution="Plan with the brief's 25%, but show the decision at 20% and 30% too: recompute the list and the "
        "expected net at each margin. At a lower margin fewer customers clear the offer's cost and the net shrinks; "
        "if the list barely moves, the choice does not matter, and if it does, use the cautious margin (20%) or "
        "ask finance for the margin of the categories these customers buy. A margin is a fact to look up, not a "
        "knob to turn until the mailing pays.",
        rubric=[
            "Chooses a margin and says why (the brief's, or the cautious one), without picking the one that makes "
            "the mailing look best.",
            "Shows the sensitivity: the number of customers and the expected net at the low and the high margin.",
            "Says what to do if the decision changes with the margin: use the cautious margin, or find the real "
            "margin of what these customers buy.",
        ],
    ),
    Reflection(
        "q9",
        "Your answer to the manager, in three or four sentences: whom to send the offer, what it is expected to "
        "bring, and what you would do to find out whether the offer works.",
        solution="Send the SMS to the lapsed customers who agreed to marketing SMS and whose expected extra profit "
        "beats the offer's cost (the list of question 6): it is expected to bring the net of question 7 and "
        "leaves part of the budget unspent, since the last customers would cost more than they bring. The 15% lift "
        "is an assumption: hold back a random 10-20% of the list as a control group and compare their purchases over "
        "the next months (lesson 09). The profit values come from a model checked on a holdout in the lesson, not "
        "on this company: check it here too, and refit before the next campaign.",
        rubric=[
            "Names who gets the SMS (lapsed, consenting, expected net above cost) and why not the whole budget.",
            "Gives the expected net as an estimate resting on assumptions (the lift, the margin), not a promise.",
            "Proposes a randomised control group to measure the real lift before rolling the offer out again.",
            "Respects consent: customers without SMS consent are left out whatever their value.",
        ],
    ),
]
