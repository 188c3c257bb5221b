"""The autumn upgrade offer: a randomised campaign whose uplift differs between customers.

Every customer active on the first day who has bought before is drawn by lot into ``treatment`` (sent the
letter) or ``control`` (held back), half and half. Each customer is one of four kinds,
set by what the CRM can see about them, so an uplift model can find them again:

* **sure things**: heavy buyers (five or more orders a year); they buy anyway;
* **sleeping dogs**: customers without consent on the market's marketing channel (SMS for the
  course's company, e-mail for the generic one), who asked not to be marketed to;
  the letter puts them off;
* **persuadables**: customers who signed up less than 18 months before, not yet in a
  buying habit; they buy when mailed;
* **lost causes**: everyone else; the letter changes nothing.

Each rule holds for 85% of the customers it covers (the rest are lost causes), and a
customer covered by two rules takes the later of sure thing > sleeping dog >
persuadable. Response rates by kind are ``PLANTED.uplift_types``. The draws come from
their own random streams, and the responding orders are added after the others, so no
earlier table changes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._clock import business_hours, to_utc
from .marketing import UPGRADE, UPGRADE_ID, Responses, _active, _day
from .people import Population
from .truths import PLANTED

__all__ = ["KINDS", "make_upgrade_contacts"]

KINDS = tuple(PLANTED.uplift_types)
_RULE_HOLDS = 0.85
_RECENT_DAYS = 540
_HEAVY_ORDERS_PER_YEAR = 5.0


def _kinds(rng: np.random.Generator, pop: Population, who: np.ndarray, start: float) -> np.ndarray:
    """Index into KINDS for each customer of ``who``."""
    holds = rng.random(len(who)) < _RULE_HOLDS
    kind = np.full(len(who), KINDS.index("lost_cause"))
    kind[(start - pop.signup_day[who] < _RECENT_DAYS) & holds] = KINDS.index("persuadable")
    kind[~pop.customers[f"consent_{pop.market.consent}"].to_numpy()[who] & holds] = KINDS.index("sleeping_dog")
    kind[(pop.purchase_rate[who] * 365.25 >= _HEAVY_ORDERS_PER_YEAR) & holds] = KINDS.index("sure_thing")
    return kind


def make_upgrade_contacts(
    rng: np.random.Generator, pop: Population, order_owner: np.ndarray, order_day: np.ndarray
) -> tuple[pd.DataFrame, Responses]:
    """The offer's contacts (with the hidden ``_kind``) and the orders its responders place.

    The offer goes to active customers who have bought before (``order_owner`` and
    ``order_day``: the completed orders' customer rows and local days), so it brings no
    customer their first purchase.
    """
    s = _day(UPGRADE[3])
    bought = np.zeros(pop.n, dtype=bool)
    bought[order_owner[order_day < s]] = True
    who = np.flatnonzero(_active(pop, s) & bought)
    kind = _kinds(rng, pop, who, s)
    treated = rng.random(len(who)) < 0.5
    rates = np.array(list(PLANTED.uplift_types.values()))  # (kinds, [control, treatment])
    responded = rng.random(len(who)) < rates[kind, treated.astype(int)]
    resp_day = np.floor(s + rng.uniform(0, 30, size=len(who)))
    contact = s + business_hours(rng, len(who), 9, 17)
    contacts = pd.DataFrame({
        "campaign_id": UPGRADE_ID, "_owner": who, "group": np.where(treated, "treatment", "control"),
        "_contact_day": np.where(treated, contact, np.nan), "responded": responded,
        "_kind": np.array(KINDS)[kind],
    })  # fmt: skip
    contacts["customer_id"] = who + 1
    contacts["contacted_at"] = to_utc(np.nan_to_num(contacts["_contact_day"].to_numpy())).where(treated)
    r = np.flatnonzero(responded)
    return contacts, Responses(who[r], resp_day[r], np.full(len(r), UPGRADE_ID), treated[r], np.full(len(r), -1),
                               treated[r])
