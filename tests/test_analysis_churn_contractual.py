"""Contractual churn: Kaplan-Meier retention by group, against statsmodels and a planted truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlab.analysis import churn
from crmlab.datasets import load_telco_churn


@pytest.fixture(scope="module")
def telco():
    return load_telco_churn()


def test_retention_is_statsmodels_kaplan_meier(telco):
    from statsmodels.duration.survfunc import SurvfuncRight

    ours = churn.tenure_survival(telco, "contract")
    for contract, part in telco.groupby("contract"):
        theirs = SurvfuncRight(part["tenure"].to_numpy(float), (part["churn"] == "Yes").to_numpy(int))
        mine = ours.loc[contract]
        event_times = mine.index[mine["left"] > 0].to_numpy(float)
        np.testing.assert_allclose(event_times, theirs.surv_times)
        np.testing.assert_allclose(mine.loc[mine["left"] > 0, "retained"], theirs.surv_prob, rtol=1e-12)
    assert ours.groupby(level=0)["left"].sum().sum() == (telco["churn"] == "Yes").sum()
    assert ours.groupby(level=0)[["left", "censored"]].sum().sum().sum() == len(telco)


def test_longer_contracts_keep_customers_longer(telco):
    at = churn.retention_at(churn.tenure_survival(telco, "contract"), [12, 24, 48])
    assert (at.loc["Month-to-month"] < at.loc["One year"]).all()
    assert (at.loc["One year"] <= at.loc["Two year"]).all()
    assert at.loc["Two year", 12] == 1.0  # nobody on a two-year contract left in the first year


def _planted(monthly: dict, n: int, seed: int) -> pd.DataFrame:
    """Customers who leave each month with a fixed chance per group, observed for a random 1-72 months."""
    rng = np.random.default_rng(seed)
    rows = []
    for name, rate in monthly.items():
        lifetime = rng.geometric(rate, n)  # the month in which they cancel
        observed = rng.integers(1, 73, n)  # months from sign-up to the day the data was taken
        rows.append(pd.DataFrame({"plan": name, "tenure": np.minimum(lifetime, observed),
                                  "churn": np.where(lifetime <= observed, "Yes", "No")}))  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def test_kaplan_meier_recovers_a_planted_retention_where_ignoring_censoring_does_not():
    planted = {"monthly": 0.05, "yearly": 0.01}
    data = _planted(planted, n=20_000, seed=3)
    at = churn.retention_at(churn.tenure_survival(data, "plan"), [12, 24, 36])
    for plan, rate in planted.items():
        truth = (1 - rate) ** np.array([12, 24, 36])
        np.testing.assert_allclose(at.loc[plan].to_numpy(float), truth, atol=0.015)
    # the control: the share of customers with a tenure above 24 months treats the censored as gone
    monthly = data[data["plan"] == "monthly"]
    naive = (monthly["tenure"] > 24).mean()
    assert naive < (1 - planted["monthly"]) ** 24 - 0.05  # 0.20 against 0.29


def test_a_group_where_nobody_left_and_bad_input(telco):
    data = pd.DataFrame({"plan": ["a", "a", "b"], "tenure": [3, 5, 2], "churn": ["No", "No", "Yes"]})
    table = churn.tenure_survival(data, "plan")
    assert table.loc["a", "retained"].tolist() == [1.0, 1.0]
    assert churn.retention_at(table, [4, 6]).loc["a"].tolist()[0] == 1.0
    assert np.isnan(churn.retention_at(table, [4, 6]).loc["a", 6])  # beyond the longest tenure: unknown
    one = churn.tenure_survival(telco, None)
    assert one.index.get_level_values(0).unique().tolist() == ["all"]
    with pytest.raises(KeyError, match="`group` must be a column"):
        churn.tenure_survival(telco, "plan")
    with pytest.raises(ValueError, match="`left_value`"):
        churn.tenure_survival(telco, "contract", left_value=True)
    with pytest.raises(TypeError, match="one row per customer"):
        churn.tenure_survival(telco["tenure"])
