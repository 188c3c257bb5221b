"""B3, other systems: invoices and payments, shipments, joined with CRM data."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from crmlab.analysis.kpis.measures import DAY, as_list, floats
from crmlab.conventions import COURSE
from crmlab.validation import require_table

from .questions import with_customer_columns

# ------------------------------------------------------------------ B3: other systems


def invoice_payments(invoices: pd.DataFrame, payments: pd.DataFrame) -> pd.DataFrame:
    """Join the finance system's invoices and payments: what was paid, and when in full.

    An invoice can be paid in several parts; it is paid in full on the day the running
    total of its payments reaches the amount due.

    Parameters
    ----------
    invoices : DataFrame
        The ``invoices`` table.
    payments : DataFrame
        The ``payments`` table.

    Returns
    -------
    DataFrame
        Indexed by ``invoice_id``: ``customer_id``, ``issued_date``, ``due_date``,
        ``amount_cents``, ``paid_cents``, ``n_payments``, ``paid_in_full``,
        ``paid_date`` (NaT until paid in full), ``days_to_pay`` (issue to full payment)
        and ``days_late`` (due date to full payment).

    Examples
    --------
    >>> inv = pd.DataFrame({"invoice_id": [1, 2, 3], "customer_id": [7, 7, 8],
    ...     "issued_date": pd.to_datetime(["2025-01-01"] * 3),
    ...     "due_date": pd.to_datetime(["2025-01-31"] * 3), "amount_cents": [1000, 500, 300]})
    >>> pay = pd.DataFrame({"invoice_id": [1, 1, 2], "amount_cents": [500, 500, 200],
    ...     "paid_date": pd.to_datetime(["2025-01-11", "2025-02-05", "2025-01-02"])})
    >>> invoice_payments(inv, pay)[["paid_cents", "n_payments", "paid_in_full", "days_to_pay", "days_late"]]
                paid_cents  n_payments  paid_in_full  days_to_pay  days_late
    invoice_id
    1                 1000           2          True         35.0        5.0
    2                  200           1         False          NaN        NaN
    3                    0           0         False          NaN        NaN
    """
    require_table(invoices, "invoices", ["invoice_id", "customer_id", "issued_date", "due_date", "amount_cents"])
    require_table(payments, "payments", ["invoice_id", "paid_date", "amount_cents"])
    pays = payments.sort_values(["invoice_id", "paid_date"], kind="stable")
    pays = pays.merge(invoices[["invoice_id", "amount_cents"]].rename(columns={"amount_cents": "_due"}),
                      on="invoice_id", how="inner")  # fmt: skip
    pays = pays.assign(_running=pays.groupby("invoice_id")["amount_cents"].cumsum())
    full = pays[pays["_running"] >= pays["_due"]].groupby("invoice_id")["paid_date"].min()
    totals = pays.groupby("invoice_id")["amount_cents"].agg(["sum", "size"])
    out = invoices.set_index("invoice_id")[["customer_id", "issued_date", "due_date", "amount_cents"]].copy()
    out["paid_cents"] = totals["sum"].reindex(out.index, fill_value=0).astype("int64")
    out["n_payments"] = totals["size"].reindex(out.index, fill_value=0).astype("int64")
    out["paid_in_full"] = out["paid_cents"] >= out["amount_cents"]
    out["paid_date"] = full.reindex(out.index)
    out["days_to_pay"] = (out["paid_date"] - out["issued_date"]) / DAY
    out["days_late"] = (out["paid_date"] - out["due_date"]) / DAY
    return out


def shipment_lateness(shipments: pd.DataFrame, last_day: pd.Timestamp = COURSE.as_of) -> pd.DataFrame:
    """Join the logistics system's shipments: was each delivery later than promised?

    A parcel delivered after its promised date is late; one still not delivered at
    the export is late once its promised date has passed, and unknown (``<NA>``) before.

    Parameters
    ----------
    shipments : DataFrame
        The ``shipments`` table.
    last_day : Timestamp
        The export's last local calendar day.

    Returns
    -------
    DataFrame
        Indexed by ``shipment_id``: ``order_id``, ``carrier``, ``days_late`` (delivered
        minus promised, NaN while not delivered) and ``late`` (boolean, ``<NA>`` when not known).

    Examples
    --------
    >>> s = pd.DataFrame({"shipment_id": [1, 2, 3, 4], "order_id": [10, 11, 12, 13],
    ...     "carrier": ["Post", "Tipax", "Post", "Chapar"],
    ...     "promised_date": pd.to_datetime(["2025-06-03", "2025-06-03", "2025-12-30", "2026-01-03"]),
    ...     "delivered_date": pd.to_datetime(["2025-06-05", "2025-06-03", None, None])})
    >>> shipment_lateness(s)[["days_late", "late"]]
                 days_late   late
    shipment_id
    1                  2.0   True
    2                  0.0  False
    3                  NaN   True
    4                  NaN   <NA>
    """
    require_table(shipments, "shipments", ["shipment_id", "order_id", "carrier", "promised_date", "delivered_date"])
    delivered = shipments["delivered_date"].notna()
    late = shipments["delivered_date"].where(delivered, last_day + DAY) > shipments["promised_date"]
    known = delivered | (shipments["promised_date"] <= last_day)
    return pd.DataFrame({
        "order_id": shipments["order_id"].to_numpy(),
        "carrier": shipments["carrier"].to_numpy(),
        "days_late": ((shipments["delivered_date"] - shipments["promised_date"]) / DAY).to_numpy(),
        "late": pd.array(late.where(known, None), dtype="boolean"),
    }, index=pd.Index(shipments["shipment_id"], name="shipment_id"))  # fmt: skip


def delivery_quality(
    shipments: pd.DataFrame,
    orders: pd.DataFrame,
    customers: pd.DataFrame | None = None,
    by: str | Sequence[str] = "region",
    last_day: pd.Timestamp = COURSE.as_of,
) -> pd.DataFrame:
    """Late deliveries per group: shipments (logistics) joined with orders and customers (CRM).

    Parameters
    ----------
    shipments, orders : DataFrame
        The ``shipments`` and ``orders`` tables.
    customers : DataFrame, optional
        The ``customers`` table; needed to group by a customer column such as ``region``.
    by : str or list of str
        Columns of ``shipments`` (``carrier``), ``orders`` (``channel``) or ``customers``.
    last_day : Timestamp
        The export's last local calendar day (see :func:`shipment_lateness`).

    Returns
    -------
    DataFrame
        Indexed by ``by``: ``shipments``, ``late`` (late deliveries), ``late_rate``
        (late / shipments whose outcome is known) and ``mean_days_late`` (delivered, late ones).

    Examples
    --------
    >>> from crmlab import load_crm
    >>> crm = load_crm(tables=["shipments", "orders", "customers"])
    >>> table = delivery_quality(crm.shipments, crm.orders, crm.customers, by="carrier")
    >>> table["late_rate"].idxmax()
    'Post'
    """
    by = as_list(by)
    require_table(orders, "orders", ["order_id", "customer_id"])
    late = shipment_lateness(shipments, last_day).reset_index()
    extra = [c for c in ["customer_id", *by] if c in orders.columns and c not in late.columns]
    df = late.merge(orders[["order_id", *extra]], on="order_id", how="left", validate="one_to_one")
    df = with_customer_columns(df, by, customers, "shipments")
    df = df.assign(
        _late=floats(df["late"]),
        _days=df["days_late"].where(df["days_late"] > 0),
    )
    out = df.groupby(by, sort=True).agg(
        shipments=("shipment_id", "size"),
        late=("_late", "sum"),
        late_rate=("_late", "mean"),
        mean_days_late=("_days", "mean"),
    )
    return out.astype({"late": "int64"})


