"""Comparing like with like: the gap after bad service, raw and adjusted for the customers' buying.

The reasoning pinned here: when a confounder (how much a customer buys) drives both the group
(bad service) and the outcome (buying again), the raw gap is there even with no effect at
all, and the adjusted gap is near 0; when there is a true effect, the adjusted gap recovers
it where the raw one does not. The truth is computed from the simulation's own formula.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

import crmlab
from crmlab.analysis import cohorts as co
from crmlab.conventions import COURSE


def _simulate(effect: float, seed: int, n: int = 40_000) -> tuple[pd.DataFrame, float]:
    """Tickets of customers who buy ``frequency`` times a year: frequent buyers get bad service less
    often and reorder more. ``effect`` is bad service's true effect on the log-odds of reordering;
    the true average effect on the chance of reordering is returned with the data."""
    rng = np.random.default_rng(seed)
    frequency = rng.poisson(2.5, n)
    business = rng.random(n) < 0.3
    bad = rng.random(n) < expit(-0.5 - 0.5 * frequency + 0.4 * business)
    base = -1.2 + 0.5 * frequency + 0.6 * business
    reordered = rng.random(n) < expit(base + effect * bad)
    truth = float(np.mean(expit(base + effect) - expit(base)))
    data = pd.DataFrame({"bad_service": bad, "reordered": reordered, "purchases_before": frequency,
                         "segment": np.where(business, "business", "consumer")})  # fmt: skip
    return data, truth


@pytest.mark.parametrize("seed", [1, 2])
def test_a_confounder_makes_a_raw_gap_with_no_effect_and_adjusting_removes_it(seed):
    data, truth = _simulate(effect=0.0, seed=seed)
    assert truth == 0
    table = co.adjusted_gap(data, "reordered", "bad_service", ["purchases_before", "segment"])
    assert table.loc["raw", "gap"] < -0.07  # bad service "costs" 7+ points of reorders, with no effect at all
    assert abs(table.loc["adjusted", "gap"]) < 0.02
    assert table.loc["adjusted", "ci_low"] < 0 < table.loc["adjusted", "ci_high"]


@pytest.mark.parametrize("seed", [1, 2])
def test_a_true_effect_is_recovered(seed):
    data, truth = _simulate(effect=-0.8, seed=seed)
    table = co.adjusted_gap(data, "reordered", "bad_service", ["purchases_before", "segment"])
    assert truth == pytest.approx(-0.17, abs=0.02)
    assert table.loc["raw", "gap"] < truth - 0.06  # the raw gap mixes the effect and the confounder
    assert table.loc["adjusted", "gap"] == pytest.approx(truth, abs=0.02)
    assert table.loc["adjusted", "ci_low"] < truth < table.loc["adjusted", "ci_high"]


def test_the_raw_gap_is_a_recount():
    data, _ = _simulate(effect=0.0, seed=3, n=500)
    rates = data.groupby("bad_service")["reordered"].mean()
    table = co.adjusted_gap(data, "reordered", "bad_service")
    assert table.index.tolist() == ["raw"]
    assert table.loc["raw", "gap"] == pytest.approx(rates[True] - rates[False], abs=1e-12)
    assert table.loc["raw", "rows"] == 500


def test_purchase_history_by_hand():
    orders = pd.DataFrame({"customer_id": [1, 1, 1, 1, 2],
                           "ordered_at": pd.to_datetime(["2023-12-01", "2024-06-01", "2025-03-01", "2025-04-01",
                                                         "2025-05-01"], utc=True),
                           "status": ["completed", "completed", "completed", "cancelled", "completed"]})  # fmt: skip
    tickets = pd.DataFrame({"customer_id": [1, 1, 2], "created_at": pd.to_datetime(
        ["2025-04-02 10:00", "2024-06-01 20:00", "2025-05-01 01:00"], utc=True)}, index=[7, 8, 9])  # fmt: skip
    history = co.purchase_history(tickets, orders)  # Tehran's days: ticket 9 is on the day of customer 2's order
    assert history.index.tolist() == [7, 8, 9]
    # Ticket 7: completed purchases within 365 days before 2 April 2025: 1 June 2024 and 1 March 2025.
    assert history["purchases_before"].tolist() == [2, 1, 0]  # a purchase on the ticket's own day is not before
    assert history["tenure_days"].tolist() == [488, 183, 0]  # since 1 December 2023


def test_errors_say_what_to_fix():
    data = pd.DataFrame({"bad": [True, True], "reordered": [1, 0]})
    with pytest.raises(ValueError, match="both groups"):
        co.adjusted_gap(data, "reordered", "bad")
    with pytest.raises(ValueError, match="yes/no"):
        co.adjusted_gap(data.assign(reordered=[3, 4]), "reordered", "bad")


def test_on_the_course_data_the_gap_survives_the_controls():
    """The lesson's claim: bad service goes with fewer reorders among customers with the same buying."""
    crm = crmlab.load_crm(tables=["orders", "customers", "tickets"])
    tickets = crm.tickets.set_index("ticket_id")
    tickets["bad_service"] = co.bad_service_tickets(crm.tickets, as_of=COURSE.end)
    tickets["reordered"] = co.reorders_after(tickets, crm.orders, days=180, end=COURSE.end)
    tickets = tickets.join(co.purchase_history(tickets, crm.orders))
    tickets["segment"] = tickets["customer_id"].map(crm.customers.set_index("customer_id")["segment"])
    table = co.adjusted_gap(tickets, "reordered", "bad_service", ["purchases_before", "tenure_days", "segment"])
    assert -0.16 < table.loc["raw", "gap"] < -0.09
    assert table.loc["adjusted", "ci_high"] < -0.05
