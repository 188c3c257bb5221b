"""Churn: features without leaks, labels, the time split, models, gains, reasons, and the planted drivers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import brier_score_loss, roc_auc_score

from crmlab.analysis import churn
from crmlab.conventions import COURSE
from crmlab.datasets.crm import CRM

#: The course's generator sets consent and segment at sign-up and never changes them: declared stable.
STABLE = ["consent_email", "segment"]
#: The generic company's conventions (the course's before it became the Iranian retailer): US cents, Tehran's clock.
GENERIC = dataclasses.replace(COURSE, currency="USD", minor_unit=2)


def _utc(values):
    """Instants written in UTC."""
    return pd.to_datetime(values, utc=True)


@pytest.fixture
def tiny():
    """Five customers around the cutoff 2025-06-30 (Tehran), which ends at 2025-06-30 20:30 UTC."""
    customers = pd.DataFrame({
        "customer_id": [1, 2, 3, 4, 5],
        "segment": ["consumer", "enterprise", "consumer", "small_business", "consumer"],
        "signup_date": pd.to_datetime(["2025-01-01", "2024-06-30", "2025-07-15", "2023-01-01", "2025-02-01"]),
        "consent_email": [True, False, True, True, True],
    })
    orders = pd.DataFrame({
        "order_id": range(1, 9),
        "customer_id": [1, 1, 1, 2, 2, 4, 2, 4],
        "ordered_at": _utc(["2025-01-10 10:00", "2025-06-30 19:00", "2025-06-30 21:00", "2025-03-01 10:00",
                            "2025-04-01 10:00", "2024-01-10 10:00", "2025-08-01 10:00", "2025-12-01 10:00"]),
        "channel": ["web", "store", "call_centre", "field_sales", "web", "store", "web", "store"],
        "status": ["completed", "completed", "completed", "completed", "cancelled", "completed", "completed",
                   "completed"],
        "total_cents": [10000, 30000, 99900, 50000, 2000, 5000, 7000, 100],
    })
    orders = pd.concat([orders, pd.DataFrame({
        "order_id": [9], "customer_id": [5], "ordered_at": _utc(["2025-05-05 10:00"]), "channel": ["web"],
        "status": ["completed"], "total_cents": [1500]})], ignore_index=True)
    tickets = pd.DataFrame({
        "ticket_id": [1, 2, 3, 4, 5],
        "customer_id": [1, 1, 2, 2, 2],
        "created_at": _utc(["2025-05-01 08:00", "2025-06-30 18:00", "2025-06-01 08:00", "2025-06-20 08:00",
                            "2025-06-28 00:00"]),
        "first_response_at": _utc(["2025-05-01 20:00", "2025-07-03 08:00", "2025-06-01 09:00", "2025-06-20 09:00",
                                   None]),
        "resolved_at": _utc(["2025-05-02 08:00", "2025-07-04 08:00", "2025-06-02 08:00", "2025-07-05 08:00", None]),
        "sla_hours": [4, 24, 8, 8, 4],
        "contacts_to_resolve": pd.array([1, 2, 1, 3, None], dtype="Int16"),
        "satisfaction": pd.array([4, 1, 2, 1, None], dtype="Int8"),
    })
    interactions = pd.DataFrame({
        "interaction_id": [1, 2, 3],
        "customer_id": [1, 1, 2],
        "channel": ["mail", "advertising", "call_centre"],
        "occurred_at": _utc(["2025-02-01 10:00", "2025-08-01 10:00", "2025-02-01 10:00"]),
    })
    return {"customers": customers, "orders": orders, "tickets": tickets, "interactions": interactions}


# ---------------------------------------------------------------- the snapshot and the features, by hand


def test_crm_as_of_by_hand(tiny):
    past = churn.crm_as_of(tiny, "2025-06-30")
    assert past["customers"]["customer_id"].tolist() == [1, 2, 4, 5]  # 3 signed up later
    assert 3 not in past["orders"]["order_id"].tolist()  # 21:00 UTC is 00:30 on 1 July in Tehran
    assert 2 in past["orders"]["order_id"].tolist()  # 19:00 UTC is 22:30 on 30 June
    t = past["tickets"].set_index("ticket_id")
    assert t.loc[2, ["first_response_at", "resolved_at"]].isna().all()  # answered and solved later
    assert pd.isna(t.loc[2, "satisfaction"]) and pd.isna(t.loc[4, "satisfaction"])  # scored after resolution
    assert t.loc[3, "satisfaction"] == 2 and t.loc[1, "contacts_to_resolve"] == 1
    assert past["interactions"]["interaction_id"].tolist() == [1, 3]
    assert tiny["tickets"].loc[1, "satisfaction"] == 1  # the input is not modified


def test_features_by_hand(tiny):
    f = churn.churn_features(tiny, "2025-06-30", stable_fields=STABLE)
    assert list(f.index) == [1, 2, 5]  # 3 not yet a customer, 4 inactive for 537 days
    assert list(f.columns) == [c for c in churn.FEATURES if c != "no_sms_consent"]  # consent_sms not stated stable
    # the average order in the course's currency, whole rials (no minor unit): (10000 + 30000) / 2 = 20,000
    assert f.loc[1].tolist() == [0, 2, 20000.0, 180, 2, 1, 2, False, False, "consumer"]
    assert f.loc[2].tolist() == [121, 1, 50000.0, 365, 3, 2, 3, False, True, "enterprise"]
    assert f.loc[5].tolist() == [56, 1, 1500.0, 149, 0, 0, 1, True, False, "consumer"]
    assert 4 in churn.churn_features(tiny, "2025-06-30", active_days=600).index


def _in(currency: str, minor_unit: int):
    """The course's clock and statuses, with another currency: the money columns hold its minor units."""
    return dataclasses.replace(COURSE, currency=currency, minor_unit=minor_unit)


def _uneven(tiny):
    """Customer 5 gets two more orders: 1500 + 1001 + 1001 = 3502 minor units in 3 orders, 1167.33 on average."""
    extra = pd.DataFrame({"order_id": [10, 11], "customer_id": [5, 5], "ordered_at": _utc(["2025-05-06 10:00"] * 2),
                          "channel": ["web", "web"], "status": ["completed"] * 2, "total_cents": [1001, 1001]})
    return {**tiny, "orders": pd.concat([tiny["orders"], extra], ignore_index=True)}


@pytest.mark.parametrize(("currency", "minor_unit", "expected"), [
    ("USD", 2, [200.0, 500.0, 11.67]),     # (10000 + 30000) / 2 cents = 200.00 dollars; 1167.33 cents = 11.67
    ("GBP", 2, [200.0, 500.0, 11.67]),     # pence to pounds, the same digits
    ("IRR", 0, [20000.0, 50000.0, 1167.0]),  # rial has no minor unit: 20,000 rials, not 200
    ("BHD", 3, [20.0, 50.0, 1.167]),         # fils to dinars: 40,000 fils / 2 = 20.000 dinars
])  # fmt: skip
def test_average_order_is_in_the_major_unit_of_the_data_currency(tiny, currency, minor_unit, expected):
    f = churn.churn_features(_uneven(tiny), "2025-06-30", conventions=_in(currency, minor_unit))
    assert f.loc[[1, 2, 5], "avg_order"].tolist() == expected
    assert f.attrs["currency"] == currency
    assert churn.churn_dataset(_uneven(tiny), "2025-06-30", 60, conventions=_in(currency, minor_unit)).attrs[
        "currency"] == currency  # fmt: skip


@pytest.mark.parametrize(("currency", "minor_unit", "text"), [
    ("GBP", 2, "average order GBP 11.67"),
    ("IRR", 0, "average order IRR 1,167"),
    ("BHD", 3, "average order BHD 1.167"),
])  # fmt: skip
def test_reasons_write_the_average_order_in_the_data_currency(tiny, currency, minor_unit, text):
    conventions = _in(currency, minor_unit)
    data = churn.churn_dataset(_uneven(tiny), "2025-06-30", horizon_days=60, conventions=conventions)
    small = data["avg_order"] < data["avg_order"].mean()  # a small average order: churned, in this data
    model = churn.churn_model().fit(pd.concat([data] * 3), pd.concat([small] * 3))
    at_risk = churn.at_risk_list(model, data, top=3, n_reasons=10, conventions=conventions)
    assert text in at_risk.loc[5, "reasons"].split("; ")
    assert "$" not in " ".join(at_risk["reasons"])
    with pytest.raises(ValueError, match=f"`data` holds amounts in {currency} .* but `conventions` are in USD"):
        churn.at_risk_list(model, data, conventions=_in("USD", 2))  # another currency than the data's
    if currency != COURSE.currency:  # the default conventions are the course's (rials): a mismatch, too
        with pytest.raises(ValueError, match=f"holds amounts in {currency} .* but `conventions` are in IRR"):
            churn.at_risk_list(model, data)


def test_bad_tickets_are_counted_as_known_at_the_cutoff(tiny):
    """Ticket 2 is answered late, but after the cutoff; ticket 4 scores 1, but after the cutoff."""
    assert churn.churn_features(tiny, "2025-06-30").loc[[1, 2], "bad_tickets"].tolist() == [1, 2]
    later = churn.churn_features(tiny, "2025-07-31", active_days=400)
    assert later.loc[[1, 2], "bad_tickets"].tolist() == [2, 3]  # known a month later


def test_labels_by_hand(tiny):
    labels = churn.churn_labels(tiny["orders"], [1, 2, 5], "2025-06-30", horizon_days=60)
    assert labels.to_dict() == {1: False, 2: False, 5: True}  # 1 ordered 30 min into 1 July (Tehran)
    assert labels.name == "churned" and labels.index.name == "customer_id"
    short = churn.churn_labels(tiny["orders"], [2], "2025-06-30", horizon_days=31)
    assert short.tolist() == [True]  # 2's next order, on 1 August, is outside 31 days
    with pytest.raises(ValueError, match="the label is not known yet"):
        churn.churn_labels(tiny["orders"], [1], "2025-06-30", horizon_days=200)


def test_dataset_and_time_split(tiny):
    data = churn.churn_dataset(tiny, "2025-06-30", horizon_days=60)
    assert data["churned"].tolist() == [False, False, True]
    assert data.attrs == {"cutoff": "2025-06-30", "horizon_days": 60, "currency": "IRR",  # the course's, by default
                          "left_out": ["no_email_consent", "segment"]}
    with pytest.raises(ValueError, match="after the test cutoff 2025-06-30"):
        churn.time_split(tiny, "2025-05-31", "2025-06-30", horizon_days=60)
    train, test = churn.time_split(tiny, "2025-04-30", "2025-06-30", horizon_days=60, active_days=400)
    assert train.attrs["cutoff"] == "2025-04-30" and test.attrs["cutoff"] == "2025-06-30"


@pytest.mark.parametrize(("call", "error", "match"), [
    (lambda c: churn.churn_features(c["orders"], "2025-06-30"), TypeError, "You passed one table"),
    (lambda c: churn.churn_features(c, "not a day"), ValueError, "`cutoff` must be a day"),
    (lambda c: churn.churn_features(c, "2025-06-30", active_days=0), ValueError, "`active_days`"),
    (lambda c: churn.churn_features({k: v for k, v in c.items() if k != "tickets"}, "2025-06-30"),
     Exception, r"needs the table\(s\) \['tickets'\]"),
    (lambda c: churn.churn_features({**c, "orders": c["orders"].drop(columns="channel")}, "2025-06-30"),
     Exception, r"`orders` has no column\(s\) \['channel'\]"),
    (lambda c: churn.churn_labels(c["orders"], [1], "2025-06-30", horizon_days=1.5), ValueError, "`horizon_days`"),
])
def test_bad_input(tiny, call, error, match):
    with pytest.raises(error, match=match):
        call(tiny)


# ---------------------------------------------------------------- no leak on the course's data


CUTOFF = "2024-12-31"
CUTOFF_END = pd.Timestamp("2025-01-01", tz="Asia/Tehran").tz_convert("UTC")


def _rewrite_the_future(crm) -> CRM:
    """Change every event after the cutoff, and every later fact about earlier tickets."""
    rng = np.random.default_rng(0)
    orders = crm.orders.copy()
    future = orders["ordered_at"] >= CUTOFF_END
    orders.loc[future, "customer_id"] = rng.permutation(orders.loc[future, "customer_id"].to_numpy())
    orders.loc[future, ["status", "channel"]] = ["completed", "field_sales"]
    extra = crm.customers[["customer_id"]].assign(order_id=lambda d: d["customer_id"] + 10**6,
                                                  ordered_at=CUTOFF_END + pd.Timedelta(hours=1),
                                                  channel="call_centre", status="completed", total_cents=1)
    tickets = crm.tickets.copy()
    later = tickets["created_at"] >= CUTOFF_END
    tickets.loc[later, "satisfaction"] = 1
    answered_later = ~later & ~(tickets["first_response_at"] < CUTOFF_END)
    tickets.loc[answered_later, "first_response_at"] += pd.Timedelta(days=30)  # now every one breaches
    resolved_later = ~later & ~(tickets["resolved_at"] < CUTOFF_END)
    tickets.loc[resolved_later, "satisfaction"] = 1
    interactions = crm.interactions.copy()
    interactions.loc[interactions["occurred_at"] >= CUTOFF_END, "channel"] = "advertising"
    extra = extra.reindex(columns=orders.columns).astype(orders.dtypes.to_dict())
    return CRM({**dict(crm), "orders": pd.concat([orders, extra], ignore_index=True),
                "tickets": tickets, "interactions": interactions})


def _naive_bad_tickets(crm) -> int:
    """Bad tickets opened before the cutoff, judged with everything in the export: a leak."""
    from crmlab.analysis.kpis import ticket_sla

    before = crm.tickets[crm.tickets["created_at"] < CUTOFF_END]
    breached = ticket_sla(before, as_of=CUTOFF_END)["sla_breached"].fillna(False).to_numpy(dtype=bool)
    return int((breached | before["satisfaction"].astype("Float64").le(2).fillna(False).to_numpy(dtype=bool)).sum())


def test_no_event_after_the_cutoff_changes_the_features(crm):
    rewritten = _rewrite_the_future(crm)
    assert _naive_bad_tickets(rewritten) > _naive_bad_tickets(crm)  # the rewrite would fool a leaky feature
    assert len(rewritten.orders) == len(crm.orders) + len(crm.customers)
    pd.testing.assert_frame_equal(churn.churn_features(crm, CUTOFF), churn.churn_features(rewritten, CUTOFF))


def test_an_event_before_the_cutoff_does_change_them(crm):
    """The control: the comparison above can fail."""
    orders = crm.orders.copy()
    recent = (orders["ordered_at"] < CUTOFF_END) & (orders["ordered_at"] > CUTOFF_END - pd.Timedelta(days=30))
    first = orders.index[recent & (orders["status"] == "completed")][0]
    orders.loc[first, "total_cents"] += 100_000
    changed = churn.churn_features(CRM({**dict(crm), "orders": orders}), CUTOFF)
    before = churn.churn_features(crm, CUTOFF)
    customer = orders.loc[first, "customer_id"]
    assert changed.loc[customer, "avg_order"] > before.loc[customer, "avg_order"]


def test_a_feature_measured_today_leaks(crm):
    """The lesson's demonstration: recency measured at the end of the export predicts the label perfectly."""
    data = churn.churn_dataset(crm, CUTOFF)
    completed = crm.orders[crm.orders["status"] == "completed"]
    last = completed.groupby("customer_id")["ordered_at"].max()
    leaky = (last.max() - last).dt.days.reindex(data.index)
    assert roc_auc_score(data["churned"], leaky) > 0.99
    assert roc_auc_score(data["churned"], data["recency_days"]) < 0.75


# ---------------------------------------------------------------- models on the course's data


def _split(market: str):
    from crmlab.datasets import generate_crm

    conventions = GENERIC if market == "generic" else COURSE
    return churn.time_split(generate_crm(market=market), "2023-12-31", "2024-12-31", stable_fields=STABLE,
                            conventions=conventions)  # fmt: skip


def _fit(split):
    train, _ = split
    return {kind: churn.churn_model(kind).fit(train, train["churned"]) for kind in churn.MODEL_KINDS}


@pytest.fixture(scope="module")
def split():
    """The course's company, the Iranian retailer (what `generate_crm()` and datasets/crm hold)."""
    return _split("iran")


@pytest.fixture(scope="module")
def fitted(split):
    return _fit(split)


@pytest.fixture(scope="module")
def generic_split():
    """The generic company (the course's until the flip, bit for bit): where the calibration claims were pinned."""
    return _split("generic")


@pytest.fixture(scope="module")
def generic_fitted(generic_split):
    return _fit(generic_split)


@pytest.mark.parametrize(("market", "sizes"), [("iran", (966, 1569)), ("generic", (1008, 1623))])
def test_split_sizes(market, sizes):
    train, test = _split(market)
    assert (len(train), len(test)) == sizes  # snapshot: customers active at each cutoff, as generated
    assert 0.25 < train["churned"].mean() < 0.33  # snapshot ranges: the generator is being changed (issue 11)
    assert 0.25 < test["churned"].mean() < 0.33
    assert not set(train.columns) ^ set(test.columns)


@pytest.mark.parametrize(("kind", "auc"), [("logistic", 0.66), ("boosting", 0.64), ("forest", 0.64)])
def test_models_rank_churners_on_a_later_year(generic_split, generic_fitted, kind, auc):
    """On the generic company, with the floors pinned there (snapshot floors, about 0.01-0.03 below its AUCs)."""
    _, test = generic_split
    p = generic_fitted[kind].predict_proba(test)[:, 1]
    assert auc < roc_auc_score(test["churned"], p) < 0.75  # useful, and honest (no leak)


@pytest.mark.parametrize("kind", churn.MODEL_KINDS)
def test_models_rank_churners_on_the_course_data(split, fitted, kind):
    """The Iranian retailer's draw ranks less well: 0.64 for each kind (a snapshot); the floor is 0.02 below it."""
    _, test = split
    p = fitted[kind].predict_proba(test)[:, 1]
    assert 0.62 < roc_auc_score(test["churned"], p) < 0.75  # useful, and honest (no leak)


def test_logistic_is_calibrated_and_calibration_helps_boosting(generic_split, generic_fitted):
    """The same idea as before the flip, on the generic company: on the Iranian draw the logistic model misses the
    lowest fifth by 0.06 and raw boosting is barely too sure (see the lesson 08 test below)."""
    split, fitted = generic_split, generic_fitted
    train, test = split
    p = fitted["logistic"].predict_proba(test)[:, 1]
    assert p.mean() == pytest.approx(test["churned"].mean(), abs=0.02)
    table = churn.reliability_table(test["churned"], p, n_bins=5)
    assert (table["predicted"] - table["observed"]).abs().max() < 0.05
    raw = fitted["boosting"].predict_proba(test)[:, 1]
    calibrated = CalibratedClassifierCV(churn.churn_model("boosting"), method="sigmoid", cv=3)
    fixed = calibrated.fit(train, train["churned"]).predict_proba(test)[:, 1]
    assert brier_score_loss(test["churned"], fixed) < brier_score_loss(test["churned"], raw)
    top = churn.reliability_table(test["churned"], raw, n_bins=5).iloc[-1]
    assert top["predicted"] > top["observed"] + 0.05  # raw boosting is overconfident at the top


def test_models_are_reproducible(split):
    train, test = split
    one = churn.churn_model("boosting", random_state=3).fit(train, train["churned"]).predict_proba(test)
    two = churn.churn_model("boosting", random_state=3).fit(train, train["churned"]).predict_proba(test)
    np.testing.assert_array_equal(one, two)
    with pytest.raises(ValueError, match=r"`kind` must be one of \['logistic', 'boosting', 'forest'\]"):
        churn.churn_model("svm")


def test_odds_ratios_table(fitted):
    odds = churn.odds_ratios(fitted["logistic"])
    assert set(odds.index) == set(churn.model_features(fitted["logistic"]))
    assert odds["odds_ratio"].to_numpy() == pytest.approx(np.exp(odds["coefficient"].to_numpy()))
    assert odds.loc["bad_tickets", "unit"] == "per bad ticket"
    assert odds.loc["segment_enterprise", "unit"] == "vs consumer"
    assert odds["planted"].isna().all()  # no answer key passed: nothing assumed
    keyed = churn.odds_ratios(fitted["logistic"], planted={"single_channel": 1.6})
    assert keyed.loc["single_channel", "planted"] == 1.6 and np.isnan(keyed.loc["recency_days", "planted"])
    assert odds["coefficient"].abs().is_monotonic_decreasing
    assert odds.loc["bad_tickets", "odds_ratio"] > 1.3 and odds.loc["segment_enterprise", "odds_ratio"] < 0.8
    with pytest.raises(TypeError, match="Tree models have no coefficients"):
        churn.odds_ratios(fitted["boosting"])
    with pytest.raises(RuntimeError, match="not fitted yet"):
        churn.odds_ratios(churn.churn_model())


# ---------------------------------------------------------------- the planted drivers, on 20,000 customers


#: The generic company's planted drivers, copied by hand from its planted hazard ratios
#: (crmlab/datasets/synthetic/truths.py: single channel 1.6, no e-mail consent 1.3, enterprise 0.5,
#: small business 0.8; bad tickets planted as a share who leave, so no ratio).
GENERIC_DRIVERS = {"bad_tickets": None, "single_channel": 1.6, "no_email_consent": 1.3,
                   "segment_enterprise": 0.5, "segment_small_business": 0.8}  # fmt: skip


@pytest.fixture(scope="module")
def big_odds():
    """On the generic company, whose planted drivers are GENERIC_DRIVERS (no e-mail consent among them); the
    Iranian retailer's (no SMS consent) are checked from its answer key in `iran_odds` below."""
    from crmlab.datasets import generate_crm

    crm = generate_crm(n_customers=20_000, seed=11, market="generic")
    train, _ = churn.time_split(crm, "2023-12-31", "2024-12-31", stable_fields=STABLE, conventions=GENERIC)
    model = churn.churn_model().fit(train, train["churned"])
    return churn.odds_ratios(model, planted=GENERIC_DRIVERS), train, crm.truth


def test_the_generic_answer_key_reads_as_written_by_hand(big_odds):
    assert churn.drivers_from_truth(big_odds[2]) == GENERIC_DRIVERS


@pytest.mark.parametrize("driver", list(GENERIC_DRIVERS))
def test_planted_driver_is_recovered(big_odds, driver):
    """Tolerance (documented in planted_drivers and lesson 08): the sign, and a factor of 1.5 of the planted
    hazard ratio; bad tickets: an odds ratio of at least 1.5 per ticket and the strongest driver."""
    check = churn.planted_drivers(big_odds[0], planted=GENERIC_DRIVERS)
    assert check.loc[driver, "recovered"], check.loc[driver].to_dict()


def test_planted_driver_sizes(big_odds):
    ratio = big_odds[0]["odds_ratio"]
    assert ratio["bad_tickets"] > 2.0
    assert ratio["single_channel"] > ratio["no_email_consent"] > 1.1  # 1.6 and 1.3 planted, in that order
    assert ratio["segment_enterprise"] < ratio["segment_small_business"] < 0.9  # 0.5 and 0.8 planted


def test_shuffled_labels_recover_nothing(big_odds):
    """The control: without the real outcomes the check fails."""
    train = big_odds[1]
    shuffled = np.random.default_rng(0).permutation(train["churned"].to_numpy())
    odds = churn.odds_ratios(churn.churn_model().fit(train, shuffled))
    check = churn.planted_drivers(odds, planted=GENERIC_DRIVERS)
    assert not check.loc["bad_tickets", "recovered"] and check["recovered"].sum() <= 2


def test_planted_drivers_rule_by_hand():
    names = list(GENERIC_DRIVERS)
    odds = pd.DataFrame({"odds_ratio": [1.6, 2.2, 1.2, 0.55, 1.1]}, index=names)
    check = churn.planted_drivers(odds, planted=GENERIC_DRIVERS)
    # bad tickets (1.6) is not the strongest (2.2); 1.1 is on the wrong side of 0.8
    assert check["recovered"].tolist() == [False, True, True, True, False]
    assert churn.planted_drivers(odds.assign(odds_ratio=[3.0, 2.2, 1.2, 0.55, 0.7]), GENERIC_DRIVERS)[
        "recovered"].all()
    assert not churn.planted_drivers(odds.assign(odds_ratio=[3.0, 2.5, 1.2, 0.55, 0.7]), GENERIC_DRIVERS).loc[
        "single_channel", "recovered"]
    with pytest.raises(KeyError, match="segment_enterprise"):
        churn.planted_drivers(odds.drop(index="segment_enterprise"), planted=GENERIC_DRIVERS)


def test_the_answer_key_is_an_argument_not_a_default():
    """No company's truths are assumed: without a key the planted column is empty and the check refuses."""
    odds = pd.DataFrame({"odds_ratio": [2.0]}, index=["bad_tickets"])
    with pytest.raises(TypeError, match=r"drivers_from_truth\(crm.truth\)"):
        churn.planted_drivers(odds, planted=None)
    with pytest.raises(TypeError):
        churn.planted_drivers(odds)  # the key is required
    with pytest.raises(TypeError):
        churn.overwrite_leak({}, "2023-12-31", "2024-12-31")  # so is the overwritten field


# ---------------------------------------------------------------- gains, lift and reliability, by hand


Y = [1, 1, 0, 1, 0, 0, 0, 0, 0, 1]
SCORE = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1]


def test_gains_table_by_hand():
    g = churn.gains_table(Y, SCORE, n_groups=5)
    assert g["churners"].tolist() == [2, 1, 0, 0, 1]
    assert g["share_caught"].tolist() == pytest.approx([0.5, 0.75, 0.75, 0.75, 1.0])
    assert g["share_contacted"].tolist() == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    assert g["lift"].tolist() == [2.5, 1.25, 0.0, 0.0, 1.25]  # churn rate 1.0 against 0.4 overall


def test_lift_at_by_hand():
    assert churn.lift_at(Y, SCORE, share=0.2) == pytest.approx(2.5)
    assert churn.lift_at(Y, -np.array(SCORE), share=0.2) == pytest.approx(1.25)  # sorted the wrong way
    assert churn.lift_at(Y, SCORE, share=1.0) == pytest.approx(1.0)


def test_reliability_table_by_hand():
    table = churn.reliability_table(Y, SCORE, n_bins=2)
    assert table["customers"].tolist() == [5, 5]
    assert table["predicted"].tolist() == pytest.approx([0.23, 0.70])
    assert table["observed"].tolist() == pytest.approx([0.2, 0.6])


@pytest.mark.parametrize(("call", "match"), [
    (lambda: churn.gains_table([0, 0], [0.1, 0.2]), "no churner"),
    (lambda: churn.gains_table([1, 0], [0.1]), "same length"),
    (lambda: churn.gains_table([1, 0], [0.1, 0.2], n_groups=3), "`n_groups`"),
    (lambda: churn.lift_at([1, 0], [0.1, 0.2], share=10), "`share`"),
    (lambda: churn.reliability_table([1, 0], [0.1, 1.2]), "probabilities between 0 and 1"),
    (lambda: churn.reliability_table([1, 2], [0.1, 0.2]), "only 0/1"),
])
def test_evaluation_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_brier_difference_by_hand():
    y = np.array(Y, dtype=float)
    a, b = np.full(10, 0.4), np.array(SCORE)
    out = churn.brier_difference(Y, a, b, n_boot=500)
    assert out["brier_a"] == pytest.approx(brier_score_loss(y, a))
    assert out["brier_b"] == pytest.approx(np.mean((b - y) ** 2))
    assert out["difference"] == pytest.approx(out["brier_b"] - out["brier_a"])
    assert out["low"] <= out["difference"] <= out["high"]
    with pytest.raises(ValueError, match="`n_boot`"):
        churn.brier_difference(Y, a, b, n_boot=10)
    with pytest.raises(ValueError, match="`proba_b` must hold probabilities"):
        churn.brier_difference(Y, a, b + 1)


def test_brier_difference_tells_noise_from_a_real_miscalibration():
    """Simulated truth: two models equally calibrated (independent noise around the true
    probability) are told apart in about 5% of test sets only; a model that is really too
    sure (probabilities pushed to the extremes) is found worse every time."""
    rng = np.random.default_rng(7)
    covers, found = 0, 0
    for _ in range(40):
        truth = rng.uniform(0.05, 0.6, 1_600)
        y = rng.random(1_600) < truth
        one = np.clip(truth + rng.normal(0, 0.05, 1_600), 0.01, 0.99)
        two = np.clip(truth + rng.normal(0, 0.05, 1_600), 0.01, 0.99)
        sure = 1 / (1 + np.exp(-3 * np.log(truth / (1 - truth))))  # logit x 3: overconfident
        same = churn.brier_difference(y, one, two, n_boot=400, seed=1)
        covers += same["low"] <= 0 <= same["high"]
        worse = churn.brier_difference(y, one, sure, n_boot=400, seed=1)
        found += worse["low"] > 0
    assert covers >= 34  # about 95% of 40
    assert found == 40


def test_lesson_08_reads_calibration_from_its_data(split, fitted):
    """Item 13 of issue 11: the lesson says what its data show, not that boosting is overconfident in general.

    The Brier gaps and their intervals are printed by the lesson's code (the data may be regenerated), so the
    prose states only what holds on the course's data, checked here, and the printed verdict follows the interval."""
    import re
    from pathlib import Path

    import nbformat

    path = Path(__file__).resolve().parents[1] / "notebooks" / "08_clv_churn.ipynb"
    cells = {c.id: c for c in nbformat.read(path, as_version=4).cells}
    text = " ".join(" ".join(c.source.split()) for c in cells.values() if c.cell_type == "markdown")
    assert "tends to be overconfident" not in text
    assert not re.search(r"0\.\d{3,4} (raw|calibrated|for the logistic)", text)  # no Brier score typed in
    train, test = split
    calibrated = CalibratedClassifierCV(churn.churn_model("boosting"), method="sigmoid", cv=3)
    scores = {"raw": fitted["boosting"].predict_proba(test)[:, 1],
              "calibrated": calibrated.fit(train, train["churned"]).predict_proba(test)[:, 1],
              "logistic": fitted["logistic"].predict_proba(test)[:, 1]}  # fmt: skip
    # what holds on the course's data, the Iranian retailer (the generic company's claims, "the logistic model
    # sits close to the diagonal in every fifth" and "raw boosting is too sure in its riskiest fifth", no longer
    # do): the logistic model under-predicts the lowest fifth by more than 0.05 (0.099 against 0.159), raw
    # boosting is too sure at the top by less than 0.05 (0.478 against 0.447), calibration brings the top
    # within 0.03 and overshoots the lowest fifth by more than 0.02
    tables = {k: churn.reliability_table(test["churned"], p, n_bins=5) for k, p in scores.items()}
    gap = {k: t["predicted"] - t["observed"] for k, t in tables.items()}
    assert gap["logistic"].iloc[0] < -0.05
    assert 0 < gap["raw"].iloc[-1] < 0.05
    assert abs(gap["calibrated"].iloc[-1]) < 0.03
    assert gap["calibrated"].iloc[0] > 0.02
    for claim in ("sits close to the diagonal in every fifth", "Raw boosting is too sure in its riskiest fifth"):
        assert claim not in text, f"lesson 08 says {claim!r}, which held on the generic company, not on the course's"
    # the printed verdict follows the interval, whichever side of 0 it falls
    code = cells["l08-40a"].source
    assert 'gap["low"] <= 0 <= gap["high"]' in code and "cannot tell them apart" in code


# ---------------------------------------------------------------- reasons


def test_contributions_add_up_to_the_score(split, fitted):
    _, test = split
    model = fitted["logistic"]
    push = churn.driver_contributions(model, test)
    score = model.decision_function(test)
    np.testing.assert_allclose(push.sum(axis=1), score - score.mean(), atol=1e-9)
    assert push.mean().abs().max() < 1e-9  # the average customer gets no push


def test_at_risk_list(split, fitted):
    _, test = split
    model = fitted["logistic"]
    at_risk = churn.at_risk_list(model, test, top=15, n_reasons=2)
    proba = pd.Series(model.predict_proba(test)[:, 1], index=test.index)
    assert list(at_risk.index) == list(proba.nlargest(15).index)
    push = churn.driver_contributions(model, test)
    assert at_risk["main_driver"].tolist() == push.loc[at_risk.index].idxmax(axis=1).tolist()
    assert (at_risk["main_driver"] == "bad_tickets").sum() >= 4  # bad service and long silences top the list
    assert test.loc[at_risk.index, "bad_tickets"].mean() > 5 * test["bad_tickets"].mean()
    first = at_risk.index[0]
    reasons = at_risk.loc[first, "reasons"].split("; ")
    assert len(reasons) <= 2
    if at_risk.loc[first, "main_driver"] == "bad_tickets":
        assert reasons[0] == f"bad tickets (SLA breached or scored 1-2): {test.loc[first, 'bad_tickets']}"


def test_reasons_read_the_customers_own_values(tiny):
    data = churn.churn_dataset(tiny, "2025-06-30", horizon_days=60)
    model = churn.churn_model().fit(pd.concat([data] * 3), [True, False, True] * 3)
    at_risk = churn.at_risk_list(model, data, top=3, n_reasons=10)
    texts = " | ".join(at_risk["reasons"])
    assert "uses several channels" in texts or "uses one channel only" in texts
    assert all(("uses one channel only" in r) == bool(data.loc[i, "single_channel"]) or "channel" not in r
               for i, r in at_risk["reasons"].items())
    with pytest.raises(ValueError, match="`top`"):
        churn.at_risk_list(model, data, top=0)
    with pytest.raises(TypeError, match="logistic pipeline"):
        churn.at_risk_list(churn.churn_model("forest").fit(data, [True, False, True]), data)


# ---------------------------------------------------------------- fields overwritten in place (issue 11, item 14)


def _overwritten(tiny, changed_on: str | None = None):
    """Customer 5 unsubscribes on 2025-08-01, after the cutoff 2025-06-30: the export shows today's False.

    With ``changed_on``, the export also has the stamp `consent_email_changed_at` on that day."""
    customers = tiny["customers"].copy()
    customers.loc[customers["customer_id"] == 5, "consent_email"] = False
    if changed_on is not None:
        customers["consent_email_changed_at"] = pd.NaT
        customers.loc[customers["customer_id"] == 5, "consent_email_changed_at"] = pd.Timestamp(changed_on)
    return {**tiny, "customers": customers}


def test_the_default_leaves_the_overwritable_fields_out(tiny):
    f = churn.churn_features(tiny, "2025-06-30")
    assert list(f.columns) == [c for c in churn.FEATURES if c not in ("no_email_consent", "no_sms_consent", "segment")]
    assert f.attrs["left_out"] == ["no_email_consent", "segment"]  # tiny has no consent_sms: nothing to leave out
    assert set(f.attrs["left_out"]) <= set(churn.AS_OF_RISKS.values())
    only_consent = churn.churn_features(tiny, "2025-06-30", stable_fields=["consent_email"])
    assert "no_email_consent" in only_consent and "segment" not in only_consent
    assert only_consent.attrs["left_out"] == ["segment"]


def test_an_overwrite_after_the_cutoff_cannot_reach_the_default_features(tiny):
    """Customer 5 leaves after the cutoff and unsubscribes: the default features do not see it; declared, they do."""
    before, after = tiny, _overwritten(tiny)
    pd.testing.assert_frame_equal(churn.churn_features(before, "2025-06-30"), churn.churn_features(after, "2025-06-30"))
    declared = churn.churn_features(after, "2025-06-30", stable_fields=STABLE)  # the control: the leak path exists
    assert declared.loc[5, "no_email_consent"] and not churn.churn_features(
        before, "2025-06-30", stable_fields=STABLE).loc[5, "no_email_consent"]  # fmt: skip


def test_a_recorded_change_after_the_cutoff_is_refused(tiny):
    later = _overwritten(tiny, changed_on="2025-08-01")
    refused = (r"`consent_email` is declared stable, but `customers.consent_email_changed_at` "
               r"shows 1 customer\(s\) whose value changed after the cutoff 2025-06-30")
    with pytest.raises(ValueError, match=refused):
        churn.churn_features(later, "2025-06-30", stable_fields=["consent_email"])
    assert "no_email_consent" not in churn.churn_features(later, "2025-06-30")  # not declared: left out, no error
    utc = _overwritten(tiny, changed_on="2025-06-30")
    utc["customers"]["consent_email_changed_at"] = pd.to_datetime(["2025-06-30 21:00"] * 5, utc=True)  # 00:30 Tehran
    with pytest.raises(ValueError, match="4 customer"):  # customer 3 signed up after the cutoff
        churn.churn_features(utc, "2025-06-30", stable_fields=["consent_email"])
    utc["customers"]["consent_email_changed_at"] = pd.to_datetime(["2025-06-30 20:00"] * 5, utc=True)  # 23:30
    assert "no_email_consent" in churn.churn_features(utc, "2025-06-30", stable_fields=["consent_email"])
    earlier = _overwritten(tiny, changed_on="2025-06-30")  # changed on the cutoff day: known at its end
    f = churn.churn_features(earlier, "2025-06-30", stable_fields=["consent_email"])
    assert f.loc[5, "no_email_consent"]


@pytest.mark.parametrize(("stable", "error", "match"), [
    ("segment", TypeError, r"list of field names, e.g. \['segment'\]"),
    (["region"], ValueError, r"must be among \['consent_email', 'consent_sms', 'segment'\], but \['region'\]"),
])  # fmt: skip
def test_stable_fields_bad_input(tiny, stable, error, match):
    with pytest.raises(error, match=match):
        churn.churn_features(tiny, "2025-06-30", stable_fields=stable)
    no_segment = {**tiny, "customers": tiny["customers"].drop(columns="segment")}
    with pytest.raises(KeyError, match=r"no such column: leave \['segment'\] out"):
        churn.churn_features(no_segment, "2025-06-30", stable_fields=["segment"])
    assert len(churn.churn_features(no_segment, "2025-06-30")) == 3  # not needed unless declared


@pytest.fixture(scope="module")
def stored():
    """The course's database as stored (datasets/crm), read once."""
    from crmlab.datasets import load_crm

    return load_crm(tables=["customers", "orders", "tickets", "interactions"])


def test_models_take_the_safe_features(stored):
    train, test = churn.time_split(stored, "2023-12-31", "2024-12-31")
    model = churn.churn_model().fit(train, train["churned"])
    assert churn.model_features(model) == ["recency_days", "n_orders", "avg_order", "tenure_days", "n_tickets",
                                           "bad_tickets", "single_channel"]  # fmt: skip
    assert churn.driver_contributions(model, test).shape == (len(test), 7)
    with pytest.raises(KeyError, match="stable_fields"):
        churn.planted_drivers(churn.odds_ratios(model), planted={"bad_tickets": None, "no_sms_consent": 1.3})


@pytest.fixture(scope="module")
def leak(stored):
    crm = stored
    return crm, churn.overwrite_leak(crm, "2023-12-31", "2024-12-31", field="consent_sms", share=0.5, seed=0)


def test_a_planted_overwrite_inflates_the_backtest(leak):
    """Half of the leavers withdraw their SMS consent after their cutoff. Declared stable, today's consent inflates the
    backtest's AUC above the model without it, while the same model in use (consent as of the cutoff) does worse
    than both. The course's company is the Iranian retailer: SMS is the consent most customers give (82%), so it is
    the overwrite that matters (on e-mail consent, given by a quarter, the backtest gains only 0.02)."""
    _, auc = leak
    backtest, in_use, left_out = auc.to_numpy()
    assert backtest > left_out + 0.03
    assert in_use < left_out - 0.02
    assert auc.attrs["overwritten"] > 200


def test_the_leak_check_can_fail(leak):
    """The control: with no overwrite the backtest is exactly what the model gets in use, and recomputed by hand."""
    crm, _ = leak
    auc = churn.overwrite_leak(crm, "2023-12-31", "2024-12-31", field="consent_sms", share=0.0)
    assert auc["backtest, today's value"] == auc["in use, value at the cutoff"]
    assert auc.attrs["overwritten"] == 0
    train, test = churn.time_split(crm, "2023-12-31", "2024-12-31", stable_fields=["consent_sms"])
    model = churn.churn_model().fit(train, train["churned"])
    by_hand = roc_auc_score(test["churned"], model.predict_proba(test)[:, 1])
    assert auc["backtest, today's value"] == pytest.approx(by_hand)


# ---------------------------------------------------------------- a company whose consent is SMS


@pytest.fixture(scope="module")
def iran_odds():
    """The same company placed in the Iranian market, where the lack of SMS consent is the planted driver."""
    from crmlab.datasets import generate_crm

    crm = generate_crm(n_customers=20_000, seed=11, market="iran")
    train, _ = churn.time_split(crm, "2023-12-31", "2024-12-31",
                                stable_fields=["consent_email", "consent_sms", "segment"])  # fmt: skip
    model = churn.churn_model().fit(train, train["churned"])
    return churn.odds_ratios(model, planted=churn.drivers_from_truth(crm.truth)), crm.truth


def test_the_drivers_come_from_the_answer_key(iran_odds):
    drivers = churn.drivers_from_truth(iran_odds[1])
    assert list(drivers) == ["bad_tickets", "single_channel", "no_sms_consent", "segment_enterprise",
                             "segment_small_business"]  # fmt: skip
    assert drivers["no_sms_consent"] == iran_odds[1]["planted"]["churn_hazard_ratios"]["no_sms_consent"] == 1.3
    with pytest.raises(ValueError, match="answer key"):
        churn.drivers_from_truth({"seed": 1})


def test_the_sms_driver_is_recovered_and_e_mail_is_not_one(iran_odds):
    odds, truth = iran_odds
    check = churn.planted_drivers(odds, planted=churn.drivers_from_truth(truth))
    # every hazard ratio within the stated tolerance; bad tickets multiply the odds by over 1.5 a ticket,
    # though on this draw the enterprise segment (0.41) moves the odds more than they do (2.34)
    assert check.drop("bad_tickets")["recovered"].all(), check.to_dict()
    ratio = odds["odds_ratio"]
    assert ratio["bad_tickets"] > 1.5
    # lesson 08's optional section says so: on this draw the enterprise segment outweighs bad tickets
    assert abs(np.log(ratio["segment_enterprise"])) > abs(np.log(ratio["bad_tickets"]))
    assert not check.loc["bad_tickets", "recovered"]
    assert odds.loc["no_sms_consent", "planted"] == 1.3 and np.isnan(odds.loc["no_email_consent", "planted"])
    assert odds.loc["no_sms_consent", "unit"] == "yes vs no"
    assert ratio["no_sms_consent"] > 1.1
    assert abs(np.log(ratio["no_email_consent"])) < abs(np.log(ratio["no_sms_consent"]))  # nothing planted on e-mail


def test_every_consent_field_can_feed_a_feature():
    from crmlab.datasets import generate_crm

    crm = generate_crm(n_customers=300, seed=3, market="iran")
    safe = churn.churn_features(crm, "2024-12-31")
    assert safe.attrs["left_out"] == ["no_email_consent", "no_sms_consent", "segment"]
    stated = churn.churn_features(crm, "2024-12-31", stable_fields=["consent_sms"])
    customers = crm.customers.set_index("customer_id")
    assert (stated["no_sms_consent"] == ~customers.loc[stated.index, "consent_sms"]).all()
    assert "no_email_consent" not in stated and stated.attrs["left_out"] == ["no_email_consent", "segment"]
