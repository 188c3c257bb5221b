"""Channels, the interactions through them, and web registrations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._arrays import labels, nullable, stable_argsort
from ._clock import HORIZON, business_hours, seasonal_days, to_utc
from .commerce import assign_reps
from .markets import GENERIC, Market
from .people import Population, Staff

CHANNEL_INFO = {
    "mail": (False, "outbound", "Letters and e-mails the company sends"),
    "web": (True, "inbound", "The web shop and its contact form"),
    "store": (False, "inbound", "Visits to a physical store"),
    "call_centre": (False, "inbound", "Phone calls to and from the call centre"),
    "field_sales": (False, "outbound", "Visits by field sales reps to business customers"),
    "advertising": (True, "inbound", "Clicks on online adverts"),
    "instagram": (True, "inbound", "Direct messages and orders on the company's Instagram page"),
    "telegram": (True, "inbound", "Messages and orders in the company's Telegram channel"),
    "sms": (False, "outbound", "Text messages the company sends"),
}
#: channel -> (interaction type, outcomes, outcome shares)
INTERACTION_KINDS = {
    "mail": ("mailing", ["no_response", "opened", "replied"], [0.7, 0.25, 0.05]),
    "web": ("visit", ["browsed", "enquiry", "basket_abandoned"], [0.6, 0.25, 0.15]),
    "store": ("visit", ["browsed", "advice", "return_desk"], [0.6, 0.3, 0.1]),
    "call_centre": ("call", ["information", "complaint", "follow_up", "order_help"], [0.45, 0.15, 0.25, 0.15]),
    "field_sales": ("meeting", ["follow_up", "proposal", "no_interest"], [0.5, 0.3, 0.2]),
    "advertising": ("ad_click", ["browsed", "registered"], [0.85, 0.15]),
    "instagram": ("message", ["browsed", "enquiry", "order_help"], [0.55, 0.3, 0.15]),
    "telegram": ("message", ["browsed", "enquiry", "order_help"], [0.55, 0.3, 0.15]),
    "sms": ("mailing", ["no_response", "opened", "replied"], [0.75, 0.22, 0.03]),
}
TYPES = sorted({kind for kind, _, _ in INTERACTION_KINDS.values()})
OUTCOMES = sorted({o for _, outcomes, _ in INTERACTION_KINDS.values() for o in outcomes})
SOURCES = ["organic", "search_ad", "social", "email"]
DEVICES = ["mobile", "desktop", "tablet"]
INBOUND_PER_YEAR = 5.0
MAILINGS_PER_YEAR = 3.0


def make_channels(market: Market = GENERIC) -> pd.DataFrame:
    """The ``channels`` lookup table: the market's channels and its outbound one."""
    return pd.DataFrame(
        [(key, *CHANNEL_INFO[key]) for key in market.all_channels],
        columns=["channel", "is_online", "direction", "description"],
    )


def make_interactions(rng: np.random.Generator, pop: Population, staff: Staff) -> pd.DataFrame:
    """Touches through the customer's channels; the company keeps mailing after churn.

    Mailings go through the market's outbound channel to customers with its consent.
    """
    market = pop.market
    channels = market.all_channels
    n_channels = pop.channel_set.sum(axis=1)
    owner_in, day_in = seasonal_days(
        rng, pop.signup_day, pop.active_until, np.full(pop.n, INBOUND_PER_YEAR / 365.25), market.day_factors
    )
    # pick one of the customer's channels uniformly: the k-th of its set
    k = (rng.random(len(owner_in)) * n_channels[owner_in]).astype(int)
    chan_in = _kth_channel(pop.channel_set)[owner_in, k]
    del k
    consent = pop.customers[f"consent_{market.consent}"].to_numpy()
    owner_mail, day_mail = seasonal_days(
        rng, pop.signup_day, np.full(pop.n, HORIZON), np.where(consent, MAILINGS_PER_YEAR / 365.25, 0),
        market.day_factors,
    )
    owner = np.concatenate([owner_in, owner_mail])
    del owner_in
    channel = np.concatenate([chan_in, np.full(len(owner_mail), channels.index(market.outbound), dtype=np.int8)])
    del chan_in, owner_mail  # channel: index into channels
    day = np.concatenate([day_in, day_mail])
    del day_in, day_mail
    day += business_hours(rng, len(owner))
    churned = day > pop.active_until[owner]
    outcome = np.empty(len(owner), dtype=np.int32)
    for code, chan in enumerate(channels):
        _, outcomes, shares = INTERACTION_KINDS[chan]
        mask = channel == code
        local = rng.choice(len(outcomes), size=mask.sum(), p=shares)
        outcome[mask] = np.array([OUTCOMES.index(o) for o in outcomes])[local]
    outcome[churned] = OUTCOMES.index("no_response")
    del churned
    rep = np.full(len(owner), -1, dtype="int64")
    for chan, team in [("field_sales", "field_sales"), ("call_centre", "inside_sales")]:
        mask = channel == channels.index(chan)
        rep[mask] = assign_reps(rng, staff, team, pop.region_idx[owner[mask]])
    del mask
    sort = stable_argsort(day)
    occurred_at = to_utc(day[sort])
    del day  # each column in time order, its unsorted values freed at once
    owner, channel, outcome, rep = owner[sort], channel[sort], outcome[sort], rep[sort]
    del sort
    owner += 1
    kind = np.array([TYPES.index(INTERACTION_KINDS[chan][0]) for chan in channels], dtype=np.int8)
    return pd.DataFrame({
        "interaction_id": np.arange(1, len(owner) + 1, dtype="int64"),
        "customer_id": owner,
        "channel": labels(channels, channel),
        "occurred_at": occurred_at,
        "interaction_type": labels(TYPES, kind[channel]),
        "outcome": labels(OUTCOMES, outcome),
        "rep_id": nullable(rep, rep < 0, "Int64"),
    }, copy=False)


def _kth_channel(channel_set: np.ndarray) -> np.ndarray:
    """``[i, k]``: the column of the k-th (from 0) channel in row ``i``'s set, for k below the set's size."""
    return np.argsort(~channel_set, axis=1, kind="stable").astype(np.int8)


def make_web_registrations(rng: np.random.Generator, pop: Population) -> pd.DataFrame:
    """One web account per customer who uses the web shop, opened around sign-up."""
    idx = np.flatnonzero(pop.channel_set[:, pop.market.channels.index("web")])
    day = np.minimum(pop.signup_day[idx] + rng.exponential(20, size=len(idx)), HORIZON - 0.01)
    day = np.floor(day) + rng.uniform(0, 1, size=len(idx))
    sort = stable_argsort(day)
    idx, day = idx[sort], day[sort]
    return pd.DataFrame({
        "registration_id": np.arange(1, len(idx) + 1, dtype="int64"),
        "customer_id": idx + 1,
        "registered_at": to_utc(day),
        "source": labels(SOURCES, rng.choice(len(SOURCES), size=len(idx), p=[0.45, 0.25, 0.2, 0.1])),
        "device": labels(DEVICES, rng.choice(len(DEVICES), size=len(idx), p=[0.6, 0.35, 0.05])),
    }, copy=False)
