"""Exercises of lesson 12, *Cross-selling and targeting*.

Expected values are computed on the first check with :mod:`crmlab.analysis.crosssell`
(the course's CRM and the real Caravan data), never typed in; each known mistake is
computed the wrong way. Caravan's ``Purchase`` records *holding* a policy, so its model is a
propensity model (who holds it, or looks like those who do), never a response model: q5's
mailing is the lesson's what-if, and only a randomised holdout measures what a letter sells.
"""

from functools import cache

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from crmlab.analysis import crosssell
from crmlab.datasets import load_caravan, load_crm
from crmlab.exercises import CompareOptions, Mistake, Question, Reflection
from crmlab.exercises.lessons import shown_by

TITLE = "Cross-selling and targeting"
ANTECEDENT, CONSEQUENT = "Phones", "Accessories"
CUSTOMER = 356  # bought Laptops, Accessories and Ink & Paper
ALL_STATUSES = ("completed", "cancelled", "returned")
SEED, TEST_SHARE, C = 0, 0.3, 0.01
LETTER_COST, MARGIN = 5, 60
_NUMBER = CompareOptions(rtol=1e-6)
_TEXT = CompareOptions(ignore_text_case=True)


# ---------------------------------------------------------------- q1-q3: baskets and offers


@cache
def _crm():
    return load_crm(tables=["orders", "order_lines", "products", "categories"])


@cache
def _baskets(statuses: tuple[str, ...] = ("completed",), by: str = "order_id") -> pd.DataFrame:
    crm = _crm()
    return crosssell.basket_matrix(crm.orders, crm.order_lines, crm.products, crm.categories,
                                   by=by, statuses=statuses)  # fmt: skip


def _confidence(a: str = ANTECEDENT, b: str = CONSEQUENT, statuses=("completed",)) -> float:
    baskets = _baskets(tuple(statuses))
    return float((baskets[a] & baskets[b]).sum() / baskets[a].sum())


def _support(statuses=("completed",)) -> float:
    baskets = _baskets(tuple(statuses))
    return float((baskets[ANTECEDENT] & baskets[CONSEQUENT]).mean())


def _lift(statuses=("completed",), base: str = CONSEQUENT) -> float:
    return _confidence(statuses=statuses) / float(_baskets(tuple(statuses))[base].mean())


@cache
def _rules() -> pd.DataFrame:
    return crosssell.pair_rules(_baskets())


def _owned() -> pd.Series:
    row = _baskets(by="customer_id").loc[CUSTOMER]
    return row[row]


def _offer() -> str:
    offers = crosssell.next_best_offer(_baskets(by="customer_id"), _rules())
    return str(offers.loc[CUSTOMER, "offer"])


def _candidates() -> pd.DataFrame:
    rules, owned = _rules(), set(_owned().index)
    keep = rules["antecedent"].isin(owned) & ~rules["consequent"].isin(owned) & (rules["lift"] >= 1)
    return rules[keep]


def _is(answer, name: str) -> bool:
    return isinstance(answer, str) and answer.strip().casefold() == name.casefold()


def _already_owned(answer) -> bool:
    return any(_is(answer, name) for name in _owned().index)


def _highest_lift(answer) -> bool:
    best = _candidates().sort_values("lift", ascending=False)["consequent"].iloc[0]
    return best != _offer() and _is(answer, best)


# ---------------------------------------------------------------- q4, q5: Caravan


@cache
def _caravan():
    X, y = crosssell.split_target(load_caravan(), "Purchase", "Yes")
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=TEST_SHARE, stratify=y, random_state=SEED)
    model = crosssell.propensity_model(C).fit(X_train, y_train)
    return model, X_train, X_test, y_train, y_test


def _auc(on: str = "test", column: int = 1, hard: bool = False) -> float:
    model, X_train, X_test, y_train, y_test = _caravan()
    X, y = (X_test, y_test) if on == "test" else (X_train, y_train)
    score = model.predict(X) if hard else model.predict_proba(X)[:, column]
    return float(roc_auc_score(y, score))


@cache
def _profit() -> pd.DataFrame:
    model, _, X_test, _, y_test = _caravan()
    proba = model.predict_proba(X_test)[:, 1]
    return crosssell.profit_by_depth(y_test, proba, cost=LETTER_COST, margin=MARGIN)


def _depth_sorted_ascending() -> int:
    """The learner's computation with the list upside down: the lowest probabilities mailed first."""
    model, _, X_test, _, y_test = _caravan()
    ranked = y_test.to_numpy()[model.predict_proba(X_test)[:, 1].argsort(kind="stable")]
    profit = MARGIN * ranked.cumsum() - LETTER_COST * np.arange(1, len(ranked) + 1)
    return int(profit.argmax() + 1)


def _best_depth() -> int:
    return int(crosssell.best_depth(_profit())["mailed"])


def _above_break_even() -> int:
    model, _, X_test, _, _ = _caravan()
    return int((model.predict_proba(X_test)[:, 1] > LETTER_COST / MARGIN).sum())


QUESTIONS = [
    Question(
        "q1",
        f"The confidence of the rule {ANTECEDENT} -> {CONSEQUENT} on completed orders: among the completed orders "
        f"holding a phone, the share that also hold an accessory.",
        expected=lambda: _confidence(),
        hints=[
            "Keep the completed orders first, then make one True/False row per order and one column per category.",
            "`pd.crosstab(completed['order_id'], completed['category']) > 0` gives the baskets.",
            "`(baskets['Phones'] & baskets['Accessories']).sum() / baskets['Phones'].sum()`",
        ],
        solution="completed = lines[lines['status'] == 'completed']\n"
        "baskets = pd.crosstab(completed['order_id'], completed['category']) > 0\n"
        "confidence = (baskets['Phones'] & baskets['Accessories']).sum() / baskets['Phones'].sum()",
        mistakes=[
            Mistake(f"That is the confidence the other way round, {CONSEQUENT} -> {ANTECEDENT}: you divided by the "
                    "orders holding an accessory. Confidence of A -> B divides by the baskets holding A (phones).",
                    expected=lambda: _confidence(CONSEQUENT, ANTECEDENT)),  # fmt: skip
            Mistake("Your baskets include cancelled and returned orders. They are not purchases: keep only "
                    "`status == 'completed'` before building the baskets.",
                    expected=lambda: _confidence(statuses=ALL_STATUSES)),  # fmt: skip
            Mistake("That is the support of the pair (the share of ALL baskets holding both). Confidence divides "
                    "by the baskets holding a phone only.",
                    expected=lambda: _support()),  # fmt: skip
            Mistake("That is the lift (confidence / share of baskets with an accessory). The question asks for "
                    "the confidence itself.",
                    expected=lambda: _lift()),  # fmt: skip
        ],
        compare=_NUMBER,
    ),
    Question(
        "q2",
        f"The lift of the same rule, {ANTECEDENT} -> {CONSEQUENT}, on completed orders.",
        expected=lambda: _lift(),
        hints=[
            "Lift compares the confidence with how common accessories are in all baskets.",
            "The share of all baskets holding an accessory is `baskets['Accessories'].mean()`.",
            "`confidence / baskets['Accessories'].mean()`",
        ],
        solution="lift = confidence / baskets['Accessories'].mean()",
        mistakes=[
            Mistake(f"You divided by the share of baskets holding a phone. Lift divides the confidence by the share "
                    f"of baskets holding the consequent, {CONSEQUENT}.",
                    expected=lambda: _lift(base=ANTECEDENT)),  # fmt: skip
            Mistake("Your baskets include cancelled and returned orders: keep only completed ones.",
                    expected=lambda: _lift(statuses=ALL_STATUSES)),  # fmt: skip
            Mistake("That is the confidence; lift divides it by the share of all baskets holding an accessory.",
                    expected=lambda: _confidence()),  # fmt: skip
        ],
        compare=_NUMBER,
        correct_message="Above 1, but only a little: accessories are in a third of all baskets anyway.",
    ),
    Question(
        "q3",
        f"Customer {CUSTOMER}'s next-best offer: among the rules (completed orders, lift of at least 1) whose "
        f"antecedent the customer bought and whose consequent they never bought, the consequent of the rule "
        f"with the highest confidence. Answer with the category name.",
        expected=_offer,
        hints=[
            f"`owned.loc[{CUSTOMER}]` says which categories the customer bought (True/False).",
            "Keep the rules whose antecedent is owned, whose consequent is not, and whose lift is at least 1.",
            "Sort what is left by confidence, or let `crosssell.next_best_offer(owned, rules)` do it.",
        ],
        solution="offers = crosssell.next_best_offer(owned, crosssell.pair_rules(baskets))\n"
        f"offer = offers.loc[{CUSTOMER}, 'offer']",
        mistakes=[
            Mistake("The customer has already bought that category: an offer must be something they do not own yet.",
                    when=shown_by(_already_owned, example=lambda: str(_owned().index[0]))),  # fmt: skip
            Mistake("That rule has the highest lift, not the highest confidence. Lift says how much likelier than "
                    "average; confidence says how likely. Offer the likeliest purchase.",
                    when=shown_by(_highest_lift, example=lambda: str(
                        _candidates().sort_values("lift", ascending=False)["consequent"].iloc[0]))),  # fmt: skip
        ],
        compare=_TEXT,
    ),
    Question(
        "q4",
        "The AUC of `model` (a logistic propensity model, fitted on the Caravan training customers) on the "
        "TEST customers: how well it ranks the holders of a caravan policy above the others.",
        expected=lambda: _auc(),
        hints=[
            "AUC needs a score for each test customer: the model's probability that they hold a policy.",
            "`model.predict_proba(X_test)[:, 1]` is the probability of the class 1 (a holder).",
            "`roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])`",
        ],
        solution="auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])",
        mistakes=[
            Mistake("That is the AUC on the training customers, whose answers the model has seen: it flatters the "
                    "model. Use `X_test` and `y_test`.",
                    expected=lambda: _auc(on="train")),  # fmt: skip
            Mistake("Your AUC is below 0.5: you scored with the probability of NOT holding (column 0), which ranks "
                    "the list upside down. Take column 1: `predict_proba(X_test)[:, 1]`.",
                    expected=lambda: _auc(column=0)),  # fmt: skip
            Mistake("You ranked with yes/no predictions (`model.predict`). With 6% holders they are almost all 'no', "
                    "so the ranking is lost. Use the probabilities: `predict_proba(X_test)[:, 1]`.",
                    expected=lambda: _auc(hard=True)),  # fmt: skip
        ],
        compare=CompareOptions(rtol=1e-4),
    ),
    Question(
        "q5",
        f"The lesson's what-if: suppose a letter sells a policy to exactly the holders it reaches (€{MARGIN} of "
        f"margin each) and costs €{LETTER_COST}. Mailing the test customers from the highest `proba` down, how "
        "many should be mailed for the highest what-if profit? (`Purchase` records holding a policy, not "
        "answering a letter: only a randomised holdout can say what a letter really sells.)",
        expected=_best_depth,
        hints=[
            "Sort the test customers by `proba`, highest first, and count the holders cumulatively.",
            f"What-if profit after mailing the first k customers: {MARGIN} x holders so far - {LETTER_COST} x k.",
            "With a NumPy array of profits, the best k is `profit.argmax() + 1` (positions count from 0).",
        ],
        solution="ranked = y_test.to_numpy()[np.argsort(-proba, kind='stable')]\n"
        f"profit = {MARGIN} * ranked.cumsum() - {LETTER_COST} * np.arange(1, len(ranked) + 1)\n"
        "depth = profit.argmax() + 1",
        mistakes=[
            Mistake("That depth has the highest share of holders per letter, not the highest profit. The top of "
                    "the list holds the most holders per letter, but in the what-if the letters after it still "
                    "earn more than they cost: maximise the profit.",
                    expected=lambda: int(_profit()["response_rate"].idxmax())),  # fmt: skip
            Mistake("One short: the position of the maximum counts from 0, the number of customers from 1. Add 1.",
                    expected=lambda: _best_depth() - 1),  # fmt: skip
            Mistake("Mailing everyone loses money, even in the what-if: most letters go to customers who do not "
                    "hold the policy and look nothing like those who do.",
                    expected=lambda: len(_profit())),  # fmt: skip
            Mistake("That is the number of customers whose probability beats the break-even (cost / margin): the "
                    "what-if's rule for a new list. Here the holders are known: find the depth where the profit "
                    "peaks.",
                    when=shown_by(lambda a: a == _above_break_even() != _best_depth(),
                                  example=_above_break_even)),  # fmt: skip
            Mistake("You sorted the customers from the lowest probability up: mail the likeliest holders first "
                    "(sort with `-proba`, or `ascending=False`).",
                    expected=_depth_sorted_ascending),  # fmt: skip
        ],
        compare=CompareOptions(rtol=0, atol=0),
    ),
    Reflection(
        "q7",
        "The next-best-offer list proposes a laptop to customers who bought only software from us. Would you send "
        "those offers as they are? What would you check or do first?",
        solution="Not blindly. Rules describe what is bought together in baskets: software is rarely bought without a "
        "laptop, so Software -> Laptops has a high confidence, but a customer who bought software alone probably "
        "owns a laptop already. Ask the sales reps, and test the offer: send it to a random half of those customers "
        "and compare purchases with the other half (lesson 09) before rolling it out.",
        rubric=[
            "Does not send the offers blindly: a rule describes baskets, it does not say the offer will sell.",
            "Notices the direction: software bought without a laptop suggests the customer owns one already.",
            "Proposes a check before rolling out: ask the sales reps, and test the offer on a random half of "
            "those customers against the other half (lesson 09).",
        ],
    ),
]
