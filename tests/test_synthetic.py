"""The synthetic CRM: determinism, keys, internal consistency and the planted truths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlab.datasets import PLANTED, TABLES, generate_crm
from crmlab.datasets.synthetic import MARKETS
from crmlab.datasets.synthetic.markets import planted_for
from crmlab.persian_text import to_ascii_digits


def test_same_seed_same_tables(crm):
    again = generate_crm()
    assert sorted(again) == sorted(crm)
    for name in crm:
        pd.testing.assert_frame_equal(again[name], crm[name], obj=name)
    assert again.truth == crm.truth


def test_other_seed_other_tables(crm):
    other = generate_crm(seed=2025)
    assert not other.customers["email"].equals(crm.customers["email"])
    assert len(other.orders) != len(crm.orders)


@pytest.mark.parametrize("bad", [0, 99, -5, 10.5, "3000", None, True])
def test_n_customers_is_validated(bad):
    with pytest.raises(ValueError, match="`n_customers` must be a whole number of at least 100"):
        generate_crm(n_customers=bad)


@pytest.mark.parametrize("bad", [-1, 1.5, "7"])
def test_seed_is_validated(bad):
    with pytest.raises(ValueError, match="`seed` must be a non-negative whole number"):
        generate_crm(seed=bad)


def test_every_schema_table_with_its_dtypes(crm):
    assert sorted(crm) == sorted(TABLES)
    for name, table in TABLES.items():
        assert {c: str(t) for c, t in crm[name].dtypes.items()} == table.dtypes, name


def test_sizes_scale_with_customers(crm):
    n = 3000
    assert len(crm.customers) == n
    assert crm.customers["customer_id"].tolist() == list(range(1, n + 1))
    assert 3.5 < len(crm.orders) / n < 6
    assert 1.3 < len(crm.order_lines) / len(crm.orders) < 2.0
    assert 5 < len(crm.interactions) / n < 15
    assert 0.6 < len(crm.tickets) / n < 1.6
    assert len(crm.reps) == 30


@pytest.mark.parametrize("name", sorted(TABLES))
def test_primary_keys_unique_and_present(crm, name):
    key = list(TABLES[name].primary_key)
    df = crm[name]
    assert df[key].notna().all().all()
    assert not df.duplicated(key).any()


def _foreign_keys():
    return [(name, col, ref) for name, t in TABLES.items() for col, ref in t.foreign_keys.items()]


@pytest.mark.parametrize(("name", "column", "ref"), _foreign_keys())
def test_foreign_keys_hold(crm, name, column, ref):
    ref_table, ref_col = ref.split(".")
    values = crm[name][column].dropna()
    assert len(values) > 0
    missing = ~values.isin(crm[ref_table][ref_col])
    assert not missing.any(), f"{name}.{column}: {missing.sum()} values not in {ref}"


def test_order_totals_match_lines_and_invoices(crm):
    lines = crm.order_lines
    amount = lines["quantity"] * lines["unit_price_cents"] - lines["discount_cents"]
    per_order = amount.groupby(lines["order_id"]).sum()
    totals = crm.orders.set_index("order_id")["total_cents"]
    pd.testing.assert_series_equal(per_order.reindex(totals.index), totals, check_names=False)
    inv = crm.invoices.merge(crm.orders[["order_id", "total_cents", "status"]], on="order_id")
    assert (inv["amount_cents"] == inv["total_cents"]).all()
    assert set(inv["status"]) == {"completed", "returned"}
    paid = crm.payments.groupby("invoice_id")["amount_cents"].sum()
    due = crm.invoices.set_index("invoice_id")["amount_cents"]
    assert (paid <= due.reindex(paid.index)).all()
    assert (paid == due.reindex(paid.index)).mean() > 0.95


def test_events_follow_each_other_in_time(crm):
    t = crm.tickets
    assert (t["first_response_at"].dropna() >= t.loc[t["first_response_at"].notna(), "created_at"]).all()
    assert (t["resolved_at"].dropna() >= t.loc[t["resolved_at"].notna(), "first_response_at"]).all()
    o = crm.orders.merge(crm.customers[["customer_id", "signup_date"]], on="customer_id")
    local_day = o["ordered_at"].dt.tz_convert("Asia/Tehran").dt.tz_localize(None).dt.normalize()
    assert (local_day >= o["signup_date"]).all()
    s = crm.shipments.merge(crm.orders[["order_id", "ordered_at"]], on="order_id")
    shipped = s.dropna(subset=["shipped_at"])
    assert (shipped["shipped_at"] >= shipped["ordered_at"] + pd.Timedelta(minutes=59)).all()
    h = crm.opportunity_stages
    assert h.groupby("opportunity_id")["entered_at"].is_monotonic_increasing.all()
    end = pd.Timestamp("2026-01-01", tz="Asia/Tehran")
    assert crm.orders["ordered_at"].max() < end
    assert crm.interactions["occurred_at"].max() < end


def test_timestamps_fall_in_local_business_hours(crm):
    calls = crm.interactions[crm.interactions["channel"] == "call_centre"]
    local_hour = calls["occurred_at"].dt.tz_convert("Asia/Tehran").dt.hour
    assert local_hour.between(8, 19).all()
    assert not calls["occurred_at"].dt.hour.between(8, 19).all()  # in UTC they do not


# ---------------------------------------------------------------- planted truths


def test_experiment_is_randomised_with_the_planted_uplift(big_crm):
    c = big_crm.campaign_contacts
    exp = c[c["campaign_id"] == big_crm.truth["experiment_campaign_id"]]
    rates = exp.groupby("group")["responded"].mean()
    assert abs(rates["treatment"] - rates["control"] - PLANTED.experiment_uplift) < 0.015
    assert abs(rates["control"] - PLANTED.experiment_base_rate) < 0.015
    seg = exp.merge(big_crm.customers[["customer_id", "segment"]]).groupby("group")["segment"]
    share = seg.apply(lambda s: (s == "consumer").mean())
    assert abs(share["treatment"] - share["control"]) < 0.03  # randomisation balances groups


def test_self_selected_newsletter_shows_a_spurious_gap(big_crm):
    c = big_crm.campaign_contacts
    loyal = c[c["campaign_id"] == big_crm.truth["loyalty_campaign_id"]]
    rates = loyal.groupby("group")["responded"].mean()
    assert rates["opted_in"] - rates["not_opted_in"] > 0.05


def test_seasonality_of_the_generic_market():
    """The company in the generic market peaks in November and December (the Jalali year: test_synthetic_iran)."""
    big_crm = generate_crm(n_customers=20_000, seed=11, market="generic")
    c = big_crm.campaign_contacts
    offer = c.loc[c["campaign_id"] == big_crm.truth["upgrade_campaign_id"], "order_id"].dropna()
    orders = big_crm.orders[~big_crm.orders["order_id"].isin(offer)]  # the October offer's extra orders
    month = orders["ordered_at"].dt.tz_convert("Asia/Tehran").dt.month
    counts = month[orders["ordered_at"].dt.year.isin([2024, 2025])].value_counts()
    season = planted_for(MARKETS["generic"]).month_seasonality
    # neighbouring months, so that the growth of the customer base hardly matters
    assert counts[12] / counts[11] == pytest.approx(season[11] / season[10] * 31 / 30, rel=0.08)
    assert counts[10] / counts[9] == pytest.approx(season[9] / season[8] * 31 / 30, rel=0.08)
    assert counts.idxmax() == 12


def _baskets(crm):
    lines = crm.order_lines.merge(crm.products[["product_id", "category_id"]]).merge(
        crm.categories.rename(columns={"name": "category"}), on="category_id"
    )
    return lines.groupby(["order_id", "category"]).size().unstack(fill_value=0) > 0


@pytest.mark.parametrize(("a", "b"), [("Printers", "Ink & Paper"), ("Laptops", "Software"), ("Phones", "Accessories")])
def test_cross_sell_pairs_have_lift(big_crm, a, b):
    baskets = _baskets(big_crm)
    confidence = baskets.loc[baskets[a], b].mean()
    lift = confidence / baskets[b].mean()
    assert lift > 1.2
    assert confidence > 0.3


def test_unrelated_pair_has_no_lift(big_crm):
    baskets = _baskets(big_crm)
    lift = baskets.loc[baskets["Phones"], "Furniture"].mean() / baskets["Furniture"].mean()
    assert lift < 1.0  # an order starts in one category, so unplanted pairs are rarer than chance


def _completeness(crm):
    act = crm.rep_activity.merge(crm.reps[["rep_id", "training_method", "trained_on"]])
    act["after"] = act["week_start"] >= act["trained_on"]
    fields = ["required_fields_filled", "required_fields_total"]
    sums = act.groupby(["training_method", "rep_id", "after"])[fields].sum()
    return (sums["required_fields_filled"] / sums["required_fields_total"]).unstack()


def test_training_gain_by_method(big_crm):
    comp = _completeness(big_crm)
    disengaged = big_crm.truth["disengaged_rep_ids"]
    comp = comp[~comp.index.get_level_values("rep_id").isin(disengaged)]
    gain = (comp[True] - comp[False]).groupby("training_method").mean()
    for method, planted in PLANTED.training_gain.items():
        assert gain[method] == pytest.approx(planted, abs=0.03), method


def test_disengaged_reps_fade(crm):
    act = crm.rep_activity
    recent = act["week_start"] >= pd.Timestamp("2025-07-15")
    share = act["required_fields_filled"] / act["required_fields_total"]
    for rep in crm.truth["disengaged_rep_ids"]:
        mine = act["rep_id"] == rep
        assert share[mine & ~recent].tail(26).mean() - share[mine & recent].mean() > 0.25


def test_reps_with_complete_data_close_faster(big_crm):
    after = _completeness(big_crm)[True].droplevel("training_method")
    won = big_crm.opportunities[big_crm.opportunities["stage"] == "closed_won"]
    days = (won["closed_at"] - won["created_at"]).dt.days.groupby(won["rep_id"]).median()
    assert days.corr(after.reindex(days.index)) < -0.3


def test_bad_tickets_drive_churn(big_crm):
    t = big_crm.tickets
    t = t[t["created_at"] < pd.Timestamp("2025-03-01", tz="UTC")].copy()
    breach = (t["first_response_at"] - t["created_at"]) > pd.to_timedelta(t["sla_hours"], unit="h")
    t["bad"] = breach | (t["satisfaction"] <= 2).fillna(False)
    last = big_crm.orders.groupby("customer_id")["ordered_at"].max()
    t["bought_again_later"] = last.reindex(t["customer_id"]).to_numpy() > t["created_at"] + pd.Timedelta(days=120)
    rates = t.groupby("bad")["bought_again_later"].mean()
    assert rates[False] - rates[True] > 0.1


def test_weak_support_region(big_crm):
    t = big_crm.tickets.merge(big_crm.customers[["customer_id", "region"]])
    breach = (t["first_response_at"] - t["created_at"]) > pd.to_timedelta(t["sla_hours"], unit="h")
    by_region = breach.groupby(t["region"]).mean()
    assert by_region.idxmax() == big_crm.truth["weak_support_region"]


def test_far_regions_deliver_late(crm):
    s = crm.shipments.merge(crm.orders[["order_id", "customer_id"]]).merge(crm.customers[["customer_id", "region"]])
    late = (s["delivered_date"] > s["promised_date"]).groupby(s["region"]).mean()
    assert late["South"] > late["Capital"] + 0.2
    assert late["East"] > late["Capital"] + 0.2


def test_single_channel_customers_churn_more(big_crm):
    channels = big_crm.interactions.groupby("customer_id")["channel"].nunique()
    old = big_crm.customers[big_crm.customers["signup_date"] < "2024-01-01"]["customer_id"]
    last = big_crm.orders.groupby("customer_id")["ordered_at"].max().reindex(old)
    active = last > pd.Timestamp("2025-07-01", tz="UTC")
    single = channels.reindex(old).fillna(0) <= 1
    assert active[~single.to_numpy()].mean() - active[single.to_numpy()].mean() > 0.1


# ---------------------------------------------------------------- the raw export layer


def _normal_email(e: pd.Series) -> pd.Series:
    local = e.str.lower().str.split("@").str[0].str.replace(r"\+.*", "", regex=True).str.replace(".", "")
    return local + "@" + e.str.lower().str.split("@").str[1]


def test_raw_layer_counts(crm):
    n_dup = len(crm.truth["duplicates"])
    n_test = len(crm.truth["test_customer_ids"])
    assert n_dup == round(3000 * PLANTED.n_duplicate_customers / 1000) == 36
    assert n_test == round(3000 * PLANTED.n_test_records / 1000) == 12
    assert len(crm.raw_customers) == 3000 + n_dup + n_test
    test = crm.raw_customers[crm.raw_customers["customer_id"].isin(crm.truth["test_customer_ids"])]
    assert test["email"].str.endswith("@example.com").all()
    assert crm.raw_customers["email"].str.endswith("@example.com").sum() == n_test


def test_duplicates_are_variants_of_their_master(crm):
    raw = crm.raw_customers.set_index("customer_id")
    pairs = pd.Series(crm.truth["duplicates"]).rename(index=int)
    dup, master = raw.loc[pairs.index], raw.loc[pairs.to_numpy()]
    digits = lambda s: to_ascii_digits(s).str.replace(r"\D", "", regex=True).str[-10:]  # noqa: E731  (Persian too)
    assert (digits(dup["phone"]).to_numpy() == digits(master["phone"]).to_numpy()).all()
    both = dup["email"].notna().to_numpy() & master["email"].notna().to_numpy()
    assert (_normal_email(dup["email"]).to_numpy()[both] == _normal_email(master["email"]).to_numpy()[both]).all()
    assert (dup["email"].to_numpy()[both] != master["email"].to_numpy()[both]).all()  # not exact copies


def test_cleaning_the_raw_export_gives_the_clean_tables(crm):
    remap = {int(k): v for k, v in crm.truth["duplicates"].items()}
    raw = crm.raw_orders[~crm.raw_orders["order_id"].isin(crm.truth["test_order_ids"])].copy()
    moved = raw["customer_id"].isin(list(remap))
    assert moved.sum() > 0
    raw["customer_id"] = raw["customer_id"].replace(remap)
    typed_in_toman = raw["order_id"].isin(crm.truth["unit_mixup_order_ids"])  # the answer key's tenths
    assert typed_in_toman.sum() == len(crm.truth["unit_mixup_order_ids"]) == 60
    raw.loc[typed_in_toman, "total_cents"] *= 10
    pd.testing.assert_frame_equal(raw.reset_index(drop=True), crm.orders)
    tickets = crm.raw_tickets.assign(customer_id=crm.raw_tickets["customer_id"].replace(remap))
    pd.testing.assert_frame_equal(tickets, crm.tickets)
    raw_all = crm.raw_orders["total_cents"].where(~crm.raw_orders["order_id"].isin(crm.truth["unit_mixup_order_ids"]),
                                                  crm.raw_orders["total_cents"] * 10)  # fmt: skip
    test_orders = crm.raw_orders["order_id"].isin(crm.truth["test_order_ids"])
    assert raw_all.sum() - crm.orders["total_cents"].sum() == raw_all[test_orders].sum() > 0


def test_raw_customers_are_messy(crm):
    raw = crm.raw_customers
    assert (raw["city"] != raw["city"].str.strip().str.title()).sum() > 50
    assert set(raw["segment"]) - {"consumer", "small_business", "enterprise"}
    assert raw["email"].isna().sum() > 30
    assert raw["birth_year"].isin([0, 1900, 2031]).sum() > 0
    assert raw["phone"].str.startswith("0").sum() > 500


def test_generates_a_million_customers_shape_quickly_enough_for_small_runs():
    small = generate_crm(n_customers=100, seed=0)
    assert len(small.customers) == 100
    assert np.isin(small.orders["customer_id"], small.customers["customer_id"]).all()


# ---------------------------------------------------------------- arguments and memory, refused up front

@pytest.mark.parametrize(("bad", "detail"), [
    (True, "True was passed (a yes/no value, not a number)"),
    ("3000", "the text '3000' was passed: write the number without quotes"),
    (3000.0, "3000.0 was passed: write 3000 without the decimal point"),
    (float("nan"), "nan (float) was passed"),
    (0, "0 was passed"),
    (-5, "-5 was passed"),
    (np.int64(99), "np.int64(99) was passed"),
])  # fmt: skip
def test_n_customers_messages_say_what_was_wrong(bad, detail):
    with pytest.raises(ValueError) as caught:
        generate_crm(n_customers=bad)
    assert str(caught.value) == (f"`n_customers` must be a whole number of at least 100, but {detail}, e.g. "
                                 "generate_crm(n_customers=3000).")  # fmt: skip


@pytest.mark.parametrize(("bad", "detail"), [
    (None, "None (NoneType) was passed"), (False, "False was passed (a yes/no value, not a number)"),
    (-1, "-1 was passed"), (2024.0, "2024.0 was passed: write 2024 without the decimal point"),
])  # fmt: skip
def test_seed_messages_say_what_was_wrong(bad, detail):
    with pytest.raises(ValueError) as caught:
        generate_crm(n_customers=200, seed=bad)
    assert str(caught.value) == f"`seed` must be a non-negative whole number, but {detail}, e.g. seed=2024."


def test_numpy_counts_and_huge_seeds_are_fine():
    crm = generate_crm(n_customers=np.int32(150), seed=2**100)
    assert len(crm.customers) == 150 and crm.truth["seed"] == 2**100


def test_too_many_customers_are_refused_before_any_allocation(monkeypatch):
    from crmlab.datasets import synthetic

    monkeypatch.setattr(synthetic, "_available_memory", lambda: 4_500_000_000)
    monkeypatch.setattr(synthetic.people, "make_population", lambda *a: pytest.fail("allocated before refusing"))
    with pytest.raises(ValueError) as caught:
        generate_crm(100_000_000)
    assert str(caught.value) == (
        "generate_crm(n_customers=100,000,000) would need about 650.0 GB of memory (6.5 kB per customer), more "
        "than the 3.6 GB it may use here (80% of the 4.5 GB available now). Use at most n_customers=553,000 on "
        "this machine, or free memory first.")


def test_the_memory_limit_is_exact_at_its_edge(monkeypatch):
    from crmlab.datasets import synthetic

    per = synthetic.BYTES_PER_CUSTOMER
    monkeypatch.setattr(synthetic, "_available_memory", lambda: 200 * per * 5 // 4)  # 80% of it is 200 customers
    assert len(generate_crm(200).customers) == 200
    with pytest.raises(ValueError, match=r"would need about 1\.3 MB of memory"):
        generate_crm(201)
    monkeypatch.setattr(synthetic, "_available_memory", lambda: None)  # unknown: not refused
    assert len(generate_crm(150).customers) == 150


def test_available_memory_is_the_smallest_known_limit(monkeypatch):
    from crmlab.datasets import synthetic

    monkeypatch.setattr(synthetic, "_meminfo_available", lambda: 8 * 10**9)
    monkeypatch.setattr(synthetic, "_cgroup_available", lambda: 3 * 10**9)
    monkeypatch.setattr(synthetic, "_address_space_available", lambda: None)
    assert synthetic._available_memory() == 3 * 10**9
    monkeypatch.setattr(synthetic, "_cgroup_available", lambda: -5)  # over its limit already
    assert synthetic._available_memory() == 0
    for name in ("_meminfo_available", "_cgroup_available"):
        monkeypatch.setattr(synthetic, name, lambda: None)
    assert synthetic._available_memory() is None


def test_available_memory_on_this_machine_is_plausible():
    from crmlab.datasets import synthetic

    with open("/proc/meminfo", encoding="ascii") as handle:
        total = next(int(line.split()[1]) * 1024 for line in handle if line.startswith("MemTotal:"))
    assert 0 < synthetic._available_memory() <= total


def test_the_bytes_per_customer_estimate_covers_a_measured_peak():
    """Peak resident memory of a fresh process generating 100,000 customers, per customer.

    Read from /proc/self/status (VmHWM, reset by exec), not ru_maxrss, which a child
    started from a big pytest process inherits.
    """
    import subprocess
    import sys

    code = ("import crmlab.datasets as d\n"
            "def kb(key):\n"
            "    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith(key))\n"
            "base = kb('VmRSS:'); d.generate_crm(100_000); print((kb('VmHWM:') - base) * 1024 / 100_000)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    from crmlab.datasets import synthetic

    measured = float(done.stdout)
    assert 3_000 < measured <= synthetic.BYTES_PER_CUSTOMER


# ---------------------------------------------------------------- launches, holdout, uplift, e-mails

EMAIL_RULE = r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}"  # name@domain.tld, written here independently of crmlab


def _local_day(at):
    return at.dt.tz_convert("Asia/Tehran").dt.tz_localize(None).dt.normalize()


def test_nothing_sells_before_its_launch(crm):
    lines = crm.order_lines.merge(crm.orders[["order_id", "ordered_at"]]).merge(crm.products)
    assert (_local_day(lines["ordered_at"]) >= lines["launched_on"]).all()
    start = _local_day(crm.orders["ordered_at"]).min()
    inside = crm.products[crm.products["launched_on"] > start]
    assert sorted(inside["product_id"]) == sorted(crm.truth["launches"].values())
    assert inside["name"].tolist() == list(PLANTED.launches)


def test_launches_take_their_planted_share_of_the_category(big_crm):
    """Plateau share of each launch's category lines (days 120+ after launch) against the planted peak."""
    lines = big_crm.order_lines.merge(big_crm.orders[["order_id", "ordered_at"]]).merge(big_crm.products,
                                                                                        on="product_id")
    for name, spec in PLANTED.launches.items():
        product = big_crm.products.set_index("name").loc[name]
        mine = lines[lines["category_id"] == product["category_id"]]
        days = (_local_day(mine["ordered_at"]) - product["launched_on"]).dt.days
        plateau = mine[days >= 120]
        share = (plateau["product_id"] == product["product_id"]).mean()
        expected = spec["peak_share"] * (1 - np.exp(-120 / spec["ramp_days"]))
        assert expected - 0.02 < share < spec["peak_share"] + 0.02, (name, share)
        early = mine[(days >= 0) & (days < 7)]
        assert (early["product_id"] == product["product_id"]).mean() < share  # a ramp, not a step


def test_the_newsletter_members_were_held_out_at_random(big_crm):
    c = big_crm.campaign_contacts
    loyal = c[c["campaign_id"] == big_crm.truth["loyalty_campaign_id"]]
    members = loyal[loyal["group"] != "not_opted_in"]
    held = members["group"] == "held_out"
    assert abs(held.mean() - PLANTED.loyalty_holdout_share) < 0.04
    assert members.loc[held, "contacted_at"].isna().all() and members.loc[~held, "contacted_at"].notna().all()
    rates = members.groupby("group")["responded"].mean()
    assert abs(rates["opted_in"] - rates["held_out"] - PLANTED.loyalty_true_effect) < 0.05
    coded = big_crm.orders.set_index("order_id")["campaign_id"].reindex(members["order_id"].dropna())
    assert coded.notna().sum() == (members["responded"] & ~held).sum()  # held-out orders carry no campaign code


def test_the_upgrade_offer_plants_four_kinds_of_customer(big_crm):
    """Response rate per planted kind and group, recomputed with plain pandas, against PLANTED.uplift_types."""
    c = big_crm.campaign_contacts
    offer = c[c["campaign_id"] == big_crm.truth["upgrade_campaign_id"]]
    kinds = big_crm.truth["upgrade_kinds"]
    kind = pd.Series({i: k for k, ids in kinds.items() for i in ids})
    assert sorted(kind.index) == sorted(offer["customer_id"])
    cells = offer.groupby([offer["customer_id"].map(kind), "group"])["responded"]
    rates, sizes = cells.mean(), cells.size()
    for name, (control, treatment) in PLANTED.uplift_types.items():
        for group, p in [("control", control), ("treatment", treatment)]:
            three_se = 3 * np.sqrt(p * (1 - p) / sizes[name, group])
            assert rates[name, group] == pytest.approx(p, abs=three_se), (name, group)
    recent = offer["customer_id"].map(
        big_crm.customers.set_index("customer_id")["signup_date"]) > pd.Timestamp("2025-10-01") - pd.Timedelta(
        days=540)  # fmt: skip
    assert (offer["customer_id"].map(kind)[recent.to_numpy()] == "persuadable").mean() > 0.5
    field = f"consent_{big_crm.truth['market']['consent']}"  # the consent the campaigns need: SMS in Iran
    consent = offer["customer_id"].map(big_crm.customers.set_index("customer_id")[field])
    assert (offer["customer_id"].map(kind)[~consent.to_numpy()] == "sleeping_dog").mean() > 0.6


def test_the_raw_export_has_the_planted_malformed_emails(crm):
    bad = pd.Series(crm.truth["malformed_emails"]).rename(index=int)
    assert len(bad) == round(3000 * PLANTED.n_malformed_emails / 1000) == 18
    raw = crm.raw_customers.set_index("customer_id")["email"]
    assert (raw.loc[bad.index] == bad).all()
    fails = ~raw.dropna().str.fullmatch(EMAIL_RULE)
    assert sorted(fails[fails].index) == sorted(bad.index)  # the rule finds them all, and nothing else
    clean = crm.customers.set_index("customer_id")["email"].loc[bad.index]
    assert clean.str.fullmatch(EMAIL_RULE).all()  # the clean table keeps the real address


def test_the_public_answer_key_is_the_course_company_s(crm):
    """`crmlab.datasets.PLANTED` is what `generate_crm()` plants and writes to its answer key: SMS consent
    as the churn driver, the Jalali year's seasonality (the generic market's words them as e-mail and November)."""
    assert PLANTED.to_dict() == crm.truth["planted"]
    assert "no_sms_consent" in PLANTED.churn_hazard_ratios and "no_email_consent" not in PLANTED.churn_hazard_ratios
    generic = planted_for(MARKETS["generic"])
    assert generic.churn_hazard_ratios["no_email_consent"] == PLANTED.churn_hazard_ratios["no_sms_consent"] == 1.3
    assert generic.affinities == PLANTED.affinities and generic.launches == PLANTED.launches


@pytest.mark.parametrize("seed", range(6))
def test_the_generators_stable_sort_is_numpys_stable_sort(seed):
    """``stable_argsort`` (numpy's default sort, then equal values put back in their order) against
    numpy's own stable sort, on values with many ties, NaN, and both zeros."""
    from crmlab.datasets.synthetic._arrays import stable_argsort

    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 3_000))
    floats = rng.choice(np.array([np.nan, -0.0, 0.0, 1.5, -2.0, np.inf]), n) + rng.integers(0, 3, n) * (seed % 2)
    for values in (floats, rng.integers(-5, 5, n), rng.random(n), np.sort(rng.integers(0, 9, n))):
        np.testing.assert_array_equal(stable_argsort(values), np.argsort(values, kind="stable"))
