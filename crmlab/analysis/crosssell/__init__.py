"""Cross-selling and simple targeting: what to offer, and whom to mail (lesson 12, P1 and B8).

The parts, one question each:

- :mod:`.baskets`: which categories are bought together? :func:`basket_matrix` (a True/False
  basket x category table, one row per order or per customer), :func:`pair_rules` (support,
  confidence and lift of every rule "A -> B"), :func:`rule_matrix` (one measure as a square
  table, for a heatmap) and :func:`planted_pairs` (the generator's planted pairs next to
  what the rules found);
- :mod:`.offers`: :func:`next_best_offer`, for each customer the category to offer next and
  the rule behind it;
- :mod:`.propensity`: who will buy if we mail them? :func:`split_target`,
  :func:`propensity_model` (logistic regression in a pipeline), :func:`out_of_fold_scores`
  and :func:`fold_metrics` (stratified cross-validation, fixed seed), :func:`top_k_summary`;
- :mod:`.mailing`: how many to mail? :func:`profit_by_depth` (what each depth earned on
  held-out customers), :func:`expected_profit_by_depth` (what it should earn on a new list),
  :func:`best_depth` (with an optional budget) and :func:`break_even_probability`;
- :mod:`.charts`: :func:`draw_gains` and :func:`draw_profit`.

Gains tables and lift come from :mod:`crmlab.analysis.churn` (:func:`~crmlab.analysis.churn.gains_table`,
:func:`~crmlab.analysis.churn.lift_at`), and the cross-selling KPI (share of buyers of two or more
categories) from :mod:`crmlab.analysis.kpis` (:func:`~crmlab.analysis.kpis.multi_category_share`).
"""

from typing import TYPE_CHECKING

from crmlab.lazy import lazy_names

# each name is imported on first use (crmlab.lazy); the TYPE_CHECKING imports say the same for type checkers
__getattr__, __dir__ = lazy_names(__name__, {
    ".baskets": ["affinities_from_truth", "basket_matrix", "pair_rules", "planted_pairs", "rule_matrix"],
    ".charts": ["draw_gains", "draw_profit"],
    ".mailing": ["best_depth", "break_even_probability", "expected_profit_by_depth", "profit_by_depth"],
    ".offers": ["next_best_offer"],
    ".propensity": ["fold_metrics", "out_of_fold_scores", "propensity_model", "split_target", "top_k_summary"],
})

if TYPE_CHECKING:
    from .baskets import affinities_from_truth, basket_matrix, pair_rules, planted_pairs, rule_matrix
    from .charts import draw_gains, draw_profit
    from .mailing import best_depth, break_even_probability, expected_profit_by_depth, profit_by_depth
    from .offers import next_best_offer
    from .propensity import fold_metrics, out_of_fold_scores, propensity_model, split_target, top_k_summary

__all__ = [
    "affinities_from_truth",
    "basket_matrix",
    "best_depth",
    "break_even_probability",
    "draw_gains",
    "draw_profit",
    "expected_profit_by_depth",
    "fold_metrics",
    "next_best_offer",
    "out_of_fold_scores",
    "pair_rules",
    "planted_pairs",
    "profit_by_depth",
    "propensity_model",
    "rule_matrix",
    "split_target",
    "top_k_summary",
]
