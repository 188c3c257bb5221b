"""Next-best offers: for each customer, the category to offer next and the rule that justifies it."""

from __future__ import annotations

import pandas as pd

from crmlab.validation import non_negative, require_table

from .baskets import boolean_matrix

__all__ = ["next_best_offer"]


def next_best_offer(owned: pd.DataFrame, rules: pd.DataFrame, *, min_lift: float = 1.0) -> pd.DataFrame:
    """For each customer, the category they have not bought that their purchases make likeliest.

    Among the rules "A -> B" with A bought and B not bought by the customer, and a lift of at
    least ``min_lift`` (a real link, not just a popular category), the offer is the B of the
    rule with the highest confidence: the likeliest next purchase. Ties go to the higher lift.

    Parameters
    ----------
    owned : DataFrame
        True/False, one row per customer and one column per category: what each customer
        bought (``basket_matrix(..., by="customer_id")``).
    rules : DataFrame
        From :func:`~crmlab.analysis.crosssell.pair_rules`, usually on order baskets.
    min_lift : float
        The weakest link allowed; 1.0 keeps only categories bought together more often than
        chance.

    Returns
    -------
    DataFrame
        Indexed like ``owned`` (``customer_id``): ``offer`` (B), ``because_of`` (A),
        ``confidence``, ``lift`` and ``rule`` ("A -> B"). Customers for whom no rule qualifies
        (they own every linked category, or only categories without a link) are left out.

    Examples
    --------
    >>> rules = pd.DataFrame({"antecedent": ["Laptops", "Laptops", "Phones"],
    ...                       "consequent": ["Software", "Accessories", "Accessories"],
    ...                       "confidence": [0.35, 0.45, 0.40], "lift": [1.9, 1.3, 1.2]})
    >>> owned = pd.DataFrame({"Laptops": [True, True, False], "Phones": [False, False, True],
    ...                       "Software": [False, False, False], "Accessories": [False, True, True]},
    ...                      index=pd.Index([1, 2, 3], name="customer_id"))
    >>> next_best_offer(owned, rules)
                    offer because_of  confidence  lift                    rule
    customer_id
    1         Accessories    Laptops        0.45   1.3  Laptops -> Accessories
    2            Software    Laptops        0.35   1.9     Laptops -> Software
    """
    table = boolean_matrix(owned, "owned")
    rules = require_table(rules, "rules", ["antecedent", "consequent", "confidence", "lift"])
    threshold = non_negative("min_lift", min_lift)
    known = rules["antecedent"].isin(table.columns) & rules["consequent"].isin(table.columns)
    usable = rules[known & (rules["lift"] >= threshold)]
    usable = usable.sort_values(["confidence", "lift", "consequent", "antecedent"],
                                ascending=[False, False, True, True], kind="stable")  # fmt: skip
    columns = ["offer", "because_of", "confidence", "lift", "rule"]
    if usable.empty:
        return pd.DataFrame(columns=columns, index=table.index[:0])
    x = table.to_numpy()
    a = table.columns.get_indexer(usable["antecedent"])
    b = table.columns.get_indexer(usable["consequent"])
    eligible = x[:, a] & ~x[:, b]  # customer x rule: owns A, not B
    first = eligible.argmax(axis=1)  # rules are sorted, so the first eligible one is the best
    has = eligible.any(axis=1)
    best = usable.iloc[first[has]]
    out = pd.DataFrame({
        "offer": best["consequent"].to_numpy(),
        "because_of": best["antecedent"].to_numpy(),
        "confidence": best["confidence"].to_numpy(dtype=float),
        "lift": best["lift"].to_numpy(dtype=float),
    }, index=table.index[has])
    out["rule"] = out["because_of"] + " -> " + out["offer"]
    return out[columns]
