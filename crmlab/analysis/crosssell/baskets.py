"""Which categories are bought together: baskets, association rules (support, confidence, lift).

A *basket* is one order (or, for a customer view, everything a customer ever bought). For a
rule "A -> B" (customers who buy A also buy B), over the baskets:

- **support** of the rule: the share of baskets that hold both A and B;
- **confidence**: the share of baskets holding A that also hold B, P(B | A). It has a
  direction: confidence(A -> B) and confidence(B -> A) differ;
- **lift**: confidence / support of B, i.e. how many times likelier B is in a basket with A
  than in any basket. 1 means no link, above 1 bought together, below 1 bought apart. It is
  the same both ways.

Everything is counted with one matrix product on a True/False basket x category table,
so no extra library is needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from crmlab.conventions import COURSE
from crmlab.validation import choice, non_negative, require_table

__all__ = ["affinities_from_truth", "basket_matrix", "boolean_matrix", "pair_rules", "planted_pairs", "rule_matrix"]

_BY = ("order_id", "customer_id")


def boolean_matrix(baskets: object, argument: str = "baskets") -> pd.DataFrame:
    """``baskets`` as a True/False table with at least one row and two columns."""
    if not isinstance(baskets, pd.DataFrame):
        raise TypeError(f"The value for `{argument}` must be a True/False DataFrame, one row per basket "
                        "and one column per category (`basket_matrix(...)`), "
                        f"but a {type(baskets).__name__} was passed.")  # fmt: skip
    if baskets.shape[0] == 0 or baskets.shape[1] < 2:
        raise ValueError(f"`{argument}` must have at least one row and two category columns, "
                         f"but it has shape {baskets.shape}.")  # fmt: skip
    values = baskets.to_numpy()
    if values.dtype != bool and not np.isin(values, [0, 1]).all():
        raise ValueError(f"`{argument}` must hold only True/False (or 0/1): is this category in the basket? "
                         "Build it with `basket_matrix(...)`.")  # fmt: skip
    return baskets.astype(bool)


def basket_matrix(
    orders: pd.DataFrame,
    order_lines: pd.DataFrame,
    products: pd.DataFrame,
    categories: pd.DataFrame,
    *,
    by: str = "order_id",
    statuses: str | Sequence[str] = COURSE.purchase_statuses,
) -> pd.DataFrame:
    """A True/False table: which categories each basket holds.

    Parameters
    ----------
    orders, order_lines, products, categories : DataFrame
        The CRM tables of those names.
    by : {"order_id", "customer_id"}
        One row per order (a basket, for association rules) or per customer (everything the
        customer bought, for next-best offers).
    statuses : str or sequence of str
        Order statuses that count as a purchase. Cancelled and returned orders are not
        purchases: keep the default unless you know why.

    Returns
    -------
    DataFrame
        Indexed by ``by``; one bool column per category name, in ``categories`` order.
        Only baskets with at least one line appear.

    Examples
    --------
    >>> orders = pd.DataFrame({"order_id": [1, 2, 3], "customer_id": [7, 7, 8],
    ...                        "status": ["completed", "completed", "cancelled"]})
    >>> lines = pd.DataFrame({"order_id": [1, 1, 2, 3], "product_id": [10, 30, 20, 20]})
    >>> products = pd.DataFrame({"product_id": [10, 20, 30], "category_id": [1, 2, 3]})
    >>> categories = pd.DataFrame({"category_id": [1, 2, 3], "name": ["Laptops", "Phones", "Software"]})
    >>> basket_matrix(orders, lines, products, categories)
              Laptops  Phones  Software
    order_id
    1            True   False      True
    2           False    True     False
    >>> basket_matrix(orders, lines, products, categories, by="customer_id")
                 Laptops  Phones  Software
    customer_id
    7               True    True      True
    """
    choice("by", by, _BY)
    orders = require_table(orders, "orders", ["order_id", "customer_id", "status"])
    lines = require_table(order_lines, "order_lines", ["order_id", "product_id"])
    products = require_table(products, "products", ["product_id", "category_id"])
    names = require_table(categories, "categories", ["category_id", "name"]).set_index("category_id")["name"]
    statuses = [statuses] if isinstance(statuses, str) else list(statuses)
    kept = orders[orders["status"].isin(statuses)]
    if kept.empty:
        raise ValueError(f"No order has a status in {statuses}; the statuses present are "
                         f"{sorted(orders['status'].dropna().unique())}.")  # fmt: skip
    bought = lines[["order_id", "product_id"]].merge(kept[["order_id", "customer_id"]], on="order_id")
    bought = bought.merge(products[["product_id", "category_id"]], on="product_id")
    table = pd.crosstab(bought[by], bought["category_id"].map(names)).gt(0)
    table = table.reindex(columns=list(names), fill_value=False)
    table.columns.name = None
    return table


def pair_rules(baskets: pd.DataFrame, *, min_support: float = 0.0) -> pd.DataFrame:
    """Every rule "A -> B" between two categories, with its support, confidence and lift.

    Parameters
    ----------
    baskets : DataFrame
        True/False, one row per basket and one column per category (:func:`basket_matrix`).
    min_support : float
        Keep only rules whose support (share of baskets holding both) is at least this.

    Returns
    -------
    DataFrame
        One row per rule, highest lift first (then highest confidence): ``antecedent`` (A),
        ``consequent`` (B), ``baskets`` (baskets holding both), ``support``,
        ``antecedent_support``, ``consequent_support``, ``confidence`` and ``lift``.

    Examples
    --------
    >>> baskets = pd.DataFrame({"Laptops": [1, 1, 1, 0], "Software": [1, 1, 0, 0],
    ...                         "Phones": [0, 0, 1, 1]}).astype(bool)
    >>> pair_rules(baskets)[["antecedent", "consequent", "support", "confidence", "lift"]].round(3).head(3)
      antecedent consequent  support  confidence   lift
    0   Software    Laptops     0.50       1.000  1.333
    1    Laptops   Software     0.50       0.667  1.333
    2     Phones    Laptops     0.25       0.500  0.667
    """
    table = boolean_matrix(baskets)
    threshold = non_negative("min_support", min_support)
    names = np.asarray(table.columns, dtype=object)
    x = table.to_numpy(dtype="int64")
    together = x.T @ x  # together[a, b]: baskets holding both a and b
    n = len(x)
    count = np.diag(together)
    a, b = np.where(~np.eye(len(names), dtype=bool) & (count[:, None] > 0) & (count[None, :] > 0))
    rules = pd.DataFrame({
        "antecedent": names[a],
        "consequent": names[b],
        "baskets": together[a, b],
        "support": together[a, b] / n,
        "antecedent_support": count[a] / n,
        "consequent_support": count[b] / n,
    })
    rules["confidence"] = rules["baskets"] / count[a]
    rules["lift"] = rules["confidence"] / rules["consequent_support"]
    rules = rules[rules["support"] >= threshold]
    order = rules.sort_values(["lift", "confidence", "antecedent", "consequent"],
                              ascending=[False, False, True, True], kind="stable")  # fmt: skip
    return order.reset_index(drop=True)


def rule_matrix(rules: pd.DataFrame, value: str = "lift", order: Sequence[str] | None = None) -> pd.DataFrame:
    """One measure of every rule as a square table: antecedents down, consequents across.

    Parameters
    ----------
    rules : DataFrame
        From :func:`pair_rules`.
    value : {"lift", "confidence", "support"}
        The measure shown.
    order : sequence of str, optional
        Categories in this order (default: most frequent first).

    Returns
    -------
    DataFrame
        Index ``antecedent``, columns ``consequent``; the diagonal (A -> A) is empty.

    Examples
    --------
    >>> baskets = pd.DataFrame({"Laptops": [1, 1, 1, 0], "Software": [1, 1, 0, 0]}).astype(bool)
    >>> rule_matrix(pair_rules(baskets), "confidence")
    consequent   Laptops  Software
    antecedent
    Laptops          NaN  0.666667
    Software         1.0       NaN
    """
    rules = require_table(rules, "rules", ["antecedent", "consequent", "antecedent_support", value])
    choice("value", value, ("lift", "confidence", "support"))
    if order is None:
        support = rules.groupby("antecedent")["antecedent_support"].first()
        order = list(support.sort_values(ascending=False, kind="stable").index)
    table = rules.pivot(index="antecedent", columns="consequent", values=value)
    return table.reindex(index=list(order), columns=list(order)).astype(float)


def _pair(a: str, b: str) -> str:
    """One name for the unordered pair {a, b}."""
    return " & ".join(sorted((a, b)))


def affinities_from_truth(truth: Mapping) -> dict[tuple[str, str], float]:
    """The planted cross-sell pairs of a generated CRM's answer key (``crm.truth``), for :func:`planted_pairs`.

    Parameters
    ----------
    truth : mapping
        ``crm.truth`` of a generated company: ``truth["planted"]["affinities"]`` maps ``"A -> B"`` to the
        chance that an order starting with A also holds B.

    Returns
    -------
    dict
        ``{(A, B): probability}``.

    Raises
    ------
    ValueError
        When ``truth`` is not such an answer key (a company's own data has none).

    Examples
    --------
    >>> affinities_from_truth({"planted": {"affinities": {"Printers -> Ink & Paper": 0.6}}})
    {('Printers', 'Ink & Paper'): 0.6}
    """
    try:
        pairs = truth["planted"]["affinities"]
    except (KeyError, TypeError):
        raise ValueError("`truth` must be a generated CRM's answer key (`crm.truth`), with "
                         "truth['planted']['affinities']; a company's own data has none.") from None  # fmt: skip
    return {tuple(key.split(" -> ", 1)): float(p) for key, p in pairs.items()}


def planted_pairs(rules: pd.DataFrame, planted: Mapping[tuple[str, str], float]) -> pd.DataFrame:
    """The cross-sell pairs a generator planted, next to what the rules found.

    Parameters
    ----------
    rules : DataFrame
        From :func:`pair_rules`, on baskets of the synthetic CRM.
    planted : mapping
        ``{(A, B): probability}``: the chance that an order starting with A also holds B.
        The answer key, an argument and never a default: ``affinities_from_truth(crm.truth)``
        for a generated company.

    Returns
    -------
    DataFrame
        Indexed by ``antecedent, consequent``: ``planted``, ``confidence`` (A -> B),
        ``reverse_confidence`` (B -> A), ``lift`` and ``lift_rank``, the rank of the pair among
        all pairs of categories by lift (1 = strongest; lift is the same both ways).

    Examples
    --------
    >>> baskets = pd.DataFrame({"Laptops": [1, 1, 1, 0], "Software": [1, 1, 0, 0],
    ...                         "Phones": [0, 0, 1, 1]}).astype(bool)
    >>> found = planted_pairs(pair_rules(baskets), {("Laptops", "Software"): 0.6})
    >>> found[["planted", "confidence", "reverse_confidence", "lift_rank"]].round(3)
                           planted  confidence  reverse_confidence  lift_rank
    antecedent consequent
    Laptops    Software        0.6       0.667                 1.0          1
    """
    rules = require_table(rules, "rules", ["antecedent", "consequent", "confidence", "lift"])
    if not isinstance(planted, Mapping):
        raise TypeError("`planted` must be the answer key of a generated company, e.g. "
                        "`planted=crosssell.affinities_from_truth(crm.truth)`; a company's own data has none.")
    planted = dict(planted)
    by_rule = rules.set_index(["antecedent", "consequent"])
    pair_lift = by_rule["lift"].groupby([_pair(a, b) for a, b in by_rule.index]).max()
    rank = pair_lift.rank(ascending=False, method="min").astype("int64")
    rows = []
    for (a, b), p in planted.items():
        forward = by_rule["confidence"].get((a, b), np.nan)
        reverse = by_rule["confidence"].get((b, a), np.nan)
        lift = by_rule["lift"].get((a, b), np.nan)
        rows.append((a, b, float(p), forward, reverse, lift, rank.get(_pair(a, b), pd.NA)))
    columns = ["antecedent", "consequent", "planted", "confidence", "reverse_confidence", "lift", "lift_rank"]
    out = pd.DataFrame(rows, columns=columns).set_index(["antecedent", "consequent"])
    out["lift_rank"] = out["lift_rank"].astype("Int64")
    return out
