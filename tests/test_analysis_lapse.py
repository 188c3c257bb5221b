"""The lapse window read from the time to the next purchase, open gaps censored (Kaplan-Meier).

The reasoning pinned here: on customers whose waits between purchases follow a known
distribution, watched through a finite window, the 90th percentile of the observed gaps
is biased short (long waits are cut off by the end of the data, one-time buyers left out),
while the Kaplan-Meier estimate with the open gaps censored recovers the true quantile.
The estimator itself is checked by hand and against statsmodels' ``SurvfuncRight``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight

from crmlab.analysis import cohorts as co

SHAPE, SCALE, LEAVE = 0.8, 120.0, 0.25  # waits: gamma, mean 96 days; a quarter of purchases are the last


def _simulate(seed: int, n: int = 5000, span: int = 730) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Customers arriving uniformly over ``span`` days; after each purchase, one in four never
    comes back, the others come back after a gamma-distributed wait; the data end on day ``span``."""
    rng = np.random.default_rng(seed)
    customer = np.arange(n)
    t = rng.uniform(0, span, n)
    rows = []
    while len(customer):
        rows.append(pd.DataFrame({"customer_id": customer, "t": t}))
        stays = rng.random(len(customer)) >= LEAVE
        customer, t = customer[stays], t[stays] + rng.gamma(SHAPE, SCALE, int(stays.sum()))
        customer, t = customer[t <= span], t[t <= span]
    log = pd.concat(rows, ignore_index=True)
    start = pd.Timestamp("2020-01-01")
    log["ordered_at"] = start + pd.to_timedelta(np.floor(log["t"]), unit="D")
    return log.drop(columns="t"), start + pd.Timedelta(days=span)


def test_spells_by_hand():
    times = ["2025-01-01 09:00", "2025-01-01 17:00", "2025-01-11", "2025-02-10", "2025-01-20", "2025-03-01"]
    orders = pd.DataFrame({"customer_id": [1, 1, 1, 1, 2, 3], "ordered_at": pd.to_datetime(times, format="ISO8601")})
    spells = co.purchase_spells(orders, status=None, tz="UTC", end="2025-03-01")
    assert spells["customer_id"].tolist() == [1, 1, 1, 2, 3]  # two orders on 1 January are one visit
    assert spells["days"].tolist() == [10, 30, 19, 40, 0]  # 10 Feb -> 1 Mar; 20 Jan -> 1 Mar; bought on the end day
    assert spells["returned"].tolist() == [True, True, False, False, False]


def test_kaplan_meier_by_hand():
    """Spells of 10 (return), 30 (return), 19, 40 and 0 days (open), worked out by hand."""
    spells = pd.DataFrame({"days": [10, 30, 19, 40, 0], "returned": [True, True, False, False, False]})
    table = co.next_purchase_survival(spells)
    assert table.index.tolist() == [0, 10, 19, 30, 40]
    assert table["at_risk"].tolist() == [5, 4, 3, 2, 1]
    # S(10) = 1 - 1/4 = 0.75 (the spell of 0 days ended before day 10); S(30) = 0.75 * (1 - 1/2) = 0.375.
    assert table["survival"].tolist() == pytest.approx([1.0, 0.75, 0.75, 0.375, 0.375])
    # Returns seen: 62.5 % of spells by day 30; by day 10, 0.25 / 0.625 = 40 % of them.
    assert table["share_of_returns"].tolist() == pytest.approx([0.0, 0.4, 0.4, 1.0, 1.0])
    assert co.survival_lapse_window(table, share=0.4) == 10
    assert co.survival_lapse_window(table, share=0.9) == 30
    # Dropping the open spells (the pooled gaps) would say both returns are all there is: S(10) = 0.5.


def test_kaplan_meier_equals_statsmodels():
    rng = np.random.default_rng(7)
    spells = pd.DataFrame({"days": rng.integers(0, 60, 400), "returned": rng.random(400) < 0.7})
    table = co.next_purchase_survival(spells)
    reference = SurvfuncRight(spells["days"].to_numpy(), spells["returned"].to_numpy().astype(int))
    ours = table.loc[reference.surv_times, "survival"].to_numpy()
    np.testing.assert_allclose(ours, reference.surv_prob, rtol=1e-12)
    np.testing.assert_array_equal(table.loc[reference.surv_times, "at_risk"], reference.n_risk)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pooled_quantile_is_short_and_kaplan_meier_recovers_the_truth(seed):
    truth = stats.gamma(SHAPE, scale=SCALE).ppf(0.9)  # 90 % of the waits that end in a return are shorter
    orders, end = _simulate(seed)
    pooled = co.lapse_window(co.purchase_gaps(orders, status=None, tz="UTC", end=end), quantile=0.9)
    survival = co.next_purchase_survival(co.purchase_spells(orders, status=None, tz="UTC", end=end))
    window = co.survival_lapse_window(survival, share=0.9)
    assert pooled < 0.85 * truth, (pooled, truth)  # biased short: long waits cut off by the end of the data
    assert window == pytest.approx(truth, rel=0.07), (window, truth)
    # The survival curve's own 90 % quantile (10 % still waiting) never comes: a quarter never return.
    assert survival["survival"].min() > 0.15


def test_errors_say_what_to_pass():
    with pytest.raises(TypeError, match="purchase_spells"):
        co.next_purchase_survival(pd.DataFrame({"gap_days": [1]}))
    with pytest.raises(ValueError, match="between 0 and 1"):
        co.survival_lapse_window(co.next_purchase_survival(pd.DataFrame({"days": [3], "returned": [True]})), 90)
    with pytest.raises(ValueError, match="no customer bought twice"):
        co.survival_lapse_window(co.next_purchase_survival(pd.DataFrame({"days": [3], "returned": [False]})))
