"""Churn prediction: who will stop buying, how sure we are, and why (lesson 08, B9).

"Anticipate customer problems before they occur": a model scores every active customer
on a cutoff day, the retention team calls the riskiest first, and each call starts from
the customer's reasons. The steps, one module each:

1. :mod:`.snapshot`: :func:`crm_as_of` rewinds the CRM to a cutoff day, so no feature can
   see the future;
2. :mod:`.features`: :func:`churn_features` (what was known at the cutoff, described in
   :data:`FEATURES`), :func:`churn_labels` (no completed order in the next ``horizon_days``),
   :func:`churn_dataset` (both) and :func:`time_split` (train on an earlier cutoff, test on
   a later one); customer fields a CRM overwrites in place (consent, segment) are used only
   when declared unchanged since the cutoff (``stable_fields``, :data:`AS_OF_RISKS`), and
   :mod:`.leaks` shows what today's value does to a backtest (:func:`overwrite_leak`);
3. :mod:`.model`: :func:`churn_model`, scikit-learn pipelines (logistic regression, gradient
   boosting, random forest), and :func:`odds_ratios`, what the logistic model says about
   each driver, and :func:`planted_drivers`, whether the planted drivers are recovered
   (:func:`drivers_from_truth` reads them from a generated company's answer key);
4. :mod:`.evaluate`: :func:`gains_table`, :func:`lift_at`, :func:`reliability_table` and
   :func:`brier_difference` (is one model's calibration really better, or noise?);
5. :mod:`.reasons`: :func:`driver_contributions` and :func:`at_risk_list`, the customers
   to call, with the reasons behind each score (money in the data's currency);
6. :mod:`.contractual`: where a contract makes churn an observed cancellation,
   :func:`tenure_survival` (Kaplan-Meier retention by group) and :func:`retention_at`.
"""

from typing import TYPE_CHECKING

from crmlab.lazy import lazy_names

# each name is imported on first use (crmlab.lazy); the TYPE_CHECKING imports say the same for type checkers
__getattr__, __dir__ = lazy_names(__name__, {
    ".contractual": ["retention_at", "tenure_survival"],
    ".evaluate": ["brier_difference", "gains_table", "lift_at", "reliability_table"],
    ".features": ["AS_OF_RISKS", "FEATURES", "churn_dataset", "churn_features", "churn_labels", "time_split"],
    ".leaks": ["overwrite_field", "overwrite_leak"],
    ".model": [
        "FEATURE_LABELS", "MODEL_KINDS", "churn_model", "drivers_from_truth", "model_features", "odds_ratios",
        "planted_drivers",
    ],
    ".reasons": ["MONEY_FEATURES", "REASONS", "at_risk_list", "driver_contributions"],
    ".snapshot": ["crm_as_of"],
})

if TYPE_CHECKING:
    from .contractual import retention_at, tenure_survival
    from .evaluate import brier_difference, gains_table, lift_at, reliability_table
    from .features import AS_OF_RISKS, FEATURES, churn_dataset, churn_features, churn_labels, time_split
    from .leaks import overwrite_field, overwrite_leak
    from .model import (
        FEATURE_LABELS,
        MODEL_KINDS,
        churn_model,
        drivers_from_truth,
        model_features,
        odds_ratios,
        planted_drivers,
    )
    from .reasons import MONEY_FEATURES, REASONS, at_risk_list, driver_contributions
    from .snapshot import crm_as_of

__all__ = [
    "AS_OF_RISKS",
    "FEATURES",
    "FEATURE_LABELS",
    "MODEL_KINDS",
    "MONEY_FEATURES",
    "REASONS",
    "at_risk_list",
    "brier_difference",
    "churn_dataset",
    "churn_features",
    "churn_labels",
    "churn_model",
    "crm_as_of",
    "driver_contributions",
    "drivers_from_truth",
    "gains_table",
    "lift_at",
    "model_features",
    "odds_ratios",
    "overwrite_field",
    "overwrite_leak",
    "planted_drivers",
    "reliability_table",
    "retention_at",
    "tenure_survival",
    "time_split",
]
