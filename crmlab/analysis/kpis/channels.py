"""Channels and the single customer view."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.conventions import COURSE, Conventions
from crmlab.validation import require_table

# ------------------------------------------------------------------ channels and the single customer view


def _touches(interactions: pd.DataFrame, orders: pd.DataFrame, active_only: bool) -> pd.DataFrame:
    """Every touch (customer_id, channel, at); with ``active_only``, drop mailings nobody answered."""
    i = require_table(interactions, "interactions", ["customer_id", "channel", "occurred_at", "outcome"])
    o = require_table(orders, "orders", ["customer_id", "channel", "ordered_at"])
    if active_only:
        i = i[i["outcome"] != "no_response"]
    return pd.concat([
        i[["customer_id", "channel", "occurred_at"]].rename(columns={"occurred_at": "at"}),
        o[["customer_id", "channel", "ordered_at"]].rename(columns={"ordered_at": "at"}),
    ], ignore_index=True)  # fmt: skip


def channels_per_customer(interactions: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """Through how many channels, and which, each customer and the company have touched.

    Counting channels is the rough measure of how much a company needs a CRM: each extra
    channel is one more place where part of a customer's story is kept.

    Parameters
    ----------
    interactions, orders : DataFrame
        The CRM tables of those names (every interaction counts, answered or not).

    Returns
    -------
    DataFrame
        Indexed by ``customer_id``: ``n_channels`` and ``channels`` (names, sorted, comma-separated).

    Examples
    --------
    >>> i = pd.DataFrame({"customer_id": [1, 1], "channel": ["mail", "web"], "outcome": ["opened", "browsed"],
    ...                   "occurred_at": pd.to_datetime(["2025-01-01", "2025-01-02"], utc=True)})
    >>> o = pd.DataFrame({"customer_id": [1, 2], "channel": ["store", "web"],
    ...                   "ordered_at": pd.to_datetime(["2025-01-03", "2025-01-04"], utc=True)})
    >>> channels_per_customer(i, o)
                 n_channels           channels
    customer_id
    1                     3  mail, store, web
    2                     1                web
    """
    touches = _touches(interactions, orders, active_only=False)
    names = touches.drop_duplicates(["customer_id", "channel"]).sort_values(["customer_id", "channel"])
    out = names.groupby("customer_id")["channel"].agg(n_channels="size", channels=", ".join)
    return out


def _utc_instant(when: str | pd.Timestamp) -> pd.Timestamp:
    when = pd.Timestamp(when)
    return when.tz_localize("UTC") if when.tz is None else when


def customer_timeline(
    interactions: pd.DataFrame,
    orders: pd.DataFrame,
    customer_id: int,
    *,
    since: str | pd.Timestamp | None = None,
    conventions: Conventions = COURSE,
) -> pd.DataFrame:
    """Everything one customer did with the company, through every channel, in time order.

    This is the single customer view in its simplest form: what each channel's own
    system holds about the customer, put side by side.

    Parameters
    ----------
    interactions, orders : DataFrame
        The CRM tables of those names.
    customer_id : int
        The customer.
    since : str or Timestamp, optional
        Keep only what happened from then on (UTC when no time zone is given).
    conventions : Conventions, optional
        The company's currency, for the orders' amounts (default :data:`crmlab.conventions.COURSE`).

    Returns
    -------
    DataFrame
        ``at``, ``channel`` and ``event`` (the interaction and its outcome, or the order's
        status and amount).

    Examples
    --------
    >>> i = pd.DataFrame({"customer_id": [1, 2], "channel": ["mail", "web"], "interaction_type": ["mailing", "visit"],
    ...                   "outcome": ["no_response", "browsed"],
    ...                   "occurred_at": pd.to_datetime(["2025-01-01", "2025-01-02"], utc=True)})
    >>> o = pd.DataFrame({"customer_id": [1], "channel": ["store"], "status": ["completed"],
    ...                   "total_cents": [129_900_000],
    ...                   "ordered_at": pd.to_datetime(["2025-01-03"], utc=True)})
    >>> customer_timeline(i, o, 1)
                             at channel                             event
    0 2025-01-01 00:00:00+00:00    mail              mailing: no_response
    1 2025-01-03 00:00:00+00:00   store  order completed, IRR 129,900,000
    """
    needed = ["customer_id", "channel", "occurred_at", "interaction_type", "outcome"]
    i = require_table(interactions, "interactions", needed)
    o = require_table(orders, "orders", ["customer_id", "channel", "ordered_at", "status", "total_cents"])
    i, o = i[i["customer_id"] == customer_id], o[o["customer_id"] == customer_id]
    amounts = o["total_cents"].map(conventions.money).astype("str")  # str even when empty
    out = pd.concat([
        pd.DataFrame({"at": i["occurred_at"], "channel": i["channel"],
                      "event": i["interaction_type"] + ": " + i["outcome"]}),
        pd.DataFrame({"at": o["ordered_at"], "channel": o["channel"],
                      "event": "order " + o["status"] + ", " + amounts}),
    ])  # fmt: skip
    if since is not None:
        out = out[out["at"] >= _utc_instant(since)]
    return out.sort_values("at", kind="stable", ignore_index=True)


def looks_inactive(
    interactions: pd.DataFrame, orders: pd.DataFrame, since: str | pd.Timestamp
) -> pd.DataFrame:
    """Customers silent in a channel they used before ``since``, and whether they were active elsewhere.

    A report from one channel's system (the stores' till, the mailing tool) would call
    these customers inactive; the single customer view shows that some of them are busy
    in another channel. Activity is an order or an interaction, except a mailing nobody
    answered (``outcome == "no_response"``).

    Parameters
    ----------
    interactions, orders : DataFrame
        The CRM tables of those names.
    since : str or Timestamp
        Start of the recent window (UTC when no time zone is given), e.g. ``"2025-07-01"``.

    Returns
    -------
    DataFrame
        One row per customer and silent channel: ``customer_id``, ``channel``,
        ``last_seen`` (last activity in that channel) and ``active_elsewhere``.

    Examples
    --------
    >>> i = pd.DataFrame({"customer_id": [1, 2], "channel": ["mail", "mail"], "outcome": ["replied", "opened"],
    ...                   "occurred_at": pd.to_datetime(["2025-01-01", "2025-01-01"], utc=True)})
    >>> o = pd.DataFrame({"customer_id": [1, 1], "channel": ["store", "web"],
    ...                   "ordered_at": pd.to_datetime(["2025-02-01", "2025-08-01"], utc=True)})
    >>> looks_inactive(i, o, "2025-07-01")[["customer_id", "channel", "active_elsewhere"]]
       customer_id channel  active_elsewhere
    0            1    mail              True
    1            1   store              True
    2            2    mail             False
    """
    since = _utc_instant(since)
    touches = _touches(interactions, orders, active_only=True)
    before, recent = touches[touches["at"] < since], touches[touches["at"] >= since]
    used = before.groupby(["customer_id", "channel"], as_index=False)["at"].max().rename(columns={"at": "last_seen"})
    still = recent[["customer_id", "channel"]].drop_duplicates().assign(_still=True)
    silent = used.merge(still, on=["customer_id", "channel"], how="left")
    silent = silent[silent["_still"].isna()].drop(columns="_still")
    recent_channels = recent.groupby("customer_id")["channel"].agg(set)
    pairs = zip(silent["customer_id"], silent["channel"], strict=True)
    elsewhere = [bool(recent_channels.get(customer, set()) - {channel}) for customer, channel in pairs]
    return silent.assign(active_elsewhere=np.array(elsewhere, dtype=bool)).reset_index(drop=True)


def single_view_summary(inactive: pd.DataFrame) -> pd.DataFrame:
    """Per channel: customers who look inactive there, and how many of them are active elsewhere.

    Parameters
    ----------
    inactive : DataFrame
        The result of :func:`looks_inactive`.

    Returns
    -------
    DataFrame
        Indexed by ``channel``: ``looks_inactive``, ``active_elsewhere`` and ``share_active_elsewhere``,
        sorted by ``active_elsewhere``, largest first.

    Examples
    --------
    >>> inactive = pd.DataFrame({"customer_id": [1, 2, 3], "channel": ["store", "store", "web"],
    ...                          "active_elsewhere": [True, False, True]})
    >>> single_view_summary(inactive)
             looks_inactive  active_elsewhere  share_active_elsewhere
    channel
    store                 2                 1                     0.5
    web                   1                 1                     1.0
    """
    i = require_table(inactive, "inactive", ["customer_id", "channel", "active_elsewhere"])
    out = i.groupby("channel").agg(looks_inactive=("customer_id", "nunique"),
                                   active_elsewhere=("active_elsewhere", "sum"))  # fmt: skip
    out["active_elsewhere"] = out["active_elsewhere"].astype("int64")
    out["share_active_elsewhere"] = out["active_elsewhere"] / out["looks_inactive"]
    return out.sort_values(["active_elsewhere", "looks_inactive"], ascending=False, kind="stable")


