"""The planted truths of the synthetic CRM: every effect a lesson asks learners to find.

The generator reads its parameters from here, and the instructors' notes in
``datasets/README.md`` are written from the same values, so the two cannot drift.

``PLANTED`` here is the generic market's wording; each market words the truths its own way
(:func:`.markets.planted_for`: its consent driver of churn, its seasonality), and the course's
company's are ``crmlab.datasets.PLANTED``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import pandas as pd

__all__ = ["PLANTED", "Planted", "START", "END", "TIMEZONE"]

#: First day customers can sign up (local time).
START = pd.Timestamp("2022-01-01")
#: The day of the export: nothing happens after the end of this day.
END = pd.Timestamp("2025-12-31")
#: All customers and staff live in one time zone; timestamps are stored in UTC.
TIMEZONE = "Asia/Tehran"


@dataclass(frozen=True)
class Planted:
    """Parameters of the effects planted in the synthetic CRM.

    Attributes
    ----------
    experiment_uplift : float
        Absolute rise in the 30-day response rate of the randomised campaign
        (``campaigns.is_experiment``) for treated over control customers.
    experiment_base_rate : float
        Response rate of the control group of that campaign.
    experiment_treatment_share : float
        Share of eligible customers randomised into treatment.
    loyalty_true_effect : float
        True effect of the self-selected loyalty mailing on response: zero. A naive
        comparison of members with non-members shows a large, spurious gap.
    churn_hazard_ratios : dict
        Multipliers of the yearly churn hazard for each driver.
    base_churn_per_year : float
        Yearly churn hazard of a customer with no driver.
    bad_ticket_churn : float
        Chance that a ticket which breaches its SLA or scores 1-2 makes the customer
        leave, on average 45 days later.
    month_seasonality : tuple of float
        Multiplier of order intensity for January .. December.
    affinities : dict
        Probability that an order whose first line is in category A also holds a
        line in category B (the cross-sell pairs); other add-on lines are random.
    training_gain : dict
        Rise in a rep's data-entry completeness (share of required fields filled)
        after training, by training method.
    completeness_before : float
        Average completeness before training.
    disengaged_reps : int
        Reps whose data entry fades in their last six months (project failure warning).
    n_duplicate_customers : int
        Extra customer records in the raw export that duplicate a real customer
        (name and e-mail variants), per 1,000 customers.
    n_test_records : int
        Test records in the raw export ("Test", "asdf", example.com), per 1,000 customers.
    sla_hours : dict
        Service level agreement: hours allowed until first response, by priority.
    satisfaction_effects : dict
        How a ticket's survey score (1-5, before rounding and noise) is made: a base, minus
        the cost of an SLA breach, of each contact beyond the first, and of bad service luck.
    loyalty_holdout_share : float
        Share of the newsletter's members held back at random (group ``held_out``): they
        joined but were not sent it, so mailed members against held-out members measure
        the newsletter's true effect (``loyalty_true_effect``).
    launches : dict
        The two products launched inside the data window, by name: category, list price
        (dollars), launch day, kind (``hit`` or ``flop``) and ramp-up curve. After launch a
        line of the category goes to the new product with chance
        ``peak_share * (1 - exp(-days_since_launch / ramp_days))``; nothing sells before
        its launch day.
    n_malformed_emails : int
        E-mails in the raw export that break the address rule ``name@domain.tld`` (no dot
        in the domain, a comma for it, no ending), per 1,000 customers. Only the raw export
        has them; the clean table keeps the address.
    uplift_types : dict
        The randomised autumn upgrade offer's response rates (control, treatment) for each
        kind of customer: persuadables buy only when mailed, sure things buy anyway,
        sleeping dogs are put off by the letter, lost causes do not buy either way.
    """

    experiment_uplift: float = 0.04
    experiment_base_rate: float = 0.06
    experiment_treatment_share: float = 0.5
    loyalty_true_effect: float = 0.0
    base_churn_per_year: float = 0.15
    bad_ticket_churn: float = 0.35
    churn_hazard_ratios: dict = field(
        default_factory=lambda: {
            "single_channel": 1.6,  # customers who reach the company one way only
            "no_email_consent": 1.3,
            "enterprise": 0.5,  # relative to consumers
            "small_business": 0.8,
        }
    )
    month_seasonality: tuple = (0.8, 0.8, 0.95, 1.0, 1.0, 0.9, 0.8, 0.85, 1.0, 1.1, 1.45, 1.75)
    affinities: dict = field(
        default_factory=lambda: {
            ("Laptops", "Accessories"): 0.45,
            ("Laptops", "Software"): 0.35,
            ("Phones", "Accessories"): 0.40,
            ("Printers", "Ink & Paper"): 0.60,
            ("Furniture", "Accessories"): 0.15,
            ("Laptops", "Services"): 0.25,
        }
    )
    training_gain: dict = field(
        default_factory=lambda: {"face_to_face": 0.20, "in_house": 0.14, "e_learning": 0.08}
    )
    completeness_before: float = 0.58
    disengaged_reps: int = 2
    n_duplicate_customers: int = 12
    n_test_records: int = 4
    sla_hours: dict = field(
        default_factory=lambda: {"urgent": 4, "high": 8, "normal": 24, "low": 72}
    )
    satisfaction_effects: dict = field(
        default_factory=lambda: {"base": 4.4, "sla_breach": -1.3, "extra_contact": -0.45, "bad_service": -0.5}
    )

    loyalty_holdout_share: float = 0.5
    launches: dict = field(
        default_factory=lambda: {
            "Phones model E": {"category": "Phones", "list_price": 549, "launched_on": "2024-05-01",
                               "kind": "hit", "peak_share": 0.45, "ramp_days": 21},
            "Laptops model F": {"category": "Laptops", "list_price": 1099, "launched_on": "2024-09-01",
                                "kind": "flop", "peak_share": 0.03, "ramp_days": 45},
        }
    )  # fmt: skip
    n_malformed_emails: int = 6
    uplift_types: dict = field(
        default_factory=lambda: {
            "persuadable": (0.04, 0.34),
            "sure_thing": (0.60, 0.60),
            "sleeping_dog": (0.15, 0.03),
            "lost_cause": (0.03, 0.03),
        }
    )

    def to_dict(self) -> dict:
        """Return the parameters as plain JSON-ready values."""
        out = asdict(self)
        out["affinities"] = {f"{a} -> {b}": p for (a, b), p in self.affinities.items()}
        out["month_seasonality"] = list(self.month_seasonality)
        out["uplift_types"] = {k: {"control": c, "treatment": t} for k, (c, t) in self.uplift_types.items()}
        return out


PLANTED = Planted()
