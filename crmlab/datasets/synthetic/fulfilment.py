"""After the sale: shipments (promised vs actual), invoices and payments."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._arrays import elementwise, labels
from ._clock import HORIZON, to_date, to_utc
from .people import REGION_NAMES

CARRIERS = np.array(["Tipax", "Post", "Chapar"])
#: extra transit days by region: the far regions wait longer
REGION_DELAY = {"Capital": 0.0, "Central": 0.6, "West": 0.9, "North": 0.8, "East": 1.6, "South": 1.9}
_DELAY = np.array([REGION_DELAY[r] for r in REGION_NAMES])
PAYMENT_METHODS = np.array(["card", "bank_transfer", "cash"])


def make_shipments(rng: np.random.Generator, orders: pd.DataFrame, region_idx: np.ndarray) -> pd.DataFrame:
    """One shipment per delivered order that did not leave from a store (``region_idx`` per order)."""
    ship = ((orders["channel"] != "store") & (orders["status"] != "cancelled")).to_numpy()
    idx = np.flatnonzero(ship)
    at = orders["_day"].to_numpy()[idx]
    day = np.floor(at)
    promised = day + rng.integers(3, 7, size=len(idx))
    shipped = day + rng.choice([0, 1, 2], size=len(idx), p=[0.5, 0.4, 0.1]) + business_time(rng, len(idx))
    shipped = np.maximum(shipped, at + 1 / 24)  # never before the order plus an hour of picking
    carrier_idx = rng.choice(len(CARRIERS), size=len(idx), p=[0.5, 0.3, 0.2])
    transit = 1 + rng.gamma(2.0, 0.6, size=len(idx)) + _DELAY[region_idx[idx]]
    transit = transit * np.array([1.0, 1.35, 0.9])[carrier_idx]
    delivered = np.floor(shipped + transit)
    delivered_known = delivered < HORIZON
    return pd.DataFrame({
        "shipment_id": np.arange(1, len(idx) + 1, dtype="int64"),
        "order_id": orders["order_id"].to_numpy()[idx],
        "carrier": labels(CARRIERS, carrier_idx),
        "promised_date": to_date(promised),
        "shipped_at": to_utc(shipped).where(shipped < HORIZON),
        "delivered_date": to_date(delivered).where(delivered_known),
    }, copy=False)


def business_time(rng: np.random.Generator, n: int) -> np.ndarray:
    """A time of day between 9:00 and 18:00 as a fraction of a day."""
    return rng.uniform(9, 18, size=n) / 24


def make_invoices(
    rng: np.random.Generator, orders: pd.DataFrame, totals: np.ndarray, business: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One invoice per order that was not cancelled; payments, some late or missing."""
    keep = (orders["status"] != "cancelled").to_numpy()
    idx = np.flatnonzero(keep)
    issued = np.floor(orders["_day"].to_numpy()[idx])
    biz = business[idx]
    due = elementwise(lambda issued, biz: issued + np.where(biz, 30, 0), issued, biz, dtype=float)
    owed = totals[idx]
    invoices = pd.DataFrame({
        "invoice_id": np.arange(1, len(idx) + 1, dtype="int64"),
        "order_id": orders["order_id"].to_numpy()[idx],
        "customer_id": orders["customer_id"].to_numpy()[idx],
        "issued_date": to_date(issued),
        "due_date": to_date(due),
        "amount_cents": owed,
    }, copy=False)
    unpaid = elementwise(lambda u, biz: u < np.where(biz, 0.05, 0.01), rng.random(len(idx)), biz, dtype=bool)
    paid_day = elementwise(lambda gamma, biz, issued: np.floor(issued + np.where(biz, gamma, 0.0)),
                           rng.gamma(2.0, 14.0, size=len(idx)), biz, issued, dtype=float)  # fmt: skip
    paid = ~unpaid & (paid_day < HORIZON)
    split = paid & biz & (rng.random(len(idx)) < 0.08)
    inv = np.concatenate([np.flatnonzero(paid), np.flatnonzero(split)])
    first_part = elementwise(lambda owed, split: np.where(split, np.round(owed * 0.5), owed).astype("int64"),
                             owed, split, dtype=np.int64)  # fmt: skip
    amount = np.concatenate([first_part[paid], owed[split] - first_part[split]])
    day = np.concatenate([paid_day[paid], np.minimum(paid_day[split] + 20, HORIZON - 1)])
    method = np.where(biz[inv], 1, rng.choice(3, size=len(inv), p=[0.7, 0.05, 0.25]))
    sort = np.lexsort((inv, day))
    payments = pd.DataFrame({
        "payment_id": np.arange(1, len(inv) + 1, dtype="int64"),
        "invoice_id": invoices["invoice_id"].to_numpy()[inv[sort]],
        "paid_date": to_date(day[sort]),
        "amount_cents": amount[sort],
        "method": labels(PAYMENT_METHODS, method[sort]),
    }, copy=False)
    return invoices, payments
