"""RFM summaries: identical to lifetimes on the real CDNOW log, hand-checked on tiny data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlab.analysis.rfm import customer_summary, rfm_summary
from crmlab.datasets import load_cdnow


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow()


@pytest.mark.parametrize("freq", ["D", "W"])
def test_matches_lifetimes_on_cdnow(cdnow, freq):
    from lifetimes.utils import summary_data_from_transaction_data  # the reference implementation

    expected = summary_data_from_transaction_data(
        cdnow, "customer_id", "date", monetary_value_col="amount", observation_period_end="1998-06-30", freq=freq
    )
    shuffled = cdnow.sample(frac=1.0, random_state=3)  # order must not matter
    ours = rfm_summary(shuffled, "customer_id", "date", "amount", observation_period_end="1998-06-30", freq=freq)
    assert len(ours) == len(expected) == 23_570
    assert (ours.index.to_numpy() == expected.index.to_numpy()).all()
    for col in ["frequency", "recency", "T"]:
        assert (ours[col].to_numpy() == expected[col].to_numpy()).all(), col
    np.testing.assert_allclose(ours["monetary_value"], expected["monetary_value"], rtol=0, atol=1e-9)


def test_matches_lifetimes_on_the_calibration_period(cdnow):
    from lifetimes.utils import summary_data_from_transaction_data  # the reference implementation

    early = cdnow[cdnow["date"] <= "1997-09-30"]
    expected = summary_data_from_transaction_data(early, "customer_id", "date", observation_period_end="1997-09-30")
    with pytest.warns(UserWarning, match="dropped"):
        ours = rfm_summary(cdnow, observation_period_end="1997-09-30")
    assert ours.attrs["dropped_rows"] == len(cdnow) - len(early)
    pd.testing.assert_frame_equal(ours, expected, check_names=False)


def test_tiny_example_by_hand():
    tx = pd.DataFrame({
        "customer_id": [1, 1, 1, 1, 2, 3, 3],
        "date": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 17:00", "2024-01-03", "2024-01-10",
                                "2024-01-05", "2024-01-02", "2024-01-02"], format="mixed"),
        "amount": [10.0, 5.0, 20.0, 40.0, 8.0, 1.0, 2.0],
    })
    out = rfm_summary(tx, monetary_value_col="amount", observation_period_end="2024-01-31")
    assert out.loc[1].tolist() == [2.0, 9.0, 30.0, 30.0]  # two repeat days: (20 + 40) / 2
    assert out.loc[2].tolist() == [0.0, 0.0, 26.0, 0.0]
    assert out.loc[3].tolist() == [0.0, 0.0, 29.0, 0.0]  # two orders on one day: one period
    weekly = rfm_summary(tx, observation_period_end="2024-01-31", freq="W")
    assert weekly.loc[1].tolist() == [1.0, 1.0, 4.0]  # weeks of 1 Jan and 8 Jan; 29 Jan is week 4


def test_time_zone_aware_dates_use_their_own_clock():
    tx = pd.DataFrame({"customer_id": [1, 1], "date": pd.to_datetime(["2024-03-01 23:30", "2024-03-02 00:30"])})
    aware = tx.assign(date=tx["date"].dt.tz_localize("Asia/Tehran"))
    assert rfm_summary(aware).loc[1, "frequency"] == rfm_summary(tx).loc[1, "frequency"] == 1.0


def test_missing_values_are_dropped_and_counted():
    tx = pd.DataFrame({"customer_id": [1, None, 1], "date": pd.to_datetime(["2024-01-01", "2024-01-02", None])})
    with pytest.warns(UserWarning, match="dropped 2 of 3 transactions"):
        out = rfm_summary(tx, observation_period_end="2024-01-10")
    assert out.attrs["dropped_rows"] == 2 and out.loc[1, "T"] == 9.0


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"freq": "M"}, ValueError, r"`freq` must be one of \['D', 'W'\], but 'M'"),
    ({"customer_id_col": "client"}, KeyError, r"`customer_id_col` must be a column of `transactions`"),
    ({"monetary_value_col": "price"}, KeyError, r"'price' was passed. Its columns are"),
])
def test_clear_errors(kwargs, error, match):
    tx = pd.DataFrame({"customer_id": [1], "date": pd.to_datetime(["2024-01-01"])})
    with pytest.raises(error, match=match):
        rfm_summary(tx, **kwargs)


def test_wrong_input_type():
    with pytest.raises(TypeError, match="`transactions` must be a pandas DataFrame, but a list"):
        rfm_summary([1, 2, 3])


def test_text_dates_are_read_or_explained():
    tx = pd.DataFrame({"customer_id": [1, 1], "date": ["2024-01-01", "2024-01-05"]})
    assert rfm_summary(tx).loc[1, "recency"] == 4.0
    with pytest.raises(ValueError, match="cannot be read as a date"):
        rfm_summary(pd.DataFrame({"customer_id": [1], "date": ["soon"]}))


def test_customer_summary_on_the_course_data():
    import crmlab

    crm = crmlab.load_crm(tables=["orders"])
    out = customer_summary(crm.orders, as_of="2025-12-31")
    assert out["n_orders"].sum() == len(crm.orders)
    assert out["total_spend"].sum() == crm.orders["total_cents"].sum()
    assert out["days_since_last_order"].min() >= 0
    busiest = crm.orders["customer_id"].value_counts().idxmax()
    assert out.loc[busiest, "n_orders"] == crm.orders["customer_id"].value_counts().max()
