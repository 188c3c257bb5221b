"""Merging duplicates without losing an order or a ticket, with a log of every row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from crmlab.conventions import COURSE
from crmlab.validation import number_between, require_series, require_table

from .duplicates import duplicate_map, find_duplicates, find_test_records
from .normalise import standardise_customers
from .units import unit_mixups

# ------------------------------------------------------------------ merging


def repoint(table: pd.DataFrame, duplicates: pd.Series, column: str = "customer_id") -> pd.DataFrame:
    """Move a table's rows from duplicate records to the record that survives.

    Parameters
    ----------
    table : DataFrame
        Orders, tickets, ... with a customer column.
    duplicates : Series
        Master id indexed by duplicate id (:func:`duplicate_map`).
    column : str, default "customer_id"
        The column holding the customer.

    Returns
    -------
    DataFrame
        A copy, same rows, ``column`` re-pointed.

    Examples
    --------
    >>> orders = pd.DataFrame({"order_id": [1, 2, 3], "customer_id": [7, 9, 8]})
    >>> repoint(orders, pd.Series({9: 7}))["customer_id"].tolist()
    [7, 7, 8]
    """
    require_table(table, "table", [column])
    require_series(duplicates, "duplicates")
    out = table.copy()
    ids = out[column]
    moved = ids.isin(duplicates.index)
    out[column] = ids.where(~moved, ids.map(duplicates)).astype(ids.dtype)
    return out


@dataclass
class CleanExport:
    """The clean, unified tables made from a raw export, with the record of what was done.

    Attributes
    ----------
    customers, orders, tickets : DataFrame
        The clean tables.
    duplicates : Series
        Master id indexed by duplicate id.
    test_customer_ids : list of int
        Test records dropped.
    log : DataFrame
        One row per step: ``table``, ``step``, ``rows``; every dropped row and every
        corrected value is counted here.
    unit_mixups : DataFrame
        The orders whose total disagreed with their lines (:func:`unit_mixups`), when the
        lines were given; those typed in another unit were corrected to the lines' sum.
    """

    customers: pd.DataFrame
    orders: pd.DataFrame
    tickets: pd.DataFrame
    duplicates: pd.Series
    test_customer_ids: list[int]
    log: pd.DataFrame
    unit_mixups: pd.DataFrame = field(default_factory=pd.DataFrame)


def _linked_log(name: str, raw: pd.DataFrame, clean: pd.DataFrame, duplicates: pd.Series) -> list:
    return [
        (name, "rows in the export", len(raw)),
        (name, "re-pointed from a duplicate to its master", int(raw["customer_id"].isin(duplicates.index).sum())),
        (name, "dropped: rows of test records", len(raw) - len(clean)),
        (name, "rows in the clean table", len(clean)),
    ]


def clean_export(
    raw_customers: pd.DataFrame,
    raw_orders: pd.DataFrame,
    raw_tickets: pd.DataFrame,
    *,
    threshold: float = 80.0,
    order_lines: pd.DataFrame | None = None,
    unit_factors: Sequence[int] = (10,),
) -> CleanExport:
    """Clean a raw export into one unified set of tables, losing no real order or ticket.

    Test records are found and set aside with their orders and tickets; duplicates are
    found among the rest and merged into the record that survives (:func:`duplicate_map`),
    whose attributes win; their orders and tickets are re-pointed to it; the survivors'
    attributes are standardised (:func:`standardise_customers`). Given the order lines,
    order totals typed in another unit (toman for rials: :func:`unit_mixups`) are set to
    their lines' sum; the log counts them, and totals that disagree otherwise are counted
    and left as they are.

    Parameters
    ----------
    raw_customers, raw_orders, raw_tickets : DataFrame
        The export, e.g. ``crm.raw_customers``.
    threshold : float, default 80
        Lowest name score of a duplicate (:func:`find_duplicates`).
    order_lines : DataFrame, optional
        The order lines (``crm.order_lines``), to check every order total against.
    unit_factors : sequence of int, default (10,)
        Ratios between units that get mixed up (:func:`unit_mixups`).

    Returns
    -------
    CleanExport

    Examples
    --------
    >>> from crmlab.datasets import load_crm
    >>> crm = load_crm(tables=["raw_customers", "raw_orders", "raw_tickets"])
    >>> clean = clean_export(crm.raw_customers, crm.raw_orders, crm.raw_tickets)
    >>> len(clean.customers), len(clean.duplicates), len(clean.test_customer_ids)
    (3000, 36, 12)
    """
    number_between("threshold", threshold, 0, 100)
    require_table(raw_orders, "raw_orders", ["customer_id"])
    require_table(raw_tickets, "raw_tickets", ["customer_id"])
    tests = find_test_records(raw_customers)["customer_id"]
    real = raw_customers[~raw_customers["customer_id"].isin(tests)]
    duplicates = duplicate_map(real, find_duplicates(real, threshold=threshold))
    survivors = real[~real["customer_id"].isin(duplicates.index)]
    customers = standardise_customers(survivors).sort_values("customer_id").reset_index(drop=True)
    orders = repoint(raw_orders[~raw_orders["customer_id"].isin(tests)], duplicates).reset_index(drop=True)
    mixups, corrected_log = pd.DataFrame(), []
    if order_lines is not None:
        require_table(raw_orders, "raw_orders", ["order_id", "total_cents"])
        mixups = unit_mixups(orders, order_lines, factors=unit_factors)
        fix = mixups.dropna(subset=["corrected"]).set_index("order_id")["corrected"]
        at = orders["order_id"].isin(fix.index)
        orders.loc[at, "total_cents"] = fix.reindex(orders.loc[at, "order_id"]).to_numpy("int64")
        corrected_log = [
            ("orders", "values corrected: totals typed in another unit", len(fix)),
            ("orders", "values left: totals that disagree with their lines otherwise", len(mixups) - len(fix)),
        ]
    tickets = repoint(raw_tickets[~raw_tickets["customer_id"].isin(tests)], duplicates).reset_index(drop=True)
    emptied = lambda column: int(survivors[column].notna().sum() - customers[column].notna().sum())  # noqa: E731
    log = [
        ("customers", "rows in the export", len(raw_customers)),
        ("customers", "dropped: test records", len(tests)),
        ("customers", "dropped: duplicates merged into their master", len(duplicates)),
        ("customers", "rows in the clean table", len(customers)),
        ("customers", "values emptied: impossible birth years", emptied("birth_year")),
        ("customers", "values emptied: unreadable phones", emptied("phone")),
        *_linked_log("orders", raw_orders, orders, duplicates),
        *corrected_log,
        *_linked_log("tickets", raw_tickets, tickets, duplicates),
    ]
    return CleanExport(customers, orders, tickets, duplicates, [int(i) for i in tests],
                       pd.DataFrame(log, columns=["table", "step", "rows"]), mixups)  # fmt: skip


def reconcile(
    raw_orders: pd.DataFrame,
    orders: pd.DataFrame,
    test_customer_ids: Iterable[int],
    revenue_statuses: Sequence[str] = COURSE.purchase_statuses,
    minor_unit: int = COURSE.minor_unit,
) -> pd.DataFrame:
    """Totals of real customers' orders before and after cleaning: they must not move.

    Revenue moves only by what cleaning corrected on purpose (totals typed in another
    unit, :func:`unit_mixups`), and then by exactly those corrections.

    Parameters
    ----------
    raw_orders : DataFrame
        The export's orders.
    orders : DataFrame
        The cleaned orders.
    test_customer_ids : iterable of int
        Test records: their orders are not real business, before or after.
    revenue_statuses : sequence of str, default ("completed",)
        Order statuses that count as revenue.
    minor_unit : int, optional
        Digits after the decimal point of ``total_cents``: revenue is reported in major
        units (default ``COURSE.minor_unit``, 0: whole rials; 2 for cents).

    Returns
    -------
    DataFrame
        Indexed by ``measure`` (``orders``, ``revenue``): ``before``, ``after``, ``difference``.

    Examples
    --------
    >>> raw = pd.DataFrame({"customer_id": [1, 2, 9], "status": ["completed"] * 3,
    ...                     "total_cents": [5_000_000, 2_500_000, 1_000_000]})  # whole rials
    >>> reconcile(raw, raw.iloc[:2].assign(customer_id=1), test_customer_ids=[9])
                before      after  difference
    measure
    orders         2.0        2.0         0.0
    revenue  7500000.0  7500000.0         0.0
    """
    for name, table in (("raw_orders", raw_orders), ("orders", orders)):
        require_table(table, name, ["customer_id", "status", "total_cents"])
    real = raw_orders[~raw_orders["customer_id"].isin(list(test_customer_ids))]

    def totals(table: pd.DataFrame) -> list[float]:
        revenue = table.loc[table["status"].isin(list(revenue_statuses)), "total_cents"].sum()
        return [float(len(table)), float(revenue) / 10**minor_unit]

    measures = pd.Index(["orders", "revenue"], name="measure")
    out = pd.DataFrame({"before": totals(real), "after": totals(orders)}, index=measures)
    return out.assign(difference=out["after"] - out["before"])


def compare_tables(ours: pd.DataFrame, reference: pd.DataFrame, key: str) -> pd.DataFrame:
    """Cell by cell, where one table differs from another with the same rows.

    Parameters
    ----------
    ours, reference : DataFrame
        Two versions of one table, with the same ``key`` values and columns.
    key : str
        The column identifying a row, e.g. ``"customer_id"``.

    Returns
    -------
    DataFrame
        Indexed by ``column``: ``differing`` cells and, of those, ``empty_in_ours``
        (a value we do not have) and ``other_value`` (a value that disagrees).

    Raises
    ------
    ValueError
        When the two tables do not hold the same ``key`` values.

    Examples
    --------
    >>> a = pd.DataFrame({"id": [1, 2], "email": ["x@y.ir", None], "city": ["Tehran", "Yazd"]})
    >>> b = pd.DataFrame({"id": [2, 1], "email": ["z@y.ir", "x@y.ir"], "city": ["Yazd", "Tehran"]})
    >>> compare_tables(a, b, key="id")
            differing  empty_in_ours  other_value
    column
    email           1              1            0
    city            0              0            0
    """
    require_table(ours, "ours", [key])
    require_table(reference, "reference", [key, *ours.columns])
    mine, theirs = ours.set_index(key), reference.set_index(key)
    extra, lacking = mine.index.difference(theirs.index), theirs.index.difference(mine.index)
    if len(extra) or len(lacking):
        raise ValueError(
            f"The tables must hold the same `{key}` values, but ours has {len(extra)} the reference lacks "
            f"(e.g. {extra[:3].tolist()}) and lacks {len(lacking)} (e.g. {lacking[:3].tolist()})."
        )
    theirs = theirs.loc[mine.index]
    rows = {}
    for column in mine.columns:
        a, b = mine[column].astype(object), theirs[column].astype(object)
        same = (a == b).fillna(False).astype(bool) | (a.isna() & b.isna())
        empty = ~same & a.isna()
        rows[column] = {"differing": int((~same).sum()), "empty_in_ours": int(empty.sum()),
                        "other_value": int((~same & ~empty).sum())}  # fmt: skip
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("column")


