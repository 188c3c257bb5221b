"""Support tickets: response and resolution times, SLA breaches and satisfaction.

Customers with bad service luck (commoner in the region with a weak support team)
wait longer, need more contacts and score lower, and they churn faster: the churn
driver the lessons ask learners to find.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._arrays import labels, nullable, stable_argsort
from ._clock import HORIZON, seasonal_days, to_utc
from .commerce import assign_reps
from .people import Population, Staff
from .truths import PLANTED

TICKET_CHANNELS = np.array(["call_centre", "web", "mail", "store"])
CHANNEL_SHARES = [0.45, 0.3, 0.15, 0.1]
#: median hours to first response by channel
CHANNEL_MEDIAN_HOURS = np.array([0.4, 5.0, 14.0, 1.0])
PRIORITIES = np.array(["urgent", "high", "normal", "low"])
PRIORITY_SHARES = [0.05, 0.15, 0.55, 0.25]
PRIORITY_SPEED = np.array([0.3, 0.5, 1.0, 1.5])
TOPICS = np.array(["billing", "delivery", "product_fault", "account", "how_to"])
TOPIC_SHARES = [0.2, 0.25, 0.25, 0.1, 0.2]
TOPIC_HOURS = np.array([10.0, 30.0, 48.0, 6.0, 4.0])


def make_tickets(rng: np.random.Generator, pop: Population, staff: Staff) -> pd.DataFrame:
    """The ``tickets`` table; bad tickets bring ``pop.active_until`` forward (churn).

    Call it before any table that depends on when customers leave.
    """
    business = (pop.customers["segment"] != "consumer").to_numpy()
    rate = np.where(business, 1.2, 0.6) * np.where(pop.bad_service, 1.5, 1.0) / 365.25
    owner, day = seasonal_days(rng, pop.signup_day, pop.active_until, rate, pop.market.day_factors)
    n = len(owner)
    bad = pop.bad_service[owner]
    created = day + rng.uniform(7, 22, size=n) / 24
    chan = rng.choice(len(TICKET_CHANNELS), size=n, p=CHANNEL_SHARES)
    prio = rng.choice(len(PRIORITIES), size=n, p=PRIORITY_SHARES)
    topic = rng.choice(len(TOPICS), size=n, p=TOPIC_SHARES)
    response_h = CHANNEL_MEDIAN_HOURS[chan] * PRIORITY_SPEED[prio] * np.where(bad, 10.0, 1.0)
    response_h = response_h * rng.lognormal(0, 0.8, size=n)
    contacts = 1 + rng.poisson(np.where(bad, 1.3, 0.35))
    resolve_h = TOPIC_HOURS[topic] * contacts * rng.lognormal(0, 0.6, size=n)
    sla = np.array([PLANTED.sla_hours[p] for p in PRIORITIES])[prio]
    breach = response_h > sla
    first_response = created + response_h / 24
    resolved = first_response + resolve_h / 24
    fx = PLANTED.satisfaction_effects
    score = (fx["base"] + fx["sla_breach"] * breach + fx["extra_contact"] * (contacts - 1)
             + fx["bad_service"] * bad + rng.normal(0, 0.6, size=n))
    surveyed = rng.random(n) < 0.55
    satisfaction = np.where(surveyed & (resolved < HORIZON), np.clip(np.round(score), 1, 5), -1)
    bad_ticket = breach | ((satisfaction > 0) & (satisfaction <= 2))
    leaves = bad_ticket & (rng.random(n) < PLANTED.bad_ticket_churn)
    leave_day = np.where(leaves, resolved + rng.exponential(45, size=n), np.inf)
    np.minimum.at(pop.active_until, owner, leave_day)
    keep = created < pop.active_until[owner]
    (owner, chan, prio, topic, created, first_response, resolved, sla, contacts, satisfaction) = (
        a[keep] for a in (owner, chan, prio, topic, created, first_response, resolved, sla, contacts, satisfaction)
    )
    region = pop.region_idx[owner]
    agent = assign_reps(rng, staff, "support", region)
    sort = stable_argsort(created)
    n = len(owner)
    first_response, resolved = first_response[sort], resolved[sort]
    return pd.DataFrame({
        "ticket_id": np.arange(1, n + 1, dtype="int64"),
        "customer_id": owner[sort] + 1,
        "channel": labels(TICKET_CHANNELS, chan[sort]),
        "priority": labels(PRIORITIES, prio[sort]),
        "topic": labels(TOPICS, topic[sort]),
        "created_at": to_utc(created[sort]),
        "first_response_at": to_utc(first_response).where(first_response < HORIZON),
        "resolved_at": to_utc(resolved).where(resolved < HORIZON),
        "sla_hours": sla[sort].astype("int16"),
        "contacts_to_resolve": nullable(contacts[sort], resolved >= HORIZON, "Int16"),
        "satisfaction": nullable(satisfaction[sort], satisfaction[sort] <= 0, "Int8"),
        "agent_id": agent[sort],
    }, copy=False)
