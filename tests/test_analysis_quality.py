"""crmlab.analysis.quality: hand-computed values on tiny tables, planted truths on the course data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from crmlab.analysis import quality as q
from crmlab.errors import SchemaError

# ---------------------------------------------------------------- tiny tables


def _people(**overrides) -> pd.DataFrame:
    """Three customers: 1 real, 2 a later second record of 1, 3 a test record."""
    base = {
        "customer_id": [1, 2, 3],
        "first_name": ["Sara", "sara", "Test"],
        "last_name": ["Zand", "Zand", "User"],
        "company_name": [None, None, None],
        "email": ["sara.zand@gmail.com", "SARAZAND@gmail.com", "test0@example.com"],
        "phone": ["+989121112233", "0912 111 2233", "+989120000000"],
        "segment": ["consumer", "consumer", "consumer"],
        "region": ["Capital"] * 3,
        "city": ["Tehran"] * 3,
        "acquisition_channel": ["web"] * 3,
        "signup_date": pd.to_datetime(["2023-01-01", "2024-01-01", "2024-02-01"]),
        "birth_year": pd.array([1980, 1980, 1990], dtype="Int16"),
    }
    base.update(overrides)
    return pd.DataFrame(base)


def _orders() -> pd.DataFrame:
    return pd.DataFrame({
        "order_id": [10, 11, 12],
        "customer_id": [1, 2, 3],
        "ordered_at": pd.to_datetime(["2024-03-01", "2024-03-02", "2024-03-03"], utc=True),
        "channel": ["web", "store", "web"],
        "status": ["completed", "completed", "completed"],
        "total_cents": [1000, 2500, 100],
    })


def _tickets() -> pd.DataFrame:
    return pd.DataFrame({
        "ticket_id": [7], "customer_id": [2], "channel": ["web"], "priority": ["normal"],
        "topic": ["billing"], "created_at": pd.to_datetime(["2024-03-05"], utc=True), "sla_hours": [24],
    })


def test_normalise_phone_writes_every_format_one_way():
    phones = pd.Series(["0912 345 6789", "+98 912 345 6789", "00989123456789", "9123456789", "(0912) 345-6789"])
    assert q.normalise_phone(phones).tolist() == ["+989123456789"] * 5


def test_normalise_phone_empties_what_it_cannot_read():
    out = q.normalise_phone(pd.Series(["12345", None, "+1 202 555 0100"], index=[5, 6, 7]))
    assert out.isna().all() and out.index.tolist() == [5, 6, 7]


def test_normalise_phone_names_a_table_passed_by_mistake():
    with pytest.raises(TypeError, match=r"`phones`.*Select one column"):
        q.normalise_phone(pd.DataFrame({"phone": ["0912 345 6789"]}))


def test_normalise_email_case_dots_and_tags():
    emails = pd.Series(["Sara.Zand@Gmail.COM ", "sarazand+shop@gmail.com", "sara.zand@yahoo.com", "bad", None],
                       name="email")  # fmt: skip
    out = q.normalise_email(emails)
    assert out.tolist()[:3] == ["sarazand@gmail.com", "sarazand@gmail.com", "sarazand@yahoo.com"]
    assert out.iloc[3:].isna().all() and out.name == "email"
    assert q.normalise_email(emails, drop_dots=False).tolist()[:2] == ["sara.zand@gmail.com", "sarazand@gmail.com"]


def test_standardise_customers_fixes_spellings_and_empties_impossible_values():
    raw = _people(
        segment=["SMB", "Small Business", "ENT"], city=[" tehran ", "BANDAR  ABBAS", "Yazd"],
        birth_year=pd.array([0, 2031, 1950], dtype="Int16"),
    )  # fmt: skip
    out = q.standardise_customers(raw)
    assert out["segment"].tolist() == ["small_business", "small_business", "enterprise"]
    assert out["city"].tolist() == ["Tehran", "Bandar Abbas", "Yazd"]
    assert out["phone"].tolist() == ["+989121112233", "+989121112233", "+989120000000"]
    assert out["email"].tolist()[1] == "sarazand@gmail.com"  # lower-cased, the address itself kept
    assert out["birth_year"].isna().tolist() == [True, True, False] and str(out["birth_year"].dtype) == "Int16"
    assert raw["segment"].tolist()[0] == "SMB"  # the input is left alone


def test_profile_counts_by_hand():
    df = pd.DataFrame({
        "city": ["Tehran", "tehran", " Tehran", "Yazd", None],
        "segment": ["consumer", "SMB", "consumer", "enterprise", "consumer"],
        "total_cents": [100, -5, 0, 20, 30],
    })
    prof = q.profile(df)
    assert prof.loc["city", ["missing", "distinct", "problem_rows"]].tolist() == [1, 4, 2]
    assert prof.loc["city", "problems"] == "2 spelled unlike the commonest form (case, spaces)"
    assert prof.loc["segment", "problem_rows"] == 1
    assert prof.loc["segment", "problems"].startswith("1 labels other than consumer")
    assert prof.loc["total_cents", "problems"] == "1 negative amounts"
    assert prof.loc["city", "examples"] == "Tehran, tehran,  Tehran"
    assert prof.index.name == "column" and prof["dtype"].tolist()[-1] == "int64"


def test_profile_of_the_export_finds_the_planted_mess(crm):
    raw, prof = crm.raw_customers, q.profile(crm.raw_customers)
    assert prof.loc["birth_year", "problem_rows"] == raw["birth_year"].isin([0, 1900, 2031]).sum() > 0
    assert prof.loc["segment", "problem_rows"] == (~raw["segment"].isin(q.SEGMENTS)).sum()
    real = len(raw) - len(crm.truth["test_customer_ids"])
    assert prof.loc["email", "missing"] == pytest.approx(0.03 * real, abs=25)  # 3% planted
    assert prof.loc["phone", "problem_rows"] / len(raw) == pytest.approx(0.30, abs=0.03)  # 30% local form
    assert prof.loc["city", "problem_rows"] / len(raw) == pytest.approx(0.10, abs=0.02)  # 10% respelled
    clean = q.profile(crm.customers)
    assert clean["problem_rows"].sum() == 0 and clean.loc["email", "missing"] == 0


def test_find_test_records_gives_reasons():
    found = q.find_test_records(_people())
    assert found["customer_id"].tolist() == [3]
    assert found["reason"].tolist() == ["test name; example address; placeholder phone"]
    assert q.find_test_records(_people().iloc[:2]).empty


@pytest.mark.parametrize("db", ["crm", "big_crm"])
def test_find_test_records_recovers_the_planted_ones(db, request):
    crm = request.getfixturevalue(db)
    found = q.find_test_records(crm.raw_customers)["customer_id"]
    assert sorted(found) == sorted(crm.truth["test_customer_ids"])
    score = q.precision_recall(found, crm.truth["test_customer_ids"])
    assert score["precision"] == 1.0 and score["recall"] == 1.0


def test_name_score_by_hand():
    assert q.name_score("Moh.", "Hosseini", "Mohammad", "Hosseini") == 100.0
    assert q.name_score("Reza", "Hoseini", "Reza", "Hosseini") == pytest.approx(2 * 7 / 15 * 100)
    assert q.name_score("Ali", "Rezaei", "Reza", "Rezaei") == pytest.approx(2 * 1 / 7 * 100)
    assert q.name_score("Al.", "Zand", "Ali", "Zand") == pytest.approx(80.0)  # two letters: no prefix rule
    assert q.name_score(None, "Zand", "Sara", "Zand") == 0.0


def test_candidate_pairs_block_on_normalised_keys():
    pairs = q.candidate_pairs(_people())
    assert pairs.to_dict("records") == [{"customer_id_a": 1, "customer_id_b": 2, "blocked_by": "phone, email"}]
    assert q.candidate_pairs(_people(), keys="city")["customer_id_b"].tolist() == [2, 3, 3]


def test_find_duplicates_needs_the_phone_and_the_name():
    people = _people(
        first_name=["Sara", "sara", "Sara"], last_name=["Zand", "Zand", "Zand"],
        phone=["+989121112233", "0912 111 2233", "+989124445566"],
        email=["sara.zand@gmail.com", "SARAZAND@gmail.com", "sara.zand@gmail.com"],
    )  # fmt: skip
    found = q.find_duplicates(people)
    assert found[["customer_id_a", "customer_id_b"]].values.tolist() == [[1, 2], [1, 3], [2, 3]]
    assert found["is_duplicate"].tolist() == [True, False, False]  # a shared e-mail alone is not enough
    assert found["same_email"].tolist() == [True, True, True]
    strict = q.find_duplicates(people.assign(last_name=["Zand", "Zad", "Zand"]), threshold=90)
    assert not strict["is_duplicate"].any()  # "Zad" scores 86 < 90


def test_find_duplicates_without_candidates_and_bad_threshold():
    assert q.find_duplicates(_people().iloc[[0, 2]]).empty
    with pytest.raises(ValueError, match=r"`threshold` must be a number from 0 to 100, but 120"):
        q.find_duplicates(_people(), threshold=120)
    with pytest.raises(SchemaError, match=r"`customers` has no column\(s\) \['phone'\]"):
        q.find_duplicates(_people().drop(columns="phone"))


def test_duplicate_map_survivorship_and_chains():
    people = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5],
                           "signup_date": pd.to_datetime(["2024-05-01", "2023-01-01", "2024-06-01",
                                                          "2022-01-01", "2022-01-01"])})  # fmt: skip
    pairs = pd.DataFrame({"customer_id_a": [1, 2, 4], "customer_id_b": [2, 3, 5], "is_duplicate": [True, True, True]})
    out = q.duplicate_map(people, pairs)
    assert out.to_dict() == {1: 2, 3: 2, 5: 4}  # 1-2-3 one group: 2 is oldest; 4 and 5 tie: smaller id
    assert out.index.name == "duplicate_id" and out.name == "master_id"
    assert q.duplicate_map(people, pairs.assign(is_duplicate=False)).empty


@pytest.mark.parametrize("db", ["crm", "big_crm"])
def test_duplicates_of_the_export_match_the_truth_exactly(db, request):
    crm = request.getfixturevalue(db)
    raw = crm.raw_customers
    real = raw[~raw["customer_id"].isin(crm.truth["test_customer_ids"])]
    found = q.duplicate_map(real, q.find_duplicates(real))
    score = q.precision_recall(found, crm.truth["duplicates"])
    assert score["precision"] == 1.0 and score["recall"] == 1.0
    assert score["found"] == len(crm.truth["duplicates"]) == round(len(crm.customers) * 12 / 1000)


def test_precision_recall_by_hand():
    score = q.precision_recall({5: 1, 6: 2, 8: 4}, {"5": 1, "6": 3, "7": 3})
    counts = ["found", "planted", "true_positives", "false_positives", "false_negatives"]
    assert score[counts].tolist() == [3, 3, 1, 2, 2]
    assert score["precision"] == pytest.approx(1 / 3) and score["recall"] == pytest.approx(1 / 3)
    assert math.isnan(q.precision_recall([], [1])["precision"])
    ids = q.precision_recall(pd.Series([4, 5], index=[0, 1]), [4, 5, 6])  # a Series of ids, not a mapping
    assert ids[["true_positives", "precision"]].tolist() == [2, 1.0] and ids["recall"] == pytest.approx(2 / 3)
    with pytest.raises(TypeError, match="like the truth"):
        q.precision_recall([3001], {"3001": 205})
    with pytest.raises(TypeError, match="`found` must be a mapping"):
        q.precision_recall(pd.DataFrame({"a": [1]}), [1])


def test_repoint_moves_only_duplicates():
    orders = _orders()
    out = q.repoint(orders, pd.Series({2: 1}))
    assert out["customer_id"].tolist() == [1, 1, 3] and out["customer_id"].dtype == np.int64
    assert orders["customer_id"].tolist() == [1, 2, 3]


def test_reconcile_by_hand():
    raw = _orders()
    out = q.reconcile(raw, q.repoint(raw[raw["customer_id"] != 3], pd.Series({2: 1})), [3])
    assert out.loc["orders"].tolist() == [2.0, 2.0, 0.0]
    assert out.loc["revenue"].tolist() == [3500.0, 3500.0, 0.0]  # whole rials, the course's currency
    dropped = q.reconcile(raw, raw[raw["customer_id"] == 1], [3])  # deleted the duplicate with its order
    assert dropped.loc["revenue", "difference"] == -2500.0
    in_cents = q.reconcile(raw, raw[raw["customer_id"] == 1], [3], minor_unit=2)  # the same amounts read as cents
    assert in_cents.loc["revenue"].tolist() == [35.0, 10.0, -25.0]


def test_compare_tables_by_hand():
    a = pd.DataFrame({"id": [1, 2, 3], "x": ["a", None, "c"], "y": [1, 2, 3]})
    b = pd.DataFrame({"id": [3, 2, 1], "x": ["z", "b", "a"], "y": [3, 2, 1]})
    out = q.compare_tables(a, b, key="id")
    assert out.loc["x"].tolist() == [2, 1, 1] and out.loc["y"].tolist() == [0, 0, 0]
    with pytest.raises(ValueError, match=r"same `id` values.*ours has 1"):
        q.compare_tables(a.assign(id=[1, 2, 4]), b, key="id")


def test_scorecard_by_hand():
    card = q.scorecard(_people(), _orders(), _tickets()).set_index(["table", "dimension"])["score"]
    assert card["customers"].to_dict() == pytest.approx(
        {"completeness": 1.0, "validity": 2 / 3, "uniqueness": 2 / 3, "consistency": 2 / 3}
    )  # 3 is a test record, 2 a duplicate with a local phone and an upper-case e-mail
    assert card["orders"].to_dict() == pytest.approx(
        {"completeness": 1.0, "validity": 2 / 3, "uniqueness": 1.0, "consistency": 2 / 3}
    )
    assert card["tickets"]["consistency"] == 0.0


def test_clean_export_gives_back_the_clean_tables(crm):
    # the Iranian export types some totals in toman (a tenth of the rials): the order lines give them back
    clean = q.clean_export(crm.raw_customers, crm.raw_orders, crm.raw_tickets, order_lines=crm.order_lines)
    pd.testing.assert_frame_equal(clean.orders, crm.orders)
    blind = q.clean_export(crm.raw_customers, crm.raw_orders, crm.raw_tickets)  # without the lines: left as typed
    wrong = blind.orders.loc[blind.orders["total_cents"] != crm.orders["total_cents"], "order_id"]
    assert sorted(wrong) == sorted(crm.truth["unit_mixup_order_ids"]) and len(wrong) == 20 * 3  # 20 per 1,000
    mixed = crm.orders["order_id"].isin(wrong)
    assert (blind.orders.loc[mixed, "total_cents"] * 10 == crm.orders.loc[mixed, "total_cents"]).all()
    pd.testing.assert_frame_equal(clean.tickets, crm.tickets)
    diff = q.compare_tables(clean.customers, crm.customers, key="customer_id")
    malformed = crm.truth["malformed_emails"]
    assert diff["other_value"].sum() == diff.loc["email", "other_value"] == len(malformed) == 18
    ours = clean.customers.set_index("customer_id")["email"]
    theirs = crm.customers.set_index("customer_id")["email"]
    theirs = theirs.reindex(ours.index)
    disagree = ours.index[ours.notna() & theirs.notna() & (ours != theirs)]
    assert sorted(disagree) == sorted(int(i) for i in malformed)  # only the typos the export planted
    lost = diff.loc[diff["differing"] > 0].index.tolist()
    assert lost == ["email", "birth_year"]  # what the export lost: missing and mistyped e-mails, impossible years
    survivors = crm.raw_customers.set_index("customer_id").loc[crm.customers["customer_id"]]
    assert diff.loc["email", "empty_in_ours"] == survivors["email"].isna().sum()
    assert diff.loc["birth_year", "empty_in_ours"] == survivors["birth_year"].isin([0, 1900, 2031]).sum()
    assert clean.customers.dtypes.equals(crm.customers.dtypes)


def test_clean_export_counts_every_dropped_row(crm):
    clean = q.clean_export(crm.raw_customers, crm.raw_orders, crm.raw_tickets)
    log = clean.log.set_index(["table", "step"])["rows"]
    assert log["orders", "dropped: rows of test records"] == len(crm.truth["test_order_ids"]) == 24
    assert log["customers", "dropped: test records"] == 12
    assert log["customers", "dropped: duplicates merged into their master"] == 36
    for table in ("customers", "orders", "tickets"):
        dropped = log[table][log[table].index.str.startswith("dropped")].sum()
        assert log[table, "rows in the export"] - dropped == log[table, "rows in the clean table"]
    moved = crm.raw_orders["customer_id"].isin([int(k) for k in crm.truth["duplicates"]]).sum()
    assert log["orders", "re-pointed from a duplicate to its master"] == moved > 0
    recon = q.reconcile(crm.raw_orders, clean.orders, clean.test_customer_ids)
    assert (recon["difference"] == 0).all() and recon.loc["orders", "after"] == len(crm.orders)


def test_scorecard_before_and_after_on_the_course_data(crm):
    before = q.scorecard(crm.raw_customers, crm.raw_orders, crm.raw_tickets).set_index(["table", "dimension"])
    clean = q.clean_export(crm.raw_customers, crm.raw_orders, crm.raw_tickets)
    after = q.scorecard(clean.customers, clean.orders, clean.tickets).set_index(["table", "dimension"])
    n, n_orders = len(crm.raw_customers), len(crm.raw_orders)
    assert before.loc[("customers", "uniqueness"), "score"] == pytest.approx(1 - 36 / n)
    assert before.loc[("orders", "validity"), "score"] == pytest.approx(1 - 24 / n_orders)
    moved = crm.raw_orders["customer_id"].isin([int(k) for k in crm.truth["duplicates"]]).sum()
    assert before.loc[("orders", "consistency"), "failing"] == moved
    assert before.loc[("customers", "consistency"), "score"] < 0.7  # 30% of phones in local form alone
    fixed = after.drop(index=[("customers", "completeness"), ("customers", "validity"), ("orders", "completeness"),
                              ("tickets", "completeness")])["score"]  # fmt: skip
    assert (fixed == 1.0).all()
    malformed = len(crm.truth["malformed_emails"])  # cleaning cannot guess the address a typo hides
    assert after.loc[("customers", "validity"), "score"] == pytest.approx(1 - malformed / len(clean.customers))
    missing = clean.customers["email"].isna().sum()
    assert after.loc[("customers", "completeness"), "score"] == pytest.approx(1 - missing / len(clean.customers))
    assert missing > 0  # cleaning cannot fill in e-mails nobody entered
