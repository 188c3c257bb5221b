"""Cross-selling: hand-computed rules and mailing decisions, the planted pairs recovered, and
propensity models on the real Caravan and charity data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split

import crmlab
from crmlab.analysis import crosssell as cs
from crmlab.datasets import PLANTED, load_caravan, load_charity
from crmlab.errors import SchemaError

PAIRS = [("Laptops", "Accessories"), ("Laptops", "Software"), ("Laptops", "Services"),
         ("Phones", "Accessories"), ("Printers", "Ink & Paper")]  # fmt: skip


# ------------------------------------------------------------------ tiny tables


@pytest.fixture
def tiny():
    orders = pd.DataFrame({"order_id": [1, 2, 3, 4, 5], "customer_id": [7, 7, 8, 9, 9],
                           "status": ["completed", "completed", "cancelled", "completed", "returned"]})  # fmt: skip
    lines = pd.DataFrame({"order_id": [1, 1, 1, 2, 3, 3, 4, 5],
                          "product_id": [10, 11, 30, 20, 10, 30, 20, 30]})  # fmt: skip
    products = pd.DataFrame({"product_id": [10, 11, 20, 30], "category_id": [1, 1, 2, 3]})
    categories = pd.DataFrame({"category_id": [1, 2, 3], "name": ["Laptops", "Phones", "Software"]})
    return orders, lines, products, categories


def _baskets(rows, columns=("A", "B", "C")):
    return pd.DataFrame(rows, columns=list(columns)).astype(bool)


def test_basket_matrix_keeps_completed_orders_one_row_per_basket(tiny):
    b = cs.basket_matrix(*tiny)
    assert b.index.name == "order_id" and b.index.tolist() == [1, 2, 4]
    assert b.columns.tolist() == ["Laptops", "Phones", "Software"]
    assert b.loc[1].tolist() == [True, False, True]  # two laptop lines count once
    assert b.dtypes.eq(bool).all()


def test_basket_matrix_by_customer_and_statuses(tiny):
    owned = cs.basket_matrix(*tiny, by="customer_id")
    assert owned.to_dict("index") == {7: {"Laptops": True, "Phones": True, "Software": True},
                                      9: {"Laptops": False, "Phones": True, "Software": False}}  # fmt: skip
    every = cs.basket_matrix(*tiny, statuses=["completed", "cancelled", "returned"])
    assert every.index.tolist() == [1, 2, 3, 4, 5]
    assert cs.basket_matrix(*tiny, statuses="cancelled").index.tolist() == [3]


def test_basket_matrix_errors_name_the_fix(tiny):
    orders, lines, products, categories = tiny
    with pytest.raises(ValueError, match=r"`by` must be one of \['order_id', 'customer_id'\]"):
        cs.basket_matrix(*tiny, by="order")
    with pytest.raises(ValueError, match="the statuses present are"):
        cs.basket_matrix(*tiny, statuses=["complete"])
    with pytest.raises(SchemaError, match=r"no column\(s\) \['status'\]"):
        cs.basket_matrix(orders.drop(columns="status"), lines, products, categories)
    with pytest.raises(TypeError, match="whole CRM"):
        cs.basket_matrix({"orders": orders}, lines, products, categories)


def test_pair_rules_by_hand():
    # 10 baskets: A in 5, B in 4, C in 3; A and B together in 3, A and C in 1, B and C in 0
    rows = [(1, 1, 0)] * 3 + [(1, 0, 1)] + [(1, 0, 0)] + [(0, 1, 0)] + [(0, 0, 1)] * 2 + [(0, 0, 0)] * 2
    rules = cs.pair_rules(_baskets(rows)).set_index(["antecedent", "consequent"])
    ab, ba = rules.loc[("A", "B")], rules.loc[("B", "A")]
    assert ab["baskets"] == 3 and ab["support"] == pytest.approx(0.3)
    assert ab["confidence"] == pytest.approx(3 / 5) and ba["confidence"] == pytest.approx(3 / 4)
    assert ab["lift"] == pytest.approx((3 / 5) / 0.4) == ba["lift"]  # 1.5 both ways
    assert rules.loc[("A", "C"), "lift"] == pytest.approx((1 / 5) / 0.3)
    assert rules.loc[("B", "C"), "support"] == 0 and rules.loc[("B", "C"), "lift"] == 0
    assert len(rules) == 6
    assert list(cs.pair_rules(_baskets(rows))["lift"]) == sorted(rules["lift"], reverse=True)


def test_pair_rules_min_support_and_empty_categories():
    rows = [(1, 1, 0)] * 3 + [(1, 0, 1)] + [(0, 0, 0)] * 6
    assert set(cs.pair_rules(_baskets(rows), min_support=0.2)["antecedent"]) == {"A", "B"}
    never = _baskets([(1, 0, 0), (1, 1, 0)])  # C never bought: no rule mentions it
    assert "C" not in set(cs.pair_rules(never)[["antecedent", "consequent"]].to_numpy().ravel())


@pytest.mark.parametrize(("bad", "error", "text"), [
    ("baskets", TypeError, "True/False DataFrame"),
    (pd.DataFrame({"A": [1, 2]}), ValueError, "two category columns"),
    (pd.DataFrame({"A": [1, 2], "B": [0, 3]}), ValueError, "only True/False"),
])
def test_pair_rules_rejects_what_is_not_a_basket_table(bad, error, text):
    with pytest.raises(error, match=text):
        cs.pair_rules(bad)


def test_rule_matrix_is_square_with_an_empty_diagonal():
    rows = [(1, 1, 0)] * 3 + [(1, 0, 1)] + [(0, 1, 0)]
    rules = cs.pair_rules(_baskets(rows))
    matrix = cs.rule_matrix(rules, "confidence", order=["C", "B", "A"])
    assert matrix.index.tolist() == ["C", "B", "A"] == matrix.columns.tolist()
    assert np.isnan(np.diag(matrix.to_numpy())).all()
    assert matrix.loc["A", "B"] == pytest.approx(3 / 4) and matrix.loc["B", "A"] == pytest.approx(3 / 4)
    assert cs.rule_matrix(rules).index[0] == "A"  # most frequent first
    with pytest.raises(ValueError, match="`value` must be one of"):
        cs.rule_matrix(rules, "baskets")


# ------------------------------------------------------------------ the planted pairs


@pytest.fixture(scope="module")
def course():
    return crmlab.load_crm(tables=["orders", "order_lines", "products", "categories"])


def _rules(crm):
    return cs.pair_rules(cs.basket_matrix(crm.orders, crm.order_lines, crm.products, crm.categories))


@pytest.mark.parametrize("which", ["course", "big"])
def test_planted_pairs_come_out_on_top(which, course, big_crm):
    crm = course if which == "course" else big_crm
    rules = _rules(crm)
    found = cs.planted_pairs(rules, planted=cs.affinities_from_truth(crm.truth))
    assert sorted(found.loc[PAIRS, "lift_rank"]) == [1, 2, 3, 4, 5]
    assert (found.loc[PAIRS, "lift"] > 1.2).all()
    # confidence near the planted probability; diluted a little by add-ons bought without their device
    diff = found.loc[PAIRS, "confidence"] - found.loc[PAIRS, "planted"]
    assert diff.between(-0.10, 0.03).all(), diff
    # every other pair, Furniture -> Accessories included, has a lift below 1
    planted = {tuple(sorted(p)) for p in PAIRS}
    pairs = zip(rules["antecedent"], rules["consequent"], strict=True)
    others = rules[[tuple(sorted(p)) not in planted for p in pairs]]
    assert len(others) == 56 - 10 and (others["lift"] < 1).all()
    assert found.loc[("Furniture", "Accessories"), "lift"] < 0.8
    # for each device, its likeliest add-on is the planted one
    best = rules.sort_values("confidence").groupby("antecedent")["consequent"].last()
    assert best[["Laptops", "Phones", "Printers"]].tolist() == ["Accessories", "Accessories", "Ink & Paper"]


def test_the_answer_key_is_read_from_the_data_and_never_assumed(course):
    """The stored course data carry their answer key, equal to the public `PLANTED`; without a key nothing is
    assumed (a company's own export has none)."""
    key = cs.affinities_from_truth(course.truth)
    assert key == dict(PLANTED.affinities)
    assert dict(cs.planted_pairs(_rules(course), planted=key)["planted"]) == key
    with pytest.raises(TypeError, match="affinities_from_truth"):
        cs.planted_pairs(_rules(course), planted=None)
    with pytest.raises(ValueError, match="answer key"):
        cs.affinities_from_truth({})


# ------------------------------------------------------------------ next-best offers


def test_next_best_offer_by_hand():
    rules = pd.DataFrame({"antecedent": ["A", "A", "B", "C", "B"], "consequent": ["B", "C", "C", "A", "D"],
                          "confidence": [0.5, 0.3, 0.3, 0.9, 0.6], "lift": [1.5, 2.0, 1.2, 1.1, 0.8]})  # fmt: skip
    owned = pd.DataFrame({"A": [1, 1, 0, 1, 0], "B": [0, 1, 1, 1, 0], "C": [0, 0, 0, 1, 0], "D": [0, 0, 0, 0, 1]},
                         index=pd.Index([1, 2, 3, 4, 5], name="customer_id")).astype(bool)  # fmt: skip
    offers = cs.next_best_offer(owned, rules)
    assert offers.index.tolist() == [1, 2, 3]  # 4 owns all linked categories, 5 only D (no rule from D)
    assert offers.loc[1, "offer"] == "B" and offers.loc[1, "rule"] == "A -> B"
    # customer 2 owns A and B: A -> C and B -> C tie on confidence; the higher lift wins, B -> D has lift < 1
    assert offers.loc[2, ["offer", "because_of", "lift"]].tolist() == ["C", "A", 2.0]
    assert offers.loc[3, "offer"] == "C"
    assert cs.next_best_offer(owned, rules, min_lift=0.5).loc[3, "offer"] == "D"  # 0.6 beats 0.3 when allowed
    assert cs.next_best_offer(owned, rules, min_lift=5).empty


def test_next_best_offer_checks_its_inputs():
    rules = pd.DataFrame({"antecedent": ["A"], "consequent": ["B"], "confidence": [0.5], "lift": [1.5]})
    with pytest.raises(ValueError, match="only True/False"):
        cs.next_best_offer(pd.DataFrame({"A": [2], "B": [0]}), rules)
    with pytest.raises(SchemaError, match="lift"):
        cs.next_best_offer(_baskets([(1, 0)], "AB"), rules.drop(columns="lift"))
    with pytest.raises(ValueError, match="`min_lift` must be a number >= 0"):
        cs.next_best_offer(_baskets([(1, 0)], "AB"), rules, min_lift="high")


def test_next_best_offers_on_the_course_data_follow_the_rule(course):
    rules = _rules(course)
    owned = cs.basket_matrix(course.orders, course.order_lines, course.products, course.categories,
                             by="customer_id")  # fmt: skip
    offers = cs.next_best_offer(owned, rules)
    assert 0.8 < len(offers) / len(owned) < 0.95
    assert not any(owned.loc[c, o] for c, o in offers["offer"].items())  # never something they own
    assert all(owned.loc[c, a] for c, a in offers["because_of"].items())
    assert (offers["lift"] >= 1).all()
    for customer in offers.index[:200]:  # brute force: the best eligible rule by confidence
        mine = set(owned.columns[owned.loc[customer].to_numpy()])
        ok = rules[rules["antecedent"].isin(mine) & ~rules["consequent"].isin(mine) & (rules["lift"] >= 1)]
        assert offers.loc[customer, "confidence"] == pytest.approx(ok["confidence"].max())
    # customer 356 (a snapshot of the draw) owns Laptops, Software, Phones and Accessories: the one rule with lift
    # >= 1 that offers something they lack is Laptops -> Services
    assert set(owned.columns[owned.loc[356].to_numpy()]) == {"Laptops", "Software", "Phones", "Accessories"}
    assert offers.loc[356, ["offer", "because_of"]].tolist() == ["Services", "Laptops"]


# ------------------------------------------------------------------ propensity models


def test_split_target():
    frame = pd.DataFrame({"age": [30, 40, 50], "gift": [0, 10, 0], "Purchase": ["No", "Yes", "No"]})
    X, y = cs.split_target(frame, "Purchase", "Yes", drop=["gift"])
    assert X.columns.tolist() == ["age"] and y.tolist() == [0, 1, 0] and y.name == "Purchase"
    with pytest.raises(ValueError, match=r"No row has `Purchase` == 'yes'; its values are \['No', 'Yes'\]"):
        cs.split_target(frame, "Purchase", "yes")
    with pytest.raises(SchemaError, match="Purchased"):
        cs.split_target(frame, "Purchased", "Yes")


def test_propensity_model_logs_the_columns_it_is_told_to():
    X = pd.DataFrame({"gifts": [0.0, 1, 3, 8, 20, 50], "weeks": [90.0, 60, 40, 20, 10, 5]})
    model = cs.propensity_model(log_columns=["gifts"]).fit(X, [0, 0, 0, 1, 1, 1])
    prepared = model.named_steps["prepare"].transform(X)
    assert np.allclose(np.asarray(prepared)[:, 0], np.log1p(X["gifts"]))
    assert np.allclose(np.asarray(prepared)[:, 1], X["weeks"])
    assert model.named_steps["model"].C == 1.0
    with pytest.raises(ValueError, match="`C` must be a number above 0"):
        cs.propensity_model(C=0)
    with pytest.raises(ValueError, match="`class_weight` must be one of"):
        cs.propensity_model(class_weight="balance")


def test_out_of_fold_scores_match_scikit_learns_cross_validation():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"], index=np.arange(1000, 1300))
    y = pd.Series((X["a"] + rng.normal(size=300) > 1.2).astype(int), index=X.index)
    oof = cs.out_of_fold_scores(cs.propensity_model(), X, y, n_splits=4, seed=3)
    folds = StratifiedKFold(n_splits=4, shuffle=True, random_state=3)
    expected = cross_val_predict(cs.propensity_model(), X, y, cv=folds, method="predict_proba")[:, 1]
    assert np.allclose(oof["score"], expected)
    assert oof.index.equals(X.index) and (oof["y"] == y).all()
    assert oof.groupby("fold")["y"].sum().max() - oof.groupby("fold")["y"].sum().min() <= 1  # stratified
    assert oof.equals(cs.out_of_fold_scores(cs.propensity_model(), X, y, n_splits=4, seed=3))  # seeded
    with pytest.raises(ValueError, match="`n_splits` must be a whole number >= 2"):
        cs.out_of_fold_scores(cs.propensity_model(), X, y, n_splits=1)
    with pytest.raises(ValueError, match="one row per customer"):
        cs.out_of_fold_scores(cs.propensity_model(), X, y[:10])


def test_top_k_summary_by_hand():
    top = cs.top_k_summary([0, 1, 1, 0, 0, 0, 0, 0, 1, 0], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0], k=4)
    assert top.to_dict() == pytest.approx({"mailed": 4, "buyers": 2, "precision": 0.5,
                                           "share_caught": 2 / 3, "lift": 0.5 / 0.3})  # fmt: skip
    with pytest.raises(ValueError, match="`k` must be a whole number from 1 to 3"):
        cs.top_k_summary([0, 1, 0], [1, 2, 3], k=0)
    with pytest.raises(ValueError, match="one value per customer"):
        cs.top_k_summary([0, 1, 0], [1, 2], k=1)
    with pytest.raises(ValueError, match="convert text first"):
        cs.top_k_summary(["No", "Yes"], [1, 2], k=1)


@pytest.fixture(scope="module")
def caravan():
    X, y = cs.split_target(load_caravan(), "Purchase", "Yes")
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    return X, y, X_train, X_test, y_train, y_test


def test_caravan_model_ranks_honestly(caravan):
    X, y, X_train, X_test, y_train, y_test = caravan
    model = cs.propensity_model(0.01).fit(X_train, y_train)
    proba = model.predict_proba(X_test)[:, 1]
    assert roc_auc_score(y_test, proba) == pytest.approx(0.752, abs=0.005)
    assert roc_auc_score(y_train, model.predict_proba(X_train)[:, 1]) > roc_auc_score(y_test, proba)
    assert ((proba > 0.5) == y_test).mean() <= (y_test == 0).mean()  # accuracy: no better than "nobody buys"
    assert proba.mean() == pytest.approx(y_test.mean(), abs=0.01)  # honest probabilities
    weighted = cs.propensity_model(0.01, class_weight="balanced").fit(X_train, y_train).predict_proba(X_test)[:, 1]
    assert spearmanr(proba, weighted).statistic > 0.95  # nearly the same ranking ...
    assert abs(roc_auc_score(y_test, weighted) - roc_auc_score(y_test, proba)) < 0.02
    assert weighted.mean() > 0.3  # ... but probabilities far above the 6% who buy


def test_caravan_cross_validation_compares_with_the_coil_benchmark(caravan):
    X, y = caravan[:2]
    oof = cs.out_of_fold_scores(cs.propensity_model(0.01), X, y)
    folds = cs.fold_metrics(oof)
    assert folds["buyers"].between(69, 70).all() and folds["customers"].sum() == 5822
    assert folds["auc"].between(0.68, 0.80).all()
    assert roc_auc_score(oof["y"], oof["score"]) == pytest.approx(0.746, abs=0.01)
    top = cs.top_k_summary(oof["y"], oof["score"], k=round(0.2 * len(oof)))
    assert top["share_caught"] == pytest.approx(121 / 238, abs=0.05)  # the CoIL winner: 121 of 238 in 20%


# ------------------------------------------------------------------ mailing decisions


def test_profit_by_depth_by_hand():
    table = cs.profit_by_depth([0, 1, 1, 0], [0.2, 0.9, 0.5, 0.1], cost=2, margin=5)
    assert table.index.tolist() == [1, 2, 3, 4]
    assert table["buyers"].tolist() == [1, 2, 2, 2]
    assert table["profit"].tolist() == [3.0, 6.0, 4.0, 2.0]
    assert table["response_rate"].tolist() == [1.0, 1.0, 2 / 3, 0.5]
    gifts = cs.profit_by_depth([0, 1, 1, 0], [0.2, 0.9, 0.5, 0.1], cost=2, margin=[0, 10, 30, 0])
    assert gifts["revenue"].tolist() == [10.0, 40.0, 40.0, 40.0]
    with pytest.raises(ValueError, match="`cost` must be a number >= 0"):
        cs.profit_by_depth([0, 1], [1, 2], cost=-1, margin=5)
    with pytest.raises(ValueError, match="`margin` must have one value per customer"):
        cs.profit_by_depth([0, 1], [1, 2], cost=1, margin=[5])


def test_expected_profit_and_break_even():
    table = cs.expected_profit_by_depth([0.1, 0.5, 0.3], cost=1, margin=4)
    assert table["buyers"].tolist() == pytest.approx([0.5, 0.8, 0.9])
    assert table["profit"].tolist() == pytest.approx([1.0, 1.2, 0.6])
    assert cs.break_even_probability(1, 4) == 0.25
    # the best expected depth stops at the last customer above the break-even probability
    assert cs.best_depth(table)["mailed"] == 2
    with pytest.raises(ValueError, match="probabilities between 0 and 1"):
        cs.expected_profit_by_depth([0.1, 1.5], cost=1, margin=4)
    with pytest.raises(ValueError, match="`margin` must be above 0"):
        cs.break_even_probability(1, 0)


def test_best_depth_with_and_without_a_budget():
    table = cs.profit_by_depth([1, 0, 1, 1, 0, 0], [6, 5, 4, 3, 2, 1], cost=10, margin=30)
    assert table["profit"].tolist() == [20, 10, 30, 50, 40, 30]
    assert cs.best_depth(table)[["mailed", "profit"]].tolist() == [4, 50]
    assert cs.best_depth(table, budget=25)[["mailed", "profit"]].tolist() == [2, 10]  # the top 2 it pays for
    assert cs.best_depth(table, budget=1_000)["mailed"] == 4  # never past the best depth
    losing = cs.profit_by_depth([0, 0, 1], [3, 2, 1], cost=10, margin=5)
    assert cs.best_depth(losing).tolist() == [0.0] * 7  # mail nobody
    with pytest.raises(ValueError, match="does not pay for a single letter"):
        cs.best_depth(table, budget=5)


def test_caravan_break_even_rule_lands_near_the_best_depth(caravan):
    X, y = caravan[:2]
    oof = cs.out_of_fold_scores(cs.propensity_model(0.01), X, y)
    earned = cs.profit_by_depth(oof["y"], oof["score"], cost=5, margin=60)
    best = cs.best_depth(earned)
    assert 0.15 < best["share_mailed"] < 0.35 and best["profit"] > 0 > earned["profit"].iloc[-1]
    above = int((oof["score"] > cs.break_even_probability(5, 60)).sum())
    assert abs(above - best["mailed"]) / len(oof) < 0.05
    expected = cs.expected_profit_by_depth(oof["score"], cost=5, margin=60)
    assert cs.best_depth(expected)["mailed"] == above
    assert cs.best_depth(earned, budget=2_000)["mailed"] == 400


def test_charity_ranking_by_expected_gift_earns_more():
    charity = load_charity()
    X, y = cs.split_target(charity, "respond", 1, drop=["gift"])
    X_train, X_test, y_train, y_test, gift_train, gift_test = train_test_split(
        X, y, charity["gift"], test_size=0.3, stratify=y, random_state=0)
    model = cs.propensity_model(log_columns=["weekslast", "giftlast", "avggift"]).fit(X_train, y_train)
    p = model.predict_proba(X_test)[:, 1]
    assert roc_auc_score(y_test, p) == pytest.approx(0.770, abs=0.005)
    by_chance = cs.best_depth(cs.profit_by_depth(y_test, p, cost=4, margin=gift_test))
    by_value = cs.best_depth(cs.profit_by_depth(y_test, p * X_test["avggift"].clip(upper=gift_train.max()),
                                                cost=4, margin=gift_test))  # fmt: skip
    everyone = gift_test.sum() - 4 * len(gift_test)
    assert by_value["profit"] > by_chance["profit"] > everyone
    assert by_value["mailed"] < by_chance["mailed"] < len(gift_test)


# ------------------------------------------------------------------ charts


def test_charts_draw_one_curve_per_table_and_mark_the_best_depth():
    from crmlab.analysis.churn import gains_table

    y, s = [1, 0, 1, 0, 0, 0, 0, 1], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]
    ax = cs.draw_gains({"a": gains_table(y, s, n_groups=4), "b": gains_table(y, s[::-1], n_groups=4)})
    assert [line.get_label() for line in ax.get_lines()] == ["a", "b", "mailing at random"]
    assert ax.get_lines()[0].get_ydata().tolist() == pytest.approx([0, 1 / 3, 2 / 3, 2 / 3, 1])
    table = cs.profit_by_depth(y, s, cost=1, margin=4)
    ax = cs.draw_profit({"model": table})
    marker = ax.get_lines()[1]
    assert marker.get_xdata().tolist() == [3 / 8] and marker.get_ydata().tolist() == [5.0]
