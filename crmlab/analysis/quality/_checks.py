"""Constants and argument checks shared by the data-quality modules."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from crmlab.errors import SchemaError

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
               "channel": {"web", "store", "call_centre", "field_sales"}},
    "tickets": {"priority": {"urgent", "high", "normal", "low"},
                "topic": {"billing", "delivery", "product_fault", "account", "how_to"}},
}  # fmt: skip
_KEYS = {"customers": "customer_id", "orders": "order_id", "tickets": "ticket_id"}
#: The four dimensions of the scorecard.
DIMENSIONS = ("completeness", "validity", "uniqueness", "consistency")


# ------------------------------------------------------------------ checking arguments


def _require_frame(df: object, name: str, columns: Iterable[str] = ()) -> None:
    if not isinstance(df, pd.DataFrame):
        tip = " You passed one column: pass the whole table." if isinstance(df, pd.Series) else ""
        kind = type(df).__name__
        raise TypeError(f"The value for `{name}` must be a pandas DataFrame, but a {kind} was passed.{tip}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(
            f"`{name}` needs the column(s) {missing}, but its columns are {list(df.columns)}. "
            "Rename yours to match, e.g. `df.rename(columns={'mail': 'email'})`."
        )


def _require_series(values: object, name: str) -> None:
    if not isinstance(values, pd.Series):
        tip = " Select one column, e.g. `raw_customers['email']`." if isinstance(values, pd.DataFrame) else ""
        kind = type(values).__name__
        raise TypeError(f"The value for `{name}` must be a pandas Series, but a {kind} was passed.{tip}")


def _require_threshold(threshold: float) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 100:
        raise ValueError(f"The value for `threshold` must be a number from 0 to 100, but {threshold!r} was passed.")


def _text(values: pd.Series) -> pd.Series:
    """The values as pandas text, missing values kept missing."""
    return values.astype("str")


