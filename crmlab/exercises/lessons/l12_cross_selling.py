"""Exercises of lesson 12, *Cross-selling and targeting*, on data the lesson did not show.

q1-q3 find rules and an offer in the practice company (:func:`crmlab.datasets.practice_crm`, the
course's generator with another seed); q4-q5 target real donors of a Dutch charity (the lesson
works on Caravan). Expected values are computed on the first check with
:mod:`crmlab.analysis.crosssell`, never typed in; each known mistake is computed the wrong way.
The donors' ``respond`` records giving after a mailing they all received: a response among the
mailed, unlike Caravan's ``Purchase`` (holding a policy); what the letter itself adds only a
randomised holdout measures.
"""

from functools import cache

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from crmlab.analysis import crosssell
from crmlab.datasets import load_charity, practice_crm
from crmlab.exercises import CompareOptions, Mistake, Question, Reflection
from crmlab.exercises.lessons import shown_by

TITLE = "Cross-selling and targeting"
ANTECEDENT, CONSEQUENT = "Phones", "Accessories"
CUSTOMER = 37  # practice company: bought Furniture, Ink & Paper, Laptops and Services
ALL_STATUSES = ("completed", "cancelled", "returned")
SEED, TEST_SHARE = 0, 0.3
LOG_COLUMNS = ["weekslast", "giftlast", "avggift"]
LETTER_COST = 4  # guilders per letter to a donor
_NUMBER = CompareOptions(rtol=1e-6)
_TEXT = CompareOptions(ignore_text_case=True)


# ---------------------------------------------------------------- q1-q3: baskets and offers


@cache
def _crm():
    return practice_crm(tables=["orders", "order_lines", "products", "categories"])


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


# ---------------------------------------------------------------- q4, q5: donors


@cache
def _donors():
    charity = load_charity()
    X, y = crosssell.split_target(charity, "respond", 1, drop=["gift"])
    X_train, X_test, y_train, y_test, gift_train, gift_test = train_test_split(
        X, y, charity["gift"], test_size=TEST_SHARE, stratify=y, random_state=SEED)
    model = crosssell.propensity_model(log_columns=LOG_COLUMNS).fit(X_train, y_train)
    return model, X_train, X_test, y_train, y_test, gift_train, gift_test


def _auc(on: str = "test", column: int = 1, hard: bool = False) -> float:
    model, X_train, X_test, y_train, y_test, _, _ = _donors()
    X, y = (X_test, y_test) if on == "test" else (X_train, y_train)
    score = model.predict(X) if hard else model.predict_proba(X)[:, column]
    return float(roc_auc_score(y, score))


def _p_give() -> np.ndarray:
    model, _, X_test, _, _, _, _ = _donors()
    return model.predict_proba(X_test)[:, 1]


def _expected_gift(cap: bool = True) -> np.ndarray:
    _, _, X_test, _, _, gift_train, _ = _donors()
    usual = X_test["avggift"].clip(upper=gift_train.max()) if cap else X_test["avggift"]
    return _p_give() * usual.to_numpy()


def _net(score, margin=None) -> pd.DataFrame:
    _, _, _, _, y_test, _, gift_test = _donors()
    return crosssell.profit_by_depth(y_test, score, cost=LETTER_COST, margin=gift_test if margin is None else margin)


def _best_depth(score=None, margin=None) -> int:
    table = _net(_expected_gift() if score is None else score, margin)
    return int(crosssell.best_depth(table)["mailed"])


def _mean_gift_depth() -> int:
    """The depth with every giver worth the training givers' average gift instead of their own."""
    _, _, _, y_train, _, gift_train, _ = _donors()
    return _best_depth(margin=float(gift_train[y_train == 1].mean()))


def _above_break_even() -> int:
    return int((_expected_gift() > LETTER_COST).sum())


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
        "The AUC of `model` (logistic, fitted on the training donors) on the TEST donors: how well it ranks "
        "the donors who gave after the mailing above those who did not.",
        expected=lambda: _auc(),
        hints=[
            "AUC needs a score for each test donor: the model's probability that they give.",
            "`model.predict_proba(X_test)[:, 1]` is the probability of the class 1 (gave).",
            "`roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])`",
        ],
        solution="auc = roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])",
        mistakes=[
            Mistake("That is the AUC on the training donors, whose answers the model has seen. Use `X_test` and "
                    "`y_test`.",
                    expected=lambda: _auc(on="train")),  # fmt: skip
            Mistake("Your AUC is below 0.5: you scored with the probability of NOT giving (column 0), which ranks "
                    "the list upside down. Take column 1: `predict_proba(X_test)[:, 1]`.",
                    expected=lambda: _auc(column=0)),  # fmt: skip
            Mistake("You ranked with yes/no predictions (`model.predict`): two values cannot rank 1,281 donors, "
                    "so most of the ranking is lost. Use the probabilities: `predict_proba(X_test)[:, 1]`.",
                    expected=lambda: _auc(hard=True)),  # fmt: skip
        ],
        compare=CompareOptions(rtol=1e-4),
    ),
    Question(
        "q5",
        f"Rank the test donors by **expected gift**, `p_give * usual_gift`, and mail from the top. A letter costs "
        f"{LETTER_COST} guilders; each donor who gives brings their own gift (`gift_test`). How many donors should "
        "be mailed for the highest net gifts (gifts minus letters)?",
        expected=_best_depth,
        hints=[
            "Sort the test donors by `p_give * usual_gift`, highest first, and add up their real gifts as you go.",
            f"Net gifts after mailing the first k donors: the sum of their gifts - {LETTER_COST} x k.",
            "With a NumPy array of net gifts, the best k is `net.argmax() + 1` (positions count from 0).",
        ],
        solution="order = np.argsort(-(p_give * usual_gift), kind='stable')\n"
        f"net = gift_test.to_numpy()[order].cumsum() - {LETTER_COST} * np.arange(1, len(order) + 1)\n"
        "depth = net.argmax() + 1",
        mistakes=[
            Mistake("You ranked by the chance of giving alone. A likely donor of small gifts can be worth less "
                    "than an occasional generous one: rank by `p_give * usual_gift`.",
                    expected=lambda: _best_depth(score=_p_give())),  # fmt: skip
            Mistake("Every giver counted for the same average gift. Each donor who gives brings their own "
                    "gift: add up `gift_test` in the order of the list.",
                    expected=_mean_gift_depth),  # fmt: skip
            Mistake("One short: the position of the maximum counts from 0, the number of donors from 1. Add 1.",
                    expected=lambda: _best_depth() - 1),  # fmt: skip
            Mistake("Mailing every donor earns less: the letters at the bottom of the list cost more than the "
                    "gifts they bring. Find the depth where the net gifts peak.",
                    expected=lambda: len(_p_give())),  # fmt: skip
            Mistake("That is the number of donors whose expected gift beats the letter's cost: the rule for a new "
                    "list, whose gifts are not known yet. Here they are: find the depth where the net gifts peak.",
                    when=shown_by(lambda a: a == _above_break_even() != _best_depth(),
                                  example=_above_break_even)),  # fmt: skip
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
