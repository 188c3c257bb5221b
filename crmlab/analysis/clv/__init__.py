"""Probabilistic customer lifetime value: BG/NBD and Gamma-Gamma, tested on a holdout period.

Lesson 08 asks what each customer is worth over the next year, and how far to trust the
answer. The steps, one module each:

1. :mod:`.models`: :class:`BetaGeoModel` (BG/NBD: how often customers buy while alive, and
   the chance they have dropped out) and :class:`GammaGammaModel` (how much they spend per
   purchase), fitted by maximum likelihood. On the CDNOW calibration data they reproduce the
   published parameters of Fader, Hardie & Lee (2005).
2. :mod:`.holdout`: :func:`order_transactions` turns the CRM's orders into a purchase log;
   :func:`calibration_holdout` splits it at a date; :func:`holdout_predictions` and
   :func:`holdout_by_frequency` compare predicted with actual holdout purchases.
3. :mod:`.diagnostics`: Fader and Hardie's own checks of a fit: :func:`period_transactions`
   (customers by repeat purchases, actual against expected), :func:`cumulative_tracking`
   (the cohort's repeat purchases period by period over calibration and holdout) and
   :func:`frequency_recency_matrix` (P(alive) or expected purchases by frequency and recency).
4. :mod:`.value`: :func:`lifetime_value` and :func:`clv_ranking`, the discounted value of
   each customer over the next months, best first; :func:`retention_budget`, the most an
   offer to keep a customer may cost (margin x value, not the revenue value).
"""

from .diagnostics import cumulative_tracking, frequency_recency_matrix, period_transactions
from .holdout import calibration_holdout, holdout_by_frequency, holdout_predictions, order_transactions
from .models import BetaGeoModel, Convergence, ConvergenceWarning, GammaGammaModel
from .value import clv_ranking, lifetime_value, retention_budget

__all__ = [
    "BetaGeoModel",
    "Convergence",
    "ConvergenceWarning",
    "GammaGammaModel",
    "calibration_holdout",
    "clv_ranking",
    "cumulative_tracking",
    "frequency_recency_matrix",
    "holdout_by_frequency",
    "holdout_predictions",
    "lifetime_value",
    "order_transactions",
    "period_transactions",
    "retention_budget",
]
