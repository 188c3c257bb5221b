"""The rules of the data-quality checks: valid labels, test records, plausible values, patterns."""

from __future__ import annotations

import pandas as pd

__all__ = ["BIRTH_YEARS", "DIMENSIONS", "SEGMENTS", "TEST_DOMAINS", "TEST_WORDS"]

#: The segment labels of the clean tables, and the spellings the export uses for them.
SEGMENTS = ("consumer", "small_business", "enterprise")
_SEGMENT_SPELLINGS = {
    "consumer": "consumer", "small_business": "small_business", "small business": "small_business",
    "smb": "small_business", "enterprise": "enterprise", "ent": "enterprise",
}  # fmt: skip
#: Words that staff type when they try the system out.
TEST_WORDS = frozenset({"test", "asdf", "qwerty", "demo", "dummy", "sample"})
#: Domains reserved for examples: no customer has a mailbox there.
TEST_DOMAINS = frozenset({"example.com", "example.org", "example.net", "test.com"})
#: Plausible birth years: a customer aged 16 to 110 at the 2025 export.
BIRTH_YEARS = (1915, 2009)

_EMAIL = r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}"
_PHONE = r"\+98\d{10}"
_PLACEHOLDER_PHONE = r"\+98\d{3}0{7}"
_REQUIRED = {
    "customers": ["first_name", "last_name", "email", "phone", "segment", "region", "city",
                  "acquisition_channel", "signup_date"],
    "orders": ["customer_id", "ordered_at", "channel", "status", "total_cents"],
    "tickets": ["customer_id", "channel", "priority", "topic", "created_at", "sla_hours"],
}  # fmt: skip
_ALLOWED = {
    "orders": {"status": {"completed", "cancelled", "returned"},
               "channel": {"web", "store", "call_centre", "field_sales", "instagram", "telegram"}},
    "tickets": {"priority": {"urgent", "high", "normal", "low"},
                "topic": {"billing", "delivery", "product_fault", "account", "how_to"}},
}  # fmt: skip
_KEYS = {"customers": "customer_id", "orders": "order_id", "tickets": "ticket_id"}
#: The four dimensions of the scorecard.
DIMENSIONS = ("completeness", "validity", "uniqueness", "consistency")


def _text(values: pd.Series) -> pd.Series:
    """The values as pandas text, missing values kept missing."""
    return values.astype("str")
