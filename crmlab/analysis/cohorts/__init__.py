"""Cohorts and retention: who was acquired when, who is still buying, and when to call a customer lost.

Lesson 07 follows customers from their first order on:

1. :func:`acquisition_cohorts` and :func:`cohort_sizes`: each customer's cohort is the
   month (on the business's local calendar) of their first active order;
2. :func:`retention_matrix` and :func:`revenue_matrix`: the share of each cohort
   active, and its revenue, in each month since acquisition; :func:`cohort_heatmap`
   draws either, the unobserved future masked; :func:`cohort_activity` is the tidy
   table underneath;
3. :func:`purchase_gaps`, :func:`lapse_window`, :func:`lapse_status` and
   :func:`churn_by_window`: churn defined as a lapse of N days, N chosen from the gaps
   between orders, and the false churns a short window makes;
   :func:`purchase_spells`, :func:`next_purchase_survival` and :func:`survival_lapse_window`
   read the window from the time to the next purchase with the open gaps counted (Kaplan-Meier);
4. :func:`retention_by_group`, :func:`channels_used`, :func:`bad_service_tickets` and
   :func:`reorders_after`: retention by acquisition channel, by channels used, and
   after bad service; :func:`purchase_history` and :func:`adjusted_gap` compare like with
   like (the gap after bad service among customers with the same buying).

Every function takes an orders (or transactions) table and the *names* of its columns
(``customer``, ``time``, ``amount``, ``status``), so it runs on any export: for a log
without statuses, such as CDNOW's, pass ``status=None``. Times with a time zone are
converted to ``tz`` (default: the time zone of :data:`crmlab.conventions.COURSE`); times without one
are taken as local.
Months are Gregorian by default; ``calendar="jalali"`` makes the cohorts and their ages
Jalali months, from 1 Farvardin (:mod:`crmlab.calendars`).
"""

from ._orders import ACTIVE_STATUSES, AGE, LOCAL_TZ
from .adjust import adjusted_gap, purchase_history
from .assign import acquisition_cohorts, cohort_activity, cohort_sizes
from .groups import bad_service_tickets, channels_used, reorders_after, retention_by_group
from .heatmap import cohort_heatmap
from .lapse import churn_by_window, lapse_status, lapse_window, purchase_gaps
from .matrices import retention_matrix, revenue_matrix
from .survival import next_purchase_survival, purchase_spells, survival_lapse_window

__all__ = [
    "ACTIVE_STATUSES",
    "AGE",
    "LOCAL_TZ",
    "acquisition_cohorts",
    "adjusted_gap",
    "bad_service_tickets",
    "channels_used",
    "churn_by_window",
    "cohort_activity",
    "cohort_heatmap",
    "cohort_sizes",
    "lapse_status",
    "lapse_window",
    "next_purchase_survival",
    "purchase_gaps",
    "purchase_history",
    "purchase_spells",
    "reorders_after",
    "retention_by_group",
    "retention_matrix",
    "revenue_matrix",
    "survival_lapse_window",
]
