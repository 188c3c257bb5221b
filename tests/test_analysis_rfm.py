"""RFM summaries: identical to lifetimes on the real CDNOW log, hand-checked on tiny data."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from crmlab.analysis.rfm import customer_summary, rfm_summary
from crmlab.conventions import COURSE
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
    with pytest.raises(TypeError, match="`transactions` must be a DataFrame, but a list"):
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


# ---------------------------------------------------------------- scores: quantiles that survive ties

from crmlab.analysis.rfm import (  # noqa: E402 (the scoring half of the module)
    SEGMENTS,
    Segment,
    quantile_score,
    rfm_scores,
    rfm_segments,
    rfm_table,
    segment_grid,
    segment_heatmap,
    segment_profile,
    segment_rules,
    targeting_list,
)


def test_quantile_score_by_hand():
    values = pd.Series([50, 10, 40, 20, 30, 60, 70, 80, 90, 100], index=range(101, 111), name="spend")
    scores = quantile_score(values)
    assert scores.index.equals(values.index) and scores.name == "spend"
    assert scores.tolist() == [3, 1, 2, 1, 2, 3, 4, 4, 5, 5]
    assert quantile_score(values, higher_is_better=False).tolist() == [3, 5, 4, 5, 4, 3, 2, 2, 1, 1]
    assert quantile_score(values, bins=2).value_counts().to_dict() == {1: 5, 2: 5}


def test_ties_min_by_hand():
    """Equal values share a score: 1 + floor(bins * customers with a smaller value / customers)."""
    orders = pd.Series([4, 1, 9, 2, 1, 3, 5, 2, 1, 4], index=[17, 12, 20, 14, 11, 16, 19, 15, 13, 18], name="n")
    # below: 1 -> 0 customers, 2 -> 3, 3 -> 5, 4 -> 6, 5 -> 8, 9 -> 9; score = 1 + 5 * below // 10
    expected = {1: 1, 2: 1 + 15 // 10, 3: 1 + 25 // 10, 4: 1 + 30 // 10, 5: 1 + 40 // 10, 9: 1 + 45 // 10}
    assert expected == {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 9: 5}
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every score is used: no warning
        scores = quantile_score(orders)
    assert scores.index.equals(orders.index) and scores.to_dict() == {i: expected[v] for i, v in orders.items()}
    # recency: fewer days is better; three customers tie on 10 days and share the score of their block
    days = pd.Series([10, 10, 10, 500], index=[1, 2, 3, 4], name="days")
    with pytest.warns(UserWarning, match=r"scores \[3, 4\] hold no customer: 3 of the 4 customers share one value"):
        assert quantile_score(days, bins=4, higher_is_better=False).to_dict() == {1: 2, 2: 2, 3: 2, 4: 1}


def _smaller_count_scores(values: pd.Series, bins: int = 5, higher_is_better: bool = True) -> pd.Series:
    """The oracle, without ranks: count for each customer the customers with a strictly worse value."""
    v = values.to_numpy() if higher_is_better else -values.to_numpy()
    below = (v[None, :] < v[:, None]).sum(axis=1)
    return pd.Series(1 + bins * below // len(v), index=values.index)


def test_default_scores_do_not_depend_on_row_order_or_customer_ids(course):
    """Shuffle the rows and renumber the customers: every customer keeps their scores and segment."""
    _, summary, table = course
    for column, better in [("days_since_last_order", False), ("n_orders", True), ("total_spend", True)]:
        score = {"days_since_last_order": "r_score", "n_orders": "f_score", "total_spend": "m_score"}[column]
        assert table[score].equals(_smaller_count_scores(summary[column], higher_is_better=better)), score
        assert table.groupby(column)[score].nunique().eq(1).all()  # equal values, one score
    rng = np.random.default_rng(11)
    for _ in range(3):
        rows = rng.permutation(len(summary))
        new_ids = rng.permutation(summary.index.to_numpy()) + 10_000
        renumbered = summary.iloc[rows].set_axis(pd.Index(new_ids, name="customer_id"))
        again = rfm_table(renumbered)
        back = again.set_axis(summary.index[rows]).sort_index()  # each row back under its customer's old id
        assert back["segment"].astype(str).equals(table["segment"].astype(str))
        assert back["rfm_code"].equals(table["rfm_code"])


def test_ties_first_moves_customers_when_only_the_ids_change(course):
    """The old rule: equal customers are split by id, so renumbering moves them (the reason it is not the default)."""
    from crmlab.analysis.rfm import id_order_moves

    _, summary, _ = course
    campaign = ["New", "Cannot lose", "At risk"]
    moves = id_order_moves(summary, "first", campaign=campaign, repeats=5, seed=1)
    assert (moves["moved"] > 0).all() and (moves["campaign_changed"] > 0).all()
    assert (moves["campaign_changed"] <= moves["moved"]).all()  # entering or leaving means changing segment
    # the same count by hand for one renumbering: reversing the ids
    with pytest.warns(UserWarning, match="ties='first'"):
        first = rfm_table(summary, ties="first")["segment"].astype(str)
        flipped = rfm_table(summary.set_axis(pd.Index(summary.index[::-1], name="customer_id")), ties="first")
    flipped_back = flipped["segment"].astype(str).set_axis(summary.index)
    assert (flipped_back != first).sum() > 0
    steady = id_order_moves(summary, campaign=campaign, repeats=5, seed=1)
    assert steady["moved"].eq(0).all() and steady["campaign_changed"].eq(0).all()
    with pytest.raises(ValueError, match="`repeats` must be a whole number of at least 1, but 0"):
        id_order_moves(summary, repeats=0)


def test_ties_first_breaks_ties_by_customer_id_whatever_the_row_order():
    orders = pd.Series([1, 1, 1, 1, 2, 3], index=[13, 16, 14, 15, 12, 11], name="n_orders")
    with pytest.warns(UserWarning, match=r"'n_orders', ties='first'\): 4 of the 6 customers got a score decided"):
        scores = quantile_score(orders, bins=3, ties="first")
    assert scores.to_dict() == {13: 1, 14: 1, 15: 2, 16: 2, 12: 3, 11: 3}  # lower id, lower score
    shuffled = orders.sample(frac=1.0, random_state=5)
    with pytest.warns(UserWarning):
        assert quantile_score(shuffled, bins=3, ties="first").sort_index().equals(scores.sort_index())
    # for recency (fewer days is better) the lower id also gets the lower score among equals
    days = pd.Series([10, 10, 10, 500], index=[1, 2, 3, 4])
    with pytest.warns(UserWarning, match="3 of the 4 customers"):
        assert quantile_score(days, bins=4, higher_is_better=False, ties="first").to_dict() == {1: 2, 2: 3, 3: 4, 4: 1}


def test_ties_min_shares_scores_and_says_which_are_empty():
    orders = pd.Series([3, 2, 1, 1, 1, 1], index=[11, 12, 13, 14, 15, 16], name="n_orders")
    with pytest.warns(UserWarning, match=r"scores \[2\] hold no customer: 4 of the 6") as caught:
        scores = quantile_score(orders, bins=3, ties="min")
    assert "ties='first'" not in str(caught[0].message)  # no advice to let the ids decide
    assert scores.tolist() == [3, 3, 1, 1, 1, 1]
    spread = pd.Series([1, 2, 3, 4, 5, 6])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no tie, no warning, with either rule
        assert quantile_score(spread, bins=3, ties="min").tolist() == [1, 1, 2, 2, 3, 3]
        assert quantile_score(spread, bins=3, ties="first").tolist() == [1, 1, 2, 2, 3, 3]
    with pytest.warns(UserWarning, match=r"scores \[3, 5\] hold no customer: there are only 3 customers for 5"):
        assert quantile_score(pd.Series([7, 8, 9])).tolist() == [1, 2, 4]  # 1 + 5k // 3 for k = 0, 1, 2


@pytest.mark.parametrize(("args", "error", "match"), [
    (([1, 2, 3],), TypeError, r"`values` must be a pandas Series.*but a list"),
    ((pd.Series([1, 2]), 5, "average"), ValueError, r"`ties` must be one of \['min', 'first'\], but 'average'"),
    ((pd.Series([1, 2]), 1), ValueError, r"`bins` must be a whole number of at least 2, but 1"),
    ((pd.Series([1, None, 3], name="spend"),), ValueError, r"'spend'.*none missing"),
    ((pd.Series(["a", "b"]),), ValueError, "must hold numbers"),
])
def test_quantile_score_errors(args, error, match):
    with pytest.raises(error, match=match):
        quantile_score(*args)


def test_cdnow_ties_break_qcut_but_not_our_scores(cdnow):
    """Half of CDNOW's customers never came back: frequency's quantile edges collide."""
    summary = rfm_summary(cdnow, monetary_value_col="amount", observation_period_end="1998-06-30")
    frequency = summary["frequency"]
    assert (frequency == 0).mean() == pytest.approx(0.511, abs=0.001)
    with pytest.raises(ValueError, match="Bin edges must be unique"):
        pd.qcut(frequency, 5)
    dropped = pd.qcut(frequency, 5, duplicates="drop")
    assert dropped.cat.categories.size == 3  # silently fewer bins: the trap
    with pytest.warns(UserWarning, match=r"scores \[2\] hold no customer"):
        shared = quantile_score(frequency)  # the default: equal values share a score
    assert shared[frequency == 0].unique().tolist() == [1]
    assert sorted(shared.unique()) == [1, 3, 4, 5]
    assert shared.equals(_smaller_count_scores(frequency))
    assert frequency.groupby(shared).max().is_monotonic_increasing  # a higher score never means fewer purchases
    with pytest.warns(UserWarning, match="ties='first'"):
        split = quantile_score(frequency, ties="first")
    assert split.value_counts().to_dict() == {1: 4714, 2: 4714, 3: 4714, 4: 4714, 5: 4714}
    assert split.groupby(frequency).nunique().loc[0] == 3  # the price: frequency 0 spans scores 1-3, by id


def test_rfm_scores_by_hand():
    summary = pd.DataFrame(
        {"days_since_last_order": [5, 300, 40, 90, 700], "n_orders": [9, 1, 4, 2, 1],
         "total_spend": [900, 20, 350, 80, 15]},
        index=pd.Index([1, 2, 3, 4, 5], name="customer_id"),
    )
    out = rfm_scores(summary)
    assert out.columns.tolist() == ["r_score", "f_score", "m_score", "rfm_code"]
    assert out["r_score"].tolist() == [5, 2, 4, 3, 1]  # fewest days since the last order scores highest
    assert out["f_score"].tolist() == [5, 1, 4, 3, 1]  # customers 2 and 5 tie on one order: both score 1
    assert out["rfm_code"].tolist() == ["555", "212", "444", "333", "111"]
    with pytest.raises(KeyError, match=r"`frequency` must be a column of `summary`, but 'orders' was passed"):
        rfm_scores(summary, frequency="orders")


def test_rfm_scores_from_the_lifetimes_summary():
    tx = pd.DataFrame({"customer_id": [1, 1, 2, 3, 3, 3],
                       "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-02-01", "2024-01-05", "2024-02-05",
                                               "2024-03-20"]),
                       "amount": [10.0, 20.0, 5.0, 7.0, 8.0, 9.0]})
    s = rfm_summary(tx, monetary_value_col="amount", observation_period_end="2024-03-31")
    s["days_since_last"] = s["T"] - s["recency"]
    out = rfm_scores(s, recency="days_since_last", frequency="frequency", monetary="monetary_value", bins=3)
    assert out["r_score"].tolist() == [2, 1, 3] and out["f_score"].tolist() == [2, 1, 3]


# ---------------------------------------------------------------- segments


def test_every_cell_of_the_grid_has_exactly_one_segment():
    grid = segment_grid()
    assert grid.shape == (5, 5) and grid.notna().all().all()
    assert grid.index.tolist() == [5, 4, 3, 2, 1] and grid.columns.tolist() == [1, 2, 3, 4, 5]
    assert set(grid.stack()) == {s.name for s in SEGMENTS}
    assert grid.loc[5, 5] == grid.loc[4, 4] == "Champions"
    assert grid.loc[3, 5] == grid.loc[5, 3] == "Loyal"
    assert grid.loc[1, 5] == "Cannot lose" and grid.loc[2, 3] == "At risk"
    assert grid.loc[5, 1] == "New" and grid.loc[1, 1] == "Lost" and grid.loc[2, 2] == "Hibernating"
    counts = grid.stack().value_counts()
    assert counts.sum() == 25 and counts["Champions"] == 4 and counts["Loyal"] == 5


def test_segment_rules_are_documented():
    rules = segment_rules()
    assert rules.index.tolist() == [s.name for s in SEGMENTS]
    assert rules.loc["Champions", ["R", "F"]].tolist() == ["4-5", "4-5"]
    assert rules.loc["New", ["R", "F"]].tolist() == ["4-5", "1"]
    assert rules["action"].str.len().min() > 20 and rules["who"].str.len().min() > 10


def test_rfm_segments_and_their_errors():
    scores = pd.DataFrame({"r_score": [5, 1, 2, 3, 4], "f_score": [5, 1, 4, 1, 2]}, index=[7, 8, 9, 10, 11])
    segments = rfm_segments(scores)
    assert segments.tolist() == ["Champions", "Lost", "At risk", "Needs attention", "Promising"]
    assert segments.cat.categories.tolist() == [s.name for s in SEGMENTS] and segments.cat.ordered
    with pytest.raises(ValueError, match=r"from 1 to 5, but customer 8 has \(6, 1\)"):
        rfm_segments(scores.assign(r_score=[5, 6, 2, 3, 4]))
    gap = [Segment("Good", (3, 5), (1, 5), "recent", "thank them")]
    with pytest.raises(ValueError, match="No segment rule covers R=2, F=1"):
        rfm_segments(scores, gap)


@pytest.fixture(scope="module")
def course():
    import crmlab

    crm = crmlab.load_crm(tables=["orders", "customers"])
    done = crm.orders[crm.orders["status"] == "completed"]
    local = done.assign(ordered_on=done["ordered_at"].dt.tz_convert("Asia/Tehran"))
    summary = customer_summary(local, datetime_col="ordered_on", as_of="2025-12-31")
    return crm, summary, rfm_table(summary)


def test_local_dates_change_the_summary(course):
    crm, summary, _ = course
    done = crm.orders[crm.orders["status"] == "completed"]
    utc = customer_summary(done, as_of="2025-12-31")
    moved = (utc["days_since_last_order"] != summary["days_since_last_order"]).sum()
    assert 30 < moved < 1000  # orders placed between local midnight and 03:30 UTC fall on another day
    late = done["ordered_at"].dt.tz_convert("Asia/Tehran").dt.hour < 4
    assert late.any()


def test_rfm_table_on_the_course_data(course):
    crm, summary, table = course
    buyers = crm.orders.loc[crm.orders["status"] == "completed", "customer_id"].nunique()
    assert len(table) == summary.shape[0] == buyers
    sizes = table["segment"].value_counts()
    assert sizes.sum() == buyers and (sizes > 0).all()
    for score in ["r_score", "f_score", "m_score"]:
        assert sorted(table[score].unique()) == [1, 2, 3, 4, 5]  # the five scores survive the ties
        assert table[score].value_counts().max() < 0.4 * len(table)
    assert (table.loc[table["n_orders"] == 1, "f_score"] == 1).all()  # one-time buyers always score F 1
    medians = table.groupby("segment", observed=True)[["days_since_last_order", "n_orders"]].median()
    assert medians.loc["Champions", "days_since_last_order"] < 60 < 365 < medians.loc["Lost", "days_since_last_order"]
    assert medians.loc["Champions", "n_orders"] >= 8 > 2 >= medians.loc["New", "n_orders"]
    assert medians.loc["Cannot lose", "n_orders"] > medians.loc["At risk", "n_orders"] > medians.loc["Lost", "n_orders"]


def test_business_customers_score_higher_on_frequency(course):
    """Planted in the generator: enterprises order 5.0 times a year, small businesses 3.5, consumers 2.2."""
    crm, _, table = course
    segment = crm.customers.set_index("customer_id")["segment"].reindex(table.index)
    mean_f = table["f_score"].groupby(segment).mean()
    assert mean_f["enterprise"] > mean_f["small_business"] + 0.15
    assert mean_f["small_business"] > mean_f["consumer"] + 0.3


# ---------------------------------------------------------------- targeting lists


def test_targeting_list_by_hand():
    rfm = pd.DataFrame({"segment": ["At risk", "At risk", "Champions", "At risk"], "m_score": [5, 3, 5, 5],
                        "days_since_last_order": [400, 380, 12, 390], "n_orders": [8, 6, 20, 1],
                        "total_spend": [250_000, 90_000, 800_000, 300_000]},
                       index=pd.Index([1, 2, 3, 4], name="customer_id"))
    customers = pd.DataFrame({"customer_id": [4, 3, 2, 1], "first_name": ["Mina", "Reza", "Sara", "Ali"],
                              "last_name": ["Rahimi", "Moradi", "Ahmadi", "Karimi"], "company_name": [None] * 4,
                              "email": ["m@x.ir", "r@x.ir", "s@x.ir", "a@x.ir"],
                              "phone": ["+98911", "+98914", "+98913", "+98912"],
                              "consent_email": [False, True, False, True], "consent_sms": [False, False, True, False]})
    everyone = targeting_list(rfm, customers, consented_only=False)
    assert everyone.index.tolist() == [3, 4, 1, 2]  # Champions first, then At risk by M score and spend
    assert everyone["priority"].tolist() == [1, 1, 2, 3]
    # the course's currency by default: 300,000 whole rials (no minor unit to divide by)
    assert everyone.loc[4, "reason"] == "1 order, the last 390 days ago; IRR 300,000 spent"
    assert everyone["contact_by"].tolist() == ["email", "none", "email", "sms"]
    assert everyone.loc[2, "first_name"] == "Sara"
    assert everyone.loc[1, "action"] == next(s.action for s in SEGMENTS if s.name == "At risk")
    at_risk = targeting_list(rfm, customers, segments=["At risk"])
    assert at_risk.index.tolist() == [1, 2] and at_risk.attrs["without_consent"] == 1
    with pytest.raises(ValueError, match=r"`segments` must be among \[.*\], but \['At Risk'\] was passed"):
        targeting_list(rfm, customers, segments=["At Risk"])
    with pytest.raises(KeyError, match="`consent_sms` must be a column of `customers`"):
        targeting_list(rfm, customers.drop(columns="consent_sms"))


@pytest.mark.parametrize(("currency", "minor_unit", "spent"), [
    ("GBP", 2, ["GBP 2,500", "GBP 900", "GBP 12"]),        # pence: 250,000 / 100; 1,150 pence = 11.50, rounded up
    ("IRR", 0, ["IRR 250,000", "IRR 90,000", "IRR 1,150"]),  # rials have no minor unit
    ("BHD", 3, ["BHD 250", "BHD 90", "BHD 1"]),            # fils: 250,000 / 1,000; 1.150 dinars
])  # fmt: skip
def test_targeting_reasons_in_the_data_currency_by_hand(currency, minor_unit, spent):
    rfm = pd.DataFrame({"segment": ["At risk"] * 3, "m_score": [5, 3, 1], "days_since_last_order": [400, 380, 390],
                        "n_orders": [8, 6, 1], "total_spend": [250_000, 90_000, 1_150]},
                       index=pd.Index([1, 2, 3], name="customer_id"))  # fmt: skip
    customers = pd.DataFrame({"customer_id": [1, 2, 3], "first_name": ["A", "B", "C"], "last_name": ["X", "Y", "Z"],
                              "company_name": [None] * 3, "email": ["a@x", "b@x", "c@x"], "phone": ["1", "2", "3"],
                              "consent_email": [True] * 3, "consent_sms": [False] * 3})  # fmt: skip
    shop = dataclasses.replace(COURSE, currency=currency, minor_unit=minor_unit)
    reasons = targeting_list(rfm, customers, conventions=shop)["reason"]
    assert reasons.str.split("; ").str[1].tolist() == [f"{s} spent" for s in spent]
    in_major = rfm.assign(total_spend=rfm["total_spend"] / 10**minor_unit)  # the same spend, already in major units
    assert targeting_list(rfm, customers, conventions=shop).equals(
        targeting_list(in_major, customers, minor_units=False, conventions=shop))


def test_targeting_lists_on_the_course_data(course):
    crm, _, table = course
    targets = targeting_list(table, crm.customers, segments=["Cannot lose", "At risk"])
    sizes = table["segment"].value_counts()
    assert len(targets) + targets.attrs["without_consent"] == sizes["Cannot lose"] + sizes["At risk"]
    assert set(targets["contact_by"]) == {"email", "sms"}
    assert targets["segment"].iloc[0] == "Cannot lose" and targets["segment"].iloc[-1] == "At risk"
    first = targets.groupby("segment")["priority"].min()
    assert (first == 1).all()
    top = targets.index[0]
    assert table.loc[top, "m_score"] == table.loc[table["segment"] == "Cannot lose", "m_score"].max()
    assert targets["reason"].str.match(r"\d+ orders?, the last \d+ days ago; IRR [\d,]+ spent$").all()  # rials
    # text message first (the course's company is Iranian), e-mail for those who agreed to e-mail only:
    # recounted from the consent columns with plain pandas
    people = crm.customers.set_index("customer_id").loc[targets.index]
    sms, email = people["consent_sms"].astype(bool), people["consent_email"].astype(bool)
    assert (targets["contact_by"] == "sms").sum() == sms.sum()
    assert (targets["contact_by"] == "email").sum() == (email & ~sms).sum()
    mailing_first = targeting_list(table, crm.customers, segments=["Cannot lose", "At risk"], channels=("email", "sms"))
    assert (mailing_first["contact_by"] == "email").sum() == email.sum()
    assert mailing_first.index.equals(targets.index)  # the same people, only the channel differs


def test_targeting_channel_order_by_hand():
    rfm = pd.DataFrame({"segment": ["At risk"] * 4, "m_score": [5, 4, 3, 2], "days_since_last_order": [400] * 4,
                        "n_orders": [2] * 4, "total_spend": [100] * 4},
                       index=pd.Index([1, 2, 3, 4], name="customer_id"))  # fmt: skip
    customers = pd.DataFrame({"customer_id": [1, 2, 3, 4], "first_name": list("ABCD"), "last_name": list("WXYZ"),
                              "company_name": [None] * 4, "email": list("abcd"), "phone": list("1234"),
                              "consent_email": [True, True, False, False], "consent_sms": [True, False, True, False],
                              "consent_whatsapp": [False, False, False, True]})  # fmt: skip
    default = targeting_list(rfm, customers, consented_only=False)["contact_by"].tolist()
    assert default == ["sms", "email", "sms", "none"]
    mailing = targeting_list(rfm, customers, consented_only=False, channels=("email", "sms"))["contact_by"].tolist()
    assert mailing == ["email", "email", "sms", "none"]
    own = targeting_list(rfm, customers, consented_only=False, channels=["whatsapp", "email"])["contact_by"].tolist()
    assert own == ["email", "email", "none", "whatsapp"]  # a company's own channel, through its consent column
    for bad in [(), ("sms", "sms"), ("sms", 3), ("none",)]:
        with pytest.raises(ValueError, match="`channels`"):
            targeting_list(rfm, customers, channels=bad)
    with pytest.raises(KeyError, match="`consent_fax` must be a column of `customers`"):
        targeting_list(rfm, customers, channels=("fax",))


def test_segment_profile_by_hand_and_on_the_course_data(course):
    segment = pd.Categorical(["Lost", "Champions", "Lost"], categories=["Champions", "Lost"])
    tiny = pd.DataFrame({"segment": segment, "days_since_last_order": [500, 10, 700], "n_orders": [1, 9, 2],
                         "total_spend": [100, 800, 100]})
    out = segment_profile(tiny)
    assert out.index.tolist() == ["Champions", "Lost"]
    assert out["customers"].tolist() == [1, 2] and out["median_days_since_last_order"].tolist() == [10.0, 600.0]
    assert out["share_of_revenue"].tolist() == [0.8, 0.2]
    _, _, table = course
    profile = segment_profile(table)
    assert profile.index.tolist() == [s.name for s in SEGMENTS]
    assert profile[["share_of_customers", "share_of_revenue"]].sum().tolist() == pytest.approx([1, 1])
    top = profile.loc["Champions"]
    assert 0.18 < top["share_of_customers"] < 0.25 and top["share_of_revenue"] > 2 * top["share_of_customers"]
    assert profile.loc["Lost", "share_of_revenue"] < profile.loc["Lost", "share_of_customers"] / 2


def test_segment_heatmap_names_and_counts_every_cell(course):
    _, _, table = course
    ax = segment_heatmap(table)
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 25
    counts = pd.crosstab(table["r_score"], table["f_score"])
    assert texts[0] == f"New\n{counts.loc[5, 1]}" and texts[4] == f"Champions\n{counts.loc[5, 5]}"
    assert texts[-1] == f"Cannot lose\n{counts.loc[1, 5]}"
    assert sum(int(t.split("\n")[1]) for t in texts) == len(table)
    names = [t.split("\n")[0] for t in texts]
    colours = {name: tuple(c) for name, c in zip(names, ax.collections[0].get_facecolors(), strict=True)}
    assert len(set(colours.values())) == len(SEGMENTS)  # one colour per segment
