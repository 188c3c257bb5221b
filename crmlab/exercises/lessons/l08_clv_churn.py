"""Exercises of lesson 08, *Customer lifetime value and churn prediction*.

Expected values are computed on the first check with :mod:`crmlab.analysis.clv` and
:mod:`crmlab.analysis.churn` (CDNOW's real purchases and the course's CRM), never typed
in; each known mistake is computed the wrong way.
"""

from functools import cache

import numpy as np
import pandas as pd

from crmlab.analysis import churn, clv
from crmlab.datasets import load_cdnow, load_telco_churn, practice_crm
from crmlab.exercises import AnswerError, CompareOptions, Mistake, Question, Reflection
from crmlab.exercises.lessons import shown_by
from crmlab.exercises.lessons.money_mistakes import unit_mistakes

TITLE = "Customer lifetime value and churn prediction"
CUSTOMER = 797  # a frequent CDNOW buyer outside the lesson's sample, silent for ten weeks at the end of calibration
CUTOFF = "2024-12-31"
TRAIN_CUTOFF = "2023-12-31"
WINDOW_DAYS = 90
#: The course's generator sets consent and segment at sign-up and never changes them (lesson 08 declares them).
#: The course's company markets by SMS: its SMS consent is the planted driver, so the exercises' model uses it.
STABLE = ["consent_sms", "segment"]
#: The planted churn drivers of the course's (Iranian) company, as `churn.drivers_from_truth(crm.truth)` names them.
DRIVER_NAMES = ("bad_tickets", "single_channel", "no_sms_consent", "segment_enterprise", "segment_small_business")
_NUMBER = CompareOptions(rtol=1e-3)
_SERIES = CompareOptions(rtol=1e-6, atol=0.005)
_TEXT = CompareOptions(ignore_text_case=True)
PAYMENT = "Electronic check"  # the lesson's optional part groups by contract; q10 by payment method
MONTHS = 24


# ---------------------------------------------------------------- q1, q2: BG/NBD on CDNOW


def others() -> pd.DataFrame:
    """CDNOW's purchases by the 21,213 customers outside the 1/10th sample the lesson fits."""
    master = load_cdnow()
    return master[~master["customer_id"].isin(load_cdnow("sample")["customer_id"])]


@cache
def _cdnow():
    cal, hold = clv.calibration_holdout(others(), "1997-09-30", "1998-06-30", period_days=7)
    return cal, hold, clv.BetaGeoModel().fit(cal["frequency"], cal["recency"], cal["T"])


def _alive(scale: float = 1.0, swap: bool = False, by_position: bool = False) -> float:
    cal, _, model = _cdnow()
    row = cal.iloc[CUSTOMER] if by_position else cal.loc[CUSTOMER]
    x, tx, t = row[["frequency", "recency", "T"]]
    tx, t = (t, tx) if swap else (tx, t)
    return float(model.probability_alive(x, tx * scale, t * scale)[0])


def _alive_half_fit() -> float:
    """Another model's answer: fitted on every other customer of `cal` only."""
    cal, _, _ = _cdnow()
    half = cal.iloc[::2]
    model = clv.BetaGeoModel().fit(half["frequency"], half["recency"], half["T"])
    return float(model.probability_alive(*cal.loc[CUSTOMER, ["frequency", "recency", "T"]])[0])


def _customer_purchases() -> float:
    cal, _, model = _cdnow()
    return float(model.expected_purchases(39, *cal.loc[CUSTOMER, ["frequency", "recency", "T"]])[0])


def _one_number(answer):
    """One value from a one-element array, Series or list: what `probability_alive` returns for one customer."""
    try:
        if not isinstance(answer, (np.ndarray, pd.Series, pd.DataFrame, list, tuple)):
            return answer
        values = np.asarray(answer, dtype=object).ravel()
    except Exception as exc:  # a learner's object that cannot be read as values
        raise AnswerError(f"Give one number, the probability for customer {CUSTOMER}.") from exc
    if values.size == 1:
        value = values[0]
        return value.item() if isinstance(value, np.generic) else value
    n_customers = len(_cdnow()[0])
    if values.size == n_customers:
        raise AnswerError(
            f"You gave {n_customers:,} values, one per customer of `cal`; the question asks for customer {CUSTOMER}'s "
            f"only. Ask the model about that customer alone (`c = cal.loc[{CUSTOMER}]`), or pick their value: "
            f"`pd.Series(p, index=cal.index).loc[{CUSTOMER}]`."
        )
    raise AnswerError(f"Give one number, the probability for customer {CUSTOMER}; you gave {values.size} values.")


def _is_probability(answer) -> bool:
    return isinstance(answer, (int, float, np.number)) and not isinstance(answer, bool) and 0 <= answer <= 1


def _is_number(answer) -> bool:
    return isinstance(answer, (int, float, np.number)) and not isinstance(answer, bool) and np.isfinite(answer)


def _expected_total(horizon: float = 39.0) -> float:
    cal, _, model = _cdnow()
    return float(model.expected_purchases(horizon, cal["frequency"], cal["recency"], cal["T"]).sum())


def _actual_total() -> float:
    return float(_cdnow()[1]["frequency_holdout"].sum())


def _expected_total_half_fit() -> float:
    """Another model's answer: fitted on every other customer of `cal` only."""
    cal, _, _ = _cdnow()
    half = cal.iloc[::2]
    model = clv.BetaGeoModel().fit(half["frequency"], half["recency"], half["T"])
    return float(model.expected_purchases(39, cal["frequency"], cal["recency"], cal["T"]).sum())


# ---------------------------------------------------------------- q3: a feature without leaks


@cache
def _crm():
    return practice_crm(tables=["customers", "orders", "tickets", "interactions"])


@cache
def _features() -> pd.DataFrame:
    return churn.churn_features(_crm(), CUTOFF)


def _spend(upper: bool = True, statuses=("completed",), divide: float = 1) -> pd.Series:
    """Rials spent in the window (``divide=10``: toman; ``divide=100``: as if the column held cents)."""
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
    train, test = churn.time_split(_crm(), TRAIN_CUTOFF, CUTOFF, stable_fields=STABLE)
    model = churn.churn_model("logistic").fit(train, train["churned"])
    return model, test


def _proba() -> np.ndarray:
    model, test = _model_and_test()
    return model.predict_proba(test)[:, 1]


def _lift(ascending: bool = False) -> float:
    _, test = _model_and_test()
    score = -_proba() if ascending else _proba()
    return churn.lift_at(test["churned"], score, share=0.1)


def _share_caught() -> float:
    _, test = _model_and_test()
    return float(churn.gains_table(test["churned"], _proba())["share_caught"].iloc[0])


def _drivers() -> dict:
    """The practice company's planted drivers, from its answer key."""
    return churn.drivers_from_truth(_crm().truth)


def _odds() -> pd.DataFrame:
    return churn.odds_ratios(_model_and_test()[0], planted=_drivers())


def _driver_odds() -> pd.Series:
    return _odds().loc[list(_drivers()), "odds_ratio"]


def _is(answer, name: str) -> bool:
    return isinstance(answer, str) and answer.strip().casefold() == name.casefold()


def _lowers_churn(answer) -> bool:
    odds = _driver_odds()
    return any(_is(answer, name) for name in odds.index[odds < 1])


def _planted_known(above_one: bool = True) -> str:
    """The NaN trap: bad tickets have no planted hazard ratio (NaN), and `NaN > 1` is False."""
    planted = churn.planted_drivers(_odds(), planted=_drivers())
    if above_one:
        return str(planted.loc[planted["planted"] > 1, "odds_ratio"].idxmax())
    return str(planted["planted"].idxmax())


def _strongest_non_driver() -> str:
    return str(_odds()["odds_ratio"].drop(list(_drivers())).idxmax())


def _not_a_driver(answer) -> bool:
    others = set(_odds().index) - set(_drivers())
    return any(_is(answer, name) for name in others)


# ---------------------------------------------------------------- q10: contractual churn (telco)


@cache
def _telco() -> pd.DataFrame:
    return load_telco_churn()


def _retained(group: str | None = "payment_method", months: int = MONTHS) -> float:
    table = churn.retention_at(churn.tenure_survival(_telco(), group), [months])
    return float(table.iloc[0, 0] if group is None else table.loc[PAYMENT, months])


def _paying() -> pd.DataFrame:
    telco = _telco()
    return telco[telco["payment_method"] == PAYMENT]


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
            Mistake(f"That is another customer's probability: `cal.iloc[{CUSTOMER}]` counts rows from 0. Customer "
                    f"{CUSTOMER} is the row *labelled* {CUSTOMER}: `cal.loc[{CUSTOMER}]`.",
                    expected=lambda: _alive(by_position=True)),  # fmt: skip
            Mistake("That is the number of purchases the model expects from this customer in 39 weeks "
                    "(`expected_purchases`), not the probability that they are still alive (`probability_alive`).",
                    expected=_customer_purchases),  # fmt: skip
            Mistake("A probability, but not this model's for this customer. Fit `clv.BetaGeoModel()` on all of "
                    "`cal`, with its columns in the order frequency, recency, T; then pass the customer's own three "
                    f"values in the same order (`c = cal.loc[{CUSTOMER}]`).",
                    when=shown_by(_is_probability, example=_alive_half_fit)),  # fmt: skip
            Mistake("A probability lies between 0 and 1, and yours does not. `probability_alive` gives it; check "
                    "that you called that method, not another one.",
                    when=shown_by(_is_number, example=lambda: 1 + _alive())),  # fmt: skip
        ],
        prepare=_one_number,
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
            Mistake("Not this model's expectation. Fit `bgnbd` on all of `cal` (frequency, recency, T, in that "
                    "order), ask `expected_purchases` with the same three columns and a horizon of 39 weeks, "
                    "and add up the customers.",
                    when=shown_by(_is_number, example=_expected_total_half_fit)),  # fmt: skip
        ],
        compare=_NUMBER,
    ),
    Question(
        "q3",
        f"A new feature without leaks: for each customer of `features` (active on {CUTOFF}), their spend "
        f"in rials on completed orders placed in the {WINDOW_DAYS} days up to the end of {CUTOFF} "
        "(Tehran time), 0 when none. A Series indexed by `customer_id`.",
        expected=_spend,
        hints=[
            "The cutoff day ends at `end` (midnight in Tehran); the window starts 90 days earlier.",
            "Keep completed orders with `start <= ordered_at < end`: nothing placed after the cutoff may count.",
            "Sum `total_cents` by customer (whole rials on this company: nothing to divide), then "
            "`.reindex(features.index, fill_value=0)`.",
        ],
        solution="start = end - pd.Timedelta(days=90)\n"
        "o = crm.orders\n"
        "window = o[(o['ordered_at'] >= start) & (o['ordered_at'] < end) & (o['status'] == 'completed')]\n"
        "spend_90d = window.groupby('customer_id')['total_cents'].sum().reindex(features.index, fill_value=0)",
        mistakes=[
            Mistake("Your sums include orders placed after the cutoff: a leak. On the day of the prediction "
                    "they do not exist yet; stop the window at the end of the cutoff day (`ordered_at < end`).",
                    expected=lambda: _spend(upper=False)),  # fmt: skip
            Mistake("Your sums include cancelled and returned orders: keep only `status == 'completed'`.",
                    expected=lambda: _spend(statuses=("completed", "cancelled", "returned"))),  # fmt: skip
            *unit_mistakes("total_cents", lambda divide: _spend(divide=divide), what="spend"),
            Mistake("Customers without an order in the window are missing: they spent 0. "
                    "Use `.reindex(features.index, fill_value=0)`.",
                    when=shown_by(_missing_zeros, example=lambda: _spend()[_spend() > 0])),  # fmt: skip
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
            # On the practice company the bottom decile's lift and the top decile's rate are both about 0.46,
            # closer than two honest ways of cutting a decile: one message names both.
            Mistake("Your number is below 1. Either you took the 10% *least* likely to churn (sort with "
                    "`ascending=False` so the riskiest customers come first), or it is the churn rate of the top "
                    "decile: the lift divides it by the churn rate of all test customers.",
                    expected=lambda: _lift(ascending=True)),  # fmt: skip
            Mistake("That is the share of all churners found in the top decile (the gains), not the lift: "
                    "divide the top decile's churn rate by the overall churn rate.",
                    expected=_share_caught),  # fmt: skip
        ],
        compare=CompareOptions(rtol=0.02),
    ),
    Question(
        "q5",
        "From `churn.odds_ratios(model)`: which of the planted drivers makes churn MORE likely by the "
        "largest factor? Answer with its name: one of " + ", ".join(f"'{d}'" for d in DRIVER_NAMES) + ".",
        expected=lambda: str(_driver_odds().idxmax()),
        hints=[
            "An odds ratio above 1 makes churn more likely; below 1, less likely.",
            "Keep the rows of the planted drivers: `drivers = churn.drivers_from_truth(crm.truth)`, then "
            "`odds.loc[list(drivers)]`.",
            "`odds.loc[list(drivers), 'odds_ratio'].idxmax()`",
        ],
        solution="drivers = churn.drivers_from_truth(crm.truth)\n"
        "odds = churn.odds_ratios(model)\n"
        "strongest = odds.loc[list(drivers), 'odds_ratio'].idxmax()",
        mistakes=[
            Mistake("You left out `bad_tickets`. In `churn.planted_drivers` its `planted` value is NaN (the generator "
                    "planted it as a share of customers who leave, not as a hazard ratio), and every comparison "
                    "with NaN is False: `planted > 1` or `.dropna()` drops it. Rank all five drivers by their "
                    "fitted `odds_ratio`.",
                    expected=_planted_known),  # fmt: skip
            Mistake("You ranked the drivers by the generator's `planted` value (where `idxmax` skips the NaN of "
                    "`bad_tickets`). The question asks what the fitted model says: rank by `odds_ratio`.",
                    expected=lambda: _planted_known(above_one=False)),  # fmt: skip
            Mistake("That driver has an odds ratio below 1: it makes churn *less* likely. "
                    "The question asks for the one that raises the odds the most.",
                    when=shown_by(_lowers_churn, example=lambda: str(_driver_odds().idxmin()))),  # fmt: skip
            Mistake("That input is not one of the planted drivers listed in the question "
                    "(recency, orders, tenure ... are behaviour, not drivers). Pick among the five names.",
                    when=shown_by(_not_a_driver, example=_strongest_non_driver)),  # fmt: skip
        ],
        compare=_TEXT,
        correct_message="Bad service is the strongest driver: alerts on SLA breaches are churn alerts.",
    ),
    Question(
        "q10",
        f"Contractual churn on the (fictional) telco data: what share of the customers paying by "
        f"'{PAYMENT}' are still customers after {MONTHS} months, by the Kaplan-Meier estimate "
        "(customers still there censored)?",
        expected=lambda: _retained(),
        hints=[
            "`churn.tenure_survival(telco, group)` gives one retention curve per value of `group`.",
            "Group by the payment method, not the contract; then read the curve at 24 months.",
            f"`churn.retention_at(churn.tenure_survival(telco, 'payment_method'), [{MONTHS}])"
            f".loc['{PAYMENT}', {MONTHS}]`",
        ],
        solution="curves = churn.tenure_survival(telco, 'payment_method')\n"
        f"retained_24 = churn.retention_at(curves, [{MONTHS}]).loc['{PAYMENT}', {MONTHS}]",
        mistakes=[
            Mistake("That is the share of these customers who never cancelled, whatever their tenure: it ignores "
                    "time. Someone who joined last month and is still there has not proved anything yet. "
                    "Read the Kaplan-Meier curve at 24 months instead.",
                    expected=lambda: float((_paying()["churn"] == "No").mean())),  # fmt: skip
            Mistake("That is the share of these customers with a tenure above 24 months: it counts everyone who "
                    "joined less than 24 months ago as gone, though most are still customers (censored). "
                    "Kaplan-Meier counts them while they are observed.",
                    expected=lambda: float((_paying()["tenure"] > MONTHS).mean())),  # fmt: skip
            Mistake("You kept only the customers who cancelled: the ones still there were dropped, so everyone in "
                    "your sample has left by definition. Keep them, censored: `tenure_survival` does that.",
                    expected=lambda: float((_paying().query("churn == 'Yes'")["tenure"] > MONTHS).mean())),
            Mistake("That is the share who had *left* by 24 months (1 - retention). The question asks who is still "
                    "a customer.",
                    expected=lambda: 1 - _retained()),  # fmt: skip
            Mistake("That is the retention of all customers together. Group the curves by `payment_method` and "
                    f"read the row '{PAYMENT}'.",
                    expected=lambda: _retained(None)),  # fmt: skip
            Mistake("A share between 0 and 1, but not the Kaplan-Meier retention of these customers at 24 months: "
                    "group the curves by `payment_method` (not the contract), keep every customer (those still "
                    "there are censored, not dropped) and read the curve at 24 months.",
                    when=shown_by(_is_probability, example=lambda: float(churn.retention_at(
                        churn.tenure_survival(_telco(), "contract"), [MONTHS]).loc["Month-to-month", MONTHS]))),
        ],
        compare=_NUMBER,
        correct_message="Over a third of electronic-check payers are gone within two years; automatic payers stay "
        "far longer (an association: who chooses which way to pay is not random).",
    ),
    Reflection(
        "q7",
        "A customer on the at-risk list has 'bad tickets' as their main reason and is in the top 10% by "
        "12-month CLV. Who in the company should hear about it, and what should they do?",
        solution="Support first: the team lead should call, apologise, fix the open problem and check the "
        "SLA of that customer's next tickets; their value justifies a senior contact. Sales or the account "
        "manager should know too, and the CRM should raise this alert by itself whenever a valuable "
        "customer gets a bad ticket.",
        rubric=[
            "Puts support first, with a concrete action (a call from a team lead, the open problem fixed).",
            "Uses the customer's value to justify the effort (a senior contact), not a blanket discount.",
            "Involves the account owner or sales, so the whole company knows (the CRM belongs to all).",
            "Turns the case into a rule: an alert the CRM raises whenever a valuable customer gets a bad ticket.",
        ],
    ),
]
