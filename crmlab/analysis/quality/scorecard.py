"""The data-quality scorecard: completeness, validity, uniqueness, consistency."""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

from crmlab.validation import number_between, require_table

from .duplicates import duplicate_map, find_duplicates, find_test_records
from .national_code import is_valid_national_code, normalise_national_code
from .normalise import _plausible_year, standardise_customers
from .rules import _ALLOWED, _EMAIL, _KEYS, _REQUIRED, DIMENSIONS, _text

# ------------------------------------------------------------------ the scorecard


def _customer_checks(customers: pd.DataFrame, threshold: float) -> tuple[pd.DataFrame, pd.Index, pd.Index]:
    """Row checks of customers, and the ids of test records and of duplicates."""
    tests = pd.Index(find_test_records(customers)["customer_id"])
    real = customers[~customers["customer_id"].isin(tests)]
    dups = duplicate_map(real, find_duplicates(real, threshold=threshold)).index
    std = standardise_customers(customers)
    valid = ~customers["customer_id"].isin(tests)
    valid &= _plausible_year(customers["birth_year"]) | customers["birth_year"].isna()
    valid &= _text(customers["email"]).str.fullmatch(_EMAIL).fillna(False).astype(bool) | customers["email"].isna()
    valid &= std["segment"].notna() | customers["segment"].isna()
    if "national_code" in customers.columns:
        valid &= is_valid_national_code(customers["national_code"]) | customers["national_code"].isna()
    consistent = pd.Series(True, index=customers.index)
    for column in ("email", "phone", "segment", "city"):
        same = (_text(customers[column]) == std[column]).fillna(False).astype(bool)
        consistent &= same | customers[column].isna()
    if "national_code" in customers.columns:  # a valid code written another way (Persian digits, zeros dropped)
        code = normalise_national_code(customers["national_code"])
        consistent &= (_text(customers["national_code"]) == code).fillna(False).astype(bool) | code.isna()
    checks = pd.DataFrame({
        "completeness": customers[_REQUIRED["customers"]].notna().all(axis=1),
        "validity": valid,
        "uniqueness": ~customers["customer_id"].isin(dups) & ~customers["customer_id"].duplicated(),
        "consistency": consistent,
    })  # fmt: skip
    return checks, tests, dups


def _linked_checks(name: str, table: pd.DataFrame, customers: pd.DataFrame, tests, dups,
                   allowed_values: dict[str, set]) -> pd.DataFrame:  # fmt: skip
    """Row checks of a table whose rows belong to customers (orders, tickets)."""
    valid = ~table["customer_id"].isin(tests)
    for column, allowed in allowed_values.items():
        valid &= table[column].isin(allowed)
    if "total_cents" in table.columns:
        valid &= table["total_cents"] >= 0
    return pd.DataFrame({
        "completeness": table[_REQUIRED[name]].notna().all(axis=1),
        "validity": valid,
        "uniqueness": ~table[_KEYS[name]].duplicated(),
        "consistency": table["customer_id"].isin(customers["customer_id"]) & ~table["customer_id"].isin(dups),
    })  # fmt: skip


def scorecard(
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    tickets: pd.DataFrame,
    *,
    threshold: float = 80.0,
    order_channels: Iterable[str] | None = None,
) -> pd.DataFrame:
    """A few data-quality metrics per table: the share of rows that pass each kind of check.

    - **completeness**: every required field is filled in;
    - **validity**: values are possible (well-formed e-mail, plausible birth year,
      known labels, no negative amount, a national code that passes its check digit
      when the table has a ``national_code`` column) and the row is real business, not a test record
      or an order of one;
    - **uniqueness**: the row is the only record of its customer, order or ticket;
    - **consistency**: values are written the standard way (customers; a valid national
      code as ten ASCII digits), and the row
      points at a customer record that survives, not at a duplicate (orders, tickets).

    Parameters
    ----------
    customers, orders, tickets : DataFrame
        Raw or clean tables of the CRM.
    threshold : float, default 80
        Lowest name score of a duplicate (:func:`find_duplicates`).
    order_channels : iterable of str, optional
        The channels the company sells through, the known labels of ``orders.channel``;
        by default the course company's (web, store, call_centre, field_sales, instagram,
        telegram). A company selling through other channels passes its own list.

    Returns
    -------
    DataFrame
        One row per table and dimension: ``table``, ``dimension``, ``score`` (0 to 1),
        ``failing`` rows and ``rows``.

    Examples
    --------
    >>> from crmlab.datasets import load_crm
    >>> crm = load_crm(tables=["customers", "orders", "tickets"])
    >>> card = scorecard(crm.customers, crm.orders, crm.tickets)
    >>> card.pivot(index="table", columns="dimension", values="score").loc["orders"].tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    number_between("threshold", threshold, 0, 100)
    require_table(customers, "customers", ["customer_id", *_REQUIRED["customers"], "birth_year"])
    allowed = {name: dict(values) for name, values in _ALLOWED.items()}
    if order_channels is not None:
        try:
            channels = [order_channels] if isinstance(order_channels, str) else list(order_channels)
        except TypeError:
            channels = []
        if not channels or not all(isinstance(c, str) for c in channels):
            raise ValueError(f"order_channels must be a list of channel names, got {order_channels!r}")
        allowed["orders"]["channel"] = set(channels)
    for name, table in (("orders", orders), ("tickets", tickets)):
        require_table(table, name, [_KEYS[name], *_REQUIRED[name], *allowed[name]])
    checks, tests, dups = _customer_checks(customers, threshold)
    tables = {
        "customers": checks,
        "orders": _linked_checks("orders", orders, customers, tests, dups, allowed["orders"]),
        "tickets": _linked_checks("tickets", tickets, customers, tests, dups, allowed["tickets"]),
    }
    rows = [
        (name, dim, float(ok[dim].mean()) if len(ok) else math.nan, int((~ok[dim]).sum()), len(ok))
        for name, ok in tables.items() for dim in DIMENSIONS
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["table", "dimension", "score", "failing", "rows"])
