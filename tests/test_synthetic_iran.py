"""The synthetic CRM as an Iranian retailer (``generate_crm(market="iran")``): each planted truth recovered.

The oracles are independent of the generator and of ``persiantools``: Jalali dates come
from the published Nowruz dates (1 Farvardin) and the calendar's month lengths (months
1-6 have 31 days, 7-11 have 30), weekdays from pandas, the price index from the planted
rate compounded by hand, the mix-ups from the answer key.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlab.analysis import bi, quality
from crmlab.conventions import COURSE
from crmlab.datasets import generate_crm
from crmlab.datasets.synthetic.markets import IRAN

#: 1 Farvardin of Jalali years 1401-1404, from the published Iranian calendar.
NOWRUZ = {1401: "2022-03-21", 1402: "2023-03-21", 1403: "2024-03-20", 1404: "2025-03-21"}
#: Days from 1 Farvardin to 1 Esfand (six months of 31 days, five of 30) and to 30 Azar (Yalda).
TO_ESFAND, TO_YALDA = 6 * 31 + 5 * 30, 6 * 31 + 2 * 30 + 29


@pytest.fixture(scope="module")
def iran():
    return generate_crm(market="iran")


@pytest.fixture(scope="module")
def big_iran():
    return generate_crm(n_customers=20_000, seed=11, market="iran")


def _orders_per_day(crm) -> pd.Series:
    day = crm.orders["ordered_at"].dt.tz_convert("Asia/Tehran").dt.tz_localize(None).dt.normalize()
    return day.value_counts().reindex(pd.date_range("2022-01-01", "2025-12-31"), fill_value=0)


def _mean(per_day: pd.Series, first: pd.Timestamp, days: int) -> float:
    return float(per_day[first : first + pd.Timedelta(days=days - 1)].sum()) / days


def test_the_course_s_company_is_the_iranian_one():
    default, iran = generate_crm(500, seed=1), generate_crm(500, seed=1, market="iran")
    for name in default:
        pd.testing.assert_frame_equal(default[name], iran[name])
    assert default.truth["market"]["name"] == "iran"
    assert generate_crm(500, seed=1, market="generic").truth["unit_mixup_order_ids"] == []


@pytest.mark.parametrize("bad", ["tehran", "IRAN", 3, None])
def test_an_unknown_market_is_refused_naming_the_ones_there_are(bad):
    with pytest.raises(ValueError, match=r"`market` must be one of \['generic', 'iran'\]"):
        generate_crm(200, market=bad)


def test_the_truth_records_the_market(iran):
    market = iran.truth["market"]
    assert (market["name"], market["currency"], market["calendar"], market["consent"]) == ("iran", "IRR", "jalali",
                                                                                            "sms")  # fmt: skip
    assert market["inflation_per_year"] == IRAN.inflation_per_year == 0.42
    assert "no_sms_consent" in iran.truth["planted"]["churn_hazard_ratios"]
    assert "no_email_consent" not in iran.truth["planted"]["churn_hazard_ratios"]


def test_money_is_whole_thousands_of_toman_and_totals_add_up(iran):
    lines = iran.order_lines
    for column in ["unit_price_cents", "discount_cents"]:
        assert (lines[column] % 10_000 == 0).all(), column
    assert (iran.products["list_price_cents"] % 10_000 == 0).all()
    amount = lines["quantity"] * lines["unit_price_cents"] - lines["discount_cents"]
    totals = iran.orders.set_index("order_id")["total_cents"]
    pd.testing.assert_series_equal(amount.groupby(lines["order_id"]).sum().reindex(totals.index), totals,
                                   check_names=False)  # fmt: skip
    # a laptop costs hundreds of millions of rials, not hundreds of dollars
    laptop = iran.products.loc[iran.products["name"] == "Laptops model B", "list_price_cents"].item()
    assert laptop == 899 * 300_000


def test_prices_rise_by_the_planted_inflation_each_jalali_month(big_iran):
    jalali = COURSE.__class__(**{**COURSE.__dict__, "currency": "IRR", "calendar": "jalali"})
    index = bi.price_index(big_iran.orders, big_iran.order_lines, conventions=jalali)["index"].to_numpy()
    by_hand = 100 * 1.42 ** (np.arange(len(index)) / 12)
    np.testing.assert_allclose(index, by_hand, rtol=0.005)  # prices are rounded to 10,000 rials
    assert index[12] == pytest.approx(142, abs=0.5)


def test_friday_is_the_weekend(big_iran):
    weekday = _orders_per_day(big_iran).groupby(lambda d: d.day_of_week).sum()
    working = weekday[[5, 6, 0, 1, 2]].mean()  # Saturday to Wednesday
    assert weekday[4] / working == pytest.approx(0.35, abs=0.07)  # Friday; campaign orders keep no weekend
    assert weekday[3] / working == pytest.approx(0.85, abs=0.07)  # Thursday afternoon off
    assert weekday[[5, 6, 0, 1, 2]].max() / working < 1.03


def test_shops_shut_for_nowruz(big_iran):
    per_day = _orders_per_day(big_iran)
    for year, first in NOWRUZ.items():
        nowruz = pd.Timestamp(first)
        shut = _mean(per_day, nowruz, 4)
        after = _mean(per_day, nowruz + pd.Timedelta(days=13), 18)  # 14-31 Farvardin
        assert shut / after < 0.2, year


def test_esfand_is_the_peak_of_the_year(big_iran):
    per_day = _orders_per_day(big_iran)
    esfand = bahman = 0.0
    for year in (1401, 1402, 1403):
        first = pd.Timestamp(NOWRUZ[year]) + pd.Timedelta(days=TO_ESFAND)
        length = (pd.Timestamp(NOWRUZ[year + 1]) - first).days  # 29, or 30 in a leap year
        esfand += _mean(per_day, first, length)
        bahman += _mean(per_day, first - pd.Timedelta(days=30), 30)
    assert esfand / bahman == pytest.approx(1.9 / 1.1, rel=0.12)


def test_the_week_before_yalda_sells_more(big_iran):
    per_day = _orders_per_day(big_iran)
    week = before = 0.0
    for year in (1401, 1402, 1403, 1404):
        yalda = pd.Timestamp(NOWRUZ[year]) + pd.Timedelta(days=TO_YALDA)
        week += _mean(per_day, yalda - pd.Timedelta(days=6), 7)
        before += _mean(per_day, yalda - pd.Timedelta(days=29), 21)  # 1-21 Azar: three whole weeks
    assert week / before == pytest.approx(1.35, rel=0.1)


def test_sms_is_the_consented_channel_and_its_lack_drives_churn(big_iran):
    customers = big_iran.customers
    assert customers["consent_sms"].mean() > 0.75 > 0.35 > customers["consent_email"].mean()
    old = customers[customers["signup_date"] < "2024-01-01"]
    last = big_iran.orders.groupby("customer_id")["ordered_at"].max().reindex(old["customer_id"])
    active = (last > pd.Timestamp("2025-07-01", tz="UTC")).to_numpy()

    def gap(column: str) -> float:
        consent = old[column].to_numpy()
        return active[consent].mean() - active[~consent].mean()

    assert gap("consent_sms") > 0.02
    assert abs(gap("consent_email")) < 0.02  # no longer a driver


def test_campaigns_go_by_sms_and_away_from_nowruz(iran):
    campaigns = iran.campaigns.set_index("name")
    assert campaigns.loc["Loyalty club newsletter 2024", "channel"] == "sms"
    assert campaigns.loc["Accessories spring mailing 2025", "channel"] == "mail"  # postal: no consent needed
    contacts = iran.campaign_contacts.merge(iran.customers[["customer_id", "consent_sms"]])
    by_sms = contacts["campaign_id"].isin(campaigns.loc[campaigns["channel"] == "sms", "campaign_id"])
    assert contacts.loc[by_sms & contacts["contacted_at"].notna(), "consent_sms"].all()
    nowruz = [pd.Timestamp(d) for d in NOWRUZ.values()]
    for name in ["Loyalty club newsletter 2024", "Accessories spring mailing 2025"]:
        start = campaigns.loc[name, "starts_on"]
        assert all(not (n - pd.Timedelta(days=60) <= start <= n + pd.Timedelta(days=13)) for n in nowruz), name


def test_the_experiment_keeps_its_planted_uplift(big_iran):
    contacts = big_iran.campaign_contacts
    rates = contacts[contacts["campaign_id"] == big_iran.truth["experiment_campaign_id"]].groupby("group")[
        "responded"
    ].mean()
    assert rates["treatment"] - rates["control"] == pytest.approx(0.04, abs=0.015)


def test_instagram_and_telegram_are_sales_channels(iran):
    channels = iran.channels.set_index("channel")
    assert channels.loc[["instagram", "telegram"], "is_online"].all()
    assert channels.loc["sms", "direction"] == "outbound"
    share = iran.orders["channel"].value_counts(normalize=True)
    assert set(share.index) == {"web", "store", "call_centre", "field_sales", "instagram", "telegram"}
    assert share["instagram"] > 0.1 and share["telegram"] > 0.05
    assert set(iran.interactions["channel"]) >= {"instagram", "telegram", "sms"}
    # a customer orders only through channels they use: nobody orders on Instagram without it
    used = iran.interactions.groupby("customer_id")["channel"].agg(set)
    insta = iran.orders.loc[iran.orders["channel"] == "instagram", "customer_id"].unique()
    assert np.mean(["instagram" in used.get(c, set()) for c in insta]) > 0.6


def test_the_toman_mixups_are_found_exactly_and_corrected(iran):
    key = iran.truth["unit_mixup_order_ids"]
    assert len(key) == 60  # 20 per 1,000 customers
    found = quality.unit_mixups(iran.raw_orders, iran.order_lines)
    assert found["order_id"].tolist() == key  # every one, and nothing else
    assert (found["problem"] == "typed in a unit 10x larger").all()
    clean = iran.orders.set_index("order_id")["total_cents"]
    assert (found.set_index("order_id")["corrected"] == clean.reindex(key)).all()
    assert (found["total"].to_numpy() * 10 == found["corrected"].to_numpy()).all()
    fixed = quality.clean_export(iran.raw_customers, iran.raw_orders, iran.raw_tickets, order_lines=iran.order_lines)
    log = fixed.log.set_index("step")["rows"]
    assert log["values corrected: totals typed in another unit"] == 60
    real = fixed.orders.set_index("order_id")["total_cents"]
    assert (real.reindex(clean.index) == clean).all()  # the clean export's totals are the clean table's


def test_cleaning_moves_revenue_by_exactly_the_corrections(iran):
    """Lesson 03's optional section: the reconciliation differs by the corrections and nothing else."""
    key = iran.truth["unit_mixup_order_ids"]
    fixed = quality.clean_export(iran.raw_customers, iran.raw_orders, iran.raw_tickets, order_lines=iran.order_lines)
    recon = quality.reconcile(iran.raw_orders, fixed.orders, fixed.test_customer_ids, minor_unit=0)
    raw = iran.raw_orders.set_index("order_id")["total_cents"]
    clean = iran.orders.set_index("order_id")["total_cents"]
    by_hand = int((clean.reindex(key) - raw.reindex(key)).sum())  # nine tenths of each order's amount
    assert by_hand == int(clean.reindex(key).sum() * 9 / 10)
    assert recon.loc["revenue", "difference"] == by_hand
    assert recon.loc["orders", "difference"] == 0


def _jalali_months_by_hand() -> list[tuple[int, pd.Timestamp, pd.Timestamp]]:
    """(month 1-12, first day, day after the last) of every whole Jalali month from Farvardin 1401 to Azar 1404."""
    out = []
    for year in (1401, 1402, 1403, 1404):
        start = pd.Timestamp(NOWRUZ[year])
        lengths = [31] * 6 + [30] * 5 + [((pd.Timestamp(NOWRUZ[year + 1]) - start).days - 336) if year < 1404 else 29]
        for month, length in enumerate(lengths, start=1):
            end = start + pd.Timedelta(days=length)
            if end <= pd.Timestamp("2025-12-22"):  # 1 Dey 1404: the month the data ends in is not over
                out.append((month, start, end))
            start = end
    return out


def test_lesson_07_esfand_and_farvardin_diagonals(iran):
    """Lesson 07's optional section: Esfand about 1.6 times the other months, Farvardin about half.

    By hand: for each whole Jalali month, the share of the customers who had bought before it who buy in it.
    """
    done = iran.orders[iran.orders["status"] == "completed"]
    day = done["ordered_at"].dt.tz_convert("Asia/Tehran").dt.tz_localize(None).dt.normalize()
    first = day.groupby(done["customer_id"]).min()
    shares = {}
    for month, start, end in _jalali_months_by_hand():
        before = first.index[first < start]
        buyers = done.loc[(day >= start) & (day < end), "customer_id"].unique()
        shares.setdefault(month, []).append(np.isin(before, buyers).mean())
    mean = pd.Series({m: np.mean(v) for m, v in shares.items()})
    others = mean.drop([12, 1]).mean()
    assert mean.idxmax() == 12 and mean.idxmin() == 1
    assert mean[12] / others == pytest.approx(1.6, abs=0.25)
    assert mean[1] / others == pytest.approx(0.55, abs=0.15)


# ---------------------------------------------------------------- the other planted truths, in the Iranian market


def _baskets(crm) -> pd.DataFrame:
    lines = crm.order_lines.merge(crm.products[["product_id", "category_id"]]).merge(
        crm.categories.rename(columns={"name": "category"}), on="category_id")  # fmt: skip
    return lines.groupby(["order_id", "category"]).size().unstack(fill_value=0) > 0


@pytest.mark.parametrize(("a", "b"), [("Printers", "Ink & Paper"), ("Laptops", "Software"), ("Phones", "Accessories")])
def test_cross_sell_pairs_keep_their_lift(big_iran, a, b):
    baskets = _baskets(big_iran)
    confidence = baskets.loc[baskets[a], b].mean()
    assert confidence / baskets[b].mean() > 1.2 and confidence > 0.3


def test_the_newsletter_is_a_placebo_away_from_nowruz(big_iran):
    """Mailed and held-out members respond alike (true effect 0); members against non-members do not."""
    c = big_iran.campaign_contacts
    loyal = c[c["campaign_id"] == big_iran.truth["loyalty_campaign_id"]]
    rates = loyal.groupby("group")["responded"].mean()
    assert abs(rates["opted_in"] - rates["held_out"]) < 0.05
    assert rates["opted_in"] - rates["not_opted_in"] > 0.05  # the spurious gap of self-selection
    start = big_iran.campaigns.set_index("campaign_id").loc[big_iran.truth["loyalty_campaign_id"], "starts_on"]
    assert start == pd.Timestamp("2024-06-01")  # 60 days before it hold no Esfand and no Nowruz


def test_launched_lines_carry_the_launched_product_s_price(big_iran):
    """In this market a line the launch takes over is priced as the launched product that month."""
    lines = big_iran.order_lines.merge(big_iran.orders[["order_id", "ordered_at"]])
    for name, spec in big_iran.truth["planted"]["launches"].items():
        product = big_iran.products.set_index("name").loc[name]
        assert product["list_price_cents"] == spec["list_price"] * 300_000  # dollars at the start's rate
        mine = lines[lines["product_id"] == product["product_id"]]
        day = mine["ordered_at"].dt.tz_convert("Asia/Tehran").dt.tz_localize(None).dt.normalize()
        level = pd.Series(IRAN.price_index, index=pd.date_range("2022-01-01", periods=len(IRAN.price_index)))
        by_hand = (product["list_price_cents"] * level.reindex(day).to_numpy() / 10_000).round() * 10_000
        assert (mine["unit_price_cents"].to_numpy() == by_hand).all(), name


def test_sleeping_dogs_are_the_customers_without_sms_consent(big_iran):
    c = big_iran.campaign_contacts
    offer = c[c["campaign_id"] == big_iran.truth["upgrade_campaign_id"]]
    kind = pd.Series({i: k for k, ids in big_iran.truth["upgrade_kinds"].items() for i in ids})
    consent = offer["customer_id"].map(big_iran.customers.set_index("customer_id")["consent_sms"])
    assert (offer["customer_id"].map(kind)[~consent.to_numpy()] == "sleeping_dog").mean() > 0.6
    rates = offer.groupby([offer["customer_id"].map(kind), "group"])["responded"].mean()
    assert rates["persuadable", "treatment"] - rates["persuadable", "control"] > 0.2
    assert rates["sleeping_dog", "treatment"] < rates["sleeping_dog", "control"]


def test_the_readme_of_the_iranian_company_speaks_rials_and_the_jalali_year(iran):
    """crmlab generate --market iran --readme: the dictionary and truths describe this company, not the generic one."""
    from crmlab.datasets.readme import render_readme

    text = render_readme(iran.truth)
    assert "whole **rials**" in text and "US cents" not in text and "November" not in text
    assert "order intensity by Jalali month, Farvardin to Esfand: 0.85, 0.95" in text and "Fri x0.35" in text
    assert "| price inflation | every price rises 42% a year, re-set each Jalali month |" in text
    assert "| totals typed in toman | 60 raw orders" in text
    assert "The data above is the iran market's" in text
