"""Data quality of a CRM export: profile it, find test records and duplicates, merge, score.

The raw export (``raw_customers``, ``raw_orders``, ``raw_tickets``) holds what real
exports hold: missing and impossible values, one thing spelled several ways, test
records, and customers entered twice. The steps of lesson 03, one function each:

1. :func:`profile`: one row per column, with its type, gaps, examples and problems;
2. :func:`find_test_records` and :func:`find_duplicates`: what to drop and what to merge
   (phones and e-mails are compared through :func:`normalise_phone` and
   :func:`normalise_email`; names through :func:`name_score`, built on ``rapidfuzz``);
3. :func:`clean_export`: merge duplicates into the record that survives
   (:func:`duplicate_map` states the rule), re-point their orders and tickets, drop
   test records with their rows, and log every row dropped; :func:`reconcile` proves
   that no real order was lost; given the order lines, it also corrects totals typed in
   the wrong unit (:func:`unit_mixups`: toman typed for rials), and logs how many;
4. :func:`scorecard`: completeness, validity, uniqueness and consistency per table.

Persian text is compared through :mod:`crmlab.persian_text` (Arabic and Persian letter
forms, the ZWNJ, Persian digits); an Iranian ``national_code`` column, when present, is
checked by its check digit (:func:`is_valid_national_code`) and blocks duplicates.
"""

from .duplicates import candidate_pairs, duplicate_map, find_duplicates, find_test_records, name_score, precision_recall
from .merging import CleanExport, clean_export, compare_tables, reconcile, repoint
from .national_code import is_valid_national_code, normalise_national_code
from .normalise import normalise_email, normalise_phone, standardise_customers
from .profiling import profile
from .rules import BIRTH_YEARS, DIMENSIONS, SEGMENTS, TEST_DOMAINS, TEST_WORDS
from .scorecard import scorecard
from .units import line_totals, unit_mixups

__all__ = [
    "BIRTH_YEARS",
    "DIMENSIONS",
    "SEGMENTS",
    "TEST_DOMAINS",
    "TEST_WORDS",
    "CleanExport",
    "candidate_pairs",
    "clean_export",
    "compare_tables",
    "duplicate_map",
    "find_duplicates",
    "find_test_records",
    "is_valid_national_code",
    "line_totals",
    "name_score",
    "normalise_email",
    "normalise_national_code",
    "normalise_phone",
    "precision_recall",
    "profile",
    "reconcile",
    "repoint",
    "scorecard",
    "standardise_customers",
    "unit_mixups",
]
