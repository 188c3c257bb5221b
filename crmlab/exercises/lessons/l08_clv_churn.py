"""Exercises of lesson 08, *Customer lifetime value and churn prediction*.

Expected values are computed on the first check with :mod:`crmlab.analysis.clv` and
:mod:`crmlab.analysis.churn` (CDNOW's real purchases and the course's CRM), never typed
in; each known mistake is computed the wrong way.
"""

from functools import cache

import numpy as np
import pandas as pd

from crmlab.analysis import churn, clv
from crmlab.datasets import load_cdnow, load_crm
from crmlab.exercises import CompareOptions, Mistake, Question, Reflection

TITLE = "Customer lifetime value and churn prediction"
CUSTOMER = 1890  # a frequent CDNOW buyer, silent for ten weeks at the end of calibration
CUTOFF = "2024-12-31"
TRAIN_CUTOFF = "2023-12-31"
WINDOW_DAYS = 90
_NUMBER = CompareOptions(rtol=1e-3)
_SERIES = CompareOptions(rtol=1e-6, atol=0.005)
_TEXT = CompareOptions(ignore_text_case=True)


# ---------------------------------------------------------------- q1, q2: BG/NBD on CDNOW


@cache
def _cdnow():
    cal, hold = clv.calibration_holdout(load_cdnow("sample"), "1997-09-30", "1998-06-30", period_days=7)
    return cal, hold, clv.BetaGeoModel().fit(cal["frequency"], cal["recency"], cal["T"])


def _alive(scale: float = 1.0, swap: bool = False) -> float:
    cal, _, model = _cdnow()
    x, tx, t = cal.loc[CUSTOMER, ["frequency", "recency", "T"]]
    tx, t = (t, tx) if swap else (tx, t)
    return float(model.probability_alive(x, tx * scale, t * scale)[0])


def _expected_total(horizon: float = 39.0) -> float:
    cal, _, model = _cdnow()
    return float(model.expected_purchases(horizon, cal["frequency"], cal["recency"], cal["T"]).sum())


def _actual_total() -> float:
    return float(_cdnow()[1]["frequency_holdout"].sum())


# ---------------------------------------------------------------- q3: a feature without leaks


@cache
def _crm():
    return load_crm(tables=["customers", "orders", "tickets", "interactions"])


@cache
def _features() -> pd.DataFrame:
    return churn.churn_features(_crm(), CUTOFF)


def _spend(upper: bool = True, statuses=("completed",), divide: float = 100) -> pd.Series:
    orders = _crm().orders
    end = pd.Timestamp(CUTOFF, tz="Asia/Tehran") + pd.Timedelta(days=1)
    start = end - pd.Timedelta(days=WINDOW_DAYS)
    keep = (orders["ordered_at"] >= start) & orders["status"].isin(list(statuses))
    if upper:
        keep &= orders["ordered_at"] < end
    spend = orders[keep].groupby("customer_id")["total_cents"].sum() / divide
    return spend.reindex(_features().index, fill_value=0).rename("spend_90d")


def _missing_zeros(answer) -> bool:
    index = _features().index
    return isinstance(answer, pd.Series) and 0 < len(answer) < len(index) and bool(answer.index.isin(index).all())


# ---------------------------------------------------------------- q4, q5: the churn model


@cache
def _model_and_test():
    train, test = churn.time_split(_crm(), TRAIN_CUTOFF, CUTOFF)
    model = churn.churn_model("logistic").fit(train, train["churned"])
    return model, test


def _proba() -> np.ndarray:
    model, test = _model_and_test()
    return model.predict_proba(test)[:, 1]


def _lift(ascending: bool = False) -> float:
    _, test = _model_and_test()
    score = -_proba() if ascending else _proba()
    return churn.lift_at(test["churned"], score, share=0.1)


def _top_decile_rate() -> float:
    _, test = _model_and_test()
    return _lift() * float(test["churned"].mean())


def _share_caught() -> float:
    _, test = _model_and_test()
    return float(churn.gains_table(test["churned"], _proba())["share_caught"].iloc[0])


def _driver_odds() -> pd.Series:
    return churn.odds_ratios(_model_and_test()[0]).loc[list(churn.DRIVERS), "odds_ratio"]


def _is(answer, name: str) -> bool:
    return isinstance(answer, str) and answer.strip().casefold() == name.casefold()


def _lowers_churn(answer) -> bool:
    odds = _driver_odds()
    return any(_is(answer, name) for name in odds.index[odds < 1])


def _not_a_driver(answer) -> bool:
    others = set(churn.odds_ratios(_model_and_test()[0]).index) - set(churn.DRIVERS)
    return any(_is(answer, name) for name in others)


QUESTIONS = [
    Question(
        "q1",
        f"Fit BG/NBD on the CDNOW calibration summary `cal` (in weeks). What is the probability that "
        f"customer {CUSTOMER} is still alive at the end of the calibration period?",
        expected=lambda: _alive(),
        hints=[
            "Fit `clv.BetaGeoModel()` on the three columns of `cal`; call it `bgnbd`, then ask it about one customer.",
            f"`cal.loc[{CUSTOMER}]` holds that customer's frequency, recency and T, already in weeks.",
            "`bgnbd.probability_alive(c['frequency'], c['recency'], c['T'])[0]` with `c = cal.loc[...]`.",
        ],
        solution=f"bgnbd = clv.BetaGeoModel().fit(cal['frequency'], cal['recency'], cal['T'])\n"
        f"c = cal.loc[{CUSTOMER}]\n"
        "p_alive = bgnbd.probability_alive(c['frequency'], c['recency'], c['T'])[0]",
        mistakes=[
            Mistake("That is the probability the customer has already dropped out (1 - p). "
                    "`probability_alive` gives the chance they are still there.",
                    expected=lambda: 1 - _alive()),  # fmt: skip
            Mistake("Your model counts time in weeks but you gave the customer's recency and T in days. "
                    "Use one unit for fitting and predicting: `cal` is already in weeks.",
                    expected=lambda: _alive(scale=7)),  # fmt: skip
            Mistake("You swapped recency and T: recency is the time from the first to the last purchase, "
                    "T the time from the first purchase to the end of the calibration period.",
                    expected=lambda: _alive(swap=True)),  # fmt: skip
        ],
        compare=_NUMBER,
        correct_message="A frequent buyer who has gone quiet for ten weeks: more likely gone than not.",
    ),
    Question(
        "q2",
        "With the same model: how many purchases does it expect from all the customers of `cal` "
        "together in the 39-week holdout period?",
        expected=lambda: _expected_total(),
        hints=[
            "`bgnbd.expected_purchases(horizon, frequency, recency, T)` gives one number per customer.",
            "The horizon is in the model's time unit: weeks.",
            "`bgnbd.expected_purchases(39, cal['frequency'], cal['recency'], cal['T']).sum()`",
        ],
        solution="expected_total = bgnbd.expected_purchases(39, cal['frequency'], cal['recency'], cal['T']).sum()",
        mistakes=[
            Mistake("You gave the horizon in days (273). The model counts time in weeks, like `cal`: "
                    "the holdout lasts 39 weeks.",
                    expected=lambda: _expected_total(273)),  # fmt: skip
            Mistake("That is what the customers actually did in the holdout (`hold`), not what the model "
                    "expected. Ask the model: `expected_purchases`.",
                    expected=_actual_total),  # fmt: skip
            Mistake("The holdout is the 39 weeks after the calibration period, not the 78 weeks of the whole log.",
                    expected=lambda: _expected_total(78)),  # fmt: skip
        ],
        compare=_NUMBER,
    ),
    Question(
        "q3",
        f"A new feature without leaks: for each customer of `features` (active on {CUTOFF}), their spend "
        f"in US dollars on completed orders placed in the {WINDOW_DAYS} days up to the end of {CUTOFF} "
        "(Tehran time), 0 when none. A Series indexed by `customer_id`.",
        expected=_spend,
        hints=[
            "The cutoff day ends at `end` (midnight in Tehran); the window starts 90 days earlier.",
            "Keep completed orders with `start <= ordered_at < end`: nothing placed after the cutoff may count.",
            "Sum `total_cents` by customer, divide by 100, then `.reindex(features.index, fill_value=0)`.",
        ],
        solution="start = end - pd.Timedelta(days=90)\n"
        "o = crm.orders\n"
        "window = o[(o['ordered_at'] >= start) & (o['ordered_at'] < end) & (o['status'] == 'completed')]\n"
        "spend_90d = (window.groupby('customer_id')['total_cents'].sum() / 100)"
        ".reindex(features.index, fill_value=0)",
        mistakes=[
            Mistake("Your sums include orders placed after the cutoff: a leak. On the day of the prediction "
                    "they do not exist yet; stop the window at the end of the cutoff day (`ordered_at < end`).",
                    expected=lambda: _spend(upper=False)),  # fmt: skip
            Mistake("Your sums include cancelled and returned orders: keep only `status == 'completed'`.",
                    expected=lambda: _spend(statuses=("completed", "cancelled", "returned"))),  # fmt: skip
            Mistake("Your amounts are 100 times too big: `total_cents` is in cents, divide by 100.",
                    expected=lambda: _spend(divide=1)),  # fmt: skip
            Mistake("Customers without an order in the window are missing: they spent 0. "
                    "Use `.reindex(features.index, fill_value=0)`.",
                    when=_missing_zeros),  # fmt: skip
        ],
        compare=_SERIES,
    ),
    Question(
        "q4",
        "Compute by hand (without `churn.lift_at`) the lift of the top decile: the churn rate of the 10% "
        "of test customers with the highest churn probability `proba`, divided by the churn rate of all "
        "test customers.",
        expected=lambda: _lift(),
        hints=[
            "Put the probabilities next to the outcomes: `test.assign(p=proba)`.",
            "Sort by `p` from the highest down and keep the first 10% of rows.",
            "`top['churned'].mean() / test['churned'].mean()`",
        ],
        solution="ranked = test.assign(p=proba).sort_values('p', ascending=False)\n"
        "top = ranked.head(round(len(ranked) * 0.1))\n"
        "lift = top['churned'].mean() / test['churned'].mean()",
        mistakes=[
            Mistake("Your lift is below 1: you took the 10% *least* likely to churn. Sort with "
                    "`ascending=False` so the riskiest customers come first.",
                    expected=lambda: _lift(ascending=True)),  # fmt: skip
            Mistake("That is the churn rate of the top decile; the lift divides it by the churn rate of "
                    "all test customers.",
                    expected=_top_decile_rate),  # fmt: skip
            Mistake("That is the share of all churners found in the top decile (the gains), not the lift: "
                    "divide the top decile's churn rate by the overall churn rate.",
                    expected=_share_caught),  # fmt: skip
        ],
        compare=CompareOptions(rtol=0.02),
    ),
    Question(
        "q5",
        "From `churn.odds_ratios(model)`: which of the planted drivers makes churn MORE likely by the "
        "largest factor? Answer with its name: one of " + ", ".join(f"'{d}'" for d in churn.DRIVERS) + ".",
        expected=lambda: str(_driver_odds().idxmax()),
        hints=[
            "An odds ratio above 1 makes churn more likely; below 1, less likely.",
            "Keep the rows of the planted drivers: `odds.loc[list(churn.DRIVERS)]`.",
            "`odds.loc[list(churn.DRIVERS), 'odds_ratio'].idxmax()`",
        ],
        solution="odds = churn.odds_ratios(model)\n"
        "strongest = odds.loc[list(churn.DRIVERS), 'odds_ratio'].idxmax()",
        mistakes=[
            Mistake("That driver has an odds ratio below 1: it makes churn *less* likely. "
                    "The question asks for the one that raises the odds the most.",
                    when=_lowers_churn),  # fmt: skip
            Mistake("That input is not one of the planted drivers listed in the question "
                    "(recency, orders, tenure ... are behaviour, not drivers). Pick among the five names.",
                    when=_not_a_driver),  # fmt: skip
        ],
        compare=_TEXT,
        correct_message="Bad service is the strongest driver: alerts on SLA breaches are churn alerts.",
    ),
    Reflection(
        "q7",
        "A customer on the at-risk list has 'bad tickets' as their main reason and is in the top 10% by "
        "12-month CLV. Who in the company should hear about it, and what should they do?",
        solution="Support first: the team lead should call, apologise, fix the open problem and check the "
        "SLA of that customer's next tickets; their value justifies a senior contact. Sales or the account "
        "manager should know too, and the CRM should raise this alert by itself whenever a valuable "
        "customer gets a bad ticket.",
    ),
]
