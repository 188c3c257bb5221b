"""Campaigns and who they reached, with one randomised experiment and one trap.

* ``Accessories spring mailing 2025`` is a randomised experiment: eligible customers
  are split at random into treatment and control; the treatment raises the 30-day
  response rate by exactly ``PLANTED.experiment_uplift``.
* ``Loyalty club newsletter 2024`` is self-selected: frequent buyers opt in, so members
  respond far more often than non-members although the newsletter itself does nothing.
  A random ``PLANTED.loyalty_holdout_share`` of the members is held back (group
  ``held_out``, drawn from its own random stream): mailed against held-out members
  measures the newsletter's true effect.
* ``Upgrade offer autumn 2025`` (:mod:`.upgrade`) is randomised, and its uplift differs
  between customers: persuadables, sure things, sleeping dogs and lost causes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._clock import business_hours, to_utc
from .commerce import CATEGORIES
from .markets import GENERIC, Market
from .people import Population
from .truths import PLANTED, START

#: name, channel, target category, first day, last day, experiment?, cost per contact (cents)
CAMPAIGNS = [
    ("Welcome series 2023", "mail", None, "2023-01-01", "2023-12-31", False, 40),
    ("Black Friday 2024 ads", "advertising", None, "2024-11-20", "2024-11-30", False, 95),
    ("Loyalty club newsletter 2024", "mail", None, "2024-04-01", "2024-05-30", False, 25),
    ("Accessories spring mailing 2025", "mail", "Accessories", "2025-03-01", "2025-03-30", True, 60),
    ("Ink reminder 2025", "mail", "Ink & Paper", "2025-09-01", "2025-09-30", False, 30),
]
EXPERIMENT, LOYALTY = 4, 3
#: The randomised campaign whose uplift differs between customers (see :mod:`.upgrade`).
UPGRADE = ("Upgrade offer autumn 2025", "mail", None, "2025-10-01", "2025-10-31", True, 80)
UPGRADE_ID = len(CAMPAIGNS) + 1
ALL_CAMPAIGNS = [*CAMPAIGNS, UPGRADE]
#: The campaigns that need the customer's consent (the others are postal or adverts).
_NEED_CONSENT = ("Welcome series 2023", "Loyalty club newsletter 2024", "Ink reminder 2025")


def campaigns_for(market: Market = GENERIC) -> list[tuple]:
    """:data:`ALL_CAMPAIGNS` as ``market`` runs them.

    Campaigns that need consent go through the market's outbound channel, on the market's
    dates (:attr:`.Market.campaign_dates`), and cost per contact is in its money.
    """
    moved = {name: (start, end) for name, start, end in market.campaign_dates}
    out = []
    for name, chan, cat, start, end, exp, cost in ALL_CAMPAIGNS:
        chan = market.outbound if name in _NEED_CONSENT else chan
        start, end = moved.get(name, (start, end))
        out.append((name, chan, cat, start, end, exp, cost * market.minor_per_dollar // 100))
    return out


@dataclass
class Responses:
    """Orders that campaigns cause, to be added to the regular orders."""

    owner: np.ndarray
    day: np.ndarray
    campaign_id: np.ndarray  # the campaign, for the contacts table
    attributed: np.ndarray  # bool: the order carries the campaign code
    category: np.ndarray  # index into CATEGORIES, or -1
    completed: np.ndarray  # bool: the order counts as completed (sent, or held back from a mailing they joined)


def _day(text: str) -> float:
    return float((pd.Timestamp(text) - START).days)


def make_campaigns(market: Market = GENERIC) -> pd.DataFrame:
    """The ``campaigns`` table (cost is filled in once the contacts are known)."""
    rows = [
        (i, name, chan, None if cat is None else CATEGORIES.index(cat) + 1, start, end, exp)
        for i, (name, chan, cat, start, end, exp, _) in enumerate(campaigns_for(market), start=1)
    ]
    out = pd.DataFrame(rows, columns=["campaign_id", "name", "channel", "target_category_id",
                                      "starts_on", "ends_on", "is_experiment"])
    out["campaign_id"] = out["campaign_id"].astype("int64")
    out["target_category_id"] = out["target_category_id"].astype("Int64")
    for col in ["starts_on", "ends_on"]:
        out[col] = pd.to_datetime(out[col]).dt.as_unit("s")
    return out


def _active(pop: Population, day: float) -> np.ndarray:
    return (pop.signup_day < day) & (pop.active_until > day + 30)


def make_contacts(
    rng: np.random.Generator, pop: Population, holdout_rng: np.random.Generator
) -> tuple[pd.DataFrame, Responses]:
    """Who each campaign reached (or held back), who responded, and the orders that follow.

    ``holdout_rng`` draws the newsletter members held back, apart from ``rng`` so that
    the other draws do not move.
    """
    consent = pop.customers[f"consent_{pop.market.consent}"].to_numpy()
    frames, resp = [], []
    for cid, (_, _, cat, start, end, _, _) in enumerate(campaigns_for(pop.market)[: len(CAMPAIGNS)], start=1):
        s, e = _day(start), _day(end)
        window = 30.0
        if cid == 1:
            who = np.flatnonzero((pop.signup_day >= s) & (pop.signup_day <= e) & consent)
            contact_day = pop.signup_day[who] + 2
            group = np.full(len(who), "contacted")
            p = np.full(len(who), 0.04)
        elif cid == LOYALTY:
            who = np.flatnonzero(_active(pop, s) & consent)
            rate = pop.purchase_rate[who] * 365.25
            joined = rng.random(len(who)) < 1 / (1 + np.exp(-(rate - 4.0)))
            held = holdout_rng.random(len(who)) < PLANTED.loyalty_holdout_share
            group = np.where(joined, np.where(held, "held_out", "opted_in"), "not_opted_in")
            contact_day = np.full(len(who), s)
            window = 60.0
            mailed = joined & ~held
            p = 1 - np.exp(-pop.purchase_rate[who] * window * 0.6) + PLANTED.loyalty_true_effect * mailed
        elif cid == EXPERIMENT:  # a postal mailing: no consent needed
            who = np.flatnonzero(_active(pop, s))
            treated = rng.random(len(who)) < PLANTED.experiment_treatment_share
            group = np.where(treated, "treatment", "control")
            contact_day = np.full(len(who), s)
            p = PLANTED.experiment_base_rate + PLANTED.experiment_uplift * treated
        else:
            eligible = np.flatnonzero(_active(pop, s) & (consent | (cid == 2)))
            who = np.sort(rng.choice(eligible, size=int(0.3 * len(eligible)), replace=False))
            contact_day = s + rng.integers(0, max(1, int(e - s)), size=len(who)).astype(float)
            group = np.full(len(who), "contacted")
            p = np.full(len(who), 0.05)
        responded = rng.random(len(who)) < p
        resp_day = np.floor(contact_day + rng.uniform(0, window, size=len(who)))
        reached = np.isin(group, ["contacted", "treatment", "opted_in"])
        frames.append(pd.DataFrame({
            "campaign_id": cid, "_owner": who, "group": group,
            "_contact_day": np.where(reached, contact_day + business_hours(rng, len(who), 9, 17), np.nan),
            "responded": responded,
        }))
        r = np.flatnonzero(responded)
        completed = reached | (group == "held_out")
        resp.append((who[r], resp_day[r], np.full(len(r), cid), reached[r],
                     np.full(len(r), -1 if cat is None else CATEGORIES.index(cat)), completed[r]))
    contacts = pd.concat(frames, ignore_index=True)
    contacts["customer_id"] = contacts["_owner"].to_numpy() + 1
    contacts["contacted_at"] = to_utc(contacts["_contact_day"].fillna(0).to_numpy()).where(
        contacts["_contact_day"].notna().to_numpy()
    )
    parts = [np.concatenate(x) for x in zip(*resp, strict=True)]
    return contacts, Responses(*parts)
